// VictoriaMetrics' JSON lines import format (POST /api/v1/import) and its export writer:
//
//   {"metric":{"__name__":"up","job":"x"},"values":[1,0,null],"timestamps":[1700000000000,...]}
//
// one series per line; values are numbers (or "NaN", "Inf", "-Inf" strings... whatever VM
// accepts and writes); null is the stale marker (VM exports staleness markers as null).
// Timestamps are Unix milliseconds. `values` and `timestamps` must have the same length.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

// `body` must be padded (PaddedView). A bad line is skipped and reported in `result` with its
// 1-based line number; blank lines are ignored.
Status DecodeVmImport(std::string_view body, const MetricDecodeContext& ctx,
                      storage::MetricBatch* batch, MetricDecodeResult* result);

// Appends one export line (with '\n') for a series and its samples in VM's format: labels in the
// given (canonical) order, values as VM prints them (integers without ".0", stale as null).
void AppendVmExportLine(const storage::Labels& labels, std::span<const storage::Sample> samples,
                        std::string* out);

}  // namespace sluice::pipeline

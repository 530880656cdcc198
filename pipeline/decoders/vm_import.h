// VictoriaMetrics' JSON lines import format (POST /api/v1/import) and its export writer:
//
//   {"metric":{"__name__":"up","job":"x"},"values":[1,0.5,null],"timestamps":[1700000000000,...]}
//
// One series per line; the keys may come in any order and unknown keys are ignored, as VM does.
// Timestamps are Unix milliseconds (JSON integers). `values` and `timestamps` must be non-empty and
// of the same length. A value is a JSON number, null, or one of the strings VM's parser accepts:
// "NaN", "nan", "Inf", "inf", "Infinity", "infinity" (the last four with an optional "-"), "null".
// https://docs.victoriametrics.com/#how-to-import-data-in-json-line-format
// (lib/protoparser/vmimport/parser.go in VictoriaMetrics' source.)
//
// Values, both ways:
//   JSON null          <-> the stale marker (storage::StaleNaN()); VM exports its stale markers
//                          as null. (VM itself reads null as a plain NaN, which its storage drops.)
//   "NaN" (and the other NaN spellings on import) <-> a plain NaN. VM never exports one (it keeps
//                          no plain NaNs); writing the string keeps it apart from a stale marker.
//   "Infinity", "-Infinity" <-> the infinities, as VM's export writes them.
//   numbers            <-> finite values, written as VM does (Go's strconv 'f' format with the
//                          shortest digits that round-trip: 3, 0.25, 100000000000000000000,
//                          0.000001, -0), so a decoded export is bit-identical to what was written.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

// `body` must be padded (PaddedView). A bad line is skipped and reported in `result` as
// "line N: <what is wrong>" (N 1-based); blank lines are ignored. Labels are checked with
// ValidateSeriesLabels against ctx.limits (defaults when null), so __name__ is required.
// Always returns OK today: every problem is confined to its line.
Status DecodeVmImport(std::string_view body, const MetricDecodeContext& ctx,
                      storage::MetricBatch* batch, MetricDecodeResult* result);

// Appends one export line (with '\n') for a series and its samples in VM's format: labels in the
// given (canonical) order, values as described above. Appends nothing when `samples` is empty, as
// VM writes no line for a series without samples.
void AppendVmExportLine(const storage::Labels& labels, std::span<const storage::Sample> samples,
                        std::string* out);

}  // namespace sluice::pipeline

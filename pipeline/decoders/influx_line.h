// Influx line protocol (POST /write, /api/v2/write; Telegraf's influxdb and influxdb_v2 outputs):
//
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
//
// mapped as VictoriaMetrics does: each field becomes a series named <measurement>_<field> (just
// <measurement> when the field is named "value"), tags become labels, `db` (when given) becomes a
// label `db`. Field values: floats, integers (123i), unsigned (123u), booleans (t/true -> 1,
// f/false -> 0); string fields are skipped. Escapes (\, \  \= \") as the protocol defines.
// Timestamps in `precision` units (ns default; also u/us, ms, s, m, h); absent -> now.
#pragma once

#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

struct InfluxOptions {
  std::string_view precision = "ns";  // ns, u, us, ms, s, m, h (v1 and v2 spellings)
  std::string_view db;                // added as label db="..." when not empty
};

// InvalidArgument for an unknown precision. A bad line is skipped and reported in `result` with
// its 1-based line number.
Status DecodeInfluxLines(std::string_view body, const InfluxOptions& options,
                         const MetricDecodeContext& ctx, storage::MetricBatch* batch,
                         MetricDecodeResult* result);

}  // namespace sluice::pipeline

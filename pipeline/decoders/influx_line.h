// Influx line protocol (POST /write, /api/v2/write; Telegraf's influxdb and influxdb_v2 outputs):
//
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
//
// https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/
//
// Mapped as VictoriaMetrics does (lib/protoparser/influx/parser.go, app/vminsert/influx/):
// - each numeric field becomes a series named <measurement>_<field> (just <field> when the
//   measurement is empty; just <measurement> when `skip_single_field` is set and the line has one
//   field, VM's -influxSkipSingleField), made a valid metric name by SanitizeMetricName;
// - tags become labels, names made valid by SanitizeLabelName; a tag with an empty key or value
//   is dropped; `db` (when given) becomes the label db unless the line has a db tag itself;
// - field values: floats (1, -1.5, 1e3, .5), integers (123i), unsigned (123u), booleans
//   (t/T/true/True/TRUE -> 1, f/F/false/False/FALSE -> 0). String fields ("...") are parsed (to
//   find the next field) and skipped. NaN and Inf are not numbers here, as in Influx.
// - escapes: a backslash before ' ', ',', '=' or '\' in a measurement, tag key, tag value or field
//   key stands for that character; before anything else it is kept. In string field values \" and
//   \\ are escapes.
// - lines end with \n or \r\n; blank lines and lines starting with '#' are ignored.
// - the timestamp is an integer in `precision` units, converted to milliseconds (truncated); when
//   absent, or 0 (VM cannot tell them apart either), the sample gets ctx.now_ms, truncated to the
//   precision for s, m and h as VM does.
#pragma once

#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

struct InfluxOptions {
  // ns (also n), us (also u, µ), ms, s, m, h; or "" when the client gave none: then, as VM does,
  // the unit is guessed from the magnitude (>= 1e17 ns, >= 1e14 us, >= 1e11 ms, else s).
  std::string_view precision = "ns";
  std::string_view db;             // added as label db="..." when not empty
  bool skip_single_field = false;  // VM's -influxSkipSingleField
};

// InvalidArgument for an unknown precision (and nothing decoded). A bad line is skipped and
// reported in `result` as "line N: <what is wrong>" (N 1-based), counting the numeric fields read
// before the problem as its samples (at least 1); the other lines are kept. `body` need not be
// padded.
Status DecodeInfluxLines(std::string_view body, const InfluxOptions& options,
                         const MetricDecodeContext& ctx, storage::MetricBatch* batch,
                         MetricDecodeResult* result);

}  // namespace sluice::pipeline

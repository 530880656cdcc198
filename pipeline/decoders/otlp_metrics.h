// OTLP/HTTP metrics (POST /v1/metrics, /otlp/v1/metrics), JSON and protobuf encodings, translated
// to Prometheus series the way Prometheus' own OTLP receiver (storage/remote/otlptranslator and
// prometheus/otlptranslator, "UnderscoreEscapingWithSuffixes") does. Spec:
// https://opentelemetry.io/docs/specs/otlp/#otlphttp and
// https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/
//
//   - metric names: split at every character outside [a-zA-Z0-9:] ("http.server.duration" ->
//     http_server_duration), the unit appended unless already a word of the name ("s" ->
//     seconds, "By" -> bytes, "ms" -> milliseconds, "By/s" -> bytes_per_second; "{...}" units
//     add nothing), "_total" for monotonic sums, "_ratio" for gauges of unit "1";
//   - gauge -> gauge; sum monotonic cumulative -> counter; sum non-monotonic cumulative -> gauge;
//     sums and histograms whose temporality is delta (or unspecified) -> rejected, Prometheus
//     cannot store deltas;
//   - histogram (cumulative) -> <name>_bucket{le=...} (cumulative counts, le as Go's
//     FormatFloat(v, 'f', -1): "0.5", "+Inf" last with the total count), <name>_sum (when the
//     point has a sum), <name>_count;
//   - summary -> <name>{quantile=...}, <name>_sum, <name>_count;
//   - exponential histograms -> rejected;
//   - data point attributes become labels, names normalized like NormalizeOtlpName; attributes
//     that normalize to the same name are joined with ';' in key order;
//   - resource: job = service.namespace + "/" + service.name (or service.name), instance =
//     service.instance.id; the other resource attributes go to a target_info{job,instance,...}
//     gauge of value 1 at each timestamp of the resource's stored points (only when there are
//     such attributes and a job or instance);
//   - flags & FLAG_NO_RECORDED_VALUE (1) -> the stale NaN; time_unix_nano -> ms, and a point
//     without a time gets ctx.now_ms.
// Metadata (family = the translated name without _bucket/_sum/_count, type, help = description,
// unit = the translated unit such as "seconds") is added once per family for every metric with a
// stored point.
//
// Partial success: a data point is stored whole (all its series) or rejected whole; each rejected
// data point is one MetricDecodeResult::Reject(reason, 1), each rejected metric (temporality,
// exponential histogram) one Reject(reason, number of points). A target_info that breaks a limit
// is Reject(reason, 0): a warning, no data point lost. A body that cannot be parsed is an
// InvalidArgument status and adds nothing.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

// `body` must be padded (pipeline::PaddedView) for JSON; `ctx.json` and `ctx.limits` must be set.
// JSON follows the OTLP JSON mapping (lowerCamelCase keys; snake_case accepted; 64-bit integers
// as strings or numbers; doubles may be "NaN", "Infinity", "-Infinity").
Status DecodeOtlpMetricsJson(std::string_view body, const MetricDecodeContext& ctx,
                             storage::MetricBatch* batch, MetricDecodeResult* result);
Status DecodeOtlpMetricsProto(std::string_view body, const MetricDecodeContext& ctx,
                              storage::MetricBatch* batch, MetricDecodeResult* result);

// ExportMetricsServiceResponse: "{}" or {"partialSuccess":{"rejectedDataPoints":"N",
// "errorMessage":"..."}} with N = result.rejected_samples; and the protobuf equivalent (empty
// when nothing was rejected).
std::string OtlpMetricsResponseJson(const MetricDecodeResult& result);
std::string OtlpMetricsResponseProto(const MetricDecodeResult& result);

// The Prometheus name of an OTLP metric (see above). `kind`: what the metric is, which decides
// the "_total" and "_ratio" suffixes.
enum class OtlpMetricKind { kGauge, kMonotonicSum, kNonMonotonicSum, kHistogram, kSummary, kOther };
std::string PrometheusMetricName(std::string_view name, std::string_view unit, OtlpMetricKind kind);
// The Prometheus unit of an OTLP (UCUM) unit: "s" -> "seconds", "By/s" -> "bytes_per_second",
// "1" and "{requests}" -> "".
std::string PrometheusUnit(std::string_view unit);

}  // namespace sluice::pipeline

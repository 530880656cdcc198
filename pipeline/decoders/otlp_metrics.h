// OTLP/HTTP metrics (POST /v1/metrics, /otlp/v1/metrics), JSON and protobuf encodings, translated
// to Prometheus series the way Prometheus' own OTLP receiver (prometheus/otlptranslator) does:
//
//   - metric names: '.' and other invalid characters become '_'; the unit is appended as a
//     suffix (seconds, bytes, "1" -> ratio for gauges) and "_total" for monotonic sums;
//   - gauge -> gauge; sum monotonic cumulative -> counter; sum non-monotonic -> gauge; sum with
//     delta temporality -> dropped (counted as rejected, Prometheus cannot store deltas);
//   - histogram (cumulative) -> <name>_bucket{le=...} (cumulative counts, +Inf last), _sum, _count;
//   - summary -> <name>{quantile=...}, _sum, _count;
//   - exponential histograms -> rejected (counted);
//   - data point attributes become labels (names normalized like NormalizeOtlpName);
//   - resource: job = service.namespace + "/" + service.name (or service.name), instance =
//     service.instance.id; all resource attributes also go to a target_info{job,instance,...}
//     gauge of value 1 at each timestamp seen;
//   - flags & FLAG_NO_RECORDED_VALUE (1) -> the stale NaN; time_unix_nano -> ms.
// Metadata (type, help = description, unit) is added for every metric.
#pragma once

#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

// `body` must be padded (pipeline::PaddedView) for JSON.
Status DecodeOtlpMetricsJson(std::string_view body, const MetricDecodeContext& ctx,
                             storage::MetricBatch* batch, MetricDecodeResult* result);
Status DecodeOtlpMetricsProto(std::string_view body, const MetricDecodeContext& ctx,
                              storage::MetricBatch* batch, MetricDecodeResult* result);

// ExportMetricsServiceResponse: "{}" or {"partialSuccess":{"rejectedDataPoints":"N",
// "errorMessage":"..."}}; and the protobuf equivalent.
std::string OtlpMetricsResponseJson(const MetricDecodeResult& result);
std::string OtlpMetricsResponseProto(const MetricDecodeResult& result);

}  // namespace sluice::pipeline

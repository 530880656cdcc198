// Prometheus remote write 1.0 (POST /api/v1/write): a snappy-decoded prompb.WriteRequest.
//
//   WriteRequest  {repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3;}
//   TimeSeries    {repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4;}
//   Label         {string name = 1; string value = 2;}
//   Sample        {double value = 1; int64 timestamp = 2;}   // ms
//   MetricMetadata{MetricType type = 1; string metric_family_name = 2; string help = 4;
//                  string unit = 5;}
//
// Decoded by hand, without copying: the labels of a series are views into `body` until
// MetricBatch::AddSeries copies them. Unknown fields are skipped as protobuf requires. Native
// histograms (field 4) and exemplars are counted in `ignored_*` and not stored.
#pragma once

#include <string_view>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

struct RemoteWriteStats {
  int64_t ignored_exemplars = 0;
  int64_t ignored_histograms = 0;
};

// InvalidArgument when the protobuf is malformed (nothing usable). A series whose labels break a
// rule or limit is skipped and reported in `result`; the others are added to `batch`.
Status DecodeRemoteWrite(std::string_view body, const MetricDecodeContext& ctx,
                         storage::MetricBatch* batch, MetricDecodeResult* result,
                         RemoteWriteStats* stats = nullptr);

// Encodes a WriteRequest (load generators and tests): series with their samples, and metadata.
struct RemoteWriteSeries {
  std::vector<storage::Label> labels;
  std::vector<storage::Sample> samples;
};
void EncodeRemoteWrite(const std::vector<RemoteWriteSeries>& series,
                       const std::vector<storage::MetricMetadata>& metadata, std::string* out);

}  // namespace sluice::pipeline

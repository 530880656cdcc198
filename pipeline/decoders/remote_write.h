// Prometheus remote write 1.0 (POST /api/v1/write): a snappy-decoded prompb.WriteRequest.
// Spec: https://prometheus.io/docs/specs/remote_write_spec/ ; schema:
// https://github.com/prometheus/prometheus/blob/main/prompb/remote.proto and types.proto.
//
//   WriteRequest  {repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3;}
//   TimeSeries    {repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4;}
//   Label         {string name = 1; string value = 2;}
//   Sample        {double value = 1; int64 timestamp = 2;}   // ms
//   MetricMetadata{MetricType type = 1; string metric_family_name = 2; string help = 4;
//                  string unit = 5;}
//
// On the wire every field is a tag varint (field_number << 3 | wire_type) followed by a varint
// (wire type 0), 8 little-endian bytes (1: double), a varint length and that many bytes (2:
// strings and nested messages) or 4 bytes (5). A Prometheus sample of one series looks like
//
//   0a <len> | 0a <len> 0a 08 "__name__" 12 02 "up" | ... | 12 0b 09 <8-byte double> 10 <ts varint>
//   timeseries  label {name, value}                        sample {value, timestamp}
//
// Decoded by hand, without copying: the labels of a series are views into `body` until
// MetricBatch::AddSeries copies them. Unknown fields (of any wire type, groups included) are
// skipped as protobuf requires; a known field with the wrong wire type is an error, as in
// Prometheus' generated (gogo) decoder. Native histograms (field 4) and exemplars are counted in
// RemoteWriteStats and not stored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pipeline/decoders/metric_decode_context.h"
#include "storage/labels.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

struct RemoteWriteStats {
  int64_t ignored_exemplars = 0;
  int64_t ignored_histograms = 0;
};

// InvalidArgument when the protobuf is malformed (truncated, overlong varint, bad wire type),
// naming where ("timeseries[3].samples[0]") and what; `batch` may then hold part of the request
// and must be discarded. A series whose labels break a rule or limit is skipped and reported in
// `result` with its sample count; the others are added to `batch` (a series repeated within the
// request becomes one series with all the samples). Series without samples add nothing. Sample
// values keep their exact bits (stale NaN included). `ctx.limits` must be set; `ctx.json` is not
// used.
Status DecodeRemoteWrite(std::string_view body, const MetricDecodeContext& ctx,
                         storage::MetricBatch* batch, MetricDecodeResult* result,
                         RemoteWriteStats* stats = nullptr);

// Encodes a WriteRequest (load generators and tests): series with their samples, and metadata.
// `*out` is replaced by the uncompressed protobuf (snappy it before sending). Fields holding
// proto3 defaults (empty strings, 0 timestamps, +0.0 values) are left out, as protobuf does.
struct RemoteWriteSeries {
  std::vector<storage::Label> labels;
  std::vector<storage::Sample> samples;
};
void EncodeRemoteWrite(const std::vector<RemoteWriteSeries>& series,
                       const std::vector<storage::MetricMetadata>& metadata, std::string* out);

}  // namespace sluice::pipeline

// OTLP metrics: any bytes as JSON and as protobuf. Whatever decodes must make a batch whose series
// are all canonical and a response that is valid JSON.
#include "pipeline/decoders/otlp_metrics.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void Check(const sluice::storage::MetricBatch& batch,
           const sluice::pipeline::MetricDecodeResult& result,
           sluice::pipeline::MetricLimits& limits, simdjson::ondemand::parser& json) {
  std::vector<sluice::storage::LabelView> labels;
  for (uint32_t s = 0; s < batch.series().size(); ++s) {
    auto view = batch.SeriesLabels(s);
    labels.assign(view.begin(), view.end());
    // Stored series passed validation: validating again changes nothing and succeeds.
    if (!sluice::pipeline::ValidateSeriesLabels(labels, limits).ok() ||
        !std::equal(labels.begin(), labels.end(), view.begin(), view.end())) {
      __builtin_trap();
    }
  }
  std::string response = sluice::pipeline::OtlpMetricsResponseJson(result);
  std::string padded =
      sluice::fuzz::Padded(reinterpret_cast<const uint8_t*>(response.data()), response.size());
  simdjson::ondemand::document doc;
  if (json.iterate(sluice::pipeline::PaddedView(padded)).get(doc) || doc.get_object().error()) {
    __builtin_trap();
  }
  (void)sluice::pipeline::OtlpMetricsResponseProto(result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::pipeline::MetricLimits limits;
  static simdjson::ondemand::parser parser;
  static simdjson::ondemand::parser check_parser;
  const sluice::pipeline::MetricDecodeContext ctx{1'700'000'000'000, &limits, &parser};
  std::string body = sluice::fuzz::Padded(data, size);
  for (bool json : {true, false}) {
    sluice::storage::MetricBatch batch("fuzz");
    sluice::pipeline::MetricDecodeResult result;
    sluice::Status s = json ? sluice::pipeline::DecodeOtlpMetricsJson(body, ctx, &batch, &result)
                            : sluice::pipeline::DecodeOtlpMetricsProto(body, ctx, &batch, &result);
    if (s.ok()) Check(batch, result, limits, check_parser);
  }
  return 0;
}

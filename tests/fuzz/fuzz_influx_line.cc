// Influx line protocol: decoding an unpadded body must not crash or read past it, and every
// series it produces must be a valid one.
#include <algorithm>
#include <string_view>
#include <vector>

#include "pipeline/decoders/influx_line.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sluice::pipeline::MetricLimits limits;
  const sluice::pipeline::MetricDecodeContext ctx{1'700'000'000'000, &limits, nullptr};
  if (size == 0) return 0;
  // The first byte picks the options; the rest is the body, exactly as long as libFuzzer made it.
  static constexpr std::string_view kPrecisions[] = {"ns", "", "us", "ms", "s", "m", "h", "x"};
  sluice::pipeline::InfluxOptions options;
  options.precision = kPrecisions[data[0] & 7];
  options.db = (data[0] & 8) != 0 ? "fuzzdb" : "";
  options.skip_single_field = (data[0] & 16) != 0;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  sluice::storage::MetricBatch batch("fuzz");
  sluice::pipeline::MetricDecodeResult result;
  sluice::Status s = sluice::pipeline::DecodeInfluxLines(body, options, ctx, &batch, &result);
  Check(s.ok() == (options.precision != "x"));
  Check((result.rejected_series == 0) == result.first_error.empty());
  for (uint32_t i = 0; i < batch.series().size(); ++i) {
    auto labels = batch.SeriesLabels(i);
    std::vector<sluice::storage::LabelView> copy(labels.begin(), labels.end());
    Check(sluice::pipeline::ValidateSeriesLabels(copy, limits).ok());
    Check(std::equal(copy.begin(), copy.end(), labels.begin(), labels.end()));
  }
  return 0;
}

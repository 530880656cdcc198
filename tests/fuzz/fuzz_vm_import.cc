// VictoriaMetrics JSON lines: decoding must not crash, and whatever it accepts must survive an
// export and a second import unchanged (labels, timestamps and value bits).
#include <bit>
#include <map>
#include <vector>

#include "pipeline/decoders/vm_import.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

struct Context {
  sluice::pipeline::MetricLimits limits;
  simdjson::ondemand::parser parser;
  sluice::pipeline::MetricDecodeContext ctx{1'700'000'000'000, &limits, &parser};
};

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Context c;
  std::string body = sluice::fuzz::Padded(data, size);
  sluice::storage::MetricBatch batch("fuzz");
  sluice::pipeline::MetricDecodeResult result;
  Check(sluice::pipeline::DecodeVmImport(body, c.ctx, &batch, &result).ok());
  Check((result.rejected_series == 0) == result.first_error.empty());

  std::map<uint32_t, std::vector<sluice::storage::Sample>> by_series;
  for (const sluice::storage::MetricSampleRef& s : batch.samples()) {
    by_series[s.series].push_back({s.timestamp_ms, s.value});
  }
  std::string exported;
  for (const auto& [series, samples] : by_series) {
    sluice::pipeline::AppendVmExportLine(batch.SeriesLabelsCopy(series), samples, &exported);
  }
  exported.reserve(exported.size() + sluice::pipeline::kParsePadding);
  sluice::storage::MetricBatch again("fuzz");
  sluice::pipeline::MetricDecodeResult again_result;
  Check(sluice::pipeline::DecodeVmImport(exported, c.ctx, &again, &again_result).ok());
  Check(again_result.rejected_series == 0);
  Check(again.series().size() == by_series.size());
  Check(again.samples().size() == batch.samples().size());
  size_t i = 0;
  for (const auto& [series, samples] : by_series) {
    for (const sluice::storage::Sample& want : samples) {
      const sluice::storage::MetricSampleRef& got = again.samples()[i++];
      Check(again.SeriesLabelsCopy(got.series) == batch.SeriesLabelsCopy(series));
      Check(got.timestamp_ms == want.timestamp_ms);
      Check(std::bit_cast<uint64_t>(got.value) == std::bit_cast<uint64_t>(want.value));
    }
  }
  return 0;
}

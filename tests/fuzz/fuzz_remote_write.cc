// Remote write: any bytes, as the raw WriteRequest and as snappy (what clients send). A request
// that decodes must survive EncodeRemoteWrite and decode to the same series, samples (bit for
// bit) and metadata.
#include <snappy.h>

#include <bit>
#include <map>

#include "pipeline/decoders/remote_write.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using sluice::pipeline::MetricDecodeContext;
using sluice::pipeline::MetricDecodeResult;
using sluice::pipeline::MetricLimits;
using sluice::pipeline::RemoteWriteSeries;

// Per series (by labels), its samples as (timestamp, value bits), in order.
std::map<sluice::storage::Labels, std::vector<std::pair<int64_t, uint64_t>>> Content(
    const sluice::storage::MetricBatch& batch) {
  std::map<sluice::storage::Labels, std::vector<std::pair<int64_t, uint64_t>>> out;
  for (const sluice::storage::MetricSampleRef& s : batch.samples()) {
    out[batch.SeriesLabelsCopy(s.series)].emplace_back(s.timestamp_ms,
                                                       std::bit_cast<uint64_t>(s.value));
  }
  return out;
}

void DecodeAndRoundTrip(std::string_view body, const MetricDecodeContext& ctx) {
  sluice::storage::MetricBatch batch("fuzz");
  MetricDecodeResult result;
  sluice::pipeline::RemoteWriteStats stats;
  if (!sluice::pipeline::DecodeRemoteWrite(body, ctx, &batch, &result, &stats).ok()) return;
  if (result.rejected_series < 0 || result.rejected_samples < result.rejected_series) {
    __builtin_trap();
  }

  std::vector<RemoteWriteSeries> series(batch.series().size());
  for (uint32_t s = 0; s < batch.series().size(); ++s) series[s].labels = batch.SeriesLabelsCopy(s);
  for (const sluice::storage::MetricSampleRef& s : batch.samples()) {
    series[s.series].samples.push_back({s.timestamp_ms, s.value});
  }
  std::string encoded;
  sluice::pipeline::EncodeRemoteWrite(series, batch.metadata(), &encoded);
  sluice::storage::MetricBatch again("fuzz");
  MetricDecodeResult again_result;
  if (!sluice::pipeline::DecodeRemoteWrite(encoded, ctx, &again, &again_result).ok()) {
    __builtin_trap();
  }
  if (again_result.rejected_series != 0 || again.series().size() != batch.series().size() ||
      again.metadata() != batch.metadata() || Content(again) != Content(batch)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MetricLimits limits;
  static const MetricDecodeContext ctx{1'700'000'000'000, &limits, nullptr};
  std::string_view body(reinterpret_cast<const char*>(data), size);
  DecodeAndRoundTrip(body, ctx);
  size_t uncompressed_size = 0;
  if (snappy::GetUncompressedLength(body.data(), body.size(), &uncompressed_size) &&
      uncompressed_size <= (1u << 22)) {
    std::string uncompressed;
    if (snappy::Uncompress(body.data(), body.size(), &uncompressed)) {
      DecodeAndRoundTrip(uncompressed, ctx);
    }
  }
  return 0;
}

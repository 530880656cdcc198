// What Sluice reads back from disk must never crash it, however damaged: WAL records, blocks,
// structured metadata, metric chunks.
#include <bit>
#include <string>
#include <vector>

#include "storage/log_block.h"
#include "storage/metadata_codec.h"
#include "storage/metric_chunk.h"
#include "storage/wal_record.h"

namespace {

bool SameSamples(const std::vector<sluice::storage::Sample>& a,
                 const std::vector<sluice::storage::Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp_ms != b[i].timestamp_ms ||
        std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

// Whatever a metric chunk decodes to must keep the chunk's promises and survive both encoders.
void CheckMetricChunk(std::string_view in) {
  using namespace sluice::storage;
  std::vector<Sample> samples;
  if (!DecodeChunk(in, &samples).ok()) {
    if (!samples.empty()) __builtin_trap();
    return;
  }
  ChunkHeader h;
  if (!ReadChunkHeader(in, &h) || h.count != samples.size()) __builtin_trap();
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i - 1].timestamp_ms >= samples[i].timestamp_ms) __builtin_trap();
  }
  if (samples.empty()) return;
  if (samples.front().timestamp_ms != h.min_ts || samples.back().timestamp_ms != h.max_ts) {
    __builtin_trap();
  }
  std::string again;
  EncodeChunk(samples, &again);
  std::vector<Sample> round_trip;
  if (!DecodeChunk(again, &round_trip).ok() || !SameSamples(samples, round_trip)) {
    __builtin_trap();
  }
  XorChunk head;
  for (const Sample& s : samples) head.Append(s.timestamp_ms, s.value);
  round_trip.clear();
  head.Decode(&round_trip);
  if (!SameSamples(samples, round_trip)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sluice::storage::WalRecordReader reader(in);
  if (reader.Open().ok()) {
    sluice::storage::Labels labels;
    uint64_t count = 0;
    while (reader.NextStream(&labels, &count)) {
      int64_t ts;
      std::string_view line, md;
      for (uint64_t i = 0; i < count && reader.NextEntry(&ts, &line, &md); ++i) {
      }
    }
  }
  auto block = sluice::storage::DecodedBlock::Decode(in);
  if (block.ok()) {
    for (size_t i = 0; i < block->size(); ++i) {
      (void)block->line(i);
      (void)block->metadata(i);
    }
  }
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  (void)sluice::storage::DecodeMetadata(in, &pairs);
  CheckMetricChunk(in);
  return 0;
}

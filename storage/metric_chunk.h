// Sample encodings of the metrics engine.
//
// XorChunk: the head of a series, appended to sample by sample (Gorilla: delta-of-delta
// timestamps and XOR'd float values in a bit stream, like Prometheus' XOR chunk), so an active
// series costs a few hundred bytes of RAM. Timestamps must strictly increase.
//
// Sealed chunks (EncodeChunk/DecodeChunk): what goes to RocksDB, denser than XOR because it sees
// all samples at once:
//   chunk   := u8 version=1, varint count, zigzag min_ts, varint (max_ts - min_ts),
//              u8 value_encoding, timestamps, values
//   timestamps: zigzag varint delta-of-delta after the first (the first is min_ts)
//   values: kDecimal: every value is m * 10^e for one exponent e with |m| < 2^53 (counters and
//           most gauges): zigzag varint e, then the m's as zigzag varint delta-of-delta or delta
//           (whichever is shorter; a flag byte says which);
//           kXor: anything else (NaN including the stale marker, ±Inf, values with no common
//           decimal exponent): the Gorilla XOR bit stream of the values.
// RocksDB then zstd-compresses SST blocks holding many chunks (the chunk column family), which
// removes what repeats between neighbouring chunks.
// Values round-trip bit for bit, NaN payloads included.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/metric_batch.h"

namespace sluice::storage {

class XorChunk {
 public:
  // Precondition: count() == 0 or timestamp_ms > last_ts().
  void Append(int64_t timestamp_ms, double value);

  uint32_t count() const { return count_; }
  int64_t first_ts() const { return first_ts_; }
  int64_t last_ts() const { return last_ts_; }
  // Appends every sample, in order, to `out`.
  void Decode(std::vector<Sample>* out) const;
  size_t MemoryBytes() const { return sizeof(*this) + bits_.capacity(); }
  void Clear();

 private:
  void WriteBits(uint64_t value, int nbits);

  std::string bits_;
  uint8_t bit_pos_ = 0;  // bits used in the last byte of bits_ (0 = start a new byte)
  uint8_t leading_ = 0xff;  // of the last XOR written with a window; 0xff: none yet
  uint8_t trailing_ = 0;
  uint32_t count_ = 0;
  int64_t first_ts_ = 0;
  int64_t last_ts_ = 0;
  int64_t last_delta_ = 0;
  uint64_t last_value_bits_ = 0;
};

struct ChunkHeader {
  uint32_t count = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
};

// `samples` sorted by timestamp, timestamps unique, not empty. Appends to `out`.
void EncodeChunk(std::span<const Sample> samples, std::string* out);
// Appends the chunk's samples to `out`. Corruption when malformed (never reads out of bounds).
Status DecodeChunk(std::string_view chunk, std::vector<Sample>* out);
bool ReadChunkHeader(std::string_view chunk, ChunkHeader* header);

}  // namespace sluice::storage

// Sample encodings of the metrics engine.
//
// XorChunk: the head of a series, appended to sample by sample (Gorilla: delta-of-delta
// timestamps and XOR'd float values in a bit stream, like Prometheus' XOR chunk,
// https://github.com/prometheus/prometheus/blob/main/tsdb/chunkenc/xor.go), so an active series
// costs a few hundred bytes of RAM. Timestamps must strictly increase.
//
// Sealed chunks (EncodeChunk/DecodeChunk): what goes to RocksDB, denser than XOR because it sees
// all samples at once:
//   chunk      := u8 version=1, varint count, zigzag varint min_ts, varint (max_ts - min_ts),
//                 u8 value_encoding, [timestamps], values
//   timestamps := int_seq of the count-1 deltas between neighbouring timestamps (absent when
//                 count < 2; the first timestamp is min_ts)
//   values     := kDecimal: every value is m * 10^e for one exponent e (|e| <= 22) with
//                 |m| < 2^53 (counters and most gauges; the conversion is verified to give back
//                 the same bits, like VictoriaMetrics' lib/decimal but lossless):
//                   zigzag varint e, varint exception_count,
//                   exception_count * (varint index gap, u64 little-endian value bits),
//                   then for the other values: zigzag varint first m, int_seq of the m deltas.
//                 Exceptions are the few values with no decimal form (NaN incl. the stale marker,
//                 ±Inf, -0.0, 0.1+0.2): a series going stale keeps its decimal chunk.
//                 kXor: anything else: the Gorilla XOR bit stream of the values alone (the first
//                 as 64 bits, then Prometheus' control bits), zero-padded to a byte.
//   int_seq    := varint (g << 3 | transform << 1 | rice), [zigzag varint base], codes
//                 for k integers d_i: g is their greatest common divisor (1024 for /proc/meminfo
//                 bytes, 15000 for regular scrapes; 1 when it does not help) and the codes are
//                 for q_i = d_i / g transformed: 0: q_i; 1: q_i - q_(i-1) (the first minus 0);
//                 2: q_i - base (base: the median, e.g. a counter's usual increment).
//                 rice = 0: tokens (byte-aligned, with zero runs):
//                   token := varint t: t >= 2: the value ZigZagDecode(t - 1); t = 1: one zero;
//                            t = 0 then u8 r: r in 1..127: r + 1 zeros; r = 0: INT64_MIN.
//                 rice = 1: u8 k (<= 56), then per value u = ZigZag(value) the Rice code:
//                   q = u >> k as q ones and a zero, then the k low bits of u; when q >= 16:
//                   16 ones, 6 bits (bit width of u) - 1, then those bits of u;
//                   zero-padded to a byte.
//                 The encoder tries each transform with tokens and with a few k and keeps the
//                 shortest: tokens win for constants and regular scrapes (a few bytes per chunk),
//                 Rice codes for noisy small increments (3-10 bits a sample instead of a byte).
// Each token covers at most 128 samples and each Rice code at least one bit, so count <= 64 *
// chunk size, which bounds what a decoder allocates for a damaged count.
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

// Not thread-safe: owned by the shard worker that appends to the series. 56 bytes plus a buffer
// that grows by half (about 1.3 bytes per sample for scraped data); Clear keeps the buffer for the
// series' next chunk. Meant for chunks of up to a few million samples.
class XorChunk {
 public:
  XorChunk() = default;
  XorChunk(const XorChunk& other);
  XorChunk& operator=(const XorChunk& other);
  XorChunk(XorChunk&& other) noexcept;
  XorChunk& operator=(XorChunk&& other) noexcept;
  ~XorChunk();

  // Precondition: count() == 0 or timestamp_ms > last_ts().
  void Append(int64_t timestamp_ms, double value);

  uint32_t count() const { return count_; }
  int64_t first_ts() const { return first_ts_; }
  int64_t last_ts() const { return last_ts_; }
  // Appends every sample, in order, to `out`.
  void Decode(std::vector<Sample>* out) const;
  size_t MemoryBytes() const { return sizeof(*this) + capacity_; }
  // Bytes of the bit stream (the first timestamp is kept apart, in 8 more bytes).
  size_t SizeBytes() const { return (size_t{bit_size_} + 7) / 8; }
  // Starts loading the byte the next Append writes: appends to many series in turn each miss
  // the cache otherwise.
  void PrefetchTail() const {
    if (data_ != nullptr) __builtin_prefetch(data_ + bit_size_ / 8, 1);
  }
  // Forgets the samples; keeps the buffer.
  void Clear();

 private:
  void WriteBits(uint64_t value, int nbits);
  void Grow(size_t min_bytes);

  uint8_t* data_ = nullptr;  // malloc'ed; bits are written from the most significant one
  uint32_t capacity_ = 0;    // bytes at data_
  uint32_t bit_size_ = 0;    // bits written
  uint32_t count_ = 0;
  uint8_t leading_ = 0xff;  // of the last XOR written with a window; 0xff: none yet
  uint8_t trailing_ = 0;
  int64_t first_ts_ = 0;  // not in the bit stream, which starts with the first value
  int64_t last_ts_ = 0;
  uint64_t last_delta_ = 0;  // last_ts_ - previous timestamp, wrapping
  uint64_t last_value_bits_ = 0;
};

struct ChunkHeader {
  uint32_t count = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
};

// `samples` sorted by timestamp, timestamps unique, fewer than 2^32 (an empty span gives a chunk
// of count 0). Appends to `out`. Thread-safe (scratch space is per thread).
void EncodeChunk(std::span<const Sample> samples, std::string* out);
// Appends the chunk's samples to `out`. Corruption when malformed (never reads out of bounds;
// `out` is then left as it was).
Status DecodeChunk(std::string_view chunk, std::vector<Sample>* out);
bool ReadChunkHeader(std::string_view chunk, ChunkHeader* header);

}  // namespace sluice::storage

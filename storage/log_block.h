// Log blocks: a stream's entries sealed together, sorted by time and compressed. The unit that
// queries read and skip (blocks CF, keyed by storage/keys.h).
//
//   block   := u8 format=1, varint count, varint zigzag(min_ts), varint (max_ts - min_ts),
//              varint line_bytes, varint payload_size, u8 flags (bit 0: has metadata),
//              zstd frame of payload
//   payload := count x varint ts delta (from min_ts, then from the previous entry; sorted, so >= 0)
//              count x varint line length
//              [flags bit 0] count x varint metadata length, then the metadata blobs
//              the lines, concatenated
//
// Timestamps and lengths come first and the lines last, so a scan runs over one contiguous
// buffer of text and maps a hit back to its entry through the lengths.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace sluice::storage {

struct BlockEntry {
  int64_t timestamp_ns = 0;
  std::string_view line;
  std::string_view metadata;  // storage/metadata_codec.h, or ""
};

struct BlockHeader {
  uint64_t count = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  uint64_t line_bytes = 0;    // sum of line lengths
  uint64_t payload_size = 0;  // decompressed payload
  bool has_metadata = false;
};

// Reads the header at the front of an encoded block; `rest` receives the compressed payload.
Status ReadBlockHeader(std::string_view block, BlockHeader* header,
                       std::string_view* rest = nullptr);

// Encodes blocks with one reused zstd context. Not thread-safe: one per writer thread.
class BlockEncoder {
 public:
  explicit BlockEncoder(int zstd_level);
  ~BlockEncoder();
  BlockEncoder(const BlockEncoder&) = delete;
  BlockEncoder& operator=(const BlockEncoder&) = delete;

  // Sorts `entries` by timestamp (stable: equal timestamps keep arrival order) and encodes them.
  // Precondition: !entries.empty().
  Status Encode(std::vector<BlockEntry>& entries, std::string* out, BlockHeader* header);

 private:
  ZSTD_CCtx_s* cctx_;
  int level_;
  std::string payload_;
};

// A decompressed block. Views returned stay valid while the DecodedBlock lives.
class DecodedBlock {
 public:
  // Uses a per-thread zstd context. Corruption on malformed input.
  static Result<DecodedBlock> Decode(std::string_view block);

  size_t size() const { return timestamps_.size(); }
  int64_t timestamp(size_t i) const { return timestamps_[i]; }
  std::string_view line(size_t i) const {
    return std::string_view(payload_).substr(line_offsets_[i],
                                             line_offsets_[i + 1] - line_offsets_[i]);
  }
  std::string_view metadata(size_t i) const;
  const BlockHeader& header() const { return header_; }
  // All lines back to back; line i spans [line_offset(i), line_offset(i + 1)).
  std::string_view lines() const;
  uint64_t line_offset(size_t i) const { return line_offsets_[i] - line_offsets_[0]; }

 private:
  BlockHeader header_;
  std::string payload_;
  std::vector<int64_t> timestamps_;
  std::vector<uint64_t> line_offsets_;      // count + 1 offsets into payload_
  std::vector<uint64_t> metadata_offsets_;  // count + 1 offsets into payload_, or empty
};

}  // namespace sluice::storage

#include "storage/log_block.h"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <limits>

#include "base/coding.h"

namespace sluice::storage {
namespace {

constexpr uint8_t kBlockFormat = 1;
constexpr uint8_t kHasMetadata = 1;

Status Corrupt(std::string_view what) {
  return Status::Corruption(fmt::format("corrupt log block: {}", what));
}

}  // namespace

Status ReadBlockHeader(std::string_view block, BlockHeader* header, std::string_view* rest) {
  if (block.empty() || static_cast<uint8_t>(block[0]) != kBlockFormat) {
    return Corrupt("unknown format");
  }
  block.remove_prefix(1);
  uint64_t min_zz = 0, span = 0;
  if (!GetVarint(block, &header->count) || !GetVarint(block, &min_zz) || !GetVarint(block, &span) ||
      !GetVarint(block, &header->line_bytes) || !GetVarint(block, &header->payload_size) ||
      block.empty()) {
    return Corrupt("truncated header");
  }
  header->min_ts = ZigZagDecode(min_zz);
  // INT64_MAX - min_ts, computed in unsigned arithmetic (it exceeds INT64_MAX when min_ts < 0).
  uint64_t room = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) -
                  static_cast<uint64_t>(header->min_ts);
  if (span > room) {
    return Corrupt("time span out of range");
  }
  // In unsigned arithmetic too: span may exceed INT64_MAX when min_ts is negative.
  header->max_ts = static_cast<int64_t>(static_cast<uint64_t>(header->min_ts) + span);
  header->has_metadata = (static_cast<uint8_t>(block[0]) & kHasMetadata) != 0;
  block.remove_prefix(1);
  if (rest != nullptr) *rest = block;
  return Status::Ok();
}

BlockEncoder::BlockEncoder(int zstd_level) : cctx_(ZSTD_createCCtx()), level_(zstd_level) {
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level_);
}

BlockEncoder::~BlockEncoder() { ZSTD_freeCCtx(cctx_); }

Status BlockEncoder::Encode(std::vector<BlockEntry>& entries, std::string* out,
                            BlockHeader* header) {
  auto earlier = [](const BlockEntry& a, const BlockEntry& b) {
    return a.timestamp_ns < b.timestamp_ns;
  };
  // Entries mostly arrive in order; sorting is only needed when some did not.
  if (!std::is_sorted(entries.begin(), entries.end(), earlier)) {
    std::stable_sort(entries.begin(), entries.end(), earlier);
  }
  BlockHeader h;
  h.count = entries.size();
  h.min_ts = entries.front().timestamp_ns;
  h.max_ts = entries.back().timestamp_ns;
  for (const BlockEntry& e : entries) {
    h.line_bytes += e.line.size();
    h.has_metadata = h.has_metadata || !e.metadata.empty();
  }

  payload_.clear();
  int64_t previous = h.min_ts;
  for (const BlockEntry& e : entries) {
    PutVarint(&payload_, static_cast<uint64_t>(e.timestamp_ns - previous));
    previous = e.timestamp_ns;
  }
  for (const BlockEntry& e : entries) PutVarint(&payload_, e.line.size());
  if (h.has_metadata) {
    for (const BlockEntry& e : entries) PutVarint(&payload_, e.metadata.size());
    for (const BlockEntry& e : entries) payload_.append(e.metadata);
  }
  for (const BlockEntry& e : entries) payload_.append(e.line);
  h.payload_size = payload_.size();

  out->clear();
  out->push_back(static_cast<char>(kBlockFormat));
  PutVarint(out, h.count);
  PutVarint(out, ZigZagEncode(h.min_ts));
  PutVarint(out, static_cast<uint64_t>(h.max_ts - h.min_ts));
  PutVarint(out, h.line_bytes);
  PutVarint(out, h.payload_size);
  out->push_back(static_cast<char>(h.has_metadata ? kHasMetadata : 0));
  size_t header_size = out->size();
  out->resize(header_size + ZSTD_compressBound(payload_.size()));
  size_t n = ZSTD_compress2(cctx_, out->data() + header_size, out->size() - header_size,
                            payload_.data(), payload_.size());
  if (ZSTD_isError(n)) {
    return Status::Internal(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(n)));
  }
  out->resize(header_size + n);
  *header = h;
  return Status::Ok();
}

Result<DecodedBlock> DecodedBlock::Decode(std::string_view block) {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  DecodedBlock d;
  std::string_view compressed;
  SLUICE_RETURN_IF_ERROR(ReadBlockHeader(block, &d.header_, &compressed));
  const BlockHeader& h = d.header_;
  // Each entry takes at least two payload bytes (a delta and a length): a bound for hostile
  // headers.
  if (h.payload_size > (uint64_t{1} << 32) || h.count > h.payload_size / 2) {
    return Corrupt("implausible sizes");
  }
  // The frame must say the same size as the header; memory then grows only with data that really
  // decompresses, so a damaged header cannot make us allocate gigabytes.
  if (ZSTD_getFrameContentSize(compressed.data(), compressed.size()) != h.payload_size) {
    return Corrupt("payload size does not match its frame");
  }
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  d.payload_.resize(std::min<uint64_t>(h.payload_size, 4 << 20));
  size_t produced = 0;
  while (true) {
    ZSTD_outBuffer output{d.payload_.data(), d.payload_.size(), produced};
    size_t ret = ZSTD_decompressStream(dctx.get(), &output, &input);
    if (ZSTD_isError(ret)) return Corrupt("payload does not decompress");
    produced = output.pos;
    if (ret == 0) break;
    if (produced == d.payload_.size()) {
      if (produced >= h.payload_size) return Corrupt("payload longer than its header says");
      d.payload_.resize(std::min<uint64_t>(h.payload_size, produced * 2));
    } else if (input.pos == input.size) {
      return Corrupt("payload is truncated");
    }
  }
  if (produced != h.payload_size || input.pos != input.size)
    return Corrupt("payload does not decompress");

  std::string_view in(d.payload_);
  d.timestamps_.resize(h.count);
  int64_t ts = h.min_ts;
  for (uint64_t i = 0; i < h.count; ++i) {
    uint64_t delta = 0;
    if (!GetVarint(in, &delta)) return Corrupt("truncated timestamps");
    if (delta > static_cast<uint64_t>(h.max_ts) - static_cast<uint64_t>(ts)) {
      return Corrupt("timestamp beyond the block's end");
    }
    ts += static_cast<int64_t>(delta);
    d.timestamps_[i] = ts;
  }
  std::vector<uint64_t> line_lengths(h.count);
  uint64_t total_lines = 0;
  for (uint64_t i = 0; i < h.count; ++i) {
    if (!GetVarint(in, &line_lengths[i])) return Corrupt("truncated line lengths");
    total_lines += line_lengths[i];
  }
  uint64_t offset = d.payload_.size() - in.size();
  if (h.has_metadata) {
    std::vector<uint64_t> meta_lengths(h.count);
    uint64_t total_meta = 0;
    for (uint64_t i = 0; i < h.count; ++i) {
      if (!GetVarint(in, &meta_lengths[i])) return Corrupt("truncated metadata lengths");
      total_meta += meta_lengths[i];
    }
    offset = d.payload_.size() - in.size();
    if (total_meta > in.size()) return Corrupt("metadata overruns the payload");
    d.metadata_offsets_.resize(h.count + 1);
    for (uint64_t i = 0; i < h.count; ++i) {
      d.metadata_offsets_[i] = offset;
      offset += meta_lengths[i];
    }
    d.metadata_offsets_[h.count] = offset;
  }
  if (offset + total_lines != d.payload_.size() || total_lines != h.line_bytes) {
    return Corrupt("line lengths do not add up");
  }
  d.line_offsets_.resize(h.count + 1);
  for (uint64_t i = 0; i < h.count; ++i) {
    d.line_offsets_[i] = offset;
    offset += line_lengths[i];
  }
  d.line_offsets_[h.count] = offset;
  return d;
}

std::string_view DecodedBlock::metadata(size_t i) const {
  if (metadata_offsets_.empty()) return {};
  return std::string_view(payload_).substr(metadata_offsets_[i],
                                           metadata_offsets_[i + 1] - metadata_offsets_[i]);
}

std::string_view DecodedBlock::lines() const {
  if (line_offsets_.empty()) return {};
  return std::string_view(payload_).substr(line_offsets_.front(),
                                           line_offsets_.back() - line_offsets_.front());
}

}  // namespace sluice::storage

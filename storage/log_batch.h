// LogBatch: log entries of one tenant on their way from a decoder to the shards.
//
// Decoders append streams and entries; all bytes (lines, structured metadata) go into one arena
// and entries refer to them by offset, so decoding a request of 1,000 lines costs a handful of
// allocations rather than thousands. Not thread-safe; owned by one worker at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/labels.h"

namespace sluice::storage {

struct TextRef {
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct LogStream {
  Labels labels;  // canonical
  uint64_t fingerprint = 0;
};

struct LogEntry {
  int64_t timestamp_ns = 0;
  uint32_t stream = 0;  // index into LogBatch::streams
  TextRef line;
  // Structured metadata, encoded as in storage/metadata_codec.h ("" when none).
  TextRef metadata;
};

class LogBatch {
 public:
  explicit LogBatch(std::string tenant = {}) : tenant_(std::move(tenant)) {}

  const std::string& tenant() const { return tenant_; }
  void set_tenant(std::string tenant) { tenant_ = std::move(tenant); }

  // Adds a stream with canonical `labels`, or finds the identical one already added.
  uint32_t AddStream(Labels labels);

  // Copies `s` into the arena.
  TextRef Store(std::string_view s);
  std::string_view Text(TextRef ref) const { return {arena_.data() + ref.offset, ref.size}; }

  void AddEntry(uint32_t stream, int64_t timestamp_ns, std::string_view line,
                std::string_view encoded_metadata = {});

  const std::vector<LogStream>& streams() const { return streams_; }
  const std::vector<LogEntry>& entries() const { return entries_; }
  std::vector<LogEntry>& mutable_entries() { return entries_; }
  size_t arena_bytes() const { return arena_.size(); }
  bool empty() const { return entries_.empty(); }
  void Reserve(size_t entries, size_t arena_bytes);
  void Clear();

 private:
  std::string tenant_;
  std::vector<LogStream> streams_;
  std::unordered_multimap<uint64_t, uint32_t> stream_by_fingerprint_;
  std::vector<LogEntry> entries_;
  std::string arena_;
};

}  // namespace sluice::storage

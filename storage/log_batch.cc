#include "storage/log_batch.h"

namespace sluice::storage {

uint32_t LogBatch::AddStream(Labels labels) {
  uint64_t fp = StreamFingerprint(tenant_, labels);
  auto [begin, end] = stream_by_fingerprint_.equal_range(fp);
  for (auto it = begin; it != end; ++it) {
    if (streams_[it->second].labels == labels) return it->second;
  }
  auto index = static_cast<uint32_t>(streams_.size());
  streams_.push_back(LogStream{std::move(labels), fp});
  stream_by_fingerprint_.emplace(fp, index);
  return index;
}

TextRef LogBatch::Store(std::string_view s) {
  TextRef ref{arena_.size(), s.size()};
  arena_.append(s);
  return ref;
}

void LogBatch::AddEntry(uint32_t stream, int64_t timestamp_ns, std::string_view line,
                        std::string_view encoded_metadata) {
  LogEntry e;
  e.timestamp_ns = timestamp_ns;
  e.stream = stream;
  e.line = Store(line);
  if (!encoded_metadata.empty()) e.metadata = Store(encoded_metadata);
  entries_.push_back(e);
}

void LogBatch::Reserve(size_t entries, size_t arena_bytes) {
  entries_.reserve(entries);
  arena_.reserve(arena_bytes);
}

void LogBatch::Clear() {
  streams_.clear();
  stream_by_fingerprint_.clear();
  entries_.clear();
  arena_.clear();
}

}  // namespace sluice::storage

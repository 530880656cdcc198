// Structured metadata of one log entry (Loki's name/value pairs attached to a line, not part of
// the stream's identity), encoded compactly the same way in WAL records, heads and blocks:
//
//   varint pair_count, then pair_count x (varint name_len, name, varint value_len, value)
//
// An entry without metadata stores nothing (the empty string).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::storage {

class MetadataEncoder {
 public:
  void Add(std::string_view name, std::string_view value);
  bool empty() const { return count_ == 0; }
  // The encoded pairs; "" when none were added.
  std::string Finish();
  void Clear();

 private:
  size_t count_ = 0;
  std::string pairs_;
};

// Decodes `encoded`; false if it is malformed.
bool DecodeMetadata(std::string_view encoded,
                    std::vector<std::pair<std::string_view, std::string_view>>* pairs);

}  // namespace sluice::storage

#include "storage/metadata_codec.h"

#include "base/coding.h"

namespace sluice::storage {

void MetadataEncoder::Add(std::string_view name, std::string_view value) {
  PutLengthPrefixed(&pairs_, name);
  PutLengthPrefixed(&pairs_, value);
  ++count_;
}

std::string MetadataEncoder::Finish() {
  if (count_ == 0) return {};
  std::string out;
  PutVarint(&out, count_);
  out += pairs_;
  return out;
}

void MetadataEncoder::Clear() {
  count_ = 0;
  pairs_.clear();
}

bool DecodeMetadata(std::string_view encoded,
                    std::vector<std::pair<std::string_view, std::string_view>>* pairs) {
  pairs->clear();
  if (encoded.empty()) return true;
  uint64_t count = 0;
  if (!GetVarint(encoded, &count) || count > encoded.size()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(encoded, &name) || !GetLengthPrefixed(encoded, &value)) return false;
    pairs->emplace_back(name, value);
  }
  return encoded.empty();
}

}  // namespace sluice::storage

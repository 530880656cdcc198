#include "alerting/alert.h"

namespace sluice::alerting {

uint64_t AlertFingerprint(const storage::Labels& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  constexpr unsigned char kSeparator = 0xff;
  uint64_t hash = kOffset;
  auto mix = [&hash](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= kPrime;
    }
    hash ^= kSeparator;
    hash *= kPrime;
  };
  // Canonical labels are sorted by name, which is the order Alertmanager hashes them in.
  for (const auto& label : labels) {
    mix(label.name);
    mix(label.value);
  }
  return hash;
}

}  // namespace sluice::alerting

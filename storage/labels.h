// Labels: a stream's (or series') identity, a set of name="value" pairs kept sorted by name.
//
// Names follow Prometheus' legacy rule [a-zA-Z_][a-zA-Z0-9_]* (what Loki and Prometheus accept);
// values are any valid UTF-8. The canonical text form is Loki's: {app="x", level="info"}, with
// values escaped as Go's strconv.Quote would for the common cases (\\ \" \n).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::storage {

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

using Labels = std::vector<Label>;

// Sorts by name. Returns InvalidArgument naming the label if a name repeats.
Status Canonicalize(Labels& labels);

namespace detail {
// 1: may start a label name ([a-zA-Z_]); 2: may continue one ([a-zA-Z0-9_]).
inline constexpr std::array<uint8_t, 256> kLabelNameChars = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = 3;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<size_t>(c)] = 3;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = 2;
  t['_'] = 3;
  return t;
}();
}  // namespace detail

// Inline: every label of every sample written is checked.
inline bool IsValidLabelName(std::string_view name) {
  if (name.empty() || (detail::kLabelNameChars[static_cast<unsigned char>(name[0])] & 1) == 0) {
    return false;
  }
  for (char c : name.substr(1)) {
    if ((detail::kLabelNameChars[static_cast<unsigned char>(c)] & 2) == 0) return false;
  }
  return true;
}
bool IsValidUtf8(std::string_view s);

// {a="x", b="y"}; `labels` must be canonical.
std::string LabelsToString(const Labels& labels);
void AppendLabelsString(const Labels& labels, std::string* out);

// The value of `name`, or "" when absent.
std::string_view LabelValue(const Labels& labels, std::string_view name);

// XXH3 of the tenant and the canonical labels: the stream's identity. Stable across versions: it
// decides the shard a stream lives in.
uint64_t StreamFingerprint(std::string_view tenant, const Labels& labels);

}  // namespace sluice::storage

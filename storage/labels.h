// Labels: a stream's (or series') identity, a set of name="value" pairs kept sorted by name.
//
// Names follow Prometheus' legacy rule [a-zA-Z_][a-zA-Z0-9_]* (what Loki and Prometheus accept);
// values are any valid UTF-8. The canonical text form is Loki's: {app="x", level="info"}, with
// values escaped as Go's strconv.Quote would for the common cases (\\ \" \n).
#pragma once

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

bool IsValidLabelName(std::string_view name);
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

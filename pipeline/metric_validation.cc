#include "pipeline/metric_validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "base/utf8.h"

namespace sluice::pipeline {

using storage::LabelView;

namespace {

// Metric name characters: 1 may start one ([a-zA-Z_:]), 2 may continue one ([a-zA-Z0-9_:]).
constexpr std::array<uint8_t, 256> kMetricNameChars = [] {
  std::array<uint8_t, 256> t = storage::detail::kLabelNameChars;
  t[':'] = 3;
  return t;
}();

bool IsMetricNameLabel(std::string_view name) {
  // A fixed-size comparison the compiler inlines, instead of a memcmp call per label.
  return name.size() == 8 && std::memcmp(name.data(), "__name__", 8) == 0;
}

// std::string_view's order, decided on the first byte when that differs (as it almost always
// does between label names) without a memcmp call.
bool NameLess(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

// Whether every name is valid and every value ASCII, all within the length limits: the usual
// case, decided without a branch per byte (an AND over the names' character classes, an OR over
// the values' bytes, which the compiler vectorizes); false sends the caller to the detailed checks.
bool AllLabelsPlainAndWithinLimits(const std::vector<LabelView>& labels,
                                   const MetricLimits& limits) {
  const auto& chars = storage::detail::kLabelNameChars;
  unsigned names_ok = 1;
  unsigned char value_bytes = 0;
  size_t longest_name = 0, longest_value = 0;
  for (const LabelView& l : labels) {
    if (l.name.empty()) return false;
    names_ok &= chars[static_cast<unsigned char>(l.name[0])];
    for (char c : l.name.substr(1)) names_ok &= chars[static_cast<unsigned char>(c)] >> 1;
    for (char c : l.value) value_bytes |= static_cast<unsigned char>(c);
    longest_name = std::max(longest_name, l.name.size());
    longest_value = std::max(longest_value, l.value.size());
  }
  return (names_ok & 1) != 0 && value_bytes < 0x80 &&
         longest_name <= static_cast<size_t>(std::max(limits.max_label_name_length, 0)) &&
         longest_value <= static_cast<size_t>(std::max(limits.max_label_value_length, 0));
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || (kMetricNameChars[static_cast<unsigned char>(name[0])] & 1) == 0) {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(), [](char c) {
    return (kMetricNameChars[static_cast<unsigned char>(c)] & 2) != 0;
  });
}

std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  for (char c : name) {
    out.push_back((kMetricNameChars[static_cast<unsigned char>(c)] & 2) != 0 ? c : '_');
  }
  return out;
}

// Runs for every series of every request, so the usual case (sorted, no empty values, names
// unique, ASCII) costs one pass over the labels; the messages are built only on failure.
Status ValidateSeriesLabels(std::vector<LabelView>& labels, const MetricLimits& limits) {
  bool sorted = true;  // strictly: names also unique
  bool any_empty = false;
  for (size_t i = 0; i < labels.size(); ++i) {
    any_empty |= labels[i].value.empty();
    if (i > 0 && !NameLess(labels[i - 1].name, labels[i].name)) sorted = false;
  }
  // In Prometheus an empty value is the same as no label.
  if (any_empty) std::erase_if(labels, [](const LabelView& l) { return l.value.empty(); });
  // Senders usually sort already (Prometheus does).
  if (!sorted) {
    std::sort(labels.begin(), labels.end(),
              [](const LabelView& a, const LabelView& b) { return NameLess(a.name, b.name); });
  }
  std::string_view metric;
  for (const LabelView& l : labels) {
    if (IsMetricNameLabel(l.name)) {
      metric = l.value;
      break;
    }
  }
  if (metric.empty()) {
    return Status::InvalidArgument("series has no metric name (__name__ label)");
  }
  if (!IsValidMetricName(metric)) {  // ASCII only, so valid UTF-8 too
    return Status::InvalidArgument(fmt::format(
        "invalid metric name '{}' (metric names match [a-zA-Z_:][a-zA-Z0-9_:]*)", metric));
  }
  if (static_cast<int>(labels.size()) > limits.max_labels_per_series) {
    return Status::InvalidArgument(
        fmt::format("series '{}' has {} labels; limit {} (limits.max_labels_per_series)", metric,
                    labels.size(), limits.max_labels_per_series));
  }
  if (sorted && AllLabelsPlainAndWithinLimits(labels, limits)) return Status::Ok();
  // Something is wrong, or a value is not ASCII: label by label, to name what.
  for (size_t i = 0; i < labels.size(); ++i) {
    const LabelView& l = labels[i];
    if (!storage::IsValidLabelName(l.name)) {
      return Status::InvalidArgument(fmt::format(
          "series '{}' has invalid label name '{}' (label names match [a-zA-Z_][a-zA-Z0-9_]*)",
          metric, l.name));
    }
    if (static_cast<int>(l.name.size()) > limits.max_label_name_length) {
      return Status::InvalidArgument(
          fmt::format("series '{}' has label name too long: '{}' (limits.max_label_name_length {})",
                      metric, l.name, limits.max_label_name_length));
    }
    if (static_cast<int>(l.value.size()) > limits.max_label_value_length) {
      return Status::InvalidArgument(fmt::format(
          "series '{}' has label value too long for '{}' ({} bytes; limits.max_label_value_length "
          "{})",
          metric, l.name, l.value.size(), limits.max_label_value_length));
    }
    if (!IsValidUtf8(l.value)) {
      return Status::InvalidArgument(fmt::format(
          "series '{}' has a value of label '{}' that is not valid UTF-8", metric, l.name));
    }
    if (!sorted && i > 0 && labels[i - 1].name == l.name) {
      return Status::InvalidArgument(
          fmt::format("series '{}' has duplicate label name '{}'", metric, l.name));
    }
  }
  return Status::Ok();
}

void MetricDecodeResult::Reject(std::string reason, int64_t samples) {
  if (rejected_series == 0) first_error = std::move(reason);
  ++rejected_series;
  rejected_samples += samples;
}

}  // namespace sluice::pipeline

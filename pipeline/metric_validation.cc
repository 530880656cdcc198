#include "pipeline/metric_validation.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::pipeline {

using storage::LabelView;

namespace {

bool IsNameChar(char c, bool colon, bool digit) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (digit && c >= '0' && c <= '9');
}

std::string_view MetricNameOf(const std::vector<LabelView>& labels) {
  for (const LabelView& l : labels) {
    if (l.name == "__name__") return l.value;
  }
  return {};
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !IsNameChar(name[0], true, false)) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return IsNameChar(c, true, true); });
}

std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  for (char c : name) out.push_back(IsNameChar(c, true, true) ? c : '_');
  return out;
}

Status ValidateSeriesLabels(std::vector<LabelView>& labels, const MetricLimits& limits) {
  std::erase_if(labels, [](const LabelView& l) { return l.value.empty(); });
  auto by_name = [](const LabelView& a, const LabelView& b) { return a.name < b.name; };
  // Senders usually sort already (Prometheus does).
  if (!std::is_sorted(labels.begin(), labels.end(), by_name)) {
    std::sort(labels.begin(), labels.end(), by_name);
  }
  std::string_view metric = MetricNameOf(labels);
  if (metric.empty()) {
    return Status::InvalidArgument("series has no metric name (__name__ label)");
  }
  if (!IsValidMetricName(metric) || !storage::IsValidUtf8(metric)) {
    return Status::InvalidArgument(fmt::format(
        "invalid metric name '{}' (metric names match [a-zA-Z_:][a-zA-Z0-9_:]*)", metric));
  }
  if (static_cast<int>(labels.size()) > limits.max_labels_per_series) {
    return Status::InvalidArgument(
        fmt::format("series '{}' has {} labels; limit {} (limits.max_labels_per_series)", metric,
                    labels.size(), limits.max_labels_per_series));
  }
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
    if (!storage::IsValidUtf8(l.value)) {
      return Status::InvalidArgument(fmt::format(
          "series '{}' has a value of label '{}' that is not valid UTF-8", metric, l.name));
    }
    if (i > 0 && labels[i - 1].name == l.name) {
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

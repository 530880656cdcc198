#include "pipeline/stream_validation.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::pipeline {

using storage::Label;
using storage::Labels;

Status ValidateStreamLabels(Labels& labels, const IngestLimits& limits) {
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  if (labels.empty()) {
    labels.push_back(Label{"service_name", "unknown_service"});
    return Status::Ok();
  }
  if (static_cast<int>(labels.size()) > limits.max_labels_per_stream) {
    return Status::InvalidArgument(fmt::format(
        "entry for stream '{}' has {} label names; limit {} (limits.max_labels_per_stream)",
        storage::LabelsToString(labels), labels.size(), limits.max_labels_per_stream));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    if (!storage::IsValidLabelName(l.name)) {
      return Status::InvalidArgument(fmt::format(
          "stream '{}' has invalid label name: '{}' (label names match [a-zA-Z_][a-zA-Z0-9_]*)",
          storage::LabelsToString(labels), l.name));
    }
    if (static_cast<int>(l.name.size()) > limits.max_label_name_length) {
      return Status::InvalidArgument(
          fmt::format("stream '{}' has label name too long: '{}' (limits.max_label_name_length)",
                      storage::LabelsToString(labels), l.name));
    }
    if (static_cast<int>(l.value.size()) > limits.max_label_value_length) {
      return Status::InvalidArgument(
          fmt::format("stream '{}' has label value too long: '{}' (limits.max_label_value_length)",
                      storage::LabelsToString(labels), l.value));
    }
    if (!storage::IsValidUtf8(l.value)) {
      return Status::InvalidArgument(
          fmt::format("stream '{}' has label value that is not valid UTF-8: {}",
                      storage::LabelsToString(labels), l.name));
    }
    if (i > 0 && labels[i - 1].name == l.name) {
      return Status::InvalidArgument(fmt::format("stream '{}' has duplicate label name: '{}'",
                                                 storage::LabelsToString(labels), l.name));
    }
  }
  return Status::Ok();
}

Status CheckLine(std::string_view& line, const Labels& stream, const IngestLimits& limits) {
  if (limits.max_line_bytes == 0 || line.size() <= limits.max_line_bytes) return Status::Ok();
  if (limits.truncate_lines) {
    line = line.substr(0, limits.max_line_bytes);
    return Status::Ok();
  }
  return Status::InvalidArgument(fmt::format(
      "Max entry size '{}' bytes exceeded for stream '{}' while adding an entry with length '{}' "
      "bytes (limits.max_line_bytes)",
      limits.max_line_bytes, storage::LabelsToString(stream), line.size()));
}

Status CheckMetadata(std::string_view encoded, int entries, const Labels& stream,
                     const IngestLimits& limits) {
  if (entries > limits.max_metadata_entries) {
    return Status::InvalidArgument(
        fmt::format("stream '{}' has too many structured metadata labels: '{}', limit: '{}' "
                    "(limits.max_metadata_entries)",
                    storage::LabelsToString(stream), entries, limits.max_metadata_entries));
  }
  if (encoded.size() > limits.max_metadata_bytes) {
    return Status::InvalidArgument(
        fmt::format("stream '{}' has structured metadata too large: '{}' bytes, limit: '{}' bytes "
                    "(limits.max_metadata_bytes)",
                    storage::LabelsToString(stream), encoded.size(), limits.max_metadata_bytes));
  }
  return Status::Ok();
}

std::string_view SanitizeLabelName(std::string_view name, std::string* out) {
  if (storage::IsValidLabelName(name)) return name;
  *out = SanitizeLabelName(name);
  return *out;
}

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') out.push_back('_');
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out;
}

}  // namespace sluice::pipeline

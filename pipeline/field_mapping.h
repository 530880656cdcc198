// FieldMapping: how a JSON document (an Elasticsearch bulk document, a JSON line, a TCP line)
// becomes a log entry. VictoriaLogs' names for the per-request settings:
//
//   _msg_field     / VL-Msg-Field      comma-separated: the first non-empty field is the line
//   _time_field    / VL-Time-Field     comma-separated: the first present field is the timestamp
//   _stream_fields / VL-Stream-Fields  comma-separated: these fields' values are the stream labels
//   ignore_fields  / VL-Ignore-Fields  comma-separated names, or prefixes ending in '*': dropped
//   extra_fields   / VL-Extra-Fields   comma-separated name=value: added to every entry
//
// A query argument wins over the header, the header over the config, the config over the
// defaults below. Every other field becomes structured metadata. Nested objects are flattened
// with dots ("log.file.path"); label and metadata names then have every character outside
// [a-zA-Z0-9_] replaced by '_' ("log_file_path") so LogQL can name them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sluice::pipeline {

struct FieldMapping {
  std::vector<std::string> msg_fields{"message", "msg", "log", "_msg"};
  std::vector<std::string> time_fields{"@timestamp", "_time", "timestamp", "time", "ts"};
  std::vector<std::string> stream_fields;
  std::vector<std::string> ignore_fields;
  std::vector<std::pair<std::string, std::string>> extra_fields;

  bool operator==(const FieldMapping&) const = default;
};

// Splits "a, b,,c" into {"a", "b", "c"}.
std::vector<std::string> SplitFieldList(std::string_view list);

// Parses "name=value,name2=value2"; InvalidArgument naming the bad entry.
Result<std::vector<std::pair<std::string, std::string>>> ParseExtraFields(std::string_view list);

// True if `name` is listed in `patterns` (exactly, or by a "prefix*" pattern).
bool FieldMatches(const std::vector<std::string>& patterns, std::string_view name);

}  // namespace sluice::pipeline

// Parses a stream's labels written as Prometheus/Loki text: {job="api", level="info"}.
//
// This is what Loki's protobuf push sends for each stream (Prometheus' ParseMetric grammar): an
// optional metric name (it becomes __name__), then a brace-enclosed, comma-separated list of
// name="value" with an optional trailing comma. Values may be "double-quoted" or 'single-quoted'
// with Go escapes (\n \t \" \\ \xHH \uHHHH ...) or `raw`. Only = is allowed.
#pragma once

#include <string_view>

#include "base/result.h"
#include "storage/labels.h"

namespace sluice::pipeline {

// Errors read "couldn't parse labels: 1:<column>: parse error: <what>", as Loki 3 writes them.
Result<storage::Labels> ParseLabelString(std::string_view text);

// Unquotes a Go-style quoted string starting at text[*pos] (", ' or `); advances *pos past it.
Result<std::string> UnquoteGoString(std::string_view text, size_t* pos);

}  // namespace sluice::pipeline

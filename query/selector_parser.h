// Parses a stream or series selector, `{app="api", level=~"warn|error"}`, optionally preceded by
// a metric name (PromQL: `up{job="x"}` means __name__="up"), into label matchers.
//
// Values are "double-quoted", 'single-quoted' (Go escapes) or `raw`. Errors point at the column:
// "parse error at line 1, col 7: unexpected ..." as Prometheus and Loki write them.
#pragma once

#include <string_view>

#include "base/result.h"
#include "storage/label_matcher.h"

namespace sluice::query {

Result<storage::LabelMatchers> ParseSelector(std::string_view text);

}  // namespace sluice::query

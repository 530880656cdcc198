// Parses Prometheus' text exposition format (version 0.0.4) strictly enough to catch a malformed
// /metrics page: every line must be a comment, blank, or `name{label="value",...} value`.
#pragma once

#include <map>
#include <string>

#include "base/result.h"

namespace sluice::testing {

// Series key: the name followed by its labels exactly as written, e.g. `x_total{code="200"}`.
using PrometheusSamples = std::map<std::string, double>;

Result<PrometheusSamples> ParsePrometheusText(const std::string& text);

}  // namespace sluice::testing

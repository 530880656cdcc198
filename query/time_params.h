// Time parameters of the query APIs (start, end, time), accepted the way both Loki and Prometheus
// accept them: RFC 3339, a number with a fraction (seconds), or an integer read as Loki reads it
// (up to 10 digits: seconds, more: nanoseconds).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace sluice::query {

Result<int64_t> ParseQueryTime(std::string_view text);

}  // namespace sluice::query

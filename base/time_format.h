// Wall-clock times as text.
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

// RFC 3339 in UTC with as many fractional digits as needed (at most 9), as Go's
// time.RFC3339Nano prints: "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05Z".
std::string FormatRfc3339Nano(int64_t unix_ns);
void AppendRfc3339Nano(int64_t unix_ns, std::string* out);

}  // namespace sluice

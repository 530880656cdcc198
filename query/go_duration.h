// Go's time.ParseDuration, with Go's error texts, for everything that reads durations the way a
// Go program does: LogQL's duration literals (after Prometheus' syntax), the `duration` and
// `duration_seconds` conversions and label filters, and the template function `duration`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::query {

// time.ParseDuration: a signed sequence of decimal numbers, each with an optional fraction and a
// unit ("ns", "us", "µs", "μs", "ms", "s", "m", "h"): "300ms", "-1.5h", "2h45m"; a bare "0" is
// zero. Nanoseconds, or an InvalidArgument with Go's message: `time: invalid duration "x"`,
// `time: unknown unit "d" in duration "1d"`, `time: missing unit in duration "10"`.
Result<int64_t> ParseGoDuration(std::string_view text);

// The time package's own quote() of its error messages: like strconv.Quote for printable ASCII,
// but every byte that is not (control or non-ASCII, even valid UTF-8) is a \xNN escape.
std::string GoTimeQuote(std::string_view s);

}  // namespace sluice::query

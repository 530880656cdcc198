// Parsing and printing of durations and byte sizes as they appear in configs and query parameters.
//
// Durations follow Prometheus' model.Duration ("1h30m", "5m", "30s", "100ms", "2d", "1w", "1y";
// units from largest to smallest, each at most once) extended with what Go's time.ParseDuration,
// used by Loki's config, also accepts: fractions ("1.5h") and the units "us", "µs" and "ns". A bare
// "0" is zero. One day is 24h, one week 7d and one year 365d, as in Prometheus.
//
// Sizes follow go-humanize's ParseBytes, which Loki's config uses: a number (fractions allowed), an
// optional space, and a case-insensitive unit: B, kB/KB/K = 1000, KiB/Ki = 1024, and so on up to
// EiB. No unit means bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice {

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);
Result<uint64_t> ParseByteSize(std::string_view text);

// The shortest exact Prometheus-style spelling: "1h30m", "250ms", "0s".
std::string FormatDuration(std::chrono::nanoseconds d);

// Exact binary units when they fit ("256KiB", "1GiB"), else plain bytes ("1000B").
std::string FormatByteSize(uint64_t bytes);

}  // namespace sluice

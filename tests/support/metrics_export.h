// The metrics integration tests' view of stored series: what /api/v1/export (VictoriaMetrics JSON
// lines) returns, parsed into label maps and value bits, and the helpers to ask for it and to
// print it.
//
// Values are compared by their bits, so that a decoded export must be bit-identical to what was
// written; every NaN that is not Prometheus' stale marker is one value (kPlainNaNBits), since
// JSON carries no NaN payloads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "storage/metric_batch.h"

namespace sluice::testing {

// A series' identity (label name -> value, names sorted) and its samples by time.
using SeriesKey = std::map<std::string, std::string>;
using SeriesSamples = std::map<int64_t, uint64_t>;  // timestamp (ms) -> value bits
using SeriesData = std::map<SeriesKey, SeriesSamples>;

inline constexpr uint64_t kStaleBits = storage::kStaleNaNBits;
inline constexpr uint64_t kPlainNaNBits = 0x7ff8000000000000ULL;

// The bits of `v`, with every NaN but the stale marker as kPlainNaNBits.
uint64_t ValueBits(double v);
// "stale", or the value as fmt prints a double.
std::string ValueText(uint64_t bits);
// {name="value", ...}
std::string KeyText(const SeriesKey& key);

// Percent-encodes everything but RFC 3986's unreserved characters, for a query parameter.
std::string UrlEncode(std::string_view s);

// An export body, parsed. `error` says what was wrong with it (the first line that is not VM's
// format, a series exported twice, timestamps not strictly increasing); "" when nothing was.
struct ParsedExport {
  SeriesData data;
  size_t lines = 0;
  std::string error;
};
ParsedExport ParseExport(const std::string& body);

}  // namespace sluice::testing

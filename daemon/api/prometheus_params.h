// Prometheus' HTTP API parameters, read exactly as Prometheus 2.42 (Go) reads them: times
// (parseTime: Unix seconds rounded to milliseconds, or RFC 3339), durations (parseDuration:
// seconds or `1h30m`), limits (strconv.Atoi), and the conversions of a time to the milliseconds
// Prometheus hands to storage and to its engine, which wrap around for absurd inputs just as
// Go's int64 arithmetic does. Error texts are Prometheus' own, quoted as Go's %q quotes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "query/promql_lexer.h"

namespace sluice::daemon::promapi {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

// A time as Go's time.Unix(sec, nsec) holds it. The conversions below wrap around exactly as
// Prometheus' do, so that absurd inputs (milliseconds sent as seconds, Inf) give its answers.
struct GoTime {
  int64_t sec = 0;
  int64_t nsec = 0;  // [0, 1e9)
};

// time.Unix(sec, nsec): nsec outside [0, 1e9) carried into sec.
GoTime GoUnix(int64_t sec, int64_t nsec);

// Prometheus' minTime and maxTime, the defaults of optional start and end; clients send them as
// "-292273086-05-16T16:47:06Z" and "292277025-08-18T07:12:54.999999999Z".
inline constexpr GoTime kMinTime{-9223309901257974, 0};
inline constexpr GoTime kMaxTime{9223309901257974, 999'999'999};

// timestamp.FromTime: the milliseconds Prometheus hands to storage (series, labels).
int64_t StorageMs(GoTime t);
// t.UnixNano() / 1e6: the milliseconds Prometheus' engine evaluates at.
int64_t EngineMs(GoTime t);

// a.Before(b).
bool Before(GoTime a, GoTime b);

// end.Sub(start) in nanoseconds, saturated as Go's Time.Sub saturates.
int64_t SubNs(GoTime end, GoTime start);

// Go's strconv.Quote, as the parser quotes tokens in its errors.
using query::promql::GoQuote;

// Prometheus' parseTime: Unix seconds (rounded to milliseconds) or RFC 3339.
Result<GoTime> ParseTime(std::string_view s);

// Prometheus' parseDuration, in nanoseconds: seconds with a fraction, or `1h30m`.
Result<int64_t> ParseDurationNs(std::string_view s);

// strconv.Atoi.
Result<int64_t> GoAtoi(std::string_view s);

// The `limit` of series, labels, label values and queries (Prometheus 2.49+): 0 means none.
Result<size_t> ParseLimit(std::string_view s);

}  // namespace sluice::daemon::promapi

#include "daemon/api/prometheus_params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "query/go_numbers.h"
#include "query/promql_parser.h"

namespace sluice::daemon::promapi {
namespace {

using query::GoFloatToInt64;
using query::GoParseFloat;

int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// time.Parse(time.RFC3339Nano, s). Years of more than four digits, and negative ones, are also
// read: Prometheus' own min and max times ("-292273086-05-16T16:47:06Z") and clients' variants.
std::optional<GoTime> ParseRfc3339(std::string_view s) {
  size_t i = 0;
  auto digits = [&](size_t min_n, size_t max_n) -> std::optional<int64_t> {
    size_t start = i;
    int64_t v = 0;
    while (i < s.size() && i - start < max_n && s[i] >= '0' && s[i] <= '9')
      v = v * 10 + (s[i++] - '0');
    if (i - start < min_n) return std::nullopt;
    return v;
  };
  auto expect = [&](char c) { return i < s.size() && s[i++] == c; };
  bool negative_year = i < s.size() && s[i] == '-';
  if (negative_year) ++i;
  std::optional<int64_t> year = digits(4, 9);
  if (!year || !expect('-')) return std::nullopt;
  std::optional<int64_t> month = digits(2, 2);
  if (!month || !expect('-')) return std::nullopt;
  std::optional<int64_t> day = digits(2, 2);
  if (!day || !expect('T')) return std::nullopt;
  std::optional<int64_t> hour = digits(1, 2);
  if (!hour || !expect(':')) return std::nullopt;
  std::optional<int64_t> minute = digits(2, 2);
  if (!minute || !expect(':')) return std::nullopt;
  std::optional<int64_t> second = digits(2, 2);
  if (!second) return std::nullopt;
  int64_t nsec = 0;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && s[i + 1] >= '0' && s[i + 1] <= '9') {
    ++i;
    int n = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n) {
      if (n == 9) return std::nullopt;  // Go 1.19 refuses digits beyond nanoseconds
      nsec = nsec * 10 + (s[i] - '0');
    }
    for (; n < 9; ++n) nsec *= 10;
  }
  int64_t offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i++] == '-' ? -1 : 1;
    std::optional<int64_t> oh = digits(2, 2);
    if (!oh || !expect(':')) return std::nullopt;
    std::optional<int64_t> om = digits(2, 2);
    if (!om) return std::nullopt;
    offset = sign * (*oh * 3600 + *om * 60);
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  int64_t y = negative_year ? -*year : *year;
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 ||
      *day > kDays[*month - 1] + (leap && *month == 2 ? 1 : 0) || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  return GoTime{days * 86400 + *hour * 3600 + *minute * 60 + *second - offset, nsec};
}

}  // namespace

GoTime GoUnix(int64_t sec, int64_t nsec) {
  if (nsec < 0 || nsec >= kNanosPerSecond) {
    int64_t n = nsec / kNanosPerSecond;
    sec = WrapAdd(sec, n);
    nsec -= n * kNanosPerSecond;
    if (nsec < 0) {
      nsec += kNanosPerSecond;
      sec = WrapAdd(sec, -1);
    }
  }
  return {sec, nsec};
}

int64_t StorageMs(GoTime t) { return WrapAdd(WrapMul(t.sec, 1000), t.nsec / 1'000'000); }
int64_t EngineMs(GoTime t) { return WrapAdd(WrapMul(t.sec, kNanosPerSecond), t.nsec) / 1'000'000; }

bool Before(GoTime a, GoTime b) { return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec); }

int64_t SubNs(GoTime end, GoTime start) {
  int64_t sec = 0;
  int64_t ns = 0;
  if (__builtin_sub_overflow(end.sec, start.sec, &sec) ||
      __builtin_mul_overflow(sec, kNanosPerSecond, &ns) ||
      __builtin_add_overflow(ns, end.nsec - start.nsec, &ns)) {
    return Before(end, start) ? std::numeric_limits<int64_t>::min()
                              : std::numeric_limits<int64_t>::max();
  }
  return ns;
}

Result<GoTime> ParseTime(std::string_view s) {
  if (std::optional<double> f = GoParseFloat(s)) {
    double whole = 0;
    double frac = std::modf(*f, &whole);
    if (std::isinf(*f)) frac = std::numeric_limits<double>::quiet_NaN();  // Go's Modf(±Inf)
    frac = std::round(frac * 1000) / 1000;
    return GoUnix(GoFloatToInt64(whole), GoFloatToInt64(frac * 1e9));
  }
  if (std::optional<GoTime> t = ParseRfc3339(s)) return *t;
  return Status::InvalidArgument(fmt::format("cannot parse {} to a valid timestamp", GoQuote(s)));
}

Result<int64_t> ParseDurationNs(std::string_view s) {
  if (std::optional<double> f = GoParseFloat(s)) {
    double ns = *f * 1e9;
    if (ns > 9223372036854775808.0 || ns < -9223372036854775808.0) {
      return Status::InvalidArgument(
          fmt::format("cannot parse {} to a valid duration. It overflows int64", GoQuote(s)));
    }
    return GoFloatToInt64(ns);
  }
  Result<int64_t> ms = query::promql::ParseDuration(s, /*allow_zero=*/true);
  if (ms.ok() && *ms <= std::numeric_limits<int64_t>::max() / 1'000'000) return *ms * 1'000'000;
  return Status::InvalidArgument(fmt::format("cannot parse {} to a valid duration", GoQuote(s)));
}

Result<int64_t> GoAtoi(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("strconv.Atoi: parsing \"\": invalid syntax");
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data() + (s[0] == '+' ? 1 : 0), s.data() + s.size(), v);
  bool syntax = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
  if (!syntax || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return Status::InvalidArgument(
        fmt::format("strconv.Atoi: parsing {}: invalid syntax", GoQuote(s)));
  }
  if (ec == std::errc::result_out_of_range || end != s.data() + s.size()) {
    return Status::InvalidArgument(
        fmt::format("strconv.Atoi: parsing {}: value out of range", GoQuote(s)));
  }
  return v;
}

Result<size_t> ParseLimit(std::string_view s) {
  if (s.empty()) return size_t{0};
  SLUICE_ASSIGN_OR_RETURN(int64_t limit, GoAtoi(s));
  if (limit < 0) return Status::InvalidArgument("limit must be non-negative");
  return static_cast<size_t>(limit);
}

}  // namespace sluice::daemon::promapi

// Go runtime behaviours that PromQL answers depend on, reproduced for Prometheus 2.42 as Debian
// builds it (Go 1.19): math.Log/Log2/Log10/Max/Min (which round or order differently from the C
// library), the calendar of time.Unix(s, 0).UTC() (also for absurd seconds) and
// strconv.FormatFloat. Go's ParseFloat and float64 -> int64 conversion, which the HTTP API also
// needs, are in go_numbers.h; strconv.Quote is promql::GoQuote (promql_lexer.h).
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <numbers>
#include <span>
#include <string>
#include <string_view>

#include "query/go_numbers.h"
#include "query/promql_lexer.h"  // GoQuote: strconv.Quote

namespace sluice::query::promql::internal {

// Go's math.Max and math.Min (NaN wins; signed zeros ordered).
inline double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
inline double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

// Go's math.Log (FreeBSD's algorithm), which rounds differently from the C library's.
inline double GoLog(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kL1 = 6.666666666666735130e-01, kL2 = 3.999999999940941908e-01,
                   kL3 = 2.857142874366239149e-01, kL4 = 2.222219843214978396e-01,
                   kL5 = 1.818357216161805012e-01, kL6 = 1.531383769920937332e-01,
                   kL7 = 1.479819860511658591e-01;
  if (std::isnan(x) || (std::isinf(x) && x > 0)) return x;
  if (x < 0) return std::nan("");
  if (x == 0) return -INFINITY;
  int ki;
  double f1 = std::frexp(x, &ki);
  if (f1 < std::numbers::sqrt2 / 2) {
    f1 *= 2;
    --ki;
  }
  double f = f1 - 1;
  double k = ki;
  double s = f / (2 + f);
  double s2 = s * s;
  double s4 = s2 * s2;
  double t1 = s2 * (kL1 + s4 * (kL3 + s4 * (kL5 + s4 * kL7)));
  double t2 = s4 * (kL2 + s4 * (kL4 + s4 * kL6));
  double r = t1 + t2;
  double hfsq = 0.5 * f * f;
  return k * kLn2Hi - ((hfsq - (s * (hfsq + r) + k * kLn2Lo)) - f);
}

// Go's math.Log2 and math.Log10 (1/Ln2 and 1/Ln10 rounded from the exact constants).
inline double GoLog2(double x) {
  int exp;
  double frac = std::frexp(x, &exp);
  if (frac == 0.5) return exp - 1;
  return GoLog(frac) * 1.44269504088896340735992468100189214 + exp;
}
inline double GoLog10(double x) { return GoLog(x) * 0.434294481903251827651128918916605082; }

// Go 1.19's time.Unix(sec, 0).UTC() calendar fields, including its wrap-around for absurd
// seconds (vector(NaN) and friends).
struct GoDate {
  int64_t year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  int yday = 0;   // 0-based
  uint64_t abs = 0;
};
constexpr uint64_t kSecondsPerDay = 86400;

inline bool IsLeap(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

inline GoDate GoDateOf(int64_t unix_seconds) {
  constexpr int64_t kUnixToInternal = 62135596800;
  constexpr int64_t kInternalToAbsolute = 9223371966579724800;
  constexpr int64_t kAbsoluteZeroYear = -292277022399;
  GoDate date;
  date.abs = static_cast<uint64_t>(unix_seconds) +
             static_cast<uint64_t>(kUnixToInternal + kInternalToAbsolute);
  uint64_t d = date.abs / kSecondsPerDay;
  uint64_t n = d / 146097;
  uint64_t y = 400 * n;
  d -= 146097 * n;
  n = d / 36524;
  n -= n >> 2;
  y += 100 * n;
  d -= 36524 * n;
  n = d / 1461;
  y += 4 * n;
  d -= 1461 * n;
  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;
  date.year = static_cast<int64_t>(y) + kAbsoluteZeroYear;
  date.yday = static_cast<int>(d);
  int day = date.yday;
  if (IsLeap(date.year)) {
    if (day > 31 + 29 - 1) {
      --day;
    } else if (day == 31 + 29 - 1) {
      date.month = 2;
      date.day = 29;
      return date;
    }
  }
  static constexpr int kDaysBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
  int month = day / 31;
  int begin;
  if (day >= kDaysBefore[month + 1]) {
    ++month;
    begin = kDaysBefore[month];
  } else {
    begin = kDaysBefore[month];
  }
  date.month = month + 1;
  date.day = day - begin + 1;
  return date;
}

namespace go_detail {

// Shortest round-trip digits of a finite double: sign, digits without a point, and the
// exponent of the first digit.
struct Digits {
  bool negative = false;
  std::string digits;
  int exponent = 0;
};

inline Digits ShortestDigits(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  Digits d;
  if (s[0] == '-') {
    d.negative = true;
    s.remove_prefix(1);
  }
  size_t e = s.find('e');
  for (char c : s.substr(0, e)) {
    if (c != '.') d.digits.push_back(c);
  }
  d.exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
  return d;
}

inline std::string_view NonFinite(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

}  // namespace go_detail

// strconv.FormatFloat(v, 'f', -1, 64): count_values' label values.
inline std::string GoFormatFloatF(double v) {
  if (!std::isfinite(v)) return std::string(go_detail::NonFinite(v));
  go_detail::Digits d = go_detail::ShortestDigits(v);
  std::string out = d.negative ? "-" : "";
  const int n = static_cast<int>(d.digits.size());
  const int point = d.exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += d.digits;
  } else if (point >= n) {
    out += d.digits;
    out.append(static_cast<size_t>(point - n), '0');
  } else {
    out += d.digits.substr(0, static_cast<size_t>(point));
    out += '.';
    out += d.digits.substr(static_cast<size_t>(point));
  }
  return out;
}

// fmt's %v of a float64 (the shortest %g).
inline std::string GoFormatFloatV(double v) {
  if (!std::isfinite(v)) return std::string(go_detail::NonFinite(v));
  go_detail::Digits d = go_detail::ShortestDigits(v);
  if (d.exponent < -4 || d.exponent >= 6) {  // %e for the shortest %g
    std::string out = d.negative ? "-" : "";
    out += d.digits[0];
    if (d.digits.size() > 1) out += "." + d.digits.substr(1);
    out += fmt::format("e{}{:02d}", d.exponent < 0 ? '-' : '+', std::abs(d.exponent));
    return out;
  }
  return GoFormatFloatF(v);
}

// Go's Regexp.Expand of a label_replace() replacement: $1, ${1}, $name, ${name}, $$.
inline std::string GoExpand(std::string_view tmpl, std::span<const std::string_view> groups,
                            const std::map<std::string, int>& named_groups) {
  std::string out;
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    bool brace = !tmpl.empty() && tmpl[0] == '{';
    std::string_view rest = brace ? tmpl.substr(1) : tmpl;
    size_t i = 0;
    while (i < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[i])) ||
                               rest[i] == '_' || static_cast<unsigned char>(rest[i]) >= 0x80)) {
      ++i;
    }
    if (i == 0 || (brace && (i >= rest.size() || rest[i] != '}'))) {
      out.push_back('$');  // malformed: the $ is literal text
      continue;
    }
    std::string_view name = rest.substr(0, i);
    tmpl = rest.substr(i + (brace ? 1 : 0));
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100'000'000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    if (num < 0) {
      auto it = named_groups.find(std::string(name));
      if (it == named_groups.end()) continue;
      num = it->second;
    }
    if (static_cast<size_t>(num) < groups.size() && groups[static_cast<size_t>(num)].data()) {
      out.append(groups[static_cast<size_t>(num)]);
    }
  }
  out.append(tmpl);
  return out;
}

}  // namespace sluice::query::promql::internal

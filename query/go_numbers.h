// Go's number conversions that Prometheus' answers depend on, for the PromQL engine (histogram
// buckets' `le`, date functions) and for the HTTP API's parameters (times, durations), which
// must read and convert numbers exactly as Prometheus 2.42 (Go 1.19) does.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::query {

// Go's float64 -> int64 on amd64: NaN and out-of-range values give math.MinInt64.
inline int64_t GoFloatToInt64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(d);
}

namespace go_numbers_detail {

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

// Go's underscoreOK: underscores only between digits, or after a base prefix.
inline bool GoUnderscoresOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' && std::strchr("bBoOxX", s[1]) != nullptr) {
    i = 2;
    saw = '0';
    hex = s[1] == 'x' || s[1] == 'X';
  }
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) ||
        (hex && std::isxdigit(static_cast<unsigned char>(s[i])))) {
      saw = '0';
    } else if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

}  // namespace go_numbers_detail

// strconv.ParseFloat(s, 64): decimal and hexadecimal (with a p exponent) numbers, with Go's
// digit-separating underscores, Inf and NaN (unsigned only). nullopt where Go returns an error,
// overflow to ±Inf included; an underflow is ±0, without error, as in Go.
inline std::optional<double> GoParseFloat(std::string_view s) {
  using go_numbers_detail::EqualsIgnoreCase;
  bool negative = false;
  bool signed_text = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    signed_text = true;
    s.remove_prefix(1);
  }
  double inf = std::numeric_limits<double>::infinity();
  if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) return negative ? -inf : inf;
  if (!signed_text && EqualsIgnoreCase(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (s.empty()) return std::nullopt;
  std::string without_underscores;
  if (s.find('_') != std::string_view::npos) {
    if (!go_numbers_detail::GoUnderscoresOk(s)) return std::nullopt;
    for (char c : s) {
      if (c != '_') without_underscores.push_back(c);
    }
    s = without_underscores;
  }
  double v = 0;
  std::from_chars_result r{};
  const char* end = s.data() + s.size();
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.find_first_of("pP") == std::string_view::npos) return std::nullopt;
    r = std::from_chars(s.data() + 2, end, v, std::chars_format::hex);
  } else {
    if (!(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) return std::nullopt;
    r = std::from_chars(s.data(), end, v, std::chars_format::general);
  }
  if (r.ptr != end) return std::nullopt;
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars refuses both ends; Go refuses only an overflow.
    v = std::strtod(std::string(s).c_str(), nullptr);
    if (v != 0) return std::nullopt;
  } else if (r.ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

}  // namespace sluice::query

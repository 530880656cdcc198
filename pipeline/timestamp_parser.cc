#include "pipeline/timestamp_parser.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace sluice::pipeline {
namespace {

constexpr int64_t kNs = 1'000'000'000;
constexpr double kTwo31 = 2147483648.0;

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Status Bad(std::string_view text) {
  return Status::InvalidArgument(fmt::format(
      "invalid timestamp \"{}\" (expected RFC 3339 or Unix seconds, milliseconds, microseconds or "
      "nanoseconds)",
      text.substr(0, 64)));
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!Digits(s, 0, 4, &year) || s[4] != '-' || !Digits(s, 5, 2, &month) || s.size() < 10 ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return Bad(s);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1678 || year > 2261) return Bad(s);
  size_t i = 10;
  int64_t frac_ns = 0;
  int64_t offset_s = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return Bad(s);
    if (!Digits(s, i + 1, 2, &hour) || s.size() < i + 9 || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, &minute) || s[i + 6] != ':' || !Digits(s, i + 7, 2, &second)) {
      return Bad(s);
    }
    if (hour > 23 || minute > 59 || second > 60) return Bad(s);
    i += 9;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int64_t scale = kNs / 10;
      size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (scale > 0) frac_ns += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
      if (i == start) return Bad(s);
    }
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1;
        int oh, om;
        if (!Digits(s, i + 1, 2, &oh)) return Bad(s);
        size_t j = i + 3;
        if (j < s.size() && s[j] == ':') ++j;
        if (!Digits(s, j, 2, &om)) return Bad(s);
        offset_s = sign * (oh * 3600 + om * 60);
        i = j + 2;
      }
    }
    if (i != s.size()) return Bad(s);
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * kNs + frac_ns;
}

Result<int64_t> FromMagnitude(double v, std::string_view text) {
  double a = std::fabs(v);
  double ns;
  if (a < kTwo31) {
    ns = v * 1e9;
  } else if (a < 1e3 * kTwo31) {
    ns = v * 1e6;
  } else if (a < 1e6 * kTwo31) {
    ns = v * 1e3;
  } else {
    ns = v;
  }
  if (!std::isfinite(ns) || std::fabs(ns) >= 9.2e18) return Bad(text);
  return static_cast<int64_t>(std::llround(ns));
}

}  // namespace

Result<int64_t> ParseTimestamp(std::string_view text, IntegerUnit unit) {
  if (text.empty()) return Bad(text);
  // Fast path: Loki's nanosecond strings, the common case on the push path.
  // (Up to 19 digits cannot overflow int64 while the first is below 9.)
  if (unit == IntegerUnit::kNanoseconds &&
      (text.size() <= 18 || (text.size() == 19 && text[0] < '9'))) {
    int64_t v = 0;
    size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
    if (i == text.size()) return v;
  }
  bool numeric = true;
  bool has_fraction = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '-' && i == 0) continue;
    if (c == '.' && !has_fraction) {
      has_fraction = true;
      continue;
    }
    if (c == 'e' || c == 'E' || c == '+') {
      has_fraction = true;  // scientific notation: handled as a double
      continue;
    }
    if (c < '0' || c > '9') {
      numeric = false;
      break;
    }
  }
  if (!numeric) return ParseRfc3339(text);
  if (!has_fraction) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return Bad(text);
    if (unit == IntegerUnit::kNanoseconds) return v;
    // Exact integer arithmetic where it matters (nanosecond precision survives).
    uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    constexpr uint64_t kTwo31Int = uint64_t{1} << 31;
    if (a < kTwo31Int) return v * kNs;
    if (a < 1000 * kTwo31Int) return v * 1'000'000;
    if (a < 1'000'000 * kTwo31Int) return v * 1'000;
    return v;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return Bad(text);
  return FromMagnitude(v, text);
}

Result<int64_t> TimestampFromNumber(double value) {
  return FromMagnitude(value, fmt::format("{}", value));
}

}  // namespace sluice::pipeline

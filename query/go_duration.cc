#include "query/go_duration.h"

#include <utility>

namespace sluice::query {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status InvalidDuration(std::string_view text) {
  return Status::InvalidArgument("time: invalid duration " + GoTimeQuote(text));
}

// The nanoseconds of a unit's name; 0 for a name Go does not know.
uint64_t UnitNanoseconds(std::string_view unit) {
  constexpr uint64_t kSecond = 1'000'000'000;
  if (unit == "ns") return 1;
  // "µs" as U+00B5 (micro sign) and as U+03BC (Greek small letter mu).
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return kSecond;
  if (unit == "m") return 60 * kSecond;
  if (unit == "h") return 3600 * kSecond;
  return 0;
}

}  // namespace

std::string GoTimeQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || c < ' ') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += ch;
    }
  }
  out += '"';
  return out;
}

Result<int64_t> ParseGoDuration(std::string_view text) {
  // Go accumulates in uint64 and accepts up to 1<<63 so that the most negative duration parses.
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return InvalidDuration(text);
  uint64_t d = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return InvalidDuration(text);
    // The integer part.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (v > kLimit / 10) return InvalidDuration(text);
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) return InvalidDuration(text);
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // The fraction: digits past what fits are read but ignored, as Go's leadingFraction does.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      size_t j = 0;
      for (; j < s.size() && IsDigit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return InvalidDuration(text);  // "." alone
    // The unit: everything up to the next number.
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !IsDigit(s[u])) ++u;
    if (u == 0) {
      return Status::InvalidArgument("time: missing unit in duration " + GoTimeQuote(text));
    }
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = UnitNanoseconds(unit_name);
    if (unit == 0) {
      return Status::InvalidArgument("time: unknown unit " + GoTimeQuote(unit_name) +
                                     " in duration " + GoTimeQuote(text));
    }
    if (v > kLimit / unit) return InvalidDuration(text);
    v *= unit;
    if (f > 0) {
      // float64 arithmetic, as Go does: the result may round.
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kLimit) return InvalidDuration(text);
    }
    d += v;
    if (d > kLimit) return InvalidDuration(text);
  }
  if (negative) return static_cast<int64_t>(0 - d);  // d <= 1<<63: wraps to -d
  if (d > kLimit - 1) return InvalidDuration(text);
  return static_cast<int64_t>(d);
}

}  // namespace sluice::query

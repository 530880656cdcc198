// Text and Unicode helpers of the template engine: Go's utf8, unicode and strings functions as the
// lexer, fmt and the functions need them.
#include <array>
#include <optional>

#include "query/logql_template_internal.h"

namespace sluice::query::logql::template_internal {

size_t LastRuneWidth(std::string_view s, size_t end) {
  if (end == 0) return 0;
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
    --start;
  }
  size_t w = RuneAt(s, start).second;
  return start + w == end ? w : 1;
}

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) i += RuneAt(s, i).second;
  return n;
}

namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

bool IsSpaceRune(int32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

bool IsDigitRune(int32_t r) {
  if (r < 0x80) return r >= '0' && r <= '9';
  static constexpr std::array<int32_t, 9> kZeros = {0x660, 0x6F0, 0x7C0,  0x966, 0x9E6,
                                                    0xA66, 0xE50, 0x1040, 0xFF10};
  for (int32_t z : kZeros) {
    if (r >= z && r <= z + 9) return true;
  }
  return false;
}

bool IsLetterRune(int32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  if (r < 0xC0) return r == 0xAA || r == 0xB5 || r == 0xBA;
  if (r == 0xD7 || r == 0xF7) return false;
  if (IsDigitRune(r) || IsSpaceRune(r)) return false;
  static constexpr std::array<std::pair<int32_t, int32_t>, 9> kNotLetters = {{
      {0x2000, 0x2BFF},
      {0x3000, 0x303F},
      {0xD800, 0xF8FF},
      {0xFE00, 0xFE6F},
      {0xFF00, 0xFF20},
      {0xFF3B, 0xFF40},
      {0xFF5B, 0xFF65},
      {0xFFF0, 0xFFFF},
      {0x1F000, 0x1FAFF},
  }};
  for (const auto& [lo, hi] : kNotLetters) {
    if (r >= lo && r <= hi) return false;
  }
  return true;
}

int32_t CaseMap(int32_t r, bool upper) {
  auto pair_even_upper = [&](int32_t lo, int32_t hi) -> std::optional<int32_t> {
    if (r < lo || r > hi) return std::nullopt;
    bool is_upper = ((r - lo) % 2) == 0;
    if (upper) return is_upper ? r : r - 1;
    return is_upper ? r + 1 : r;
  };
  auto shift = [&](int32_t upper_lo, int32_t upper_hi, int32_t delta) -> std::optional<int32_t> {
    if (upper && r >= upper_lo + delta && r <= upper_hi + delta) return r - delta;
    if (!upper && r >= upper_lo && r <= upper_hi) return r + delta;
    if (r >= upper_lo && r <= upper_hi) return r;
    if (r >= upper_lo + delta && r <= upper_hi + delta) return r;
    return std::nullopt;
  };
  if (r < 0x80) {
    if (upper && r >= 'a' && r <= 'z') return r - 32;
    if (!upper && r >= 'A' && r <= 'Z') return r + 32;
    return r;
  }
  if (r < 0x100) {
    if (r == 0xB5) return upper ? 0x39C : r;
    if (r == 0xFF) return upper ? 0x178 : r;
    if (r == 0xD7 || r == 0xF7 || r == 0xDF) return r;
    if (auto m = shift(0xC0, 0xDE, 0x20)) return *m;
    return r;
  }
  if (r < 0x180) {
    if (r == 0x130) return upper ? r : 'i';
    if (r == 0x131) return upper ? 'I' : r;
    if (r == 0x138 || r == 0x149) return r;
    if (r == 0x178) return upper ? r : 0xFF;
    if (r == 0x17F) return upper ? 'S' : r;
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) {
      bool is_upper = (r % 2) == 1;
      if (upper) return is_upper ? r : r - 1;
      return is_upper ? r + 1 : r;
    }
    if (auto m = pair_even_upper(0x100, 0x137)) return *m;
    if (auto m = pair_even_upper(0x14A, 0x177)) return *m;
    return r;
  }
  if (r >= 0x370 && r < 0x400) {
    if (r == 0x3C2) return upper ? 0x3A3 : r;
    if (r == 0x386) return upper ? r : 0x3AC;
    if (r == 0x3AC) return upper ? 0x386 : r;
    if (r == 0x38C) return upper ? r : 0x3CC;
    if (r == 0x3CC) return upper ? 0x38C : r;
    if (auto m = shift(0x388, 0x38A, 0x25)) return *m;
    if (auto m = shift(0x38E, 0x38F, 0x3F)) return *m;
    if (r == 0x3A2) return r;
    if (auto m = shift(0x391, 0x3AB, 0x20)) return *m;
    return r;
  }
  if (r >= 0x400 && r < 0x530) {
    if (auto m = shift(0x410, 0x42F, 0x20)) return *m;
    if (auto m = shift(0x400, 0x40F, 0x50)) return *m;
    if (r == 0x4C0) return upper ? r : 0x4CF;
    if (r == 0x4CF) return upper ? 0x4C0 : r;
    if (r >= 0x4C1 && r <= 0x4CE) {
      bool is_upper = (r % 2) == 1;
      if (upper) return is_upper ? r : r - 1;
      return is_upper ? r + 1 : r;
    }
    if (auto m = pair_even_upper(0x460, 0x481)) return *m;
    if (auto m = pair_even_upper(0x48A, 0x4BF)) return *m;
    if (auto m = pair_even_upper(0x4D0, 0x52F)) return *m;
    return r;
  }
  if (auto m = shift(0x531, 0x556, 0x30)) return *m;
  if (auto m = pair_even_upper(0x1E00, 0x1E95)) return *m;
  if (auto m = pair_even_upper(0x1EA0, 0x1EFF)) return *m;
  if (auto m = shift(0xFF21, 0xFF3A, 0x20)) return *m;
  return r;
}

void AppendCaseMapped(std::string* out, std::string_view s, bool upper) {
  if (IsAscii(s)) {
    for (char c : s) {
      if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      out->push_back(c);
    }
    return;
  }
  for (size_t i = 0; i < s.size();) {
    auto [r, w] = RuneAt(s, i);
    AppendUtf8(out, static_cast<uint32_t>(CaseMap(r, upper)));
    i += w;
  }
}

bool IsWordSeparator(int32_t r) {
  if (r <= 0x7F) {
    return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
             r == '_');
  }
  if (IsLetterRune(r) || IsDigitRune(r)) return false;
  return IsSpaceRune(r);
}

}  // namespace sluice::query::logql::template_internal

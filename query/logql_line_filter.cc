// Line filters and pattern expressions (see logql_line_filter.h).
//
// Regex simplifications (Loki's filter.go simplify, generalised; each is exact for an unanchored
// search, and RE2 on the regex as written is the reference):
//  - a regex that can match the empty string anywhere (`""`, `.*`, `a*`, `(foo)?`) matches every
//    line;
//  - leading and trailing parts that can match the empty string are dropped (`.*foo.*`,
//    `foo\d*` = contains "foo"), and `x+` (also `x{1,n}`) is `x`;
//  - a regex whose language is a small finite set of strings is a contains-any: `foo|bar`,
//    `f(oo|ee)d`, `colou?r`; each branch of a top-level alternation is simplified on its own
//    (`.*foo.*|bar`);
//  - `(?i)` ASCII literals fold case without copying the line (`(?i)error`); non-ASCII literals
//    under `(?i)` are left to RE2. RE2 also folds `k` with U+212A (Kelvin) and `s` with U+017F
//    (long s): a folded search that fails on a line holding either asks RE2;
//  - `.` / `.+` is "the line has a character `.` matches" (its first byte, or RE2).
// Other regexes are prefiltered with literals that every match must contain (the best of the
// literal runs of a concatenation, alternatives of an alternation), then run through RE2.
#include "query/logql_line_filter.h"

#include <fmt/format.h>
#include <re2/re2.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

#include "base/utf8.h"
#include "query/go_regexp_error.h"
#include "query/logql_ip.h"

namespace sluice::query::logql {
namespace {

// ---- UTF-8, as Go decodes it ---------------------------------------------------------------

constexpr char32_t kRuneError = 0xFFFD;

// The rune at the start of `s` and its width; (kRuneError, 1) for an invalid sequence.
std::pair<char32_t, size_t> DecodeRune(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t width;
  char32_t rune;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    width = 2, rune = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    width = 3, rune = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    width = 4, rune = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < width) return {kRuneError, 1};
  for (size_t i = 1; i < width; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    rune = (rune << 6) | (b & 0x3F);
  }
  if (rune < min || rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) return {kRuneError, 1};
  return {rune, width};
}

// ---- Substring search ------------------------------------------------------------------------

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// The offset of the first occurrence of `lit` in `hay`, or npos. glibc's memmem is vectorised.
size_t Find(std::string_view hay, std::string_view lit) {
  if (lit.empty()) return 0;
  if (lit.size() > hay.size()) return std::string_view::npos;
  const void* p = lit.size() == 1 ? std::memchr(hay.data(), lit[0], hay.size())
                                  : memmem(hay.data(), hay.size(), lit.data(), lit.size());
  return p == nullptr ? std::string_view::npos
                      : static_cast<size_t>(static_cast<const char*>(p) - hay.data());
}

bool EqualFold(const char* text, std::string_view lower) {
  for (size_t i = 0; i < lower.size(); ++i) {
    if (LowerAscii(text[i]) != lower[i]) return false;
  }
  return true;
}

// Whether `line` contains `lower` (ASCII letters lower-cased) with ASCII letters of either case,
// without copying the line. With SSE2, 16 candidate positions at a time are those whose first
// and last bytes match (Muła's SIMD substring search): `c | 0x20` is the lower case of a letter,
// and only its two cases map to it.
bool ContainsFold(std::string_view line, std::string_view lower) {
  if (lower.empty()) return true;
  if (lower.size() > line.size()) return false;
  const char* const data = line.data();
  const size_t candidates = line.size() - lower.size() + 1;
  size_t i = 0;
#if defined(__SSE2__)
  const size_t last = lower.size() - 1;
  auto fold_mask = [](char c) { return _mm_set1_epi8(IsAsciiLetter(c) ? 0x20 : 0); };
  const __m128i first_mask = fold_mask(lower[0]);
  const __m128i first = _mm_set1_epi8(lower[0]);
  const __m128i last_mask = fold_mask(lower[last]);
  const __m128i last_byte = _mm_set1_epi8(lower[last]);
  for (; i + 16 <= candidates; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + last));
    const __m128i hits = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, first_mask), first),
                                       _mm_cmpeq_epi8(_mm_or_si128(b, last_mask), last_byte));
    for (auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits)); mask != 0; mask &= mask - 1) {
      if (EqualFold(data + i + static_cast<size_t>(__builtin_ctz(mask)), lower)) return true;
    }
  }
#endif
  for (; i < candidates; ++i) {
    if (EqualFold(data + i, lower)) return true;
  }
  return false;
}

// RE2's case folding also pairs `k` with U+212A KELVIN SIGN and `s` with U+017F LATIN SMALL
// LETTER LONG S: the only non-ASCII runes that fold to ASCII letters.
bool HasFoldToAsciiRune(std::string_view line) {
  return Find(line, "\xE2\x84\xAA") != std::string_view::npos ||
         Find(line, "\xC5\xBF") != std::string_view::npos;
}

enum class Verdict { kNo, kYes, kMaybe };

// A literal to search for, case-sensitively or folding ASCII case.
struct Literal {
  std::string text;  // lower-cased when fold
  bool fold = false;
  bool hazard = false;  // fold and text has `k` or `s`: a miss may be a Kelvin sign or long s

  Verdict Search(std::string_view line) const {
    if (!fold) return Find(line, text) != std::string_view::npos ? Verdict::kYes : Verdict::kNo;
    if (ContainsFold(line, text)) return Verdict::kYes;
    return hazard && HasFoldToAsciiRune(line) ? Verdict::kMaybe : Verdict::kNo;
  }
  std::string Describe() const {
    return fmt::format("{}(\"{}\")", fold ? "contains_fold" : "contains", text);
  }
};

Verdict SearchAny(const std::vector<Literal>& literals, std::string_view line) {
  Verdict out = Verdict::kNo;
  for (const Literal& l : literals) {
    Verdict v = l.Search(line);
    if (v == Verdict::kYes) return v;
    if (v == Verdict::kMaybe) out = v;
  }
  return out;
}

std::string DescribeAny(const std::vector<Literal>& literals) {
  std::string out;
  for (const Literal& l : literals) {
    if (!out.empty()) out += " or ";
    out += l.Describe();
  }
  return out;
}

// ---- Regex analysis --------------------------------------------------------------------------
//
// RE2 does not expose its parse tree, so a small parser reads the subset of Go's regexp syntax
// that simplification needs. It runs only on regexes RE2 accepted, and gives up (no
// simplification, no prefilter) on anything it does not fully understand.

struct Rx {
  enum class Kind {
    kEmpty,      // matches the empty string
    kChar,       // one literal character
    kDot,        // `.`
    kClass,      // one character of a class: `[a-z]`, `\d`, `\pL`
    kAssertion,  // a zero-width condition: `^`, `$`, `\b`, `\A`
    kConcat,
    kAlternate,
    kRepeat,
  };
  Kind kind = Kind::kEmpty;
  std::string text;   // kChar: its UTF-8
  bool fold = false;  // kChar: under (?i); kDot: under (?s)
  int min = 0;        // kRepeat
  int max = 0;        // kRepeat; -1 when unbounded
  std::vector<Rx> subs;
};

struct RxFlags {
  bool fold = false;    // (?i)
  bool dot_nl = false;  // (?s)
};

class RxParser {
 public:
  explicit RxParser(std::string_view s) : s_(s) {}

  std::optional<Rx> Parse() {
    RxFlags flags;
    std::optional<Rx> rx = ParseAlternate(flags);
    if (!rx || pos_ != s_.size()) return std::nullopt;
    return rx;
  }

 private:
  bool At(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool AtString(std::string_view prefix) const { return s_.substr(pos_).starts_with(prefix); }

  static Rx Char(char32_t rune, const RxFlags& flags) {
    Rx rx{.kind = Rx::Kind::kChar};
    AppendUtf8(&rx.text, static_cast<uint32_t>(rune));
    rx.fold = flags.fold;
    return rx;
  }

  // Flags persist across `|` up to the end of the enclosing group, as in Go.
  std::optional<Rx> ParseAlternate(RxFlags& flags) {
    std::vector<Rx> branches;
    while (true) {
      std::optional<Rx> branch = ParseConcat(flags);
      if (!branch) return std::nullopt;
      branches.push_back(std::move(*branch));
      if (!At('|')) break;
      ++pos_;
    }
    if (branches.size() == 1) return std::move(branches[0]);
    return Rx{.kind = Rx::Kind::kAlternate, .subs = std::move(branches)};
  }

  std::optional<Rx> ParseConcat(RxFlags& flags) {
    std::vector<Rx> items;
    while (pos_ < s_.size() && !At('|') && !At(')')) {
      if (AtString("\\Q")) {
        pos_ += 2;
        size_t end = s_.find("\\E", pos_);
        std::string_view quoted = s_.substr(pos_, end == std::string_view::npos ? end : end - pos_);
        pos_ = end == std::string_view::npos ? s_.size() : end + 2;
        while (!quoted.empty()) {
          auto [rune, width] = DecodeRune(quoted);
          items.push_back(Char(rune, flags));
          quoted.remove_prefix(width);
        }
        if (At('*') || At('+') || At('?') || At('{')) return std::nullopt;  // applies to one char
        continue;
      }
      if (AtString("(?") && ParseFlagGroup(flags)) {
        // A flags group is no operand: a repetition after it applies to the atom before it.
        if (items.empty() && (At('*') || At('+') || At('?') || At('{'))) return std::nullopt;
      } else {
        std::optional<Rx> atom = ParseAtom(flags);
        if (!atom) return std::nullopt;
        items.push_back(std::move(*atom));
      }
      while (pos_ < s_.size()) {
        int min = 0;
        int max = -1;
        if (At('*')) {
          ++pos_;
        } else if (At('+')) {
          min = 1, ++pos_;
        } else if (At('?')) {
          max = 1, ++pos_;
        } else if (!At('{') || !ParseRepeatCount(&min, &max)) {
          break;  // a `{` that is no repeat count is a literal
        }
        if (At('?')) ++pos_;  // non-greedy: the same lines match
        Rx repeat{.kind = Rx::Kind::kRepeat, .min = min, .max = max};
        repeat.subs.push_back(std::move(items.back()));
        items.back() = std::move(repeat);
      }
    }
    if (items.empty()) return Rx{};
    if (items.size() == 1) return std::move(items[0]);
    return Rx{.kind = Rx::Kind::kConcat, .subs = std::move(items)};
  }

  // `(?i)`, `(?-s)`, `(?im)`: changes `flags` and returns true. False (nothing consumed) for any
  // other `(?` group.
  bool ParseFlagGroup(RxFlags& flags) {
    RxFlags f = flags;
    bool negate = false;
    size_t i = pos_ + 2;
    for (; i < s_.size() && std::string_view("imsU-").find(s_[i]) != std::string_view::npos; ++i) {
      if (s_[i] == '-') negate = true;
      if (s_[i] == 'i') f.fold = !negate;
      if (s_[i] == 's') f.dot_nl = !negate;
    }
    if (i == pos_ + 2 || i >= s_.size() || s_[i] != ')') return false;
    flags = f;
    pos_ = i + 1;
    return true;
  }

  // `{n}`, `{n,}`, `{n,m}` at pos_: consumes it. False (nothing consumed) otherwise.
  bool ParseRepeatCount(int* min, int* max) {
    size_t i = pos_ + 1;
    auto number = [&](int* out) {
      size_t start = i;
      int value = 0;
      while (i < s_.size() && s_[i] >= '0' && s_[i] <= '9' && i - start < 5) {
        value = value * 10 + (s_[i++] - '0');
      }
      *out = value;
      return i > start && !(i < s_.size() && s_[i] >= '0' && s_[i] <= '9');
    };
    if (!number(min)) return false;
    *max = *min;
    if (i < s_.size() && s_[i] == ',') {
      ++i;
      *max = -1;
      if (i < s_.size() && s_[i] != '}' && !number(max)) return false;
    }
    if (i >= s_.size() || s_[i] != '}') return false;
    pos_ = i + 1;
    return true;
  }

  std::optional<Rx> ParseAtom(const RxFlags& flags) {
    switch (s_[pos_]) {
      case '(':
        return ParseGroup(flags);
      case '[':
        if (!SkipClass()) return std::nullopt;
        return Rx{.kind = Rx::Kind::kClass};
      case '.':
        ++pos_;
        return Rx{.kind = Rx::Kind::kDot, .fold = flags.dot_nl};
      case '^':
      case '$':
        ++pos_;
        return Rx{.kind = Rx::Kind::kAssertion};
      case '\\':
        return ParseEscape(flags);
      case '*':
      case '+':
      case '?':
        return std::nullopt;
      default: {
        auto [rune, width] = DecodeRune(s_.substr(pos_));
        if (rune == kRuneError && width == 1) return std::nullopt;  // RE2 rejects invalid UTF-8
        pos_ += width;
        return Char(rune, flags);
      }
    }
  }

  std::optional<Rx> ParseGroup(const RxFlags& flags) {
    ++pos_;  // (
    RxFlags inner = flags;
    if (At('?')) {
      ++pos_;
      if (AtString("P<") || At('<')) {
        size_t end = s_.find('>', pos_);
        if (end == std::string_view::npos) return std::nullopt;
        pos_ = end + 1;
      } else {
        bool negate = false;
        for (; pos_ < s_.size() && s_[pos_] != ':'; ++pos_) {
          switch (s_[pos_]) {
            case '-':
              negate = true;
              break;
            case 'i':
              inner.fold = !negate;
              break;
            case 's':
              inner.dot_nl = !negate;
              break;
            case 'm':
            case 'U':
              break;
            default:
              return std::nullopt;
          }
        }
        if (!At(':')) return std::nullopt;
        ++pos_;
      }
    }
    std::optional<Rx> rx = ParseAlternate(inner);
    if (!rx || !At(')')) return std::nullopt;
    ++pos_;
    return rx;
  }

  // Skips `[...]` (Go's rules: `]` first is literal, `[:name:]` inside, escapes).
  bool SkipClass() {
    size_t i = pos_ + 1;
    if (i < s_.size() && s_[i] == '^') ++i;
    if (i < s_.size() && s_[i] == ']') ++i;
    while (i < s_.size() && s_[i] != ']') {
      if (s_[i] == '[' && i + 1 < s_.size() && s_[i + 1] == ':') {
        size_t end = s_.find(":]", i + 2);
        i = end == std::string_view::npos ? i + 1 : end + 2;
      } else if (s_[i] == '\\') {
        if (i + 1 >= s_.size()) return false;
        const char e = s_[i + 1];
        i += 2;
        if ((e == 'p' || e == 'P' || e == 'x') && i < s_.size() && s_[i] == '{') {
          size_t end = s_.find('}', i);
          if (end == std::string_view::npos) return false;
          i = end + 1;
        }
      } else {
        ++i;
      }
    }
    if (i >= s_.size()) return false;
    pos_ = i + 1;
    return true;
  }

  std::optional<Rx> ParseEscape(const RxFlags& flags) {
    if (pos_ + 1 >= s_.size()) return std::nullopt;
    const char e = s_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case 'A':
      case 'z':
      case 'b':
      case 'B':
        return Rx{.kind = Rx::Kind::kAssertion};
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
        return Rx{.kind = Rx::Kind::kClass};
      case 'p':
      case 'P':
        if (At('{')) {
          size_t end = s_.find('}', pos_);
          if (end == std::string_view::npos) return std::nullopt;
          pos_ = end + 1;
        } else {
          if (pos_ >= s_.size()) return std::nullopt;
          pos_ += DecodeRune(s_.substr(pos_)).second;
        }
        return Rx{.kind = Rx::Kind::kClass};
      case 'a':
        return Char(7, flags);
      case 'f':
        return Char(12, flags);
      case 't':
        return Char(9, flags);
      case 'n':
        return Char(10, flags);
      case 'r':
        return Char(13, flags);
      case 'v':
        return Char(11, flags);
      case 'x':
        return ParseHex(flags);
      default:
        // Escaped ASCII punctuation is itself; anything else (octal, \C, ...) is left to RE2.
        if (static_cast<unsigned char>(e) < 0x80 && !std::isalnum(static_cast<unsigned char>(e))) {
          return Char(static_cast<unsigned char>(e), flags);
        }
        return std::nullopt;
    }
  }

  std::optional<Rx> ParseHex(const RxFlags& flags) {
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    char32_t value = 0;
    if (At('{')) {
      size_t i = pos_ + 1;
      for (; i < s_.size() && s_[i] != '}'; ++i) {
        int d = digit(s_[i]);
        if (d < 0 || value > 0x10FFFF) return std::nullopt;
        value = value * 16 + static_cast<char32_t>(d);
      }
      if (i >= s_.size() || i == pos_ + 1) return std::nullopt;
      pos_ = i + 1;
    } else {
      if (pos_ + 2 > s_.size()) return std::nullopt;
      int hi = digit(s_[pos_]);
      int lo = digit(s_[pos_ + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      value = static_cast<char32_t>(hi * 16 + lo);
      pos_ += 2;
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return std::nullopt;
    return Char(value, flags);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Whether `rx` matches the empty string at every position (not merely where an assertion holds).
bool Nullable(const Rx& rx) {
  switch (rx.kind) {
    case Rx::Kind::kEmpty:
      return true;
    case Rx::Kind::kConcat:
      return std::all_of(rx.subs.begin(), rx.subs.end(), Nullable);
    case Rx::Kind::kAlternate:
      return std::any_of(rx.subs.begin(), rx.subs.end(), Nullable);
    case Rx::Kind::kRepeat:
      return rx.min == 0 || Nullable(rx.subs[0]);
    default:
      return false;
  }
}

// A string of literal characters, and how case folding applies to it.
struct Lit {
  std::string text;
  bool folded_letters = false;  // has an ASCII letter under (?i)
  bool exact_letters = false;   // has an ASCII letter not under (?i)
  bool unfoldable = false;      // has a non-ASCII character under (?i)

  void Append(const Lit& other) {
    text += other.text;
    folded_letters |= other.folded_letters;
    exact_letters |= other.exact_letters;
    unfoldable |= other.unfoldable;
  }
  // As a search for a line that contains it; a superset search when case sensitivity is mixed.
  Literal ToLiteral() const {
    Literal out;
    out.fold = folded_letters;
    out.text = text;
    if (out.fold) {
      for (char& c : out.text) c = LowerAscii(c);
      out.hazard = out.text.find_first_of("ks") != std::string::npos;
    }
    return out;
  }
};
using LitSet = std::vector<Lit>;

constexpr size_t kMaxLiterals = 16;
constexpr size_t kMaxLiteralBytes = 256;

LitSet CharLit(const Rx& rx) {
  Lit lit{.text = rx.text};
  if (rx.text.size() == 1 && IsAsciiLetter(rx.text[0])) {
    (rx.fold ? lit.folded_letters : lit.exact_letters) = true;
  } else if (rx.text.size() > 1 && rx.fold) {
    lit.unfoldable = true;
  }
  return {std::move(lit)};
}

std::optional<LitSet> Cross(const LitSet& a, const LitSet& b) {
  if (a.size() * b.size() > kMaxLiterals) return std::nullopt;
  LitSet out;
  for (const Lit& x : a) {
    for (const Lit& y : b) {
      if (x.text.size() + y.text.size() > kMaxLiteralBytes) return std::nullopt;
      Lit z = x;
      z.Append(y);
      out.push_back(std::move(z));
    }
  }
  return out;
}

// The strings `rx` matches, when they are few.
std::optional<LitSet> Finite(const Rx& rx) {
  switch (rx.kind) {
    case Rx::Kind::kEmpty:
      return LitSet{Lit{}};
    case Rx::Kind::kChar:
      return CharLit(rx);
    case Rx::Kind::kConcat: {
      LitSet out{Lit{}};
      for (const Rx& sub : rx.subs) {
        std::optional<LitSet> s = Finite(sub);
        if (!s) return std::nullopt;
        std::optional<LitSet> c = Cross(out, *s);
        if (!c) return std::nullopt;
        out = std::move(*c);
      }
      return out;
    }
    case Rx::Kind::kAlternate: {
      LitSet out;
      for (const Rx& sub : rx.subs) {
        std::optional<LitSet> s = Finite(sub);
        if (!s || out.size() + s->size() > kMaxLiterals) return std::nullopt;
        out.insert(out.end(), s->begin(), s->end());
      }
      return out;
    }
    case Rx::Kind::kRepeat: {
      if (rx.max < 0 || rx.max > 4) return std::nullopt;
      std::optional<LitSet> sub = Finite(rx.subs[0]);
      if (!sub) return std::nullopt;
      LitSet out;
      LitSet power{Lit{}};  // sub^k
      for (int k = 0; k <= rx.max; ++k) {
        if (k >= rx.min) {
          if (out.size() + power.size() > kMaxLiterals) return std::nullopt;
          out.insert(out.end(), power.begin(), power.end());
        }
        if (k < rx.max) {
          std::optional<LitSet> next = Cross(power, *sub);
          if (!next) return std::nullopt;
          power = std::move(*next);
        }
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

// What an unanchored search for a regex amounts to, when it is simpler than the regex.
struct Plan {
  enum class Kind { kAll, kNonEmpty, kLiterals };
  Kind kind = Kind::kAll;
  bool dot_nl = false;  // kNonEmpty: `.` matches `\n` too
  LitSet literals;      // kLiterals: the line contains one of them
};

std::optional<Plan> Simplify(const Rx& rx) {
  if (Nullable(rx)) return Plan{};
  std::optional<LitSet> literals;
  switch (rx.kind) {
    case Rx::Kind::kDot:
      return Plan{.kind = Plan::Kind::kNonEmpty, .dot_nl = rx.fold};
    case Rx::Kind::kConcat: {
      // A match of the rest, extended by empty matches of the nullable ends, is a match.
      size_t begin = 0;
      size_t end = rx.subs.size();
      while (Nullable(rx.subs[begin])) ++begin;
      while (Nullable(rx.subs[end - 1])) --end;
      if (end - begin == 1) return Simplify(rx.subs[begin]);
      Rx rest{.kind = Rx::Kind::kConcat};
      rest.subs.assign(rx.subs.begin() + static_cast<ptrdiff_t>(begin),
                       rx.subs.begin() + static_cast<ptrdiff_t>(end));
      literals = Finite(rest);
      break;
    }
    case Rx::Kind::kAlternate: {
      // Each branch is searched for on its own.
      literals.emplace();
      for (const Rx& sub : rx.subs) {
        std::optional<Plan> p = Simplify(sub);
        if (!p || p->kind == Plan::Kind::kNonEmpty) return std::nullopt;
        if (p->kind == Plan::Kind::kAll) return p;
        if (literals->size() + p->literals.size() > kMaxLiterals) return std::nullopt;
        literals->insert(literals->end(), p->literals.begin(), p->literals.end());
      }
      break;
    }
    case Rx::Kind::kRepeat:
      // x{1,n} occurs in a line when x does; x{2} needs the finite set.
      if (rx.min == 1) return Simplify(rx.subs[0]);
      literals = Finite(rx);
      break;
    default:
      literals = Finite(rx);
      break;
  }
  if (!literals) return std::nullopt;
  for (const Lit& l : *literals) {
    if (l.text.empty()) return Plan{};
    // Mixed case sensitivity (`a(?i)b`) has no single search.
    if (l.unfoldable || (l.folded_letters && l.exact_letters)) return std::nullopt;
  }
  return Plan{.kind = Plan::Kind::kLiterals, .literals = std::move(*literals)};
}

// A set of literals usable as a prefilter, and how much it filters (the shortest's length).
std::optional<size_t> PrefilterScore(const LitSet& set) {
  if (set.empty()) return std::nullopt;
  size_t score = kMaxLiteralBytes + 1;
  for (const Lit& l : set) {
    if (l.text.empty() || l.unfoldable) return std::nullopt;
    score = std::min(score, l.text.size());
  }
  return score;
}

// Literals one of which every match of `rx` contains.
std::optional<LitSet> Required(const Rx& rx) {
  switch (rx.kind) {
    case Rx::Kind::kChar:
      return CharLit(rx);
    case Rx::Kind::kRepeat:
      if (rx.min == 0) return std::nullopt;
      return Required(rx.subs[0]);
    case Rx::Kind::kAlternate: {
      LitSet out;
      for (const Rx& sub : rx.subs) {
        std::optional<LitSet> s = Required(sub);
        if (!s || !PrefilterScore(*s) || out.size() + s->size() > kMaxLiterals) {
          return std::nullopt;
        }
        out.insert(out.end(), s->begin(), s->end());
      }
      return out;
    }
    case Rx::Kind::kConcat: {
      // Candidates: the strings of each run of finite parts, and what the other parts require.
      std::optional<LitSet> best;
      size_t best_score = 0;
      auto consider = [&](std::optional<LitSet> candidate) {
        if (!candidate) return;
        std::optional<size_t> score = PrefilterScore(*candidate);
        if (!score) return;
        if (!best || *score > best_score ||
            (*score == best_score && candidate->size() < best->size())) {
          best = std::move(candidate);
          best_score = *score;
        }
      };
      std::optional<LitSet> run;
      for (const Rx& sub : rx.subs) {
        std::optional<LitSet> s = Finite(sub);
        if (!s) {
          consider(std::move(run));
          run.reset();
          consider(Required(sub));
          continue;
        }
        std::optional<LitSet> longer = run ? Cross(*run, *s) : s;
        if (!longer) {  // too many strings: start a new run here
          consider(std::move(run));
          longer = std::move(s);
        }
        run = std::move(longer);
      }
      consider(std::move(run));
      return best;
    }
    default:
      return std::nullopt;
  }
}

// ---- Errors ----------------------------------------------------------------------------------

// Go's regexp/syntax rejects `\C` (any byte), which RE2 accepts.
bool HasAnyByteEscape(std::string_view re) {
  for (size_t i = 0; i + 1 < re.size(); ++i) {
    if (re[i] != '\\') continue;
    if (re[i + 1] == 'C') return true;
    if (re[i + 1] == 'Q') {  // \Q...\E is literal text
      size_t end = re.find("\\E", i + 2);
      if (end == std::string_view::npos) return false;
      i = end;
    }
    ++i;
  }
  return false;
}

// ---- One regex alternative -------------------------------------------------------------------

class RegexAlternative {
 public:
  static Result<RegexAlternative> Make(const std::string& source, bool optimize) {
    if (HasAnyByteEscape(source)) {
      return Status::InvalidArgument("error parsing regexp: invalid escape sequence: `\\C`");
    }
    RE2::Options options;
    options.set_log_errors(false);
    RegexAlternative out;
    out.source_ = source;
    out.re_ = std::make_unique<RE2>(source, options);
    if (!out.re_->ok()) return Status::InvalidArgument(GoRegexpError(*out.re_));
    if (!optimize) return out;
    std::optional<Rx> rx = RxParser(source).Parse();
    if (!rx) return out;
    if (std::optional<Plan> plan = Simplify(*rx)) {
      switch (plan->kind) {
        case Plan::Kind::kAll:
          out.mode_ = Mode::kAll;
          break;
        case Plan::Kind::kNonEmpty:
          out.mode_ = Mode::kNonEmpty;
          out.dot_nl_ = plan->dot_nl;
          break;
        case Plan::Kind::kLiterals:
          out.mode_ = Mode::kLiterals;
          for (const Lit& l : plan->literals) out.literals_.push_back(l.ToLiteral());
          break;
      }
    } else if (std::optional<LitSet> required = Required(*rx);
               required && PrefilterScore(*required)) {
      out.mode_ = Mode::kPrefiltered;
      for (const Lit& l : *required) out.literals_.push_back(l.ToLiteral());
    }
    return out;
  }

  bool Matches(std::string_view line) const {
    switch (mode_) {
      case Mode::kAll:
        return true;
      case Mode::kNonEmpty: {
        if (line.empty()) return false;
        const auto c = static_cast<unsigned char>(line[0]);
        if (c < 0x80 && (dot_nl_ || c != '\n')) return true;
        return Search(line);
      }
      case Mode::kLiterals: {
        Verdict v = SearchAny(literals_, line);
        return v == Verdict::kMaybe ? Search(line) : v == Verdict::kYes;
      }
      case Mode::kPrefiltered:
        return SearchAny(literals_, line) != Verdict::kNo && Search(line);
      case Mode::kRegex:
        break;
    }
    return Search(line);
  }

  std::string Describe() const {
    switch (mode_) {
      case Mode::kAll:
        return "any";
      case Mode::kNonEmpty:
        return "non_empty";
      case Mode::kLiterals:
        return DescribeAny(literals_);
      case Mode::kPrefiltered:
        return fmt::format("regex(\"{}\") prefilter({})", source_, DescribeAny(literals_));
      case Mode::kRegex:
        break;
    }
    return fmt::format("regex(\"{}\")", source_);
  }

 private:
  enum class Mode { kRegex, kAll, kNonEmpty, kLiterals, kPrefiltered };

  bool Search(std::string_view line) const {
    return re_->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::UNANCHORED,
                      nullptr, 0);
  }

  std::string source_;
  std::unique_ptr<RE2> re_;  // always compiled: the reference, and the fallback
  Mode mode_ = Mode::kRegex;
  bool dot_nl_ = false;
  std::vector<Literal> literals_;
};

bool IsNegated(LineFilterOp op) {
  return op == LineFilterOp::kNotContains || op == LineFilterOp::kRegexNoMatch ||
         op == LineFilterOp::kPatternNoMatch;
}

}  // namespace

// ---- Pattern ---------------------------------------------------------------------------------

Result<Pattern> Pattern::Compile(std::string_view expression) { return Build(expression, false); }

Result<Pattern> Pattern::CompileLineFilter(std::string_view expression) {
  if (expression.empty()) return Pattern();  // matches the empty line only
  return Build(expression, true);
}

Result<Pattern> Pattern::Build(std::string_view expression, bool line_filter) {
  if (expression.empty()) {
    return Status::InvalidArgument(
        "parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or "
        "LITERAL");
  }
  // Loki's lexer: `<` identifier `>` is a capture, any other character is literal text.
  auto is_start = [](char c) { return IsAsciiLetter(c) || c == '_'; };
  auto is_part = [&](char c) { return is_start(c) || (c >= '0' && c <= '9'); };
  struct Token {
    bool capture;
    std::string text;  // the literal run, or the capture's name
  };
  std::vector<Token> tokens;
  for (size_t i = 0; i < expression.size();) {
    if (expression[i] == '<' && i + 1 < expression.size() && is_start(expression[i + 1])) {
      size_t j = i + 2;
      while (j < expression.size() && is_part(expression[j])) ++j;
      if (j < expression.size() && expression[j] == '>') {
        tokens.push_back({true, std::string(expression.substr(i + 1, j - i - 1))});
        i = j + 1;
        continue;
      }
    }
    if (tokens.empty() || tokens.back().capture) tokens.push_back({false, {}});
    // Runes are re-encoded, as Loki does: invalid UTF-8 becomes U+FFFD.
    auto [rune, width] = DecodeRune(expression.substr(i));
    AppendUtf8(&tokens.back().text, static_cast<uint32_t>(rune));
    i += width;
  }
  auto capture_text = [](const Token& t) { return "<" + t.text + ">"; };
  Pattern out;
  if (!line_filter) {
    bool named = std::any_of(tokens.begin(), tokens.end(),
                             [](const Token& t) { return t.capture && t.text != "_"; });
    if (!named) return Status::InvalidArgument("at least one capture is required");
  }
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].capture && tokens[i + 1].capture) {
      return Status::InvalidArgument(
          fmt::format("found consecutive capture '{}{}': invalid expression",
                      capture_text(tokens[i]), capture_text(tokens[i + 1])));
    }
  }
  for (const Token& t : tokens) {
    if (!t.capture) {
      out.nodes_.push_back({t.text, kLiteral});
    } else if (t.text == "_") {
      out.nodes_.push_back({{}, kUnnamed});
    } else if (line_filter) {
      return Status::InvalidArgument(
          fmt::format("named captures are not allowed: found '{}'", capture_text(t)));
    } else if (std::find(out.names_.begin(), out.names_.end(), t.text) != out.names_.end()) {
      return Status::InvalidArgument(
          fmt::format("duplicate capture name ({}): invalid expression", t.text));
    } else {
      out.nodes_.push_back({{}, static_cast<int>(out.names_.size())});
      out.names_.push_back(t.text);
    }
  }
  return out;
}

bool Pattern::Match(std::string_view line, std::vector<std::string_view>* captures) const {
  if (captures != nullptr) Extract(line, captures);
  return Test(line);
}

bool Pattern::Test(std::string_view line) const {
  if (line.empty() || nodes_.empty()) return line.empty() && nodes_.empty();
  size_t offset = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].capture != kLiteral) continue;
    const std::string& literal = nodes_[i].literal;
    size_t at = Find(line.substr(offset), literal);
    if (at == std::string_view::npos) return false;
    // Right after a capture: the capture would be empty.
    if (i != 0 && at == 0) return false;
    offset += at + literal.size();
  }
  const bool ends_with_capture = nodes_.back().capture != kLiteral;
  return ends_with_capture == (offset != line.size());
}

void Pattern::Extract(std::string_view line, std::vector<std::string_view>* captures) const {
  captures->clear();
  if (line.empty() || nodes_.empty()) return;
  size_t i = 0;
  if (nodes_[0].capture == kLiteral) {
    if (!line.starts_with(nodes_[0].literal)) return;
    line.remove_prefix(nodes_[0].literal.size());
    i = 1;
  }
  // From here: capture, literal, capture, ..., and maybe a last literal.
  for (; i < nodes_.size(); i += 2) {
    const bool named = nodes_[i].capture >= 0;
    if (i + 1 == nodes_.size()) {  // the last capture takes the rest
      if (named) captures->push_back(line);
      return;
    }
    const std::string& literal = nodes_[i + 1].literal;
    size_t at = Find(line, literal);
    if (at == std::string_view::npos) {  // the capture takes the rest; the others stay unset
      if (named) captures->push_back(line);
      return;
    }
    if (named) captures->push_back(line.substr(0, at));
    line.remove_prefix(at + literal.size());
  }
}

// ---- LineFilterMatcher -----------------------------------------------------------------------

struct LineFilterMatcher::Impl {
  LineFilterOp op = LineFilterOp::kContains;
  bool negated = false;
  bool all = false;                     // an alternative matches every line
  std::vector<Literal> contains;        // |= and != alternatives
  std::vector<IpMatcher> ips;           // |= ip("...") and != ip("...") alternatives
  std::vector<std::string> ip_sources;  // for Describe
  std::vector<RegexAlternative> regexes;
  std::vector<Pattern> patterns;
  std::vector<std::string> pattern_sources;  // for Describe
};

LineFilterMatcher::LineFilterMatcher() : impl_(std::make_unique<Impl>()) {}
LineFilterMatcher::LineFilterMatcher(LineFilterMatcher&&) noexcept = default;
LineFilterMatcher& LineFilterMatcher::operator=(LineFilterMatcher&&) noexcept = default;
LineFilterMatcher::~LineFilterMatcher() = default;

Result<LineFilterMatcher> LineFilterMatcher::Make(const LineFilter& filter, bool optimize) {
  LineFilterMatcher out;
  Impl& impl = *out.impl_;
  impl.op = filter.op;
  impl.negated = IsNegated(filter.op);
  if (filter.ip) {
    // Loki's NewIPLineFilter: only |= and != take ip() patterns.
    if (filter.op != LineFilterOp::kContains && filter.op != LineFilterOp::kNotContains) {
      return Status::InvalidArgument("ip: invalid operation");
    }
    for (const std::string& value : filter.values) {
      SLUICE_ASSIGN_OR_RETURN(IpMatcher ip, IpMatcher::Parse(value));
      impl.ips.push_back(std::move(ip));
      impl.ip_sources.push_back(value);
    }
    return out;
  }
  for (const std::string& value : filter.values) {
    switch (filter.op) {
      case LineFilterOp::kContains:
      case LineFilterOp::kNotContains:
        if (value.empty()) impl.all = true;
        impl.contains.push_back({.text = value});
        break;
      case LineFilterOp::kRegexMatch:
      case LineFilterOp::kRegexNoMatch: {
        SLUICE_ASSIGN_OR_RETURN(RegexAlternative re, RegexAlternative::Make(value, optimize));
        impl.regexes.push_back(std::move(re));
        break;
      }
      case LineFilterOp::kPatternMatch:
      case LineFilterOp::kPatternNoMatch: {
        SLUICE_ASSIGN_OR_RETURN(Pattern p, Pattern::CompileLineFilter(value));
        impl.patterns.push_back(std::move(p));
        impl.pattern_sources.push_back(value);
        break;
      }
    }
  }
  return out;
}

bool LineFilterMatcher::Matches(std::string_view line) const {
  const Impl& impl = *impl_;
  bool any = impl.all;
  for (size_t i = 0; !any && i < impl.contains.size(); ++i) {
    any = Find(line, impl.contains[i].text) != std::string_view::npos;
  }
  for (size_t i = 0; !any && i < impl.ips.size(); ++i) any = impl.ips[i].MatchesIn(line);
  for (size_t i = 0; !any && i < impl.regexes.size(); ++i) any = impl.regexes[i].Matches(line);
  for (size_t i = 0; !any && i < impl.patterns.size(); ++i) any = impl.patterns[i].Test(line);
  return any != impl.negated;
}

std::string LineFilterMatcher::Describe() const {
  const Impl& impl = *impl_;
  std::string out;
  auto add = [&out](const std::string& s) {
    if (!out.empty()) out += " or ";
    out += s;
  };
  for (const Literal& l : impl.contains) add(l.text.empty() ? "any" : l.Describe());
  for (const std::string& p : impl.ip_sources) add(fmt::format("ip(\"{}\")", p));
  for (const RegexAlternative& re : impl.regexes) add(re.Describe());
  for (const std::string& p : impl.pattern_sources) add(fmt::format("pattern(\"{}\")", p));
  return impl.negated ? "not(" + out + ")" : out;
}

}  // namespace sluice::query::logql

#include "query/logql_lexer.h"

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <utility>

#include "base/utf8.h"
#include "query/go_duration.h"
#include "query/go_numbers.h"
#include "query/promql_lexer.h"  // GoQuote: strconv.Quote

namespace sluice::query::logql {
namespace {

constexpr size_t kNpos = std::string_view::npos;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// text/scanner's white space (GoWhitespace).
bool IsScannerSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
// unicode.IsSpace, as far as ASCII goes (the lexer's look-aheads use it).
bool IsUnicodeSpace(char c) { return IsScannerSpace(c) || c == '\v' || c == '\f'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}

struct Word {
  std::string_view word;
  TokenType type;
};

constexpr std::array<Word, 24> kKeywords = {{
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"bool", TokenType::kBool},
    {"offset", TokenType::kOffset},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"or", TokenType::kOr},
    {"and", TokenType::kAnd},
    {"unless", TokenType::kUnless},
    {"json", TokenType::kJson},
    {"regexp", TokenType::kRegexp},
    {"logfmt", TokenType::kLogfmt},
    {"unpack", TokenType::kUnpack},
    {"pattern", TokenType::kPattern},
    {"label_format", TokenType::kLabelFmt},
    {"line_format", TokenType::kLineFmt},
    {"decolorize", TokenType::kDecolorize},
    {"drop", TokenType::kDrop},
    {"keep", TokenType::kKeep},
    {"unwrap", TokenType::kUnwrap},
    {"variants", TokenType::kVariants},
    {"of", TokenType::kOf},
}};

constexpr std::array<Word, 33> kFunctions = {{
    {"count_over_time", TokenType::kCountOverTime},
    {"rate", TokenType::kRate},
    {"rate_counter", TokenType::kRateCounter},
    {"bytes_over_time", TokenType::kBytesOverTime},
    {"bytes_rate", TokenType::kBytesRate},
    {"avg_over_time", TokenType::kAvgOverTime},
    {"sum_over_time", TokenType::kSumOverTime},
    {"min_over_time", TokenType::kMinOverTime},
    {"max_over_time", TokenType::kMaxOverTime},
    {"stdvar_over_time", TokenType::kStdvarOverTime},
    {"stddev_over_time", TokenType::kStddevOverTime},
    {"quantile_over_time", TokenType::kQuantileOverTime},
    {"first_over_time", TokenType::kFirstOverTime},
    {"last_over_time", TokenType::kLastOverTime},
    {"absent_over_time", TokenType::kAbsentOverTime},
    {"vector", TokenType::kVector},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"max", TokenType::kMax},
    {"min", TokenType::kMin},
    {"count", TokenType::kCount},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"bottomk", TokenType::kBottomk},
    {"topk", TokenType::kTopk},
    {"sort", TokenType::kSort},
    {"sort_desc", TokenType::kSortDesc},
    {"approx_topk", TokenType::kApproxTopk},
    {"label_replace", TokenType::kLabelReplace},
    {"bytes", TokenType::kBytesConv},
    {"duration", TokenType::kDurationConv},
    {"duration_seconds", TokenType::kDurationSecondsConv},
    {"ip", TokenType::kIp},
}};

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (Lower(word[i]) != lower[i]) return false;
  }
  return true;
}

std::optional<TokenType> Lookup(std::string_view word, std::span<const Word> table) {
  for (const Word& w : table) {
    if (EqualsLower(word, w.word)) return w.type;
  }
  return std::nullopt;
}

// lex.go's isDurationRune ("ns", "us", "µs", "ms", "s", "m", "h", "d", "w", "y").
bool IsDurationChar(char c) {
  switch (c) {
    case 'n':
    case 'u':
    case 'm':
    case 's':
    case 'h':
    case 'd':
    case 'w':
    case 'y':
      return true;
    default:
      return false;
  }
}

// lex.go's isBytesSizeRune.
bool IsBytesChar(char c) {
  switch (c) {
    case 'B':
    case 'i':
    case 'k':
    case 'K':
    case 'M':
    case 'G':
    case 'T':
    case 'P':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view TokenName(TokenType type) {
  switch (type) {
    case TokenType::kEof:
      return "$end";
    case TokenType::kError:
      return "error";
    case TokenType::kIdentifier:
    case TokenType::kUnknown:
      return "IDENTIFIER";
    case TokenType::kString:
      return "STRING";
    case TokenType::kNumber:
      return "NUMBER";
    case TokenType::kDuration:
      return "DURATION";
    case TokenType::kRange:
      return "RANGE";
    case TokenType::kBytes:
      return "BYTES";
    case TokenType::kParserFlag:
      return "PARSER_FLAG";
    case TokenType::kComma:
      return ",";
    case TokenType::kDot:
      return ".";
    case TokenType::kLeftBrace:
      return "{";
    case TokenType::kRightBrace:
      return "}";
    case TokenType::kLeftParen:
      return "(";
    case TokenType::kRightParen:
      return ")";
    case TokenType::kRightBracket:
      return "]";
    case TokenType::kEq:
      return "=";
    case TokenType::kNeq:
      return "!=";
    case TokenType::kRe:
      return "=~";
    case TokenType::kNre:
      return "!~";
    case TokenType::kNpa:
      return "!>";
    case TokenType::kPipeExact:
      return "|=";
    case TokenType::kPipeMatch:
      return "|~";
    case TokenType::kPipePattern:
      return "|>";
    case TokenType::kPipe:
      return "|";
    case TokenType::kCmpEq:
      return "==";
    case TokenType::kGt:
      return ">";
    case TokenType::kGte:
      return ">=";
    case TokenType::kLt:
      return "<";
    case TokenType::kLte:
      return "<=";
    case TokenType::kAdd:
      return "+";
    case TokenType::kSub:
      return "-";
    case TokenType::kMul:
      return "*";
    case TokenType::kDiv:
      return "/";
    case TokenType::kMod:
      return "%";
    case TokenType::kPow:
      return "^";
    case TokenType::kCountOverTime:
      return "COUNT_OVER_TIME";
    case TokenType::kRate:
      return "RATE";
    case TokenType::kRateCounter:
      return "RATE_COUNTER";
    case TokenType::kBytesOverTime:
      return "BYTES_OVER_TIME";
    case TokenType::kBytesRate:
      return "BYTES_RATE";
    case TokenType::kAvgOverTime:
      return "AVG_OVER_TIME";
    case TokenType::kSumOverTime:
      return "SUM_OVER_TIME";
    case TokenType::kMinOverTime:
      return "MIN_OVER_TIME";
    case TokenType::kMaxOverTime:
      return "MAX_OVER_TIME";
    case TokenType::kStdvarOverTime:
      return "STDVAR_OVER_TIME";
    case TokenType::kStddevOverTime:
      return "STDDEV_OVER_TIME";
    case TokenType::kQuantileOverTime:
      return "QUANTILE_OVER_TIME";
    case TokenType::kFirstOverTime:
      return "FIRST_OVER_TIME";
    case TokenType::kLastOverTime:
      return "LAST_OVER_TIME";
    case TokenType::kAbsentOverTime:
      return "ABSENT_OVER_TIME";
    case TokenType::kVector:
      return "VECTOR";
    case TokenType::kSum:
      return "SUM";
    case TokenType::kAvg:
      return "AVG";
    case TokenType::kMax:
      return "MAX";
    case TokenType::kMin:
      return "MIN";
    case TokenType::kCount:
      return "COUNT";
    case TokenType::kStddev:
      return "STDDEV";
    case TokenType::kStdvar:
      return "STDVAR";
    case TokenType::kBottomk:
      return "BOTTOMK";
    case TokenType::kTopk:
      return "TOPK";
    case TokenType::kSort:
      return "SORT";
    case TokenType::kSortDesc:
      return "SORT_DESC";
    case TokenType::kApproxTopk:
      return "APPROX_TOPK";
    case TokenType::kLabelReplace:
      return "label_replace";
    case TokenType::kBytesConv:
      return "BYTES_CONV";
    case TokenType::kDurationConv:
      return "DURATION_CONV";
    case TokenType::kDurationSecondsConv:
      return "DURATION_SECONDS_CONV";
    case TokenType::kIp:
      return "ip";
    default:
      break;
  }
  for (const Word& w : kKeywords) {
    if (w.type == type) return w.word;
  }
  return "$unk";
}

bool ParsePrometheusDuration(std::string_view text, int64_t* ns, std::string* error) {
  if (text == "0") {
    *ns = 0;
    return true;
  }
  if (text.empty()) {
    *error = "empty duration string";
    return false;
  }
  struct Unit {
    std::string_view name;
    int order;
    uint64_t mult;
  };
  static constexpr uint64_t kMs = 1000000;
  static constexpr std::array<Unit, 7> kUnits = {{
      {"y", 1, kMs * 1000 * 60 * 60 * 24 * 365},
      {"w", 2, kMs * 1000 * 60 * 60 * 24 * 7},
      {"d", 3, kMs * 1000 * 60 * 60 * 24},
      {"h", 4, kMs * 1000 * 60 * 60},
      {"m", 5, kMs * 1000 * 60},
      {"s", 6, kMs * 1000},
      {"ms", 7, kMs},
  }};
  auto invalid = [&]() {
    *error = "not a valid duration string: " + promql::GoQuote(text);
    return false;
  };
  std::string_view s = text;
  uint64_t dur = 0;
  int last = 0;
  while (!s.empty()) {
    if (!IsDigit(s[0])) return invalid();
    size_t i = 0;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      uint64_t digit = static_cast<uint64_t>(s[i] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
      v = v * 10 + digit;
    }
    if (overflow) return invalid();
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !IsDigit(s[u])) ++u;
    if (u == 0) return invalid();
    std::string_view name = s.substr(0, u);
    s.remove_prefix(u);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == name) unit = &candidate;
    }
    if (unit == nullptr) {
      *error = "unknown unit " + promql::GoQuote(name) + " in duration " + promql::GoQuote(text);
      return false;
    }
    if (unit->order <= last) return invalid();
    last = unit->order;
    if (v > (uint64_t{1} << 63) / unit->mult) {
      *error = "duration out of range";
      return false;
    }
    dur += v * unit->mult;
    if (dur > (uint64_t{1} << 63) - 1) {
      *error = "duration out of range";
      return false;
    }
  }
  *ns = static_cast<int64_t>(dur);
  return true;
}

bool ParseLokiDuration(std::string_view text, int64_t* ns, std::string* error) {
  std::string prometheus_error;
  if (ParsePrometheusDuration(text, ns, &prometheus_error)) return true;
  Result<int64_t> go = query::ParseGoDuration(text);
  if (!go.ok()) {
    *error = go.status().message();
    return false;
  }
  *ns = *go;
  return true;
}

bool ParseHumanBytes(std::string_view s, uint64_t* bytes) {
  size_t last = 0;
  std::string number;
  while (last < s.size() && (IsDigit(s[last]) || s[last] == '.' || s[last] == ',')) {
    if (s[last] != ',') number += s[last];
    ++last;
  }
  std::optional<double> f = GoParseFloat(number);
  if (!f) return false;
  std::string_view rest = s.substr(last);
  while (!rest.empty() && IsUnicodeSpace(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && IsUnicodeSpace(rest.back())) rest.remove_suffix(1);
  std::string unit;
  for (char c : rest) unit += Lower(c);
  struct Size {
    std::string_view name;
    double mult;
  };
  static constexpr double kKi = 1024;
  static constexpr std::array<Size, 26> kSizes = {{
      {"b", 1},
      {"", 1},
      {"kib", kKi},
      {"ki", kKi},
      {"kb", 1e3},
      {"k", 1e3},
      {"mib", kKi * kKi},
      {"mi", kKi * kKi},
      {"mb", 1e6},
      {"m", 1e6},
      {"gib", kKi * kKi * kKi},
      {"gi", kKi * kKi * kKi},
      {"gb", 1e9},
      {"g", 1e9},
      {"tib", kKi * kKi * kKi * kKi},
      {"ti", kKi * kKi * kKi * kKi},
      {"tb", 1e12},
      {"t", 1e12},
      {"pib", kKi * kKi * kKi * kKi * kKi},
      {"pi", kKi * kKi * kKi * kKi * kKi},
      {"pb", 1e15},
      {"p", 1e15},
      {"eib", kKi * kKi * kKi * kKi * kKi * kKi},
      {"ei", kKi * kKi * kKi * kKi * kKi * kKi},
      {"eb", 1e18},
      {"e", 1e18},
  }};
  for (const Size& size : kSizes) {
    if (size.name != unit) continue;
    double v = *f * size.mult;
    if (!(v < 18446744073709551616.0)) return false;  // Go: f >= math.MaxUint64
    *bytes = v < 0 ? 0 : static_cast<uint64_t>(v);
    return true;
  }
  return false;
}

void Lexer::Locate(size_t pos, int* line, int* column) {
  if (pos < loc_pos_) {
    loc_pos_ = 0;
    loc_line_ = 1;
    loc_column_ = 1;
  }
  for (; loc_pos_ < pos && loc_pos_ < input_.size(); ++loc_pos_) {
    auto b = static_cast<unsigned char>(input_[loc_pos_]);
    if (b == '\n') {
      ++loc_line_;
      loc_column_ = 1;
    } else if ((b & 0xC0) != 0x80) {
      ++loc_column_;
    }
  }
  *line = loc_line_;
  *column = loc_column_;
}

Token Lexer::Make(TokenType type, size_t start, size_t end, bool line_zero) {
  Token t;
  t.type = type;
  t.pos = start;
  t.end = end;
  t.text = input_.substr(start, end - start);
  Locate(start, &t.line, &t.column);
  if (line_zero) t.line = 0;
  pos_ = end;
  return t;
}

Token Lexer::Error(size_t start, std::string message, bool line_zero) {
  Token t = Make(TokenType::kError, start, start, line_zero);
  t.value = std::move(message);
  done_ = true;
  return t;
}

bool Lexer::SkipSpaceAndComments(Token* error) {
  while (pos_ < input_.size()) {
    char c = input_[pos_];
    if (IsScannerSpace(c)) {
      ++pos_;
      continue;
    }
    size_t start = pos_;
    if (c == '#' || (c == '/' && pos_ + 1 < input_.size() && input_[pos_ + 1] == '/')) {
      while (pos_ < input_.size() && input_[pos_] != '\n') {
        if (input_[pos_] == '\0') {
          *error = Error(start, "invalid character NUL", c == '#');
          return false;
        }
        size_t len = Utf8SequenceLength(input_, pos_);
        if (len == 0) {
          *error = Error(start, "invalid UTF-8 encoding", c == '#');
          return false;
        }
        pos_ += len;
      }
      continue;
    }
    if (c == '/' && pos_ + 1 < input_.size() && input_[pos_ + 1] == '*') {
      size_t close = input_.find("*/", pos_ + 2);
      if (close == kNpos) {
        *error = Error(start, "comment not terminated");
        return false;
      }
      pos_ = close + 2;
      continue;
    }
    break;
  }
  return true;
}

Token Lexer::Next() {
  if (done_) return Make(TokenType::kEof, input_.size(), input_.size());
  if (pos_ == 0 && input_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // text/scanner skips a BOM
  Token error;
  if (!SkipSpaceAndComments(&error)) return error;
  if (pos_ >= input_.size()) {
    done_ = true;
    return Make(TokenType::kEof, input_.size(), input_.size());
  }
  size_t start = pos_;
  char c = input_[start];
  char next = start + 1 < input_.size() ? input_[start + 1] : '\0';
  if (IsDigit(c) || (c == '.' && IsDigit(next))) return LexNumber(start);
  if (c == '"') return LexString(start);
  if (c == '`') return LexRawString(start);
  if (c == '[') return LexRange(start);
  if (c == '-') return LexMinus(start);
  if (IsAsciiLetter(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
    return LexWord(start);
  }
  struct Pair {
    char first, second;
    TokenType type;
  };
  static constexpr std::array<Pair, 10> kPairs = {{
      {'!', '=', TokenType::kNeq},
      {'=', '~', TokenType::kRe},
      {'!', '~', TokenType::kNre},
      {'!', '>', TokenType::kNpa},
      {'|', '=', TokenType::kPipeExact},
      {'|', '~', TokenType::kPipeMatch},
      {'|', '>', TokenType::kPipePattern},
      {'=', '=', TokenType::kCmpEq},
      {'>', '=', TokenType::kGte},
      {'<', '=', TokenType::kLte},
  }};
  for (const Pair& p : kPairs) {
    // Loki's lexer reads the second character with Next(), which loses the line.
    if (c == p.first && next == p.second) return Make(p.type, start, start + 2, true);
  }
  TokenType type = TokenType::kUnknown;
  switch (c) {
    case ',':
      type = TokenType::kComma;
      break;
    case '.':
      type = TokenType::kDot;
      break;
    case '{':
      type = TokenType::kLeftBrace;
      break;
    case '}':
      type = TokenType::kRightBrace;
      break;
    case '(':
      type = TokenType::kLeftParen;
      break;
    case ')':
      type = TokenType::kRightParen;
      break;
    case ']':
      type = TokenType::kRightBracket;
      break;
    case '=':
      type = TokenType::kEq;
      break;
    case '|':
      type = TokenType::kPipe;
      break;
    case '+':
      type = TokenType::kAdd;
      break;
    case '*':
      type = TokenType::kMul;
      break;
    case '/':
      type = TokenType::kDiv;
      break;
    case '%':
      type = TokenType::kMod;
      break;
    case '^':
      type = TokenType::kPow;
      break;
    case '>':
      type = TokenType::kGt;
      break;
    case '<':
      type = TokenType::kLt;
      break;
    case '\0':
      return Error(start, "invalid character NUL");
    default:
      break;
  }
  return Make(type, start, start + 1);
}

Token Lexer::LexNumber(size_t start) {
  size_t i = start;
  size_t n = input_.size();
  bool is_int = true;
  if (input_[i] == '0' && i + 1 < n && Lower(input_[i + 1]) == 'x') {
    i += 2;
    while (i < n && (HexValue(input_[i]) < 16 || input_[i] == '_')) ++i;
  } else {
    while (i < n && (IsDigit(input_[i]) || input_[i] == '_')) ++i;
    if (i < n && input_[i] == '.') {
      is_int = false;
      ++i;
      while (i < n && (IsDigit(input_[i]) || input_[i] == '_')) ++i;
    }
    if (i < n && Lower(input_[i]) == 'e') {
      is_int = false;
      size_t j = i + 1;
      if (j < n && (input_[j] == '+' || input_[j] == '-')) ++j;
      if (j >= n || !IsDigit(input_[j])) return Error(start, "exponent has no digits");
      while (j < n && (IsDigit(input_[j]) || input_[j] == '_')) ++j;
      i = j;
    }
    if (is_int && input_[start] == '0') {
      for (size_t k = start; k < i; ++k) {
        if (input_[k] == '8' || input_[k] == '9') {
          return Error(start, std::string("invalid digit '") + input_[k] + "' in octal literal");
        }
      }
    }
  }
  int64_t ns = 0;
  size_t end = TryDuration(start, i, &ns);
  if (end != kNpos) {
    Token t = Make(TokenType::kDuration, start, end, true);
    t.duration_ns = ns;
    return t;
  }
  uint64_t bytes = 0;
  end = TryBytes(start, i, &bytes);
  if (end != kNpos) {
    Token t = Make(TokenType::kBytes, start, end, true);
    t.bytes = bytes;
    return t;
  }
  return Make(TokenType::kNumber, start, i);
}

size_t Lexer::TryDuration(size_t start, size_t from, int64_t* ns) const {
  size_t j = from;
  while (j < input_.size()) {
    char c = input_[j];
    if (IsDigit(c) || IsDurationChar(c) || c == '.') {
      ++j;
    } else if (input_.substr(j, 2) == "\xC2\xB5") {  // µ
      j += 2;
    } else {
      break;
    }
  }
  if (j == from) return kNpos;
  std::string error;
  return ParseLokiDuration(input_.substr(start, j - start), ns, &error) ? j : kNpos;
}

size_t Lexer::TryBytes(size_t start, size_t from, uint64_t* bytes) const {
  size_t j = from;
  while (j < input_.size() && (IsDigit(input_[j]) || IsBytesChar(input_[j]) || input_[j] == '.')) {
    ++j;
  }
  if (j == from) return kNpos;
  return ParseHumanBytes(input_.substr(start, j - start), bytes) ? j : kNpos;
}

Token Lexer::LexString(size_t start) {
  size_t n = input_.size();
  size_t i = start + 1;
  std::string value;
  while (true) {
    if (i >= n || input_[i] == '\n') return Error(start, "literal not terminated");
    char c = input_[i];
    if (c == '"') break;
    if (c == '\0') return Error(start, "invalid character NUL");
    if (c != '\\') {
      size_t len = Utf8SequenceLength(input_, i);
      if (len == 0) return Error(start, "invalid UTF-8 encoding");
      value.append(input_.substr(i, len));
      i += len;
      continue;
    }
    // Go's scanEscape, then strconv's UnquoteChar (values Go refuses: "invalid syntax").
    if (i + 1 >= n) return Error(start, "literal not terminated");
    char e = input_[i + 1];
    i += 2;
    int digits = 0;
    int base = 16;
    switch (e) {
      case 'a':
        value += '\a';
        continue;
      case 'b':
        value += '\b';
        continue;
      case 'f':
        value += '\f';
        continue;
      case 'n':
        value += '\n';
        continue;
      case 'r':
        value += '\r';
        continue;
      case 't':
        value += '\t';
        continue;
      case 'v':
        value += '\v';
        continue;
      case '\\':
      case '"':
        value += e;
        continue;
      case 'x':
        digits = 2;
        break;
      case 'u':
        digits = 4;
        break;
      case 'U':
        digits = 8;
        break;
      default:
        if (e >= '0' && e <= '7') {
          digits = 3;
          base = 8;
          --i;
          break;
        }
        return Error(start, "invalid char escape");
    }
    uint32_t v = 0;
    for (int d = 0; d < digits; ++d) {
      int digit = i < n ? HexValue(input_[i]) : 16;
      if (digit >= base) return Error(start, "invalid char escape");
      v = v * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit);
      ++i;
    }
    if (e == 'x') {
      value += static_cast<char>(v);
    } else if (base == 8) {
      if (v > 255) return Error(start, "invalid syntax");
      value += static_cast<char>(v);
    } else {
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return Error(start, "invalid syntax");
      AppendUtf8(&value, v);
    }
  }
  Token t = Make(TokenType::kString, start, i + 1);
  t.value = std::move(value);
  return t;
}

Token Lexer::LexRawString(size_t start) {
  size_t n = input_.size();
  size_t i = start + 1;
  std::string value;
  while (true) {
    if (i >= n) return Error(start, "literal not terminated");
    char c = input_[i];
    if (c == '`') break;
    if (c == '\0') return Error(start, "invalid character NUL");
    size_t len = Utf8SequenceLength(input_, i);
    if (len == 0) return Error(start, "invalid UTF-8 encoding");
    if (c != '\r') value.append(input_.substr(i, len));  // strutil.Unquote drops them
    i += len;
  }
  Token t = Make(TokenType::kString, start, i + 1);
  t.value = std::move(value);
  return t;
}

Token Lexer::LexRange(size_t start) {
  size_t close = input_.find(']', start + 1);
  if (close == kNpos) return Error(start, "missing closing ']' in duration", true);
  int64_t ns = 0;
  std::string error;
  if (!ParsePrometheusDuration(input_.substr(start + 1, close - start - 1), &ns, &error)) {
    return Error(start, std::move(error), true);
  }
  Token t = Make(TokenType::kRange, start, close + 1, true);
  t.duration_ns = ns;
  return t;
}

Token Lexer::LexMinus(size_t start) {
  size_t n = input_.size();
  if (start + 1 < n && input_[start + 1] == '-') {
    size_t j = start + 1;
    while (j < n && (IsAsciiLetter(input_[j]) || input_[j] == '-')) ++j;
    std::string_view flag = input_.substr(start, j - start);
    if (flag == "--strict" || flag == "--keep-empty") {
      return Make(TokenType::kParserFlag, start, j, true);
    }
  }
  int64_t ns = 0;
  size_t end = TryDuration(start, start + 1, &ns);
  if (end != kNpos) {
    Token t = Make(TokenType::kDuration, start, end, true);
    t.duration_ns = ns;
    return t;
  }
  return Make(TokenType::kSub, start, start + 1);
}

Token Lexer::LexWord(size_t start) {
  size_t n = input_.size();
  size_t i = start;
  while (i < n) {
    char c = input_[i];
    if (IsAsciiLetter(c) || IsDigit(c) || c == '_') {
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x80) break;
    size_t len = Utf8SequenceLength(input_, i);
    if (len == 0) return Error(start, "invalid UTF-8 encoding");
    i += len;
  }
  std::string_view word = input_.substr(start, i - start);
  if (std::optional<TokenType> f = Lookup(word, kFunctions)) {
    return Make(FollowedByCall(i) ? *f : TokenType::kIdentifier, start, i);
  }
  if (std::optional<TokenType> k = Lookup(word, kKeywords)) return Make(*k, start, i);
  return Make(TokenType::kIdentifier, start, i);
}

bool Lexer::FollowedByCall(size_t from) const {
  size_t n = input_.size();
  size_t j = from;
  while (j < n && IsUnicodeSpace(input_[j])) ++j;
  if (j < n && input_[j] == '(') return true;
  std::string_view rest = input_.substr(j);
  size_t word = 0;
  if (rest.size() >= 2 && EqualsLower(rest.substr(0, 2), "by")) {
    word = 2;
  } else if (rest.size() >= 7 && EqualsLower(rest.substr(0, 7), "without")) {
    word = 7;
  } else {
    return false;
  }
  j += word;
  while (j < n && IsUnicodeSpace(input_[j])) ++j;
  return j < n && input_[j] == '(';
}

}  // namespace sluice::query::logql

#include "query/promql_lexer.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include "query/promql_parser_internal.h"

namespace sluice::query::promql {
namespace {

constexpr int32_t kEofRune = -1;

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsEndOfLine(int32_t r) { return r == '\r' || r == '\n'; }
bool IsAlpha(int32_t r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlphaNumeric(int32_t r) { return IsAlpha(r) || IsDigit(r); }

bool Contains(std::string_view set, int32_t r) {
  return r >= 0 && r < 0x80 && set.find(static_cast<char>(r)) != std::string_view::npos;
}

struct Keyword {
  std::string_view word;
  TokenType type;
};
constexpr std::array<Keyword, 28> kKeywords = {{
    {"and", TokenType::kAnd},
    {"or", TokenType::kOr},
    {"unless", TokenType::kUnless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"offset", TokenType::kOffset},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
}};

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Symbols Prometheus' ItemTypeStr names: desc() prints them without a type prefix.
bool HasTypeString(TokenType t) {
  switch (t) {
    case TokenType::kEof:
    case TokenType::kError:
    case TokenType::kComment:
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kNumber:
    case TokenType::kString:
    case TokenType::kDuration:
      return false;
    default:
      return true;
  }
}

// Go's %.10q: the first ten runes, quoted.
std::string QuoteTruncated(std::string_view s) {
  size_t pos = 0;
  for (int runes = 0; runes < 10 && pos < s.size(); ++runes) pos += DecodeRune(s, pos).second;
  return GoQuote(s.substr(0, pos));
}

}  // namespace

bool IsAggregatorToken(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kTopk; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }
bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kAt; }

std::string UnquoteString(std::string_view quoted) {
  std::string out;
  if (quoted.size() < 2) return out;
  char quote = quoted.front();
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  if (quote == '`') {
    for (char c : body) {
      if (c != '\r') out += c;
    }
    return out;
  }
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    char e = body[++i];
    int digits = 0;
    int base = 16;
    switch (e) {
      case 'a':
        out += '\a';
        continue;
      case 'b':
        out += '\b';
        continue;
      case 'f':
        out += '\f';
        continue;
      case 'n':
        out += '\n';
        continue;
      case 'r':
        out += '\r';
        continue;
      case 't':
        out += '\t';
        continue;
      case 'v':
        out += '\v';
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
          --i;  // the first digit is part of the value
          break;
        }
        out += e;  // \\ and the escaped quote
        continue;
    }
    uint32_t value = 0;
    for (int d = 0; d < digits && i + 1 < body.size(); ++d) {
      value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(DigitValue(body[++i]));
    }
    if (e == 'x' || base == 8) {
      out += static_cast<char>(value);  // a byte, not a rune
    } else {
      AppendUtf8(&out, value);
    }
  }
  return out;
}

std::string TokenDescription(const Token& token) {
  auto str = [&]() -> std::string {
    switch (token.type) {
      case TokenType::kEof:
        return "EOF";
      case TokenType::kError:
        return std::string(token.text);
      case TokenType::kIdentifier:
      case TokenType::kMetricIdentifier:
        return GoQuote(token.text);
      default:
        break;
    }
    if (IsKeywordToken(token.type)) return fmt::format("<{}>", token.text);
    if (IsOperatorToken(token.type)) return fmt::format("<op:{}>", token.text);
    if (IsAggregatorToken(token.type)) return fmt::format("<aggr:{}>", token.text);
    if (token.text.size() > 10) return QuoteTruncated(token.text) + "...";
    return GoQuote(token.text);
  };
  // Prometheus' ItemTypeStr lacks "@", so desc() falls back to the raw token number.
  if (token.type == TokenType::kAt) return "\"<Item 57385>\" " + str();
  if (HasTypeString(token.type)) return str();
  switch (token.type) {
    case TokenType::kEof:
      return "end of input";
    case TokenType::kError:
      return "error " + str();
    case TokenType::kComment:
      return "comment " + str();
    case TokenType::kIdentifier:
      return "identifier " + str();
    case TokenType::kMetricIdentifier:
      return "metric identifier " + str();
    case TokenType::kNumber:
      return "number " + str();
    case TokenType::kString:
      return "string " + str();
    case TokenType::kDuration:
      return "duration " + str();
    default:
      return str();
  }
}

Result<double> ParseNumberLiteral(std::string_view text) {
  auto digit_run = [&](size_t pos, int base) {
    while (pos < text.size() && DigitValue(text[pos]) < base) ++pos;
    return pos;
  };
  // strconv.ParseInt(text, 0, 64).
  int base = 10;
  size_t begin = 0;
  if (text.size() > 1 && text[0] == '0') {
    bool hex = text[1] == 'x' || text[1] == 'X';
    base = hex ? 16 : 8;
    begin = hex ? 2 : 1;
  }
  if (begin < text.size() && digit_run(begin, base) == text.size()) {
    uint64_t v = 0;
    bool overflow = false;
    for (size_t i = begin; i < text.size(); ++i) {
      uint64_t d = static_cast<uint64_t>(DigitValue(text[i]));
      if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / base) {
        overflow = true;
        break;
      }
      v = v * base + d;
    }
    if (!overflow) return static_cast<double>(v);
  }
  // strconv.ParseFloat(text, 64). Hexadecimal floats need a p exponent, which a token never has.
  auto error = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format(
        "error parsing number: strconv.ParseFloat: parsing {}: {}", GoQuote(text), why));
  };
  if (EqualsLower(text, "inf")) return std::numeric_limits<double>::infinity();
  if (EqualsLower(text, "nan")) return std::numeric_limits<double>::quiet_NaN();
  size_t int_end = digit_run(0, 10);
  size_t frac_begin = int_end;
  size_t frac_end = int_end;
  if (frac_begin < text.size() && text[frac_begin] == '.') {
    ++frac_begin;
    frac_end = digit_run(frac_begin, 10);
  }
  if (int_end == 0 && frac_end == frac_begin) return error("invalid syntax");
  size_t pos = frac_end;
  int64_t exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool negative = pos < text.size() && text[pos] == '-';
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
    size_t exp_end = digit_run(pos, 10);
    if (exp_end == pos) return error("invalid syntax");
    for (size_t i = pos; i < exp_end && exponent < 100000; ++i)
      exponent = exponent * 10 + (text[i] - '0');
    if (negative) exponent = -exponent;
    pos = exp_end;
  }
  if (pos != text.size()) return error("invalid syntax");
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // Overflow is an error; underflow rounds to zero, as Go does.
    size_t first = 0;
    while (first < int_end && text[first] == '0') ++first;
    int64_t magnitude = static_cast<int64_t>(int_end - first);
    if (magnitude == 0) {
      size_t z = frac_begin;
      while (z < frac_end && text[z] == '0') ++z;
      magnitude = -static_cast<int64_t>(z - frac_begin);
    }
    if (magnitude + exponent > 0) return error("value out of range");
    return 0.0;
  }
  if (ec != std::errc() || ptr != text.data() + text.size()) return error("invalid syntax");
  return value;
}

int32_t Lexer::NextRune() {
  if (pos_ >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  auto [r, width] = DecodeRune(input_, pos_);
  width_ = width;
  pos_ += width;
  return r;
}

int32_t Lexer::PeekRune() {
  int32_t r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  if (Contains(valid, NextRune())) return true;
  Backup();
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Contains(valid, NextRune())) {
  }
  Backup();
}

Token Lexer::Emit(TokenType type) {
  Token t{type, start_, input_.substr(start_, pos_ - start_)};
  start_ = pos_;
  return t;
}

Token Lexer::Error(std::string message) {
  error_ = std::move(message);
  state_ = State::kDone;
  return Token{TokenType::kError, start_, error_};
}

void Lexer::SkipSpaces() {
  while (IsSpace(PeekRune())) NextRune();
  start_ = pos_;
}

Token Lexer::Next() {
  switch (state_) {
    case State::kDone:
      start_ = pos_;
      return Token{TokenType::kEof, pos_, {}};
    case State::kDuration:
      state_ = State::kStatements;
      return LexDuration();
    case State::kInsideBraces:
      return LexInsideBraces();
    case State::kStatements:
      break;
  }
  return LexStatements();
}

Token Lexer::LexLineComment() {
  pos_ += 1;  // '#'
  int32_t r = NextRune();
  while (!IsEndOfLine(r) && r != kEofRune) r = NextRune();
  Backup();
  return Emit(TokenType::kComment);
}

Token Lexer::LexStatements() {
  while (true) {
    if (input_.substr(pos_).starts_with('#')) return LexLineComment();
    int32_t r = NextRune();
    if (r == kEofRune) {
      if (paren_depth_ != 0) return Error("unclosed left parenthesis");
      if (bracket_open_) return Error("unclosed left bracket");
      Token t = Emit(TokenType::kEof);
      state_ = State::kDone;
      return t;
    }
    if (IsSpace(r)) {
      while (IsSpace(PeekRune())) NextRune();
      start_ = pos_;
      continue;
    }
    switch (r) {
      case ',':
        return Emit(TokenType::kComma);
      case '*':
        return Emit(TokenType::kMul);
      case '/':
        return Emit(TokenType::kDiv);
      case '%':
        return Emit(TokenType::kMod);
      case '+':
        return Emit(TokenType::kAdd);
      case '-':
        return Emit(TokenType::kSub);
      case '^':
        return Emit(TokenType::kPow);
      case '=': {
        int32_t t = PeekRune();
        if (t == '=') {
          NextRune();
          return Emit(TokenType::kEqlc);
        }
        if (t == '~') return Error(fmt::format("unexpected character after '=': {}", QuoteRune(t)));
        return Emit(TokenType::kEql);
      }
      case '!': {
        int32_t t = NextRune();
        if (t != '=') return Error(fmt::format("unexpected character after '!': {}", QuoteRune(t)));
        return Emit(TokenType::kNeq);
      }
      case '<':
        if (PeekRune() == '=') {
          NextRune();
          return Emit(TokenType::kLte);
        }
        return Emit(TokenType::kLss);
      case '>':
        if (PeekRune() == '=') {
          NextRune();
          return Emit(TokenType::kGte);
        }
        return Emit(TokenType::kGtr);
      case '"':
      case '\'':
        string_open_ = r;
        return LexString();
      case '`':
        string_open_ = r;
        return LexRawString();
      case '(':
        ++paren_depth_;
        return Emit(TokenType::kLeftParen);
      case ')': {
        Token t = Emit(TokenType::kRightParen);
        if (--paren_depth_ < 0) {
          return Error(fmt::format("unexpected right parenthesis {}", QuoteRune(r)));
        }
        return t;
      }
      case '{':
        state_ = State::kInsideBraces;
        return Emit(TokenType::kLeftBrace);
      case '[': {
        if (bracket_open_) return Error(fmt::format("unexpected left bracket {}", QuoteRune(r)));
        got_colon_ = false;
        Token t = Emit(TokenType::kLeftBracket);
        // The duration right after '[' is scanned eagerly, as lex.go does (lexDuration).
        if (IsSpace(PeekRune())) SkipSpaces();
        bracket_open_ = true;
        state_ = State::kDuration;
        return t;
      }
      case ']':
        if (!bracket_open_) return Error(fmt::format("unexpected right bracket {}", QuoteRune(r)));
        bracket_open_ = false;
        return Emit(TokenType::kRightBracket);
      case '@':
        return Emit(TokenType::kAt);
      default:
        break;
    }
    if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
      Backup();
      return LexNumberOrDuration();
    }
    if (IsAlpha(r) || r == ':') {
      if (!bracket_open_) {
        Backup();
        return LexKeywordOrIdentifier();
      }
      if (got_colon_) return Error(fmt::format("unexpected colon {}", QuoteRune(r)));
      got_colon_ = true;
      return Emit(TokenType::kColon);
    }
    return Error(fmt::format("unexpected character: {}", QuoteRune(r)));
  }
}

Token Lexer::LexInsideBraces() {
  while (true) {
    if (input_.substr(pos_).starts_with('#')) return LexLineComment();
    int32_t r = NextRune();
    if (r == kEofRune) return Error("unexpected end of input inside braces");
    if (IsSpace(r)) {
      while (IsSpace(PeekRune())) NextRune();
      start_ = pos_;
      continue;
    }
    if (IsAlpha(r)) {
      Backup();
      return LexIdentifier();
    }
    switch (r) {
      case ',':
        return Emit(TokenType::kComma);
      case '"':
      case '\'':
        string_open_ = r;
        return LexString();
      case '`':
        string_open_ = r;
        return LexRawString();
      case '=':
        if (NextRune() == '~') return Emit(TokenType::kEqlRegex);
        Backup();
        return Emit(TokenType::kEql);
      case '!': {
        int32_t nr = NextRune();
        if (nr == '~') return Emit(TokenType::kNeqRegex);
        if (nr == '=') return Emit(TokenType::kNeq);
        return Error(
            fmt::format("unexpected character after '!' inside braces: {}", QuoteRune(nr)));
      }
      case '{':
        return Error(fmt::format("unexpected left brace {}", QuoteRune(r)));
      case '}':
        state_ = State::kStatements;
        return Emit(TokenType::kRightBrace);
      default:
        return Error(fmt::format("unexpected character inside braces: {}", QuoteRune(r)));
    }
  }
}

bool Lexer::ScanNumber() {
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789");
  }
  return !IsAlphaNumeric(PeekRune());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // ms; bad units such as "hs" fail later, in ParseDuration
  while (Accept("0123456789")) {
    while (Accept("0123456789")) {
    }
    if (!Accept("smhdw")) return false;  // y may only come first
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenType::kDuration);
  }
  return Error(fmt::format("bad number or duration syntax: {}",
                           GoQuote(input_.substr(start_, pos_ - start_))));
}

Token Lexer::LexDuration() {
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error(
        fmt::format("bad duration syntax: {}", GoQuote(input_.substr(start_, pos_ - start_))));
  }
  Backup();
  return Emit(TokenType::kDuration);
}

bool Lexer::LexEscape(Token* error) {
  int32_t ch = NextRune();
  int n = 0;
  uint32_t base = 0;
  uint32_t max = 0;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      return true;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      n = 3, base = 8, max = 255;
      break;
    case 'x':
      ch = NextRune();
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4, base = 16, max = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8, base = 16, max = 0x10FFFF;
      break;
    case kEofRune:
      *error = Error("escape sequence not terminated");
      return false;
    default:
      if (ch == string_open_) return true;
      *error = Error(fmt::format("unknown escape sequence {}", UnicodeName(ch)));
      return false;
  }
  uint64_t x = 0;
  while (n > 0) {
    uint32_t d = static_cast<uint32_t>(DigitValue(ch));
    if (d >= base) {
      if (ch == kEofRune) {
        *error = Error("escape sequence not terminated");
      } else {
        *error = Error(fmt::format("illegal character {} in escape sequence", UnicodeName(ch)));
      }
      return false;
    }
    x = x * base + d;
    --n;
    if (n > 0) ch = NextRune();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    *error = Error("escape sequence is an invalid Unicode code point");
    return false;
  }
  return true;
}

Token Lexer::LexString() {
  while (true) {
    int32_t r = NextRune();
    if (r == '\\') {
      Token error;
      if (!LexEscape(&error)) return error;
    } else if (r == kRuneError) {
      return Error("invalid UTF-8 rune");
    } else if (r == kEofRune || r == '\n') {
      return Error("unterminated quoted string");
    } else if (r == string_open_) {
      return Emit(TokenType::kString);
    }
  }
}

Token Lexer::LexRawString() {
  while (true) {
    int32_t r = NextRune();
    if (r == kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEofRune) return Error("unterminated raw string");
    if (r == string_open_) return Emit(TokenType::kString);
  }
}

Token Lexer::LexKeywordOrIdentifier() {
  while (true) {
    int32_t r = NextRune();
    if (IsAlphaNumeric(r) || r == ':') continue;
    Backup();
    std::string_view word = input_.substr(start_, pos_ - start_);
    for (const Keyword& k : kKeywords) {
      if (EqualsLower(word, k.word)) return Emit(k.type);
    }
    return Emit(word.find(':') == std::string_view::npos ? TokenType::kIdentifier
                                                         : TokenType::kMetricIdentifier);
  }
}

Token Lexer::LexIdentifier() {
  while (IsAlphaNumeric(NextRune())) {
  }
  Backup();
  return Emit(TokenType::kIdentifier);
}

}  // namespace sluice::query::promql

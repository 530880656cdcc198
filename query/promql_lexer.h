// PromQL lexer: the token stream of Prometheus 2.42's promql/parser/lex.go, state for state, so
// that the parser reports the same errors at the same positions (`unclosed left parenthesis`,
// `unexpected character inside braces: '~'`, `bad duration syntax: "5mx"`, ...).
//
// Tokens are produced lazily, one per Next() call: like Prometheus' yacc parser, ours reads a
// token only when it needs it, which decides whether a lexer error or a parser error is reported
// first. Token text views the query (or, for kError, the lexer's message) and lives as long as
// the Lexer and the query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::query::promql {

enum class TokenType : uint8_t {
  kEof,
  kError,
  kComment,
  kIdentifier,        // a name without colons: a label or metric name, or a function
  kMetricIdentifier,  // a name with a colon: only a metric name
  kNumber,
  kString,  // quoted text as written, quotes included
  kDuration,
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kEql,  // `=` (label matching)
  kColon,
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEqlc,  // `==`
  kNeq,
  kLte,
  kLss,
  kGte,
  kGtr,
  kEqlRegex,
  kNeqRegex,
  kAnd,
  kOr,
  kUnless,
  kAt,
  // Aggregators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // Preprocessors of `@`.
  kStart,
  kEnd,
};

bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);
bool IsOperatorToken(TokenType t);

struct Token {
  TokenType type = TokenType::kEof;
  size_t pos = 0;         // byte offset in the query
  std::string_view text;  // as written; the message for kError
};

// Go's strconv.Quote: "double-quoted", with \a \b \f \n \r \t \v \\ \", \xHH for bytes that are
// not UTF-8 and \uHHHH / \UHHHHHHHH for runes Go does not consider printable; unlike Go, U+FFFD
// is written \ufffd, since the lexer refuses it written out.
std::string GoQuote(std::string_view s);

// The value of a kString token (validated by the lexer): Go escapes resolved, and for `raw`
// strings carriage returns dropped, as Prometheus' strutil.Unquote does.
std::string UnquoteString(std::string_view quoted);

// How Prometheus names a token in "unexpected ..." messages (Item.desc()): `end of input`,
// `identifier "foo"`, `"("`, `<op:+>`, `<aggr:sum>`, `<by>`, `number "1"`, `string "\"a\""`.
std::string TokenDescription(const Token& token);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token. After kError or kEof, every call returns kEof.
  Token Next();

 private:
  enum class State { kStatements, kInsideBraces, kDuration, kDone };

  // A rune of the input as Go decodes it: -1 at the end, 0xFFFD for invalid UTF-8.
  int32_t NextRune();
  int32_t PeekRune();
  void Backup() { pos_ -= width_; }
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  Token Emit(TokenType type);
  Token Error(std::string message);

  Token LexStatements();
  Token LexInsideBraces();
  Token LexLineComment();
  Token LexNumberOrDuration();
  Token LexDuration();
  Token LexString();
  Token LexRawString();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  bool ScanNumber();
  bool AcceptRemainingDuration();
  // Go's lexEscape: returns false (after Error()) on a bad escape sequence.
  bool LexEscape(Token* error);
  void SkipSpaces();

  std::string_view input_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  State state_ = State::kStatements;
  int paren_depth_ = 0;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  int32_t string_open_ = 0;
  std::string error_;
};

}  // namespace sluice::query::promql

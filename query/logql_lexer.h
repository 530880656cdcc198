// LogQL lexer: the token stream of Loki's pkg/logql/syntax/lex.go, which sits on Go's
// text/scanner. Reproduced because the grammar depends on its quirks:
//   - keywords (`by`, `json`, `or`, `offset`, ...) are case-insensitive and never identifiers,
//     while function names (`rate`, `sum`, `bytes`, `ip`, ...) are functions only when `(` (or
//     `by (`/`without (`) follows, and identifiers otherwise (`| rate="a"`);
//   - a number glued to duration or byte units is one token (`5m`, `1h30m`, `250ms`, `20MB`),
//     and so is a minus sign glued to a duration (`-5m`);
//   - `[...]` is one RANGE token (Prometheus' duration syntax), `--strict` and `--keep-empty` are
//     parser flags, `#` starts a comment, and so do Go's `//` and `/* */`;
//   - "..." strings have Go's escapes, `...` strings are raw.
// Positions are Loki's: line and column (in characters, from 1) of the token's first character;
// for tokens Loki's lexer completes by reading further (two-character operators, DURATION,
// BYTES, RANGE, PARSER_FLAG), text/scanner reports line 0, and so do we.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::query::logql {

enum class TokenType : uint8_t {
  kEof,
  kError,  // a lexer error; the message is Token::value
  kIdentifier,
  kString,      // value: the unescaped text
  kNumber,      // text: as written
  kDuration,    // duration_ns
  kRange,       // `[5m]`: duration_ns
  kBytes,       // bytes
  kParserFlag,  // `--strict`, `--keep-empty`
  kUnknown,     // a character no rule accepts (Loki's lexer calls it an IDENTIFIER)
  // Punctuation and operators.
  kComma,
  kDot,
  kLeftBrace,
  kRightBrace,
  kLeftParen,
  kRightParen,
  kRightBracket,
  kEq,           // =
  kNeq,          // !=
  kRe,           // =~
  kNre,          // !~
  kNpa,          // !>
  kPipeExact,    // |=
  kPipeMatch,    // |~
  kPipePattern,  // |>
  kPipe,         // |
  kCmpEq,        // ==
  kGt,
  kGte,
  kLt,
  kLte,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  // Keywords.
  kBy,
  kWithout,
  kBool,
  kOffset,
  kOn,
  kIgnoring,
  kGroupLeft,
  kGroupRight,
  kOr,
  kAnd,
  kUnless,
  kJson,
  kRegexp,
  kLogfmt,
  kUnpack,
  kPattern,
  kLabelFmt,
  kLineFmt,
  kDecolorize,
  kDrop,
  kKeep,
  kUnwrap,
  kVariants,
  kOf,
  // Function names (followed by `(`, `by (` or `without (`).
  kCountOverTime,
  kRate,
  kRateCounter,
  kBytesOverTime,
  kBytesRate,
  kAvgOverTime,
  kSumOverTime,
  kMinOverTime,
  kMaxOverTime,
  kStdvarOverTime,
  kStddevOverTime,
  kQuantileOverTime,
  kFirstOverTime,
  kLastOverTime,
  kAbsentOverTime,
  kVector,
  kSum,
  kAvg,
  kMax,
  kMin,
  kCount,
  kStddev,
  kStdvar,
  kBottomk,
  kTopk,
  kSort,
  kSortDesc,
  kApproxTopk,
  kLabelReplace,
  kBytesConv,
  kDurationConv,
  kDurationSecondsConv,
  kIp,
};

// How Loki's yacc parser names a token in "syntax error: unexpected ..." messages: the text of
// punctuation and keywords (`)`, `|=`, `by`, `json`), the grammar's name otherwise
// (IDENTIFIER, STRING, NUMBER, DURATION, RANGE, SUM, COUNT_OVER_TIME, ...); `$end` at the end.
std::string_view TokenName(TokenType type);

struct Token {
  TokenType type = TokenType::kEof;
  size_t pos = 0;         // byte offset of the first character
  size_t end = 0;         // byte offset after the token
  int line = 1;           // as Loki reports it (0 for the tokens named above)
  int column = 1;         // characters from the start of the line, from 1
  std::string_view text;  // as written
  std::string value;      // kString: unescaped; kError: the message
  int64_t duration_ns = 0;
  uint64_t bytes = 0;
};

// Loki's duration literals (lex.go's parseDuration): Prometheus' syntax first (`1h30m`, `2d`,
// `1w`, `1y`, `0`), then Go's time.ParseDuration (`1.5h`, `500us`, `-5m`). Nanoseconds; the
// error is Go's message when neither accepts the text.
bool ParseLokiDuration(std::string_view text, int64_t* ns, std::string* error);
// Prometheus' model.ParseDuration (range literals `[5m]`): nanoseconds, or its error message.
bool ParsePrometheusDuration(std::string_view text, int64_t* ns, std::string* error);
// go-humanize's ParseBytes (`20MB` = 20e6, `1KiB` = 1024, `5k`): false when it fails.
bool ParseHumanBytes(std::string_view text, uint64_t* bytes);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token. After kError or kEof, every call returns kEof.
  Token Next();

 private:
  Token Make(TokenType type, size_t start, size_t end, bool line_zero = false);
  Token Error(size_t start, std::string message, bool line_zero = false);
  // Loki's Position of a token starting at byte `pos` (positions are asked in increasing order).
  void Locate(size_t pos, int* line, int* column);
  // Skips white space and comments; false (with *error set) on an unterminated /* comment.
  bool SkipSpaceAndComments(Token* error);
  Token LexNumber(size_t start);
  Token LexString(size_t start);
  Token LexRawString(size_t start);
  Token LexRange(size_t start);
  Token LexMinus(size_t start);
  Token LexWord(size_t start);
  // lex.go's tryScanDuration / tryScanBytes: the unit suffix after a number (or `-`) ending at
  // `from`; returns the end of the token, or npos when the suffix does not make one.
  size_t TryDuration(size_t start, size_t from, int64_t* ns) const;
  size_t TryBytes(size_t start, size_t from, uint64_t* bytes) const;
  // lex.go's isFunction: whether `(`, `by (` or `without (` follows position `from`.
  bool FollowedByCall(size_t from) const;

  std::string_view input_;
  size_t pos_ = 0;
  bool done_ = false;
  // Locate()'s cursor.
  size_t loc_pos_ = 0;
  int loc_line_ = 1;
  int loc_column_ = 1;
};

}  // namespace sluice::query::logql

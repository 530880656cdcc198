// Pieces of the PromQL parser shared between its files (lexer, parser, type checker); not an
// interface for the rest of Sluice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "base/status.h"
#include "base/utf8.h"
#include "query/promql_ast.h"

namespace sluice::query::promql {

// Go's text conventions, shared by the lexer and the printer (defined in promql_printer.cc).
inline constexpr int32_t kRuneError = 0xFFFD;
// utf8.DecodeRuneInString: (0xFFFD, 1) for bytes that are not UTF-8. Precondition: pos < size.
std::pair<int32_t, size_t> DecodeRune(std::string_view s, size_t pos);
using sluice::AppendUtf8;  // base/utf8.h
// unicode.IsPrint, as far as promql_printer.cc's tables know it.
bool IsPrint(uint32_t r);
// The value of a hexadecimal digit; 16 for anything else.
int DigitValue(int32_t r);
// Go's %#U of a rune: `U+0071 'q'`, or `U+000A` when it is not printable.
std::string UnicodeName(int32_t r);
// Go's %q of a rune: `'q'`, `'\n'`, `'\u00a0'`.
std::string QuoteRune(int32_t r);

// Prometheus' ParseErr text: `<line>:<column>: parse error: <message>`, the column counted in
// bytes from 1, as an InvalidArgument status.
Status ParseError(std::string_view query, size_t pos, std::string_view message);

// A NUMBER token's value as Prometheus' parser reads it: Go's ParseInt with base 0 (0x1f, and
// octal 017), else ParseFloat (1e3, .5, Inf, NaN); Go's error text otherwise.
Result<double> ParseNumberLiteral(std::string_view text);

// Go's regexp/syntax rejects \C (any byte), which RE2 accepts.
bool HasAnyByteEscape(std::string_view value);
// Go's regexp/syntax error text for a label matcher value RE2 rejects: `error parsing regexp:
// missing closing ): `^(?:()$``.
std::string RegexError(const std::string& value);

// parse.go's checkAST: argument and operand types, function arities, vector matching rules,
// selectors that match everything. Also settles vector matching as Prometheus does: dropped
// unless both sides are vectors, many-to-many for set operators.
Status CheckAst(std::string_view query, Expr* expr);

}  // namespace sluice::query::promql

// LogQL line filters (`|= "x"`, `!= "x"`, `|~ "re"`, `!~ "re"`, `|> "<_> x <_>"`, `!> ...`,
// `|= ip("10.0.0.0/8")`, `!= ip(...)`, with `or` alternatives) and Loki's pattern expressions
// (`<ip> - <_> [<ts>] "<method> <path> <_>"`), which both `|>` and the `| pattern` parser use.
//
// This is the hot loop of every log query: substring filters use a vectorised search (memmem),
// regexes are prefiltered by a literal they require when there is one, `(?i)` literals fold case
// without allocating, and an expression is compiled once per query.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "query/logql_ast.h"

namespace sluice::query::logql {

// A compiled pattern expression: literals and named (or `<_>`) captures.
//
// Loki's matcher (pkg/logql/log/pattern) is not a regex: each capture takes the text up to the
// first occurrence of the literal that follows it, and the last capture takes the rest of the
// line. Its two uses differ, and so do these two functions, as in Loki:
//  - Extract (the `| pattern` parser): a leading literal must start the line (else nothing is
//    captured); when a literal is missing, the capture before it takes the rest of the line and
//    the later captures are not set.
//  - Test (the `|>` filter): every literal must be found, in order, with a non-empty capture
//    between two literals; a trailing literal must end the line, a trailing capture must not be
//    empty. As in Loki, a leading literal is searched for, not anchored: `|> "foo <_>"` matches
//    `xx foo bar`. An empty line matches only the empty pattern (and the empty pattern only it).
class Pattern {
 public:
  // The `| pattern` parser's rules. InvalidArgument (Loki's wording) when the expression is
  // invalid: empty, no named capture, two captures in a row, a repeated name.
  static Result<Pattern> Compile(std::string_view expression);
  // The `|>` / `!>` filter's rules: no named capture (only `<_>`), no two captures in a row; no
  // capture is needed, and the empty pattern is allowed (it matches the empty line).
  static Result<Pattern> CompileLineFilter(std::string_view expression);

  // Test(line); when `captures` is not null, also Extract(line, captures).
  bool Match(std::string_view line, std::vector<std::string_view>* captures = nullptr) const;
  // Whether `line` matches (the `|>` filter).
  bool Test(std::string_view line) const;
  // The values of the named captures (views of `line`), in the order of names(): fewer than
  // names() (possibly none) when the line ends early. `captures` is cleared first.
  void Extract(std::string_view line, std::vector<std::string_view>* captures) const;
  // The names of the named captures (`<_>` excluded), in order.
  const std::vector<std::string>& names() const { return names_; }

 private:
  static constexpr int kLiteral = -1;  // Node::capture of a literal run
  static constexpr int kUnnamed = -2;  // Node::capture of `<_>`
  struct Node {
    std::string literal;     // a literal run (never empty) when capture == kLiteral
    int capture = kLiteral;  // else the index into names_, or kUnnamed
  };
  static Result<Pattern> Build(std::string_view expression, bool line_filter);

  std::vector<Node> nodes_;  // literal runs and captures; never two literal runs in a row
  std::vector<std::string> names_;
};

// One line filter stage with its alternatives: `|= "a" or "b"` matches when any alternative
// does, `!= "a" or "b"` when none does (Loki's `!(a or b)` = `!a and !b`; likewise `!~`, `!>`).
class LineFilterMatcher {
 public:
  // InvalidArgument with Go's regexp/syntax wording for a regex RE2 rejects (`error parsing
  // regexp: missing closing ): `(foo``), Loki's for an invalid pattern or ip() pattern (`ip:
  // invalid pattern: "x"`; `ip: invalid operation` for ip() after |~ !~ |> !>). `optimize` = false
  // runs every regex through RE2 as written (no simplification, no prefilter): for tests.
  static Result<LineFilterMatcher> Make(const LineFilter& filter, bool optimize = true);
  LineFilterMatcher(LineFilterMatcher&&) noexcept;
  LineFilterMatcher& operator=(LineFilterMatcher&&) noexcept;
  ~LineFilterMatcher();

  bool Matches(std::string_view line) const;

  // How each alternative is evaluated, for tests and query statistics: `contains("a")`,
  // `contains_fold("a")`, `any`, `non_empty`, `regex("re") prefilter(contains("x"))`,
  // `pattern("p")`, `ip("10.0.0.0/8")`, joined with ` or `, wrapped in `not(...)` for the negated
  // operators.
  std::string Describe() const;

 private:
  LineFilterMatcher();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::query::logql

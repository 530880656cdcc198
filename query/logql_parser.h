// LogQL parser: Loki's grammar (pkg/logql/syntax/expr.y, lex.go) and its semantic checks
// (ast.go's constructors, parser.go's validation), building the tree of logql_ast.h.
//
// Errors are InvalidArgument with Loki's text. Syntax errors carry the position of the offending
// token, as Loki's yacc parser reports them: `parse error at line 1, col 9: syntax error:
// unexpected }, expecting STRING`. Errors Loki raises while building or validating the tree carry
// none: `parse error : grouping not allowed for count_over_time aggregation`, `parse error :
// queries require at least one regexp or equality matcher that does not have an empty-compatible
// value. ...`.
//
// Not supported (rejected with a clear error): the experimental `variants(...) of (...)`,
// `approx_topk` and the former `| distinct` stage. Nesting is limited (256 levels of
// parentheses and calls, trees 1024 deep) so that no input exhausts the stack.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "query/logql_ast.h"
#include "storage/label_matcher.h"

namespace sluice::query::logql {

Result<ExprPtr> ParseExpr(std::string_view text);

// A duration as LogQL writes them outside ranges (offsets, label filters): Prometheus' syntax
// (`1h30m`, `2d`, `1w`, `1y`) or Go's (`1.5h`, `500us`, `-5m`). Nanoseconds.
Result<int64_t> ParseDuration(std::string_view text);

// Loki's ParseMatchers, for the match[] and query parameters of the series, labels and label
// values endpoints: a bare stream selector (`{app="x", env=~"prod|dev"}`); anything else is
// "only label matchers are supported". With `validate`, a selector whose matchers all match the
// empty string is refused as it is by ParseExpr.
Result<storage::LabelMatchers> ParseMatchers(std::string_view text, bool validate);

}  // namespace sluice::query::logql

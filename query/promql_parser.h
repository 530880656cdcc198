// PromQL parser: Prometheus 2.42's grammar (promql/parser/generated_parser.y and lex.go) with its
// precedence and associativity, durations (`1h30m`), number literals (hex, exponents, Inf, NaN),
// strings ("...", '...', `...`), comments, offset, @ with start()/end(), subqueries, and its type
// checks (a range vector where an instant vector is expected, wrong argument counts, ...).
//
// Errors are InvalidArgument with Prometheus' text, position first: `1:14: parse error:
// unexpected "}" in label matching, expected string`.
#pragma once

#include <string_view>

#include "base/result.h"
#include "query/promql_ast.h"

namespace sluice::query::promql {

Result<ExprPtr> ParseExpr(std::string_view query);

// Prometheus' ParseMetricSelector, for match[] of /api/v1/series, labels and label values: one
// vector selector (`up`, `up{job="x"}`, `{__name__=~"a.*"}`) with the same error texts, and no
// type checks, so `{}` parses: Prometheus' API rejects a selector whose matchers all match the
// empty string itself ("match[] must contain at least one non-empty matcher").
Result<storage::LabelMatchers> ParseMetricSelector(std::string_view selector);

// Prometheus' ParseDuration: `1h30m`, `90s`, `1y` (= 365d); milliseconds, > 0 unless allow_zero.
Result<int64_t> ParseDuration(std::string_view text, bool allow_zero = false);

}  // namespace sluice::query::promql

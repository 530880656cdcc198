// The LogQL syntax tree, as Loki's parser builds it (pkg/logql/syntax/ast.go): the parser
// (logql_parser.h) makes it, the pipeline compiler (logql_pipeline.h) and the engine
// (logql_engine.h) run it, and the HTTP API prints it back (format_query).
//
// Log timestamps and durations are in nanoseconds, as everywhere in the log engine. Operators,
// aggregations and vector matching are PromQL's: a LogQL metric query's vector part is evaluated
// by the PromQL engine (one implementation of aggregation and matching, not two).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "query/promql_ast.h"
#include "storage/label_matcher.h"

namespace sluice::query::logql {

// ---- Log pipeline stages -------------------------------------------------------------------

enum class LineFilterOp {
  kContains,        // |=
  kNotContains,     // !=
  kRegexMatch,      // |~
  kRegexNoMatch,    // !~
  kPatternMatch,    // |>
  kPatternNoMatch,  // !>
};
std::string_view LineFilterOpString(LineFilterOp op);  // "|=", "!=", ...

// `|= "a" or "b"`: one filter with alternatives (any of them matches; for the negated ops, none).
struct LineFilter {
  LineFilterOp op = LineFilterOp::kContains;
  std::vector<std::string> values;  // unescaped; at least one
  // `|= ip("192.168.0.0/16")`: the values are ip() patterns (an address, a range `a-b` or a
  // CIDR) that an address in the line must match (none may, for != ). The parser does not mix
  // ip() and string alternatives in one filter.
  bool ip = false;
};

enum class ParserKind { kJson, kLogfmt, kRegexp, kPattern, kUnpack };
std::string_view ParserKindString(ParserKind kind);  // "json", "logfmt", ...

// `label="expression"` (json: a JSON path such as `request.headers["User-Agent"]` or
// `servers[0]`; logfmt: a key) or a bare `label` (the expression is the label itself).
struct ExtractionParam {
  std::string label;
  std::string expression;  // empty for a bare identifier
};

// `| json`, `| json a="x.y", b`, `| logfmt --strict --keep-empty a, b="c"`, `| regexp "re"`,
// `| pattern "<ip> - <_>"`, `| unpack`.
struct Parser {
  ParserKind kind = ParserKind::kJson;
  std::string argument;  // regexp and pattern: the expression (unescaped)
  std::vector<ExtractionParam> params;
  bool strict = false;      // logfmt --strict
  bool keep_empty = false;  // logfmt --keep-empty
};

// A comparison of one label in a label filter.
enum class CompareOp {
  kEqual,
  kNotEqual,
  kRegexMatch,
  kRegexNoMatch,
  kGreater,
  kGreaterEqual,
  kLess,
  kLessEqual
};
std::string_view CompareOpString(CompareOp op);  // "=", "!=", "=~", "!~", ">", ">=", "<", "<="
// What the right-hand side is, which decides how the label's value is converted: strings compare
// as text (=, !=, =~, !~), numbers as float64 (== is written `==` or `=`), durations with Go's
// time.ParseDuration (`10s`, `1h30m`), bytes with humanize's ParseBytes (`1KB`, `5MiB`);
// `ip("...")` matches an address, range or CIDR.
enum class LiteralKind { kString, kNumber, kDuration, kBytes, kIp };

struct LabelComparison {
  std::string label;
  CompareOp op = CompareOp::kEqual;
  LiteralKind kind = LiteralKind::kString;
  std::string text;   // the literal as written (unescaped for strings): for printing
  double number = 0;  // kNumber; kDuration in seconds; kBytes in bytes
};

// `a="x" and b>1`, `a="x", b="y"` (and), `a="x" or b="y"`, parentheses: a tree.
struct LabelFilterExpr;
using LabelFilterPtr = std::unique_ptr<LabelFilterExpr>;
struct LabelFilterExpr {
  enum class Kind { kComparison, kAnd, kOr };
  Kind kind = Kind::kComparison;
  LabelComparison comparison;  // kComparison
  LabelFilterPtr lhs, rhs;     // kAnd, kOr
  bool parenthesized = false;  // written in parentheses (printing only)
  bool comma = false;          // kAnd written as `,` (printing only)
};

// `| line_format "{{.a}} {{.b}}"`.
struct LineFormat {
  std::string template_text;  // unescaped
};

// `| label_format dst="{{.a}}"` (a template) or `| label_format dst=src` (a rename).
struct LabelFormatItem {
  std::string label;
  std::string value;  // template text, or the source label of a rename
  bool rename = false;
};
struct LabelFormat {
  std::vector<LabelFormatItem> items;
};

// `| drop a, b="v", c=~"x.*"` and `| keep a, b="v"`: a bare name, or a matcher on a label.
struct DropKeepItem {
  std::string label;
  std::optional<storage::LabelMatcher> matcher;
};
struct DropKeep {
  bool keep = false;
  std::vector<DropKeepItem> items;
};

struct Decolorize {};

// `| unwrap label`, `| unwrap duration(label)`, `| unwrap duration_seconds(label)`,
// `| unwrap bytes(label)`, followed by label filters applied after the conversion.
struct Unwrap {
  enum class Conversion { kNone, kDuration, kDurationSeconds, kBytes };
  std::string label;
  Conversion conversion = Conversion::kNone;
  std::vector<LabelFilterPtr> post_filters;
};

struct Stage {
  using Node = std::variant<LineFilter, Parser, LabelFilterPtr, LineFormat, LabelFormat, DropKeep,
                            Decolorize>;
  Node node;
};

// `{matchers} stages...`.
struct LogSelector {
  storage::LabelMatchers matchers;
  std::vector<Stage> stages;
};

// ---- Metric expressions ----------------------------------------------------------------------

enum class RangeOp {
  kCountOverTime,
  kRate,
  kRateCounter,
  kBytesOverTime,
  kBytesRate,
  kAbsentOverTime,
  kSumOverTime,  // unwrap only, from here on
  kAvgOverTime,
  kMaxOverTime,
  kMinOverTime,
  kStddevOverTime,
  kStdvarOverTime,
  kQuantileOverTime,
  kFirstOverTime,
  kLastOverTime,
};
std::string_view RangeOpString(RangeOp op);  // "count_over_time", ...
bool RangeOpNeedsUnwrap(RangeOp op);         // sum_over_time ... last_over_time, rate_counter

// `{sel} |= "x" [5m] offset 1h`, `({sel} | json | unwrap d)[5m]`: the log selector, its range,
// the unwrap when there is one, the offset.
struct LogRange {
  LogSelector selector;
  std::optional<Unwrap> unwrap;
  int64_t range_ns = 0;
  int64_t offset_ns = 0;
  bool range_after_pipeline = true;  // `{sel} | x [5m]` rather than `{sel}[5m] | x` (printing)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// `count_over_time(range)`, `quantile_over_time(0.99, range) by (x)`.
struct RangeAggregation {
  RangeOp op = RangeOp::kCountOverTime;
  LogRange range;
  std::optional<double> param;  // quantile_over_time
  std::vector<std::string> grouping;
  bool without = false;
  bool grouping_given = false;
};

// `sum by (x) (expr)`, `topk(5, expr)`, `sort(expr)`, `sort_desc(expr)`. Loki's vector
// aggregations are PromQL's, plus sort and sort_desc (which order the result only).
struct VectorAggregation {
  enum class Op {
    kSum,
    kAvg,
    kMin,
    kMax,
    kCount,
    kStddev,
    kStdvar,
    kTopk,
    kBottomk,
    kSort,
    kSortDesc
  };
  Op op = Op::kSum;
  ExprPtr expr;
  std::optional<int64_t> param;  // topk/bottomk
  std::vector<std::string> grouping;
  bool without = false;
  bool grouping_given = false;
};
std::string_view VectorAggregationOpString(VectorAggregation::Op op);

struct Binary {
  promql::BinaryOp op = promql::BinaryOp::kAdd;  // no atan2 in LogQL
  ExprPtr lhs, rhs;
  bool return_bool = false;
  std::optional<promql::VectorMatching> matching;  // both sides vectors
};

struct Number {
  double value = 0;
};

// `vector(1)`.
struct VectorLiteral {
  double value = 0;
};

// `label_replace(expr, "dst", "replacement", "src", "regex")`.
struct LabelReplace {
  ExprPtr expr;
  std::string dst, replacement, src, regex;
};

struct Paren {
  ExprPtr expr;
};

struct Expr {
  using Node = std::variant<LogSelector, RangeAggregation, VectorAggregation, Binary, Number,
                            VectorLiteral, LabelReplace, Paren>;
  Node node;
};

// A log query (a bare selector with its pipeline) rather than a metric query.
inline bool IsLogQuery(const Expr& e) { return std::holds_alternative<LogSelector>(e.node); }

// Loki's canonical text (syntax.Expr.String()), what /loki/api/v1/format_query answers:
// `{app="x"} |= "err" | json | level="error"`, `sum by (level)(count_over_time({app="x"}[1m]))`.
std::string ToString(const Expr& expr);
// The same for parts of a query: a selector with its stages, one stage (`| json`, as Loki names
// a stage in "stage '...'" errors), a label filter without its `| `.
std::string ToString(const LogSelector& selector);
std::string ToString(const Stage& stage);
std::string ToString(const LabelFilterExpr& filter);

}  // namespace sluice::query::logql

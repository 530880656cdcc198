// The PromQL syntax tree, as Prometheus 2.x's parser builds it (promql/parser/ast.go): the
// parser (promql_parser.h) makes it, the engine (promql_engine.h) evaluates it, and the HTTP API
// prints it back (format_query) or as JSON (parse_query).
//
// Times and durations are in milliseconds, as everywhere in the metrics engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/label_matcher.h"

namespace sluice::query::promql {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ValueTypeName(ValueType type);  // "scalar", "vector", "matrix", "string"

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,  // arithmetic
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,  // comparison
  kAnd,
  kOr,
  kUnless,  // set
};
std::string_view BinaryOpString(BinaryOp op);  // "+", "==", "and", "atan2", ...
bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);

enum class AggregateOp {
  kSum,
  kAvg,
  kMin,
  kMax,
  kCount,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
};
std::string_view AggregateOpString(AggregateOp op);  // "sum", "count_values", ...

// `@ <timestamp>`, `@ start()`, `@ end()`.
struct AtModifier {
  enum class Kind { kTimestamp, kStart, kEnd };
  Kind kind = Kind::kTimestamp;
  int64_t timestamp_ms = 0;  // for kTimestamp
};

struct NumberLiteral {
  double value = 0;
};

struct StringLiteral {
  std::string value;  // unescaped
};

// `name{matchers} offset d @ t`. `matchers` holds every matcher, the name's `__name__="name"`
// included (last, as Prometheus appends it); `name` is kept only to print the selector the way it
// was written.
struct VectorSelector {
  std::string name;
  storage::LabelMatchers matchers;
  int64_t offset_ms = 0;  // may be negative
  std::optional<AtModifier> at;
};

// `selector[range]`; offset and @ belong to the inner selector (Prometheus prints them after
// the range).
struct MatrixSelector {
  VectorSelector selector;
  int64_t range_ms = 0;
};

// `expr[range:step] offset d @ t`; step 0 means the query's step (the default resolution).
struct Subquery {
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;
  int64_t offset_ms = 0;
  std::optional<AtModifier> at;
};

struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // Number of trailing arguments that may be omitted (`round(v)`, `label_join(v, d, s, ...)`);
  // -1: the last argument type repeats without bound.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};
// The signature of a Prometheus 2.42 function, or nullptr. Names are case-sensitive. The table
// also holds histogram_count, histogram_sum and histogram_fraction: they parse in 2.42, and over
// float samples they return empty vectors.
const FunctionSignature* FindFunction(std::string_view name);

struct Call {
  const FunctionSignature* function = nullptr;
  std::vector<ExprPtr> args;
};

// `op by|without (labels) (param, expr)`.
struct Aggregate {
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile/count_values only
  std::vector<std::string> grouping;
  bool without = false;
  // `by (...)`/`without (...)` was written, even empty. Prometheus 2.42 prints `sum by () (x)` as
  // `sum(x)`, so this is informational only.
  bool grouping_given = false;
};

// on/ignoring/group_left/group_right of a binary operation between two vectors.
struct VectorMatching {
  enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Cardinality cardinality = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // the on(...) or ignoring(...) list
  bool on = false;                           // on(...) rather than ignoring(...)
  std::vector<std::string> include;          // group_left(...)/group_right(...) labels
};

struct Binary {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;  // `bool` modifier of a comparison
  // Set when both sides are vectors (set operators: kManyToMany).
  std::optional<VectorMatching> matching;
};

struct Unary {
  bool negate = false;  // `-expr`; `+expr` parses to negate = false (and prints as `+expr`)
  ExprPtr expr;
};

struct Paren {
  ExprPtr expr;
};

struct Expr {
  using Node = std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, Subquery,
                            Call, Aggregate, Binary, Unary, Paren>;
  Node node;
  // Byte offsets of the expression in the query text ([begin, end), Prometheus' PositionRange),
  // for error messages. `-1` is a NumberLiteral (the sign folded in, begin at the sign).
  size_t begin = 0;
  size_t end = 0;
};

ValueType TypeOf(const Expr& expr);

// One-line canonical text, as Prometheus' String(): `sum by (job) (rate(x{a="b"}[5m]))`.
std::string ToString(const Expr& expr);
// Prometheus' Pretty(0) (promql/parser/prettier.go): what /api/v1/format_query answers.
std::string Pretty(const Expr& expr);

}  // namespace sluice::query::promql

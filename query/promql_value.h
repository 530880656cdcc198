// The values a PromQL evaluation produces (Prometheus' promql.Value): scalar, string, instant
// vector and range vector (matrix), and the query's result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "query/promql_ast.h"
#include "storage/labels.h"
#include "storage/metric_batch.h"

namespace sluice::query::promql {

using storage::Labels;

struct Point {
  int64_t t = 0;  // ms
  double v = 0;
};

struct Series {
  Labels labels;  // canonical (sorted by name)
  std::vector<Point> points;
};
using Matrix = std::vector<Series>;

struct VectorElement {
  Labels labels;
  int64_t t = 0;
  double v = 0;
};
using Vector = std::vector<VectorElement>;

struct QueryResult {
  // kVector for instant queries of vector expressions, kMatrix for range queries and range
  // vector expressions, kScalar or kString for those instant queries.
  ValueType type = ValueType::kNone;
  Vector vector;
  Matrix matrix;
  Point scalar;            // kScalar: t and v
  std::string string;      // kString; its time is scalar.t
  std::vector<std::string> warnings;
  uint64_t samples_loaded = 0;  // samples read from storage (stats)
};

}  // namespace sluice::query::promql

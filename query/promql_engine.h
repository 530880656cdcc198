// The PromQL engine: evaluates a parsed expression over a Querier with Prometheus 2.42's float
// semantics — 5-minute lookback, staleness markers, rate/increase/delta extrapolation and counter
// resets, aggregation and vector matching rules, every float function — for an instant query
// (start == end, step ignored) or a range query (start, end, step).
//
// Data is read once per selector for the whole time span it needs (start - offset - range or
// lookback .. end - offset, or the @ time), straight from storage, and evaluated step by step.
//
// Limits: max_samples counts samples held at once as Prometheus does (query.max-samples) →
// ResourceExhausted "query processing would load too many samples into memory in query
// execution"; the deadline → DeadlineExceeded "query timed out in <stage>"; `cancelled` set by the
// HTTP layer when the client goes away → Cancelled. Errors in the query's meaning (many-to-many
// matching, duplicate series after label_replace, ...) are kInvalidArgument with Prometheus' text
// and are answered as errorType "execution" by the API (the API decides the mapping).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "query/promql_ast.h"
#include "query/promql_value.h"
#include "storage/label_matcher.h"

namespace sluice::query::promql {

// Where the engine reads series from. MetricStoreQuerier (promql_querier.h) reads one tenant's
// series from the MetricStore; tests may use an in-memory one.
class Querier {
 public:
  virtual ~Querier() = default;
  // Every series matching all matchers that has samples with mint <= t <= maxt, each with those
  // samples in time order (stale markers included, as stored). Series are appended to `out` in
  // any order.
  virtual Status Select(const storage::LabelMatchers& matchers, int64_t mint, int64_t maxt,
                        Matrix* out) = 0;
};

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  uint64_t max_samples = 50'000'000;
  // Subqueries without a step use this when the query has none (instant queries), as
  // Prometheus' --query... default evaluation interval does.
  int64_t default_evaluation_interval_ms = 60 * 1000;
};

struct QueryParams {
  int64_t start_ms = 0;
  int64_t end_ms = 0;   // == start_ms for an instant query
  int64_t step_ms = 0;  // 0 for an instant query
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancelled = nullptr;    // the server is stopping
  const std::atomic<bool>* client_gone = nullptr;  // the client that asked closed its connection
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : options_(options) {}

  // Instant query when params.step_ms == 0 (start == end): result type of the expression (a
  // range-vector expression gives kMatrix). Range query otherwise: the expression must be a
  // scalar or instant vector (else InvalidArgument "invalid expression type \"range vector\" for
  // range query, must be Scalar or instant Vector"); result kMatrix with series sorted by labels.
  Result<QueryResult> Execute(const Expr& expr, const QueryParams& params, Querier& querier) const;

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
};

}  // namespace sluice::query::promql

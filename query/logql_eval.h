// Internal to the LogQL engine: what logql_engine.cc (log queries and the metric-query driver)
// and logql_range_aggregation.cc (range aggregations over log entries) share.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "query/logql_ast.h"
#include "query/logql_engine.h"
#include "query/promql_value.h"

namespace sluice::query::logql::internal {

// Deadline, shutdown and client-gone checks for one query.
class Interrupts {
 public:
  explicit Interrupts(const QueryParams& params) : params_(params) {}
  // DeadlineExceeded / Cancelled naming `where`.
  Status Check(std::string_view where) const;
  // Checks only every few thousand calls: for per-entry loops.
  Status MaybeCheck(std::string_view where) {
    if ((++counter_ & 4095) != 0) return Status::Ok();
    return Check(where);
  }

 private:
  const QueryParams& params_;
  uint32_t counter_ = 0;
};

// How many threads scan `streams` streams: options.parallelism (0: one per core), at most one
// per stream.
size_t WorkerCount(const EngineOptions& options, size_t streams);
// Runs fn(0) .. fn(n - 1) at once, fn(0) on the calling thread; the first error by index.
Status RunParallel(size_t n, const std::function<Status(size_t)>& fn);

// The evaluation times of a metric query: start, start + step, ... <= end (one time for an
// instant query), in nanoseconds.
struct Steps {
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 0;  // > 0; an instant query has start == end
  int64_t count() const { return (end - start) / step + 1; }
  int64_t at(int64_t k) const { return start + k * step; }
};

// The labels a range aggregation's series keep.
struct Grouping {
  bool given = false;  // otherwise every label stays
  bool without = false;
  std::vector<std::string> labels;
};

// Whether a `sum` around `op` may be pushed down into it: its values add up over entries, so
// summing per reduced label set first gives the same result with fewer series.
bool SumPushesDown(RangeOp op);

// Computes a range aggregation at every step, from the entries its pipeline keeps. The result's
// points have millisecond timestamps (the step times / 1e6) and its series are sorted by labels.
// `pushdown`: the grouping of a `sum` around the aggregation (SumPushesDown), used when the
// aggregation has none of its own. InvalidArgument with Loki's "pipeline error: ..." text when an
// entry that reaches the aggregation still carries __error__; ResourceExhausted past
// options.max_range_series.
Result<promql::Matrix> EvalRangeAggregation(const RangeAggregation& agg, const Steps& steps,
                                            const EngineOptions& options, const QueryParams& params,
                                            LogReader& reader, QueryStats* stats,
                                            const Grouping* pushdown = nullptr);

}  // namespace sluice::query::logql::internal

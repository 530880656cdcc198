// MetricStoreQuerier: the engine's view of one tenant's series in the MetricStore.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "query/promql_engine.h"
#include "storage/metric_store.h"

namespace sluice::query::promql {

// One query's querier (it counts the series the query selected): not shared between queries or
// threads.
class MetricStoreQuerier final : public Querier {
 public:
  // `max_series` > 0 refuses the query, with ResourceExhausted "query processing would select
  // more than <max_series> series (limits.max_fetched_series_per_query)", once the series its
  // selectors chose pass it, before their samples are read: an accidental {__name__=~".+"} costs
  // an index lookup rather than memory. 0: no limit.
  MetricStoreQuerier(const storage::MetricStore& store, std::string tenant, size_t max_series = 0)
      : store_(store), tenant_(std::move(tenant)), max_series_(max_series) {}

  Status Select(const storage::LabelMatchers& matchers, int64_t mint, int64_t maxt,
                Matrix* out) override;

  // Whether a Select was refused for `max_series`.
  bool series_limit_hit() const { return max_series_ > 0 && selected_ > max_series_; }

 private:
  const storage::MetricStore& store_;
  const std::string tenant_;
  const size_t max_series_;
  size_t selected_ = 0;
  std::vector<storage::Sample> samples_;  // reused by every Select
};

}  // namespace sluice::query::promql

// QueryLimitsTable: what one query of a tenant may ask for (config `limits:`, per tenant through
// `tenants.overrides`, Loki's names), looked up by the Loki and Prometheus query APIs for every
// request and replaced as a whole on reload; and the count of the requests those limits refused
// or stopped, sluice_query_limited_total{api,limit}.
//
//   limit (key under limits:)       API          past it
//   query_timeout                   both         Loki 504, Prometheus 503 errorType timeout
//   max_entries_limit_per_query     Loki         400 (query, query_range, tail, detected_fields)
//   max_query_length                Loki         400 (query_range)
//   max_query_series                Loki         400 (the series a metric query produces)
//   max_fetched_series_per_query    Prometheus   422 errorType execution (series a query reads)
//   max_concurrent_queries          both         Loki 429, Prometheus 503 (QueryExecutor's)
//
// Thread-safety: every method may be called from any thread; For and Set cost one atomic
// shared_ptr load or store, CountRefusal one counter increment.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/tenant_overrides.h"

namespace sluice::daemon {

struct QueryLimits {
  std::chrono::nanoseconds timeout = std::chrono::minutes(2);  // query_timeout
  size_t max_entries = 5000;  // max_entries_limit_per_query: the largest `limit`
  // max_query_length: the longest [start, end] of a LogQL range query; 0 = no limit.
  std::chrono::nanoseconds max_query_length = std::chrono::hours(721);
  size_t max_query_series = 500;  // series of a LogQL metric query's result; 0 = no limit
  // max_fetched_series_per_query: series a PromQL query may read from storage; 0 = no limit.
  size_t max_fetched_series = 1'000'000;
};

enum class QueryApi { kLoki, kPrometheus };

enum class QueryLimit {
  kTimeout,
  kMaxEntries,
  kMaxQueryLength,
  kMaxQuerySeries,
  kMaxFetchedSeries,
  kMaxConcurrentQueries,
};
// The limit's key under `limits:`, as refusals and /metrics name it.
std::string_view QueryLimitName(QueryLimit limit);

class QueryLimitsTable {
 public:
  // Every tenant gets QueryLimits' defaults until Set. `registry` null: refusals are not counted.
  explicit QueryLimitsTable(prometheus::Registry* registry = nullptr);

  // The tenant's limits: its override, else the defaults.
  QueryLimits For(std::string_view tenant) const;
  // Replaces every tenant's limits; requests that already looked theirs up keep them.
  void Set(QueryLimits defaults, std::unordered_map<std::string, QueryLimits> overrides = {});

  // Counts one request of `api` refused or stopped by `limit`.
  void CountRefusal(QueryApi api, QueryLimit limit);

 private:
  using Table = TenantOverrides<QueryLimits>;
  static constexpr size_t kApis = 2;
  static constexpr size_t kLimits = static_cast<size_t>(QueryLimit::kMaxConcurrentQueries) + 1;

  std::shared_ptr<const Table> table_;  // swapped atomically
  prometheus::Counter* refused_[kApis][kLimits]{};
};

}  // namespace sluice::daemon

#include "daemon/api/query_limits.h"

#include <atomic>

namespace sluice::daemon {

std::string_view QueryLimitName(QueryLimit limit) {
  switch (limit) {
    case QueryLimit::kTimeout:
      return "query_timeout";
    case QueryLimit::kMaxEntries:
      return "max_entries_limit_per_query";
    case QueryLimit::kMaxQueryLength:
      return "max_query_length";
    case QueryLimit::kMaxQuerySeries:
      return "max_query_series";
    case QueryLimit::kMaxFetchedSeries:
      return "max_fetched_series_per_query";
    case QueryLimit::kMaxConcurrentQueries:
      return "max_concurrent_queries";
  }
  return "";
}

QueryLimitsTable::QueryLimitsTable(prometheus::Registry* registry)
    : table_(std::make_shared<const Table>()) {
  if (registry == nullptr) return;
  auto& family = prometheus::BuildCounter()
                     .Name("sluice_query_limited_total")
                     .Help(
                         "Query API requests refused or stopped by a tenant's query limit, by "
                         "API (loki, prometheus) and limit (its key under limits:).")
                     .Register(*registry);
  // Only the limits each API has, so that every series here can move.
  struct Applies {
    QueryApi api;
    QueryLimit limit;
  };
  for (Applies a : {Applies{QueryApi::kLoki, QueryLimit::kTimeout},
                    Applies{QueryApi::kLoki, QueryLimit::kMaxEntries},
                    Applies{QueryApi::kLoki, QueryLimit::kMaxQueryLength},
                    Applies{QueryApi::kLoki, QueryLimit::kMaxQuerySeries},
                    Applies{QueryApi::kLoki, QueryLimit::kMaxConcurrentQueries},
                    Applies{QueryApi::kPrometheus, QueryLimit::kTimeout},
                    Applies{QueryApi::kPrometheus, QueryLimit::kMaxFetchedSeries},
                    Applies{QueryApi::kPrometheus, QueryLimit::kMaxConcurrentQueries}}) {
    refused_[static_cast<size_t>(a.api)][static_cast<size_t>(a.limit)] =
        &family.Add({{"api", a.api == QueryApi::kLoki ? "loki" : "prometheus"},
                     {"limit", std::string(QueryLimitName(a.limit))}});
  }
}

QueryLimits QueryLimitsTable::For(std::string_view tenant) const {
  std::shared_ptr<const Table> table = std::atomic_load(&table_);
  return table->For(tenant);
}

void QueryLimitsTable::Set(QueryLimits defaults,
                           std::unordered_map<std::string, QueryLimits> overrides) {
  std::atomic_store(&table_,
                    std::make_shared<const Table>(std::move(defaults), std::move(overrides)));
}

void QueryLimitsTable::CountRefusal(QueryApi api, QueryLimit limit) {
  prometheus::Counter* c = refused_[static_cast<size_t>(api)][static_cast<size_t>(limit)];
  if (c != nullptr) c->Increment();
}

}  // namespace sluice::daemon

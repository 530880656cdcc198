// Loki's index and Drilldown endpoints that Grafana calls beside queries: the Loki data source's
// query size estimate, and Logs Drilldown's service list, label and field breakdowns.
//
//   GET|POST /loki/api/v1/index/stats          query (stream selector), start, end, since
//   GET|POST /loki/api/v1/index/volume         query, start, end, since, limit, targetLabels,
//                                              aggregateBy
//   GET|POST /loki/api/v1/index/volume_range   the same, and step
//   GET|POST /loki/api/v1/detected_labels      query (optional), start, end, since
//   GET|POST /loki/api/v1/detected_fields      query (LogQL log query), start, end, since, limit
//                                              (or field_limit), line_limit
//   GET|POST /loki/api/v1/detected_field/<name>/values   the same
//   GET|POST /loki/api/v1/patterns             query, start, end, since, step
//
// Times as the query API reads them (ns, float seconds, RFC 3339); `end` defaults to now and
// `start` to end - since (1 h). Everything counts entries with start <= ts < end. index/stats and
// index/volume(_range) count from the storage blocks' metadata (LogStore::StreamStats), decoding
// only the blocks that cross a bound; detected_fields reads a sample of lines; detected_labels
// reads no entries; patterns scans the selected streams over the range. Shapes, semantics and
// limits are described in the .cc.
#pragma once

#include <memory>
#include <string>

#include "daemon/api/query_executor.h"
#include "daemon/api/query_limits.h"
#include "daemon/http/router.h"
#include "storage/log_store.h"

namespace sluice::daemon {

struct LokiIndexApiOptions {
  const storage::LogStore* store = nullptr;
  QueryExecutor* executor = nullptr;
  std::string default_tenant = "fake";
  // The tenant's limits (null: QueryLimits' defaults, uncounted): a request that runs past its
  // query_timeout answers 504, as a query would; detected_fields refuses a line_limit over its
  // max_entries_limit_per_query (400).
  std::shared_ptr<QueryLimitsTable> limits;
};

// `options.store` and `options.executor` must outlive the router's use.
void RegisterLokiIndexApi(Router& router, LokiIndexApiOptions options);

}  // namespace sluice::daemon

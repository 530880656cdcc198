// Prometheus' HTTP query API (https://prometheus.io/docs/prometheus/2.42/querying/api/), so that
// Grafana's Prometheus data source and promtool work against Sluice unmodified. Shapes, error
// texts, error types and HTTP codes follow Prometheus 2.42's web/api/v1/api.go:
//
//   GET|POST /api/v1/query              query, time, timeout, limit, stats
//   GET|POST /api/v1/query_range        query, start, end, step, timeout, limit, stats
//   GET|POST /api/v1/series             match[] (required), start, end, limit
//   GET|POST /api/v1/labels             match[], start, end, limit
//   GET      /api/v1/label/<name>/values  match[], start, end, limit
//   GET      /api/v1/metadata           metric, limit, limit_per_metric
//   GET|POST /api/v1/query_exemplars    query, start, end: Sluice keeps no exemplars, so `data`
//                                       is always [] (after the parameters were validated)
//   GET|POST /api/v1/format_query       query: Prometheus' Pretty() of the expression
//   GET|POST /api/v1/parse_query        query: the syntax tree as JSON (Prometheus 2.45+)
//   GET      /api/v1/status/runtimeinfo
// (/api/v1/status/buildinfo lives with the other status endpoints, status_api.h; /api/v1/rules
// and /api/v1/alerts with the other rule APIs, rules_api.h.)
//
//   success: {"status":"success","data":<data>[,"warnings":[...]]}
//   failure: {"status":"error","errorType":<type>,"error":<text>} with
//            bad_data 400, execution 422, timeout 503, canceled 503, internal 500,
//            unavailable 503 (+ Retry-After: the evaluation queue is full or the server stops)
//
// Query results: vector [{"metric":{...},"value":[<t>,"<v>"]}], matrix
// [{"metric":{...},"values":[[<t>,"<v>"],...]}], scalar and string [<t>,"<v>"]; <t> is Unix
// seconds as a JSON number with millisecond precision, <v> Go's FormatFloat(v, 'f', -1, 64),
// "NaN", "+Inf" or "-Inf".
//
// Parameters come from the query string and, for POST with a form body
// (application/x-www-form-urlencoded), from the body first, as Go's Request.FormValue reads them.
// Times are RFC 3339 or Unix seconds with a fraction; durations Prometheus durations (`1h30m`) or
// seconds with a fraction. The tenant is X-Scope-OrgID's, or the default tenant.
//
// Threads: every endpoint that reads storage or evaluates PromQL runs on the QueryExecutor, so
// IO threads never wait on it. The client going away is not noticed while its query runs (the
// HTTP server does not watch the socket then): a query ends at its timeout, or at shutdown.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "daemon/api/query_executor.h"
#include "daemon/api/query_limits.h"
#include "daemon/http/router.h"
#include "query/promql_engine.h"
#include "storage/metric_store.h"

namespace sluice::daemon {

// What /api/v1/status/runtimeinfo reports about the daemon.
struct PrometheusRuntimeInfo {
  int64_t start_time_unix_ns = 0;
  bool reload_config_success = true;
  int64_t last_config_time_unix_ns = 0;
};

struct PrometheusApiOptions {
  const storage::MetricStore* store = nullptr;
  QueryExecutor* executor = nullptr;
  std::string default_tenant = "fake";
  query::promql::EngineOptions engine;
  // The tenant's limits (null: QueryLimits' defaults, uncounted): the longest evaluation
  // (query_timeout; a request's `timeout` may only shorten it) and the series one query may read
  // from storage, each selector's series counted (max_fetched_series_per_query).
  std::shared_ptr<QueryLimitsTable> limits;
  std::function<PrometheusRuntimeInfo()> runtime_info;
};

// `options.store` and `options.executor` must outlive the router's use; the executor must be
// stopped before the HTTP server is destroyed (its tasks hold Responders).
void RegisterPrometheusApi(Router& router, PrometheusApiOptions options);

}  // namespace sluice::daemon

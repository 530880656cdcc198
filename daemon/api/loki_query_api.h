// Loki's HTTP query API (https://grafana.com/docs/loki/latest/reference/loki-http-api/), so that
// Grafana's built-in Loki data source works against Sluice unmodified:
//
//   GET|POST /loki/api/v1/query         query, time, limit, direction
//   GET|POST /loki/api/v1/query_range   query, start, end, since, step, interval, limit, direction
//   GET|POST /loki/api/v1/labels        start, end, since, query
//   GET|POST /loki/api/v1/label/<name>/values   start, end, since, query
//   GET|POST /loki/api/v1/series        match[] (repeatable), start, end, since
//   GET|POST /loki/api/v1/format_query  query
//   and the legacy /api/prom/label, /api/prom/label/<name>/values, /api/prom/series.
//
// Times: Unix nanoseconds (an integer of more than 10 digits), seconds with a fraction, or RFC
// 3339. `end` defaults to now, `start` to end - since (default 1 h for queries, 6 h for labels and
// series). Log range queries return entries with start <= ts < end; metric range queries evaluate
// at start, start + step, ... (start aligned down and end up to the step, as Loki's frontend
// does), with `step` a duration or float seconds, by default Loki's (range / 250, at least 1 s).
//
// Answers: {"status":"success","data":{"resultType":"streams"|"matrix"|"vector"|"scalar",
// ["encodingFlags":["categorize-labels"],] "result":[...],"stats":{"summary":{...}}}}. Streams
// carry entries as ["<ns>","<line>"], or, when the request has the header
// X-Loki-Response-Encoding-Flags: categorize-labels, as ["<ns>","<line>",{"structuredMetadata":
// {...},"parsed":{...}}] with only indexed labels in `stream`. Errors are Loki's: plain text,
// 400 for a bad query or parameter and limits, 504 when the query timed out, 499 when the client
// went away, 503 with Retry-After when every query thread is busy, 500 otherwise.
//
// Limits are the tenant's (QueryLimitsTable, looked up per request): query_timeout,
// max_entries_limit_per_query (a larger `limit`), max_query_length (query_range) and
// max_query_series (a metric query's result), each refusal naming its limit.
#pragma once

#include <memory>
#include <string>

#include "daemon/api/query_executor.h"
#include "daemon/api/query_limits.h"
#include "daemon/http/router.h"
#include "query/logql_engine.h"
#include "storage/log_store.h"

namespace sluice::daemon {

struct LokiQueryApiOptions {
  const storage::LogStore* store = nullptr;
  QueryExecutor* executor = nullptr;
  std::string default_tenant = "fake";
  // Its max_series is replaced by each tenant's max_query_series.
  query::logql::EngineOptions engine;
  // Null: QueryLimits' defaults for every tenant, uncounted.
  std::shared_ptr<QueryLimitsTable> limits;
};

// `options.store` and `options.executor` must outlive the router's use.
void RegisterLokiQueryApi(Router& router, LokiQueryApiOptions options);

}  // namespace sluice::daemon

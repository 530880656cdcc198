// Loki's log deletion API (https://grafana.com/docs/loki/latest/reference/loki-http-api/#request-
// log-deletion), as Loki's compactor serves it (pkg/compactor/deletion/request_handler.go):
//
//   PUT|POST /loki/api/v1/delete   query (LogQL: stream selector and optional line filters),
//                                  start (required), end (default now), max_interval -> 204
//   GET      /loki/api/v1/delete   the tenant's requests: [{"request_id","start_time","end_time",
//                                  "query","status","created_at"}], times as Unix seconds with
//                                  milliseconds, oldest first
//   DELETE   /loki/api/v1/delete   request_id (force accepted) -> 204, within the cancel period
//
// Parameters are read from the URL, as Loki reads them. Times are RFC 3339 or Unix seconds of
// exactly 10 characters (Loki's rule); bounds are inclusive, to the millisecond. Errors are Loki's
// plain-text ones: 400 "query not set", "invalid query expression: ...", "start time not set",
// "invalid start time: require unix seconds or RFC3339 format", "deletes in the future are not
// allowed", "start time can't be greater than end time", "difference between start time and end
// time must be at least one second" (with line filters); 404 "could not find delete request with
// given id"; 400 for a request processed or past its cancel period. max_interval is validated as
// Loki does, but a request is never split: Sluice purges a request in one pass.
//
// Adding and cancelling write synced to storage, so they run on the QueryExecutor, not the IO
// thread. The routes are admin routes (RouteAccess::kAdmin); the tenant is X-Scope-OrgID's (the
// credential's with auth on) or the default.
#pragma once

#include <string>

#include "daemon/api/query_executor.h"
#include "daemon/deletion/deletion_service.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

struct LokiDeleteApiOptions {
  DeletionService* service = nullptr;
  QueryExecutor* executor = nullptr;
  std::string default_tenant = "fake";
};

// `options.service` and `options.executor` must outlive the router's use.
void RegisterLokiDeleteApi(Router& router, LokiDeleteApiOptions options);

}  // namespace sluice::daemon

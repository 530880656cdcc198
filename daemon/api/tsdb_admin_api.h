// Prometheus' TSDB admin endpoints for deleting series
// (https://prometheus.io/docs/prometheus/latest/querying/api/#tsdb-admin-apis), as Prometheus
// 2.42's web/api/v1/api.go serves them (with --web.enable-admin-api):
//
//   PUT|POST /api/v1/admin/tsdb/delete_series     match[] (one or more, required), start, end
//                                                 (optional: all time) -> 204
//   PUT|POST /api/v1/admin/tsdb/clean_tombstones  -> 204 once what is deleted is purged
//
// A delete is a DeletionService request of kind metrics: its samples vanish from every read at
// once (Prometheus' tombstones), and the next processing pass purges them from storage, which
// clean_tombstones runs at once and waits for. Prometheus has no cancel period, and neither do
// these. Parameters come from a form body and the URL, as Go's Request.Form; times are RFC 3339
// or Unix seconds; bounds are inclusive, to the millisecond. Errors are Prometheus' JSON ones:
// bad_data 400 ("no match[] parameter provided", `invalid parameter "match[]": ...`,
// `invalid parameter "start": ...`), internal 500, unavailable 503.
//
// Sluice refuses a selector whose matchers all match the empty string ({} or {a=~".*"}), which
// Prometheus would take as "every series". Admin routes (RouteAccess::kAdmin); the tenant is
// X-Scope-OrgID's (the credential's with auth on) or the default.
#pragma once

#include <string>

#include "daemon/api/query_executor.h"
#include "daemon/deletion/deletion_service.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

struct TsdbAdminApiOptions {
  DeletionService* service = nullptr;
  QueryExecutor* executor = nullptr;  // delete_series writes synced: it runs there
  std::string default_tenant = "fake";
};

// `options.service` and `options.executor` must outlive the router's use.
void RegisterTsdbAdminApi(Router& router, TsdbAdminApiOptions options);

}  // namespace sluice::daemon

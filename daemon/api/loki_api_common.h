// What Loki's query-side endpoints (loki_query_api, loki_index_api) share: Loki's plain-text
// errors and their codes, the request as a query thread sees it, Loki's time, duration and range
// parameters, and the registration of an endpoint that runs on the QueryExecutor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "daemon/api/query_executor.h"
#include "daemon/api/query_limits.h"
#include "daemon/http/router.h"

namespace sluice::daemon::lokiapi {

using Clock = std::chrono::steady_clock;
inline constexpr int64_t kNsPerSecond = 1'000'000'000;
inline constexpr std::chrono::seconds kRetryAfter{1};

// Loki answers errors as plain text.
HttpResponse Error(int status, std::string_view message);
// 400 for the query's meaning, parameters and limits, 504 on timeout (with "timed out", which
// Grafana retries on, and the limit's name: only limits.query_timeout sets a Loki request's
// deadline), 499 when the client left, 503 + Retry-After when unavailable, 500 else.
HttpResponse ErrorFromStatus(const Status& s);

// A request as the query thread sees it.
struct Request {
  QueryParams params;  // a form body's first, then the URL's, as Go's Request.Form
  std::string tenant;
  std::string path_name;           // the {name} segment of the route, decoded
  bool categorize_labels = false;  // X-Loki-Response-Encoding-Flags: categorize-labels
  Clock::time_point received;
  int64_t now_ns = 0;
  std::shared_ptr<const std::atomic<bool>> client_gone;
};

// Unix nanoseconds (more than 10 digits), seconds with a fraction, or RFC 3339.
Result<int64_t> TimeParam(const Request& req, std::string_view name, int64_t default_value);
// Prometheus/Loki duration text (`5m`, `1h30m`) or float seconds, in nanoseconds.
Result<int64_t> DurationParam(std::string_view name, std::string_view text);

struct TimeRange {
  int64_t start = 0;
  int64_t end = 0;
};
// start, end and since as Loki reads them: end defaults to now, start to end - since.
Result<TimeRange> RangeParams(const Request& req, int64_t default_since);

// Registers GET and POST of `pattern`: the request is read on the IO thread (400 if it cannot
// be), then `run` answers it on the executor (503 + Retry-After when the executor refuses, 429
// when the tenant is at limits.max_concurrent_queries). `limits` counts the requests refused at
// the executor for the tenant's limit and those answered 504 (its query_timeout); it must outlive
// the router's use.
using Handler = std::function<HttpResponse(const Request&, const std::atomic<bool>& cancelled)>;
void AddExecutorEndpoint(Router& router, std::string pattern, QueryExecutor* executor,
                         std::string default_tenant, QueryLimitsTable* limits, Handler run);

}  // namespace sluice::daemon::lokiapi

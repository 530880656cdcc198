#include "daemon/api/loki_api_common.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "daemon/api/ingest_common.h"
#include "query/promql_parser.h"
#include "query/time_params.h"

namespace sluice::daemon::lokiapi {

HttpResponse Error(int status, std::string_view message) {
  std::string body(message);
  if (body.empty() || body.back() != '\n') body.push_back('\n');
  return HttpResponse::Text(status, std::move(body));
}

HttpResponse ErrorFromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kDeadlineExceeded:
      return Error(504,
                   "request timed out, decrease the duration of the request or add more "
                   "label matchers (prefer exact match over regex match) to reduce the amount "
                   "of data processed: " +
                       s.message() + " (limits.query_timeout)");
    case StatusCode::kCancelled:
      return Error(499, s.message());
    case StatusCode::kUnavailable:
      return WithRetryAfter(Error(503, s.message()), kRetryAfter);
    case StatusCode::kIoError:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return Error(500, s.message());
    default:
      return Error(400, s.message());
  }
}

Result<int64_t> TimeParam(const Request& req, std::string_view name, int64_t default_value) {
  std::string_view text = req.params.Get(name);
  if (text.empty()) return default_value;
  Result<int64_t> t = query::ParseQueryTime(text);
  if (!t.ok()) {
    return Status::InvalidArgument(
        fmt::format("invalid {} parameter '{}': {}", name, text, t.status().message()));
  }
  return t;
}

Result<int64_t> DurationParam(std::string_view name, std::string_view text) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(seconds)) {
    if (std::abs(seconds) * 1e9 > static_cast<double>(std::numeric_limits<int64_t>::max())) {
      return Status::InvalidArgument(
          fmt::format("invalid {} parameter '{}': too large", name, text));
    }
    return static_cast<int64_t>(std::llround(seconds * 1e9));
  }
  Result<int64_t> ms = query::promql::ParseDuration(text, /*allow_zero=*/true);
  if (!ms.ok()) {
    return Status::InvalidArgument(
        fmt::format("invalid {} parameter '{}': not a duration", name, text));
  }
  return *ms * 1'000'000;
}

Result<TimeRange> RangeParams(const Request& req, int64_t default_since) {
  TimeRange r;
  SLUICE_ASSIGN_OR_RETURN(r.end, TimeParam(req, "end", req.now_ns));
  int64_t since = default_since;
  if (std::string_view text = req.params.Get("since"); !text.empty()) {
    SLUICE_ASSIGN_OR_RETURN(since, DurationParam("since", text));
  }
  SLUICE_ASSIGN_OR_RETURN(r.start, TimeParam(req, "start", r.end - since));
  if (r.end < r.start) {
    return Status::InvalidArgument("end timestamp must not be before or equal to start time");
  }
  return r;
}

namespace {

Result<Request> ReadRequest(HttpRequest& request, const std::string& default_tenant) {
  Request r;
  r.received = request.received_at == Clock::time_point{} ? Clock::now() : request.received_at;
  r.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  if (request.method == HttpMethod::kPost &&
      MediaType(request.headers.Get("Content-Type")) == "application/x-www-form-urlencoded") {
    r.params = QueryParams::Parse(request.body);
    r.params.Append(request.params);
  } else {
    r.params = std::move(request.params);
  }
  r.path_name = PercentDecode(request.PathParam("name"), /*plus_is_space=*/false);
  r.categorize_labels =
      request.headers.Get("X-Loki-Response-Encoding-Flags").find("categorize-labels") !=
      std::string_view::npos;
  SLUICE_ASSIGN_OR_RETURN(r.tenant, RequestTenant(request, default_tenant));
  return r;
}

}  // namespace

void AddExecutorEndpoint(Router& router, std::string pattern, QueryExecutor* executor,
                         std::string default_tenant, QueryLimitsTable* limits, Handler run) {
  auto shared_run = std::make_shared<const Handler>(std::move(run));
  router.Add(
      {HttpMethod::kGet, HttpMethod::kPost}, std::move(pattern),
      [executor, default_tenant = std::move(default_tenant), limits, shared_run](
          HttpRequest request, Responder responder) {
        Result<Request> req = ReadRequest(request, default_tenant);
        if (!req.ok()) return responder.Send(Error(400, req.status().message()));
        req->client_gone = responder.ClientGone();
        const std::string tenant = req->tenant;
        executor->Submit(
            MakeQueryTask([shared_run, limits, req = std::move(req).value(),
                           responder = std::move(responder)](
                              const Status& admitted, const std::atomic<bool>& cancelled) mutable {
              if (!admitted.ok()) {
                // Loki answers a tenant over its query limit with 429.
                bool limited = admitted.code() == StatusCode::kResourceExhausted;
                if (limited) {
                  limits->CountRefusal(QueryApi::kLoki, QueryLimit::kMaxConcurrentQueries);
                }
                responder.Send(
                    WithRetryAfter(Error(limited ? 429 : 503, admitted.message()), kRetryAfter));
                return;
              }
              HttpResponse answer = (*shared_run)(req, cancelled);
              if (answer.status == 504) limits->CountRefusal(QueryApi::kLoki, QueryLimit::kTimeout);
              responder.Send(std::move(answer));
            }),
            tenant);
      });
}

}  // namespace sluice::daemon::lokiapi

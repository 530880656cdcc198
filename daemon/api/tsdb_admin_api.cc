#include "daemon/api/tsdb_admin_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "daemon/api/ingest_common.h"
#include "daemon/api/prometheus_params.h"

namespace sluice::daemon {
namespace {

using namespace promapi;  // NOLINT(google-build-using-namespace): this file is their user

constexpr std::chrono::seconds kRetryAfter{1};

HttpResponse BadData(std::string_view message) {
  return HttpResponse::JsonError(400, "bad_data", message);
}

HttpResponse InvalidParam(std::string_view name, std::string_view message) {
  return BadData(fmt::format("invalid parameter {}: {}", GoQuote(name), message));
}

// Go's Request.Form: a form body's parameters, then the URL's.
QueryParams FormParams(HttpRequest& request) {
  if (MediaType(request.headers.Get("Content-Type")) != "application/x-www-form-urlencoded") {
    return std::move(request.params);
  }
  QueryParams params = QueryParams::Parse(request.body);
  params.Append(request.params);
  return params;
}

// Prometheus' parseTimeParam, in storage milliseconds.
Result<int64_t> TimeParamMs(const QueryParams& params, std::string_view name,
                            GoTime default_value) {
  std::string_view text = params.Get(name);
  if (text.empty()) return StorageMs(default_value);
  Result<GoTime> t = ParseTime(text);
  if (!t.ok()) {
    return Status::InvalidArgument(
        fmt::format("Invalid time value for '{}': {}", name, t.status().message()));
  }
  return StorageMs(*t);
}

void DeleteSeries(const TsdbAdminApiOptions& options, HttpRequest request, Responder responder) {
  Result<std::string> tenant = RequestTenant(request, options.default_tenant);
  if (!tenant.ok()) return responder.Send(BadData(tenant.status().message()));
  QueryParams params = FormParams(request);
  std::vector<std::string_view> matches = params.GetAll("match[]");
  if (matches.empty()) return responder.Send(BadData("no match[] parameter provided"));
  Result<int64_t> start = TimeParamMs(params, "start", kMinTime);
  if (!start.ok()) return responder.Send(InvalidParam("start", start.status().message()));
  Result<int64_t> end = TimeParamMs(params, "end", kMaxTime);
  if (!end.ok()) return responder.Send(InvalidParam("end", end.status().message()));

  DeleteRequest r;
  r.tenant = *tenant;
  r.kind = DeleteKind::kMetrics;
  r.queries.assign(matches.begin(), matches.end());
  r.start_ms = *start;
  r.end_ms = *end;
  Result<std::vector<storage::LabelMatchers>> selectors = CompileSeriesSelectors(r.queries);
  if (!selectors.ok()) return responder.Send(InvalidParam("match[]", selectors.status().message()));

  DeletionService* service = options.service;
  options.executor->Submit(
      MakeQueryTask([service, r = std::move(r), responder = std::move(responder)](
                        const Status& admitted, const std::atomic<bool>&) mutable {
        if (!admitted.ok()) {
          responder.Send(WithRetryAfter(
              HttpResponse::JsonError(503, "unavailable", admitted.message()), kRetryAfter));
          return;
        }
        Result<DeleteRequest> added = service->Add(std::move(r));
        if (!added.ok()) {
          spdlog::error("deletion: storing a delete request: {}", added.status().message());
          responder.Send(HttpResponse::JsonError(500, "internal", added.status().message()));
          return;
        }
        responder.Send(HttpResponse::Empty(204));
      }),
      *tenant);
}

void CleanTombstones(DeletionService* service, Responder responder) {
  // The pass runs on the service's thread; the answer waits for it, as Prometheus' does.
  auto shared = std::make_shared<Responder>(std::move(responder));
  service->ProcessSoon([shared](const Status& s) {
    if (s.ok()) return shared->Send(HttpResponse::Empty(204));
    HttpResponse r =
        s.code() == StatusCode::kUnavailable
            ? WithRetryAfter(HttpResponse::JsonError(503, "unavailable", s.message()), kRetryAfter)
            : HttpResponse::JsonError(500, "internal", s.message());
    shared->Send(std::move(r));
  });
}

}  // namespace

void RegisterTsdbAdminApi(Router& router, TsdbAdminApiOptions options) {
  auto shared = std::make_shared<const TsdbAdminApiOptions>(std::move(options));
  const RouteOptions admin{.access = RouteAccess::kAdmin};
  router.Add(
      {HttpMethod::kPut, HttpMethod::kPost}, "/api/v1/admin/tsdb/delete_series",
      [shared](HttpRequest request, Responder responder) {
        DeleteSeries(*shared, std::move(request), std::move(responder));
      },
      admin);
  router.Add(
      {HttpMethod::kPut, HttpMethod::kPost}, "/api/v1/admin/tsdb/clean_tombstones",
      [shared](HttpRequest, Responder responder) {
        CleanTombstones(shared->service, std::move(responder));
      },
      admin);
}

}  // namespace sluice::daemon

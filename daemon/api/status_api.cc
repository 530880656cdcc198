#include "daemon/api/status_api.h"

#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include "base/build_info.h"
#include "base/json_writer.h"

namespace sluice::daemon {
namespace {

// Prometheus' buildinfo fields; `prometheus_shape` wraps them in {"status","data"}.
std::string BuildInfoJson(std::string_view compat_version, bool prometheus_shape) {
  const BuildInfo& build = GetBuildInfo();
  std::string body;
  JsonWriter w(&body);
  if (prometheus_shape) {
    w.BeginObject();
    w.Key("status");
    w.String("success");
    w.Key("data");
  }
  w.BeginObject();
  w.Key("version");
  w.String(compat_version);
  w.Key("revision");
  w.String(build.revision);
  w.Key("branch");
  w.String(build.branch);
  w.Key("buildUser");
  w.String("sluice");
  w.Key("buildDate");
  w.String(build.build_date);
  w.Key("goVersion");
  w.String(build.compiler);
  w.Key("sluiceVersion");
  w.String(build.version);
  w.EndObject();
  if (prometheus_shape) w.EndObject();
  return body;
}

}  // namespace

void RegisterStatusApi(Router& router, const StatusApi& api) {
  router.Add({HttpMethod::kGet}, "/metrics", [api](HttpRequest, Responder responder) {
    std::vector<prometheus::MetricFamily> families = api.registry->Collect();
    if (api.process_metrics != nullptr) {
      auto process = api.process_metrics->Collect();
      families.insert(families.end(), process.begin(), process.end());
    }
    HttpResponse response;
    response.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    response.body = prometheus::TextSerializer().Serialize(families);
    responder.Send(std::move(response));
  });

  router.Add({HttpMethod::kGet}, "/-/healthy", [](HttpRequest, Responder responder) {
    responder.Send(HttpResponse::Text(200, "Sluice is Healthy.\n"));
  });

  auto ready = [api](HttpRequest, Responder responder) {
    if (api.is_ready()) {
      responder.Send(HttpResponse::Text(200, "ready\n"));
    } else {
      responder.Send(HttpResponse::Text(503, "Service Unavailable: starting or shutting down\n"));
    }
  };
  router.Add({HttpMethod::kGet}, "/-/ready", ready);
  router.Add({HttpMethod::kGet}, "/ready", ready);

  router.Add(
      {HttpMethod::kGet}, "/api/v1/status/buildinfo",
      [](HttpRequest, Responder responder) {
        responder.Send(HttpResponse::Json(200, BuildInfoJson(kPrometheusCompatVersion, true)));
      },
      {.access = RouteAccess::kAnyCredential});
  router.Add({HttpMethod::kGet}, "/loki/api/v1/status/buildinfo",
             [](HttpRequest, Responder responder) {
               responder.Send(HttpResponse::Json(200, BuildInfoJson(kLokiCompatVersion, false)));
             },
             {.access = RouteAccess::kAnyCredential});

  router.Add({HttpMethod::kPost, HttpMethod::kPut}, "/-/reload",
             [api](HttpRequest, Responder responder) {
               Status status = api.reload();
               if (status.ok()) {
                 responder.Send(HttpResponse::Empty(200));
               } else if (status.code() == StatusCode::kUnavailable) {
                 responder.Send(HttpResponse::Text(503, status.message() + "\n"));
               } else {
                 responder.Send(HttpResponse::Text(
                     500, "failed to reload config: " + status.message() + "\n"));
               }
             },
             {.access = RouteAccess::kAdmin});
}

}  // namespace sluice::daemon

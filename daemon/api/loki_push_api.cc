#include "daemon/api/loki_push_api.h"

#include <strings.h>

#include "daemon/api/metrics_ingest_api.h"

namespace sluice::daemon {
void RegisterLokiPushApi(Router& router, const IngestApi& api) {
  auto handler = [api](HttpRequest request, Responder responder) {
    if (IsRemoteWriteRequest(request)) {
      // Cortex and Mimir took /api/prom/push for Prometheus remote write too.
      HandleRemoteWrite(api, std::move(request), std::move(responder));
      return;
    }
    Result<std::string> tenant = RequestTenant(request, api.default_tenant);
    if (!tenant.ok()) {
      responder.Send(PlainError(400, tenant.status().message()));
      return;
    }
    pipeline::IngestRequest ingest;
    ingest.tenant = std::move(tenant).value();
    bool json = MediaType(request.headers.Get("Content-Type")) == "application/json";
    ingest.format = json ? pipeline::IngestFormat::kLokiJson : pipeline::IngestFormat::kLokiProto;
    ingest.snappy_already_undone =
        strcasecmp(std::string(request.headers.Get("Content-Encoding")).c_str(), "snappy") == 0;
    auto retry_after = api.retry_after;
    SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
                 [retry_after](const pipeline::IngestResult& r) {
                   if (r.status.ok()) return HttpResponse::Empty(204);
                   if (r.status.code() == StatusCode::kInvalidArgument) {
                     return PlainError(400, r.status.message());
                   }
                   // Loki's answer to a tenant at its stream cap: 429, which Loki's clients
                   // (Promtail, Alloy) retry with backoff. (Its rate limit answers 503 below, as
                   // every failure that passes by itself does: every shipper retries 503.)
                   if (r.limit == pipeline::IngestLimit::kStreams) {
                     return PlainError(429, r.status.message());
                   }
                   HttpResponse busy =
                       PlainError(StatusForWriteFailure(r.status), r.status.message());
                   busy.headers.Set("Retry-After", std::to_string(retry_after.count()));
                   return busy;
                 });
  };
  router.Add({HttpMethod::kPost}, "/loki/api/v1/push", handler,
             {.admission = true, .access = RouteAccess::kWrite});
  router.Add({HttpMethod::kPost}, "/api/prom/push", handler,
             {.admission = true, .access = RouteAccess::kWrite});
}

}  // namespace sluice::daemon

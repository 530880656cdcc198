#include "daemon/api/otlp_logs_api.h"

#include "pipeline/decoders/otlp_logs.h"

namespace sluice::daemon {
void RegisterOtlpLogsApi(Router& router, const IngestApi& api) {
  auto handler = [api](HttpRequest request, Responder responder) {
    bool json = MediaType(request.headers.Get("Content-Type")) == "application/json";
    auto error = [json](int status, std::string_view message) {
      return OtlpAnswer(
          status, json,
          json ? pipeline::OtlpErrorJson(message) : pipeline::OtlpErrorProto(message));
    };
    Result<std::string> tenant = RequestTenant(request, api.default_tenant);
    if (!tenant.ok()) {
      responder.Send(error(400, tenant.status().message()));
      return;
    }
    pipeline::IngestRequest ingest;
    ingest.tenant = std::move(tenant).value();
    ingest.format = json ? pipeline::IngestFormat::kOtlpJson : pipeline::IngestFormat::kOtlpProto;
    auto retry_after = api.retry_after;
    SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
                 [json, error, retry_after](const pipeline::IngestResult& r) {
                   if (r.status.ok()) {
                     return OtlpAnswer(200, json,
                                       json ? pipeline::OtlpResponseJson(r.otlp)
                                            : pipeline::OtlpResponseProto(r.otlp));
                   }
                   if (r.status.code() == StatusCode::kInvalidArgument) {
                     return error(400, r.status.message());
                   }
                   return WithRetryAfter(error(StatusForWriteFailure(r.status), r.status.message()),
                                         retry_after);
                 });
  };
  router.Add({HttpMethod::kPost}, "/v1/logs", handler, {.admission = true});
  router.Add({HttpMethod::kPost}, "/otlp/v1/logs", handler, {.admission = true});
}

}  // namespace sluice::daemon

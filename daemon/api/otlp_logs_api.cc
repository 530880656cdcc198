#include "daemon/api/otlp_logs_api.h"

#include "pipeline/decoders/otlp_logs.h"

namespace sluice::daemon {
void RegisterOtlpLogsApi(Router& router, const IngestApi& api) {
  auto handler = [api](HttpRequest request, Responder responder) {
    SubmitOtlp(api, std::move(request), std::move(responder), pipeline::IngestFormat::kOtlpJson,
               pipeline::IngestFormat::kOtlpProto, [](const pipeline::IngestResult& r, bool json) {
                 return json ? pipeline::OtlpResponseJson(r.otlp)
                             : pipeline::OtlpResponseProto(r.otlp);
               });
  };
  router.Add({HttpMethod::kPost}, "/v1/logs", handler,
             {.admission = true, .access = RouteAccess::kWrite});
  router.Add({HttpMethod::kPost}, "/otlp/v1/logs", handler,
             {.admission = true, .access = RouteAccess::kWrite});
}

}  // namespace sluice::daemon

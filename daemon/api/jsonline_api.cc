#include "daemon/api/jsonline_api.h"

namespace sluice::daemon {

void RegisterJsonLineApi(Router& router, const IngestApi& api) {
  router.Add({HttpMethod::kPost}, "/insert/jsonline",
             [api](HttpRequest request, Responder responder) {
               Result<std::string> tenant = RequestTenant(request, api.default_tenant);
               if (!tenant.ok()) {
                 responder.Send(HttpResponse::Text(400, tenant.status().message() + "\n"));
                 return;
               }
               Result<pipeline::FieldMapping> mapping =
                   RequestFieldMapping(request, api.default_fields);
               if (!mapping.ok()) {
                 responder.Send(HttpResponse::Text(400, mapping.status().message() + "\n"));
                 return;
               }
               pipeline::IngestRequest ingest;
               ingest.tenant = std::move(tenant).value();
               ingest.format = pipeline::IngestFormat::kJsonLines;
               ingest.mapping = std::move(mapping).value();
               auto retry_after = api.retry_after;
               SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
                            [retry_after](const pipeline::IngestResult& r) {
                              if (r.status.ok()) return HttpResponse::Empty(200);
                              if (r.status.code() == StatusCode::kInvalidArgument) {
                                return HttpResponse::Text(400, r.status.message() + "\n");
                              }
                              HttpResponse busy = HttpResponse::Text(
                                  StatusForWriteFailure(r.status), r.status.message() + "\n");
                              busy.headers.Set("Retry-After", std::to_string(retry_after.count()));
                              return busy;
                            });
             },
             {.admission = true, .access = RouteAccess::kWrite});
}

}  // namespace sluice::daemon

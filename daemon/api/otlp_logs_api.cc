#include "daemon/api/otlp_logs_api.h"

#include "pipeline/decoders/otlp_logs.h"

namespace sluice::daemon {
namespace {

bool IsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return media == "application/json";
}

HttpResponse Encoded(int status, bool json, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", json ? "application/json" : "application/x-protobuf");
  r.body = std::move(body);
  return r;
}

}  // namespace

void RegisterOtlpLogsApi(Router& router, const IngestApi& api) {
  auto handler = [api](HttpRequest request, Responder responder) {
    bool json = IsJson(request.headers.Get("Content-Type"));
    auto error = [json](int status, std::string_view message) {
      return Encoded(status, json,
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
                     return Encoded(200, json,
                                    json ? pipeline::OtlpResponseJson(r.otlp)
                                         : pipeline::OtlpResponseProto(r.otlp));
                   }
                   if (r.status.code() == StatusCode::kInvalidArgument) {
                     return error(400, r.status.message());
                   }
                   HttpResponse busy = error(StatusForWriteFailure(r.status), r.status.message());
                   busy.headers.Set("Retry-After", std::to_string(retry_after.count()));
                   return busy;
                 });
  };
  router.Add({HttpMethod::kPost}, "/v1/logs", handler, {.admission = true});
  router.Add({HttpMethod::kPost}, "/otlp/v1/logs", handler, {.admission = true});
}

}  // namespace sluice::daemon

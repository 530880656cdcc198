#include "daemon/api/ingest_common.h"

#include <fmt/format.h>

#include <cctype>

#include "base/tenant_id.h"
#include "pipeline/decoders/otlp_logs.h"

namespace sluice::daemon {

Result<std::string> RequestTenant(const HttpRequest& request, const std::string& default_tenant) {
  std::optional<std::string_view> header = request.headers.Find("X-Scope-OrgID");
  if (!header || header->empty()) return default_tenant;
  std::string_view id = *header;
  if (Status valid = ValidateTenantId(id); !valid.ok()) {
    return Status::InvalidArgument(fmt::format("invalid tenant ID \"{}\" in X-Scope-OrgID: {}",
                                               id.substr(0, 160), valid.message()));
  }
  return std::string(id);
}

std::string MediaType(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpResponse PlainError(int status, std::string_view message) {
  HttpResponse r = HttpResponse::Text(status, std::string(message) + "\n");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  return r;
}

HttpResponse WithRetryAfter(HttpResponse r, std::chrono::seconds retry_after) {
  r.headers.Set("Retry-After", std::to_string(retry_after.count()));
  return r;
}

HttpResponse OtlpAnswer(int status, bool json, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", json ? "application/json" : "application/x-protobuf");
  r.body = std::move(body);
  return r;
}

void SubmitOtlp(const IngestApi& api, HttpRequest&& request, Responder responder,
                pipeline::IngestFormat json_format, pipeline::IngestFormat proto_format,
                std::function<std::string(const pipeline::IngestResult&, bool json)> success_body) {
  bool json = MediaType(request.headers.Get("Content-Type")) == "application/json";
  auto error = [json](int status, std::string_view message) {
    return OtlpAnswer(status, json,
                      json ? pipeline::OtlpErrorJson(message) : pipeline::OtlpErrorProto(message));
  };
  Result<std::string> tenant = RequestTenant(request, api.default_tenant);
  if (!tenant.ok()) {
    responder.Send(error(400, tenant.status().message()));
    return;
  }
  pipeline::IngestRequest ingest;
  ingest.tenant = std::move(tenant).value();
  ingest.format = json ? json_format : proto_format;
  auto retry_after = api.retry_after;
  SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
               [json, error, retry_after,
                success_body = std::move(success_body)](const pipeline::IngestResult& r) {
                 if (r.status.ok()) return OtlpAnswer(200, json, success_body(r, json));
                 if (r.status.code() == StatusCode::kInvalidArgument) {
                   return error(400, r.status.message());
                 }
                 return WithRetryAfter(error(StatusForWriteFailure(r.status), r.status.message()),
                                       retry_after);
               });
}

Result<pipeline::FieldMapping> RequestFieldMapping(const HttpRequest& request,
                                                   const pipeline::FieldMapping& defaults) {
  pipeline::FieldMapping m = defaults;
  auto setting = [&](std::string_view arg,
                     std::string_view header) -> std::optional<std::string_view> {
    if (auto v = request.params.Find(arg); v && !v->empty()) return v;
    if (auto v = request.headers.Find(header); v && !v->empty()) return v;
    return std::nullopt;
  };
  if (auto v = setting("_msg_field", "VL-Msg-Field")) m.msg_fields = pipeline::SplitFieldList(*v);
  if (auto v = setting("_time_field", "VL-Time-Field"))
    m.time_fields = pipeline::SplitFieldList(*v);
  if (auto v = setting("_stream_fields", "VL-Stream-Fields")) {
    m.stream_fields = pipeline::SplitFieldList(*v);
  }
  if (auto v = setting("ignore_fields", "VL-Ignore-Fields")) {
    m.ignore_fields = pipeline::SplitFieldList(*v);
  }
  if (auto v = setting("extra_fields", "VL-Extra-Fields")) {
    SLUICE_ASSIGN_OR_RETURN(m.extra_fields, pipeline::ParseExtraFields(*v));
  }
  return m;
}

int StatusForWriteFailure(const Status&) { return 503; }

void SubmitIngest(const IngestApi& api, HttpRequest&& request, pipeline::IngestRequest ingest,
                  Responder responder, IngestAnswer answer) {
  ingest.body = std::move(request.body);
  // The lease rides along with the answer: the memory it stands for is free once `done` ran.
  auto lease = std::make_shared<AdmissionLease>(std::move(request.lease));
  auto shared_responder = std::make_shared<Responder>(std::move(responder));
  api.service->Submit(std::move(ingest), [lease, shared_responder, answer = std::move(answer)](
                                             pipeline::IngestResult r) mutable {
    // Build the answer on the IO thread: this callback runs on a shard writer.
    shared_responder->SendComputed(
        [answer = std::move(answer), r = std::move(r)]() { return answer(r); });
  });
}

}  // namespace sluice::daemon

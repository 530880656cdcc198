#include "daemon/api/ingest_common.h"

#include <fmt/format.h>

namespace sluice::daemon {

Result<std::string> RequestTenant(const HttpRequest& request, const std::string& default_tenant) {
  std::optional<std::string_view> header = request.headers.Find("X-Scope-OrgID");
  if (!header || header->empty()) return default_tenant;
  std::string_view id = *header;
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("invalid tenant ID \"{}\" in X-Scope-OrgID: {}",
                                               id.substr(0, 160), why));
  };
  if (id.size() > 150) return bad("longer than 150 characters");
  if (id == "." || id == "..") return bad("\".\" and \"..\" are not tenant IDs");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!-_.*'()").find(c) != std::string_view::npos;
    if (!ok) {
      return bad(c == '|' ? "a write names exactly one tenant"
                          : "allowed characters are a-z A-Z 0-9 ! - _ . * ' ( )");
    }
  }
  return std::string(id);
}

Result<pipeline::FieldMapping> RequestFieldMapping(const HttpRequest& request,
                                                  const pipeline::FieldMapping& defaults) {
  pipeline::FieldMapping m = defaults;
  auto setting = [&](std::string_view arg, std::string_view header) -> std::optional<std::string_view> {
    if (auto v = request.params.Find(arg); v && !v->empty()) return v;
    if (auto v = request.headers.Find(header); v && !v->empty()) return v;
    return std::nullopt;
  };
  if (auto v = setting("_msg_field", "VL-Msg-Field")) m.msg_fields = pipeline::SplitFieldList(*v);
  if (auto v = setting("_time_field", "VL-Time-Field")) m.time_fields = pipeline::SplitFieldList(*v);
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

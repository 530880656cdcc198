#include "daemon/api/loki_delete_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>

#include "base/json_writer.h"
#include "daemon/api/ingest_common.h"
#include "daemon/api/loki_api_common.h"
#include "query/go_duration.h"
#include "query/time_params.h"

namespace sluice::daemon {
namespace {

constexpr int64_t kMsPerSecond = 1000;

struct Api {
  LokiDeleteApiOptions options;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Loki's parseTime: "" is now; RFC 3339; else exactly 10 characters of Unix seconds (a fraction
// allowed), so that milliseconds or nanoseconds are refused rather than misread.
Result<int64_t> LokiTimeMs(std::string_view text, int64_t now_ms) {
  if (text.empty()) return now_ms;
  if (text.find('T') != std::string_view::npos) {
    Result<int64_t> ns = query::ParseQueryTime(text);
    if (!ns.ok()) return ns.status();
    return *ns / 1'000'000 - (*ns % 1'000'000 < 0 ? 1 : 0);  // Go's UnixMilli rounds down
  }
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.size() != 10 || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(seconds)) {
    return Status::InvalidArgument("not unix seconds");
  }
  return static_cast<int64_t>(std::llround(seconds * kMsPerSecond));
}

// Loki's checks of the range of a query with line filters (DeleteRequestHandler.interval); with no
// delete_max_interval, as Sluice never splits a request.
Status CheckFilterInterval(std::string_view max_interval, int64_t start_ms, int64_t end_ms) {
  const int64_t range_ns = (end_ms - start_ms) * 1'000'000;
  if (max_interval.empty()) {
    if (range_ns < 1'000'000'000) {
      return Status::InvalidArgument(
          "difference between start time and end time must be at least one second");
    }
    return Status::Ok();
  }
  Result<int64_t> interval = query::ParseGoDuration(max_interval);
  if (!interval.ok() || *interval < 1'000'000'000) {
    return Status::InvalidArgument("invalid max_interval: valid time units are 's', 'm', 'h'");
  }
  if (*interval > range_ns) {
    return Status::InvalidArgument(
        fmt::format("max_interval can't be greater than the interval to be deleted ({})",
                    GoDurationString(std::chrono::nanoseconds(range_ns))));
  }
  return Status::Ok();
}

// model.Time's JSON: Unix seconds, with the milliseconds as a fraction when there are any.
void AppendSeconds(JsonWriter& w, int64_t ms) {
  std::string text = ms < 0 ? "-" : "";
  uint64_t u = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  text += std::to_string(u / kMsPerSecond);
  if (u % kMsPerSecond != 0) {
    std::string frac = fmt::format("{:03d}", u % kMsPerSecond);
    while (frac.back() == '0') frac.pop_back();
    text += "." + frac;
  }
  w.Raw(text);
}

HttpResponse List(const Api& api, const std::string& tenant) {
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  for (const DeleteRequest& r : api.options.service->List(tenant, DeleteKind::kLogs)) {
    w.BeginObject();
    w.Key("request_id");
    w.String(r.request_id);
    w.Key("start_time");
    AppendSeconds(w, r.start_ms);
    w.Key("end_time");
    AppendSeconds(w, r.end_ms);
    w.Key("query");
    w.String(r.queries.empty() ? std::string() : r.queries[0]);
    w.Key("status");
    w.String(DeleteStatusName(r.status));
    w.Key("created_at");
    AppendSeconds(w, r.created_at_ms);
    w.EndObject();
  }
  w.EndArray();
  body.push_back('\n');  // as Go's json.Encoder ends it
  return HttpResponse::Json(200, std::move(body));
}

// The request as Loki's AddDeleteRequestHandler validates it; the answer when it is invalid.
Result<DeleteRequest> ReadAddRequest(const HttpRequest& request, const std::string& tenant) {
  const QueryParams& params = request.params;
  DeleteRequest r;
  r.tenant = tenant;
  r.kind = DeleteKind::kLogs;
  std::string_view query = params.Get("query");
  if (query.empty()) return Status::InvalidArgument("query not set");
  SLUICE_ASSIGN_OR_RETURN(CompiledDelete compiled, CompileLogDeleteQuery(query));
  r.queries.emplace_back(query);

  int64_t now_ms = NowMs();
  std::string_view start = params.Get("start");
  if (start.empty()) return Status::InvalidArgument("start time not set");
  Result<int64_t> start_ms = LokiTimeMs(start, now_ms);
  if (!start_ms.ok()) {
    return Status::InvalidArgument("invalid start time: require unix seconds or RFC3339 format");
  }
  Result<int64_t> end_ms = LokiTimeMs(params.Get("end"), now_ms);
  if (!end_ms.ok()) {
    return Status::InvalidArgument("invalid end time: require unix seconds or RFC3339 format");
  }
  if (*end_ms > now_ms) return Status::InvalidArgument("deletes in the future are not allowed");
  if (*start_ms > *end_ms) {
    return Status::InvalidArgument("start time can't be greater than end time");
  }
  r.start_ms = *start_ms;
  r.end_ms = *end_ms;
  if (compiled.line_filter) {
    SLUICE_RETURN_IF_ERROR(CheckFilterInterval(params.Get("max_interval"), r.start_ms, r.end_ms));
  }
  return r;
}

HttpResponse CancelAnswer(const Status& s) {
  if (s.ok()) return HttpResponse::Empty(204);
  switch (s.code()) {
    case StatusCode::kNotFound:
      return lokiapi::Error(404, s.message());
    case StatusCode::kFailedPrecondition:
      return lokiapi::Error(400, s.message());
    default:
      return lokiapi::Error(500, s.message());
  }
}

// Runs `work` on the executor (it writes synced to storage) and answers with what it returns.
void Submit(const Api& api, const std::string& tenant, Responder responder,
            std::function<HttpResponse()> work) {
  api.options.executor->Submit(
      MakeQueryTask([work = std::move(work), responder = std::move(responder)](
                        const Status& admitted, const std::atomic<bool>&) mutable {
        if (!admitted.ok()) {
          int status = admitted.code() == StatusCode::kResourceExhausted ? 429 : 503;
          responder.Send(
              WithRetryAfter(lokiapi::Error(status, admitted.message()), lokiapi::kRetryAfter));
          return;
        }
        responder.Send(work());
      }),
      tenant);
}

}  // namespace

void RegisterLokiDeleteApi(Router& router, LokiDeleteApiOptions options) {
  auto api = std::make_shared<const Api>(Api{std::move(options)});
  const RouteOptions admin{.access = RouteAccess::kAdmin};

  router.Add(
      {HttpMethod::kPut, HttpMethod::kPost}, "/loki/api/v1/delete",
      [api](HttpRequest request, Responder responder) {
        Result<std::string> tenant = RequestTenant(request, api->options.default_tenant);
        if (!tenant.ok()) return responder.Send(lokiapi::Error(400, tenant.status().message()));
        Result<DeleteRequest> add = ReadAddRequest(request, *tenant);
        if (!add.ok()) return responder.Send(lokiapi::Error(400, add.status().message()));
        Submit(*api, *tenant, std::move(responder), [api, add = std::move(add).value()] {
          Result<DeleteRequest> added = api->options.service->Add(add);
          if (!added.ok()) {
            spdlog::error("deletion: storing a delete request: {}", added.status().message());
            int status = added.status().code() == StatusCode::kInvalidArgument ? 400 : 500;
            return lokiapi::Error(status, added.status().message());
          }
          return HttpResponse::Empty(204);
        });
      },
      admin);

  router.Add(
      {HttpMethod::kGet}, "/loki/api/v1/delete",
      [api](HttpRequest request, Responder responder) {
        Result<std::string> tenant = RequestTenant(request, api->options.default_tenant);
        if (!tenant.ok()) return responder.Send(lokiapi::Error(400, tenant.status().message()));
        // In memory: answered on the IO thread.
        responder.Send(List(*api, *tenant));
      },
      admin);

  router.Add(
      {HttpMethod::kDelete}, "/loki/api/v1/delete",
      [api](HttpRequest request, Responder responder) {
        Result<std::string> tenant = RequestTenant(request, api->options.default_tenant);
        if (!tenant.ok()) return responder.Send(lokiapi::Error(400, tenant.status().message()));
        // `force` cancels what is left of a request Loki split and partly processed; Sluice
        // neither splits nor partly processes one, so it changes nothing here.
        std::string id(request.params.Get("request_id"));
        Submit(*api, *tenant, std::move(responder), [api, tenant = *tenant, id] {
          return CancelAnswer(api->options.service->Cancel(tenant, id));
        });
      },
      admin);
}

}  // namespace sluice::daemon

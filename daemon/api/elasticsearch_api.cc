#include "daemon/api/elasticsearch_api.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "base/build_info.h"
#include "base/json_writer.h"
#include "pipeline/field_mapping.h"

namespace sluice::daemon {
namespace {

constexpr std::string_view kPrefixes[] = {"", "/insert/elasticsearch"};

HttpResponse EsJson(int status, std::string body) {
  HttpResponse r = HttpResponse::Json(status, std::move(body));
  r.headers.Set("X-Elastic-Product", "Elasticsearch");
  return r;
}

// {"error":{"root_cause":[{"type":..,"reason":..}],"type":..,"reason":..},"status":N}
HttpResponse EsError(int status, std::string_view type, std::string_view reason) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Key("root_cause");
  w.BeginArray();
  w.BeginObject();
  w.Key("type");
  w.String(type);
  w.Key("reason");
  w.String(reason);
  w.EndObject();
  w.EndArray();
  w.Key("type");
  w.String(type);
  w.Key("reason");
  w.String(reason);
  w.EndObject();
  w.Key("status");
  w.Int(status);
  w.EndObject();
  return EsJson(status, std::move(body));
}

std::string VersionDocument() {
  const BuildInfo& build = GetBuildInfo();
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("name");
  w.String("sluice");
  w.Key("cluster_name");
  w.String("sluice");
  w.Key("cluster_uuid");
  w.String("c2x1aWNlLWNsdXN0ZXIt");
  w.Key("version");
  w.BeginObject();
  w.Key("number");
  w.String(kElasticsearchCompatVersion);
  w.Key("build_flavor");
  w.String("default");
  w.Key("build_type");
  w.String("tar");
  w.Key("build_hash");
  w.String(build.revision);
  w.Key("build_date");
  w.String(build.build_date);
  w.Key("build_snapshot");
  w.Bool(false);
  w.Key("lucene_version");
  w.String("9.12.0");
  w.Key("minimum_wire_compatibility_version");
  w.String("7.17.0");
  w.Key("minimum_index_compatibility_version");
  w.String("7.0.0");
  w.EndObject();
  w.Key("tagline");
  w.String("You Know, for Search");
  w.EndObject();
  return body;
}

constexpr std::string_view kLicense =
    R"({"license":{"status":"active","uid":"5d0b4c2e-6f3a-4b8e-9c1d-73a6e2f0b1a4","type":"basic",)"
    R"("mode":"basic","issue_date_in_millis":0,"expiry_date_in_millis":4000000000000,)"
    R"("max_nodes":1000,"issued_to":"sluice","issuer":"sluice","start_date_in_millis":-1}})";

constexpr std::string_view kXpack =
    R"({"build":{},"license":{"uid":"5d0b4c2e-6f3a-4b8e-9c1d-73a6e2f0b1a4","type":"basic",)"
    R"("mode":"basic","status":"active"},"features":{"ilm":{"available":true,"enabled":true}}})";

constexpr std::string_view kClusterHealth =
    R"({"cluster_name":"sluice","status":"green","timed_out":false,"number_of_nodes":1,)"
    R"("number_of_data_nodes":1,"active_primary_shards":0,"active_shards":0,)"
    R"("relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,)"
    R"("delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,)"
    R"("task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0})";

constexpr std::string_view kNodes =
    R"({"_nodes":{"total":1,"successful":1,"failed":0},"cluster_name":"sluice","nodes":{}})";

// Document ids in Elasticsearch's style (20 characters, unique per process): a per-request
// prefix from the clock and a counter, written without formatting calls (a bulk answer holds one
// per document).
class IdGenerator {
 public:
  IdGenerator() {
    static std::atomic<uint64_t> requests{0};
    uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    prefix_ = (now >> 16) ^ (requests.fetch_add(1) << 48);
  }
  void Append(std::string* out) {
    static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";
    char buf[20];
    uint64_t hi = prefix_;
    uint64_t lo = next_++;
    for (int i = 19; i >= 12; --i, lo >>= 5) buf[i] = kDigits[lo & 31];
    for (int i = 11; i >= 0; --i, hi >>= 5) buf[i] = kDigits[hi & 31];
    out->append(buf, sizeof buf);
  }

 private:
  uint64_t prefix_;
  uint64_t next_ = 0;
};

// Elasticsearch's filter_path, for the bulk response keys clients ask for (Filebeat sends
// filter_path=errors,items.*.error,items.*.status): a shorter answer is cheaper to build and send.
struct BulkFilter {
  bool all = true;
  bool took = true, errors = true, items = true;
  bool item_all = true;
  std::vector<std::string> item_fields;

  static BulkFilter Parse(std::string_view filter_path) {
    BulkFilter f;
    if (filter_path.empty()) return f;
    f.all = false;
    f.took = f.errors = f.items = f.item_all = false;
    for (const std::string& path : pipeline::SplitFieldList(filter_path)) {
      if (path == "took") f.took = true;
      if (path == "errors") f.errors = true;
      if (path == "items" || path == "items.*" || path == "items.*.*") {
        f.items = f.item_all = true;
      } else if (path.rfind("items.*.", 0) == 0) {
        f.items = true;
        f.item_fields.push_back(path.substr(8));
      }
    }
    return f;
  }
  bool Item(std::string_view field) const {
    return item_all ||
           std::find(item_fields.begin(), item_fields.end(), field) != item_fields.end();
  }
};

std::string BulkResponse(const pipeline::IngestResult& result, int64_t took_ms,
                         const BulkFilter& filter) {
  bool errors = false;
  for (const auto& item : result.bulk_items) errors = errors || item.status >= 300;
  std::string body;
  body.reserve(64 + result.bulk_items.size() * 180);
  JsonWriter w(&body);
  w.BeginObject();
  if (filter.took) {
    w.Key("took");
    w.Int(took_ms);
  }
  // Fluent Bit falls back to finding `"errors":false,"items":[` in a truncated answer: keep the
  // two keys adjacent and the output compact.
  if (filter.errors) {
    w.Key("errors");
    w.Bool(errors);
  }
  if (!filter.items) {
    w.EndObject();
    return body;
  }
  w.Key("items");
  w.BeginArray();
  int64_t seq = 0;
  IdGenerator ids;
  std::string id;
  for (const auto& item : result.bulk_items) {
    bool ok = item.status < 300;
    w.BeginObject();
    w.Key(item.op);
    w.BeginObject();
    if (filter.Item("_index")) {
      w.Key("_index");
      w.String(item.index);
    }
    if (filter.Item("_id")) {
      w.Key("_id");
      if (item.id.empty()) {
        id.clear();
        ids.Append(&id);
        w.String(id);
      } else {
        w.String(item.id);
      }
    }
    if (ok && filter.all) {
      w.Key("_version");
      w.Int(1);
      w.Key("result");
      w.String("created");
      w.Key("_shards");
      w.Raw(R"({"total":1,"successful":1,"failed":0})");
      w.Key("_seq_no");
      w.Int(seq++);
      w.Key("_primary_term");
      w.Int(1);
    }
    if (filter.Item("status")) {
      w.Key("status");
      w.Int(item.status);
    }
    if (!ok && filter.Item("error")) {
      w.Key("error");
      w.BeginObject();
      w.Key("type");
      w.String(item.error_type);
      w.Key("reason");
      w.String(item.error_reason);
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return body;
}

void RegisterBulk(Router& router, const IngestApi& api, const std::string& pattern) {
  router.Add(
      {HttpMethod::kPost, HttpMethod::kPut}, pattern,
      [api](HttpRequest request, Responder responder) {
        auto started = std::chrono::steady_clock::now();
        Result<std::string> tenant = RequestTenant(request, api.default_tenant);
        if (!tenant.ok()) {
          responder.Send(EsError(400, "illegal_argument_exception", tenant.status().message()));
          return;
        }
        Result<pipeline::FieldMapping> mapping = RequestFieldMapping(request, api.default_fields);
        if (!mapping.ok()) {
          responder.Send(EsError(400, "illegal_argument_exception", mapping.status().message()));
          return;
        }
        pipeline::IngestRequest ingest;
        ingest.tenant = std::move(tenant).value();
        ingest.format = pipeline::IngestFormat::kEsBulk;
        ingest.mapping = std::move(mapping).value();
        ingest.default_index = std::string(request.PathParam("index"));
        auto retry_after = api.retry_after;
        BulkFilter filter = BulkFilter::Parse(request.params.Get("filter_path"));
        SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
                     [retry_after, started, filter](const pipeline::IngestResult& r) {
                       if (r.status.code() == StatusCode::kInvalidArgument) {
                         return EsError(400, "illegal_argument_exception", r.status.message());
                       }
                       if (!r.status.ok()) {
                         HttpResponse busy =
                             EsError(StatusForWriteFailure(r.status),
                                     "es_rejected_execution_exception", r.status.message());
                         busy.headers.Set("Retry-After", std::to_string(retry_after.count()));
                         return busy;
                       }
                       auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count();
                       return EsJson(200, BulkResponse(r, took, filter));
                     });
      },
      {.admission = true, .access = RouteAccess::kWrite});
}

// Shippers call these before their first write; they touch no data, so any credential may.
constexpr RouteOptions kHandshake{.access = RouteAccess::kAnyCredential};

// A setup endpoint: reads say "exists", writes say "acknowledged".
void RegisterSetup(Router& router, const std::string& pattern) {
  router.Add(
      {HttpMethod::kGet}, pattern, [](HttpRequest, Responder r) { r.Send(EsJson(200, "{}")); },
      kHandshake);
  router.Add(
      {HttpMethod::kPut, HttpMethod::kPost, HttpMethod::kDelete}, pattern + "/{name}",
      [](HttpRequest, Responder r) { r.Send(EsJson(200, R"({"acknowledged":true})")); },
      kHandshake);
  router.Add(
      {HttpMethod::kGet}, pattern + "/{name}",
      [](HttpRequest, Responder r) { r.Send(EsJson(200, "{}")); }, kHandshake);
}

}  // namespace

void RegisterElasticsearchApi(Router& router, const IngestApi& api) {
  const std::string version = VersionDocument();
  for (std::string_view prefix : kPrefixes) {
    std::string p(prefix);
    RegisterBulk(router, api, p + "/_bulk");
    RegisterBulk(router, api, p + "/{index}/_bulk");
    if (!p.empty()) {
      router.Add(
          {HttpMethod::kGet}, p,
          [version](HttpRequest, Responder r) { r.Send(EsJson(200, version)); }, kHandshake);
    }
    router.Add(
        {HttpMethod::kGet}, p.empty() ? "/" : p + "/",
        [version](HttpRequest, Responder r) { r.Send(EsJson(200, version)); }, kHandshake);
    router.Add(
        {HttpMethod::kGet}, p + "/_license",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, std::string(kLicense))); }, kHandshake);
    router.Add(
        {HttpMethod::kGet}, p + "/_xpack",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, std::string(kXpack))); }, kHandshake);
    router.Add(
        {HttpMethod::kGet}, p + "/_cluster/health",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, std::string(kClusterHealth))); },
        kHandshake);
    router.Add(
        {HttpMethod::kGet}, p + "/_cat/health",
        [](HttpRequest, Responder r) {
          auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
          HttpResponse res = HttpResponse::Text(
              200, fmt::format("{} {:%H:%M:%S} sluice green 1 1 0 0 0 0 0 0 - 100.0%\n", now,
                               fmt::gmtime(now)));
          res.headers.Set("X-Elastic-Product", "Elasticsearch");
          r.Send(std::move(res));
        },
        kHandshake);
    for (const char* setup : {"/_index_template", "/_template", "/_component_template",
                              "/_ilm/policy", "/_ingest/pipeline", "/_data_stream"}) {
      RegisterSetup(router, p + setup);
    }
    router.Add(
        {HttpMethod::kGet}, p + "/_nodes",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, std::string(kNodes))); }, kHandshake);
    router.Add(
        {HttpMethod::kGet}, p + "/_nodes/{what}",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, std::string(kNodes))); }, kHandshake);
    router.Add(
        {HttpMethod::kGet}, p + "/_nodes/{what}/{detail}",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, std::string(kNodes))); }, kHandshake);
    // Logstash checks its rollover alias and creates the first index.
    router.Add(
        {HttpMethod::kHead}, p + "/{index}",
        [](HttpRequest, Responder r) { r.Send(EsJson(200, "{}")); }, kHandshake);
    router.Add(
        {HttpMethod::kPut}, p + "/{index}",
        [](HttpRequest request, Responder r) {
          std::string body;
          JsonWriter w(&body);
          w.BeginObject();
          w.Key("acknowledged");
          w.Bool(true);
          w.Key("shards_acknowledged");
          w.Bool(true);
          w.Key("index");
          w.String(request.PathParam("index"));
          w.EndObject();
          r.Send(EsJson(200, std::move(body)));
        },
        kHandshake);
  }
}

}  // namespace sluice::daemon

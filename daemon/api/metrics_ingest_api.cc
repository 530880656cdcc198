#include "daemon/api/metrics_ingest_api.h"

#include <fmt/format.h>

#include "base/json_writer.h"
#include "pipeline/decoders/otlp_metrics.h"

namespace sluice::daemon {
namespace {

// What Telegraf and the Influx clients read back (they only check that it is present).
constexpr std::string_view kInfluxVersion = "1.8.10";

std::string RejectedMessage(const pipeline::IngestResult& r) {
  return fmt::format("{} (rejected {} series, {} samples; the others were stored)",
                     r.metrics.first_error, r.metrics.rejected_series, r.metrics.rejected_samples);
}

// Submits `ingest` and answers in plain text: 204, 400 naming what was refused, or 503.
void SubmitPlain(const IngestApi& api, HttpRequest&& request, pipeline::IngestRequest ingest,
                 Responder responder) {
  auto retry_after = api.retry_after;
  SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
               [retry_after](const pipeline::IngestResult& r) {
                 if (r.status.ok()) {
                   if (r.metrics.rejected_series > 0) return PlainError(400, RejectedMessage(r));
                   return HttpResponse::Empty(204);
                 }
                 if (r.status.code() == StatusCode::kInvalidArgument) {
                   return PlainError(400, r.status.message());
                 }
                 return WithRetryAfter(
                     PlainError(StatusForWriteFailure(r.status), r.status.message()), retry_after);
               });
}

bool TenantOr400(const IngestApi& api, const HttpRequest& request, Responder& responder,
                 std::string* tenant) {
  Result<std::string> t = RequestTenant(request, api.default_tenant);
  if (!t.ok()) {
    responder.Send(PlainError(400, t.status().message()));
    return false;
  }
  *tenant = std::move(t).value();
  return true;
}

HttpResponse InfluxError(int status, bool v2, std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  if (v2) {
    w.Key("code");
    w.String(status == 400 ? "invalid" : "unavailable");
    w.Key("message");
  } else {
    w.Key("error");
  }
  w.String(message);
  w.EndObject();
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.headers.Set("X-Influxdb-Version", std::string(kInfluxVersion));
  r.body = std::move(body);
  return r;
}

void HandleInflux(const IngestApi& api, bool v2, HttpRequest request, Responder responder) {
  std::string tenant;
  if (!TenantOr400(api, request, responder, &tenant)) return;
  pipeline::IngestRequest ingest;
  ingest.tenant = std::move(tenant);
  ingest.format = pipeline::IngestFormat::kInflux;
  // Without a precision argument the decoder guesses the unit from the magnitude, as VM does:
  // the default "ns" would turn Unix seconds into 1970.
  ingest.influx_precision = std::string(request.params.Get("precision"));
  // v1 names the database `db`, v2 the bucket `bucket`; VictoriaMetrics labels both as db.
  ingest.influx_db = std::string(request.params.Get(v2 ? "bucket" : "db"));
  auto retry_after = api.retry_after;
  SubmitIngest(api, std::move(request), std::move(ingest), std::move(responder),
               [retry_after, v2](const pipeline::IngestResult& r) {
                 if (r.status.ok()) {
                   if (r.metrics.rejected_series > 0) {
                     return InfluxError(400, v2, RejectedMessage(r));
                   }
                   HttpResponse ok = HttpResponse::Empty(204);
                   ok.headers.Set("X-Influxdb-Version", std::string(kInfluxVersion));
                   return ok;
                 }
                 if (r.status.code() == StatusCode::kInvalidArgument) {
                   return InfluxError(400, v2, r.status.message());
                 }
                 return WithRetryAfter(
                     InfluxError(StatusForWriteFailure(r.status), v2, r.status.message()),
                     retry_after);
               });
}

void HandleOtlpMetrics(const IngestApi& api, HttpRequest request, Responder responder) {
  SubmitOtlp(api, std::move(request), std::move(responder),
             pipeline::IngestFormat::kOtlpMetricsJson, pipeline::IngestFormat::kOtlpMetricsProto,
             [](const pipeline::IngestResult& r, bool json) {
               return json ? pipeline::OtlpMetricsResponseJson(r.metrics)
                           : pipeline::OtlpMetricsResponseProto(r.metrics);
             });
}

}  // namespace

bool IsRemoteWriteRequest(const HttpRequest& request) {
  return !request.headers.Get("X-Prometheus-Remote-Write-Version").empty();
}

void HandleRemoteWrite(const IngestApi& api, HttpRequest request, Responder responder) {
  std::string tenant;
  if (!TenantOr400(api, request, responder, &tenant)) return;
  pipeline::IngestRequest ingest;
  ingest.tenant = std::move(tenant);
  ingest.format = pipeline::IngestFormat::kRemoteWrite;
  // The HTTP server undid a declared Content-Encoding (snappy from Prometheus, zstd from
  // vmagent); without one the body is snappy as the protocol says.
  ingest.snappy_already_undone = !request.headers.Get("Content-Encoding").empty();
  SubmitPlain(api, std::move(request), std::move(ingest), std::move(responder));
}

void RegisterMetricsIngestApi(Router& router, const IngestApi& api) {
  router.Add({HttpMethod::kPost}, "/api/v1/write",
             [api](HttpRequest request, Responder responder) {
               HandleRemoteWrite(api, std::move(request), std::move(responder));
             },
             {.admission = true, .access = RouteAccess::kWrite});
  router.Add({HttpMethod::kPost}, "/api/v1/import",
             [api](HttpRequest request, Responder responder) {
               std::string tenant;
               if (!TenantOr400(api, request, responder, &tenant)) return;
               pipeline::IngestRequest ingest;
               ingest.tenant = std::move(tenant);
               ingest.format = pipeline::IngestFormat::kVmImport;
               SubmitPlain(api, std::move(request), std::move(ingest), std::move(responder));
             },
             {.admission = true, .access = RouteAccess::kWrite});

  for (bool v2 : {false, true}) {
    router.Add({HttpMethod::kPost}, v2 ? "/api/v2/write" : "/write",
               [api, v2](HttpRequest request, Responder responder) {
                 HandleInflux(api, v2, std::move(request), std::move(responder));
               },
               {.admission = true, .access = RouteAccess::kWrite});
  }
  router.Add({HttpMethod::kGet, HttpMethod::kHead}, "/ping",
             [](HttpRequest, Responder responder) {
               HttpResponse r = HttpResponse::Empty(204);
               r.headers.Set("X-Influxdb-Version", std::string(kInfluxVersion));
               responder.Send(std::move(r));
             },
             {.access = RouteAccess::kAnyCredential});
  // Telegraf's influxdb output sends CREATE DATABASE at startup: there is nothing to create.
  router.Add({HttpMethod::kGet, HttpMethod::kPost}, "/query",
             [](HttpRequest, Responder responder) {
               HttpResponse r = HttpResponse::Text(200, R"({"results":[{"statement_id":0}]})");
               r.headers.Set("Content-Type", "application/json");
               r.headers.Set("X-Influxdb-Version", std::string(kInfluxVersion));
               responder.Send(std::move(r));
             },
             {.access = RouteAccess::kAnyCredential});

  auto otlp = [api](HttpRequest request, Responder responder) {
    HandleOtlpMetrics(api, std::move(request), std::move(responder));
  };
  router.Add({HttpMethod::kPost}, "/v1/metrics", otlp,
             {.admission = true, .access = RouteAccess::kWrite});
  router.Add({HttpMethod::kPost}, "/otlp/v1/metrics", otlp,
             {.admission = true, .access = RouteAccess::kWrite});
}

}  // namespace sluice::daemon

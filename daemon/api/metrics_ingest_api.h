// Metrics ingest endpoints: Prometheus remote write (/api/v1/write, and /api/prom/push when the
// request says it is remote write), VictoriaMetrics' JSON import (/api/v1/import), Influx line
// protocol (/write, /api/v2/write, plus /ping and /query as Telegraf probes them) and OTLP/HTTP
// metrics (/v1/metrics, /otlp/v1/metrics).
//
// Answers: 204 (OTLP: 200 with its response) once every valid sample is durable; series, lines or
// data points that can never be accepted are skipped and named in a 400 after the others are
// stored (OTLP: partial success); overload and storage failures are 503 with Retry-After, which
// Prometheus, vmagent and Telegraf retry.
#pragma once

#include "daemon/api/ingest_common.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

void RegisterMetricsIngestApi(Router& router, const IngestApi& api);

// Remote write's handler, for /api/prom/push to dispatch to.
void HandleRemoteWrite(const IngestApi& api, HttpRequest request, Responder responder);

// True when the request carries remote write's header (X-Prometheus-Remote-Write-Version).
bool IsRemoteWriteRequest(const HttpRequest& request);

}  // namespace sluice::daemon

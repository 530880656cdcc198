// OTLP/HTTP logs: POST /v1/logs and /otlp/v1/logs, JSON (Content-Type: application/json) or
// protobuf (anything else). Answers as the OTLP specification says: 200 with an
// ExportLogsServiceResponse in the request's encoding (with partialSuccess when records were
// refused one by one), 400 with a google.rpc.Status for a body that cannot be parsed (not
// retried), 503 with Retry-After under overload (retried).
#pragma once

#include "daemon/api/ingest_common.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

void RegisterOtlpLogsApi(Router& router, const IngestApi& api);

}  // namespace sluice::daemon

// Loki's push API: POST /loki/api/v1/push and the legacy /api/prom/push.
// JSON when Content-Type is application/json, else snappy-compressed protobuf (as Loki decides).
// Answers 204; a bad request 400 with Loki's plain-text message; overload or storage trouble 503
// with Retry-After (Promtail, Alloy and winston-loki retry it).
#pragma once

#include "daemon/api/ingest_common.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

void RegisterLokiPushApi(Router& router, const IngestApi& api);

}  // namespace sluice::daemon

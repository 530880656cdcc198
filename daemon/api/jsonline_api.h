// POST /insert/jsonline: one JSON object per line, mapped by the request's field settings
// (pipeline/field_mapping.h), VictoriaLogs-compatible. 200 when stored; a bad line refuses the
// whole request with 400 naming the line; overload or storage trouble 503 with Retry-After.
#pragma once

#include "daemon/api/ingest_common.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

void RegisterJsonLineApi(Router& router, const IngestApi& api);

}  // namespace sluice::daemon

// GET /export/logs?match={selector}&start=&end=: every entry of the tenant's matching streams in
// [start, end), as newline-delimited JSON, streamed (chunked) stream by stream in time order:
//
//   {"_time":"2024-01-02T03:04:05.123456789Z","_stream":"{app=\"api\"}","_msg":"<line>","k":"v"}
//
// Structured metadata become top-level fields. /insert/jsonline accepts the lines back unchanged
// (it reads _msg, _time and _stream by default), which makes this a backup and migration format.
// start and end take RFC 3339, Unix seconds or nanoseconds; they default to everything.
#pragma once

#include "daemon/http/router.h"
#include "storage/log_store.h"

namespace sluice::daemon {

void RegisterExportApi(Router& router, const storage::LogStore* store, std::string default_tenant);

}  // namespace sluice::daemon

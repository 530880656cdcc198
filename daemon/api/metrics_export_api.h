// GET /api/v1/export?match[]=<selector>&start=&end=: the series matching any selector, with their
// samples in [start, end], in VictoriaMetrics' JSON lines export format (one series per line),
// streamed. What it writes, POST /api/v1/import takes back: data round-trips and migrates from
// and to VictoriaMetrics.
#pragma once

#include <string>

#include "daemon/http/router.h"
#include "storage/metric_store.h"

namespace sluice::daemon {

void RegisterMetricsExportApi(Router& router, const storage::MetricStore* store,
                              std::string default_tenant);

}  // namespace sluice::daemon

// Operational endpoints: /metrics, health and readiness, build info, and config reload.
//
//   GET  /metrics                          Prometheus text format (version 0.0.4)
//   GET  /-/healthy                        200 while the process serves HTTP (Prometheus)
//   GET  /-/ready, /ready                  200 once started, 503 while starting or stopping
//                                          (Prometheus, Loki)
//   GET  /api/v1/status/buildinfo          Prometheus' shape, {"status":"success","data":{...}}
//   GET  /loki/api/v1/status/buildinfo     Loki's shape, the fields at top level
//   POST /-/reload (and PUT)               re-reads the config: 200, or 500 with the errors
#pragma once

#include <prometheus/registry.h>

#include <functional>

#include "base/status.h"
#include "daemon/http/router.h"
#include "daemon/process_metrics.h"

namespace sluice::daemon {

// The Prometheus and Loki API versions whose behaviour Sluice follows; reported by buildinfo so
// that Grafana picks the matching feature set.
inline constexpr std::string_view kPrometheusCompatVersion = "2.42.0";
inline constexpr std::string_view kLokiCompatVersion = "3.0.0";

struct StatusApi {
  const prometheus::Registry* registry = nullptr;
  const ProcessMetrics* process_metrics = nullptr;
  std::function<bool()> is_ready;
  std::function<Status()> reload;
};

// `api`'s pointers and functions must outlive the router's use.
void RegisterStatusApi(Router& router, const StatusApi& api);

}  // namespace sluice::daemon

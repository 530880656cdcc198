// The rule and alert state APIs, in Prometheus' shapes (web/api/v1/api.go) and at the paths
// Grafana's alerting UI reads them from:
//
//   GET /api/v1/rules, /api/v1/alerts                        the PromQL groups (Prometheus)
//   GET /prometheus/api/v1/rules, /prometheus/api/v1/alerts  the LogQL groups (Loki's ruler)
//       rules: type=alert|record, rule_name[], rule_group[], file[], exclude_alerts
//   GET /loki/api/v1/rules, /api/prom/rules                  the LogQL groups as Loki's ruler
//       lists them: YAML, one key per namespace (the file), 404 "no rule groups found" if none
//   /loki/api/v1/rules/{namespace}[/{group}] and /api/prom/rules/...: Sluice reads rules from
//       files, like Loki's local rule store: changing them through the API is refused with
//       Loki's 400 "... unsupported in rule local store", which Grafana shows as read-only rules.
#pragma once

#include <functional>
#include <vector>

#include "alerting/rule_group.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

struct RulesApiOptions {
  // The groups and their state now; empty when alerting is not configured.
  // The groups a tenant sees and their state now: the rules belong to the tenant whose data they
  // query (alerting.tenant); others see none.
  std::function<std::vector<alerting::GroupStatus>(const std::string& tenant)> groups;
  std::string default_tenant = "fake";  // of requests without X-Scope-OrgID
};

void RegisterRulesApi(Router& router, RulesApiOptions options);

}  // namespace sluice::daemon

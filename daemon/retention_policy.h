// RetentionPolicy: how long each tenant's logs and samples are kept, from the config's
// `limits.retention_period` and `limits.retention_stream` (per tenant through
// `tenants.overrides`), with Loki's precedence for a log stream:
//   1. the tenant's retention_stream rules that match it: the highest priority, then the
//      shortest period;
//   2. the same among the `limits:` section's rules (a tenant overriding the list still gets
//      them when none of its own match);
//   3. the tenant's retention_period (0: forever).
// Metric series follow the tenant's retention_period alone. Immutable, so thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/tenant_overrides.h"
#include "config/config.h"
#include "storage/label_matcher.h"

namespace sluice::daemon {

class RetentionPolicy {
 public:
  using Duration = std::chrono::nanoseconds;

  RetentionPolicy() = default;
  // InvalidArgument naming the setting when a selector does not parse.
  static Result<RetentionPolicy> Make(
      const config::LimitsConfig& defaults,
      const std::vector<std::pair<std::string, config::LimitsConfig>>& overrides);

  // How long the stream of `tenant` with `labels` is kept; nullopt: forever.
  std::optional<Duration> LogPeriod(std::string_view tenant, const storage::Labels& labels) const;
  // How long the tenant's samples are kept; nullopt: forever.
  std::optional<Duration> MetricPeriod(std::string_view tenant) const;
  // Whether some tenant's data expires at all.
  bool Expires() const { return expires_; }

 private:
  struct Rule {
    storage::LabelMatchers matchers;
    int priority = 0;
    Duration period{};
  };
  struct Tenant {
    std::vector<Rule> rules;
    Duration period{};  // 0: forever
  };
  static Result<Tenant> TenantFrom(const config::LimitsConfig& limits, std::string_view where);

  TenantOverrides<Tenant> tenants_;
  bool expires_ = false;
};

}  // namespace sluice::daemon

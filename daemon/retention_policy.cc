#include "daemon/retention_policy.h"

#include <fmt/format.h>

#include "query/selector_parser.h"

namespace sluice::daemon {
namespace {

// The rule that applies of `rules` (the highest priority, then the shortest period), or null.
template <typename Rule>
const Rule* Pick(const std::vector<Rule>& rules, const storage::Labels& labels) {
  const Rule* best = nullptr;
  for (const Rule& r : rules) {
    bool matches =
        std::all_of(r.matchers.begin(), r.matchers.end(),
                    [&](const storage::LabelMatcher& m) { return m.MatchesLabels(labels); });
    if (!matches) continue;
    if (best == nullptr || r.priority > best->priority ||
        (r.priority == best->priority && r.period < best->period)) {
      best = &r;
    }
  }
  return best;
}

}  // namespace

Result<RetentionPolicy::Tenant> RetentionPolicy::TenantFrom(const config::LimitsConfig& limits,
                                                            std::string_view where) {
  Tenant t;
  t.period = limits.retention_period;
  for (size_t i = 0; i < limits.retention_stream.size(); ++i) {
    const config::RetentionStreamRule& rule = limits.retention_stream[i];
    Result<storage::LabelMatchers> matchers = query::ParseSelector(rule.selector);
    if (!matchers.ok()) {
      return Status::InvalidArgument(fmt::format("{}.retention_stream[{}].selector: {}", where, i,
                                                 matchers.status().message()));
    }
    if (matchers->empty()) {
      return Status::InvalidArgument(
          fmt::format("{}.retention_stream[{}].selector: needs at least one matcher", where, i));
    }
    t.rules.push_back(Rule{std::move(*matchers), rule.priority, rule.period});
  }
  return t;
}

Result<RetentionPolicy> RetentionPolicy::Make(
    const config::LimitsConfig& defaults,
    const std::vector<std::pair<std::string, config::LimitsConfig>>& overrides) {
  auto expires = [](const Tenant& t) { return t.period.count() > 0 || !t.rules.empty(); };
  SLUICE_ASSIGN_OR_RETURN(Tenant base, TenantFrom(defaults, "limits"));
  bool any = expires(base);
  std::unordered_map<std::string, Tenant> named;
  for (const auto& [tenant, limits] : overrides) {
    SLUICE_ASSIGN_OR_RETURN(Tenant t,
                            TenantFrom(limits, fmt::format("tenants.overrides.{}", tenant)));
    any = any || expires(t);
    named[tenant] = std::move(t);
  }
  RetentionPolicy p;
  p.tenants_ = TenantOverrides<Tenant>(std::move(base), std::move(named));
  p.expires_ = any;
  return p;
}

std::optional<RetentionPolicy::Duration> RetentionPolicy::LogPeriod(
    std::string_view tenant, const storage::Labels& labels) const {
  const Tenant& t = tenants_.For(tenant);
  const Rule* rule = Pick(t.rules, labels);
  if (rule == nullptr && &t != &tenants_.defaults()) rule = Pick(tenants_.defaults().rules, labels);
  if (rule != nullptr) return rule->period;
  if (t.period.count() > 0) return t.period;
  return std::nullopt;
}

std::optional<RetentionPolicy::Duration> RetentionPolicy::MetricPeriod(
    std::string_view tenant) const {
  const Tenant& t = tenants_.For(tenant);
  if (t.period.count() > 0) return t.period;
  return std::nullopt;
}

}  // namespace sluice::daemon

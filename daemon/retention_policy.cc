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
  RetentionPolicy p;
  SLUICE_ASSIGN_OR_RETURN(p.defaults_, TenantFrom(defaults, "limits"));
  auto expires = [](const Tenant& t) { return t.period.count() > 0 || !t.rules.empty(); };
  p.expires_ = expires(p.defaults_);
  for (const auto& [tenant, limits] : overrides) {
    SLUICE_ASSIGN_OR_RETURN(Tenant t,
                            TenantFrom(limits, fmt::format("tenants.overrides.{}", tenant)));
    p.expires_ = p.expires_ || expires(t);
    p.overrides_[tenant] = std::move(t);
  }
  return p;
}

const RetentionPolicy::Tenant& RetentionPolicy::For(std::string_view tenant) const {
  if (overrides_.empty()) return defaults_;
  auto it = overrides_.find(std::string(tenant));
  return it == overrides_.end() ? defaults_ : it->second;
}

std::optional<RetentionPolicy::Duration> RetentionPolicy::LogPeriod(
    std::string_view tenant, const storage::Labels& labels) const {
  const Tenant& t = For(tenant);
  const Rule* rule = Pick(t.rules, labels);
  if (rule == nullptr && &t != &defaults_) rule = Pick(defaults_.rules, labels);
  if (rule != nullptr) return rule->period;
  if (t.period.count() > 0) return t.period;
  return std::nullopt;
}

std::optional<RetentionPolicy::Duration> RetentionPolicy::MetricPeriod(
    std::string_view tenant) const {
  const Tenant& t = For(tenant);
  if (t.period.count() > 0) return t.period;
  return std::nullopt;
}

}  // namespace sluice::daemon

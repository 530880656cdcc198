#include "alerting/alerting_rule.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

namespace sluice::alerting {
namespace {

// Prometheus' resolvedRetention: how long a resolved instance is kept, and its resolution resent.
constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

void SetLabel(storage::Labels& labels, std::string_view name, std::string value) {
  auto it =
      std::lower_bound(labels.begin(), labels.end(), name,
                       [](const storage::Label& l, std::string_view n) { return l.name < n; });
  if (it != labels.end() && it->name == name) {
    it->value = std::move(value);
  } else {
    labels.insert(it, storage::Label{std::string(name), std::move(value)});
  }
}

void RemoveLabel(storage::Labels& labels, std::string_view name) {
  std::erase_if(labels, [&](const storage::Label& l) { return l.name == name; });
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

Result<std::unique_ptr<AlertingRule>> AlertingRule::Create(const RuleSpec& spec) {
  std::unique_ptr<AlertingRule> rule(new AlertingRule(spec));
  const std::string template_name = "__alert_" + spec.alert;
  auto parse_all = [&](const storage::Labels& from, std::vector<Template>* to) -> Status {
    for (const auto& [name, text] : from) {
      auto parsed = query::AlertTemplate::Parse(text, template_name);
      if (!parsed.ok()) return parsed.status();
      to->push_back(Template{name, std::move(*parsed)});
    }
    return Status::Ok();
  };
  if (Status s = parse_all(spec.labels, &rule->label_templates_); !s.ok()) return s;
  if (Status s = parse_all(spec.annotations, &rule->annotation_templates_); !s.ok()) return s;
  return rule;
}

std::string AlertingRule::Expand(const query::AlertTemplate& tmpl,
                                 const query::AlertTemplateData& data) const {
  std::string out;
  Status s = tmpl.Execute(data, &out);
  if (!s.ok()) {
    // Prometheus keeps the alert and puts the error where the text would have been.
    spdlog::warn("alerting rule {}: expanding a template failed: {}", spec_.alert, s.message());
    return fmt::format("<error expanding template: error executing template __alert_{}: {}>",
                       spec_.alert, s.message());
  }
  return out;
}

Status AlertingRule::Eval(const query::promql::Vector& result, int64_t ts_ms, int64_t sample_ts_ms,
                          int64_t limit, const TemplateEnv& env, std::vector<RuleSample>* out) {
  std::map<uint64_t, AlertInstance> fresh;
  for (const auto& sample : result) {
    query::AlertTemplateData data;
    data.labels = &sample.labels;
    data.external_labels = &env.external_labels;
    data.external_url = env.external_url;
    data.value = sample.v;
    data.now_ms = ts_ms;

    AlertInstance instance;
    instance.labels = sample.labels;
    RemoveLabel(instance.labels, "__name__");
    for (const Template& t : label_templates_)
      SetLabel(instance.labels, t.name, Expand(*t.tmpl, data));
    SetLabel(instance.labels, "alertname", spec_.alert);
    for (const Template& t : annotation_templates_) {
      instance.annotations.push_back(storage::Label{t.name, Expand(*t.tmpl, data)});
    }
    instance.state = AlertState::kPending;
    instance.active_at_ms = ts_ms;
    instance.value = sample.v;
    uint64_t fp = AlertFingerprint(instance.labels);
    if (!fresh.emplace(fp, std::move(instance)).second) {
      return Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying alert labels");
    }
  }

  std::lock_guard lock(mu_);
  for (auto& [fp, instance] : fresh) {
    auto it = active_.find(fp);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = instance.value;
      it->second.annotations = std::move(instance.annotations);
      continue;
    }
    active_.insert_or_assign(fp, std::move(instance));
    changes_[fp] = false;
  }

  int64_t active_count = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    const uint64_t fp = it->first;
    AlertInstance& a = it->second;
    if (!fresh.contains(fp)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && spec_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms == 0) {
          a.keep_firing_since_ms = ts_ms;
          changes_[fp] = false;
        }
        keep_firing = ts_ms - a.keep_firing_since_ms < spec_.keep_firing_for_ms;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && ts_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        changes_[fp] = true;
        it = active_.erase(it);
        continue;
      }
      if (!keep_firing) {
        if (a.state != AlertState::kInactive) {
          a.state = AlertState::kInactive;
          a.resolved_at_ms = ts_ms;
          changes_[fp] = false;
        }
        ++it;
        continue;
      }
    } else if (a.keep_firing_since_ms != 0) {
      a.keep_firing_since_ms = 0;
      changes_[fp] = false;
    }
    ++active_count;
    if (a.state == AlertState::kPending && ts_ms - a.active_at_ms >= spec_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts_ms;
      changes_[fp] = false;
    }
    if (out != nullptr) {
      RuleSample alerts{a.labels, sample_ts_ms, 1};
      SetLabel(alerts.labels, "__name__", "ALERTS");
      SetLabel(alerts.labels, "alertstate", std::string(AlertStateName(a.state)));
      out->push_back(std::move(alerts));
      RuleSample for_state{a.labels, sample_ts_ms, static_cast<double>(a.active_at_ms / 1000)};
      SetLabel(for_state.labels, "__name__", "ALERTS_FOR_STATE");
      out->push_back(std::move(for_state));
    }
    ++it;
  }

  if (limit > 0 && active_count > limit) {
    for (const auto& [fp, a] : active_) changes_[fp] = true;
    active_.clear();
    if (out != nullptr) out->clear();
    return Status::InvalidArgument(
        fmt::format("exceeded limit of {} with {} alerts", limit, active_count));
  }
  return Status::Ok();
}

std::vector<Alert> AlertingRule::AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                              int64_t interval_ms,
                                              const std::string& generator_url) {
  std::vector<Alert> alerts;
  std::lock_guard lock(mu_);
  for (auto& [fp, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    const bool resolved_since_sent = a.resolved_at_ms > a.last_sent_at_ms;
    if (!resolved_since_sent && a.last_sent_at_ms + resend_delay_ms >= ts_ms) continue;
    a.last_sent_at_ms = ts_ms;
    a.valid_until_ms = ts_ms + 4 * std::max(interval_ms, resend_delay_ms);
    changes_[fp] = false;
    Alert alert;
    alert.labels = a.labels;
    alert.annotations = a.annotations;
    alert.starts_at_ms = a.fired_at_ms;
    alert.ends_at_ms = a.resolved_at_ms != 0 ? a.resolved_at_ms : a.valid_until_ms;
    alert.generator_url = generator_url;
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

void AlertingRule::Restore(std::vector<AlertInstance> instances) {
  std::lock_guard lock(mu_);
  active_.clear();
  for (AlertInstance& a : instances) {
    uint64_t fp = AlertFingerprint(a.labels);
    active_.insert_or_assign(fp, std::move(a));
  }
}

void AlertingRule::TakeChanges(std::vector<AlertInstance>* changed,
                               std::vector<uint64_t>* deleted) {
  std::lock_guard lock(mu_);
  for (const auto& [fp, erased] : changes_) {
    auto it = active_.find(fp);
    if (erased || it == active_.end()) {
      deleted->push_back(fp);
    } else {
      changed->push_back(it->second);
    }
  }
  changes_.clear();
}

std::vector<AlertInstance> AlertingRule::Instances() const {
  std::vector<AlertInstance> instances;
  {
    std::lock_guard lock(mu_);
    instances.reserve(active_.size());
    for (const auto& [fp, a] : active_) instances.push_back(a);
  }
  std::sort(instances.begin(), instances.end(),
            [](const AlertInstance& a, const AlertInstance& b) { return a.labels < b.labels; });
  return instances;
}

AlertState AlertingRule::State() const {
  std::lock_guard lock(mu_);
  AlertState state = AlertState::kInactive;
  for (const auto& [fp, a] : active_) state = std::max(state, a.state);
  return state;
}

}  // namespace sluice::alerting

#include "alerting/rule_group.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <utility>

#include "alerting/alert_state_codec.h"
#include "storage/metric_batch.h"

namespace sluice::alerting {
namespace {

// Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX.
std::string QueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string GeneratorUrl(std::string_view external_url, std::string_view expr) {
  return fmt::format("{}/graph?g0.expr={}&g0.tab=1", external_url, QueryEscape(expr));
}

Result<std::unique_ptr<RuleGroup>> RuleGroup::Create(RuleGroupSpec spec,
                                                     const RuleEvalSettings& settings,
                                                     const RuleQueryEngine& engine) {
  int64_t interval = spec.interval_ms > 0 ? spec.interval_ms : settings.default_interval_ms;
  std::unique_ptr<RuleGroup> group(new RuleGroup(std::move(spec), interval));
  for (const RuleSpec& rule_spec : group->spec_.rules) {
    auto where = [&](const sluice::Status& s) {
      return sluice::Status(s.code(),
                            fmt::format("{}: group \"{}\", rule \"{}\": {}", group->spec_.file,
                                        group->spec_.name, rule_spec.name(), s.message()));
    };
    Rule rule;
    rule.spec = rule_spec;
    auto query = engine.Prepare(rule_spec.expr, group->spec_.language);
    if (!query.ok()) return where(query.status());
    rule.query = std::move(*query);
    if (rule_spec.is_alert()) {
      auto alerting = AlertingRule::Create(rule_spec);
      if (!alerting.ok()) return where(alerting.status());
      rule.alerting = std::move(*alerting);
      rule.state_prefix = RuleStateKeyPrefix(group->spec_.file, group->spec_.name, rule_spec);
    }
    rule.status.spec = rule_spec;
    rule.status.query = rule.query->text();
    group->rules_.push_back(std::move(rule));
  }
  return group;
}

std::vector<std::string> RuleGroup::StateKeyPrefixes() const {
  std::vector<std::string> prefixes;
  for (const Rule& rule : rules_) {
    if (rule.alerting) prefixes.push_back(rule.state_prefix);
  }
  return prefixes;
}

Status RuleGroup::Restore(const KvStore& store) {
  for (Rule& rule : rules_) {
    if (!rule.alerting) continue;
    std::vector<AlertInstance> instances;
    Status decode_error;
    Status s = store.Scan(rule.state_prefix, [&](std::string_view key, std::string_view value) {
      auto instance = DecodeAlertInstance(value);
      if (!instance.ok()) {
        decode_error = sluice::Status::Corruption(
            fmt::format("alert state {}: {}", key, instance.status().message()));
        return true;  // keep what can be read
      }
      instances.push_back(std::move(*instance));
      return true;
    });
    if (!s.ok()) return s;
    if (!decode_error.ok()) spdlog::error("alerting: {}", decode_error.message());
    rule.alerting->Restore(std::move(instances));
  }
  return Status::Ok();
}

void RuleGroup::CopyStateFrom(const RuleGroup& old) {
  std::map<std::string, const Rule*> by_identity;
  for (const Rule& rule : old.rules_) {
    if (rule.alerting) by_identity.emplace(rule.state_prefix, &rule);
  }
  std::lock_guard lock(status_mu_);
  for (Rule& rule : rules_) {
    if (!rule.alerting) continue;
    auto it = by_identity.find(rule.state_prefix);
    if (it == by_identity.end()) continue;
    rule.alerting->Restore(it->second->alerting->Instances());
    rule.previous_series = it->second->previous_series;
    std::lock_guard old_lock(old.status_mu_);
    rule.status.health = it->second->status.health;
    rule.status.last_error = it->second->status.last_error;
    rule.status.last_evaluation_ms = it->second->status.last_evaluation_ms;
    rule.status.evaluation_seconds = it->second->status.evaluation_seconds;
  }
}

Status RuleGroup::EvalRecording(Rule& rule, const query::promql::Vector& result, int64_t sample_ts,
                                std::vector<RuleSample>* out) const {
  std::set<storage::Labels> seen;
  for (const auto& element : result) {
    RuleSample sample{element.labels, sample_ts, element.v};
    for (const auto& l : rule.spec.labels) {
      auto it = std::lower_bound(
          sample.labels.begin(), sample.labels.end(), l.name,
          [](const storage::Label& a, const std::string& n) { return a.name < n; });
      if (it != sample.labels.end() && it->name == l.name) {
        it->value = l.value;
      } else {
        sample.labels.insert(it, l);
      }
    }
    auto name =
        std::lower_bound(sample.labels.begin(), sample.labels.end(), std::string("__name__"),
                         [](const storage::Label& a, const std::string& n) { return a.name < n; });
    if (name != sample.labels.end() && name->name == "__name__") {
      name->value = rule.spec.record;
    } else {
      sample.labels.insert(name, storage::Label{"__name__", rule.spec.record});
    }
    std::erase_if(sample.labels, [](const storage::Label& l) { return l.value.empty(); });
    if (!seen.insert(sample.labels).second) {
      return sluice::Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying rule labels");
    }
    out->push_back(std::move(sample));
  }
  if (spec_.limit > 0 && static_cast<int64_t>(out->size()) > spec_.limit) {
    size_t n = out->size();
    out->clear();
    return sluice::Status::InvalidArgument(
        fmt::format("exceeded limit of {} with {} series", spec_.limit, n));
  }
  return Status::Ok();
}

std::vector<Alert> RuleGroup::Eval(int64_t ts_ms, RuleSampleSink& sink, KvStore& store,
                                   const RuleEvalSettings& settings) {
  const auto group_start = std::chrono::steady_clock::now();
  const int64_t query_ts = ts_ms - spec_.query_offset_ms;
  std::vector<Alert> to_send;
  // A recording rule's results are written before the next rule runs, which may read them. What
  // alerting rules write (ALERTS, ALERTS_FOR_STATE) and their state go out once for the whole
  // group: each durable write waits for a commit, and per rule those waits were most of the time
  // a group took.
  std::vector<RuleSample> deferred_samples;
  std::vector<std::pair<Rule*, std::set<storage::Labels>>> deferred_series;
  std::vector<KvWrite> state_writes;
  for (size_t i = 0; i < rules_.size(); ++i) {
    Rule& rule = rules_[i];
    const auto rule_start = std::chrono::steady_clock::now();
    std::vector<RuleSample> samples;
    sluice::Status status;
    auto result = rule.query->Eval(query_ts);
    if (!result.ok()) {
      status = result.status();
    } else if (rule.alerting) {
      status = rule.alerting->Eval(*result, ts_ms, query_ts, spec_.limit, settings.env, &samples);
    } else {
      status = EvalRecording(rule, *result, query_ts, &samples);
    }

    // Series the rule wrote last time and not now go stale, as in Prometheus, so that a resolved
    // alert's ALERTS series ends at once instead of lingering for the lookback period.
    // A failed evaluation writes nothing and marks nothing stale, as in Prometheus.
    if (status.ok()) {
      std::set<storage::Labels> current;
      for (const RuleSample& s : samples) current.insert(s.labels);
      for (const storage::Labels& labels : rule.previous_series) {
        if (!current.contains(labels)) {
          samples.push_back(RuleSample{labels, query_ts, storage::StaleNaN()});
        }
      }
      if (rule.alerting) {
        deferred_samples.insert(deferred_samples.end(), std::make_move_iterator(samples.begin()),
                                std::make_move_iterator(samples.end()));
        deferred_series.emplace_back(&rule, std::move(current));
      } else if (sluice::Status s = sink.Append(samples); !s.ok()) {
        status = s;
      } else {
        rule.previous_series = std::move(current);
      }
    }

    if (rule.alerting) {
      std::vector<Alert> alerts =
          rule.alerting->AlertsToSend(ts_ms, settings.resend_delay_ms, interval_ms_,
                                      GeneratorUrl(settings.env.external_url, rule.query->text()));
      std::vector<AlertInstance> changed;
      std::vector<uint64_t> deleted;
      rule.alerting->TakeChanges(&changed, &deleted);
      for (const AlertInstance& a : changed) {
        state_writes.push_back(KvWrite{AlertStateKey(rule.state_prefix, AlertFingerprint(a.labels)),
                                       EncodeAlertInstance(a), false});
      }
      for (uint64_t fp : deleted) {
        state_writes.push_back(KvWrite{AlertStateKey(rule.state_prefix, fp), {}, true});
      }
      // Prometheus' notifier adds the external labels an alert does not have already.
      for (Alert& alert : alerts) {
        for (const storage::Label& l : settings.env.external_labels) {
          auto it = std::lower_bound(
              alert.labels.begin(), alert.labels.end(), l.name,
              [](const storage::Label& a, const std::string& n) { return a.name < n; });
          if (it == alert.labels.end() || it->name != l.name) alert.labels.insert(it, l);
        }
      }
      to_send.insert(to_send.end(), std::make_move_iterator(alerts.begin()),
                     std::make_move_iterator(alerts.end()));
    }
    // Each rule's status is published as soon as it ran, as Prometheus does, so that the rules
    // API never shows an alert's new state next to a rule that looks unevaluated.
    RecordStatus(i, status, ts_ms, SecondsSince(rule_start));
  }

  if (sluice::Status s = sink.Append(deferred_samples); !s.ok()) {
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (rules_[i].alerting && rules_[i].status.health == "ok") {
        RecordStatus(i, s, ts_ms, rules_[i].status.evaluation_seconds);
      }
    }
  } else {
    for (auto& [rule, series] : deferred_series) rule->previous_series = std::move(series);
  }
  // The state goes to disk before the notifications leave (the caller sends them): after a
  // crash, a sent alert is known as sent and nothing pages twice; at worst one is sent again.
  if (!state_writes.empty()) {
    if (sluice::Status s = store.Write(state_writes); !s.ok()) {
      spdlog::error("alerting: persisting the alert state of group {} failed: {}", spec_.name,
                    s.message());
    }
  }

  std::lock_guard lock(status_mu_);
  last_evaluation_ms_ = ts_ms;
  evaluation_seconds_ = SecondsSince(group_start);
  return to_send;
}

void RuleGroup::RecordStatus(size_t rule_index, const sluice::Status& status, int64_t ts_ms,
                             double seconds) {
  if (!status.ok()) {
    spdlog::warn("alerting: evaluating rule {} of group {} failed: {}",
                 rules_[rule_index].spec.name(), spec_.name, status.message());
  }
  std::lock_guard lock(status_mu_);
  RuleStatus& rs = rules_[rule_index].status;
  rs.health = status.ok() ? "ok" : "err";
  rs.last_error = status.ok() ? "" : std::string(status.message());
  rs.last_evaluation_ms = ts_ms;
  rs.evaluation_seconds = seconds;
}

GroupStatus RuleGroup::Snapshot() const {
  GroupStatus g;
  g.file = spec_.file;
  g.name = spec_.name;
  g.language = spec_.language;
  g.interval_ms = interval_ms_;
  g.limit = spec_.limit;
  g.query_offset_ms = spec_.query_offset_ms;
  std::lock_guard lock(status_mu_);
  g.last_evaluation_ms = last_evaluation_ms_;
  g.evaluation_seconds = evaluation_seconds_;
  for (const Rule& rule : rules_) {
    RuleStatus status = rule.status;
    if (rule.alerting) {
      status.state = rule.alerting->State();
      status.alerts = rule.alerting->Instances();
    }
    g.rules.push_back(std::move(status));
  }
  return g;
}

}  // namespace sluice::alerting

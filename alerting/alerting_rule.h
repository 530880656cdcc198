// AlertingRule: the state machine of one alerting rule, as Prometheus' rules.AlertingRule runs it.
//
// Each evaluation hands the rule the instant vector its expression gave. Every element becomes an
// alert instance identified by its labels (the series' labels without __name__, the rule's
// templated labels, alertname):
//
//   (absent) --appears--> pending --held for `for`--> firing --absent--> inactive (resolved)
//                \--absent--> (deleted)                 ^ keep_firing_for: stays firing
//                                                         that long after it went absent
//
// A resolved instance is kept for 15 minutes (Prometheus' resolvedRetention) so that its
// resolution keeps being sent; if its series comes back meanwhile, a new pending instance
// replaces it. Sending follows Prometheus' needsSending: pending instances are never sent,
// firing ones every resend_delay, resolved ones as soon as they resolved.
//
// The instances' state is what survives a restart (alert_state_codec.h): after one, the rule
// continues from the restored instances, so `for` progress is kept and nothing pages twice.
//
// Thread-safety: Eval, AlertsToSend, Restore and TakeChanges are called by the rule group's
// evaluation only; Instances and State may be called from any thread (the HTTP API).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "alerting/rule_file.h"
#include "base/result.h"
#include "query/alert_template.h"
#include "query/promql_value.h"

namespace sluice::alerting {

enum class AlertState { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", "firing"

// One alert instance of a rule. Times are Unix ms; 0 means unset.
struct AlertInstance {
  storage::Labels labels;       // canonical, includes alertname
  storage::Labels annotations;  // canonical, expanded
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t last_sent_at_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;
  friend bool operator==(const AlertInstance&, const AlertInstance&) = default;
};

// A sample a rule writes back into the time-series storage (ALERTS, ALERTS_FOR_STATE, recording
// rule results, staleness markers).
struct RuleSample {
  storage::Labels labels;  // canonical, includes __name__
  int64_t timestamp_ms = 0;
  double value = 0;
};

// What templates see besides the sample: Prometheus' external labels and URL.
struct TemplateEnv {
  storage::Labels external_labels;  // canonical
  std::string external_url;
};

class AlertingRule {
 public:
  // Parses the rule's label and annotation templates. `spec` must be an alerting rule.
  static Result<std::unique_ptr<AlertingRule>> Create(const RuleSpec& spec);

  const RuleSpec& spec() const { return spec_; }

  // Updates the instances from `result`, the expression's value at `ts_ms`. ALERTS and
  // ALERTS_FOR_STATE samples of the pending and firing instances are appended to `out`, stamped
  // `sample_ts_ms` (the evaluation time minus the group's query_offset). `limit` > 0 bounds the
  // pending and firing instances: above it every instance is dropped and the evaluation fails
  // with Prometheus' "exceeded limit of N with M alerts".
  Status Eval(const query::promql::Vector& result, int64_t ts_ms, int64_t sample_ts_ms,
              int64_t limit, const TemplateEnv& env, std::vector<RuleSample>* out);

  // The instances due for sending at `ts_ms`, marked as sent, as Alertmanager receives them:
  // startsAt is when the instance fired; endsAt its resolution time, or while firing
  // ts + 4 * max(interval, resend_delay) so that Alertmanager resolves it by itself if Sluice
  // stops sending.
  std::vector<Alert> AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms,
                                  const std::string& generator_url);

  // Replaces the instances with restored ones (before the first evaluation after a start or a
  // reload).
  void Restore(std::vector<AlertInstance> instances);

  // Instances changed since the last call in a way worth persisting (created, state change,
  // sent), and the fingerprints of the ones deleted. Value and annotation updates alone are not
  // persisted: the next evaluation recomputes them.
  void TakeChanges(std::vector<AlertInstance>* changed, std::vector<uint64_t>* deleted);

  // Every instance, pending, firing and recently resolved, sorted by labels.
  std::vector<AlertInstance> Instances() const;
  // The highest state of its instances (firing > pending > inactive).
  AlertState State() const;

 private:
  explicit AlertingRule(RuleSpec spec) : spec_(std::move(spec)) {}
  std::string Expand(const query::AlertTemplate& tmpl, const query::AlertTemplateData& data) const;

  RuleSpec spec_;
  struct Template {
    std::string name;
    std::unique_ptr<query::AlertTemplate> tmpl;
  };
  std::vector<Template> label_templates_;
  std::vector<Template> annotation_templates_;

  mutable std::mutex mu_;
  std::map<uint64_t, AlertInstance> active_;  // by AlertFingerprint of the labels
  std::map<uint64_t, bool> changes_;          // fingerprint → deleted?
};

}  // namespace sluice::alerting

// RuleGroup: one group of a rule file, evaluated as Prometheus' rules.Group does: every rule in
// order at one timestamp (so a rule sees the recording results of the rules before it), the
// results written into the time-series storage, series a rule stopped producing marked stale,
// and the alerting rules' instances persisted in the KvStore before their notifications go out.
//
// Thread-safety: Eval, Restore and CopyStateFrom run on the rule manager's evaluation thread;
// Status may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/alerting_rule.h"
#include "alerting/kv_store.h"
#include "alerting/rule_file.h"
#include "alerting/rule_io.h"

namespace sluice::alerting {

// Evaluation settings shared by every group.
struct RuleEvalSettings {
  int64_t default_interval_ms = 60'000;  // groups without `interval`
  int64_t resend_delay_ms = 60'000;      // Prometheus' --rules.alert.resend-delay
  TemplateEnv env;                       // external labels and URL
};

// A rule's health and last evaluation, as the rules API shows them.
struct RuleStatus {
  RuleSpec spec;
  std::string query;               // the expression as printed
  std::string health = "unknown";  // "ok", "err", "unknown" (not evaluated yet)
  std::string last_error;
  int64_t last_evaluation_ms = 0;
  double evaluation_seconds = 0;
  AlertState state = AlertState::kInactive;  // alerting rules
  std::vector<AlertInstance> alerts;         // alerting rules: pending, firing, resolved
};

struct GroupStatus {
  std::string file;
  std::string name;
  RuleLanguage language = RuleLanguage::kPromQL;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  int64_t query_offset_ms = 0;
  int64_t last_evaluation_ms = 0;
  double evaluation_seconds = 0;
  std::vector<RuleStatus> rules;
};

class RuleGroup {
 public:
  // Prepares every rule's expression and templates. The engine must outlive the group.
  static Result<std::unique_ptr<RuleGroup>> Create(RuleGroupSpec spec,
                                                   const RuleEvalSettings& settings,
                                                   const RuleQueryEngine& engine);

  const RuleGroupSpec& spec() const { return spec_; }
  int64_t interval_ms() const { return interval_ms_; }
  // Identifies the group across reloads: file and name.
  std::string key() const { return spec_.file + '\0' + spec_.name; }

  // The KvStore key prefixes of this group's alerting rules' instances.
  std::vector<std::string> StateKeyPrefixes() const;

  // Loads the persisted instances of every alerting rule (after a start).
  Status Restore(const KvStore& store);
  // Takes over the state of the rules `old` has with the same identity (after a reload).
  void CopyStateFrom(const RuleGroup& old);

  // Evaluates every rule at `ts_ms`, writes samples to `sink`, persists alert state changes in
  // `store`, and returns the alerts due for sending. Errors of a rule are kept in its status
  // (and logged); the other rules still run.
  std::vector<Alert> Eval(int64_t ts_ms, RuleSampleSink& sink, KvStore& store,
                          const RuleEvalSettings& settings);

  GroupStatus Snapshot() const;

 private:
  struct Rule {
    RuleSpec spec;
    std::unique_ptr<RuleQuery> query;
    std::unique_ptr<AlertingRule> alerting;     // null for recording rules
    std::string state_prefix;                   // alerting rules
    std::set<storage::Labels> previous_series;  // what the last evaluation wrote
    RuleStatus status;                          // guarded by status_mu_
  };

  RuleGroup(RuleGroupSpec spec, int64_t interval_ms)
      : spec_(std::move(spec)), interval_ms_(interval_ms) {}
  Status EvalRecording(Rule& rule, const query::promql::Vector& result, int64_t sample_ts,
                       std::vector<RuleSample>* out) const;
  // Publishes a rule's health, error and timing to the rules API (and logs a failure).
  void RecordStatus(size_t rule_index, const Status& status, int64_t ts_ms, double seconds);

  RuleGroupSpec spec_;
  const int64_t interval_ms_;
  std::vector<Rule> rules_;

  mutable std::mutex status_mu_;
  int64_t last_evaluation_ms_ = 0;
  double evaluation_seconds_ = 0;
};

// Prometheus' generator URL for an expression: <external_url>/graph?g0.expr=<escaped>&g0.tab=1.
std::string GeneratorUrl(std::string_view external_url, std::string_view expr);

}  // namespace sluice::alerting

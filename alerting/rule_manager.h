// RuleManager: loads the rule files, evaluates each group at its interval, hands the alerts due
// for sending to the notifier (Alertmanagers, the webhook dispatcher), and reloads the files on
// demand keeping the state of unchanged rules.
//
// Scheduling is Prometheus': a group is evaluated at the multiples of its interval shifted by a
// per-group offset (a hash of file and name), so that groups spread over the interval and their
// timestamps are stable across restarts. A group that falls behind skips the iterations it
// missed (counted in sluice_rule_group_iterations_missed_total) rather than piling them up.
//
// Persistence: alert instances live in the KvStore (rule_group.h); Load restores them, so a
// restart — of any length — continues pending alerts with their `for` progress and does not
// resend what was sent within the resend delay.
//
// Thread-safety: Load, Reload, EvaluateDue and Snapshot may be called from any thread; Start runs
// EvaluateDue on an own thread until Stop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerting/alert.h"
#include "alerting/kv_store.h"
#include "alerting/rule_group.h"
#include "alerting/rule_io.h"
#include "base/clock.h"

namespace prometheus {
class Registry;
}

namespace sluice::alerting {

struct RuleManagerOptions {
  std::vector<std::string> promql_rule_files;  // paths or globs
  std::vector<std::string> logql_rule_files;   // paths or globs: Loki ruler files
  RuleEvalSettings settings;
};

// Receives the alerts a group's evaluation made due for sending, on the evaluation thread.
using AlertNotifier = std::function<void(const std::vector<Alert>&)>;

class RuleManager {
 public:
  // Every reference must outlive the manager. `registry` may be null.
  RuleManager(RuleManagerOptions options, const RuleQueryEngine& engine, RuleSampleSink& sink,
              KvStore& store, AlertNotifier notify, const Clock& clock,
              prometheus::Registry* registry);
  ~RuleManager();
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  // Loads the files and restores the persisted state. On error (every problem of every file,
  // with file and line) nothing is loaded.
  Status Load();
  // Reads the files again (possibly other files, from new options). Groups and rules whose
  // identity (file, group, rule name and labels) did not change keep their alerts. On error the
  // running rules stay as they were.
  Status Reload(RuleManagerOptions options);

  void Start();
  void Stop();

  // Evaluates every group due at the clock's now. Returns how many were evaluated.
  size_t EvaluateDue();
  // When the next group is due (Unix ms); INT64_MAX without groups.
  int64_t NextEvaluationMs() const;

  std::vector<GroupStatus> Snapshot() const;
  size_t group_count() const;

 private:
  struct Scheduled {
    std::shared_ptr<RuleGroup> group;
    int64_t next_eval_ms = 0;
  };
  struct Metrics;

  Result<std::vector<Scheduled>> Build(const RuleManagerOptions& options) const;
  void DropOrphanState(const std::vector<Scheduled>& groups);
  void Run();

  RuleManagerOptions options_;
  const RuleQueryEngine& engine_;
  RuleSampleSink& sink_;
  KvStore& store_;
  AlertNotifier notify_;
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;

  std::mutex eval_mu_;  // one evaluation pass or reload at a time
  mutable std::mutex mu_;
  std::vector<Scheduled> groups_;  // guarded by mu_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::alerting

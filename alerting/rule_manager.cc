#include "alerting/rule_manager.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>

namespace sluice::alerting {

struct RuleManager::Metrics {
  explicit Metrics(prometheus::Registry& r)
      : evaluations(prometheus::BuildCounter()
                        .Name("sluice_rule_evaluations_total")
                        .Help("Rule evaluations.")
                        .Register(r)
                        .Add({})),
        failures(prometheus::BuildCounter()
                     .Name("sluice_rule_evaluation_failures_total")
                     .Help("Rule evaluations that failed.")
                     .Register(r)
                     .Add({})),
        missed(prometheus::BuildCounter()
                   .Name("sluice_rule_group_iterations_missed_total")
                   .Help("Rule group evaluations skipped because the previous one ran late.")
                   .Register(r)
                   .Add({})),
        groups(prometheus::BuildGauge()
                   .Name("sluice_rule_groups")
                   .Help("Rule groups loaded.")
                   .Register(r)
                   .Add({})),
        rules(prometheus::BuildGauge()
                  .Name("sluice_rules")
                  .Help("Rules loaded.")
                  .Register(r)
                  .Add({})) {}
  prometheus::Counter& evaluations;
  prometheus::Counter& failures;
  prometheus::Counter& missed;
  prometheus::Gauge& groups;
  prometheus::Gauge& rules;
};

namespace {

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

int64_t GroupOffsetMs(const RuleGroup& group) {
  std::string key = group.key();
  return static_cast<int64_t>(XXH3_64bits(key.data(), key.size()) %
                              static_cast<uint64_t>(group.interval_ms()));
}

// The latest evaluation time of `group` at or before `now_ms`: offset + k * interval.
int64_t AlignedAtOrBefore(const RuleGroup& group, int64_t now_ms) {
  const int64_t interval = group.interval_ms();
  const int64_t offset = GroupOffsetMs(group);
  int64_t adjusted = now_ms - offset;
  int64_t base = adjusted - ((adjusted % interval) + interval) % interval;
  return base + offset;
}

constexpr std::string_view kStatePrefix = "alerts/";
constexpr size_t kRulePrefixSize = kStatePrefix.size() + 16 + 1;  // "alerts/<hex16>/"

}  // namespace

RuleManager::RuleManager(RuleManagerOptions options, const RuleQueryEngine& engine,
                         RuleSampleSink& sink, KvStore& store, AlertNotifier notify,
                         const Clock& clock, prometheus::Registry* registry)
    : options_(std::move(options)),
      engine_(engine),
      sink_(sink),
      store_(store),
      notify_(std::move(notify)),
      clock_(clock) {
  if (registry != nullptr) metrics_ = std::make_unique<Metrics>(*registry);
}

RuleManager::~RuleManager() { Stop(); }

Result<std::vector<RuleManager::Scheduled>> RuleManager::Build(
    const RuleManagerOptions& options) const {
  std::vector<RuleGroupSpec> specs;
  std::string errors;
  for (auto [globs, language] : {std::pair{&options.promql_rule_files, RuleLanguage::kPromQL},
                                 std::pair{&options.logql_rule_files, RuleLanguage::kLogQL}}) {
    auto loaded = LoadRuleFiles(*globs, language);
    if (!loaded.ok()) {
      errors += std::string(loaded.status().message()) + "\n";
      continue;
    }
    for (RuleGroupSpec& g : *loaded) specs.push_back(std::move(g));
  }
  std::vector<Scheduled> groups;
  std::set<std::string> keys;
  for (RuleGroupSpec& spec : specs) {
    auto group = RuleGroup::Create(std::move(spec), options.settings, engine_);
    if (!group.ok()) {
      errors += std::string(group.status().message()) + "\n";
      continue;
    }
    if (!keys.insert((*group)->key()).second) {
      // The same file listed twice (say, by two globs): Prometheus loads it once.
      continue;
    }
    groups.push_back(Scheduled{std::shared_ptr<RuleGroup>(std::move(*group)), 0});
  }
  if (!errors.empty()) {
    errors.pop_back();
    return Status::InvalidArgument(std::move(errors));
  }
  return groups;
}

void RuleManager::DropOrphanState(const std::vector<Scheduled>& groups) {
  std::set<std::string, std::less<>> live;
  for (const Scheduled& s : groups) {
    for (std::string& prefix : s.group->StateKeyPrefixes()) live.insert(std::move(prefix));
  }
  std::vector<KvWrite> deletes;
  Status s = store_.Scan(kStatePrefix, [&](std::string_view key, std::string_view) {
    if (key.size() < kRulePrefixSize || !live.contains(key.substr(0, kRulePrefixSize))) {
      deletes.push_back(KvWrite{std::string(key), {}, true});
    }
    return true;
  });
  if (s.ok() && !deletes.empty()) s = store_.Write(deletes);
  if (!s.ok())
    spdlog::error("alerting: dropping the state of removed rules failed: {}", s.message());
}

Status RuleManager::Load() {
  auto built = Build(options_);
  if (!built.ok()) return built.status();
  for (Scheduled& s : *built) {
    if (Status st = s.group->Restore(store_); !st.ok()) return st;
  }
  DropOrphanState(*built);
  std::lock_guard eval_lock(eval_mu_);
  const int64_t now = NowMs(clock_);
  size_t rules = 0;
  for (Scheduled& s : *built) {
    // The first evaluation is the next aligned time: continuing after a restart, a group keeps
    // the timestamps it had.
    s.next_eval_ms = AlignedAtOrBefore(*s.group, now) + s.group->interval_ms();
    rules += s.group->spec().rules.size();
  }
  if (metrics_) {
    metrics_->groups.Set(static_cast<double>(built->size()));
    metrics_->rules.Set(static_cast<double>(rules));
  }
  {
    std::lock_guard lock(mu_);
    groups_ = std::move(*built);
  }
  wake_.notify_all();
  return Status::Ok();
}

Status RuleManager::Reload(RuleManagerOptions options) {
  auto built = Build(options);
  if (!built.ok()) return built.status();
  std::lock_guard eval_lock(eval_mu_);
  std::map<std::string, const Scheduled*> old_by_key;
  std::vector<Scheduled> old;
  {
    std::lock_guard lock(mu_);
    old = groups_;
  }
  for (const Scheduled& s : old) old_by_key.emplace(s.group->key(), &s);
  const int64_t now = NowMs(clock_);
  size_t rules = 0;
  for (Scheduled& s : *built) {
    auto it = old_by_key.find(s.group->key());
    if (it != old_by_key.end()) {
      s.group->CopyStateFrom(*it->second->group);
    } else {
      // A new group (or a renamed one) may hold rules whose state was persisted under the same
      // identity; there is none for brand-new rules.
      if (Status st = s.group->Restore(store_); !st.ok()) return st;
    }
    s.next_eval_ms = AlignedAtOrBefore(*s.group, now) + s.group->interval_ms();
    rules += s.group->spec().rules.size();
  }
  DropOrphanState(*built);
  if (metrics_) {
    metrics_->groups.Set(static_cast<double>(built->size()));
    metrics_->rules.Set(static_cast<double>(rules));
  }
  {
    std::lock_guard lock(mu_);
    options_ = std::move(options);
    groups_ = std::move(*built);
  }
  wake_.notify_all();
  spdlog::info("alerting: rules reloaded: {} groups, {} rules", groups_.size(), rules);
  return Status::Ok();
}

size_t RuleManager::EvaluateDue() {
  std::lock_guard eval_lock(eval_mu_);
  std::vector<Scheduled*> due;
  RuleEvalSettings settings;
  {
    std::lock_guard lock(mu_);
    settings = options_.settings;
  }
  const int64_t now = NowMs(clock_);
  // groups_ is only replaced under eval_mu_, which this pass holds.
  for (Scheduled& s : groups_) {
    if (s.next_eval_ms <= now) due.push_back(&s);
  }
  for (Scheduled* s : due) {
    const int64_t interval = s->group->interval_ms();
    // Late by more than an interval: evaluate the latest slot, skip the ones in between.
    int64_t ts = s->next_eval_ms;
    if (now - ts >= interval) {
      int64_t latest = AlignedAtOrBefore(*s->group, now);
      if (metrics_) metrics_->missed.Increment(static_cast<double>((latest - ts) / interval));
      ts = latest;
    }
    std::vector<Alert> alerts = s->group->Eval(ts, sink_, store_, settings);
    if (metrics_) {
      GroupStatus status = s->group->Snapshot();
      metrics_->evaluations.Increment(static_cast<double>(status.rules.size()));
      for (const RuleStatus& r : status.rules) {
        if (r.health == "err") metrics_->failures.Increment();
      }
    }
    if (!alerts.empty() && notify_) notify_(alerts);
    {
      std::lock_guard lock(mu_);
      s->next_eval_ms = ts + interval;
    }
  }
  return due.size();
}

int64_t RuleManager::NextEvaluationMs() const {
  std::lock_guard lock(mu_);
  int64_t next = INT64_MAX;
  for (const Scheduled& s : groups_) next = std::min(next, s.next_eval_ms);
  return next;
}

void RuleManager::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void RuleManager::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RuleManager::Run() {
  while (true) {
    EvaluateDue();
    std::unique_lock lock(mu_);
    if (stopping_) return;
    int64_t next = INT64_MAX;
    for (const Scheduled& s : groups_) next = std::min(next, s.next_eval_ms);
    // Wake at the next due time, or within a second: a wall clock that jumps is noticed soon.
    int64_t wait_ms = std::clamp<int64_t>(next - NowMs(clock_), 1, 1000);
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; });
    if (stopping_) return;
  }
}

std::vector<GroupStatus> RuleManager::Snapshot() const {
  std::vector<std::shared_ptr<RuleGroup>> groups;
  {
    std::lock_guard lock(mu_);
    for (const Scheduled& s : groups_) groups.push_back(s.group);
  }
  std::vector<GroupStatus> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back(g->Snapshot());
  return out;
}

size_t RuleManager::group_count() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

}  // namespace sluice::alerting

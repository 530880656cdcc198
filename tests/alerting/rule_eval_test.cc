// Rule evaluation on a fake clock: the alert state machine (pending, firing, keep_firing_for,
// resolved), what is sent when, templating, the samples rules write, persistence across a
// restart, and reloads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "alerting/alert_state_codec.h"
#include "alerting/alerting_rule.h"
#include "alerting/kv_store.h"
#include "alerting/rule_group.h"
#include "alerting/rule_io.h"
#include "alerting/rule_manager.h"
#include "base/clock.h"
#include "storage/metric_batch.h"
#include "tests/support/temp_dir.h"

namespace sluice::alerting {
namespace {

using query::promql::Point;
using query::promql::Vector;
using query::promql::VectorElement;
using storage::Label;
using storage::Labels;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kT0 = 1'700'000'000'000;  // a round Unix ms, as evaluation times are

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels labels;
  for (const auto& [n, v] : pairs) labels.push_back(Label{n, v});
  EXPECT_TRUE(storage::Canonicalize(labels).ok());
  return labels;
}

RuleSpec AlertSpec(std::string name, int64_t for_ms, int64_t keep_firing_for_ms = 0) {
  RuleSpec spec;
  spec.alert = std::move(name);
  spec.expr = "errors > 0";
  spec.for_ms = for_ms;
  spec.keep_firing_for_ms = keep_firing_for_ms;
  return spec;
}

std::unique_ptr<AlertingRule> MakeRule(const RuleSpec& spec) {
  auto rule = AlertingRule::Create(spec);
  EXPECT_TRUE(rule.ok()) << rule.status().ToString();
  return rule.ok() ? std::move(*rule) : nullptr;
}

Vector OneSample(double v) {
  return {VectorElement{L({{"__name__", "errors"}, {"job", "api"}}), 0, v}};
}

// Evaluates, then collects what is due for sending, as a rule group does.
std::vector<Alert> Step(AlertingRule& rule, const Vector& v, int64_t ts, TemplateEnv env = {}) {
  EXPECT_TRUE(rule.Eval(v, ts, ts, 0, env, nullptr).ok());
  return rule.AlertsToSend(ts, kMinute, kMinute, "http://sluice/graph");
}

TEST(AlertingRuleTest, PendingFiringResolvedTimelineAndResends) {
  auto rule = MakeRule(AlertSpec("HighErrors", 2 * kMinute));
  ASSERT_NE(rule, nullptr);

  EXPECT_TRUE(Step(*rule, OneSample(5), kT0).empty());  // pending is never sent
  ASSERT_EQ(rule->Instances().size(), 1u);
  EXPECT_EQ(rule->Instances()[0].state, AlertState::kPending);
  EXPECT_EQ(rule->Instances()[0].labels, L({{"alertname", "HighErrors"}, {"job", "api"}}));
  EXPECT_TRUE(Step(*rule, OneSample(5), kT0 + kMinute).empty());
  EXPECT_EQ(rule->State(), AlertState::kPending);

  std::vector<Alert> sent = Step(*rule, OneSample(6), kT0 + 2 * kMinute);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(rule->State(), AlertState::kFiring);
  EXPECT_EQ(sent[0].starts_at_ms, kT0 + 2 * kMinute);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 2 * kMinute + 4 * kMinute);  // 4 x resend delay ahead
  EXPECT_EQ(sent[0].labels, L({{"alertname", "HighErrors"}, {"job", "api"}}));
  EXPECT_EQ(sent[0].generator_url, "http://sluice/graph");

  // Resent only once the resend delay has passed strictly (Prometheus' needsSending).
  EXPECT_TRUE(Step(*rule, OneSample(6), kT0 + 3 * kMinute).empty());
  sent = Step(*rule, OneSample(6), kT0 + 4 * kMinute);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, kT0 + 2 * kMinute);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 8 * kMinute);

  // Resolved: sent at once with its resolution time, then resent during the retention.
  sent = Step(*rule, {}, kT0 + 5 * kMinute);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 5 * kMinute);
  EXPECT_TRUE(sent[0].Resolved(kT0 + 5 * kMinute));
  EXPECT_EQ(rule->State(), AlertState::kInactive);
  EXPECT_TRUE(Step(*rule, {}, kT0 + 6 * kMinute).empty());
  sent = Step(*rule, {}, kT0 + 7 * kMinute);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 5 * kMinute);

  // Forgotten 15 minutes after it resolved.
  Step(*rule, {}, kT0 + 20 * kMinute);
  EXPECT_EQ(rule->Instances().size(), 1u);
  Step(*rule, {}, kT0 + 21 * kMinute);
  EXPECT_TRUE(rule->Instances().empty());
}

TEST(AlertingRuleTest, PendingThatClearsIsDroppedWithoutNotification) {
  auto rule = MakeRule(AlertSpec("Flappy", 5 * kMinute));
  ASSERT_NE(rule, nullptr);
  Step(*rule, OneSample(1), kT0);
  EXPECT_TRUE(Step(*rule, {}, kT0 + kMinute).empty());
  EXPECT_TRUE(rule->Instances().empty());
  // Coming back starts the `for` from scratch.
  Step(*rule, OneSample(1), kT0 + 2 * kMinute);
  EXPECT_EQ(rule->Instances()[0].active_at_ms, kT0 + 2 * kMinute);
}

TEST(AlertingRuleTest, WithoutForFiresOnFirstEvaluation) {
  auto rule = MakeRule(AlertSpec("Now", 0));
  ASSERT_NE(rule, nullptr);
  std::vector<Alert> sent = Step(*rule, OneSample(1), kT0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, kT0);
}

TEST(AlertingRuleTest, KeepFiringForHoldsTheAlertAfterTheConditionClears) {
  auto rule = MakeRule(AlertSpec("Sticky", 0, 2 * kMinute));
  ASSERT_NE(rule, nullptr);
  ASSERT_EQ(Step(*rule, OneSample(1), kT0).size(), 1u);
  Step(*rule, {}, kT0 + kMinute);  // cleared: keeps firing since now
  EXPECT_EQ(rule->State(), AlertState::kFiring);
  EXPECT_EQ(rule->Instances()[0].keep_firing_since_ms, kT0 + kMinute);
  Step(*rule, OneSample(1), kT0 + 2 * kMinute);  // back: the hold resets
  EXPECT_EQ(rule->Instances()[0].keep_firing_since_ms, 0);
  Step(*rule, {}, kT0 + 3 * kMinute);
  Step(*rule, {}, kT0 + 4 * kMinute);
  EXPECT_EQ(rule->State(), AlertState::kFiring);  // 1 minute of the 2 held
  std::vector<Alert> sent = Step(*rule, {}, kT0 + 5 * kMinute);
  EXPECT_EQ(rule->State(), AlertState::kInactive);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 5 * kMinute);
  EXPECT_EQ(sent[0].starts_at_ms, kT0);
}

TEST(AlertingRuleTest, LabelsAndAnnotationsAreTemplated) {
  RuleSpec spec = AlertSpec("HighErrors", 0);
  spec.labels =
      L({{"severity", "{{ if gt $value 10.0 }}page{{ else }}ticket{{ end }}"}, {"team", "core"}});
  spec.annotations = L({{"summary", "{{ $labels.job }} has {{ $value }} errors"},
                        {"where", "{{ $externalLabels.cluster }} {{ $externalURL }}"},
                        {"broken", "{{ humanize \"x\" }}"}});
  auto rule = MakeRule(spec);
  ASSERT_NE(rule, nullptr);
  TemplateEnv env{L({{"cluster", "eu1"}}), "http://sluice:3100"};
  std::vector<Alert> sent = Step(*rule, OneSample(12.5), kT0, env);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(
      sent[0].labels,
      L({{"alertname", "HighErrors"}, {"job", "api"}, {"severity", "page"}, {"team", "core"}}));
  EXPECT_EQ(storage::LabelValue(sent[0].annotations, "summary"), "api has 12.5 errors");
  EXPECT_EQ(storage::LabelValue(sent[0].annotations, "where"), "eu1 http://sluice:3100");
  EXPECT_THAT(std::string(storage::LabelValue(sent[0].annotations, "broken")),
              ::testing::StartsWith("<error expanding template: "));
  // A label that changes with the value makes another alert: the old one resolves.
  Step(*rule, OneSample(3), kT0 + kMinute, env);
  std::vector<AlertInstance> instances = rule->Instances();
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(storage::LabelValue(instances[0].labels, "severity"), "page");
  EXPECT_EQ(instances[0].state, AlertState::kInactive);
  EXPECT_EQ(storage::LabelValue(instances[1].labels, "severity"), "ticket");
}

TEST(AlertingRuleTest, DuplicateLabelSetsAndLimitAreErrors) {
  auto rule = MakeRule(AlertSpec("Dup", 0));
  ASSERT_NE(rule, nullptr);
  Vector two = {VectorElement{L({{"__name__", "a"}, {"job", "x"}}), 0, 1},
                VectorElement{L({{"__name__", "b"}, {"job", "x"}}), 0, 1}};
  Status s = rule->Eval(two, kT0, kT0, 0, {}, nullptr);
  EXPECT_EQ(s.message(),
            "vector contains metrics with the same labelset after applying alert labels");

  Vector three = {VectorElement{L({{"job", "a"}}), 0, 1}, VectorElement{L({{"job", "b"}}), 0, 1},
                  VectorElement{L({{"job", "c"}}), 0, 1}};
  s = rule->Eval(three, kT0, kT0, 2, {}, nullptr);
  EXPECT_EQ(s.message(), "exceeded limit of 2 with 3 alerts");
  EXPECT_TRUE(rule->Instances().empty());
  EXPECT_TRUE(rule->Eval(three, kT0, kT0, 3, {}, nullptr).ok());
}

TEST(AlertingRuleTest, WritesAlertsAndForStateSeries) {
  auto rule = MakeRule(AlertSpec("HighErrors", kMinute));
  ASSERT_NE(rule, nullptr);
  std::vector<RuleSample> out;
  ASSERT_TRUE(rule->Eval(OneSample(1), kT0, kT0 - 1000, 0, {}, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels, L({{"__name__", "ALERTS"},
                              {"alertname", "HighErrors"},
                              {"alertstate", "pending"},
                              {"job", "api"}}));
  EXPECT_EQ(out[0].timestamp_ms, kT0 - 1000);
  EXPECT_EQ(out[0].value, 1);
  EXPECT_EQ(out[1].labels,
            L({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "HighErrors"}, {"job", "api"}}));
  EXPECT_EQ(out[1].value, static_cast<double>(kT0 / 1000));
}

TEST(AlertingRuleTest, OnlyStateChangesAndSendsArePersisted) {
  auto rule = MakeRule(AlertSpec("HighErrors", 2 * kMinute));
  ASSERT_NE(rule, nullptr);
  std::vector<AlertInstance> changed;
  std::vector<uint64_t> deleted;
  Step(*rule, OneSample(1), kT0);
  rule->TakeChanges(&changed, &deleted);
  EXPECT_EQ(changed.size(), 1u);  // created
  changed.clear();
  Step(*rule, OneSample(2), kT0 + kMinute);  // only the value moved
  rule->TakeChanges(&changed, &deleted);
  EXPECT_TRUE(changed.empty());
  Step(*rule, OneSample(2), kT0 + 2 * kMinute);  // fired and sent
  rule->TakeChanges(&changed, &deleted);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].state, AlertState::kFiring);
  EXPECT_EQ(changed[0].last_sent_at_ms, kT0 + 2 * kMinute);
  EXPECT_TRUE(deleted.empty());
}

TEST(AlertStateCodecTest, RoundTripsAndRejectsGarbage) {
  AlertInstance a;
  a.labels = L({{"alertname", "X"}, {"job", "ü\xff"}});
  a.annotations = L({{"summary", ""}});
  a.state = AlertState::kFiring;
  a.value = -std::numeric_limits<double>::infinity();
  a.active_at_ms = kT0;
  a.fired_at_ms = kT0 + 1;
  a.resolved_at_ms = -5;
  a.last_sent_at_ms = INT64_MAX;
  a.valid_until_ms = INT64_MIN;
  a.keep_firing_since_ms = 7;
  std::string bytes = EncodeAlertInstance(a);
  auto back = DecodeAlertInstance(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeAlertInstance(std::string_view(bytes).substr(0, cut)).ok()) << cut;
  }
  bytes[0] = 9;
  EXPECT_FALSE(DecodeAlertInstance(bytes).ok());
}

// ---- Rule groups and the manager, with the real PromQL engine over in-memory series ----------

// Series in memory: what the rules query, and where their results go.
class MemorySeries final : public RuleSampleSink {
 public:
  void Add(const Labels& labels, int64_t t, double v) {
    std::lock_guard lock(mu_);
    auto& points = series_[labels];
    std::erase_if(points, [&](const Point& p) { return p.t == t; });
    points.push_back(Point{t, v});
    std::sort(points.begin(), points.end(),
              [](const Point& a, const Point& b) { return a.t < b.t; });
  }
  Status Append(const std::vector<RuleSample>& samples) override {
    for (const RuleSample& s : samples) Add(s.labels, s.timestamp_ms, s.value);
    ++appends;
    return Status::Ok();
  }
  std::vector<Point> Points(const Labels& labels) {
    std::lock_guard lock(mu_);
    auto it = series_.find(labels);
    return it == series_.end() ? std::vector<Point>{} : it->second;
  }

  class Querier final : public query::promql::Querier {
   public:
    explicit Querier(MemorySeries& owner) : owner_(owner) {}
    Status Select(const storage::LabelMatchers& matchers, int64_t mint, int64_t maxt,
                  query::promql::Matrix* out) override {
      std::lock_guard lock(owner_.mu_);
      for (const auto& [labels, points] : owner_.series_) {
        bool match = true;
        for (const auto& m : matchers) match = match && m.MatchesLabels(labels);
        if (!match) continue;
        query::promql::Series s{labels, {}};
        for (const Point& p : points) {
          if (p.t >= mint && p.t <= maxt) s.points.push_back(p);
        }
        if (!s.points.empty()) out->push_back(std::move(s));
      }
      return Status::Ok();
    }

   private:
    MemorySeries& owner_;
  };

  int appends = 0;

 private:
  std::mutex mu_;
  std::map<Labels, std::vector<Point>> series_;
};

class RuleEvalFixture : public ::testing::Test {
 protected:
  RuleEvalFixture() {
    EngineRuleQueryEngineOptions options;
    options.metrics = [this] { return std::make_unique<MemorySeries::Querier>(series_); };
    engine_ = MakeEngineRuleQueryEngine(std::move(options));
  }

  MemorySeries series_;
  std::unique_ptr<RuleQueryEngine> engine_;
  MemoryKvStore store_;
  RuleEvalSettings settings_;
};

RuleGroupSpec GroupSpec() {
  RuleGroupSpec g;
  g.file = "rules.yml";
  g.name = "api";
  g.interval_ms = kMinute;
  RuleSpec record;
  record.record = "job:errors:sum";
  record.expr = "sum by (job) (errors)";
  record.labels = L({{"source", "rule"}});
  g.rules.push_back(record);
  RuleSpec alert = AlertSpec("ManyErrors", 2 * kMinute);
  alert.expr = "job:errors:sum > 10";
  alert.annotations = L({{"summary", "{{ $labels.job }}: {{ $value }}"}});
  g.rules.push_back(alert);
  return g;
}

TEST_F(RuleEvalFixture, GroupWritesRecordingResultsAlertsAndStaleMarkers) {
  auto group = RuleGroup::Create(GroupSpec(), settings_, *engine_);
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  Labels e1 = L({{"__name__", "errors"}, {"job", "api"}, {"instance", "a"}});
  Labels e2 = L({{"__name__", "errors"}, {"job", "api"}, {"instance", "b"}});
  for (int i = 0; i <= 3; ++i) {
    series_.Add(e1, kT0 + i * kMinute, 8);
    series_.Add(e2, kT0 + i * kMinute, 7);
  }
  for (int i = 0; i <= 2; ++i) {
    std::vector<Alert> sent = (*group)->Eval(kT0 + i * kMinute, series_, store_, settings_);
    EXPECT_EQ(sent.size(), i == 2 ? 1u : 0u) << i;
  }
  Labels recorded = L({{"__name__", "job:errors:sum"}, {"job", "api"}, {"source", "rule"}});
  std::vector<Point> points = series_.Points(recorded);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[2].v, 15);
  Labels alerts_pending = L({{"__name__", "ALERTS"},
                             {"alertname", "ManyErrors"},
                             {"alertstate", "pending"},
                             {"job", "api"},
                             {"source", "rule"}});
  Labels alerts_firing = alerts_pending;
  alerts_firing[2].value = "firing";
  // The recording result of the same evaluation is what the alert saw.
  EXPECT_EQ(series_.Points(alerts_pending).size(), 3u);  // two points and the stale marker
  EXPECT_TRUE(storage::IsStaleNaN(series_.Points(alerts_pending).back().v));
  ASSERT_EQ(series_.Points(alerts_firing).size(), 1u);

  GroupStatus status = (*group)->Snapshot();
  ASSERT_EQ(status.rules.size(), 2u);
  EXPECT_EQ(status.rules[0].health, "ok");
  EXPECT_EQ(status.rules[1].state, AlertState::kFiring);
  ASSERT_EQ(status.rules[1].alerts.size(), 1u);
  EXPECT_EQ(storage::LabelValue(status.rules[1].alerts[0].annotations, "summary"), "api: 15");
  EXPECT_EQ(status.last_evaluation_ms, kT0 + 2 * kMinute);

  // The errors drop: resolved, and the firing ALERTS series ends with a stale marker.
  series_.Add(e1, kT0 + 3 * kMinute, 1);
  std::vector<Alert> sent = (*group)->Eval(kT0 + 3 * kMinute, series_, store_, settings_);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 3 * kMinute);
  EXPECT_TRUE(storage::IsStaleNaN(series_.Points(alerts_firing).back().v));
}

TEST_F(RuleEvalFixture, QueryErrorsAreKeptInTheRuleStatus) {
  RuleGroupSpec g = GroupSpec();
  g.rules[0].expr = "label_replace(errors, \"instance\", \"x\", \"instance\", \".*\")";
  auto group = RuleGroup::Create(std::move(g), settings_, *engine_);
  ASSERT_TRUE(group.ok());
  series_.Add(L({{"__name__", "errors"}, {"instance", "a"}}), kT0, 1);
  series_.Add(L({{"__name__", "errors"}, {"instance", "b"}}), kT0, 1);
  (*group)->Eval(kT0, series_, store_, settings_);
  GroupStatus status = (*group)->Snapshot();
  EXPECT_EQ(status.rules[0].health, "err");
  EXPECT_THAT(status.rules[0].last_error, ::testing::HasSubstr("same labelset"));
  EXPECT_EQ(status.rules[1].health, "ok");
}

TEST_F(RuleEvalFixture, StateSurvivesARestartWithForProgressAndWithoutResending) {
  Labels e = L({{"__name__", "errors"}, {"job", "api"}});
  for (int i = 0; i <= 10; ++i) series_.Add(e, kT0 + i * kMinute, 50);
  {
    auto group = RuleGroup::Create(GroupSpec(), settings_, *engine_);
    ASSERT_TRUE(group.ok());
    (*group)->Eval(kT0, series_, store_, settings_);
    (*group)->Eval(kT0 + kMinute, series_, store_, settings_);  // pending for 1 of 2 minutes
  }
  // "Restart": a new group on the same store.
  auto group = RuleGroup::Create(GroupSpec(), settings_, *engine_);
  ASSERT_TRUE(group.ok());
  ASSERT_TRUE((*group)->Restore(store_).ok());
  std::vector<AlertInstance> restored = (*group)->Snapshot().rules[1].alerts;
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].state, AlertState::kPending);
  EXPECT_EQ(restored[0].active_at_ms, kT0);
  // Fires on time: 2 minutes after it became active, not 2 minutes after the restart.
  std::vector<Alert> sent = (*group)->Eval(kT0 + 2 * kMinute, series_, store_, settings_);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, kT0 + 2 * kMinute);

  // Restart again right after the page: the next evaluation does not page again.
  auto again = RuleGroup::Create(GroupSpec(), settings_, *engine_);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Restore(store_).ok());
  EXPECT_TRUE((*again)->Eval(kT0 + 3 * kMinute, series_, store_, settings_).empty());
  EXPECT_EQ((*again)->Eval(kT0 + 4 * kMinute, series_, store_, settings_).size(), 1u);  // resend

  // A rule that resolved while Sluice was down resolves at the first evaluation.
  auto later = RuleGroup::Create(GroupSpec(), settings_, *engine_);
  ASSERT_TRUE(later.ok());
  ASSERT_TRUE((*later)->Restore(store_).ok());
  series_.Add(e, kT0 + 30 * kMinute, 0);
  sent = (*later)->Eval(kT0 + 30 * kMinute, series_, store_, settings_);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 30 * kMinute);
}

// ---- The manager: files, scheduling, reload -------------------------------------------------

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

constexpr char kRulesV1[] = R"(groups:
  - name: api
    interval: 1m
    rules:
      - alert: ManyErrors
        expr: errors > 10
        for: 2m
        labels:
          severity: page
      - alert: AnyErrors
        expr: errors > 0
)";

TEST_F(RuleEvalFixture, ManagerSchedulesReloadsAndKeepsUnchangedRulesState) {
  testing::TempDir dir;
  std::string file = dir.path() + "/rules.yml";
  WriteFile(file, kRulesV1);
  Labels e = L({{"__name__", "errors"}, {"job", "api"}});
  for (int i = 0; i <= 30; ++i) series_.Add(e, kT0 + i * kMinute, 50);

  FakeClock clock{std::chrono::system_clock::time_point(std::chrono::milliseconds(kT0))};
  std::vector<Alert> notified;
  RuleManagerOptions options;
  options.promql_rule_files = {dir.path() + "/*.yml"};
  RuleManager manager(
      options, *engine_, series_, store_,
      [&](const std::vector<Alert>& a) { notified.insert(notified.end(), a.begin(), a.end()); },
      clock, nullptr);
  ASSERT_TRUE(manager.Load().ok());
  EXPECT_EQ(manager.group_count(), 1u);
  const int64_t first = manager.NextEvaluationMs();
  EXPECT_GT(first, kT0);
  EXPECT_LE(first, kT0 + kMinute);
  EXPECT_EQ(manager.EvaluateDue(), 0u);
  clock.Advance(std::chrono::milliseconds(first - kT0));
  EXPECT_EQ(manager.EvaluateDue(), 1u);
  EXPECT_EQ(manager.EvaluateDue(), 0u);  // once per slot
  ASSERT_EQ(notified.size(), 1u);        // AnyErrors fires at once
  EXPECT_EQ(storage::LabelValue(notified[0].labels, "alertname"), "AnyErrors");
  clock.Advance(std::chrono::minutes(1));
  manager.EvaluateDue();  // ManyErrors pending for 1 of 2 minutes

  // Reload with ManyErrors unchanged and AnyErrors' labels changed: ManyErrors keeps its
  // progress, AnyErrors starts again.
  std::string v2 = kRulesV1;
  v2 += "        labels:\n          severity: ticket\n";
  WriteFile(file, v2);
  ASSERT_TRUE(manager.Reload(options).ok());
  std::vector<GroupStatus> status = manager.Snapshot();
  ASSERT_EQ(status.size(), 1u);
  ASSERT_EQ(status[0].rules.size(), 2u);
  ASSERT_EQ(status[0].rules[0].alerts.size(), 1u);
  EXPECT_EQ(status[0].rules[0].alerts[0].active_at_ms, first);
  EXPECT_TRUE(status[0].rules[1].alerts.empty());
  EXPECT_EQ(status[0].rules[1].health, "unknown");

  // A broken file does not replace running rules.
  WriteFile(file, "groups:\n  - name: api\n    rules:\n      - alert: X\n        expr: 'sum('\n");
  EXPECT_FALSE(manager.Reload(options).ok());
  EXPECT_EQ(manager.Snapshot()[0].rules.size(), 2u);

  notified.clear();
  clock.Advance(std::chrono::minutes(1));
  manager.EvaluateDue();
  std::set<std::string> names;
  for (const Alert& a : notified)
    names.insert(std::string(storage::LabelValue(a.labels, "alertname")));
  EXPECT_EQ(names, (std::set<std::string>{"AnyErrors", "ManyErrors"}));

  // Late by several intervals: one evaluation at the latest slot, not a burst.
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(manager.EvaluateDue(), 1u);
  EXPECT_EQ(manager.EvaluateDue(), 0u);
  EXPECT_EQ(manager.NextEvaluationMs(), first + 8 * kMinute);
}

TEST_F(RuleEvalFixture, ManagerDropsTheStateOfRemovedRules) {
  testing::TempDir dir;
  std::string file = dir.path() + "/rules.yml";
  WriteFile(file, kRulesV1);
  series_.Add(L({{"__name__", "errors"}, {"job", "api"}}), kT0, 50);
  FakeClock clock{std::chrono::system_clock::time_point(std::chrono::milliseconds(kT0))};
  RuleManagerOptions options;
  options.promql_rule_files = {file};
  RuleManager manager(options, *engine_, series_, store_, nullptr, clock, nullptr);
  ASSERT_TRUE(manager.Load().ok());
  clock.Advance(std::chrono::minutes(1));
  manager.EvaluateDue();
  size_t keys = 0;
  ASSERT_TRUE(
      store_.Scan("alerts/", [&](std::string_view, std::string_view) { return ++keys; }).ok());
  EXPECT_EQ(keys, 2u);
  WriteFile(file, "groups: []\n");
  ASSERT_TRUE(manager.Reload(options).ok());
  keys = 0;
  ASSERT_TRUE(
      store_.Scan("alerts/", [&](std::string_view, std::string_view) { return ++keys; }).ok());
  EXPECT_EQ(keys, 0u);
}

}  // namespace
}  // namespace sluice::alerting

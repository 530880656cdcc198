// Retention: the policy's precedence (Loki's), and the service enforcing periods and the disk cap.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <future>
#include <limits>
#include <random>
#include <thread>

#include "daemon/retention_policy.h"
#include "daemon/retention_service.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/temp_dir.h"

namespace sluice::daemon {
namespace {

using namespace std::chrono_literals;
using storage::Labels;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

config::RetentionStreamRule Rule(std::string selector, int priority, config::Duration period) {
  return config::RetentionStreamRule{std::move(selector), priority, period};
}

// Loki's documented example (docs/sources/operations/storage/retention.md).
class RetentionPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::LimitsConfig defaults;
    defaults.retention_period = 744h;
    defaults.retention_stream = {Rule(R"({namespace="dev"})", 1, 24h)};
    config::LimitsConfig t29 = defaults;
    t29.retention_period = 168h;
    t29.retention_stream = {Rule(R"({namespace="prod"})", 2, 336h),
                            Rule(R"({container="loki"})", 1, 72h)};
    config::LimitsConfig t30 = defaults;
    t30.retention_stream = {Rule(R"({container="nginx"})", 1, 24h)};
    auto made = RetentionPolicy::Make(defaults, {{"29", t29}, {"30", t30}});
    ASSERT_TRUE(made.ok()) << made.status().message();
    policy_ = std::move(*made);
  }
  std::optional<std::chrono::nanoseconds> Log(std::string tenant, Labels labels) {
    return policy_.LogPeriod(tenant, labels);
  }
  RetentionPolicy policy_;
};

TEST_F(RetentionPolicyTest, FollowsLokisPrecedence) {
  EXPECT_EQ(Log("1", {{"namespace", "dev"}}), 24h) << "a global rule for every other tenant";
  EXPECT_EQ(Log("1", {{"namespace", "prod"}}), 744h) << "else the global period";
  EXPECT_EQ(Log("29", {{"namespace", "test"}}), 168h) << "the tenant's period";
  EXPECT_EQ(Log("29", {{"container", "loki"}, {"namespace", "prod"}}), 336h) << "higher priority";
  EXPECT_EQ(Log("29", {{"container", "loki"}, {"namespace", "test"}}), 72h);
  EXPECT_EQ(Log("29", {{"namespace", "dev"}}), 24h)
      << "the global rules apply when none of the tenant's match";
  EXPECT_EQ(Log("30", {{"container", "nginx"}}), 24h);
  EXPECT_EQ(Log("30", {{"container", "api"}}), 744h) << "no period override: the global one";
  EXPECT_EQ(policy_.MetricPeriod("29"), 168h);
  EXPECT_EQ(policy_.MetricPeriod("1"), 744h) << "metrics follow the period, not stream rules";
  EXPECT_TRUE(policy_.Expires());
}

TEST(RetentionPolicy, ForeverByDefaultAndTiesGoToTheShorterPeriod) {
  auto none = RetentionPolicy::Make({}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->Expires());
  EXPECT_EQ(none->LogPeriod("t", {{"a", "b"}}), std::nullopt);
  EXPECT_EQ(none->MetricPeriod("t"), std::nullopt);

  config::LimitsConfig limits;
  limits.retention_stream = {Rule(R"({app=~"api|web"})", 1, 48h), Rule(R"({app="api"})", 1, 12h)};
  auto tie = RetentionPolicy::Make(limits, {});
  ASSERT_TRUE(tie.ok());
  EXPECT_EQ(tie->LogPeriod("t", {{"app", "api"}}), 12h);
  EXPECT_EQ(tie->LogPeriod("t", {{"app", "web"}}), 48h);
  EXPECT_EQ(tie->LogPeriod("t", {{"app", "db"}}), std::nullopt);
  EXPECT_EQ(tie->MetricPeriod("t"), std::nullopt);
  EXPECT_TRUE(tie->Expires());
}

TEST(RetentionPolicy, BadSelectorsNameTheSetting) {
  config::LimitsConfig bad;
  bad.retention_stream = {Rule(R"({app="api")", 1, 1h)};
  auto made = RetentionPolicy::Make({}, {{"team-a", bad}});
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.status().message(),
              ::testing::HasSubstr("tenants.overrides.team-a.retention_stream[0].selector"));
  bad.retention_stream = {Rule("{}", 1, 1h)};
  EXPECT_FALSE(RetentionPolicy::Make(bad, {}).ok());
}

class RetentionServiceTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1'700'000'000'000'000'000;  // ns
  static constexpr int64_t kHour = 3'600'000'000'000;

  void SetUp() override {
    auto set = storage::ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = 2});
    ASSERT_TRUE(set.ok()) << set.status().message();
    shards_ = std::move(set).value();
    logs_ = std::make_unique<storage::LogStore>(*shards_, storage::LogShardOptions{}, registry_);
    metrics_ =
        std::make_unique<storage::MetricStore>(*shards_, storage::MetricShardOptions{}, registry_);
    ASSERT_TRUE(logs_->Recover().ok());
    ASSERT_TRUE(metrics_->Recover().ok());
    logs_->Start();
    metrics_->Start();
    service_ = std::make_unique<RetentionService>(*shards_, *logs_, *metrics_, registry_, clock_);
  }
  void TearDown() override {
    service_.reset();
    logs_->Stop();
    metrics_->Stop();
  }

  // One line per `step` ns over [first, last], in one stream, sealed.
  void PutLogs(std::string tenant, Labels labels, int64_t first, int64_t last, int64_t step,
               size_t line_bytes = 20) {
    storage::LogBatch batch(tenant);
    uint32_t s = batch.AddStream(std::move(labels));
    std::mt19937_64 random(static_cast<uint64_t>(first));
    std::string line(line_bytes, 'x');
    for (int64_t ts = first; ts <= last; ts += step) {
      for (char& c : line) c = static_cast<char>('a' + random() % 26);  // incompressible-ish
      batch.AddEntry(s, ts, line);
    }
    std::promise<Status> done;
    auto f = done.get_future();
    logs_->Write(batch, [&](const Status& st) { done.set_value(st); });
    ASSERT_TRUE(f.get().ok());
    ASSERT_TRUE(logs_->SealAll().ok());
  }

  void PutSamples(std::string tenant, std::string job, int64_t first_ms, int64_t last_ms,
                  int64_t step_ms) {
    storage::MetricBatch batch{tenant};
    std::vector<storage::LabelView> labels{{"__name__", "up"}, {"job", job}};
    uint32_t s = batch.AddSeries(labels);
    for (int64_t ts = first_ms; ts <= last_ms; ts += step_ms) batch.AddSample(s, ts, 1);
    std::promise<Status> done;
    auto f = done.get_future();
    metrics_->Write(batch, [&](const Status& st) { done.set_value(st); });
    ASSERT_TRUE(f.get().ok());
  }

  // [oldest, newest] timestamps of the tenant's logs matching app=`app`; {0, 0} when none.
  std::pair<int64_t, int64_t> LogRange(std::string tenant, std::string app) {
    std::pair<int64_t, int64_t> range{0, 0};
    bool any = false;
    storage::LabelMatchers m{*storage::LabelMatcher::Make(storage::MatchOp::kEqual, "app", app)};
    for (const storage::StreamInfo& s : logs_->SelectStreams(tenant, m, kMin, kMax)) {
      EXPECT_TRUE(logs_
                      ->Scan(s, kMin, kMax, storage::Direction::kForward,
                             [&](int64_t ts, std::string_view, std::string_view) {
                               range.first = any ? std::min(range.first, ts) : ts;
                               range.second = any ? std::max(range.second, ts) : ts;
                               any = true;
                               return true;
                             })
                      .ok());
    }
    return range;
  }

  int64_t OldestSample(std::string tenant) {
    int64_t oldest = kMax;
    for (const storage::SeriesInfo& s : metrics_->Select(tenant, {}, kMin, kMax)) {
      std::vector<storage::Sample> samples;
      EXPECT_TRUE(metrics_->Read(s, kMin, kMax, &samples).ok());
      if (!samples.empty()) oldest = std::min(oldest, samples.front().timestamp_ms);
    }
    return oldest;
  }

  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  testing::TempDir dir_;
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::nanoseconds(kNow))};
  prometheus::Registry registry_;
  std::unique_ptr<storage::ShardSet> shards_;
  std::unique_ptr<storage::LogStore> logs_;
  std::unique_ptr<storage::MetricStore> metrics_;
  std::unique_ptr<RetentionService> service_;
};

TEST_F(RetentionServiceTest, DeletesWhatIsPastEachTenantsAndStreamsPeriod) {
  config::LimitsConfig limits;
  limits.retention_period = 24h;
  limits.retention_stream = {Rule(R"({app="debug"})", 1, 2h)};
  config::LimitsConfig forever = limits;
  forever.retention_period = {};
  forever.retention_stream.clear();
  auto policy = RetentionPolicy::Make(limits, {{"keep", forever}});
  ASSERT_TRUE(policy.ok());
  service_->Update(std::move(*policy), {});

  const int64_t two_days = 48 * kHour;
  PutLogs("t", {{"app", "api"}}, kNow - two_days, kNow, kHour);
  PutLogs("t", {{"app", "debug"}}, kNow - two_days, kNow, kHour);
  PutLogs("t", {{"app", "old"}}, kNow - two_days, kNow - 30 * kHour, kHour);
  PutLogs("keep", {{"app", "api"}}, kNow - two_days, kNow, kHour);
  PutSamples("t", "node", (kNow - two_days) / 1'000'000, kNow / 1'000'000, 60'000);
  PutSamples("keep", "node", (kNow - two_days) / 1'000'000, kNow / 1'000'000, 60'000);

  auto pass = service_->RunOnce();
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ(LogRange("t", "api"), std::make_pair(kNow - 24 * kHour, kNow));
  EXPECT_EQ(LogRange("t", "debug"), std::make_pair(kNow - 2 * kHour, kNow));
  EXPECT_EQ(LogRange("t", "old"), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(pass->expired.streams_dropped, 1u) << "the stream with nothing left";
  EXPECT_EQ(LogRange("keep", "api"), std::make_pair(kNow - two_days, kNow));
  EXPECT_EQ(OldestSample("t"), (kNow - 24 * kHour) / 1'000'000);
  EXPECT_EQ(OldestSample("keep"), (kNow - two_days) / 1'000'000);
  EXPECT_THAT(Metrics(),
              ::testing::HasSubstr(
                  R"(sluice_retention_deleted_entries_total{engine="logs",reason="period"})"));

  // Time passes: the next pass moves the cutoff.
  clock_.Advance(std::chrono::hours(12));
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(LogRange("t", "api"), std::make_pair(kNow - 12 * kHour, kNow));
  EXPECT_EQ(LogRange("t", "debug"), std::make_pair(int64_t{0}, int64_t{0}));

  // Nothing expires: a pass deletes nothing.
  auto again = service_->RunOnce();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->expired.entries_deleted, 0u);
}

TEST_F(RetentionServiceTest, DiskCapDeletesTheOldestDataUntilItFits) {
  // 200 hours of logs, ~1 MiB per 10 hours: ~20 MiB.
  for (int chunk = 0; chunk < 20; ++chunk) {
    int64_t first = kNow - (200 - chunk * 10) * kHour;
    PutLogs("t", {{"app", "api"}}, first, first + 10 * kHour - 1, kHour / 100, 1000);
  }
  ASSERT_TRUE(shards_->CompactAll().ok());
  const uint64_t before = shards_->DiskBytes();
  ASSERT_GT(before, 10u << 20);
  const uint64_t cap = before / 2;
  service_->Update(RetentionPolicy{}, RetentionOptions{.max_disk_bytes = cap});

  auto pass = service_->RunOnce();
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_TRUE(pass->compacted);
  EXPECT_GT(pass->disk_cap.entries_deleted, 0u);
  EXPECT_LE(shards_->DiskBytes(), cap);
  auto [oldest, newest] = LogRange("t", "api");
  EXPECT_GT(oldest, kNow - 200 * kHour) << "the oldest data went";
  EXPECT_LT(oldest, kNow - 50 * kHour) << "not much more than needed";
  EXPECT_EQ(newest, kNow - kHour / 100) << "the newest stays";
  EXPECT_THAT(Metrics(), ::testing::HasSubstr(R"(reason="disk_cap")"));

  // Under the cap: nothing more goes.
  auto second = service_->RunOnce();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->disk_cap.entries_deleted, 0u);
  EXPECT_EQ(LogRange("t", "api").first, oldest);
}

TEST_F(RetentionServiceTest, TheBackgroundThreadRunsPassesAndStops) {
  config::LimitsConfig limits;
  limits.retention_period = 1h;
  auto policy = RetentionPolicy::Make(limits, {});
  ASSERT_TRUE(policy.ok());
  PutLogs("t", {{"app", "api"}}, kNow - 3 * kHour, kNow, kHour);
  service_->Start(std::move(*policy), RetentionOptions{.interval = 10ms});
  for (int i = 0; i < 500 && LogRange("t", "api").first != kNow - kHour; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(LogRange("t", "api"), std::make_pair(kNow - kHour, kNow));
  service_->Stop();
  service_->Stop();
}

TEST_F(RetentionServiceTest, ReloadsMoreOftenThanTheIntervalDoNotPutPassesOff) {
  config::LimitsConfig limits;
  limits.retention_period = 1h;
  PutLogs("t", {{"app", "api"}}, kNow - 3 * kHour, kNow, kHour);
  auto policy = RetentionPolicy::Make(limits, {});
  ASSERT_TRUE(policy.ok());
  service_->Start(*policy, RetentionOptions{.interval = 200ms});
  for (int i = 0; i < 500 && LogRange("t", "api").first != kNow - kHour; ++i) {
    service_->Update(*policy, RetentionOptions{.interval = 200ms});  // a reload every 10 ms
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(LogRange("t", "api"), std::make_pair(kNow - kHour, kNow));
}

// Through a running daemon: pushed with Loki's API, expired by the background thread, seen by
// Loki's and Prometheus' query APIs, and a reload that changes a tenant's period.
class RetentionDaemonTest : public testing::DaemonTest {
 protected:
  static std::string Config(std::string keep_period) {
    return fmt::format(R"(storage:
  retention_interval: 100ms
limits:
  retention_period: 1h
  retention_stream:
    - {{selector: '{{app="debug"}}', priority: 1, period: 10m}}
tenants:
  overrides:
    keep:
      retention_period: {}
)",
                       keep_period);
  }
  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void Push(std::string tenant, std::string app, std::vector<int64_t> ages_minutes) {
    std::string values;
    for (int64_t age : ages_minutes) {
      values += fmt::format(R"({}["{}","{} minutes old"])", values.empty() ? "" : ",",
                            now_ - age * 60'000'000'000, age);
    }
    PushLoki(
        fmt::format(R"({{"streams":[{{"stream":{{"app":"{}"}},"values":[{}]}}]}})", app, values),
        {{"X-Scope-OrgID", tenant}});
  }
  // The lines of {app=`app`} over the last three hours, oldest first.
  std::vector<std::string> Lines(std::string tenant, std::string app) {
    auto r = Get(fmt::format("/loki/api/v1/query_range?query=%7Bapp%3D%22{}%22%7D&start={}&end={}"
                             "&limit=1000&direction=forward",
                             app, now_ - 3 * 3'600'000'000'000, now_ + 60'000'000'000),
                 {{"X-Scope-OrgID", tenant}});
    std::vector<std::string> out;
    for (auto& [stream, e] : r->Entries()) out.emplace_back(e.at(1).get_string().value());
    return out;
  }
  // Waits (up to 10 s) until `tenant`'s {app=`app`} holds `expected`.
  void AwaitLines(std::string tenant, std::string app, std::vector<std::string> expected) {
    std::vector<std::string> got;
    for (int i = 0; i < 200; ++i) {
      got = Lines(tenant, app);
      if (got == expected) return;
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(got, expected) << tenant << " " << app;
  }
  int64_t now_ = Now();
};

TEST_F(RetentionDaemonTest, ExpiredDataLeavesQueriesAndAReloadChangesPeriods) {
  ASSERT_NO_FATAL_FAILURE(StartWithConfigFile(Config("0s")));
  Push("t", "api", {120, 30, 0});
  Push("t", "debug", {20, 1});
  Push("keep", "api", {120, 0});
  auto imported = Call("POST", "/api/v1/import",
                       fmt::format(R"({{"metric":{{"__name__":"up"}},"values":[1,1],)"
                                   R"("timestamps":[{},{}]}})",
                                   (now_ - 2 * 3'600'000'000'000) / 1'000'000, now_ / 1'000'000) +
                           "\n",
                       {{"X-Scope-OrgID", "t"}});
  ASSERT_EQ(imported->status, 204);

  AwaitLines("t", "api", {"30 minutes old", "0 minutes old"});
  AwaitLines("t", "debug", {"1 minutes old"});
  AwaitLines("keep", "api", {"120 minutes old", "0 minutes old"});
  auto samples =
      Get(fmt::format("/api/v1/query_range?query=up&start={}&end={}&step=60",
                      (now_ - 3 * 3'600'000'000'000) / 1'000'000'000, now_ / 1'000'000'000 + 60),
          {{"X-Scope-OrgID", "t"}});
  ASSERT_EQ(samples->status, 200);
  EXPECT_EQ(samples->Data()["result"].get_array().size(), 1u);
  simdjson::dom::array values = samples->Data()["result"].at(0)["values"].get_array();
  EXPECT_LE(values.size(), 6u) << "the two-hour-old sample (and its lookback) went: "
                               << samples->body;

  std::ofstream(config_path()) << Config("1h");
  ASSERT_EQ(Call("POST", "/-/reload")->status, 200);
  AwaitLines("keep", "api", {"0 minutes old"});
  auto metrics = Get("/metrics");
  EXPECT_THAT(metrics->body, ::testing::HasSubstr("sluice_retention_runs_total"));

  // A selector that does not parse: the reload fails and the running policy stays.
  std::ofstream(config_path())
      << "limits:\n  retention_stream:\n    - {selector: '{app=}', period: 1h}\n";
  EXPECT_NE(Call("POST", "/-/reload")->status, 200);
}

}  // namespace
}  // namespace sluice::daemon

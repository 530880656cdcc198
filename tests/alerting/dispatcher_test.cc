// The webhook dispatcher (dispatcher.h) on a FakeClock, and its payloads (notification_payload.h)
// against what Alertmanager 0.25 and Prometheus 2.42 sent in tests/fixtures/shippers.
#include "alerting/dispatcher.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "alerting/notification_payload.h"

namespace sluice::alerting {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

class RecordingSink final : public NotificationSink {
 public:
  void Enqueue(Notification n) override {
    std::lock_guard lock(mu_);
    got_.push_back(std::move(n));
  }
  std::vector<Notification> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(got_, {});
  }

 private:
  std::mutex mu_;
  std::vector<Notification> got_;
};

// The parts of a webhook body the timeline tests look at.
struct Sent {
  std::string receiver;
  std::string status;
  std::string group_key;
  std::vector<std::string> alerts;  // "<alertname>/<instance>:<status>" in payload order
  uint64_t truncated = 0;
  std::string url;
  std::string body;
};

Sent Decode(const Notification& n) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(n.body);
  Sent s;
  s.receiver = std::string(std::string_view(root["receiver"]));
  s.status = std::string(std::string_view(root["status"]));
  s.group_key = std::string(std::string_view(root["groupKey"]));
  s.truncated = uint64_t(root["truncatedAlerts"]);
  for (simdjson::dom::element a : simdjson::dom::array(root["alerts"])) {
    std::string name = std::string(std::string_view(a["labels"]["alertname"]));
    std::string_view instance;
    if (a["labels"]["instance"].get(instance) != simdjson::SUCCESS) instance = "";
    s.alerts.push_back(fmt::format("{}/{}:{}", name, instance, std::string_view(a["status"])));
  }
  s.url = n.endpoint.url;
  s.body = n.body;
  return s;
}

storage::Labels L(std::vector<std::pair<std::string, std::string>> pairs) {
  storage::Labels labels;
  for (auto& [n, v] : pairs) labels.push_back({n, v});
  EXPECT_TRUE(storage::Canonicalize(labels).ok());
  return labels;
}

int64_t Ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// "2026-11-23T08:14:31.338Z" (UTC, at most millisecond precision) as Unix milliseconds.
int64_t ParseTime(std::string_view text) {
  std::tm tm{};
  int millis = 0;
  std::string s(text);
  std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
              &tm.tm_min, &tm.tm_sec);
  if (size_t dot = s.find('.'); dot != std::string::npos) {
    std::string frac = s.substr(dot + 1, s.find('Z') - dot - 1);
    frac.resize(3, '0');
    millis = std::stoi(frac);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

const int64_t kT0 = ParseTime("2026-11-23T08:14:31.340Z");

class DispatcherTest : public ::testing::Test {
 protected:
  void Start(const std::string& yaml) {
    Result<NotifyConfig> config = ParseNotifyConfig("am.yml", yaml);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    dispatcher_ = std::make_unique<Dispatcher>(*config, &kv_, &sink_, &clock_, kExternal);
    ASSERT_TRUE(dispatcher_->Restore().ok());
  }
  // A daemon restart: a new dispatcher on the same state.
  void Restart() {
    dispatcher_ = std::make_unique<Dispatcher>(config_, &kv_, &sink_, &clock_, kExternal);
    ASSERT_TRUE(dispatcher_->Restore().ok());
  }

  int64_t Now() const { return Ms(clock_.Now()); }

  // As Prometheus sends a firing alert: endsAt far enough ahead to outlive the test.
  Alert Firing(const std::string& name, const std::string& instance = "i1",
               std::vector<std::pair<std::string, std::string>> extra = {}) {
    extra.emplace_back("alertname", name);
    extra.emplace_back("instance", instance);
    Alert a;
    a.labels = L(extra);
    a.annotations = L({{"summary", name + " on " + instance}});
    a.starts_at_ms = Now();
    a.ends_at_ms = Now() + 24 * 3600'000LL;
    a.generator_url = "http://prom:9090/graph?g0.expr=up";
    return a;
  }
  Alert Resolved(Alert a) {
    a.ends_at_ms = Now();
    return a;
  }

  // Advances the clock by `d` in steps of one second, ticking after each; returns what was
  // sent, each with the seconds since `since_ms` at which it was sent.
  std::vector<std::pair<int64_t, Sent>> Run(std::chrono::seconds d, int64_t since_ms) {
    std::vector<std::pair<int64_t, Sent>> out;
    for (int64_t i = 0; i < d.count(); ++i) {
      clock_.Advance(seconds(1));
      dispatcher_->Tick();
      for (const Notification& n : sink_.Take()) {
        out.emplace_back((Now() - since_ms) / 1000, Decode(n));
      }
    }
    return out;
  }
  std::vector<int64_t> Times(const std::vector<std::pair<int64_t, Sent>>& sent) {
    std::vector<int64_t> out;
    for (const auto& [t, s] : sent) out.push_back(t);
    return out;
  }

  static constexpr const char* kExternal = "http://sluice:9428";
  FakeClock clock_{std::chrono::system_clock::time_point(milliseconds(kT0))};
  MemoryKvStore kv_;
  RecordingSink sink_;
  NotifyConfig config_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

constexpr const char* kSimple = R"x(
route:
  receiver: oncall
  group_by: [alertname]
receivers:
  - name: oncall
    webhook_configs:
      - url: http://127.0.0.1:9/hook
)x";

TEST_F(DispatcherTest, GroupWaitThenGroupIntervalThenRepeatInterval) {
  Start(kSimple);
  const int64_t t0 = Now();
  dispatcher_->Receive({Firing("Disk", "a")});
  // group_wait 30s: the first notification.
  auto sent = Run(seconds(31), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, 30);
  EXPECT_EQ(sent[0].second.status, "firing");
  EXPECT_EQ(sent[0].second.group_key, "{}:{alertname=\"Disk\"}");
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/a:firing"}));
  EXPECT_EQ(sent[0].second.url, "http://127.0.0.1:9/hook");

  // A new alert in the group waits for the next group_interval (5m after the first flush).
  dispatcher_->Receive({Firing("Disk", "b")});
  sent = Run(seconds(300), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, 330);
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/a:firing", "Disk/b:firing"}));

  // Re-sent alerts (Prometheus re-sends every minute) change nothing: silence until
  // repeat_interval (4h) after the last notification, at the first flush after that.
  std::vector<std::pair<int64_t, Sent>> all;
  for (int minute = 0; minute < 300; ++minute) {
    dispatcher_->Receive({Firing("Disk", "a"), Firing("Disk", "b")});
    auto more = Run(seconds(60), t0);
    all.insert(all.end(), more.begin(), more.end());
  }
  // Flushes run at 30s + k*5m; the first one more than 4h after 330s is at 330s + 4h + 5m.
  EXPECT_EQ(Times(all), (std::vector<int64_t>{330 + 4 * 3600 + 300}));
  EXPECT_EQ(all.at(0).second.alerts, (std::vector<std::string>{"Disk/a:firing", "Disk/b:firing"}));
}

TEST_F(DispatcherTest, ResolvedViaEndsAtIsSentOnceAndLeavesTheGroup) {
  Start(kSimple);
  const int64_t t0 = Now();
  Alert a = Firing("Disk", "a");
  Alert b = Firing("Disk", "b");
  dispatcher_->Receive({a, b});
  ASSERT_EQ(Run(seconds(30), t0).size(), 1u);

  clock_.Advance(seconds(10));
  dispatcher_->Receive({Resolved(a)});
  auto sent = Run(seconds(300), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, 330);
  EXPECT_EQ(sent[0].second.status, "firing");  // b still fires
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/a:resolved", "Disk/b:firing"}));
  ASSERT_EQ(dispatcher_->Groups().size(), 1u);
  EXPECT_EQ(dispatcher_->Groups()[0].alerts, 1u);  // a left after the flush

  // Prometheus keeps re-sending the resolved alert for a while: no new notification.
  dispatcher_->Receive({Resolved(a)});
  EXPECT_TRUE(Run(seconds(600), t0).empty());

  // b resolves: everything resolved is sent, then the group is gone.
  dispatcher_->Receive({Resolved(b)});
  sent = Run(seconds(300), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].second.status, "resolved");
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/b:resolved"}));
  Run(seconds(Dispatcher::kMaintenanceIntervalMs / 1000), t0);
  EXPECT_TRUE(dispatcher_->Groups().empty());
  EXPECT_EQ(dispatcher_->AlertCount(), 0u);
}

TEST_F(DispatcherTest, ResolveTimeoutResolvesAlertsWithoutEndsAt) {
  Start(std::string("global: {resolve_timeout: 2m}\n") + kSimple);
  const int64_t t0 = Now();
  Alert a = Firing("Disk", "a");
  a.ends_at_ms = 0;  // as amtool and other non-Prometheus clients send
  dispatcher_->Receive({a});
  auto sent = Run(seconds(30), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/a:firing"}));
  // Renewed at 60s, so it resolves at 180s; the flush at 330s reports it.
  Run(seconds(30), t0);
  dispatcher_->Receive({a});
  sent = Run(seconds(300), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, 330);
  EXPECT_EQ(sent[0].second.status, "resolved");
  // The endsAt shown is the timeout: the last update (60s) + resolve_timeout.
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(sent[0].second.body);
  EXPECT_EQ(std::string_view(root["alerts"].at(0)["endsAt"]), "2026-11-23T08:17:31.34Z");
}

TEST_F(DispatcherTest, SendResolvedFalseSendsOnlyFiring) {
  Start(R"x(
route: {receiver: quiet, group_by: [alertname]}
receivers:
  - name: quiet
    webhook_configs:
      - url: http://127.0.0.1:9/q
        send_resolved: false
)x");
  const int64_t t0 = Now();
  Alert a = Firing("Disk", "a");
  Alert b = Firing("Disk", "b");
  dispatcher_->Receive({a, b});
  ASSERT_EQ(Run(seconds(30), t0).size(), 1u);
  // One of two resolves: nothing new fires, so nothing is sent.
  dispatcher_->Receive({Resolved(a)});
  EXPECT_TRUE(Run(seconds(600), t0).empty());
  // A new firing alert: sent without the resolved one.
  dispatcher_->Receive({Resolved(a), Firing("Disk", "c")});
  auto sent = Run(seconds(300), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/b:firing", "Disk/c:firing"}));
  // All resolved: logged, but nothing is sent.
  dispatcher_->Receive({Resolved(Firing("Disk", "b")), Resolved(Firing("Disk", "c"))});
  EXPECT_TRUE(Run(seconds(900), t0).empty());
  std::vector<NflogEntry> log = dispatcher_->NotificationLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].firing.empty());
  EXPECT_EQ(log[0].resolved.size(), 2u);
  // The same alert firing again pages again.
  dispatcher_->Receive({Firing("Disk", "b")});
  sent = Run(seconds(330), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/b:firing"}));
}

TEST_F(DispatcherTest, GroupsByLabelsAndByEverything) {
  Start(R"x(
route:
  receiver: r
  group_by: [alertname]
  routes:
    - matchers: [split="all"]
      group_by: ['...']
receivers:
  - name: r
    webhook_configs: [{url: 'http://127.0.0.1:9/'}]
)x");
  const int64_t t0 = Now();
  dispatcher_->Receive({Firing("Disk", "a"), Firing("Disk", "b"), Firing("Cpu", "a"),
                        Firing("Mem", "a", {{"split", "all"}}),
                        Firing("Mem", "b", {{"split", "all"}})});
  auto sent = Run(seconds(30), t0);
  ASSERT_EQ(sent.size(), 4u);
  std::map<std::string, std::vector<std::string>> by_key;
  for (auto& [t, s] : sent) by_key[s.group_key] = s.alerts;
  EXPECT_EQ(by_key["{}:{alertname=\"Disk\"}"],
            (std::vector<std::string>{"Disk/a:firing", "Disk/b:firing"}));
  EXPECT_EQ(by_key["{}:{alertname=\"Cpu\"}"], (std::vector<std::string>{"Cpu/a:firing"}));
  EXPECT_EQ(by_key["{}/{split=\"all\"}:{alertname=\"Mem\", instance=\"a\", split=\"all\"}"],
            (std::vector<std::string>{"Mem/a:firing"}));
  EXPECT_EQ(by_key["{}/{split=\"all\"}:{alertname=\"Mem\", instance=\"b\", split=\"all\"}"],
            (std::vector<std::string>{"Mem/b:firing"}));
  EXPECT_EQ(dispatcher_->Groups().size(), 4u);
}

TEST_F(DispatcherTest, RoutesWithMatchersContinueAndInheritance) {
  Start(R"x(
route:
  receiver: default
  group_by: [alertname]
  group_wait: 10s
  routes:
    - matchers: ['severity=~"crit|page"']
      receiver: pager
      continue: true
      group_wait: 20s
    - match: {team: db}
      receiver: dba
receivers:
  - name: default
    webhook_configs: [{url: 'http://127.0.0.1:9/default'}]
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:9/pager'}, {url: 'http://127.0.0.1:9/pager2'}]
  - name: dba
    webhook_configs: [{url: 'http://127.0.0.1:9/dba'}]
)x");
  const int64_t t0 = Now();
  dispatcher_->Receive({Firing("A", "x", {{"severity", "crit"}, {"team", "db"}}),
                        Firing("B", "x", {{"severity", "warning"}}),
                        Firing("C", "x", {{"severity", "critical"}})});
  auto sent = Run(seconds(25), t0);
  std::vector<std::string> got;
  for (auto& [t, s] : sent)
    got.push_back(fmt::format("{} {} {} {}", t, s.url, s.receiver, fmt::join(s.alerts, ",")));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{
                     // group_wait 10s inherited from the root by dba and the default route
                     "10 http://127.0.0.1:9/dba dba A/x:firing",
                     "10 http://127.0.0.1:9/default default B/x:firing",
                     // C: "critical" does not match the anchored regex
                     "10 http://127.0.0.1:9/default default C/x:firing",
                     // pager's own group_wait; each webhook of the receiver gets it
                     "20 http://127.0.0.1:9/pager pager A/x:firing",
                     "20 http://127.0.0.1:9/pager2 pager A/x:firing",
                 }));
}

TEST_F(DispatcherTest, MaxAlertsTruncates) {
  Start(R"x(
route: {receiver: r, group_by: [alertname]}
receivers:
  - name: r
    webhook_configs: [{url: 'http://127.0.0.1:9/', max_alerts: 2}]
)x");
  const int64_t t0 = Now();
  dispatcher_->Receive(
      {Firing("Disk", "c"), Firing("Disk", "a"), Firing("Disk", "d"), Firing("Disk", "b")});
  auto sent = Run(seconds(30), t0);
  ASSERT_EQ(sent.size(), 1u);
  // Sorted by instance as Alertmanager does, then cut.
  EXPECT_EQ(sent[0].second.alerts, (std::vector<std::string>{"Disk/a:firing", "Disk/b:firing"}));
  EXPECT_EQ(sent[0].second.truncated, 2u);
}

TEST_F(DispatcherTest, RestartDoesNotPageAgainUntilRepeatInterval) {
  Start(kSimple);
  const int64_t t0 = Now();
  Alert a = Firing("Disk", "a");
  dispatcher_->Receive({a});
  ASSERT_EQ(Run(seconds(30), t0).size(), 1u);
  std::vector<NflogEntry> before = dispatcher_->NotificationLog();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].group_key, "{}:{alertname=\"Disk\"}");
  EXPECT_EQ(before[0].firing, (std::vector<uint64_t>{AlertFingerprint(a.labels)}));
  EXPECT_EQ(before[0].timestamp_ms, t0 + 30'000);

  // Restart an hour later; Prometheus re-sends the alert.
  Run(seconds(3600), t0);
  Restart();
  EXPECT_EQ(dispatcher_->NotificationLog(), before);
  dispatcher_->Receive({a});
  // The group is new, but its alert started long ago: flushed at once, and deduplicated.
  EXPECT_TRUE(Run(seconds(600), t0).empty());

  // Without the restored log the same sequence pages: the test can fail.
  {
    MemoryKvStore empty;
    RecordingSink other;
    Dispatcher fresh(config_, &empty, &other, &clock_, kExternal);
    ASSERT_TRUE(fresh.Restore().ok());
    fresh.Receive({a});
    fresh.Tick();
    EXPECT_EQ(other.Take().size(), 1u);
  }

  // The repeat comes 4h after the original notification, at a flush of the new group (which
  // flushed at 3601s + k*300s).
  std::vector<std::pair<int64_t, Sent>> all;
  for (int i = 0; i < 200; ++i) {
    dispatcher_->Receive({a});
    auto more = Run(seconds(60), t0);
    all.insert(all.end(), more.begin(), more.end());
  }
  // Ticks restart at 3631s; flushes follow every 300s; the first past 30s + 4h is 14431s.
  EXPECT_EQ(Times(all), (std::vector<int64_t>{3631 + 36 * 300}));

  // A restart after the group resolved: the resolved notification is not repeated either.
  dispatcher_->Receive({Resolved(a)});
  auto sent = Run(seconds(300), t0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].second.status, "resolved");
  Restart();
  dispatcher_->Receive({Resolved(a)});
  EXPECT_TRUE(Run(seconds(600), t0).empty());
}

TEST_F(DispatcherTest, NotificationLogExpires) {
  Start(R"x(
route: {receiver: r, group_by: [alertname], repeat_interval: 1h}
receivers:
  - name: r
    webhook_configs: [{url: 'http://127.0.0.1:9/'}]
)x");
  const int64_t t0 = Now();
  Alert a = Firing("Disk", "a");
  dispatcher_->Receive({a});
  ASSERT_EQ(Run(seconds(30), t0).size(), 1u);
  dispatcher_->Receive({Resolved(a)});
  ASSERT_EQ(Run(seconds(300), t0).size(), 1u);
  size_t stored = 0;
  ASSERT_TRUE(kv_.Scan("nflog/",
                       [&](std::string_view key, std::string_view) {
                         EXPECT_EQ(key, Dispatcher::NflogKey("r", 0, "{}:{alertname=\"Disk\"}"));
                         ++stored;
                         return true;
                       })
                  .ok());
  EXPECT_EQ(stored, 1u);
  // Expiry is 2 * repeat_interval after the last notification (at 330s).
  Run(seconds(2 * 3600 - 330), t0);
  EXPECT_EQ(dispatcher_->NotificationLog().size(), 1u);
  Run(seconds(400), t0);
  EXPECT_TRUE(dispatcher_->NotificationLog().empty());
  stored = 0;
  ASSERT_TRUE(kv_.Scan("nflog/",
                       [&](std::string_view, std::string_view) {
                         ++stored;
                         return true;
                       })
                  .ok());
  EXPECT_EQ(stored, 0u);
}

TEST_F(DispatcherTest, RestoreDropsExpiredAndUnreadableEntries) {
  Start(kSimple);
  ASSERT_TRUE(kv_.Put(Dispatcher::NflogKey("oncall", 0, "g1"), "\x07garbage").ok());
  dispatcher_->Receive({Firing("A")});
  ASSERT_EQ(Run(seconds(30), Now()).size(), 1u);
  auto stored_keys = [&] {
    std::vector<std::string> keys;
    EXPECT_TRUE(kv_.Scan("nflog/",
                         [&](std::string_view key, std::string_view) {
                           keys.emplace_back(key);
                           return true;
                         })
                    .ok());
    return keys;
  };
  EXPECT_EQ(stored_keys().size(), 2u);
  // Down for 9h: A's entry expired (2 * 4h after it was written) before the restart.
  clock_.Advance(hours(9));
  Restart();
  EXPECT_TRUE(dispatcher_->NotificationLog().empty());
  EXPECT_TRUE(stored_keys().empty());

  dispatcher_->Receive({Firing("B")});
  ASSERT_EQ(Run(seconds(30), Now()).size(), 1u);
  Restart();
  std::vector<NflogEntry> log = dispatcher_->NotificationLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].group_key, "{}:{alertname=\"B\"}");
  EXPECT_EQ(stored_keys(),
            (std::vector<std::string>{Dispatcher::NflogKey("oncall", 0, "{}:{alertname=\"B\"}")}));
}

TEST_F(DispatcherTest, UpdateConfigRegroupsWithoutPagingAgain) {
  Start(kSimple);
  const int64_t t0 = Now();
  dispatcher_->Receive({Firing("Disk", "a"), Firing("Disk", "b")});
  ASSERT_EQ(Run(seconds(30), t0).size(), 1u);
  // Same routing: the regrouped alerts are known to the receiver.
  dispatcher_->UpdateConfig(config_);
  EXPECT_TRUE(Run(seconds(600), t0).empty());
  // Grouping by instance: new group keys, so new notifications, at once (the alerts are older
  // than group_wait).
  Result<NotifyConfig> by_instance = ParseNotifyConfig(
      "am.yml",
      "route: {receiver: oncall, group_by: [instance]}\nreceivers:\n  - name: oncall\n"
      "    webhook_configs: [{url: 'http://127.0.0.1:9/new'}]\n");
  ASSERT_TRUE(by_instance.ok());
  dispatcher_->UpdateConfig(*by_instance);
  auto sent = Run(seconds(1), t0);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].second.group_key, "{}:{instance=\"a\"}");
  EXPECT_EQ(sent[1].second.group_key, "{}:{instance=\"b\"}");
  EXPECT_EQ(sent[0].second.url, "http://127.0.0.1:9/new");
}

TEST_F(DispatcherTest, ConcurrentReceiveTickAndReload) {
  Start(kSimple);
  // Alerts made up front: Firing() reads the clock the ticking thread moves.
  std::vector<Alert> alerts;
  for (int i = 0; i < 91; ++i) {
    alerts.push_back(Firing("N" + std::to_string(i % 7), std::to_string(i % 13)));
  }
  std::thread receiver([&] {
    for (int i = 0; i < 2000; ++i) dispatcher_->Receive({alerts[i % alerts.size()]});
  });
  std::thread reloader([&] {
    for (int i = 0; i < 50; ++i) dispatcher_->UpdateConfig(config_);
  });
  for (int i = 0; i < 2000; ++i) {
    clock_.Advance(seconds(1));
    dispatcher_->Tick();
  }
  receiver.join();
  reloader.join();
  clock_.Advance(minutes(5) + seconds(1));
  dispatcher_->Tick();
  // Whatever the interleaving, the last notification of each of the 7 groups lists all 13 of
  // its alerts, and nothing was sent twice for the same set.
  std::map<std::string, std::vector<Sent>> per_group;
  for (const Notification& n : sink_.Take()) {
    Sent s = Decode(n);
    per_group[s.group_key].push_back(s);
  }
  EXPECT_EQ(dispatcher_->Groups().size(), 7u);
  ASSERT_EQ(per_group.size(), 7u);
  for (auto& [key, list] : per_group) {
    EXPECT_EQ(list.back().alerts.size(), 13u) << key;
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_NE(list[i].alerts, list[i - 1].alerts) << key;
    }
  }
}

// --- Payloads against the captures ------------------------------------------------------------

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/shippers/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

storage::Labels ObjectLabels(simdjson::dom::object object) {
  storage::Labels out;
  for (auto field : object) {
    out.push_back({std::string(field.key), std::string(std::string_view(field.value))});
  }
  EXPECT_TRUE(storage::Canonicalize(out).ok());
  return out;
}

// The alerts of a Prometheus /api/v2/alerts capture.
std::vector<Alert> PrometheusAlerts(simdjson::dom::element body) {
  std::vector<Alert> out;
  for (simdjson::dom::element e : simdjson::dom::array(body)) {
    Alert a;
    a.labels = ObjectLabels(e["labels"]);
    a.annotations = ObjectLabels(e["annotations"]);
    a.starts_at_ms = ParseTime(std::string_view(e["startsAt"]));
    a.ends_at_ms = ParseTime(std::string_view(e["endsAt"]));
    a.generator_url = std::string(std::string_view(e["generatorURL"]));
    out.push_back(std::move(a));
  }
  return out;
}

// Same keys in the same order, same arrays, same scalars.
void ExpectSameJson(simdjson::dom::element want, simdjson::dom::element got,
                    const std::string& path) {
  ASSERT_EQ(want.type(), got.type()) << path;
  switch (want.type()) {
    case simdjson::dom::element_type::OBJECT: {
      std::vector<std::string> want_keys;
      std::vector<std::string> got_keys;
      for (auto f : simdjson::dom::object(want)) want_keys.emplace_back(f.key);
      for (auto f : simdjson::dom::object(got)) got_keys.emplace_back(f.key);
      ASSERT_EQ(want_keys, got_keys) << path;
      for (auto f : simdjson::dom::object(want)) {
        ExpectSameJson(f.value, got[f.key], path + "." + std::string(f.key));
      }
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array w = want;
      simdjson::dom::array g = got;
      ASSERT_EQ(w.size(), g.size()) << path;
      for (size_t i = 0; i < w.size(); ++i) {
        ExpectSameJson(w.at(i), g.at(i), path + "[" + std::to_string(i) + "]");
      }
      break;
    }
    case simdjson::dom::element_type::STRING:
      EXPECT_EQ(std::string_view(want), std::string_view(got)) << path;
      break;
    default:
      EXPECT_EQ(simdjson::to_string(want), simdjson::to_string(got)) << path;
  }
}

// Checks `body` against the capture `fixture`: same JSON, and the same length as the captured
// Content-Length, which pins Go's escaping (\u0026 for &) and json.Encoder's newline.
void ExpectLikeCapture(const std::string& fixture, const std::string& body) {
  simdjson::dom::parser fixture_parser;
  simdjson::dom::element capture = fixture_parser.parse(ReadFixture(fixture));
  simdjson::dom::parser body_parser;
  simdjson::dom::element got = body_parser.parse(body);
  ExpectSameJson(capture["body"], got, fixture);
  std::string_view length = capture["_captured"]["headers"]["Content-Length"];
  EXPECT_EQ(std::to_string(body.size()), length) << fixture << "\n" << body;
}

TEST(DispatcherPayloadTest, WebhookPayloadMatchesAlertmanager) {
  for (std::string name : {"acceptanceflagraised", "amtoolacceptance"}) {
    for (std::string state : {"firing", "resolved"}) {
      std::string fixture = "alertmanager-webhook-" + name + "-" + state + ".json";
      simdjson::dom::parser parser;
      simdjson::dom::element body = parser.parse(ReadFixture(fixture))["body"];
      WebhookMessage m;
      m.receiver = std::string(std::string_view(body["receiver"]));
      m.group_key = std::string(std::string_view(body["groupKey"]));
      m.group_labels = ObjectLabels(body["groupLabels"]);
      m.external_url = std::string(std::string_view(body["externalURL"]));
      for (simdjson::dom::element e : simdjson::dom::array(body["alerts"])) {
        Alert a;
        a.labels = ObjectLabels(e["labels"]);
        a.annotations = ObjectLabels(e["annotations"]);
        a.starts_at_ms = ParseTime(std::string_view(e["startsAt"]));
        std::string_view ends = e["endsAt"];
        a.ends_at_ms = ends.starts_with("0001-") ? 0 : ParseTime(ends);
        a.generator_url = std::string(std::string_view(e["generatorURL"]));
        EXPECT_EQ(FingerprintHex(AlertFingerprint(a.labels)), std::string_view(e["fingerprint"]));
        m.now_ms = std::max(a.starts_at_ms, a.ends_at_ms) + 1000;
        m.alerts.push_back(std::move(a));
      }
      std::string payload = WebhookPayload(m);
      SCOPED_TRACE(fixture);
      ExpectLikeCapture(fixture, payload);
      EXPECT_TRUE(payload.ends_with("}\n"));
      if (name == "acceptanceflagraised") {
        EXPECT_NE(payload.find("g0.expr=acceptance_flag+%3E+0\\u0026g0.tab=1"), std::string::npos);
      }
    }
  }
}

TEST(DispatcherPayloadTest, AlertmanagerV2BodyMatchesPrometheus) {
  for (std::string state : {"firing", "resolved"}) {
    std::string fixture = "prometheus-to-alertmanager-v2-alerts-" + state + ".json";
    simdjson::dom::parser parser;
    simdjson::dom::element body = parser.parse(ReadFixture(fixture))["body"];
    std::string got = AlertmanagerV2Body(PrometheusAlerts(body));
    SCOPED_TRACE(fixture);
    ExpectLikeCapture(fixture, got);
  }
  // Empty annotations and generatorURL are left out; times always have three digits.
  Alert a;
  a.labels = L({{"alertname", "X"}});
  a.starts_at_ms = ParseTime("2026-11-23T08:14:31Z");
  a.ends_at_ms = ParseTime("2026-11-23T08:18:31.5Z");
  EXPECT_EQ(AlertmanagerV2Body({a}),
            "[{\"endsAt\":\"2026-11-23T08:18:31.500Z\",\"startsAt\":\"2026-11-23T08:14:31.000Z\","
            "\"labels\":{\"alertname\":\"X\"}}]");
  EXPECT_EQ(AlertmanagerV2Body({}), "[]");
}

TEST(DispatcherPayloadTest, GoJsonEscaping) {
  std::string out;
  AppendGoJsonString("a<b>&\"\\\n\r\t\x01\b\f\x7f\xe2\x80\xa8\xe2\x80\xa9\xff\xc3\xa9", &out);
  EXPECT_EQ(out,
            "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\r\\t\\u0001\\u0008\\u000c\x7f\\u2028\\u2029"
            "\\ufffd\xc3\xa9\"");
}

TEST(DispatcherPayloadTest, CommonLabelsAndStatus) {
  WebhookMessage m;
  m.receiver = "team.a";
  m.group_key = "{}:{}";
  m.now_ms = 2000;
  Alert a;
  a.labels = L({{"alertname", "X"}, {"job", "j"}, {"instance", "1"}});
  a.annotations = L({{"summary", "s"}, {"desc", "1"}});
  a.starts_at_ms = 1000;
  Alert b = a;
  b.labels = L({{"alertname", "X"}, {"job", "j"}, {"instance", "2"}});
  b.annotations = L({{"summary", "s"}, {"desc", "2"}});
  b.ends_at_ms = 1500;  // resolved
  m.alerts = {a, b};
  std::string payload = WebhookPayload(m);
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(payload);
  EXPECT_EQ(std::string_view(root["receiver"]), "team\\.a");  // regexp.QuoteMeta, as AM does
  EXPECT_EQ(std::string_view(root["status"]), "firing");
  EXPECT_EQ(simdjson::to_string(root["commonLabels"]), R"x({"alertname":"X","job":"j"})x");
  EXPECT_EQ(simdjson::to_string(root["commonAnnotations"]), R"x({"summary":"s"})x");
  EXPECT_EQ(simdjson::to_string(root["groupLabels"]), "{}");
  EXPECT_EQ(std::string_view(root["alerts"].at(0)["endsAt"]), "0001-01-01T00:00:00Z");
  EXPECT_EQ(std::string_view(root["alerts"].at(1)["status"]), "resolved");
  EXPECT_EQ(std::string_view(root["alerts"].at(1)["endsAt"]), "1970-01-01T00:00:01.5Z");

  m.alerts = {b};
  simdjson::dom::parser again_parser;
  simdjson::dom::element again = again_parser.parse(WebhookPayload(m));
  EXPECT_EQ(std::string_view(again["status"]), "resolved");
}

TEST(DispatcherPayloadTest, AlertOrderIsAlertmanagers) {
  auto alert = [](std::vector<std::pair<std::string, std::string>> labels) {
    Alert a;
    a.labels = L(std::move(labels));
    return a;
  };
  // job first (alerts with a job before those without), then instance, then the label sets.
  EXPECT_TRUE(AlertPrecedes(alert({{"job", "a"}}), alert({{"job", "b"}})));
  EXPECT_TRUE(AlertPrecedes(alert({{"job", "z"}}), alert({{"x", "a"}})));
  EXPECT_FALSE(AlertPrecedes(alert({{"x", "a"}}), alert({{"job", "z"}})));
  EXPECT_TRUE(AlertPrecedes(alert({{"instance", "1"}, {"job", "a"}}),
                            alert({{"instance", "2"}, {"job", "a"}})));
  EXPECT_TRUE(AlertPrecedes(alert({{"a", "1"}}), alert({{"a", "1"}, {"b", "1"}})));  // fewer
  EXPECT_TRUE(AlertPrecedes(alert({{"a", "1"}, {"c", "1"}}), alert({{"a", "1"}, {"b", "1"}})));
  EXPECT_TRUE(AlertPrecedes(alert({{"a", "1"}, {"b", "1"}}), alert({{"a", "1"}, {"b", "2"}})));
  EXPECT_FALSE(AlertPrecedes(alert({{"a", "1"}}), alert({{"a", "1"}})));
}

// The whole path: Prometheus' captured alerts in, Alertmanager's captured webhooks out.
TEST_F(DispatcherTest, EndToEndLikeAlertmanager) {
  Start(R"x(
route:
  receiver: oncall
  group_by: [alertname]
receivers:
  - name: oncall
    webhook_configs:
      - url: http://127.0.0.1:39515/hooks/oncall
)x");
  dispatcher_ =
      std::make_unique<Dispatcher>(config_, &kv_, &sink_, &clock_, "http://127.0.0.1:60201");
  ASSERT_TRUE(dispatcher_->Restore().ok());
  simdjson::dom::parser firing_parser;
  simdjson::dom::element firing =
      firing_parser.parse(ReadFixture("prometheus-to-alertmanager-v2-alerts-firing.json"));
  dispatcher_->Receive(PrometheusAlerts(firing["body"]));
  clock_.Advance(seconds(30));
  dispatcher_->Tick();
  std::vector<Notification> sent = sink_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].endpoint.url, "http://127.0.0.1:39515/hooks/oncall");
  ExpectLikeCapture("alertmanager-webhook-acceptanceflagraised-firing.json", sent[0].body);

  simdjson::dom::parser resolved_parser;
  simdjson::dom::element resolved =
      resolved_parser.parse(ReadFixture("prometheus-to-alertmanager-v2-alerts-resolved.json"));
  dispatcher_->Receive(PrometheusAlerts(resolved["body"]));
  clock_.Advance(minutes(5));
  dispatcher_->Tick();
  sent = sink_.Take();
  ASSERT_EQ(sent.size(), 1u);
  ExpectLikeCapture("alertmanager-webhook-acceptanceflagraised-resolved.json", sent[0].body);
}

}  // namespace
}  // namespace sluice::alerting

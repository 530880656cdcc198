// Alerting end to end, on 127.0.0.1, with the sluice binary:
//  - a PromQL rule and a LogQL rule fire from ingested data;
//  - a webhook that answers 500 to its first requests still gets each group's notification
//    exactly once, and the resolution once;
//  - a real Alertmanager (Debian's prometheus-alertmanager) accepts Sluice's alerts and delivers
//    them to its own webhook;
//  - kill -9 while an alert is pending: after the restart it fires on time (its `for` counted
//    from before the kill), and another kill after the page does not page again.
// Timings are scaled down (1 s evaluation interval, seconds of `for`); every wait is bounded.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"
#include "tests/support/webhook_receiver.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::ReceivedRequest;
using testing::Subprocess;
using testing::WebhookReceiver;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a webhook payload (Alertmanager's version 4) says, enough to tell notifications apart.
struct Payload {
  std::string status;
  std::string group_key;
  std::string receiver;
  std::vector<std::string> alertnames;
  std::vector<std::string> starts_at;
  std::map<std::string, std::string> common_labels;
  std::map<std::string, std::string> common_annotations;
};

// A string field of a JSON object; a missing or non-string field fails the test and yields "".
std::string StringField(simdjson::dom::element object, std::string_view key) {
  std::string_view value;
  if (object[key].get_string().get(value) != simdjson::SUCCESS) {
    ADD_FAILURE() << "no string field " << key << " in " << simdjson::to_string(object);
    return "";
  }
  return std::string(value);
}

// The string-valued members of a JSON object field.
std::map<std::string, std::string> StringMapField(simdjson::dom::element object,
                                                  std::string_view key) {
  std::map<std::string, std::string> out;
  simdjson::dom::object members;
  if (object[key].get_object().get(members) != simdjson::SUCCESS) {
    ADD_FAILURE() << "no object field " << key << " in " << simdjson::to_string(object);
    return out;
  }
  for (auto [k, v] : members) {
    std::string_view value;
    if (v.get_string().get(value) == simdjson::SUCCESS) out[std::string(k)] = std::string(value);
  }
  return out;
}

Payload ParsePayload(const std::string& body) {
  Payload p;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array alerts;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc["alerts"].get_array().get(alerts) != simdjson::SUCCESS) {
    ADD_FAILURE() << "not a webhook payload: " << body;
    return p;
  }
  p.status = StringField(doc, "status");
  p.group_key = StringField(doc, "groupKey");
  p.receiver = StringField(doc, "receiver");
  for (simdjson::dom::element alert : alerts) {
    simdjson::dom::element labels;
    if (alert["labels"].get(labels) != simdjson::SUCCESS) {
      ADD_FAILURE() << "an alert without labels: " << body;
      continue;
    }
    p.alertnames.push_back(StringField(labels, "alertname"));
    p.starts_at.push_back(StringField(alert, "startsAt"));
  }
  p.common_labels = StringMapField(doc, "commonLabels");
  p.common_annotations = StringMapField(doc, "commonAnnotations");
  return p;
}

std::vector<Payload> Delivered(const WebhookReceiver& receiver) {
  std::vector<Payload> out;
  for (const ReceivedRequest& r : receiver.requests()) {
    if (r.answered_status >= 200 && r.answered_status < 300) out.push_back(ParsePayload(r.body));
  }
  return out;
}

// Polls `condition` every 100 ms for at most `timeout`.
template <typename F>
bool WaitUntil(F condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

// Parses Go's RFC 3339 time (UTC, optional fraction) to Unix ms.
int64_t ParseRfc3339Ms(const std::string& s) {
  std::tm tm{};
  std::istringstream in(s.substr(0, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (s.size() > 20 && s[19] == '.') {
    std::string frac = s.substr(20, 3);
    while (frac.size() < 3 || !std::isdigit(static_cast<unsigned char>(frac.back()))) {
      if (!frac.empty() && !std::isdigit(static_cast<unsigned char>(frac.back()))) frac.pop_back();
      frac += '0';
    }
    ms += std::stoi(frac.substr(0, 3));
  }
  return ms;
}

class AlertingTest : public ::testing::Test {
 protected:
  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_.Sub(name)) << text;
  }

  // Writes the config and starts sluice; returns its port (0 on failure).
  uint16_t StartSluice(const std::string& extra_alerting = "") {
    WriteFile("sluice.yaml", fmt::format(R"(server:
  http_listen: 127.0.0.1:0
  tcp_listen: ""
storage:
  data_dir: {0}/data
alerting:
  rule_files: [{0}/promql-rules.yml]
  logql_rule_files: [{0}/logql-rules.yml]
  evaluation_interval: 1s
  resend_delay: 1s
  external_url: http://sluice.test:3100
  external_labels:
    cluster: test
  notifications_file: {0}/notify.yml
{1})",
                                         dir_.path(), extra_alerting));
    std::string log = dir_.Sub(fmt::format("sluice-{}.err", ++generation_));
    sluice_ = std::make_unique<Subprocess>(
        std::vector<std::string>{SLUICE_BINARY, "--config", dir_.Sub("sluice.yaml")},
        dir_.Sub("sluice.out"), log);
    log_ = log;
    return testing::WaitForSluicePort(log, 30s);
  }

  std::string WebhookConfig(uint16_t port) {
    return fmt::format(R"(route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: oncall
    webhook_configs:
      - url: http://127.0.0.1:{}/hook
)",
                       port);
  }

  bool ImportMetric(uint16_t port, const std::string& labels, double value) {
    testing::TestHttpClient client(port);
    auto r = client.Request("POST", "/api/v1/import",
                            fmt::format(R"({{"metric":{{{}}},"values":[{}],"timestamps":[{}]}})",
                                        labels, value, NowMs()) +
                                "\n");
    return r && r->status == 204;
  }

  bool PushLogs(uint16_t port, const std::string& app, int n, const std::string& text) {
    std::string values;
    for (int i = 0; i < n; ++i) {
      if (i > 0) values += ",";
      values += fmt::format(R"(["{}","{} {}"])", NowMs() * 1'000'000 + i, text, i);
    }
    testing::TestHttpClient client(port);
    auto r = client.Request(
        "POST", "/loki/api/v1/push",
        fmt::format(R"({{"streams":[{{"stream":{{"app":"{}"}},"values":[{}]}}]}})", app, values),
        {{"Content-Type", "application/json"}});
    return r && r->status == 204;
  }

  std::string Get(uint16_t port, const std::string& target) {
    testing::TestHttpClient client(port);
    auto r = client.Request("GET", target);
    return r ? r->body : "";
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> sluice_;
  std::string log_;
  int generation_ = 0;
};

constexpr char kPromqlRules[] = R"(groups:
  - name: queues
    interval: 1s
    rules:
      - record: queue:length:max
        expr: max by (queue) (queue_length)
      - alert: QueueTooLong
        expr: queue:length:max > 100
        for: 2s
        labels:
          severity: page
        annotations:
          summary: "queue {{ $labels.queue }} holds {{ $value }} in {{ $externalLabels.cluster }}"
)";

constexpr char kLogqlRules[] = R"(groups:
  - name: payments
    interval: 1s
    rules:
      - alert: PaymentErrors
        expr: sum by (app) (count_over_time({app="payments"} |= "error" [5m])) > 2
        labels:
          severity: ticket
        annotations:
          summary: "{{ $value }} payment errors"
)";

TEST_F(AlertingTest, RulesFireThroughAFlakyWebhookAndARealAlertmanager) {
  // The on-call webhook fails its first 3 requests.
  WebhookReceiver oncall([](size_t n) { return n < 3 ? 500 : 200; });
  // The real Alertmanager, with its own webhook.
  WebhookReceiver am_hook;
  uint16_t am_port = testing::PickFreePort();
  ASSERT_GT(am_port, 0);
  WriteFile("alertmanager.yml", fmt::format(R"(route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{}/am
)",
                                            am_hook.port()));
  std::filesystem::create_directories(dir_.Sub("am-data"));
  Subprocess alertmanager(
      {"/usr/bin/prometheus-alertmanager", "--config.file=" + dir_.Sub("alertmanager.yml"),
       "--storage.path=" + dir_.Sub("am-data"),
       fmt::format("--web.listen-address=127.0.0.1:{}", am_port), "--cluster.listen-address="},
      dir_.Sub("am.out"), dir_.Sub("am.err"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        testing::TestHttpClient c(am_port, 1s);
        auto r = c.connected() ? c.Request("GET", "/-/ready") : std::nullopt;
        return r && r->status == 200;
      },
      30s))
      << testing::ReadFileTail(dir_.Sub("am.err"));

  WriteFile("promql-rules.yml", kPromqlRules);
  WriteFile("logql-rules.yml", kLogqlRules);
  WriteFile("notify.yml", WebhookConfig(oncall.port()));
  uint16_t port = StartSluice(fmt::format("  alertmanagers: [http://127.0.0.1:{}]\n", am_port));
  ASSERT_GT(port, 0) << testing::ReadFileTail(log_);

  ASSERT_TRUE(ImportMetric(port, R"("__name__":"queue_length","queue":"orders","pod":"a")", 150));
  ASSERT_TRUE(PushLogs(port, "payments", 5, "payment error: card declined"));
  ASSERT_TRUE(PushLogs(port, "payments", 5, "payment ok"));

  // Both groups notified, each exactly once, after the webhook's failures were retried.
  ASSERT_TRUE(WaitUntil([&] { return Delivered(oncall).size() >= 2; }, 40s))
      << "requests: " << oncall.requests().size() << "\n"
      << testing::ReadFileTail(log_);
  std::this_thread::sleep_for(3s);  // a duplicate would come within a group interval or two
  std::vector<Payload> delivered = Delivered(oncall);
  ASSERT_EQ(delivered.size(), 2u) << testing::ReadFileTail(log_);
  EXPECT_GE(oncall.requests().size(), 5u);  // 3 refused, then the two that passed
  std::map<std::string, Payload> by_alert;
  std::string bodies;
  for (const ReceivedRequest& r : oncall.requests()) bodies += r.body;
  SCOPED_TRACE(bodies);
  for (const Payload& p : delivered) {
    ASSERT_EQ(p.alertnames.size(), 1u);
    EXPECT_EQ(p.status, "firing");
    EXPECT_EQ(p.receiver, "oncall");
    by_alert[p.alertnames[0]] = p;
  }
  ASSERT_TRUE(by_alert.contains("QueueTooLong"));
  ASSERT_TRUE(by_alert.contains("PaymentErrors"));
  EXPECT_EQ(by_alert["QueueTooLong"].group_key, R"({}:{alertname="QueueTooLong"})");
  EXPECT_EQ(by_alert["QueueTooLong"].common_labels,
            (std::map<std::string, std::string>{{"alertname", "QueueTooLong"},
                                                {"cluster", "test"},
                                                {"queue", "orders"},
                                                {"severity", "page"}}));
  EXPECT_EQ(by_alert["QueueTooLong"].common_annotations["summary"],
            "queue orders holds 150 in test");
  EXPECT_EQ(by_alert["PaymentErrors"].common_labels["app"], "payments");
  EXPECT_EQ(by_alert["PaymentErrors"].common_annotations["summary"], "5 payment errors");

  // The rule APIs and the ALERTS series say the same.
  std::string rules = Get(port, "/api/v1/rules");
  EXPECT_THAT(rules, ::testing::HasSubstr(R"("name":"QueueTooLong")"));
  EXPECT_THAT(rules, ::testing::HasSubstr(R"("state":"firing")"));
  EXPECT_THAT(Get(port, "/prometheus/api/v1/rules"),
              ::testing::HasSubstr(R"("name":"PaymentErrors")"));
  EXPECT_THAT(Get(port, "/api/v1/query?query=ALERTS%7Balertstate%3D%22firing%22%7D"),
              ::testing::HasSubstr(R"("alertname":"QueueTooLong")"));
  EXPECT_THAT(Get(port, "/api/v1/query?query=queue:length:max"),
              ::testing::HasSubstr(R"("value":[)"));

  // The real Alertmanager got both alerts and notified its own webhook.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::set<std::string> names;
        for (const Payload& p : Delivered(am_hook))
          names.insert(p.alertnames.begin(), p.alertnames.end());
        return names.contains("QueueTooLong") && names.contains("PaymentErrors");
      },
      30s))
      << testing::ReadFileTail(dir_.Sub("am.err"));
  for (Payload& p : Delivered(am_hook)) {
    if (p.alertnames == std::vector<std::string>{"QueueTooLong"}) {
      EXPECT_EQ(p.common_labels["cluster"], "test");
      EXPECT_EQ(p.common_annotations["summary"], "queue orders holds 150 in test");
    }
  }

  // The queue drains: one resolved notification to on-call, and Alertmanager resolves too.
  ASSERT_TRUE(ImportMetric(port, R"("__name__":"queue_length","queue":"orders","pod":"a")", 3));
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const Payload& p : Delivered(oncall)) {
          if (p.status == "resolved") return true;
        }
        return false;
      },
      30s));
  std::this_thread::sleep_for(3s);
  int resolved = 0;
  for (const Payload& p : Delivered(oncall)) {
    if (p.status == "resolved") {
      ++resolved;
      EXPECT_EQ(p.alertnames, std::vector<std::string>{"QueueTooLong"});
    }
  }
  EXPECT_EQ(resolved, 1);
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (const Payload& p : Delivered(am_hook)) {
          if (p.status == "resolved" && p.alertnames == std::vector<std::string>{"QueueTooLong"}) {
            return true;
          }
        }
        return false;
      },
      30s));
}

TEST_F(AlertingTest, KillWhilePendingFiresOnTimeAndARestartDoesNotPageAgain) {
  WebhookReceiver oncall;
  WriteFile("promql-rules.yml", R"(groups:
  - name: disk
    interval: 1s
    rules:
      - alert: DiskFull
        expr: disk_used_ratio > 0.9
        for: 8s
)");
  WriteFile("logql-rules.yml", "groups: []\n");
  WriteFile("notify.yml", WebhookConfig(oncall.port()));
  uint16_t port = StartSluice();
  ASSERT_GT(port, 0) << testing::ReadFileTail(log_);
  ASSERT_TRUE(ImportMetric(port, R"("__name__":"disk_used_ratio","device":"sda")", 0.95));

  // Pending: note when it became active, then kill -9 a few seconds into its `for`.
  std::string active_at;
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string alerts = Get(port, "/api/v1/alerts");
        size_t at = alerts.find(R"("activeAt":")");
        if (alerts.find(R"("state":"pending")") == std::string::npos || at == std::string::npos) {
          return false;
        }
        active_at = alerts.substr(at + 12, alerts.find('"', at + 12) - at - 12);
        return true;
      },
      20s))
      << testing::ReadFileTail(log_);
  const int64_t active_ms = ParseRfc3339Ms(active_at);
  std::this_thread::sleep_for(3s);
  sluice_->Signal(SIGKILL);
  ASSERT_TRUE(sluice_->Wait(10s).has_value());
  EXPECT_TRUE(oncall.requests().empty());

  port = StartSluice();
  ASSERT_GT(port, 0) << testing::ReadFileTail(log_);
  // Still pending with the same activeAt: the `for` continues.
  EXPECT_THAT(Get(port, "/api/v1/alerts"), ::testing::HasSubstr(active_at));
  ASSERT_TRUE(oncall.WaitFor2xx(1, 30s)) << testing::ReadFileTail(log_);
  std::vector<Payload> delivered = Delivered(oncall);
  ASSERT_EQ(delivered.size(), 1u);
  ASSERT_EQ(delivered[0].starts_at.size(), 1u);
  // Fired 8 s after it became active (plus at most two evaluation intervals), not 8 s after the
  // restart.
  const int64_t fired_ms = ParseRfc3339Ms(delivered[0].starts_at[0]);
  EXPECT_GE(fired_ms - active_ms, 8000);
  EXPECT_LE(fired_ms - active_ms, 10'500) << delivered[0].starts_at[0] << " vs " << active_at;

  // Killed again after the page: the restarted Sluice remembers it paged.
  std::this_thread::sleep_for(1s);
  sluice_->Signal(SIGKILL);
  ASSERT_TRUE(sluice_->Wait(10s).has_value());
  port = StartSluice();
  ASSERT_GT(port, 0) << testing::ReadFileTail(log_);
  std::this_thread::sleep_for(6s);
  EXPECT_THAT(Get(port, "/api/v1/alerts"), ::testing::HasSubstr(R"("state":"firing")"));
  EXPECT_EQ(Delivered(oncall).size(), 1u) << testing::ReadFileTail(log_);

  // SIGHUP with a rule added: the new rule runs, DiskFull keeps its state and pages nobody.
  WriteFile("promql-rules.yml", R"(groups:
  - name: disk
    interval: 1s
    rules:
      - alert: DiskFull
        expr: disk_used_ratio > 0.9
        for: 8s
      - record: disk:used:max
        expr: max(disk_used_ratio)
)");
  sluice_->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return Get(port, "/api/v1/rules").find("disk:used:max") != std::string::npos; }, 10s))
      << testing::ReadFileTail(log_);
  std::this_thread::sleep_for(3s);
  std::string alerts = Get(port, "/api/v1/alerts");
  EXPECT_THAT(alerts, ::testing::HasSubstr(active_at));
  EXPECT_THAT(alerts, ::testing::HasSubstr(R"("state":"firing")"));
  EXPECT_EQ(Delivered(oncall).size(), 1u);
}

TEST_F(AlertingTest, CheckRulesValidatesLikePromtool) {
  WriteFile("good.yml", kPromqlRules);
  WriteFile("bad.yml",
            "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: 'sum('\n");
  WriteFile("loki.yml", kLogqlRules);
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), SLUICE_BINARY);
    Subprocess p(args, dir_.Sub("check.out"), dir_.Sub("check.err"));
    auto code = p.Wait(30s);
    return std::pair{code.value_or(-1), testing::ReadFile(dir_.Sub("check.out"))};
  };
  auto [good_code, good_out] = run({"--check-rules", dir_.Sub("good.yml")});
  EXPECT_EQ(good_code, 0);
  EXPECT_THAT(good_out, ::testing::HasSubstr("SUCCESS: 2 rules found"));
  auto [bad_code, bad_out] = run({"--check-rules", dir_.Sub("bad.yml")});
  EXPECT_EQ(bad_code, 1);
  EXPECT_THAT(bad_out, ::testing::HasSubstr("FAILED"));
  EXPECT_THAT(bad_out, ::testing::HasSubstr("bad.yml:5:15"));
  auto [loki_code, loki_out] =
      run({"--check-rules", dir_.Sub("loki.yml"), "--rules-language", "logql"});
  EXPECT_EQ(loki_code, 0) << loki_out;
  // The same file is not PromQL.
  EXPECT_EQ(run({"--check-rules", dir_.Sub("loki.yml")}).first, 1);
}

}  // namespace
}  // namespace sluice

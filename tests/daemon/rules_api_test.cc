// The rule APIs as Grafana reads them (../shared/grafana-contract.md §2.11, §3.8, §4.5: L26, L28,
// P14): Prometheus' JSON shapes for the PromQL groups on /api/v1/*, the LogQL groups on
// /prometheus/api/v1/*, Loki's ruler listing in YAML, and the read-only ruler answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/support/daemon_fixture.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class RulesApiTest : public DaemonTest {
 protected:
  void StartWithRules() {
    std::ofstream(dir_.Sub("rules.yml")) << R"(groups:
  - name: queues
    interval: 1s
    rules:
      - record: queue:length:max
        expr: max by (queue) (queue_length)
        labels:
          source: rule
      - alert: QueueTooLong
        expr: queue:length:max > 100
        for: 1h
        keep_firing_for: 5m
        labels:
          severity: page
        annotations:
          summary: "queue {{ $labels.queue }} holds {{ $value }}"
)";
    std::ofstream(dir_.Sub("loki.yml")) << R"(groups:
  - name: payments
    interval: 1s
    rules:
      - alert: PaymentErrors
        expr: sum by (app) (count_over_time({app="payments"} |= "error" [5m])) > 2
)";
    Start("alerting:\n  rule_files: [" + dir_.Sub("rules.yml") + "]\n  logql_rule_files: [" +
          dir_.Sub("loki.yml") + "]\n");
  }

  void ImportQueueLength(double value) {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto r = Call("POST", "/api/v1/import",
                  R"({"metric":{"__name__":"queue_length","queue":"orders"},"values":[)" +
                      std::to_string(value) + R"(],"timestamps":[)" + std::to_string(now) + "]}\n");
    ASSERT_EQ(r->status, 204) << r->body;
  }

  // Waits (at most 20 s) until the QueueTooLong alert is listed.
  bool WaitForAlert() {
    for (int i = 0; i < 200; ++i) {
      auto r = Get("/api/v1/alerts");
      if (r->body.find("QueueTooLong") != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

TEST_F(RulesApiTest, PrometheusShapesForRulesAndAlerts) {
  ASSERT_NO_FATAL_FAILURE(StartWithRules());
  ASSERT_NO_FATAL_FAILURE(ImportQueueLength(150));
  ASSERT_TRUE(WaitForAlert());

  auto rules = Get("/api/v1/rules");
  ASSERT_EQ(rules->status, 200);
  EXPECT_THAT(rules->content_type, HasSubstr("json"));
  EXPECT_EQ(rules->Status(), "success");
  simdjson::dom::array groups = rules->Data()["groups"].get_array();
  ASSERT_EQ(groups.size(), 1u);
  simdjson::dom::element g = groups.at(0);
  EXPECT_EQ(std::string_view(g["name"]), "queues");
  EXPECT_EQ(std::string_view(g["file"]), dir_.Sub("rules.yml"));
  EXPECT_EQ(double(g["interval"]), 1.0);
  EXPECT_EQ(int64_t(g["limit"]), 0);
  EXPECT_TRUE(g["evaluationTime"].is_double());
  simdjson::dom::array group_rules = g["rules"];
  ASSERT_EQ(group_rules.size(), 2u);

  simdjson::dom::element record = group_rules.at(0);
  EXPECT_EQ(std::string_view(record["type"]), "recording");
  EXPECT_EQ(std::string_view(record["name"]), "queue:length:max");
  EXPECT_EQ(std::string_view(record["query"]), "max by (queue) (queue_length)");
  EXPECT_EQ(std::string_view(record["health"]), "ok");
  EXPECT_EQ(std::string_view(record["labels"]["source"]), "rule");
  EXPECT_TRUE(record["state"].error());  // only alerting rules have a state
  // lastEvaluation is RFC 3339 (Grafana decodes it as Go's time.Time).
  std::string_view last = record["lastEvaluation"];
  EXPECT_EQ(last.substr(4, 1), "-");
  EXPECT_EQ(last.back(), 'Z');
  EXPECT_NE(last.substr(0, 4), "0001");

  simdjson::dom::element alert = group_rules.at(1);
  EXPECT_EQ(std::string_view(alert["type"]), "alerting");
  EXPECT_EQ(std::string_view(alert["state"]), "pending");
  EXPECT_EQ(double(alert["duration"]), 3600.0);
  EXPECT_EQ(double(alert["keepFiringFor"]), 300.0);
  EXPECT_EQ(std::string_view(alert["labels"]["severity"]), "page");
  EXPECT_EQ(std::string_view(alert["annotations"]["summary"]),
            "queue {{ $labels.queue }} holds {{ $value }}");
  simdjson::dom::array instances = alert["alerts"];
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(std::string_view(instances.at(0)["state"]), "pending");
  EXPECT_EQ(std::string_view(instances.at(0)["value"]), "1.5000000000e+02");
  EXPECT_EQ(std::string_view(instances.at(0)["annotations"]["summary"]), "queue orders holds 150");
  EXPECT_EQ(std::string_view(instances.at(0)["labels"]["alertname"]), "QueueTooLong");

  auto alerts = Get("/api/v1/alerts");
  ASSERT_EQ(alerts->Status(), "success");
  simdjson::dom::array listed = alerts->Data()["alerts"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(std::string_view(listed.at(0)["labels"]["queue"]), "orders");
  EXPECT_EQ(std::string_view(listed.at(0)["state"]), "pending");
  EXPECT_THAT(std::string(std::string_view(listed.at(0)["activeAt"])), HasSubstr("T"));

  // Filters.
  auto only_records = Get("/api/v1/rules?type=record");
  EXPECT_EQ(simdjson::dom::array(only_records->Data()["groups"].at(0)["rules"]).size(), 1u);
  auto by_name = Get("/api/v1/rules?rule_name[]=QueueTooLong&exclude_alerts=true");
  simdjson::dom::element named = by_name->Data()["groups"].at(0)["rules"].at(0);
  EXPECT_EQ(std::string_view(named["name"]), "QueueTooLong");
  EXPECT_TRUE(named["alerts"].error());
  EXPECT_EQ(simdjson::dom::array(Get("/api/v1/rules?rule_group[]=other")->Data()["groups"]).size(),
            0u);
  auto bad = Get("/api/v1/rules?type=foo");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->ErrorType(), "bad_data");
}

TEST_F(RulesApiTest, LokiDataSourceSeesTheLogqlGroups) {
  ASSERT_NO_FATAL_FAILURE(StartWithRules());
  auto rules = Get("/prometheus/api/v1/rules?group_limit=100&exclude_alerts=false");
  ASSERT_EQ(rules->Status(), "success");
  simdjson::dom::array groups = rules->Data()["groups"];
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(std::string_view(groups.at(0)["name"]), "payments");
  EXPECT_EQ(std::string_view(groups.at(0)["rules"].at(0)["type"]), "alerting");
  EXPECT_EQ(Get("/prometheus/api/v1/alerts")->Status(), "success");

  auto yaml = Get("/loki/api/v1/rules");
  ASSERT_EQ(yaml->status, 200);
  EXPECT_THAT(yaml->content_type, HasSubstr("yaml"));
  EXPECT_THAT(yaml->body, HasSubstr("- name: \"payments\""));
  EXPECT_THAT(yaml->body, HasSubstr("alert: \"PaymentErrors\""));
  EXPECT_EQ(Get("/api/prom/rules")->body, yaml->body);

  // Rules are files: Grafana's ruler probe reads this as "read-only", as with Loki's local store.
  auto probe = Get("/api/prom/rules/test/test");
  EXPECT_EQ(probe->status, 400);
  EXPECT_THAT(probe->body, HasSubstr("GetRuleGroup unsupported in rule local store"));
  EXPECT_EQ(Call("POST", "/loki/api/v1/rules/ns", "name: x\n")->status, 400);
  EXPECT_EQ(Call("DELETE", "/loki/api/v1/rules/ns/x")->status, 400);
}

TEST_F(RulesApiTest, WithoutRulesEverythingIsEmpty) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (const char* target : {"/api/v1/rules", "/prometheus/api/v1/rules"}) {
    auto r = Get(target);
    ASSERT_EQ(r->Status(), "success") << target;
    EXPECT_EQ(simdjson::dom::array(r->Data()["groups"]).size(), 0u);
  }
  EXPECT_EQ(Get("/api/v1/alerts")->body, R"({"status":"success","data":{"alerts":[]}})");
  auto yaml = Get("/loki/api/v1/rules");
  EXPECT_EQ(yaml->status, 404);
  EXPECT_THAT(yaml->body, HasSubstr("no rule groups found"));
}

}  // namespace
}  // namespace sluice::testing

// Per-tenant query limits: the table the query APIs look them up in, then each limit through a
// running daemon: a tenant's own values (tenants.overrides) apply to it alone, refusals keep
// Loki's and Prometheus' wording and codes and name the limit, they are counted in
// sluice_query_limited_total, and a reload applies new values at once.
#include "daemon/api/query_limits.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "tests/support/daemon_fixture.h"
#include "tests/support/metrics_export.h"

namespace sluice::daemon {
namespace {

using ::testing::HasSubstr;
using testing::UrlEncode;
using namespace std::chrono_literals;

TEST(QueryLimitsTable, ATenantGetsItsOverrideElseTheDefaults) {
  QueryLimitsTable table;
  EXPECT_EQ(table.For("any").max_entries, 5000u);  // QueryLimits' defaults before Set
  QueryLimits defaults;
  defaults.max_entries = 100;
  QueryLimits roomy = defaults;
  roomy.max_entries = 10'000;
  roomy.timeout = 5min;
  table.Set(defaults, {{"roomy", roomy}});
  EXPECT_EQ(table.For("a").max_entries, 100u);
  EXPECT_EQ(table.For("a").timeout, 2min);
  EXPECT_EQ(table.For("roomy").max_entries, 10'000u);
  EXPECT_EQ(table.For("roomy").timeout, 5min);
  table.Set(QueryLimits{});
  EXPECT_EQ(table.For("roomy").max_entries, 5000u);
}

TEST(QueryLimitsTable, CountsRefusalsByApiAndLimit) {
  prometheus::Registry registry;
  QueryLimitsTable table(&registry);
  table.CountRefusal(QueryApi::kLoki, QueryLimit::kMaxEntries);
  table.CountRefusal(QueryApi::kLoki, QueryLimit::kMaxEntries);
  table.CountRefusal(QueryApi::kPrometheus, QueryLimit::kTimeout);
  double loki_entries = -1, prometheus_timeout = -1, prometheus_entries = -1;
  for (const auto& family : registry.Collect()) {
    if (family.name != "sluice_query_limited_total") continue;
    for (const auto& metric : family.metric) {
      std::string api, limit;
      for (const auto& label : metric.label) {
        (label.name == "api" ? api : limit) = label.value;
      }
      if (api == "loki" && limit == "max_entries_limit_per_query") {
        loki_entries = metric.counter.value;
      }
      if (api == "prometheus" && limit == "query_timeout")
        prometheus_timeout = metric.counter.value;
      if (api == "prometheus" && limit == "max_entries_limit_per_query") prometheus_entries = 0;
    }
  }
  EXPECT_EQ(loki_entries, 2);
  EXPECT_EQ(prometheus_timeout, 1);
  EXPECT_EQ(prometheus_entries, -1) << "only the limits an API has are exported";
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "small" has tight query limits of its own; everyone else has the defaults.
constexpr std::string_view kConfig = R"(limits:
  max_entries_limit_per_query: 1000
tenants:
  overrides:
    small:
      max_entries_limit_per_query: 10
      max_query_length: 2h
      max_query_series: 1
      max_fetched_series_per_query: 1
)";

class QueryLimitsTest : public testing::DaemonTest {
 protected:
  // Two streams (and two series) for `tenant`, stamped a minute ago.
  void Seed(const std::string& tenant) {
    int64_t ts = NowNs() - 60'000'000'000;
    PushLoki(
        fmt::format(R"({{"streams":[{{"stream":{{"app":"x","pod":"a"}},"values":[["{}","a"]]}},)"
                    R"({{"stream":{{"app":"x","pod":"b"}},"values":[["{}","b"]]}}]}})",
                    ts, ts),
        {{"X-Scope-OrgID", tenant}});
    int64_t ms = ts / 1'000'000;
    auto imported = Call("POST", "/api/v1/import",
                         fmt::format(R"({{"metric":{{"__name__":"up","pod":"a"}},"values":[1],)"
                                     R"("timestamps":[{}]}})"
                                     "\n"
                                     R"({{"metric":{{"__name__":"up","pod":"b"}},"values":[1],)"
                                     R"("timestamps":[{}]}})"
                                     "\n",
                                     ms, ms),
                         {{"X-Scope-OrgID", tenant}});
    ASSERT_EQ(imported->status, 204) << imported->body;
  }

  std::unique_ptr<testing::JsonReply> LokiRange(const std::string& tenant, const std::string& query,
                                                const std::string& extra = "",
                                                const std::string& since = "1h") {
    return Get(
        fmt::format("/loki/api/v1/query_range?query={}&since={}{}", UrlEncode(query), since, extra),
        {{"X-Scope-OrgID", tenant}});
  }

  std::unique_ptr<testing::JsonReply> PromQuery(const std::string& tenant,
                                                const std::string& query) {
    return Get(fmt::format("/api/v1/query?query={}", UrlEncode(query)),
               {{"X-Scope-OrgID", tenant}});
  }

  // The /metrics line of the series `series` (its name and labels), "" when absent.
  std::string MetricLine(const std::string& series) {
    std::string body = Get("/metrics")->body;
    size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    return body.substr(at + 1, body.find('\n', at + 1) - at - 1);
  }
};

TEST_F(QueryLimitsTest, LokiLimitsAreTheTenantsOwnAndNameThemselves) {
  ASSERT_NO_FATAL_FAILURE(Start(std::string(kConfig)));
  ASSERT_NO_FATAL_FAILURE(Seed("small"));
  ASSERT_NO_FATAL_FAILURE(Seed("other"));

  // max_entries_limit_per_query: 10 for small, 1000 (limits:) for the others.
  auto entries = LokiRange("small", R"({app="x"})", "&limit=11");
  EXPECT_EQ(entries->status, 400);
  EXPECT_EQ(
      entries->body,
      "max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10)\n");
  EXPECT_EQ(LokiRange("small", R"({app="x"})", "&limit=10")->status, 200);
  EXPECT_EQ(LokiRange("other", R"({app="x"})", "&limit=1000")->status, 200);
  EXPECT_EQ(LokiRange("other", R"({app="x"})", "&limit=1001")->status, 400);

  // max_query_length: 2h for small, Loki's 721h for the others.
  auto length = LokiRange("small", R"({app="x"})", "", "3h");
  EXPECT_EQ(length->status, 400);
  EXPECT_EQ(length->body,
            "the query time range exceeds the limit (query length: 3h0m0s, limit: 2h0m0s) "
            "(limits.max_query_length)\n");
  EXPECT_EQ(LokiRange("other", R"({app="x"})", "", "3h")->status, 200);

  // max_query_series: a metric query's result; 1 for small, Loki's 500 for the others.
  const std::string by_pod = R"(sum by (pod) (count_over_time({app="x"}[1h])))";
  auto series = LokiRange("small", by_pod, "&step=60");
  EXPECT_EQ(series->status, 400);
  EXPECT_EQ(series->body,
            "maximum of series (1) reached for a single query (limits.max_query_series)\n");
  EXPECT_EQ(LokiRange("small", R"(sum(count_over_time({app="x"}[1h])))", "&step=60")->status, 200);
  EXPECT_EQ(LokiRange("other", by_pod, "&step=60")->status, 200);

  // detected_fields reads at most max_entries_limit_per_query lines too.
  auto fields =
      Get("/loki/api/v1/detected_fields?query=" + UrlEncode(R"({app="x"})") + "&line_limit=11",
          {{"X-Scope-OrgID", "small"}});
  EXPECT_EQ(fields->status, 400);
  EXPECT_THAT(fields->body, HasSubstr("max_entries_limit_per_query (11 > 10)"));

  const std::string loki = R"(sluice_query_limited_total{api="loki",limit=)";
  EXPECT_EQ(MetricLine(loki + R"("max_entries_limit_per_query"})"),
            loki + R"("max_entries_limit_per_query"} 3)");
  EXPECT_EQ(MetricLine(loki + R"("max_query_length"})"), loki + R"("max_query_length"} 1)");
  EXPECT_EQ(MetricLine(loki + R"("max_query_series"})"), loki + R"("max_query_series"} 1)");
}

TEST_F(QueryLimitsTest, PrometheusFetchedSeriesAreTheTenantsOwn) {
  ASSERT_NO_FATAL_FAILURE(Start(std::string(kConfig)));
  ASSERT_NO_FATAL_FAILURE(Seed("small"));
  ASSERT_NO_FATAL_FAILURE(Seed("other"));
  auto refused = PromQuery("small", "up");
  EXPECT_EQ(refused->status, 422);
  EXPECT_EQ(refused->ErrorType(), "execution");
  EXPECT_EQ(refused->Error(),
            "query processing would select more than 1 series "
            "(limits.max_fetched_series_per_query)");
  EXPECT_EQ(PromQuery("small", R"(up{pod="a"})")->status, 200);
  auto other = PromQuery("other", "up");
  ASSERT_EQ(other->status, 200) << other->body;
  EXPECT_EQ(other->Data()["result"].get_array().size(), 2u);
  const std::string series =
      R"(sluice_query_limited_total{api="prometheus",limit="max_fetched_series_per_query"})";
  EXPECT_EQ(MetricLine(series), series + " 1");
}

TEST_F(QueryLimitsTest, QueryTimeoutIsTheTenantsOwn) {
  // 1ms is far less than the query below takes; the request's deadline starts when it arrives.
  ASSERT_NO_FATAL_FAILURE(Start("tenants:\n  overrides:\n    small: {query_timeout: 1ms}\n"));
  int64_t ts = NowNs() - 60'000'000'000;
  std::string values;
  for (int i = 0; i < 20'000; ++i) {
    values +=
        fmt::format(R"({}["{}","line {} with some words to match"])", i ? "," : "", ts + i, i);
  }
  for (const char* tenant : {"small", "other"}) {
    for (int stream = 0; stream < 5; ++stream) {
      PushLoki(fmt::format(R"({{"streams":[{{"stream":{{"app":"x","n":"{}"}},"values":[{}]}}]}})",
                           stream, values),
               {{"X-Scope-OrgID", tenant}});
    }
  }
  // 100,000 lines filtered and parsed: tens of milliseconds even in Release.
  const std::string query =
      R"(sum(count_over_time({app="x"} |~ "w.*s" | regexp "line (?P<i>[0-9]+) with" [1h])))";
  auto timed_out = LokiRange("small", query, "&step=60");
  EXPECT_EQ(timed_out->status, 504);
  EXPECT_THAT(timed_out->body, HasSubstr("timed out"));
  EXPECT_THAT(timed_out->body, HasSubstr("(limits.query_timeout)"));
  EXPECT_EQ(LokiRange("other", query, "&step=60")->status, 200);
  const std::string timeouts = R"(sluice_query_limited_total{api="loki",limit="query_timeout"})";
  EXPECT_EQ(MetricLine(timeouts), timeouts + " 1");
}

TEST_F(QueryLimitsTest, PrometheusTimeoutNamesTheLimitOnlyWhenTheLimitEndedIt) {
  ASSERT_NO_FATAL_FAILURE(Start("tenants:\n  overrides:\n    small: {query_timeout: 1ms}\n"));
  // Ten series with a sample a second over the last ~3 hours.
  int64_t now_ms = NowNs() / 1'000'000;
  std::string values, timestamps;
  for (int i = 0; i < 10'000; ++i) {
    values += fmt::format("{}{}", i ? "," : "", i);
    timestamps += fmt::format("{}{}", i ? "," : "", now_ms - 10'000'000 + i * 1000);
  }
  std::string body;
  for (int series = 0; series < 10; ++series) {
    body += fmt::format(R"({{"metric":{{"__name__":"m","i":"{}"}},"values":[{}],)"
                        R"("timestamps":[{}]}})",
                        series, values, timestamps) +
            "\n";
  }
  for (const char* tenant : {"small", "other"}) {
    auto imported = Call("POST", "/api/v1/import", body, {{"X-Scope-OrgID", tenant}});
    ASSERT_EQ(imported->status, 204) << imported->body;
  }
  // Each of the 1,000 steps ranks all 10,000 samples of each series (a 3h window): about 80 ms in
  // Release (sliding sums make count_over_time or rate far cheaper), so the limit ends it.
  const std::string range = fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=10",
                                        UrlEncode("quantile_over_time(0.5, m[3h])"),
                                        (now_ms - 10'000'000) / 1000, now_ms / 1000);
  auto timed_out = Get(range, {{"X-Scope-OrgID", "small"}});
  EXPECT_EQ(timed_out->status, 503);
  EXPECT_EQ(timed_out->ErrorType(), "timeout");
  EXPECT_THAT(std::string(timed_out->Error()), HasSubstr("(limits.query_timeout)"));
  EXPECT_EQ(Get(range, {{"X-Scope-OrgID", "other"}})->status, 200);
  // A request's own shorter timeout is not the limit's doing.
  auto asked = Get(range + "&timeout=0", {{"X-Scope-OrgID", "other"}});
  EXPECT_EQ(asked->ErrorType(), "timeout");
  EXPECT_THAT(std::string(asked->Error()), ::testing::Not(HasSubstr("limits.")));
  const std::string timeouts =
      R"(sluice_query_limited_total{api="prometheus",limit="query_timeout"})";
  EXPECT_EQ(MetricLine(timeouts), timeouts + " 1");
}

TEST_F(QueryLimitsTest, AReloadAppliesNewLimitsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartWithConfigFile(std::string(kConfig)));
  ASSERT_NO_FATAL_FAILURE(Seed("small"));
  EXPECT_EQ(LokiRange("small", R"({app="x"})", "&limit=20")->status, 400);
  EXPECT_EQ(PromQuery("small", "up")->status, 422);
  std::ofstream(config_path()) << "tenants:\n  overrides:\n    small:\n"
                                  "      max_entries_limit_per_query: 20\n";
  ASSERT_EQ(Call("POST", "/-/reload")->status, 200);
  EXPECT_EQ(LokiRange("small", R"({app="x"})", "&limit=20")->status, 200);
  EXPECT_EQ(PromQuery("small", "up")->status, 200);
  // The older name, under query:, still sets the default every tenant starts from.
  std::ofstream(config_path()) << "query:\n  max_entries_limit_per_query: 5\n";
  ASSERT_EQ(Call("POST", "/-/reload")->status, 200);
  EXPECT_EQ(LokiRange("small", R"({app="x"})", "&limit=6")->status, 400);
  EXPECT_EQ(LokiRange("other", R"({app="x"})", "&limit=6")->status, 400);
}

}  // namespace
}  // namespace sluice::daemon

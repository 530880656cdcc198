// Per-tenant ingest limits through a running daemon. A tenant over its rate gets 503 with
// Retry-After naming the limit (what every shipper retries). A tenant at its stream (series) cap
// gets Loki's 429 on Loki's push API, 503 with Retry-After elsewhere, for a request that would
// add a stream (series), and goes on writing to those it has. Nothing of a refused request is
// stored, other tenants and overridden tenants write on, and the refusals are counted.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "tests/support/daemon_fixture.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TenantLimitsTest : public DaemonTest {
 protected:
  void StartLimited() {
    // One byte per second refills nothing within the test: the burst is what a tenant has.
    Start(R"(limits:
  ingest_rate_bytes: 1
  ingest_burst_bytes: 100
  ingest_rate_samples: 1
  ingest_burst_samples: 5
tenants:
  overrides:
    big:
      ingest_rate_bytes: 0
      ingest_rate_samples: 0
)");
  }

  std::unique_ptr<JsonReply> Push(const std::string& tenant, size_t line_bytes) {
    std::string body =
        fmt::format(R"({{"streams":[{{"stream":{{"app":"x"}},"values":[["{}","{}"]]}}]}})", NowNs(),
                    std::string(line_bytes, 'x'));
    return Call("POST", "/loki/api/v1/push", body,
                {{"Content-Type", "application/json"}, {"X-Scope-OrgID", tenant}});
  }

  std::unique_ptr<JsonReply> PushTo(const std::string& tenant, const std::string& app) {
    std::string body = fmt::format(
        R"({{"streams":[{{"stream":{{"app":"{}"}},"values":[["{}","line"]]}}]}})", app, NowNs());
    return Call("POST", "/loki/api/v1/push", body,
                {{"Content-Type", "application/json"}, {"X-Scope-OrgID", tenant}});
  }

  std::unique_ptr<JsonReply> ImportTo(const std::string& tenant, const std::string& name) {
    return Call("POST", "/api/v1/import",
                fmt::format(R"({{"metric":{{"__name__":"{}"}},"values":[1],"timestamps":[{}]}})",
                            name, NowNs() / 1'000'000) +
                    "\n",
                {{"X-Scope-OrgID", tenant}});
  }

  size_t Entries(const std::string& tenant) {
    auto r = Get("/loki/api/v1/query_range?query=%7Bapp%3D~%22.%2B%22%7D&since=1h",
                 {{"X-Scope-OrgID", tenant}});
    EXPECT_EQ(r->status, 200) << r->body;
    return r->Entries().size();
  }

  // The /metrics line of the series `series` (its name and labels), "" when absent.
  std::string MetricLine(const std::string& series) {
    std::string body = Get("/metrics")->body;
    size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    return body.substr(at + 1, body.find('\n', at + 1) - at - 1);
  }

  static constexpr std::string_view kCaps = R"(limits:
  max_global_streams_per_user: 1
  max_global_series_per_user: 1
tenants:
  overrides:
    big: {max_global_streams_per_user: 0, max_global_series_per_user: 0}
)";

  std::unique_ptr<JsonReply> Import(const std::string& tenant, int samples) {
    int64_t ms = NowNs() / 1'000'000;
    std::string values, timestamps;
    for (int i = 0; i < samples; ++i) {
      values += fmt::format("{}{}", i ? "," : "", i);
      timestamps += fmt::format("{}{}", i ? "," : "", ms - samples + i);
    }
    return Call("POST", "/api/v1/import",
                fmt::format(R"({{"metric":{{"__name__":"m"}},"values":[{}],"timestamps":[{}]}})",
                            values, timestamps) +
                    "\n",
                {{"X-Scope-OrgID", tenant}});
  }
};

TEST_F(TenantLimitsTest, LogBytesOverTheRateGet503WithRetryAfter) {
  ASSERT_NO_FATAL_FAILURE(StartLimited());
  EXPECT_EQ(Push("small", 60)->status, 204);
  auto refused = Push("small", 60);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->retry_after, "1");
  EXPECT_THAT(refused->body, HasSubstr("ingestion rate limit exceeded for tenant small"));
  EXPECT_THAT(refused->body, HasSubstr("limits.ingest_rate_bytes"));
  // Other tenants have their own bucket; an override lifts the limit.
  EXPECT_EQ(Push("other", 60)->status, 204);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Push("big", 1000)->status, 204);
  // Only the accepted push of "small" is stored.
  auto stored = Get("/loki/api/v1/query_range?query=%7Bapp%3D%22x%22%7D&since=1h",
                    {{"X-Scope-OrgID", "small"}});
  ASSERT_EQ(stored->status, 200);
  EXPECT_EQ(stored->Entries().size(), 1u);
  const std::string limited =
      R"(sluice_ingest_requests_total{format="loki_json",limit="ingest_rate_bytes",)"
      R"(outcome="limited"})";
  EXPECT_EQ(MetricLine(limited), limited + " 1");
}

TEST_F(TenantLimitsTest, SamplesOverTheRateGet503) {
  ASSERT_NO_FATAL_FAILURE(StartLimited());
  EXPECT_EQ(Import("small", 5)->status, 204);
  auto refused = Import("small", 1);
  EXPECT_EQ(refused->status, 503);
  EXPECT_FALSE(refused->retry_after.empty());
  EXPECT_THAT(refused->body, HasSubstr("limits.ingest_rate_samples"));
  EXPECT_EQ(Import("big", 50)->status, 204);
  EXPECT_EQ(Import("other", 5)->status, 204);
}

TEST_F(TenantLimitsTest, ATenantAtItsStreamCapGetsLokis429AndKeepsItsStreams) {
  ASSERT_NO_FATAL_FAILURE(Start(std::string(kCaps)));
  EXPECT_EQ(PushTo("small", "x")->status, 204);
  auto refused = PushTo("small", "y");
  EXPECT_EQ(refused->status, 429);
  EXPECT_THAT(refused->body, HasSubstr("Maximum active stream limit exceeded when trying to "
                                       "create stream {app=\"y\"}"));
  EXPECT_THAT(refused->body, HasSubstr("user: 'small'"));
  EXPECT_THAT(refused->body, HasSubstr("limits.max_global_streams_per_user: 1"));
  EXPECT_EQ(PushTo("small", "x")->status, 204);  // its stream takes entries on
  // The other ingest APIs refuse it with 503 and Retry-After, which their senders retry.
  auto jsonline = Call("POST", "/insert/jsonline?_stream_fields=app", R"({"_msg":"m","app":"z"})",
                       {{"X-Scope-OrgID", "small"}});
  EXPECT_EQ(jsonline->status, 503);
  EXPECT_FALSE(jsonline->retry_after.empty());
  EXPECT_THAT(jsonline->body, HasSubstr("limits.max_global_streams_per_user"));
  // Other tenants count their own streams; an override lifts the cap.
  EXPECT_EQ(PushTo("other", "y")->status, 204);
  for (const char* app : {"1", "2", "3"}) EXPECT_EQ(PushTo("big", app)->status, 204);
  EXPECT_EQ(Entries("small"), 2u);
  EXPECT_EQ(Entries("big"), 3u);
  const std::string limited =
      R"(sluice_ingest_requests_total{format="loki_json",limit="max_global_streams_per_user",)"
      R"(outcome="limited"})";
  EXPECT_EQ(MetricLine(limited), limited + " 1");
}

TEST_F(TenantLimitsTest, ATenantAtItsSeriesCapGets503AndKeepsItsSeries) {
  ASSERT_NO_FATAL_FAILURE(StartWithConfigFile(std::string(kCaps)));
  EXPECT_EQ(ImportTo("small", "m")->status, 204);
  auto refused = ImportTo("small", "n");
  // 503: Prometheus, vmagent and Telegraf retry it (Prometheus drops a batch on 429 or 400),
  // so nothing is lost while the cap is raised.
  EXPECT_EQ(refused->status, 503);
  EXPECT_FALSE(refused->retry_after.empty());
  EXPECT_THAT(refused->body, HasSubstr("per-user series limit of 1 exceeded when trying to create "
                                       "series {__name__=\"n\"}, user: 'small'"));
  EXPECT_THAT(refused->body, HasSubstr("limits.max_global_series_per_user"));
  EXPECT_EQ(ImportTo("small", "m")->status, 204);
  EXPECT_EQ(ImportTo("other", "n")->status, 204);
  EXPECT_EQ(ImportTo("big", "n")->status, 204);
  EXPECT_EQ(ImportTo("big", "o")->status, 204);
  auto series =
      Get("/api/v1/series?match[]=%7B__name__%3D~%22.%2B%22%7D", {{"X-Scope-OrgID", "small"}});
  ASSERT_EQ(series->status, 200) << series->body;
  EXPECT_EQ(series->Data().get_array().size(), 1u);
  const std::string limited =
      R"(sluice_ingest_requests_total{format="vm_import",limit="max_global_series_per_user",)"
      R"(outcome="limited"})";
  EXPECT_EQ(MetricLine(limited), limited + " 1");
  // A reload that raises the cap lets the retried request in.
  std::ofstream(config_path()) << "limits:\n  max_global_series_per_user: 2\n";
  ASSERT_EQ(Call("POST", "/-/reload")->status, 200);
  EXPECT_EQ(ImportTo("small", "n")->status, 204);
  EXPECT_EQ(ImportTo("small", "o")->status, 503);
}

}  // namespace
}  // namespace sluice::testing

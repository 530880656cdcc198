// Per-tenant ingest rates through a running daemon: a tenant over its rate gets 503 with
// Retry-After naming the limit (what every shipper retries), nothing of the refused request is
// stored, other tenants and overridden tenants write on, and the refusals are counted.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
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
  auto metrics = Get("/metrics");
  EXPECT_THAT(metrics->body,
              HasSubstr(R"(sluice_ingest_requests_total{format="loki_json",outcome="limited"} 1)"));
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

}  // namespace
}  // namespace sluice::testing

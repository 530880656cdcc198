#include "pipeline/ingest_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <limits>

#include "tests/pipeline/decoder_test_util.h"
#include "tests/support/temp_dir.h"

namespace sluice::pipeline {
namespace {

using ::testing::HasSubstr;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

class IngestServiceTest : public ::testing::Test {
 protected:
  IngestServiceTest() {
    shards_ = std::move(storage::ShardSet::Open({.data_dir = dir_.path(), .shards = 2})).value();
    store_ = std::make_unique<storage::LogStore>(*shards_, storage::LogShardOptions{}, registry_);
    EXPECT_TRUE(store_->Recover().ok());
    store_->Start();
    metrics_ =
        std::make_unique<storage::MetricStore>(*shards_, storage::MetricShardOptions{}, registry_);
    EXPECT_TRUE(metrics_->Recover().ok());
    metrics_->Start();
    IngestServiceOptions options;
    options.workers = 2;
    service_ = std::make_unique<IngestService>(*store_, metrics_.get(), options, registry_);
    service_->Start();
  }
  ~IngestServiceTest() override {
    service_->Stop();
    metrics_->Stop();
    store_->Stop();
  }

  IngestResult Submit(IngestFormat format, std::string_view body, std::string tenant = "t") {
    IngestRequest request;
    request.tenant = std::move(tenant);
    request.format = format;
    request.body = testing::Padded(body);
    std::promise<IngestResult> promise;
    auto f = promise.get_future();
    service_->Submit(std::move(request), [&](IngestResult r) { promise.set_value(std::move(r)); });
    return f.get();
  }

  size_t Count(std::string_view tenant) {
    size_t n = 0;
    for (const auto& s : store_->SelectStreams(tenant, {}, kMin, kMax)) {
      EXPECT_TRUE(store_
                      ->Scan(s, kMin, kMax, storage::Direction::kForward,
                             [&](int64_t, auto, auto) {
                               ++n;
                               return true;
                             })
                      .ok());
    }
    return n;
  }

  size_t SeriesCount(std::string_view tenant) {
    return metrics_->Select(tenant, {}, kMin, kMax).size();
  }

  // A Loki push with one entry for each of `pods`, each its own stream {pod="<pod>"}.
  static std::string PushTo(const std::vector<std::string>& pods) {
    std::string streams;
    for (const std::string& pod : pods) {
      if (!streams.empty()) streams += ",";
      streams += R"({"stream":{"pod":")" + pod + R"("},"values":[["1","x"]]})";
    }
    return R"({"streams":[)" + streams + "]}";
  }
  // A VictoriaMetrics import with one sample for each of `pods`, each its own series.
  static std::string ImportTo(const std::vector<std::string>& pods) {
    std::string lines;
    for (const std::string& pod : pods) {
      lines += R"({"metric":{"__name__":"up","pod":")" + pod +
               R"("},"values":[1],"timestamps":[1000]})" + "\n";
    }
    return lines;
  }

  ::sluice::testing::TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<storage::ShardSet> shards_;
  std::unique_ptr<storage::LogStore> store_;
  std::unique_ptr<storage::MetricStore> metrics_;
  std::unique_ptr<IngestService> service_;
};

TEST_F(IngestServiceTest, AcknowledgedRequestsAreReadable) {
  IngestResult r = Submit(IngestFormat::kLokiJson,
                          R"({"streams":[{"stream":{"a":"b"},"values":[["1","x"],["2","y"]]}]})");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.entries, 2u);
  EXPECT_EQ(Count("t"), 2u);
  EXPECT_EQ(Count("other"), 0u);
}

TEST_F(IngestServiceTest, InvalidRequestsStoreNothing) {
  IngestResult r = Submit(
      IngestFormat::kLokiJson,
      R"({"streams":[{"stream":{"a":"b"},"values":[["1","x"]]},{"stream":{"1":"b"},"values":[["1","y"]]}]})");
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("t"), 0u) << "a partly bad Loki push is refused as a whole";
}

TEST_F(IngestServiceTest, BulkItemsReportEachDocument) {
  IngestResult r =
      Submit(IngestFormat::kEsBulk, "{\"index\":{}}\n{\"message\":\"a\"}\n{\"index\":{}}\nnope\n");
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.bulk_items.size(), 2u);
  EXPECT_EQ(r.bulk_items[0].status, 201);
  EXPECT_EQ(r.bulk_items[1].status, 400);
  EXPECT_EQ(Count("t"), 1u);
}

TEST_F(IngestServiceTest, NewLimitsApplyToLaterRequests) {
  IngestLimits strict;
  strict.max_line_bytes = 2;
  service_->SetLimits(LimitsTable(TenantLimits{.logs = strict}));
  EXPECT_THAT(Submit(IngestFormat::kLokiJson,
                     R"({"streams":[{"stream":{"a":"b"},"values":[["1","xyz"]]}]})")
                  .status.message(),
              HasSubstr("Max entry size '2' bytes"));
  service_->SetLimits(LimitsTable());
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson,
                     R"({"streams":[{"stream":{"a":"b"},"values":[["1","xyz"]]}]})")
                  .status.ok());
}

TEST_F(IngestServiceTest, TenantOverridesReplaceTheDefaults) {
  TenantLimits defaults;
  defaults.logs.max_line_bytes = 2;
  TenantLimits roomy = defaults;
  roomy.logs.max_line_bytes = 100;
  service_->SetLimits(LimitsTable(defaults, {{"roomy", roomy}}));
  const std::string push = R"({"streams":[{"stream":{"a":"b"},"values":[["1","xyz"]]}]})";
  EXPECT_EQ(Submit(IngestFormat::kLokiJson, push, "t").status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, push, "roomy").status.ok());
}

TEST_F(IngestServiceTest, ATenantOverItsRateIsRefusedAndOthersAreNot) {
  TenantLimits limits;
  limits.log_bytes = {.per_second = 1, .burst = 10};  // refills too slowly to matter here
  service_->SetLimits(LimitsTable(limits));
  // Line and structured metadata count: 4 + 2 bytes per push.
  const std::string push =
      R"({"streams":[{"stream":{"a":"b"},"values":[["1","abcd",{"k":"v"}]]}]})";
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, push, "busy").status.ok());
  IngestResult refused = Submit(IngestFormat::kLokiJson, push, "busy");
  EXPECT_EQ(refused.status.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status.message(), HasSubstr("ingestion rate limit exceeded for tenant busy"));
  EXPECT_THAT(refused.status.message(), HasSubstr("limits.ingest_rate_bytes"));
  EXPECT_EQ(refused.limit, IngestLimit::kRateBytes);
  EXPECT_EQ(Count("busy"), 1u);  // the refused request stored nothing
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, push, "quiet").status.ok());
  // Bulk items of a refused request are not reported as stored.
  IngestResult bulk =
      Submit(IngestFormat::kEsBulk, "{\"index\":{}}\n{\"message\":\"abcdef\"}\n", "busy");
  EXPECT_EQ(bulk.status.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(bulk.bulk_items.empty());
}

TEST_F(IngestServiceTest, ATenantAtItsStreamCapWritesToItsStreamsButAddsNone) {
  TenantLimits limits;
  limits.max_streams = 2;
  service_->SetLimits(LimitsTable(limits));
  ASSERT_TRUE(Submit(IngestFormat::kLokiJson, PushTo({"a", "b"})).status.ok());  // at the cap
  // One new stream beside an existing one: refused whole, the existing stream's entry too.
  IngestResult refused = Submit(IngestFormat::kLokiJson, PushTo({"a", "c"}));
  EXPECT_EQ(refused.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.limit, IngestLimit::kStreams);
  EXPECT_EQ(refused.status.message(),
            "Maximum active stream limit exceeded when trying to create stream {pod=\"c\"}, reduce "
            "the number of active streams (reduce labels or reduce label values), or contact your "
            "Loki administrator to see if the limit can be increased, user: 't' "
            "(limits.max_global_streams_per_user: 2; the tenant has 2 streams and this request "
            "would add 1)");
  EXPECT_EQ(Count("t"), 2u);
  // Existing streams only: accepted.
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, PushTo({"b", "a"})).status.ok());
  EXPECT_EQ(Count("t"), 4u);
  // Another tenant has a count of its own; a request that alone would pass the cap is refused.
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, PushTo({"a"}), "u").status.ok());
  EXPECT_EQ(Submit(IngestFormat::kLokiJson, PushTo({"b", "c"}), "u").status.code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, PushTo({"b"}), "u").status.ok());
  EXPECT_EQ(Count("u"), 2u);
  // Other formats are held to it alike; a higher cap applies at once.
  IngestResult bulk = Submit(IngestFormat::kEsBulk, "{\"index\":{}}\n{\"message\":\"x\"}\n");
  EXPECT_EQ(bulk.status.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(bulk.bulk_items.empty());
  limits.max_streams = 3;
  service_->SetLimits(LimitsTable(limits));
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, PushTo({"a", "c"})).status.ok());
  EXPECT_EQ(Count("t"), 6u);
}

TEST_F(IngestServiceTest, ATenantAtItsSeriesCapWritesToItsSeriesButAddsNone) {
  TenantLimits limits;
  limits.max_series = 2;
  TenantLimits roomy;  // no cap
  service_->SetLimits(LimitsTable(limits, {{"roomy", roomy}}));
  ASSERT_TRUE(Submit(IngestFormat::kVmImport, ImportTo({"a", "b"})).status.ok());
  IngestResult refused = Submit(IngestFormat::kVmImport, ImportTo({"a", "c"}));
  EXPECT_EQ(refused.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.limit, IngestLimit::kSeries);
  EXPECT_EQ(refused.status.message(),
            "per-user series limit of 2 exceeded when trying to create series "
            "{__name__=\"up\", pod=\"c\"}, user: 't' (limits.max_global_series_per_user; the "
            "tenant has 2 series and this request would add 1); reduce the number of series or "
            "ask for a higher limit");
  EXPECT_EQ(SeriesCount("t"), 2u);
  EXPECT_TRUE(Submit(IngestFormat::kVmImport, ImportTo({"a", "b"})).status.ok());
  EXPECT_EQ(Submit(IngestFormat::kVmImport, ImportTo({"a", "b", "c"}), "other").status.code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(Submit(IngestFormat::kVmImport, ImportTo({"a", "b"}), "other").status.ok());
  EXPECT_TRUE(Submit(IngestFormat::kVmImport, ImportTo({"a", "b", "c"}), "roomy").status.ok());
  EXPECT_EQ(SeriesCount("t"), 2u);
  EXPECT_EQ(SeriesCount("other"), 2u);
  EXPECT_EQ(SeriesCount("roomy"), 3u);
}

TEST_F(IngestServiceTest, ConcurrentSubmittersAllGetTheirAnswers) {
  constexpr int kThreads = 4;
  constexpr int kRequests = 50;
  std::vector<std::future<int>> results;
  for (int t = 0; t < kThreads; ++t) {
    results.push_back(std::async(std::launch::async, [&, t] {
      int ok = 0;
      for (int i = 0; i < kRequests; ++i) {
        std::string body = R"({"streams":[{"stream":{"thread":")" + std::to_string(t) +
                           R"("},"values":[[")" + std::to_string(i + 1) + R"(","line"]]}]})";
        ok += Submit(IngestFormat::kLokiJson, body).status.ok();
      }
      return ok;
    }));
  }
  for (auto& f : results) EXPECT_EQ(f.get(), kRequests);
  EXPECT_EQ(Count("t"), static_cast<size_t>(kThreads * kRequests));
}

TEST_F(IngestServiceTest, AfterStopRequestsAreRefusedNotDropped) {
  service_->Stop();
  IngestResult r = Submit(IngestFormat::kLokiJson, R"({"streams":[]})");
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace sluice::pipeline

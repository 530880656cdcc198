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
    IngestServiceOptions options;
    options.workers = 2;
    service_ = std::make_unique<IngestService>(*store_, nullptr, options, registry_);
    service_->Start();
  }
  ~IngestServiceTest() override {
    service_->Stop();
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

  ::sluice::testing::TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<storage::ShardSet> shards_;
  std::unique_ptr<storage::LogStore> store_;
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
  EXPECT_EQ(Count("busy"), 1u);  // the refused request stored nothing
  EXPECT_TRUE(Submit(IngestFormat::kLokiJson, push, "quiet").status.ok());
  // Bulk items of a refused request are not reported as stored.
  IngestResult bulk =
      Submit(IngestFormat::kEsBulk, "{\"index\":{}}\n{\"message\":\"abcdef\"}\n", "busy");
  EXPECT_EQ(bulk.status.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(bulk.bulk_items.empty());
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

// The deletion service's state machine (accept, cancel, process) over a real RocksDB shard,
// without the storage engines: what reaches LogStore and MetricStore is covered by the daemon
// tests (deletion_api_test.cc).
#include "daemon/deletion/deletion_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "storage/shard_set.h"
#include "tests/support/temp_dir.h"

namespace sluice::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

DeleteRequest LogRequest(std::string tenant, std::string query, int64_t start_ms = 0,
                         int64_t end_ms = 1'000) {
  return DeleteRequest{.tenant = std::move(tenant),
                       .kind = DeleteKind::kLogs,
                       .queries = {std::move(query)},
                       .start_ms = start_ms,
                       .end_ms = end_ms};
}

class DeletionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }
  void TearDown() override { Close(); }

  void Open(std::chrono::nanoseconds cancel_period = 24h) {
    auto set = storage::ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = 2});
    ASSERT_TRUE(set.ok()) << set.status().message();
    shards_ = std::move(set).value();
    registry_ = std::make_unique<prometheus::Registry>();
    auto service = DeletionService::Start(
        DeletionServiceOptions{
            .cancel_period = cancel_period, .processing_interval = 1h, .clock = &clock_},
        Kv(), nullptr, nullptr, *registry_);
    ASSERT_TRUE(service.ok()) << service.status().message();
    service_ = std::move(service).value();
  }

  std::unique_ptr<alerting::KvStore> Kv() {
    const storage::Shard& shard0 = shards_->shard(0);
    return alerting::MakeRocksKvStore(shard0.db, shard0.cf(storage::Cf::kDefault),
                                      std::string(DeleteRequestStore::kNamespace));
  }

  void Close() {
    if (service_) service_->Stop();
    service_.reset();
    if (shards_) {
      EXPECT_TRUE(shards_->Close().ok());
    }
    shards_.reset();
  }

  void Reopen(std::chrono::nanoseconds cancel_period = 24h) {
    Close();
    ASSERT_NO_FATAL_FAILURE(Open(cancel_period));
  }

  DeleteRequest Add(DeleteRequest r) {
    Result<DeleteRequest> added = service_->Add(std::move(r));
    EXPECT_TRUE(added.ok()) << added.status().message();
    return added.ok() ? *added : DeleteRequest{};
  }

  testing::TempDir dir_;
  FakeClock clock_{std::chrono::system_clock::time_point(1'700'000'000'000ms)};
  std::unique_ptr<storage::ShardSet> shards_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<DeletionService> service_;
};

TEST_F(DeletionServiceTest, AcceptedRequestsSurviveARestart) {
  DeleteRequest a = Add(LogRequest("t1", R"({app="api"} |= "x")", 10, 20));
  clock_.Advance(5ms);
  DeleteRequest b = Add(LogRequest("t1", R"({app="web"})", 30, 40));
  Add(LogRequest("t2", R"({app="api"})"));
  EXPECT_THAT(a.request_id, ::testing::MatchesRegex("[0-9a-f]{8}"));
  EXPECT_NE(a.request_id, b.request_id);
  EXPECT_EQ(a.created_at_ms, 1'700'000'000'000);
  EXPECT_EQ(a.status, DeleteStatus::kReceived);

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(service_->List("t1", DeleteKind::kLogs), ElementsAre(a, b));  // oldest first
  EXPECT_EQ(service_->List("t2", DeleteKind::kLogs).size(), 1u);
  EXPECT_TRUE(service_->List("t1", DeleteKind::kMetrics).empty());
  EXPECT_TRUE(service_->List("t3", DeleteKind::kLogs).empty());
}

TEST_F(DeletionServiceTest, RefusesAnInvalidQueryAndStoresNothing) {
  Result<DeleteRequest> r = service_->Add(LogRequest("t", R"({app="api"} | json)"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_->List("t", DeleteKind::kLogs).empty());
}

TEST_F(DeletionServiceTest, CancelsWithinTheCancelPeriodOnly) {
  DeleteRequest a = Add(LogRequest("t", R"({app="a"})"));
  DeleteRequest b = Add(LogRequest("t", R"({app="b"})"));

  Status s = service_->Cancel("t", "nothere");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "could not find delete request with given id");
  // Another tenant's request is not found either.
  EXPECT_EQ(service_->Cancel("other", a.request_id).code(), StatusCode::kNotFound);

  clock_.Advance(24h);  // the deadline itself still allows it
  ASSERT_TRUE(service_->Cancel("t", a.request_id).ok());
  EXPECT_THAT(service_->List("t", DeleteKind::kLogs), ElementsAre(b));

  clock_.Advance(1ms);
  s = service_->Cancel("t", b.request_id);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "deletion of request past the deadline of 24h0m0s since its creation is not allowed");

  // The cancellation is durable.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(service_->List("t", DeleteKind::kLogs), ElementsAre(b));
}

TEST_F(DeletionServiceTest, ProcessesLogRequestsOncePastTheCancelPeriod) {
  DeleteRequest a = Add(LogRequest("t", R"({app="a"})"));
  ASSERT_TRUE(service_->ProcessDue().ok());
  EXPECT_EQ(service_->List("t", DeleteKind::kLogs)[0].status, DeleteStatus::kReceived);

  clock_.Advance(24h + 1ms);
  ASSERT_TRUE(service_->ProcessDue().ok());
  std::vector<DeleteRequest> listed = service_->List("t", DeleteKind::kLogs);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, DeleteStatus::kProcessed);
  EXPECT_EQ(listed[0].processed_at_ms, a.created_at_ms + 24 * 3600 * 1000 + 1);

  Status s = service_->Cancel("t", a.request_id);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "deletion of request which is in process or already processed is not allowed");

  ASSERT_NO_FATAL_FAILURE(Reopen());
  listed = service_->List("t", DeleteKind::kLogs);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, DeleteStatus::kProcessed);
}

TEST_F(DeletionServiceTest, ProcessesSeriesDeletesAtOnce) {
  Add(DeleteRequest{.tenant = "t",
                    .kind = DeleteKind::kMetrics,
                    .queries = {R"(up{job="a"})"},
                    .start_ms = 0,
                    .end_ms = 10});
  Add(LogRequest("t", R"({app="a"})"));
  ASSERT_TRUE(service_->ProcessDue().ok());
  EXPECT_THAT(service_->List("t", DeleteKind::kMetrics),
              ElementsAre(Field(&DeleteRequest::status, DeleteStatus::kProcessed)));
  EXPECT_THAT(service_->List("t", DeleteKind::kLogs),
              ElementsAre(Field(&DeleteRequest::status, DeleteStatus::kReceived)));
}

TEST_F(DeletionServiceTest, LokisCancelDoesNotReachSeriesDeletes) {
  DeleteRequest series = Add(DeleteRequest{
      .tenant = "t", .kind = DeleteKind::kMetrics, .queries = {"up"}, .start_ms = 0, .end_ms = 10});
  EXPECT_EQ(service_->Cancel("t", series.request_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->List("t", DeleteKind::kMetrics).size(), 1u);
}

TEST_F(DeletionServiceTest, ProcessSoonRunsAPassOnTheServiceThread) {
  Add(DeleteRequest{.tenant = "t", .kind = DeleteKind::kMetrics, .queries = {"up"}});
  std::promise<Status> done;
  service_->ProcessSoon([&done](const Status& s) { done.set_value(s); });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(service_->List("t", DeleteKind::kMetrics)[0].status, DeleteStatus::kProcessed);

  // Once stopped, a pass is refused rather than left waiting.
  service_->Stop();
  Status after;
  service_->ProcessSoon([&after](const Status& s) { after = s; });
  EXPECT_EQ(after.code(), StatusCode::kUnavailable);
}

TEST_F(DeletionServiceTest, ZeroCancelPeriodProcessesAtTheNextPass) {
  ASSERT_NO_FATAL_FAILURE(Reopen(0s));
  DeleteRequest a = Add(LogRequest("t", R"({app="a"})"));
  clock_.Advance(1ms);
  EXPECT_THAT(service_->Cancel("t", a.request_id).message(), HasSubstr("deadline of 0s"));
  ASSERT_TRUE(service_->ProcessDue().ok());
  EXPECT_EQ(service_->List("t", DeleteKind::kLogs)[0].status, DeleteStatus::kProcessed);
}

TEST(GoDurationString, PrintsAsGoDoes) {
  EXPECT_EQ(GoDurationString(0s), "0s");
  EXPECT_EQ(GoDurationString(24h), "24h0m0s");
  EXPECT_EQ(GoDurationString(90s), "1m30s");
  EXPECT_EQ(GoDurationString(1500ms), "1.5s");
  EXPECT_EQ(GoDurationString(250ms), "250ms");
  EXPECT_EQ(GoDurationString(1h + 1ms), "1h0m0.001s");
  EXPECT_EQ(GoDurationString(-2h), "-2h0m0s");
}

}  // namespace
}  // namespace sluice::daemon

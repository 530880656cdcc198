// DeleteRequestStore: the record codec, and requests written, removed and read back from a real
// RocksDB shard across a reopen.
#include "daemon/deletion/delete_request_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "storage/shard_set.h"
#include "tests/support/temp_dir.h"

namespace sluice::daemon {
namespace {

using ::testing::ElementsAre;

DeleteRequest LogRequest(std::string tenant, std::string id, std::string query) {
  return DeleteRequest{.tenant = std::move(tenant),
                       .request_id = std::move(id),
                       .kind = DeleteKind::kLogs,
                       .queries = {std::move(query)},
                       .start_ms = 0,
                       .end_ms = 1'000,
                       .created_at_ms = 1'700'000'000'000};
}

TEST(DeleteRequestCodec, RoundTrips) {
  DeleteRequest r{.tenant = "",
                  .request_id = "",
                  .kind = DeleteKind::kMetrics,
                  .queries = {"up", R"({job="a", path=~"/x\\.y"})"},
                  .start_ms = -5,
                  .end_ms = std::numeric_limits<int64_t>::max(),
                  .created_at_ms = 1'700'000'000'123,
                  .status = DeleteStatus::kProcessed,
                  .processed_at_ms = 1'700'000'001'000,
                  .entries_deleted = 12345};
  Result<DeleteRequest> back = DecodeDeleteRequest(EncodeDeleteRequest(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, r);
}

TEST(DeleteRequestCodec, RefusesMalformedRecords) {
  std::string good = EncodeDeleteRequest(LogRequest("", "", R"({a="b"})"));
  for (std::string bad : {std::string(), std::string("\x02") + good.substr(1),
                          good.substr(0, good.size() - 1), good + "x"}) {
    EXPECT_EQ(DecodeDeleteRequest(bad).status().code(), StatusCode::kCorruption);
  }
  std::string bad_kind = good;
  bad_kind[1] = 7;
  EXPECT_EQ(DecodeDeleteRequest(bad_kind).status().code(), StatusCode::kCorruption);
}

class DeleteRequestStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }
  void TearDown() override { Close(); }

  void Open() {
    auto set = storage::ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = 1});
    ASSERT_TRUE(set.ok()) << set.status().message();
    shards_ = std::move(set).value();
    const storage::Shard& shard0 = shards_->shard(0);
    store_ = std::make_unique<DeleteRequestStore>(alerting::MakeRocksKvStore(
        shard0.db, shard0.cf(storage::Cf::kDefault), std::string(DeleteRequestStore::kNamespace)));
  }

  void Close() {
    store_.reset();
    if (shards_) {
      EXPECT_TRUE(shards_->Close().ok());
    }
    shards_.reset();
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::ShardSet> shards_;
  std::unique_ptr<DeleteRequestStore> store_;
};

TEST_F(DeleteRequestStoreTest, WritesRemovesAndReadsBackAcrossAReopen) {
  DeleteRequest a = LogRequest("t1", "0000000a", R"({a="1"})");
  DeleteRequest b = LogRequest("t2", "0000000b", R"({a="2"})");
  DeleteRequest c = LogRequest("t1", "0000000c", R"({a="3"} |= "x")");
  ASSERT_TRUE(store_->Put(b).ok());
  ASSERT_TRUE(store_->Put(a).ok());
  ASSERT_TRUE(store_->Put(c).ok());
  ASSERT_TRUE(store_->Remove("t1", "0000000a").ok());
  ASSERT_TRUE(store_->Remove("t1", "missing").ok());
  c.status = DeleteStatus::kProcessed;
  c.entries_deleted = 7;
  ASSERT_TRUE(store_->Put(c).ok());  // replaces

  Close();
  ASSERT_NO_FATAL_FAILURE(Open());
  Result<std::vector<DeleteRequest>> all = store_->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_THAT(*all, ElementsAre(c, b));  // by tenant, then ID
}

TEST_F(DeleteRequestStoreTest, NamesARecordThatDoesNotDecode) {
  const storage::Shard& shard0 = shards_->shard(0);
  auto kv = alerting::MakeRocksKvStore(shard0.db, shard0.cf(storage::Cf::kDefault),
                                       std::string(DeleteRequestStore::kNamespace));
  ASSERT_TRUE(kv->Put("t1\xff"
                      "0000000a",
                      "garbage")
                  .ok());
  Result<std::vector<DeleteRequest>> all = store_->LoadAll();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(all.status().message(),
            "delete request \"t1/0000000a\" under delete_requests/ is malformed");
}

}  // namespace
}  // namespace sluice::daemon

#include "storage/shard_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace sluice::storage {
namespace {

using ::testing::HasSubstr;

TEST(ShardSet, CreatesShardsAndKeepsDataAcrossReopen) {
  testing::TempDir dir;
  std::string data = dir.Sub("data");
  {
    auto set = ShardSet::Open({.data_dir = data, .shards = 3});
    ASSERT_TRUE(set.ok()) << set.status().message();
    EXPECT_EQ((*set)->size(), 3u);
    ASSERT_TRUE((*set)->shard(2).db->Put({}, "k", "v").ok());
    ASSERT_TRUE((*set)->Close().ok());
    EXPECT_TRUE((*set)->Close().ok()) << "Close is idempotent";
  }
  EXPECT_TRUE(std::filesystem::exists(data + "/shard-000"));
  EXPECT_TRUE(std::filesystem::exists(data + "/shard-002"));
  auto again = ShardSet::Open({.data_dir = data, .shards = 3});
  ASSERT_TRUE(again.ok());
  std::string value;
  ASSERT_TRUE((*again)->shard(2).db->Get({}, "k", &value).ok());
  EXPECT_EQ(value, "v");
}

TEST(ShardSet, RefusesADifferentShardCount) {
  testing::TempDir dir;
  ASSERT_TRUE(ShardSet::Open({.data_dir = dir.path(), .shards = 2}).ok());
  auto other = ShardSet::Open({.data_dir = dir.path(), .shards = 4});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("holds 2 shards but storage.shards asks for 4"));
}

TEST(ShardSet, RefusesASecondOpenOfTheSameDataDir) {
  testing::TempDir dir;
  auto first = ShardSet::Open({.data_dir = dir.path(), .shards = 1});
  ASSERT_TRUE(first.ok());
  auto second = ShardSet::Open({.data_dir = dir.path(), .shards = 1});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another process"));
}

TEST(ShardSet, RefusesAForeignOrNewerMarker) {
  testing::TempDir dir;
  dir.WriteFile("SLUICE", "something else\n");
  EXPECT_EQ(ShardSet::Open({.data_dir = dir.path(), .shards = 1}).status().code(),
            StatusCode::kCorruption);
  dir.WriteFile("SLUICE", "sluice-data 99\nshards 1\n");
  auto newer = ShardSet::Open({.data_dir = dir.path(), .shards = 1});
  EXPECT_THAT(newer.status().message(), HasSubstr("newer Sluice"));
}

}  // namespace
}  // namespace sluice::storage

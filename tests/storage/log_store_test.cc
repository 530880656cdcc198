#include "storage/log_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <thread>

#include "storage/metadata_codec.h"
#include "tests/support/temp_dir.h"

namespace sluice::storage {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

struct Got {
  int64_t ts;
  std::string line;
  std::string metadata;
  friend bool operator==(const Got&, const Got&) = default;
};

class LogStoreTest : public ::testing::Test {
 protected:
  void Open(LogShardOptions options = {}, int shards = 2) {
    options_ = options;
    shard_count_ = shards;
    auto set = ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = shards});
    ASSERT_TRUE(set.ok()) << set.status().message();
    shards_ = std::move(set).value();
    registry_ = std::make_unique<prometheus::Registry>();
    store_ = std::make_unique<LogStore>(*shards_, options, *registry_, clock_);
    Status s = store_->Recover();
    ASSERT_TRUE(s.ok()) << s.message();
    store_->Start();
  }

  void Close() {
    store_->Stop();
    store_.reset();
    ASSERT_TRUE(shards_->Close().ok());
    shards_.reset();
  }

  void Reopen(LogShardOptions options) {
    Close();
    Open(options, shard_count_);
  }

  Status Write(const LogBatch& batch) {
    std::promise<Status> done;
    auto f = done.get_future();
    store_->Write(batch, [&](const Status& s) { done.set_value(s); });
    return f.get();
  }

  std::vector<Got> ScanAll(const StreamInfo& s, int64_t start = kMin, int64_t end = kMax,
                           Direction d = Direction::kForward, size_t limit = SIZE_MAX) {
    std::vector<Got> out;
    Status st =
        store_->Scan(s, start, end, d, [&](int64_t ts, std::string_view line, std::string_view md) {
          out.push_back(Got{ts, std::string(line), std::string(md)});
          return out.size() < limit;
        });
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  }

  StreamInfo OnlyStream(std::string_view tenant, const LabelMatchers& m = {}) {
    auto streams = store_->SelectStreams(tenant, m, kMin, kMax);
    EXPECT_EQ(streams.size(), 1u);
    return streams.empty() ? StreamInfo{} : streams[0];
  }

  static LabelMatcher M(MatchOp op, std::string name, std::string value) {
    return *LabelMatcher::Make(op, std::move(name), std::move(value));
  }

  testing::TempDir dir_;
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))};
  LogShardOptions options_;
  int shard_count_ = 2;
  std::unique_ptr<ShardSet> shards_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<LogStore> store_;
};

TEST_F(LogStoreTest, WrittenEntriesAreReadBackInTimeOrder) {
  Open();
  LogBatch batch("t");
  uint32_t s = batch.AddStream({{"app", "api"}});
  MetadataEncoder md;
  md.Add("trace_id", "abc");
  batch.AddEntry(s, 300, "third");
  batch.AddEntry(s, 100, "first", md.Finish());
  batch.AddEntry(s, 200, "second");
  ASSERT_TRUE(Write(batch).ok());

  StreamInfo info = OnlyStream("t");
  EXPECT_EQ(info.labels, (Labels{{"app", "api"}}));
  EXPECT_EQ(info.min_ts, 100);
  EXPECT_EQ(info.max_ts, 300);
  std::vector<Got> got = ScanAll(info);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].line, "first");
  EXPECT_FALSE(got[0].metadata.empty());
  EXPECT_EQ(got[2].line, "third");
  std::vector<Got> backward = ScanAll(info, kMin, kMax, Direction::kBackward);
  ASSERT_EQ(backward.size(), 3u);
  EXPECT_EQ(backward[0].line, "third");
}

TEST_F(LogStoreTest, ScansMergeBlocksAndHeadWithinTheTimeRange) {
  Open();
  std::vector<Got> expected;
  // Three batches sealed into three blocks, then a fourth left in the head; timestamps interleave.
  for (int round = 0; round < 4; ++round) {
    LogBatch batch("t");
    uint32_t s = batch.AddStream({{"app", "api"}});
    for (int i = 0; i < 50; ++i) {
      int64_t ts = i * 10 + round;
      std::string line = "r" + std::to_string(round) + "-" + std::to_string(i);
      batch.AddEntry(s, ts, line);
      expected.push_back(Got{ts, line, ""});
    }
    ASSERT_TRUE(Write(batch).ok());
    if (round < 3) {
      ASSERT_TRUE(store_->SealAll().ok());
    }
  }
  std::sort(expected.begin(), expected.end(),
            [](const Got& a, const Got& b) { return a.ts < b.ts; });
  StreamInfo info = OnlyStream("t");
  EXPECT_EQ(ScanAll(info), expected);

  std::vector<Got> window;
  for (const Got& g : expected) {
    if (g.ts >= 95 && g.ts < 207) {
      window.push_back(g);
    }
  }
  EXPECT_EQ(ScanAll(info, 95, 207), window) << "start inclusive, end exclusive";
  std::vector<Got> reversed(window.rbegin(), window.rend());
  EXPECT_EQ(ScanAll(info, 95, 207, Direction::kBackward), reversed);
  std::vector<Got> first5(window.begin(), window.begin() + 5);
  EXPECT_EQ(ScanAll(info, 95, 207, Direction::kForward, 5), first5) << "visitor stops the scan";
}

TEST_F(LogStoreTest, SelectsStreamsByMatchersAndKeepsTenantsApart) {
  Open();
  for (std::string tenant : {"a", "b"}) {
    LogBatch batch(tenant);
    for (std::string app : {"api", "web", "db"}) {
      uint32_t s = batch.AddStream({{"app", app}, {"env", app == "db" ? "staging" : "prod"}});
      batch.AddEntry(s, 1000, tenant + "/" + app);
    }
    ASSERT_TRUE(Write(batch).ok());
  }
  auto apps = [&](std::string_view tenant, LabelMatchers m) {
    std::vector<std::string> out;
    for (const auto& s : store_->SelectStreams(tenant, m, kMin, kMax))
      out.emplace_back(LabelValue(s.labels, "app"));
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(apps("a", {M(MatchOp::kEqual, "env", "prod")}), (V{"api", "web"}));
  EXPECT_EQ(apps("a", {M(MatchOp::kRegexMatch, "app", "a.*|d.*")}), (V{"api", "db"}));
  EXPECT_EQ(apps("a", {M(MatchOp::kNotEqual, "app", "api")}), (V{"db", "web"}));
  EXPECT_EQ(apps("a", {M(MatchOp::kRegexNoMatch, "env", "prod")}), (V{"db"}));
  EXPECT_EQ(apps("a", {M(MatchOp::kEqual, "env", "prod"), M(MatchOp::kEqual, "app", "db")}), V{});
  EXPECT_EQ(apps("a", {M(MatchOp::kEqual, "missing", "")}), (V{"api", "db", "web"}));
  EXPECT_EQ(apps("a", {M(MatchOp::kEqual, "missing", "x")}), V{});
  EXPECT_EQ(apps("c", {}), V{}) << "an unknown tenant sees nothing";

  StreamInfo a_api = OnlyStream("a", {M(MatchOp::kEqual, "app", "api")});
  std::vector<Got> got = ScanAll(a_api);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].line, "a/api") << "tenant b's identical stream is a different stream";

  EXPECT_EQ(store_->LabelNames("a", {}, kMin, kMax), (V{"app", "env"}));
  EXPECT_EQ(store_->LabelValues("a", "env", {}, kMin, kMax), (V{"prod", "staging"}));
  EXPECT_EQ(store_->LabelValues("a", "app", {M(MatchOp::kEqual, "env", "prod")}, kMin, kMax),
            (V{"api", "web"}));
  EXPECT_EQ(store_->SelectStreams("a", {}, 2000, 3000).size(), 0u) << "no data in that time range";
}

TEST_F(LogStoreTest, UnsealedEntriesSurviveARestartThroughTheWal) {
  LogShardOptions no_seal;
  no_seal.seal_on_stop = false;
  Open(no_seal);
  LogBatch batch("t");
  uint32_t s = batch.AddStream({{"app", "api"}});
  for (int i = 0; i < 100; ++i) batch.AddEntry(s, i, "entry " + std::to_string(i));
  ASSERT_TRUE(Write(batch).ok());
  EXPECT_GT(store_->Stats().pending_wal_records, 0u);

  Reopen(no_seal);
  EXPECT_EQ(store_->Stats().head_entries, 100u) << "replayed into the head";
  std::vector<Got> got = ScanAll(OnlyStream("t"));
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got[42].line, "entry 42");

  ASSERT_TRUE(store_->SealAll().ok());
  EXPECT_EQ(store_->Stats().pending_wal_records, 0u) << "sealing deletes the WAL records";
  Reopen(no_seal);
  EXPECT_EQ(store_->Stats().head_entries, 0u);
  EXPECT_EQ(ScanAll(OnlyStream("t")).size(), 100u) << "now read from blocks";
}

TEST_F(LogStoreTest, AWalRecordIsDeletedOnlyWhenAllItsStreamsAreSealed) {
  LogShardOptions options;
  options.block_target_bytes = 1000;
  options.seal_on_stop = false;
  Open(options, 1);
  LogBatch batch("t");
  uint32_t big = batch.AddStream({{"app", "big"}});
  uint32_t small = batch.AddStream({{"app", "small"}});
  batch.AddEntry(big, 1, std::string(2000, 'x'));  // reaches the target: sealed at once
  batch.AddEntry(small, 1, "tiny");
  ASSERT_TRUE(Write(batch).ok());
  // The writer seals after the commit; wait (bounded) for it.
  for (int i = 0; i < 200 && store_->Stats().head_entries != 1; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(store_->Stats().head_entries, 1u);
  EXPECT_EQ(store_->Stats().pending_wal_records, 1u) << "still needed by the small stream";
  Reopen(options);
  EXPECT_EQ(ScanAll(OnlyStream("t", {M(MatchOp::kEqual, "app", "small")})).size(), 1u);
  EXPECT_EQ(ScanAll(OnlyStream("t", {M(MatchOp::kEqual, "app", "big")})).size(), 1u)
      << "replaying the record does not duplicate the sealed entry";
}

TEST_F(LogStoreTest, HeadsAreSealedWhenTheyGetOld) {
  LogShardOptions options;
  options.block_max_age = 30s;
  Open(options);
  LogBatch batch("t");
  uint32_t s = batch.AddStream({{"app", "api"}});
  batch.AddEntry(s, 1, "old soon");
  ASSERT_TRUE(Write(batch).ok());
  EXPECT_EQ(store_->Stats().head_entries, 1u);
  clock_.Advance(31s);
  for (int i = 0; i < 300 && store_->Stats().head_entries != 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(store_->Stats().head_entries, 0u);
  EXPECT_EQ(ScanAll(OnlyStream("t")).size(), 1u);
}

TEST_F(LogStoreTest, HeadMemoryIsBoundedBySealingTheLargestHeads) {
  LogShardOptions options;
  options.head_memory_limit = 1 << 20;
  Open(options, 1);
  for (int round = 0; round < 20; ++round) {
    LogBatch batch("t");
    for (int stream = 0; stream < 10; ++stream) {
      uint32_t s = batch.AddStream({{"n", std::to_string(stream)}});
      for (int i = 0; i < 20; ++i)
        batch.AddEntry(s, round * 100 + i, std::string(100, 'a' + stream));
    }
    ASSERT_TRUE(Write(batch).ok());
    EXPECT_LT(store_->Stats().head_bytes, 2u << 20);
  }
  size_t total = 0;
  for (const auto& s : store_->SelectStreams("t", {}, kMin, kMax)) total += ScanAll(s).size();
  EXPECT_EQ(total, 20u * 10 * 20);
}

TEST_F(LogStoreTest, ConcurrentWritersAndReadersSeeEveryEntryOnce) {
  LogShardOptions options;
  options.block_target_bytes = 4096;  // seal often while readers scan
  Open(options);
  constexpr int kWriters = 4;
  constexpr int kBatches = 50;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      for (const auto& s : store_->SelectStreams("t", {}, kMin, kMax)) {
        std::vector<Got> got = ScanAll(s);
        for (size_t i = 1; i < got.size(); ++i) {
          ASSERT_LE(got[i - 1].ts, got[i].ts);
          ASSERT_NE(got[i - 1].line, got[i].line) << "an entry seen twice";
        }
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        LogBatch batch("t");
        uint32_t s = batch.AddStream({{"writer", std::to_string(w)}});
        for (int i = 0; i < 20; ++i) {
          batch.AddEntry(
              s, b * 20 + i,
              "w" + std::to_string(w) + " b" + std::to_string(b) + " i" + std::to_string(i));
        }
        ASSERT_TRUE(Write(batch).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  for (const auto& s : store_->SelectStreams("t", {}, kMin, kMax))
    EXPECT_EQ(ScanAll(s).size(), 1000u);
}

TEST_F(LogStoreTest, EveryDurabilityPolicyAcknowledgesWrites) {
  for (Durability d : {Durability::kNever, Durability::kInterval, Durability::kAlways}) {
    LogShardOptions options;
    options.durability = d;
    if (store_) Close();
    Open(options);
    LogBatch batch("t");
    uint32_t s = batch.AddStream({{"policy", std::to_string(static_cast<int>(d))}});
    batch.AddEntry(s, 1, "x");
    EXPECT_TRUE(Write(batch).ok());
  }
  EXPECT_EQ(store_->SelectStreams("t", {}, kMin, kMax).size(), 3u);
}

TEST_F(LogStoreTest, EmptyBatchesAreAcknowledgedAtOnce) {
  Open();
  LogBatch batch("t");
  batch.AddStream({{"a", "b"}});
  EXPECT_TRUE(Write(batch).ok());
  EXPECT_EQ(store_->SelectStreams("t", {}, kMin, kMax).size(), 0u)
      << "a stream without entries is not created";
}

}  // namespace
}  // namespace sluice::storage

#include "storage/log_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "base/coding.h"
#include "storage/keys.h"
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

// ---- StreamStats -------------------------------------------------------------------------------

std::string Str(const LogStreamStats& s) {
  return "{blocks " + std::to_string(s.blocks) + ", entries " + std::to_string(s.entries) +
         ", line_bytes " + std::to_string(s.line_bytes) + "}";
}

class LogStoreStreamStatsTest : public LogStoreTest {
 protected:
  static constexpr int kHead = -1;
  struct Written {
    int64_t ts;
    uint64_t line_bytes;
    int block;  // the round whose SealAll sealed it, or kHead
  };

  // Writes `rounds` batches to {app="api"}, each SealAll'ed into one block except the last
  // `rounds - sealed`, which stay in the head. Rounds overlap in time and arrive out of order;
  // lines have random lengths (some empty), some entries carry metadata, and a {app="web"}
  // stream in the same shards gets blocks of its own.
  void Fill(int rounds, int sealed) {
    std::uniform_int_distribution<int> count(20, 60), len(0, 40), offset(-700, 1700), coin(0, 2);
    for (int round = 0; round < rounds; ++round) {
      LogBatch batch("t");
      uint32_t api = batch.AddStream({{"app", "api"}});
      uint32_t web = batch.AddStream({{"app", "web"}});
      for (int i = 0, n = count(rng_); i < n; ++i) {
        int64_t ts = round * 1000 + offset(rng_);
        std::string line(static_cast<size_t>(len(rng_)), static_cast<char>('a' + round % 26));
        std::string metadata;
        if (coin(rng_) == 0) {
          MetadataEncoder md;
          md.Add("trace_id", std::to_string(i));
          metadata = md.Finish();
        }
        batch.AddEntry(api, ts, line, metadata);
        written_.push_back(Written{ts, line.size(), round < sealed ? round : kHead});
        batch.AddEntry(web, ts, "web " + line);
      }
      ASSERT_TRUE(Write(batch).ok());
      if (round < sealed) {
        ASSERT_TRUE(store_->SealAll().ok());
      }
    }
  }

  StreamInfo Api() { return OnlyStream("t", {M(MatchOp::kEqual, "app", "api")}); }

  // What the written entries say [start, end) holds.
  LogStreamStats Expected(int64_t start, int64_t end) const {
    LogStreamStats s;
    std::set<int> blocks;
    for (const Written& w : written_) {
      if (w.ts < start || w.ts >= end) continue;
      ++s.entries;
      s.line_bytes += w.line_bytes;
      blocks.insert(w.block);
    }
    s.blocks = blocks.size();
    return s;
  }

  // What a scan finds in [start, end) (without a block count).
  LogStreamStats Scanned(const StreamInfo& info, int64_t start, int64_t end) {
    LogStreamStats s;
    for (const Got& g : ScanAll(info, start, end)) {
      ++s.entries;
      s.line_bytes += g.line.size();
    }
    return s;
  }

  LogStreamStats Stats(const StreamInfo& info, int64_t start, int64_t end) {
    LogStreamStats s;
    Status st = store_->StreamStats(info, start, end, &s);
    EXPECT_TRUE(st.ok()) << st.message();
    return s;
  }

  // Random ranges around the data, half of them with bounds at an entry's exact timestamp.
  std::vector<std::pair<int64_t, int64_t>> RandomRanges(size_t n) {
    std::vector<std::pair<int64_t, int64_t>> out = {{kMin, kMax}, {0, 1}, {kMin, kMin + 1}};
    std::uniform_int_distribution<int64_t> at(-2000, 30'000), width(0, 9000);
    std::uniform_int_distribution<size_t> pick(0, written_.size() - 1);
    for (size_t i = 0; i < n; ++i) {
      int64_t start = i % 2 == 0 ? at(rng_) : written_[pick(rng_)].ts;
      int64_t end = i % 3 == 0 ? written_[pick(rng_)].ts : start + width(rng_);
      out.emplace_back(std::min(start, end), std::max(start, end));
    }
    // Bounds at and next to each block's (and the head's) first and last timestamps, where a
    // block turns from wholly inside to straddling.
    for (const auto& [lo, hi] : Extremes()) {
      for (int64_t d0 : {-1, 0, 1}) {
        for (int64_t d1 : {0, 1, 2}) out.emplace_back(lo + d0, hi + d1);
      }
    }
    return out;
  }

  // The first and last timestamps of each block and of the head.
  std::vector<std::pair<int64_t, int64_t>> Extremes() const {
    std::map<int, std::pair<int64_t, int64_t>> by_block;
    for (const Written& w : written_) {
      auto [it, added] = by_block.try_emplace(w.block, w.ts, w.ts);
      it->second.first = std::min(it->second.first, w.ts);
      it->second.second = std::max(it->second.second, w.ts);
    }
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& [block, minmax] : by_block) out.push_back(minmax);
    return out;
  }

  // Each block of `info`'s shard as (stream id, min_ts, key).
  std::vector<std::tuple<uint64_t, int64_t, std::string>> BlockKeys(const StreamInfo& info) {
    std::vector<std::tuple<uint64_t, int64_t, std::string>> out;
    const Shard& shard = shards_->shard(info.shard);
    std::unique_ptr<rocksdb::Iterator> it(shard.db->NewIterator({}, shard.cf(Cf::kLogBlockMeta)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string key(it->key().data(), it->key().size());
      uint64_t id = 0, seq = 0;
      int64_t min_ts = 0;
      EXPECT_TRUE(keys::ParseBlock(key, &id, &min_ts, &seq));
      out.emplace_back(id, min_ts, key);
    }
    return out;
  }

  std::mt19937 rng_{20260101};
  std::vector<Written> written_;
};

TEST_F(LogStoreStreamStatsTest, RandomRangesMatchAScanOverManyBlocksAndAHead) {
  Open();
  Fill(/*rounds=*/28, /*sealed=*/24);
  StreamInfo info = Api();
  EXPECT_GT(store_->Stats().head_entries, 0u);
  EXPECT_EQ(Stats(info, kMin, kMax).blocks, 25u) << "24 blocks and the head";
  for (auto [start, end] : RandomRanges(400)) {
    LogStreamStats want = Expected(start, end);
    LogStreamStats scanned = Scanned(info, start, end);
    ASSERT_EQ(scanned.entries, want.entries) << "[" << start << ", " << end << ")";
    ASSERT_EQ(scanned.line_bytes, want.line_bytes) << "[" << start << ", " << end << ")";
    ASSERT_EQ(Str(Stats(info, start, end)), Str(want)) << "[" << start << ", " << end << ")";
  }
}

TEST_F(LogStoreStreamStatsTest, BucketsMatchOneCallPerBucket) {
  Open();
  Fill(/*rounds=*/16, /*sealed=*/13);
  StreamInfo info = Api();
  std::uniform_int_distribution<int64_t> at(-1000, 18'000);
  std::vector<std::pair<int64_t, int64_t>> extremes = Extremes();
  std::uniform_int_distribution<size_t> size(0, 14), pick(0, written_.size() - 1),
      pick_block(0, extremes.size() - 1), kind(0, 3);
  for (int trial = 0; trial < 150; ++trial) {
    std::vector<int64_t> bounds(size(rng_));
    for (int64_t& bound : bounds) {
      switch (kind(rng_)) {
        case 0:
          bound = at(rng_);
          break;
        case 1:
          bound = written_[pick(rng_)].ts;
          break;
        case 2:
          bound = extremes[pick_block(rng_)].first;
          break;
        default:
          bound = extremes[pick_block(rng_)].second + 1;
          break;
      }
    }
    if (trial % 5 == 0 && !bounds.empty()) bounds.push_back(bounds.back());  // an empty bucket
    std::sort(bounds.begin(), bounds.end());
    std::vector<LogStreamStats> got;
    Status s = store_->StreamStats(info, bounds, &got);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(got.size(), bounds.size() < 2 ? 0 : bounds.size() - 1);
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(Str(got[k]), Str(Expected(bounds[k], bounds[k + 1])))
          << "trial " << trial << " bucket [" << bounds[k] << ", " << bounds[k + 1] << ")";
    }
  }
}

TEST_F(LogStoreStreamStatsTest, SameNumbersAfterARestartReplaysTheHeadAndAfterSealingIt) {
  LogShardOptions no_seal;
  no_seal.seal_on_stop = false;
  Open(no_seal);
  Fill(/*rounds=*/12, /*sealed=*/9);
  std::vector<std::pair<int64_t, int64_t>> ranges = RandomRanges(150);
  std::vector<std::string> before;
  for (auto [start, end] : ranges) before.push_back(Str(Stats(Api(), start, end)));

  Reopen(no_seal);
  ASSERT_GT(store_->Stats().head_entries, 0u) << "the head came back from the WAL";
  StreamInfo info = Api();
  for (size_t i = 0; i < ranges.size(); ++i) {
    auto [start, end] = ranges[i];
    ASSERT_EQ(Str(Stats(info, start, end)), before[i]) << "[" << start << ", " << end << ")";
    ASSERT_EQ(before[i], Str(Expected(start, end))) << "[" << start << ", " << end << ")";
  }

  // Sealed, the head becomes exactly one block: nothing changes, blocks included.
  ASSERT_TRUE(store_->SealAll().ok());
  EXPECT_EQ(store_->Stats().head_entries, 0u);
  for (size_t i = 0; i < ranges.size(); ++i) {
    auto [start, end] = ranges[i];
    ASSERT_EQ(Str(Stats(info, start, end)), before[i]) << "[" << start << ", " << end << ")";
  }
}

TEST_F(LogStoreStreamStatsTest, WholeBlocksAreCountedFromTheirMetadataAlone) {
  Open({}, 1);
  for (int64_t block_start : {0, 1000, 2000}) {
    LogBatch b("t");
    uint32_t id = b.AddStream({{"app", "api"}});
    for (int i = 0; i < 10; ++i) b.AddEntry(id, block_start + i * 10, "0123456789");
    ASSERT_TRUE(Write(b).ok());
    ASSERT_TRUE(store_->SealAll().ok());
  }
  StreamInfo info = Api();
  // Damage the middle block's data: only reading it can notice.
  std::string middle;
  for (const auto& [id, min_ts, key] : BlockKeys(info)) {
    if (id == info.id && min_ts == 1000) middle = key;
  }
  ASSERT_FALSE(middle.empty());
  const Shard& shard = shards_->shard(info.shard);
  ASSERT_TRUE(shard.db->Put({}, shard.cf(Cf::kLogBlocks), middle, "garbage").ok());

  EXPECT_EQ(Str(Stats(info, 500, 1500)), Str(LogStreamStats{1, 10, 100}));
  EXPECT_EQ(Str(Stats(info, 0, 2050)), Str(LogStreamStats{3, 25, 250}))
      << "the first block wholly, the middle one from meta, the last one decoded";
  LogStreamStats out;
  EXPECT_EQ(store_->StreamStats(info, 1050, 1500, &out).code(), StatusCode::kCorruption)
      << "a block that straddles a bound is read";
  EXPECT_EQ(
      store_->Scan(info, kMin, kMax, Direction::kForward, [](auto...) { return true; }).code(),
      StatusCode::kCorruption);
}

TEST_F(LogStoreStreamStatsTest, MetaRecordsWithoutSizesAreCountedFromTheirBlocks) {
  Open({}, 1);
  Fill(/*rounds=*/10, /*sealed=*/8);
  StreamInfo info = Api();
  std::vector<std::pair<int64_t, int64_t>> ranges = RandomRanges(100);
  // Cut every meta record of the stream after its max_ts, the shortest record DecodeBlockMeta
  // has always accepted.
  const Shard& shard = shards_->shard(info.shard);
  size_t cut = 0;
  for (const auto& [id, min_ts, key] : BlockKeys(info)) {
    if (id != info.id) continue;
    std::string value;
    ASSERT_TRUE(shard.db->Get({}, shard.cf(Cf::kLogBlockMeta), key, &value).ok());
    std::string_view in(value);
    uint64_t count = 0, max_zz = 0;
    ASSERT_TRUE(GetVarint(in, &count) && GetVarint(in, &max_zz));
    ASSERT_FALSE(in.empty()) << "today's records carry the sizes";
    std::string shorter;
    PutVarint(&shorter, count);
    PutVarint(&shorter, max_zz);
    ASSERT_TRUE(shard.db->Put({}, shard.cf(Cf::kLogBlockMeta), key, shorter).ok());
    ++cut;
  }
  EXPECT_EQ(cut, 8u);
  for (auto [start, end] : ranges) {
    ASSERT_EQ(Str(Stats(info, start, end)), Str(Expected(start, end)))
        << "[" << start << ", " << end << ")";
  }

  // A record that cannot be read is an error, not a zero.
  std::string first;
  for (const auto& [id, min_ts, key] : BlockKeys(info)) {
    if (id == info.id && first.empty()) first = key;
  }
  ASSERT_TRUE(shard.db->Put({}, shard.cf(Cf::kLogBlockMeta), first, "\xff").ok());
  LogStreamStats out;
  EXPECT_EQ(store_->StreamStats(info, kMin, kMax, &out).code(), StatusCode::kCorruption);
}

TEST_F(LogStoreStreamStatsTest, UnknownStreamsEmptyRangesAndBadBounds) {
  Open();
  Fill(/*rounds=*/2, /*sealed=*/1);
  StreamInfo info = Api();
  LogStreamStats out{7, 7, 7};
  StreamInfo unknown = info;
  unknown.id ^= 0x5a5a5a5a;
  // A stream that is gone (a purge dropped it) holds nothing.
  EXPECT_TRUE(store_->StreamStats(unknown, kMin, kMax, &out).ok());
  EXPECT_EQ(Str(out), Str(LogStreamStats{}));
  EXPECT_TRUE(store_->StreamStats(info, 100, 100, &out).ok());
  EXPECT_EQ(Str(out), Str(LogStreamStats{}));
  EXPECT_TRUE(store_->StreamStats(info, 200, 100, &out).ok());
  EXPECT_EQ(Str(out), Str(LogStreamStats{}));
  EXPECT_EQ(Str(Stats(info, 1'000'000, kMax)), Str(LogStreamStats{})) << "after all the data";

  std::vector<LogStreamStats> buckets;
  EXPECT_EQ(store_->StreamStats(info, std::vector<int64_t>{0, 10, 5}, &buckets).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->StreamStats(info, std::vector<int64_t>{42}, &buckets).ok());
  EXPECT_TRUE(buckets.empty());
}

TEST_F(LogStoreStreamStatsTest, SealsDuringReadsNeitherHideNorRepeatAnEntry) {
  LogShardOptions options;
  options.block_target_bytes = 2048;  // seal often while stats are read
  Open(options, 1);
  constexpr int kBatches = 150, kPerBatch = 20, kLine = 24;
  std::atomic<int64_t> submitted{kPerBatch};
  auto write = [&](int b) {
    LogBatch batch("t");
    uint32_t s = batch.AddStream({{"app", "api"}});
    for (int i = 0; i < kPerBatch; ++i) {
      batch.AddEntry(s, (b * kPerBatch + i) % 977, std::string(kLine, 'x'));
    }
    return Write(batch);
  };
  ASSERT_TRUE(write(0).ok());
  StreamInfo info = Api();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int b = 1; b < kBatches; ++b) {
      submitted += kPerBatch;
      if (!write(b).ok()) break;
    }
    done = true;
  });
  uint64_t last = 0;
  int reads = 0;
  while (!done.load()) {
    LogStreamStats s;
    Status st = store_->StreamStats(info, kMin, kMax, &s);
    int64_t bound = submitted.load();
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_GE(s.entries, last) << "an entry went missing";
    ASSERT_LE(s.entries, static_cast<uint64_t>(bound)) << "an entry was counted twice";
    ASSERT_EQ(s.line_bytes, s.entries * kLine);
    last = s.entries;
    ++reads;
  }
  writer.join();
  EXPECT_GT(reads, 0);
  EXPECT_EQ(Stats(info, kMin, kMax).entries, uint64_t{kBatches} * kPerBatch);
  EXPECT_GT(Stats(info, kMin, kMax).blocks, 10u);
}

}  // namespace
}  // namespace sluice::storage

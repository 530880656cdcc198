#include "storage/metric_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <future>
#include <limits>
#include <random>

#include "base/coding.h"
#include "storage/keys.h"
#include "storage/metric_chunk.h"
#include "storage/series_registry.h"
#include "tests/support/temp_dir.h"

namespace sluice::storage {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

bool SameBits(const Sample& a, const Sample& b) {
  return a.timestamp_ms == b.timestamp_ms &&
         std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value);
}

MATCHER_P(SamplesAre, expected, "") {
  if (arg.size() != expected.size()) {
    *result_listener << "has " << arg.size() << " samples, expected " << expected.size();
    return false;
  }
  for (size_t i = 0; i < arg.size(); ++i) {
    if (!SameBits(arg[i], expected[i])) {
      *result_listener << "sample " << i << " is (" << arg[i].timestamp_ms << ", " << arg[i].value
                       << "), expected (" << expected[i].timestamp_ms << ", " << expected[i].value
                       << ")";
      return false;
    }
  }
  return true;
}

class MetricStoreTest : public ::testing::Test {
 protected:
  void Open(MetricShardOptions options = {}, int shards = 2) {
    options_ = options;
    shard_count_ = shards;
    auto set = ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = shards});
    ASSERT_TRUE(set.ok()) << set.status().message();
    shards_ = std::move(set).value();
    registry_ = std::make_unique<prometheus::Registry>();
    store_ = std::make_unique<MetricStore>(*shards_, options, *registry_, clock_);
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

  void Reopen(MetricShardOptions options) {
    Close();
    Open(options, shard_count_);
  }

  Status Write(const MetricBatch& batch) {
    std::promise<Status> done;
    auto f = done.get_future();
    store_->Write(batch, [&](const Status& s) { done.set_value(s); });
    return f.get();
  }

  // Writes `samples` of the series {__name__=name, extra...} in one request.
  void Put(std::string_view tenant, const std::vector<LabelView>& labels,
           const std::vector<Sample>& samples) {
    MetricBatch batch{std::string(tenant)};
    uint32_t s = batch.AddSeries(labels);
    for (const Sample& x : samples) batch.AddSample(s, x.timestamp_ms, x.value);
    Status st = Write(batch);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  std::vector<Sample> ReadAll(const SeriesInfo& s, int64_t start = kMin, int64_t end = kMax) {
    std::vector<Sample> out;
    Status st = store_->Read(s, start, end, &out);
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  }

  SeriesInfo Only(std::string_view tenant, const LabelMatchers& m = {}) {
    auto series = store_->Select(tenant, m, kMin, kMax);
    EXPECT_EQ(series.size(), 1u);
    return series.empty() ? SeriesInfo{} : series[0];
  }

  // [min_ts, max_ts] of every sealed chunk on disk, in key order (series, then min_ts).
  std::vector<std::pair<int64_t, int64_t>> ChunkRanges() {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (size_t i = 0; i < shards_->size(); ++i) {
      const Shard& shard = shards_->shard(i);
      std::unique_ptr<rocksdb::Iterator> it(shard.db->NewIterator({}, shard.cf(Cf::kMetricChunks)));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ChunkHeader header;
        EXPECT_TRUE(
            ReadChunkHeader(std::string_view(it->value().data(), it->value().size()), &header));
        out.emplace_back(header.min_ts, header.max_ts);
      }
    }
    return out;
  }

  static LabelMatcher M(MatchOp op, std::string name, std::string value) {
    return *LabelMatcher::Make(op, std::move(name), std::move(value));
  }

  testing::TempDir dir_;
  FakeClock clock_;
  MetricShardOptions options_;
  int shard_count_ = 2;
  std::unique_ptr<ShardSet> shards_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricStore> store_;
};

const std::vector<LabelView> kUp{{"__name__", "up"}, {"job", "node"}};

TEST_F(MetricStoreTest, WritesAndReadsBackFromHeadAndChunks) {
  Open({.chunk_max_samples = 16});
  std::vector<Sample> want;
  for (int i = 0; i < 50; ++i) want.push_back(Sample{1'700'000'000'000 + i * 15'000, i * 0.5});
  // Three requests, so that some samples are sealed and some are in the head.
  Put("t", kUp, {want.begin(), want.begin() + 20});
  Put("t", kUp, {want.begin() + 20, want.begin() + 35});
  EXPECT_EQ(store_->Stats().head_samples, 15u);  // the first 20 are sealed
  Put("t", kUp, {want.begin() + 35, want.begin() + 36});
  Put("t", kUp, {want.begin() + 36, want.end()});
  SeriesInfo s = Only("t");
  EXPECT_EQ(LabelValue(s.labels, "job"), "node");
  EXPECT_EQ(s.min_ts, want.front().timestamp_ms);
  EXPECT_EQ(s.max_ts, want.back().timestamp_ms);
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  // Inclusive bounds.
  EXPECT_THAT(ReadAll(s, want[10].timestamp_ms, want[12].timestamp_ms),
              SamplesAre(std::vector<Sample>(want.begin() + 10, want.begin() + 13)));
  EXPECT_GT(store_->Stats().head_samples, 0u);
  ASSERT_TRUE(store_->SealAll().ok());
  EXPECT_EQ(store_->Stats().head_samples, 0u);
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
}

TEST_F(MetricStoreTest, SpecialValuesRoundTripBitForBit) {
  Open();
  std::vector<Sample> want{{1000, 1.0},
                           {2000, StaleNaN()},
                           {3000, std::numeric_limits<double>::infinity()},
                           {4000, -std::numeric_limits<double>::infinity()},
                           {5000, std::nan("")},
                           {6000, -0.0},
                           {7000, 5e-324},
                           {8000, 1.7976931348623157e308}};
  Put("t", kUp, want);
  SeriesInfo s = Only("t");
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  ASSERT_TRUE(store_->SealAll().ok());
  auto got = ReadAll(s);
  EXPECT_THAT(got, SamplesAre(want));
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(IsStaleNaN(got[1].value));
}

TEST_F(MetricStoreTest, OutOfOrderAndDuplicateSamplesMergeNewestWins) {
  Open({.chunk_max_samples = 8});
  Put("t", kUp, {{10'000, 1}, {20'000, 2}, {30'000, 3}});
  Put("t", kUp, {{5'000, 0.5}, {20'000, 2}, {25'000, 2.5}});  // behind, a duplicate, between
  SeriesInfo s = Only("t");
  std::vector<Sample> want{{5'000, 0.5}, {10'000, 1}, {20'000, 2}, {25'000, 2.5}, {30'000, 3}};
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  ASSERT_TRUE(store_->SealAll().ok());
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  // A sample far in the past after sealing lands in another chunk; a rewrite of an existing
  // timestamp with a new value wins over the sealed one.
  Put("t", kUp, {{1'000, 0.1}, {10'000, 11}});
  want = {{1'000, 0.1}, {5'000, 0.5}, {10'000, 11}, {20'000, 2}, {25'000, 2.5}, {30'000, 3}};
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  ASSERT_TRUE(store_->SealAll().ok());
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  Reopen(options_);
  EXPECT_THAT(ReadAll(Only("t")), SamplesAre(want));
}

TEST_F(MetricStoreTest, LateSamplesAreMergedIntoTheSealedChunksTheyOverlap) {
  Open({.chunk_max_samples = 8}, 1);
  std::vector<Sample> want;
  for (int i = 0; i < 40; ++i) want.push_back(Sample{i * 1000, static_cast<double>(i)});
  for (int i = 0; i < 40; i += 8) Put("t", kUp, {want.begin() + i, want.begin() + i + 8});
  ASSERT_TRUE(store_->SealAll().ok());
  ASSERT_EQ(ChunkRanges().size(), 5u);
  // Late samples inside two sealed chunks, a rewrite of a sealed timestamp, and new ones after.
  Put("t", kUp, {{3'500, 3.5}, {17'500, 17.5}, {20'000, -20}, {45'000, 45}});
  ASSERT_TRUE(store_->SealAll().ok());
  want.insert(want.begin() + 4, Sample{3'500, 3.5});
  want.insert(want.begin() + 19, Sample{17'500, 17.5});
  ASSERT_EQ(want[22].timestamp_ms, 20'000);
  want[22].value = -20;
  want.push_back(Sample{45'000, 45});
  SeriesInfo s = Only("t");
  EXPECT_THAT(ReadAll(s), SamplesAre(want));
  auto ranges = ChunkRanges();
  for (size_t i = 1; i < ranges.size(); ++i) {
    EXPECT_LT(ranges[i - 1].second, ranges[i].first) << "chunks " << i - 1 << " and " << i;
  }
  uint64_t merged = 0;
  for (const auto& family : registry_->Collect()) {
    if (family.name == "sluice_metric_chunks_merged_total") {
      merged = static_cast<uint64_t>(family.metric[0].counter.value);
    }
  }
  EXPECT_EQ(merged, 2u);  // [0,7] and [16,23] take the late samples; 45 is a chunk of its own
  Reopen(options_);
  EXPECT_THAT(ReadAll(Only("t")), SamplesAre(want));
  // After a restart the series still knows how far its chunks reach.
  Put("t", kUp, {{39'000, 390}});
  ASSERT_TRUE(store_->SealAll().ok());
  want[want.size() - 2].value = 390;
  EXPECT_THAT(ReadAll(Only("t")), SamplesAre(want));
  ranges = ChunkRanges();
  for (size_t i = 1; i < ranges.size(); ++i) EXPECT_LT(ranges[i - 1].second, ranges[i].first);
}

TEST_F(MetricStoreTest, UnsealedSamplesSurviveARestartThroughTheWal) {
  MetricShardOptions options{.chunk_max_samples = 10, .seal_on_stop = false};
  Open(options);
  std::vector<Sample> want;
  for (int i = 0; i < 25; ++i) want.push_back(Sample{i * 1000, static_cast<double>(i * i)});
  for (int i = 0; i < 25; i += 5) Put("t", kUp, {want.begin() + i, want.begin() + i + 5});
  Reopen(options);
  EXPECT_THAT(ReadAll(Only("t")), SamplesAre(want));
  // And again, after more writes on top of the replayed heads.
  Put("t", kUp, {{25'000, 625}});
  want.push_back(Sample{25'000, 625});
  Reopen(options);
  EXPECT_THAT(ReadAll(Only("t")), SamplesAre(want));
  ASSERT_TRUE(store_->SealAll().ok());
  Reopen(options);
  EXPECT_THAT(ReadAll(Only("t")), SamplesAre(want));
}

TEST_F(MetricStoreTest, WalRecordsOfManySeriesReplayWithTheirOwnTimestamps) {
  // One record holds series whose timestamps are near each other, before and after one another,
  // and far apart: the deltas carried from series to series must come back exact.
  MetricShardOptions options{.seal_on_stop = false};
  Open(options, 1);
  const std::vector<std::vector<Sample>> want = {
      {{1'700'000'000'000, 1}, {1'700'000'015'000, 2}},
      {{1'699'999'999'990, 3}},
      {{5, 4}, {6, 5}},
      {{1'800'000'000'000, std::bit_cast<double>(kStaleNaNBits)}},
  };
  MetricBatch batch{"t"};
  for (size_t i = 0; i < want.size(); ++i) {
    std::string value = std::to_string(i);
    uint32_t s = batch.AddSeries(std::vector<LabelView>{{"__name__", "m"}, {"i", value}});
    for (const Sample& x : want[i]) batch.AddSample(s, x.timestamp_ms, x.value);
  }
  ASSERT_TRUE(Write(batch).ok());
  Reopen(options);
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_THAT(ReadAll(Only("t", {M(MatchOp::kEqual, "i", std::to_string(i))})),
                SamplesAre(want[i]));
  }
}

TEST_F(MetricStoreTest, ReplaysWalRecordsOfTheFirstFormat) {
  // Version 1 records (written before deltas were carried across series) restart each series'
  // deltas from zero.
  MetricShardOptions options{.seal_on_stop = false};
  Open(options, 1);
  Put("t", kUp, {{1'000, 1}});
  Close();
  {
    auto set = ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = 1});
    ASSERT_TRUE(set.ok()) << set.status().message();
    std::string record;
    record.push_back(1);    // version 1
    PutVarint(&record, 2);  // two series entries, both of series 1
    for (int64_t ts : {2'000, 3'000}) {
      PutVarint(&record, 1);  // series id
      PutVarint(&record, 1);  // one sample
      PutVarint(&record, ZigZagEncode(ts));
      uint64_t bits = std::bit_cast<uint64_t>(static_cast<double>(ts / 1000));
      for (int i = 0; i < 8; ++i) record.push_back(static_cast<char>(bits >> (8 * i)));
    }
    const Shard& shard = (*set)->shard(0);
    ASSERT_TRUE(shard.db->Put({}, shard.cf(Cf::kMetricWal), keys::U64(1000), record).ok());
    ASSERT_TRUE((*set)->Close().ok());
  }
  Open(options, 1);
  EXPECT_THAT(ReadAll(Only("t")),
              SamplesAre(std::vector<Sample>{{1'000, 1}, {2'000, 2}, {3'000, 3}}));
}

TEST_F(MetricStoreTest, SelectsByMatchersWithinTenantAndTime) {
  Open();
  Put("a", {{"__name__", "up"}, {"job", "node"}, {"instance", "h1"}}, {{1000, 1}});
  Put("a", {{"__name__", "up"}, {"job", "node"}, {"instance", "h2"}}, {{2000, 1}});
  Put("a", {{"__name__", "up"}, {"job", "api"}}, {{3000, 0}});
  Put("a", {{"__name__", "http_requests_total"}, {"job", "api"}}, {{3000, 7}});
  Put("b", {{"__name__", "up"}, {"job", "node"}}, {{1000, 1}});
  auto count = [&](std::string_view tenant, LabelMatchers m, int64_t start = kMin,
                   int64_t end = kMax) { return store_->Select(tenant, m, start, end).size(); };
  EXPECT_EQ(count("a", {}), 4u);
  EXPECT_EQ(count("b", {}), 1u);
  EXPECT_EQ(count("c", {}), 0u);
  EXPECT_EQ(count("a", {M(MatchOp::kEqual, "__name__", "up")}), 3u);
  EXPECT_EQ(count("a", {M(MatchOp::kEqual, "__name__", "up"), M(MatchOp::kEqual, "job", "node")}),
            2u);
  EXPECT_EQ(count("a", {M(MatchOp::kNotEqual, "job", "node")}), 2u);
  EXPECT_EQ(count("a", {M(MatchOp::kRegexMatch, "instance", "h.")}), 2u);
  EXPECT_EQ(count("a", {M(MatchOp::kRegexMatch, "instance", "h")}), 0u);        // anchored
  EXPECT_EQ(count("a", {M(MatchOp::kRegexNoMatch, "instance", "h1|h2")}), 2u);  // absent = ""
  EXPECT_EQ(count("a", {M(MatchOp::kEqual, "instance", "")}), 2u);
  EXPECT_EQ(count("a", {M(MatchOp::kEqual, "nope", "x")}), 0u);
  EXPECT_EQ(count("a", {}, 2000, 2500), 1u);
  EXPECT_EQ(count("a", {}, 3000, 3000), 2u);
  EXPECT_THAT(store_->LabelNames("a", {}, kMin, kMax),
              ::testing::ElementsAre("__name__", "instance", "job"));
  EXPECT_THAT(store_->LabelValues("a", "job", {}, kMin, kMax),
              ::testing::ElementsAre("api", "node"));
  EXPECT_THAT(store_->LabelValues("a", "__name__", {M(MatchOp::kEqual, "job", "api")}, kMin, kMax),
              ::testing::ElementsAre("http_requests_total", "up"));
  Reopen(options_);
  EXPECT_EQ(count("a", {M(MatchOp::kRegexMatch, "instance", "h.")}), 2u);
  EXPECT_EQ(count("b", {}), 1u);
}

TEST_F(MetricStoreTest, MetadataIsKeptPerTenantAndSurvivesRestart) {
  Open();
  MetricBatch batch("t");
  batch.AddMetadata({"http_requests_total", MetricType::kCounter, "Requests served.", ""});
  batch.AddMetadata({"node_load1", MetricType::kGauge, "1m load average.", ""});
  ASSERT_TRUE(Write(batch).ok());
  batch.Clear();
  batch.set_tenant("t");
  batch.AddMetadata({"node_load1", MetricType::kGauge, "Load average over 1m.", "ratio"});
  ASSERT_TRUE(Write(batch).ok());
  auto md = store_->Metadata("t");
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].family, "http_requests_total");
  EXPECT_EQ(md[0].type, MetricType::kCounter);
  EXPECT_EQ(md[1].help, "Load average over 1m.");
  EXPECT_EQ(md[1].unit, "ratio");
  EXPECT_TRUE(store_->Metadata("other").empty());
  Reopen(options_);
  EXPECT_EQ(store_->Metadata("t"), md);
}

TEST_F(MetricStoreTest, ManySeriesAcrossShardsRandomOrder) {
  Open({.chunk_max_samples = 32}, 3);
  std::mt19937_64 rng(7);
  constexpr int kSeries = 200;
  std::vector<std::string> names;
  for (int i = 0; i < kSeries; ++i) names.push_back("s" + std::to_string(i));
  std::vector<std::vector<Sample>> want(kSeries);
  for (int round = 0; round < 40; ++round) {
    MetricBatch batch("t");
    for (int i = 0; i < kSeries; ++i) {
      std::vector<LabelView> labels{{"__name__", "m"}, {"id", names[static_cast<size_t>(i)]}};
      uint32_t s = batch.AddSeries(labels);
      int64_t ts = round * 10'000 + static_cast<int64_t>(rng() % 10) * 1000 + 500;
      double v = static_cast<double>(rng() % 1000) / 8;
      batch.AddSample(s, ts, v);
      want[static_cast<size_t>(i)].push_back(Sample{ts, v});
    }
    ASSERT_TRUE(Write(batch).ok());
  }
  Reopen(options_);
  auto all = store_->Select("t", {}, kMin, kMax);
  ASSERT_EQ(all.size(), static_cast<size_t>(kSeries));
  for (const SeriesInfo& s : all) {
    int i = std::stoi(std::string(LabelValue(s.labels, "id")).substr(1));
    EXPECT_THAT(ReadAll(s), SamplesAre(want[static_cast<size_t>(i)])) << "series " << i;
  }
}

TEST(SeriesRecords, RoundTrip) {
  MetricSeries s;
  std::vector<LabelView> labels{{"__name__", "up"}, {"job", "x"}};
  AppendSeriesKey(labels, &s.labels);
  s.has_data = true;
  s.min_ts = -5;
  s.max_ts = 1'700'000'000'000;
  s.max_chunk_span = 1'800'000;
  s.wal_floor = 42;
  s.sealed_max_ts = 1'699'999'000'000;
  MetricSeries back;
  std::string tenant;
  ASSERT_TRUE(DecodeSeriesRecord(EncodeSeriesRecord(s, "tenant-1"), &back, &tenant));
  EXPECT_EQ(tenant, "tenant-1");
  EXPECT_EQ(back.labels, s.labels);
  EXPECT_EQ(back.min_ts, -5);
  EXPECT_EQ(back.max_ts, s.max_ts);
  EXPECT_EQ(back.max_chunk_span, s.max_chunk_span);
  EXPECT_EQ(back.wal_floor, 42u);
  EXPECT_EQ(back.sealed_max_ts, s.sealed_max_ts);
  // A record from before sealed_max_ts existed: assumed to reach the newest sample.
  std::string old = EncodeSeriesRecord(s, "t");
  old.resize(old.size() - 6);
  ASSERT_TRUE(DecodeSeriesRecord(old, &back, &tenant));
  EXPECT_EQ(back.sealed_max_ts, s.max_ts);
  Labels decoded;
  ASSERT_TRUE(ParseSeriesKey(s.labels, &decoded));
  EXPECT_EQ(LabelsToString(decoded), R"({__name__="up", job="x"})");
  EXPECT_FALSE(DecodeSeriesRecord("\x02", &back, &tenant));
  EXPECT_FALSE(DecodeSeriesRecord(EncodeSeriesRecord(s, "t").substr(0, 6), &back, &tenant));
}

}  // namespace
}  // namespace sluice::storage

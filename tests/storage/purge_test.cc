// Deletion in both engines: Purge (physical, on the writer threads) and the read filter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <limits>
#include <random>

#include "storage/keys.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/series_registry.h"
#include "tests/support/temp_dir.h"

namespace sluice::storage {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Deletes [start, end] of every stream or series of `tenant` whose `name` label is `value`.
DeletionPlan Delete(std::string tenant, std::string name, std::string value, int64_t start,
                    int64_t end, std::function<bool(std::string_view)> line_filter = {}) {
  return [=](std::string_view t, const Labels& labels, std::vector<DeletionInterval>* out) {
    if (t == tenant && LabelValue(labels, name) == value) {
      out->push_back(DeletionInterval{start, end, line_filter});
    }
  };
}

class PurgeTest : public ::testing::Test {
 protected:
  void Open(LogShardOptions log_options = {}, MetricShardOptions metric_options = {},
            int shards = 2) {
    log_options_ = log_options;
    metric_options_ = metric_options;
    auto set = ShardSet::Open({.data_dir = dir_.Sub("data"), .shards = shards});
    ASSERT_TRUE(set.ok()) << set.status().message();
    shards_ = std::move(set).value();
    registry_ = std::make_unique<prometheus::Registry>();
    logs_ = std::make_unique<LogStore>(*shards_, log_options, *registry_);
    metrics_ = std::make_unique<MetricStore>(*shards_, metric_options, *registry_);
    ASSERT_TRUE(logs_->Recover().ok());
    ASSERT_TRUE(metrics_->Recover().ok());
    logs_->Start();
    metrics_->Start();
  }

  void Reopen() {
    logs_->Stop();
    metrics_->Stop();
    logs_.reset();
    metrics_.reset();
    shards_count_ = shards_->size();
    ASSERT_TRUE(shards_->Close().ok());
    shards_.reset();
    Open(log_options_, metric_options_, static_cast<int>(shards_count_));
  }

  // Writes lines "<app> <i>" at ts = first + i * step for i < count, one request per call.
  void PutLogs(std::string tenant, std::string app, int64_t first, int64_t step, int count) {
    LogBatch batch(tenant);
    uint32_t s = batch.AddStream({{"app", app}});
    for (int i = 0; i < count; ++i) {
      batch.AddEntry(s, first + i * step, app + " " + std::to_string(i));
    }
    std::promise<Status> done;
    auto f = done.get_future();
    logs_->Write(batch, [&](const Status& st) { done.set_value(st); });
    Status st = f.get();
    ASSERT_TRUE(st.ok()) << st.message();
  }

  std::vector<int64_t> LogTimes(std::string tenant, std::string app) {
    std::vector<int64_t> out;
    LabelMatchers m{*LabelMatcher::Make(MatchOp::kEqual, "app", app)};
    for (const StreamInfo& s : logs_->SelectStreams(tenant, m, kMin, kMax)) {
      Status st = logs_->Scan(s, kMin, kMax, Direction::kForward,
                              [&](int64_t ts, std::string_view, std::string_view) {
                                out.push_back(ts);
                                return true;
                              });
      EXPECT_TRUE(st.ok()) << st.message();
    }
    return out;
  }

  void PutSamples(std::string tenant, std::string job, int64_t first, int64_t step, int count) {
    MetricBatch batch{tenant};
    std::vector<LabelView> labels{{"__name__", "up"}, {"job", job}};
    uint32_t s = batch.AddSeries(labels);
    for (int i = 0; i < count; ++i) batch.AddSample(s, first + i * step, i);
    std::promise<Status> done;
    auto f = done.get_future();
    metrics_->Write(batch, [&](const Status& st) { done.set_value(st); });
    Status st = f.get();
    ASSERT_TRUE(st.ok()) << st.message();
  }

  std::vector<int64_t> SampleTimes(std::string tenant, std::string job) {
    std::vector<int64_t> out;
    LabelMatchers m{*LabelMatcher::Make(MatchOp::kEqual, "job", job)};
    for (const SeriesInfo& s : metrics_->Select(tenant, m, kMin, kMax)) {
      std::vector<Sample> samples;
      Status st = metrics_->Read(s, kMin, kMax, &samples);
      EXPECT_TRUE(st.ok()) << st.message();
      for (const Sample& x : samples) out.push_back(x.timestamp_ms);
    }
    return out;
  }

  size_t Keys(Cf cf) {
    size_t n = 0;
    for (size_t i = 0; i < shards_->size(); ++i) {
      const Shard& shard = shards_->shard(i);
      std::unique_ptr<rocksdb::Iterator> it(shard.db->NewIterator({}, shard.cf(cf)));
      for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    }
    return n;
  }

  static std::vector<int64_t> Range(int64_t first, int64_t step, int count) {
    std::vector<int64_t> out;
    for (int i = 0; i < count; ++i) out.push_back(first + i * step);
    return out;
  }

  testing::TempDir dir_;
  LogShardOptions log_options_;
  MetricShardOptions metric_options_;
  size_t shards_count_ = 2;
  std::unique_ptr<ShardSet> shards_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<MetricStore> metrics_;
};

TEST_F(PurgeTest, WholeBlocksGoStraddlingOnesAreRewrittenAndTheRestStays) {
  Open();
  // Three sealed blocks of 10 entries each: [0, 90], [100, 190], [200, 290].
  for (int b = 0; b < 3; ++b) {
    PutLogs("t", "api", b * 100, 10, 10);
    ASSERT_TRUE(logs_->SealAll().ok());
  }
  PutLogs("t", "web", 0, 10, 30);
  PutLogs("other", "api", 0, 10, 30);
  ASSERT_TRUE(logs_->SealAll().ok());
  ASSERT_EQ(Keys(Cf::kLogBlocks), 5u);

  // Deletes the first block whole and the first half of the second.
  auto purged = logs_->Purge(Delete("t", "app", "api", kMin, 140));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->streams_examined, 1u);
  EXPECT_EQ(purged->blocks_deleted, 1u);
  EXPECT_EQ(purged->blocks_rewritten, 1u);
  EXPECT_EQ(purged->entries_deleted, 15u);
  EXPECT_GT(purged->bytes_deleted, 0u);
  EXPECT_EQ(LogTimes("t", "api"), Range(150, 10, 15));
  EXPECT_EQ(LogTimes("t", "web"), Range(0, 10, 30)) << "another stream of the tenant";
  EXPECT_EQ(LogTimes("other", "api"), Range(0, 10, 30)) << "the same labels in another tenant";
  EXPECT_EQ(logs_->SelectStreams("t", {}, 0, 150).size(), 1u) << "api no longer reaches 140";

  Reopen();
  EXPECT_EQ(LogTimes("t", "api"), Range(150, 10, 15));
  EXPECT_EQ(logs_->SelectStreams("t", {}, 0, 150).size(), 1u) << "the stream's range is durable";
}

TEST_F(PurgeTest, HeadsAreSealedFirstAndEmptyStreamsDropped) {
  Open({}, {}, /*shards=*/1);
  // One request and one shard, so one WAL record holding both streams' entries, all in the heads.
  LogBatch batch("t");
  uint32_t api = batch.AddStream({{"app", "api"}});
  uint32_t web = batch.AddStream({{"app", "web"}});
  for (int i = 0; i < 10; ++i) {
    batch.AddEntry(api, i * 10, "api");
    batch.AddEntry(web, i * 10, "web");
  }
  std::promise<Status> done;
  auto written = done.get_future();
  logs_->Write(batch, [&](const Status& st) { done.set_value(st); });
  ASSERT_TRUE(written.get().ok());

  auto purged = logs_->Purge(Delete("t", "app", "api", kMin, kMax));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->entries_deleted, 10u);
  EXPECT_EQ(purged->streams_dropped, 0u) << "the WAL record still holds web's unsealed entries";
  EXPECT_TRUE(LogTimes("t", "api").empty());
  EXPECT_TRUE(logs_->SelectStreams("t", {}, kMin, kMax).size() == 1u);

  // Once web is sealed no WAL record holds api's entries: the next pass forgets the stream.
  ASSERT_TRUE(logs_->SealAll().ok());
  purged = logs_->Purge(Delete("t", "app", "api", kMin, kMax));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->streams_dropped, 1u);
  EXPECT_EQ(logs_->Stats().streams, 1u);

  Reopen();
  EXPECT_EQ(logs_->Stats().streams, 1u) << "dropped for good: no WAL replay brings it back";
  EXPECT_TRUE(LogTimes("t", "api").empty());
  EXPECT_EQ(LogTimes("t", "web"), Range(0, 10, 10));

  PutLogs("t", "api", 1000, 10, 3);  // the same labels come back as a new stream
  EXPECT_EQ(LogTimes("t", "api"), Range(1000, 10, 3));
}

TEST_F(PurgeTest, LineFiltersDeleteOnlyTheLinesTheyAccept) {
  Open();
  PutLogs("t", "api", 0, 10, 20);
  ASSERT_TRUE(logs_->SealAll().ok());
  auto odd = [](std::string_view line) { return (line.back() - '0') % 2 == 1; };
  auto purged = logs_->Purge(Delete("t", "app", "api", kMin, kMax, odd));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->entries_deleted, 10u);
  EXPECT_EQ(purged->blocks_rewritten, 1u);
  std::vector<int64_t> even;
  for (int i = 0; i < 20; ++i) {
    if (i % 2 == 0) even.push_back(i * 10);
  }
  EXPECT_EQ(LogTimes("t", "api"), even);
}

TEST_F(PurgeTest, ReadFilterHidesAtOnceAndStopsWhenCleared) {
  Open();
  PutLogs("t", "api", 0, 10, 10);
  ASSERT_TRUE(logs_->SealAll().ok());
  PutLogs("t", "api", 100, 10, 10);  // half sealed, half in the head
  PutSamples("t", "node", 0, 1000, 10);
  logs_->SetReadFilter(Delete("t", "app", "api", 50, 149));
  metrics_->SetReadFilter(Delete("t", "job", "node", 2000, 7000));
  std::vector<int64_t> kept = Range(0, 10, 5);
  for (int64_t ts : Range(150, 10, 5)) kept.push_back(ts);
  EXPECT_EQ(LogTimes("t", "api"), kept);
  EXPECT_EQ(SampleTimes("t", "node"), (std::vector<int64_t>{0, 1000, 8000, 9000}));
  EXPECT_EQ(LogTimes("other", "api").size(), 0u);

  logs_->SetReadFilter({});
  metrics_->SetReadFilter({});
  EXPECT_EQ(LogTimes("t", "api"), Range(0, 10, 20)) << "nothing was deleted";
  EXPECT_EQ(SampleTimes("t", "node"), Range(0, 1000, 10));
}

TEST_F(PurgeTest, MetricChunksDeletedInRunsAndRewrittenAtTheEdge) {
  MetricShardOptions options;
  options.chunk_max_samples = 10;
  Open({}, options);
  for (int i = 0; i < 10; ++i) {  // a head is sealed once it holds ten samples: ten chunks
    PutSamples("t", "node", i * 10'000, 1000, 10);
    PutSamples("t", "other", i * 10'000, 1000, 10);
  }
  ASSERT_TRUE(metrics_->SealAll().ok());
  ASSERT_EQ(Keys(Cf::kMetricChunks), 20u);

  auto purged = metrics_->Purge(Delete("t", "job", "node", kMin, 44'999));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->blocks_deleted, 4u);
  EXPECT_EQ(purged->blocks_rewritten, 1u);
  EXPECT_EQ(purged->entries_deleted, 45u);
  EXPECT_EQ(SampleTimes("t", "node"), Range(45'000, 1000, 55));
  EXPECT_EQ(SampleTimes("t", "other"), Range(0, 1000, 100));
  EXPECT_EQ(Keys(Cf::kMetricChunks), 16u);

  // Everything else of the series: it stays known but matches no range any more.
  purged = metrics_->Purge(Delete("t", "job", "node", kMin, kMax));
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->entries_deleted, 55u);
  LabelMatchers m{*LabelMatcher::Make(MatchOp::kEqual, "job", "node")};
  EXPECT_TRUE(metrics_->Select("t", m, kMin, kMax).empty());
  Reopen();
  EXPECT_TRUE(metrics_->Select("t", m, kMin, kMax).empty());
  EXPECT_EQ(SampleTimes("t", "other"), Range(0, 1000, 100));
  PutSamples("t", "node", 500'000, 1000, 3);  // new samples of the same series
  EXPECT_EQ(SampleTimes("t", "node"), Range(500'000, 1000, 3));
}

TEST_F(PurgeTest, EmptiedSeriesAreForgottenOnceNoWalRecordNamesThem) {
  Open();
  PutSamples("t", "node", 0, 1000, 10);
  PutSamples("t", "other", 0, 1000, 10);
  ASSERT_EQ(metrics_->Stats().series, 2u);
  auto purged = metrics_->Purge(Delete("t", "job", "node", kMin, kMax));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->entries_deleted, 10u);
  // Sealing every head lets the WAL records go; the next pass forgets the series.
  ASSERT_TRUE(metrics_->SealAll().ok());
  purged = metrics_->Purge(Delete("t", "job", "node", kMin, kMax));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->streams_dropped, 1u);
  EXPECT_EQ(metrics_->Stats().series, 1u);
  Reopen();
  EXPECT_EQ(metrics_->Stats().series, 1u);
  EXPECT_TRUE(SampleTimes("t", "node").empty());
  EXPECT_EQ(SampleTimes("t", "other"), Range(0, 1000, 10));
  PutSamples("t", "node", 50'000, 1000, 2);  // the same labels: a new series
  EXPECT_EQ(SampleTimes("t", "node"), Range(50'000, 1000, 2));
  EXPECT_EQ(metrics_->Stats().series, 2u);
}

// A query selects, a purge forgets the series, then the query reads it: nothing, not an error.
TEST_F(PurgeTest, ASeriesForgottenBetweenSelectAndReadReadsAsEmpty) {
  Open({}, {}, /*shards=*/1);
  PutSamples("t", "node", 0, 1000, 10);
  ASSERT_TRUE(metrics_->SealAll().ok());  // no WAL record names the series any more
  LabelMatchers m{*LabelMatcher::Make(MatchOp::kEqual, "job", "node")};
  std::vector<SeriesInfo> selected = metrics_->Select("t", m, kMin, kMax);
  ASSERT_EQ(selected.size(), 1u);
  auto purged = metrics_->Purge(Delete("t", "job", "node", kMin, kMax));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  ASSERT_EQ(purged->streams_dropped, 1u);
  std::vector<Sample> samples;
  Status read = metrics_->Read(selected[0], kMin, kMax, &samples);
  EXPECT_TRUE(read.ok()) << read.message();
  EXPECT_TRUE(samples.empty());
}

// Removing from the registry's open-addressing table keeps every other series findable, however
// their probe runs overlap (fingerprints forced into a few home slots).
TEST(SeriesRegistryRemove, KeepsEveryOtherSeriesFindable) {
  SeriesRegistry registry;
  uint32_t tenant = registry.InternTenant("t");
  std::vector<std::string> keys;
  constexpr uint32_t kCount = 3000;
  for (uint32_t i = 0; i < kCount; ++i) {
    std::string key;
    std::string value = std::to_string(i);
    std::vector<LabelView> labels{{"__name__", "m"}, {"i", value}};
    AppendSeriesKey(labels, &key);
    auto series = std::make_unique<MetricSeries>();
    series->id = registry.NextId();
    series->tenant = tenant;
    series->fingerprint = (i % 7) * 1'000'003;  // a few homes, long shared runs
    series->labels = key;
    series->has_data = true;
    registry.Add(std::move(series));
    keys.push_back(key);
  }
  std::mt19937 random(7);
  std::vector<bool> removed(kCount);
  for (int round = 0; round < 2000; ++round) {
    uint32_t i = random() % kCount;
    EXPECT_EQ(registry.Remove(i + 1), !removed[i]);
    removed[i] = true;
  }
  size_t left = 0;
  for (uint32_t i = 0; i < kCount; ++i) {
    MetricSeries* found = registry.Find(tenant, (i % 7) * 1'000'003, keys[i]);
    if (removed[i]) {
      EXPECT_EQ(found, nullptr) << i;
      EXPECT_EQ(registry.FindById(i + 1), nullptr);
    } else {
      ASSERT_NE(found, nullptr) << i;
      EXPECT_EQ(found->id, i + 1);
      ++left;
    }
  }
  EXPECT_EQ(registry.size(), left);
  LabelMatchers m{*LabelMatcher::Make(MatchOp::kEqual, "__name__", "m")};
  EXPECT_EQ(registry.Select("t", m, kMin, kMax).size(), left);
}

TEST_F(PurgeTest, UnsealedSamplesArePurgedAndStayGoneAfterRestart) {
  Open();
  PutSamples("t", "node", 0, 1000, 30);  // all in the head
  auto purged = metrics_->Purge(Delete("t", "job", "node", 10'000, 19'999));
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->entries_deleted, 10u);
  std::vector<int64_t> kept = Range(0, 1000, 10);
  for (int64_t ts : Range(20'000, 1000, 10)) kept.push_back(ts);
  EXPECT_EQ(SampleTimes("t", "node"), kept);
  Reopen();
  EXPECT_EQ(SampleTimes("t", "node"), kept) << "no WAL replay brings them back";
}

TEST_F(PurgeTest, IngestGoesOnDuringAPurge) {
  Open();
  for (int i = 0; i < 200; ++i) PutLogs("t", "s" + std::to_string(i), 0, 1, 5);
  ASSERT_TRUE(logs_->SealAll().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < 1000 && !stop; ++i) {
      PutLogs("t", "live", 1000 + i, 1, 1);
      ++written;
    }
  });
  auto purged =
      logs_->Purge([](std::string_view, const Labels& labels, std::vector<DeletionInterval>* out) {
        if (LabelValue(labels, "app") != "live") out->push_back(DeletionInterval{kMin, kMax, {}});
      });
  stop = true;
  writer.join();
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->entries_deleted, 1000u);
  EXPECT_EQ(LogTimes("t", "live").size(), static_cast<size_t>(written.load()));
}

}  // namespace
}  // namespace sluice::storage

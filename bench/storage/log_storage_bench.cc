// The storage side of the write path: block encoding (the compression that decides bytes on disk)
// and a whole shard write through the WAL, on the loghub lines; and retention's purge passes.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <future>
#include <limits>

#include "bench/bench_util.h"
#include "storage/log_block.h"
#include "storage/log_store.h"

namespace sluice::storage {
namespace {

// One block per loghub system (its 2,000 lines), as per-stream blocks hold them.
std::vector<std::vector<BlockEntry>> SystemBlocks() {
  const auto& lines = bench::LoghubLines();
  std::vector<std::vector<BlockEntry>> blocks;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i % 2000 == 0) blocks.emplace_back();
    // One entry per millisecond, as a busy stream would have them.
    blocks.back().push_back(
        BlockEntry{1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 1'000'000, lines[i], ""});
  }
  return blocks;
}

// A one-shard LogStore in a fresh temporary directory, removed again at the end.
class TempLogStore {
 public:
  explicit TempLogStore(std::string_view name, const LogShardOptions& options = {})
      : dir_(fmt::format("{}/sluice-bench-{}-{}", std::filesystem::temp_directory_path().string(),
                         name, getpid())) {
    std::filesystem::remove_all(dir_);
    auto shards = ShardSet::Open({.data_dir = dir_, .shards = 1});
    if (!shards.ok()) {
      status_ = shards.status();
      return;
    }
    shards_ = std::move(shards).value();
    store_ = std::make_unique<LogStore>(*shards_, options, registry_);
    status_ = store_->Recover();
    if (status_.ok()) store_->Start();
  }
  ~TempLogStore() {
    if (store_) store_->Stop();
    store_.reset();
    if (shards_) (void)shards_->Close();
    shards_.reset();
    std::filesystem::remove_all(dir_);
  }
  TempLogStore(const TempLogStore&) = delete;
  TempLogStore& operator=(const TempLogStore&) = delete;

  // Why the store could not open; the benchmark skips with it.
  const Status& status() const { return status_; }
  LogStore& store() { return *store_; }
  // Writes and waits for the acknowledgement.
  Status Write(const LogBatch& batch) {
    std::promise<Status> done;
    store_->Write(batch, [&](const Status& s) { done.set_value(s); });
    return done.get_future().get();
  }

 private:
  std::string dir_;
  prometheus::Registry registry_;
  std::unique_ptr<ShardSet> shards_;
  std::unique_ptr<LogStore> store_;
  Status status_;
};

void BM_BlockEncode(benchmark::State& state) {
  BlockEncoder encoder(static_cast<int>(state.range(0)));
  auto blocks = SystemBlocks();
  std::string out;
  BlockHeader header;
  size_t stored = 0, line_bytes = 0, lines = 0;
  for (auto& b : blocks) {
    if (!encoder.Encode(b, &out, &header).ok()) {
      state.SkipWithError("encoding failed");
      return;
    }
    auto decoded = DecodedBlock::Decode(out);
    if (!decoded.ok() || decoded->size() != b.size() || decoded->line(7) != b[7].line) {
      state.SkipWithError("blocks do not round-trip");
      return;
    }
    stored += out.size();
    line_bytes += header.line_bytes;
    lines += b.size();
  }
  size_t i = 0;
  for (auto _ : state) {
    Status s = encoder.Encode(blocks[i++ % blocks.size()], &out, &header);
    benchmark::DoNotOptimize(s);
  }
  bench::ReportCpuPerMillionLines(state,
                                  static_cast<double>(lines) / static_cast<double>(blocks.size()));
  state.counters["bytes_per_line"] = static_cast<double>(stored) / static_cast<double>(lines);
  state.counters["ratio"] = static_cast<double>(line_bytes) / static_cast<double>(stored);
}
BENCHMARK(BM_BlockEncode)->Arg(1)->Arg(3)->Arg(6)->Arg(9);

void BM_BlockDecode(benchmark::State& state) {
  BlockEncoder encoder(3);
  auto blocks = SystemBlocks();
  std::vector<std::string> encoded;
  size_t line_bytes = 0;
  for (auto& b : blocks) {
    BlockHeader header;
    encoded.emplace_back();
    (void)encoder.Encode(b, &encoded.back(), &header);
    line_bytes += header.line_bytes;
  }
  size_t i = 0;
  for (auto _ : state) {
    auto d = DecodedBlock::Decode(encoded[i++ % encoded.size()]);
    benchmark::DoNotOptimize(d);
  }
  bench::ReportCpuPerGB(state,
                        static_cast<double>(line_bytes) / static_cast<double>(encoded.size()));
}
BENCHMARK(BM_BlockDecode);

// LogStore::Write of 1,000-line batches to one shard, acknowledged after the WAL write.
void BM_ShardWrite(benchmark::State& state) {
  LogShardOptions options;
  options.durability = static_cast<Durability>(state.range(0));
  TempLogStore temp("write", options);
  if (!temp.status().ok()) {
    state.SkipWithError(temp.status().message().c_str());
    return;
  }
  const auto& lines = bench::LoghubLines();
  std::vector<LogBatch> batches;
  for (size_t offset = 0; offset < lines.size(); offset += 1000) {
    batches.emplace_back("bench");
    for (size_t i = 0; i < 1000; ++i) {
      uint32_t s =
          batches.back().AddStream({{"system", std::to_string(((offset + i) / 2000) % 16)}});
      batches.back().AddEntry(s, 1'700'000'000'000'000'000 + static_cast<int64_t>(offset + i),
                              lines[(offset + i) % lines.size()]);
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    if (!temp.Write(batches[i++ % batches.size()]).ok()) {
      state.SkipWithError("write failed");
      break;
    }
  }
  bench::ReportCpuPerMillionLines(state, 1000);
}
BENCHMARK(BM_ShardWrite)
    ->Arg(static_cast<int>(Durability::kNever))
    ->Arg(static_cast<int>(Durability::kInterval))
    ->UseRealTime();

// A retention pass: purging the older half of 16 streams' history (the loghub systems, each in
// ten sealed blocks of ~200 lines over ten hours), so that five blocks per stream go whole and
// one is rewritten. Process CPU (the writer thread does the work) per million lines deleted.
void BM_Purge(benchmark::State& state) {
  constexpr int64_t kStart = 1'700'000'000'000'000'000;
  constexpr int64_t kHour = 3'600'000'000'000;
  TempLogStore temp("purge");
  if (!temp.status().ok()) {
    state.SkipWithError(temp.status().message().c_str());
    return;
  }
  const auto& lines = bench::LoghubLines();
  uint64_t deleted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int window = 0; window < 10; ++window) {
      LogBatch batch("bench");
      for (size_t i = 0; i < lines.size(); ++i) {
        if (static_cast<int>(i % 10) != window) continue;
        uint32_t s = batch.AddStream({{"system", std::to_string(i / 2000)}});
        batch.AddEntry(s, kStart + window * kHour + static_cast<int64_t>(i) * 1'000'000, lines[i]);
      }
      (void)temp.Write(batch);
      (void)temp.store().SealAll();
    }
    state.ResumeTiming();
    auto purged =
        temp.store().Purge([](std::string_view, const Labels&, std::vector<DeletionInterval>* out) {
          out->push_back(DeletionInterval{
              std::numeric_limits<int64_t>::min(), kStart + 5 * kHour + kHour / 2, {}});
        });
    if (!purged.ok()) {
      state.SkipWithError(purged.status().message().c_str());
      break;
    }
    deleted += purged->entries_deleted;
  }
  bench::ReportCpuPerMillion(
      state, static_cast<double>(deleted) / static_cast<double>(state.iterations()), "lines");
}
BENCHMARK(BM_Purge)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

// The common retention pass: nothing has expired. What a pass costs per stream when it only has
// to ask the policy, for 100,000 streams.
void BM_PurgeNothing(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  TempLogStore temp("purge-nothing");
  if (!temp.status().ok()) {
    state.SkipWithError(temp.status().message().c_str());
    return;
  }
  for (int first = 0; first < streams; first += 10'000) {
    LogBatch batch("bench");
    for (int i = first; i < std::min(streams, first + 10'000); ++i) {
      uint32_t s = batch.AddStream({{"pod", std::to_string(i)}});
      batch.AddEntry(s, 1'700'000'000'000'000'000, "line");
    }
    (void)temp.Write(batch);
  }
  for (auto _ : state) {
    auto purged = temp.store().Purge(
        [](std::string_view, const Labels& labels, std::vector<DeletionInterval>* out) {
          if (LabelValue(labels, "pod") == "none") out->push_back(DeletionInterval{});
        });
    benchmark::DoNotOptimize(purged);
  }
  bench::ReportCpuPerMillion(state, static_cast<double>(streams), "streams");
}
BENCHMARK(BM_PurgeNothing)->Arg(100'000)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sluice::storage

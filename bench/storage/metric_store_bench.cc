// The metrics engine's write path: MetricStore::Write of remote-write-sized batches (2,000 series,
// one sample each, as Prometheus sends them) to one shard, acknowledged after the WAL write, with
// heads filling and chunks being sealed as in steady state.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "bench/bench_util.h"
#include "storage/metric_store.h"

namespace sluice::storage {
namespace {

constexpr int kSeriesPerBatch = 2000;

void BM_MetricStoreWrite(benchmark::State& state) {
  const int series_total = static_cast<int>(state.range(0));
  std::string dir = fmt::format("{}/sluice-metric-bench-{}",
                                std::filesystem::temp_directory_path().string(), getpid());
  std::filesystem::remove_all(dir);
  {
    auto shards = ShardSet::Open({.data_dir = dir, .shards = 1});
    if (!shards.ok()) {
      state.SkipWithError("cannot open shards");
      return;
    }
    prometheus::Registry registry;
    MetricShardOptions options;
    options.durability = Durability::kNever;
    MetricStore store(**shards, options, registry);
    (void)store.Recover();
    store.Start();
    // node_exporter-like label sets: metric, job, instance and two more labels.
    std::vector<std::vector<std::string>> labels;
    for (int i = 0; i < series_total; ++i) {
      labels.push_back({fmt::format("node_metric_{}_total", i % 50), "node",
                        fmt::format("host-{}:9100", i / 1000), fmt::format("cpu{}", i % 8),
                        fmt::format("mode-{}", i % 10), std::to_string(i)});
    }
    MetricBatch batch("bench");
    int64_t step = 0;
    int next = 0;
    auto fill = [&] {
      batch.Clear();
      batch.set_tenant("bench");
      for (int k = 0; k < kSeriesPerBatch; ++k) {
        const auto& l = labels[static_cast<size_t>(next)];
        std::vector<LabelView> views{{"__name__", l[0]}, {"cpu", l[3]}, {"id", l[5]},
                                     {"instance", l[2]}, {"job", l[1]}, {"mode", l[4]}};
        uint32_t s = batch.AddSeries(views);
        batch.AddSample(s, 1'700'000'000'000 + step * 15'000,
                        static_cast<double>(step * 100 + next % 7) / 4);
        if (++next == series_total) {
          next = 0;
          ++step;
        }
      }
    };
    auto write = [&] {
      std::promise<Status> done;
      store.Write(batch, [&](const Status& s) { done.set_value(s); });
      return done.get_future().get().ok();
    };
    // Every series exists before timing starts: the steady state is lookups, not creations.
    bool ok = true;
    while (ok && step == 0) {
      fill();
      ok = write();
    }
    if (!ok) state.SkipWithError("write failed");
    for (auto _ : state) {
      if (!ok) break;
      state.PauseTiming();
      fill();
      state.ResumeTiming();
      if (!write()) {
        state.SkipWithError("write failed");
        break;
      }
    }
    state.counters["series"] = static_cast<double>(store.Stats().series);
    state.counters["head_bytes_per_series"] =
        static_cast<double>(store.Stats().head_bytes) / static_cast<double>(series_total);
    store.Stop();
    (void)(*shards)->Close();
  }
  std::filesystem::remove_all(dir);
  bench::ReportCpuPerMillion(state, kSeriesPerBatch, "samples");
}
BENCHMARK(BM_MetricStoreWrite)->Arg(20'000)->Arg(200'000)->UseRealTime();

}  // namespace
}  // namespace sluice::storage

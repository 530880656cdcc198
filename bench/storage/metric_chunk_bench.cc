// Metric sample encodings on node_exporter-like series: the head XorChunk being appended to,
// sealed chunks being encoded and decoded, and the bytes per sample of each, before and after the
// zstd RocksDB applies to SST blocks.
//
// The series are synthetic but follow what node_exporter exposes: /proc counters in USER_HZ ticks
// shown with 2 decimals, byte counters, /proc/meminfo gauges in multiples of 1024, 2-decimal load
// averages, constants, histogram buckets and their float _sum. Scrapes every 15 s; Arg 1 adds the
// few-millisecond jitter of scrapers that do not snap timestamps to the schedule as Prometheus
// does.
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "storage/metric_chunk.h"

namespace sluice::storage {
namespace {

constexpr size_t kChunkSamples = 120;  // 30 minutes at 15 s
constexpr size_t kChunksPerSeries = 8;
constexpr size_t kSeriesPerKind = 32;

enum Kind : int {
  kCpuCounter,    // node_cpu_seconds_total, the 8 modes in turn
  kSmallCounter,  // node_disk_reads_completed_total, node_vmstat_*: small integer increments
  kNetBytes,      // node_network_receive_bytes_total
  kMemoryGauge,   // node_memory_MemAvailable_bytes
  kLoadGauge,     // node_load1
  kConstant,      // node_filesystem_size_bytes, *_info, error counters stuck at 0
  kHistogramBucket,
  kHistogramSum,  // float sums of observed durations: no decimal form
  kKinds,
};
constexpr const char* kKindNames[] = {"cpu_counter",      "small_counter", "net_bytes",
                                      "memory_gauge",     "load_gauge",    "constant",
                                      "histogram_bucket", "histogram_sum"};
// Share of each kind among a host's ~1,000 node_exporter series (estimated from a 4-core VM:
// constants, zero error counters and info metrics dominate).
constexpr double kMixWeights[] = {0.04, 0.25, 0.02, 0.08, 0.03, 0.45, 0.10, 0.03};

// One series: kChunksPerSeries * kChunkSamples samples.
std::vector<Sample> MakeSeries(Kind kind, uint64_t seed, bool jitter) {
  std::mt19937_64 rng(seed * 1000 + static_cast<uint64_t>(kind));
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  size_t n = kChunkSamples * kChunksPerSeries;
  std::vector<Sample> out;
  out.reserve(n);
  int64_t ts = 1'700'000'000'000 + static_cast<int64_t>(rng() % 15'000);
  // Per-series state.
  int mode = static_cast<int>(seed % 8);
  double ticks = std::floor(2.5e8 * uniform(rng));
  double counter = std::floor(1e12 * uniform(rng));
  double events = std::floor(1e6 * uniform(rng));
  double kb = 4e6 + std::floor(8e6 * uniform(rng));
  double load = 0.5 + 2 * uniform(rng);
  double constant = 4096 * std::floor(3e7 * uniform(rng));
  double le = std::pow(10.0, -2.3 + 0.3 * static_cast<double>(seed % 12));  // bucket bound
  double cdf = 1 / (1 + std::exp(-(std::log(le) - std::log(0.05)) * 1.5));
  double sum = 1e4 * uniform(rng);
  for (size_t i = 0; i < n; ++i) {
    int64_t t = ts + static_cast<int64_t>(i) * 15'000;
    if (jitter) {
      t += static_cast<int64_t>(rng() % 9);
    } else if (rng() % 32 == 0) {
      t += 3 + static_cast<int64_t>(rng() % 20);  // beyond Prometheus' 2 ms tolerance
    }
    double v = 0;
    switch (kind) {
      case kCpuCounter: {
        // USER_HZ ticks per 15 s: idle ~1450, user ~30, system ~10, iowait/softirq ~1, others 0.
        static constexpr double kRates[] = {1450, 30, 10, 1, 0, 1, 0, 0};
        double rate = kRates[mode];
        if (rate > 0) ticks += std::max(0.0, std::round(rate + std::sqrt(rate) * normal(rng)));
        v = ticks / 100;
        break;
      }
      case kSmallCounter:
        events += std::poisson_distribution<int>(3)(rng);
        v = events;
        break;
      case kNetBytes:
        counter += std::round(std::exp(std::log(2e5) + normal(rng)));
        v = counter;
        break;
      case kMemoryGauge:
        if (rng() % 10 != 0) kb += std::round(2000 * normal(rng));
        v = kb * 1024;
        break;
      case kLoadGauge:
        load = std::max(0.0, load * 0.92 + 0.08 * 1.2 + 0.1 * normal(rng));
        v = std::round(load * 100) / 100;
        break;
      case kConstant:
        v = seed % 3 == 0 ? 0 : seed % 3 == 1 ? 1 : constant;
        break;
      case kHistogramBucket: {
        double requests = std::poisson_distribution<int>(150)(rng);
        events += std::binomial_distribution<int>(static_cast<int>(requests), cdf)(rng);
        v = events;
        break;
      }
      case kHistogramSum:
        for (int r = 0; r < 150; ++r) sum += 0.05 * std::exp(normal(rng));
        v = sum;
        break;
      case kKinds:
        break;
    }
    out.push_back({t, v});
  }
  return out;
}

struct Corpus {
  std::vector<std::vector<Sample>> chunks;  // in (series, time) order, as the chunk CF keys them
  std::vector<std::string> sealed;
  size_t samples = 0;
};

Corpus MakeCorpus(Kind kind, bool jitter) {
  Corpus c;
  for (size_t s = 0; s < kSeriesPerKind; ++s) {
    std::vector<Sample> series = MakeSeries(kind, s, jitter);
    for (size_t i = 0; i < series.size(); i += kChunkSamples) {
      c.chunks.emplace_back(series.begin() + static_cast<ptrdiff_t>(i),
                            series.begin() + static_cast<ptrdiff_t>(i + kChunkSamples));
    }
  }
  for (const auto& chunk : c.chunks) {
    c.sealed.emplace_back();
    EncodeChunk(chunk, &c.sealed.back());
    c.samples += chunk.size();
  }
  return c;
}

bool SameSamples(const std::vector<Sample>& a, std::span<const Sample> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp_ms != b[i].timestamp_ms ||
        std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

// Round trips every chunk through both encodings; false on any difference.
bool Verify(const Corpus& c) {
  std::vector<Sample> got;
  XorChunk head;
  for (size_t i = 0; i < c.chunks.size(); ++i) {
    got.clear();
    if (!DecodeChunk(c.sealed[i], &got).ok() || !SameSamples(got, c.chunks[i])) return false;
    head.Clear();
    for (const Sample& s : c.chunks[i]) head.Append(s.timestamp_ms, s.value);
    got.clear();
    head.Decode(&got);
    if (!SameSamples(got, c.chunks[i])) return false;
  }
  return true;
}

// Bytes of the chunks once concatenated and cut into 32 KiB blocks compressed with zstd level 3,
// as RocksDB stores the chunk column family.
size_t ZstdBytes(const std::vector<const std::string*>& sealed) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  size_t total = 0;
  std::string block, compressed;
  auto flush = [&] {
    compressed.resize(ZSTD_compressBound(block.size()));
    size_t n =
        ZSTD_compress2(cctx, compressed.data(), compressed.size(), block.data(), block.size());
    total += ZSTD_isError(n) ? block.size() : std::min(n, block.size());
    block.clear();
  };
  for (const std::string* s : sealed) {
    block += *s;
    if (block.size() >= 32 * 1024) flush();
  }
  if (!block.empty()) flush();
  ZSTD_freeCCtx(cctx);
  return total;
}

struct Sizes {
  double xor_bytes = 0, sealed_bytes = 0, zstd_bytes = 0;
};

Sizes MeasureSizes(const Corpus& c) {
  Sizes sizes;
  XorChunk head;
  std::vector<const std::string*> sealed;
  for (size_t i = 0; i < c.chunks.size(); ++i) {
    head.Clear();
    for (const Sample& s : c.chunks[i]) head.Append(s.timestamp_ms, s.value);
    sizes.xor_bytes += static_cast<double>(head.SizeBytes() + 8);  // + the first timestamp
    sizes.sealed_bytes += static_cast<double>(c.sealed[i].size());
    sealed.push_back(&c.sealed[i]);
  }
  sizes.zstd_bytes = static_cast<double>(ZstdBytes(sealed));
  auto n = static_cast<double>(c.samples);
  return {sizes.xor_bytes / n, sizes.sealed_bytes / n, sizes.zstd_bytes / n};
}

void ReportSizes(benchmark::State& state, const Sizes& sizes) {
  state.counters["xor_bytes_per_sample"] = sizes.xor_bytes;
  state.counters["sealed_bytes_per_sample"] = sizes.sealed_bytes;
  state.counters["zstd_bytes_per_sample"] = sizes.zstd_bytes;
}

void ReportSamples(benchmark::State& state, size_t samples_per_iteration) {
  state.SetItemsProcessed(static_cast<int64_t>(samples_per_iteration) * state.iterations());
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(samples_per_iteration) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

void BM_XorChunkAppend(benchmark::State& state) {
  Corpus c = MakeCorpus(static_cast<Kind>(state.range(0)), state.range(1) != 0);
  if (!Verify(c)) {
    state.SkipWithError("chunks do not round-trip");
    return;
  }
  XorChunk head;
  size_t i = 0;
  for (auto _ : state) {
    head.Clear();
    for (const Sample& s : c.chunks[i++ % c.chunks.size()]) head.Append(s.timestamp_ms, s.value);
    benchmark::DoNotOptimize(head);
  }
  ReportSamples(state, kChunkSamples);
  state.counters["xor_bytes_per_sample"] = MeasureSizes(c).xor_bytes;
  state.SetLabel(kKindNames[state.range(0)]);
}

void BM_EncodeChunk(benchmark::State& state) {
  Corpus c = MakeCorpus(static_cast<Kind>(state.range(0)), state.range(1) != 0);
  if (!Verify(c)) {
    state.SkipWithError("chunks do not round-trip");
    return;
  }
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    EncodeChunk(c.chunks[i++ % c.chunks.size()], &out);
    benchmark::DoNotOptimize(out);
  }
  ReportSamples(state, kChunkSamples);
  ReportSizes(state, MeasureSizes(c));
  state.SetLabel(kKindNames[state.range(0)]);
}

void BM_DecodeChunk(benchmark::State& state) {
  Corpus c = MakeCorpus(static_cast<Kind>(state.range(0)), state.range(1) != 0);
  if (!Verify(c)) {
    state.SkipWithError("chunks do not round-trip");
    return;
  }
  std::vector<Sample> out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    Status s = DecodeChunk(c.sealed[i++ % c.sealed.size()], &out);
    benchmark::DoNotOptimize(s);
  }
  ReportSamples(state, kChunkSamples);
  state.SetLabel(kKindNames[state.range(0)]);
}

void KindsAndJitter(benchmark::internal::Benchmark* b) {
  for (int jitter = 0; jitter <= 1; ++jitter) {
    for (int kind = 0; kind < kKinds; ++kind) b->Args({kind, jitter});
  }
  b->ArgNames({"kind", "jitter"});
}
BENCHMARK(BM_XorChunkAppend)->Apply(KindsAndJitter);
BENCHMARK(BM_EncodeChunk)->Apply(KindsAndJitter);
BENCHMARK(BM_DecodeChunk)->Apply(KindsAndJitter);

// Bytes per sample of a host's whole node_exporter output: the kinds in kMixWeights proportions,
// the series shuffled (series ids do not group by kind) and each series' chunks adjacent.
void BM_ChunkSizesNodeExporterMix(benchmark::State& state) {
  bool jitter = state.range(0) != 0;
  std::vector<Corpus> corpora;
  corpora.reserve(kKinds);
  for (int k = 0; k < kKinds; ++k) corpora.push_back(MakeCorpus(static_cast<Kind>(k), jitter));
  // Series picked by weight, 400 of them.
  std::mt19937_64 rng(42);
  std::discrete_distribution<int> pick(std::begin(kMixWeights), std::end(kMixWeights));
  std::vector<const std::string*> sealed;
  double xor_bytes = 0, sealed_bytes = 0, samples = 0;
  XorChunk head;
  for (int s = 0; s < 400; ++s) {
    const Corpus& c = corpora[static_cast<size_t>(pick(rng))];
    size_t series = rng() % kSeriesPerKind;
    for (size_t j = 0; j < kChunksPerSeries; ++j) {
      size_t i = series * kChunksPerSeries + j;
      head.Clear();
      for (const Sample& x : c.chunks[i]) head.Append(x.timestamp_ms, x.value);
      xor_bytes += static_cast<double>(head.SizeBytes() + 8);
      sealed_bytes += static_cast<double>(c.sealed[i].size());
      samples += static_cast<double>(c.chunks[i].size());
      sealed.push_back(&c.sealed[i]);
    }
  }
  double zstd_bytes = 0;
  for (auto _ : state) zstd_bytes = static_cast<double>(ZstdBytes(sealed));
  ReportSizes(state, {xor_bytes / samples, sealed_bytes / samples, zstd_bytes / samples});
  ReportSamples(state, static_cast<size_t>(samples));  // through zstd
}
BENCHMARK(BM_ChunkSizesNodeExporterMix)->Arg(0)->Arg(1)->ArgName("jitter");

}  // namespace
}  // namespace sluice::storage

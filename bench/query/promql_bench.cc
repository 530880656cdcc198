// The PromQL engine on dashboard queries: ParseExpr throughput, then Engine::Execute of the
// queries a node_exporter dashboard sends (Grafana asks query_range over the panel's span) over an
// in-memory Querier holding 10,000 series × 4 h at a 15 s scrape interval, so the figures are the
// engine's own cost, without the storage's decoding.
//
// Each query's answer is checked before timing: its series count, and its values where the data
// make them known (counters grow linearly, so rate() and its sums are exact; the histogram's
// buckets grow at fixed rates, so the 99th percentile lies in a known bucket). Reported per query:
// the latency (Time), "samples" the Querier handed to the engine per query, and cpu_s_per_Msamples.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.h"
#include "query/promql_engine.h"
#include "query/promql_parser.h"

namespace sluice::query::promql {
namespace {

constexpr int kHosts = 100;
constexpr int kCpus = 8;
constexpr int kDevices = 4;
constexpr int64_t kIntervalMs = 15'000;
constexpr int64_t kStepsOfData = 4 * 3600'000 / kIntervalMs;  // 4 h
constexpr int64_t kStartMs = 1'700'000'040'000;               // a multiple of 60 s
constexpr int64_t kEndMs = kStartMs + (kStepsOfData - 1) * kIntervalMs;
// Queries start an hour into the data, so that every [5m] and [1h] window is full.
constexpr int64_t kQueryStartMs = kStartMs + 3600'000;
constexpr int64_t kQueryStepMs = 60'000;

const char* const kModes[] = {"idle",    "iowait", "irq",    "nice",
                              "softirq", "steal",  "system", "user"};
const double kModeShare[] = {0.70, 0.01, 0.0, 0.0, 0.01, 0.002, 0.06, 0.22};
const char* const kHandlers[] = {"/api/v1/orders", "/api/v1/users", "/api/v1/search",
                                 "/api/v1/cart", "/healthz"};
const double kBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr int kBuckets = 12;  // the bounds, then +Inf
// Share of a step's observations at or below each bucket's bound.
const double kBucketShare[kBuckets] = {0.02, 0.05, 0.2,   0.45,  0.7,   0.85,
                                       0.93, 0.97, 0.985, 0.993, 0.997, 1.0};

struct Rng {  // splitmix64
  uint64_t state;
  double Uniform() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }
};

// 10,000 series of 100 hosts: per host 64 CPU counters (8 CPUs × 8 modes), a 12-bucket latency
// histogram with _sum and _count, 4 network counters, 8 filesystem and 2 memory gauges, 5
// temperatures, load1, up and node_uname_info. Everything the checks need is kept beside.
struct Dataset {
  Matrix series;
  std::unordered_map<std::string, std::vector<size_t>> by_name;  // the Querier's "index"
  double cpu_rate_by_mode[std::size(kModes)] = {};  // sum of rate(node_cpu_seconds_total)
  double bucket_rate[kBuckets] = {};                // sum by (le) of rate(..._bucket)
  size_t samples = 0;
};

Dataset Generate() {
  Dataset d;
  Rng rng{42};
  auto add = [&](Labels labels, const std::function<double(int64_t)>& value) {
    labels.insert(labels.begin(), storage::Label{"env", "prod"});
    if (!storage::Canonicalize(labels).ok()) std::abort();  // a bug in the table below
    Series s;
    s.labels = std::move(labels);
    s.points.reserve(kStepsOfData);
    for (int64_t k = 0; k < kStepsOfData; ++k) {
      s.points.push_back(Point{kStartMs + k * kIntervalMs, value(k)});
    }
    d.samples += s.points.size();
    d.by_name[std::string(storage::LabelValue(s.labels, "__name__"))].push_back(d.series.size());
    d.series.push_back(std::move(s));
  };
  for (int h = 0; h < kHosts; ++h) {
    const std::string instance = fmt::format("host-{:03d}:9100", h);
    auto base = [&](std::string name, std::string job = "node") {
      return Labels{{"__name__", std::move(name)}, {"instance", instance}, {"job", std::move(job)}};
    };
    auto with = [&](std::string name, std::vector<storage::Label> extra, std::string job = "node") {
      Labels l = base(std::move(name), std::move(job));
      l.insert(l.end(), extra.begin(), extra.end());
      return l;
    };
    const double busy = 0.5 + 0.1 * (h % 10);
    for (int c = 0; c < kCpus; ++c) {
      for (size_t m = 0; m < std::size(kModes); ++m) {
        // Seconds per second: linear counters, so that rate() is known exactly.
        const double slope = kModeShare[m] * (m == 0 ? 1 : busy);
        const double start = std::floor(rng.Uniform() * 1e6);
        d.cpu_rate_by_mode[m] += slope;
        add(with("node_cpu_seconds_total", {{"cpu", std::to_string(c)}, {"mode", kModes[m]}}),
            [=](int64_t k) { return start + slope * static_cast<double>(k * kIntervalMs) / 1e3; });
      }
    }
    const std::string handler = kHandlers[h % std::size(kHandlers)];
    const int64_t per_step = 100 * (1 + h % 3);  // observations per scrape
    for (int b = 0; b < kBuckets; ++b) {
      const double inc = std::round(static_cast<double>(per_step) * kBucketShare[b]);
      d.bucket_rate[b] += inc / (kIntervalMs / 1e3);
      std::string le = b < kBuckets - 1 ? fmt::format("{}", kBounds[b]) : "+Inf";
      add(with("http_request_duration_seconds_bucket", {{"handler", handler}, {"le", le}}, "api"),
          [=](int64_t k) { return 1e4 * (b + 1) + inc * static_cast<double>(k); });
    }
    add(with("http_request_duration_seconds_count", {{"handler", handler}}, "api"),
        [=](int64_t k) { return static_cast<double>(per_step * k); });
    add(with("http_request_duration_seconds_sum", {{"handler", handler}}, "api"),
        [=](int64_t k) { return 0.07 * static_cast<double>(per_step * k); });
    for (int dev = 0; dev < kDevices; ++dev) {
      const double bytes_per_s = 1e6 * busy * (dev + 1) + h;  // distinct: topk has no ties
      add(with("node_network_receive_bytes_total", {{"device", fmt::format("eth{}", dev)}}),
          [=](int64_t k) { return bytes_per_s * static_cast<double>(k * kIntervalMs) / 1e3; });
    }
    for (const char* mount : {"/", "/boot", "/var", "/home"}) {
      const double size = std::round(1e11 * (1 + rng.Uniform()));
      const double used = std::round(size * rng.Uniform());
      add(with("node_filesystem_size_bytes", {{"mountpoint", mount}}),
          [=](int64_t) { return size; });
      add(with("node_filesystem_avail_bytes", {{"mountpoint", mount}}),
          [=](int64_t k) { return size - used - 4096.0 * static_cast<double>(k % 97); });
    }
    add(base("node_memory_MemTotal_bytes"), [](int64_t) { return 68719476736.0; });
    Rng walk{static_cast<uint64_t>(h)};
    add(base("node_memory_MemAvailable_bytes"),
        [&walk](int64_t) { return std::round(3e10 + 1e10 * walk.Uniform()); });
    for (int s = 0; s < 5; ++s) {
      add(with("node_hwmon_temp_celsius", {{"sensor", fmt::format("temp{}", s)}}),
          [&walk](int64_t) { return std::round(400 + 200 * walk.Uniform()) / 10; });
    }
    add(base("node_load1"),
        [&walk, busy](int64_t) { return std::round(800 * busy * walk.Uniform()) / 100; });
    add(base("up"), [](int64_t) { return 1.0; });
    add(with("node_uname_info",
             {{"nodename", fmt::format("host-{:03d}", h)}, {"release", "6.1.0-18-amd64"}}),
        [](int64_t) { return 1.0; });
  }
  return d;
}

const Dataset& Data() {
  static const Dataset* data = new Dataset(Generate());
  return *data;
}

// Series of the data by metric name, then every matcher; the samples in [mint, maxt] copied out
// as a storage querier decodes them.
class InMemoryQuerier final : public Querier {
 public:
  explicit InMemoryQuerier(const Dataset& data) : data_(data) {}

  Status Select(const storage::LabelMatchers& matchers, int64_t mint, int64_t maxt,
                Matrix* out) override {
    const std::vector<size_t>* candidates = nullptr;
    for (const auto& m : matchers) {
      if (m.name() == "__name__" && m.op() == storage::MatchOp::kEqual) {
        auto it = data_.by_name.find(m.value());
        if (it == data_.by_name.end()) return Status::Ok();
        candidates = &it->second;
      }
    }
    auto consider = [&](const Series& s) {
      for (const auto& m : matchers) {
        if (!m.MatchesLabels(s.labels)) return;
      }
      auto lo = std::lower_bound(s.points.begin(), s.points.end(), mint,
                                 [](const Point& p, int64_t t) { return p.t < t; });
      auto hi = std::upper_bound(lo, s.points.end(), maxt,
                                 [](int64_t t, const Point& p) { return t < p.t; });
      if (lo == hi) return;
      out->push_back(Series{s.labels, std::vector<Point>(lo, hi)});
      samples_ += static_cast<size_t>(hi - lo);
    };
    if (candidates != nullptr) {
      for (size_t i : *candidates) consider(data_.series[i]);
    } else {
      for (const Series& s : data_.series) consider(s);
    }
    return Status::Ok();
  }

  size_t samples() const { return samples_; }

 private:
  const Dataset& data_;
  size_t samples_ = 0;
};

bool Near(double got, double want) {
  return std::abs(got - want) <= 1e-6 * std::max(1.0, std::abs(want));
}

// Checks a range query's answer; "" when it is what the data imply.
using Check = std::function<std::string(const QueryResult&)>;

size_t Steps() { return static_cast<size_t>((kEndMs - kQueryStartMs) / kQueryStepMs) + 1; }

std::string WantSeries(const QueryResult& r, size_t n, bool full) {
  if (r.type != ValueType::kMatrix) return "not a matrix";
  if (r.matrix.size() != n) return fmt::format("{} series, want {}", r.matrix.size(), n);
  for (const Series& s : r.matrix) {
    if (full && s.points.size() != Steps()) {
      return fmt::format("{} has {} points, want {}", storage::LabelsToString(s.labels),
                         s.points.size(), Steps());
    }
  }
  return "";
}

std::string CheckCpuByMode(const QueryResult& r) {
  if (std::string e = WantSeries(r, std::size(kModes), true); !e.empty()) return e;
  for (const Series& s : r.matrix) {
    std::string_view mode = storage::LabelValue(s.labels, "mode");
    size_t m = static_cast<size_t>(std::find(std::begin(kModes), std::end(kModes), mode) -
                                   std::begin(kModes));
    if (m == std::size(kModes) || s.labels.size() != 1) {
      return "unexpected labels " + storage::LabelsToString(s.labels);
    }
    for (const Point& p : s.points) {
      if (!Near(p.v, Data().cpu_rate_by_mode[m])) {
        return fmt::format("mode {} at {}: {}, want {}", mode, p.t, p.v,
                           Data().cpu_rate_by_mode[m]);
      }
    }
  }
  return "";
}

// The 99th percentile lies in the first bucket whose cumulative rate reaches 0.99 of the total.
std::string CheckQuantile(const QueryResult& r) {
  if (std::string e = WantSeries(r, 1, true); !e.empty()) return e;
  const double* rates = Data().bucket_rate;
  int b = 0;
  while (rates[b] < 0.99 * rates[kBuckets - 1]) ++b;
  const double lo = b == 0 ? 0 : kBounds[b - 1];
  const double hi = b == kBuckets - 1 ? kBounds[kBuckets - 2] : kBounds[b];
  for (const Point& p : r.matrix[0].points) {
    if (!(p.v >= lo && p.v <= hi))
      return fmt::format("p99 {} at {} not in [{}, {}]", p.v, p.t, lo, hi);
  }
  return "";
}

// topk of a range query: exactly k points at each step, from any number of series.
std::string CheckTop5(const QueryResult& r) {
  if (r.type != ValueType::kMatrix) return "not a matrix";
  std::unordered_map<int64_t, int> per_step;
  for (const Series& s : r.matrix) {
    for (const Point& p : s.points) ++per_step[p.t];
  }
  if (per_step.size() != Steps()) return fmt::format("{} steps, want {}", per_step.size(), Steps());
  for (const auto& [t, n] : per_step) {
    if (n != 5) return fmt::format("{} points at {}, want 5", n, t);
  }
  return "";
}

std::string CheckGroupLeft(const QueryResult& r) {
  if (std::string e = WantSeries(r, kHosts * kDevices, true); !e.empty()) return e;
  for (const Series& s : r.matrix) {
    if (storage::LabelValue(s.labels, "nodename").empty()) return "nodename not copied";
  }
  return "";
}

std::string CheckAvgOverTime(const QueryResult& r) {
  if (std::string e = WantSeries(r, kHosts, true); !e.empty()) return e;
  for (const Series& s : r.matrix) {
    for (const Point& p : s.points) {
      if (!(p.v >= 0 && p.v <= 8)) return fmt::format("avg of load1 {} out of [0, 8]", p.v);
    }
  }
  return "";
}

struct DashboardQuery {
  const char* name;
  const char* query;
  Check check;
};

const DashboardQuery kQueries[] = {
    {"SumRateByMode", "sum by (mode) (rate(node_cpu_seconds_total[5m]))", CheckCpuByMode},
    {"HistogramQuantile",
     "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
     CheckQuantile},
    {"Topk", "topk(5, rate(node_network_receive_bytes_total[5m]))", CheckTop5},
    {"GroupLeft",
     "rate(node_network_receive_bytes_total[5m]) * on (instance) group_left (nodename) "
     "node_uname_info",
     CheckGroupLeft},
    {"AvgOverTime", "avg_over_time(node_load1[1h])", CheckAvgOverTime},
};

// A range query over the last 3 h of the data at a 60 s step, as a Grafana panel asks it.
void BM_PromqlRangeQuery(benchmark::State& state, const DashboardQuery& q) {
  const Dataset& data = Data();
  auto expr = ParseExpr(q.query);
  if (!expr.ok()) {
    state.SkipWithError(("parse: " + expr.status().ToString()).c_str());
    return;
  }
  Engine engine;
  QueryParams params{.start_ms = kQueryStartMs, .end_ms = kEndMs, .step_ms = kQueryStepMs};
  size_t samples_per_query = 0;
  {
    InMemoryQuerier querier(data);
    auto result = engine.Execute(**expr, params, querier);
    if (!result.ok()) {
      state.SkipWithError(("execute: " + result.status().ToString()).c_str());
      return;
    }
    if (std::string error = q.check(*result); !error.empty()) {
      state.SkipWithError((std::string(q.query) + ": " + error).c_str());
      return;
    }
    samples_per_query = querier.samples();
  }
  for (auto _ : state) {
    InMemoryQuerier querier(data);
    auto result = engine.Execute(**expr, params, querier);
    benchmark::DoNotOptimize(result);
  }
  state.counters["samples"] = static_cast<double>(samples_per_query);
  bench::ReportCpuPerMillion(state, static_cast<double>(samples_per_query), "samples");
}

// The parser alone: the dashboard's queries and a few longer ones, as the API gets them.
void BM_PromqlParse(benchmark::State& state) {
  std::vector<std::string> queries;
  for (const DashboardQuery& q : kQueries) queries.push_back(q.query);
  queries.push_back(
      "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\", "
      "instance=~\"host-0.*\"}[5m] offset 1h)))");
  queries.push_back(
      "label_replace(sum without (cpu) (irate(node_cpu_seconds_total{job=\"node\"}[1m])), "
      "\"host\", \"$1\", \"instance\", \"(.*):.*\") > bool 0.5");
  queries.push_back(
      "max_over_time((node_filesystem_size_bytes - node_filesystem_avail_bytes)[1h:5m] @ end()) / "
      "ignoring (mountpoint) group_left sum by (instance, job, env) "
      "(node_filesystem_size_bytes) # used share");
  size_t bytes = 0;
  for (const std::string& q : queries) {
    auto expr = ParseExpr(q);
    if (!expr.ok()) {
      state.SkipWithError(("parse: " + q + ": " + expr.status().ToString()).c_str());
      return;
    }
    bytes += q.size();
  }
  for (auto _ : state) {
    for (const std::string& q : queries) {
      auto expr = ParseExpr(q);
      benchmark::DoNotOptimize(expr);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  bench::ReportCpuPerMillion(state, static_cast<double>(queries.size()), "queries");
}
BENCHMARK(BM_PromqlParse);

[[maybe_unused]] const bool kRegistered = [] {
  for (const DashboardQuery& q : kQueries) {
    benchmark::RegisterBenchmark(fmt::format("BM_PromqlRangeQuery/{}", q.name).c_str(),
                                 [&q](benchmark::State& state) { BM_PromqlRangeQuery(state, q); })
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace sluice::query::promql

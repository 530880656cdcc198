#include "tests/integration/promql_diff_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "storage/metric_batch.h"

namespace sluice::testing {
namespace {

// Deterministic on every platform: std's distributions are implementation-defined, these are not.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(gen_() >> 11) * 0x1.0p-53;
  }
  int Below(int n) { return static_cast<int>(gen_() % static_cast<uint64_t>(n)); }

 private:
  std::mt19937_64 gen_;
};

using Labels = std::vector<storage::Label>;
using Series = pipeline::RemoteWriteSeries;

Series MakeSeries(const std::string& name, Labels labels) {
  labels.push_back({"__name__", name});
  std::sort(labels.begin(), labels.end());
  return Series{std::move(labels), {}};
}

// A series on the 15 s grid: `value(step)` is its value there, nullopt for no sample.
Series OnGrid(const std::string& name, Labels labels,
              const std::function<std::optional<double>(int)>& value) {
  Series s = MakeSeries(name, std::move(labels));
  for (int step = 0; step < kSteps; ++step) {
    if (std::optional<double> v = value(step)) s.samples.push_back({kBaseMs + step * kStepMs, *v});
  }
  return s;
}

// A counter that grows by about `per_second`, resetting at the given steps, living in
// [first, last).
std::function<std::optional<double>(int)> Counter(Rng& rng, double per_second, std::set<int> resets,
                                                  int first = 0, int last = kSteps,
                                                  bool integral = true) {
  auto value = std::make_shared<double>(std::floor(rng.Uniform(0, 1000)));
  auto noise = std::make_shared<Rng>(static_cast<uint64_t>(rng.Uniform(0, 1e9)));
  return [=](int step) -> std::optional<double> {
    if (step < first || step >= last) return std::nullopt;
    if (resets.count(step)) {
      *value = std::floor(noise->Uniform(0, 5));
    } else {
      double inc = per_second * 15 * noise->Uniform(0.5, 1.5);
      *value += integral ? std::floor(inc) : inc;
    }
    return *value;
  };
}

}  // namespace

std::vector<pipeline::RemoteWriteSeries> GeneratePromqlDiffData() {
  Rng rng(20231114);
  std::vector<Series> out;
  const std::vector<std::string> jobs = {"api", "web", "batch"};
  const std::vector<std::string> hosts = {"host-1:8080", "host-2:8080", "host-3:8080"};
  for (const auto& job : jobs) {
    for (const auto& host : hosts) {
      for (const char* method : {"GET", "POST"}) {
        for (const char* code : {"200", "500"}) {
          std::set<int> resets;
          for (int r = rng.Below(3); r > 0; --r) resets.insert(1 + rng.Below(kSteps - 1));
          bool partial = job == "batch" && host == "host-3:8080";  // starts and stops mid-range
          double rate = rng.Uniform(0.5, 20) * (code[0] == '5' ? 0.05 : 1);
          out.push_back(
              OnGrid("http_requests_total",
                     {{"job", job}, {"instance", host}, {"method", method}, {"code", code}},
                     Counter(rng, rate, resets, partial ? 120 : 0, partial ? 500 : kSteps)));
        }
      }
      double level = rng.Uniform(1e9, 1e10);
      out.push_back(OnGrid(
          "memory_usage_bytes", {{"job", job}, {"instance", host}},
          [&rng, level](int step) { return std::floor(level + step * 1e5 * rng.Uniform(-3, 5)); }));
      out.push_back(OnGrid("queue_depth", {{"job", job}, {"instance", host}},
                           [&rng](int) { return static_cast<double>(rng.Below(6)); }));
      int down_from = rng.Below(kSteps * 2), down_for = 4 + rng.Below(30);
      out.push_back(OnGrid("up", {{"job", job}, {"instance", host}}, [=](int step) {
        return step >= down_from && step < down_from + down_for ? 0.0 : 1.0;
      }));
      out.push_back(OnGrid("build_info",
                           {{"job", job},
                            {"instance", host},
                            {"version", "1.2." + job.substr(0, 1)},
                            {"revision", "abc123"},
                            {"goversion", "go1.20"}},
                           [](int) { return 1.0; }));
    }
  }
  for (const char* instance : {"node-1:9100", "node-2:9100"}) {
    out.push_back(OnGrid("up", {{"job", "node"}, {"instance", instance}}, [](int) { return 1.0; }));
    for (const char* cpu : {"0", "1"}) {
      for (const char* mode : {"idle", "user", "system", "iowait"}) {
        double rate = std::string(mode) == "idle" ? 0.8 : rng.Uniform(0.01, 0.2);
        out.push_back(
            OnGrid("node_cpu_seconds_total",
                   {{"job", "node"}, {"instance", instance}, {"cpu", cpu}, {"mode", mode}},
                   Counter(rng, rate, {}, 0, kSteps, false)));
      }
    }
  }
  // Gauges around zero, negative, tiny, huge and special.
  const std::map<std::string, std::pair<double, double>> locations = {
      {"outside", {5, 10}}, {"freezer", {-20, 2}}, {"lab", {21, 0.5}}, {"server_room", {30, 3}}};
  for (const char* sensor : {"s1", "s2"}) {
    for (const auto& [location, center_amplitude] : locations) {
      auto [center, amplitude] = center_amplitude;
      double phase = rng.Uniform(0, 6);
      out.push_back(OnGrid(
          "temperature_celsius", {{"job", "sensors"}, {"instance", sensor}, {"location", location}},
          [&rng, center, amplitude, phase](int step) {
            return center + amplitude * std::sin(phase + step / 40.0) + rng.Uniform(-0.1, 0.1);
          }));
    }
  }
  for (const char* kind : {"a", "b", "c"}) {
    double scale = kind[0] == 'a' ? 1e-9 : kind[0] == 'b' ? 1e-6 : -1e-12;
    out.push_back(OnGrid("tiny_ratio", {{"job", "calc"}, {"kind", kind}},
                         [&rng, scale](int) { return scale * rng.Uniform(0.5, 2); }));
  }
  const std::map<std::string, double> big = {
      {"huge", 1e300}, {"neghuge", -1e300}, {"max", 1.7e308}};
  for (const auto& [kind, v] : big) {
    out.push_back(OnGrid("big_values", {{"job", "calc"}, {"kind", kind}}, [v](int) { return v; }));
  }
  out.push_back(OnGrid("zero_gauge", {{"job", "calc"}}, [](int) { return 0.0; }));
  out.push_back(OnGrid("const_gauge", {{"job", "calc"}}, [](int) { return 42.0; }));
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::map<std::string, std::function<std::optional<double>(int)>> special = {
      {"nan", [nan](int) { return nan; }},
      {"inf", [inf](int) { return inf; }},
      {"neginf", [inf](int) { return -inf; }},
      {"mixed", [=](int step) { return step % 7 == 3    ? nan
                                       : step % 11 == 5 ? inf
                                                        : step * 0.5; }}};
  for (const auto& [kind, fn] : special) {
    out.push_back(OnGrid("special_values", {{"job", "calc"}, {"kind", kind}}, fn));
  }
  // A histogram per job and instance, one with a reset, one without its +Inf bucket.
  const std::vector<std::pair<std::string, double>> bounds = {
      {"0.005", 0.005}, {"0.01", 0.01}, {"0.025", 0.025}, {"0.05", 0.05},
      {"0.1", 0.1},     {"0.25", 0.25}, {"0.5", 0.5},     {"1", 1},
      {"2.5", 2.5},     {"5", 5},       {"10", 10},       {"+Inf", inf}};
  auto histogram = [&](const std::string& name, const Labels& labels, double scale, int reset,
                       bool with_inf) {
    std::vector<double> counts(bounds.size(), 0);
    double sum = 0;
    std::vector<std::vector<double>> bucket_values(bounds.size());
    std::vector<double> sums, totals;
    for (int step = 0; step < kSteps; ++step) {
      if (step == reset) std::fill(counts.begin(), counts.end(), 0), sum = 0;
      for (int n = rng.Below(40); n > 0; --n) {
        double observed = scale * std::exp(rng.Uniform(-6, 2.5));
        sum += observed;
        for (size_t b = 0; b < bounds.size(); ++b) counts[b] += observed <= bounds[b].second;
      }
      for (size_t b = 0; b < bounds.size(); ++b) bucket_values[b].push_back(counts[b]);
      sums.push_back(sum);
      totals.push_back(counts.back());
    }
    for (size_t b = 0; b < bounds.size(); ++b) {
      if (!with_inf && b + 1 == bounds.size()) break;
      Labels l = labels;
      l.push_back({"le", bounds[b].first});
      out.push_back(OnGrid(name + "_bucket", l, [v = bucket_values[b]](int s) { return v[s]; }));
    }
    out.push_back(OnGrid(name + "_sum", labels, [sums](int s) { return sums[s]; }));
    out.push_back(OnGrid(name + "_count", labels, [totals](int s) { return totals[s]; }));
  };
  for (const char* job : {"api", "web"}) {
    for (const char* host : {"host-1:8080", "host-2:8080"}) {
      histogram("request_duration_seconds", {{"job", job}, {"instance", host}}, 1, -1, true);
    }
  }
  histogram("response_size_bytes", {{"job", "api"}, {"instance", "host-1:8080"}}, 1000, 300, true);
  histogram("broken_histogram", {{"job", "api"}}, 1, -1, false);
  // Irregular timestamps (with milliseconds), gaps longer than the lookback, stale markers.
  for (const char* name : {"irregular_gauge", "irregular_counter"}) {
    Series s = MakeSeries(name, {{"job", "irregular"}, {"instance", "irr-1"}});
    double v = 100;
    bool counter = name[10] == 'c';
    for (int64_t t = kBaseMs + 7; t < kEndMs; t += rng.Below(90'000) + 1000) {
      v = counter ? (rng.Below(50) == 0 ? 1 : v + rng.Uniform(0, 20)) : rng.Uniform(-50, 50);
      s.samples.push_back({t, v});
    }
    out.push_back(std::move(s));
  }
  out.push_back(
      OnGrid("gappy_gauge", {{"job", "gappy"}}, [&rng](int step) -> std::optional<double> {
        if (step >= 240 && step < 320) return std::nullopt;  // 20 minutes without samples
        return rng.Uniform(0, 10);
      }));
  out.push_back(OnGrid("gappy_counter", {{"job", "gappy"}},
                       [c = Counter(rng, 3, {400})](int step) -> std::optional<double> {
                         std::optional<double> v = c(step);
                         if (step >= 240 && step < 320) return std::nullopt;
                         return v;
                       }));
  const double stale = storage::StaleNaN();
  // Lives from 20 min to 79:45, then a stale marker at 80:00.
  out.push_back(OnGrid("ephemeral_gauge", {{"job", "ephemeral"}, {"instance", "e1"}},
                       [&rng, stale](int step) -> std::optional<double> {
                         if (step < 80 || step > 320) return std::nullopt;
                         return step == 320 ? stale : rng.Uniform(1, 2);
                       }));
  // Stale at 50 min, back at 60 min.
  out.push_back(OnGrid("stale_then_back", {{"job", "ephemeral"}, {"instance", "e2"}},
                       [&rng, stale](int step) -> std::optional<double> {
                         if (step > 200 && step < 240) return std::nullopt;
                         return step == 200 ? stale : rng.Uniform(5, 6);
                       }));
  // Two names with the same other labels: dropping the name makes them collide.
  for (const char* name : {"dup_metric_a", "dup_metric_b"}) {
    out.push_back(OnGrid(name, {{"job", "dup"}, {"instance", "i1"}},
                         [&rng](int) { return rng.Uniform(0, 100); }));
  }
  out.push_back(OnGrid("weird_labels",
                       {{"job", "weird"},
                        {"path", "/a\"b\\c"},
                        {"unicode", "ünïcødé ✓"},
                        {"space", " "},
                        {"control", "a\nb\tc\x01"}},
                       [](int step) { return step * 1.0; }));
  // A fleet for topk/bottomk/quantile (continuous values: no ties).
  for (int i = 0; i < 60; ++i) {
    double base = rng.Uniform(0, 100);
    out.push_back(OnGrid("cpu_usage",
                         {{"job", "fleet"},
                          {"instance", fmt::format("fleet-{:02}", i)},
                          {"zone", i % 3 == 0   ? "a"
                                   : i % 3 == 1 ? "b"
                                                : "c"}},
                         [&rng, base](int) { return base + rng.Uniform(-5, 5); }));
  }
  return out;
}

}  // namespace sluice::testing

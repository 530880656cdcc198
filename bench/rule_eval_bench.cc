// rule_eval_bench: what evaluating alerting and recording rules costs, as the
// issue asks it: "evaluation cost of 1,000 rules over 100k series and 10M log
// lines".
//
// Data, written through the daemon's write paths (MetricStore::Write,
// LogStore::Write) into a fresh data dir: --series active series of a
// node_exporter-like fleet (100 per instance, 10 jobs: CPU, network and disk
// counters, filesystem and memory gauges, an HTTP latency histogram, up,
// ...) scraped every 15 s over the last 15 minutes, and --lines log lines, the
// loghub corpus cycled over the last 10 minutes in streams {app, host, level}
// (16 apps, one per loghub system; two of them written as JSON lines and two as
// logfmt). The log heads are then sealed, as a daemon seals a stream within
// block_max_age; the metric heads stay open, as the last 15 minutes are in a
// daemon (chunks seal at 120 samples).
//
// Rules: --rules rules in groups of 10, built as RuleGroupSpec, --logql-share
// of them LogQL and the rest PromQL. Each group has a scope (PromQL: the fleet,
// one job or one instance; LogQL: one app) and holds recording and alerting
// rules; a few instances are busy, down, hot, slow, have a full filesystem, so
// that some alerts fire (with `for` of 0, 1m, 2m and 5m). Evaluation is the
// daemon's: RuleGroup::Eval with MakeEngineRuleQueryEngine (MetricStoreQuerier,
// LogStoreReader), MetricStoreSampleSink and the RocksDB KvStore of shard 0
// (--kv memory: MemoryKvStore).
//
// Timing: a warm-up round, then --rounds rounds one group interval (60 s of
// data time) apart, the last one at the end of the data ("now"), so that `for`
// clauses progress as in a daemon. A round evaluates every PromQL group, then
// every LogQL group, on one thread as the rule manager does. Per pass it prints
// wall and CPU seconds (cpu_s: the process, so with the LogQL engine's scan
// threads and the storage writers; eval_thread_cpu_s: the evaluating thread
// alone), CPU-ms per rule, the series and samples the PromQL selectors read,
// the streams and lines LogQL scanned, the alerts due for sending and the
// samples written back. Before the timed rounds and after them the answers are
// checked: the instances of every alerting rule and their state against what
// the data were made to trigger, recorded values, LogQL counts against a count
// of the generated lines. Any mismatch or rule error exits with status 1.
//
//   nice rule_eval_bench            # 1,000 rules, 100k series, 10M lines
//   nice rule_eval_bench --quick    # 10k series, 500k lines
#include <fmt/format.h>
#include <prometheus/registry.h>
#include <rocksdb/db.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alerting/kv_store.h"
#include "alerting/rule_group.h"
#include "alerting/rule_io.h"
#include "base/json_writer.h"
#include "bench/bench_util.h"
#include "query/logql_engine.h"
#include "query/promql_querier.h"
#include "storage/label_matcher.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/shard_set.h"

namespace sluice::bench {
namespace {

using alerting::RuleGroup;
using alerting::RuleGroupSpec;
using alerting::RuleLanguage;
using alerting::RuleSpec;
using storage::Labels;
using storage::LabelView;
using SteadyClock = std::chrono::steady_clock;

constexpr char kTenant[] = "bench";
constexpr int64_t kScrapeMs = 15'000;
constexpr int64_t kMetricHistoryMs = 15 * 60'000;
constexpr int64_t kLogHistoryMs = 10 * 60'000;
constexpr int64_t kGroupIntervalMs = 60'000;
constexpr int64_t kRangeMs = 5 * 60'000;  // the [5m] of most rules
constexpr int kSeriesPerInstance = 100;
constexpr int kJobs = 10;
constexpr int kRulesPerGroup = 10;

struct Options {
  int64_t series = 100'000;
  int64_t lines = 10'000'000;
  int rules = 1000;
  double logql_share = 0.1;
  int rounds = 3;
  int shards = 2;
  std::string kv = "rocks";
  std::string durability = "interval";
  std::string data_dir;
};

// ---- The fleet
// ------------------------------------------------------------------------------

// Which instances trigger which alert (the rule templates below rely on these).
bool Busy(int i) { return i % 50 == 7; }        // CPU 95 % busy: NodeHighCpu (for 1m)
bool FsFull(int i) { return i % 25 == 3; }      // /var 5 % free: NodeFilesystemAlmostFull (5m)
bool SlowApi(int i) { return i % 40 == 11; }    // p99 in (5, 10] s: NodeHighLatency (0s)
bool Down(int i) { return i % 200 == 13; }      // up == 0: InstanceDown (0s)
bool Hot(int i) { return i % 100 == 21; }       // temp0 at 85 °C: NodeHighTemperature (1m)
bool DiskBusy(int i) { return i % 100 == 42; }  // 400 MB/s written: NodeDiskWriteHigh (2m)

const char *const kModes[] = {"idle",    "iowait", "irq",    "nice",
                              "softirq", "steal",  "system", "user"};
// Share of the busy time per non-idle mode (the idle mode gets 1 - busy).
const double kBusyShare[] = {0, 0.05, 0.01, 0.01, 0.03, 0.02, 0.30, 0.58};
double CpuBusy(int i) { return Busy(i) ? 0.95 : 0.30; }
constexpr int kCpus = 4;
const char *const kMounts[] = {"/", "/boot", "/var", "/home"};
const char *const kHandlers[] = {"/api/orders", "/api/users"};
const char *const kBounds[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                               "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
constexpr int kBuckets = 12;
// Cumulative share of the observations per bucket: p99 in (0.25, 0.5] normally,
// (5, 10] slow.
const double kFastShare[kBuckets] = {0.10, 0.30, 0.60, 0.80, 0.95, 0.985, 0.995, 1, 1, 1, 1, 1};
const double kSlowShare[kBuckets] = {0.01, 0.02, 0.05, 0.1,  0.2,   0.4,
                                     0.6,  0.8,  0.95, 0.98, 0.995, 1};
constexpr int kObservationsPerScrape = 100;

struct Instance {
  std::string instance, job, nodename;
};

std::string InstanceName(int i) { return fmt::format("host-{}", i); }
std::string JobName(int j) { return fmt::format("node-{}", j); }

// The 100 samples of instance `i` at scrape `k` (time ts_ms) into `batch`.
void AddInstanceSamples(storage::MetricBatch &batch, const Instance &in, int i, int64_t k,
                        int64_t ts_ms) {
  const double t = static_cast<double>(k * kScrapeMs) / 1e3;  // seconds since the first scrape
  auto add = [&](std::vector<LabelView> labels, double v) {
    std::sort(labels.begin(), labels.end(),
              [](const LabelView &a, const LabelView &b) { return a.name < b.name; });
    batch.AddSample(batch.AddSeries(labels), ts_ms, v);
  };
  const LabelView job{"job", in.job}, instance{"instance", in.instance};
  static const std::array<std::string, kCpus> cpus = {"0", "1", "2", "3"};
  for (int c = 0; c < kCpus; ++c) {
    for (size_t m = 0; m < std::size(kModes); ++m) {
      // Linear counters, so that rate() is exact.
      const double slope = m == 0 ? 1 - CpuBusy(i) : CpuBusy(i) * kBusyShare[m];
      add({{"__name__", "node_cpu_seconds_total"},
           job,
           instance,
           {"cpu", cpus[c]},
           {"mode", kModes[m]}},
          1000.0 * (i + 1) + slope * t);
    }
  }
  static const char *const kDisks[] = {"sda1", "sda2", "sdb1", "sdc1"};
  for (size_t m = 0; m < std::size(kMounts); ++m) {
    const double size = 1e11 * static_cast<double>(m + 1);
    const double free_share = FsFull(i) && m == 2 ? 0.05 : 0.5;
    const LabelView device{"device", kDisks[m]}, mount{"mountpoint", kMounts[m]};
    add({{"__name__", "node_filesystem_size_bytes"}, job, instance, device, mount}, size);
    add({{"__name__", "node_filesystem_avail_bytes"}, job, instance, device, mount},
        size * free_share - 4096.0 * static_cast<double>(k % 7));
    add({{"__name__", "node_filesystem_files_free"}, job, instance, device, mount},
        1e6 + static_cast<double>(k));
  }
  static const char *const kNics[] = {"eth0", "eth1", "eth2", "eth3"};
  for (int d = 0; d < 4; ++d) {
    const double rate = 1e6 * (d + 1) + i;
    add({{"__name__", "node_network_receive_bytes_total"}, job, instance, {"device", kNics[d]}},
        rate * t);
    add({{"__name__", "node_network_transmit_bytes_total"}, job, instance, {"device", kNics[d]}},
        rate / 2 * t);
  }
  for (const char *dev : {"sda", "sdb"}) {
    add({{"__name__", "node_disk_read_bytes_total"}, job, instance, {"device", dev}}, 5e5 * t);
    add({{"__name__", "node_disk_written_bytes_total"}, job, instance, {"device", dev}},
        (DiskBusy(i) ? 2e8 : 1e6) * t);
  }
  const double *share = SlowApi(i) ? kSlowShare : kFastShare;
  for (const char *handler : kHandlers) {
    const LabelView h{"handler", handler};
    for (int b = 0; b < kBuckets; ++b) {
      const double per_scrape = std::round(kObservationsPerScrape * share[b]);
      add({{"__name__", "http_request_duration_seconds_bucket"},
           job,
           instance,
           h,
           {"le", kBounds[b]}},
          per_scrape * static_cast<double>(k));
    }
    add({{"__name__", "http_request_duration_seconds_count"}, job, instance, h},
        kObservationsPerScrape * static_cast<double>(k));
    add({{"__name__", "http_request_duration_seconds_sum"}, job, instance, h},
        0.1 * kObservationsPerScrape * static_cast<double>(k));
  }
  add({{"__name__", "node_memory_MemTotal_bytes"}, job, instance}, 68719476736.0);
  add({{"__name__", "node_memory_MemAvailable_bytes"}, job, instance},
      34359738368.0 + 1073741824.0 * static_cast<double>(k % 5));
  add({{"__name__", "node_load1"}, job, instance}, i % 100 == 5 ? 10 : 1);
  add({{"__name__", "node_load5"}, job, instance}, 1);
  add({{"__name__", "node_load15"}, job, instance}, 1);
  add({{"__name__", "up"}, job, instance}, Down(i) ? 0 : 1);
  static const char *const kSensors[] = {"temp0", "temp1", "temp2", "temp3", "temp4"};
  for (int s = 0; s < 5; ++s) {
    add({{"__name__", "node_hwmon_temp_celsius"}, job, instance, {"sensor", kSensors[s]}},
        s == 0 && Hot(i) ? 85 : 40 + s);
  }
  add({{"__name__", "node_uname_info"},
       job,
       instance,
       {"nodename", in.nodename},
       {"release", "6.1.0-18-amd64"}},
      1);
  add({{"__name__", "node_context_switches_total"}, job, instance}, 1e4 * t);
  add({{"__name__", "node_intr_total"}, job, instance}, 2e4 * t);
  add({{"__name__", "node_procs_running"}, job, instance}, 2);
  add({{"__name__", "node_procs_blocked"}, job, instance}, 0);
}

// ---- The logs
// -------------------------------------------------------------------------------

// One per loghub system, in the order of LoghubLines (its files sorted by name,
// 2,000 lines each).
const char *const kApps[] = {"android", "apache",      "bgl",       "hdfs",
                             "hpc",     "hadoop",      "healthapp", "linux",
                             "mac",     "openssh",     "openstack", "proxifier",
                             "spark",   "thunderbird", "windows",   "zookeeper"};
constexpr int kAppCount = 16;
enum class Format { kPlain, kJson, kLogfmt };
Format AppFormat(int app) {
  if (app == 4 || app == 15) return Format::kJson;   // hpc, zookeeper
  if (app == 5 || app == 8) return Format::kLogfmt;  // hadoop, mac
  return Format::kPlain;
}
constexpr int kHosts = 12;
const char *const kLevels[] = {"error", "warn", "info"};

bool ContainsNoCase(std::string_view line, std::string_view needle) {
  auto it = std::search(line.begin(), line.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != line.end();
}

// A line of the corpus as stored, with what the reference counts need.
struct SourceLine {
  std::string text;  // as written: plain, JSON or logfmt
  int app = 0;
  int level = 2;           // into kLevels
  bool has_error = false;  // the stored text contains "error"
  bool has_fail = false;   // matches (?i)fail(ed|ure)
};

std::vector<SourceLine> BuildSourceLines() {
  const auto &lines = LoghubLines();
  std::vector<SourceLine> out;
  out.reserve(lines.size());
  for (size_t s = 0; s < lines.size(); ++s) {
    const std::string &raw = lines[s];
    SourceLine line;
    line.app = static_cast<int>(s * kAppCount / lines.size());
    line.level = raw.find("ERROR") != std::string::npos || raw.find("error") != std::string::npos
                     ? 0
                 : raw.find("WARN") != std::string::npos ? 1
                                                         : 2;
    const int duration_ms = static_cast<int>((s * 7919) % 1000);
    switch (AppFormat(line.app)) {
      case Format::kPlain:
        line.text = raw;
        break;
      case Format::kJson:
        line.text = fmt::format(R"({{"level":"{}","duration_ms":{},"msg":")", kLevels[line.level],
                                duration_ms);
        JsonWriter::AppendEscaped(&line.text, raw);
        line.text += "\"}";
        break;
      case Format::kLogfmt:
        line.text = fmt::format("level={} duration_ms={} msg=\"", kLevels[line.level], duration_ms);
        for (char c : raw) {
          if (c == '"' || c == '\\') line.text.push_back('\\');
          line.text.push_back(c);
        }
        line.text.push_back('"');
        break;
    }
    line.has_error = line.text.find("error") != std::string::npos;
    line.has_fail = ContainsNoCase(line.text, "failed") || ContainsNoCase(line.text, "failure");
    out.push_back(std::move(line));
  }
  return out;
}

// Line j of the generated logs: source line j % corpus, host j % kHosts, at an
// odd nanosecond (rule evaluation times are whole milliseconds, so no entry
// sits on a range's boundary).
struct LogLayout {
  int64_t start_ns = 0;
  int64_t step_ns = 0;
  int64_t lines = 0;
  int64_t TimestampNs(int64_t j) const { return (start_ns + j * step_ns) | 1; }
};

// Counts of the lines in (t - range, t], per app, host and level.
struct LogCounts {
  int64_t lines[kAppCount][kHosts][3] = {};
  int64_t errors[kAppCount] = {};  // lines containing "error"
  int64_t fails[kAppCount] = {};   // lines matching (?i)fail(ed|ure)
};

LogCounts CountLines(const std::vector<SourceLine> &source, const LogLayout &layout, int64_t t_ms,
                     int64_t range_ms) {
  LogCounts c;
  const int64_t end = t_ms * 1'000'000, begin = end - range_ms * 1'000'000;
  for (int64_t j = 0; j < layout.lines; ++j) {
    const int64_t ts = layout.TimestampNs(j);
    if (ts <= begin) continue;
    if (ts > end) break;
    const SourceLine &line = source[static_cast<size_t>(j) % source.size()];
    ++c.lines[line.app][j % kHosts][line.level];
    c.errors[line.app] += line.has_error ? 1 : 0;
    c.fails[line.app] += line.has_fail ? 1 : 0;
  }
  return c;
}

// ---- Ingest
// -------------------------------------------------------------------------------

// Keeps up to `depth` writes in flight, so that ingest runs at the store's
// pace; keeps the first error.
class InFlight {
 public:
  explicit InFlight(int depth) : depth_(depth) {}
  std::function<void(const Status &)> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < depth_; });
    ++in_flight_;
    return [this](const Status &s) {
      std::lock_guard done_lock(mu_);
      if (!s.ok() && error_.ok()) error_ = s;
      --in_flight_;
      cv_.notify_all();
    };
  }
  Status Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    return error_;
  }

 private:
  const int depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  Status error_;
};

Status IngestMetrics(storage::MetricStore &store, const std::vector<Instance> &fleet,
                     int64_t end_ms) {
  const int64_t scrapes = kMetricHistoryMs / kScrapeMs + 1;
  constexpr size_t kInstancesPerBatch = 20;  // 2,000 series, a remote-write request
  InFlight in_flight(8);
  storage::MetricBatch batch(kTenant);
  for (int64_t k = 0; k < scrapes; ++k) {
    const int64_t ts = end_ms - (scrapes - 1 - k) * kScrapeMs;
    for (size_t first = 0; first < fleet.size(); first += kInstancesPerBatch) {
      batch.Clear();
      batch.set_tenant(kTenant);
      for (size_t i = first; i < std::min(fleet.size(), first + kInstancesPerBatch); ++i) {
        AddInstanceSamples(batch, fleet[i], static_cast<int>(i), k, ts);
      }
      store.Write(batch, in_flight.Acquire());
    }
  }
  return in_flight.Drain();
}

// Writes the lines of `layout`; adds their bytes to `*bytes`.
Status IngestLogs(storage::LogStore &store, const std::vector<SourceLine> &source,
                  const LogLayout &layout, double *bytes) {
  constexpr int64_t kLinesPerBatch = 10'000;
  std::vector<Labels> stream_labels(kAppCount * kHosts * 3);
  for (int a = 0; a < kAppCount; ++a) {
    for (int h = 0; h < kHosts; ++h) {
      for (int l = 0; l < 3; ++l) {
        stream_labels[static_cast<size_t>((a * kHosts + h) * 3 + l)] = {
            {"app", kApps[a]}, {"host", fmt::format("web-{:02d}", h)}, {"level", kLevels[l]}};
      }
    }
  }
  InFlight in_flight(4);
  storage::LogBatch batch(kTenant);
  std::vector<int64_t> stream_index(stream_labels.size());
  for (int64_t first = 0; first < layout.lines; first += kLinesPerBatch) {
    batch.Clear();
    batch.set_tenant(kTenant);
    std::fill(stream_index.begin(), stream_index.end(), -1);
    for (int64_t j = first; j < std::min(layout.lines, first + kLinesPerBatch); ++j) {
      const SourceLine &line = source[static_cast<size_t>(j) % source.size()];
      const size_t key = static_cast<size_t>((line.app * kHosts + j % kHosts) * 3 + line.level);
      if (stream_index[key] < 0) stream_index[key] = batch.AddStream(stream_labels[key]);
      batch.AddEntry(static_cast<uint32_t>(stream_index[key]), layout.TimestampNs(j), line.text);
      *bytes += static_cast<double>(line.text.size());
    }
    store.Write(batch, in_flight.Acquire());
  }
  return in_flight.Drain();
}

// RocksDB compactions triggered by the ingest would be counted as rule
// evaluation's CPU.
void WaitForCompactions(const storage::ShardSet &shards) {
  const auto give_up = SteadyClock::now() + std::chrono::minutes(5);
  for (size_t i = 0; i < shards.size(); ++i) {
    rocksdb::DB *db = shards.shard(i).db;
    for (;;) {
      uint64_t pending = 0, compactions = 0, flushes = 0;
      db->GetIntProperty("rocksdb.compaction-pending", &pending);
      db->GetIntProperty("rocksdb.num-running-compactions", &compactions);
      db->GetIntProperty("rocksdb.num-running-flushes", &flushes);
      if ((pending == 0 && compactions == 0 && flushes == 0) || SteadyClock::now() > give_up) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

// ---- Counting the reads and writes of the real engines
// ---------------------------------------

struct Touched {
  std::atomic<uint64_t> series{0}, samples{0}, streams{0}, lines{0}, written{0};
};

class CountingQuerier final : public query::promql::Querier {
 public:
  CountingQuerier(std::unique_ptr<query::promql::Querier> inner, Touched &touched)
      : inner_(std::move(inner)), touched_(touched) {}
  Status Select(const storage::LabelMatchers &matchers, int64_t mint, int64_t maxt,
                query::promql::Matrix *out) override {
    const size_t before = out->size();
    Status s = inner_->Select(matchers, mint, maxt, out);
    uint64_t samples = 0;
    for (size_t i = before; i < out->size(); ++i) samples += (*out)[i].points.size();
    touched_.series += out->size() - before;
    touched_.samples += samples;
    return s;
  }

 private:
  std::unique_ptr<query::promql::Querier> inner_;
  Touched &touched_;
};

class CountingLogReader final : public query::logql::LogReader {
 public:
  CountingLogReader(std::unique_ptr<query::logql::LogReader> inner, Touched &touched)
      : inner_(std::move(inner)), touched_(touched) {}
  std::vector<storage::StreamInfo> SelectStreams(const storage::LabelMatchers &matchers,
                                                 int64_t start, int64_t end) override {
    auto streams = inner_->SelectStreams(matchers, start, end);
    touched_.streams += streams.size();
    return streams;
  }
  Status Scan(const storage::StreamInfo &stream, int64_t start, int64_t end,
              storage::Direction direction, const storage::EntryVisitor &visit) override {
    uint64_t lines = 0;  // one atomic add per scan: scans run on several threads
    Status s = inner_->Scan(stream, start, end, direction,
                            [&](int64_t ts, std::string_view line, std::string_view metadata) {
                              ++lines;
                              return visit(ts, line, metadata);
                            });
    touched_.lines += lines;
    return s;
  }

 private:
  std::unique_ptr<query::logql::LogReader> inner_;
  Touched &touched_;
};

class CountingSink final : public alerting::RuleSampleSink {
 public:
  CountingSink(alerting::RuleSampleSink &inner, Touched &touched)
      : inner_(inner), touched_(touched) {}
  Status Append(const std::vector<alerting::RuleSample> &samples) override {
    touched_.written += samples.size();
    return inner_.Append(samples);
  }

 private:
  alerting::RuleSampleSink &inner_;
  Touched &touched_;
};

// ---- The rules
// ----------------------------------------------------------------------------

// A PromQL group's scope: the whole fleet, one job, or one instance.
struct Scope {
  std::string selector;      // the matcher every selector of the group gets
  std::vector<int> members;  // the instances it covers
  int jobs = 0;              // distinct jobs among them
};

Scope PromqlScope(int g, int instances) {
  Scope s;
  if (g % 18 == 0) {  // 1 in 18: fleet-wide
    s.selector = R"(job=~"node-.*")";
    for (int i = 0; i < instances; ++i) s.members.push_back(i);
  } else if (g % 18 < 11) {  // 10 in 18: one job
    const int job = g % kJobs;
    s.selector = fmt::format(R"(job="{}")", JobName(job));
    for (int i = job; i < instances; i += kJobs) s.members.push_back(i);
  } else {  // 7 in 18: one instance; the first ones where an alert fires
    static const int kSpecial[] = {3, 7, 11, 13, 21, 42};
    const int n = g / 18 * 7 + g % 18 - 11;
    const int i = (n < 6 ? kSpecial[n] : n * 97 + 1) % instances;
    s.selector = fmt::format(R"(instance="{}")", InstanceName(i));
    s.members.push_back(i);
  }
  std::vector<bool> seen(kJobs);
  for (int i : s.members) {
    if (!seen[static_cast<size_t>(i % kJobs)]) ++s.jobs;
    seen[static_cast<size_t>(i % kJobs)] = true;
  }
  return s;
}

RuleSpec Record(std::string name, std::string expr, const std::string &group) {
  RuleSpec r;
  r.record = std::move(name);
  r.expr = std::move(expr);
  r.labels = {{"rule_group", group}};
  return r;
}

// Annotated with a summary naming the series' `who` label, as rule files
// usually do.
RuleSpec Alert(std::string name, std::string expr, int64_t for_ms, const std::string &group,
               std::string_view who) {
  RuleSpec r;
  r.alert = std::move(name);
  r.expr = std::move(expr);
  r.for_ms = for_ms;
  r.labels = {{"rule_group", group}, {"severity", "warning"}};
  r.annotations = {{"summary", fmt::format("{{{{ $labels.{} }}}}: value {{{{ $value }}}}", who)}};
  return r;
}

// Ten rules over `scope`, in the order of the checks in CheckPromqlGroup.
RuleGroupSpec PromqlGroup(int g, const Scope &scope) {
  RuleGroupSpec spec;
  spec.file = "bench/promql.yml";
  spec.name = fmt::format("g{}", g);
  spec.language = RuleLanguage::kPromQL;
  spec.interval_ms = kGroupIntervalMs;
  const std::string &S = scope.selector;
  const std::string &G = spec.name;
  spec.rules = {
      Record(
          "instance:node_cpu_utilisation:rate5m",
          fmt::format(
              R"(sum by (job, instance) (rate(node_cpu_seconds_total{{mode!="idle",{}}}[5m])))", S),
          G),
      Record("instance_device:node_network_receive_bytes:rate5m",
             fmt::format("sum by (job, instance, device) "
                         "(rate(node_network_receive_bytes_total{{{}}}[5m]))",
                         S),
             G),
      Record("job:http_request_duration_seconds:p99_5m",
             fmt::format("histogram_quantile(0.99, sum by (job, le) "
                         "(rate(http_request_duration_seconds_bucket{{{}}}[5m])))",
                         S),
             G),
      Record("instance:node_memory_utilisation:ratio",
             fmt::format("1 - node_memory_MemAvailable_bytes{{{0}}} / "
                         "node_memory_MemTotal_bytes{{{0}}}",
                         S),
             G),
      Alert("NodeFilesystemAlmostFull",
            fmt::format("node_filesystem_avail_bytes{{{0}}} / "
                        "node_filesystem_size_bytes{{{0}}} "
                        "< 0.1",
                        S),
            5 * 60'000, G, "instance"),
      // Reads what the first rule recorded in this same evaluation.
      Alert("NodeHighCpu",
            fmt::format(R"(instance:node_cpu_utilisation:rate5m{{rule_group="{1}",{0}}} )"
                        R"(/ on (job, instance) count by (job, instance) )"
                        R"((node_cpu_seconds_total{{mode="idle",{0}}}) > 0.9)",
                        S, G),
            60'000, G, "instance"),
      Alert("NodeHighLatency",
            fmt::format("histogram_quantile(0.99, sum by (job, instance, le) "
                        "(rate(http_request_duration_seconds_bucket{{{}}}[5m]))) > 0.5",
                        S),
            0, G, "instance"),
      Alert("InstanceDown", fmt::format("up{{{}}} == 0", S), 0, G, "instance"),
      Alert("NodeHighTemperature",
            fmt::format("max_over_time(node_hwmon_temp_celsius{{{}}}[5m]) > 80", S), 60'000, G,
            "instance"),
      Alert("NodeDiskWriteHigh",
            fmt::format("sum by (job, instance) "
                        "(rate(node_disk_written_bytes_total{{{}}}[5m])) "
                        "> 1e8",
                        S),
            2 * 60'000, G, "instance"),
  };
  return spec;
}

// A LogQL group's apps: a plain one, a JSON one and a logfmt one, and a second
// plain one.
struct LogScope {
  int plain = 0, json = 0, logfmt = 0, other = 0;
};

LogScope LogqlScope(int g) {
  std::vector<int> plain;
  for (int a = 0; a < kAppCount; ++a) {
    if (AppFormat(a) == Format::kPlain) plain.push_back(a);
  }
  LogScope s;
  s.plain = plain[static_cast<size_t>(g) % plain.size()];
  s.other = plain[static_cast<size_t>(g + 5) % plain.size()];
  s.json = g % 2 == 0 ? 4 : 15;
  s.logfmt = g % 2 == 0 ? 5 : 8;
  return s;
}

RuleGroupSpec LogqlGroup(int g, const LogScope &scope) {
  RuleGroupSpec spec;
  spec.file = "bench/logql.yml";
  spec.name = fmt::format("logs{}", g);
  spec.language = RuleLanguage::kLogQL;
  spec.interval_ms = kGroupIntervalMs;
  const std::string &G = spec.name;
  const char *X = kApps[scope.plain];
  const char *J = kApps[scope.json];
  const char *K = kApps[scope.logfmt];
  const char *Y = kApps[scope.other];
  spec.rules = {
      Alert("AppErrors",
            fmt::format(R"(sum by (app) (count_over_time({{app="{}"}} |= "error" [5m])) > 10)", X),
            0, G, "app"),
      Alert("AppErrorRate",
            fmt::format(R"(sum by (host) (rate({{app="{}", level="error"}}[5m])) > 1)", X), 60'000,
            G, "app"),
      Record("app_level:log_lines:rate1m",
             fmt::format(R"(sum by (app, level) (rate({{app="{}"}}[1m])))", X), G),
      Alert(
          "JsonErrors",
          fmt::format(R"(sum by (app) (rate({{app="{}"}} | json | level="error" [5m])) > 0.1)", J),
          0, G, "app"),
      Alert("LogfmtWarnings",
            fmt::format(R"(sum by (host) (count_over_time({{app="{}"}} | logfmt )"
                        R"(| level=~"warn|error" [5m])) > 5)",
                        K),
            2 * 60'000, G, "app"),
      Record("host:log_bytes:5m",
             fmt::format(R"(sum by (host) (bytes_over_time({{app="{}"}}[5m])))", X), G),
      Record("host:request_duration_ms:p99_5m",
             fmt::format(R"(quantile_over_time(0.99, {{app="{}"}} | json | unwrap duration_ms )"
                         R"([5m]) by (host))",
                         J),
             G),
      Alert("AppFailures",
            fmt::format(R"x(sum by (app) (count_over_time({{app="{}"}} |~ "(?i)fail(ed|ure)" )x"
                        R"([5m])) > 50)",
                        X),
            0, G, "app"),
      Alert("LogsAbsent", fmt::format(R"(absent_over_time({{app="{}", host="web-99"}}[5m]))", X),
            60'000, G, "app"),
      Record(
          "app_host_level:log_lines:5m",
          fmt::format(R"(sum by (app, host, level) (count_over_time({{app=~"{}|{}"}}[5m])))", X, Y),
          G),
  };
  return spec;
}

// ---- Checks
// -------------------------------------------------------------------------------

// The alerting rule at `index` of a group's snapshot has `want` instances, all
// in `state`.
std::string CheckAlerts(const alerting::GroupStatus &g, size_t index, size_t want,
                        alerting::AlertState state) {
  const alerting::RuleStatus &r = g.rules[index];
  size_t n = 0;
  for (const auto &a : r.alerts) {
    if (a.state == alerting::AlertState::kInactive) continue;
    if (a.state != state) {
      return fmt::format("group {} rule {}: {} is {}, want {}", g.name, r.spec.name(),
                         storage::LabelsToString(a.labels), AlertStateName(a.state),
                         AlertStateName(state));
    }
    ++n;
  }
  if (n != want) {
    return fmt::format("group {} rule {}: {} alerts, want {}", g.name, r.spec.name(), n, want);
  }
  return "";
}

std::string CheckHealth(const alerting::GroupStatus &g) {
  for (const auto &r : g.rules) {
    if (r.health != "ok") {
      return fmt::format("group {} rule {}: health {} ({})", g.name, r.spec.name(), r.health,
                         r.last_error);
    }
  }
  return "";
}

bool Near(double got, double want) {
  return std::abs(got - want) <= 1e-6 * std::max(1.0, std::abs(want));
}

// The recorded CPU utilisation of the group at t: one series per instance of
// the scope, 4 CPUs times the busy share.
std::string CheckRecordedCpu(const storage::MetricStore &store, const std::string &group,
                             const Scope &scope, int64_t t) {
  storage::LabelMatchers matchers;
  for (auto [name, value] : {std::pair<std::string, std::string>{"__name__",
                                                                 "instance:node_cpu_utilisation:"
                                                                 "rate5m"},
                             {"rule_group", group}}) {
    auto m = storage::LabelMatcher::Make(storage::MatchOp::kEqual, name, value);
    if (!m.ok()) return std::string(m.status().message());
    matchers.push_back(std::move(*m));
  }
  size_t found = 0;
  for (const storage::SeriesInfo &info : store.Select(kTenant, matchers, t, t)) {
    std::vector<storage::Sample> samples;
    if (Status s = store.Read(info, t, t, &samples); !s.ok() || samples.size() != 1) {
      return fmt::format("{}: no sample at {}", storage::LabelsToString(info.labels), t);
    }
    const std::string_view instance = storage::LabelValue(info.labels, "instance");
    const int i = std::stoi(std::string(instance.substr(instance.find('-') + 1)));
    const double want = kCpus * CpuBusy(i);
    if (!Near(samples[0].value, want)) {
      return fmt::format("{}: {} at {}, want {}", storage::LabelsToString(info.labels),
                         samples[0].value, t, want);
    }
    ++found;
  }
  if (found != scope.members.size()) {
    return fmt::format("group {}: {} recorded CPU series, want {}", group, found,
                       scope.members.size());
  }
  return "";
}

// `after_rounds`: the alerts with `for` up to 2m have fired by then.
std::string CheckPromqlGroup(const RuleGroup &group, const Scope &scope,
                             const storage::MetricStore &store, int64_t t, bool after_rounds) {
  const alerting::GroupStatus g = group.Snapshot();
  if (std::string e = CheckHealth(g); !e.empty()) return e;
  auto count = [&](bool (*pred)(int)) {
    return static_cast<size_t>(std::count_if(scope.members.begin(), scope.members.end(), pred));
  };
  using alerting::AlertState;
  const AlertState later = after_rounds ? AlertState::kFiring : AlertState::kPending;
  for (std::string e : {
           CheckAlerts(g, 4, count(FsFull), AlertState::kPending),
           CheckAlerts(g, 5, count(Busy), later),
           CheckAlerts(g, 6, count(SlowApi), AlertState::kFiring),
           CheckAlerts(g, 7, count(Down), AlertState::kFiring),
           CheckAlerts(g, 8, count(Hot), later),
           CheckAlerts(g, 9, count(DiskBusy), later),
           CheckRecordedCpu(store, g.name, scope, t),
       }) {
    if (!e.empty()) return e;
  }
  return "";
}

std::string CheckLogqlGroup(const RuleGroup &group, const LogScope &scope, const LogCounts &c,
                            bool after_rounds) {
  const alerting::GroupStatus g = group.Snapshot();
  if (std::string e = CheckHealth(g); !e.empty()) return e;
  using alerting::AlertState;
  const double range_s = static_cast<double>(kRangeMs) / 1e3;
  size_t error_hosts = 0, warn_hosts = 0;
  int64_t json_errors = 0;
  for (int h = 0; h < kHosts; ++h) {
    error_hosts += static_cast<double>(c.lines[scope.plain][h][0]) / range_s > 1 ? 1 : 0;
    warn_hosts += c.lines[scope.logfmt][h][0] + c.lines[scope.logfmt][h][1] > 5 ? 1 : 0;
    json_errors += c.lines[scope.json][h][0];
  }
  const AlertState later = after_rounds ? AlertState::kFiring : AlertState::kPending;
  const int64_t errors = c.errors[scope.plain];
  for (std::string e : {
           CheckAlerts(g, 0, errors > 10 ? 1 : 0, AlertState::kFiring),
           CheckAlerts(g, 1, error_hosts, later),
           CheckAlerts(g, 3, static_cast<double>(json_errors) / range_s > 0.1 ? 1 : 0,
                       AlertState::kFiring),
           CheckAlerts(g, 4, warn_hosts, later),
           CheckAlerts(g, 7, c.fails[scope.plain] > 50 ? 1 : 0, AlertState::kFiring),
           CheckAlerts(g, 8, 1, later),
       }) {
    if (!e.empty()) return e;
  }
  // The counts themselves, not only the thresholds.
  for (const auto &[rule, want] :
       {std::pair<size_t, int64_t>{0, errors}, {7, c.fails[scope.plain]}}) {
    for (const auto &a : g.rules[rule].alerts) {
      if (a.state != AlertState::kInactive && !Near(a.value, static_cast<double>(want))) {
        return fmt::format("group {} rule {}: value {}, want {}", g.name, g.rules[rule].spec.name(),
                           a.value, want);
      }
    }
  }
  return "";
}

// ---- Measuring
// ------------------------------------------------------------------------------

struct Usage {
  SteadyClock::time_point wall;
  double process_cpu = 0, thread_cpu = 0;
  uint64_t series = 0, samples = 0, streams = 0, lines = 0, written = 0;
};

double Seconds(const timeval &tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

Usage Measure(const Touched &t) {
  Usage u;
  rusage self{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_THREAD, &thread);
  u.wall = SteadyClock::now();
  u.process_cpu = Seconds(self.ru_utime) + Seconds(self.ru_stime);
  u.thread_cpu = Seconds(thread.ru_utime) + Seconds(thread.ru_stime);
  u.series = t.series;
  u.samples = t.samples;
  u.streams = t.streams;
  u.lines = t.lines;
  u.written = t.written;
  return u;
}

double PeakRssMb() {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  return static_cast<double>(self.ru_maxrss) / 1024;  // KiB on Linux
}

struct PassResult {
  double wall_s = 0, cpu_s = 0, thread_cpu_s = 0;
  uint64_t rules = 0, series = 0, samples = 0, streams = 0, lines = 0, written = 0, alerts = 0;
};

PassResult EvalPass(std::vector<std::unique_ptr<RuleGroup>> &groups, int64_t t,
                    alerting::RuleSampleSink &sink, alerting::KvStore &kv,
                    const alerting::RuleEvalSettings &settings, const Touched &touched) {
  PassResult r;
  const Usage before = Measure(touched);
  for (auto &group : groups) {
    r.alerts += group->Eval(t, sink, kv, settings).size();
    r.rules += group->spec().rules.size();
  }
  const Usage after = Measure(touched);
  r.wall_s = std::chrono::duration<double>(after.wall - before.wall).count();
  r.cpu_s = after.process_cpu - before.process_cpu;
  r.thread_cpu_s = after.thread_cpu - before.thread_cpu;
  r.series = after.series - before.series;
  r.samples = after.samples - before.samples;
  r.streams = after.streams - before.streams;
  r.lines = after.lines - before.lines;
  r.written = after.written - before.written;
  return r;
}

void Print(std::string_view round, std::string_view kind, const PassResult &r) {
  const double rules = static_cast<double>(std::max<uint64_t>(r.rules, 1));
  std::cout << fmt::format(
      "round={} kind={} rules={} wall_s={:.3f} "
      "cpu_s={:.3f} eval_thread_cpu_s={:.3f} "
      "cpu_ms_per_rule={:.3f} wall_ms_per_rule={:.3f} ",
      round, kind, r.rules, r.wall_s, r.cpu_s, r.thread_cpu_s, r.cpu_s * 1e3 / rules,
      r.wall_s * 1e3 / rules);
  if (kind == "promql") {
    std::cout << fmt::format("series_read={} samples_read={} ", r.series, r.samples);
  } else {
    std::cout << fmt::format("streams_read={} lines_scanned={} ", r.streams, r.lines);
  }
  std::cout << fmt::format("alerts_sent={} samples_written={} peak_rss_MB={:.0f}\n", r.alerts,
                           r.written, PeakRssMb());
}

int Fail(const std::string &what) {
  std::cerr << "rule_eval_bench: " << what << "\n";
  return 1;
}

int Run(const Options &o) {
  const int instances = static_cast<int>(o.series / kSeriesPerInstance);
  if (instances < 1 || o.lines < 1 || o.rules < kRulesPerGroup) {
    return Fail("--series must be at least 100, --lines and --rules positive");
  }
  const int groups = o.rules / kRulesPerGroup;
  const int logql_groups = static_cast<int>(std::lround(groups * o.logql_share));
  const int promql_groups = groups - logql_groups;

  const std::string dir =
      o.data_dir.empty() ? fmt::format("{}/sluice-rule-bench-{}",
                                       std::filesystem::temp_directory_path().string(), getpid())
                         : o.data_dir;
  std::filesystem::remove_all(dir);
  auto shards = storage::ShardSet::Open({.data_dir = dir, .shards = o.shards});
  if (!shards.ok()) return Fail(std::string(shards.status().message()));
  prometheus::Registry registry;
  const storage::Durability durability = o.durability == "never" ? storage::Durability::kNever
                                         : o.durability == "always"
                                             ? storage::Durability::kAlways
                                             : storage::Durability::kInterval;
  storage::MetricShardOptions metric_options;
  metric_options.durability = durability;
  storage::LogShardOptions log_options;
  log_options.durability = durability;
  auto metrics = std::make_unique<storage::MetricStore>(**shards, metric_options, registry);
  auto logs = std::make_unique<storage::LogStore>(**shards, log_options, registry);
  if (Status s = metrics->Recover(); !s.ok()) return Fail(std::string(s.message()));
  if (Status s = logs->Recover(); !s.ok()) return Fail(std::string(s.message()));
  metrics->Start();
  logs->Start();
  int exit_code = [&]() -> int {
    // The data end at "now" (a whole scrape interval, so that evaluations align
    // with scrapes).
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() /
                           kScrapeMs * kScrapeMs;
    std::vector<Instance> fleet;
    for (int i = 0; i < instances; ++i) {
      fleet.push_back({InstanceName(i), JobName(i % kJobs), InstanceName(i)});
    }
    const std::vector<SourceLine> source = BuildSourceLines();
    LogLayout layout;
    layout.lines = o.lines;
    layout.step_ns = std::max<int64_t>(1, kLogHistoryMs * 1'000'000 / o.lines);
    layout.start_ns = now_ms * 1'000'000 - layout.step_ns * o.lines;

    auto ingest_start = SteadyClock::now();
    if (Status s = IngestMetrics(*metrics, fleet, now_ms); !s.ok()) {
      return Fail("metric ingest: " + std::string(s.message()));
    }
    const double metric_ingest_s =
        std::chrono::duration<double>(SteadyClock::now() - ingest_start).count();
    ingest_start = SteadyClock::now();
    double log_bytes = 0;
    if (Status s = IngestLogs(*logs, source, layout, &log_bytes); !s.ok()) {
      return Fail("log ingest: " + std::string(s.message()));
    }
    if (Status s = logs->SealAll(); !s.ok()) return Fail("seal: " + std::string(s.message()));
    const double log_ingest_s =
        std::chrono::duration<double>(SteadyClock::now() - ingest_start).count();
    WaitForCompactions(**shards);
    std::cout << fmt::format(
        "data: series={} instances={} samples={} metric_ingest_s={:.1f} "
        "log_lines={} "
        "log_streams={} log_MB={:.0f} log_ingest_s={:.1f} disk_MB={:.0f} "
        "peak_rss_MB={:.0f}\n",
        metrics->Stats().series, instances,
        metrics->Stats().series * static_cast<size_t>(kMetricHistoryMs / kScrapeMs + 1),
        metric_ingest_s, o.lines, logs->Stats().streams, log_bytes / 1e6, log_ingest_s,
        static_cast<double>((*shards)->DiskBytes()) / 1e6, PeakRssMb());

    // The daemon's evaluation path, with counting shims around the storage
    // readers and the sink.
    Touched touched;
    alerting::EngineRuleQueryEngineOptions engine_options;
    engine_options.metrics = [&]() -> std::unique_ptr<query::promql::Querier> {
      return std::make_unique<CountingQuerier>(
          std::make_unique<query::promql::MetricStoreQuerier>(*metrics, kTenant), touched);
    };
    engine_options.logs = [&]() -> std::unique_ptr<query::logql::LogReader> {
      return std::make_unique<CountingLogReader>(
          std::make_unique<query::logql::LogStoreReader>(*logs, kTenant), touched);
    };
    auto engine = alerting::MakeEngineRuleQueryEngine(std::move(engine_options));
    alerting::MetricStoreSampleSink store_sink(*metrics, kTenant);
    CountingSink sink(store_sink, touched);
    std::unique_ptr<alerting::KvStore> kv;
    if (o.kv == "memory") {
      kv = std::make_unique<alerting::MemoryKvStore>();
    } else {
      const storage::Shard &shard0 = (*shards)->shard(0);
      kv = alerting::MakeRocksKvStore(shard0.db, shard0.cf(storage::Cf::kDefault), "alerting/");
    }
    alerting::RuleEvalSettings settings;
    settings.default_interval_ms = kGroupIntervalMs;
    settings.env.external_url = "http://sluice.example:9090";

    std::vector<Scope> scopes;
    std::vector<LogScope> log_scopes;
    std::vector<std::unique_ptr<RuleGroup>> promql, logql;
    for (int g = 0; g < promql_groups; ++g) {
      scopes.push_back(PromqlScope(g, instances));
      auto group = RuleGroup::Create(PromqlGroup(g, scopes.back()), settings, *engine);
      if (!group.ok()) return Fail(std::string(group.status().message()));
      promql.push_back(std::move(*group));
    }
    for (int g = 0; g < logql_groups; ++g) {
      log_scopes.push_back(LogqlScope(g));
      auto group = RuleGroup::Create(LogqlGroup(g, log_scopes.back()), settings, *engine);
      if (!group.ok()) return Fail(std::string(group.status().message()));
      logql.push_back(std::move(*group));
    }
    std::cout << fmt::format("rules: promql={} logql={} groups={} kv={} durability={}\n",
                             promql_groups * kRulesPerGroup, logql_groups * kRulesPerGroup, groups,
                             o.kv, o.durability);

    auto check = [&](int64_t t, bool after_rounds) -> std::string {
      for (size_t g = 0; g < promql.size(); ++g) {
        if (std::string e = CheckPromqlGroup(*promql[g], scopes[g], *metrics, t, after_rounds);
            !e.empty()) {
          return e;
        }
      }
      const LogCounts counts = CountLines(source, layout, t, kRangeMs);
      for (size_t g = 0; g < logql.size(); ++g) {
        if (std::string e = CheckLogqlGroup(*logql[g], log_scopes[g], counts, after_rounds);
            !e.empty()) {
          return e;
        }
      }
      return "";
    };

    // Round r at now - (rounds - r) * interval: round 0, the warm-up, 2
    // intervals before the first timed one at least, so that every alert with
    // `for` up to 2m fires by the last.
    const int64_t first_ms = now_ms - std::max(o.rounds, 2) * kGroupIntervalMs;
    std::vector<PassResult> promql_rounds, logql_rounds;
    for (int r = 0; r <= o.rounds; ++r) {
      const int64_t t = r == 0 ? first_ms : now_ms - (o.rounds - r) * kGroupIntervalMs;
      const PassResult p = EvalPass(promql, t, sink, *kv, settings, touched);
      const PassResult l = EvalPass(logql, t, sink, *kv, settings, touched);
      const std::string name = r == 0 ? "warmup" : std::to_string(r);
      Print(name, "promql", p);
      Print(name, "logql", l);
      if (r == 0) {
        if (std::string e = check(t, false); !e.empty()) return Fail("warm-up answer: " + e);
        std::cout << "warm-up answers checked\n";
      } else {
        promql_rounds.push_back(p);
        logql_rounds.push_back(l);
      }
    }
    if (o.rounds > 0) {
      if (std::string e = check(now_ms, true); !e.empty()) return Fail("final answer: " + e);
      std::cout << "final answers checked\n";
      for (const auto &[kind, rounds] :
           {std::pair{"promql", &promql_rounds}, std::pair{"logql", &logql_rounds}}) {
        PassResult mean;
        for (const PassResult &p : *rounds) {
          mean.wall_s += p.wall_s / static_cast<double>(rounds->size());
          mean.cpu_s += p.cpu_s / static_cast<double>(rounds->size());
          mean.thread_cpu_s += p.thread_cpu_s / static_cast<double>(rounds->size());
          mean.rules = p.rules;
          mean.series += p.series / rounds->size();
          mean.samples += p.samples / rounds->size();
          mean.streams += p.streams / rounds->size();
          mean.lines += p.lines / rounds->size();
          mean.written += p.written / rounds->size();
          mean.alerts += p.alerts / rounds->size();
        }
        Print("mean", kind, mean);
      }
    }
    return 0;
  }();
  logs->Stop();
  metrics->Stop();
  logs.reset();
  metrics.reset();
  (void)(*shards)->Close();
  if (o.data_dir.empty()) std::filesystem::remove_all(dir);
  return exit_code;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char **argv) {
  CLI::App app{"Sluice rule evaluation benchmark"};
  sluice::bench::Options o;
  bool quick = false;
  app.add_flag("--quick", quick, "a smoke-sized run: 10k series, 500k log lines");
  app.add_option("--series", o.series, "active metric series (100 per instance)");
  app.add_option("--lines", o.lines, "log lines over the last 10 minutes");
  app.add_option("--rules", o.rules, "rules, in groups of 10");
  app.add_option("--logql-share", o.logql_share, "share of the rules that are LogQL")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rounds", o.rounds, "timed evaluation rounds after the warm-up");
  app.add_option("--shards", o.shards, "storage shards (the daemon: one per core)");
  app.add_option("--kv", o.kv, "alert state store: rocks (the daemon's) | memory")
      ->check(CLI::IsMember({"rocks", "memory"}));
  app.add_option("--durability", o.durability, "storage fsync policy: never | interval | always")
      ->check(CLI::IsMember({"never", "interval", "always"}));
  app.add_option("--data-dir", o.data_dir, "where the stores live (default: a temporary dir)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    if (app.count("--series") == 0) o.series = 10'000;
    if (app.count("--lines") == 0) o.lines = 500'000;
  }
  return sluice::bench::Run(o);
}

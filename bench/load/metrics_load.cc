// metrics_load: an end-to-end load generator for metrics ingest (Sluice or VictoriaMetrics).
//
// It replays --history of a node_exporter-like fleet (--hosts hosts of about 1,000 series each:
// CPU and network counters, memory and filesystem gauges, temperatures, classic histograms of an
// application) scraped every 15 s, in time order, as Prometheus sends it from its write-ahead
// log: each request holds --samples-per-request samples, one (or --steps-per-request) time steps
// of a slice of consecutive series. A slice always goes to the same connection, as Prometheus'
// queue shards do, so each series arrives in order. Values are deterministic (fixed --seed), so
// two daemons fed by two runs with the same --end-ms store identical data.
//
// A producer thread builds the bodies ahead of the K senders (bounded queues), or all of them
// before the clock starts with --prebuild. With --pid it reads the daemon's CPU time and RSS from
// /proc, for samples per daemon CPU-second and RSS per active series, the figures that compare
// across machines. Any answer other than 2xx stops the run with exit status 1.
//
//   metrics_load --target 127.0.0.1:8428 --format remote_write --hosts 100 --history 1h --pid N
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <snappy.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/load_util.h"
#include "pipeline/decoders/remote_write.h"
#include "pipeline/decoders/vm_import.h"
#include "storage/labels.h"
#include "storage/metric_batch.h"

namespace {

using Clock = std::chrono::steady_clock;
using sluice::bench::Connect;
using sluice::bench::ProcSample;
using sluice::bench::ReadProc;
using sluice::bench::SendAll;
using sluice::storage::Label;
using sluice::storage::Labels;
using sluice::storage::Sample;

constexpr int64_t kScrapeIntervalMs = 15'000;

// ---------------------------------------------------------------------------------------------
// Daemon process figures from /proc.

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// ---------------------------------------------------------------------------------------------
// The series set and its values.

// splitmix64: small, fast and good enough for synthetic metric values.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // Roughly normal: the sum of three uniforms, centred and scaled to unit variance.
  double Normal() { return (Uniform() + Uniform() + Uniform() - 1.5) * 2.0; }
};

enum class Kind : uint8_t {
  kConstant,      // `fvalue` forever
  kCounter,       // `units` / `scale`, grows by about `rate` units a step
  kGauge,         // `units` * `quantum` / `scale`, a random walk of up to `rate` units in [lo, hi]
  kFloatGauge,    // a fresh full-precision float around `fvalue0` (durations, ratios)
  kFloatCounter,  // full-precision float sum growing by about `rate` a step
  kTimeSeconds,   // node_time_seconds: the scrape time in seconds, nanosecond digits
  kHistBucket,    // cumulative count of histogram `group` at bucket `bucket`
  kHistSum,
  kHistCount,
};

struct Model {
  Kind kind = Kind::kConstant;
  double scale = 1;        // units per value (100: two decimals)
  int64_t quantum = 1;     // gauges move in multiples of this (pages of memory)
  int64_t units = 0;       // current value in units
  double rate = 0;         // counter: mean units per step; gauge: largest step in units
  double p_change = 1;     // probability that the value moves at a step
  int64_t lo = 0, hi = 0;  // gauge bounds, in units
  double fvalue = 0;       // float kinds: current value
  double fvalue0 = 0;      // kFloatGauge: centre
};

Model Const(double v) { return Model{.kind = Kind::kConstant, .fvalue = v}; }
Model Counter(double scale, int64_t start, double rate, double p_change = 1) {
  return Model{
      .kind = Kind::kCounter, .scale = scale, .units = start, .rate = rate, .p_change = p_change};
}
Model Gauge(double scale, int64_t quantum, int64_t start, double max_step, int64_t lo, int64_t hi,
            double p_change = 1) {
  return Model{.kind = Kind::kGauge,
               .scale = scale,
               .quantum = quantum,
               .units = start,
               .rate = max_step,
               .p_change = p_change,
               .lo = lo,
               .hi = hi};
}
Model FloatGauge(double centre, double p_change = 1) {
  return Model{
      .kind = Kind::kFloatGauge, .p_change = p_change, .fvalue = centre, .fvalue0 = centre};
}
Model FloatCounter(double start, double rate) {
  return Model{.kind = Kind::kFloatCounter, .rate = rate, .fvalue = start};
}

// A classic histogram: its observations per step land in cumulative buckets.
struct Histogram {
  std::vector<double> bounds;       // upper bounds without +Inf
  std::vector<int64_t> cumulative;  // per bound, then +Inf
  double sum = 0;
  int64_t count = 0;
  double rate = 0;                       // mean observations per step
  double log_median = 0, log_sigma = 0;  // observations are log-normal
  Rng rng{0};
};

struct Series {
  Labels labels;  // canonical
  uint32_t host = 0;
  uint32_t group = 0;  // histogram index, for the kHist kinds
  uint16_t bucket = 0;
  bool advances_group = false;  // the group's first series moves it to the next step
  Model model;
  Rng rng{0};
};

class SeriesSet {
 public:
  std::vector<Series> series;
  std::vector<Histogram> histograms;

  // Values of every series at one step, in series order; `timestamps` per host.
  void Step(const std::vector<int64_t>& host_timestamps, double* values) {
    for (size_t i = 0; i < series.size(); ++i) {
      Series& s = series[i];
      values[i] = Advance(s, host_timestamps[s.host]);
    }
  }

 private:
  double Advance(Series& s, int64_t timestamp_ms) {
    Model& m = s.model;
    switch (m.kind) {
      case Kind::kConstant:
        return m.fvalue;
      case Kind::kCounter:
        if (s.rng.Uniform() < m.p_change) {
          m.units += std::max<int64_t>(0, std::llround(m.rate * (0.5 + s.rng.Uniform())));
        }
        return static_cast<double>(m.units) / m.scale;
      case Kind::kGauge:
        if (s.rng.Uniform() < m.p_change) {
          m.units += std::llround((2 * s.rng.Uniform() - 1) * m.rate);
          m.units = std::clamp(m.units, m.lo, m.hi);
        }
        return static_cast<double>(m.units * m.quantum) / m.scale;
      case Kind::kFloatGauge:
        if (s.rng.Uniform() < m.p_change) m.fvalue = m.fvalue0 * (0.6 + 0.8 * s.rng.Uniform());
        return m.fvalue;
      case Kind::kFloatCounter:
        m.fvalue += m.rate * (0.5 + s.rng.Uniform());
        return m.fvalue;
      case Kind::kTimeSeconds:
        return static_cast<double>(timestamp_ms) / 1e3 +
               static_cast<double>(s.rng.Next() % 1'000'000) / 1e9;
      case Kind::kHistBucket:
      case Kind::kHistSum:
      case Kind::kHistCount: {
        Histogram& h = histograms[s.group];
        if (s.advances_group) Observe(h);
        if (m.kind == Kind::kHistSum) return h.sum;
        if (m.kind == Kind::kHistCount) return static_cast<double>(h.count);
        return static_cast<double>(h.cumulative[s.bucket]);
      }
    }
    return 0;
  }

  static void Observe(Histogram& h) {
    int64_t n = std::llround(h.rate * (0.5 + h.rng.Uniform()));
    for (int64_t i = 0; i < n; ++i) {
      double v = std::exp(h.log_median + h.log_sigma * h.rng.Normal());
      h.sum += v;
      ++h.count;
      size_t b = static_cast<size_t>(std::lower_bound(h.bounds.begin(), h.bounds.end(), v) -
                                     h.bounds.begin());
      // Cumulative: every bucket from the first that holds v up to +Inf.
      for (size_t j = b; j < h.cumulative.size(); ++j) ++h.cumulative[j];
    }
  }
};

// Adds one host's series: node_exporter's usual collectors on a 16-CPU machine, Prometheus'
// own per-target series, and an application's HTTP histograms (1,021 series in all).
class HostBuilder {
 public:
  HostBuilder(SeriesSet* set, uint32_t host, uint64_t seed)
      : set_(set), host_(host), rng_{seed ^ (0x51ce0000ULL + host) * 0x9e3779b97f4a7c15ULL} {
    instance_ = fmt::format("host-{:04d}", host);
    dc_ = fmt::format("dc-{}", host % 4);
  }

  void Build() {
    job_ = "node";
    port_ = ":9100";
    Cpu();
    Network();
    Disks();
    Filesystems();
    Memory();
    Hwmon();
    Kernel();
    Exporter();
    Scrape();
    job_ = "api";
    port_ = ":8080";
    App();
    Scrape();
  }

 private:
  using Extra = std::vector<std::pair<std::string, std::string>>;

  Series& Add(std::string_view name, const Extra& extra, Model model) {
    Series s;
    s.labels.push_back(Label{"__name__", std::string(name)});
    s.labels.push_back(Label{"job", job_});
    s.labels.push_back(Label{"instance", instance_ + port_});
    s.labels.push_back(Label{"dc", dc_});
    s.labels.push_back(Label{"env", "prod"});
    for (const auto& [n, v] : extra) s.labels.push_back(Label{n, v});
    if (!sluice::storage::Canonicalize(s.labels).ok()) std::abort();  // a bug in this table
    s.host = host_;
    s.model = model;
    s.rng.state = rng_.Next();
    set_->series.push_back(std::move(s));
    return set_->series.back();
  }

  // A host-specific factor, so that hosts are not all alike: busy ones and idle ones.
  double Busy() { return 0.2 + 1.6 * rng_.Uniform(); }
  int64_t Big(double lo, double hi) { return std::llround(lo + (hi - lo) * rng_.Uniform()); }

  void Cpu() {
    // USER_HZ resolution: seconds with two decimals, counted in hundredths.
    const std::pair<const char*, double> modes[] = {
        {"idle", 0.70},    {"iowait", 0.01}, {"irq", 0.0},     {"nice", 0.0},
        {"softirq", 0.01}, {"steal", 0.002}, {"system", 0.06}, {"user", 0.22}};
    double busy = Busy();
    for (int cpu = 0; cpu < 16; ++cpu) {
      std::string c = std::to_string(cpu);
      for (const auto& [mode, share] : modes) {
        double s = std::string_view(mode) == "idle" ? share : share * busy;
        Add("node_cpu_seconds_total", {{"cpu", c}, {"mode", mode}},
            Counter(100, Big(1e6, 3e8) * static_cast<int64_t>(s * 10 + 1), s * 1500,
                    s > 0 ? 1.0 : 0.0));
      }
      for (const char* mode : {"nice", "user"}) {
        Add("node_cpu_guest_seconds_total", {{"cpu", c}, {"mode", mode}}, Const(0));
      }
      Add("node_cpu_frequency_hertz", {{"cpu", c}},
          Gauge(1, 1000, 2'400'000, 400'000, 800'000, 3'500'000, 0.7));
      Add("node_cpu_scaling_frequency_hertz", {{"cpu", c}},
          Gauge(1, 1000, 2'400'000, 400'000, 800'000, 3'500'000, 0.7));
      Add("node_cpu_scaling_frequency_max_hertz", {{"cpu", c}}, Const(3.5e9));
      Add("node_cpu_scaling_frequency_min_hertz", {{"cpu", c}}, Const(8e8));
      // Nanosecond counters: the awkward full-precision kind.
      Add("node_schedstat_running_seconds_total", {{"cpu", c}},
          Counter(1e9, Big(1e14, 1e16), 4e9 * busy));
      Add("node_schedstat_waiting_seconds_total", {{"cpu", c}},
          Counter(1e9, Big(1e12, 1e14), 3e8 * busy));
      Add("node_schedstat_timeslices_total", {{"cpu", c}}, Counter(1, Big(1e8, 1e10), 2e4 * busy));
      Add("node_softnet_processed_total", {{"cpu", c}}, Counter(1, Big(1e7, 1e9), 3e3 * busy));
      Add("node_softnet_dropped_total", {{"cpu", c}}, Counter(1, 0, 1, 0.001));
      Add("node_softnet_times_squeezed_total", {{"cpu", c}}, Counter(1, Big(0, 1e4), 1, 0.05));
    }
  }

  void Network() {
    for (const char* dev : {"eth0", "eth1", "lo", "docker0", "veth3f2a9c1"}) {
      double traffic = std::string_view(dev) == "eth1" ? 0.01 : Busy();
      double bytes = 3e6 * traffic;  // per second
      for (const char* dir : {"receive", "transmit"}) {
        auto name = [&](const char* what) {
          return fmt::format("node_network_{}_{}_total", dir, what);
        };
        Add(name("bytes"), {{"device", dev}}, Counter(1, Big(1e10, 1e13), bytes * 15));
        Add(name("packets"), {{"device", dev}}, Counter(1, Big(1e7, 1e10), bytes * 15 / 900));
        Add(name("errs"), {{"device", dev}}, Counter(1, Big(0, 100), 1, 0.002));
        Add(name("drop"), {{"device", dev}}, Counter(1, Big(0, 5000), 2, 0.02));
      }
      Add("node_network_up", {{"device", dev}}, Const(1));
      Add("node_network_mtu_bytes", {{"device", dev}}, Const(1500));
      Add("node_network_speed_bytes", {{"device", dev}}, Const(1.25e9));
    }
  }

  void Disks() {
    for (const char* dev : {"sda", "sdb", "nvme0n1", "nvme1n1", "dm-0", "dm-1"}) {
      double io = Busy();
      auto counter = [&](const char* name, double scale, double start, double rate, double p) {
        Add(name, {{"device", dev}}, Counter(scale, Big(start, start * 100), rate * io, p));
      };
      counter("node_disk_reads_completed_total", 1, 1e6, 600, 1);
      counter("node_disk_writes_completed_total", 1, 1e7, 1500, 1);
      counter("node_disk_reads_merged_total", 1, 1e4, 20, 0.5);
      counter("node_disk_writes_merged_total", 1, 1e6, 300, 1);
      counter("node_disk_read_bytes_total", 1, 1e11, 600 * 16384, 1);
      counter("node_disk_written_bytes_total", 1, 1e12, 1500 * 8192, 1);
      // Milliseconds in the kernel: three decimals.
      counter("node_disk_io_time_seconds_total", 1000, 1e8, 2500, 1);
      counter("node_disk_read_time_seconds_total", 1000, 1e7, 400, 1);
      counter("node_disk_write_time_seconds_total", 1000, 1e8, 3000, 1);
      counter("node_disk_discards_completed_total", 1, 1e3, 2, 0.1);
      Add("node_disk_io_now", {{"device", dev}}, Gauge(1, 1, 0, 3, 0, 40, 0.4));
    }
  }

  void Filesystems() {
    struct Fs {
      const char *device, *fstype, *mountpoint;
      double size;
    };
    const Fs fss[] = {{"/dev/nvme0n1p1", "ext4", "/", 4.0e11},
                      {"/dev/nvme0n1p2", "vfat", "/boot/efi", 5.3e8},
                      {"/dev/nvme1n1", "xfs", "/var/lib/data", 3.8e12},
                      {"tmpfs", "tmpfs", "/run", 3.3e9},
                      {"tmpfs", "tmpfs", "/dev/shm", 1.6e10},
                      {"tmpfs", "tmpfs", "/run/lock", 5.2e6},
                      {"/dev/sda1", "ext4", "/var/log", 1.0e11},
                      {"overlay", "overlay", "/var/lib/docker/overlay2", 4.0e11}};
    for (const Fs& fs : fss) {
      Extra l = {{"device", fs.device}, {"fstype", fs.fstype}, {"mountpoint", fs.mountpoint}};
      int64_t blocks = std::llround(fs.size / 4096);
      int64_t used = std::llround(static_cast<double>(blocks) * (0.05 + 0.85 * rng_.Uniform()));
      Add("node_filesystem_size_bytes", l, Const(static_cast<double>(blocks) * 4096));
      Add("node_filesystem_avail_bytes", l,
          Gauge(1, 4096, blocks - used - blocks / 20, 200, 0, blocks, 0.5));
      Add("node_filesystem_free_bytes", l, Gauge(1, 4096, blocks - used, 200, 0, blocks, 0.5));
      int64_t files = blocks / 4;
      Add("node_filesystem_files", l, Const(static_cast<double>(files)));
      Add("node_filesystem_files_free", l, Gauge(1, 1, files - Big(1e3, 1e6), 50, 0, files, 0.3));
      Add("node_filesystem_readonly", l, Const(0));
      Add("node_filesystem_device_error", l, Const(0));
    }
  }

  void Memory() {
    const int64_t total_pages = (64LL << 30) / 4096;
    auto page_gauge = [&](const char* field, double share, double p_change) {
      int64_t start = std::llround(static_cast<double>(total_pages) * share * Busy());
      Add(fmt::format("node_memory_{}_bytes", field), {},
          Gauge(1, 4096, start, std::max(1.0, static_cast<double>(start) * 0.002), 0, total_pages,
                p_change));
    };
    auto constant = [&](const char* field, double bytes) {
      Add(fmt::format("node_memory_{}_bytes", field), {}, Const(bytes));
    };
    constant("MemTotal", static_cast<double>(total_pages) * 4096);
    constant("SwapTotal", 8.0 * (1 << 30));
    constant("VmallocTotal", 3.5184372087808e13);
    constant("CommitLimit", 4.1e10);
    constant("Hugepagesize", 2097152);
    constant("HugePages_Total", 0);
    constant("HugePages_Free", 0);
    constant("HugePages_Rsvd", 0);
    constant("HugePages_Surp", 0);
    constant("Hugetlb", 0);
    constant("HardwareCorrupted", 0);
    constant("NFS_Unstable", 0);
    constant("Bounce", 0);
    constant("WritebackTmp", 0);
    constant("VmallocChunk", 0);
    constant("ShmemPmdMapped", 0);
    constant("FileHugePages", 0);
    constant("FilePmdMapped", 0);
    constant("DirectMap1G", 6.2277025792e10);
    constant("DirectMap2M", 4.731174912e9);
    constant("DirectMap4k", 3.80735488e8);
    const std::pair<const char*, double> moving[] = {
        {"MemFree", 0.15},      {"MemAvailable", 0.55},  {"Buffers", 0.01},
        {"Cached", 0.35},       {"SwapCached", 0.001},   {"Active", 0.3},
        {"Inactive", 0.25},     {"Active_anon", 0.15},   {"Inactive_anon", 0.05},
        {"Active_file", 0.15},  {"Inactive_file", 0.2},  {"Unevictable", 0.0005},
        {"Mlocked", 0.0005},    {"SwapFree", 0.1},       {"Dirty", 0.0002},
        {"Writeback", 0.00001}, {"AnonPages", 0.2},      {"Mapped", 0.03},
        {"Shmem", 0.01},        {"KReclaimable", 0.02},  {"Slab", 0.03},
        {"SReclaimable", 0.02}, {"SUnreclaim", 0.01},    {"KernelStack", 0.0003},
        {"PageTables", 0.002},  {"Committed_AS", 0.4},   {"VmallocUsed", 0.001},
        {"Percpu", 0.0002},     {"AnonHugePages", 0.02}, {"ShmemHugePages", 0.0}};
    for (const auto& [field, share] : moving) {
      std::string_view f = field;
      // Dirty and the free/available figures move at every scrape; the rest now and then.
      double p = f == "Dirty" || f == "MemFree" || f == "MemAvailable" ? 1.0 : 0.3;
      page_gauge(field, share, share == 0 ? 0 : p);
    }
  }

  void Hwmon() {
    for (int sensor = 1; sensor <= 17; ++sensor) {
      Extra l = {{"chip", "platform_coretemp_0"}, {"sensor", fmt::format("temp{}", sensor)}};
      // Tenths of a degree.
      Add("node_hwmon_temp_celsius", l, Gauge(10, 1, Big(380, 550), 10, 250, 950, 0.8));
      Add("node_hwmon_temp_crit_celsius", l, Const(100));
      Add("node_hwmon_temp_max_celsius", l, Const(82));
    }
  }

  void Kernel() {
    double busy = Busy();
    for (const char* name : {"node_load1", "node_load5", "node_load15"}) {
      Add(name, {}, Gauge(100, 1, std::llround(300 * busy), 40, 0, 3200, 1));
    }
    Add("node_context_switches_total", {}, Counter(1, Big(1e9, 1e12), 2e5 * busy));
    Add("node_intr_total", {}, Counter(1, Big(1e9, 1e12), 1.5e5 * busy));
    Add("node_forks_total", {}, Counter(1, Big(1e6, 1e8), 150 * busy));
    Add("node_procs_running", {}, Gauge(1, 1, 3, 3, 1, 40, 1));
    Add("node_procs_blocked", {}, Gauge(1, 1, 0, 1, 0, 5, 0.3));
    Add("node_boot_time_seconds", {}, Const(static_cast<double>(Big(1.69e9, 1.7e9))));
    Add("node_time_seconds", {}, Model{.kind = Kind::kTimeSeconds});
    Add("node_entropy_available_bits", {}, Gauge(1, 1, 256, 0, 256, 256, 0));
    Add("node_filefd_allocated", {}, Gauge(1, 1, Big(3000, 30000), 40, 1000, 100000, 0.9));
    Add("node_filefd_maximum", {}, Const(9.223372036854776e18));
    Add("node_uname_info",
        {{"machine", "x86_64"},
         {"nodename", instance_},
         {"release", "6.1.0-18-amd64"},
         {"sysname", "Linux"},
         {"version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"}},
        Const(1));
    for (const char* name :
         {"pgpgin", "pgpgout", "pgfault", "pgmajfault", "pswpin", "pswpout", "oom_kill",
          "pgsteal_kswapd", "pgscan_kswapd", "pgsteal_direct", "pgscan_direct", "numa_hit"}) {
      std::string_view n = name;
      bool rare = n.starts_with("psw") || n == "oom_kill" || n.ends_with("direct");
      Add(fmt::format("node_vmstat_{}", name), {},
          rare ? Counter(1, Big(0, 1e4), 3, 0.01) : Counter(1, Big(1e8, 1e11), 4e4 * busy));
    }
    const char* netstat_counters[] = {"Tcp_ActiveOpens",
                                      "Tcp_PassiveOpens",
                                      "Tcp_InErrs",
                                      "Tcp_InSegs",
                                      "Tcp_OutSegs",
                                      "Tcp_OutRsts",
                                      "Tcp_RetransSegs",
                                      "Udp_InDatagrams",
                                      "Udp_OutDatagrams",
                                      "Udp_InErrors",
                                      "Udp_NoPorts",
                                      "Udp_RcvbufErrors",
                                      "Udp_SndbufErrors",
                                      "Icmp_InMsgs",
                                      "Icmp_OutMsgs",
                                      "Icmp_InErrors",
                                      "IpExt_InOctets",
                                      "IpExt_OutOctets",
                                      "TcpExt_ListenDrops",
                                      "TcpExt_ListenOverflows",
                                      "TcpExt_SyncookiesSent",
                                      "TcpExt_SyncookiesRecv",
                                      "TcpExt_SyncookiesFailed",
                                      "TcpExt_TCPSynRetrans",
                                      "TcpExt_TCPTimeouts",
                                      "Udp6_InDatagrams",
                                      "Udp6_OutDatagrams",
                                      "Ip6_InOctets",
                                      "Ip6_OutOctets"};
    for (const char* name : netstat_counters) {
      std::string_view n = name;
      bool rare = n.find("Err") != n.npos || n.find("Syncookies") != n.npos ||
                  n.find("Listen") != n.npos || n.find("NoPorts") != n.npos;
      double rate = n.find("Octets") != n.npos ? 4e7 : 3e3;
      Add(fmt::format("node_netstat_{}", name), {},
          rare ? Counter(1, Big(0, 1e5), 2, 0.02) : Counter(1, Big(1e7, 1e11), rate * busy));
    }
    Add("node_netstat_Tcp_CurrEstab", {}, Gauge(1, 1, Big(20, 2000), 15, 0, 10000, 0.9));
    Add("node_netstat_Ip_Forwarding", {}, Const(1));
    for (const char* name :
         {"sockets_used", "TCP_inuse", "TCP_orphan", "TCP_tw", "TCP_alloc", "TCP_mem",
          "TCP_mem_bytes", "UDP_inuse", "UDP_mem", "UDP_mem_bytes", "UDPLITE_inuse", "RAW_inuse",
          "FRAG_inuse", "FRAG_memory", "TCP6_inuse", "UDP6_inuse"}) {
      std::string_view n = name;
      bool bytes = n.ends_with("_bytes");
      Add(fmt::format("node_sockstat_{}", name), {},
          n.starts_with("FRAG") || n.starts_with("UDPLITE") || n.starts_with("RAW")
              ? Const(0)
              : Gauge(1, bytes ? 4096 : 1, Big(10, 2000), 12, 0, 100000, 0.8));
    }
  }

  void Exporter() {
    for (const char* collector :
         {"arp",        "bcache",       "bonding",          "btrfs",      "conntrack",
          "cpu",        "cpufreq",      "diskstats",        "dmi",        "edac",
          "entropy",    "fibrechannel", "filefd",           "filesystem", "hwmon",
          "infiniband", "ipvs",         "loadavg",          "mdadm",      "meminfo",
          "netclass",   "netdev",       "netstat",          "nfs",        "nfsd",
          "nvme",       "os",           "powersupplyclass", "pressure",   "rapl"}) {
      Extra l = {{"collector", collector}};
      Add("node_scrape_collector_duration_seconds", l, FloatGauge(0.0005 + 0.02 * rng_.Uniform()));
      Add("node_scrape_collector_success", l, Const(1));
    }
    for (const char* q : {"0", "0.25", "0.5", "0.75", "1"}) {
      Add("go_gc_duration_seconds", {{"quantile", q}}, FloatGauge(3e-5 * (1 + std::stod(q)), 0.2));
    }
    Add("go_gc_duration_seconds_sum", {}, FloatCounter(12.5 + rng_.Uniform(), 2e-4));
    Add("go_gc_duration_seconds_count", {}, Counter(1, Big(1e4, 1e6), 3));
    Add("go_goroutines", {}, Gauge(1, 1, 8, 2, 6, 14, 0.5));
    Add("go_threads", {}, Const(12));
    Add("go_info", {{"version", "go1.21.6"}}, Const(1));
    for (const char* name :
         {"alloc_bytes", "heap_alloc_bytes", "heap_idle_bytes", "heap_inuse_bytes",
          "heap_released_bytes", "heap_sys_bytes", "next_gc_bytes", "stack_inuse_bytes",
          "mspan_inuse_bytes", "heap_objects", "sys_bytes", "other_sys_bytes"}) {
      Add(fmt::format("go_memstats_{}", name), {}, Gauge(1, 8, Big(2e5, 8e5), 5e4, 1e4, 4e6, 1));
    }
    for (const char* name : {"buck_hash_sys_bytes", "gc_sys_bytes", "mcache_inuse_bytes",
                             "mcache_sys_bytes", "mspan_sys_bytes", "stack_sys_bytes"}) {
      Add(fmt::format("go_memstats_{}", name), {}, Const(static_cast<double>(Big(1e4, 5e6))));
    }
    Add("go_memstats_alloc_bytes_total", {}, Counter(1, Big(1e10, 1e12), 3e7));
    Add("go_memstats_mallocs_total", {}, Counter(1, Big(1e8, 1e10), 3e5));
    Add("go_memstats_frees_total", {}, Counter(1, Big(1e8, 1e10), 3e5));
    Add("go_memstats_lookups_total", {}, Const(0));
    Add("go_memstats_last_gc_time_seconds", {}, FloatGauge(1.7e9, 1.0));
    Add("process_cpu_seconds_total", {}, Counter(100, Big(1e5, 1e7), 8));
    Add("process_max_fds", {}, Const(1048576));
    Add("process_open_fds", {}, Gauge(1, 1, 9, 1, 8, 12, 0.3));
    Add("process_resident_memory_bytes", {}, Gauge(1, 4096, Big(4000, 8000), 30, 2000, 20000, 1));
    Add("process_virtual_memory_bytes", {}, Gauge(1, 4096, Big(3e5, 4e5), 10, 1e5, 1e6, 0.2));
    Add("process_virtual_memory_max_bytes", {}, Const(1.8446744073709552e19));
    Add("process_start_time_seconds", {}, Const(1.7e9 + std::floor(1e7 * rng_.Uniform()) / 100));
    for (const char* code : {"200", "500", "503"}) {
      bool ok = std::string_view(code) == "200";
      Add("promhttp_metric_handler_requests_total", {{"code", code}},
          ok ? Counter(1, Big(1e4, 1e6), 1) : Const(0));
    }
    Add("promhttp_metric_handler_requests_in_flight", {}, Const(1));
    Add("node_exporter_build_info",
        {{"branch", "HEAD"},
         {"goversion", "go1.21.6"},
         {"revision", "9a0d2e5d35f9bd0ff7e6a1d3c2c8f7d3b1b2a0c1"},
         {"version", "1.7.0"}},
        Const(1));
  }

  // The series Prometheus adds to every target.
  void Scrape() {
    Add("up", {}, Const(1));
    Add("scrape_duration_seconds", {}, FloatGauge(job_ == "node" ? 0.06 : 0.004));
    double n = job_ == "node" ? 950 : 242;
    Add("scrape_samples_scraped", {}, Const(n));
    Add("scrape_samples_post_metric_relabeling", {}, Const(n));
    Add("scrape_series_added", {}, Const(0));
  }

  void AddHistogram(std::string_view family, const Extra& labels, const std::vector<double>& bounds,
                    double rate, double median, double sigma) {
    Histogram h;
    h.bounds = bounds;
    h.cumulative.assign(bounds.size() + 1, 0);
    h.rate = rate;
    h.log_median = std::log(median);
    h.log_sigma = sigma;
    h.rng.state = rng_.Next();
    // Start from a long-running process's totals, not from zero.
    int64_t past = Big(1e4, 1e6);
    for (int64_t i = 0; i < std::min<int64_t>(past, 2000); ++i) {
      double v = std::exp(h.log_median + h.log_sigma * h.rng.Normal());
      h.sum += v * static_cast<double>(past) / 2000;
      size_t b =
          static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
      for (size_t j = b; j < h.cumulative.size(); ++j) h.cumulative[j] += past / 2000;
    }
    h.count = h.cumulative.back();
    uint32_t group = static_cast<uint32_t>(set_->histograms.size());
    set_->histograms.push_back(std::move(h));
    for (size_t b = 0; b <= bounds.size(); ++b) {
      Extra l = labels;
      l.emplace_back("le", b < bounds.size() ? fmt::format("{}", bounds[b]) : "+Inf");
      Series& s = Add(fmt::format("{}_bucket", family), l, Model{.kind = Kind::kHistBucket});
      s.group = group;
      s.bucket = static_cast<uint16_t>(b);
      s.advances_group = b == 0;
    }
    Add(fmt::format("{}_sum", family), labels, Model{.kind = Kind::kHistSum}).group = group;
    Add(fmt::format("{}_count", family), labels, Model{.kind = Kind::kHistCount}).group = group;
  }

  void App() {
    const std::vector<double> latency = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    const std::vector<double> size = {100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9};
    double busy = Busy();
    const char* handlers[] = {"/api/v1/orders", "/api/v1/users", "/api/v1/search",
                              "/api/v1/cart",   "/healthz",      "/metrics"};
    for (const char* handler : handlers) {
      for (const char* code : {"200", "500"}) {
        bool ok = std::string_view(code) == "200";
        AddHistogram("http_request_duration_seconds",
                     {{"handler", handler}, {"method", "GET"}, {"code", code}}, latency,
                     ok ? 150 * busy : 0.3 * busy, ok ? 0.04 : 0.4, 1.0);
      }
      AddHistogram("http_response_size_bytes", {{"handler", handler}}, size, 150 * busy, 4000, 1.5);
    }
  }

  SeriesSet* set_;
  uint32_t host_;
  Rng rng_;
  std::string instance_, dc_, job_, port_;
};

// ---------------------------------------------------------------------------------------------
// Request bodies.

struct Body {
  std::string text;
  size_t samples = 0;
  bool last = false;  // end of this connection's stream
};

// A bounded single-producer single-consumer queue of bodies for one connection.
class BodyQueue {
 public:
  explicit BodyQueue(size_t capacity) : capacity_(capacity) {}
  void Push(Body body) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || cancelled_; });
    queue_.push_back(std::move(body));
    not_empty_.notify_one();
  }
  // Waits for a body; nullopt when cancelled.
  std::optional<Body> Pop(double* waited_s) {
    std::unique_lock lock(mu_);
    auto t0 = Clock::now();
    not_empty_.wait(lock, [&] { return !queue_.empty() || cancelled_; });
    *waited_s += std::chrono::duration<double>(Clock::now() - t0).count();
    if (cancelled_) return std::nullopt;
    Body b = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Body> queue_;
  size_t capacity_;
  bool cancelled_ = false;
};

struct GenOptions {
  std::string format;
  int64_t start_ms = 0;
  int64_t steps = 0;
  size_t series_per_request = 2000;
  int64_t steps_per_request = 1;
  double jitter_fraction = 0.05;
  uint64_t seed = 1;
};

// Builds every request in time order and hands slice i to queue i % queues.size().
class Generator {
 public:
  Generator(SeriesSet* set, uint32_t hosts, GenOptions options)
      : set_(set), hosts_(hosts), o_(std::move(options)) {}

  struct Totals {
    uint64_t samples = 0, requests = 0, body_bytes = 0;
    double cpu_seconds = 0;
  };

  Totals Run(std::vector<BodyQueue*>& queues, const std::atomic<bool>& stop) {
    double cpu0 = ThreadCpuSeconds();
    Totals t;
    const size_t n = set_->series.size();
    const size_t slices = (n + o_.series_per_request - 1) / o_.series_per_request;
    std::vector<double> values;
    std::vector<int64_t> timestamps;  // [step in block][host]
    std::vector<int64_t> host_ts(hosts_);
    // A slice always holds the same series: their labels are set once.
    std::vector<std::vector<sluice::pipeline::RemoteWriteSeries>> rw(slices);
    std::string proto, compressed;
    std::vector<Sample> samples;
    for (int64_t block = 0; block < o_.steps && !stop.load(); block += o_.steps_per_request) {
      int64_t steps = std::min(o_.steps_per_request, o_.steps - block);
      values.resize(static_cast<size_t>(steps) * n);
      timestamps.resize(static_cast<size_t>(steps) * hosts_);
      for (int64_t s = 0; s < steps; ++s) {
        for (uint32_t h = 0; h < hosts_; ++h) host_ts[h] = Timestamp(h, block + s);
        std::copy(host_ts.begin(), host_ts.end(),
                  timestamps.begin() + static_cast<ptrdiff_t>(s) * hosts_);
        set_->Step(host_ts, values.data() + static_cast<size_t>(s) * n);
      }
      for (size_t slice = 0; slice < slices && !stop.load(); ++slice) {
        size_t a = slice * o_.series_per_request;
        size_t b = std::min(n, a + o_.series_per_request);
        Body body;
        body.samples = (b - a) * static_cast<size_t>(steps);
        if (o_.format == "remote_write") {
          std::vector<sluice::pipeline::RemoteWriteSeries>& request = rw[slice];
          if (request.empty()) {
            request.resize(b - a);
            for (size_t i = a; i < b; ++i) request[i - a].labels = set_->series[i].labels;
          }
          for (size_t i = a; i < b; ++i) {
            auto& out = request[i - a];
            out.samples.resize(static_cast<size_t>(steps));
            for (int64_t s = 0; s < steps; ++s) {
              out.samples[static_cast<size_t>(s)] =
                  Sample{timestamps[static_cast<size_t>(s) * hosts_ + set_->series[i].host],
                         values[static_cast<size_t>(s) * n + i]};
            }
          }
          sluice::pipeline::EncodeRemoteWrite(request, {}, &proto);
          snappy::Compress(proto.data(), proto.size(), &compressed);
          body.text.assign(compressed);  // snappy sizes its output for the worst case
        } else {
          proto.clear();
          for (size_t i = a; i < b; ++i) {
            samples.resize(static_cast<size_t>(steps));
            for (int64_t s = 0; s < steps; ++s) {
              samples[static_cast<size_t>(s)] =
                  Sample{timestamps[static_cast<size_t>(s) * hosts_ + set_->series[i].host],
                         values[static_cast<size_t>(s) * n + i]};
            }
            sluice::pipeline::AppendVmExportLine(set_->series[i].labels, samples, &proto);
          }
          body.text.assign(proto);
        }
        t.samples += body.samples;
        t.body_bytes += body.text.size();
        ++t.requests;
        queues[slice % queues.size()]->Push(std::move(body));
      }
    }
    for (BodyQueue* q : queues) {
      Body end;
      end.last = true;
      q->Push(std::move(end));
    }
    t.cpu_seconds = ThreadCpuSeconds() - cpu0;
    return t;
  }

 private:
  // Scrape times: each host has its own phase within the interval; most scrapes land exactly on
  // it (Prometheus aligns timestamps within 2 ms), a few are late by up to 30 ms.
  int64_t Timestamp(uint32_t host, int64_t step) const {
    Rng r{o_.seed ^ (static_cast<uint64_t>(host) << 32) ^ static_cast<uint64_t>(step)};
    r.Next();
    int64_t phase = static_cast<int64_t>(Rng{o_.seed + host}.Next() % kScrapeIntervalMs);
    int64_t jitter = r.Uniform() < o_.jitter_fraction ? static_cast<int64_t>(r.Next() % 31) : 0;
    return o_.start_ms + step * kScrapeIntervalMs + phase + jitter;
  }

  SeriesSet* set_;
  uint32_t hosts_;
  GenOptions o_;
};

// ---------------------------------------------------------------------------------------------
// HTTP.

struct Response {
  int status = 0;  // 0: connection error
  std::string body;
  bool close = false;  // "Connection: close": VictoriaMetrics says it every -http.connTimeout (2m)
};

// Reads one response (Content-Length or chunked body) from a keep-alive connection.
Response ReadResponse(int fd, std::string& buffer) {
  auto fill = [&]() {
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  size_t header_end;
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return {};
  }
  Response r;
  r.status = buffer.size() > 12 ? std::atoi(buffer.c_str() + 9) : 0;
  std::string head = buffer.substr(0, header_end);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  buffer.erase(0, header_end + 4);
  r.close = head.find("\r\nconnection: close") != std::string::npos;
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    while (true) {
      size_t line_end;
      while ((line_end = buffer.find("\r\n")) == std::string::npos) {
        if (!fill()) return {};
      }
      size_t size = std::stoul(buffer.substr(0, line_end), nullptr, 16);
      while (buffer.size() < line_end + 2 + size + 2) {
        if (!fill()) return {};
      }
      r.body.append(buffer, line_end + 2, size);
      buffer.erase(0, line_end + 2 + size + 2);
      if (size == 0) return r;
    }
  }
  size_t length = 0;
  if (size_t cl = head.find("content-length:"); cl != std::string::npos) {
    length = std::stoul(head.substr(cl + 15));
  }
  while (buffer.size() < length) {
    if (!fill()) return {};
  }
  r.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return r;
}

// "90s", "15m", "1h", "2d" -> milliseconds.
std::optional<int64_t> ParseDurationMs(const std::string& text) {
  if (text.size() < 2) return std::nullopt;
  char unit = text.back();
  double n = 0;
  try {
    n = std::stod(text.substr(0, text.size() - 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  double ms = unit == 's'   ? 1e3
              : unit == 'm' ? 6e4
              : unit == 'h' ? 3.6e6
              : unit == 'd' ? 8.64e7
                            : 0;
  if (ms == 0 || n <= 0) return std::nullopt;
  return std::llround(n * ms);
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sluice metrics ingest load generator (remote write or VictoriaMetrics import)"};
  std::string target = "127.0.0.1:8428";
  std::string format = "remote_write";
  uint32_t hosts = 100;
  std::string history = "1h";
  int64_t end_ms = 0;
  size_t samples_per_request = 2000;
  int64_t steps_per_request = 1;
  int connections = 4;
  size_t queue_depth = 8;
  bool prebuild = false;
  bool dry_run = false;
  double jitter_fraction = 0.05;
  uint64_t seed = 1;
  int pid = 0;
  app.add_option("--target", target, "host:port of the daemon");
  app.add_option("--format", format, "remote_write | import")
      ->check(CLI::IsMember({"remote_write", "import"}));
  app.add_option("--hosts", hosts, "hosts of 1,021 series each (100: about 100k active series)");
  app.add_option("--history", history,
                 "time span replayed at a 15 s scrape interval (1h: 240 "
                 "samples per series)");
  app.add_option("--end-ms", end_ms,
                 "Unix ms of the last step (default: now, rounded down to 15 s); pass the same "
                 "value to runs that must send identical data");
  app.add_option("--samples-per-request", samples_per_request,
                 "samples per request (Prometheus' max_samples_per_send is 2000)");
  app.add_option("--steps-per-request", steps_per_request,
                 "time steps per request: a request holds samples-per-request / steps series");
  app.add_option("--connections", connections, "keep-alive connections (Prometheus' shards)");
  app.add_option("--queue-depth", queue_depth, "bodies built ahead per connection");
  app.add_flag("--prebuild", prebuild, "build every body before the clock starts (memory!)");
  app.add_flag("--dry-run", dry_run, "build the bodies and report their size; send nothing");
  app.add_option("--jitter-fraction", jitter_fraction, "share of scrapes late by 1-30 ms");
  app.add_option("--seed", seed, "seed of the values and scrape phases");
  app.add_option("--pid", pid, "the daemon's pid, for its CPU time and RSS");
  CLI11_PARSE(app, argc, argv);

  std::optional<int64_t> history_ms = ParseDurationMs(history);
  if (!history_ms || steps_per_request < 1 || connections < 1 || hosts < 1 ||
      samples_per_request < static_cast<size_t>(steps_per_request)) {
    std::cerr << "metrics_load: bad --history, --steps-per-request, --connections or --hosts\n";
    return 2;
  }
  if (end_ms == 0) {
    end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    end_ms -= end_ms % kScrapeIntervalMs;
  }

  SeriesSet set;
  for (uint32_t h = 0; h < hosts; ++h) HostBuilder(&set, h, seed).Build();
  GenOptions gen;
  gen.format = format;
  gen.steps = *history_ms / kScrapeIntervalMs;
  // The last step's scrapes (phase up to 15 s later, plus jitter) stay before --end-ms.
  gen.start_ms = end_ms - gen.steps * kScrapeIntervalMs - kScrapeIntervalMs;
  gen.steps_per_request = steps_per_request;
  gen.series_per_request = samples_per_request / static_cast<size_t>(steps_per_request);
  gen.jitter_fraction = jitter_fraction;
  gen.seed = seed;
  const size_t active_series = set.series.size();
  std::cout << fmt::format(
      "format={} hosts={} active_series={} steps={} samples_per_series={} series_per_request={} "
      "steps_per_request={} connections={} start_ms={} end_ms={}\n",
      format, hosts, active_series, gen.steps, gen.steps, gen.series_per_request, steps_per_request,
      connections, gen.start_ms, end_ms);

  std::string host = target.substr(0, target.rfind(':'));
  int port = std::stoi(target.substr(target.rfind(':') + 1));
  std::string head =
      format == "remote_write"
          ? fmt::format(
                "POST /api/v1/write HTTP/1.1\r\nHost: {}\r\nUser-Agent: metrics_load\r\n"
                "Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
                "X-Prometheus-Remote-Write-Version: 0.1.0\r\nContent-Length: ",
                target)
          : fmt::format(
                "POST /api/v1/import HTTP/1.1\r\nHost: {}\r\nUser-Agent: metrics_load\r\n"
                "Content-Type: application/x-ndjson\r\nContent-Length: ",
                target);

  const size_t k = static_cast<size_t>(dry_run ? 1 : connections);
  std::vector<std::unique_ptr<BodyQueue>> queue_storage;
  std::vector<BodyQueue*> queues;
  for (size_t c = 0; c < k; ++c) {
    queue_storage.push_back(
        std::make_unique<BodyQueue>(prebuild || dry_run ? SIZE_MAX : queue_depth));
    queues.push_back(queue_storage.back().get());
  }
  std::atomic<bool> stop{false};
  Generator generator(&set, hosts, gen);
  Generator::Totals totals;

  if (dry_run) {
    // One queue that drops what it is given would be simpler, but keeping the bodies measures the
    // memory --prebuild would need.
    auto t0 = Clock::now();
    totals = generator.Run(queues, stop);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << fmt::format(
        "dry_run samples={} requests={} body_bytes={} body_bytes_per_sample={:.2f} "
        "generator_cpu_s={:.2f} generator_samples_per_s={:.0f}\n",
        totals.samples, totals.requests, totals.body_bytes,
        static_cast<double>(totals.body_bytes) / static_cast<double>(totals.samples),
        totals.cpu_seconds, static_cast<double>(totals.samples) / s);
    return 0;
  }

  std::thread producer;
  if (prebuild) {
    totals = generator.Run(queues, stop);
  } else {
    producer = std::thread([&] { totals = generator.Run(queues, stop); });
  }

  std::atomic<uint64_t> acked_samples{0}, requests{0};
  std::atomic<bool> failed{false};
  std::mutex mu;  // latencies, error output
  std::vector<double> latencies;
  double starved_s = 0;  // senders waiting for the producer
  ProcSample before = ReadProc(pid);
  auto started = Clock::now();
  std::vector<std::thread> senders;
  for (size_t c = 0; c < k; ++c) {
    senders.emplace_back([&, c] {
      std::vector<double> mine;
      double waited = 0;
      std::string buffer, request;
      int fd = Connect(host, port);
      if (fd < 0) {
        std::lock_guard lock(mu);
        std::cerr << fmt::format("metrics_load: cannot connect to {}\n", target);
        failed = true;
        stop = true;
        for (BodyQueue* q : queues) q->Cancel();
      }
      while (fd >= 0 && !failed.load()) {
        std::optional<Body> body = queues[c]->Pop(&waited);
        if (!body || body->last) break;
        request = head;
        request += fmt::format("{}\r\n\r\n", body->text.size());
        auto t0 = Clock::now();
        Response r;
        if (SendAll(fd, request) && SendAll(fd, body->text)) r = ReadResponse(fd, buffer);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        ++requests;
        if (r.status >= 200 && r.status < 300) {
          acked_samples += body->samples;
          if (r.close) {
            ::close(fd);
            buffer.clear();
            fd = Connect(host, port);
            if (fd < 0) r.status = 0;
          }
          if (fd >= 0) continue;
        }
        std::lock_guard lock(mu);
        std::cerr << fmt::format("metrics_load: connection {}: {} {}\n", c,
                                 r.status == 0 ? "connection lost" : std::to_string(r.status),
                                 r.body.substr(0, 2000));
        failed = true;
        // The producer may be waiting on another connection's full queue, and the other senders
        // on the producer.
        stop = true;
        for (BodyQueue* q : queues) q->Cancel();
      }
      if (fd >= 0) ::close(fd);
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      starved_s += waited;
    });
  }
  for (auto& t : senders) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  ProcSample after = ReadProc(pid);
  if (producer.joinable()) producer.join();

  std::sort(latencies.begin(), latencies.end());
  double samples = static_cast<double>(acked_samples.load());
  std::cout << fmt::format(
      "samples_sent={:.0f} requests={} wall_s={:.2f} samples_per_s={:.0f} "
      "body_bytes_per_sample={:.2f} generator_cpu_s={:.2f} senders_starved_s={:.2f}\n",
      samples, requests.load(), elapsed, samples / elapsed,
      totals.samples ? static_cast<double>(totals.body_bytes) / static_cast<double>(totals.samples)
                     : 0.0,
      totals.cpu_seconds, starved_s / static_cast<double>(k));
  std::cout << fmt::format("ack_latency_ms p50={:.2f} p99={:.2f} max={:.2f}\n",
                           Percentile(latencies, 0.5), Percentile(latencies, 0.99),
                           latencies.empty() ? 0.0 : latencies.back());
  if (pid > 0) {
    double cpu = after.cpu_seconds - before.cpu_seconds;
    std::cout << fmt::format(
        "daemon_cpu_s={:.2f} samples_per_cpu_s={:.0f} daemon_cores_busy={:.2f} "
        "peak_rss_MB={:.1f} rss_MB={:.1f} rss_bytes_per_series={:.0f} "
        "peak_rss_bytes_per_series={:.0f}\n",
        cpu, cpu > 0 ? samples / cpu : 0.0, cpu / elapsed, after.peak_rss_bytes / 1e6,
        after.rss_bytes / 1e6, after.rss_bytes / static_cast<double>(active_series),
        after.peak_rss_bytes / static_cast<double>(active_series));
  }
  return failed.load() ? 1 : 0;
}

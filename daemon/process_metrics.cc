#include "daemon/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/build_info.h"

namespace sluice::daemon {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double start_ticks = 0;
};

// Fields of /proc/self/stat (proc(5)); the command name may contain spaces, so parse after ')'.
ProcStat ReadProcStat() {
  ProcStat stat;
  std::ifstream in("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = content.rfind(')');
  if (paren == std::string::npos) return stat;
  std::istringstream fields(content.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string token; fields >> token;) f.push_back(token);
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
  auto field = [&](int number) {
    return f.size() > size_t(number - 3) ? std::stod(f[number - 3]) : 0.0;
  };
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  stat.cpu_seconds = (field(14) + field(15)) / ticks;
  stat.start_ticks = field(22);
  stat.virtual_bytes = field(23);
  stat.resident_bytes = field(24) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return stat;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

double MaxFds() {
  std::ifstream in("/proc/self/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(14));
      std::string soft;
      fields >> soft;
      return soft == "unlimited" ? 0 : std::stod(soft);
    }
  }
  return 0;
}

prometheus::MetricFamily Single(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family{name, help, type, {}};
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

ProcessMetrics::ProcessMetrics() {
  start_time_seconds_ =
      BootTimeSeconds() + ReadProcStat().start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  ProcStat stat = ReadProcStat();
  std::vector<prometheus::MetricFamily> out;
  out.push_back(Single("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", MetricType::Counter,
                       stat.cpu_seconds));
  out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::Gauge, stat.resident_bytes));
  out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::Gauge, stat.virtual_bytes));
  out.push_back(
      Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, OpenFds()));
  out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::Gauge, MaxFds()));
  out.push_back(Single("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                       start_time_seconds_));

  const BuildInfo& build = GetBuildInfo();
  prometheus::MetricFamily info =
      Single("sluice_build_info",
             "A metric with a constant '1' value labeled by version, revision and branch.",
             MetricType::Gauge, 1);
  info.metric[0].label = {{"branch", std::string(build.branch)},
                          {"revision", std::string(build.revision)},
                          {"version", std::string(build.version)}};
  out.push_back(std::move(info));
  return out;
}

}  // namespace sluice::daemon

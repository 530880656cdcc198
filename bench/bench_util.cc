#include "bench/bench_util.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace sluice::bench {

const std::vector<std::string>& LoghubLines() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(SLUICE_LOGHUB_DIR)) {
      if (e.path().extension() == ".log") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& f : files) {
      std::ifstream in(f);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(std::move(line));
      }
    }
    return out;
  }();
  return lines;
}

const std::string& LoghubText() {
  static const std::string text = [] {
    std::string out;
    for (const auto& line : LoghubLines()) out.append(line).push_back('\n');
    return out;
  }();
  return text;
}

void ReportCpuPerGB(benchmark::State& state, double bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes_per_iteration) * state.iterations());
  state.counters["cpu_s_per_GB"] =
      benchmark::Counter(bytes_per_iteration * static_cast<double>(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void ReportCpuPerMillion(benchmark::State& state, double units_per_iteration,
                         const std::string& unit) {
  state.SetItemsProcessed(static_cast<int64_t>(units_per_iteration) * state.iterations());
  state.counters["cpu_s_per_M" + unit] =
      benchmark::Counter(units_per_iteration * static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void ReportCpuPerMillionLines(benchmark::State& state, double lines_per_iteration) {
  ReportCpuPerMillion(state, lines_per_iteration, "lines");
}

}  // namespace sluice::bench

// Helpers shared by the Google Benchmark binaries: real data and per-unit CPU cost counters.
#pragma once

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace sluice::bench {

// The 31,987 loghub lines (tests/fixtures/loghub/*.log), without their newlines.
const std::vector<std::string>& LoghubLines();

// The loghub files concatenated, newline-terminated lines.
const std::string& LoghubText();

// Adds "cpu_s_per_GB" (CPU seconds per 10^9 bytes) for `bytes` processed per iteration.
void ReportCpuPerGB(benchmark::State& state, double bytes_per_iteration);

// Adds "cpu_s_per_M<unit>" (CPU seconds per million units: lines, samples) for
// `units_per_iteration` per iteration, and sets items processed.
void ReportCpuPerMillion(benchmark::State& state, double units_per_iteration,
                         const std::string& unit);

// Adds "cpu_s_per_Mlines" (CPU seconds per million lines) for `lines` per iteration.
void ReportCpuPerMillionLines(benchmark::State& state, double lines_per_iteration);

}  // namespace sluice::bench

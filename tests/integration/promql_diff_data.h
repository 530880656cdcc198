// The series the PromQL differential test (promql_diff_test.cc) writes to both Prometheus and
// Sluice: three hours on a 15 s grid from kBaseMs of counters with resets, gauges (negative,
// tiny, huge, NaN and infinities), classic histograms (one with a reset, one without its +Inf
// bucket), irregular timestamps, gaps longer than the lookback, stale markers, label sets that
// collide once the name is dropped, odd label values, and a fleet of 60 series for topk and
// quantile. Deterministic: the same series and values on every run and platform.
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/decoders/remote_write.h"

namespace sluice::testing {

inline constexpr int64_t kBaseMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
inline constexpr int64_t kStepMs = 15'000;
inline constexpr int kSteps = 720;  // 3 hours
inline constexpr int64_t kEndMs = kBaseMs + kSteps * kStepMs;

// Every series, each with its samples in time order.
std::vector<pipeline::RemoteWriteSeries> GeneratePromqlDiffData();

}  // namespace sluice::testing

// Helpers for the metrics decoder tests: a readable view of a MetricBatch, and the state every
// decoder test needs (what decoder_test_util.h is for the log decoders).
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "pipeline/decoders/metric_decode_context.h"
#include "storage/metric_batch.h"
#include "tests/pipeline/decoder_test_util.h"

namespace sluice::pipeline::testing {

struct DecodedSample {
  std::string labels;  // {a="b"}
  int64_t ts;
  double value;
  friend bool operator==(const DecodedSample&, const DecodedSample&) = default;
  friend std::ostream& operator<<(std::ostream& os, const DecodedSample& s) {
    return os << s.labels << " " << s.value << " @" << s.ts;
  }
};

// The samples of `batch` in batch order.
inline std::vector<DecodedSample> DecodedSamples(const storage::MetricBatch& batch) {
  std::vector<DecodedSample> out;
  for (const storage::MetricSampleRef& s : batch.samples()) {
    out.push_back(
        {storage::LabelsToString(batch.SeriesLabelsCopy(s.series)), s.timestamp_ms, s.value});
  }
  return out;
}

// The shortest text that reads back as `v` ("0.1", "1e+21", "nan").
inline std::string Shortest(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

// "{labels} ts value" per sample of `batch`, in batch order.
inline std::vector<std::string> SampleLines(const storage::MetricBatch& batch) {
  std::vector<std::string> out;
  for (const storage::MetricSampleRef& s : batch.samples()) {
    out.push_back(storage::LabelsToString(batch.SeriesLabelsCopy(s.series)) + " " +
                  std::to_string(s.timestamp_ms) + " " + Shortest(s.value));
  }
  return out;
}

class MetricDecoderTest : public ::testing::Test {
 protected:
  MetricDecodeContext Ctx() { return MetricDecodeContext{kNowMs, &limits_, &parser_}; }
  // SampleLines(batch_).
  std::vector<std::string> Samples() const { return SampleLines(batch_); }

  static constexpr int64_t kNowMs = 1'700'000'000'000;
  MetricLimits limits_;
  simdjson::ondemand::parser parser_;
  storage::MetricBatch batch_{"tenant"};
  MetricDecodeResult result_;
};

}  // namespace sluice::pipeline::testing

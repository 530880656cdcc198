// VictoriaMetrics JSON lines: import (DecodeVmImport) and export (AppendVmExportLine).
#include "pipeline/decoders/vm_import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

#include "tests/pipeline/metric_test_util.h"

namespace sluice::pipeline {
namespace {

using testing::DecodedSamples;
using ::testing::HasSubstr;
using testing::Padded;
using ::testing::StartsWith;

class VmImportTest : public testing::MetricDecoderTest {
 protected:
  Status Decode(std::string_view body) {
    return DecodeVmImport(Padded(body), Ctx(), &batch_, &result_);
  }
  // Decodes `body`, which must hold exactly one bad line, and returns its rejection message.
  std::string Rejection(std::string_view body) {
    result_ = {};
    EXPECT_TRUE(Decode(body).ok());
    EXPECT_EQ(result_.rejected_series, 1) << body;
    return result_.first_error;
  }
};

TEST_F(VmImportTest, DecodesOneSeriesWithItsSamples) {
  ASSERT_TRUE(
      Decode(R"({"metric":{"__name__":"up","job":"node","instance":"h:9100"},)"
             R"("values":[1,0,0.5],"timestamps":[1700000000000,1700000010000,1700000020000]})")
          .ok());
  EXPECT_EQ(result_.rejected_series, 0);
  ASSERT_EQ(batch_.series().size(), 1u);
  auto samples = DecodedSamples(batch_);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].labels, R"({__name__="up", instance="h:9100", job="node"})")
      << "labels are sorted";
  EXPECT_EQ(samples[0].ts, 1700000000000);
  EXPECT_EQ(samples[0].value, 1);
  EXPECT_EQ(samples[1].ts, 1700000010000);
  EXPECT_EQ(samples[1].value, 0);
  EXPECT_EQ(samples[2].value, 0.5);
  EXPECT_EQ(batch_.series()[0].fingerprint,
            storage::SeriesFingerprint("tenant", batch_.SeriesKey(0)));
}

TEST_F(VmImportTest, ManySeriesBlankLinesCrlfAndAnyKeyOrder) {
  ASSERT_TRUE(Decode("\n"
                     "{\"metric\":{\"__name__\":\"a\"},\"values\":[1],\"timestamps\":[10]}\r\n"
                     "   \t\r\n"
                     "{\"timestamps\":[20,30],\"extra\":{\"x\":[1,{}]},\"values\":[2,3],"
                     "\"metric\":{\"__name__\":\"b\",\"k\":\"v\"}}\n"
                     "  {\"metric\":{\"__name__\":\"a\"},\"values\":[4],\"timestamps\":[40]}  \n"
                     "{\"metric\":{\"__name__\":\"a\",\"empty\":\"\"},\"values\":[5],"
                     "\"timestamps\":[50]}")
                  .ok());
  EXPECT_EQ(result_.rejected_series, 0) << result_.first_error;
  ASSERT_EQ(batch_.series().size(), 2u) << "the same labels on two lines are one series";
  auto samples = DecodedSamples(batch_);
  ASSERT_EQ(samples.size(), 5u);
  EXPECT_EQ(samples[0].labels, R"({__name__="a"})");
  EXPECT_EQ(samples[1].labels, R"({__name__="b", k="v"})");
  EXPECT_EQ(samples[2].ts, 30);
  EXPECT_EQ(samples[2].value, 3);
  EXPECT_EQ(samples[3].labels, R"({__name__="a"})");
  EXPECT_EQ(samples[4].labels, R"({__name__="a"})") << "an empty label value is no label";
  EXPECT_EQ(batch_.samples()[4].series, batch_.samples()[0].series);
}

TEST_F(VmImportTest, NullIsStaleMarkerAndSpecialStringsAreAccepted) {
  ASSERT_TRUE(
      Decode(R"({"metric":{"__name__":"m"},"values":[null,"NaN","nan","Inf","-Inf",)"
             R"("infinity","-Infinity","null",1e308,-0],"timestamps":[1,2,3,4,5,6,7,8,9,10]})")
          .ok());
  ASSERT_EQ(result_.rejected_series, 0) << result_.first_error;
  const auto& s = batch_.samples();
  ASSERT_EQ(s.size(), 10u);
  EXPECT_TRUE(storage::IsStaleNaN(s[0].value));
  EXPECT_TRUE(std::isnan(s[1].value) && !storage::IsStaleNaN(s[1].value));
  EXPECT_TRUE(std::isnan(s[2].value) && !storage::IsStaleNaN(s[2].value));
  EXPECT_EQ(s[3].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[4].value, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[5].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[6].value, -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(s[7].value) && !storage::IsStaleNaN(s[7].value));
  EXPECT_EQ(s[8].value, 1e308);
  EXPECT_EQ(std::bit_cast<uint64_t>(s[9].value), std::bit_cast<uint64_t>(-0.0));
}

TEST_F(VmImportTest, LargeIntegersAndCounters) {
  ASSERT_TRUE(
      Decode(R"({"metric":{"__name__":"c_total"},)"
             R"("values":[9007199254740993,18446744073709551615,123456789012345678901234567890,)"
             R"(-9223372036854775808],"timestamps":[-1000,0,9223372036854775807,4]})")
          .ok());
  ASSERT_EQ(result_.rejected_series, 0) << result_.first_error;
  const auto& s = batch_.samples();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].value, 9007199254740992.0) << "rounded to the nearest double";
  EXPECT_EQ(s[1].value, 18446744073709551616.0);
  EXPECT_EQ(s[2].value, 1.2345678901234568e29);
  EXPECT_EQ(s[3].value, -9223372036854775808.0);
  EXPECT_EQ(s[0].timestamp_ms, -1000);
  EXPECT_EQ(s[2].timestamp_ms, std::numeric_limits<int64_t>::max());
}

TEST_F(VmImportTest, BadLinesAreSkippedAndNamedByLineNumber) {
  const std::string good = R"({"metric":{"__name__":"ok"},"values":[1],"timestamps":[1]})";
  struct Case {
    std::string line;
    std::string message;  // after "line 2: "
  };
  const std::vector<Case> cases = {
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1])", "invalid JSON"},
      {R"({not json})", "invalid JSON"},
      {R"([1,2])", "not a JSON object"},
      {R"("text")", "not a JSON object"},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1]} x)", "invalid JSON"},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1]} {})",
       "unexpected data after the JSON object"},
      {R"({"values":[1],"timestamps":[1]})", "missing \"metric\" object"},
      {R"({"metric":"up","values":[1],"timestamps":[1]})", "\"metric\" is not an object"},
      {R"({"metric":{"__name__":"x"},"timestamps":[1]})", "missing or empty \"values\" array"},
      {R"({"metric":{"__name__":"x"},"values":[],"timestamps":[]})",
       "missing or empty \"values\" array"},
      {R"({"metric":{"__name__":"x"},"values":[1]})", "missing or empty \"timestamps\" array"},
      {R"({"metric":{"__name__":"x"},"values":1,"timestamps":[1]})", "\"values\" is not an array"},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":{}})",
       "\"timestamps\" is not an array"},
      {R"({"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1]})",
       "\"values\" has 2 items but \"timestamps\" has 1; they must match"},
      {R"({"metric":{"__name__":"x"},"values":[1,true],"timestamps":[1,2]})",
       "\"values\"[1] is not a number, null or string"},
      {R"({"metric":{"__name__":"x"},"values":[[1]],"timestamps":[1]})",
       "\"values\"[0] is not a number, null or string"},
      {R"({"metric":{"__name__":"x"},"values":["12"],"timestamps":[1]})",
       "\"values\"[0] is the string \"12\", not a number"},
      {R"({"metric":{"__name__":"x"},"values":[1e400],"timestamps":[1]})",
       "\"values\"[0]: invalid JSON"},
      {R"({"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1,1.5]})",
       "\"timestamps\"[1] is not an integer number of milliseconds: 1.5"},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":["1"]})",
       "\"timestamps\"[0] is not an integer number of milliseconds: \"1\""},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1e3]})",
       "\"timestamps\"[0] is not an integer number of milliseconds: 1e3"},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[null]})",
       "\"timestamps\"[0] is not an integer number of milliseconds: null"},
      {R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[9223372036854775808]})",
       "\"timestamps\"[0] is not an integer number of milliseconds: 9223372036854775808"},
      {R"({"metric":{"job":"x"},"values":[1],"timestamps":[1]})",
       "series has no metric name (__name__ label)"},
      {R"({"metric":{"__name__":"x-y"},"values":[1],"timestamps":[1]})",
       "invalid metric name 'x-y'"},
      {R"({"metric":{"__name__":"x","bad.name":"v"},"values":[1],"timestamps":[1]})",
       "series 'x' has invalid label name 'bad.name'"},
      {R"({"metric":{"__name__":"x","n":1},"values":[1],"timestamps":[1]})",
       "the value of label 'n' in \"metric\" is not a string"},
      {R"({"metric":{"__name__":"x","a":"1","a":"2"},"values":[1],"timestamps":[1]})",
       "series 'x' has duplicate label name 'a'"},
      {R"({"metric":{"__name__":"x"},"metric":{},"values":[1],"timestamps":[1]})",
       "\"metric\" appears twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    batch_.Clear();
    std::string message = Rejection(good + "\n" + c.line + "\n" + good);
    EXPECT_THAT(message, StartsWith("line 2: " + c.message));
    EXPECT_EQ(batch_.samples().size(), 2u) << "the good lines around it are kept";
  }
}

TEST_F(VmImportTest, CountsRejectedLinesAndTheirSamples) {
  ASSERT_TRUE(Decode(R"({"metric":{"job":"x"},"values":[1,2,3],"timestamps":[1,2,3]})"
                     "\n"
                     R"({"metric":{"__name__":"ok"},"values":[1],"timestamps":[1]})"
                     "\n"
                     R"({"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1]})")
                  .ok());
  EXPECT_EQ(result_.rejected_series, 2);
  EXPECT_EQ(result_.rejected_samples, 5);
  EXPECT_EQ(result_.first_error, "line 1: series has no metric name (__name__ label)");
  EXPECT_EQ(batch_.samples().size(), 1u);
}

TEST_F(VmImportTest, LabelLimitsApply) {
  limits_.max_labels_per_series = 2;
  EXPECT_EQ(
      Rejection(R"({"metric":{"__name__":"x","a":"1","b":"2"},"values":[1],"timestamps":[1]})"),
      "line 1: series 'x' has 3 labels; limit 2 (limits.max_labels_per_series)");
}

TEST(VmExport, WritesVictoriaMetricsFormat) {
  std::string out = "previous\n";
  storage::Labels labels = {{"__name__", "up"}, {"job", "a\"b\\c\n"}};
  std::vector<storage::Sample> samples = {
      {1700000000000, 1},
      {1700000000001, 0.25},
      {1700000000002, storage::StaleNaN()},
      {1700000000003, std::numeric_limits<double>::quiet_NaN()},
      {1700000000004, std::numeric_limits<double>::infinity()},
      {1700000000005, -std::numeric_limits<double>::infinity()},
      {1700000000006, 1e20},
      {1700000000007, 0.000001},
      {1700000000008, -0.0},
      {-5, -12345.5},
  };
  AppendVmExportLine(labels, samples, &out);
  EXPECT_EQ(out,
            "previous\n"
            R"({"metric":{"__name__":"up","job":"a\"b\\c\n"},)"
            R"("values":[1,0.25,null,"NaN","Infinity","-Infinity",100000000000000000000,0.000001,)"
            R"(-0,-12345.5],"timestamps":[1700000000000,1700000000001,1700000000002,)"
            R"(1700000000003,1700000000004,1700000000005,1700000000006,1700000000007,)"
            R"(1700000000008,-5]})"
            "\n");
}

TEST(VmExport, WritesNothingForASeriesWithoutSamples) {
  std::string out;
  AppendVmExportLine({{"__name__", "up"}}, {}, &out);
  EXPECT_EQ(out, "");
}

TEST_F(VmImportTest, ExportThenImportIsBitExact) {
  std::mt19937_64 rng(42);
  std::vector<storage::Sample> samples;
  // Random bit patterns cover every exponent, denormals included.
  while (samples.size() < 20000) {
    double v = std::bit_cast<double>(rng());
    if (!std::isfinite(v)) continue;
    samples.push_back({static_cast<int64_t>(rng() >> 1) - (int64_t{1} << 62), v});
  }
  // Counters and other integers, and the edges of the range.
  for (int64_t i = 0; i < 1000; ++i) {
    samples.push_back({i, static_cast<double>(i * 1'000'003)});
  }
  for (double v : {0.0, -0.0, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN, 0.1, 1e21,
                   1e-7, 9007199254740993.0, 18446744073709551616.0, 123456.789e100}) {
    samples.push_back({1, v});
  }
  samples.push_back({2, storage::StaleNaN()});
  samples.push_back({3, std::numeric_limits<double>::quiet_NaN()});
  samples.push_back({4, std::numeric_limits<double>::infinity()});
  samples.push_back({5, -std::numeric_limits<double>::infinity()});

  storage::Labels labels = {{"__name__", "roundtrip"}, {"path", "C:\\tmp\\\"x\"\t\xc3\xa9"}};
  std::string body;
  // Several lines, so that lines of very different lengths follow each other.
  for (size_t begin = 0; begin < samples.size(); begin += 7000) {
    size_t n = std::min<size_t>(7000, samples.size() - begin);
    AppendVmExportLine(labels, std::span(samples).subspan(begin, n), &body);
  }
  ASSERT_TRUE(Decode(body).ok());
  ASSERT_EQ(result_.rejected_series, 0) << result_.first_error;
  ASSERT_EQ(batch_.series().size(), 1u);
  EXPECT_EQ(batch_.SeriesLabelsCopy(0), labels);
  ASSERT_EQ(batch_.samples().size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const storage::MetricSampleRef& got = batch_.samples()[i];
    ASSERT_EQ(got.timestamp_ms, samples[i].timestamp_ms) << i;
    ASSERT_EQ(std::bit_cast<uint64_t>(got.value), std::bit_cast<uint64_t>(samples[i].value))
        << i << ": " << samples[i].value;
  }
}

}  // namespace
}  // namespace sluice::pipeline

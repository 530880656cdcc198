#include "pipeline/decoders/remote_write.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>

#include "base/coding.h"
#include "tests/pipeline/metric_test_util.h"

namespace sluice::pipeline {
namespace {

using storage::Label;
using storage::MetricMetadata;
using storage::MetricType;
using storage::Sample;
using ::testing::HasSubstr;

std::string Uncompressed(const std::string& name) {
  std::string compressed = testing::Fixture(name);
  std::string out;
  EXPECT_TRUE(snappy::Uncompress(compressed.data(), compressed.size(), &out)) << name;
  return out;
}

class RemoteWriteTest : public testing::MetricDecoderTest {
 protected:
  Status Decode(std::string_view body) {
    return DecodeRemoteWrite(body, MetricDecodeContext{kNowMs, &limits_, nullptr}, &batch_,
                             &result_, &stats_);
  }
  std::string Error(std::string_view body) {
    Status s = Decode(body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    return s.message();
  }

  RemoteWriteStats stats_;
};

RemoteWriteSeries Series(std::vector<Label> labels, std::vector<Sample> samples) {
  return RemoteWriteSeries{std::move(labels), std::move(samples)};
}

std::string Encode(const std::vector<RemoteWriteSeries>& series,
                   const std::vector<MetricMetadata>& metadata = {}) {
  std::string out;
  EncodeRemoteWrite(series, metadata, &out);
  return out;
}

// Protobuf wire pieces for hand-built messages.
std::string Field(uint32_t field, uint32_t wire_type) {
  std::string out;
  PutVarint(&out, field << 3 | wire_type);
  return out;
}
std::string Bytes(uint32_t field, std::string_view payload) {
  std::string out = Field(field, 2);
  PutLengthPrefixed(&out, payload);
  return out;
}
std::string Varint(uint32_t field, uint64_t v) {
  std::string out = Field(field, 0);
  PutVarint(&out, v);
  return out;
}
std::string Fixed64(uint32_t field, uint64_t v) {
  std::string out = Field(field, 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}
std::string Fixed32(uint32_t field, uint32_t v) {
  std::string out = Field(field, 5);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}
std::string LabelMsg(std::string_view name, std::string_view value) {
  return Bytes(1, Bytes(1, name) + Bytes(2, value));
}
std::string SampleMsg(double value, int64_t ts) {
  return Bytes(2,
               Fixed64(1, std::bit_cast<uint64_t>(value)) + Varint(2, static_cast<uint64_t>(ts)));
}

TEST_F(RemoteWriteTest, DecodesCapturedPrometheusRequest) {
  std::string body = Uncompressed("prometheus-remote-write-samples.body.bin");
  ASSERT_TRUE(Decode(body).ok());
  EXPECT_EQ(result_.rejected_series, 0) << result_.first_error;
  EXPECT_EQ(batch_.series().size(), 377u);
  ASSERT_EQ(batch_.samples().size(), 377u);
  EXPECT_TRUE(batch_.metadata().empty());

  // The first 20 series as the capture's decoded view shows them.
  simdjson::dom::parser parser;
  simdjson::dom::element decoded = parser.parse(
      simdjson::padded_string(testing::Fixture("prometheus-remote-write-samples.decoded.json")));
  EXPECT_EQ(uint64_t(decoded["timeseries_total"]), 377u);
  size_t i = 0;
  for (simdjson::dom::element ts : decoded["timeseries_first_20"].get_array()) {
    storage::Labels expected;
    for (auto [name, value] : ts["labels"].get_object()) {
      expected.push_back(Label{std::string(name), std::string(std::string_view(value))});
    }
    ASSERT_TRUE(storage::Canonicalize(expected).ok());
    EXPECT_EQ(batch_.SeriesLabelsCopy(static_cast<uint32_t>(i)), expected) << "series " << i;
    simdjson::dom::array sample = ts["samples"].at(0).get_array();
    const storage::MetricSampleRef& got = batch_.samples()[i];
    EXPECT_EQ(got.series, i);
    EXPECT_EQ(got.timestamp_ms, int64_t(sample.at(0)));
    EXPECT_EQ(got.value, double(sample.at(1))) << "series " << i;
    ++i;
  }
  EXPECT_EQ(i, 20u);
  EXPECT_EQ(
      Samples()[0],
      R"({__name__="go_gc_duration_seconds", acceptance_run="1795421646-22102", )"
      R"(instance="127.0.0.1:55367", job="prometheus", quantile="0"} 1795421652816 3.6495e-05)");
  EXPECT_EQ(stats_.ignored_exemplars, 0);
  EXPECT_EQ(stats_.ignored_histograms, 0);
}

TEST_F(RemoteWriteTest, DecodesCapturedMetadataOnlyRequest) {
  std::string body = Uncompressed("prometheus-remote-write-metadata.body.bin");
  ASSERT_TRUE(Decode(body).ok());
  EXPECT_TRUE(batch_.series().empty());
  EXPECT_TRUE(batch_.samples().empty());
  ASSERT_EQ(batch_.metadata().size(), 202u);

  simdjson::dom::parser parser;
  simdjson::dom::element decoded = parser.parse(
      simdjson::padded_string(testing::Fixture("prometheus-remote-write-metadata.decoded.json")));
  size_t i = 0;
  for (simdjson::dom::element m : decoded["metadata_first_20"].get_array()) {
    const MetricMetadata& got = batch_.metadata()[i];
    EXPECT_EQ(static_cast<int64_t>(got.type), int64_t(m["type"])) << i;
    EXPECT_EQ(got.family, std::string_view(m["metric_family_name"])) << i;
    EXPECT_EQ(got.help, std::string_view(m["help"])) << i;
    EXPECT_EQ(got.unit, "");
    ++i;
  }
  EXPECT_EQ(i, 20u);
  EXPECT_EQ(
      batch_.metadata()[0],
      (MetricMetadata{"prometheus_target_scrapes_sample_out_of_bounds_total", MetricType::kCounter,
                      "Total number of samples rejected due to timestamp falling outside of "
                      "the time bounds.",
                      ""}));
}

TEST_F(RemoteWriteTest, RoundTripsSeriesSamplesAndMetadata) {
  std::vector<RemoteWriteSeries> series = {
      Series({{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}},
             {{1700000000000, 10}, {1700000015000, 12.5}}),
      Series({{"__name__", "temperature_celsius"}, {"room", "kitchen ü"}},
             {{-5, -273.15}, {0, 0}, {1, 1e308}}),
  };
  std::vector<MetricMetadata> metadata = {
      {"http_requests", MetricType::kCounter, "Requests served.", ""},
      {"temperature_celsius", MetricType::kGauge, "", "celsius"},
      {"", MetricType::kUnknown, "", ""},
  };
  ASSERT_TRUE(Decode(Encode(series, metadata)).ok());
  EXPECT_THAT(Samples(),
              ::testing::ElementsAre(
                  R"({__name__="http_requests_total", code="200", job="api"} 1700000000000 10)",
                  R"({__name__="http_requests_total", code="200", job="api"} 1700000015000 12.5)",
                  R"({__name__="temperature_celsius", room="kitchen ü"} -5 -273.15)",
                  R"({__name__="temperature_celsius", room="kitchen ü"} 0 0)",
                  R"({__name__="temperature_celsius", room="kitchen ü"} 1 1e+308)"));
  EXPECT_EQ(batch_.metadata(), metadata);
  EXPECT_EQ(result_.rejected_series, 0);
}

TEST_F(RemoteWriteTest, KeepsTheExactBitsOfEveryValue) {
  double quiet_nan = std::nan("");
  double payload_nan = std::bit_cast<double>(uint64_t{0x7ff8000000000123});
  std::vector<double> values = {storage::StaleNaN(),
                                quiet_nan,
                                payload_nan,
                                -0.0,
                                INFINITY,
                                -INFINITY,
                                std::numeric_limits<double>::denorm_min()};
  std::vector<Sample> samples;
  for (size_t i = 0; i < values.size(); ++i) {
    samples.push_back({static_cast<int64_t>(i) - 3, values[i]});
  }
  samples.push_back({INT64_MIN, 1});
  samples.push_back({INT64_MAX, 2});
  ASSERT_TRUE(Decode(Encode({Series({{"__name__", "x"}}, samples)})).ok());
  ASSERT_EQ(batch_.samples().size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(batch_.samples()[i].value),
              std::bit_cast<uint64_t>(samples[i].value))
        << i;
    EXPECT_EQ(batch_.samples()[i].timestamp_ms, samples[i].timestamp_ms) << i;
  }
  EXPECT_TRUE(storage::IsStaleNaN(batch_.samples()[0].value));
}

TEST_F(RemoteWriteTest, SkipsUnknownFieldsOfEveryWireType) {
  std::string unknown = Varint(15, 300) + Fixed64(16, 7) + Bytes(17, "junk") + Fixed32(18, 9) +
                        Field(19, 3) + Varint(1, 5) + Bytes(2, "in a group") + Field(19, 4);
  std::string label = Bytes(1, unknown + Bytes(1, "__name__") + unknown + Bytes(2, "up"));
  std::string sample = Bytes(
      2, unknown + Fixed64(1, std::bit_cast<uint64_t>(1.0)) + unknown + Varint(2, 42) + unknown);
  std::string series = Bytes(1, unknown + label + unknown + sample + Bytes(5, "x") + unknown);
  std::string metadata = Bytes(3, unknown + Varint(1, 2) + Bytes(2, "up") + Bytes(3, "skipped") +
                                      Bytes(4, "help") + unknown + Bytes(5, "unit"));
  ASSERT_TRUE(Decode(unknown + series + Bytes(2, "reserved field") + metadata + unknown).ok());
  EXPECT_THAT(Samples(), ::testing::ElementsAre(R"({__name__="up"} 42 1)"));
  EXPECT_THAT(batch_.metadata(),
              ::testing::ElementsAre(MetricMetadata{"up", MetricType::kGauge, "help", "unit"}));
}

TEST_F(RemoteWriteTest, LastValueOfARepeatedScalarWinsAndMissingFieldsAreDefaults) {
  std::string series = Bytes(1, LabelMsg("__name__", "a") +
                                    Bytes(1, Bytes(1, "job") + Bytes(2, "x") + Bytes(2, "y")) +
                                    Bytes(2, Varint(2, 5) + Varint(2, 6)) + Bytes(2, ""));
  ASSERT_TRUE(Decode(series).ok());
  EXPECT_THAT(Samples(), ::testing::ElementsAre(R"({__name__="a", job="y"} 6 0)",
                                                R"({__name__="a", job="y"} 0 0)"));
}

TEST_F(RemoteWriteTest, RejectsMalformedProtobufNamingWhereAndWhat) {
  std::string good_label = LabelMsg("__name__", "up");
  EXPECT_THAT(Error(Bytes(1, good_label + Bytes(2, Fixed64(1, 0) + Field(2, 0) + "\xff"))),
              HasSubstr("at timeseries[0].samples[0]: field 2 (timestamp): truncated varint"));
  EXPECT_THAT(Error(Bytes(1, good_label + Bytes(2, "\x09\x01\x02"))),
              HasSubstr("at timeseries[0].samples[0]: field 1 (fixed64) truncated: needs 8 "
                        "bytes, 2 left"));
  EXPECT_THAT(Error(Bytes(1, good_label + Bytes(1,
                                                "\x0a\x05"
                                                "ab"))),
              HasSubstr("at timeseries[0].labels[1]: field 1 (length-delimited) truncated: "
                        "needs 5 bytes, 2 left"));
  EXPECT_THAT(Error(Bytes(1, good_label) + "\x0a\x20" + good_label),
              HasSubstr("at timeseries[1]: field 1 (length-delimited) truncated"));
  EXPECT_THAT(Error(Varint(15, 1) + "\x0a"),
              HasSubstr("at timeseries[0]: field 1 length: truncated varint"));
  EXPECT_EQ(Error(Field(15, 0) + "\xff"),
            "malformed remote write request: field 15: truncated varint");
  EXPECT_THAT(Error(Field(15, 0) + std::string(10, '\xff') + "\x01"),
              HasSubstr("varint longer than 64 bits"));
  EXPECT_THAT(Error(Field(15, 0) + std::string(9, '\xff') + "\x02"),
              HasSubstr("varint longer than 64 bits"));
  EXPECT_THAT(Error(Bytes(3, Bytes(1, "counter"))),
              HasSubstr("at metadata[0]: field 1 has wire type 2 (length-delimited), not the "
                        "schema's"));
  EXPECT_THAT(Error(Varint(1, 1)), HasSubstr("field 1 has wire type 0 (varint)"));
  EXPECT_THAT(Error(Bytes(1, Bytes(1, Varint(2, 1)))),
              HasSubstr("at timeseries[0].labels[0]: field 2 has wire type 0"));
  EXPECT_THAT(Error(Bytes(1, good_label + Bytes(2, Fixed32(2, 1)))),
              HasSubstr("at timeseries[0].samples[0]: field 2 has wire type 5 (fixed32)"));
  EXPECT_THAT(Error(std::string_view("\x00\x01", 2)), HasSubstr("invalid field number 0"));
  EXPECT_THAT(Error(Field(15, 7) + "x"), HasSubstr("field 15 has invalid wire type 7"));
  EXPECT_THAT(Error(Field(15, 4)), HasSubstr("end of group 15 without a start"));
  EXPECT_THAT(Error(Field(15, 3) + Varint(1, 1)), HasSubstr("group of field 15 has no end"));
  EXPECT_THAT(Error(Field(15, 3) + Field(16, 4)), HasSubstr("group of field 15 ended by field 16"));
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += Field(15, 3);
  EXPECT_THAT(Error(deep), HasSubstr("groups nested too deeply"));
  EXPECT_THAT(Error(Fixed32(15, 1).substr(0, 3)), HasSubstr("field 15 (fixed32) truncated"));
  EXPECT_THAT(Error("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"),
              HasSubstr("field tag: varint longer than 64 bits"));
  EXPECT_THAT(Error("\x80\x80\x80\x80\x80\x01"), HasSubstr("invalid field number"));
}

TEST_F(RemoteWriteTest, EveryTruncationIsRejectedOrDecodesAPrefixOfTheSeries) {
  std::string body = Encode({Series({{"__name__", "a"}, {"job", "j"}}, {{1000, 1}, {2000, 2}}),
                             Series({{"__name__", "b"}}, {{3000, 3}})},
                            {{"a", MetricType::kGauge, "help", "unit"}});
  // A cut inside a message can only be reported as malformed; a cut between two top-level
  // messages leaves a shorter, valid request.
  std::vector<size_t> boundaries;
  std::string_view rest = body;
  while (!rest.empty()) {
    uint64_t tag;
    std::string_view message;
    ASSERT_TRUE(GetVarint(rest, &tag) && GetLengthPrefixed(rest, &message));
    boundaries.push_back(body.size() - rest.size());
  }
  for (size_t n = 0; n < body.size(); ++n) {
    batch_.Clear();
    Status s = Decode(std::string_view(body).substr(0, n));
    bool at_boundary =
        n == 0 || std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    EXPECT_EQ(s.ok(), at_boundary) << "prefix of " << n << " bytes: " << s.ToString();
  }
}

TEST_F(RemoteWriteTest, RejectsInvalidSeriesOneByOneAndKeepsTheOthers) {
  limits_.max_labels_per_series = 4;
  std::vector<RemoteWriteSeries> series = {
      Series({{"__name__", "ok_1"}}, {{1, 1}}),
      Series({{"__name__", "bad"}, {"0day", "x"}}, {{1, 1}, {2, 2}}),
      Series({{"job", "no_name"}}, {{1, 1}}),
      Series({{"__name__", "wide"}, {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}, {{1, 1}}),
      Series({{"__name__", "1abc"}}, {{1, 1}}),
      Series({{"__name__", "dup"}, {"a", "1"}, {"a", "2"}}, {{1, 1}}),
      Series({{"__name__", "bad_utf8"}, {"a", "\xff"}}, {{1, 1}}),
      Series({{"__name__", "ok_2"}, {"empty", ""}}, {{5, 5}}),
  };
  ASSERT_TRUE(Decode(Encode(series)).ok());
  EXPECT_THAT(Samples(),
              ::testing::ElementsAre(R"({__name__="ok_1"} 1 1)", R"({__name__="ok_2"} 5 5)"));
  EXPECT_EQ(result_.rejected_series, 6);
  EXPECT_EQ(result_.rejected_samples, 7);
  EXPECT_EQ(
      result_.first_error,
      "series 'bad' has invalid label name '0day' (label names match [a-zA-Z_][a-zA-Z0-9_]*)");

  MetricDecodeResult other;
  batch_.Clear();
  ASSERT_TRUE(
      DecodeRemoteWrite(Encode({series[2]}), {kNowMs, &limits_, nullptr}, &batch_, &other).ok());
  EXPECT_THAT(other.first_error, HasSubstr("no metric name"));
  other = {};
  ASSERT_TRUE(
      DecodeRemoteWrite(Encode({series[3]}), {kNowMs, &limits_, nullptr}, &batch_, &other).ok());
  EXPECT_THAT(other.first_error, HasSubstr("series 'wide' has 5 labels; limit 4"));
}

TEST_F(RemoteWriteTest, MergesARepeatedSeriesAndSortsLabels) {
  std::string body =
      Bytes(1, LabelMsg("job", "a") + LabelMsg("__name__", "up") + SampleMsg(1, 10)) +
      Bytes(1, LabelMsg("__name__", "up") + LabelMsg("job", "b") + SampleMsg(2, 10)) +
      Bytes(1, LabelMsg("__name__", "up") + LabelMsg("job", "a") + SampleMsg(3, 20));
  ASSERT_TRUE(Decode(body).ok());
  ASSERT_EQ(batch_.series().size(), 2u);
  EXPECT_THAT(Samples(), ::testing::ElementsAre(R"({__name__="up", job="a"} 10 1)",
                                                R"({__name__="up", job="b"} 10 2)",
                                                R"({__name__="up", job="a"} 20 3)"));
  EXPECT_EQ(batch_.samples()[0].series, batch_.samples()[2].series);
}

TEST_F(RemoteWriteTest, CountsExemplarsAndHistogramsWithoutStoringThem) {
  std::string exemplar = Bytes(3, LabelMsg("trace_id", "abc") + Fixed64(2, 0));
  std::string histogram = Bytes(4, Varint(1, 3));
  std::string body = Bytes(1, LabelMsg("__name__", "a") + SampleMsg(1, 1) + exemplar + exemplar) +
                     Bytes(1, LabelMsg("__name__", "native") + histogram + histogram + histogram);
  ASSERT_TRUE(Decode(body).ok());
  EXPECT_EQ(stats_.ignored_exemplars, 2);
  EXPECT_EQ(stats_.ignored_histograms, 3);
  EXPECT_THAT(Samples(), ::testing::ElementsAre(R"({__name__="a"} 1 1)"));
  EXPECT_EQ(batch_.series().size(), 1u) << "a series with histograms only adds nothing";
  EXPECT_EQ(result_.rejected_series, 0);
}

TEST_F(RemoteWriteTest, MapsUnknownMetricTypesToUnknown) {
  ASSERT_TRUE(Decode(Bytes(3, Varint(1, 99) + Bytes(2, "x")) + Bytes(3, Varint(1, 7))).ok());
  ASSERT_EQ(batch_.metadata().size(), 2u);
  EXPECT_EQ(batch_.metadata()[0].type, MetricType::kUnknown);
  EXPECT_EQ(batch_.metadata()[1].type, MetricType::kStateset);
}

// prompb's schema, built at run time, so the generated protobuf code can judge our encoder and
// decoder without a .proto in the build.
constexpr char kPrompbSchema[] = R"text(
  name: "prompb_test.proto"
  package: "prompb_test"
  syntax: "proto3"
  message_type {
    name: "WriteRequest"
    field {
      name: "timeseries"
      number: 1
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".prompb_test.TimeSeries"
    }
    field {
      name: "metadata"
      number: 3
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".prompb_test.MetricMetadata"
    }
  }
  message_type {
    name: "TimeSeries"
    field {
      name: "labels"
      number: 1
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".prompb_test.Label"
    }
    field {
      name: "samples"
      number: 2
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".prompb_test.Sample"
    }
  }
  message_type {
    name: "Label"
    field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
  }
  message_type {
    name: "Sample"
    field { name: "value" number: 1 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
    field { name: "timestamp" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 }
  }
  message_type {
    name: "MetricMetadata"
    field { name: "type" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
    field { name: "metric_family_name" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "help" number: 4 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "unit" number: 5 label: LABEL_OPTIONAL type: TYPE_STRING }
  }
)text";

TEST_F(RemoteWriteTest, AgreesWithGeneratedProtobufCode) {
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kPrompbSchema, &file));
  google::protobuf::DescriptorPool pool;
  ASSERT_NE(pool.BuildFile(file), nullptr);
  google::protobuf::DynamicMessageFactory factory(&pool);
  const google::protobuf::Message* prototype =
      factory.GetPrototype(pool.FindMessageTypeByName("prompb_test.WriteRequest"));
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  std::string long_value(150, 'i');
  std::string text =
      "timeseries {"
      "  labels { name: '__name__' value: 'node_cpu_seconds_total' }"
      "  labels { name: 'cpu' value: '0' }"
      "  labels { name: 'mode' value: 'idle' }"
      "  samples { value: 12345.67 timestamp: 1700000000123 }"
      "  samples { value: 0 timestamp: 1700000015123 }"
      "  samples { value: -1 timestamp: -1 }"
      "}"
      "timeseries {"
      "  labels { name: '__name__' value: 'up' }"
      "  labels { name: 'instance' value: '" +
      long_value +
      "' }"
      "  samples { value: 1 timestamp: 0 }"
      "}"
      "metadata { type: 1 metric_family_name: 'node_cpu_seconds' help: 'CPU seconds.' unit: "
      "'seconds' }"
      "metadata { metric_family_name: 'up' }";
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, request.get()));
  std::string expected;
  {
    google::protobuf::io::StringOutputStream stream(&expected);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    ASSERT_TRUE(request->SerializeToCodedStream(&coded));
  }

  ASSERT_TRUE(Decode(expected).ok());
  EXPECT_THAT(
      Samples(),
      ::testing::ElementsAre(
          R"({__name__="node_cpu_seconds_total", cpu="0", mode="idle"} 1700000000123 12345.67)",
          R"({__name__="node_cpu_seconds_total", cpu="0", mode="idle"} 1700000015123 0)",
          R"({__name__="node_cpu_seconds_total", cpu="0", mode="idle"} -1 -1)",
          R"({__name__="up", instance=")" + long_value + R"("} 0 1)"));
  ASSERT_EQ(batch_.metadata().size(), 2u);

  std::vector<RemoteWriteSeries> series;
  for (uint32_t s = 0; s < batch_.series().size(); ++s) {
    series.push_back(Series(batch_.SeriesLabelsCopy(s), {}));
  }
  for (const storage::MetricSampleRef& s : batch_.samples()) {
    series[s.series].samples.push_back({s.timestamp_ms, s.value});
  }
  EXPECT_EQ(Encode(series, batch_.metadata()), expected) << "byte for byte what protobuf writes";

  std::unique_ptr<google::protobuf::Message> parsed(prototype->New());
  ASSERT_TRUE(parsed->ParseFromString(Encode(series, batch_.metadata())));
  EXPECT_EQ(parsed->DebugString(), request->DebugString());
}

}  // namespace
}  // namespace sluice::pipeline

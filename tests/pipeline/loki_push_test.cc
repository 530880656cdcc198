#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <snappy.h>

#include "loki_push.pb.h"
#include "pipeline/decoders/loki_push_json.h"
#include "pipeline/decoders/loki_push_proto.h"
#include "tests/pipeline/decoder_test_util.h"

namespace sluice::pipeline {
namespace {

using ::testing::HasSubstr;
using testing::DecoderTest;
using testing::Entries;
using testing::Fixture;
using testing::Padded;

class LokiPushJsonTest : public DecoderTest {
 protected:
  Status Decode(std::string_view body) { return DecodeLokiPushJson(Padded(body), Ctx(), &batch_); }
  std::string Error(std::string_view body) {
    Status s = Decode(body);
    EXPECT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    return s.message();
  }
};

TEST_F(LokiPushJsonTest, DecodesStreamsValuesAndStructuredMetadata) {
  ASSERT_TRUE(Decode(R"({"streams":[{"stream":{"job":"api","level":"info"},"values":[
      ["1700000000000000001","first"],
      ["1700000000000000002","second",{"trace_id":"abc","user.id":"7","n":42,"b":true,"gone":null}]]},
      {"stream":{"job":"web"},"values":[["1700000000000000003","third"]]}]})")
                  .ok());
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].labels, R"({job="api", level="info"})");
  EXPECT_EQ(entries[0].ts, 1700000000000000001);
  EXPECT_EQ(entries[0].line, "first");
  EXPECT_TRUE(entries[0].metadata.empty());
  EXPECT_EQ(entries[1].metadata, (std::map<std::string, std::string>{
                                     {"trace_id", "abc"}, {"user_id", "7"}, {"n", "42"}, {"b", "true"}}));
  EXPECT_EQ(entries[2].labels, R"({job="web"})");
  EXPECT_EQ(batch_.streams().size(), 2u);
}

TEST_F(LokiPushJsonTest, AcceptsOtherTimestampFormsAndTheLegacyShape) {
  ASSERT_TRUE(Decode(R"({"streams":[{"stream":{"a":"b"},"values":[
      ["2024-01-01T00:00:00.5Z","rfc"],[1700000000,"seconds"],[1700000000123,"ms"]]}]})")
                  .ok());
  ASSERT_TRUE(Decode(R"({"streams":[{"labels":"{a=\"legacy\"}","entries":[
      {"ts":"2024-01-01T00:00:01Z","line":"old api"}]}]})")
                  .ok());
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].ts, 1704067200500000000);
  EXPECT_EQ(entries[1].ts, 1700000000000000000);
  EXPECT_EQ(entries[2].ts, 1700000000123000000);
  EXPECT_EQ(entries[3].labels, R"({a="legacy"})");
  EXPECT_EQ(entries[3].line, "old api");
}

TEST_F(LokiPushJsonTest, IgnoresUnknownFieldsNullsAndEmptyStreams) {
  ASSERT_TRUE(Decode(R"({"extra":1,"streams":[{"stream":{"a":"b"},"values":null,"x":[]},
      {"stream":{"a":"c"},"values":[null,["1","x"]]}]})")
                  .ok());
  EXPECT_EQ(batch_.entries().size(), 1u);
  ASSERT_TRUE(Decode(R"({"streams":null})").ok());
}

TEST_F(LokiPushJsonTest, StreamWithoutLabelsGetsServiceName) {
  ASSERT_TRUE(Decode(R"({"streams":[{"stream":{},"values":[["1","x"]]}]})").ok());
  EXPECT_EQ(Entries(batch_)[0].labels, R"({service_name="unknown_service"})");
}

TEST_F(LokiPushJsonTest, EveryKindOfInvalidInputNamesWhere) {
  EXPECT_THAT(Error("{"), HasSubstr("invalid JSON"));
  EXPECT_THAT(Error(R"({"streams":{}})"), HasSubstr("streams: invalid JSON"));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"},"values":[["bad","x"]]}]})"),
              HasSubstr("streams[0].values[0]: invalid timestamp \"bad\""));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"},"values":[["1",5]]}]})"),
              HasSubstr("streams[0].values[0]: the line must be a string"));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"},"values":[["1"]]}]})"),
              HasSubstr("array must have at least 2 and up to 3 values"));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"},"values":[["1","x",{},4]]}]})"),
              HasSubstr("array must have at least 2 and up to 3 values"));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"},"values":[["1","x",[1]]]}]})"),
              HasSubstr("structured metadata must be an object"));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":5},"values":[]}]})"),
              HasSubstr("streams[0].stream.a: label values must be strings"));
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"}},{"stream":{"9x":"b"},"values":[]}]})"),
              HasSubstr("streams[1]: stream '{9x=\"b\"}' has invalid label name"));
  EXPECT_THAT(Error(R"({"streams":[{"labels":"{a=}","entries":[]}]})"),
              HasSubstr("streams[0].labels: couldn't parse labels"));
  EXPECT_THAT(Error(R"({"streams":[]} trailing)"), HasSubstr("invalid JSON"));
  limits_.max_line_bytes = 3;
  EXPECT_THAT(Error(R"({"streams":[{"stream":{"a":"b"},"values":[["1","ok"],["2","toolong"]]}]})"),
              HasSubstr("streams[0].values[1]: Max entry size '3' bytes exceeded"));
}

TEST_F(LokiPushJsonTest, TruncatesInsteadWhenConfigured) {
  limits_.max_line_bytes = 3;
  limits_.truncate_lines = true;
  ASSERT_TRUE(Decode(R"({"streams":[{"stream":{"a":"b"},"values":[["1","toolong"]]}]})").ok());
  EXPECT_EQ(Entries(batch_)[0].line, "too");
}

TEST_F(LokiPushJsonTest, CapturedPinoLokiRequest) {
  ASSERT_TRUE(DecodeLokiPushJson(Fixture("loki-push-pino-loki.body.json"), Ctx(), &batch_).ok());
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 50u);
  EXPECT_EQ(batch_.streams().size(), 2u) << "50 one-line stream objects, two distinct label sets";
  EXPECT_THAT(entries[0].line, HasSubstr("ACCSEQ-1795421643-22017-pino-loki-1 "));
  EXPECT_THAT(entries[0].labels, HasSubstr(R"(client="pino-loki")"));
  EXPECT_EQ(entries[0].ts, 1795421646220000000);
}

TEST_F(LokiPushJsonTest, CapturedWinstonLokiJsonRequestWithMetadata) {
  ASSERT_TRUE(DecodeLokiPushJson(Fixture("loki-push-winston-loki-json.body.json"), Ctx(), &batch_).ok());
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 50u);
  EXPECT_EQ(entries[0].metadata.at("level"), "warn");
}

class LokiPushProtoTest : public DecoderTest {};

TEST_F(LokiPushProtoTest, CapturedWinstonLokiProtobufRequest) {
  ASSERT_TRUE(DecodeLokiPushProto(Fixture("loki-push-winston-loki.body.bin"), false, 1 << 30, Ctx(), &batch_).ok());
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 50u);
  int found = 0;
  for (const auto& e : entries) {
    found += e.line.find("ACCSEQ-1795421643-22017-winston-loki-") == 0;
    EXPECT_THAT(e.labels, HasSubstr(R"(client="winston-loki")"));
    EXPECT_EQ(e.ts / 1'000'000'000, 1795421643);
  }
  EXPECT_EQ(found, 50);
}

TEST_F(LokiPushProtoTest, RoundTripsMetadataAndTimestamps) {
  logproto::PushRequest request;
  logproto::StreamAdapter* stream = request.add_streams();
  stream->set_labels(R"({app="x", env="prod"})");
  logproto::EntryAdapter* entry = stream->add_entries();
  entry->mutable_timestamp()->set_seconds(1700000000);
  entry->mutable_timestamp()->set_nanos(5);
  entry->set_line("hello");
  auto* pair = entry->add_structuredmetadata();
  pair->set_name("trace.id");
  pair->set_value("t1");
  std::string raw = request.SerializeAsString();
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  ASSERT_TRUE(DecodeLokiPushProto(Padded(compressed), false, 1 << 20, Ctx(), &batch_).ok());
  ASSERT_TRUE(DecodeLokiPushProto(Padded(raw), true, 1 << 20, Ctx(), &batch_).ok()) << "already unsnappied";
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].ts, 1700000000000000005);
  EXPECT_EQ(entries[0].labels, R"({app="x", env="prod"})");
  EXPECT_EQ(entries[0].metadata.at("trace_id"), "t1");
}

TEST_F(LokiPushProtoTest, InvalidBodiesAreRefused) {
  EXPECT_THAT(DecodeLokiPushProto(Padded("not snappy"), false, 1 << 20, Ctx(), &batch_).message(),
              HasSubstr("not snappy-compressed"));
  std::string garbage;
  snappy::Compress("\xff\xff\xff", 3, &garbage);
  EXPECT_THAT(DecodeLokiPushProto(Padded(garbage), false, 1 << 20, Ctx(), &batch_).message(),
              HasSubstr("malformed protobuf push body"));
  logproto::PushRequest request;
  auto* stream = request.add_streams();
  stream->set_labels("{a=");
  stream->add_entries()->set_line("x");
  std::string raw = request.SerializeAsString();
  EXPECT_THAT(DecodeLokiPushProto(Padded(raw), true, 1 << 20, Ctx(), &batch_).message(),
              HasSubstr("streams[0]: couldn't parse labels"));
}

}  // namespace
}  // namespace sluice::pipeline

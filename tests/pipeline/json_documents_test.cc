// Elasticsearch bulk and JSON lines: documents mapped by FieldMapping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/decoders/es_bulk.h"
#include "pipeline/decoders/json_lines.h"
#include "tests/pipeline/decoder_test_util.h"

namespace sluice::pipeline {
namespace {

using testing::DecoderTest;
using testing::Entries;
using testing::Fixture;
using ::testing::HasSubstr;
using testing::Padded;

class EsBulkTest : public DecoderTest {
 protected:
  Status Decode(std::string_view body, std::string_view default_index = "") {
    items_.clear();
    return DecodeEsBulk(Padded(body), BulkRequest{&mapping_, default_index}, Ctx(), &batch_,
                        &items_);
  }
  FieldMapping mapping_;
  std::vector<BulkItem> items_;
};

TEST_F(EsBulkTest, CapturedRsyslogRequestWithBlankLines) {
  items_.clear();
  ASSERT_TRUE(DecodeEsBulk(Fixture("rsyslog-omelasticsearch-bulk.body.ndjson"),
                           BulkRequest{&mapping_, ""}, Ctx(), &batch_, &items_)
                  .ok());
  ASSERT_EQ(items_.size(), 50u);
  for (const BulkItem& item : items_) {
    EXPECT_EQ(item.status, 201);
    EXPECT_EQ(item.op, "index");
    EXPECT_EQ(item.index, "acceptance-logs");
  }
  auto entries = Entries(batch_);
  ASSERT_EQ(entries.size(), 50u);
  EXPECT_EQ(entries[0].labels, R"({index="acceptance-logs"})");
  EXPECT_THAT(entries[0].line, HasSubstr("ACCSEQ-1795421631-21607-1 "));
  EXPECT_EQ(entries[0].ts, 1795421633594160000);
  EXPECT_EQ(entries[0].metadata.at("program"), "acceptance");
  EXPECT_EQ(entries[0].metadata.at("shipper"), "rsyslog");
  EXPECT_EQ(entries[0].metadata.count("message"), 0u);
  EXPECT_EQ(entries[0].metadata.count("_timestamp"), 0u);
}

TEST_F(EsBulkTest, CapturedSyslogNgAndElasticsearchJsRequests) {
  for (const char* name : {"syslog-ng-elasticsearch-http-bulk.body.ndjson",
                           "elasticsearch-js-helpers-bulk.body.ndjson",
                           "elasticsearch-js-helpers-bulk-gzip.decoded.txt"}) {
    batch_.Clear();
    items_.clear();
    ASSERT_TRUE(
        DecodeEsBulk(Fixture(name), BulkRequest{&mapping_, ""}, Ctx(), &batch_, &items_).ok())
        << name;
    EXPECT_EQ(items_.size(), 50u) << name;
    EXPECT_EQ(batch_.entries().size(), 50u) << name;
  }
  auto entries = Entries(batch_);
  EXPECT_EQ(entries[0].metadata.at("log_level"), "error") << "nested objects are flattened";
  EXPECT_EQ(entries[0].metadata.at("host_name"), "acceptance");
  EXPECT_EQ(entries[0].metadata.at("seq"), "1") << "numbers keep their JSON text";
}

TEST_F(EsBulkTest, BadDocumentsFailOnlyTheirItem) {
  ASSERT_TRUE(Decode("{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"ok\"}\n"
                     "{\"create\":{\"_index\":\"a\",\"_id\":\"x1\"}}\n{not json\n"
                     "{\"index\":{}}\n{\"message\":\"bad time\",\"@timestamp\":\"nope\"}\n"
                     "{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{}}\n"
                     "{\"delete\":{\"_id\":\"2\"}}\n"
                     "{\"index\":{\"_index\":\"a\",\"_type\":\"_doc\"}}\n[1,2]\n",
                     "fallback")
                  .ok());
  ASSERT_EQ(items_.size(), 6u);
  EXPECT_EQ(items_[0].status, 201);
  EXPECT_EQ(items_[1].status, 400);
  EXPECT_EQ(items_[1].id, "x1");
  EXPECT_EQ(items_[1].error_type, "document_parsing_exception");
  EXPECT_THAT(items_[1].error_reason, HasSubstr("line [4]: invalid JSON"));
  EXPECT_EQ(items_[2].index, "fallback") << "the URL's index when the action names none";
  EXPECT_THAT(items_[2].error_reason, HasSubstr("invalid timestamp \"nope\""));
  EXPECT_EQ(items_[3].op, "update");
  EXPECT_EQ(items_[3].status, 400);
  EXPECT_EQ(items_[4].op, "delete");
  EXPECT_EQ(items_[4].error_type, "illegal_argument_exception");
  EXPECT_THAT(items_[5].error_reason, HasSubstr("expected a JSON object"));
  EXPECT_EQ(batch_.entries().size(), 1u);
}

TEST_F(EsBulkTest, UnframeableBodiesFailTheRequest) {
  EXPECT_THAT(Decode("not json\n{}\n").message(), HasSubstr("Malformed action/metadata line [1]"));
  EXPECT_THAT(Decode("{\"index\":{},\"create\":{}}\n{}\n").message(),
              HasSubstr("exactly one action"));
  EXPECT_THAT(Decode("{\"upsert\":{}}\n{}\n").message(), HasSubstr("unknown action [upsert]"));
  EXPECT_THAT(Decode("{\"index\":{}}\n\n\n").message(), HasSubstr("has no document"));
  EXPECT_TRUE(Decode("").ok());
  EXPECT_TRUE(Decode("\n\n").ok());
  EXPECT_TRUE(Decode("{\"index\":{}}\r\n{\"message\":\"crlf and no final newline\"}").ok());
  EXPECT_EQ(items_.size(), 1u);
}

TEST_F(EsBulkTest, FieldMappingChoosesMessageTimeAndStream) {
  mapping_.msg_fields = {"text", "message"};
  mapping_.time_fields = {"ts"};
  mapping_.stream_fields = {"app", "kube.ns"};
  mapping_.ignore_fields = {"secret", "debug.*"};
  mapping_.extra_fields = {{"env", "prod"}};
  ASSERT_TRUE(
      Decode(
          "{\"index\":{\"_index\":\"i\"}}\n"
          "{\"text\":\"\",\"message\":\"the msg\",\"ts\":1700000000,\"app\":\"api\","
          "\"kube\":{\"ns\":\"prod-ns\"},\"secret\":\"s\",\"debug\":{\"a\":1},\"keep\":[1,\"a\"],"
          "\"nothing\":null}\n")
          .ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].line, "the msg") << "the first non-empty message field";
  EXPECT_EQ(e[0].ts, 1700000000000000000);
  EXPECT_EQ(e[0].labels, R"({app="api", kube_ns="prod-ns"})");
  EXPECT_EQ(e[0].metadata,
            (std::map<std::string, std::string>{{"keep", R"([1,"a"])"}, {"env", "prod"}}))
      << "ignored fields dropped, extra fields added";
}

TEST_F(EsBulkTest, DocumentWithoutMessageKeepsItsWholeJsonAsTheLine) {
  ASSERT_TRUE(Decode("{\"index\":{}}\n{\"event\":\"login\",\"user\":\"bob\"}\n").ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].line, R"({"event":"login","user":"bob"})");
  EXPECT_TRUE(e[0].metadata.empty());
  EXPECT_EQ(e[0].ts, kNow) << "no time field: now";
  EXPECT_EQ(e[0].labels, R"({service_name="unknown_service"})");
}

TEST_F(EsBulkTest, StreamsOfConsecutiveDocumentsAreNotMixedUp) {
  mapping_.stream_fields = {"app"};
  ASSERT_TRUE(Decode("{\"index\":{}}\n{\"message\":\"a\",\"app\":\"x\"}\n"
                     "{\"index\":{}}\n{\"message\":\"b\",\"app\":\"9\"}\n"
                     "{\"index\":{}}\n{\"message\":\"c\",\"app\":\"y\"}\n"
                     "{\"index\":{}}\n{\"message\":\"d\",\"app\":\"y\"}\n"
                     "{\"index\":{}}\n{\"message\":\"e\",\"app\":\"x\"}\n")
                  .ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].labels, R"({app="x"})");
  EXPECT_EQ(e[1].labels, R"({app="9"})");
  EXPECT_EQ(e[2].labels, R"({app="y"})");
  EXPECT_EQ(e[3].labels, R"({app="y"})");
  EXPECT_EQ(e[4].labels, R"({app="x"})");
  limits_.max_label_value_length = 1;
  batch_.Clear();
  ASSERT_TRUE(Decode("{\"index\":{}}\n{\"message\":\"a\",\"app\":\"x\"}\n"
                     "{\"index\":{}}\n{\"message\":\"b\",\"app\":\"toolong\"}\n"
                     "{\"index\":{}}\n{\"message\":\"c\",\"app\":\"toolong\"}\n")
                  .ok());
  EXPECT_EQ(items_[1].status, 400);
  EXPECT_EQ(items_[2].status, 400) << "an invalid stream stays invalid for the next document";
  EXPECT_EQ(batch_.entries().size(), 1u);
}

class JsonLinesTest : public DecoderTest {
 protected:
  FieldMapping mapping_;
};

TEST_F(JsonLinesTest, CapturedSyslogNgRequest) {
  ASSERT_TRUE(
      DecodeJsonLines(Fixture("syslog-ng-http-jsonl.body.ndjson"), mapping_, Ctx(), &batch_).ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 50u);
  EXPECT_THAT(e[0].line, HasSubstr("ACCSEQ-1795421637-21810-1 "));
  EXPECT_EQ(e[0].metadata.at("shipper"), "syslog-ng");
}

TEST_F(JsonLinesTest, ABadLineRefusesTheRequestNamingTheLine) {
  Status s =
      DecodeJsonLines(Padded("{\"msg\":\"a\"}\n\n{\"msg\":\"b\"\n"), mapping_, Ctx(), &batch_);
  EXPECT_THAT(s.message(), HasSubstr("line 3: invalid JSON"));
  int64_t rejected = 0;
  std::string first;
  batch_.Clear();
  DecodeJsonLinesLenient(Padded("{\"msg\":\"a\"}\nnope\n{\"msg\":\"c\"}"), mapping_, Ctx(), &batch_,
                         &rejected, &first);
  EXPECT_EQ(rejected, 1);
  EXPECT_THAT(first, HasSubstr("expected a JSON object"));
  EXPECT_EQ(batch_.entries().size(), 2u);
}

TEST_F(JsonLinesTest, TheStreamFieldRestoresExportedStreams) {
  ASSERT_TRUE(
      DecodeJsonLines(
          Padded(
              R"({"_time":"2024-01-02T03:04:05.000000006Z","_stream":"{app=\"api\", env=\"a b\"}","_msg":"x","k":"v"})"),
          mapping_, Ctx(), &batch_)
          .ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].labels, R"({app="api", env="a b"})");
  EXPECT_EQ(e[0].ts, 1704164645000000006);
  EXPECT_EQ(e[0].line, "x");
  EXPECT_EQ(e[0].metadata, (std::map<std::string, std::string>{{"k", "v"}}));
}

}  // namespace
}  // namespace sluice::pipeline

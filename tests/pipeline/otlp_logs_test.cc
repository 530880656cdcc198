#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "otlp_logs.pb.h"
#include "pipeline/decoders/otlp_logs.h"
#include "tests/pipeline/decoder_test_util.h"

namespace sluice::pipeline {
namespace {

using ::testing::HasSubstr;
using testing::DecoderTest;
using testing::Entries;
using testing::Padded;

class OtlpLogsTest : public DecoderTest {
 protected:
  Status Json(std::string_view body) { return DecodeOtlpLogsJson(Padded(body), options_, Ctx(), &batch_, &result_); }
  OtlpOptions options_;
  OtlpResult result_;
};

constexpr std::string_view kRequest = R"({"resourceLogs":[{
  "resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"checkout"}},
    {"key":"k8s.pod.name","value":{"stringValue":"pod-1"}},
    {"key":"host.name","value":{"stringValue":"node-7"}},
    {"key":"cloud","value":{"kvlistValue":{"values":[{"key":"zone.id","value":{"stringValue":"z1"}}]}}}]},
  "scopeLogs":[{"scope":{"name":"io.lib","version":"1.2"},"logRecords":[
    {"timeUnixNano":"1700000000000000001","observedTimeUnixNano":"1700000000000000002",
     "severityNumber":17,"severityText":"ERROR","body":{"stringValue":"payment failed"},
     "attributes":[{"key":"http.status_code","value":{"intValue":"502"}},
                   {"key":"retry","value":{"boolValue":true}},
                   {"key":"ratio","value":{"doubleValue":0.25}}],
     "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","flags":1},
    {"observedTimeUnixNano":"1700000000000000009",
     "body":{"kvlistValue":{"values":[{"key":"z","value":{"intValue":"1"}},{"key":"a","value":{"stringValue":"<b>"}}]}}},
    {"body":{"arrayValue":{"values":[{"stringValue":"x"},{"doubleValue":1.5}]}}}
  ]}]}]})";

TEST_F(OtlpLogsTest, MapsResourcesRecordsAndAttributesLikeLoki) {
  ASSERT_TRUE(Json(kRequest).ok());
  EXPECT_EQ(result_.rejected, 0);
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].labels, R"({k8s_pod_name="pod-1", service_name="checkout"})");
  EXPECT_EQ(e[0].ts, 1700000000000000001);
  EXPECT_EQ(e[0].line, "payment failed");
  EXPECT_EQ(e[0].metadata, (std::map<std::string, std::string>{
                               {"http_status_code", "502"},
                               {"retry", "true"},
                               {"ratio", "0.25"},
                               {"observed_timestamp", "1700000000000000002"},
                               {"severity_number", "17"},
                               {"severity_text", "ERROR"},
                               {"flags", "1"},
                               {"trace_id", "5b8efff798038103d269b633813fc60c"},
                               {"span_id", "eee19b7ec3c1b174"},
                               {"host_name", "node-7"},
                               {"cloud_zone_id", "z1"},
                               {"scope_name", "io.lib"},
                               {"scope_version", "1.2"}}));
  EXPECT_EQ(e[1].ts, 1700000000000000009) << "observed time when there is no time";
  EXPECT_EQ(e[1].line, R"({"a":"\u003cb\u003e","z":1})") << "maps as Go's json.Marshal writes them";
  EXPECT_EQ(e[2].ts, kNow) << "no time at all: now";
  EXPECT_EQ(e[2].line, R"(["x",1.5])");
}

TEST_F(OtlpLogsTest, ServiceNameIsDiscoveredOrUnknown) {
  options_.index_attributes = {"service.name", "app", "k8s.container.name"};
  ASSERT_TRUE(Json(R"({"resourceLogs":[
    {"resource":{"attributes":[{"key":"k8s.container.name","value":{"stringValue":"web"}}]},
     "scopeLogs":[{"logRecords":[{"body":{"stringValue":"a"}}]}]},
    {"resource":{},"scopeLogs":[{"logRecords":[{"body":{"stringValue":"b"}}]}]}]})")
                  .ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].labels, R"({k8s_container_name="web", service_name="web"})");
  EXPECT_EQ(e[1].labels, R"({service_name="unknown_service"})");
}

TEST_F(OtlpLogsTest, LegacyInstrumentationLibraryLogsAreRead) {
  ASSERT_TRUE(Json(R"({"resourceLogs":[{"resource":{"attributes":[]},"instrumentationLibraryLogs":[
    {"instrumentationLibrary":{"name":"old"},"logRecords":[{"body":{"stringValue":"legacy"}}]}]}]})")
                  .ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].metadata.at("scope_name"), "old");
}

TEST_F(OtlpLogsTest, RecordsOverLimitsAreRejectedOneByOne) {
  limits_.max_line_bytes = 5;
  ASSERT_TRUE(Json(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[
    {"body":{"stringValue":"short"}},{"body":{"stringValue":"far too long"}},{"body":{"stringValue":"also too long"}}]}]}]})")
                  .ok());
  EXPECT_EQ(batch_.entries().size(), 1u);
  EXPECT_EQ(result_.rejected, 2);
  EXPECT_THAT(result_.error_message, HasSubstr("Max entry size '5' bytes exceeded"));
  EXPECT_THAT(OtlpResponseJson(result_), HasSubstr(R"({"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"Max entry)"));
  EXPECT_EQ(OtlpResponseJson(OtlpResult{}), "{}");
}

TEST_F(OtlpLogsTest, MalformedBodiesAreErrors) {
  EXPECT_THAT(Json("{").message(), HasSubstr("invalid OTLP JSON"));
  EXPECT_THAT(Json(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]})").message(),
              HasSubstr("not a hex string"));
  EXPECT_THAT(Json(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]})").message(),
              HasSubstr("is not an integer"));
  EXPECT_TRUE(Json("{}").ok()) << "an empty request succeeds";
  EXPECT_THAT(DecodeOtlpLogsProto(Padded("\xff\xff"), options_, Ctx(), &batch_, &result_).message(),
              HasSubstr("malformed OTLP protobuf body"));
}

TEST_F(OtlpLogsTest, ProtobufEncodingMapsTheSame) {
  otlp::ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  auto* attr = rl->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("checkout");
  auto* record = rl->add_scope_logs()->add_log_records();
  record->set_time_unix_nano(1700000000000000001);
  record->mutable_body()->set_string_value("from protobuf");
  record->set_trace_id(std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16));
  std::string body = request.SerializeAsString();
  ASSERT_TRUE(DecodeOtlpLogsProto(Padded(body), options_, Ctx(), &batch_, &result_).ok());
  auto e = Entries(batch_);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].labels, R"({service_name="checkout"})");
  EXPECT_EQ(e[0].metadata.at("trace_id"), "0102030405060708090a0b0c0d0e0f10");
  otlp::ExportLogsServiceResponse response;
  ASSERT_TRUE(response.ParseFromString(OtlpResponseProto(OtlpResult{3, "why"})));
  EXPECT_EQ(response.partial_success().rejected_log_records(), 3);
}

TEST(NormalizeOtlpName, FollowsLokisRules) {
  EXPECT_EQ(NormalizeOtlpName("service.name"), "service_name");
  EXPECT_EQ(NormalizeOtlpName("k8s.pod.name"), "k8s_pod_name");
  EXPECT_EQ(NormalizeOtlpName("9lives"), "key_9lives");
  EXPECT_EQ(NormalizeOtlpName("_x"), "key_x");
  EXPECT_EQ(NormalizeOtlpName("__x"), "__x");
}

}  // namespace
}  // namespace sluice::pipeline

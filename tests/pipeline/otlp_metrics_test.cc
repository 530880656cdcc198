#include "pipeline/decoders/otlp_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "otlp_metrics.pb.h"
#include "tests/pipeline/metric_test_util.h"

namespace sluice::pipeline {
namespace {

using storage::MetricMetadata;
using storage::MetricType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Padded;
namespace pb = sluice::otlp;

// A request holding one metric (its JSON object).
std::string OneMetric(std::string_view metric) {
  return R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[)" + std::string(metric) + "]}]}]}";
}

class OtlpMetricsTest : public testing::MetricDecoderTest {
 protected:
  Status Json(std::string_view body) {
    return DecodeOtlpMetricsJson(Padded(body), Ctx(), &batch_, &result_);
  }
  Status Proto(const pb::ExportMetricsServiceRequest& request) {
    return DecodeOtlpMetricsProto(request.SerializeAsString(), Ctx(), &batch_, &result_);
  }
  std::string JsonError(std::string_view body) {
    Status s = Json(body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body;
    return s.message();
  }
};

TEST(OtlpMetricNames, FollowPrometheusOtlpTranslator) {
  using K = OtlpMetricKind;
  EXPECT_EQ(PrometheusMetricName("http.server.duration", "s", K::kHistogram),
            "http_server_duration_seconds");
  EXPECT_EQ(PrometheusMetricName("http.server.request.size", "By", K::kHistogram),
            "http_server_request_size_bytes");
  EXPECT_EQ(PrometheusMetricName("system.network.io", "By", K::kMonotonicSum),
            "system_network_io_bytes_total");
  EXPECT_EQ(PrometheusMetricName("disk.io.time", "s", K::kMonotonicSum),
            "disk_io_time_seconds_total");
  EXPECT_EQ(PrometheusMetricName("latency", "ms", K::kGauge), "latency_milliseconds");
  EXPECT_EQ(PrometheusMetricName("temp", "Cel", K::kGauge), "temp_celsius");
  EXPECT_EQ(PrometheusMetricName("load", "%", K::kGauge), "load_percent");
  EXPECT_EQ(PrometheusMetricName("requests", "{requests}", K::kMonotonicSum), "requests_total");
  EXPECT_EQ(PrometheusMetricName("requests_total", "1", K::kMonotonicSum), "requests_total");
  EXPECT_EQ(PrometheusMetricName("total.requests.count", "", K::kMonotonicSum),
            "requests_count_total")
      << "'total' moves to the end";
  EXPECT_EQ(PrometheusMetricName("cpu.utilization", "1", K::kGauge), "cpu_utilization_ratio");
  EXPECT_EQ(PrometheusMetricName("cpu.ratio.used", "1", K::kGauge), "cpu_used_ratio");
  EXPECT_EQ(PrometheusMetricName("cpu.utilization", "1", K::kNonMonotonicSum), "cpu_utilization")
      << "_ratio is for gauges only";
  EXPECT_EQ(PrometheusMetricName("throughput", "By/s", K::kGauge), "throughput_bytes_per_second");
  EXPECT_EQ(PrometheusMetricName("speed", "m/s", K::kGauge), "speed_meters_per_second");
  EXPECT_EQ(PrometheusMetricName("packets", "{packets}/s", K::kGauge), "packets_per_second");
  EXPECT_EQ(PrometheusMetricName("rate", "1/m", K::kGauge), "rate_per_minute");
  EXPECT_EQ(PrometheusMetricName("rate", "1/min", K::kGauge), "rate_per_min")
      << "'min' is a main unit only, as upstream";
  EXPECT_EQ(PrometheusMetricName("process.runtime.seconds", "s", K::kGauge),
            "process_runtime_seconds")
      << "a unit already in the name is not repeated";
  EXPECT_EQ(PrometheusMetricName("x", "custom.unit", K::kGauge), "x_custom_unit");
  EXPECT_EQ(PrometheusMetricName("x", " s ", K::kGauge), "x_seconds");
  EXPECT_EQ(PrometheusMetricName("2xx.responses", "", K::kGauge), "_2xx_responses");
  EXPECT_EQ(PrometheusMetricName("foo..bar__baz_", "", K::kGauge), "foo_bar_baz");
  EXPECT_EQ(PrometheusMetricName("name:with:colons", "", K::kGauge), "name:with:colons");
  EXPECT_EQ(PrometheusMetricName("métrica.ñ", "", K::kGauge), "m_trica");

  EXPECT_EQ(PrometheusUnit("s"), "seconds");
  EXPECT_EQ(PrometheusUnit("By/s"), "bytes_per_second");
  EXPECT_EQ(PrometheusUnit("{packets}/s"), "per_second");
  EXPECT_EQ(PrometheusUnit("1"), "");
  EXPECT_EQ(PrometheusUnit("{requests}"), "");
  EXPECT_EQ(PrometheusUnit(""), "");
}

constexpr std::string_view kRequest = R"({"resourceMetrics":[{
  "resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"checkout"}},
    {"key":"service.namespace","value":{"stringValue":"shop"}},
    {"key":"service.instance.id","value":{"stringValue":"pod-1"}},
    {"key":"k8s.node.name","value":{"stringValue":"node-7"}}]},
  "scopeMetrics":[{"scope":{"name":"io.lib","version":"1.2"},"metrics":[
    {"name":"queue.depth","description":"Items waiting.","unit":"{items}","gauge":{"dataPoints":[
      {"attributes":[{"key":"queue.name","value":{"stringValue":"orders"}},
                     {"key":"priority","value":{"intValue":"2"}},
                     {"key":"durable","value":{"boolValue":true}},
                     {"key":"weight","value":{"doubleValue":0.25}}],
       "timeUnixNano":"1700000001000000000","asInt":"42"},
      {"asDouble":1.5},
      {"timeUnixNano":"1700000002000000000","asDouble":3,"flags":1}]}},
    {"name":"http.server.requests","unit":"{requests}","sum":{"aggregationTemporality":2,
      "isMonotonic":true,"dataPoints":[
       {"attributes":[{"key":"http.method","value":{"stringValue":"GET"}}],
      "startTimeUnixNano":"1699999999000000000","timeUnixNano":"1700000001000000000",
       "asInt":"1000"}]}},
    {"name":"memory.usage","unit":"By","sum":{
     "aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE",
      "isMonotonic":false,"dataPoints":[{"timeUnixNano":"1700000001000000000","asDouble":1048576}]}}
  ]}]}]})";

TEST_F(OtlpMetricsTest, TranslatesGaugesAndSumsWithResourceAttributes) {
  ASSERT_TRUE(Json(kRequest).ok());
  EXPECT_EQ(result_.rejected_series, 0) << result_.first_error;
  const std::string job = R"(instance="pod-1", job="shop/checkout")";
  const std::string now = std::to_string(kNowMs);
  EXPECT_THAT(
      Samples(),
      ElementsAre(
          R"({__name__="queue_depth", durable="true", )" + job +
              R"(, priority="2", queue_name="orders", weight="0.25"} 1700000001000 42)",
          R"({__name__="queue_depth", )" + job + "} " + now + " 1.5",
          R"({__name__="queue_depth", )" + job + "} 1700000002000 nan",
          R"({__name__="http_server_requests_total", http_method="GET", )" + job +
              "} 1700000001000 1000",
          R"({__name__="memory_usage_bytes", )" + job + "} 1700000001000 1048576",
          R"({__name__="target_info", )" + job + R"(, k8s_node_name="node-7"} )" + now + " 1",
          R"({__name__="target_info", )" + job + R"(, k8s_node_name="node-7"} 1700000001000 1)",
          R"({__name__="target_info", )" + job + R"(, k8s_node_name="node-7"} 1700000002000 1)"));
  EXPECT_TRUE(storage::IsStaleNaN(batch_.samples()[2].value)) << "flags: no recorded value";
  EXPECT_THAT(
      batch_.metadata(),
      ElementsAre(MetricMetadata{"queue_depth", MetricType::kGauge, "Items waiting.", ""},
                  MetricMetadata{"http_server_requests_total", MetricType::kCounter, "", ""},
                  MetricMetadata{"memory_usage_bytes", MetricType::kGauge, "", "bytes"},
                  MetricMetadata{"target_info", MetricType::kGauge, "Target metadata", ""}));
}

pb::ExportMetricsServiceRequest ProtoRequest() {
  pb::ExportMetricsServiceRequest request;
  pb::ResourceMetrics* rm = request.add_resource_metrics();
  auto attr = [](auto* list, std::string key, std::string value) {
    pb::KeyValue* kv = list->Add();
    kv->set_key(std::move(key));
    kv->mutable_value()->set_string_value(std::move(value));
    return kv;
  };
  attr(rm->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  attr(rm->mutable_resource()->mutable_attributes(), "service.namespace", "shop");
  attr(rm->mutable_resource()->mutable_attributes(), "service.instance.id", "pod-1");
  attr(rm->mutable_resource()->mutable_attributes(), "k8s.node.name", "node-7");
  pb::ScopeMetrics* sm = rm->add_scope_metrics();
  sm->mutable_scope()->set_name("io.lib");

  pb::Metric* gauge = sm->add_metrics();
  gauge->set_name("queue.depth");
  gauge->set_description("Items waiting.");
  gauge->set_unit("{items}");
  pb::NumberDataPoint* p = gauge->mutable_gauge()->add_data_points();
  attr(p->mutable_attributes(), "queue.name", "orders");
  p->mutable_attributes()->Add()->set_key("priority");
  p->mutable_attributes(1)->mutable_value()->set_int_value(2);
  p->mutable_attributes()->Add()->set_key("durable");
  p->mutable_attributes(2)->mutable_value()->set_bool_value(true);
  p->mutable_attributes()->Add()->set_key("weight");
  p->mutable_attributes(3)->mutable_value()->set_double_value(0.25);
  p->set_time_unix_nano(1700000001000000000);
  p->set_as_int(42);
  gauge->mutable_gauge()->add_data_points()->set_as_double(1.5);
  p = gauge->mutable_gauge()->add_data_points();
  p->set_time_unix_nano(1700000002000000000);
  p->set_as_double(3);
  p->set_flags(1);

  pb::Metric* counter = sm->add_metrics();
  counter->set_name("http.server.requests");
  counter->set_unit("{requests}");
  counter->mutable_sum()->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  counter->mutable_sum()->set_is_monotonic(true);
  p = counter->mutable_sum()->add_data_points();
  attr(p->mutable_attributes(), "http.method", "GET");
  p->set_start_time_unix_nano(1699999999000000000);
  p->set_time_unix_nano(1700000001000000000);
  p->set_as_int(1000);

  pb::Metric* updown = sm->add_metrics();
  updown->set_name("memory.usage");
  updown->set_unit("By");
  updown->mutable_sum()->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  p = updown->mutable_sum()->add_data_points();
  p->set_time_unix_nano(1700000001000000000);
  p->set_as_double(1048576);
  return request;
}

TEST_F(OtlpMetricsTest, ProtobufAndJsonTranslateAlike) {
  ASSERT_TRUE(Json(kRequest).ok());
  std::vector<std::string> from_json = Samples();
  std::vector<MetricMetadata> metadata_from_json = batch_.metadata();
  batch_.Clear();
  ASSERT_TRUE(Proto(ProtoRequest()).ok());
  EXPECT_EQ(Samples(), from_json);
  EXPECT_EQ(batch_.metadata(), metadata_from_json);
  EXPECT_EQ(result_.rejected_series, 0);
}

constexpr std::string_view kHistogram = R"({"resourceMetrics":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
  "scopeMetrics":[{"metrics":[
    {"name":"http.server.duration","unit":"s","description":"Request time.","histogram":{
      "aggregationTemporality":2,"dataPoints":[
      {"attributes":[{"key":"route","value":{"stringValue":"/a"}}],
       "timeUnixNano":"1700000001000000000","count":"10","sum":2.5,
       "bucketCounts":["1","2","3",4],"explicitBounds":[0.000000001,0.5,10]},
      {"timeUnixNano":"1700000002000000000","count":"3","bucketCounts":["3"],"explicitBounds":[]},
      {"timeUnixNano":"1700000003000000000","count":"7","sum":1,"flags":1,
       "bucketCounts":["7","0"],"explicitBounds":[1]}]}},
    {"name":"rpc.latency","unit":"ms","summary":{"dataPoints":[
      {"timeUnixNano":"1700000001000000000","count":"5","sum":"12.5",
       "quantileValues":[{"quantile":0.5,"value":2},{"quantile":0.99,"value":"Infinity"},
                         {"quantile":1,"value":"NaN"}]}]}}]}]}]})";

TEST_F(OtlpMetricsTest, HistogramsBecomeCumulativeBucketsSumAndCount) {
  ASSERT_TRUE(Json(kHistogram).ok());
  EXPECT_EQ(result_.rejected_series, 0) << result_.first_error;
  std::vector<std::string> s = Samples();
  ASSERT_EQ(s.size(), 17u) << "no attribute besides service.name: no target_info";
  const std::string h = R"({__name__="http_server_duration_seconds_)";
  EXPECT_THAT(
      std::vector<std::string>(s.begin(), s.begin() + 6),
      ElementsAre(h + R"(sum", job="api", route="/a"} 1700000001000 2.5)",
                  h + R"(count", job="api", route="/a"} 1700000001000 10)",
                  h + R"(bucket", job="api", le="0.000000001", route="/a"} 1700000001000 1)",
                  h + R"(bucket", job="api", le="0.5", route="/a"} 1700000001000 3)",
                  h + R"(bucket", job="api", le="10", route="/a"} 1700000001000 6)",
                  h + R"(bucket", job="api", le="+Inf", route="/a"} 1700000001000 10)"));
  EXPECT_THAT(std::vector<std::string>(s.begin() + 6, s.begin() + 8),
              ElementsAre(h + R"(count", job="api"} 1700000002000 3)",
                          h + R"(bucket", job="api", le="+Inf"} 1700000002000 3)"))
      << "no sum: no _sum series; no bounds: only +Inf";
  EXPECT_THAT(std::vector<std::string>(s.begin() + 8, s.begin() + 12),
              ElementsAre(h + R"(sum", job="api"} 1700000003000 nan)",
                          h + R"(count", job="api"} 1700000003000 nan)",
                          h + R"(bucket", job="api", le="1"} 1700000003000 nan)",
                          h + R"(bucket", job="api", le="+Inf"} 1700000003000 nan)"));
  for (size_t i = 8; i < 12; ++i) {
    EXPECT_TRUE(storage::IsStaleNaN(batch_.samples()[i].value)) << i;
  }
  EXPECT_THAT(
      std::vector<std::string>(s.begin() + 12, s.end()),
      ElementsAre(
          R"({__name__="rpc_latency_milliseconds_sum", job="api"} 1700000001000 12.5)",
          R"({__name__="rpc_latency_milliseconds_count", job="api"} 1700000001000 5)",
          R"({__name__="rpc_latency_milliseconds", job="api", quantile="0.5"} 1700000001000 2)",
          R"({__name__="rpc_latency_milliseconds", job="api", quantile="0.99"} 1700000001000 inf)",
          R"({__name__="rpc_latency_milliseconds", job="api", quantile="1"} 1700000001000 nan)"));
  EXPECT_FALSE(storage::IsStaleNaN(batch_.samples()[16].value)) << "a NaN value is not stale";
  EXPECT_THAT(batch_.metadata(),
              ElementsAre(MetricMetadata{"http_server_duration_seconds", MetricType::kHistogram,
                                         "Request time.", "seconds"},
                          MetricMetadata{"rpc_latency_milliseconds", MetricType::kSummary, "",
                                         "milliseconds"}));
}

TEST_F(OtlpMetricsTest, RejectsDeltaAndExponentialMetricsAndKeepsTheRest) {
  ASSERT_TRUE(Json(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"kept","gauge":{"dataPoints":[{"timeUnixNano":"1000000","asInt":"1"}]}},
    {"name":"delta.sum","sum":{"aggregationTemporality":1,"isMonotonic":true,
      "dataPoints":[{"asInt":"1"},{"asInt":"2"}]}},
    {"name":"delta.histogram","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA",
      "dataPoints":[{"count":"1"}]}},
    {"name":"unspecified.sum","sum":{"dataPoints":[{"asInt":"1"}]}},
    {"name":"exp","exponentialHistogram":{"aggregationTemporality":2,
      "dataPoints":[{"count":"3","scale":2,"positive":{"offset":1,"bucketCounts":["1","2"]}},{}]}},
    {"name":"empty.delta","sum":{"aggregationTemporality":1,"dataPoints":[]}},
    {"name":"no.data"}]}]}]})")
                  .ok());
  EXPECT_THAT(Samples(), ElementsAre(R"({__name__="kept"} 1 1)"));
  EXPECT_EQ(result_.rejected_series, 4);
  EXPECT_EQ(result_.rejected_samples, 6);
  EXPECT_EQ(result_.first_error,
            "invalid temporality and type combination for metric 'delta.sum': delta sum "
            "(Prometheus stores cumulative sums only)");
  EXPECT_THAT(batch_.metadata(), ElementsAre(MetricMetadata{"kept", MetricType::kGauge, "", ""}))
      << "no metadata for metrics without stored points";

  MetricDecodeResult one;
  batch_.Clear();
  ASSERT_TRUE(DecodeOtlpMetricsJson(Padded(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"exp","exponentialHistogram":{"dataPoints":[{}]}},
    {"name":"u","histogram":{"dataPoints":[{}]}}]}]}]})"),
                                    Ctx(), &batch_, &one)
                  .ok());
  EXPECT_THAT(one.first_error, HasSubstr("metric 'exp': exponential histograms are not supported"));
  EXPECT_EQ(one.rejected_samples, 2);
  EXPECT_EQ(OtlpMetricsResponseJson(one),
            R"({"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"metric 'exp': )"
            R"(exponential histograms are not supported (they map to native histograms, which )"
            R"js(are not stored)"}})js");
}

TEST_F(OtlpMetricsTest, ResponsesAreEmptyOrPartialSuccess) {
  MetricDecodeResult ok;
  EXPECT_EQ(OtlpMetricsResponseJson(ok), "{}");
  EXPECT_EQ(OtlpMetricsResponseProto(ok), "");
  pb::ExportMetricsServiceResponse empty;
  EXPECT_TRUE(empty.ParseFromString(OtlpMetricsResponseProto(ok)));
  EXPECT_FALSE(empty.has_partial_success());

  MetricDecodeResult partial;
  partial.Reject("metric 'x': \"bad\"", 3);
  partial.Reject("second", 2);
  EXPECT_EQ(
      OtlpMetricsResponseJson(partial),
      R"({"partialSuccess":{"rejectedDataPoints":"5","errorMessage":"metric 'x': \"bad\""}})");
  pb::ExportMetricsServiceResponse response;
  ASSERT_TRUE(response.ParseFromString(OtlpMetricsResponseProto(partial)));
  EXPECT_EQ(response.partial_success().rejected_data_points(), 5);
  EXPECT_EQ(response.partial_success().error_message(), "metric 'x': \"bad\"");

  MetricDecodeResult warning;
  warning.Reject("target_info: too many labels", 0);
  EXPECT_EQ(OtlpMetricsResponseJson(warning), R"({"partialSuccess":{"rejectedDataPoints":"0",)"
                                              R"("errorMessage":"target_info: too many labels"}})");
}

TEST_F(OtlpMetricsTest, RejectsAnInvalidDataPointWholeAndKeepsTheOthers) {
  limits_.max_labels_per_series = 3;
  ASSERT_TRUE(Json(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
      {"attributes":[{"key":"a","value":{"stringValue":"1"}},
       {"key":"b","value":{"stringValue":"2"}}],
       "timeUnixNano":"1000000","count":"1","sum":1,"bucketCounts":["1","0"],"explicitBounds":[1]},
      {"attributes":[{"key":"a","value":{"stringValue":"1"}}],
       "timeUnixNano":"2000000","count":"1","bucketCounts":["1","0"],"explicitBounds":[1]}
        ]}}]}]}]})")
                  .ok());
  EXPECT_THAT(Samples(), ElementsAre(R"({__name__="h_count", a="1"} 2 1)",
                                     R"({__name__="h_bucket", a="1", le="1"} 2 1)",
                                     R"({__name__="h_bucket", a="1", le="+Inf"} 2 1)"))
      << "the first point's _sum and _count fit the limit, its buckets do not: none is stored";
  EXPECT_EQ(result_.rejected_series, 1);
  EXPECT_EQ(result_.rejected_samples, 1);
  EXPECT_EQ(result_.first_error,
            "metric 'h': series 'h_bucket' has 4 labels; limit 3 "
            "(limits.max_labels_per_series)");
  EXPECT_EQ(batch_.metadata().size(), 1u);

  // Bytes become base64 ("//79" is ff fe fd, not UTF-8 as it is, valid once encoded).
  batch_.Clear();
  limits_.max_labels_per_series = 40;
  ASSERT_TRUE(Json(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{
    "dataPoints":[{"attributes":[{"key":"v","value":{"bytesValue":"//79"}},
                                 {"key":"w","value":{"bytesValue":"AAE="}},
                                 {"key":"x","value":{"bytesValue":"AA=="}},
                                 {"key":"list","value":{"arrayValue":{"values":[
                                  {"intValue":"1"},{"stringValue":"x"}]}}},
                                 {"key":"map","value":{"kvlistValue":{"values":[
                                  {"key":"z","value":{"doubleValue":1e-7}},
                                  {"key":"a","value":{}}]}}}],
                   "timeUnixNano":"1000000","asDouble":1}]}}]}]}]})")
                  .ok());
  EXPECT_THAT(Samples(),
              ElementsAre(R"({__name__="g", list="[1,\"x\"]", map="{\"a\":null,\"z\":1e-7}", )"
                          R"(v="//79", w="AAE=", x="AA=="} 1 1)"));
}

TEST_F(OtlpMetricsTest, AttributesThatNormalizeAlikeAreJoinedAndJobInstanceWin) {
  ASSERT_TRUE(Json(R"({"resourceMetrics":[{
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}},
                              {"key":"service.instance.id","value":{"stringValue":"i-1"}}]},
    "scope_metrics":[{"metrics":[{"name":"g","gauge":{"data_points":[{
      "attributes":[{"key":"a_b","value":{"stringValue":"second"}},
                    {"key":"a.b","value":{"stringValue":"first"}},
                    {"key":"job","value":{"stringValue":"overridden"}},
                    {"key":"le","value":{"stringValue":"kept on a gauge"}},
                    {"key":"9lives","value":{"stringValue":"cat"}},
                    {"key":"_hidden","value":{"stringValue":"h"}},
                    {"key":"empty","value":{"stringValue":""}}],
      "time_unix_nano":1000000,"as_int":7}]}}]}]}]})")
                  .ok());
  EXPECT_THAT(Samples(),
              ElementsAre(R"({__name__="g", a_b="first;second", instance="i-1", job="svc", )"
                          R"(key_9lives="cat", key_hidden="h", le="kept on a gauge"} 1 7)"))
      << "snake_case keys and numbers for 64-bit integers are accepted too";
}

TEST_F(OtlpMetricsTest, TargetInfoNeedsOwnAttributesAndAJobOrInstance) {
  ASSERT_TRUE(Json(R"({"resourceMetrics":[
    {"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"h1"}}]},
     "scopeMetrics":[{"metrics":[{"name":"a","gauge":{"dataPoints":[
      {"timeUnixNano":"1000000","asInt":"1"}]}}]}]},
    {"resource":{"attributes":[{"key":"service.instance.id","value":{"stringValue":"i-2"}},
                               {"key":"host.name","value":{"stringValue":"h2"}}]},
     "scopeMetrics":[{"metrics":[{"name":"a","gauge":{"dataPoints":[
      {"timeUnixNano":"1000000","asInt":"2"},
       {"timeUnixNano":"1000000","asInt":"3"}]}}]}]},
    {"resource":{"attributes":[{"key":"service.instance.id","value":{"stringValue":"i-3"}},
                               {"key":"host.name","value":{"stringValue":"h3"}}]},
     "scopeMetrics":[{"metrics":[{"name":"d","sum":{"aggregationTemporality":1,
      "dataPoints":[{"asInt":"1"}]}}]}]}
  ]})")
                  .ok());
  EXPECT_THAT(Samples(),
              ElementsAre(R"({__name__="a"} 1 1)", R"({__name__="a", instance="i-2"} 1 2)",
                          R"({__name__="a", instance="i-2"} 1 3)",
                          R"({__name__="target_info", host_name="h2", instance="i-2"} 1 1)"))
      << "resource attributes are not labels of the points; one target_info sample per time; "
         "none for a resource without a stored point";
  EXPECT_THAT(batch_.metadata(),
              ElementsAre(MetricMetadata{"a", MetricType::kGauge, "", ""},
                          MetricMetadata{"target_info", MetricType::kGauge, "Target metadata", ""}))
      << "one metadata entry per family";

  batch_.Clear();
  result_ = {};
  limits_.max_label_value_length = 5;
  ASSERT_TRUE(Json(R"({"resourceMetrics":[{"resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"svc"}},
    {"key":"k8s.pod.uid","value":{"stringValue":"0123456789"}}]},
    "scopeMetrics":[{"metrics":[{"name":"a","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]})")
                  .ok());
  EXPECT_THAT(Samples(),
              ElementsAre(R"({__name__="a", job="svc"} )" + std::to_string(kNowMs) + " 1"));
  EXPECT_EQ(result_.rejected_samples, 0) << "a target_info that breaks a limit loses no point";
  EXPECT_EQ(result_.rejected_series, 1);
  EXPECT_THAT(result_.first_error,
              HasSubstr("target_info: series 'target_info' has label value too long"));
}

TEST_F(OtlpMetricsTest, RejectsMalformedBodies) {
  EXPECT_THAT(JsonError("{"), HasSubstr("invalid OTLP JSON"));
  EXPECT_THAT(JsonError("[]"), HasSubstr("the body is not an object"));
  EXPECT_THAT(JsonError(R"({"resourceMetrics":{}})"),
              HasSubstr("invalid OTLP JSON at resourceMetrics"));
  EXPECT_THAT(
      JsonError(OneMetric(R"({"name":"a","gauge":{"dataPoints":[{"timeUnixNano":true}]}})")),
      HasSubstr("invalid OTLP JSON at timeUnixNano: expected an integer"));
  EXPECT_THAT(JsonError(OneMetric(R"({"name":"a","gauge":{"dataPoints":[{"asInt":"1.5"}]}})")),
              HasSubstr("invalid OTLP JSON at asInt: \"1.5\" is not an integer"));
  EXPECT_THAT(JsonError(OneMetric(R"({"name":"a","gauge":{"dataPoints":[{"asDouble":"many"}]}})")),
              HasSubstr("invalid OTLP JSON at asDouble: \"many\" is not a number"));
  EXPECT_THAT(JsonError(OneMetric(R"({"name":"a","sum":{"aggregationTemporality":"SOMETIMES"}})")),
              HasSubstr("unknown value \"SOMETIMES\""));
  EXPECT_THAT(JsonError(OneMetric(R"({"name":"a","histogram":{"dataPoints":[{"count":"-1"}]}})")),
              HasSubstr("\"-1\" is not an integer"));
  EXPECT_THAT(JsonError(OneMetric(R"({"name":"a","gauge":{"dataPoints":[{"flags":4294967296}]}})")),
              HasSubstr("flags: 4294967296 is too large"));
  std::string bad_bytes = R"({"resourceMetrics":[{"resource":{"attributes":[)"
                          R"({"key":"k","value":{"bytesValue":"**"}}]}}]})";
  EXPECT_THAT(JsonError(bad_bytes), HasSubstr("not base64"));
  EXPECT_THAT(JsonError(R"({"resourceMetrics":[]} {})"),
              HasSubstr("content after the top-level object"));
  std::string deep = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":)";
  for (int i = 0; i < 40; ++i) deep += R"({"arrayValue":{"values":[)";
  EXPECT_THAT(JsonError(deep), HasSubstr("nested too deeply"));
  EXPECT_TRUE(batch_.empty());

  Status s = DecodeOtlpMetricsProto("\x0a\x05\x0a", Ctx(), &batch_, &result_);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("malformed OTLP protobuf body"));
  EXPECT_TRUE(Json(R"({})").ok()) << "an empty request is fine";
  EXPECT_TRUE(Json(R"({"resourceMetrics":null,"unknown":[1,{"x":2}]})").ok());
  EXPECT_TRUE(batch_.empty());
}

TEST_F(OtlpMetricsTest, ReadsTheDeprecatedInstrumentationLibraryLayout) {
  pb::ExportMetricsServiceRequest request;
  pb::Metric* m =
      request.add_resource_metrics()->add_instrumentation_library_metrics()->add_metrics();
  m->set_name("old.style");
  m->mutable_gauge()->add_data_points()->set_as_double(2);
  ASSERT_TRUE(Proto(request).ok());
  EXPECT_THAT(Samples(), ElementsAre(R"({__name__="old_style"} )" + std::to_string(kNowMs) + " 2"));
  batch_.Clear();
  ASSERT_TRUE(Json(R"({"resourceMetrics":[{"instrumentationLibraryMetrics":[{"metrics":[
    {"name":"old.style","gauge":{"dataPoints":[{"asDouble":2}]}}]}]}]})")
                  .ok());
  EXPECT_THAT(Samples(), ElementsAre(R"({__name__="old_style"} )" + std::to_string(kNowMs) + " 2"));
}

TEST_F(OtlpMetricsTest, ProtobufHistogramSummaryAndStaleness) {
  pb::ExportMetricsServiceRequest request;
  pb::ScopeMetrics* sm = request.add_resource_metrics()->add_scope_metrics();
  pb::Metric* h = sm->add_metrics();
  h->set_name("size");
  h->set_unit("By");
  h->mutable_histogram()->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  pb::HistogramDataPoint* hp = h->mutable_histogram()->add_data_points();
  hp->set_time_unix_nano(5'000'000);
  hp->set_count(4);
  hp->set_sum(100);
  for (uint64_t c : {1, 1, 2}) hp->add_bucket_counts(c);
  for (double b : {1e21, 2.5e21}) hp->add_explicit_bounds(b);
  pb::Metric* sum = sm->add_metrics();
  sum->set_name("s");
  sum->mutable_summary()->add_data_points()->set_flags(1);
  sum->mutable_summary()->mutable_data_points(0)->add_quantile_values()->set_quantile(0.25);
  ASSERT_TRUE(Proto(request).ok());
  EXPECT_THAT(
      Samples(),
      ElementsAre(R"({__name__="size_bytes_sum"} 5 100)", R"({__name__="size_bytes_count"} 5 4)",
                  R"({__name__="size_bytes_bucket", le="1000000000000000000000"} 5 1)",
                  R"({__name__="size_bytes_bucket", le="2500000000000000000000"} 5 2)",
                  R"({__name__="size_bytes_bucket", le="+Inf"} 5 4)",
                  R"({__name__="s_sum"} )" + std::to_string(kNowMs) + " nan",
                  R"({__name__="s_count"} )" + std::to_string(kNowMs) + " nan",
                  R"({__name__="s", quantile="0.25"} )" + std::to_string(kNowMs) + " nan"));
  for (size_t i = 5; i < 8; ++i) EXPECT_TRUE(storage::IsStaleNaN(batch_.samples()[i].value));
}

}  // namespace
}  // namespace sluice::pipeline

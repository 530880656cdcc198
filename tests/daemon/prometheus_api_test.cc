// Prometheus' query API end to end through a running daemon: data imported over HTTP, every
// endpoint's JSON checked (shapes, error types and codes, Prometheus 2.42's exact bodies where we
// recorded them from a real Prometheus), and the Prometheus data source's requests replayed as
// Grafana sends them (../shared/grafana-contract.md §4, §7 P1-P15).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/api/prometheus_params.h"
#include "daemon/api/query_executor.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/metrics_export.h"

namespace sluice::daemon {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using testing::UrlEncode;

// The contract's hour: s = 2026-01-01T00:00:00Z, e = s + 1h.
constexpr int64_t kS = 1767225600;
constexpr int64_t kE = 1767229200;
using testing::Headers;
using Reply = testing::JsonReply;
const Headers kForm = {{"Content-Type", "application/x-www-form-urlencoded"}};

class PrometheusApiTest : public testing::DaemonTest {
 protected:
  std::unique_ptr<Reply> PostForm(const std::string& target, std::string_view form) {
    return Call("POST", target, form, kForm);
  }

  void Import(const std::string& lines, const std::string& tenant = "") {
    Headers headers;
    if (!tenant.empty()) headers.emplace_back("X-Scope-OrgID", tenant);
    auto r = Call("POST", "/api/v1/import", lines, headers);
    ASSERT_EQ(r->status, 204) << r->body;
  }

  // The contract's seed: up{job="p"} = 1 and a counter at 15 s resolution over [s, e], plus two
  // series that collide under on(job) and a series of another tenant.
  void Seed() {
    std::string up = R"({"metric":{"__name__":"up","job":"p"},"values":[)";
    std::string counter = R"({"metric":{"__name__":"http_requests_total","job":"p"},"values":[)";
    std::string ts;
    for (int64_t t = kS, k = 0; t <= kE; t += 15, ++k) {
      const char* sep = k == 0 ? "" : ",";
      up += fmt::format("{}1", sep);
      counter += fmt::format("{}{}", sep, 10 * k);
      ts += fmt::format("{}{}", sep, t * 1000);
    }
    Import(
        fmt::format("{}],\"timestamps\":[{}]}}\n{}],\"timestamps\":[{}]}}\n", up, ts, counter, ts) +
        fmt::format(R"({{"metric":{{"__name__":"node","job":"p","cpu":"0"}},"values":[1],)"
                    R"("timestamps":[{}]}})"
                    "\n"
                    R"({{"metric":{{"__name__":"node","job":"p","cpu":"1"}},"values":[2],)"
                    R"("timestamps":[{}]}})"
                    "\n",
                    kE * 1000, kE * 1000));
    Import(fmt::format(R"({{"metric":{{"__name__":"up","job":"other"}},"values":[1],)"
                       R"("timestamps":[{}]}})"
                       "\n",
                       kE * 1000),
           "t2");
  }

  static std::string Q(std::string_view query) { return UrlEncode(query); }
};

// Grafana's envelope check C-env: 200, JSON content type, success, resultType before result.
void ExpectQueryEnvelope(const Reply& r, std::string_view result_type) {
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.content_type, HasSubstr("json"));
  EXPECT_EQ(r.Status(), "success") << r.body;
  size_t type_at = r.body.find("\"resultType\":");
  size_t result_at = r.body.find("\"result\":");
  EXPECT_NE(type_at, std::string::npos) << r.body;
  EXPECT_LT(type_at, result_at) << r.body;
  std::string_view type;
  EXPECT_EQ(r.Data()["resultType"].get(type), simdjson::SUCCESS);
  EXPECT_EQ(type, result_type) << r.body;
}

// ---- Bodies byte for byte as Prometheus 2.42 answered the same requests ----------------------

TEST_F(PrometheusApiTest, AnswersAreByteForByteThoseOfPrometheus) {
  Start();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/query?query=1%2B1&time=4",
       R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})"},
      {"/api/v1/query?query=1/0&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}})"},
      {"/api/v1/query?query=-1/0&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"-Inf"]}})"},
      {"/api/v1/query?query=0/0&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})"},
      {"/api/v1/query?query=0.1%2B0.2&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"0.30000000000000004"]}})"},
      {"/api/v1/query?query=1e21&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"1000000000000000000000"]}})"},
      {"/api/v1/query?query=1e-7&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"0.0000001"]}})"},
      {"/api/v1/query?query=123456789012345678&time=1",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"123456789012345680"]}})"},
      {"/api/v1/query?query=%22foo%22&time=1.123456",
       R"({"status":"success","data":{"resultType":"string","result":[1.123,"foo"]}})"},
      {"/api/v1/query?query=time()&time=1.0005",
       R"({"status":"success","data":{"resultType":"scalar","result":[1,"1"]}})"},
      {"/api/v1/query?query=time()&time=1.0015",
       R"({"status":"success","data":{"resultType":"scalar","result":[1.002,"1.002"]}})"},
      {"/api/v1/query?query=time()&time=-1.5",
       R"({"status":"success","data":{"resultType":"scalar","result":[-1.5,"-1.5"]}})"},
      {"/api/v1/query?query=time()&time=-0.0005",
       R"({"status":"success","data":{"resultType":"scalar","result":[-0.001,"-0.001"]}})"},
      {"/api/v1/query?query=time()&time=2026-01-01T00:00:00.123456Z",
       R"({"status":"success","data":{"resultType":"scalar","result":[1767225600.123,"1767225600.123"]}})"},
      {"/api/v1/query?query=time()&time=2026-01-01T00:00:00%2B01:00",
       R"({"status":"success","data":{"resultType":"scalar","result":[1767222000,"1767222000"]}})"},
      // Milliseconds read as seconds overflow Prometheus' nanosecond clock; so do ours.
      {"/api/v1/query?query=time()&time=1767229200000",
       R"({"status":"success","data":{"resultType":"scalar","result":[-3658231076.116,"-3658231076.116"]}})"},
      {"/api/v1/query?query=time()&time=1e3",
       R"({"status":"success","data":{"resultType":"scalar","result":[1000,"1000"]}})"},
      {"/api/v1/query?query=time()&time=-292273086-05-16T16:47:06Z",
       R"({"status":"success","data":{"resultType":"scalar","result":[6795364580.679,"6795364580.679"]}})"},
      {"/api/v1/query?query=time()&time=1e20",
       R"({"status":"success","data":{"resultType":"scalar","result":[0,"0"]}})"},
      {"/api/v1/query?query=time()&time=Inf",
       R"({"status":"success","data":{"resultType":"scalar","result":[-9223372036.854,"-9223372036.854"]}})"},
      {"/api/v1/query?query=vector(1)&time=1.5",
       R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.500,"1"]}]}})"},
      {"/api/v1/query?query=vector(1)&time=-1.5",
       R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[-1.500,"1"]}]}})"},
      {"/api/v1/query_range?query=time()&start=0&end=1&step=0.3",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"0"],[0.300,"0.3"],[0.600,"0.6"],[0.900,"0.9"]]}]}})"},
      {"/api/v1/query_range?query=time()&start=0&end=1&step=300ms",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"0"],[0.300,"0.3"],[0.600,"0.6"],[0.900,"0.9"]]}]}})"},
      {"/api/v1/query_range?query=vector(1)&start=-1.5&end=0&step=0.5",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[-1.500,"1"],[-1,"1"],[-0.500,"1"],[0,"1"]]}]}})"},
      {"/api/v1/query?query=sum(&time=4",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})"},
      {"/api/v1/query_range?query=sum(&start=1&end=2&step=1",
       R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})"},
      {"/api/v1/query?time=1",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: no expression found in input"})"},
      {"/api/v1/query_range?query=up[5m]&start=1&end=2&step=1",
       R"({"status":"error","errorType":"bad_data","error":"invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"})"},
      {"/api/v1/query_range?query=1&start=3&end=2&step=1",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"})"},
      {"/api/v1/query_range?query=1&start=1&end=2&step=0",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"})"},
      {"/api/v1/query_range?query=1&start=1&end=2&step=-1",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"})"},
      {"/api/v1/query_range?query=1&start=1&end=20000&step=1",
       R"json({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"})json"},
      {"/api/v1/query_range?query=1&start=1&end=2",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"\" to a valid duration"})"},
      {"/api/v1/query_range?query=1&end=2&step=1",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"\" to a valid timestamp"})"},
      {"/api/v1/query_range?query=1&start=abc&end=2&step=1",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"abc\" to a valid timestamp"})"},
      {"/api/v1/query_range?query=up&start=1&end=2&step=1e30",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"1e30\" to a valid duration. It overflows int64"})"},
      {"/api/v1/query?query=1&time=abc",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"})"},
      {"/api/v1/query?query=time()&time=0x10",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"0x10\" to a valid timestamp"})"},
      {"/api/v1/query?query=time()&time=%201",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \" 1\" to a valid timestamp"})"},
      {"/api/v1/query?query=1&time=1.5&timeout=abc",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration"})"},
      {"/api/v1/query?query=up&timeout=-1s",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"-1s\" to a valid duration"})"},
      {"/api/v1/query?query=up&timeout=0",
       R"({"status":"error","errorType":"timeout","error":"query timed out in query execution"})"},
  };
  for (const auto& [target, want] : cases) {
    auto r = Get(target);
    EXPECT_EQ(r->body, want) << target;
    EXPECT_EQ(r->content_type, "application/json") << target;
    int code = r->Status() == "success" ? 200 : r->ErrorType() == "timeout" ? 503 : 400;
    EXPECT_EQ(r->status, code) << target;
  }
}

TEST_F(PrometheusApiTest, FormBodyParametersComeFirstAndOtherBodiesAreIgnored) {
  Start();
  auto form = PostForm("/api/v1/query?query=3", "query=2&time=1");
  EXPECT_EQ(form->body, R"({"status":"success","data":{"resultType":"scalar","result":[1,"2"]}})");
  auto json = Call("POST", "/api/v1/query?query=3&time=1", "query=2&time=1",
                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(json->body, R"({"status":"success","data":{"resultType":"scalar","result":[1,"3"]}})");
}

// ---- Queries over stored data -----------------------------------------------------------------

TEST_F(PrometheusApiTest, RangeQueriesStepFromStartToAnInclusiveEnd) {
  Start();
  Seed();
  auto r = PostForm("/api/v1/query_range", fmt::format("end={}&query={}&start={}&step=15", kE,
                                                       Q("rate(http_requests_total[1m])"), kS));
  ExpectQueryEnvelope(*r, "matrix");
  // As Prometheus 2.42 answers it: no point at `start` (one sample in the window), then the
  // extrapolated ramp, then 10 per 15 s; the last point is at `end` itself.
  std::string want =
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"p"},)"
      R"("values":[)";
  for (int64_t t = kS + 15; t <= kE; t += 15) {
    std::string_view v = t == kS + 15   ? "0.16666666666666666"
                         : t == kS + 30 ? "0.3333333333333333"
                         : t == kS + 45 ? "0.5"
                                        : "0.6666666666666666";
    want += fmt::format("{}[{},\"{}\"]", t == kS + 15 ? "" : ",", t, v);
  }
  want += "]}]}}";
  EXPECT_EQ(r->body, want);

  // Chunked as Grafana splits long ranges: [s, m-15] + [m, e] is the single answer.
  int64_t m = kS + 1800;
  auto first = Get(fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=15",
                               Q("sum(rate(http_requests_total[5m]))"), kS, m - 15));
  auto second = Get(fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=15",
                                Q("sum(rate(http_requests_total[5m]))"), m, kE));
  auto whole = Get(fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=15",
                               Q("sum(rate(http_requests_total[5m]))"), kS, kE));
  auto values = [](const Reply& reply) {
    std::vector<std::string> out;
    for (simdjson::dom::element p : reply.Data()["result"].at(0)["values"].get_array()) {
      out.push_back(simdjson::minify(p));
    }
    return out;
  };
  std::vector<std::string> joined = values(*first);
  for (std::string& v : values(*second)) joined.push_back(std::move(v));
  EXPECT_EQ(joined, values(*whole));
  EXPECT_EQ(values(*whole).size(), 240u);
}

TEST_F(PrometheusApiTest, InstantQueriesKeepMillisecondsAndTenantsStayApart) {
  Start();
  Seed();
  auto r = PostForm("/api/v1/query", "query=up&time=1767229200.123");
  ExpectQueryEnvelope(*r, "vector");
  EXPECT_EQ(
      r->body,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"p"},"value":[1767229200.123,"1"]}]}})");
  auto other = Get(fmt::format("/api/v1/query?query=up&time={}", kE), {{"X-Scope-OrgID", "t2"}});
  EXPECT_EQ(
      other->body,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"other"},"value":[1767229200,"1"]}]}})");
  auto bad = Get("/api/v1/query?query=up", {{"X-Scope-OrgID", "a|b"}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->ErrorType(), "bad_data");
}

TEST_F(PrometheusApiTest, EvaluationErrorsAre422AndLimitsNameThemselves) {
  Start("query:\n  max_samples: 100\n  max_series: 3\n");
  Seed();
  auto many = Get(fmt::format("/api/v1/query?query={}&time={}", Q("up + on(job) node"), kE));
  EXPECT_EQ(
      many->body,
      R"({"status":"error","errorType":"execution","error":"found duplicate series for the )"
      R"(match group {job=\"p\"} on the right hand-side of the operation: [{__name__=\"node\", )"
      R"(cpu=\"1\", job=\"p\"}, {__name__=\"node\", cpu=\"0\", job=\"p\"}];many-to-many )"
      R"(matching not allowed: matching labels must be unique on one side"})");
  EXPECT_EQ(many->status, 422);

  auto samples = Get(fmt::format("/api/v1/query?query={}&time={}",
                                 Q("sum_over_time(http_requests_total[1h])"), kE));
  EXPECT_EQ(samples->status, 422) << samples->body;
  EXPECT_EQ(samples->ErrorType(), "execution");
  EXPECT_THAT(std::string(samples->Error()),
              HasSubstr("query processing would load too many samples into memory"));

  auto series = Get(fmt::format("/api/v1/query?query={}&time={}", Q("{job=\"p\"}"), kE));
  EXPECT_EQ(series->status, 422) << series->body;
  // query.max_series is the older name of limits.max_fetched_series_per_query.
  EXPECT_EQ(series->Error(),
            "query processing would select more than 3 series "
            "(limits.max_fetched_series_per_query)");
}

TEST_F(PrometheusApiTest, LimitTruncatesSeriesWithAWarning) {
  Start();
  Seed();
  auto r = Get(fmt::format("/api/v1/query?query=node&time={}&limit=1", kE));
  ExpectQueryEnvelope(*r, "vector");
  EXPECT_EQ(r->Data()["result"].get_array().size(), 1u);
  EXPECT_EQ(r->Strings(r->json["warnings"]),
            std::vector<std::string>{"results truncated due to limit"});
  auto all = Get(fmt::format("/api/v1/query?query=node&time={}&limit=0", kE));
  EXPECT_EQ(all->Data()["result"].get_array().size(), 2u);
  EXPECT_EQ(all->body.find("warnings"), std::string::npos);
  auto negative = Get("/api/v1/query?query=node&limit=-1");
  EXPECT_EQ(negative->Error(), "invalid parameter \"limit\": limit must be non-negative");
}

TEST_F(PrometheusApiTest, StatsReportTheSamplesRead) {
  Start();
  Seed();
  auto r = Get(
      fmt::format("/api/v1/query?query={}&time={}&stats=all", Q("http_requests_total[1m]"), kE));
  ExpectQueryEnvelope(*r, "matrix");
  EXPECT_EQ(r->Data()["stats"]["samples"]["totalQueryableSamples"].get_uint64().value(), 5u);
  double total = r->Data()["stats"]["timings"]["execTotalTime"].get_double().value();
  EXPECT_GE(total, 0);
  EXPECT_EQ(Get("/api/v1/query?query=1")->body.find("stats"), std::string::npos);
}

// ---- Series, labels, metadata ----------------------------------------------------------------

TEST_F(PrometheusApiTest, SeriesListsEachMatchingSeriesOnceSorted) {
  Start();
  Seed();
  auto r = PostForm("/api/v1/series", fmt::format("end={}&limit=40000&match%5B%5D={}&start={}", kE,
                                                  Q("{__name__!=\"\"}"), kS));
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            R"({"status":"success","data":[{"__name__":"http_requests_total","job":"p"},)"
            R"({"__name__":"node","cpu":"0","job":"p"},{"__name__":"node","cpu":"1","job":"p"},)"
            R"({"__name__":"up","job":"p"}]})");
  auto twice = Get(fmt::format("/api/v1/series?match[]=up&match[]={}", Q("up{job=\"p\"}")));
  EXPECT_EQ(twice->body, R"({"status":"success","data":[{"__name__":"up","job":"p"}]})");
  auto limited = Get("/api/v1/series?match[]=node&limit=1");
  EXPECT_EQ(limited->body,
            R"({"status":"success","data":[{"__name__":"node","cpu":"0","job":"p"}],)"
            R"("warnings":["results truncated due to limit"]})");
  auto before = Get(fmt::format("/api/v1/series?match[]=up&end={}", kS - 3600));
  EXPECT_EQ(before->body, R"({"status":"success","data":[]})");
  // Clients' spellings of "all time".
  auto forever = Get(
      "/api/v1/"
      "series?match[]=up&start=-292273086-05-16T16:47:06Z&end=292277025-08-18T07:12:54.999999999Z");
  EXPECT_EQ(forever->body, R"({"status":"success","data":[{"__name__":"up","job":"p"}]})");

  EXPECT_EQ(Get("/api/v1/series")->body,
            R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  EXPECT_EQ(
      Get("/api/v1/series?match[]=" + Q("up{"))->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": 1:4: parse error: unexpected end of input inside braces"})");
  EXPECT_EQ(
      Get("/api/v1/series?match[]=" + Q("{job=~\".*\"}"))->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": match[] must contain at least one non-empty matcher"})");
  EXPECT_EQ(
      Get("/api/v1/series?match[]=up&limit=abc")->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": strconv.Atoi: parsing \"abc\": invalid syntax"})");
  // Only a selector, as Prometheus' metric-selector grammar reads it.
  EXPECT_EQ(
      Get("/api/v1/series?match[]=" + Q("sum(up)"))->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": 1:4: parse error: unexpected \"(\""})");
  EXPECT_EQ(
      Get("/api/v1/series?match[]=" + Q("up[5m]"))->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": 1:3: parse error: unexpected \"[\""})");
  EXPECT_EQ(Get("/api/v1/series?match[]=" + Q("up offset 5m"))->Error(),
            "invalid parameter \"match[]\": 1:4: parse error: unexpected <offset>");
}

TEST_F(PrometheusApiTest, LabelNamesAndValues) {
  Start();
  Seed();
  auto names = PostForm("/api/v1/labels", fmt::format("end={}&limit=40000&start={}", kE, kS));
  EXPECT_EQ(names->body, R"({"status":"success","data":["__name__","cpu","job"]})");
  EXPECT_EQ(Get(fmt::format("/api/v1/labels?end={}&limit=40000&start={}", kE, kS))->body,
            names->body);
  EXPECT_EQ(Get("/api/v1/labels?match[]=up")->body,
            R"({"status":"success","data":["__name__","job"]})");
  EXPECT_EQ(Get("/api/v1/labels?match[]=up&match[]=node")->body,
            R"({"status":"success","data":["__name__","cpu","job"]})");
  EXPECT_EQ(Get("/api/v1/labels?start=10&end=20")->body, R"({"status":"success","data":[]})");
  EXPECT_EQ(
      Get("/api/v1/labels?match[]={}")->body,
      R"({"status":"error","errorType":"bad_data","error":"match[] must contain at least one non-empty matcher"})");
  EXPECT_EQ(
      Get("/api/v1/labels?start=abc")->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"abc\" to a valid timestamp"})");
  EXPECT_EQ(
      Get("/api/v1/labels?limit=1")->body,
      R"({"status":"success","data":["__name__"],"warnings":["results truncated due to limit"]})");

  EXPECT_EQ(
      Get(fmt::format("/api/v1/label/__name__/values?end={}&limit=40000&start={}", kE, kS))->body,
      R"({"status":"success","data":["http_requests_total","node","up"]})");
  EXPECT_EQ(Get(fmt::format("/api/v1/label/job/values?end={}&limit=40000&match%5B%5D=up&start={}",
                            kE, kS))
                ->body,
            R"({"status":"success","data":["p"]})");
  EXPECT_EQ(Get("/api/v1/label/job/values", {{"X-Scope-OrgID", "t2"}})->body,
            R"({"status":"success","data":["other"]})");
  EXPECT_EQ(Get("/api/v1/label/1job/values")->body,
            R"({"status":"error","errorType":"bad_data","error":"invalid label name: \"1job\""})");
  EXPECT_EQ(Call("POST", "/api/v1/label/job/values", "", kForm)->status, 405);
}

TEST_F(PrometheusApiTest, MetadataComesFromWhatWasIngested) {
  Start();
  std::string otlp = fmt::format(
      R"({{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[)"
      R"({{"name":"queue_depth","description":"Items waiting.","gauge":{{"dataPoints":[)"
      R"({{"asDouble":3,"timeUnixNano":"{}000000000"}}]}}}},)"
      R"({{"name":"jobs_done","description":"Jobs finished.","sum":{{"isMonotonic":true,)"
      R"("aggregationTemporality":2,"dataPoints":[{{"asDouble":7,"timeUnixNano":"{}000000000"}}]}}}}]}}]}}]}})",
      kE, kE);
  auto pushed = Call("POST", "/v1/metrics", otlp, {{"Content-Type", "application/json"}});
  ASSERT_EQ(pushed->status, 200) << pushed->body;
  auto all = Get("/api/v1/metadata?limit=40000");
  EXPECT_EQ(all->status, 200) << all->body;
  simdjson::dom::object data = all->Data().get_object();
  ASSERT_EQ(data.size(), 2u) << all->body;
  EXPECT_EQ(std::string_view(data["queue_depth"].at(0)["type"].get_string()), "gauge");
  EXPECT_EQ(std::string_view(data["queue_depth"].at(0)["help"].get_string()), "Items waiting.");
  EXPECT_EQ(std::string_view(data["queue_depth"].at(0)["unit"].get_string()), "");
  auto one = Get("/api/v1/metadata?metric=queue_depth");
  EXPECT_EQ(
      one->body,
      R"({"status":"success","data":{"queue_depth":[{"type":"gauge","help":"Items waiting.","unit":""}]}})");
  EXPECT_EQ(Get("/api/v1/metadata?limit=1")->Data().get_object().size(), 1u);
  EXPECT_EQ(Get("/api/v1/metadata?limit=0")->body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Get("/api/v1/metadata?metric=nope")->body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Get("/api/v1/metadata?limit=abc")->body,
            R"({"status":"error","errorType":"bad_data","error":"limit must be a number"})");
  EXPECT_EQ(Get("/api/v1/metadata", {{"X-Scope-OrgID", "t2"}})->body,
            R"({"status":"success","data":{}})");
}

// ---- Everything else Grafana and promtool ask for --------------------------------------------

TEST_F(PrometheusApiTest, ExemplarsAreAlwaysEmptyAfterValidation) {
  Start();
  Seed();
  // Grafana's probe sends milliseconds where seconds belong.
  auto probe =
      PostForm("/api/v1/query_exemplars", "end=1767229200000&query=test&start=1767227400000");
  EXPECT_EQ(probe->status, 200);
  EXPECT_EQ(probe->body, R"({"status":"success","data":[]})");
  EXPECT_EQ(Get("/api/v1/query_exemplars?query=up")->body, R"({"status":"success","data":[]})");
  auto no_selector = Get("/api/v1/query_exemplars?query=1");
  EXPECT_EQ(no_selector->status, 204);
  EXPECT_EQ(no_selector->body, "");
  EXPECT_EQ(
      Get("/api/v1/query_exemplars?query=up&start=5&end=1")->body,
      R"({"status":"error","errorType":"bad_data","error":"end timestamp must not be before start timestamp"})");
  EXPECT_EQ(
      Get("/api/v1/query_exemplars")->body,
      R"({"status":"error","errorType":"bad_data","error":"1:1: parse error: no expression found in input"})");
  EXPECT_EQ(
      Get("/api/v1/query_exemplars?query=up&start=x")->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})");
}

TEST_F(PrometheusApiTest, RulesAndAlertsAreEmptyUntilSluiceHasRules) {
  Start();
  for (const char* target : {"/api/v1/rules", "/api/v1/rules?type=alert",
                             "/api/v1/rules?group_limit=100&exclude_alerts=false"}) {
    auto r = Get(target);
    EXPECT_THAT(r->content_type, HasSubstr("json"));
    EXPECT_EQ(r->body, R"({"status":"success","data":{"groups":[]}})") << target;
  }
  EXPECT_EQ(
      Get("/api/v1/rules?type=foo")->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"type\": not supported value \"foo\""})");
  EXPECT_EQ(Get("/api/v1/alerts")->body, R"({"status":"success","data":{"alerts":[]}})");
}

TEST_F(PrometheusApiTest, FormatAndParseQuery) {
  Start();
  EXPECT_EQ(Get("/api/v1/format_query?query=" + Q("sum(rate(x[5m]))by(job)"))->body,
            R"json({"status":"success","data":"sum by (job) (rate(x[5m]))"})json");
  EXPECT_EQ(
      PostForm("/api/v1/format_query", "query=" + Q("sum("))->body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})");
  auto parsed = Get("/api/v1/parse_query?query=" + Q("sum(rate(x[5m]))by(job)"));
  EXPECT_EQ(parsed->status, 200) << parsed->body;
  EXPECT_TRUE(parsed->Data().is_object()) << parsed->body;
  EXPECT_EQ(Get("/api/v1/parse_query?query=" + Q("sum("))->ErrorType(), "bad_data");
}

TEST_F(PrometheusApiTest, StatusEndpoints) {
  Start();
  auto build = Get("/api/v1/status/buildinfo");
  std::string_view version;
  EXPECT_EQ(build->Data()["version"].get(version), simdjson::SUCCESS);
  EXPECT_EQ(version, "2.42.0");
  EXPECT_EQ(build->body.find("features"), std::string::npos);  // plain Prometheus to Grafana
  auto runtime = Get("/api/v1/status/runtimeinfo");
  EXPECT_EQ(runtime->Status(), "success") << runtime->body;
  std::string_view start;
  EXPECT_EQ(runtime->Data()["startTime"].get(start), simdjson::SUCCESS);
  EXPECT_THAT(std::string(start), ::testing::MatchesRegex("20[0-9][0-9]-.*Z"));
  EXPECT_TRUE(runtime->Data()["reloadConfigSuccess"].get_bool().value());
  // Grafana takes any 200 here for Thanos and then probes a ruler Sluice does not have.
  EXPECT_EQ(Get("/api/v1/status/flags")->status, 404);
}

// ---- Grafana's Prometheus data source, request for request (contract §7) ---------------------

TEST_F(PrometheusApiTest, GrafanaReplay) {
  Start();
  Seed();
  const std::string s = std::to_string(kS);
  const std::string e = std::to_string(kE);
  // P1: health check, POST (the default) and GET.
  for (auto& r :
       {PostForm("/api/v1/query", "query=1%2B1&time=4"), Get("/api/v1/query?query=1%2B1&time=4")}) {
    ExpectQueryEnvelope(*r, "scalar");
    EXPECT_EQ(simdjson::minify(r->Data()["result"]), R"([4,"2"])");
  }
  // P3: buildinfo without features.
  auto build = Get("/api/v1/status/buildinfo");
  EXPECT_TRUE(build->Data()["version"].is_string());
  EXPECT_EQ(build->body.find("features"), std::string::npos);
  // P4: a panel's range query.
  auto range =
      PostForm("/api/v1/query_range", "end=" + e + "&query=" + Q("rate(http_requests_total[1m])") +
                                          "&start=" + s + "&step=15");
  ExpectQueryEnvelope(*range, "matrix");
  simdjson::dom::array values = range->Data()["result"].at(0)["values"].get_array();
  EXPECT_EQ(values.at(0).at(0).get_double().value(), static_cast<double>(kS + 15));
  EXPECT_EQ(values.at(values.size() - 1).at(0).get_double().value(), static_cast<double>(kE));
  EXPECT_TRUE(values.at(0).at(1).is_string());
  // P5: fractional step and a timeout over 30 s.
  auto fine = Get("/api/v1/query_range?query=up&start=" + s + "&end=" + std::to_string(kS + 30) +
                  "&step=0.5&timeout=30s");
  ExpectQueryEnvelope(*fine, "matrix");
  EXPECT_EQ(fine->Data()["result"].at(0)["values"].get_array().size(), 61u);
  // P6: an alert's instant query at a time with milliseconds.
  auto instant = PostForm("/api/v1/query", "query=up&time=1767229200.123");
  ExpectQueryEnvelope(*instant, "vector");
  EXPECT_EQ(simdjson::minify(instant->Data()["result"].at(0)["value"]), R"([1767229200.123,"1"])");
  // P7: a syntax error.
  auto broken = PostForm("/api/v1/query", "query=sum(");
  EXPECT_EQ(broken->status, 400);
  EXPECT_EQ(broken->Status(), "error");
  EXPECT_EQ(broken->ErrorType(), "bad_data");
  EXPECT_FALSE(broken->Error().empty());
  // P8: label names, POST then GET.
  for (auto& r : {PostForm("/api/v1/labels", "end=" + e + "&limit=40000&start=" + s),
                  Get("/api/v1/labels?end=" + e + "&limit=40000&start=" + s)}) {
    EXPECT_EQ(r->Status(), "success") << r->body;
    EXPECT_THAT(r->Strings(r->Data()), IsSupersetOf({"__name__", "job"}));
  }
  // P9, P10: metric names and a label's values.
  auto metrics = Get("/api/v1/label/__name__/values?end=" + e + "&limit=40000&start=" + s);
  EXPECT_THAT(metrics->Strings(metrics->Data()), IsSupersetOf({"http_requests_total", "up"}));
  auto jobs = Get("/api/v1/label/job/values?end=" + e + "&limit=40000&match%5B%5D=up&start=" + s);
  EXPECT_EQ(jobs->Strings(jobs->Data()), std::vector<std::string>{"p"});
  // P11: the series endpoint.
  auto series =
      PostForm("/api/v1/series",
               "end=" + e + "&limit=40000&match%5B%5D=" + Q("{__name__!=\"\"}") + "&start=" + s);
  EXPECT_EQ(series->Status(), "success") << series->body;
  for (simdjson::dom::element m : series->Data().get_array()) {
    std::string_view name;
    EXPECT_EQ(m["__name__"].get(name), simdjson::SUCCESS);
  }
  // P12: metadata (empty: imports carry none).
  auto metadata = Get("/api/v1/metadata?limit=40000");
  EXPECT_TRUE(metadata->Data().is_object()) << metadata->body;
  // P13: the exemplar probe with milliseconds.
  EXPECT_EQ(
      PostForm("/api/v1/query_exemplars", "end=1767229200000&query=test&start=1767227400000")->body,
      R"({"status":"success","data":[]})");
  // P14: the alert-rule listing.
  auto rules = Get("/api/v1/rules");
  EXPECT_THAT(rules->content_type, HasSubstr("json"));
  EXPECT_TRUE(rules->Data()["groups"].is_array());
  EXPECT_TRUE(Get("/api/v1/alerts")->Data()["alerts"].is_array());
  // P15: not Thanos.
  EXPECT_EQ(Get("/api/v1/status/flags")->status, 404);
  // Template variables (query_result) and the fallback discovery query.
  ExpectQueryEnvelope(*Get("/api/v1/query?query=prometheus_build_info&time=" + e), "vector");
}

// ---- Parameters, read as Go reads them ----------------------------------------------------------

int64_t StorageMsOf(std::string_view text) {
  Result<promapi::GoTime> t = promapi::ParseTime(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().message();
  return t.ok() ? promapi::StorageMs(*t) : 0;
}

TEST(PrometheusApiParams, TimesAreRfc3339OrSecondsRoundedToMilliseconds) {
  EXPECT_EQ(StorageMsOf("1767225600"), 1767225600000);
  EXPECT_EQ(StorageMsOf("1767225600.1234"), 1767225600123);
  EXPECT_EQ(StorageMsOf("+1.5e3"), 1500000);
  EXPECT_EQ(StorageMsOf("0x1p4"), 16000);
  EXPECT_EQ(StorageMsOf("2024-02-29T23:59:59.999999999Z"), 1709251199999);
  EXPECT_EQ(StorageMsOf("2024-02-29T23:59:59,5+02:30"), 1709242199500);
  EXPECT_EQ(StorageMsOf("2024-01-01T1:02:03Z"), 1704070923000);
  EXPECT_EQ(StorageMsOf("1970-01-01T00:00:00.123456789Z"), 123);
  EXPECT_EQ(StorageMsOf("1_0.5"), 10500);
  EXPECT_EQ(StorageMsOf("0x_1p4"), 16000);
  EXPECT_EQ(StorageMsOf("2024-01-01T00:00:00+99:00"), 1703710800000);
  // Prometheus' own min and max times (what clients send for "all time"), and a variant.
  EXPECT_EQ(StorageMsOf("-292273086-05-16T16:47:06Z"), -9223309901257974000);
  EXPECT_EQ(StorageMsOf("292277025-08-18T07:12:54.999999999Z"), 9223309901257974999);
  EXPECT_EQ(StorageMsOf("292277025-08-17T07:12:55.807Z"), 9223309901171575807);
  for (std::string_view bad : {"", " 1", "1 ", "0x10", "+nan", "1e", "2023-02-29T00:00:00Z",
                               "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-1-01T00:00:00Z",
                               "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "1e400", "_1",
                               "1__0", "1970-01-01T00:00:00.1234567891Z", "2024-01-01T00:00:00z"}) {
    Result<promapi::GoTime> t = promapi::ParseTime(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().message(),
                fmt::format("cannot parse {} to a valid timestamp", promapi::GoQuote(bad)));
    }
  }
}

TEST(PrometheusApiParams, DurationsLimitsAndQuoting) {
  EXPECT_EQ(promapi::ParseDurationNs("15").value(), 15'000'000'000);
  EXPECT_EQ(promapi::ParseDurationNs("0.5").value(), 500'000'000);
  EXPECT_EQ(promapi::ParseDurationNs("1h30m").value(), 5'400'000'000'000);
  EXPECT_EQ(promapi::ParseDurationNs("0").value(), 0);
  EXPECT_EQ(promapi::ParseDurationNs("-1").value(), -1'000'000'000);
  EXPECT_EQ(promapi::ParseDurationNs("1e10").status().message(),
            "cannot parse \"1e10\" to a valid duration. It overflows int64");
  EXPECT_EQ(promapi::ParseDurationNs("5x").status().message(),
            "cannot parse \"5x\" to a valid duration");
  EXPECT_EQ(promapi::ParseLimit("").value(), 0u);
  EXPECT_EQ(promapi::ParseLimit("+40000").value(), 40000u);
  EXPECT_EQ(promapi::ParseLimit("-1").status().message(), "limit must be non-negative");
  EXPECT_EQ(promapi::ParseLimit("1.5").status().message(),
            "strconv.Atoi: parsing \"1.5\": invalid syntax");
  EXPECT_EQ(promapi::ParseLimit("99999999999999999999").status().message(),
            "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
  EXPECT_EQ(promapi::GoQuote("a\"b\\c\n\x01\xff\xc3\xa9"), R"("a\"b\\c\n\x01\xffé")");
}

// ---- The evaluation threads ------------------------------------------------------------------

// A task that blocks its worker until released.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  void Wait() {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void WaitEntered(int n) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered >= n; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(PrometheusApiQueryExecutor, RefusesBeyondTheQueueAndRunsEveryTaskOnce) {
  prometheus::Registry registry;
  QueryExecutor executor({.threads = 1, .max_queued = 1}, registry);
  Gate gate;
  std::atomic<int> ran{0};
  std::vector<std::string> outcomes(4);
  auto task = [&](int i, bool block) {
    return MakeQueryTask([&, i, block](const Status& admitted, const std::atomic<bool>&) {
      outcomes[static_cast<size_t>(i)] = admitted.ok() ? "ran" : admitted.message();
      if (admitted.ok() && block) gate.Wait();
      ran.fetch_add(1);
    });
  };
  executor.Submit(task(0, true));
  gate.WaitEntered(1);
  executor.Submit(task(1, false));  // waits in the queue
  executor.Submit(task(2, false));  // refused at once
  EXPECT_THAT(outcomes[2], HasSubstr("too many queries"));
  gate.Open();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ran.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  executor.Stop();
  executor.Submit(task(3, false));  // after Stop: refused
  EXPECT_EQ(ran.load(), 4);
  EXPECT_EQ(outcomes[0], "ran");
  EXPECT_EQ(outcomes[1], "ran");
  EXPECT_THAT(outcomes[3], HasSubstr("shutting down"));
}

TEST(PrometheusApiQueryExecutor, ATenantAtItsLimitIsRefusedAndOthersAreNot) {
  prometheus::Registry registry;
  QueryExecutor executor({.threads = 1, .max_queued = 10}, registry);
  executor.SetTenantLimits(2, {{"roomy", 0}});
  Gate gate;
  std::mutex mu;
  std::vector<std::string> outcomes;
  std::atomic<int> ran{0};
  auto task = [&](std::string name, bool block) {
    return MakeQueryTask([&, name, block](const Status& admitted, const std::atomic<bool>&) {
      {
        std::lock_guard lock(mu);
        outcomes.push_back(name + ": " + (admitted.ok() ? "ran" : admitted.message()));
      }
      if (admitted.ok() && block) gate.Wait();
      ran.fetch_add(1);
    });
  };
  executor.Submit(task("a1", true), "a");
  gate.WaitEntered(1);
  executor.Submit(task("a2", false), "a");  // queued: a has 2
  executor.Submit(task("a3", false), "a");  // refused at once
  {
    // a1 is running (and said so), a2 waits, a3 was answered at once. No ASSERT here: the
    // gate must open whatever happens, or the worker never ends.
    std::lock_guard lock(mu);
    EXPECT_EQ(outcomes.size(), 2u);
    EXPECT_THAT(outcomes.back(), HasSubstr("a3: tenant a already has 2 queries queued or running"));
    EXPECT_THAT(outcomes.back(), HasSubstr("limits.max_concurrent_queries"));
  }
  executor.Submit(task("b1", false), "b");  // another tenant is not affected
  for (int i = 0; i < 3; ++i) executor.Submit(task("roomy", false), "roomy");  // no limit
  executor.Submit(task("untenanted", false));
  gate.Open();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ran.load() < 8 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Once a's tasks are done, a gets its slots back.
  std::atomic<int> again{-1};  // 1 admitted, 0 refused
  executor.Submit(MakeQueryTask([&](const Status& admitted, const std::atomic<bool>&) {
                    again = admitted.ok() ? 1 : 0;
                  }),
                  "a");
  while (again.load() < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  executor.Stop();
  EXPECT_EQ(ran.load(), 8);
  EXPECT_EQ(again.load(), 1);
  std::lock_guard lock(mu);
  int refused = 0;
  for (const std::string& o : outcomes) refused += o.find(": ran") == std::string::npos;
  EXPECT_EQ(refused, 1);
}

TEST(PrometheusApiQueryExecutor, StopCancelsRunningTasksAndRefusesQueuedOnes) {
  prometheus::Registry registry;
  QueryExecutor executor({.threads = 1, .max_queued = 4}, registry);
  std::atomic<bool> started{false};
  std::atomic<bool> saw_cancel{false};
  std::string queued_outcome;
  executor.Submit(MakeQueryTask([&](const Status&, const std::atomic<bool>& cancelled) {
    started = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!cancelled.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    saw_cancel = cancelled.load();
  }));
  executor.Submit(MakeQueryTask([&](const Status& admitted, const std::atomic<bool>&) {
    queued_outcome = admitted.ok() ? "ran" : admitted.message();
  }));
  while (!started.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  executor.Stop();
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_THAT(queued_outcome, HasSubstr("shutting down"));
}

}  // namespace
}  // namespace sluice::daemon

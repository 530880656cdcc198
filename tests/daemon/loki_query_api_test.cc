// Loki's query API end to end through a running daemon: logs pushed over HTTP, then Grafana's
// Loki data source requests replayed as it sends them (../shared/grafana-contract.md §7 L1-L19)
// and each answer checked for what Grafana parses.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/daemon_fixture.h"
#include "tests/support/metrics_export.h"

namespace sluice::daemon {
namespace {

using ::testing::HasSubstr;
using testing::UrlEncode;

// The contract's hour: S = 2026-01-01T00:00:00Z, E = S + 1h, in nanoseconds.
constexpr int64_t kS = 1767225600'000000000;
constexpr int64_t kE = 1767229200'000000000;
constexpr int64_t kMinute = 60'000000000;
using testing::Headers;
using Reply = testing::JsonReply;
const Headers kCategorize = {{"X-Loki-Response-Encoding-Flags", "categorize-labels"}};

int64_t EntryTs(simdjson::dom::array e) {
  return std::stoll(std::string(e.at(0).get_string().value()));
}

class LokiQueryApiTest : public testing::DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start());
    Seed();
  }

  // The contract's seed: {job="app",level="info"} and {job="app",level="error"} with logfmt
  // lines and a trace_id in structured metadata, one entry a minute over [S, E) per stream
  // (error ones 30 s later), plus one entry at exactly E.
  void Seed() {
    std::string info, error;
    for (int i = 0; i < 60; ++i) {
      int64_t t = kS + i * kMinute;
      info += fmt::format(R"({}["{}","level=info msg=\"ok {}\" took={}ms",{{"trace_id":"t{}"}}])",
                          i ? "," : "", t, i, i + 1, i);
      error += fmt::format(R"({}["{}","level=error msg=\"failed {}\" took={}ms"])", i ? "," : "",
                           t + kMinute / 2, i, 100 + i);
    }
    info += fmt::format(R"(,["{}","level=info msg=\"at E\" took=1ms"])", kE);
    std::string body =
        fmt::format(R"({{"streams":[{{"stream":{{"job":"app","level":"info"}},"values":[{}]}},)"
                    R"({{"stream":{{"job":"app","level":"error"}},"values":[{}]}}]}})",
                    info, error);
    PushLoki(body);
  }

  static std::string Range(const std::string& query, const std::string& extra = "",
                           std::string_view direction = "backward") {
    return fmt::format("/loki/api/v1/query_range?direction={}&end={}&query={}&start={}{}",
                       direction, kE, UrlEncode(query), kS, extra);
  }

  // C-env: 200, JSON content type, status success, resultType present and before result.
  static void ExpectEnvelope(const Reply& r, std::string_view type) {
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_THAT(r.content_type, HasSubstr("json"));
    ASSERT_TRUE(r.is_json) << r.body;
    EXPECT_EQ(r.json["status"].get_string().value(), "success");
    EXPECT_EQ(r.Data()["resultType"].get_string().value(), type);
    size_t type_at = r.body.find("\"resultType\"");
    size_t result_at = r.body.find("\"result\"");
    EXPECT_LT(type_at, result_at);
  }
};

TEST_F(LokiQueryApiTest, L1HealthCheck) {
  auto r = Get("/loki/api/v1/query?direction=backward&query=" + UrlEncode("vector(1)+vector(1)") +
                   "&time=4000000000",
               kCategorize);
  ExpectEnvelope(*r, "vector");
  simdjson::dom::array result = r->Data()["result"].get_array().value();
  ASSERT_EQ(result.size(), 1u);
  simdjson::dom::array value = result.at(0)["value"].get_array().value();
  // 10 digits or fewer: seconds, as Loki reads them.
  EXPECT_EQ(value.at(0).get_double().value(), 4000000000.0);
  EXPECT_EQ(value.at(1).get_string().value(), "2");
}

TEST_F(LokiQueryApiTest, L2L3StreamsWithAndWithoutCategorizedLabels) {
  auto r = Get(Range(R"({job="app"})", "&limit=1000&step=2000ms"), kCategorize);
  ExpectEnvelope(*r, "streams");
  EXPECT_LT(r->body.find("\"encodingFlags\""), r->body.find("\"result\""));
  auto entries = r->Entries();
  EXPECT_EQ(entries.size(), 120u);  // the entry at E is outside [S, E)
  bool saw_start = false;
  for (auto& [stream, e] : entries) {
    ASSERT_EQ(e.size(), 3u);
    int64_t ts = EntryTs(e);
    EXPECT_GE(ts, kS);
    EXPECT_LT(ts, kE);
    saw_start = saw_start || ts == kS;
    EXPECT_EQ(stream.size(), 2u);  // job and level only
    simdjson::dom::object extra = e.at(2).get_object().value();
    std::string_view level = stream["level"].get_string().value();
    if (level == "info") {
      EXPECT_TRUE(extra["structuredMetadata"]["trace_id"].is_string());
    }
  }
  EXPECT_TRUE(saw_start);

  r = Get(Range(R"({job="app"})", "&limit=1000&step=2000ms"));
  ExpectEnvelope(*r, "streams");
  EXPECT_EQ(r->body.find("encodingFlags"), std::string::npos);
  for (auto& [stream, e] : r->Entries()) {
    ASSERT_EQ(e.size(), 2u);
    if (stream["level"].get_string().value() == "info") {
      EXPECT_TRUE(stream["trace_id"].is_string());
    }
  }
}

TEST_F(LokiQueryApiTest, L4L5LimitAndDirection) {
  auto r = Get(Range(R"({job="app"})", "&limit=5&step=2000ms"), kCategorize);
  ExpectEnvelope(*r, "streams");
  std::vector<int64_t> ts;
  for (auto& [stream, e] : r->Entries()) ts.push_back(EntryTs(e));
  ASSERT_EQ(ts.size(), 5u);
  std::sort(ts.begin(), ts.end());
  // The 5 newest before E: 57:30, 58:00, 58:30, 59:00, 59:30.
  EXPECT_EQ(ts.front(), kS + 57 * kMinute + kMinute / 2);
  EXPECT_EQ(ts.back(), kS + 59 * kMinute + kMinute / 2);

  r = Get(Range(R"({job="app"})", "&limit=5&step=2000ms", "forward"));
  ExpectEnvelope(*r, "streams");
  ts.clear();
  for (auto& [stream, e] : r->Entries()) ts.push_back(EntryTs(e));
  ASSERT_EQ(ts.size(), 5u);
  std::sort(ts.begin(), ts.end());
  EXPECT_EQ(ts.front(), kS);
  EXPECT_EQ(ts.back(), kS + 2 * kMinute);
}

TEST_F(LokiQueryApiTest, L6FilterAndParsedLabels) {
  auto r =
      Get(Range(R"({job="app"} |= "failed" | logfmt)", "&limit=1000&step=2000ms"), kCategorize);
  ExpectEnvelope(*r, "streams");
  auto entries = r->Entries();
  EXPECT_EQ(entries.size(), 60u);
  for (auto& [stream, e] : entries) {
    EXPECT_THAT(std::string(e.at(1).get_string().value()), HasSubstr("failed"));
    simdjson::dom::object extra = e.at(2).get_object().value();
    EXPECT_TRUE(extra["parsed"]["took"].is_string());
    EXPECT_TRUE(stream["took"].error());  // parsed labels are not stream labels
  }
}

TEST_F(LokiQueryApiTest, L8VolumeHistogram) {
  auto r = Get(
      Range(R"(sum by (level, detected_level) (count_over_time({job="app"} | drop __error__[1m])))",
            "&step=60000ms"),
      {{"X-Query-Tags", "Source=logvolhist"}});
  ExpectEnvelope(*r, "matrix");
  std::set<std::string> levels;
  for (simdjson::dom::element s : r->Data()["result"].get_array()) {
    simdjson::dom::object metric = s["metric"].get_object().value();
    for (auto field : metric) EXPECT_TRUE(field.key == "level" || field.key == "detected_level");
    levels.insert(std::string(metric["level"].get_string().value()));
    for (simdjson::dom::element v : s["values"].get_array()) {
      double t = v.at(0).get_double().value();
      EXPECT_GE(t, kS / 1e9);
      EXPECT_LE(t, kE / 1e9);
      EXPECT_EQ(static_cast<int64_t>(t) % 60, 0);
      EXPECT_TRUE(v.at(1).is_string());
    }
  }
  EXPECT_EQ(levels, (std::set<std::string>{"error", "info"}));
}

TEST_F(LokiQueryApiTest, L9MetricRangeEndIsInclusiveAndChunksJoin) {
  const std::string q = R"(sum(count_over_time({job="app"}[5m])))";
  auto whole = Get(Range(q, "&step=15000ms"));
  ExpectEnvelope(*whole, "matrix");
  simdjson::dom::array values = whole->Data()["result"].at(0)["values"].get_array().value();
  EXPECT_EQ(values.at(values.size() - 1).at(0).get_double().value(), kE / 1e9);
  const int64_t mid = kS + 30 * kMinute;
  auto first = Get(fmt::format("/loki/api/v1/query_range?query={}&start={}&end={}&step=15000ms",
                               UrlEncode(q), kS, mid - 15'000000000));
  auto second = Get(fmt::format("/loki/api/v1/query_range?query={}&start={}&end={}&step=15000ms",
                                UrlEncode(q), mid, kE));
  ExpectEnvelope(*first, "matrix");
  ExpectEnvelope(*second, "matrix");
  std::vector<std::pair<double, std::string>> joined;
  for (const Reply* part : {first.get(), second.get()}) {
    for (simdjson::dom::element v : part->Data()["result"].at(0)["values"].get_array()) {
      joined.emplace_back(v.at(0).get_double().value(), std::string(v.at(1).get_string().value()));
    }
  }
  std::vector<std::pair<double, std::string>> single;
  for (simdjson::dom::element v : values) {
    single.emplace_back(v.at(0).get_double().value(), std::string(v.at(1).get_string().value()));
  }
  EXPECT_EQ(joined, single);
}

TEST_F(LokiQueryApiTest, L10LogChunksJoinWithoutDuplicates) {
  const int64_t mid = kS + 30 * kMinute;
  std::multiset<int64_t> joined;
  for (auto [from, to] : {std::pair{kS, mid}, std::pair{mid, kE}}) {
    auto r =
        Get(fmt::format("/loki/api/v1/query_range?direction=backward&limit=1000&query={}"
                        "&start={}&end={}",
                        UrlEncode(R"({job="app"})"), from, to));
    ExpectEnvelope(*r, "streams");
    for (auto& [stream, e] : r->Entries()) joined.insert(EntryTs(e));
  }
  EXPECT_EQ(joined.size(), 120u);
  EXPECT_EQ(joined.count(mid), 1u);
}

TEST_F(LokiQueryApiTest, L11InstantMetricQuery) {
  auto r = Get(fmt::format("/loki/api/v1/query?direction=backward&limit=1000&query={}&time={}",
                           UrlEncode(R"(sum by (level)(count_over_time({job="app"}[1h])))"), kE));
  ExpectEnvelope(*r, "vector");
  simdjson::dom::array result = r->Data()["result"].get_array().value();
  ASSERT_EQ(result.size(), 2u);
  for (simdjson::dom::element s : result) {
    // (S, E]: info has 59 entries after S plus the one at E; error all 60.
    EXPECT_EQ(s["value"].at(1).get_string().value(), "60") << s;
  }
}

TEST_F(LokiQueryApiTest, L12L13Errors) {
  auto r = Get(Range(R"({job="app")", "&limit=1000"));
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_THAT(r->body, HasSubstr("parse error"));
  r = Get(fmt::format("/loki/api/v1/query?direction=backward&query={}&time={}",
                      UrlEncode(R"({job="app"})"), kE));
  EXPECT_TRUE(r->status == 200 || r->status == 400) << r->status;
  if (r->status == 200) ExpectEnvelope(*r, "streams");
  r = Get(Range(R"({job="app"})", "&limit=100000"));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("max entries limit"));
}

TEST_F(LokiQueryApiTest, L14L16L18LabelsValuesAndSeries) {
  auto labels = [&](const std::string& target) {
    auto r = Get(target);
    EXPECT_EQ(r->status, 200) << r->body;
    std::vector<std::string> out;
    for (simdjson::dom::element e : r->Data().get_array()) {
      out.emplace_back(e.get_string().value());
    }
    return out;
  };
  const std::string range = fmt::format("start={}&end={}", kS, kE);
  EXPECT_EQ(labels("/loki/api/v1/labels?" + range), (std::vector<std::string>{"job", "level"}));
  EXPECT_EQ(labels("/loki/api/v1/labels?" + range + "&query=" + UrlEncode(R"({job="app"})")),
            (std::vector<std::string>{"job", "level"}));
  EXPECT_EQ(labels("/loki/api/v1/label/level/values?" + range),
            (std::vector<std::string>{"error", "info"}));
  EXPECT_EQ(labels("/loki/api/v1/label/level/values?" + range +
                   "&query=" + UrlEncode(R"({job="app",level="info"})")),
            (std::vector<std::string>{"info"}));
  auto r = Get("/loki/api/v1/series?match%5B%5D=" + UrlEncode(R"({job="app"})") + "&" + range);
  ASSERT_EQ(r->status, 200);
  simdjson::dom::array series = r->Data().get_array().value();
  EXPECT_EQ(series.size(), 2u);
  for (simdjson::dom::element s : series) {
    EXPECT_EQ(s["job"].get_string().value(), "app");
  }
}

TEST_F(LokiQueryApiTest, FormatQuery) {
  auto r = Get("/loki/api/v1/format_query?query=" +
               UrlEncode(R"({job="app"}|="x"|logfmt|level="error")"));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->Data().get_string().value(), R"({job="app"} |= "x" | logfmt | level="error")");
}

TEST_F(LokiQueryApiTest, TenantsAreIsolated) {
  auto r = Get(Range(R"({job="app"})", "&limit=10"), {{"X-Scope-OrgID", "other"}});
  ExpectEnvelope(*r, "streams");
  EXPECT_TRUE(r->Entries().empty());
}

}  // namespace
}  // namespace sluice::daemon

// Loki's index and Drilldown endpoints end to end through a running daemon: logs pushed over
// HTTP, then the requests of Grafana's Loki data source and Logs Drilldown replayed as they send
// them (../shared/grafana-contract.md §7 L19-L24), with the numbers checked against the seed.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/daemon_fixture.h"
#include "tests/support/metrics_export.h"

namespace sluice::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::UrlEncode;

// The contract's hour: S = 2026-01-01T00:00:00Z, E = S + 1h, in nanoseconds.
constexpr int64_t kS = 1767225600'000000000;
constexpr int64_t kE = 1767229200'000000000;
constexpr int64_t kMinute = 60'000000000;
constexpr std::string_view kRfcS = "2026-01-01T00:00:00.000Z";
constexpr std::string_view kRfcE = "2026-01-01T01:00:00.000Z";
constexpr std::string_view kRfcHalf = "2026-01-01T00:30:00Z";
const char* const kUuids[] = {"0d9f4a3e-8c4b-4b5e-9f0a-1c2d3e4f5a6b",
                              "1e8a5b4f-9d5c-4c6f-8a1b-2d3e4f5a6b7c",
                              "2f7b6c5a-ae6d-4d7a-9b2c-3e4f5a6b7c8d"};
using testing::Headers;
using Reply = testing::JsonReply;

class LokiIndexApiTest : public testing::DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start());
    Seed();
  }

  // A 200 JSON answer.
  std::unique_ptr<Reply> GetJson(const std::string& target, const Headers& headers = {}) {
    auto r = Get(target, headers);
    EXPECT_EQ(r->status, 200) << target << ": " << r->body;
    EXPECT_THAT(r->content_type, HasSubstr("json"));
    EXPECT_TRUE(r->is_json) << r->body;
    return r;
  }

  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }

  // The contract's seed: {job="app",level="info"} and {job="app",level="error"} with logfmt lines
  // (a trace_id in structured metadata on info ones), one a minute over [S, E) (error ones 30 s
  // later) and one info line at exactly E. Three {job="api",instance_id=<uuid>} streams with JSON
  // lines. Tenant "other" has its own {job="app",level="info"}.
  void Seed() {
    std::string info, error;
    for (int i = 0; i < 60; ++i) {
      std::string line = fmt::format(R"(level=info msg="ok {}" took={}ms)", i, i + 1);
      info_bytes_ += line.size();
      info += fmt::format(R"({}["{}",{},{{"trace_id":"t{}"}}])", i ? "," : "", kS + i * kMinute,
                          Quote(line), i);
      line = fmt::format(R"(level=error msg="failed {}" took={}ms)", i, 100 + i);
      error_bytes_ += line.size();
      error +=
          fmt::format(R"({}["{}",{}])", i ? "," : "", kS + i * kMinute + kMinute / 2, Quote(line));
    }
    info += fmt::format(R"(,["{}","level=info msg=\"at E\" took=1ms"])", kE);
    std::string api;
    for (int k = 0; k < 3; ++k) {
      std::string values;
      for (int j = 0; j < 10; ++j) {
        std::string line =
            fmt::format(R"({{"status":{},"latency":{}.5,"ok":{},"dur":"1.5s","size":"10KB",)"
                        R"("user":{{"name":"u{}","id":"x"}},"tags":["a"],"msg":"hello"}})",
                        200 + j, j, j % 2 ? "true" : "false", j % 3);
        api_bytes_ += line.size();
        values += fmt::format(R"({}["{}",{}])", j ? "," : "",
                              kS + j * 5 * kMinute + k * 1'000'000'000LL, Quote(line));
      }
      api += fmt::format(R"(,{{"stream":{{"job":"api","instance_id":"{}"}},"values":[{}]}})",
                         kUuids[k], values);
    }
    PushLoki(
        fmt::format(R"({{"streams":[{{"stream":{{"job":"app","level":"info"}},"values":[{}]}},)"
                    R"({{"stream":{{"job":"app","level":"error"}},"values":[{}]}}{}]}})",
                    info, error, api));

    std::string other;
    for (int i = 0; i < 5; ++i) {
      std::string line = fmt::format("level=info msg=other{}", i);
      other_bytes_ += line.size();
      other += fmt::format(R"({}["{}",{}])", i ? "," : "", kS + i * kMinute, Quote(line));
    }
    PushLoki(
        fmt::format(R"({{"streams":[{{"stream":{{"job":"app","level":"info"}},"values":[{}]}}]}})",
                    other),
        {{"X-Scope-OrgID", "other"}});
  }

  static std::string Target(std::string_view path, const std::string& query,
                            const std::string& extra = "") {
    return fmt::format("/loki/api/v1/{}?start={}&end={}&query={}{}", path, kS, kE, UrlEncode(query),
                       extra);
  }

  // A vector or matrix volume answer: metric text -> the value (or the values' sum).
  static std::map<std::string, uint64_t> Volumes(const Reply& r, std::string_view type) {
    std::map<std::string, uint64_t> out;
    EXPECT_EQ(r.json["status"].get_string().value(), "success");
    EXPECT_EQ(r.json["data"]["resultType"].get_string().value(), type);
    EXPECT_LT(r.body.find("\"resultType\""), r.body.find("\"result\""));
    for (simdjson::dom::element s : r.json["data"]["result"].get_array()) {
      std::string metric = simdjson::to_string(s["metric"]);
      if (type == "vector") {
        simdjson::dom::array value = s["value"].get_array().value();
        EXPECT_EQ(value.at(0).get_double().value(), static_cast<double>(kE / 1'000'000'000));
        out[metric] += std::stoull(std::string(value.at(1).get_string().value()));
      } else {
        for (simdjson::dom::element v : s["values"].get_array()) {
          out[metric] += std::stoull(std::string(v.get_array().at(1).get_string().value()));
        }
      }
    }
    return out;
  }

  struct Field {
    std::string type;
    uint64_t cardinality = 0;
    std::vector<std::string> parsers;
    bool parsers_null = false;
    std::vector<std::string> json_path;
  };
  static std::map<std::string, Field> Fields(const Reply& r) {
    std::map<std::string, Field> out;
    for (simdjson::dom::element f : r.json["fields"].get_array()) {
      Field field;
      field.type = std::string(f["type"].get_string().value());
      field.cardinality = f["cardinality"].get_uint64().value();
      field.parsers_null = f["parsers"].is_null();
      if (!field.parsers_null) {
        for (simdjson::dom::element p : f["parsers"].get_array()) {
          field.parsers.emplace_back(p.get_string().value());
        }
      }
      if (f["jsonPath"].is_array()) {
        for (simdjson::dom::element p : f["jsonPath"].get_array()) {
          field.json_path.emplace_back(p.get_string().value());
        }
      }
      out[std::string(f["label"].get_string().value())] = field;
    }
    return out;
  }

  uint64_t info_bytes_ = 0, error_bytes_ = 0, api_bytes_ = 0, other_bytes_ = 0;
};

// ---- index/stats -----------------------------------------------------------------------------

TEST_F(LokiIndexApiTest, L19StatsIsABareObjectWithTheSeedsNumbers) {
  auto r = GetJson(Target("index/stats", R"({job="app"})"));
  ASSERT_TRUE(r->is_json);
  EXPECT_FALSE(r->json["status"].is_string());  // not wrapped in status/data
  EXPECT_EQ(r->json["streams"].get_uint64().value(), 2u);
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 120u);  // the line at E is outside
  EXPECT_EQ(r->json["bytes"].get_uint64().value(), info_bytes_ + error_bytes_);
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 2u) << "each stream's head";

  r = GetJson(Target("index/stats", R"({job="app", level="error"})"));
  EXPECT_EQ(r->json["streams"].get_uint64().value(), 1u);
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 60u);
  EXPECT_EQ(r->json["bytes"].get_uint64().value(), error_bytes_);

  r = GetJson(Target("index/stats", R"({job="nothing"})"));
  EXPECT_EQ(r->body, R"({"streams":0,"chunks":0,"bytes":0,"entries":0})");
}

TEST_F(LokiIndexApiTest, StatsCountStorageBlocksAsChunks) {
  const std::string all = Target("index/stats", R"({job="app"})");
  const std::string half = fmt::format("/loki/api/v1/index/stats?query={}&start={}&end={}",
                                       UrlEncode(R"({job="app"})"), kRfcS, kRfcHalf);
  auto r = GetJson(all);
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 2u) << "two heads";

  // Sealed, each head becomes a block; then a second push of the last half hour goes to the
  // heads and is sealed into a second block per stream.
  ASSERT_EQ(Call("POST", "/internal/force_flush")->status, 200);
  r = GetJson(all);
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 2u) << "two blocks";
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 120u);
  EXPECT_EQ(r->json["bytes"].get_uint64().value(), info_bytes_ + error_bytes_);

  std::string info, error;
  uint64_t late_bytes = 0;
  for (int i = 0; i < 4; ++i) {
    std::string line = fmt::format("level=info msg=late{}", i);
    late_bytes += line.size() * 2;
    info += fmt::format(R"({}["{}",{}])", i ? "," : "", kS + 40 * kMinute + i, Quote(line));
    error += fmt::format(R"({}["{}",{}])", i ? "," : "", kS + 40 * kMinute + i, Quote(line));
  }
  PushLoki(fmt::format(R"({{"streams":[{{"stream":{{"job":"app","level":"info"}},"values":[{}]}},)"
                       R"({{"stream":{{"job":"app","level":"error"}},"values":[{}]}}]}})",
                       info, error));
  r = GetJson(all);
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 4u) << "two blocks and two heads";
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 128u);
  ASSERT_EQ(Call("POST", "/internal/force_flush")->status, 200);
  r = GetJson(all);
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 4u) << "four blocks";
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 128u);
  EXPECT_EQ(r->json["bytes"].get_uint64().value(), info_bytes_ + error_bytes_ + late_bytes);

  // The first half hour touches only the first block of each stream, and cuts it.
  r = GetJson(half);
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 2u);
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 60u);
  r = GetJson(Target("index/stats", R"({job="app", level="info"})"));
  EXPECT_EQ(r->json["chunks"].get_uint64().value(), 2u);
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 64u);

  // Volumes read the same blocks.
  r = GetJson(Target("index/volume", R"({job="app"})"));
  EXPECT_EQ(Volumes(*r, "vector"),
            (std::map<std::string, uint64_t>{
                {R"({"job":"app"})", info_bytes_ + error_bytes_ + late_bytes}}));
  r = GetJson(Target("index/volume_range", R"({job="app"})", "&step=10m"));
  simdjson::dom::array values = r->json["data"]["result"].at(0)["values"].get_array().value();
  ASSERT_EQ(values.size(), 6u);
  uint64_t fifth = late_bytes;  // [S+40m, S+50m): lines 40..49 of both streams and the late ones
  for (int i = 40; i < 50; ++i) {
    fifth += fmt::format(R"(level=info msg="ok {}" took={}ms)", i, i + 1).size();
    fifth += fmt::format(R"(level=error msg="failed {}" took={}ms)", i, 100 + i).size();
  }
  EXPECT_EQ(std::stoull(std::string(values.at(4).at(1).get_string().value())), fifth);
}

TEST_F(LokiIndexApiTest, StatsAcceptsRfc3339FloatSecondsAndPostForms) {
  // [S, S+30m): entries 0..29 of both streams.
  auto r = GetJson(fmt::format("/loki/api/v1/index/stats?query={}&start={}&end={}",
                               UrlEncode(R"({job="app"})"), kRfcS, kRfcHalf));
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 60u);

  r = GetJson(fmt::format("/loki/api/v1/index/stats?query={}&start=1767225600.0&end=1767225660.5",
                          UrlEncode(R"({job="app"})")));
  // 00:00 info, 00:30 error, 01:00 info.
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 3u);

  r = Call("POST", "/loki/api/v1/index/stats",
           fmt::format("query={}&start={}&end={}", UrlEncode(R"({job="app"})"), kS, kE),
           {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 120u);
}

TEST_F(LokiIndexApiTest, TenantsAreIsolated) {
  const Headers other = {{"X-Scope-OrgID", "other"}};
  auto r = GetJson(Target("index/stats", R"({job="app"})"), other);
  EXPECT_EQ(r->json["streams"].get_uint64().value(), 1u);
  EXPECT_EQ(r->json["entries"].get_uint64().value(), 5u);
  EXPECT_EQ(r->json["bytes"].get_uint64().value(), other_bytes_);

  r = GetJson(Target("index/volume", R"({job=~".+"})"), other);
  EXPECT_THAT(Volumes(*r, "vector"), ElementsAre(std::pair<const std::string, uint64_t>(
                                         R"({"job":"app"})", other_bytes_)));

  r = GetJson(Target("detected_labels", ""), other);
  std::set<std::string> labels;
  for (simdjson::dom::element l : r->json["detectedLabels"].get_array()) {
    labels.emplace(l["label"].get_string().value());
  }
  EXPECT_EQ(labels, (std::set<std::string>{"job", "level"}));

  r = GetJson(Target("detected_fields", R"({job="app"})"), other);
  EXPECT_EQ(Fields(*r).count("trace_id"), 0u);
}

TEST_F(LokiIndexApiTest, BadRequestsAnswer400) {
  auto r = Get("/loki/api/v1/index/stats?start=1&end=2");
  EXPECT_EQ(r->status, 400) << r->body;
  r = Get(Target("index/stats", R"({job="app")"));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("parse error"));
  r = Get(fmt::format("/loki/api/v1/index/stats?query={}&start={}&end={}",
                      UrlEncode(R"({job="app"})"), kE, kS));
  EXPECT_EQ(r->status, 400);
  r = Get(Target("index/volume", R"({job="app"})", "&aggregateBy=streams"));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("invalid aggregation option"));
  r = Get(Target("index/volume", R"({job="app"})", "&limit=-3"));
  EXPECT_EQ(r->status, 400);
  r = Get(Target("index/volume_range", R"({job="app"})", "&step=0"));
  EXPECT_EQ(r->status, 400);
  r = Get(Target("detected_fields", R"(count_over_time({job="app"}[1m]))"));
  EXPECT_EQ(r->status, 400);
  r = Get(Target("detected_fields", R"({job="app"})", "&line_limit=100000"));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("max entries limit"));
  r = Get(Target("detected_labels", R"({job=~".*"})"));  // matches the empty string
  EXPECT_EQ(r->status, 400);
}

// ---- index/volume ----------------------------------------------------------------------------

TEST_F(LokiIndexApiTest, L23VolumeGroupsByTheSelectorsLabels) {
  // Logs Drilldown's service list.
  auto r = GetJson(fmt::format("/loki/api/v1/index/volume?end={}&limit=5000&query={}&start={}",
                               kRfcE, UrlEncode(R"({job=~".+"})"), kRfcS));
  std::map<std::string, uint64_t> v = Volumes(*r, "vector");
  EXPECT_EQ(v, (std::map<std::string, uint64_t>{{R"({"job":"app"})", info_bytes_ + error_bytes_},
                                                {R"({"job":"api"})", api_bytes_}}));
  // Largest first.
  simdjson::dom::array result = r->json["data"]["result"].get_array().value();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result.at(0)["metric"]["job"].get_string().value(),
            info_bytes_ + error_bytes_ > api_bytes_ ? "app" : "api");

  // The top one only.
  r = GetJson(Target("index/volume", R"({job=~".+"})", "&limit=1"));
  EXPECT_EQ(Volumes(*r, "vector").size(), 1u);

  // {job="app", level=~".+"}: one series per (job, level).
  r = GetJson(Target("index/volume", R"({job="app", level=~".+"})"));
  EXPECT_EQ(Volumes(*r, "vector"),
            (std::map<std::string, uint64_t>{{R"({"job":"app","level":"error"})", error_bytes_},
                                             {R"({"job":"app","level":"info"})", info_bytes_}}));

  // {}: every stream its own series.
  r = GetJson(Target("index/volume", "{}"));
  EXPECT_EQ(Volumes(*r, "vector").size(), 5u);
}

TEST_F(LokiIndexApiTest, VolumeTargetLabelsAndAggregateByLabels) {
  auto r = GetJson(Target("index/volume", R"({job="app"})", "&targetLabels=level"));
  EXPECT_EQ(Volumes(*r, "vector"),
            (std::map<std::string, uint64_t>{{R"({"level":"error"})", error_bytes_},
                                             {R"({"level":"info"})", info_bytes_}}));

  r = GetJson(Target("index/volume", R"({job="app"})", "&aggregateBy=labels"));
  uint64_t app = info_bytes_ + error_bytes_;
  EXPECT_EQ(Volumes(*r, "vector"),
            (std::map<std::string, uint64_t>{{R"({"job":""})", app}, {R"({"level":""})", app}}));

  r = GetJson(Target("index/volume", R"({job=~".+"})", "&aggregateBy=labels&targetLabels=level"));
  EXPECT_EQ(Volumes(*r, "vector"), (std::map<std::string, uint64_t>{{R"({"level":""})", app}}));
}

TEST_F(LokiIndexApiTest, VolumeRangeIsAMatrixOverSteps) {
  auto r = GetJson(Target("index/volume_range", R"({job="app"})", "&step=30m"));
  EXPECT_EQ(Volumes(*r, "matrix"),
            (std::map<std::string, uint64_t>{{R"({"job":"app"})", info_bytes_ + error_bytes_}}));
  simdjson::dom::array values = r->json["data"]["result"].at(0)["values"].get_array().value();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values.at(0).at(0).get_double().value(), 1767225600.0 + 1800);
  EXPECT_EQ(values.at(1).at(0).get_double().value(), 1767229200.0);
  // Each half hour holds lines 0..29 and 30..59 of both streams.
  uint64_t first_half = 0;
  for (int i = 0; i < 30; ++i) {
    first_half += fmt::format(R"(level=info msg="ok {}" took={}ms)", i, i + 1).size();
    first_half += fmt::format(R"(level=error msg="failed {}" took={}ms)", i, 100 + i).size();
  }
  EXPECT_EQ(std::stoull(std::string(values.at(0).at(1).get_string().value())), first_half);
}

// ---- detected_labels -------------------------------------------------------------------------

TEST_F(LokiIndexApiTest, L22DetectedLabelsWithRfc3339Times) {
  auto r = GetJson(fmt::format("/loki/api/v1/detected_labels?start={}&end={}&query={}", kRfcS,
                               kRfcE, UrlEncode(R"({job="app"})")));
  std::map<std::string, uint64_t> labels;
  for (simdjson::dom::element l : r->json["detectedLabels"].get_array()) {
    labels[std::string(l["label"].get_string().value())] = l["cardinality"].get_uint64().value();
  }
  EXPECT_EQ(labels, (std::map<std::string, uint64_t>{{"job", 1}, {"level", 2}}));

  // Without a query (Drilldown sends "" for {}): every stream; instance_id holds only UUIDs,
  // which Loki leaves out.
  r = GetJson(fmt::format("/loki/api/v1/detected_labels?start={}&end={}&query=", kRfcS, kRfcE));
  labels.clear();
  for (simdjson::dom::element l : r->json["detectedLabels"].get_array()) {
    labels[std::string(l["label"].get_string().value())] = l["cardinality"].get_uint64().value();
  }
  EXPECT_EQ(labels, (std::map<std::string, uint64_t>{{"job", 2}, {"level", 2}}));
}

// ---- detected_fields -------------------------------------------------------------------------

TEST_F(LokiIndexApiTest, L20DetectedFieldsOnLogfmtLines) {
  auto r = GetJson(Target("detected_fields", R"({job="app"})", "&limit=1000"));
  ASSERT_TRUE(r->is_json);
  EXPECT_EQ(r->json["limit"].get_uint64().value(), 1000u);
  std::map<std::string, Field> fields = Fields(*r);
  // `level` is a stream label, so the parsed one is level_extracted (as Loki names it).
  EXPECT_EQ(fields.size(), 4u);
  ASSERT_EQ(fields.count("level_extracted"), 1u);
  EXPECT_EQ(fields["level_extracted"].type, "string");
  EXPECT_EQ(fields["level_extracted"].cardinality, 2u);
  EXPECT_THAT(fields["level_extracted"].parsers, ElementsAre("logfmt"));
  EXPECT_EQ(fields["msg"].type, "string");
  EXPECT_EQ(fields["msg"].cardinality, 120u);
  EXPECT_EQ(fields["took"].type, "duration");
  EXPECT_EQ(fields["took"].cardinality, 120u);
  EXPECT_THAT(fields["took"].parsers, ElementsAre("logfmt"));
  EXPECT_TRUE(fields["took"].json_path.empty());
  // Structured metadata: parsers null.
  ASSERT_EQ(fields.count("trace_id"), 1u);
  EXPECT_TRUE(fields["trace_id"].parsers_null);
  EXPECT_EQ(fields["trace_id"].cardinality, 60u);
  for (simdjson::dom::element f : r->json["fields"].get_array()) {
    EXPECT_TRUE(f["label"].is_string());
    EXPECT_TRUE(f["type"].is_string());
    EXPECT_TRUE(f["cardinality"].is_uint64() || f["cardinality"].is_int64());
    EXPECT_TRUE(f["parsers"].is_null() || f["parsers"].is_array());
  }

  // The 10 newest lines only: 5 of each stream, so 5 trace ids.
  r = GetJson(Target("detected_fields", R"({job="app"})", "&line_limit=10"));
  EXPECT_EQ(Fields(*r)["trace_id"].cardinality, 5u);
  // The query's filters apply.
  r = GetJson(Target("detected_fields", R"({job="app"} |= "failed")"));
  fields = Fields(*r);
  EXPECT_EQ(fields.count("trace_id"), 0u);
  EXPECT_EQ(fields["msg"].cardinality, 60u);
  // The field limit.
  r = GetJson(Target("detected_fields", R"({job="app"})", "&limit=2"));
  EXPECT_EQ(Fields(*r).size(), 2u);
}

TEST_F(LokiIndexApiTest, DetectedFieldTypesOnJsonLines) {
  auto r = GetJson(fmt::format("/loki/api/v1/detected_fields?start={}&end={}&query={}", kRfcS,
                               kRfcE, UrlEncode(R"({job="api"})")));
  std::map<std::string, Field> fields = Fields(*r);
  std::map<std::string, std::string> types;
  for (const auto& [name, f] : fields) {
    types[name] = f.type;
    EXPECT_THAT(f.parsers, ElementsAre("json")) << name;
  }
  EXPECT_EQ(types, (std::map<std::string, std::string>{{"dur", "duration"},
                                                       {"latency", "float"},
                                                       {"msg", "string"},
                                                       {"ok", "boolean"},
                                                       {"size", "bytes"},
                                                       {"status", "int"},
                                                       {"user_id", "string"},
                                                       {"user_name", "string"}}));
  EXPECT_THAT(fields["user_name"].json_path, ElementsAre("user", "name"));
  EXPECT_THAT(fields["status"].json_path, ElementsAre("status"));
  EXPECT_EQ(fields["status"].cardinality, 10u);
  EXPECT_EQ(fields["user_name"].cardinality, 3u);
  EXPECT_EQ(fields["ok"].cardinality, 2u);
}

TEST_F(LokiIndexApiTest, L21DetectedFieldValues) {
  auto r = GetJson(Target("detected_field/level/values", R"({job="app"})", "&limit=1000"));
  EXPECT_TRUE(r->json["values"].is_array());  // `level` is a stream label: no parsed values
  EXPECT_EQ(r->json["limit"].get_uint64().value(), 1000u);

  r = GetJson(Target("detected_field/level_extracted/values", R"({job="app"})"));
  EXPECT_THAT(Reply::Strings(r->json["values"]), ElementsAre("error", "info"));

  r = GetJson(Target("detected_field/trace_id/values", R"({job="app"})", "&line_limit=4"));
  EXPECT_THAT(Reply::Strings(r->json["values"]), ElementsAre("t58", "t59"));

  // Byte sizes come back in the form a query can use.
  r = GetJson(Target("detected_field/size/values", R"({job="api"})"));
  EXPECT_THAT(Reply::Strings(r->json["values"]), ElementsAre("10kB"));

  r = GetJson(Target("detected_field/msg/values", R"({job="app"})", "&limit=7"));
  EXPECT_EQ(Reply::Strings(r->json["values"]).size(), 7u);
}

// ---- patterns --------------------------------------------------------------------------------

TEST_F(LokiIndexApiTest, L24PatternsClusterTheLines) {
  auto r = GetJson(fmt::format("/loki/api/v1/patterns?end={}&query={}&start={}&step=10m", kRfcE,
                               UrlEncode(R"({job="app"})"), kRfcS));
  EXPECT_EQ(r->json["status"].get_string().value(), "success");
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> patterns;
  std::map<std::string, std::string> levels;
  for (simdjson::dom::element p : r->json["data"].get_array()) {
    std::string pattern(p["pattern"].get_string().value());
    for (simdjson::dom::element s : p["samples"].get_array()) {
      simdjson::dom::array sample = s.get_array().value();
      patterns[pattern].emplace_back(sample.at(0).get_int64().value(),
                                     sample.at(1).get_int64().value());
    }
    levels[pattern] = std::string(p["level"].get_string().value());
  }
  const std::string info = R"(level=info msg="ok <_> took=<_>)";
  const std::string error = R"(level=error msg="failed <_> took=<_>)";
  ASSERT_EQ(patterns.size(), 2u) << r->body;
  ASSERT_EQ(patterns.count(info), 1u) << r->body;
  ASSERT_EQ(patterns.count(error), 1u) << r->body;
  EXPECT_EQ(levels[info], "info");
  EXPECT_EQ(levels[error], "error");
  // Ten lines in each ten minutes, stamped at the step's start.
  ASSERT_EQ(patterns[info].size(), 6u);
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(patterns[info][k], std::make_pair(int64_t{1767225600} + k * 600, int64_t{10}));
  }
}

}  // namespace
}  // namespace sluice::daemon

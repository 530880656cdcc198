// Every log wire format end to end through a running daemon: written over HTTP (or TCP) as the real
// shippers send it, read back through /export/logs, also after a restart.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <sstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <snappy.h>
#include <zlib.h>

#include "config/config_loader.h"
#include "daemon/daemon.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice::daemon {
namespace {

using ::testing::HasSubstr;
using testing::HttpRequestOnce;
using testing::TestResponse;
using namespace std::chrono_literals;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/shippers/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The headers a fixture was captured with, minus those the client recomputes.
std::vector<std::pair<std::string, std::string>> FixtureHeaders(const std::string& name) {
  std::string json = ReadFixture(name);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  std::vector<std::pair<std::string, std::string>> out;
  for (auto [key, value] : doc["headers"].get_object()) {
    std::string k(key);
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "content-length" || lower == "host" || lower == "connection" || lower == "transfer-encoding") continue;
    out.emplace_back(k, std::string(value.get_string().value()));
  }
  return out;
}

struct Exported {
  std::string time;
  std::string stream;
  std::string msg;
  std::map<std::string, std::string> fields;
};

class IngestApiTest : public ::testing::Test {
 protected:
  void Start(const std::string& yaml = "") {
    auto config = config::LoadConfigFromString(yaml, "test.yaml");
    ASSERT_TRUE(config.ok()) << config.status().message();
    ConfigOverrides overrides;
    overrides.http_listen = "127.0.0.1:0";
    overrides.tcp_listen = "127.0.0.1:0";
    overrides.data_dir = dir_.Sub("data");
    daemon_ = std::make_unique<Daemon>(std::move(config).value(), "", overrides);
    Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.message();
    port_ = daemon_->http_port();
  }
  void Restart(const std::string& yaml = "") {
    daemon_->Shutdown();
    daemon_.reset();
    Start(yaml);
  }

  std::vector<Exported> Export(const std::string& selector, const std::string& tenant = "") {
    std::string target = "/export/logs?match=" + Encode(selector);
    std::vector<std::pair<std::string, std::string>> headers;
    if (!tenant.empty()) headers.emplace_back("X-Scope-OrgID", tenant);
    auto r = HttpRequestOnce(port_, "GET", target, "", headers);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    std::vector<Exported> out;
    simdjson::dom::parser parser;
    std::istringstream lines(r->body);
    for (std::string line; std::getline(lines, line);) {
      simdjson::dom::element doc = parser.parse(line);
      Exported e;
      for (auto [key, value] : doc.get_object()) {
        std::string v(value.get_string().value());
        if (key == "_time") e.time = v;
        else if (key == "_stream") e.stream = v;
        else if (key == "_msg") e.msg = v;
        else e.fields[std::string(key)] = v;
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  static std::string Encode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c)) out.push_back(static_cast<char>(c));
      else out += fmt::format("%{:02X}", c);
    }
    return out;
  }

  std::optional<TestResponse> Post(const std::string& target, std::string_view body,
                                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    return HttpRequestOnce(port_, "POST", target, body, headers);
  }

  testing::TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  uint16_t port_ = 0;
};

TEST_F(IngestApiTest, LokiJsonPushIsReadBackExactlyAndSurvivesARestart) {
  Start();
  auto r = Post("/loki/api/v1/push",
                R"({"streams":[{"stream":{"app":"api","env":"prod"},"values":[
                   ["1700000000000000001","first line"],
                   ["1700000000000000002","second \"quoted\" line",{"trace_id":"t-1"}]]}]})",
                {{"Content-Type", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
  auto check = [&] {
    auto got = Export(R"({app="api"})");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].stream, R"({app="api", env="prod"})");
    EXPECT_EQ(got[0].time, "2023-11-14T22:13:20.000000001Z");
    EXPECT_EQ(got[0].msg, "first line");
    EXPECT_EQ(got[1].msg, "second \"quoted\" line");
    EXPECT_EQ(got[1].fields.at("trace_id"), "t-1");
  };
  check();
  Restart();
  check();
  Restart("storage:\n  seal_on_shutdown: false\n");
  check();
}

TEST_F(IngestApiTest, BadLokiPushesGet400WithTheReasonAndStoreNothing) {
  Start();
  auto r = Post("/loki/api/v1/push", R"({"streams":[{"stream":{"app":"api"},"values":[["x","line"]]}]})",
                {{"Content-Type", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_THAT(r->body, HasSubstr("streams[0].values[0]: invalid timestamp \"x\""));
  EXPECT_TRUE(Export(R"({app="api"})").empty());
  auto garbage = Post("/loki/api/v1/push", "not protobuf", {{"Content-Type", "application/x-protobuf"}});
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
}

TEST_F(IngestApiTest, CapturedShipperRequestsAllIngest) {
  Start();
  struct Case {
    std::string name;
    std::string body_file;
    std::string path;
    std::string selector;
    int status;
  };
  std::vector<Case> cases{
      {"loki-push-pino-loki", "loki-push-pino-loki.body.json", "/loki/api/v1/push", R"({client="pino-loki"})", 204},
      {"loki-push-winston-loki-json", "loki-push-winston-loki-json.body.json", "/loki/api/v1/push",
       R"({client="winston-loki-json"})", 204},
      {"loki-push-winston-loki", "loki-push-winston-loki.body.bin", "/loki/api/v1/push", R"({client="winston-loki"})", 204},
      {"rsyslog-omelasticsearch-bulk", "rsyslog-omelasticsearch-bulk.body.ndjson", "/_bulk",
       R"({index="acceptance-logs"})", 200},
      {"syslog-ng-http-jsonl", "syslog-ng-http-jsonl.body.ndjson", "/insert/jsonline", R"({service_name="unknown_service"})",
       200},
  };
  for (const Case& c : cases) {
    auto r = Post(c.path, ReadFixture(c.body_file), FixtureHeaders(c.name + ".request.json"));
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, c.status) << c.name << ": " << r->body;
    auto got = Export(c.selector);
    std::set<std::string> seqs;
    for (const auto& e : got) {
      size_t at = e.msg.find("ACCSEQ-");
      if (at != std::string::npos) seqs.insert(e.msg.substr(at, e.msg.find(' ', at) - at));
    }
    EXPECT_GE(seqs.size(), 50u) << c.name;
  }
  // The three bulk senders share the index: 50 each, plus the gzip capture.
  for (const char* name : {"syslog-ng-elasticsearch-http-bulk", "elasticsearch-js-helpers-bulk"}) {
    auto r = Post("/_bulk", ReadFixture(std::string(name) + ".body.ndjson"), FixtureHeaders(std::string(name) + ".request.json"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_THAT(r->body, HasSubstr(R"("errors":false,"items":[)"));
    EXPECT_EQ(r->Header("x-elastic-product"), "Elasticsearch");
  }
  auto gz = Post("/_bulk", ReadFixture("elasticsearch-js-helpers-bulk-gzip.body.bin"),
                 FixtureHeaders("elasticsearch-js-helpers-bulk-gzip.request.json"));
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200) << gz->body;
  EXPECT_EQ(Export(R"({index="acceptance-logs"})").size(), 200u);
}

TEST_F(IngestApiTest, BulkAnswersPerItemAndUsesTheFieldArguments) {
  Start();
  auto r = Post("/logs-x/_bulk?_msg_field=text&_stream_fields=app&_time_field=t",
                "{\"index\":{}}\n{\"text\":\"hello\",\"app\":\"web\",\"t\":\"2024-01-01T00:00:00Z\",\"user\":\"u1\"}\n"
                "{\"create\":{}}\n{\"text\":\"bad\",\"t\":\"never\"}\n",
                {{"VL-Msg-Field", "ignored-because-the-argument-wins"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr(R"("errors":true)"));
  EXPECT_THAT(r->body, HasSubstr(R"({"create":{"_index":"logs-x")"));
  EXPECT_THAT(r->body, HasSubstr(R"("status":400,"error":{"type":"document_parsing_exception")"));
  auto got = Export(R"({app="web"})");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].msg, "hello");
  EXPECT_EQ(got[0].time, "2024-01-01T00:00:00Z");
  EXPECT_EQ(got[0].fields.at("user"), "u1");
}

TEST_F(IngestApiTest, BulkHonoursFilterPathLikeFilebeatAsksForIt) {
  Start();
  auto r = Post("/_bulk?filter_path=errors,items.*.error,items.*.status",
                "{\"create\":{}}\n{\"message\":\"a\"}\n{\"create\":{}}\n{\"message\":\"b\",\"@timestamp\":\"x\"}\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, ::testing::StartsWith(
                           R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"status":400,"error":{"type":"document_parsing_exception")"));
  auto plain = Post("/_bulk", "{\"index\":{}}\n{\"message\":\"c\"}\n");
  EXPECT_THAT(plain->body, HasSubstr(R"("result":"created")"));
  EXPECT_THAT(plain->body, ::testing::MatchesRegex(R"(.*"_id":"[0-9a-zA-Z]{20}".*)"));
}

TEST_F(IngestApiTest, ElasticsearchProbesAnswerLikeElasticsearch) {
  Start();
  for (const char* path : {"/", "/insert/elasticsearch/", "/_license", "/_xpack", "/_cluster/health", "/_nodes/http",
                           "/_index_template/filebeat-8", "/_ilm/policy/logs"}) {
    auto r = HttpRequestOnce(port_, "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->Header("x-elastic-product"), "Elasticsearch") << path;
  }
  auto root = HttpRequestOnce(port_, "GET", "/");
  EXPECT_THAT(root->body, HasSubstr(R"("number":"8.19.0","build_flavor":"default")"));
  EXPECT_THAT(root->body, HasSubstr(R"("tagline":"You Know, for Search")"));
  EXPECT_THAT(HttpRequestOnce(port_, "GET", "/_license")->body, HasSubstr(R"("status":"active")"));
  auto head = HttpRequestOnce(port_, "HEAD", "/_cat/health");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  auto put = HttpRequestOnce(port_, "PUT", "/_index_template/x", "{}");
  EXPECT_THAT(put->body, HasSubstr(R"("acknowledged":true)"));
  auto alias = HttpRequestOnce(port_, "HEAD", "/logstash");
  EXPECT_EQ(alias->status, 200);
}

TEST_F(IngestApiTest, OtlpJsonAndProtobufAnswerInTheirOwnEncoding) {
  Start();
  auto r = Post("/v1/logs",
                R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},
                   "scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","body":{"stringValue":"otel"}}]}]}]})",
                {{"Content-Type", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->body, "{}");
  auto bad = Post("/otlp/v1/logs", "\x0a\xff", {{"Content-Type", "application/x-protobuf"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->Header("content-type"), "application/x-protobuf");
  auto got = Export(R"({service_name="cart"})");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].msg, "otel");
}

TEST_F(IngestApiTest, TenantsNeverSeeEachOther) {
  Start();
  for (std::string tenant : {"team-a", "team-b"}) {
    auto r = Post("/loki/api/v1/push",
                  R"({"streams":[{"stream":{"app":"x"},"values":[["1","from )" + tenant + R"("]]}]})",
                  {{"Content-Type", "application/json"}, {"X-Scope-OrgID", tenant}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
  }
  auto a = Export(R"({app="x"})", "team-a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].msg, "from team-a");
  EXPECT_EQ(Export(R"({app="x"})", "team-b")[0].msg, "from team-b");
  EXPECT_TRUE(Export(R"({app="x"})").empty()) << "the default tenant has none of it";
  auto bad = Post("/loki/api/v1/push", "{}", {{"Content-Type", "application/json"}, {"X-Scope-OrgID", "a|b"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("a write names exactly one tenant"));
}

TEST_F(IngestApiTest, ExportRoundTripsThroughJsonLineImport) {
  Start();
  ASSERT_TRUE(Post("/loki/api/v1/push",
                   R"({"streams":[{"stream":{"app":"src"},"values":[["1700000000123456789","a",{"k":"v"}],["1700000000123456790","b"]]}]})",
                   {{"Content-Type", "application/json"}}));
  auto exported = HttpRequestOnce(port_, "GET", "/export/logs?match=" + Encode(R"({app="src"})"));
  ASSERT_TRUE(exported);
  auto imported = Post("/insert/jsonline", exported->body, {{"X-Scope-OrgID", "copy"}});
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->status, 200) << imported->body;
  auto copy = HttpRequestOnce(port_, "GET", "/export/logs?match=" + Encode(R"({app="src"})"), "",
                              {{"X-Scope-OrgID", "copy"}});
  EXPECT_EQ(copy->body, exported->body);
}

TEST_F(IngestApiTest, ExportHonoursTheTimeRangeAndStreamsLargeResults) {
  Start();
  std::string body = R"({"streams":[{"stream":{"app":"big"},"values":[)";
  for (int64_t i = 0; i < 5000; ++i) {
    if (i > 0) body += ",";
    body += fmt::format(R"(["{}","line {} {}"])", 1'700'000'000'000'000'000 + i * 1'000'000, i, std::string(100, 'x'));
  }
  body += "]}]}";
  auto r = Post("/loki/api/v1/push", body, {{"Content-Type", "application/json"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 204);
  auto all = HttpRequestOnce(port_, "GET", "/export/logs?match=" + Encode(R"({app="big"})"));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(std::count(all->body.begin(), all->body.end(), '\n'), 5000);
  auto window = HttpRequestOnce(port_, "GET",
                                "/export/logs?match=" + Encode(R"({app="big"})") +
                                    "&start=1700000000010000000&end=1700000000020000000");
  EXPECT_EQ(std::count(window->body.begin(), window->body.end(), '\n'), 10);
  auto missing = HttpRequestOnce(port_, "GET", "/export/logs");
  EXPECT_EQ(missing->status, 400);
  auto bad = HttpRequestOnce(port_, "GET", "/export/logs?match=" + Encode("{app=}"));
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("parse error at line 1, col 6"));
}

int ConnectTcp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(IngestApiTest, TcpListenerStoresJsonLinesAndSkipsBadOnes) {
  Start();
  int fd = ConnectTcp(daemon_->tcp_port());
  ASSERT_GE(fd, 0);
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += fmt::format("{{\"msg\":\"tcp {}\",\"n\":{}}}\n", i, i);
  lines += "garbage\n{\"msg\":\"last line without newline\"}";
  ASSERT_EQ(::send(fd, lines.data(), lines.size(), 0), static_cast<ssize_t>(lines.size()));
  ::shutdown(fd, SHUT_WR);
  char buf[16];
  (void)::recv(fd, buf, sizeof buf, 0);  // the listener closes once everything is stored
  ::close(fd);
  std::vector<Exported> got;
  for (int i = 0; i < 100 && got.size() < 1001; ++i) {
    got = Export(R"({service_name="unknown_service"})");
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(got.size(), 1001u);
  auto metrics = testing::ParsePrometheusText(HttpRequestOnce(port_, "GET", "/metrics")->body);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ((*metrics)["sluice_tcp_lines_rejected_total"], 1);
}

TEST_F(IngestApiTest, OverloadPushesBackThenRefusesWith503AndRetryAfter) {
  // A budget of 1 MiB and a 300 ms wait: one slow 1 MiB body holds the budget.
  Start("ingest:\n  max_inflight_bytes: 1MiB\n  backpressure_wait: 300ms\n  retry_after: 7s\n");
  testing::TestHttpClient holder(port_);
  std::string big(1 << 20, 'x');
  holder.SendRaw(fmt::format("POST /loki/api/v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: {}\r\n\r\n{}",
                             big.size(), big.substr(0, 1000)));  // admitted, body never finishes
  std::this_thread::sleep_for(100ms);
  auto begin = std::chrono::steady_clock::now();
  auto refused = Post("/loki/api/v1/push", R"({"streams":[]})", {{"Content-Type", "application/json"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->Header("retry-after"), "7");
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 250ms) << "it waited (pushed back) first";
  holder.Close();
  // Once the slow body is gone the budget is free again.
  std::optional<TestResponse> ok;
  for (int i = 0; i < 50; ++i) {
    ok = Post("/loki/api/v1/push", R"({"streams":[]})", {{"Content-Type", "application/json"}});
    if (ok && ok->status == 204) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204);
  auto metrics = testing::ParsePrometheusText(HttpRequestOnce(port_, "GET", "/metrics")->body);
  EXPECT_GE((*metrics)["sluice_http_admission_refused_total"], 1);
}

TEST_F(IngestApiTest, ManyConcurrentPushersLoseNothing) {
  Start();
  constexpr int kClients = 6;
  constexpr int kRequests = 40;
  std::vector<std::future<int>> results;
  for (int c = 0; c < kClients; ++c) {
    results.push_back(std::async(std::launch::async, [&, c] {
      testing::TestHttpClient client(port_);
      int ok = 0;
      for (int i = 0; i < kRequests; ++i) {
        std::string body = R"({"streams":[{"stream":{"client":")" + std::to_string(c) + R"("},"values":[)";
        for (int k = 0; k < 25; ++k) {
          if (k > 0) body += ",";
          body += fmt::format(R"(["{}","c{} r{} k{}"])", 1'700'000'000'000'000'000 + i * 100 + k, c, i, k);
        }
        body += "]}]}";
        auto r = client.Request("POST", "/loki/api/v1/push", body, {{"Content-Type", "application/json"}});
        ok += r && r->status == 204;
      }
      return ok;
    }));
  }
  for (auto& f : results) EXPECT_EQ(f.get(), kRequests);
  std::set<std::string> lines;
  for (const auto& e : Export(R"({client=~".+"})")) lines.insert(e.msg);
  EXPECT_EQ(lines.size(), static_cast<size_t>(kClients * kRequests * 25));
}

}  // namespace
}  // namespace sluice::daemon

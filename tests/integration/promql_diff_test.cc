// Differential test of Sluice's PromQL and query API against a real Prometheus 2.42 (Debian's
// /usr/bin/prometheus): the same generated series are remote-written to both, then every query in
// promql_queries.txt runs against both, as instant queries at several times and as a range query,
// and the answers must match: HTTP status, status, errorType, resultType, label sets, timestamps,
// and values within 1e-9 relative (NaN equals NaN, infinities by sign). Order is compared only
// where Prometheus defines it: range-query matrices are sorted by labels, and sort(), sort_desc()
// and an ungrouped topk()/bottomk() order an instant vector by value. `promtool query` must print
// the same against both. Skipped when /usr/bin/prometheus is missing.
//
// SLUICE_PROMQL_DIFF_REPORT=<file> writes every mismatch there too; SLUICE_PROMQL_DIFF_FILTER=<s>
// runs only the queries containing <s> (for debugging one query); SLUICE_PROMQL_DIFF_DUMP=<file>
// writes a summary of each of Prometheus' answers (to review what the queries exercise);
// SLUICE_PROMQL_DIFF_SELF=1 compares Prometheus with itself (everything must match).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <snappy.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "pipeline/decoders/remote_write.h"
#include "storage/metric_batch.h"
#include "tests/integration/promql_diff_data.h"
#include "tests/support/metrics_export.h"
#include "tests/support/promql_answer.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Answer;
using testing::ApiCall;
using testing::Ask;
using testing::Compare;
using testing::kBaseMs;
using testing::kEndMs;
using testing::Order;
using testing::OrderedByValue;
using testing::RunCalls;
using testing::Subprocess;
using testing::TimeText;
using testing::UrlEncode;
using Series = pipeline::RemoteWriteSeries;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kPromtool[] = "/usr/bin/promtool";

// ---- Servers ----------------------------------------------------------------------------------

// Both servers' limit on samples held by one query, lowered from 50 million so that a query past
// it fails within a second.
constexpr int kMaxSamples = 1'000'000;

struct Servers {
  testing::TempDir dir;
  std::unique_ptr<Subprocess> prometheus, sluice;
  uint16_t prometheus_port = 0, sluice_port = 0;
  std::string sluice_log;
  int sluice_starts = 0;
  std::string error;  // why the servers are not ready with the data
  size_t series = 0, samples = 0;

  std::string Logs() const {
    return fmt::format("sluice stderr (tail):\n{}\nprometheus stderr (tail):\n{}\n",
                       testing::ReadFileTail(sluice_log),
                       testing::ReadFileTail(dir.Sub("prometheus.err")));
  }
};

std::string StartPrometheus(Servers* s) {
  std::string config = s->dir.WriteFile("prometheus.yml", "global:\n  scrape_interval: 15s\n");
  for (int attempt = 0; attempt < 3; ++attempt) {
    uint16_t port = testing::PickFreePort();
    if (port == 0) return "no free port";
    s->prometheus = std::make_unique<Subprocess>(
        std::vector<std::string>{kPrometheus, "--config.file=" + config,
                                 "--storage.tsdb.path=" + s->dir.Sub("prometheus-data"),
                                 "--storage.tsdb.retention.time=3650d",
                                 "--web.enable-remote-write-receiver",
                                 fmt::format("--query.max-samples={}", kMaxSamples),
                                 fmt::format("--web.listen-address=127.0.0.1:{}", port)},
        s->dir.Sub("prometheus.out"), s->dir.Sub("prometheus.err"));
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline && s->prometheus->Running()) {
      auto r = testing::HttpRequestOnce(port, "GET", "/-/ready");
      if (r && r->status == 200) {
        s->prometheus_port = port;
        return "";
      }
      std::this_thread::sleep_for(100ms);
    }
    s->prometheus->Signal(SIGKILL);
    s->prometheus->Wait(10s);
  }
  return "Prometheus did not become ready";
}

// Writes every series to both servers in 10-minute slices, oldest first: Prometheus' head takes
// no sample older than an hour before the newest it holds.
std::string WriteData(Servers* s, const std::vector<Series>& data) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Encoding", "snappy"},
      {"Content-Type", "application/x-protobuf"},
      {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  constexpr int64_t kSliceMs = 10 * 60 * 1000;
  for (int64_t from = kBaseMs; from < kEndMs; from += kSliceMs) {
    std::vector<Series> slice;
    for (const Series& series : data) {
      Series part{series.labels, {}};
      for (const storage::Sample& sample : series.samples) {
        if (sample.timestamp_ms >= from && sample.timestamp_ms < from + kSliceMs) {
          part.samples.push_back(sample);
        }
      }
      if (!part.samples.empty()) slice.push_back(std::move(part));
    }
    std::string proto, body;
    pipeline::EncodeRemoteWrite(slice, {}, &proto);
    snappy::Compress(proto.data(), proto.size(), &body);
    for (auto [name, port] :
         {std::pair{"Prometheus", s->prometheus_port}, std::pair{"Sluice", s->sluice_port}}) {
      auto r = testing::HttpRequestOnce(port, "POST", "/api/v1/write", body, headers);
      if (!r || r->status / 100 != 2) {
        return fmt::format("remote write of the slice at {} to {}: {} {}", from, name,
                           r ? r->status : 0, r ? r->body.substr(0, 500) : "no answer");
      }
    }
  }
  for (const Series& series : data) s->samples += series.samples.size();
  s->series = data.size();
  return "";
}

// As testing::StartSluice does, with the same sample limit as Prometheus, and each start's log in a
// file of its own (so that the port read is the new one).
std::string StartSluice(Servers* s) {
  std::string config =
      s->dir.WriteFile("sluice.yaml", fmt::format("query:\n  max_samples: {}\n", kMaxSamples));
  s->sluice_log = s->dir.Sub(fmt::format("sluice-{}.err", s->sluice_starts++));
  s->sluice = std::make_unique<Subprocess>(
      std::vector<std::string>{SLUICE_BINARY, "--config", config, "--listen", "127.0.0.1:0",
                               "--tcp-listen", "", "--data-dir", s->dir.Sub("sluice-data")},
      s->dir.Sub("sluice.out"), s->sluice_log);
  s->sluice_port = testing::WaitForSluicePort(s->sluice_log, 30s);
  return s->sluice_port == 0 ? "sluice did not start" : "";
}

std::unique_ptr<Servers> StartServers() {
  auto s = std::make_unique<Servers>();
  s->error = StartPrometheus(s.get());
  if (!s->error.empty()) return s;
  s->error = StartSluice(s.get());
  if (s->error.empty()) s->error = WriteData(s.get(), testing::GeneratePromqlDiffData());
  return s;
}

// ---- Queries ---------------------------------------------------------------------------------

// Seconds after kBaseMs ("3000.5") as the absolute time parameter ("1700003000.5").
std::string AbsTime(const std::string& offset_seconds) {
  int64_t ms = kBaseMs + std::llround(std::stod(offset_seconds) * 1000);
  return TimeText(ms);
}

const std::vector<std::string> kInstantTimes = {"3000.5", "4815", "10785"};
const std::vector<std::string> kDefaultRange = {"600", "10800", "60"};

// promql_queries.txt: one expression a line, run as an instant query at each of kInstantTimes
// and as a range query over kDefaultRange. A line may start with "[instant T...]" (only instant
// queries, at those times) or "[range START END STEP]" (only that range query); times are seconds
// after kBaseMs. Blank lines and lines starting with '#' are skipped.
std::vector<ApiCall> LoadQueries(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) *error = "cannot read " + path;
  const char* filter = std::getenv("SLUICE_PROMQL_DIFF_FILTER");
  std::vector<ApiCall> calls;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> instants = kInstantTimes, range = kDefaultRange;
    std::string expr = line;
    if (line[0] == '[') {
      size_t close = line.find(']');
      std::istringstream words(line.substr(1, close - 1));
      std::string kind, word;
      words >> kind;
      std::vector<std::string> args;
      while (words >> word) args.push_back(word);
      expr = line.substr(close + 1);
      if (kind == "instant") {
        instants = args.empty() ? kInstantTimes : args;
        range.clear();
      } else if (kind == "range" && args.size() == 3) {
        instants.clear();
        range = args;
      } else {
        *error = fmt::format("{}:{}: bad directive", path, number);
      }
    }
    if (filter && expr.find(filter) == std::string::npos) continue;
    std::string where = fmt::format("promql_queries.txt:{}", number);
    std::string q = "query=" + UrlEncode(expr);
    Order by_value = OrderedByValue(expr) ? Order::kByValue : Order::kNone;
    for (size_t i = 0; i < instants.size(); ++i) {
      calls.push_back({where, expr, "/api/v1/query", q + "&time=" + AbsTime(instants[i]),
                       (number + i) % 2 == 0, by_value});
    }
    if (!range.empty()) {
      std::string step = range[2];
      calls.push_back(
          {where, expr, "/api/v1/query_range",
           fmt::format("{}&start={}&end={}&step={}", q, AbsTime(range[0]), AbsTime(range[1]), step),
           number % 2 == 1, Order::kByLabels});
    }
  }
  return calls;
}

// ---- Tests -----------------------------------------------------------------------------------

class PromqlDiffTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::filesystem::exists(kPrometheus)) servers_ = StartServers();
  }
  static void TearDownTestSuite() { servers_.reset(); }

  void SetUp() override {
    if (!servers_) GTEST_SKIP() << kPrometheus << " is missing: run scripts/install-deps.sh --test";
    ASSERT_EQ(servers_->error, "") << servers_->Logs();
  }
  void TearDown() override {
    if (HasFailure() && servers_) std::cerr << servers_->Logs();
  }

  // Sluice, or Prometheus itself with SLUICE_PROMQL_DIFF_SELF=1 (to check a change to the
  // queries or the comparison: everything must then match).
  static uint16_t Target() {
    return std::getenv("SLUICE_PROMQL_DIFF_SELF") ? servers_->prometheus_port
                                                  : servers_->sluice_port;
  }

  static std::unique_ptr<Servers> servers_;
};

std::unique_ptr<Servers> PromqlDiffTest::servers_;

// The comparison itself: Prometheus against itself matches on every query (so that nothing in
// the query list has an answer that varies between runs), and each kind of difference is seen.
TEST_F(PromqlDiffTest, ComparisonFindsDifferencesAndOnlyThose) {
  std::string error;
  std::vector<ApiCall> calls =
      LoadQueries(SLUICE_SOURCE_DIR "/tests/integration/promql_queries.txt", &error);
  ASSERT_EQ(error, "");
  size_t mismatches = 0;
  uint16_t port = servers_->prometheus_port;
  std::string report = RunCalls(port, port, calls, &mismatches);
  EXPECT_EQ(mismatches, 0u) << report;

  auto instant = [](const std::string& expr) {
    return ApiCall{"perturbed",     expr,
                   "/api/v1/query", "query=" + UrlEncode(expr) + "&time=" + AbsTime("3000.5"),
                   false,           OrderedByValue(expr) ? Order::kByValue : Order::kNone};
  };
  auto range = [](const std::string& expr) {
    return ApiCall{"perturbed",
                   expr,
                   "/api/v1/query_range",
                   "query=" + UrlEncode(expr) + "&start=" + AbsTime("600") +
                       "&end=" + AbsTime("7200") + "&step=60",
                   true,
                   Order::kByLabels};
  };
  struct Pair {
    ApiCall want, got;
    bool differ;
  };
  const std::vector<Pair> pairs = {
      {instant("http_requests_total + 0"), instant("http_requests_total * 1.000001"), true},
      {instant("http_requests_total + 0"), instant("http_requests_total * (1 + 1e-13)"), false},
      {instant("sum by (job) (up)"), instant("sum by (instance) (up)"), true},
      {instant("sum by (job) (up)"), instant("sum by (job) (up) > 3"), true},
      {instant("sort(cpu_usage)"), instant("sort_desc(cpu_usage)"), true},
      {instant("cpu_usage"), instant("sort(cpu_usage)"), false},  // order unchecked there
      {instant("vector(1)"), instant("scalar(vector(1))"), true},
      {instant("vector(NaN)"), instant("vector(NaN)"), false},
      {instant("vector(+Inf)"), instant("vector(-Inf)"), true},
      {instant("vector(NaN)"), instant("vector(0)"), true},
      {instant("\"a\""), instant("\"b\""), true},
      {instant("sum("), instant("sum(up)"), true},
      {instant("up / on(job) up"), instant("sum("), true},
      {instant("up[5m]"), instant("up[5m] offset 15s"), true},
      {range("up"), range("up offset 15s"), true},
      {range("up"), range("up unless up{instance=\"node-1:9100\"}"), true},
      {range("ephemeral_gauge"), range("last_over_time(ephemeral_gauge[10m])"), true},
  };
  for (const Pair& p : pairs) {
    Answer a = Ask(port, p.want), b = Ask(port, p.got);
    std::vector<std::string> diff = Compare(a, b, p.want.order);
    EXPECT_EQ(!diff.empty(), p.differ) << p.want.expr << " vs " << p.got.expr << ":\n"
                                       << fmt::format("{}", fmt::join(diff, "\n"));
  }
  // A matrix whose series come in another order, and a missing point.
  Answer a = Ask(port, range("up"));
  ASSERT_GT(a.series.size(), 2u);
  Answer reversed = a;
  std::reverse(reversed.series.begin(), reversed.series.end());
  EXPECT_FALSE(Compare(a, reversed, Order::kByLabels).empty());
  EXPECT_TRUE(Compare(a, reversed, Order::kNone).empty());
  Answer fewer = a;
  fewer.series[1].points.pop_back();
  EXPECT_FALSE(Compare(a, fewer, Order::kByLabels).empty());
}

TEST_F(PromqlDiffTest, SluiceAnswersLikePrometheus) {
  std::string error;
  std::vector<ApiCall> calls =
      LoadQueries(SLUICE_SOURCE_DIR "/tests/integration/promql_queries.txt", &error);
  ASSERT_EQ(error, "");
  if (!std::getenv("SLUICE_PROMQL_DIFF_FILTER")) {
    ASSERT_GE(calls.size(), 1000u);
  }
  size_t mismatches = 0;
  std::string report = RunCalls(servers_->prometheus_port, Target(), calls, &mismatches);
  if (const char* path = std::getenv("SLUICE_PROMQL_DIFF_REPORT")) std::ofstream(path) << report;
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << calls.size()
                            << " calls answered differently:\n"
                            << report;
  std::cout << calls.size() << " calls over " << servers_->series << " series, "
            << servers_->samples << " samples; " << mismatches << " mismatches\n";
}

// The same after a restart of Sluice: every answer now comes from what it persisted.
TEST_F(PromqlDiffTest, SluiceAnswersLikePrometheusAfterRestart) {
  servers_->sluice->Signal(SIGTERM);
  std::optional<int> code = servers_->sluice->Wait(30s);
  ASSERT_TRUE(code.has_value()) << "sluice did not stop within 30 s of SIGTERM";
  ASSERT_EQ(*code, 0) << servers_->Logs();
  ASSERT_EQ(StartSluice(servers_.get()), "") << servers_->Logs();
  std::string error;
  std::vector<ApiCall> calls =
      LoadQueries(SLUICE_SOURCE_DIR "/tests/integration/promql_queries.txt", &error);
  ASSERT_EQ(error, "");
  size_t mismatches = 0;
  std::string report = RunCalls(servers_->prometheus_port, Target(), calls, &mismatches);
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << calls.size()
                            << " calls answered differently after a restart:\n"
                            << report;
}

// The API's parameters: time formats, steps, limits and errors, and the metadata endpoints.
TEST_F(PromqlDiffTest, ApiParametersLikePrometheus) {
  const std::string t = AbsTime("3600"), s = AbsTime("600"), e = AbsTime("7200");
  const std::string up = "query=up";
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"/api/v1/query", up + "&time=2023-11-14T23:13:20Z"},
      {"/api/v1/query", up + "&time=2023-11-15T00:13:20.5%2B01:00"},
      {"/api/v1/query", up + "&time=1700003600.123456"},
      {"/api/v1/query", up + "&time=1.7000036e9"},
      {"/api/v1/query", "query=vector(time())&time=-100"},
      {"/api/v1/query", "query=vector(time())&time=0"},
      {"/api/v1/query", "query=sum%28%0A%20%20up%20%23%20comment%0A%29&time=" + t},
      {"/api/v1/query", up},  // now: nothing within the lookback
      {"/api/v1/query", "time=" + t},
      {"/api/v1/query", "query=&time=" + t},
      {"/api/v1/query", up + "&time=abc"},
      {"/api/v1/query", up + "&time=" + t + "&timeout=1m"},
      {"/api/v1/query", up + "&time=" + t + "&timeout=abc"},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=1m", up, s, e)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=1m30s", up, s, e)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=5x", up, s, e)},
      {"/api/v1/query_range", fmt::format("query=time()&start={}&end={}&step=1h", s, e)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=0", up, s, e)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=-60", up, s, e)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=60", up, e, s)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=1", up, s, AbsTime("86400"))},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}", up, s, e)},
      {"/api/v1/query_range", fmt::format("{}&end={}&step=60", up, e)},
      {"/api/v1/query_range", fmt::format("{}&start=abc&end={}&step=60", up, e)},
      {"/api/v1/query_range",
       up + "&start=2023-11-14T22:23:20Z&end=2023-11-14T23:23:20.5Z&step=90.5"},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=60", up, t, t)},
      {"/api/v1/query_range", fmt::format("{}&start={}&end={}&step=0.5", up, t, AbsTime("3610"))},
      {"/api/v1/series", "match%5B%5D=up"},
      {"/api/v1/series", fmt::format("match%5B%5D=up&start={}&end={}", s, e)},
      {"/api/v1/series", "match%5B%5D=" + UrlEncode(R"(up{job="api"})") +
                             "&match%5B%5D=" + UrlEncode(R"(queue_depth{job=~"web|batch"})")},
      {"/api/v1/series", fmt::format("match%5B%5D=ephemeral_gauge&start={}&end={}", AbsTime("7200"),
                                     AbsTime("9000"))},
      {"/api/v1/series", ""},
      {"/api/v1/series", "match%5B%5D=%7B%7D"},
      {"/api/v1/series", "match%5B%5D=up%7B"},
      {"/api/v1/labels", ""},
      {"/api/v1/labels", fmt::format("start={}&end={}", s, e)},
      {"/api/v1/labels", "match%5B%5D=up"},
      {"/api/v1/labels", "match%5B%5D=" + UrlEncode(R"({__name__=~"temperature_.*|cpu_usage"})")},
      {"/api/v1/label/job/values", ""},
      {"/api/v1/label/job/values", "match%5B%5D=up"},
      {"/api/v1/label/code/values",
       "match%5B%5D=" + UrlEncode(R"(http_requests_total{job="api"})")},
      {"/api/v1/label/__name__/values", ""},
      {"/api/v1/label/unicode/values", ""},
      {"/api/v1/label/nonexistent/values", ""},
      {"/api/v1/metadata", ""},
      {"/api/v1/metadata", "metric=up"},
      {"/api/v1/query_exemplars", fmt::format("query=up&start={}&end={}", s, e)},
      {"/api/v1/query_exemplars", fmt::format("query=up%7B&start={}&end={}", s, e)},
      // As Grafana's Prometheus data source sends them (../shared/grafana-contract.md).
      {"/api/v1/query_range",
       fmt::format("end={}&query={}&start={}&step=15&timeout=30s", e,
                   UrlEncode("sum by (job) (rate(http_requests_total[1m]))"), s)},
      {"/api/v1/labels", fmt::format("end={}&limit=40000&start={}", e, s)},
      {"/api/v1/label/__name__/values", fmt::format("end={}&limit=40000&start={}", e, s)},
      {"/api/v1/label/job/values", fmt::format("end={}&limit=40000&match%5B%5D=up&start={}", e, s)},
      {"/api/v1/series", fmt::format("end={}&limit=40000&match%5B%5D={}&start={}", e,
                                     UrlEncode(R"({__name__!=""})"), s)},
      {"/api/v1/metadata", "limit=40000"},
      {"/api/v1/query_exemplars", "end=1767229200000&query=test&start=1767227400000"},
      {"/api/v1/format_query", "query=sum%28rate%28x%5B5m%5D%29%29by%28job%29"},
      {"/api/v1/format_query", "query=sum%28"},
      {"/api/v1/format_query", ""},
  };
  std::vector<ApiCall> calls;
  for (const auto& [path, params] : requests) {
    for (bool post : {false, true}) {
      calls.push_back({"api", path, path, params, post,
                       path == "/api/v1/query_range" ? Order::kByLabels : Order::kNone});
    }
  }
  size_t mismatches = 0;
  std::string report = RunCalls(servers_->prometheus_port, Target(), calls, &mismatches);
  EXPECT_EQ(mismatches, 0u) << report;
}

// /api/v1/format_query prints every expression of promql_queries.txt as Prometheus does.
TEST_F(PromqlDiffTest, FormatQueryLikePrometheus) {
  std::string error;
  std::vector<ApiCall> calls;
  for (const ApiCall& call :
       LoadQueries(SLUICE_SOURCE_DIR "/tests/integration/promql_queries.txt", &error)) {
    if (!calls.empty() && calls.back().expr == call.expr) continue;
    calls.push_back({call.where, call.expr, "/api/v1/format_query", "query=" + UrlEncode(call.expr),
                     call.post, Order::kNone});
  }
  ASSERT_EQ(error, "");
  size_t mismatches = 0;
  std::string report = RunCalls(servers_->prometheus_port, Target(), calls, &mismatches);
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << calls.size() << " differ:\n" << report;
}

// promtool's query subcommands print the same against Sluice as against Prometheus.
TEST_F(PromqlDiffTest, PromtoolQueriesLikePrometheus) {
  if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << kPromtool << " is missing";
  const std::string t = "--time=" + AbsTime("3600"), s = "--start=" + AbsTime("600"),
                    e = "--end=" + AbsTime("7200");
  const std::vector<std::vector<std::string>> commands = {
      {"instant", "SERVER", "sort_desc(max by (job) (memory_usage_bytes))", t},
      {"instant", "SERVER", R"(up{job="node"})", t, "-o", "json"},
      {"instant", "SERVER", "scalar(sum(up))", t},
      {"instant", "SERVER", R"(rate(http_requests_total{job="api", code="200"}[5m]))", t},
      {"instant", "SERVER", "sum(", t},
      {"range", "SERVER", "sum by (job) (up)", s, e, "--step=5m"},
      {"range", "SERVER", R"(max_over_time(temperature_celsius{location="lab"}[10m]))", s, e,
       "--step=10m", "-o", "json"},
      {"series", "SERVER", "--match=up", s, e},
      // promtool's default range is 9999 hours back from now, which misses the data.
      {"series", "SERVER", R"(--match=http_requests_total{code="500",job="web"})", s, e},
      {"labels", "SERVER", "job", s, e},
      {"labels", "SERVER", "__name__", s, e},
  };
  int n = 0;
  for (const std::vector<std::string>& command : commands) {
    std::string out[2];
    std::optional<int> code[2];
    uint16_t ports[2] = {servers_->prometheus_port, Target()};
    for (int i = 0; i < 2; ++i) {
      std::vector<std::string> argv = {kPromtool, "query"};
      for (const std::string& arg : command) {
        argv.push_back(arg == "SERVER" ? fmt::format("http://127.0.0.1:{}", ports[i]) : arg);
      }
      std::string stdout_path = servers_->dir.Sub(fmt::format("promtool-{}-{}.out", n, i));
      Subprocess promtool(argv, stdout_path, stdout_path + ".err");
      code[i] = promtool.Wait(60s);
      out[i] = testing::ReadFile(stdout_path);
    }
    ++n;
    std::string args = fmt::format("promtool query {}", fmt::join(command, " "));
    EXPECT_TRUE(code[0].has_value() && code[1].has_value()) << args << ": did not end in 60 s";
    EXPECT_EQ(code[0], code[1]) << args << ": exit codes (Prometheus first)";
    EXPECT_EQ(out[0], out[1]) << args << ": output (Prometheus first)";
    EXPECT_FALSE(out[0].empty() && code[0] == 0) << args << ": printed nothing against Prometheus";
  }
}

}  // namespace
}  // namespace sluice

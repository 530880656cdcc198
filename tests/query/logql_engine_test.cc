// The LogQL engine over an in-memory reader: log queries (limit, direction, boundaries,
// categorised labels) and metric queries (Loki's windows, range functions, the PromQL part),
// with expectations worked out by hand from Loki's documented behaviour and its range_vector.go.
#include "query/logql_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <random>

#include "query/logql_parser.h"
#include "query/logql_pipeline.h"
#include "storage/metadata_codec.h"

namespace sluice::query::logql {
namespace {

using storage::Direction;
using storage::Labels;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'040 * kSecond;  // a whole minute

struct MemEntry {
  int64_t ts;
  std::string line;
  std::string metadata;  // encoded
};

class MemReader final : public LogReader {
 public:
  void Add(Labels labels, int64_t ts, std::string line, Labels metadata = {}) {
    std::sort(labels.begin(), labels.end());
    auto it = std::find_if(streams_.begin(), streams_.end(),
                           [&](const storage::StreamInfo& s) { return s.labels == labels; });
    if (it == streams_.end()) {
      storage::StreamInfo info;
      info.id = streams_.size();
      info.labels = labels;
      info.min_ts = ts;
      info.max_ts = ts;
      streams_.push_back(info);
      entries_.emplace_back();
      it = streams_.end() - 1;
    }
    it->min_ts = std::min(it->min_ts, ts);
    it->max_ts = std::max(it->max_ts, ts);
    storage::MetadataEncoder enc;
    for (const auto& l : metadata) enc.Add(l.name, l.value);
    auto& list = entries_[it->id];
    auto at = std::upper_bound(list.begin(), list.end(), ts,
                               [](int64_t t, const MemEntry& e) { return t < e.ts; });
    list.insert(at, MemEntry{ts, std::move(line), enc.Finish()});
  }

  std::vector<storage::StreamInfo> SelectStreams(const storage::LabelMatchers& matchers,
                                                 int64_t start, int64_t end) override {
    std::vector<storage::StreamInfo> out;
    for (const auto& s : streams_) {
      if (s.max_ts < start || s.min_ts >= end) continue;
      if (std::all_of(matchers.begin(), matchers.end(),
                      [&](const auto& m) { return m.MatchesLabels(s.labels); })) {
        out.push_back(s);
      }
    }
    return out;
  }

  Status Scan(const storage::StreamInfo& stream, int64_t start, int64_t end, Direction direction,
              const storage::EntryVisitor& visit) override {
    ++scans;
    const auto& list = entries_[stream.id];
    auto visit_one = [&](const MemEntry& e) {
      if (e.ts < start || e.ts >= end) return true;
      ++visited;
      return visit(e.ts, e.line, e.metadata);
    };
    if (direction == Direction::kForward) {
      for (const auto& e : list) {
        if (!visit_one(e)) break;
      }
    } else {
      for (auto it = list.rbegin(); it != list.rend(); ++it) {
        if (!visit_one(*it)) break;
      }
    }
    return Status::Ok();
  }

  std::atomic<int> scans = 0;  // Scan runs on several threads at once
  std::atomic<int> visited = 0;

 private:
  std::vector<storage::StreamInfo> streams_;
  std::vector<std::vector<MemEntry>> entries_;
};

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back({n, v});
  std::sort(out.begin(), out.end());
  return out;
}

class LogqlEngineTest : public ::testing::Test {
 protected:
  Result<QueryResult> Run(std::string_view query, QueryParams params) {
    Result<ExprPtr> expr = ParseExpr(query);
    if (!expr.ok()) return expr.status();
    return engine_.Execute(**expr, params, reader_);
  }
  QueryResult MustRun(std::string_view query, QueryParams params) {
    Result<QueryResult> r = Run(query, params);
    EXPECT_TRUE(r.ok()) << query << ": " << r.status().message();
    return r.ok() ? std::move(r).value() : QueryResult{};
  }
  static QueryParams LogRange(int64_t start, int64_t end, size_t limit,
                              Direction d = Direction::kBackward) {
    QueryParams p;
    p.start_ns = start;
    p.end_ns = end;
    p.limit = limit;
    p.direction = d;
    return p;
  }
  static QueryParams MetricRange(int64_t start, int64_t end, int64_t step) {
    QueryParams p;
    p.start_ns = start;
    p.end_ns = end;
    p.step_ns = step;
    return p;
  }
  static QueryParams Instant(int64_t t) {
    QueryParams p;
    p.start_ns = p.end_ns = t;
    return p;
  }
  // The points of the one series labelled `labels` in a matrix result, as (seconds, value).
  static std::vector<std::pair<int64_t, double>> Points(const QueryResult& r,
                                                        const Labels& labels) {
    std::vector<std::pair<int64_t, double>> out;
    for (const auto& s : r.metric.matrix) {
      if (s.labels != labels) continue;
      for (const auto& p : s.points) out.push_back({p.t / 1000, p.v});
    }
    return out;
  }
  static std::vector<int64_t> Timestamps(const QueryResult& r) {
    std::vector<int64_t> out;
    for (const auto& s : r.streams) {
      for (const auto& e : s.entries) out.push_back(e.timestamp_ns);
    }
    return out;
  }

  MemReader reader_;
  Engine engine_{EngineOptions{.parallelism = 2}};
};

// Two streams, one entry every 10 s for a minute each, interleaved by 5 s.
void AddTwoStreams(MemReader& reader) {
  for (int i = 0; i < 6; ++i) {
    reader.Add(
        L({{"app", "api"}, {"level", "info"}}), kT0 + i * 10 * kSecond,
        "level=info msg=\"request done\" status=200 took=" + std::to_string(10 * (i + 1)) + "ms");
    reader.Add(L({{"app", "api"}, {"level", "error"}}), kT0 + (i * 10 + 5) * kSecond,
               "level=error msg=\"request failed\" status=500 took=" +
                   std::to_string(100 * (i + 1)) + "ms");
  }
}

TEST_F(LogqlEngineTest, BackwardLimitKeepsTheNewestAcrossStreams) {
  AddTwoStreams(reader_);
  QueryResult r = MustRun(R"({app="api"})", LogRange(kT0, kT0 + 3600 * kSecond, 3));
  ASSERT_TRUE(r.is_log);
  std::vector<int64_t> ts = Timestamps(r);
  std::sort(ts.begin(), ts.end());
  EXPECT_EQ(ts, (std::vector<int64_t>{kT0 + 45 * kSecond, kT0 + 50 * kSecond, kT0 + 55 * kSecond}));
  // Within a stream, newest first.
  for (const auto& s : r.streams) {
    for (size_t i = 1; i < s.entries.size(); ++i) {
      EXPECT_GT(s.entries[i - 1].timestamp_ns, s.entries[i].timestamp_ns);
    }
  }
  EXPECT_EQ(r.stats.lines_returned, 3u);
}

TEST_F(LogqlEngineTest, ForwardLimitKeepsTheOldestAndStopsReadingEarly) {
  AddTwoStreams(reader_);
  QueryResult r =
      MustRun(R"({app="api"})", LogRange(kT0, kT0 + 3600 * kSecond, 2, Direction::kForward));
  std::vector<int64_t> ts = Timestamps(r);
  std::sort(ts.begin(), ts.end());
  EXPECT_EQ(ts, (std::vector<int64_t>{kT0, kT0 + 5 * kSecond}));
  for (const auto& s : r.streams) {
    for (size_t i = 1; i < s.entries.size(); ++i) {
      EXPECT_LT(s.entries[i - 1].timestamp_ns, s.entries[i].timestamp_ns);
    }
  }
  // Each stream stops once it cannot beat what its worker keeps (two workers, one stream each):
  // 3 entries each rather than 6.
  EXPECT_LE(reader_.visited, 6);
}

TEST_F(LogqlEngineTest, LogRangeIsStartInclusiveEndExclusive) {
  AddTwoStreams(reader_);
  QueryResult r = MustRun(R"({app="api"})", LogRange(kT0 + 10 * kSecond, kT0 + 20 * kSecond, 100));
  EXPECT_EQ(Timestamps(r).size(), 2u);  // 10 s and 15 s; not 20 s
  std::vector<int64_t> ts = Timestamps(r);
  EXPECT_NE(std::find(ts.begin(), ts.end(), kT0 + 10 * kSecond), ts.end());
  EXPECT_EQ(std::find(ts.begin(), ts.end(), kT0 + 20 * kSecond), ts.end());
}

TEST_F(LogqlEngineTest, LineFilterAndParserChangeTheStreams) {
  AddTwoStreams(reader_);
  QueryResult r = MustRun(R"({app="api"} |= "failed" | logfmt | took > 300ms)",
                          LogRange(kT0, kT0 + 3600 * kSecond, 100));
  ASSERT_EQ(Timestamps(r).size(), 3u);  // 400, 500 and 600 ms
  for (const auto& s : r.streams) {
    EXPECT_EQ(storage::LabelValue(s.labels, "status"), "500");
    EXPECT_EQ(storage::LabelValue(s.labels, "msg"), "request failed");
    // `level` is a stream label: the parsed one is renamed.
    EXPECT_EQ(storage::LabelValue(s.labels, "level_extracted"), "error");
  }
}

TEST_F(LogqlEngineTest, CategorizedLabelsKeepStreamLabelsApart) {
  reader_.Add(L({{"job", "app"}}), kT0, "level=info a=1", L({{"trace_id", "abc"}}));
  QueryParams p = LogRange(kT0, kT0 + kSecond, 10);
  p.categorize_labels = true;
  QueryResult r = MustRun(R"({job="app"} | logfmt)", p);
  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].labels, L({{"job", "app"}}));
  ASSERT_EQ(r.streams[0].entries.size(), 1u);
  EXPECT_EQ(r.streams[0].entries[0].structured_metadata, L({{"trace_id", "abc"}}));
  EXPECT_EQ(r.streams[0].entries[0].parsed, L({{"a", "1"}, {"level", "info"}}));

  p.categorize_labels = false;
  r = MustRun(R"({job="app"} | logfmt)", p);
  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].labels,
            L({{"a", "1"}, {"job", "app"}, {"level", "info"}, {"trace_id", "abc"}}));
}

TEST_F(LogqlEngineTest, CountOverTimeWindowsAreLeftOpenRightClosed) {
  AddTwoStreams(reader_);
  // Steps at T0, T0+10s, ... T0+60s; [10s] windows (t-10s, t].
  QueryResult r = MustRun(R"(count_over_time({app="api", level="info"}[10s]))",
                          MetricRange(kT0, kT0 + 60 * kSecond, 10 * kSecond));
  ASSERT_EQ(r.metric.type, promql::ValueType::kMatrix);
  auto pts = Points(r, L({{"app", "api"}, {"level", "info"}}));
  // The entry at T0 + 10k s falls in exactly the window ending at it.
  ASSERT_EQ(pts.size(), 6u);
  for (size_t i = 0; i < pts.size(); ++i) {
    EXPECT_EQ(pts[i].first, kT0 / kSecond + 10 * static_cast<int64_t>(i));
    EXPECT_EQ(pts[i].second, 1);
  }
}

TEST_F(LogqlEngineTest, RateAndBytesDivideByTheRange) {
  reader_.Add(L({{"app", "x"}}), kT0 + 1 * kSecond, "abcd");
  reader_.Add(L({{"app", "x"}}), kT0 + 2 * kSecond, "ef");
  QueryResult r = MustRun(R"(rate({app="x"}[1m]))", Instant(kT0 + 60 * kSecond));
  ASSERT_EQ(r.metric.type, promql::ValueType::kVector);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_DOUBLE_EQ(r.metric.vector[0].v, 2.0 / 60);
  r = MustRun(R"(bytes_over_time({app="x"}[1m]))", Instant(kT0 + 60 * kSecond));
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_DOUBLE_EQ(r.metric.vector[0].v, 6);
  r = MustRun(R"(bytes_rate({app="x"}[1m]))", Instant(kT0 + 60 * kSecond));
  EXPECT_DOUBLE_EQ(r.metric.vector[0].v, 6.0 / 60);
  // The window (t - 1m, t] excludes an entry exactly 1m before t.
  r = MustRun(R"(count_over_time({app="x"}[1m]))", Instant(kT0 + 61 * kSecond));
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_EQ(r.metric.vector[0].v, 1);
}

TEST_F(LogqlEngineTest, VectorAggregationAndTheGrafanaVolumeQuery) {
  AddTwoStreams(reader_);
  QueryResult r = MustRun(
      R"(sum by (level, detected_level) (count_over_time({app="api"} | drop __error__[1m])))",
      MetricRange(kT0 + 60 * kSecond, kT0 + 60 * kSecond, 60 * kSecond));
  ASSERT_EQ(r.metric.matrix.size(), 2u);
  EXPECT_EQ(r.metric.matrix[0].labels, L({{"level", "error"}}));
  EXPECT_EQ(r.metric.matrix[1].labels, L({{"level", "info"}}));
  // (T0, T0+60s]: info at 10..50 (5 entries), error at 5..55 (6 entries).
  EXPECT_EQ(Points(r, L({{"level", "info"}}))[0].second, 5);
  EXPECT_EQ(Points(r, L({{"level", "error"}}))[0].second, 6);
}

TEST_F(LogqlEngineTest, GrafanaHealthCheckQuery) {
  QueryResult r = MustRun("vector(1)+vector(1)", Instant(4 * kSecond));
  ASSERT_EQ(r.metric.type, promql::ValueType::kVector);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_TRUE(r.metric.vector[0].labels.empty());
  EXPECT_EQ(r.metric.vector[0].v, 2);
  EXPECT_EQ(r.metric.vector[0].t, 4000);
}

TEST_F(LogqlEngineTest, BinaryOperatorsTopkAndLabelReplace) {
  AddTwoStreams(reader_);
  const QueryParams at = Instant(kT0 + 60 * kSecond);
  QueryResult r = MustRun(R"(count_over_time({app="api"}[1m]) * 2 > 10)", at);
  ASSERT_EQ(r.metric.vector.size(), 1u);  // error: 6 * 2 = 12; info: 5 * 2 = 10 filtered
  EXPECT_EQ(storage::LabelValue(r.metric.vector[0].labels, "level"), "error");
  EXPECT_EQ(r.metric.vector[0].v, 12);

  r = MustRun(R"(topk(1, count_over_time({app="api"}[1m])))", at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_EQ(r.metric.vector[0].v, 6);

  r = MustRun(
      R"(sum(count_over_time({level="error"}[1m])) / sum(count_over_time({app="api"}[1m])))", at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_DOUBLE_EQ(r.metric.vector[0].v, 6.0 / 11);

  r = MustRun(
      R"q(label_replace(count_over_time({level="info"}[1m]), "sev", "$1", "level", "(.*)"))q", at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_EQ(storage::LabelValue(r.metric.vector[0].labels, "sev"), "info");
}

TEST_F(LogqlEngineTest, OffsetShiftsTheWindow) {
  AddTwoStreams(reader_);
  QueryResult r =
      MustRun(R"(count_over_time({level="info"}[20s] offset 30s))", Instant(kT0 + 70 * kSecond));
  // Window (T0+20s, T0+40s]: entries at 30 s and 40 s.
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_EQ(r.metric.vector[0].v, 2);
}

TEST_F(LogqlEngineTest, UnwrapFunctionsAndGrouping) {
  AddTwoStreams(reader_);
  const QueryParams at = Instant(kT0 + 60 * kSecond);
  // took for error lines: 100ms .. 600ms, every one in (T0, T0+60s].
  QueryResult r = MustRun(
      R"(avg_over_time({level="error"} | logfmt | unwrap duration(took) [1m]) by (status))", at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_EQ(r.metric.vector[0].labels, L({{"status", "500"}}));
  EXPECT_NEAR(r.metric.vector[0].v, 0.35, 1e-12);
  r = MustRun(R"(max_over_time({level="error"} | logfmt | unwrap duration(took) [1m]) by (app))",
              at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_NEAR(r.metric.vector[0].v, 0.6, 1e-12);
  r = MustRun(
      R"(quantile_over_time(0.5, {level="error"} | logfmt | unwrap duration(took) [1m]) by (app))",
      at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_NEAR(r.metric.vector[0].v, 0.35, 1e-12);
  // Without grouping every line is its own series (`took` differs): 6 series of 500.
  r = MustRun(R"(sum_over_time({level="error"} | logfmt | unwrap status [1m]))", at);
  EXPECT_EQ(r.metric.vector.size(), 6u);
  r = MustRun(R"(sum(sum_over_time({level="error"} | logfmt | unwrap status [1m])))", at);
  ASSERT_EQ(r.metric.vector.size(), 1u);
  EXPECT_EQ(r.metric.vector[0].v, 3000);
  r = MustRun(R"(last_over_time({level="error"} | logfmt | unwrap duration(took) [1m]) by (app))",
              at);
  EXPECT_NEAR(r.metric.vector[0].v, 0.6, 1e-12);
  r = MustRun(R"(first_over_time({level="error"} | logfmt | unwrap duration(took) [1m]) by (app))",
              at);
  EXPECT_NEAR(r.metric.vector[0].v, 0.1, 1e-12);
}

TEST_F(LogqlEngineTest, PipelineErrorsFailMetricQueriesUnlessFiltered) {
  reader_.Add(L({{"app", "j"}}), kT0 + kSecond, R"({"a":1})");
  reader_.Add(L({{"app", "j"}}), kT0 + 2 * kSecond, "not json");
  Result<QueryResult> r =
      Run(R"(count_over_time({app="j"} | json [1m]))", Instant(kT0 + 60 * kSecond));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("pipeline error: 'JSONParserErr'"), std::string::npos)
      << r.status().message();
  QueryResult ok = MustRun(R"(count_over_time({app="j"} | json | __error__="" [1m]))",
                           Instant(kT0 + 60 * kSecond));
  ASSERT_EQ(ok.metric.vector.size(), 1u);
  EXPECT_EQ(ok.metric.vector[0].v, 1);
  // Log queries keep the line and show the error as a label.
  QueryResult logs = MustRun(R"({app="j"} | json)", LogRange(kT0, kT0 + 60 * kSecond, 10));
  bool has_error = false;
  for (const auto& s : logs.streams) {
    has_error = has_error || storage::LabelValue(s.labels, "__error__") == "JSONParserErr";
  }
  EXPECT_TRUE(has_error);
}

TEST_F(LogqlEngineTest, AbsentOverTime) {
  reader_.Add(L({{"app", "a"}}), kT0 + 5 * kSecond, "x");
  QueryResult r = MustRun(R"(absent_over_time({app="a", env!="prod"}[10s]))",
                          MetricRange(kT0, kT0 + 30 * kSecond, 10 * kSecond));
  // Present in the windows ending at 10 s only; absent at 0, 20 and 30 s.
  auto pts = Points(r, L({{"app", "a"}}));
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[0].first, kT0 / kSecond);
  EXPECT_EQ(pts[1].first, kT0 / kSecond + 20);
}

TEST_F(LogqlEngineTest, SeriesLimit) {
  for (int i = 0; i < 5; ++i) {
    reader_.Add(L({{"app", "many"}, {"n", std::to_string(i).c_str()}}), kT0 + kSecond, "x");
  }
  Engine small(EngineOptions{.max_streams = 0, .max_series = 3});
  Result<ExprPtr> expr = ParseExpr(R"(count_over_time({app="many"}[1m]))");
  ASSERT_TRUE(expr.ok());
  Result<QueryResult> r = small.Execute(**expr, Instant(kT0 + 60 * kSecond), reader_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("maximum of series (3)"), std::string::npos);
}

TEST_F(LogqlEngineTest, RangeQueryAlignsToTheStep) {
  AddTwoStreams(reader_);
  QueryResult r = MustRun(R"(count_over_time({level="info"}[10s]))",
                          MetricRange(kT0 + 3 * kSecond, kT0 + 27 * kSecond, 10 * kSecond));
  auto pts = Points(r, L({{"app", "api"}, {"level", "info"}}));
  // Start aligned down to T0, end up to T0+30s.
  ASSERT_EQ(pts.size(), 4u);
  EXPECT_EQ(pts.front().first, kT0 / kSecond);
  EXPECT_EQ(pts.back().first, kT0 / kSecond + 30);
}

TEST_F(LogqlEngineTest, DeadlineStopsTheQuery) {
  AddTwoStreams(reader_);
  QueryParams p = LogRange(kT0, kT0 + 3600 * kSecond, 10);
  p.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  Result<QueryResult> r = Run(R"({app="api"})", p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace sluice::query::logql

// ---- Randomised: the engine's filtering on loghub against a naive reference ----------------

namespace sluice::query::logql {
namespace {

struct LoghubEntry {
  int64_t ts;
  std::string system;
  std::string line;
};

std::vector<LoghubEntry> LoadLoghub() {
  std::vector<LoghubEntry> out;
  const char* const systems[] = {"Android", "Apache",      "BGL",       "HDFS",
                                 "HPC",     "Hadoop",      "HealthApp", "Linux",
                                 "Mac",     "OpenSSH",     "OpenStack", "Proxifier",
                                 "Spark",   "Thunderbird", "Windows",   "Zookeeper"};
  int64_t ts = kT0;
  for (const char* system : systems) {
    std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/loghub/" + system +
                     "_2k.log");
    std::string line;
    // Interleave the systems in time: each line 16 ms after the previous line of any system.
    int64_t t = ts;
    while (std::getline(in, line)) {
      out.push_back({t, system, line});
      t += 16 * 1'000'000;
    }
    ts += 1'000'000;
  }
  return out;
}

// One random line filter over words that occur in loghub, in upper and lower case.
std::string RandomFilter(std::mt19937& rng, std::function<bool(std::string_view)>* keep) {
  const char* const words[] = {"error",   "ERROR", "failed", "info",       "INFO",
                               "session", "block", "user",   "connection", "root",
                               "WARN",    "0",     "java",   "kernel"};
  std::string w = words[rng() % std::size(words)];
  std::string w2 = words[rng() % std::size(words)];
  auto has = [](std::string_view l, std::string_view x) {
    return l.find(x) != std::string_view::npos;
  };
  auto has_nocase = [](std::string_view l, std::string_view x) {
    return std::search(l.begin(), l.end(), x.begin(), x.end(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           }) != l.end();
  };
  switch (rng() % 6) {
    case 0:
      *keep = [=](std::string_view l) { return has(l, w); };
      return "|= \"" + w + "\"";
    case 1:
      *keep = [=](std::string_view l) { return !has(l, w); };
      return "!= \"" + w + "\"";
    case 2:
      *keep = [=](std::string_view l) { return has(l, w) || has(l, w2); };
      return "|~ \"" + w + "|" + w2 + "\"";
    case 3:
      *keep = [=](std::string_view l) { return has_nocase(l, w); };
      return "|~ \"(?i)" + w + "\"";
    case 4:
      *keep = [=](std::string_view l) { return !(has(l, w) || has(l, w2)); };
      return "!~ \"" + w + "|" + w2 + "\"";
    default:
      *keep = [=](std::string_view l) { return has(l, w) || has(l, w2); };
      return "|= \"" + w + "\" or \"" + w2 + "\"";
  }
}

TEST_F(LogqlEngineTest, RandomisedFiltersOnLoghubMatchANaiveReference) {
  const std::vector<LoghubEntry> entries = LoadLoghub();
  ASSERT_GT(entries.size(), 30000u);
  for (const LoghubEntry& e : entries) {
    reader_.Add(L({{"job", "loghub"}, {"system", e.system.c_str()}}), e.ts, e.line);
  }
  const int64_t end = entries.back().ts + 1'000'000'000;
  std::mt19937 rng(20261206);
  for (int round = 0; round < 60; ++round) {
    std::string query = R"({job="loghub"})";
    std::vector<std::function<bool(std::string_view)>> keeps;
    const int filters = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < filters; ++f) {
      std::function<bool(std::string_view)> keep;
      query += " " + RandomFilter(rng, &keep);
      keeps.push_back(std::move(keep));
    }
    const Direction direction = rng() % 2 ? Direction::kBackward : Direction::kForward;
    const size_t limit = 1 + rng() % 3000;
    const int64_t start = kT0 + static_cast<int64_t>(rng() % 30) * kSecond;

    // Every third round thins with `interval` (Loki's readStreams).
    const int64_t interval =
        round % 3 == 0 ? static_cast<int64_t>(1 + rng() % 2000) * 1'000'000 : 0;
    std::vector<int64_t> passing;
    for (const LoghubEntry& e : entries) {
      if (e.ts < start || e.ts >= end) continue;
      if (std::all_of(keeps.begin(), keeps.end(), [&](const auto& k) { return k(e.line); })) {
        passing.push_back(e.ts);
      }
    }
    std::sort(passing.begin(), passing.end());
    if (direction == Direction::kBackward) std::reverse(passing.begin(), passing.end());
    std::vector<int64_t> expected;
    for (int64_t ts : passing) {
      if (expected.size() >= limit) break;
      if (!expected.empty() && interval > 0) {
        int64_t last = expected.back();
        if (direction == Direction::kBackward ? ts > last - interval : ts < last + interval) {
          continue;
        }
      }
      expected.push_back(ts);
    }
    std::sort(expected.begin(), expected.end());

    QueryParams params = LogRange(start, end, limit, direction);
    params.interval_ns = interval;
    QueryResult r = MustRun(query, params);
    std::vector<int64_t> got = Timestamps(r);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, expected) << query << " limit " << limit << " interval " << interval;

    // The same filters counted per minute by the metric path.
    const int64_t step = 60 * kSecond;
    QueryResult m =
        MustRun("sum(count_over_time(" + query + " [1m]))", MetricRange(start, end, step));
    std::map<int64_t, double> naive;
    const int64_t first = start / step * step;
    const int64_t last = (end + step - 1) / step * step;
    for (const LoghubEntry& e : entries) {
      if (!std::all_of(keeps.begin(), keeps.end(), [&](const auto& k) { return k(e.line); })) {
        continue;
      }
      // The step t whose window (t - 1m, t] holds e.
      int64_t t = (e.ts + step - 1) / step * step;
      if (t >= first && t <= last) naive[t / 1'000'000] += 1;
    }
    std::map<int64_t, double> engine;
    for (const auto& s : m.metric.matrix) {
      for (const auto& p : s.points) engine[p.t] = p.v;
    }
    ASSERT_EQ(engine, naive) << query;
  }
}

}  // namespace
}  // namespace sluice::query::logql

namespace sluice::query::logql {
namespace {

bool CompilesToLineFiltersOnly(std::string_view query) {
  Result<ExprPtr> expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query;
  if (!expr.ok()) return false;
  Result<std::unique_ptr<Pipeline>> p = Pipeline::Compile(std::get<LogSelector>((*expr)->node));
  EXPECT_TRUE(p.ok()) << query;
  return p.ok() && (*p)->LineFiltersOnly();
}

TEST(LogqlEngineFastPath, DropOfErrorLabelsBeforeAnyParserKeepsLineFiltersOnly) {
  // Grafana's volume query: the fast path (no label work per entry) must apply.
  EXPECT_TRUE(CompilesToLineFiltersOnly(R"({job="app"} | drop __error__)"));
  EXPECT_TRUE(
      CompilesToLineFiltersOnly(R"({job="app"} |= "x" | drop __error__, __error_details__)"));
  EXPECT_FALSE(CompilesToLineFiltersOnly(R"({job="app"} | json | drop __error__)"));
  EXPECT_FALSE(CompilesToLineFiltersOnly(R"({job="app"} | drop level)"));
  EXPECT_FALSE(CompilesToLineFiltersOnly(R"({job="app"} | drop __error__="JSONParserErr")"));
}

}  // namespace
}  // namespace sluice::query::logql

namespace sluice::query::logql {
namespace {

TEST_F(LogqlEngineTest, SumIsPushedIntoTheRangeAggregation) {
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j <= i; ++j) {
      reader_.Add(L({{"app", "many"}, {"n", std::to_string(i).c_str()}}), kT0 + (j + 1) * kSecond,
                  "x" + std::string(static_cast<size_t>(i), 'y'));
    }
  }
  // Two series at most per range aggregation: only a pushed-down sum fits.
  Engine small(EngineOptions{.max_series = 10, .max_range_series = 2, .parallelism = 2});
  auto run = [&](std::string_view q) {
    Result<ExprPtr> expr = ParseExpr(q);
    EXPECT_TRUE(expr.ok()) << q;
    return small.Execute(**expr, Instant(kT0 + 60 * kSecond), reader_);
  };
  for (const char* q :
       {R"(sum by (app) (count_over_time({app="many"}[1m])))", R"(sum(rate({app="many"}[1m])))",
        R"(sum without (n) (bytes_over_time({app="many"}[1m])))",
        R"(sum by (app) ((count_over_time({app="many"}[1m]))))"}) {
    Result<QueryResult> r = run(q);
    ASSERT_TRUE(r.ok()) << q << ": " << r.status().message();
    ASSERT_EQ(r->metric.vector.size(), 1u) << q;
  }
  EXPECT_EQ(run(R"(sum by (app) (count_over_time({app="many"}[1m])))")->metric.vector[0].v, 15);
  // 1+2+3+4+5 lines of 1..5 bytes: 1*1 + 2*2 + 3*3 + 4*4 + 5*5.
  EXPECT_EQ(run(R"(sum(bytes_over_time({app="many"}[1m])))")->metric.vector[0].v, 55);
  // Not pushed down: other aggregations, a binary operation in between, absent_over_time.
  for (const char* q : {R"(max by (app) (count_over_time({app="many"}[1m])))",
                        R"(sum by (app) (count_over_time({app="many"}[1m]) * 2))"}) {
    Result<QueryResult> r = run(q);
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << q;
  }
  // The same answer either way.
  Engine large(EngineOptions{.parallelism = 2});
  Result<ExprPtr> pushed = ParseExpr(R"(sum by (n) (count_over_time({app="many"}[10s])))");
  Result<ExprPtr> not_pushed = ParseExpr(R"(sum by (n) (count_over_time({app="many"}[10s]) * 1))");
  ASSERT_TRUE(pushed.ok() && not_pushed.ok());
  QueryParams range = MetricRange(kT0, kT0 + 60 * kSecond, 5 * kSecond);
  Result<QueryResult> a = large.Execute(**pushed, range, reader_);
  Result<QueryResult> b = large.Execute(**not_pushed, range, reader_);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->metric.matrix.size(), b->metric.matrix.size());
  for (size_t i = 0; i < a->metric.matrix.size(); ++i) {
    EXPECT_EQ(a->metric.matrix[i].labels, b->metric.matrix[i].labels);
    ASSERT_EQ(a->metric.matrix[i].points.size(), b->metric.matrix[i].points.size());
    for (size_t k = 0; k < a->metric.matrix[i].points.size(); ++k) {
      EXPECT_EQ(a->metric.matrix[i].points[k].t, b->metric.matrix[i].points[k].t);
      EXPECT_EQ(a->metric.matrix[i].points[k].v, b->metric.matrix[i].points[k].v);
    }
  }
}

}  // namespace
}  // namespace sluice::query::logql

namespace sluice::query::logql {
namespace {

TEST_F(LogqlEngineTest, OneStreamCutIntoTimeSlicesGivesTheSameAnswers) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    int64_t ts = kT0 + static_cast<int64_t>(rng() % 600'000) * 1'000'000;
    reader_.Add(L({{"app", "one"}}), ts,
                "level=info took=" + std::to_string(rng() % 1000) + "ms n=" + std::to_string(i));
  }
  Engine serial(EngineOptions{.parallelism = 1});
  Engine sliced(EngineOptions{.parallelism = 4});
  const QueryParams range = MetricRange(kT0, kT0 + 600 * kSecond, 30 * kSecond);
  for (const char* q : {
           R"(count_over_time({app="one"}[1m]))",
           R"(sum(bytes_rate({app="one"} |= "took=1" [2m])))",
           R"(avg_over_time({app="one"} | logfmt | unwrap duration(took) [1m]) by (app))",
           R"(quantile_over_time(0.9, {app="one"} | logfmt | unwrap duration(took) [5m]) by (app))",
           R"(first_over_time({app="one"} | logfmt | unwrap duration(took) [1m]) by (app))",
           R"(last_over_time({app="one"} | logfmt | unwrap duration(took) [1m]) by (app))",
           R"(stddev_over_time({app="one"} | logfmt | unwrap duration(took) [3m]) by (level))",
           R"(sum(rate_counter({app="one"} | logfmt | unwrap n [1m])))",
       }) {
    Result<ExprPtr> expr = ParseExpr(q);
    ASSERT_TRUE(expr.ok()) << q << ": " << expr.status().message();
    Result<QueryResult> a = serial.Execute(**expr, range, reader_);
    Result<QueryResult> b = sliced.Execute(**expr, range, reader_);
    ASSERT_TRUE(a.ok() && b.ok()) << q;
    ASSERT_EQ(a->metric.matrix.size(), b->metric.matrix.size()) << q;
    for (size_t i = 0; i < a->metric.matrix.size(); ++i) {
      const auto& x = a->metric.matrix[i];
      const auto& y = b->metric.matrix[i];
      EXPECT_EQ(x.labels, y.labels) << q;
      ASSERT_EQ(x.points.size(), y.points.size()) << q;
      for (size_t k = 0; k < x.points.size(); ++k) {
        EXPECT_EQ(x.points[k].t, y.points[k].t) << q;
        EXPECT_NEAR(x.points[k].v, y.points[k].v, 1e-9 * std::max(1.0, std::abs(x.points[k].v)))
            << q;
      }
    }
  }
}

}  // namespace
}  // namespace sluice::query::logql

// PromQL engine tests. Most are scripts in (a subset of) Prometheus' promqltest format:
//
//   load <interval>                       series, one sample per interval from t=0:
//     <metric>{<labels>} <values>         `1 2 _ stale NaN`, `0+10x5` (6 values), `_x3`
//   eval[_ordered] instant at <t> <query> then the expected result, one line each:
//     {<labels>} <value>                  a vector element (any order unless eval_ordered)
//     {<labels>} <v>@<t> ...              a range vector series (instant queries)
//     scalar <v> / string <s>
//   eval range from <a> to <b> step <s> <query>
//     {<labels>} <v0> <v1> _ ...          one value or `_` per step
//   eval_fail instant at <t> <query>
//     error: <message>
//
// Expected values follow Prometheus 2.42's semantics; the results were also checked against a
// real Prometheus 2.42 (Debian's) loaded with the same series (stale markers excepted: those
// cases are derived by hand).
#include "query/promql_engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "query/promql_parser.h"
#include "storage/metric_batch.h"

namespace sluice::query::promql {
namespace {

using storage::Label;

// An in-memory Querier: every series with its samples, filtered by matchers and time.
class MemoryQuerier final : public Querier {
 public:
  void Add(Labels labels, std::vector<Point> points) {
    series_.push_back({std::move(labels), std::move(points)});
  }

  Status Select(const storage::LabelMatchers& matchers, int64_t mint, int64_t maxt,
                Matrix* out) override {
    ++selects;
    selected_ranges.push_back({mint, maxt});
    for (const Series& s : series_) {
      bool match = true;
      for (const storage::LabelMatcher& m : matchers) match = match && m.MatchesLabels(s.labels);
      if (!match) continue;
      Series selected{s.labels, {}};
      for (const Point& p : s.points) {
        if (p.t >= mint && p.t <= maxt) selected.points.push_back(p);
      }
      if (!selected.points.empty()) out->push_back(std::move(selected));
    }
    return Status::Ok();
  }

  int selects = 0;
  std::vector<std::pair<int64_t, int64_t>> selected_ranges;

 private:
  Matrix series_;
};

int64_t Duration(std::string_view text) {
  if (text == "0") return 0;
  Result<int64_t> d = ParseDuration(text, true);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : 0;
}

double ParseValue(std::string_view text) {
  if (text == "stale") return storage::StaleNaN();
  if (text == "NaN") return std::nan("");
  if (text == "Inf" || text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  EXPECT_EQ(end, s.c_str() + s.size()) << "bad number " << text;
  return v;
}

// `name{a="b", c="d"}` or `{a="b"}`: a sorted label set. Advances *pos past it.
Labels ParseLabels(std::string_view text, size_t* pos) {
  Labels labels;
  size_t i = *pos;
  size_t name_start = i;
  while (i < text.size() && text[i] != '{' && text[i] != ' ' && text[i] != '\t') ++i;
  if (i > name_start)
    labels.push_back({"__name__", std::string(text.substr(name_start, i - name_start))});
  if (i < text.size() && text[i] == '{') {
    ++i;
    while (i < text.size() && text[i] != '}') {
      while (text[i] == ' ' || text[i] == ',') ++i;
      if (text[i] == '}') break;
      size_t n = i;
      while (text[i] != '=') ++i;
      std::string name(text.substr(n, i - n));
      while (name.back() == ' ') name.pop_back();
      i = text.find('"', i) + 1;
      std::string value;
      while (text[i] != '"') {
        if (text[i] == '\\') {
          ++i;
          value.push_back(text[i] == 'n' ? '\n' : text[i]);
        } else {
          value.push_back(text[i]);
        }
        ++i;
      }
      ++i;
      labels.push_back({std::move(name), std::move(value)});
    }
    ++i;
  }
  *pos = i;
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

// Expands `0+10x3 _ stale 5 _x2` into values (nullopt: no sample).
std::vector<std::optional<double>> ExpandValues(std::string_view text) {
  std::vector<std::optional<double>> out;
  for (const std::string& tok : Split(text)) {
    size_t x = tok.rfind('x');
    size_t sign = tok.find_first_of("+-", 1);
    if (tok == "_") {
      out.push_back(std::nullopt);
    } else if (tok.size() > 2 && tok[0] == '_' && tok[1] == 'x') {
      out.insert(out.end(), std::stoul(tok.substr(2)), std::nullopt);
    } else if (x != std::string::npos && sign != std::string::npos && sign < x &&
               tok.find_first_of("eE") == std::string::npos) {
      double start = ParseValue(tok.substr(0, sign));
      double step = ParseValue(tok.substr(sign, x - sign));
      int n = std::stoi(tok.substr(x + 1));
      for (int i = 0; i <= n; ++i) out.push_back(start + step * i);
    } else {
      out.push_back(ParseValue(tok));
    }
  }
  return out;
}

bool SameValue(double expected, double actual) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (expected == actual) return true;
  return std::fabs(expected - actual) <= 1e-9 * std::max(std::fabs(expected), std::fabs(actual));
}

std::string Show(const Labels& labels) { return storage::LabelsToString(labels); }

class Script {
 public:
  explicit Script(EngineOptions options = {}) : engine_(options) {}

  void Run(std::string_view script) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(script)};
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    for (size_t i = 0; i < lines.size();) {
      const std::string& line = lines[i++];
      if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t") == std::string::npos) {
        continue;
      }
      std::vector<std::string> expected;
      while (i < lines.size() && lines[i].size() > 2 && lines[i][0] == ' ') {
        expected.push_back(lines[i].substr(lines[i].find_first_not_of(" \t")));
        ++i;
      }
      if (line.rfind("load ", 0) == 0) {
        Load(Duration(line.substr(5)), expected);
      } else {
        Eval(line, expected);
      }
    }
  }

  MemoryQuerier& querier() { return querier_; }

 private:
  void Load(int64_t interval, const std::vector<std::string>& series) {
    for (const std::string& line : series) {
      size_t pos = 0;
      Labels labels = ParseLabels(line, &pos);
      std::vector<Point> points;
      std::vector<std::optional<double>> values = ExpandValues(line.substr(pos));
      for (size_t k = 0; k < values.size(); ++k) {
        if (values[k]) points.push_back({static_cast<int64_t>(k) * interval, *values[k]});
      }
      querier_.Add(std::move(labels), std::move(points));
    }
  }

  void Eval(const std::string& line, const std::vector<std::string>& expected) {
    std::vector<std::string> words = Split(line);
    ASSERT_GE(words.size(), 4u) << line;
    const std::string& kind = words[0];
    QueryParams params;
    size_t query_at;
    if (words[1] == "instant") {
      params.start_ms = params.end_ms = Duration(words[3]);
      query_at = line.find(words[3]) + words[3].size();
    } else {
      params.start_ms = Duration(words[3]);
      params.end_ms = Duration(words[5]);
      params.step_ms = Duration(words[7]);
      query_at = line.find(" step " + words[7]) + 6 + words[7].size();
    }
    std::string query = line.substr(line.find_first_not_of(' ', query_at));
    SCOPED_TRACE(line);
    Result<ExprPtr> expr = ParseExpr(query);
    ASSERT_TRUE(expr.ok()) << expr.status().ToString();
    Result<QueryResult> result = engine_.Execute(**expr, params, querier_);
    if (kind == "eval_fail") {
      ASSERT_FALSE(result.ok()) << "expected an error";
      ASSERT_EQ(expected.size(), 1u);
      EXPECT_EQ("error: " + result.status().message(), expected[0]);
      return;
    }
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    Compare(*result, params, kind == "eval_ordered", expected);
  }

  void Compare(const QueryResult& r, const QueryParams& params, bool ordered,
               const std::vector<std::string>& expected) {
    if (r.type == ValueType::kScalar || r.type == ValueType::kString) {
      ASSERT_EQ(expected.size(), 1u);
      std::vector<std::string> words = Split(expected[0]);
      if (r.type == ValueType::kString) {
        EXPECT_EQ(expected[0], "string " + r.string);
      } else {
        ASSERT_EQ(words[0], "scalar");
        EXPECT_PRED2(SameValue, ParseValue(words[1]), r.scalar.v);
      }
      return;
    }
    // Each actual series as (labels, one token per step or v@t list).
    std::vector<std::pair<Labels, std::vector<std::string>>> actual;
    auto show = [](double v) {
      std::ostringstream o;
      o.precision(17);
      o << v;
      return o.str();
    };
    if (r.type == ValueType::kVector) {
      for (const auto& e : r.vector) {
        EXPECT_EQ(e.t, params.start_ms);
        actual.push_back({e.labels, {show(e.v)}});
      }
    } else {
      for (const Series& s : r.matrix) {
        std::vector<std::string> tokens;
        if (params.step_ms == 0) {
          for (const Point& p : s.points) tokens.push_back(show(p.v) + "@" + show(p.t / 1000.0));
        } else {
          size_t k = 0;
          for (int64_t t = params.start_ms; t <= params.end_ms; t += params.step_ms) {
            if (k < s.points.size() && s.points[k].t == t) {
              tokens.push_back(show(s.points[k++].v));
            } else {
              tokens.push_back("_");
            }
          }
          EXPECT_EQ(k, s.points.size()) << "points off the steps in " << Show(s.labels);
        }
        actual.push_back({s.labels, std::move(tokens)});
      }
      if (params.step_ms != 0) {
        EXPECT_TRUE(
            std::is_sorted(r.matrix.begin(), r.matrix.end(),
                           [](const Series& a, const Series& b) { return a.labels < b.labels; }));
      }
    }
    std::string all;
    for (const auto& [labels, tokens] : actual) {
      all += Show(labels);
      for (const std::string& t : tokens) all += " " + t;
      all += "\n";
    }
    SCOPED_TRACE("actual:\n" + all);
    ASSERT_EQ(actual.size(), expected.size());
    std::vector<bool> used(actual.size(), false);
    for (size_t e = 0; e < expected.size(); ++e) {
      size_t pos = 0;
      Labels labels = ParseLabels(expected[e], &pos);
      std::vector<std::string> want = Split(expected[e].substr(pos));
      size_t found = actual.size();
      for (size_t a = 0; a < actual.size(); ++a) {
        if (!used[a] && actual[a].first == labels && (!ordered || a == e)) {
          found = a;
          break;
        }
      }
      ASSERT_LT(found, actual.size()) << "no (or misplaced) series " << expected[e];
      used[found] = true;
      const std::vector<std::string>& got = actual[found].second;
      ASSERT_EQ(got.size(), want.size()) << expected[e];
      for (size_t k = 0; k < want.size(); ++k) {
        if (want[k] == "_" || got[k] == "_") {
          EXPECT_EQ(want[k], got[k]) << expected[e] << " step " << k;
          continue;
        }
        size_t at_w = want[k].find('@'), at_g = got[k].find('@');
        EXPECT_PRED2(SameValue, ParseValue(want[k].substr(0, at_w)),
                     ParseValue(got[k].substr(0, at_g)))
            << expected[e] << " #" << k;
        if (at_w != std::string::npos) {
          EXPECT_PRED2(SameValue, ParseValue(want[k].substr(at_w + 1)),
                       ParseValue(got[k].substr(at_g + 1)));
        }
      }
    }
  }

  Engine engine_;
  MemoryQuerier querier_;
};

void RunScript(std::string_view script, EngineOptions options = {}) {
  Script s(options);
  s.Run(script);
}

void RunScriptFile(std::string_view name) {
  std::string path = std::string(SLUICE_SOURCE_DIR) + "/tests/testdata/promql/" + std::string(name);
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  SCOPED_TRACE(path);
  RunScript(text.str());
}

TEST(PromqlEngineScript, Aggregations) { RunScriptFile("aggregations.test"); }
TEST(PromqlEngineScript, RangeFunctions) { RunScriptFile("range_functions.test"); }
TEST(PromqlEngineScript, InstantFunctions) { RunScriptFile("instant_functions.test"); }
TEST(PromqlEngineScript, BinaryOperators) { RunScriptFile("binary_operators.test"); }
TEST(PromqlEngineScript, Selectors) { RunScriptFile("selectors.test"); }
TEST(PromqlEngineScript, Staleness) { RunScriptFile("staleness.test"); }
TEST(PromqlEngineScript, Modifiers) { RunScriptFile("modifiers.test"); }

TEST(PromqlEngine, LookbackDeltaIsConfigurable) {
  EngineOptions options;
  options.lookback_delta_ms = 60'000;
  RunScript(R"test(
load 1m
  metric{a="1"} 1 _ _ 4

eval instant at 1m metric
  {__name__="metric", a="1"} 1

eval instant at 1m1s metric

eval range from 0 to 4m step 1m metric
  {__name__="metric", a="1"} 1 1 _ 4 4
)test",
            options);
}

TEST(PromqlEngine, SubqueryWithoutStepUsesTheEvaluationInterval) {
  EngineOptions options;
  options.default_evaluation_interval_ms = 120'000;
  RunScript(R"test(
load 1m
  metric{a="1"} 0+1x10

eval instant at 10m metric[5m:]
  {__name__="metric", a="1"} 6@360 8@480 10@600

eval instant at 10m count_over_time(metric[5m:])
  {a="1"} 3
)test",
            options);
}

// Prometheus 2.42 (--query.max-samples) refuses these queries below exactly these limits:
// samples held at once, the selectors' and the per-step copies included.
TEST(PromqlEngine, MaxSamplesCountedAsPrometheus) {
  struct Case {
    const char* query;
    int64_t step_ms;
    uint64_t needed;
  };
  const Case cases[] = {
      {"metric", 0, 2},
      {"sum(metric)", 0, 5},
      {"rate(metric[2m])", 0, 4},
      {"metric", 60'000, 17},
  };
  for (const Case& c : cases) {
    for (uint64_t max : {c.needed - 1, c.needed}) {
      SCOPED_TRACE(fmt::format("{} step {} max {}", c.query, c.step_ms, max));
      EngineOptions options;
      options.max_samples = max;
      Script script(options);
      script.Run(R"test(
load 1m
  metric{a="1"} 0 1 2 3 4 5 6 7 8 9 10
  metric{a="2"} 10 _ _ _ _ _ _ _ _ _ _
)test");
      Result<ExprPtr> expr = ParseExpr(c.query);
      ASSERT_TRUE(expr.ok());
      QueryParams params;
      params.start_ms = c.step_ms == 0 ? 300'000 : 0;
      params.end_ms = c.step_ms == 0 ? 300'000 : 600'000;
      params.step_ms = c.step_ms;
      Result<QueryResult> r = Engine(options).Execute(**expr, params, script.querier());
      if (max < c.needed) {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
        EXPECT_EQ(r.status().message(),
                  "query processing would load too many samples into memory in query execution");
      } else {
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    }
  }
}

class PromqlEngineLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    script_.Run(R"test(
load 1m
  metric{a="1"} 0+1x100
)test");
    expr_ = std::move(ParseExpr("sum(rate(metric[5m]))")).value();
    params_.start_ms = 0;
    params_.end_ms = 6'000'000;
    params_.step_ms = 60'000;
  }

  Script script_;
  ExprPtr expr_;
  QueryParams params_;
};

TEST_F(PromqlEngineLimits, DeadlineInThePastTimesOut) {
  params_.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  Result<QueryResult> r = Engine().Execute(*expr_, params_, script_.querier());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "query timed out in query execution");
}

TEST_F(PromqlEngineLimits, CancelledBeforeStartIsCancelled) {
  std::atomic<bool> cancelled{true};
  params_.cancelled = &cancelled;
  Result<QueryResult> r = Engine().Execute(*expr_, params_, script_.querier());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "query was canceled in query execution");
}

TEST_F(PromqlEngineLimits, ClientGoneBeforeStartIsCancelled) {
  std::atomic<bool> gone{true};
  params_.client_gone = &gone;
  Result<QueryResult> r = Engine().Execute(*expr_, params_, script_.querier());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

// The client goes away while the series are being read: evaluation stops.
TEST_F(PromqlEngineLimits, CancelledDuringTheQueryStopsEvaluation) {
  std::atomic<bool> cancelled{false};
  class CancellingQuerier final : public Querier {
   public:
    CancellingQuerier(Querier& inner, std::atomic<bool>& flag) : inner_(inner), flag_(flag) {}
    Status Select(const storage::LabelMatchers& m, int64_t mint, int64_t maxt,
                  Matrix* out) override {
      flag_ = true;
      return inner_.Select(m, mint, maxt, out);
    }

   private:
    Querier& inner_;
    std::atomic<bool>& flag_;
  } querier(script_.querier(), cancelled);
  params_.cancelled = &cancelled;
  Result<QueryResult> r = Engine().Execute(*expr_, params_, querier);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "query was canceled in expression evaluation");
}

TEST_F(PromqlEngineLimits, UnlimitedQuerySucceeds) {
  Result<QueryResult> r = Engine().Execute(*expr_, params_, script_.querier());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->matrix.size(), 1u);
  EXPECT_EQ(r->matrix[0].points.size(), 100u);  // rate needs two samples: none at 0
  EXPECT_EQ(r->samples_loaded, 101u);
}

// Each selector reads its series once, for all the time the query needs of it.
TEST(PromqlEngine, ReadsEachSelectorOnceForTheWholeQuery) {
  Script script;
  script.Run(R"test(
load 1m
  metric{a="1"} 0+1x100
)test");
  Result<ExprPtr> expr = ParseExpr(
      "rate(metric[5m]) + metric offset 1m + max_over_time(metric[10m:1m] offset 2m) + "
      "metric @ 3000");
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  QueryParams params;
  params.start_ms = 1'000'000;
  params.end_ms = 2'000'000;
  params.step_ms = 15'000;
  ASSERT_TRUE(Engine().Execute(**expr, params, script.querier()).ok());
  EXPECT_EQ(script.querier().selects, 4);
  std::vector<std::pair<int64_t, int64_t>> want = {
      {1'000'000 - 300'000, 2'000'000},                                // rate(metric[5m])
      {1'000'000 - 60'000 - 300'000, 2'000'000 - 60'000},              // offset 1m, lookback
      {1'000'000 - 120'000 - 600'000 - 300'000, 2'000'000 - 120'000},  // subquery
      {3'000'000 - 300'000, 3'000'000},                                // @ 3000
  };
  EXPECT_EQ(script.querier().selected_ranges, want);
}

TEST(PromqlEngine, ResultTypesOfInstantAndRangeQueries) {
  Script script;
  script.Run(R"test(
load 1m
  metric{a="1"} 0+1x10
)test");
  auto run = [&](std::string_view q, int64_t step) {
    QueryParams params;
    params.start_ms = 120'000;
    params.end_ms = step == 0 ? 120'000 : 240'000;
    params.step_ms = step;
    return Engine().Execute(*std::move(ParseExpr(q)).value(), params, script.querier());
  };
  Result<QueryResult> scalar = run("1 + 2", 0);
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->type, ValueType::kScalar);
  EXPECT_EQ(scalar->scalar.t, 120'000);
  EXPECT_EQ(scalar->scalar.v, 3);
  Result<QueryResult> str = run("\"hi\"", 0);
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(str->type, ValueType::kString);
  EXPECT_EQ(str->string, "hi");
  EXPECT_EQ(str->scalar.t, 120'000);
  Result<QueryResult> vec = run("metric", 0);
  ASSERT_TRUE(vec.ok());
  EXPECT_EQ(vec->type, ValueType::kVector);
  ASSERT_EQ(vec->vector.size(), 1u);
  EXPECT_EQ(vec->vector[0].t, 120'000);
  Result<QueryResult> range_vector = run("metric[1m]", 0);
  ASSERT_TRUE(range_vector.ok());
  EXPECT_EQ(range_vector->type, ValueType::kMatrix);
  ASSERT_EQ(range_vector->matrix.size(), 1u);
  EXPECT_EQ(range_vector->matrix[0].points.size(), 2u);
  Result<QueryResult> range_scalar = run("time()", 60'000);
  ASSERT_TRUE(range_scalar.ok());
  EXPECT_EQ(range_scalar->type, ValueType::kMatrix);
  ASSERT_EQ(range_scalar->matrix.size(), 1u);
  EXPECT_TRUE(range_scalar->matrix[0].labels.empty());
  EXPECT_EQ(range_scalar->matrix[0].points.size(), 3u);
}
}  // namespace
}  // namespace sluice::query::promql

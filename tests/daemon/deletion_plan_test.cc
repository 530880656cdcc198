#include "daemon/deletion/deletion_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace sluice::daemon {
namespace {

using ::testing::HasSubstr;

storage::Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  storage::Labels labels;
  for (const auto& [n, v] : pairs) labels.push_back({n, v});
  EXPECT_TRUE(storage::Canonicalize(labels).ok());
  return labels;
}

std::vector<storage::DeletionInterval> Apply(const storage::DeletionPlan& plan,
                                             std::string_view tenant,
                                             const storage::Labels& labels) {
  std::vector<storage::DeletionInterval> out;
  if (plan) plan(tenant, labels, &out);
  return out;
}

CompiledDelete LogDelete(std::string_view query, int64_t start, int64_t end) {
  Result<CompiledDelete> c = CompileLogDeleteQuery(query);
  EXPECT_TRUE(c.ok()) << query << ": " << c.status().message();
  if (!c.ok()) return {};
  c->start = start;
  c->end = end;
  return std::move(c).value();
}

std::string LogQueryError(std::string_view query) {
  Result<CompiledDelete> c = CompileLogDeleteQuery(query);
  EXPECT_FALSE(c.ok()) << query;
  return c.ok() ? "" : c.status().message();
}

TEST(DeletionPlan, StreamSelectorAloneDeletesEveryLineInRange) {
  CompiledDelete d = LogDelete(R"({app="api", env=~"prod|dev"})", 100, 200);
  EXPECT_EQ(d.line_filter, nullptr);
  ASSERT_EQ(d.selectors.size(), 1u);
  DeletionSet set;
  set["t1"].push_back(d);
  storage::DeletionPlan plan = MakeDeletionPlan(std::move(set));

  auto hit = Apply(plan, "t1", L({{"app", "api"}, {"env", "prod"}}));
  ASSERT_EQ(hit.size(), 1u);
  // Bounds are inclusive.
  EXPECT_FALSE(storage::IsDeleted(hit, 99, "x"));
  EXPECT_TRUE(storage::IsDeleted(hit, 100, "x"));
  EXPECT_TRUE(storage::IsDeleted(hit, 200, "x"));
  EXPECT_FALSE(storage::IsDeleted(hit, 201, "x"));

  EXPECT_TRUE(Apply(plan, "t1", L({{"app", "api"}, {"env", "test"}})).empty());
  EXPECT_TRUE(Apply(plan, "t1", L({{"app", "web"}, {"env", "prod"}})).empty());
  EXPECT_TRUE(
      Apply(plan, "t2", L({{"app", "api"}, {"env", "prod"}})).empty());  // another tenant's stream
}

TEST(DeletionPlan, LineFiltersSelectTheLinesDeleted) {
  DeletionSet set;
  set["t"].push_back(LogDelete(R"({app="api"} |= "secret" != "keep" |~ "user=[0-9]+")", 0, 1000));
  storage::DeletionPlan plan = MakeDeletionPlan(std::move(set));
  auto hit = Apply(plan, "t", L({{"app", "api"}}));
  ASSERT_EQ(hit.size(), 1u);
  ASSERT_TRUE(hit[0].line_filter);
  EXPECT_TRUE(storage::IsDeleted(hit, 5, "secret token for user=42"));
  EXPECT_FALSE(storage::IsDeleted(hit, 5, "secret token for user=bob"));
  EXPECT_FALSE(storage::IsDeleted(hit, 5, "keep the secret of user=42"));
  EXPECT_FALSE(storage::IsDeleted(hit, 5, "nothing to see"));
  EXPECT_FALSE(storage::IsDeleted(hit, 1001, "secret token for user=42"));
}

TEST(DeletionPlan, AcceptsEveryLineFilterLokiHas) {
  for (const char* q :
       {R"({a="b"} !~ "x|y")", R"({a="b"} |> "<_> password=<_>")", R"({a="b"} !> "GET <_>")",
        R"({a="b"} |= ip("10.0.0.0/8"))", R"({a="b"} |= "x" or "y")", R"({a="b"} |= `raw\d`)"}) {
    Result<CompiledDelete> c = CompileLogDeleteQuery(q);
    EXPECT_TRUE(c.ok()) << q << ": " << c.status().message();
    if (c.ok()) {
      EXPECT_NE(c->line_filter, nullptr) << q;
    }
  }
  CompiledDelete ip = LogDelete(R"({a="b"} |= ip("10.0.0.0/8"))", 0, 10);
  EXPECT_TRUE(ip.line_filter != nullptr);
}

TEST(DeletionPlan, RefusesWhatIsNotASelectorWithLineFilters) {
  EXPECT_THAT(LogQueryError(R"({app="api"} |= "x)"),
              HasSubstr("invalid query expression: parse error at line 1"));
  EXPECT_EQ(LogQueryError(R"(count_over_time({app="api"}[5m]))"),
            "invalid query expression: only log selector is supported");
  EXPECT_THAT(LogQueryError(R"({app=~".*"})"),
              HasSubstr("invalid query expression: parse error : queries require at least one "
                        "regexp or equality matcher"));
  EXPECT_EQ(LogQueryError(R"({app="api"} | json)"),
            "invalid query expression: a delete query may only have line filters after its "
            "stream selector, not `| json`");
  EXPECT_THAT(LogQueryError(R"({app="api"} |= "x" | level="debug")"),
              HasSubstr("not `| level=\"debug\"`"));
  EXPECT_THAT(LogQueryError(R"({app="api"} | line_format "{{.x}}")"), HasSubstr("line_format"));
  // The pipeline compiler's checks apply: a regex RE2 refuses.
  EXPECT_THAT(LogQueryError(R"({app="api"} |~ "(unclosed")"),
              HasSubstr("invalid query expression: error parsing regexp"));
}

TEST(DeletionPlan, SeriesSelectorsMatchAnyOfThem) {
  Result<std::vector<storage::LabelMatchers>> sets =
      CompileSeriesSelectors({R"(up{job="a"})", R"({__name__=~"node_.*", instance="x"})"});
  ASSERT_TRUE(sets.ok()) << sets.status().message();
  DeletionSet set;
  set["t"].push_back(CompiledDelete{.selectors = *sets, .start = 10, .end = 20});
  storage::DeletionPlan plan = MakeDeletionPlan(std::move(set));
  EXPECT_EQ(Apply(plan, "t", L({{"__name__", "up"}, {"job", "a"}})).size(), 1u);
  EXPECT_TRUE(Apply(plan, "t", L({{"__name__", "up"}, {"job", "b"}})).empty());
  EXPECT_EQ(Apply(plan, "t", L({{"__name__", "node_load1"}, {"instance", "x"}})).size(), 1u);
  EXPECT_TRUE(Apply(plan, "t", L({{"__name__", "node_load1"}, {"instance", "y"}})).empty());
  EXPECT_TRUE(Apply(plan, "other", L({{"__name__", "up"}, {"job", "a"}})).empty());
}

TEST(DeletionPlan, RefusesSeriesSelectorsThatMatchEverything) {
  for (const char* text : {"{}", R"({job=~".*"})", R"({job=""})"}) {
    Result<std::vector<storage::LabelMatchers>> sets = CompileSeriesSelectors({text});
    ASSERT_FALSE(sets.ok()) << text;
    EXPECT_EQ(sets.status().message(), "match[] must contain at least one non-empty matcher");
  }
  Result<std::vector<storage::LabelMatchers>> bad = CompileSeriesSelectors({"up{job="});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("parse error"));
}

TEST(DeletionPlan, StoredRequestsCompileInTheirEnginesUnit) {
  DeleteRequest logs{.tenant = "t",
                     .kind = DeleteKind::kLogs,
                     .queries = {R"({app="api"})"},
                     .start_ms = 1'000,
                     .end_ms = 2'000};
  Result<CompiledDelete> l = CompileDeleteRequest(logs);
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->start, 1'000'000'000);
  EXPECT_EQ(l->end, 2'000'000'000);

  DeleteRequest metrics{.tenant = "t",
                        .kind = DeleteKind::kMetrics,
                        .queries = {"up", R"(down{a="b"})"},
                        .start_ms = std::numeric_limits<int64_t>::min() / 2,
                        .end_ms = 2'000};
  Result<CompiledDelete> m = CompileDeleteRequest(metrics);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->selectors.size(), 2u);
  EXPECT_EQ(m->start, std::numeric_limits<int64_t>::min() / 2);
  EXPECT_EQ(m->end, 2'000);

  // Far times saturate instead of wrapping around.
  logs.start_ms = std::numeric_limits<int64_t>::min() / 2;
  logs.end_ms = std::numeric_limits<int64_t>::max() / 2;
  l = CompileDeleteRequest(logs);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->start, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(l->end, std::numeric_limits<int64_t>::max());
}

TEST(DeletionPlan, EmptySetIsAnEmptyPlan) { EXPECT_EQ(MakeDeletionPlan({}), nullptr); }

}  // namespace
}  // namespace sluice::daemon

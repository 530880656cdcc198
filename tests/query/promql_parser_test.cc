#include "query/promql_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/query/promql_parser_cases.h"

namespace sluice::query::promql {
namespace {

constexpr std::string_view kArrow = "  ==>  ";

// The cases of a table in promql_parser_cases.h: (query, expected), the expected text defaulting
// to the query itself.
std::vector<std::pair<std::string, std::string>> Cases(std::string_view table) {
  std::vector<std::pair<std::string, std::string>> cases;
  while (!table.empty()) {
    size_t nl = table.find('\n');
    std::string_view line = table.substr(0, nl);
    table = nl == std::string_view::npos ? std::string_view() : table.substr(nl + 1);
    if (line.empty()) continue;
    size_t arrow = line.find(kArrow);
    if (arrow == std::string_view::npos) {
      cases.emplace_back(line, line);
    } else {
      cases.emplace_back(line.substr(0, arrow), line.substr(arrow + kArrow.size()));
    }
  }
  return cases;
}

ExprPtr MustParse(std::string_view query) {
  Result<ExprPtr> r = ParseExpr(query);
  EXPECT_TRUE(r.ok()) << query << ": " << r.status().message();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

std::string ParseErrorOf(std::string_view query) {
  Result<ExprPtr> r = ParseExpr(query);
  if (r.ok()) return "parsed as " + ToString(**r);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << query;
  return r.status().message();
}

template <typename T>
const T& As(const Expr& e) {
  const T* node = std::get_if<T>(&e.node);
  EXPECT_NE(node, nullptr) << ToString(e);
  static const T kEmpty{};
  return node != nullptr ? *node : kEmpty;
}

TEST(PromqlParserTest, ValidQueriesPrintAsPrometheusDoes) {
  std::vector<std::pair<std::string, std::string>> cases = Cases(testdata::kValidCases);
  ASSERT_GE(cases.size(), 150u);
  for (const auto& [query, want] : cases) {
    ExprPtr e = MustParse(query);
    if (e == nullptr) continue;
    EXPECT_EQ(ToString(*e), want) << query;
    // The printed form is a query that parses to the same tree.
    ExprPtr again = MustParse(want);
    if (again != nullptr) {
      EXPECT_EQ(ToString(*again), want) << query;
    }
  }
}

TEST(PromqlParserTest, InvalidQueriesFailWithPrometheusMessage) {
  std::vector<std::pair<std::string, std::string>> cases = Cases(testdata::kInvalidCases);
  ASSERT_GE(cases.size(), 60u);
  for (const auto& [query, want] : cases) EXPECT_EQ(ParseErrorOf(query), want) << query;
}

TEST(PromqlParserTest, ErrorPositionsCountLinesAndBytes) {
  EXPECT_EQ(ParseErrorOf("foo +\n  bar baz"), "2:7: parse error: unexpected identifier \"baz\"");
  EXPECT_EQ(ParseErrorOf("sum(\n  rate(x[5m])\n) by (job"),
            "3:10: parse error: unclosed left parenthesis");
  EXPECT_EQ(ParseErrorOf("rate(\n  foo\n)"),
            "2:3: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(ParseErrorOf("1 ==\n 2"),
            "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(ParseErrorOf("x{a=\"b\",\n  c=~\"(\"}"),
            "2:3: parse error: error parsing regexp: missing closing ): `^(?:()$`");
  EXPECT_EQ(ParseErrorOf(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(ParseErrorOf("  \n\t# only a comment\n"),
            "1:1: parse error: no expression found in input");
}

TEST(PromqlParserTest, CommentsAndNewlinesAreSpace) {
  ExprPtr e = MustParse("x # comment\n + y");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(ToString(*e), "x + y");
  e = MustParse("sum( # why\n  rate(x{a=\"b\" # c\n}[5m])\n) by (job) # done");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(ToString(*e), "sum by (job) (rate(x{a=\"b\"}[5m]))");
}

TEST(PromqlParserTest, PrecedenceAndAssociativityShapeTheTree) {
  ExprPtr e = MustParse("1 + 2 * 3");
  ASSERT_NE(e, nullptr);
  const Binary& add = As<Binary>(*e);
  EXPECT_EQ(add.op, BinaryOp::kAdd);
  EXPECT_EQ(As<Binary>(*add.rhs).op, BinaryOp::kMul);

  e = MustParse("1 - 2 - 3");  // left-associative: (1 - 2) - 3
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(As<Binary>(*As<Binary>(*e).lhs).op, BinaryOp::kSub);

  e = MustParse("2 ^ 3 ^ 2");  // right-associative: 2 ^ (3 ^ 2)
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(As<Binary>(*As<Binary>(*e).rhs).op, BinaryOp::kPow);
  EXPECT_TRUE(std::holds_alternative<NumberLiteral>(As<Binary>(*e).lhs->node));

  e = MustParse("a or b and c unless d");  // a or ((b and c) unless d)
  ASSERT_NE(e, nullptr);
  const Binary& lor = As<Binary>(*e);
  EXPECT_EQ(lor.op, BinaryOp::kOr);
  EXPECT_EQ(As<Binary>(*lor.rhs).op, BinaryOp::kUnless);
  EXPECT_EQ(As<Binary>(*As<Binary>(*lor.rhs).lhs).op, BinaryOp::kAnd);

  e = MustParse("a == b + c atan2 d");  // a == (b + (c atan2 d))
  ASSERT_NE(e, nullptr);
  const Binary& eq = As<Binary>(*e);
  EXPECT_EQ(eq.op, BinaryOp::kEql);
  EXPECT_EQ(As<Binary>(*As<Binary>(*eq.rhs).rhs).op, BinaryOp::kAtan2);
}

TEST(PromqlParserTest, UnaryMinusBindsLikeMultiplication) {
  ExprPtr e = MustParse("-2 ^ 2");  // -(2 ^ 2)
  ASSERT_NE(e, nullptr);
  const Unary& neg = As<Unary>(*e);
  EXPECT_TRUE(neg.negate);
  EXPECT_EQ(As<Binary>(*neg.expr).op, BinaryOp::kPow);

  e = MustParse("-x * 2");  // (-x) * 2
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(As<Unary>(*As<Binary>(*e).lhs).negate);

  e = MustParse("- 1");  // folded into the literal
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(As<NumberLiteral>(*e).value, -1);
  EXPECT_EQ(e->begin, 0u);

  e = MustParse("+x");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(As<Unary>(*e).negate);
  EXPECT_EQ(ToString(*e), "+x");
}

TEST(PromqlParserTest, SelectorHoldsAnchoredMatchersAndTheNameLast) {
  ExprPtr e = MustParse(R"(http_requests_total{job="api", path=~"/v1/.*", code!~"5..",})");
  ASSERT_NE(e, nullptr);
  const VectorSelector& vs = As<VectorSelector>(*e);
  EXPECT_EQ(vs.name, "http_requests_total");
  ASSERT_EQ(vs.matchers.size(), 4u);
  EXPECT_EQ(vs.matchers[3].name(), "__name__");
  EXPECT_EQ(vs.matchers[3].value(), "http_requests_total");
  EXPECT_TRUE(vs.matchers[1].Matches("/v1/users"));
  EXPECT_FALSE(vs.matchers[1].Matches("/api/v1/users"));  // anchored
  EXPECT_FALSE(vs.matchers[2].Matches("503"));
  EXPECT_EQ(vs.offset_ms, 0);
  EXPECT_FALSE(vs.at.has_value());

  e = MustParse(R"({__name__=~"job:.*", job='a\'b'})");
  ASSERT_NE(e, nullptr);
  const VectorSelector& unnamed = As<VectorSelector>(*e);
  EXPECT_EQ(unnamed.name, "");
  ASSERT_EQ(unnamed.matchers.size(), 2u);
  EXPECT_EQ(unnamed.matchers[1].value(), "a'b");
}

TEST(PromqlParserTest, RangesOffsetsAndAtModifiers) {
  ExprPtr e = MustParse("rate(x[5m] @ 100.5 offset -1h30m)");
  ASSERT_NE(e, nullptr);
  const Call& call = As<Call>(*e);
  EXPECT_EQ(call.function, FindFunction("rate"));
  ASSERT_EQ(call.args.size(), 1u);
  const MatrixSelector& ms = As<MatrixSelector>(*call.args[0]);
  EXPECT_EQ(ms.range_ms, 300'000);
  EXPECT_EQ(ms.selector.offset_ms, -5'400'000);
  ASSERT_TRUE(ms.selector.at.has_value());
  EXPECT_EQ(ms.selector.at->kind, AtModifier::Kind::kTimestamp);
  EXPECT_EQ(ms.selector.at->timestamp_ms, 100'500);

  e = MustParse("x offset 1y @ start()");
  ASSERT_NE(e, nullptr);
  const VectorSelector& vs = As<VectorSelector>(*e);
  EXPECT_EQ(vs.offset_ms, 365LL * 24 * 3600 * 1000);
  ASSERT_TRUE(vs.at.has_value());
  EXPECT_EQ(vs.at->kind, AtModifier::Kind::kStart);

  e = MustParse("max_over_time(rate(x[5m])[30m:1m] @ end() offset 5m)");
  ASSERT_NE(e, nullptr);
  const Subquery& sq = As<Subquery>(*As<Call>(*e).args[0]);
  EXPECT_EQ(sq.range_ms, 1'800'000);
  EXPECT_EQ(sq.step_ms, 60'000);
  EXPECT_EQ(sq.offset_ms, 300'000);
  ASSERT_TRUE(sq.at.has_value());
  EXPECT_EQ(sq.at->kind, AtModifier::Kind::kEnd);
  EXPECT_EQ(As<Call>(*sq.expr).function->name, "rate");

  e = MustParse("x[1h:]");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(As<Subquery>(*e).step_ms, 0);
}

TEST(PromqlParserTest, AggregationsTakeGroupingOnEitherSide) {
  ExprPtr e = MustParse("topk by (a, b) (5, x)");
  ASSERT_NE(e, nullptr);
  const Aggregate& topk = As<Aggregate>(*e);
  EXPECT_EQ(topk.op, AggregateOp::kTopk);
  EXPECT_EQ(As<NumberLiteral>(*topk.param).value, 5);
  EXPECT_EQ(As<VectorSelector>(*topk.expr).name, "x");
  EXPECT_EQ(topk.grouping, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(topk.without);

  e = MustParse("count_values(\"v\", x) without ()");
  ASSERT_NE(e, nullptr);
  const Aggregate& cv = As<Aggregate>(*e);
  EXPECT_EQ(As<StringLiteral>(*cv.param).value, "v");
  EXPECT_TRUE(cv.without);
  EXPECT_TRUE(cv.grouping_given);
  EXPECT_TRUE(cv.grouping.empty());

  e = MustParse("sum(x)");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(As<Aggregate>(*e).grouping_given);
  EXPECT_EQ(As<Aggregate>(*e).param, nullptr);
}

TEST(PromqlParserTest, VectorMatchingIsSettledAsPrometheusDoes) {
  using Card = VectorMatching::Cardinality;
  ExprPtr e = MustParse("a * on(x) group_left(y, z) b");
  ASSERT_NE(e, nullptr);
  const Binary& mul = As<Binary>(*e);
  ASSERT_TRUE(mul.matching.has_value());
  EXPECT_EQ(mul.matching->cardinality, Card::kManyToOne);
  EXPECT_TRUE(mul.matching->on);
  EXPECT_EQ(mul.matching->matching_labels, std::vector<std::string>{"x"});
  EXPECT_EQ(mul.matching->include, (std::vector<std::string>{"y", "z"}));

  e = MustParse("a and ignoring(x) b");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(As<Binary>(*e).matching.has_value());
  EXPECT_EQ(As<Binary>(*e).matching->cardinality, Card::kManyToMany);
  EXPECT_FALSE(As<Binary>(*e).matching->on);

  e = MustParse("a + b");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(As<Binary>(*e).matching.has_value());
  EXPECT_EQ(As<Binary>(*e).matching->cardinality, Card::kOneToOne);

  // Between a vector and a scalar there is no matching, even when `on()` was written.
  e = MustParse("a > bool on() 1");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(As<Binary>(*e).matching.has_value());
  EXPECT_TRUE(As<Binary>(*e).return_bool);
}

TEST(PromqlParserTest, TypesFollowPrometheus) {
  struct {
    const char* query;
    ValueType type;
  } cases[] = {
      {"1", ValueType::kScalar},      {"\"s\"", ValueType::kString},
      {"x", ValueType::kVector},      {"x[5m]", ValueType::kMatrix},
      {"x[5m:]", ValueType::kMatrix}, {"rate(x[5m])", ValueType::kVector},
      {"time()", ValueType::kScalar}, {"scalar(x)", ValueType::kScalar},
      {"sum(x)", ValueType::kVector}, {"1 + 2", ValueType::kScalar},
      {"1 + x", ValueType::kVector},  {"-(1)", ValueType::kScalar},
      {"(x)", ValueType::kVector},    {"pi() ^ 2", ValueType::kScalar},
  };
  for (const auto& c : cases) {
    ExprPtr e = MustParse(c.query);
    if (e == nullptr) continue;
    EXPECT_EQ(TypeOf(*e), c.type) << c.query;
  }
}

TEST(PromqlParserTest, FunctionTableHasPrometheusSignatures) {
  const FunctionSignature* f = FindFunction("label_join");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->variadic, -1);
  EXPECT_EQ(f->arg_types.size(), 4u);
  f = FindFunction("round");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->variadic, 1);
  f = FindFunction("holt_winters");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->arg_types,
            (std::vector<ValueType>{ValueType::kMatrix, ValueType::kScalar, ValueType::kScalar}));
  f = FindFunction("quantile_over_time");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->arg_types[0], ValueType::kScalar);
  EXPECT_EQ(FindFunction("time")->return_type, ValueType::kScalar);
  EXPECT_EQ(FindFunction("nope"), nullptr);
  EXPECT_EQ(FindFunction("Rate"), nullptr);  // function names are case-sensitive
  for (std::string_view name : {"absent_over_time", "present_over_time", "last_over_time",
                                "stddev_over_time", "stdvar_over_time", "sgn", "atanh", "deg"}) {
    EXPECT_NE(FindFunction(name), nullptr) << name;
  }
}

TEST(PromqlParserTest, PositionsSpanTheExpressionText) {
  std::string_view q = "sum(rate(x[5m] offset 1m)) by (job) + 1";
  ExprPtr e = MustParse(q);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->begin, 0u);
  EXPECT_EQ(e->end, q.size());
  const Expr& sum = *As<Binary>(*e).lhs;
  EXPECT_EQ(q.substr(sum.begin, sum.end - sum.begin), "sum(rate(x[5m] offset 1m)) by (job)");
  const Expr& rate = *As<Aggregate>(sum).expr;
  EXPECT_EQ(q.substr(rate.begin, rate.end - rate.begin), "rate(x[5m] offset 1m)");
  const Expr& range = *As<Call>(rate).args[0];
  EXPECT_EQ(q.substr(range.begin, range.end - range.begin), "x[5m] offset 1m");
}

// Errors as Prometheus 2.42 answers /api/v1/series?match[]=...
TEST(PromqlParserTest, MetricSelectorAloneAsPrometheusParsesMatch) {
  Result<storage::LabelMatchers> m = ParseMetricSelector(R"(  up{job=~"a|b"}  # c)");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].ToString(), R"(job=~"a|b")");
  EXPECT_EQ((*m)[1].ToString(), R"(__name__="up")");
  m = ParseMetricSelector("{}");  // parses: the API checks for a non-empty matcher
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
  m = ParseMetricSelector(R"(x{__name__="y"})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 2u);
  ASSERT_TRUE(ParseMetricSelector("sum").ok());
  ASSERT_TRUE(ParseMetricSelector("by").ok());
  struct {
    const char* selector;
    const char* error;
  } errors[] = {
      {"", "1:1: parse error: unexpected end of input"},
      {"up foo", "1:4: parse error: unexpected identifier \"foo\""},
      {"up[5m]", "1:3: parse error: unexpected \"[\""},
      {"sum(x)", "1:4: parse error: unexpected \"(\""},
      {"rate(x)", "1:5: parse error: unexpected \"(\""},
      {"1", "1:1: parse error: unexpected number \"1\""},
      {"up offset 5m", "1:4: parse error: unexpected <offset>"},
      {"{a=\"b\"", "1:7: parse error: unexpected end of input inside braces"},
      {"up{a=~\"(\"}", "1:4: parse error: error parsing regexp: missing closing ): `^(?:()$`"},
  };
  for (const auto& c : errors) {
    Result<storage::LabelMatchers> r = ParseMetricSelector(c.selector);
    ASSERT_FALSE(r.ok()) << c.selector;
    EXPECT_EQ(r.status().message(), c.error) << c.selector;
  }
}

TEST(PromqlParserTest, DeepNestingIsRefusedNotOverflowed) {
  std::string deep(300, '(');
  deep += "x";
  deep.append(300, ')');
  EXPECT_EQ(ParseErrorOf(deep), "1:257: parse error: query is nested more than 256 levels deep");
  std::string ok(250, '(');
  ok += "x";
  ok.append(250, ')');
  EXPECT_NE(MustParse(ok), nullptr);
  // Operator chains nest in the tree only.
  std::string chain = "x";
  for (int i = 0; i < 1000; ++i) chain += " or x";
  EXPECT_NE(MustParse(chain), nullptr);
  for (int i = 0; i < 100; ++i) chain += " or x";
  EXPECT_EQ(ParseErrorOf(chain), "1:1: parse error: query is nested more than 1024 levels deep");
}

TEST(PromqlParserTest, ParseDurationAsPrometheus) {
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDuration("90s"), 90'000);
  EXPECT_EQ(*ParseDuration("1y"), 365LL * 24 * 3600 * 1000);
  EXPECT_EQ(*ParseDuration("2w1d"), 15LL * 24 * 3600 * 1000);
  EXPECT_EQ(*ParseDuration("1m500ms"), 60'500);
  EXPECT_EQ(*ParseDuration("100ms"), 100);
  EXPECT_EQ(*ParseDuration("0", true), 0);
  EXPECT_EQ(*ParseDuration("0s", true), 0);
  EXPECT_EQ(ParseDuration("0").status().message(), "duration must be greater than 0");
  EXPECT_EQ(ParseDuration("").status().message(), "empty duration string");
  EXPECT_EQ(ParseDuration("1.5h").status().message(), "not a valid duration string: \"1.5h\"");
  EXPECT_EQ(ParseDuration("5m1h").status().message(), "not a valid duration string: \"5m1h\"");
  EXPECT_EQ(ParseDuration("5").status().message(), "not a valid duration string: \"5\"");
  EXPECT_EQ(ParseDuration("1h1h").status().message(), "not a valid duration string: \"1h1h\"");
  EXPECT_EQ(ParseDuration("300y").status().message(), "duration out of range");
  EXPECT_EQ(ParseDuration("99999999999999999999s").status().message(), "duration out of range");
  EXPECT_EQ(*ParseDuration("292y"), 292LL * 365 * 24 * 3600 * 1000);
}

}  // namespace
}  // namespace sluice::query::promql

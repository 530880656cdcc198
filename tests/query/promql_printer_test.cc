#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "base/json_writer.h"
#include "query/promql_ast_json.h"
#include "query/promql_parser.h"

namespace sluice::query::promql {
namespace {

std::string Printed(std::string_view query) {
  Result<ExprPtr> r = ParseExpr(query);
  EXPECT_TRUE(r.ok()) << query << ": " << r.status().message();
  return r.ok() ? ToString(**r) : "";
}

std::string Prettified(std::string_view query) {
  Result<ExprPtr> r = ParseExpr(query);
  EXPECT_TRUE(r.ok()) << query << ": " << r.status().message();
  return r.ok() ? Pretty(**r) : "";
}

std::string AstJson(std::string_view query) {
  Result<ExprPtr> r = ParseExpr(query);
  EXPECT_TRUE(r.ok()) << query << ": " << r.status().message();
  std::string out;
  if (!r.ok()) return out;
  JsonWriter w(&out);
  WriteAstJson(**r, &w);
  return out;
}

// Outputs of Prometheus 2.42's /api/v1/format_query for the same queries.
TEST(PromqlPrinterTest, PrettyMatchesPrometheusFormatQuery) {
  struct {
    const char* query;
    const char* want;
  } cases[] = {
      {R"p(sum by (job) (rate(http_requests_total{job="api-server",instance="localhost:9090",method="GET"}[5m])))p",
       R"p(sum by (job) (
  rate(http_requests_total{instance="localhost:9090",job="api-server",method="GET"}[5m])
))p"},
      {R"p(histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket{job="api-server"}[5m]))))p",
       R"p(histogram_quantile(
  0.99,
  sum by (le, job) (rate(http_request_duration_seconds_bucket{job="api-server"}[5m]))
))p"},
      {R"p(sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) / sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))p",
       R"p(  sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))
/
  sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))p"},
      {R"p(sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) / on(job) group_left(instance) sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))p",
       R"p(  sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))
/ on (job) group_left (instance)
  sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))p"},
      {R"p(topk(10, sum by (aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbb) (rate(cccccccccccccccccccccccccccccccccccccc[5m]))))p",
       R"p(topk(
  10,
  sum by (aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbb) (
    rate(cccccccccccccccccccccccccccccccccccccc[5m])
  )
))p"},
      {R"p(-sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) * sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))p",
       R"p(  -sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))
*
  sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))p"},
      {R"p(-(sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) * sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))))p",
       R"p(-(
    sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))
  *
    sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))
))p"},
      {R"p(max_over_time(sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) by (job, instance, method, code)[1h:5m]))p",
       R"p(max_over_time(
  sum by (job, instance, method, code) (
    rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])
  )[1h:5m]
))p"},
      {R"p(max_over_time(rate(x[5m])[1h:5m]))p", R"p(max_over_time(rate(x[5m])[1h:5m]))p"},
      {R"p((aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb) > bool 5)p",
       R"p(  (
      aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    +
      bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  )
> bool
  5)p"},
      {R"p(1 + 2 + 3 + aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)p",
       R"p(  1 + 2 + 3
+
  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)p"},
      {R"p(--(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb))p",
       R"p(--(
    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  +
    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
))p"},
      {R"p(max_over_time((aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb)[1h:]))p",
       R"p(max_over_time(
  (
      aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    +
      bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  )[1h:]
))p"},
      {R"p(-sum by (job) (rate(http_requests_total{job="api-server",instance="localhost:9090",method="GET",code="200"}[5m])))p",
       R"p(-sum by (job) (
  rate(http_requests_total{code="200",instance="localhost:9090",job="api-server",method="GET"}[5m])
))p"},
      {R"p(-(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb))p",
       R"p(-(
    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  +
    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
))p"},
      {R"p(sum(-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + -bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb))p",
       R"p(sum(
    -aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  +
    -bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
))p"},
      {R"p(max_over_time(sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))[1h:]))p",
       R"p(max_over_time(
sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))[1h:]
))p"},
  };
  for (const auto& c : cases) EXPECT_EQ(Prettified(c.query), c.want) << c.query;
}

TEST(PromqlPrinterTest, PrettyKeepsShortExpressionsOnOneLine) {
  EXPECT_EQ(Prettified("sum(rate(x[5m]))by(job)"), "sum by (job) (rate(x[5m]))");
  EXPECT_EQ(Prettified("a+b"), "a + b");
  EXPECT_EQ(Prettified("x[5m:1m]"), "x[5m:1m]");
  EXPECT_EQ(Prettified("-x"), "-x");
}

TEST(PromqlPrinterTest, NumbersPrintAsGoDoes) {
  EXPECT_EQ(Printed("1"), "1");
  EXPECT_EQ(Printed("1.5"), "1.5");
  EXPECT_EQ(Printed("100000"), "100000");
  EXPECT_EQ(Printed("1e6"), "1e+06");
  EXPECT_EQ(Printed("123456789"), "1.23456789e+08");
  EXPECT_EQ(Printed("0.0001"), "0.0001");
  EXPECT_EQ(Printed("0.00001"), "1e-05");
  EXPECT_EQ(Printed("1.5e300"), "1.5e+300");
  EXPECT_EQ(Printed("0x1F"), "31");
  EXPECT_EQ(Printed("010"), "8");  // Go's base-0 ParseInt: octal
  EXPECT_EQ(Printed("08"), "8");
  EXPECT_EQ(Printed("Inf"), "+Inf");
  EXPECT_EQ(Printed("-inf"), "-Inf");
  EXPECT_EQ(Printed("nAn"), "NaN");
  EXPECT_EQ(Printed("-0"), "-0");
  EXPECT_EQ(Printed("1e-400"), "0");
  // Prometheus' own quirk: `+Inf` reads back as a unary plus, binding looser than `^`.
  EXPECT_EQ(Printed("Inf ^ x"), "+Inf ^ x");
  EXPECT_EQ(Printed("+Inf ^ x"), "++Inf ^ x");
  EXPECT_EQ(Printed("-Inf ^ 2"), "-+Inf ^ 2");
}

TEST(PromqlPrinterTest, StringsPrintWithGoQuoting) {
  EXPECT_EQ(Printed(R"('single')"), R"("single")");
  EXPECT_EQ(Printed(R"(`raw\n`)"), R"("raw\\n")");
  EXPECT_EQ(Printed(R"("\a\b\f\n\r\t\v")"), R"("\a\b\f\n\r\t\v")");
  EXPECT_EQ(Printed(R"("\x00\x01\x7f")"), R"("\x00\x01\x7f")");
  EXPECT_EQ(Printed(R"("\xff\xfe")"), R"("\xff\xfe")");  // not UTF-8: bytes
  EXPECT_EQ(Printed(R"("\u00a0\u200b\u2028\ufeff\ue000")"), R"("\u00a0\u200b\u2028\ufeff\ue000")");
  EXPECT_EQ(Printed(R"("\U0001F600 \u00e9")"), "\"\U0001F600 \u00e9\"");
  // U+FFFD written out is what the lexer refuses as not UTF-8: escaped, it parses back.
  EXPECT_EQ(Printed(R"("a\uFFFDb")"), R"("a\ufffdb")");
  EXPECT_EQ(Printed(R"("\101\x41")"), R"("AA")");
  EXPECT_EQ(Printed(R"('it\'s "x"')"), R"("it's \"x\"")");
  EXPECT_EQ(Printed("`a\rb`"), R"("ab")");  // raw strings drop carriage returns
  EXPECT_EQ(Printed(R"(x{a="\u00a0\n"})"), R"(x{a="\u00a0\n"})");
}

TEST(PromqlPrinterTest, SelectorsSortMatchersAndHideTheName) {
  EXPECT_EQ(Printed(R"(foo{z="1",a="2",m=~"3"})"), R"(foo{a="2",m=~"3",z="1"})");
  EXPECT_EQ(Printed(R"({__name__="foo"})"), R"({__name__="foo"})");
  EXPECT_EQ(Printed(R"({__name__="foo",a="b"})"), R"({__name__="foo",a="b"})");
  EXPECT_EQ(Printed(R"(foo{a="b",})"), R"(foo{a="b"})");
  EXPECT_EQ(Printed("foo{}"), "foo");
}

TEST(PromqlPrinterTest, ModifiersPrintInPrometheusOrder) {
  EXPECT_EQ(Printed("x offset 5m @ 100"), "x @ 100.000 offset 5m");
  EXPECT_EQ(Printed("x[5m] offset -90m @ end()"), "x[5m] @ end() offset -1h30m");
  EXPECT_EQ(Printed("x @ start()[5m]"), "x[5m] @ start()");
  EXPECT_EQ(Printed("x[5m:] offset 14d"), "x[5m:] offset 2w");
  EXPECT_EQ(Printed("x[3600s:60000ms]"), "x[1h:1m]");
  EXPECT_EQ(Printed("x[1y1d]"), "x[366d]");
  EXPECT_EQ(Printed("x[90d]"), "x[90d]");
  EXPECT_EQ(Printed("x[1h1ms]"), "x[1h1ms]");
  EXPECT_EQ(Printed("x @ 1e16"), "x @ -9223372036854776.000");  // Go's int64 conversion
  EXPECT_EQ(Printed("sum by () (x)"), "sum(x)");
  EXPECT_EQ(Printed("sum without () (x)"), "sum without () (x)");
  EXPECT_EQ(Printed("a + ignoring() group_left b"), "a + b");
  EXPECT_EQ(Printed("a + on() group_right b"), "a + on () group_right () b");
  EXPECT_EQ(Printed("a == bool on(x) b"), "a == bool on (x) b");
  EXPECT_EQ(Printed("1 + on() group_left 2 > bool 1"), "1 + 2 > bool 1");
}

TEST(PromqlPrinterTest, AstJsonHasParseQueryShape) {
  EXPECT_EQ(AstJson("1"), R"({"type":"numberLiteral","val":"1"})");
  EXPECT_EQ(AstJson("1e21"), R"({"type":"numberLiteral","val":"1000000000000000000000"})");
  EXPECT_EQ(AstJson("-Inf"), R"({"type":"numberLiteral","val":"-Inf"})");
  EXPECT_EQ(AstJson("'a'"), R"({"type":"stringLiteral","val":"a"})");
  EXPECT_EQ(AstJson(R"(up{job=~"a.*"} offset 1m @ 5)"),
            R"({"matchers":[{"name":"job","type":"=~","value":"a.*"},)"
            R"({"name":"__name__","type":"=","value":"up"}],"name":"up","offset":60000,)"
            R"("startOrEnd":null,"timestamp":5000,"type":"vectorSelector"})");
  EXPECT_EQ(AstJson("sum by (job) (rate(x[5m] @ start()))"),
            R"({"expr":{"args":[{"matchers":[{"name":"__name__","type":"=","value":"x"}],)"
            R"("name":"x","offset":0,"range":300000,"startOrEnd":"start","timestamp":null,)"
            R"("type":"matrixSelector"}],"func":{"argTypes":["matrix"],"name":"rate",)"
            R"("returnType":"vector","variadic":0},"type":"call"},"grouping":["job"],)"
            R"("op":"sum","param":null,"type":"aggregation","without":false})");
  EXPECT_EQ(AstJson("-(a and on(b) c)"),
            R"({"expr":{"expr":{"bool":false,"lhs":{"matchers":[{"name":"__name__",)"
            R"("type":"=","value":"a"}],"name":"a","offset":0,"startOrEnd":null,)"
            R"("timestamp":null,"type":"vectorSelector"},"matching":{"card":"many-to-many",)"
            R"("include":[],"labels":["b"],"on":true},"op":"and","rhs":{"matchers":[{"name":)"
            R"("__name__","type":"=","value":"c"}],"name":"c","offset":0,"startOrEnd":null,)"
            R"("timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"},)"
            R"("type":"parenExpr"},"op":"-","type":"unaryExpr"})");
  EXPECT_EQ(AstJson("1 > bool 2"),
            R"({"bool":true,"lhs":{"type":"numberLiteral","val":"1"},"matching":null,)"
            R"("op":">","rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"})");
  EXPECT_EQ(AstJson("vector(time())[5m:1m] offset 1m"),
            R"({"expr":{"args":[{"args":[],"func":{"argTypes":[],"name":"time",)"
            R"("returnType":"scalar","variadic":0},"type":"call"}],"func":{"argTypes":)"
            R"(["scalar"],"name":"vector","returnType":"vector","variadic":0},"type":"call"},)"
            R"("offset":60000,"range":300000,"startOrEnd":null,)"
            R"("step":60000,"timestamp":null,"type":"subquery"})");
  EXPECT_EQ(AstJson(R"(label_join(x, "d", ",", "a"))"),
            R"({"args":[{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x",)"
            R"("offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},)"
            R"({"type":"stringLiteral","val":"d"},{"type":"stringLiteral","val":","},)"
            R"({"type":"stringLiteral","val":"a"}],"func":{"argTypes":["vector","string",)"
            R"("string","string"],"name":"label_join","returnType":"vector","variadic":-1},)"
            R"("type":"call"})");
}

}  // namespace
}  // namespace sluice::query::promql

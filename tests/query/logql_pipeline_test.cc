// The LogQL log pipeline against Loki's semantics: the examples of Loki's "LogQL log queries"
// documentation, cases of pkg/logql/log/*_test.go, and the rules of labels.go (`_extracted`,
// categories), the __error__ labels and Go's conversions.
#include "query/logql_pipeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "query/go_duration.h"
#include "query/logql_label_parsers.h"
#include "query/logql_parser.h"
#include "query/promql_lexer.h"

namespace sluice::storage {
// Readable failure messages.
void PrintTo(const Label& l, std::ostream* os) { *os << l.name << "=\"" << l.value << "\""; }
}  // namespace sluice::storage

namespace sluice::query::logql {
namespace {

using storage::Label;
using storage::Labels;

// ---- AST builders ----------------------------------------------------------------------------

Stage LineF(LineFilterOp op, std::vector<std::string> values) {
  return Stage{LineFilter{op, std::move(values)}};
}

Stage MakeParser(ParserKind kind, std::string argument = {},
                 std::vector<ExtractionParam> params = {}, bool strict = false,
                 bool keep_empty = false) {
  Parser p;
  p.kind = kind;
  p.argument = std::move(argument);
  p.params = std::move(params);
  p.strict = strict;
  p.keep_empty = keep_empty;
  return Stage{std::move(p)};
}

Stage Json(std::vector<ExtractionParam> params = {}) {
  return MakeParser(ParserKind::kJson, {}, std::move(params));
}
Stage Logfmt(std::vector<ExtractionParam> params = {}, bool strict = false,
             bool keep_empty = false) {
  return MakeParser(ParserKind::kLogfmt, {}, std::move(params), strict, keep_empty);
}
Stage Regexp(std::string re) { return MakeParser(ParserKind::kRegexp, std::move(re)); }
Stage PatternStage(std::string p) { return MakeParser(ParserKind::kPattern, std::move(p)); }
Stage Unpack() { return MakeParser(ParserKind::kUnpack); }

LabelFilterPtr Cmp(std::string label, CompareOp op, LiteralKind kind, std::string text,
                   double number = 0) {
  auto e = std::make_unique<LabelFilterExpr>();
  e->comparison.label = std::move(label);
  e->comparison.op = op;
  e->comparison.kind = kind;
  e->comparison.text = std::move(text);
  e->comparison.number = number;
  return e;
}
LabelFilterPtr Str(std::string label, CompareOp op, std::string text) {
  return Cmp(std::move(label), op, LiteralKind::kString, std::move(text));
}
LabelFilterPtr Num(std::string label, CompareOp op, double v) {
  return Cmp(std::move(label), op, LiteralKind::kNumber, std::to_string(v), v);
}
LabelFilterPtr Dur(std::string label, CompareOp op, std::string text, double seconds) {
  return Cmp(std::move(label), op, LiteralKind::kDuration, std::move(text), seconds);
}
LabelFilterPtr Bytes(std::string label, CompareOp op, std::string text, double bytes) {
  return Cmp(std::move(label), op, LiteralKind::kBytes, std::move(text), bytes);
}
LabelFilterPtr Ip(std::string label, CompareOp op, std::string pattern) {
  return Cmp(std::move(label), op, LiteralKind::kIp, std::move(pattern));
}
LabelFilterPtr Binary(LabelFilterExpr::Kind kind, LabelFilterPtr a, LabelFilterPtr b) {
  auto e = std::make_unique<LabelFilterExpr>();
  e->kind = kind;
  e->lhs = std::move(a);
  e->rhs = std::move(b);
  return e;
}
LabelFilterPtr And(LabelFilterPtr a, LabelFilterPtr b) {
  return Binary(LabelFilterExpr::Kind::kAnd, std::move(a), std::move(b));
}
LabelFilterPtr Or(LabelFilterPtr a, LabelFilterPtr b) {
  return Binary(LabelFilterExpr::Kind::kOr, std::move(a), std::move(b));
}
Stage Filter(LabelFilterPtr f) { return Stage{std::move(f)}; }

Stage LineFmt(std::string text) { return Stage{LineFormat{std::move(text)}}; }
Stage LabelFmt(std::vector<LabelFormatItem> items) { return Stage{LabelFormat{std::move(items)}}; }

DropKeepItem Name(std::string label) { return DropKeepItem{std::move(label), std::nullopt}; }
DropKeepItem Matcher(std::string label, storage::MatchOp op, std::string value) {
  auto m = storage::LabelMatcher::Make(op, label, std::move(value));
  EXPECT_TRUE(m.ok());
  return DropKeepItem{std::move(label), std::move(*m)};
}
Stage Drop(std::vector<DropKeepItem> items) { return Stage{DropKeep{false, std::move(items)}}; }
Stage Keep(std::vector<DropKeepItem> items) { return Stage{DropKeep{true, std::move(items)}}; }
Stage Decolor() { return Stage{Decolorize{}}; }

template <typename... S>
LogSelector Selector(S&&... stages) {
  LogSelector s;
  (s.stages.push_back(std::forward<S>(stages)), ...);
  return s;
}

// ---- Running -------------------------------------------------------------------------------

struct Output {
  bool kept = false;
  std::string line;
  Labels labels;
  std::optional<double> value;
};

std::unique_ptr<Pipeline> MustCompile(const LogSelector& sel, const Unwrap* unwrap = nullptr) {
  auto p = Pipeline::Compile(sel, unwrap);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : nullptr;
}

Output RunOn(const Pipeline& p, const Labels& stream, std::string_view line,
             const Labels& metadata = {}, int64_t ts = 1) {
  PipelineRun run(p);
  LabelsBuilder builder;
  builder.Reset(stream);
  for (const Label& l : metadata) builder.AddStructuredMetadata(l.name, l.value);
  Output out;
  std::string_view line_out;
  out.kept = run.Process(ts, line, builder, &line_out);
  if (out.kept) {
    out.line.assign(line_out);
    builder.Materialize(&out.labels);
    out.value = run.unwrapped();
  }
  return out;
}

Output Exec(const LogSelector& sel, std::string_view line, const Labels& stream = {},
            const Labels& metadata = {}) {
  auto p = MustCompile(sel);
  if (!p) return {};
  return RunOn(*p, stream, line, metadata);
}

Output RunUnwrap(const LogSelector& sel, const Unwrap& unwrap, std::string_view line,
                 const Labels& stream = {}) {
  auto p = MustCompile(sel, &unwrap);
  if (!p) return {};
  return RunOn(*p, stream, line);
}

Status CompileError(const LogSelector& sel, const Unwrap* unwrap = nullptr) {
  auto p = Pipeline::Compile(sel, unwrap);
  return p.ok() ? Status::Ok() : p.status();
}

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back(Label{n, v});
  std::sort(out.begin(), out.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  return out;
}

std::string ValueOf(const Labels& labels, std::string_view name) {
  for (const Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return "<absent>";
}

// ---- LabelsBuilder -------------------------------------------------------------------------

TEST(LogqlPipelineLabels, StreamLabelsAreTheStartingPoint) {
  Labels stream = L({{"app", "api"}, {"env", "prod"}});
  LabelsBuilder b;
  b.Reset(stream);
  EXPECT_EQ(b.Get("app"), "api");
  EXPECT_FALSE(b.Get("missing").has_value());
  EXPECT_FALSE(b.Changed());
  Labels out;
  b.Materialize(&out);
  EXPECT_EQ(out, stream);
}

TEST(LogqlPipelineLabels, ParsedNameOfAStreamLabelGetsExtractedSuffix) {
  Labels stream = L({{"level", "info"}});
  LabelsBuilder b;
  b.Reset(stream);
  b.SetParsed("level", "error");
  b.SetParsed("msg", "hi");
  Labels out;
  b.Materialize(&out);
  EXPECT_EQ(out, L({{"level", "info"}, {"level_extracted", "error"}, {"msg", "hi"}}));
  EXPECT_TRUE(b.Changed());
}

TEST(LogqlPipelineLabels, StructuredMetadataClashingWithStreamIsSuffixed) {
  Labels stream = L({{"app", "x"}});
  LabelsBuilder b;
  b.Reset(stream);
  b.AddStructuredMetadata("app", "y");
  b.AddStructuredMetadata("trace_id", "abc");
  Labels s, m, p;
  b.MaterializeCategorized(&s, &m, &p);
  EXPECT_EQ(s, L({{"app", "x"}}));
  EXPECT_EQ(m, L({{"app_extracted", "y"}, {"trace_id", "abc"}}));
  EXPECT_TRUE(p.empty());
}

TEST(LogqlPipelineLabels, ParsedLabelHidesStructuredMetadataOfTheSameName) {
  Labels stream = L({{"app", "x"}});
  LabelsBuilder b;
  b.Reset(stream);
  b.AddStructuredMetadata("trace_id", "from-metadata");
  b.Set(LabelCategory::kParsed, "trace_id", "from-line");
  // A lower category cannot override it back.
  b.Set(LabelCategory::kStructuredMetadata, "trace_id", "again");
  Labels s, m, p;
  b.MaterializeCategorized(&s, &m, &p);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(p, L({{"trace_id", "from-line"}}));
  EXPECT_EQ(b.Get("trace_id"), "from-line");
}

TEST(LogqlPipelineLabels, DeleteThenSetAndResetBetweenEntries) {
  Labels stream = L({{"app", "x"}, {"pod", "p1"}});
  LabelsBuilder b;
  b.Reset(stream);
  b.Delete("pod");
  EXPECT_FALSE(b.Get("pod").has_value());
  EXPECT_TRUE(b.StreamHas("pod"));  // `_extracted` still applies
  b.Set(LabelCategory::kParsed, "pod", "p2");
  Labels out;
  b.Materialize(&out);
  EXPECT_EQ(out, L({{"app", "x"}, {"pod", "p2"}}));
  b.Reset(stream);
  b.Materialize(&out);
  EXPECT_EQ(out, stream);
  EXPECT_FALSE(b.Changed());
}

TEST(LogqlPipelineLabels, ErrorsAreLabelsOfTheParsedCategory) {
  Labels stream = L({{"app", "x"}});
  LabelsBuilder b;
  b.Reset(stream);
  b.SetError("JSONParserErr", "bad json");
  EXPECT_TRUE(b.HasError());
  EXPECT_EQ(b.Get("__error__"), "JSONParserErr");
  EXPECT_EQ(b.Get("__error_details__"), "bad json");
  EXPECT_FALSE(b.GetLabel("__error__").has_value());
  Labels s, m, p;
  b.MaterializeCategorized(&s, &m, &p);
  EXPECT_EQ(p, L({{"__error__", "JSONParserErr"}, {"__error_details__", "bad json"}}));
  b.ResetError();
  b.Materialize(&s);
  EXPECT_EQ(s, L({{"__error_details__", "bad json"}, {"app", "x"}}));
}

TEST(LogqlPipelineLabels, PlainSetKeepsTheCategory) {
  Labels stream = L({{"app", "x"}});
  LabelsBuilder b;
  b.Reset(stream);
  b.AddStructuredMetadata("user", "u1");
  b.Set("app", "y");
  b.Set("user", "u2");
  b.Set("new", "n");
  Labels s, m, p;
  b.MaterializeCategorized(&s, &m, &p);
  EXPECT_EQ(s, L({{"app", "y"}}));
  EXPECT_EQ(m, L({{"user", "u2"}}));
  EXPECT_EQ(p, L({{"new", "n"}}));
}

TEST(LogqlPipelineLabels, SetAcceptsViewsOfItsOwnLabels) {
  Labels stream = L({{"app", "x"}});
  LabelsBuilder b;
  b.Reset(stream);
  for (int i = 0; i < 20; ++i) b.Set(LabelCategory::kParsed, "l" + std::to_string(i), "v");
  std::string_view v = *b.Get("l3");
  b.Set(LabelCategory::kParsed, "copy", v);  // may grow the slots v views
  EXPECT_EQ(b.Get("copy"), "v");
}

// ---- Helpers: names and Go conversions -------------------------------------------------------

TEST(LogqlPipelineHelpers, SanitizeLabelKeyAsLoki) {
  EXPECT_EQ(SanitizeLabelKey("foo-bar"), "foo_bar");
  EXPECT_EQ(SanitizeLabelKey("1foo"), "_1foo");
  EXPECT_EQ(SanitizeLabelKey("1foo", false), "1foo");
  EXPECT_EQ(SanitizeLabelKey("  spaced "), "spaced");
  EXPECT_EQ(SanitizeLabelKey("h\xC3\xA9llo"), "h_llo");  // one rune, one `_`
  EXPECT_EQ(SanitizeLabelKey("a.b/c"), "a_b_c");
  EXPECT_EQ(SanitizeLabelKey(""), "");
  std::string nested = "request";
  nested.push_back('_');
  AppendSanitizedJsonKey("2xx", &nested);
  EXPECT_EQ(nested, "request_2xx");
  std::string first;
  AppendSanitizedJsonKey("2xx", &first);
  EXPECT_EQ(first, "_2xx");
}

TEST(LogqlPipelineHelpers, HasRuneError) {
  EXPECT_FALSE(HasRuneError("plain"));
  EXPECT_FALSE(HasRuneError("h\xC3\xA9llo"));
  EXPECT_TRUE(HasRuneError("bad\xFF"));
  EXPECT_TRUE(HasRuneError("rep\xEF\xBF\xBDlacement"));
}

TEST(LogqlPipelineHelpers, GoDurations) {
  int64_t ns = 0;
  std::string err;
  ASSERT_TRUE(ParseGoDuration("1h30m", &ns, &err));
  EXPECT_EQ(ns, 5400 * int64_t{1000000000});
  ASSERT_TRUE(ParseGoDuration("1.5s", &ns, &err));
  EXPECT_EQ(ns, 1500000000);
  ASSERT_TRUE(ParseGoDuration("-2m", &ns, &err));
  EXPECT_EQ(ns, -120 * int64_t{1000000000});
  ASSERT_TRUE(ParseGoDuration("0", &ns, &err));
  EXPECT_EQ(ns, 0);
  ASSERT_TRUE(ParseGoDuration("300ms", &ns, &err));
  EXPECT_EQ(ns, 300000000);
  ASSERT_TRUE(ParseGoDuration("2\xC2\xB5s", &ns, &err));
  EXPECT_EQ(ns, 2000);
  ASSERT_TRUE(ParseGoDuration("1h1m1s1ms1us1ns", &ns, &err));
  EXPECT_EQ(ns, 3661001001001);
  ASSERT_TRUE(ParseGoDuration(".5h", &ns, &err));
  EXPECT_EQ(ns, 1800 * int64_t{1000000000});
}

TEST(LogqlPipelineHelpers, GoDurationErrorsSayWhatGoSays) {
  int64_t ns = 0;
  std::string err;
  EXPECT_FALSE(ParseGoDuration("", &ns, &err));
  EXPECT_EQ(err, "time: invalid duration \"\"");
  EXPECT_FALSE(ParseGoDuration("10", &ns, &err));
  EXPECT_EQ(err, "time: missing unit in duration \"10\"");
  EXPECT_FALSE(ParseGoDuration("10x", &ns, &err));
  EXPECT_EQ(err, "time: unknown unit \"x\" in duration \"10x\"");
  EXPECT_FALSE(ParseGoDuration("1d", &ns, &err));
  EXPECT_EQ(err, "time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_FALSE(ParseGoDuration("abc", &ns, &err));
  EXPECT_EQ(err, "time: invalid duration \"abc\"");
  EXPECT_FALSE(ParseGoDuration("9999999999h", &ns, &err));
  EXPECT_EQ(err, "time: invalid duration \"9999999999h\"");
}

// go_duration.h's ParseGoDuration, which the lexer, the pipeline and the templates share: the
// int64 edges, signs, fractions and the time package's quoting of bytes that are not ASCII.
TEST(LogqlPipelineHelpers, GoDurationEdgesAndQuoting) {
  auto ns = [](std::string_view text) {
    Result<int64_t> d = query::ParseGoDuration(text);
    return d.ok() ? std::to_string(*d) : d.status().message();
  };
  EXPECT_EQ(ns("2562047h47m16.854775807s"), "9223372036854775807");
  EXPECT_EQ(ns("-2562047h47m16.854775808s"), "-9223372036854775808");
  EXPECT_EQ(ns("2562047h47m16.854775808s"), "time: invalid duration \"2562047h47m16.854775808s\"");
  EXPECT_EQ(ns("+5s"), "5000000000");
  EXPECT_EQ(ns("-0"), "0");
  EXPECT_EQ(ns("1.s"), "1000000000");
  EXPECT_EQ(ns("1.000000000000000000000001s"), "1000000000");  // under a nanosecond
  EXPECT_EQ(ns("1\xCE\xBCs"), "1000");                         // Greek mu
  EXPECT_EQ(ns("."), "time: invalid duration \".\"");
  EXPECT_EQ(ns("-"), "time: invalid duration \"-\"");
  EXPECT_EQ(ns("1s-1s"), "time: unknown unit \"s-\" in duration \"1s-1s\"");
  EXPECT_EQ(ns("1\xC2\xB5x"), "time: unknown unit \"\\xc2\\xb5x\" in duration \"1\\xc2\\xb5x\"");
  EXPECT_EQ(ns("1\t"), "time: unknown unit \"\\x09\" in duration \"1\\x09\"");
  EXPECT_EQ(ns("\"1\""), "time: invalid duration \"\\\"1\\\"\"");
}

TEST(LogqlPipelineHelpers, HumanizeBytes) {
  uint64_t b = 0;
  std::string err;
  ASSERT_TRUE(ParseHumanBytes("1KB", &b, &err));
  EXPECT_EQ(b, 1000u);
  ASSERT_TRUE(ParseHumanBytes("1KiB", &b, &err));
  EXPECT_EQ(b, 1024u);
  ASSERT_TRUE(ParseHumanBytes("5 MB", &b, &err));
  EXPECT_EQ(b, 5000000u);
  ASSERT_TRUE(ParseHumanBytes("1,000", &b, &err));
  EXPECT_EQ(b, 1000u);
  ASSERT_TRUE(ParseHumanBytes("1.5k", &b, &err));
  EXPECT_EQ(b, 1500u);
  ASSERT_TRUE(ParseHumanBytes("42", &b, &err));
  EXPECT_EQ(b, 42u);
  ASSERT_TRUE(ParseHumanBytes("2gib", &b, &err));
  EXPECT_EQ(b, uint64_t{2} << 30);
}

TEST(LogqlPipelineHelpers, HumanizeBytesErrors) {
  uint64_t b = 0;
  std::string err;
  EXPECT_FALSE(ParseHumanBytes("abc", &b, &err));
  EXPECT_EQ(err, "strconv.ParseFloat: parsing \"\": invalid syntax");
  EXPECT_FALSE(ParseHumanBytes("5 XB", &b, &err));
  EXPECT_EQ(err, "unhandled size name: xb");
  EXPECT_FALSE(ParseHumanBytes("-5MB", &b, &err));
  EXPECT_FALSE(ParseHumanBytes("99999999999EB", &b, &err));
  EXPECT_EQ(err, "too large: 99999999999EB");
}

TEST(LogqlPipelineHelpers, GoFloatsAndTheirErrors) {
  double v = 0;
  std::string err;
  ASSERT_TRUE(ParseGoFloat("1e3", &v, &err));
  EXPECT_EQ(v, 1000);
  ASSERT_TRUE(ParseGoFloat("0x1p-2", &v, &err));
  EXPECT_EQ(v, 0.25);
  ASSERT_TRUE(ParseGoFloat("+Inf", &v, &err));
  EXPECT_TRUE(std::isinf(v));
  EXPECT_FALSE(ParseGoFloat("abc", &v, &err));
  EXPECT_EQ(err, "strconv.ParseFloat: parsing \"abc\": invalid syntax");
  EXPECT_FALSE(ParseGoFloat("1e999", &v, &err));
  EXPECT_EQ(err, "strconv.ParseFloat: parsing \"1e999\": value out of range");
  EXPECT_FALSE(ParseGoFloat(" 1", &v, &err));
  EXPECT_EQ(err, "strconv.ParseFloat: parsing \" 1\": invalid syntax");
}

TEST(LogqlPipelineHelpers, GoQuote) {
  // The one strconv.Quote (promql_lexer.h) is what Go's error texts here put around input.
  EXPECT_EQ(promql::GoQuote("a\"b\\c\n\x01\xFF"), R"("a\"b\\c\n\x01\xff")");
}

TEST(LogqlPipelineHelpers, LogfmtDecoderPairs) {
  LogfmtDecoder d;
  d.Reset(R"(  a=1 bare b="two words" c= d="")");
  std::vector<std::pair<std::string, std::string>> got;
  while (!d.AtEnd()) {
    if (d.ScanKeyval()) got.emplace_back(d.key(), d.value());
  }
  std::vector<std::pair<std::string, std::string>> want = {
      {"a", "1"}, {"bare", ""}, {"b", "two words"}, {"c", ""}, {"d", ""}};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(d.error().empty());
}

TEST(LogqlPipelineHelpers, LogfmtDecoderUnquotesEscapes) {
  LogfmtDecoder d;
  d.Reset(R"(msg="say \"hi\"\n\u00e9\/")");
  ASSERT_TRUE(d.ScanKeyval());
  EXPECT_EQ(d.key(), "msg");
  EXPECT_EQ(d.value(), "say \"hi\"\n\xC3\xA9/");
}

TEST(LogqlPipelineHelpers, LogfmtDecoderErrors) {
  LogfmtDecoder d;
  d.Reset("a=1 b==2 c=3");
  ASSERT_TRUE(d.ScanKeyval());
  EXPECT_FALSE(d.ScanKeyval());
  EXPECT_EQ(d.error(), "logfmt syntax error at pos 7 : unexpected '='");
  ASSERT_TRUE(d.ScanKeyval());  // it goes on after the bad pair
  EXPECT_EQ(d.key(), "c");
  d.Reset("a=\"open");
  EXPECT_FALSE(d.ScanKeyval());
  EXPECT_EQ(d.error(), "logfmt syntax error at pos 8 : unterminated quoted value");
  d.Reset("=x");
  EXPECT_FALSE(d.ScanKeyval());
  EXPECT_EQ(d.error(), "logfmt syntax error at pos 1 : unexpected '='");
  d.Reset("k\"ey=1");
  EXPECT_FALSE(d.ScanKeyval());
  EXPECT_EQ(d.error(), "logfmt syntax error at pos 2 : unexpected '\"'");
  d.Reset(R"(a="bad \q escape")");
  EXPECT_FALSE(d.ScanKeyval());
  EXPECT_EQ(d.error(), "logfmt syntax error at pos 18 : invalid quoted value");
}

TEST(LogqlPipelineHelpers, UnquoteSurrogatePairs) {
  std::string out;
  ASSERT_TRUE(UnquoteLogfmt(R"("\ud83d\ude00")", &out));
  EXPECT_EQ(out, "\xF0\x9F\x98\x80");
  ASSERT_TRUE(UnquoteLogfmt(R"("\ud83d!")", &out));
  EXPECT_EQ(out, "\xEF\xBF\xBD!");
  EXPECT_FALSE(UnquoteLogfmt(R"("\x")", &out));
}

TEST(LogqlPipelineHelpers, JsonPaths) {
  auto p = ParseJsonPath(R"(request.headers["User-Agent"])");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].field, "request");
  EXPECT_EQ((*p)[1].field, "headers");
  EXPECT_EQ((*p)[2].field, "User-Agent");
  p = ParseJsonPath("servers[0]");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[1].index, 0);
  p = ParseJsonPath(R"(["a b"][2].c)");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].field, "a b");
  EXPECT_EQ((*p)[1].index, 2);
}

TEST(LogqlPipelineHelpers, JsonPathErrors) {
  EXPECT_FALSE(ParseJsonPath("").ok());
  EXPECT_FALSE(ParseJsonPath("a..b").ok());
  EXPECT_FALSE(ParseJsonPath("a[1.5]").ok());
  EXPECT_FALSE(ParseJsonPath("a[").ok());
  EXPECT_FALSE(ParseJsonPath("a-b").ok());
  EXPECT_FALSE(ParseJsonPath("1a").ok());
}

// ---- json ----------------------------------------------------------------------------------

// The example of Loki's documentation.
constexpr std::string_view kDocsJson =
    R"({"protocol":"HTTP/2.0","servers":["129.0.1.1","10.2.1.3"],"request":{"time":"6.032",)"
    R"("method":"GET","host":"foo.grafana.net","size":"55","headers":{"Accept":"*/*",)"
    R"("User-Agent":"curl/7.68.0"}},"response":{"status":401,"size":"228",)"
    R"("latency_seconds":"6.031"}})";

TEST(LogqlPipelineJson, DocumentationExampleFlattens) {
  Output o = Exec(Selector(Json()), kDocsJson, L({{"job", "web"}}));
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.line, kDocsJson);
  EXPECT_EQ(o.labels, L({{"job", "web"},
                         {"protocol", "HTTP/2.0"},
                         {"request_time", "6.032"},
                         {"request_method", "GET"},
                         {"request_host", "foo.grafana.net"},
                         {"request_size", "55"},
                         {"request_headers_Accept", "*/*"},
                         {"request_headers_User_Agent", "curl/7.68.0"},
                         {"response_status", "401"},
                         {"response_size", "228"},
                         {"response_latency_seconds", "6.031"}}));
}

TEST(LogqlPipelineJson, MultiDepth) {
  Output o = Exec(
      Selector(Json()),
      R"({"app":"foo","namespace":"prod","pod":{"uuid":"foo","deployment":{"ref":"foobar"}}})");
  EXPECT_EQ(o.labels, L({{"app", "foo"},
                         {"namespace", "prod"},
                         {"pod_uuid", "foo"},
                         {"pod_deployment_ref", "foobar"}}));
}

TEST(LogqlPipelineJson, NumbersKeepTheirText) {
  Output o = Exec(Selector(Json()), R"({"counter":1, "price": {"_net_":5.56909}, "big":1e+30})");
  EXPECT_EQ(o.labels, L({{"counter", "1"}, {"price__net_", "5.56909"}, {"big", "1e+30"}}));
}

TEST(LogqlPipelineJson, SkipsArraysAndNulls) {
  Output o = Exec(Selector(Json()),
                  R"({"counter":1, "price": {"net_":["10","20"]}, "gone":null, "list":[{"a":1}]})");
  EXPECT_EQ(o.labels, L({{"counter", "1"}}));
}

TEST(LogqlPipelineJson, Booleans) {
  Output o = Exec(Selector(Json()), R"({"ok":true,"nested":{"bad":false}})");
  EXPECT_EQ(o.labels, L({{"ok", "true"}, {"nested_bad", "false"}}));
}

TEST(LogqlPipelineJson, KeysAreSanitized) {
  Output o = Exec(Selector(Json()),
                  R"({"cou-nter":1,"foo":{"cou-nter":2},"1st":"a","x":{"2nd":"b"},"h\u00e9":"c"})");
  EXPECT_EQ(
      o.labels,
      L({{"cou_nter", "1"}, {"foo_cou_nter", "2"}, {"_1st", "a"}, {"x_2nd", "b"}, {"h_", "c"}}));
}

TEST(LogqlPipelineJson, WhitespaceKeysDisappearFromNames) {
  Output o = Exec(Selector(Json()), R"({" ": {"foo":"bar"}})");
  EXPECT_EQ(o.labels, L({{"foo", "bar"}}));
}

TEST(LogqlPipelineJson, StringsAreUnescaped) {
  Output o = Exec(Selector(Json()), R"({"foo":"foo\"bar","nl":"a\nb","u":"\u00e9"})");
  EXPECT_EQ(ValueOf(o.labels, "foo"), "foo\"bar");
  EXPECT_EQ(ValueOf(o.labels, "nl"), "a\nb");
  EXPECT_EQ(ValueOf(o.labels, "u"), "\xC3\xA9");
}

TEST(LogqlPipelineJson, InvalidUtf8ValuesAreEmptied) {
  Output o = Exec(Selector(Json()), "{\"bad\":\"x\xFFy\",\"good\":\"ok\"}");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "bad"), "");
  EXPECT_EQ(ValueOf(o.labels, "good"), "ok");
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "<absent>");
}

TEST(LogqlPipelineJson, WhatFollowsTheObjectIsIgnored) {
  // As Loki's parser (buger/jsonparser), which stops at the end of the object.
  Output o = Exec(Selector(Json()), R"({"foo":{"cou-nter":1}} trailing)");
  EXPECT_EQ(o.labels, L({{"foo_cou_nter", "1"}}));
  o = Exec(Selector(Json()), R"({"foo":{"cou-nter":1}}")");
  EXPECT_EQ(o.labels, L({{"foo_cou_nter", "1"}}));
  o = Exec(Selector(Json({{"c", "foo[\"cou-nter\"]"}})), R"({"foo":{"cou-nter":1}} x)");
  EXPECT_EQ(o.labels, L({{"c", "1"}}));
  o = Exec(Selector(Unpack()), R"({"_entry":"x","a":"b"} rest)");
  EXPECT_EQ(o.line, "x");
  EXPECT_EQ(o.labels, L({{"a", "b"}}));
  // An object that does not close is still an error.
  o = Exec(Selector(Json()), R"({"a":"b", "c":{"d":1} x)");
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "JSONParserErr");
}

TEST(LogqlPipelineJson, InvalidJsonSetsTheError) {
  Output o = Exec(Selector(Json()), "{n}", L({{"app", "x"}}));
  ASSERT_TRUE(o.kept);  // errors mark entries, they do not drop them
  EXPECT_EQ(
      o.labels,
      L({{"app", "x"},
         {"__error__", "JSONParserErr"},
         {"__error_details__", "Value looks like object, but can't find closing '}' symbol"}}));
}

TEST(LogqlPipelineJson, NonObjectLinesAreErrors) {
  for (std::string_view line : {"plain text", "[1,2]", "42", ""}) {
    Output o = Exec(Selector(Json()), line);
    EXPECT_EQ(ValueOf(o.labels, "__error__"), "JSONParserErr") << line;
  }
}

TEST(LogqlPipelineJson, NameOfAStreamLabelIsExtracted) {
  Output o = Exec(Selector(Json()), R"({"app":"from-line","pod":{"app":"nested"}})",
                  L({{"app", "stream"}, {"pod_app", "s2"}}));
  EXPECT_EQ(o.labels, L({{"app", "stream"},
                         {"app_extracted", "from-line"},
                         {"pod_app", "s2"},
                         {"pod_app_extracted", "nested"}}));
}

TEST(LogqlPipelineJson, ExpressionsOfTheDocumentation) {
  Output o = Exec(Selector(Json({{"first_server", "servers[0]"},
                                 {"ua", R"(request.headers["User-Agent"])"},
                                 {"status", "response.status"}})),
                  kDocsJson);
  EXPECT_EQ(o.labels, L({{"first_server", "129.0.1.1"}, {"ua", "curl/7.68.0"}, {"status", "401"}}));
}

TEST(LogqlPipelineJson, ExpressionsReturnObjectsAndArraysAsText) {
  Output o =
      Exec(Selector(Json({{"server_list", "servers"}, {"headers", "request.headers"}})), kDocsJson);
  EXPECT_EQ(ValueOf(o.labels, "server_list"), R"(["129.0.1.1","10.2.1.3"])");
  EXPECT_EQ(ValueOf(o.labels, "headers"), R"({"Accept":"*/*","User-Agent":"curl/7.68.0"})");
}

TEST(LogqlPipelineJson, ExpressionBareIdentifierAndMissingPaths) {
  Output o =
      Exec(Selector(Json({{"protocol", ""}, {"nope", "a.b.c"}, {"idx", "servers[5]"}})), kDocsJson);
  EXPECT_EQ(o.labels, L({{"protocol", "HTTP/2.0"}, {"nope", ""}, {"idx", ""}}));
}

TEST(LogqlPipelineJson, ExpressionNullAndBooleans) {
  Output o = Exec(Selector(Json({{"n", "n"}, {"b", "b"}, {"num", "x[1]"}})),
                  R"({"n":null,"b":true,"x":[1, 2.5 ]})");
  EXPECT_EQ(o.labels, L({{"n", ""}, {"b", "true"}, {"num", "2.5"}}));
}

TEST(LogqlPipelineJson, ExpressionLabelOfTheStreamIsExtracted) {
  Output o = Exec(Selector(Json({{"app", "app"}})), R"({"app":"line"})", L({{"app", "stream"}}));
  EXPECT_EQ(o.labels, L({{"app", "stream"}, {"app_extracted", "line"}}));
}

TEST(LogqlPipelineJson, ExpressionOnNonJsonIsAnErrorWithoutDetails) {
  Output o = Exec(Selector(Json({{"a", "a"}})), "level=info");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels, L({{"__error__", "JSONParserErr"}}));
}

TEST(LogqlPipelineJson, ExpressionCompileErrors) {
  EXPECT_EQ(CompileError(Selector(Json({{"a", "b..c"}}))).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompileError(Selector(Json({{"bad-name", "b"}}))).message(),
            "invalid extracted label name 'bad-name'");
}

TEST(LogqlPipelineJson, ParserStateDoesNotLeakAcrossEntries) {
  auto p = MustCompile(Selector(Json()));
  ASSERT_NE(p, nullptr);
  PipelineRun run(*p);
  LabelsBuilder b;
  Labels stream = L({{"app", "x"}});
  std::string_view out;
  b.Reset(stream);
  ASSERT_TRUE(run.Process(1, R"({"a":{"b":"1"},"c":"2"})", b, &out));
  b.Reset(stream);
  ASSERT_TRUE(run.Process(2, R"({"d":"3"})", b, &out));
  Labels got;
  b.Materialize(&got);
  EXPECT_EQ(got, L({{"app", "x"}, {"d", "3"}}));
}

// ---- logfmt --------------------------------------------------------------------------------

constexpr std::string_view kDocsLogfmt =
    R"(at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200)";

TEST(LogqlPipelineLogfmt, DocumentationExample) {
  Output o = Exec(Selector(Logfmt()), kDocsLogfmt);
  EXPECT_EQ(o.labels, L({{"at", "info"},
                         {"method", "GET"},
                         {"path", "/"},
                         {"host", "grafana.net"},
                         {"fwd", "124.133.124.161"},
                         {"service", "8ms"},
                         {"status", "200"}}));
}

TEST(LogqlPipelineLogfmt, StandaloneKeysNeedKeepEmpty) {
  Output o = Exec(Selector(Logfmt()), "a=1 debug b= c=\"\"");
  EXPECT_EQ(o.labels, L({{"a", "1"}}));
  o = Exec(Selector(Logfmt({}, false, true)), "a=1 debug b= c=\"\"");
  EXPECT_EQ(o.labels, L({{"a", "1"}, {"debug", ""}, {"b", ""}, {"c", ""}}));
}

TEST(LogqlPipelineLogfmt, WithoutStrictBadPairsAreSkipped) {
  Output o = Exec(Selector(Logfmt()), "a=1 b==2 c=3 \"quoted\" d=4");
  EXPECT_EQ(o.labels, L({{"a", "1"}, {"c", "3"}, {"d", "4"}}));
}

TEST(LogqlPipelineLogfmt, StrictStopsAtTheFirstError) {
  Output o = Exec(Selector(Logfmt({}, true)), "a=1 b==2 c=3");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels, L({{"a", "1"},
                         {"__error__", "LogfmtParserErr"},
                         {"__error_details__", "logfmt syntax error at pos 7 : unexpected '='"}}));
}

TEST(LogqlPipelineLogfmt, StrictOnAValidLineHasNoError) {
  Output o = Exec(Selector(Logfmt({}, true)), kDocsLogfmt);
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "<absent>");
  EXPECT_EQ(ValueOf(o.labels, "status"), "200");
}

TEST(LogqlPipelineLogfmt, QuotedValuesAndSanitizedKeys) {
  Output o = Exec(Selector(Logfmt()), R"(msg="a \"quoted\" word" http.status=500 1x=y)");
  EXPECT_EQ(o.labels, L({{"msg", "a \"quoted\" word"}, {"http_status", "500"}, {"_1x", "y"}}));
}

TEST(LogqlPipelineLogfmt, StreamLabelNamesAreExtracted) {
  Output o = Exec(Selector(Logfmt()), "level=error msg=boom", L({{"level", "info"}}));
  EXPECT_EQ(o.labels, L({{"level", "info"}, {"level_extracted", "error"}, {"msg", "boom"}}));
}

TEST(LogqlPipelineLogfmt, ExpressionsOfTheDocumentation) {
  Output o = Exec(Selector(Logfmt({{"host", ""}, {"fwd_ip", "fwd"}})), kDocsLogfmt);
  EXPECT_EQ(o.labels, L({{"host", "grafana.net"}, {"fwd_ip", "124.133.124.161"}}));
}

TEST(LogqlPipelineLogfmt, ExpressionMissingKeysAreEmpty) {
  Output o = Exec(Selector(Logfmt({{"user", ""}, {"method", ""}})), kDocsLogfmt);
  EXPECT_EQ(o.labels, L({{"user", ""}, {"method", "GET"}}));
}

TEST(LogqlPipelineLogfmt, InvalidUtf8ValuesAreEmptied) {
  Output o = Exec(Selector(Logfmt({}, false, true)), "a=x\xFFy b=ok");
  EXPECT_EQ(o.labels, L({{"a", ""}, {"b", "ok"}}));
}

// ---- regexp --------------------------------------------------------------------------------

TEST(LogqlPipelineRegexp, DocumentationExample) {
  Output o = Exec(
      Selector(
          Regexp(R"((?P<method>\w+) (?P<path>[\w|/]+) \((?P<status>\d+?)\) (?P<duration>.*))")),
      "POST /api/prom/api/v1/query_range (200) 1.5s");
  EXPECT_EQ(o.labels, L({{"method", "POST"},
                         {"path", "/api/prom/api/v1/query_range"},
                         {"status", "200"},
                         {"duration", "1.5s"}}));
}

TEST(LogqlPipelineRegexp, IsUnanchoredAndKeepsUnmatchedLines) {
  Output o = Exec(Selector(Regexp(R"(status=(?P<status>\d+))")), "GET / status=404 took=3ms");
  EXPECT_EQ(o.labels, L({{"status", "404"}}));
  o = Exec(Selector(Regexp(R"(status=(?P<status>\d+))")), "no status here");
  ASSERT_TRUE(o.kept);
  EXPECT_TRUE(o.labels.empty());
}

TEST(LogqlPipelineRegexp, GroupsThatDoNotTakePartAreEmpty) {
  Output o = Exec(Selector(Regexp(R"((?P<a>a+)|(?P<b>b+))")), "xbb", L({{"a", "stream"}}));
  EXPECT_EQ(o.labels, L({{"a", "stream"}, {"a_extracted", ""}, {"b", "bb"}}));
}

TEST(LogqlPipelineRegexp, CompileErrors) {
  EXPECT_EQ(CompileError(Selector(Regexp("(a)(b)"))).message(),
            "at least one named capture must be supplied");
  Status st = CompileError(Selector(Regexp("(?P<a>")));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("error parsing regexp: ", 0), 0u) << st.message();
}

// ---- pattern -------------------------------------------------------------------------------

TEST(LogqlPipelinePattern, DocumentationAccessLog) {
  Output o = Exec(
      Selector(
          PatternStage(R"(<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>)")),
      R"(0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLS/1.2" "US" "")");
  EXPECT_EQ(o.labels, L({{"ip", "0.191.12.2"},
                         {"method", "GET"},
                         {"uri", "/api/plugins/versioncheck"},
                         {"status", "200"},
                         {"size", "2"},
                         {"agent", "Go-http-client/2.0"}}));
}

TEST(LogqlPipelinePattern, DocumentationLokiLog) {
  Output o = Exec(
      Selector(PatternStage(R"(<_> msg="<method> <path> (<status>) <latency>")")),
      R"(level=debug ts=2021-06-10T09:24:13.472094048Z caller=logging.go:66 traceID=0568b66ad2d9294c orgID=1 msg="POST /loki/api/v1/push (204) 16.652862ms")");
  EXPECT_EQ(o.labels, L({{"method", "POST"},
                         {"path", "/loki/api/v1/push"},
                         {"status", "204"},
                         {"latency", "16.652862ms"}}));
}

TEST(LogqlPipelinePattern, StreamLabelNamesAreExtracted) {
  Output o = Exec(Selector(PatternStage("<level> <msg>")), "warn disk", L({{"level", "info"}}));
  EXPECT_EQ(o.labels, L({{"level", "info"}, {"level_extracted", "warn"}, {"msg", "disk"}}));
}

TEST(LogqlPipelinePattern, PartialMatchKeepsWhatWasCaptured) {
  // Loki: when a literal is missing, the capture takes the rest of the line and matching stops.
  Output o = Exec(Selector(PatternStage("<a> foo <b>")), "x bar");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels, L({{"a", "x bar"}}));
}

TEST(LogqlPipelinePattern, NoCaptureIsACompileError) {
  EXPECT_EQ(CompileError(Selector(PatternStage("no captures"))).code(),
            StatusCode::kInvalidArgument);
}

// ---- unpack --------------------------------------------------------------------------------

TEST(LogqlPipelineUnpack, DocumentationExample) {
  Output o = Exec(Selector(Unpack()),
                  R"({"container":"myapp","pod":"pod-3223f","_entry":"original log message"})",
                  L({{"job", "k8s"}}));
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.line, "original log message");
  EXPECT_EQ(o.labels, L({{"job", "k8s"}, {"container", "myapp"}, {"pod", "pod-3223f"}}));
}

TEST(LogqlPipelineUnpack, WithoutEntryNothingChanges) {
  std::string_view line = R"({"container":"myapp","n":1})";
  Output o = Exec(Selector(Unpack()), line);
  EXPECT_EQ(o.line, line);
  EXPECT_TRUE(o.labels.empty());
}

TEST(LogqlPipelineUnpack, NonObjectIsAnError) {
  Output o = Exec(Selector(Unpack()), "plain");
  EXPECT_EQ(o.line, "plain");
  EXPECT_EQ(o.labels, L({{"__error__", "JSONParserErr"},
                         {"__error_details__", "expecting json object(6), but it is not"}}));
}

TEST(LogqlPipelineUnpack, StreamLabelNamesAndEscapes) {
  Output o =
      Exec(Selector(Unpack(), Json()),
           R"({"app":"packed","_entry":"{\"level\":\"warn\"}","k-8":"v"})", L({{"app", "stream"}}));
  EXPECT_EQ(o.line, R"({"level":"warn"})");
  EXPECT_EQ(o.labels,
            L({{"app", "stream"}, {"app_extracted", "packed"}, {"k_8", "v"}, {"level", "warn"}}));
}

TEST(LogqlPipelineUnpack, LineFiltersAfterUnpackSeeTheUnpackedLine) {
  auto sel = Selector(Unpack(), LineF(LineFilterOp::kContains, {"_entry"}));
  Output o = Exec(sel, R"({"_entry":"hello","a":"b"})");
  EXPECT_FALSE(o.kept);
  auto sel2 = Selector(Unpack(), LineF(LineFilterOp::kContains, {"hello"}));
  o = Exec(sel2, R"({"_entry":"hello","a":"b"})");
  EXPECT_TRUE(o.kept);
}

// ---- Label filters -------------------------------------------------------------------------

TEST(LogqlPipelineLabelFilter, StringOperators) {
  const std::string line = "level=error app=api";
  EXPECT_TRUE(
      Exec(Selector(Logfmt(), Filter(Str("level", CompareOp::kEqual, "error"))), line).kept);
  EXPECT_FALSE(
      Exec(Selector(Logfmt(), Filter(Str("level", CompareOp::kNotEqual, "error"))), line).kept);
  EXPECT_TRUE(
      Exec(Selector(Logfmt(), Filter(Str("level", CompareOp::kRegexMatch, "err.*"))), line).kept);
  // Regexes are anchored.
  EXPECT_FALSE(
      Exec(Selector(Logfmt(), Filter(Str("level", CompareOp::kRegexMatch, "err"))), line).kept);
  EXPECT_FALSE(
      Exec(Selector(Logfmt(), Filter(Str("level", CompareOp::kRegexNoMatch, "e.*"))), line).kept);
}

TEST(LogqlPipelineLabelFilter, MissingLabelComparesAsEmpty) {
  EXPECT_TRUE(Exec(Selector(Logfmt(), Filter(Str("user", CompareOp::kEqual, ""))), "a=1").kept);
  EXPECT_TRUE(
      Exec(Selector(Logfmt(), Filter(Str("user", CompareOp::kNotEqual, "bob"))), "a=1").kept);
}

TEST(LogqlPipelineLabelFilter, StreamAndMetadataLabelsCanBeFiltered) {
  auto sel = Selector(
      Filter(And(Str("app", CompareOp::kEqual, "api"), Str("trace", CompareOp::kEqual, "t1"))));
  EXPECT_TRUE(Exec(sel, "x", L({{"app", "api"}}), L({{"trace", "t1"}})).kept);
  EXPECT_FALSE(Exec(sel, "x", L({{"app", "api"}}), L({{"trace", "t2"}})).kept);
}

TEST(LogqlPipelineLabelFilter, NumberComparisons) {
  auto keeps = [](CompareOp op, double v) {
    return Exec(Selector(Logfmt(), Filter(Num("status", op, v))), "status=404").kept;
  };
  EXPECT_TRUE(keeps(CompareOp::kGreaterEqual, 400));
  EXPECT_TRUE(keeps(CompareOp::kGreater, 403.5));
  EXPECT_FALSE(keeps(CompareOp::kGreater, 404));
  EXPECT_TRUE(keeps(CompareOp::kLess, 500));
  EXPECT_TRUE(keeps(CompareOp::kLessEqual, 404));
  EXPECT_TRUE(keeps(CompareOp::kEqual, 404));
  EXPECT_FALSE(keeps(CompareOp::kNotEqual, 404));
}

TEST(LogqlPipelineLabelFilter, NumberThatDoesNotParseMarksTheEntry) {
  Output o = Exec(Selector(Logfmt(), Filter(Num("status", CompareOp::kGreater, 10))), "status=abc");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "LabelFilterErr");
  EXPECT_EQ(ValueOf(o.labels, "__error_details__"),
            "strconv.ParseFloat: parsing \"abc\": invalid syntax");
}

TEST(LogqlPipelineLabelFilter, ConversionFiltersDropEntriesWithoutTheLabel) {
  EXPECT_FALSE(
      Exec(Selector(Logfmt(), Filter(Num("status", CompareOp::kNotEqual, 1))), "a=1").kept);
  EXPECT_FALSE(
      Exec(Selector(Logfmt(), Filter(Dur("took", CompareOp::kGreater, "1s", 1))), "a=1").kept);
}

TEST(LogqlPipelineLabelFilter, AnEarlierErrorIsKept) {
  Output o = Exec(Selector(Json(), Filter(Num("x", CompareOp::kGreater, 1))), "x=abc");
  // json failed on the line; x does not exist, so the numeric filter drops it.
  EXPECT_FALSE(o.kept);
  o = Exec(Selector(Logfmt(), Json(), Filter(Num("x", CompareOp::kGreater, 1))), "x=abc");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "JSONParserErr");
}

TEST(LogqlPipelineLabelFilter, Durations) {
  auto keeps = [](CompareOp op, std::string text, double seconds, std::string line) {
    return Exec(Selector(Logfmt(), Filter(Dur("took", op, std::move(text), seconds))), line).kept;
  };
  EXPECT_TRUE(keeps(CompareOp::kGreaterEqual, "20ms", 0.02, "took=1.5s"));
  EXPECT_FALSE(keeps(CompareOp::kGreater, "2s", 2, "took=1500ms"));
  EXPECT_TRUE(keeps(CompareOp::kEqual, "1m30s", 90, "took=90s"));
  EXPECT_TRUE(keeps(CompareOp::kLess, "1h", 3600, "took=59m59s"));
  Output o =
      Exec(Selector(Logfmt(), Filter(Dur("took", CompareOp::kGreater, "1s", 1))), "took=fast");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "__error_details__"), "time: invalid duration \"fast\"");
}

TEST(LogqlPipelineLabelFilter, Bytes) {
  auto keeps = [](CompareOp op, std::string text, double bytes, std::string line) {
    return Exec(Selector(Logfmt(), Filter(Bytes("size", op, std::move(text), bytes))), line).kept;
  };
  EXPECT_TRUE(keeps(CompareOp::kGreater, "20KB", 20000, "size=1MiB"));
  EXPECT_FALSE(keeps(CompareOp::kGreater, "20KB", 20000, "size=20kb"));
  EXPECT_TRUE(keeps(CompareOp::kEqual, "1KiB", 1024, "size=1024"));
  Output o = Exec(Selector(Logfmt(), Filter(Bytes("size", CompareOp::kGreater, "1KB", 1000))),
                  "size=huge");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "LabelFilterErr");
}

TEST(LogqlPipelineLabelFilter, DocumentationBooleanTree) {
  // | duration >= 20ms or size == 20kb and method!~"2.."   (and binds tighter)
  auto make = [] {
    return Selector(Logfmt(), Filter(Or(Dur("duration", CompareOp::kGreaterEqual, "20ms", 0.02),
                                        And(Bytes("size", CompareOp::kEqual, "20kb", 20000),
                                            Str("method", CompareOp::kRegexNoMatch, "2..")))));
  };
  EXPECT_TRUE(Exec(make(), "duration=30ms size=1kb method=GET").kept);
  EXPECT_TRUE(Exec(make(), "duration=1ms size=20KB method=GET").kept);
  EXPECT_FALSE(Exec(make(), "duration=1ms size=20KB method=200").kept);
  EXPECT_FALSE(Exec(make(), "duration=1ms size=21KB method=GET").kept);
}

TEST(LogqlPipelineLabelFilter, AndEvaluatesBothSides) {
  // The right side of the `and` runs although the left one failed, and its error survives.
  auto sel = Selector(
      Logfmt(), Filter(Or(And(Num("a", CompareOp::kGreater, 1), Num("b", CompareOp::kGreater, 1)),
                          Str("c", CompareOp::kEqual, "y"))));
  Output o = Exec(sel, "a=0 b=x c=y");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "LabelFilterErr");
}

TEST(LogqlPipelineLabelFilter, OrShortCircuits) {
  auto sel = Selector(
      Logfmt(), Filter(Or(Str("c", CompareOp::kEqual, "y"), Num("b", CompareOp::kGreater, 1))));
  Output o = Exec(sel, "b=x c=y");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "<absent>");
}

TEST(LogqlPipelineLabelFilter, ErrorFilterDropsFailedEntries) {
  auto sel = Selector(Json(), Filter(Str("__error__", CompareOp::kEqual, "")));
  EXPECT_FALSE(Exec(sel, "not json").kept);
  Output o = Exec(sel, R"({"a":"b"})");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels, L({{"a", "b"}}));
}

TEST(LogqlPipelineLabelFilter, ErrorFilterSelectsFailedEntries) {
  auto sel = Selector(Json(), Filter(Str("__error__", CompareOp::kNotEqual, "")));
  EXPECT_TRUE(Exec(sel, "not json").kept);
  EXPECT_FALSE(Exec(sel, R"({"a":"b"})").kept);
  auto by_kind = Selector(Logfmt(), Filter(Num("n", CompareOp::kGreater, 0)),
                          Filter(Str("__error__", CompareOp::kRegexMatch, "LabelFilter.*")));
  EXPECT_TRUE(Exec(by_kind, "n=zero").kept);
  EXPECT_FALSE(Exec(by_kind, "n=3").kept);
}

TEST(LogqlPipelineLabelFilter, IpAddressesRangesAndPrefixes) {
  auto keeps = [](CompareOp op, std::string pattern, std::string line) {
    return Exec(Selector(Logfmt(), Filter(Ip("addr", op, std::move(pattern)))), line).kept;
  };
  EXPECT_TRUE(keeps(CompareOp::kEqual, "192.168.1.5", "addr=192.168.1.5"));
  EXPECT_TRUE(keeps(CompareOp::kEqual, "192.168.1.0/24", "addr=192.168.1.5"));
  EXPECT_FALSE(keeps(CompareOp::kEqual, "192.168.2.0/24", "addr=192.168.1.5"));
  EXPECT_TRUE(keeps(CompareOp::kEqual, "192.168.1.1-192.168.1.9", "addr=192.168.1.5"));
  EXPECT_FALSE(keeps(CompareOp::kEqual, "192.168.1.1-192.168.1.4", "addr=192.168.1.5"));
  EXPECT_TRUE(keeps(CompareOp::kNotEqual, "10.0.0.0/8", "addr=192.168.1.5"));
  EXPECT_TRUE(keeps(CompareOp::kEqual, "2001:db8::/32", "addr=2001:db8::1"));
  EXPECT_FALSE(keeps(CompareOp::kEqual, "2001:db8::/32", "addr=192.168.1.5"));
  EXPECT_TRUE(keeps(CompareOp::kEqual, "ip(\"10.1.2.3\")", "addr=\"from 10.1.2.3:80\""));
  EXPECT_FALSE(keeps(CompareOp::kEqual, "10.0.0.1", "other=10.0.0.1"));
}

TEST(LogqlPipelineLabelFilter, CompileErrors) {
  EXPECT_EQ(CompileError(Selector(Filter(Ip("a", CompareOp::kEqual, "not-an-ip")))).message(),
            "ip: invalid pattern: \"not-an-ip\"");
  EXPECT_EQ(CompileError(Selector(Filter(Ip("a", CompareOp::kGreater, "1.2.3.4")))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CompileError(Selector(Filter(Cmp("a", CompareOp::kRegexMatch, LiteralKind::kNumber, "1", 1))))
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(CompileError(Selector(Filter(Str("a", CompareOp::kRegexMatch, "(")))).code(),
            StatusCode::kInvalidArgument);
}

// ---- drop and keep -------------------------------------------------------------------------

TEST(LogqlPipelineDropKeep, DropByName) {
  Output o = Exec(Selector(Logfmt(), Drop({Name("level"), Name("app"), Name("absent")})),
                  "level=info msg=hi", L({{"app", "x"}, {"env", "prod"}}));
  EXPECT_EQ(o.labels, L({{"env", "prod"}, {"msg", "hi"}}));
}

TEST(LogqlPipelineDropKeep, DropWithMatchers) {
  auto sel = Selector(Logfmt(), Drop({Matcher("level", storage::MatchOp::kEqual, "debug"),
                                      Matcher("msg", storage::MatchOp::kRegexMatch, "h.*")}));
  Output o = Exec(sel, "level=debug msg=hello");
  EXPECT_TRUE(o.labels.empty());
  o = Exec(sel, "level=info msg=bye");
  EXPECT_EQ(o.labels, L({{"level", "info"}, {"msg", "bye"}}));
}

TEST(LogqlPipelineDropKeep, DropErrorKeepsItsDetails) {
  Output o = Exec(Selector(Json(), Drop({Name("__error__")})), "oops", L({{"app", "x"}}));
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(
      o.labels,
      L({{"app", "x"},
         {"__error_details__", "Value looks like object, but can't find closing '}' symbol"}}));
  o = Exec(Selector(Json(), Drop({Name("__error__"), Name("__error_details__")})), "oops",
           L({{"app", "x"}}));
  EXPECT_EQ(o.labels, L({{"app", "x"}}));
}

TEST(LogqlPipelineDropKeep, DropErrorByMatcher) {
  auto sel =
      Selector(Json(), Drop({Matcher("__error__", storage::MatchOp::kEqual, "LogfmtParserErr")}));
  Output o = Exec(sel, "oops");
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "JSONParserErr");
  auto sel2 =
      Selector(Json(), Drop({Matcher("__error__", storage::MatchOp::kEqual, "JSONParserErr")}));
  o = Exec(sel2, "oops");
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "<absent>");
}

TEST(LogqlPipelineDropKeep, KeepNamesAndMatchersButAlwaysErrors) {
  auto sel = Selector(Logfmt(), Filter(Num("n", CompareOp::kGreater, 1)),
                      Keep({Name("app"), Matcher("level", storage::MatchOp::kEqual, "error")}));
  Output o = Exec(sel, "level=error n=x other=1", L({{"app", "a"}, {"env", "e"}}));
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels,
            L({{"app", "a"},
               {"level", "error"},
               {"__error__", "LabelFilterErr"},
               {"__error_details__", "strconv.ParseFloat: parsing \"x\": invalid syntax"}}));
  o = Exec(sel, "level=info n=5", L({{"app", "a"}}));
  EXPECT_EQ(o.labels, L({{"app", "a"}}));
}

TEST(LogqlPipelineDropKeep, GrafanaVolumeQueryPipeline) {
  // sum by (level, detected_level) (count_over_time({job="app"} | drop __error__[1m]))
  auto p = MustCompile(Selector(Drop({Name("__error__")})));
  ASSERT_NE(p, nullptr);
  // Nothing before the drop can set an error: it is left out and the fast path applies.
  EXPECT_TRUE(p->LineFiltersOnly());
  Labels stream = L({{"job", "app"}, {"level", "info"}});
  Output o = RunOn(*p, stream, "anything");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels, stream);
  o = RunOn(*p, stream, "x", L({{"detected_level", "warn"}}));
  EXPECT_EQ(o.labels, L({{"job", "app"}, {"level", "info"}, {"detected_level", "warn"}}));
}

// ---- decolorize ----------------------------------------------------------------------------

TEST(LogqlPipelineDecolorize, RemovesAnsiSequences) {
  Output o = Exec(Selector(Decolor()), "\x1b[31mERROR\x1b[0m disk \x1b[1;32mfull\x1b[m");
  EXPECT_EQ(o.line, "ERROR disk full");
  o = Exec(Selector(Decolor()), "title \x1b]0;window\x07rest");
  EXPECT_EQ(o.line, "title rest");
  o = Exec(Selector(Decolor()),
           "csi \xC2\x9B"
           "31mred");
  EXPECT_EQ(o.line, "csi red");
}

TEST(LogqlPipelineDecolorize, PlainLinesPassUntouched) {
  auto p = MustCompile(Selector(Decolor()));
  ASSERT_NE(p, nullptr);
  PipelineRun run(*p);
  LabelsBuilder b;
  Labels stream;
  b.Reset(stream);
  std::string line = "no colors here";
  std::string_view out;
  ASSERT_TRUE(run.Process(1, line, b, &out));
  EXPECT_EQ(out.data(), line.data());  // no copy
}

TEST(LogqlPipelineDecolorize, ThenParse) {
  Output o = Exec(Selector(Decolor(), Logfmt()), "level=\x1b[33mwarn\x1b[0m msg=x");
  EXPECT_EQ(o.labels, L({{"level", "warn"}, {"msg", "x"}}));
}

// ---- line_format and label_format ------------------------------------------------------------

TEST(LogqlPipelineFormat, LineFormatReplacesTheLine) {
  Output o = Exec(Selector(Logfmt(), LineFmt("{{.level}}: {{.msg}}")), "level=warn msg=disk",
                  L({{"app", "x"}}));
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.line, "warn: disk");
  EXPECT_EQ(ValueOf(o.labels, "level"), "warn");
}

TEST(LogqlPipelineFormat, LineFormatSeesStreamLabelsAndMissingOnesAreEmpty) {
  Output o = Exec(Selector(LineFmt("{{.app}}[{{.nope}}]")), "x", L({{"app", "api"}}));
  EXPECT_EQ(o.line, "api[]");
}

TEST(LogqlPipelineFormat, LineFiltersAfterLineFormatSeeTheNewLine) {
  auto sel = Selector(Logfmt(), LineFmt("{{.msg}}"), LineF(LineFilterOp::kContains, {"level"}));
  EXPECT_FALSE(Exec(sel, "level=warn msg=disk").kept);
  auto sel2 = Selector(Logfmt(), LineFmt("{{.msg}}"), LineF(LineFilterOp::kContains, {"disk"}));
  Output o = Exec(sel2, "level=warn msg=disk");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.line, "disk");
}

TEST(LogqlPipelineFormat, ChainedLineFormats) {
  Output o =
      Exec(Selector(Logfmt(), LineFmt("{{.a}}-{{.b}}"), LineFmt("<{{.a}}>"), LineFmt("[{{.b}}]")),
           "a=1 b=2");
  EXPECT_EQ(o.line, "[2]");
}

TEST(LogqlPipelineFormat, LabelFormatTemplatesAndRenames) {
  Output o = Exec(Selector(Logfmt(), LabelFmt({{"summary", "{{.level}}/{{.app}}", false},
                                               {"severity", "level", true}})),
                  "level=warn", L({{"app", "api"}}));
  EXPECT_EQ(o.labels, L({{"app", "api"}, {"summary", "warn/api"}, {"severity", "warn"}}));
}

TEST(LogqlPipelineFormat, RenamingAStreamLabelMovesIt) {
  auto p = MustCompile(Selector(LabelFmt({{"service", "app", true}})));
  ASSERT_NE(p, nullptr);
  PipelineRun run(*p);
  LabelsBuilder b;
  Labels stream = L({{"app", "api"}, {"env", "prod"}});
  b.Reset(stream);
  std::string_view out;
  ASSERT_TRUE(run.Process(1, "x", b, &out));
  Labels s, m, parsed;
  b.MaterializeCategorized(&s, &m, &parsed);
  EXPECT_EQ(s, L({{"env", "prod"}}));
  EXPECT_EQ(parsed, L({{"service", "api"}}));
}

TEST(LogqlPipelineFormat, LabelFormatTemplatesSeeTheLabelsBeforeTheStage) {
  Output o = Exec(Selector(Logfmt(), LabelFmt({{"a", "changed", false}, {"b", "{{.a}}", false}})),
                  "a=orig");
  EXPECT_EQ(o.labels, L({{"a", "changed"}, {"b", "orig"}}));
}

TEST(LogqlPipelineFormat, RenameOfAMissingLabelDoesNothing) {
  Output o = Exec(Selector(Logfmt(), LabelFmt({{"dst", "src", true}})), "a=1");
  EXPECT_EQ(o.labels, L({{"a", "1"}}));
}

TEST(LogqlPipelineFormat, LabelFormatCompileErrors) {
  EXPECT_EQ(CompileError(Selector(LabelFmt({{"a", "{{.x}}", false}, {"a", "b", true}}))).message(),
            "multiple label name 'a' not allowed in a single format operation");
  EXPECT_EQ(CompileError(Selector(LabelFmt({{"__error__", "x", false}}))).message(),
            "__error__ cannot be formatted");
  Status st = CompileError(Selector(LabelFmt({{"a", "{{.x", false}})));
  EXPECT_EQ(st.message().rfind("invalid template for label 'a': ", 0), 0u) << st.message();
  st = CompileError(Selector(LineFmt("{{ if }")));
  EXPECT_EQ(st.message().rfind("invalid line template: ", 0), 0u) << st.message();
}

// ---- unwrap --------------------------------------------------------------------------------

Unwrap MakeUnwrap(std::string label, Unwrap::Conversion c = Unwrap::Conversion::kNone) {
  Unwrap u;
  u.label = std::move(label);
  u.conversion = c;
  return u;
}

TEST(LogqlPipelineUnwrap, FloatValues) {
  Unwrap u = MakeUnwrap("latency");
  Output o = RunUnwrap(Selector(Logfmt()), u, "latency=0.25 path=/");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.value, 0.25);
  o = RunUnwrap(Selector(Logfmt()), u, "latency=1e3");
  EXPECT_EQ(o.value, 1000);
  o = RunUnwrap(Selector(Logfmt()), u, "latency=0x1p4");
  EXPECT_EQ(o.value, 16);
}

TEST(LogqlPipelineUnwrap, MissingOrEmptyLabelGivesNoSample) {
  Unwrap u = MakeUnwrap("latency");
  EXPECT_FALSE(RunUnwrap(Selector(Logfmt()), u, "path=/").kept);
  EXPECT_FALSE(RunUnwrap(Selector(Logfmt({}, false, true)), u, "latency= path=/").kept);
}

TEST(LogqlPipelineUnwrap, ConversionFailureMarksTheSample) {
  Unwrap u = MakeUnwrap("latency");
  Output o = RunUnwrap(Selector(Logfmt()), u, "latency=fast");
  ASSERT_TRUE(o.kept);
  EXPECT_FALSE(o.value.has_value());
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "SampleExtractionErr");
  EXPECT_EQ(ValueOf(o.labels, "__error_details__"),
            "strconv.ParseFloat: parsing \"fast\": invalid syntax");
}

TEST(LogqlPipelineUnwrap, PostFiltersRunAfterTheConversion) {
  Unwrap u = MakeUnwrap("latency");
  u.post_filters.push_back(Str("__error__", CompareOp::kEqual, ""));
  EXPECT_FALSE(RunUnwrap(Selector(Logfmt()), u, "latency=fast").kept);
  Output o = RunUnwrap(Selector(Logfmt()), u, "latency=2");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.value, 2);
  Unwrap v = MakeUnwrap("latency");
  v.post_filters.push_back(Num("latency", CompareOp::kGreater, 5));
  EXPECT_FALSE(RunUnwrap(Selector(Logfmt()), v, "latency=2").kept);
  EXPECT_TRUE(RunUnwrap(Selector(Logfmt()), v, "latency=7").kept);
}

TEST(LogqlPipelineUnwrap, Durations) {
  for (auto c : {Unwrap::Conversion::kDuration, Unwrap::Conversion::kDurationSeconds}) {
    Unwrap u = MakeUnwrap("took", c);
    EXPECT_EQ(RunUnwrap(Selector(Logfmt()), u, "took=1.5s").value, 1.5);
    EXPECT_EQ(RunUnwrap(Selector(Logfmt()), u, "took=250ms").value, 0.25);
    EXPECT_EQ(RunUnwrap(Selector(Logfmt()), u, "took=1h1m").value, 3660);
    Output o = RunUnwrap(Selector(Logfmt()), u, "took=10");
    ASSERT_TRUE(o.kept);
    EXPECT_EQ(ValueOf(o.labels, "__error_details__"), "time: missing unit in duration \"10\"");
  }
}

TEST(LogqlPipelineUnwrap, Bytes) {
  Unwrap u = MakeUnwrap("size", Unwrap::Conversion::kBytes);
  EXPECT_EQ(RunUnwrap(Selector(Logfmt()), u, "size=1KB").value, 1000);
  EXPECT_EQ(RunUnwrap(Selector(Logfmt()), u, "size=\"5 KiB\"").value, 5120);
  EXPECT_EQ(RunUnwrap(Selector(Logfmt()), u, "size=42").value, 42);
  Output o = RunUnwrap(Selector(Logfmt()), u, "size=lots");
  EXPECT_EQ(ValueOf(o.labels, "__error__"), "SampleExtractionErr");
}

TEST(LogqlPipelineUnwrap, StreamLabelsCanBeUnwrapped) {
  Unwrap u = MakeUnwrap("weight");
  Output o = RunUnwrap(Selector(), u, "x", L({{"weight", "3"}}));
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.value, 3);
}

TEST(LogqlPipelineUnwrap, PipelineWithUnwrapIsNotLineFiltersOnly) {
  Unwrap u = MakeUnwrap("x");
  auto p = MustCompile(Selector(LineF(LineFilterOp::kContains, {"a"})), &u);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->LineFiltersOnly());
  EXPECT_TRUE(p->has_unwrap());
}

// ---- Line filters --------------------------------------------------------------------------

TEST(LogqlPipelineLineFilters, OnlyLineFiltersNeedNoLabels) {
  auto p = MustCompile(
      Selector(LineF(LineFilterOp::kContains, {"a"}), LineF(LineFilterOp::kRegexMatch, {"b+"})));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->LineFiltersOnly());
  EXPECT_FALSE(p->has_unwrap());
  EXPECT_TRUE(p->Matches("xa bb"));
  EXPECT_FALSE(p->Matches("xa"));
  EXPECT_FALSE(p->Matches("bbb"));
  PipelineRun run(*p);
  LabelsBuilder b;
  Labels stream = L({{"app", "x"}});
  b.Reset(stream);
  std::string line = "a b";
  std::string_view out;
  ASSERT_TRUE(run.Process(1, line, b, &out));
  EXPECT_EQ(out.data(), line.data());
  EXPECT_FALSE(b.Changed());
  EXPECT_FALSE(run.Process(2, "c", b, &out));
}

TEST(LogqlPipelineLineFilters, NegatedAndAlternatives) {
  auto p = MustCompile(Selector(LineF(LineFilterOp::kNotContains, {"debug"}),
                                LineF(LineFilterOp::kContains, {"error", "warn"})));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->Matches("warn: x"));
  EXPECT_TRUE(p->Matches("error: x"));
  EXPECT_FALSE(p->Matches("debug error"));
  EXPECT_FALSE(p->Matches("info"));
}

TEST(LogqlPipelineLineFilters, FiltersAfterParsersStillApply) {
  auto sel = Selector(Json(), Filter(Str("level", CompareOp::kEqual, "error")),
                      LineF(LineFilterOp::kContains, {"timeout"}));
  EXPECT_TRUE(Exec(sel, R"({"level":"error","msg":"timeout"})").kept);
  EXPECT_FALSE(Exec(sel, R"({"level":"error","msg":"refused"})").kept);
  EXPECT_FALSE(Exec(sel, R"({"level":"info","msg":"timeout"})").kept);
}

TEST(LogqlPipelineLineFilters, PatternLineFilter) {
  auto p = MustCompile(Selector(LineF(LineFilterOp::kPatternMatch, {"<_> level=error <_>"})));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->Matches("ts=1 level=error msg=x"));
  EXPECT_FALSE(p->Matches("ts=1 level=info msg=x"));
}

TEST(LogqlPipelineLineFilters, RunIsReusableAcrossEntriesAndStreams) {
  auto p = MustCompile(Selector(Logfmt(), LineFmt("{{.msg}}"), Decolor()));
  ASSERT_NE(p, nullptr);
  PipelineRun run(*p);
  LabelsBuilder b;
  Labels s1 = L({{"app", "a"}});
  Labels s2 = L({{"app", "b"}, {"msg", "stream"}});
  std::string_view out;
  b.Reset(s1);
  ASSERT_TRUE(run.Process(1, "msg=first extra=1", b, &out));
  EXPECT_EQ(out, "first");
  b.Reset(s2);
  ASSERT_TRUE(run.Process(2, "msg=second", b, &out));
  EXPECT_EQ(out, "stream");  // the stream's msg; the parsed one is msg_extracted
  Labels got;
  b.Materialize(&got);
  EXPECT_EQ(got, L({{"app", "b"}, {"msg", "stream"}, {"msg_extracted", "second"}}));
}

// ---- Whole queries, through the parser ----------------------------------------------------------

LogSelector ParseSelector(std::string_view text) {
  auto e = ParseExpr(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  if (!e.ok() || !std::holds_alternative<LogSelector>((*e)->node)) return {};
  return std::get<LogSelector>(std::move((*e)->node));
}

// The range aggregation inside a metric query (under vector aggregations).
std::optional<LogRange> ParseRange(std::string_view text) {
  auto e = ParseExpr(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  if (!e.ok()) return std::nullopt;
  Expr* node = e->get();
  while (auto* v = std::get_if<VectorAggregation>(&node->node)) node = v->expr.get();
  auto* r = std::get_if<RangeAggregation>(&node->node);
  if (r == nullptr) return std::nullopt;
  return std::move(r->range);
}

Output ExecQuery(std::string_view query, std::string_view line, const Labels& stream = {}) {
  return Exec(ParseSelector(query), line, stream);
}

TEST(LogqlPipelineQueries, LineFiltersOnlySelector) {
  auto p = MustCompile(ParseSelector(R"({app="x"} |= "a" |~ "b")"));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->LineFiltersOnly());
  EXPECT_TRUE(p->Matches("a b"));
  EXPECT_FALSE(p->Matches("a c"));
  auto q = MustCompile(ParseSelector(R"({app="x"} |= "a" | json)"));
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(q->LineFiltersOnly());
}

TEST(LogqlPipelineQueries, GrafanaVolumeQuery) {
  auto range = ParseRange(
      R"(sum by (level, detected_level) (count_over_time({job="app"} | drop __error__[1m])))");
  ASSERT_TRUE(range.has_value());
  auto p = MustCompile(range->selector, range->unwrap ? &*range->unwrap : nullptr);
  ASSERT_NE(p, nullptr);
  Output o = RunOn(*p, L({{"job", "app"}, {"level", "warn"}}), "anything");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.labels, L({{"job", "app"}, {"level", "warn"}}));
}

TEST(LogqlPipelineQueries, JsonExpressionsAsWritten) {
  Output o = ExecQuery(
      R"({app="x"} | json first_server="servers[0]", ua="request.headers[\"User-Agent\"]", protocol)",
      kDocsJson, L({{"app", "x"}}));
  EXPECT_EQ(o.labels, L({{"app", "x"},
                         {"first_server", "129.0.1.1"},
                         {"ua", "curl/7.68.0"},
                         {"protocol", "HTTP/2.0"}}));
}

TEST(LogqlPipelineQueries, DocumentationLabelFilterAfterLogfmt) {
  std::string_view q = R"({app="x"} | logfmt | duration > 1m and bytes_consumed > 20MB)";
  EXPECT_TRUE(ExecQuery(q, "duration=2m bytes_consumed=25MB").kept);
  EXPECT_FALSE(ExecQuery(q, "duration=2m bytes_consumed=2MB").kept);
  EXPECT_FALSE(ExecQuery(q, "duration=30s bytes_consumed=25MB").kept);
}

TEST(LogqlPipelineQueries, LogfmtFlags) {
  Output o = ExecQuery(R"({app="x"} | logfmt --strict --keep-empty)", "a= b==1 c=2");
  EXPECT_EQ(o.labels, L({{"a", ""},
                         {"__error__", "LogfmtParserErr"},
                         {"__error_details__", "logfmt syntax error at pos 6 : unexpected '='"}}));
}

TEST(LogqlPipelineQueries, ErrorFilter) {
  std::string_view q = R"({app="x"} | json | __error__ = "")";
  EXPECT_FALSE(ExecQuery(q, "nope").kept);
  EXPECT_TRUE(ExecQuery(q, R"({"a":1})").kept);
}

TEST(LogqlPipelineQueries, RegexpAndPattern) {
  Output o = ExecQuery(
      R"q({app="x"} | regexp "(?P<method>\\w+) (?P<path>[\\w|/]+) \\((?P<status>\\d+?)\\) (?P<duration>.*)")q",
      "POST /api/prom/api/v1/query_range (200) 1.5s");
  EXPECT_EQ(ValueOf(o.labels, "status"), "200");
  EXPECT_EQ(ValueOf(o.labels, "duration"), "1.5s");
  o = ExecQuery(R"q({app="x"} | pattern `<_> msg="<method> <path> (<status>) <latency>"`)q",
                R"(level=debug msg="POST /loki/api/v1/push (204) 16.652862ms")");
  EXPECT_EQ(ValueOf(o.labels, "latency"), "16.652862ms");
}

TEST(LogqlPipelineQueries, FormatStages) {
  Output o = ExecQuery(
      R"({app="x"} | logfmt | label_format who=user, greeting="hi {{.who}}" | line_format "{{.greeting}}!")",
      "user=ann", L({{"app", "x"}}));
  ASSERT_TRUE(o.kept);
  // Templates see the labels as they are at the stage's first template: after the rename.
  EXPECT_EQ(o.line, "hi ann!");
  EXPECT_EQ(o.labels, L({{"app", "x"}, {"who", "ann"}, {"greeting", "hi ann"}}));
}

TEST(LogqlPipelineQueries, DropAndKeep) {
  Output o = ExecQuery(R"({app="x"} | logfmt | drop a, b=~"x.*" | keep app, b, c)",
                       "a=1 b=xy c=3 d=4", L({{"app", "x"}}));
  EXPECT_EQ(o.labels, L({{"app", "x"}, {"c", "3"}}));
}

TEST(LogqlPipelineQueries, IpFilter) {
  std::string_view q = R"({app="x"} | logfmt | addr = ip("10.0.0.0/8"))";
  EXPECT_TRUE(ExecQuery(q, "addr=10.1.2.3").kept);
  EXPECT_FALSE(ExecQuery(q, "addr=11.1.2.3").kept);
}

TEST(LogqlPipelineQueries, UnwrapWithPostFilter) {
  auto range = ParseRange(
      R"(sum_over_time({app="x"} | logfmt | unwrap duration(took) | __error__="" [5m]))");
  ASSERT_TRUE(range.has_value());
  ASSERT_TRUE(range->unwrap.has_value());
  auto p = MustCompile(range->selector, &*range->unwrap);
  ASSERT_NE(p, nullptr);
  Output o = RunOn(*p, {}, "took=1m30s");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.value, 90);
  EXPECT_FALSE(RunOn(*p, {}, "took=slow").kept);
  EXPECT_FALSE(RunOn(*p, {}, "other=1").kept);
}

TEST(LogqlPipelineQueries, DecolorizeAndLineFilterOrder) {
  Output o = ExecQuery(R"({app="x"} | decolorize |= "ERROR disk")", "\x1b[31mERROR\x1b[0m disk");
  ASSERT_TRUE(o.kept);
  EXPECT_EQ(o.line, "ERROR disk");
}

}  // namespace
}  // namespace sluice::query::logql

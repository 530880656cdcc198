// Line filters and pattern expressions: Loki's semantics (pkg/logql/log/filter.go, pattern/), the
// regex simplifications and prefilters checked against RE2 on the regex as written, and Loki's
// pattern fixtures (pattern_test.go) and documentation examples.
#include "query/logql_line_filter.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "query/logql_parser.h"
#include "query/logql_pipeline.h"

namespace sluice::query::logql {
namespace {

using Op = LineFilterOp;

// The matcher for `op` with `values` as alternatives; a failure (and a matcher that matches
// everything) when it does not compile.
LineFilterMatcher Make(Op op, std::vector<std::string> values, bool optimize = true) {
  Result<LineFilterMatcher> m =
      LineFilterMatcher::Make(LineFilter{op, std::move(values)}, optimize);
  if (!m.ok()) {
    ADD_FAILURE() << m.status().ToString();
    return std::move(LineFilterMatcher::Make(LineFilter{Op::kContains, {""}})).value();
  }
  return std::move(m).value();
}

std::string MakeError(Op op, std::vector<std::string> values) {
  Result<LineFilterMatcher> m = LineFilterMatcher::Make(LineFilter{op, std::move(values)});
  if (m.ok()) return "ok";
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  return m.status().message();
}

std::string Describe(Op op, std::vector<std::string> values) {
  return Make(op, std::move(values)).Describe();
}

Pattern MustCompile(std::string_view expression) {
  Result<Pattern> p = Pattern::Compile(expression);
  if (!p.ok()) {
    ADD_FAILURE() << expression << ": " << p.status().ToString();
    return std::move(Pattern::CompileLineFilter("")).value();
  }
  return std::move(p).value();
}

std::string PatternError(std::string_view expression, bool line_filter = false) {
  Result<Pattern> p =
      line_filter ? Pattern::CompileLineFilter(expression) : Pattern::Compile(expression);
  if (p.ok()) return "ok";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  return p.status().message();
}

std::vector<std::string> Extract(const Pattern& p, std::string_view line) {
  std::vector<std::string_view> views;
  p.Extract(line, &views);
  return {views.begin(), views.end()};
}

bool Re2Matches(const RE2& re, std::string_view line) {
  return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), re);
}

std::unique_ptr<RE2> Compile(const std::string& re) {
  RE2::Options options;
  options.set_log_errors(false);
  return std::make_unique<RE2>(re, options);
}

// ---- |= and != ---------------------------------------------------------------------------------

TEST(LogqlLineFilterTest, ContainsMatchesSubstring) {
  LineFilterMatcher m = Make(Op::kContains, {"error"});
  EXPECT_TRUE(m.Matches("level=error msg=x"));
  EXPECT_TRUE(m.Matches("error"));
  EXPECT_FALSE(m.Matches("level=ERROR"));
  EXPECT_FALSE(m.Matches("erro"));
  EXPECT_FALSE(m.Matches(""));
  EXPECT_EQ(m.Describe(), "contains(\"error\")");
}

TEST(LogqlLineFilterTest, ContainsEmptyMatchesEveryLine) {
  LineFilterMatcher m = Make(Op::kContains, {""});
  EXPECT_TRUE(m.Matches(""));
  EXPECT_TRUE(m.Matches("anything"));
}

TEST(LogqlLineFilterTest, NotContains) {
  LineFilterMatcher m = Make(Op::kNotContains, {"debug"});
  EXPECT_FALSE(m.Matches("level=debug"));
  EXPECT_TRUE(m.Matches("level=info"));
  EXPECT_TRUE(m.Matches(""));
  EXPECT_EQ(m.Describe(), "not(contains(\"debug\"))");
}

TEST(LogqlLineFilterTest, NotContainsEmptyMatchesNothing) {
  LineFilterMatcher m = Make(Op::kNotContains, {""});
  EXPECT_FALSE(m.Matches(""));
  EXPECT_FALSE(m.Matches("x"));
}

TEST(LogqlLineFilterTest, ContainsAlternativesMatchAny) {
  LineFilterMatcher m = Make(Op::kContains, {"foo", "bar"});
  EXPECT_TRUE(m.Matches("a foo"));
  EXPECT_TRUE(m.Matches("a bar"));
  EXPECT_FALSE(m.Matches("baz"));
  // An empty alternative matches every line (Loki's orFilter drops it: a Loki bug we do not copy).
  EXPECT_TRUE(Make(Op::kContains, {"foo", ""}).Matches("baz"));
}

TEST(LogqlLineFilterTest, NotContainsAlternativesMeansNone) {
  // Loki: `!= "a" or "b"` is `!= "a" != "b"` (syntax.newOrLineFilter).
  LineFilterMatcher m = Make(Op::kNotContains, {"foo", "bar"});
  EXPECT_FALSE(m.Matches("a foo"));
  EXPECT_FALSE(m.Matches("a bar"));
  EXPECT_FALSE(m.Matches("foobar"));
  EXPECT_TRUE(m.Matches("baz"));
}

TEST(LogqlLineFilterTest, ContainsAtEdgesAndBinary) {
  LineFilterMatcher m = Make(Op::kContains, {"ab"});
  EXPECT_TRUE(m.Matches("ab"));
  EXPECT_TRUE(m.Matches("xab"));
  EXPECT_TRUE(m.Matches("abx"));
  EXPECT_FALSE(m.Matches("a"));
  EXPECT_FALSE(m.Matches("a b"));
  LineFilterMatcher nul = Make(Op::kContains, {std::string("a\0b", 3)});
  EXPECT_TRUE(nul.Matches(std::string_view("xx a\0b yy", 9)));
  EXPECT_FALSE(nul.Matches(std::string_view("xx a\0c yy", 9)));
  EXPECT_TRUE(Make(Op::kContains, {"x"}).Matches(std::string_view("\0\0x", 3)));
}

TEST(LogqlLineFilterTest, ContainsIsCaseSensitiveAndByteExact) {
  LineFilterMatcher m = Make(Op::kContains, {"é"});
  EXPECT_TRUE(m.Matches("café"));
  EXPECT_FALSE(m.Matches("CAFÉ"));
  EXPECT_FALSE(m.Matches("cafe"));
}

// ---- |~ and !~ ---------------------------------------------------------------------------------

TEST(LogqlLineFilterTest, RegexIsUnanchored) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"err[a-z]+ \\d+"});
  EXPECT_TRUE(m.Matches("an errors 42 here"));
  EXPECT_FALSE(m.Matches("an err 42"));
  EXPECT_FALSE(m.Matches(""));
}

TEST(LogqlLineFilterTest, RegexNoMatch) {
  LineFilterMatcher m = Make(Op::kRegexNoMatch, {"\\d{3}"});
  EXPECT_FALSE(m.Matches("code 500"));
  EXPECT_TRUE(m.Matches("code 50"));
}

TEST(LogqlLineFilterTest, RegexAlternativesMatchAny) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"^a\\d", "b$"});
  EXPECT_TRUE(m.Matches("a1 x"));
  EXPECT_TRUE(m.Matches("x b"));
  EXPECT_FALSE(m.Matches("x a1 bx"));
}

TEST(LogqlLineFilterTest, RegexNoMatchAlternativesMeansNone) {
  LineFilterMatcher m = Make(Op::kRegexNoMatch, {"^a\\d", "b$"});
  EXPECT_FALSE(m.Matches("a1 x"));
  EXPECT_FALSE(m.Matches("x b"));
  EXPECT_TRUE(m.Matches("x a1 bx"));
}

TEST(LogqlLineFilterTest, SimplifiesAlternationToContainsAny) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"foo|bar"}), "contains(\"foo\") or contains(\"bar\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(foo|(bar|buzz))"}),
            "contains(\"foo\") or contains(\"bar\") or contains(\"buzz\")");
  LineFilterMatcher m = Make(Op::kRegexMatch, {"foo|bar"});
  EXPECT_TRUE(m.Matches("xbarx"));
  EXPECT_FALSE(m.Matches("fo ba"));
}

TEST(LogqlLineFilterTest, SimplifiesDotStarAroundLiteral) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {".*foo.*"}), "contains(\"foo\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {".*foo"}), "contains(\"foo\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"foo.*?"}), "contains(\"foo\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {".*foo.*|bar"}), "contains(\"foo\") or contains(\"bar\")");
  EXPECT_EQ(Describe(Op::kRegexNoMatch, {".*foo.*"}), "not(contains(\"foo\"))");
}

TEST(LogqlLineFilterTest, SimplifiesCaseInsensitiveLiteral) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?i)Error"}), "contains_fold(\"error\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?i:foo)|(?i)bar"}),
            "contains_fold(\"foo\") or contains_fold(\"bar\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?i)foo|bar"}),
            "contains_fold(\"foo\") or contains_fold(\"bar\")");  // flags cross `|`
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?i)a1-"}), "contains_fold(\"a1-\")");
}

TEST(LogqlLineFilterTest, CaseInsensitiveMatches) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"(?i)error"});
  for (std::string_view line : {"ERROR", "x Error y", "eRrOr", "errorerror", "aaerror"}) {
    EXPECT_TRUE(m.Matches(line)) << line;
  }
  for (std::string_view line : {"", "erro", "err or", "errör", "ERRO R"}) {
    EXPECT_FALSE(m.Matches(line)) << line;
  }
  // Overlapping candidates for the first byte.
  EXPECT_TRUE(Make(Op::kRegexMatch, {"(?i)aab"}).Matches("AaAaAAb"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"(?i)aab"}).Matches("AaAaAA"));
}

TEST(LogqlLineFilterTest, CaseInsensitiveFoldsKelvinSignAndLongS) {
  // RE2 folds k with U+212A and s with U+017F; the ASCII search defers to RE2 for those lines.
  LineFilterMatcher k = Make(Op::kRegexMatch, {"(?i)ok"});
  EXPECT_EQ(k.Describe(), "contains_fold(\"ok\")");
  EXPECT_TRUE(k.Matches("o\u212A"));
  EXPECT_TRUE(Make(Op::kRegexMatch, {"(?i)task"}).Matches("ta\u017Fk"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"(?i)task"}).Matches("ta\u017Fx"));
  EXPECT_FALSE(Make(Op::kRegexNoMatch, {"(?i)ok"}).Matches("O\u212A"));
  // Prefiltered regexes too.
  EXPECT_TRUE(Make(Op::kRegexMatch, {"(?i)kit\\d"}).Matches("\u212AIT7"));
}

TEST(LogqlLineFilterTest, CaseInsensitiveNonAsciiUsesRe2) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"(?i)café"});
  EXPECT_EQ(m.Describe(), "regex(\"(?i)café\")");
  EXPECT_TRUE(m.Matches("CAFÉ"));
  EXPECT_FALSE(m.Matches("CAFE"));
  // A non-ASCII literal without (?i) is a plain byte search.
  EXPECT_EQ(Describe(Op::kRegexMatch, {"café"}), "contains(\"café\")");
}

TEST(LogqlLineFilterTest, SimplifiesConcatenationWithAlternation) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"f(oo|ee)d"}), "contains(\"food\") or contains(\"feed\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"colou?r"}), "contains(\"color\") or contains(\"colour\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"b(?:ar|)"}), "contains(\"b\")");  // nullable end
  EXPECT_EQ(Describe(Op::kRegexMatch, {"b(?:ar|)c"}), "contains(\"barc\") or contains(\"bc\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?P<x>foo)bar"}), "contains(\"foobar\")");
  LineFilterMatcher m = Make(Op::kRegexMatch, {"colou?r"});
  EXPECT_TRUE(m.Matches("colour"));
  EXPECT_TRUE(m.Matches("color"));
  EXPECT_FALSE(m.Matches("colouur"));
}

TEST(LogqlLineFilterTest, NullableRegexMatchesEveryLine) {
  for (const char* re : {"", ".*", "a*", "(foo)?", "(?:)", "(a|)", "x{0,3}", "(?s).*"}) {
    LineFilterMatcher m = Make(Op::kRegexMatch, {re});
    EXPECT_EQ(m.Describe(), "any") << re;
    EXPECT_TRUE(m.Matches("")) << re;
    EXPECT_TRUE(m.Matches("\n")) << re;
    EXPECT_FALSE(Make(Op::kRegexNoMatch, {re}).Matches("zzz")) << re;
  }
}

TEST(LogqlLineFilterTest, DotPlusIsNonEmpty) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {".+"});
  EXPECT_EQ(m.Describe(), "non_empty");
  EXPECT_TRUE(m.Matches("x"));
  EXPECT_FALSE(m.Matches(""));
  EXPECT_FALSE(m.Matches("\n\n"));  // `.` does not match a newline (RE2 decides)
  EXPECT_TRUE(m.Matches("\nx"));
  EXPECT_TRUE(m.Matches("é"));
  EXPECT_TRUE(Make(Op::kRegexMatch, {"(?s).+"}).Matches("\n"));
  EXPECT_EQ(Describe(Op::kRegexMatch, {"."}), "non_empty");
}

TEST(LogqlLineFilterTest, SimplifiesRepeatAndNullableEnds) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(foo)+"}), "contains(\"foo\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"foo\\d*"}), "contains(\"foo\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"[a-z]*foo(bar)?"}), "contains(\"foo\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"a{2}"}), "contains(\"aa\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(ab){2}"}), "contains(\"abab\")");
  LineFilterMatcher m = Make(Op::kRegexMatch, {"(ab){2}"});
  EXPECT_FALSE(m.Matches("ab ab"));
  EXPECT_TRUE(m.Matches("xabab"));
}

TEST(LogqlLineFilterTest, AnchorsAreNotSimplifiedButPrefiltered) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"^foo"});
  EXPECT_EQ(m.Describe(), "regex(\"^foo\") prefilter(contains(\"foo\"))");
  EXPECT_TRUE(m.Matches("foo bar"));
  EXPECT_FALSE(m.Matches("a foo"));
  LineFilterMatcher w = Make(Op::kRegexMatch, {"\\bid\\b"});
  EXPECT_TRUE(w.Matches("the id is"));
  EXPECT_FALSE(w.Matches("the idea"));
}

TEST(LogqlLineFilterTest, PrefilterPicksLongestRequiredLiteral) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"foo\\d+barbaz"});
  EXPECT_EQ(m.Describe(), "regex(\"foo\\d+barbaz\") prefilter(contains(\"barbaz\"))");
  EXPECT_TRUE(m.Matches("xfoo12barbaz"));
  EXPECT_FALSE(m.Matches("foobarbaz"));
  EXPECT_FALSE(m.Matches("foo12barba"));
}

TEST(LogqlLineFilterTest, PrefilterWithAlternatives) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"(error|warn)=\\d+"});
  EXPECT_EQ(m.Describe(),
            "regex(\"(error|warn)=\\d+\") prefilter(contains(\"error=\") or contains(\"warn=\"))");
  EXPECT_TRUE(m.Matches("warn=3"));
  EXPECT_FALSE(m.Matches("warn=x error"));
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(abc\\d+|bcd\\s)x"}),
            "regex(\"(abc\\d+|bcd\\s)x\") prefilter(contains(\"abc\") or contains(\"bcd\"))");
  // A shorter requirement loses; on a tie, the one with fewer strings wins.
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(a\\d+|b\\s)x"}),
            "regex(\"(a\\d+|b\\s)x\") prefilter(contains(\"x\"))");
}

TEST(LogqlLineFilterTest, PrefilterFoldsMixedCaseSensitivity) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"a(?i)bc"});
  EXPECT_EQ(m.Describe(), "regex(\"a(?i)bc\") prefilter(contains_fold(\"abc\"))");
  EXPECT_TRUE(m.Matches("xaBC"));
  EXPECT_FALSE(m.Matches("ABC"));
  LineFilterMatcher g = Make(Op::kRegexMatch, {"(?i:foo)bar"});
  EXPECT_TRUE(g.Matches("FOObar"));
  EXPECT_FALSE(g.Matches("FOOBAR"));
}

TEST(LogqlLineFilterTest, NoPrefilterWithoutRequiredLiteral) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"\\d+"}), "regex(\"\\d+\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"a?b?\\d"}), "regex(\"a?b?\\d\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?i)é\\d"}), "regex(\"(?i)é\\d\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"(?i)é"}), "regex(\"(?i)é\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"x|(?i)é"}), "regex(\"x|(?i)é\")");
}

TEST(LogqlLineFilterTest, EscapesAreLiterals) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"a\\.b"}), "contains(\"a.b\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"\\Qa.*b\\E"}), "contains(\"a.*b\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"\\x41\\x{42}"}), "contains(\"AB\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"a\\tb"}), "contains(\"a\tb\")");
  EXPECT_TRUE(Make(Op::kRegexMatch, {"a\\.b"}).Matches("xa.b"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"a\\.b"}).Matches("xaxb"));
  EXPECT_TRUE(Make(Op::kRegexMatch, {"\\Qa.*b\\E"}).Matches("a.*b"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"\\Qa.*b\\E"}).Matches("axxb"));
}

TEST(LogqlLineFilterTest, CharacterClassesAreNotLiterals) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"[]x]foo"});
  EXPECT_EQ(m.Describe(), "regex(\"[]x]foo\") prefilter(contains(\"foo\"))");
  EXPECT_TRUE(m.Matches("]foo"));
  EXPECT_FALSE(m.Matches("]x foo"));
  EXPECT_EQ(Describe(Op::kRegexMatch, {"[[:alpha:]]bar"}),
            "regex(\"[[:alpha:]]bar\") prefilter(contains(\"bar\"))");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"[^\\]]zz"}),
            "regex(\"[^\\]]zz\") prefilter(contains(\"zz\"))");
  EXPECT_TRUE(Make(Op::kRegexMatch, {"[^\\]]zz"}).Matches("azz"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"[^\\]]zz"}).Matches("]zz"));
}

TEST(LogqlLineFilterTest, BraceWithoutRepeatCountIsLiteral) {
  EXPECT_EQ(Describe(Op::kRegexMatch, {"a{x}"}), "contains(\"a{x}\")");
  EXPECT_EQ(Describe(Op::kRegexMatch, {"a{"}), "contains(\"a{\")");
  EXPECT_TRUE(Make(Op::kRegexMatch, {"a{,2}"}).Matches("a{,2}"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"a{,2}"}).Matches("aa"));
}

TEST(LogqlLineFilterTest, RepetitionAfterFlagsGroupAppliesToAtomBefore) {
  // As in Go and RE2: `(?i)` is no operand.
  EXPECT_EQ(Describe(Op::kRegexMatch, {"ba(?i){2}"}), "contains(\"baa\")");
  EXPECT_TRUE(Make(Op::kRegexMatch, {"xa(?i){2}"}).Matches("xaa"));
  EXPECT_FALSE(Make(Op::kRegexMatch, {"xa(?i){2}"}).Matches("xa{2}"));
  EXPECT_TRUE(Make(Op::kRegexMatch, {"x\\.(?-i){0,1}y"}).Matches("xy"));
}

TEST(LogqlLineFilterTest, DotDoesNotMatchNewline) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {"a.b"});
  EXPECT_FALSE(m.Matches("a\nb"));
  EXPECT_TRUE(m.Matches("a b"));
  EXPECT_TRUE(Make(Op::kRegexMatch, {"(?s)a.b"}).Matches("a\nb"));
}

TEST(LogqlLineFilterTest, InvalidRegexHasGoWording) {
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"(foo"}),
            "error parsing regexp: missing closing ): `(foo`");
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"foo)"}), "error parsing regexp: unexpected ): `foo)`");
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"[z-a]"}),
            "error parsing regexp: invalid character class range: `z-a`");
  EXPECT_EQ(MakeError(Op::kRegexNoMatch, {"a**"}),
            "error parsing regexp: invalid nested repetition operator: `**`");
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"x{2,1}"}),
            "error parsing regexp: invalid repeat count: `{2,1}`");
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"a\\C"}),
            "error parsing regexp: invalid escape sequence: `\\C`");
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"*"}),
            "error parsing regexp: missing argument to repetition operator: `*`");
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"\\Q\\C\\E"}), "ok");
}

TEST(LogqlLineFilterTest, InvalidRegexInLaterAlternative) {
  EXPECT_EQ(MakeError(Op::kRegexMatch, {"ok", "[a"}),
            "error parsing regexp: missing closing ]: `[a`");
}

TEST(LogqlLineFilterTest, UnoptimizedRunsRe2AsWritten) {
  LineFilterMatcher m = Make(Op::kRegexMatch, {".*foo.*"}, /*optimize=*/false);
  EXPECT_EQ(m.Describe(), "regex(\".*foo.*\")");
  EXPECT_TRUE(m.Matches("a foo"));
  EXPECT_FALSE(m.Matches("a fo"));
}

// ---- |> and !> ---------------------------------------------------------------------------------

TEST(LogqlLineFilterTest, PatternFilter) {
  LineFilterMatcher m = Make(Op::kPatternMatch, {"<_> foo <_>"});
  EXPECT_EQ(m.Describe(), "pattern(\"<_> foo <_>\")");
  EXPECT_TRUE(m.Matches("a foo b"));
  EXPECT_FALSE(m.Matches("a foo "));  // the last capture is empty
  EXPECT_FALSE(m.Matches(" foo b"));  // the first capture is empty
  EXPECT_FALSE(m.Matches("a bar b"));
}

TEST(LogqlLineFilterTest, PatternFilterNegated) {
  LineFilterMatcher m = Make(Op::kPatternNoMatch, {"<_> foo <_>"});
  EXPECT_FALSE(m.Matches("a foo b"));
  EXPECT_TRUE(m.Matches("a foo "));
  EXPECT_TRUE(m.Matches(""));
}

TEST(LogqlLineFilterTest, PatternFilterAlternatives) {
  LineFilterMatcher any = Make(Op::kPatternMatch, {"GET <_>", "<_> 500"});
  EXPECT_TRUE(any.Matches("GET /x"));
  EXPECT_TRUE(any.Matches("POST /x 500"));
  EXPECT_FALSE(any.Matches("POST /x 200"));
  LineFilterMatcher none = Make(Op::kPatternNoMatch, {"GET <_>", "<_> 500"});
  EXPECT_FALSE(none.Matches("GET /x"));
  EXPECT_TRUE(none.Matches("POST /x 200"));
}

TEST(LogqlLineFilterTest, PatternFilterEmptyMatchesEmptyLine) {
  LineFilterMatcher m = Make(Op::kPatternMatch, {""});
  EXPECT_TRUE(m.Matches(""));
  EXPECT_FALSE(m.Matches("x"));
  LineFilterMatcher all = Make(Op::kPatternMatch, {"<_>"});
  EXPECT_TRUE(all.Matches("x"));
  EXPECT_FALSE(all.Matches(""));
}

TEST(LogqlLineFilterTest, PatternFilterRejectsNamedCaptures) {
  EXPECT_EQ(MakeError(Op::kPatternMatch, {"<foo>"}),
            "named captures are not allowed: found '<foo>'");
  EXPECT_EQ(MakeError(Op::kPatternNoMatch, {"<_> x", "<_><_>"}),
            "found consecutive capture '<_><_>': invalid expression");
}

TEST(LogqlLineFilterTest, PatternFilterNginxLine) {
  // Loki's docs: `|> "<_> - - [<_>] \"GET <_>\" 200 <_>"`-style filters over access logs.
  const std::string line =
      R"(0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" )"
      R"(200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" "")";
  EXPECT_TRUE(Make(Op::kPatternMatch, {R"(<_> - - [<_>] "GET <_>" 200 <_>)"}).Matches(line));
  EXPECT_FALSE(Make(Op::kPatternMatch, {R"(<_> - - [<_>] "POST <_>" 200 <_>)"}).Matches(line));
  EXPECT_FALSE(Make(Op::kPatternMatch, {R"(<_> - - [<_>] "GET <_>" 500 <_>)"}).Matches(line));
  EXPECT_TRUE(Make(Op::kPatternNoMatch, {R"(<_> "GET <_>" 500 <_>)"}).Matches(line));
}

// ---- Randomized: every filter kind against a naive reference ---------------------------------

// Lines from a small alphabet, with the characters that make folding and `.` interesting.
const std::vector<std::string>& LineAlphabet() {
  static const std::vector<std::string> kTokens = {"a", "b", "A",  "B",      "k",      "K", "s",
                                                   "S", "x", "ab", "\u212A", "\u017F", "é", "É",
                                                   ".", "1", "\n", " ",      "\xff"};
  return kTokens;
}

std::string RandomLine(std::mt19937& rng, int max_tokens = 10) {
  const auto& tokens = LineAlphabet();
  std::string line;
  int n = static_cast<int>(rng() % static_cast<unsigned>(max_tokens));
  for (int i = 0; i < n; ++i) line += tokens[rng() % tokens.size()];
  return line;
}

std::string RandomRegexAtom(std::mt19937& rng, int depth);

std::string RandomRegexConcat(std::mt19937& rng, int depth) {
  static const std::vector<std::string> kQuantifiers = {"",    "",      "",   "*",  "+",    "?",
                                                        "{2}", "{1,2}", "*?", "+?", "{0,1}"};
  std::string out;
  int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) out += RandomRegexAtom(rng, depth) + kQuantifiers[rng() % 11];
  return out;
}

std::string RandomRegexAlternate(std::mt19937& rng, int depth) {
  std::string out = RandomRegexConcat(rng, depth);
  while (rng() % 3 == 0) out += "|" + RandomRegexConcat(rng, depth);
  return out;
}

std::string RandomRegexAtom(std::mt19937& rng, int depth) {
  static const std::vector<std::string> kAtoms = {
      "a",           "b",     "k",        "s",       "A",     "x",         "é",    "É",
      "\\.",         ".",     "[ab]",     "[^a]",    "\\d",   "\\x41",     "\\n",  "^",
      "$",           "\\b",   "\\Qa.\\E", "(?i)",    "(?-i)", "(?s)",      "[]a]", "\\pL",
      "[[:upper:]]", "ab",    "ks",       "\\Qk\\E", "[k-s]", "\\x{212A}", "ſ",    "\u212A",
      "\\B",         "\\A",   "\\z",      "{",       "}",     "a{,2}",     "\\pN", "[[:^alpha:]]",
      "\\S",         "(?i)k", "(?U)",     "\\\\"};
  if (depth > 0 && rng() % 4 == 0) {
    static const std::vector<std::string> kOpen = {"(", "(?:", "(?i:", "(?P<g>"};
    return kOpen[rng() % kOpen.size()] + RandomRegexAlternate(rng, depth - 1) + ")";
  }
  return kAtoms[rng() % kAtoms.size()];
}

TEST(LogqlLineFilterTest, RandomizedContainsAgainstFind) {
  std::mt19937 rng(7);
  const auto& tokens = LineAlphabet();
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> values;
    int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) {
      std::string v;
      int len = static_cast<int>(rng() % 3);
      for (int j = 0; j < len; ++j) v += tokens[rng() % tokens.size()];
      values.push_back(v);
    }
    LineFilterMatcher contains = Make(Op::kContains, values);
    LineFilterMatcher not_contains = Make(Op::kNotContains, values);
    for (int i = 0; i < 50; ++i) {
      std::string line = RandomLine(rng);
      bool any = false;
      for (const std::string& v : values) any = any || line.find(v) != std::string::npos;
      ASSERT_EQ(contains.Matches(line), any) << contains.Describe() << " on " << line;
      ASSERT_EQ(not_contains.Matches(line), !any) << not_contains.Describe() << " on " << line;
    }
  }
}

TEST(LogqlLineFilterTest, RandomizedCaseInsensitiveLiteralsAgainstRe2) {
  std::mt19937 rng(11);
  const std::vector<std::string> kLetters = {"a", "b", "k", "s", "K", "S", "x", "1", "\\.", " "};
  for (int round = 0; round < 300; ++round) {
    std::string re = "(?i)";
    int len = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < len; ++j) re += kLetters[rng() % kLetters.size()];
    LineFilterMatcher m = Make(Op::kRegexMatch, {re});
    std::unique_ptr<RE2> reference = Compile(re);
    EXPECT_EQ(m.Describe().rfind("contains", 0), 0u) << re << ": " << m.Describe();
    for (int i = 0; i < 60; ++i) {
      std::string line = RandomLine(rng);
      ASSERT_EQ(m.Matches(line), Re2Matches(*reference, line)) << re << " on " << line;
      std::string long_line = RandomLine(rng, 60);  // the 16-byte blocks of the folded search
      ASSERT_EQ(m.Matches(long_line), Re2Matches(*reference, long_line))
          << re << " on " << long_line;
    }
  }
}

TEST(LogqlLineFilterTest, RandomizedRegexesAgainstRe2) {
  std::mt19937 rng(42);
  int simplified = 0;
  int prefiltered = 0;
  int plain = 0;
  int compiled = 0;
  for (int round = 0; round < 1000; ++round) {
    std::string re = RandomRegexAlternate(rng, 2);
    std::unique_ptr<RE2> reference = Compile(re);
    if (!reference->ok()) continue;  // e.g. `(?i)*`
    ++compiled;
    Op op = rng() % 2 == 0 ? Op::kRegexMatch : Op::kRegexNoMatch;
    LineFilterMatcher m = Make(op, {re});
    LineFilterMatcher unoptimized = Make(op, {re}, /*optimize=*/false);
    std::string d = m.Describe();
    if (d.find("prefilter(") != std::string::npos) {
      ++prefiltered;
    } else if (d.find("regex(") != std::string::npos) {
      ++plain;
    } else {
      ++simplified;
    }
    for (int i = 0; i < 40; ++i) {
      std::string line = RandomLine(rng);
      bool want = Re2Matches(*reference, line) != (op == Op::kRegexNoMatch);
      ASSERT_EQ(m.Matches(line), want) << d << " on \"" << line << "\"";
      ASSERT_EQ(unoptimized.Matches(line), want) << re << " on \"" << line << "\"";
    }
  }
  EXPECT_GT(compiled, 600);
  EXPECT_GT(simplified, 50);
  EXPECT_GT(prefiltered, 50);
  EXPECT_GT(plain, 50);
}

TEST(LogqlLineFilterTest, RandomizedRegexAlternativesAgainstRe2) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> res;
    std::vector<std::unique_ptr<RE2>> references;
    int n = 2 + static_cast<int>(rng() % 2);
    while (static_cast<int>(res.size()) < n) {
      std::string re = RandomRegexConcat(rng, 1);
      std::unique_ptr<RE2> reference = Compile(re);
      if (!reference->ok()) continue;
      res.push_back(re);
      references.push_back(std::move(reference));
    }
    LineFilterMatcher any = Make(Op::kRegexMatch, res);
    LineFilterMatcher none = Make(Op::kRegexNoMatch, res);
    for (int i = 0; i < 40; ++i) {
      std::string line = RandomLine(rng);
      bool want = false;
      for (const auto& re : references) want = want || Re2Matches(*re, line);
      ASSERT_EQ(any.Matches(line), want) << any.Describe() << " on \"" << line << "\"";
      ASSERT_EQ(none.Matches(line), !want) << none.Describe() << " on \"" << line << "\"";
    }
  }
}

// Loki's Matcher.Test, written out plainly.
bool ReferencePatternTest(const std::vector<std::string>& nodes, const std::string& line) {
  if (line.empty() || nodes.empty()) return line.empty() && nodes.empty();
  size_t offset = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i] == "<_>") continue;
    size_t at = line.find(nodes[i], offset);
    if (at == std::string::npos) return false;
    if (i != 0 && at == offset) return false;
    offset = at + nodes[i].size();
  }
  return (nodes.back() == "<_>") == (offset != line.size());
}

TEST(LogqlLineFilterTest, RandomizedPatternsAgainstReference) {
  std::mt19937 rng(99);
  const std::vector<std::string> kLiterals = {"a", "b", "ab", " ", "a a", "\u212A"};
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> nodes;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      bool capture = (nodes.empty() || nodes.back() != "<_>") && rng() % 2 == 0;
      if (capture) {
        nodes.push_back("<_>");
      } else if (!nodes.empty() && nodes.back() != "<_>") {
        nodes.back() += kLiterals[rng() % kLiterals.size()];  // literal runs merge
      } else {
        nodes.push_back(kLiterals[rng() % kLiterals.size()]);
      }
    }
    std::string pattern;
    for (const std::string& node : nodes) pattern += node;
    LineFilterMatcher m = Make(Op::kPatternMatch, {pattern});
    LineFilterMatcher not_m = Make(Op::kPatternNoMatch, {pattern});
    for (int i = 0; i < 60; ++i) {
      std::string line = RandomLine(rng);
      bool want = ReferencePatternTest(nodes, line);
      ASSERT_EQ(m.Matches(line), want) << pattern << " on \"" << line << "\"";
      ASSERT_EQ(not_m.Matches(line), !want) << pattern << " on \"" << line << "\"";
    }
  }
}

// ---- Pattern -----------------------------------------------------------------------------------

TEST(LogqlPatternTest, CompileErrorsHaveLokiWording) {
  // pattern_test.go Test_Error.
  EXPECT_EQ(PatternError("<f>"), "ok");
  EXPECT_EQ(PatternError("<f> <a>"), "ok");
  EXPECT_EQ(PatternError(""),
            "parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or "
            "LITERAL");
  EXPECT_EQ(PatternError("<_>"), "at least one capture is required");
  EXPECT_EQ(PatternError("foo <_> bar <_>"), "at least one capture is required");
  EXPECT_EQ(PatternError("foo bar buzz"), "at least one capture is required");
  EXPECT_EQ(PatternError("<f><f>"), "found consecutive capture '<f><f>': invalid expression");
  EXPECT_EQ(PatternError("<f> f<d><b>"), "found consecutive capture '<d><b>': invalid expression");
  EXPECT_EQ(PatternError("<f> f<f>"), "duplicate capture name (f): invalid expression");
  EXPECT_EQ(PatternError("f<f><_>"), "found consecutive capture '<f><_>': invalid expression");
  EXPECT_EQ(PatternError("<f>f<f><_>"), "found consecutive capture '<f><_>': invalid expression");
}

TEST(LogqlPatternTest, LineFilterCompileRules) {
  // pattern_test.go Test_ParseLineFilter.
  EXPECT_EQ(PatternError("<_>", true), "ok");
  EXPECT_EQ(PatternError("", true), "ok");
  EXPECT_EQ(PatternError("foo <_> bar <_>", true), "ok");
  EXPECT_EQ(PatternError("foo bar", true), "ok");
  EXPECT_EQ(PatternError("<foo <foo> bar <_>", true),
            "named captures are not allowed: found '<foo>'");
  EXPECT_EQ(PatternError("<foo>", true), "named captures are not allowed: found '<foo>'");
  EXPECT_EQ(PatternError("a<_><_>", true),
            "found consecutive capture '<_><_>': invalid expression");
}

struct Fixture {
  const char* expr;
  const char* in;
  std::vector<std::string> expected;
  bool matches;
};

TEST(LogqlPatternTest, LokiFixtures) {
  // pattern_test.go's fixtures: the captures Matches returns and what Test says.
  const std::vector<Fixture> fixtures = {
      {"foo <foo> bar", "foo buzz bar", {"buzz"}, true},
      {"foo <foo> bar<fuzz>", "foo buzz bar", {"buzz", ""}, false},
      {"<foo>foo <bar> bar", "foo buzz bar", {"", "buzz"}, false},
      {"<foo> bar<fuzz>", " bar", {"", ""}, false},
      {"<foo>bar<baz>", " bar ", {" ", " "}, true},
      {"<foo> bar<baz>", " bar ", {"", " "}, false},
      {"<foo>bar <baz>", " bar ", {" ", ""}, false},
      {"<foo>", " bar ", {" bar "}, true},
      {"<path>?<_>",
       "/api/plugins/versioncheck?slugIn=snuids-trafficlights-panel,input,gel&grafanaVersion=7.0."
       "0-beta1",
       {"/api/plugins/versioncheck"},
       true},
      {"<path>?<_>", "/api/plugins/status", {"/api/plugins/status"}, false},
      {R"(<_> <id> [<level>] [<no>] [<component>] )",
       "2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] DDL log recovery : begin",
       {"0", "Note", "MY-012487", "InnoDB"},
       false},
      {"<_> <id> [<level>] ",
       "2021-05-19T07:40:12.215792Z 42761518 [Note] Aborted connection 42761518 to db: "
       "'hosted_grafana' user: 'hosted_grafana' host: '10.36.4.122' (Got an error reading "
       "communication packets)",
       {"42761518", "Note"},
       false},
      {"<id> <_>       <_> <line>] ",
       "W0519 07:46:47.647050       1 clientconn.go:1223] grpc: addrConn.createTransport failed "
       "to connect to {https://kubernetes-etcd-1.kubernetes-etcd:2379  <nil> 0 <nil>}. Err "
       ":connection error: desc = \"transport: Error while dialing dial tcp 10.32.85.85:2379: "
       "connect: connection refused\". Reconnecting...",
       {"W0519", "clientconn.go:1223"},
       false},
      {"<level>  [<component>]<_> in <duration>.<_>",
       "INFO  [Service Thread] 2021-05-19 07:40:12,130 GCInspector.java:284 - ParNew GC in 248ms. "
       " CMS Old Gen: 5043436640 -> 5091062064; Par Eden Space: 671088640 -> 0; Par Survivor "
       "Space: 70188280 -> 60139760",
       {"INFO", "Service Thread", "248ms"},
       true},
      {R"(<_> msg="<method> <path> (<status>) <duration>")",
       R"(level=debug ts=2021-05-19T07:54:26.864644382Z caller=logging.go:66 )"
       R"(traceID=7fbb92fd0eb9c65d msg="POST /loki/api/v1/push (204) 1.238734ms")",
       {"POST", "/loki/api/v1/push", "204", "1.238734ms"},
       true},
      {"<_> <_> <level> | <component>: <_> peer <peer_id> <_> tcp <ip>:<_>",
       "2021-05-19 08:16:50.181436 W | rafthttp: health check for peer fd8275e521cfb532 could "
       "not connect: dial tcp 10.32.85.85:2380: connect: connection refused",
       {"W", "rafthttp", "fd8275e521cfb532", "10.32.85.85"},
       true},
      {"<_>] <level> [Log partition=<part>, dir=<dir>] ",
       "[2021-05-19 08:35:28,681] INFO [Log partition=p-636-L-fs-117, dir=/data/kafka-logs] "
       "Deleting segment 455976081 (kafka.log.Log)",
       {"INFO", "p-636-L-fs-117", "/data/kafka-logs"},
       false},
      {"<_>][<level>][<component>] [<id>] [<index>]",
       "[2021-05-19T06:54:06,994][INFO ][o.e.c.m.MetaDataMappingService] "
       "[1f605d47-8454-4bfb-a67f-49f318bf837a] [usage-stats-2021.05.19/O2Je9IbmR8CqFyUvNpTttA] "
       "update_mapping [report]",
       {"INFO ", "o.e.c.m.MetaDataMappingService", "1f605d47-8454-4bfb-a67f-49f318bf837a",
        "usage-stats-2021.05.19/O2Je9IbmR8CqFyUvNpTttA"},
       false},
      {R"(<_> "<method> <path> <_>" <status> <_> <received_bytes> <sent_bytes> <duration> )"
       R"(<upstream_time> "<forward_for>" "<agent>" <_> <_> "<upstream>")",
       R"([2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 )"
       R"("10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" )"
       R"("tcp://10.0.2.1:80")",
       {"POST", "/api/v1/locations", "204", "154", "0", "226", "100", "10.0.35.28", "nsq2http",
        "tcp://10.0.2.1:80"},
       true},
      {"unicode <emoji> character", "unicode 🤷 character", {"🤷"}, true},
      {"unicode ▶ <what>", "unicode ▶ character", {"character"}, true},
  };
  for (const Fixture& f : fixtures) {
    Pattern p = MustCompile(f.expr);
    EXPECT_EQ(p.Test(f.in), f.matches) << f.expr;
    EXPECT_EQ(Extract(p, f.in), f.expected) << f.expr;
  }
}

TEST(LogqlPatternTest, CommonLogFormat) {
  Pattern p = MustCompile(R"(<ip> <userid> <user> [<_>] "<method> <path> <_>" <status> <size>)");
  EXPECT_EQ(p.names(),
            (std::vector<std::string>{"ip", "userid", "user", "method", "path", "status", "size"}));
  std::vector<std::string_view> captures;
  EXPECT_TRUE(p.Match(R"(127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] )"
                      R"("GET /apache_pb.gif HTTP/1.0" 200 2326)",
                      &captures));
  EXPECT_EQ(std::vector<std::string>(captures.begin(), captures.end()),
            (std::vector<std::string>{"127.0.0.1", "user-identifier", "frank", "GET",
                                      "/apache_pb.gif", "200", "2326"}));
}

TEST(LogqlPatternTest, NginxDocExample) {
  // Loki's docs (`| pattern`): an NGINX log line.
  Pattern p = MustCompile(R"(<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>)");
  const std::string line =
      R"(0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" )"
      R"(200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" "")";
  std::vector<std::string_view> captures;
  EXPECT_TRUE(p.Match(line, &captures));
  EXPECT_EQ(p.names(),
            (std::vector<std::string>{"ip", "method", "uri", "status", "size", "agent"}));
  EXPECT_EQ(std::vector<std::string>(captures.begin(), captures.end()),
            (std::vector<std::string>{"0.191.12.2", "GET", "/api/plugins/versioncheck", "200", "2",
                                      "Go-http-client/2.0"}));
}

TEST(LogqlPatternTest, NamesExcludeUnnamedCaptures) {
  Pattern p = MustCompile("<_> a <x> b <_> c <y>");
  EXPECT_EQ(p.names(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(Extract(p, "0 a 1 b 2 c 3"), (std::vector<std::string>{"1", "3"}));
}

TEST(LogqlPatternTest, ExtractAnchorsLeadingLiteral) {
  Pattern p = MustCompile("foo <x>");
  EXPECT_EQ(Extract(p, "foo bar"), (std::vector<std::string>{"bar"}));
  EXPECT_TRUE(Extract(p, "xfoo bar").empty());
  EXPECT_TRUE(Extract(p, "").empty());
}

TEST(LogqlPatternTest, TestSearchesLeadingLiteralLikeLoki) {
  // Loki's Matcher.Test does not anchor a leading literal (only Matches does).
  Pattern p = MustCompile("foo <x>");
  EXPECT_TRUE(p.Test("foo bar"));
  EXPECT_TRUE(p.Test("xx foo bar"));
  EXPECT_FALSE(p.Test("xx foo "));
  Result<Pattern> literal = Pattern::CompileLineFilter("match");
  ASSERT_TRUE(literal.ok());
  EXPECT_TRUE(literal->Test("match"));
  EXPECT_TRUE(literal->Test("a match"));  // a trailing literal must end the line
  EXPECT_FALSE(literal->Test("matches"));
}

TEST(LogqlPatternTest, TrailingLiteralMustEndLine) {
  Pattern p = MustCompile("<x> bar");
  EXPECT_TRUE(p.Test("foo bar"));
  EXPECT_FALSE(p.Test("foo bar baz"));
  // The first occurrence is taken: " bar" then more text does not match, even with a later one.
  EXPECT_FALSE(p.Test("foo bar bar"));
  EXPECT_EQ(Extract(p, "foo bar bar"), (std::vector<std::string>{"foo"}));
}

TEST(LogqlPatternTest, TestRejectsEmptyCaptures) {
  Result<Pattern> p = Pattern::CompileLineFilter("<_> bar <_>");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->Test(" bar "));
  EXPECT_FALSE(p->Test("x bar "));
  EXPECT_TRUE(p->Test("x bar y"));
  Result<Pattern> tight = Pattern::CompileLineFilter("<_>bar<_>");
  ASSERT_TRUE(tight.ok());
  EXPECT_TRUE(tight->Test(" bar "));
}

TEST(LogqlPatternTest, CaptureIsLazyAndLastTakesRest) {
  Pattern p = MustCompile("<a>,<b>");
  EXPECT_EQ(Extract(p, "1,2,3"), (std::vector<std::string>{"1", "2,3"}));
  EXPECT_TRUE(p.Test("1,2,3"));
}

TEST(LogqlPatternTest, MissingLiteralCapturesRest) {
  Pattern p = MustCompile("<a> - <b> - <c>");
  EXPECT_EQ(Extract(p, "x - y"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(Extract(p, "x"), (std::vector<std::string>{"x"}));
  EXPECT_FALSE(p.Test("x - y"));
}

TEST(LogqlPatternTest, AngleBracketsThatAreNotCapturesAreLiterals) {
  Pattern p = MustCompile("<1a> <b> <c d>");
  EXPECT_EQ(p.names(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(Extract(p, "<1a> x <c d>"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(p.Test("<1a> x <c d>"));
  Pattern nested = MustCompile("<<x>>");
  EXPECT_EQ(Extract(nested, "<v>"), (std::vector<std::string>{"v"}));
  EXPECT_EQ(MustCompile("<_x9>").names(), (std::vector<std::string>{"_x9"}));
}

TEST(LogqlPatternTest, InvalidUtf8LiteralBecomesReplacementCharacter) {
  // Loki's lexer decodes runes: an invalid byte is U+FFFD in the literal.
  Pattern p = MustCompile("a\xff<x>");
  EXPECT_TRUE(p.Test("a\uFFFDv"));
  EXPECT_FALSE(p.Test("a\xffv"));
}

TEST(LogqlPatternTest, MatchReturnsTestAndFillsCaptures) {
  Pattern p = MustCompile("<path>?<_>");
  std::vector<std::string_view> captures = {"stale"};
  EXPECT_FALSE(p.Match("/api/status", &captures));
  EXPECT_EQ(std::vector<std::string>(captures.begin(), captures.end()),
            (std::vector<std::string>{"/api/status"}));
  EXPECT_TRUE(p.Match("/api/status?x=1"));
}

TEST(LogqlPatternTest, EmptyLineMatchesNothingAndCapturesNothing) {
  Pattern p = MustCompile("<x>");
  EXPECT_FALSE(p.Test(""));
  EXPECT_TRUE(Extract(p, "").empty());
  EXPECT_TRUE(p.Test("x"));
}

// ---- ip() line filters (Loki's ip.go: any address-looking token of the line in the pattern) ----

LineFilterMatcher MakeIp(Op op, std::vector<std::string> patterns) {
  Result<LineFilterMatcher> m = LineFilterMatcher::Make(LineFilter{op, std::move(patterns), true});
  if (!m.ok()) {
    ADD_FAILURE() << m.status().ToString();
    return std::move(LineFilterMatcher::Make(LineFilter{Op::kContains, {"\x01never"}})).value();
  }
  return std::move(m).value();
}

std::string MakeIpError(Op op, std::vector<std::string> patterns) {
  Result<LineFilterMatcher> m = LineFilterMatcher::Make(LineFilter{op, std::move(patterns), true});
  if (m.ok()) return "ok";
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  return m.status().message();
}

// The indexes of the lines `m` keeps.
std::vector<int> Kept(const LineFilterMatcher& m, const std::vector<std::string>& lines) {
  std::vector<int> kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (m.Matches(lines[i])) kept.push_back(static_cast<int>(i));
  }
  return kept;
}

TEST(LogqlLineFilterIpTest, SingleIpv4) {
  LineFilterMatcher m = MakeIp(Op::kContains, {"192.168.0.1"});
  EXPECT_EQ(Kept(m,
                 {
                     "vpn 192.168.0.5 connected to vm",
                     "vpn 192.168.0.1 connected to vm",
                     "192.168.0.1",
                     "peer=192.168.0.1:8080",
                     "[192.168.0.1]",
                     "vpn 192.168.0.10 connected",  // another address, not a prefix match
                     "vpn 192.168.0.100",
                     "x",
                     "hello world!",
                     "",
                 }),
            (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(m.Describe(), "ip(\"192.168.0.1\")");
}

TEST(LogqlLineFilterIpTest, IsNotASubstringSearch) {
  // A substring search for "1.2.3.4" would keep both lines; the addresses are 11.2.3.45 and
  // 21.2.3.4.
  LineFilterMatcher m = MakeIp(Op::kContains, {"1.2.3.4"});
  EXPECT_FALSE(m.Matches("from 11.2.3.45"));
  EXPECT_FALSE(m.Matches("from 21.2.3.4 ok"));
  EXPECT_TRUE(m.Matches("from 1.2.3.4 ok"));
}

TEST(LogqlLineFilterIpTest, Ipv4Cidr) {
  LineFilterMatcher m = MakeIp(Op::kContains, {"10.0.0.0/8"});
  EXPECT_EQ(Kept(m,
                 {
                     "src=10.0.0.1 dst=8.8.8.8",
                     "src=10.255.255.255",
                     "src=11.0.0.1",
                     "src=110.0.0.1",
                     "src=9.255.255.255",
                 }),
            (std::vector<int>{0, 1}));
  // Host bits in the pattern are allowed (netip.ParsePrefix), and prefixes need not end on an
  // octet.
  LineFilterMatcher loose = MakeIp(Op::kContains, {"192.168.4.5/16"});
  EXPECT_EQ(Kept(loose,
                 {
                     "vpn 192.168.0.0 connected to vm",
                     "vpn 192.168.0.1 connected to vm",
                     "vpn 192.172.6.1 connected to vm",
                     "vpn 192.168.255.255 connected to vm",
                 }),
            (std::vector<int>{0, 1, 3}));
  LineFilterMatcher odd = MakeIp(Op::kContains, {"172.16.0.0/22"});
  EXPECT_TRUE(odd.Matches("ip 172.16.3.255 up"));
  EXPECT_FALSE(odd.Matches("ip 172.16.4.0 up"));
  LineFilterMatcher all_v4 = MakeIp(Op::kContains, {"0.0.0.0/0"});
  EXPECT_TRUE(all_v4.Matches("any 203.0.113.9 here"));
  EXPECT_FALSE(all_v4.Matches("only 2001:db8::1 here"));
  LineFilterMatcher host = MakeIp(Op::kContains, {"10.1.2.3/32"});
  EXPECT_TRUE(host.Matches("a 10.1.2.3 b"));
  EXPECT_FALSE(host.Matches("a 10.1.2.4 b"));
}

TEST(LogqlLineFilterIpTest, Ipv4Range) {
  LineFilterMatcher m = MakeIp(Op::kContains, {"192.168.0.1-192.189.10.12"});
  EXPECT_EQ(Kept(m,
                 {
                     "vpn 192.168.0.0 connected to vm",
                     "vpn 192.168.0.0 192.168.0.1 connected to vm",
                     "vpn 192.172.6.1 connected to vm",
                     "vpn 192.189.10.12 connected to vm",
                     "vpn 192.189.10.13 connected to vm",
                     "vpn 192.255.255.255 connected to vm",
                     "",
                 }),
            (std::vector<int>{1, 2, 3}));
}

TEST(LogqlLineFilterIpTest, Ipv6) {
  LineFilterMatcher m = MakeIp(Op::kContains, {"2001:db8::1"});
  EXPECT_EQ(Kept(m,
                 {
                     "peer 2001:db8::1 up",
                     "peer [2001:db8::1]:443 up",
                     "peer 2001:0db8:0:0:0:0:0:0001 up",  // another spelling of the address
                     "peer 2001:DB8::1 up",
                     "peer 2001:db8::10 up",
                     "peer 2001:db8::2 up",
                     "peer 192.168.0.1 up",
                 }),
            (std::vector<int>{0, 1, 2, 3}));
  LineFilterMatcher localhost = MakeIp(Op::kContains, {"::1"});
  EXPECT_TRUE(localhost.Matches("vpn ::1 connected to vm"));
  EXPECT_FALSE(localhost.Matches("vpn 127.0.0.1 connected to vm"));
}

TEST(LogqlLineFilterIpTest, Ipv6CidrAndRange) {
  LineFilterMatcher cidr = MakeIp(Op::kContains, {"2001:db8::/32"});
  EXPECT_EQ(Kept(cidr,
                 {
                     "vpn 2001:db8::1 connected to vm",
                     "vpn 2001:db9::3 connected to vm",
                     "vpn 2001:dc8::1 and 2001:db8::2 connected to vm",
                     "vpn 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff connected",
                     "vpn 192.168.255.255 connected to vm",
                 }),
            (std::vector<int>{0, 2, 3}));
  LineFilterMatcher range = MakeIp(Op::kContains, {"2001:db8::1-2001:db8::8"});
  EXPECT_EQ(Kept(range,
                 {
                     "vpn 192.168.0.0 connected to vm",
                     "vpn 2001:db8::2 connected to vm",
                     "vpn 2001:db8::9 connected to vm",
                     "vpn 2001:db8::8 connected to vm",
                 }),
            (std::vector<int>{1, 3}));
}

TEST(LogqlLineFilterIpTest, FamiliesDoNotMix) {
  // An IPv4-mapped IPv6 address is IPv6 (Go's netip): not in an IPv4 prefix.
  LineFilterMatcher v4 = MakeIp(Op::kContains, {"10.0.0.0/8"});
  EXPECT_FALSE(v4.Matches("peer ::ffff:10.0.0.1 up"));
  LineFilterMatcher mapped = MakeIp(Op::kContains, {"::ffff:10.0.0.1"});
  EXPECT_TRUE(mapped.Matches("peer ::ffff:10.0.0.1 up"));
  EXPECT_FALSE(mapped.Matches("peer 10.0.0.1 up"));
  LineFilterMatcher v6 = MakeIp(Op::kContains, {"::/0"});
  EXPECT_TRUE(v6.Matches("peer fe80::1 up"));
  EXPECT_FALSE(v6.Matches("peer 10.0.0.1 up"));
}

TEST(LogqlLineFilterIpTest, NotEqualKeepsLinesWithoutAMatchingAddress) {
  LineFilterMatcher m = MakeIp(Op::kNotContains, {"10.0.0.0/8"});
  EXPECT_EQ(Kept(m,
                 {
                     "src=10.0.0.1",
                     "src=192.168.0.1",
                     "no address at all",
                     "",
                     "src=8.8.8.8 dst=10.1.1.1",
                 }),
            (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(m.Describe(), "not(ip(\"10.0.0.0/8\"))");
}

TEST(LogqlLineFilterIpTest, OrAlternatives) {
  LineFilterMatcher any = MakeIp(Op::kContains, {"10.0.0.0/8", "192.168.0.0/16", "::1"});
  const std::vector<std::string> lines = {
      "src=10.1.1.1",   "src=192.168.7.7",  "src=::1 port 80",
      "src=172.16.0.1", "src=2001:db8::1x", "nothing",
  };
  EXPECT_EQ(Kept(any, lines), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(any.Describe(), "ip(\"10.0.0.0/8\") or ip(\"192.168.0.0/16\") or ip(\"::1\")");
  // != with alternatives keeps the lines that none matches (Loki's `!(a or b)`).
  LineFilterMatcher none = MakeIp(Op::kNotContains, {"10.0.0.0/8", "192.168.0.0/16", "::1"});
  EXPECT_EQ(Kept(none, lines), (std::vector<int>{3, 4, 5}));
}

TEST(LogqlLineFilterIpTest, SeveralAddressesInALine) {
  LineFilterMatcher m = MakeIp(Op::kContains, {"10.0.0.0/8"});
  EXPECT_TRUE(m.Matches("from 8.8.8.8 to 10.0.0.5"));
  EXPECT_TRUE(m.Matches("8.8.8.8,10.0.0.5"));
  EXPECT_TRUE(m.Matches("1.1.1.1:53->10.0.0.5:4242"));
  EXPECT_TRUE(m.Matches("2001:db8::1 then 10.9.8.7"));
  EXPECT_FALSE(m.Matches("from 8.8.8.8 to 9.9.9.9 via 172.16.0.1"));
  LineFilterMatcher v6 = MakeIp(Op::kContains, {"fe80::/10"});
  EXPECT_TRUE(v6.Matches("8.8.8.8 2001:db8::1 fe80::1:2 end"));
}

TEST(LogqlLineFilterIpTest, LookAlikesDoNotMatch) {
  LineFilterMatcher any_v4 = MakeIp(Op::kContains, {"0.0.0.0/0"});
  LineFilterMatcher any_v6 = MakeIp(Op::kContains, {"::/0"});
  for (const char* line : {
           "version 1.2.3.4.5 released",  // five parts
           "code 300.1.1.1",              // an octet over 255
           "id 01.2.3.4",                 // a leading zero, which Go refuses
           "v1.2.3 tag",                  // three parts
           "pi 3.14159",
           "at 12:34:56.789",  // looks like IPv6 (hex digits and colons), is not
           "mac aa:bb:cc:dd:ee:ff",
           "1.2.3.4.",  // a trailing dot belongs to the token
       }) {
    SCOPED_TRACE(line);
    EXPECT_FALSE(any_v4.Matches(line));
    EXPECT_FALSE(any_v6.Matches(line));
  }
  // The tokens around a look-alike are still found.
  EXPECT_TRUE(any_v4.Matches("version 1.2.3.4.5 from 10.0.0.1"));
  // A version string spans both candidates: neither 1.2.3.4 nor 2.3.4.5 is in it.
  EXPECT_FALSE(MakeIp(Op::kContains, {"1.2.3.4"}).Matches("v 1.2.3.4.5"));
  EXPECT_FALSE(MakeIp(Op::kContains, {"2.3.4.5"}).Matches("v 1.2.3.4.5"));
}

TEST(LogqlLineFilterIpTest, ScansAsLoki) {
  // A candidate is noticed only with 4 (IPv4) or 5 (IPv6) bytes left in the line, as in Loki:
  // `::1` ending the line is not seen.
  LineFilterMatcher localhost = MakeIp(Op::kContains, {"::1"});
  EXPECT_TRUE(localhost.Matches("peer ::1 ok"));
  EXPECT_FALSE(localhost.Matches("peer ::1"));
  EXPECT_TRUE(MakeIp(Op::kContains, {"1.2.3.4"}).Matches("1.2.3.4"));
  // Letters before the digits do not hide an address.
  EXPECT_TRUE(MakeIp(Op::kContains, {"10.0.0.1"}).Matches("host-x10.0.0.1"));
}

TEST(LogqlLineFilterIpTest, InvalidPatternsAndOperators) {
  EXPECT_EQ(MakeIpError(Op::kContains, {"abc"}), "ip: invalid pattern: \"abc\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"192.168.0.1 - 192.189.10.12"}),
            "ip: invalid pattern: \"192.168.0.1 - 192.189.10.12\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"10.0.0.0/33"}), "ip: invalid pattern: \"10.0.0.0/33\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"10.0.0.0/08"}), "ip: invalid pattern: \"10.0.0.0/08\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"10.0.0.9-10.0.0.1"}),
            "ip: invalid pattern: \"10.0.0.9-10.0.0.1\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"10.0.0.1-::1"}), "ip: invalid pattern: \"10.0.0.1-::1\"");
  EXPECT_EQ(MakeIpError(Op::kNotContains, {"10.0.0.1", ""}), "ip: invalid pattern: \"\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"2001:db8::/129"}),
            "ip: invalid pattern: \"2001:db8::/129\"");
  EXPECT_EQ(MakeIpError(Op::kContains, {"::/128"}), "ok");
  for (Op op : {Op::kRegexMatch, Op::kRegexNoMatch, Op::kPatternMatch, Op::kPatternNoMatch}) {
    EXPECT_EQ(MakeIpError(op, {"10.0.0.1"}), "ip: invalid operation");
  }
}

// The filter as a query writes it: parsed, compiled into a pipeline, run.
TEST(LogqlLineFilterIpQueryTest, FromTheQueryText) {
  auto compile = [](std::string_view query) -> std::unique_ptr<Pipeline> {
    Result<ExprPtr> e = ParseExpr(query);
    if (!e.ok()) {
      ADD_FAILURE() << query << ": " << e.status().ToString();
      return nullptr;
    }
    Result<std::unique_ptr<Pipeline>> p = Pipeline::Compile(std::get<LogSelector>((*e)->node));
    if (!p.ok()) {
      ADD_FAILURE() << query << ": " << p.status().ToString();
      return nullptr;
    }
    return std::move(p).value();
  };
  std::unique_ptr<Pipeline> p =
      compile(R"({app="x"} |= ip("10.0.0.0/8") or ip("::1") != ip("10.0.0.1"))");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->LineFiltersOnly());
  EXPECT_TRUE(p->Matches("src=10.0.0.2 ok"));
  EXPECT_TRUE(p->Matches("src=::1 ok"));
  EXPECT_FALSE(p->Matches("src=10.0.0.1 ok"));
  EXPECT_FALSE(p->Matches("src=192.168.0.1 ok"));

  Result<ExprPtr> e = ParseExpr(R"({app="x"} |= ip("not-an-ip"))");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Result<std::unique_ptr<Pipeline>> bad = Pipeline::Compile(std::get<LogSelector>((*e)->node));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "ip: invalid pattern: \"not-an-ip\"");
}

}  // namespace
}  // namespace sluice::query::logql

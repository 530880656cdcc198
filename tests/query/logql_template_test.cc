// Go text/template with Loki's function map (query/logql_template.h). The expected outputs and
// messages are Go 1.24's text/template with Loki 3.x's functions (sprig v3.3.0, spf13/cast,
// shopspring/decimal), many taken from Loki's pkg/logql/log/fmt_test.go.
#include "query/logql_template.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice::query::logql {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Entry {
  Labels labels;
  std::string line;
  int64_t ts = 0;
};

TemplateInput InputOf(const Entry& e, bool with_list = true) {
  TemplateInput in;
  in.label = [&e](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [k, v] : e.labels) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  };
  if (with_list) {
    // The views handed to fn must outlive Execute (the engine may keep them): sort once, here.
    auto sorted = std::make_shared<Labels>(e.labels);
    std::sort(sorted->begin(), sorted->end());
    in.for_each_label = [sorted](const auto& fn) {
      for (const auto& [k, v] : *sorted) fn(k, v);
    };
  }
  in.line = e.line;
  in.timestamp_ns = e.ts;
  return in;
}

// The output, or the error prefixed with "PARSE ERROR: " or "ERROR: ".
std::string Render(std::string_view text, const Entry& e = {}, std::string_view name = "line") {
  auto t = Template::Parse(text, name);
  if (!t.ok()) return "PARSE ERROR: " + t.status().message();
  std::string out;
  Status s = (*t)->Execute(InputOf(e), &out);
  if (!s.ok()) return "ERROR: " + s.message();
  return out;
}

struct Case {
  const char* name;
  const char* text;
  Labels labels;
  const char* want;
  const char* line = "";
  int64_t ts = 0;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

constexpr int64_t kTs = 1656353124120000000;  // 2022-06-27 18:05:24.12 UTC, a Monday

// ------------------------------------------------------------------------------------------------
// Outputs
// ------------------------------------------------------------------------------------------------

const Case kLokiCases[] = {
    {"count", R"t({{.foo | count "abc" }})t", {{"foo", "abc abc abc"}}, "3"},
    {"count_regex", R"t({{.foo | count "a|b|c" }})t", {{"foo", "abc abc abc"}}, "9"},
    {"combining",
     "foo{{.foo}}buzz{{  .bar  }}",
     {{"foo", "blip"}, {"bar", "blop"}},
     "fooblipbuzzblop"},
    {"Replace",
     R"t(foo{{.foo}}buzz{{ Replace .bar "blop" "bar" -1 }})t",
     {{"foo", "blip"}, {"bar", "blop"}},
     "fooblipbuzzbar"},
    {"replace",
     R"t(foo{{.foo}}buzz{{ .bar | replace "blop" "bar" }})t",
     {{"foo", "blip"}, {"bar", "blop"}},
     "fooblipbuzzbar"},
    {"title", "{{.foo | title }}", {{"foo", "blip"}}, "Blip"},
    {"substr_and_trunc",
     "{{.foo | substr 1 3 }} {{ .bar  | trunc 1 }} {{ .bar  | trunc 3 }}",
     {{"foo", "blip"}, {"bar", "blop"}},
     "li b blo"},
    {"trim_family",
     R"t({{.foo | trim }} {{ .bar  | trimAll "op" }} {{ .bar  | trimPrefix "b" }} {{ .bar  | trimSuffix "p" }})t",
     {{"foo", "  blip "}, {"bar", "blop"}},
     "blip bl lop blo"},
    {"lower_upper",
     "{{.foo | lower }} {{ .bar  | upper }}",
     {{"foo", "BLIp"}, {"bar", "blop"}},
     "blip BLOP"},
    {"urlencode",
     "{{.foo | urlencode }} {{ urlencode .foo }}",
     {{"foo",
       R"t(/loki/api/v1/query?query=sum(count_over_time({stream_filter="some_stream",environment="prod", host=~"someec2.*"})t"}},
     "%2Floki%2Fapi%2Fv1%2Fquery%3Fquery%3Dsum%28count_over_time%28%7Bstream_filter%3D%22some_"
     "stream%22%2Cenvironment%3D%22prod%22%2C+host%3D~%22someec2.%2A%22%7D "
     "%2Floki%2Fapi%2Fv1%2Fquery%3Fquery%3Dsum%28count_over_time%28%7Bstream_filter%3D%22some_"
     "stream%22%2Cenvironment%3D%22prod%22%2C+host%3D~%22someec2.%2A%22%7D"},
    {"urldecode",
     "{{.foo | urldecode }}",
     {{"foo", "%2Floki%2Fapi%3Fquery%3Dsum%28count%7Bhost%3D~%22x.%2A%22%7D+a"}},
     R"t(/loki/api?query=sum(count{host=~"x.*"} a)t"},
    {"repeat", R"t({{ "foo" | repeat 3 }})t", {}, "foofoofoo"},
    {"indent", R"t({{ "foo\n bar" | indent 4 }})t", {}, "    foo\n     bar"},
    {"nindent", R"t({{ "foo" | nindent 2 }})t", {}, "\n  foo"},
    {"contains",
     R"t({{ if  .foo | contains "p"}}yes{{end}}-{{ if  .foo | contains "z"}}no{{end}})t",
     {{"foo", "BLIp"}},
     "yes-"},
    {"hasPrefix",
     R"t({{ if .foo | hasPrefix "BL" }}yes{{end}}-{{ if .foo | hasPrefix "p"}}no{{end}})t",
     {{"foo", "BLIp"}},
     "yes-"},
    {"hasSuffix",
     R"t({{ if .foo | hasSuffix "Ip" }}yes{{end}}-{{ if .foo | hasSuffix "pw"}}no{{end}})t",
     {{"foo", "BLIp"}},
     "yes-"},
    {"regexReplaceAll", R"t({{ regexReplaceAll "(p)" .foo "t" }})t", {{"foo", "BLIp"}}, "BLIt"},
    {"regexReplaceAllLiteral",
     R"t({{ regexReplaceAllLiteral "(p)" .foo "${1}" }})t",
     {{"foo", "BLIp"}},
     "BLI${1}"},
    {"missing_label", "foo {{.foo}}buzz{{  .bar  }}", {{"bar", "blop"}}, "foo buzzblop"},
    {"ToUpper",
     "foo {{.foo | ToUpper }} buzz{{  .bar  }}",
     {{"foo", "blip"}, {"bar", "blop"}},
     "foo BLIP buzzblop"},
    {"math_int",
     "{{ add .foo 1 | sub .bar | mul .baz | div .bazz}}",
     {{"foo", "1"}, {"bar", "3"}, {"baz", "10"}, {"bazz", "20"}},
     "2"},
    {"math_float",
     "{{ addf .foo 1.5 | subf .bar 1.5 | mulf .baz | divf .bazz }}",
     {{"foo", "1.5"}, {"bar", "5"}, {"baz", "10.5"}, {"bazz", "20.2"}},
     "3.8476190476190477"},
    {"math_float_round",
     "{{ round (addf .foo 1.5 | subf .bar | mulf .baz | divf .bazz) 5 .2}}",
     {{"foo", "1.5"}, {"bar", "3.5"}, {"baz", "10.5"}, {"bazz", "20.4"}},
     "3.88572"},
    {"min_max",
     "min is {{ min .foo .bar .baz }} and max is {{ max .foo .bar .baz }}",
     {{"foo", "5"}, {"bar", "10"}, {"baz", "15"}},
     "min is 5 and max is 15"},
    {"minf_maxf",
     "minf is {{ minf .foo .bar .baz }} and maxf is {{maxf .foo .bar .baz}}",
     {{"foo", "5.3"}, {"bar", "10.5"}, {"baz", "15.2"}},
     "minf is 5.3 and maxf is 15.2"},
    {"ceil_floor",
     "ceil is {{ ceil .foo }} and floor is {{floor .foo }}",
     {{"foo", "5.3"}},
     "ceil is 6 and floor is 5"},
    {"mod", "mod is {{ mod .foo 3 }}", {{"foo", "20"}}, "mod is 2"},
    {"float64_int", R"t({{ "2.5" | float64 | int | add 10}})t", {}, "12"},
    {"datetime",
     R"t({{ sub (unixEpoch (toDate "2006-01-02" "2021-11-02")) (unixEpoch (toDate "2006-01-02" "2021-11-01")) }})t",
     {},
     "86400"},
    {"dateformat",
     R"t({{ date "2006-01-02" (toDate "2006-01-02" "2021-11-02") }})t",
     {},
     "2021-11-02"},
    {"now", "{{ div (unixEpoch now) (unixEpoch now) }}", {}, "1"},
    {"line", "{{ __line__ }} bar {{ .bar }}", {{"bar", "2"}}, "1 bar 2", "1"},
    {"default",
     R"t({{.foo | default "-" }}{{.bar | default "-"}}{{.unknown | default "-"}})t",
     {{"foo", "blip"}, {"bar", ""}},
     "blip--"},
    {"timestamp_date",
     R"t({{ __timestamp__ | date "2006-01-02" }} bar {{ .bar }})t",
     {{"bar", "2"}},
     "2022-06-27 bar 2",
     "",
     kTs},
    {"timestamp_unix",
     "{{ __timestamp__ | unixEpoch }} bar {{ .bar }}",
     {{"bar", "2"}},
     "1656353124 bar 2",
     "",
     kTs},
    {"bytes_kb", "{{ .foo | bytes }}", {{"foo", "3 kB"}}, "3000"},
    {"bytes_mb", "{{ .foo | bytes }}", {{"foo", "3MB"}}, "3e+06"},
    {"duration", "{{ .foo | duration }}", {{"foo", "3ms"}}, "0.003"},
    {"duration_seconds", "{{ .foo | duration_seconds }}", {{"foo", "3m10s"}}, "190"},
    {"toDateInZone_millis",
     R"t({{ .foo | toDateInZone "2006-01-02T15:04:05.999999999Z" "UTC" | unixEpochMillis }})t",
     {{"foo", "2023-03-10T01:32:40.340485723Z"}},
     "1678411960340"},
    {"toDateInZone_nanos",
     R"t({{ .foo | toDateInZone "2006-01-02T15:04:05.999999999Z" "UTC" | unixEpochNanos }})t",
     {{"foo", "2023-03-10T01:32:40.340485723Z"}},
     "1678411960340485723"},
    {"b64enc",
     "{{ .foo | b64enc }}",
     {{"foo", "i'm a string, encode me!"}},
     "aSdtIGEgc3RyaW5nLCBlbmNvZGUgbWUh"},
    {"b64dec",
     "{{ .foo | b64dec }}",
     {{"foo", "aSdtIGEgc3RyaW5nLCBlbmNvZGUgbWUh"}},
     "i'm a string, encode me!"},
    {"alignLeft", "{{ alignLeft 4 .foo }}", {{"foo", "hello"}}, "hell"},
    {"alignRight", "{{ alignRight 4 .foo }}", {{"foo", "hello"}}, "ello"},
    {"simple_key", "{{.foo}}  ", {{"foo", "bar"}}, "bar  "},
    {"simple_missing_key", "{{.missing}}", {{"foo", "bar"}}, ""},
    {"label_math", "{{div .status 100 }}", {{"status", "200"}}, "2"},
    {"label_count_line", R"t({{ __line__ | count "test" }})t", {}, "1", "test line"},
    {"unixToTime_days",
     "{{ .bar | unixToTime }}",
     {{"bar", "19503"}},
     "2023-05-26 00:00:00 +0000 UTC"},
    {"unixToTime_seconds",
     "{{ .bar | unixToTime }}",
     {{"bar", "1679577215"}},
     "2023-03-23 13:13:35 +0000 UTC"},
    {"unixToTime_millis",
     "{{ .bar | unixToTime }}",
     {{"bar", "1257894000000"}},
     "2009-11-10 23:00:00 +0000 UTC"},
    {"unixToTime_micros",
     "{{ .bar | unixToTime }}",
     {{"bar", "1673798889902000"}},
     "2023-01-15 16:08:09.902 +0000 UTC"},
    {"unixToTime_nanos",
     "{{ .bar | unixToTime }}",
     {{"bar", "1000000000000000000"}},
     "2001-09-09 01:46:40 +0000 UTC"},
    {"alignLeft_runes",
     "{{ alignLeft 8 .s }}|{{ alignLeft 12 .s }}|{{ alignLeft -1 .s }}",
     {{"s", "Hello, 世界"}},
     "Hello, 世|Hello, 世界   |Hello, 世界"},
    {"alignRight_runes",
     "{{ alignRight 2 .s }}|{{ alignRight 11 .s }}",
     {{"s", "Hello, 世界"}},
     "世界|  Hello, 世界"},
};
class LogqlTemplateLokiTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplateLokiTest, RendersAsLoki) {
  const Case& c = GetParam();
  EXPECT_EQ(Render(c.text, {c.labels, c.line, c.ts}), c.want) << c.text;
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplateLokiTest, ::testing::ValuesIn(kLokiCases),
                         CaseName);

const Case kLanguageCases[] = {
    {"text_only", "plain text, no actions", {}, "plain text, no actions"},
    {"trim_both", "a  {{- .x -}}  b", {{"x", "1"}}, "a1b"},
    {"trim_newlines", "a\n\t {{- .x }}\n{{- .y -}}\n b", {{"x", "1"}, {"y", "2"}}, "a12b"},
    {"minus_number_is_not_trim", "{{-3}}", {}, "-3"},
    {"comment", "a {{/* ignored */}} b", {}, "a  b"},
    {"comment_trimmed", "a {{- /* ignored */ -}} b", {}, "ab"},
    {"if_else_if",
     R"t({{ if eq .level "error" }}E{{ else if eq .level "warn" }}W{{ else }}I{{ end }})t",
     {{"level", "warn"}},
     "W"},
    {"if_else",
     R"t({{ if eq .level "error" }}E{{ else if eq .level "warn" }}W{{ else }}I{{ end }})t",
     {{"level", "debug"}},
     "I"},
    {"if_empty_string_is_false", "{{ if .missing }}yes{{ else }}no{{ end }}", {}, "no"},
    {"if_zero_is_false", "{{ if 0 }}yes{{ else }}no{{ end }}{{ if 0.5 }}!{{ end }}", {}, "no!"},
    {"with_sets_dot", "{{ with .foo }}[{{ . }}]{{ else }}none{{ end }}", {{"foo", "x"}}, "[x]"},
    {"with_else", "{{ with .foo }}[{{ . }}]{{ else }}none{{ end }}", {}, "none"},
    {"with_root_variable",
     "{{ with .a }}{{ $.b }}{{ . }}{{ end }}",
     {{"a", "1"}, {"b", "2"}},
     "21"},
    {"else_with", "{{ with .a }}a{{ else with .b }}b={{ . }}{{ end }}", {{"b", "2"}}, "b=2"},
    {"variables",
     R"t({{ $x := .foo }}{{ $x = printf "%s!" $x }}{{ $x }})t",
     {{"foo", "hi"}},
     "hi!"},
    {"variable_scope",
     "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}",
     {},
     "21"},
    {"range_labels",
     "{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}",
     {{"b", "2"}, {"a", "1"}},
     "a=1;b=2;"},
    {"range_labels_dot", "{{ range . }}<{{ . }}>{{ end }}", {{"b", "2"}, {"a", "1"}}, "<1><2>"},
    {"range_int_break_continue",
     "{{ range $i := 6 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 4 }}{{ break }}{{ end "
     "}}{{ $i }}{{ end }}",
     {},
     "023"},
    {"range_json_array",
     R"t({{ range $i, $e := (fromJson .j).items }}{{$i}}:{{$e}} {{end}})t",
     {{"j", R"t({"items":["a",2,true]})t"}},
     "0:a 1:2 2:true "},
    {"range_else", R"t({{ range (fromJson "[]") }}x{{ else }}empty{{ end }})t", {}, "empty"},
    {"range_json_map",
     R"t({{ range $k, $v := fromJson .j }}{{$k}}{{$v}}{{end}})t",
     {{"j", R"t({"b":1,"a":2,"b":3})t"}},
     "a2b3"},
    {"parenthesized", R"t({{ printf "%s-%s" (.a | upper) .b }})t", {{"a", "x"}, {"b", "y"}}, "X-y"},
    {"and_or_not",
     R"t({{ and .a .b }}|{{ or .missing "fallback" }}|{{ not .a }}|{{ and .a .missing "z" }})t",
     {{"a", "1"}, {"b", "2"}},
     "2|fallback|false|"},
    {"len", "{{ len .foo }} {{ len . }}", {{"foo", "héllo"}, {"bar", ""}}, "6 2"},
    {"index",
     R"t({{ index . "a" }}|{{ index . "nope" }}|{{ index "abc" 1 }})t",
     {{"a", "1"}},
     "1||98"},
    {"slice", R"t({{ slice "abcdef" 1 3 }}|{{ slice .s 2 }})t", {{"s", "hello"}}, "bc|llo"},
    {"print", R"t({{ print 1 2 "a" 3 }}|{{ println "x" 1 }})t", {}, "1 2a3|x 1\n"},
    {"dot_prints_map", "{{ . }}", {{"b", "2"}, {"a", "1"}}, "map[a:1 b:2]"},
    {"string_escapes", R"t({{ "a\tb\u00e9\x41\101\"" }})t", {}, "a\tbéAA\""},
    {"raw_string", "{{ `a\\n\"b` }}", {}, "a\\n\"b"},
    {"numbers",
     "{{ 0x10 }} {{ 1e3 }} {{ 1.5 }} {{ 'a' }} {{ -3 }} {{ 1_000 }} {{ 017 }} {{ 0b101 }}",
     {},
     "16 1000 1.5 97 -3 1000 15 5"},
    {"bools_and_nil", R"t({{ true }} {{ default "x" nil }} {{ not false }})t", {}, "true x true"},
    {"html_js_urlquery",
     R"t({{ html "<a href='x'>&" }}|{{ js "it's <b>" }}|{{ urlquery "a b&c" }})t",
     {},
     "&lt;a href=&#39;x&#39;&gt;&amp;|it\\'s \\u003Cb\\u003E|a+b%26c"},
    {"multi_line_action", "{{ printf\n  \"%s\"\n  .a }}", {{"a", "x"}}, "x"},
};
class LogqlTemplateLanguageTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplateLanguageTest, Renders) {
  const Case& c = GetParam();
  EXPECT_EQ(Render(c.text, {c.labels, c.line, c.ts}), c.want) << c.text;
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplateLanguageTest,
                         ::testing::ValuesIn(kLanguageCases), CaseName);

const Case kComparisonCases[] = {
    {"eq_strings",
     R"t({{ eq .a "x" }} {{ eq .a "y" "x" }} {{ eq .a "y" "z" }})t",
     {{"a", "x"}},
     "true true false"},
    {"ne_lt_le_gt_ge",
     R"t({{ ne 1 2 }} {{ lt 1.5 2.5 }} {{ le "a" "a" }} {{ gt 3 2 }} {{ ge "a" "b" }})t",
     {},
     "true true true true false"},
    {"int_kinds_compare",
     "{{ eq (add 1 1) 2 }} {{ lt (len .a) (count \"x\" .a) }}",
     {{"a", "xx"}},
     "true false"},
    {"gt_after_int", "{{ if gt (int .n) 10 }}big{{ else }}small{{ end }}", {{"n", "12"}}, "big"},
    {"eq_nil", "{{ eq .missing \"\" }} {{ eq nil nil }}", {}, "true true"},
};
class LogqlTemplateComparisonTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplateComparisonTest, Compares) {
  const Case& c = GetParam();
  EXPECT_EQ(Render(c.text, {c.labels, c.line, c.ts}), c.want) << c.text;
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplateComparisonTest,
                         ::testing::ValuesIn(kComparisonCases), CaseName);

const Case kPrintfCases[] = {
    {"s_d_v", R"t({{ printf "%s|%d|%v|%v" .a 42 3.5 true }})t", {{"a", "x"}}, "x|42|3.5|true"},
    {"q",
     R"t({{ printf "%q %q" .a 65 }})t",
     {{"a", "he said \"hi\"\n"}},
     R"t("he said \"hi\"\n" 'A')t"},
    {"floats",
     R"t({{ printf "%f %.2f %8.3f %e %g %G" 3.14159 3.14159 3.14159 1234.5 1e21 1e-7 }})t",
     {},
     "3.141590 3.14    3.142 1.234500e+03 1e+21 1E-07"},
    {"widths",
     R"t({{ printf "[%5s][%-5s][%.2s][%05d][%-4d][%+d]" "ab" "ab" "abc" 42 7 3 }})t",
     {},
     "[   ab][ab   ][ab][00042][7   ][+3]"},
    {"hex_bool_percent",
     R"t({{ printf "%x %X %x %t %% %o %b %c %U" 255 255 "hi" false 8 5 65 65 }})t",
     {},
     "ff FF 6869 false % 10 101 A U+0041"},
    {"type",
     R"t({{ printf "%T %T %T %T %T" 1 1.5 "s" true (add 1 2) }})t",
     {},
     "int float64 string bool int64"},
    {"bad_verb_missing_extra",
     R"t({{ printf "%d %s" "abc" }}|{{ printf "%s" 1 2 }})t",
     {},
     "%!d(string=abc) %!s(MISSING)|%!s(int=1)%!(EXTRA int=2)"},
    {"arg_index", R"t({{ printf "%[2]s %[1]s" "a" "b" }})t", {}, "b a"},
    {"star_width", R"t({{ printf "%*d|%-*d|" 4 7 3 1 }})t", {}, "   7|1  |"},
    {"time_and_nil",
     R"t({{ printf "%v|%s|%v" __timestamp__ __timestamp__ nil }})t",
     {},
     "2022-06-27 18:05:24.12 +0000 UTC|2022-06-27 18:05:24.12 +0000 UTC|<nil>",
     "",
     kTs},
    {"print_float_forms",
     "{{ 1e6 }} {{ 123456.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ divf 1 0.3 }}",
     {},
     "1e+06 123456 0.0001 1e-05 3.3333333333333335"},
};
class LogqlTemplatePrintfTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplatePrintfTest, Formats) {
  const Case& c = GetParam();
  EXPECT_EQ(Render(c.text, {c.labels, c.line, c.ts}), c.want) << c.text;
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplatePrintfTest, ::testing::ValuesIn(kPrintfCases),
                         CaseName);

const Case kFunctionCases[] = {
    {"go_string_functions",
     R"t({{ TrimSpace .p }}|{{ Trim .s "xy" }}|{{ TrimLeft .s "xy" }}|{{ TrimRight .s "xy" }}|{{ TrimPrefix .s "xy" }}|{{ TrimSuffix .s "xy" }}|{{ ToLower "AbC" }})t",
     {{"p", " \t pad \n"}, {"s", "xyaxy"}},
     "pad|a|axy|xya|axy|xya|abc"},
    {"Replace_n",
     R"t({{ Replace "aaaa" "a" "b" 2 }}|{{ Replace "ab" "" "-" -1 }})t",
     {},
     "bbaa|-a-b-"},
    {"unicode_case",
     R"t({{ upper "héllo ñ ß" }}|{{ lower "ÀÉÎ ΣΑ" }}|{{ title "hello wörld-x_y" }})t",
     {},
     "HÉLLO Ñ ß|àéî σα|Hello Wörld-X_y"},
    {"trunc_negative",
     R"t({{ trunc -2 "abcd" }}|{{ trunc 20 "abcd" }}|{{ trunc 0 "abcd" }})t",
     {},
     "cd|abcd|"},
    {"substr_bounds",
     R"t({{ substr 1 8 "Hello" }}|{{ substr -1 2 "Hello" }}|{{ substr 2 -1 "Hello" }})t",
     {},
     "ello|He|llo"},
    {"regex_empty_matches",
     R"t({{ regexReplaceAll "a*" "baaab" "-" }}|{{ count "a*" "baaab" }})t",
     {},
     "-b-b-|3"},
    {"regex_groups",
     R"t({{ regexReplaceAll "(?P<k>\\w+)=(\\w+)" .s "${k}:$2" }}|{{ regexReplaceAll "(a)" "a" "$1x" }})t",
     {{"s", "a=1 b=2"}},
     "a:1 b:2|"},
    {"regex_dynamic_pattern",
     "{{ regexReplaceAll .re .s \"#\" }}",
     {{"re", "[0-9]+"}, {"s", "a1b22"}},
     "a#b#"},
    {"int_casts",
     R"t({{ add "12" "abc" }} {{ add "12.0" 1 }} {{ add "0x10" 1 }} {{ add 1.9 1 }} {{ int "010" }} {{ int true }})t",
     {},
     "12 13 17 2 8 1"},
    {"int_arith",
     "{{ add 1 2 3 }} {{ sub 10 3 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod -7 3 }}",
     {},
     "6 7 24 3 -1"},
    {"decimal_arith",
     "{{ addf 0.1 0.2 }} {{ mulf 1.1 3 }} {{ subf 1 0.9 }} {{ divf 2 3 }} {{ addf }}",
     {},
     "0.3 3.3 0.1 0.6666666666666667 0"},
    {"round",
     "{{ round 3.14159 2 }} {{ round 2.5 0 }} {{ round -2.5 0 }} {{ round 1.25 1 .3 }}",
     {},
     "3.14 3 -3 1.3"},
    {"float64_cast",
     R"t({{ float64 "1_000.5" }} {{ float64 "x" }} {{ float64 3 }} {{ maxf 1 "2.5" }})t",
     {},
     "1000.5 0 3 2.5"},
    {"bytes_units",
     R"t({{ bytes "1.5 KiB" }} {{ bytes "1,000" }} {{ bytes "2gb" }})t",
     {},
     "1536 1000 2e+09"},
    {"durations",
     R"t({{ duration "1h30m" }} {{ duration "-1.5s" }} {{ duration "1µs" }} {{ duration "0" }})t",
     {},
     "5400 -1.5 1e-06 0"},
    {"b64dec_errors",
     R"t({{ b64dec "abc" }}|{{ b64dec "ab!d" }}|{{ b64dec "YQ==" }}|{{ b64dec "YWI=\n" }})t",
     {},
     "illegal base64 data at input byte 0|illegal base64 data at input byte 2|a|ab"},
    {"default_kinds",
     R"t({{ default "d" 0 }} {{ default "d" false }} {{ default "d" 1 }} {{ 0 | default 5 }})t",
     {},
     "d d 1 5"},
    {"fromJson",
     R"t({{ (fromJson .j).a }}|{{ fromJson .j }}|{{ (fromJson .j).missing }}|{{ index (fromJson .j) "b" }}|{{ (fromJson .j).c.d }}|{{ fromJson "{bad" }})t",
     {{"j", R"t({"a":"x","b":2,"c":{"d":[1,null]}})t"}},
     "x|map[a:x b:2 c:map[d:[1 <nil>]]]|<no value>|2|[1 <nil>]|<no value>"},
    {"timestamp_prints", "{{ __timestamp__ }}", {}, "2022-06-27 18:05:24.12 +0000 UTC", "", kTs},
    {"time_methods",
     R"t({{ __timestamp__.Unix }} {{ __timestamp__.UnixMilli }} {{ __timestamp__.Year }} {{ __timestamp__.YearDay }} {{ __timestamp__.Format "15:04:05" }})t",
     {},
     "1656353124 1656353124120 2022 178 18:05:24",
     "",
     kTs},
    {"date_layouts",
     R"t({{ date "Mon Jan 2 15:04:05 MST 2006" __timestamp__ }}|{{ date "2006-01-02T15:04:05.000Z07:00" __timestamp__ }}|{{ date "3:04PM, Monday, January _2 '06 002" __timestamp__ }})t",
     {},
     "Mon Jun 27 18:05:24 UTC 2022|2022-06-27T18:05:24.120Z|6:05PM, Monday, June 27 '22 178",
     "",
     kTs},
    {"date_int_seconds", R"t({{ date "2006-01-02 15:04" 86400 }})t", {}, "1970-01-02 00:00"},
    {"toDate_offset",
     R"t({{ toDate "2006-01-02T15:04:05Z07:00" "2023-03-10T01:32:40+02:00" }}|{{ toDate "2006-01-02T15:04:05Z07:00" "2023-03-10T01:32:40+02:00" | unixEpoch }})t",
     {},
     "2023-03-10 01:32:40 +0200 +0200|1678404760"},
    {"toDate_forms",
     R"t({{ toDate "Jan _2 2006 3:04:05.000 PM" "Mar  9 2023 1:02:03.450 PM" }}|{{ toDate "02/01/06 15:04 MST" "10/03/23 01:32 PST" }})t",
     {},
     "2023-03-09 13:02:03.45 +0000 UTC|2023-03-10 01:32:00 +0000 PST"},
    {"toDate_failure_is_zero_time",
     R"t({{ toDate "2006-01-02" "garbage" }}|{{ toDate "2006-01-02" "2023-02-30" | unixEpoch }})t",
     {},
     "0001-01-01 00:00:00 +0000 UTC|-62135596800"},
};
class LogqlTemplateFunctionTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplateFunctionTest, Computes) {
  const Case& c = GetParam();
  EXPECT_EQ(Render(c.text, {c.labels, c.line, c.ts}), c.want) << c.text;
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplateFunctionTest,
                         ::testing::ValuesIn(kFunctionCases), CaseName);

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

const Case kParseErrorCases[] = {
    {"undefined_function", "{{ foo }}", {}, R"t(template: line:1: function "foo" not defined)t"},
    {"unexpected_in_operand",
     "{{ .a }x }}",
     {},
     R"t(template: line:1: unexpected "}" in operand)t"},
    {"unclosed_action", "{{ .a", {}, "template: line:1: unclosed action"},
    {"unexpected_eof", "{{ if .a }}x", {}, "template: line:1: unexpected EOF"},
    {"stray_end", "x{{ end }}", {}, "template: line:1: unexpected {{end}}"},
    {"stray_else", "{{ else }}", {}, "template: line:1: unexpected {{else}}"},
    {"undefined_variable", "{{ $x }}", {}, R"t(template: line:1: undefined variable "$x")t"},
    {"non_executable_stage",
     R"t({{ .a | "x" }})t",
     {},
     "template: line:1: non executable command in pipeline stage 2"},
    {"empty_action", "{{}}", {}, "template: line:1: missing value for command"},
    {"empty_parens", "{{ ( ) }}", {}, "template: line:1: missing value for parenthesized pipeline"},
    {"unterminated_string", R"t({{ "abc }})t", {}, "template: line:1: unterminated quoted string"},
    {"bad_number", "{{ 3x }}", {}, R"t(template: line:1: bad number syntax: "3x")t"},
    {"bad_character", "{{ .a# }}", {}, "template: line:1: bad character U+0023 '#'"},
    {"break_outside_range", "{{ break }}", {}, "template: line:1: {{break}} outside {{range}}"},
    {"unclosed_comment", "{{/* x }}", {}, "template: line:1: unclosed comment"},
    {"else_twice",
     "{{ if .a }}{{ else }}{{ else }}{{ end }}",
     {},
     "template: line:1: expected end; found {{else}}"},
    {"bad_escape", R"t({{ "\q" }})t", {}, "template: line:1: invalid syntax"},
    {"integer_overflow",
     "{{ 99999999999999999999 }}",
     {},
     "template: line:1: integer overflow: 99999999999999999999"},
    {"too_many_declarations",
     "{{ $a, $b := 1 }}",
     {},
     "template: line:1: too many declarations in command"},
    {"second_line", "a\nb {{ nope }}", {}, R"t(template: line:2: function "nope" not defined)t"},
    {"unexpected_right_paren", "{{ ) }}", {}, "template: line:1: unexpected right paren"},
    {"unsupported_template",
     R"t({{ template "x" }})t",
     {},
     "template: line:1: {{template}} is not supported"},
};
class LogqlTemplateParseErrorTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplateParseErrorTest, FailsToParse) {
  const Case& c = GetParam();
  auto t = Template::Parse(c.text);
  ASSERT_FALSE(t.ok()) << c.text;
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), c.want);
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplateParseErrorTest,
                         ::testing::ValuesIn(kParseErrorCases), CaseName);

const Case kExecErrorCases[] = {
    {"field_with_arguments",
     R"t({{.foo Replace "foo"}})t",
     {{"foo", "blip"}},
     R"t(template: line:1:2: executing "line" at <.foo>: foo is not a method but has arguments)t"},
    {"wrong_argument_count",
     "{{.foo | now}}",
     {{"foo", "blip"}},
     R"t(template: line:1:9: executing "line" at <now>: wrong number of args for now: want 0 got 1)t"},
    {"div_by_zero",
     "{{ div 1 0 }}",
     {},
     R"t(template: line:1:3: executing "line" at <div 1 0>: error calling div: runtime error: integer divide by zero)t"},
    {"divf_by_zero",
     "{{ divf 1 0 }}",
     {},
     R"t(template: line:1:3: executing "line" at <divf 1 0>: error calling divf: decimal division by 0)t"},
    {"bad_literal_regex",
     R"t({{ regexReplaceAll "(" .foo "x" }})t",
     {},
     "template: line:1:3: executing \"line\" at <regexReplaceAll \"(\" .foo \"x\">: error calling "
     "regexReplaceAll: error parsing regexp: missing closing ): `(`"},
    {"bad_dynamic_regex",
     R"t({{ .foo | count .re }})t",
     {{"re", "a)"}},
     R"t(template: line:1:10: executing "line" at <count .re>: error calling count: error parsing regexp: unexpected ): `a)`)t"},
    {"eq_incompatible",
     "{{ if eq .status 200 }}x{{ end }}",
     {{"status", "200"}},
     R"t(template: line:1:6: executing "line" at <eq .status 200>: error calling eq: incompatible types for comparison: string and int)t"},
    {"literal_of_wrong_type",
     R"t({{ trunc "5" .foo }})t",
     {},
     R"t(template: line:1:9: executing "line" at <"5">: expected integer; found "5")t"},
    {"value_of_wrong_type",
     "{{ trunc (add 1 2) .foo }}",
     {},
     R"t(template: line:1:16: executing "line" at <2>: wrong type for value; expected int; got int64)t"},
    {"field_of_string",
     "{{ .foo.bar }}",
     {{"foo", "x"}},
     R"t(template: line:1:7: executing "line" at <.foo.bar>: can't evaluate field bar in type string)t"},
    {"nil_command",
     "{{ nil }}",
     {},
     R"t(template: line:1:3: executing "line" at <nil>: nil is not a command)t"},
    {"argument_to_literal",
     R"t({{ "a" "b" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <"a">: can't give argument to non-function "a")t"},
    {"len_of_int",
     "{{ len 3 }}",
     {},
     R"t(template: line:1:3: executing "line" at <len 3>: error calling len: len of type int)t"},
    {"index_out_of_range",
     R"t({{ index "abc" 5 }})t",
     {},
     R"t(template: line:1:3: executing "line" at <index "abc" 5>: error calling index: index out of range: 5)t"},
    {"urldecode",
     R"t({{ urldecode "%zz" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <urldecode "%zz">: error calling urldecode: invalid URL escape "%zz")t"},
    {"duration_unit",
     R"t({{ duration "1x" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <duration "1x">: error calling duration: time: unknown unit "x" in duration "1x")t"},
    {"bytes_unit",
     R"t({{ bytes "12 XB" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <bytes "12 XB">: error calling bytes: unhandled size name: xb)t"},
    {"unixToTime",
     R"t({{ unixToTime "abc" }}{{ unixToTime "464" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <unixToTime "abc">: error calling unixToTime: unable to parse time 'abc': strconv.ParseInt: parsing "abc": invalid syntax)t"},
    {"unixToTime_length",
     R"t({{ unixToTime "464" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <unixToTime "464">: error calling unixToTime: unable to parse time '464': %!w(<nil>))t"},
    {"repeat_negative",
     R"t({{ repeat -1 "a" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <repeat -1 "a">: error calling repeat: strings: negative Repeat count)t"},
    {"substr_out_of_range",
     R"t({{ substr 3 1 "hello" }})t",
     {},
     R"t(template: line:1:3: executing "line" at <substr 3 1 "hello">: error calling substr: runtime error: slice bounds out of range [3:1])t"},
    {"assign_undeclared",
     "{{ $x = 1 }}",
     {},
     R"t(template: line:1:8: executing "line" at <1>: undefined variable: $x)t"},
    {"range_over_string",
     "{{ range .foo }}x{{ end }}",
     {{"foo", "abc"}},
     R"t(template: line:1:9: executing "line" at <.foo>: range can't iterate over abc)t"},
    {"addf_infinity",
     R"t({{ addf "inf" 1 }})t",
     {},
     R"t(template: line:1:3: executing "line" at <addf "inf" 1>: error calling addf: Cannot create a Decimal from +Inf)t"},
    {"lt_bool",
     "{{ lt true false }}",
     {},
     R"t(template: line:1:3: executing "line" at <lt true false>: error calling lt: invalid type for comparison)t"},
    {"json_field_of_null",
     R"t({{ (fromJson "{\"a\":null}").a.b }})t",
     {},
     "template: line:1:13: executing \"line\" at <\"{\\\"a\\\":null}\">: nil pointer evaluating "
     "interface {}.b"},
};
class LogqlTemplateExecErrorTest : public ::testing::TestWithParam<Case> {};
TEST_P(LogqlTemplateExecErrorTest, FailsToExecute) {
  const Case& c = GetParam();
  auto t = Template::Parse(c.text);
  ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().message();
  Entry e{c.labels, c.line, c.ts};
  std::string out = "kept";
  Status s = (*t)->Execute(InputOf(e), &out);
  ASSERT_FALSE(s.ok()) << c.text << " gave " << out;
  EXPECT_EQ(s.message(), c.want);
  EXPECT_EQ(out, "kept");  // nothing of the failed execution is left
}
INSTANTIATE_TEST_SUITE_P(LogqlTemplate, LogqlTemplateExecErrorTest,
                         ::testing::ValuesIn(kExecErrorCases), CaseName);

// ------------------------------------------------------------------------------------------------
// The rest of the interface
// ------------------------------------------------------------------------------------------------

TEST(LogqlTemplateTest, NamesTheTemplateInMessages) {
  EXPECT_EQ(Render(R"t({{replace "test" .foo}})t", Entry{{{"foo", "blip"}}, "", 0}, "label"),
            "ERROR: template: label:1:2: executing \"label\" at <replace>: wrong number of args "
            "for replace: want 3 got 2");
  EXPECT_EQ(Render("{{ nope }}", {}, "label"),
            R"t(PARSE ERROR: template: label:1: function "nope" not defined)t");
}

// Go allows 10000 nested parentheses on its growable stacks; a fixed thread stack takes 100.
TEST(LogqlTemplateTest, LimitsNesting) {
  auto nested = [](int n) {
    return "{{ " + std::string(static_cast<size_t>(n), '(') + "1" +
           std::string(static_cast<size_t>(n), ')') + " }}";
  };
  EXPECT_EQ(Render(nested(100)), "1");
  EXPECT_EQ(Render(nested(101)), "PARSE ERROR: template: line:1: max expression depth exceeded");
  std::string ifs;
  for (int i = 0; i < 1000; ++i) ifs += "{{ if 1 }}";
  EXPECT_EQ(Render(ifs), "PARSE ERROR: template: line:1: max expression depth exceeded");
}

TEST(LogqlTemplateTest, AppendsToTheOutput) {
  auto t = Template::Parse("{{ .a }}-{{ __line__ }}");
  ASSERT_TRUE(t.ok());
  Entry e{{{"a", "x"}}, "line", 0};
  std::string out = "prefix:";
  ASSERT_TRUE((*t)->Execute(InputOf(e), &out).ok());
  EXPECT_EQ(out, "prefix:x-line");
}

TEST(LogqlTemplateTest, RequiredLabelNamesAsLoki) {
  auto names = [](std::string_view text) {
    auto t = Template::Parse(text);
    EXPECT_TRUE(t.ok()) << text;
    return t.ok() ? (*t)->RequiredLabelNames() : std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("{{.foo}} and {{.bar}}"), (V{"foo", "bar"}));
  EXPECT_EQ(names("{{ .foo | ToUpper | .buzz }} and {{.bar}}"), (V{"foo", "buzz", "bar"}));
  EXPECT_EQ(names(R"t({{ regexReplaceAllLiteral "(p)" .foo "${1}" }})t"), (V{"foo"}));
  EXPECT_EQ(
      names(
          R"t({{ if  .foo | hasSuffix "Ip" }} {{.bar}} {{end}}-{{ if  .foo | hasSuffix "pw"}}no{{end}})t"),
      (V{"foo", "bar"}));
  EXPECT_EQ(names(R"t({{with .foo}}{{printf "%q" .}} {{else}} {{ .buzz | lower }} {{end}})t"),
            (V{"foo", "buzz"}));
  EXPECT_EQ(names("{{ .a.b }} {{ (.c) }}"), (V{"a", "b", "c"}));
}

TEST(LogqlTemplateTest, LabelListIsOptional) {
  auto t = Template::Parse("{{ .a }}{{ if . }}!{{ end }}");
  ASSERT_TRUE(t.ok());
  Entry e{{{"a", "x"}}, "", 0};
  std::string out;
  ASSERT_TRUE((*t)->Execute(InputOf(e, /*with_list=*/false), &out).ok());
  EXPECT_EQ(out, "x!");

  auto ranged = Template::Parse("{{ range . }}{{ . }}{{ end }}");
  ASSERT_TRUE(ranged.ok());
  out.clear();
  EXPECT_FALSE((*ranged)->Execute(InputOf(e, /*with_list=*/false), &out).ok());
}

TEST(LogqlTemplateTest, ExecutesConcurrently) {
  auto t = Template::Parse(
      R"t({{ .a | upper }}-{{ regexReplaceAll "(\\d+)" .b "<$1>" }}-{{ printf "%05.1f" (divf .n 3) }})t");
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 2000; ++i) {
        Entry e{
            {{"a", "abc"}, {"b", "x" + std::to_string(i)}, {"n", std::to_string(i * 3)}}, "", 0};
        std::string out;
        if (!(*t)->Execute(InputOf(e), &out).ok()) ++failures[static_cast<size_t>(k)];
        std::string want = "ABC-x<" + std::to_string(i) + ">-";
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%05.1f", static_cast<double>(i));
        if (out != want + buf) ++failures[static_cast<size_t>(k)];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace sluice::query::logql

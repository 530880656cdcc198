// Alert templates (query/alert_template.h): Go text/template with Prometheus' function set over an
// alert's data. Expected outputs and messages are Prometheus' (template/template_test.go,
// prometheus/common's helpers/templates/time_test.go), with the prelude Prometheus' alerting rule
// puts before every template (112 bytes: error columns count from its start).
#include "query/alert_template.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "query/logql_template.h"

namespace sluice::query {
namespace {

constexpr size_t kPreludeSize = 112;

struct Alert {
  storage::Labels labels = {{"instance", "host1.example.com:9100"}, {"job", "node"}};
  storage::Labels external = {{"cluster", "eu-1"}, {"replica", "a"}};
  bool no_external = false;
  std::string url = "http://testhost:9090/path/prefix";
  double value = 0.5;
  std::optional<int64_t> now_ms = 1'700'000'000'123;
};

// The output, or the error prefixed with "PARSE ERROR: " or "ERROR: ".
std::string Expand(std::string_view text, const Alert& a = {}, std::string_view name = "test") {
  auto t = AlertTemplate::Parse(text, std::string("__alert_") + std::string(name));
  if (!t.ok()) return "PARSE ERROR: " + t.status().message();
  AlertTemplateData data;
  data.labels = &a.labels;
  data.external_labels = a.no_external ? nullptr : &a.external;
  data.external_url = a.url;
  data.value = a.value;
  data.now_ms = a.now_ms;
  std::string out = "kept:";
  Status s = (*t)->Execute(data, &out);
  if (!s.ok()) {
    // On an error nothing is appended.
    if (out != "kept:") return "ERROR (output changed): " + out;
    return "ERROR: " + s.message();
  }
  return out.substr(5);
}

Alert WithValue(double v) {
  Alert a;
  a.value = v;
  return a;
}

std::string Col(size_t column_in_text) { return std::to_string(kPreludeSize + column_in_text); }

TEST(AlertTemplateTest, PlainTextAndConstants) {
  EXPECT_EQ(Expand("plain text"), "plain text");
  EXPECT_EQ(Expand("{{ 1 }}"), "1");
  EXPECT_EQ(Expand("{{ \"<b>\" }}"), "<b>");  // no HTML escaping in text templates
  EXPECT_EQ(Expand("{{ \"<b>\" | safeHtml }}"), "<b>");
  EXPECT_EQ(Expand(""), "");
}

TEST(AlertTemplateTest, LabelAccessForms) {
  EXPECT_EQ(Expand("{{ $labels.job }}"), "node");
  EXPECT_EQ(Expand("{{ .Labels.job }}"), "node");
  EXPECT_EQ(Expand("{{ index $labels \"instance\" }}"), "host1.example.com:9100");
  EXPECT_EQ(Expand("{{ index .Labels \"job\" }}"), "node");
  EXPECT_EQ(Expand("{{ $labels.job | toUpper }}"), "NODE");
  EXPECT_EQ(Expand("{{ with $labels.job }}{{ . }}!{{ end }}"), "node!");
  EXPECT_EQ(Expand("{{ if eq $labels.job \"node\" }}yes{{ else }}no{{ end }}"), "yes");
  EXPECT_EQ(Expand("Instance {{ $labels.instance }} of job {{ $labels.job }} is down"),
            "Instance host1.example.com:9100 of job node is down");
}

TEST(AlertTemplateTest, MissingKeysAreEmpty) {
  // Prometheus executes with missingkey=zero: a map[string]string gives "".
  EXPECT_EQ(Expand("[{{ $labels.nope }}]"), "[]");
  EXPECT_EQ(Expand("[{{ .Labels.nope }}]"), "[]");
  EXPECT_EQ(Expand("[{{ index $labels \"nope\" }}]"), "[]");
  EXPECT_EQ(Expand("[{{ $externalLabels.nope }}]"), "[]");
  EXPECT_EQ(Expand("{{ if $labels.nope }}set{{ else }}unset{{ end }}"), "unset");
  Alert none;
  none.no_external = true;  // a nil map
  EXPECT_EQ(Expand("[{{ $externalLabels.cluster }}][{{ index .ExternalLabels \"x\" }}]", none),
            "[][]");
}

TEST(AlertTemplateTest, RangesOverMapsInKeyOrder) {
  Alert a;
  a.labels = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_EQ(Expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", a), "a=1;b=2;c=3;");
  EXPECT_EQ(Expand("{{ range $labels }}{{ . }},{{ end }}", a), "1,2,3,");
  EXPECT_EQ(Expand("{{ range $v := .Labels }}{{ $v }}{{ end }}", a), "123");
  EXPECT_EQ(Expand("{{ range $k, $v := $labels }}{{ if eq $k \"b\" }}{{ break }}{{ end }}{{ $v }}"
                   "{{ end }}",
                   a),
            "1");
  EXPECT_EQ(Expand("{{ len $labels }} {{ len .ExternalLabels }}", a), "3 2");
  EXPECT_EQ(Expand("{{ $labels }}", a), "map[a:1 b:2 c:3]");
  EXPECT_EQ(Expand("{{ printf \"%v|%d\" $labels (len $labels) }}", a), "map[a:1 b:2 c:3]|3");
  EXPECT_EQ(Expand("{{ range $k, $v := $externalLabels }}{{ $k }}:{{ $v }} {{ end }}"),
            "cluster:eu-1 replica:a ");

  Alert empty;
  empty.labels = {};
  empty.no_external = true;
  EXPECT_EQ(Expand("{{ range $labels }}x{{ else }}none{{ end }}", empty), "none");
  EXPECT_EQ(Expand("{{ range $externalLabels }}x{{ else }}none{{ end }}", empty), "none");
  EXPECT_EQ(Expand("{{ len $externalLabels }}{{ $externalLabels }}", empty), "0map[]");
  EXPECT_EQ(Expand("{{ if $labels }}some{{ else }}empty{{ end }}", empty), "empty");
  EXPECT_EQ(Expand("{{ if $labels }}some{{ else }}empty{{ end }}"), "some");
}

TEST(AlertTemplateTest, ExternalLabelsAndUrl) {
  EXPECT_EQ(Expand("{{ $externalLabels.cluster }}/{{ .ExternalLabels.replica }}"), "eu-1/a");
  EXPECT_EQ(Expand("{{ $externalURL }}|{{ .ExternalURL }}"),
            "http://testhost:9090/path/prefix|http://testhost:9090/path/prefix");
  EXPECT_EQ(Expand("{{ externalURL }}"), "http://testhost:9090/path/prefix");
  EXPECT_EQ(Expand("{{ pathPrefix }}"), "/path/prefix");
  Alert a;
  a.url = "https://prom.example.com";
  EXPECT_EQ(Expand("[{{ pathPrefix }}]", a), "[]");
  a.url = "http://h/a%20b/c?x=1#f";
  EXPECT_EQ(Expand("{{ pathPrefix }}", a), "/a b/c");
  EXPECT_EQ(Expand("<a href=\"{{ $externalURL }}{{ graphLink \"up == 0\" }}\">", a),
            "<a href=\"http://h/a%20b/c?x=1#f/graph?g0.expr=up+%3D%3D+0&g0.tab=0\">");
}

TEST(AlertTemplateTest, ValuePrintsAsGoFloat) {
  EXPECT_EQ(Expand("{{ $value }}", WithValue(0.5)), "0.5");
  EXPECT_EQ(Expand("{{ .Value }}", WithValue(3)), "3");
  EXPECT_EQ(Expand("{{ $value }}", WithValue(1e6)), "1e+06");
  EXPECT_EQ(Expand("{{ $value }}", WithValue(123456.789)), "123456.789");
  EXPECT_EQ(Expand("{{ $value }}", WithValue(1e21)), "1e+21");
  EXPECT_EQ(Expand("{{ $value }}", WithValue(-0.000012)), "-1.2e-05");
  EXPECT_EQ(Expand("{{ $value }}", WithValue(std::nan(""))), "NaN");
  EXPECT_EQ(Expand("{{ $value }}", WithValue(INFINITY)), "+Inf");
  EXPECT_EQ(Expand("{{ printf \"%.2f\" $value }}", WithValue(2.345678)), "2.35");
  EXPECT_EQ(Expand("{{ printf \"%T\" $value }}"), "float64");
  EXPECT_EQ(Expand("{{ if gt $value 0.4 }}high{{ end }}", WithValue(0.5)), "high");
  EXPECT_EQ(Expand("{{ $value | humanize }}", WithValue(1234567)), "1.235M");
}

TEST(AlertTemplateTest, Humanize) {
  // template_test.go: float64, string and int inputs.
  EXPECT_EQ(Expand("{{ humanize 0.0 }}:{{ humanize 1.0 }}:{{ humanize 1234567.0 }}:"
                   "{{ humanize .12 }}"),
            "0:1:1.235M:120m");
  EXPECT_EQ(Expand("{{ humanize \"0.0\" }}:{{ humanize \"1.0\" }}:{{ humanize \"1234567.0\" }}:"
                   "{{ humanize \".12\" }}"),
            "0:1:1.235M:120m");
  EXPECT_EQ(Expand("{{ humanize 0 }}:{{ humanize -1 }}:{{ humanize 1 }}:{{ humanize 1234567 }}:"
                   "{{ humanize 9223372036854775807 }}"),
            "0:-1:1:1.235M:9.223E");
  EXPECT_EQ(Expand("{{ humanize $value }}", WithValue(18446744073709551615.0)), "18.45E");
  EXPECT_EQ(Expand("{{ humanize 0.000001234 }}|{{ humanize -2500 }}|{{ humanize 1e30 }}"),
            "1.234u|-2.5k|1e+06Y");
}

TEST(AlertTemplateTest, Humanize1024) {
  EXPECT_EQ(Expand("{{ humanize1024 0.0 }}:{{ humanize1024 1.0 }}:{{ humanize1024 1048576.0 }}:"
                   "{{ humanize1024 .12 }}"),
            "0:1:1Mi:0.12");
  EXPECT_EQ(Expand("{{ humanize1024 \"0.0\" }}:{{ humanize1024 \"1.0\" }}:"
                   "{{ humanize1024 \"1048576.0\" }}:{{ humanize1024 \".12\" }}"),
            "0:1:1Mi:0.12");
  EXPECT_EQ(Expand("{{ humanize1024 0 }}:{{ humanize1024 -1 }}:{{ humanize1024 1 }}:"
                   "{{ humanize1024 1234567 }}:{{ humanize1024 9223372036854775807 }}"),
            "0:-1:1:1.177Mi:8Ei");
  EXPECT_EQ(Expand("{{ humanize1024 $value }}", WithValue(18446744073709551615.0)), "16Ei");
}

TEST(AlertTemplateTest, HumanizeDuration) {
  EXPECT_EQ(Expand("{{ humanizeDuration 0 }}:{{ humanizeDuration 1 }}:{{ humanizeDuration 60 }}:"
                   "{{ humanizeDuration 3600 }}:{{ humanizeDuration 86400 }}:"
                   "{{ humanizeDuration 90000 }}:{{ humanizeDuration -183845 }}:"
                   "{{ humanizeDuration 899.99 }}"),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s");
  EXPECT_EQ(Expand("{{ humanizeDuration \"0\" }}:{{ humanizeDuration \"1\" }}:"
                   "{{ humanizeDuration \"60\" }}:{{ humanizeDuration \"3600\" }}:"
                   "{{ humanizeDuration \"86400\" }}"),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s");
  EXPECT_EQ(Expand("{{ humanizeDuration .1 }}:{{ humanizeDuration .0001 }}:"
                   "{{ humanizeDuration .12345 }}:{{ humanizeDuration 60.1 }}:"
                   "{{ humanizeDuration 60.5 }}:{{ humanizeDuration 1.2345 }}:"
                   "{{ humanizeDuration 12.345 }}"),
            "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s");
  EXPECT_EQ(Expand("{{ humanizeDuration \".1\" }}:{{ humanizeDuration \".0001\" }}:"
                   "{{ humanizeDuration \".12345\" }}:{{ humanizeDuration \"60.1\" }}:"
                   "{{ humanizeDuration \"60.5\" }}:{{ humanizeDuration \"1.2345\" }}:"
                   "{{ humanizeDuration \"12.345\" }}"),
            "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s");
  EXPECT_EQ(Expand("{{ humanizeDuration 0 }}:{{ humanizeDuration -1 }}:{{ humanizeDuration 1 }}:"
                   "{{ humanizeDuration 1234567 }}"),
            "0s:-1s:1s:14d 6h 56m 7s");
  EXPECT_EQ(Expand("{{ $value | humanizeDuration }}", WithValue(90)), "1m 30s");
}

TEST(AlertTemplateTest, HumanizeInfAndNaN) {
  const std::string text =
      "{{ humanize $value }}:{{ humanize1024 $value }}:{{ humanizeDuration $value }}:"
      "{{ humanizeTimestamp $value }}";
  EXPECT_EQ(Expand(text, WithValue(INFINITY)), "+Inf:+Inf:+Inf:+Inf");
  EXPECT_EQ(Expand(text, WithValue(-INFINITY)), "-Inf:-Inf:-Inf:-Inf");
  EXPECT_EQ(Expand(text, WithValue(std::nan(""))), "NaN:NaN:NaN:NaN");
  for (const char* s : {"+Inf", "-Inf", "NaN"}) {
    std::string t = std::string("{{ $s := \"") + s +
                    "\" }}{{ humanize $s }}:{{ humanize1024 $s }}:{{ humanizeDuration $s }}:"
                    "{{ humanizeTimestamp $s }}";
    EXPECT_EQ(Expand(t), std::string(s) + ":" + s + ":" + s + ":" + s) << s;
  }
}

TEST(AlertTemplateTest, HumanizePercentage) {
  EXPECT_EQ(Expand("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:"
                   "{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}"),
            "-22.22%:0%:12.35%:123.5%");
  EXPECT_EQ(Expand("{{ humanizePercentage 0 }}:{{ humanizePercentage -1 }}:"
                   "{{ humanizePercentage 1 }}:{{ humanizePercentage 1234567 }}:"
                   "{{ humanizePercentage 9223372036854775807 }}"),
            "0%:-100%:100%:1.235e+08%:9.223e+20%");
  EXPECT_EQ(
      Expand("{{ \"-0.22222\" | humanizePercentage }}:{{ \"0.0\" | humanizePercentage }}:"
             "{{ \"0.1234567\" | humanizePercentage }}:{{ \"1.23456\" | humanizePercentage }}"),
      "-22.22%:0%:12.35%:123.5%");
  EXPECT_EQ(Expand("{{ $value | humanizePercentage }}", WithValue(0.1234)), "12.34%");
}

TEST(AlertTemplateTest, HumanizeTimestampAndToTime) {
  EXPECT_EQ(Expand("{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp -1 }}|{{ humanizeTimestamp 1 }}|"
                   "{{ humanizeTimestamp 1234567 }}|{{ humanizeTimestamp 9223372036 }}"),
            "1970-01-01 00:00:00 +0000 UTC|1969-12-31 23:59:59 +0000 UTC|"
            "1970-01-01 00:00:01 +0000 UTC|1970-01-15 06:56:07 +0000 UTC|"
            "2262-04-11 23:47:16 +0000 UTC");
  EXPECT_EQ(Expand("{{ 1435065584.128 | humanizeTimestamp }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Expand("{{ \"1435065584.128\" | humanizeTimestamp }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  // Milliseconds: model.TimeFromUnixNano truncates.
  EXPECT_EQ(Expand("{{ humanizeTimestamp 1.0009999 }}|{{ humanizeTimestamp -0.5 }}"),
            "1970-01-01 00:00:01 +0000 UTC|1969-12-31 23:59:59.5 +0000 UTC");
  EXPECT_EQ(Expand("{{ (1435065584.128 | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Expand("{{ (\"1435065584.128\" | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Expand("{{ toTime 1657155181 }}|{{ (toTime 1657155181).Unix }}"),
            "2022-07-07 00:53:01 +0000 UTC|1657155181");
  EXPECT_EQ(Expand("{{ toTime $value }}", WithValue(NAN)),
            "ERROR: template: __alert_test:1:" + Col(3) +
                ": executing \"__alert_test\" at <toTime $value>: error calling toTime: value is "
                "NaN or Inf");
}

TEST(AlertTemplateTest, ToDurationAndNow) {
  EXPECT_EQ(
      Expand("{{ toDuration 90 }}|{{ toDuration 0.0015 }}|{{ toDuration -3725.5 }}|"
             "{{ toDuration 0 }}|{{ toDuration \"0.000000002\" }}|{{ toDuration 0.0000025 }}"),
      "1m30s|1.5ms|-1h2m5.5s|0s|2ns|2.5\xC2\xB5s");
  EXPECT_EQ(Expand("{{ (toDuration 5400).Hours }} {{ (toDuration 90).Minutes }} "
                   "{{ (toDuration 1.5).Seconds }} {{ (toDuration 1.5).Milliseconds }}"),
            "1.5 1.5 1.5 1500");
  EXPECT_EQ(Expand("{{ printf \"%T\" (toDuration 1) }}"), "*time.Duration");
  // *time.Duration is not one of the types humanize converts.
  EXPECT_EQ(Expand("{{ toDuration 1 | humanizeDuration }}"),
            "ERROR: template: __alert_test:1:" + Col(18) +
                ": executing \"__alert_test\" at <humanizeDuration>: error calling "
                "humanizeDuration: can't convert *time.Duration to float");

  EXPECT_EQ(Expand("{{ now }}"), "1.700000000123e+09");
  EXPECT_EQ(Expand("{{ now | humanizeTimestamp }}"), "2023-11-14 22:13:20.122 +0000 UTC");
  EXPECT_EQ(Expand("{{ (now | toTime).Year }}"), "2023");
  Alert wall;
  wall.now_ms.reset();
  std::string year = Expand("{{ (now | toTime).Year }}", wall);
  EXPECT_GE(std::stoi(year), 2024);
}

TEST(AlertTemplateTest, StringFunctions) {
  EXPECT_EQ(Expand("{{ \"aa bb CC\" | title }}"), "Aa Bb CC");
  EXPECT_EQ(Expand("{{ \"aa bb CC\" | toUpper }}"), "AA BB CC");
  EXPECT_EQ(Expand("{{ \"aA bB CC\" | toLower }}"), "aa bb cc");
  // cases.Title, not strings.Title: an apostrophe inside a word does not start a new one.
  EXPECT_EQ(Expand("{{ title \"don't stop-me now_please\" }}"), "Don't Stop-Me Now_please");
  EXPECT_EQ(Expand("{{ title \"émile zola\" }}"), "Émile Zola");
  EXPECT_EQ(Expand("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}"), "true false");
  EXPECT_EQ(Expand("{{ match \"^node$\" $labels.job }}"), "true");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}"), "xa");
  EXPECT_EQ(Expand("{{ reReplaceAll \":.*\" \"\" $labels.instance }}"), "host1.example.com");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(?P<h>[^.]+)\\\\..*\" \"${h}\" $labels.instance }}"),
            "host1");
  EXPECT_EQ(Expand("{{ graphLink \"up\" }}"), "/graph?g0.expr=up&g0.tab=0");
  EXPECT_EQ(Expand("{{ tableLink \"up\" }}"), "/graph?g0.expr=up&g0.tab=1");
  EXPECT_EQ(Expand("{{ tableLink \"rate(x{a=\\\"b c\\\"}[5m])\" }}"),
            "/graph?g0.expr=rate%28x%7Ba%3D%22b+c%22%7D%5B5m%5D%29&g0.tab=1");
  EXPECT_EQ(Expand("{{ urlQueryEscape \"a b&c=d/é\" }}"), "a+b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(Expand("{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}"), "3720.01");
  EXPECT_EQ(Expand("{{ parseDuration \"1d\" }} {{ parseDuration \"0\" }}"), "86400 0");
  EXPECT_EQ(Expand("{{ \"<b>\" | html }} {{ \"a b\" | urlquery }} {{ js \"'\" }}"),
            "&lt;b&gt; a+b \\'");
}

TEST(AlertTemplateTest, StripPortAndDomain) {
  struct Case {
    const char* in;
    const char* port;
    const char* domain;
  };
  for (const Case& c : {
           Case{"foo.example.com", "foo.example.com", "foo"},
           Case{"foo.example.com:12345", "foo.example.com", "foo:12345"},
           Case{"192.0.2.1", "192.0.2.1", "192.0.2.1"},
           Case{"192.0.2.1:12345", "192.0.2.1", "192.0.2.1:12345"},
           Case{"2001:0DB8::1", "2001:0DB8::1", "2001:0DB8::1"},
           Case{"[2001:0DB8::1]:12345", "2001:0DB8::1", "[2001:0DB8::1]:12345"},
           Case{"[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"},
       }) {
    EXPECT_EQ(Expand(std::string("{{ \"") + c.in + "\" | stripPort }}"), c.port) << c.in;
    EXPECT_EQ(Expand(std::string("{{ \"") + c.in + "\" | stripDomain }}"), c.domain) << c.in;
  }
  EXPECT_EQ(Expand("{{ $labels.instance | stripPort }} {{ $labels.instance | stripDomain }}"),
            "host1.example.com host1:9100");
}

TEST(AlertTemplateTest, ParseErrors) {
  EXPECT_EQ(Expand("{{"), "PARSE ERROR: template: __alert_test:1: unclosed action");
  EXPECT_EQ(Expand("{{ foo }}"),
            "PARSE ERROR: template: __alert_test:1: function \"foo\" not defined");
  EXPECT_EQ(Expand("{{ end }}"), "PARSE ERROR: template: __alert_test:1: unexpected {{end}}");
  EXPECT_EQ(Expand("a\nb\n{{ if $value }}", {}, "HighLatency"),
            "PARSE ERROR: template: __alert_HighLatency:3: unexpected EOF");
  EXPECT_EQ(Expand("{{ $nope }}"),
            "PARSE ERROR: template: __alert_test:1: undefined variable \"$nope\"");
  // The functions that need a query engine or named templates are not there.
  for (const char* f :
       {"query", "first", "label", "value", "strvalue", "sortByLabel", "args", "tmpl"}) {
    EXPECT_EQ(
        Expand(std::string("{{ ") + f + " }}"),
        std::string("PARSE ERROR: template: __alert_test:1: function \"") + f + "\" not defined")
        << f;
  }
  // Loki's functions are not Prometheus', and the other way round.
  EXPECT_EQ(Expand("{{ ToUpper \"a\" }}"),
            "PARSE ERROR: template: __alert_test:1: function \"ToUpper\" not defined");
  auto loki = logql::Template::Parse("{{ humanize 1 }}");
  ASSERT_FALSE(loki.ok());
  EXPECT_EQ(loki.status().message(), "template: line:1: function \"humanize\" not defined");
  EXPECT_TRUE(logql::Template::Parse("{{ title \"x\" }}{{ ToUpper \"y\" }}").ok());
}

TEST(AlertTemplateTest, ExecutionErrors) {
  auto err = [](size_t column, std::string_view context, std::string_view message) {
    return "ERROR: template: __alert_test:1:" + Col(column) + ": executing \"__alert_test\" at <" +
           std::string(context) + ">: " + std::string(message);
  };
  EXPECT_EQ(Expand("{{ humanize \"one\" }}"),
            err(3, "humanize \"one\"",
                "error calling humanize: strconv.ParseFloat: parsing \"one\": invalid syntax"));
  EXPECT_EQ(Expand("{{ humanize1024 \"one\" }}"),
            err(3, "humanize1024 \"one\"",
                "error calling humanize1024: strconv.ParseFloat: parsing \"one\": invalid syntax"));
  EXPECT_EQ(
      Expand("{{ humanizeDuration \"one\" }}"),
      err(3, "humanizeDuration \"one\"",
          "error calling humanizeDuration: strconv.ParseFloat: parsing \"one\": invalid syntax"));
  EXPECT_EQ(Expand("{{ \"one\" | humanizePercentage }}"),
            err(11, "humanizePercentage",
                "error calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid "
                "syntax"));
  EXPECT_EQ(
      Expand("{{ humanize \"1e999\" }}"),
      err(3, "humanize \"1e999\"",
          "error calling humanize: strconv.ParseFloat: parsing \"1e999\": value out of range"));
  EXPECT_EQ(Expand("{{ humanize true }}"),
            err(3, "humanize true", "error calling humanize: can't convert bool to float"));
  EXPECT_EQ(Expand("{{ humanizeTimestamp -9223372036854775808 }}"),
            err(3, "humanizeTimestamp -9223372036854775808",
                "error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as "
                "a nanoseconds timestamp since it overflows int64"));
  EXPECT_EQ(Expand("{{ humanizeTimestamp $value }}", WithValue(18446744073709551615.0)),
            err(3, "humanizeTimestamp $value",
                "error calling humanizeTimestamp: 1.8446744073709552e+19 cannot be represented as "
                "a nanoseconds timestamp since it overflows int64"));
  EXPECT_EQ(Expand("{{ .Foo }}"),
            err(3, ".Foo",
                "can't evaluate field Foo in type struct { Labels map[string]string; "
                "ExternalLabels map[string]string; ExternalURL string; Value interface {} }"));
  EXPECT_EQ(Expand("{{ reReplaceAll \"(\" \"x\" \"y\" }}"),
            err(3, "reReplaceAll \"(\" \"x\" \"y\"",
                "error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing "
                "closing ): `(`"));
  EXPECT_EQ(Expand("{{ match \"(\" \"y\" }}"),
            err(3, "match \"(\" \"y\"",
                "error calling match: error parsing regexp: missing closing ): `(`"));
  EXPECT_EQ(Expand("{{ parseDuration \"1x\" }}"),
            err(3, "parseDuration \"1x\"",
                "error calling parseDuration: unknown unit \"x\" in duration \"1x\""));
  EXPECT_EQ(Expand("{{ parseDuration \"m5\" }}"),
            err(3, "parseDuration \"m5\"",
                "error calling parseDuration: not a valid duration string: \"m5\""));
  EXPECT_EQ(Expand("{{ toUpper 1 }}"), err(11, "1", "expected string; found 1"));
  EXPECT_EQ(Expand("{{ $labels.job 1 }}"),
            err(10, "$labels.job", "job is not a method but has arguments"));
  // Lines count from the prelude's line; columns on later lines from their start.
  EXPECT_EQ(Expand("ok\n  {{ humanize \"x\" }}"),
            "ERROR: template: __alert_test:2:5: executing \"__alert_test\" at <humanize \"x\">: "
            "error calling humanize: strconv.ParseFloat: parsing \"x\": invalid syntax");
  // A failing template gives no partial output (Execute leaves *out as it was).
  EXPECT_EQ(Expand("before {{ humanize \"x\" }} after").rfind("ERROR: ", 0), 0u);
}

TEST(AlertTemplateTest, ExecuteFromSeveralThreads) {
  auto t = AlertTemplate::Parse(
      "{{ range $k, $v := $labels }}{{ $k }}={{ $v | toUpper }} {{ end }}{{ humanize $value }} "
      "{{ humanizeDuration $value }} {{ reReplaceAll \"[0-9]\" \"#\" $labels.id }}",
      "__alert_T");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const AlertTemplate& tmpl = **t;
  constexpr int kThreads = 4;
  constexpr int kIterations = 300;
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kIterations; ++n) {
        storage::Labels labels = {{"id", std::to_string(i * 1000 + n)},
                                  {"t", "x" + std::to_string(i)}};
        AlertTemplateData data;
        data.labels = &labels;
        data.value = 1000.0 * (n + 1);
        std::string out;
        Status s = tmpl.Execute(data, &out);
        std::string id(std::to_string(i * 1000 + n).size(), '#');
        std::string want = "id=" + std::to_string(i * 1000 + n) + " t=X" + std::to_string(i) + " ";
        if (!s.ok() || out.rfind(want, 0) != 0 || !out.ends_with(" " + id)) {
          failures[static_cast<size_t>(i)] = s.ok() ? out : s.message();
          return;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(failures[static_cast<size_t>(i)], "") << "thread " << i;
  }
  // And the values themselves, single-threaded, for one input.
  storage::Labels labels = {{"id", "42"}, {"t", "x"}};
  AlertTemplateData data;
  data.labels = &labels;
  data.value = 90000;
  std::string out;
  ASSERT_TRUE(tmpl.Execute(data, &out).ok());
  EXPECT_EQ(out, "id=42 t=X 90k 1d 1h 0m 0s ##");
}

TEST(AlertTemplateTest, RequiresLabels) {
  auto t = AlertTemplate::Parse("x", "__alert_X");
  ASSERT_TRUE(t.ok());
  AlertTemplateData data;
  std::string out;
  EXPECT_FALSE((*t)->Execute(data, &out).ok());
}

}  // namespace
}  // namespace sluice::query

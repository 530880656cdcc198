#include "alerting/rule_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace sluice::alerting {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

// The error text of a file that must not parse.
std::string ParseError(std::string_view content, RuleLanguage language = RuleLanguage::kPromQL) {
  Result<std::vector<RuleGroupSpec>> r = ParseRuleFile("rules.yml", content, language);
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(RuleFileTest, ParsesPromQLRulesWithAllFields) {
  constexpr std::string_view kFile = R"y(# Prometheus' example, and then some.
groups:
  - name: example
    interval: 30s
    limit: 10
    query_offset: 1m
    rules:
      - record: code:prometheus_http_requests_total:sum
        expr: sum by (code) (prometheus_http_requests_total)
        labels:
          team: "infra"
      - alert: HighRequestLatency
        expr: |
          job:request_latency_seconds:mean5m{job="myjob"} > 0.5
        for: 10m
        keep_firing_for: 1h30m
        labels:
          severity: page
          env: prod
        annotations:
          summary: High request latency
  - name: second
    rules:
      - alert: Always
        expr: vector(1)
)y";
  Result<std::vector<RuleGroupSpec>> r = ParseRuleFile("rules.yml", kFile, RuleLanguage::kPromQL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);

  RuleGroupSpec want;
  want.file = "rules.yml";
  want.name = "example";
  want.language = RuleLanguage::kPromQL;
  want.interval_ms = 30 * 1000;
  want.limit = 10;
  want.query_offset_ms = kMinute;
  RuleSpec record;
  record.record = "code:prometheus_http_requests_total:sum";
  record.expr = "sum by (code) (prometheus_http_requests_total)";
  record.labels = {{"team", "infra"}};
  record.line = 8;
  RuleSpec alert;
  alert.alert = "HighRequestLatency";
  alert.expr = "job:request_latency_seconds:mean5m{job=\"myjob\"} > 0.5\n";
  alert.for_ms = 10 * kMinute;
  alert.keep_firing_for_ms = kHour + 30 * kMinute;
  alert.labels = {{"env", "prod"}, {"severity", "page"}};  // canonical: sorted
  alert.annotations = {{"summary", "High request latency"}};
  alert.line = 12;
  want.rules = {record, alert};
  EXPECT_EQ((*r)[0], want);
  EXPECT_FALSE((*r)[0].rules[0].is_alert());
  EXPECT_EQ((*r)[0].rules[0].name(), "code:prometheus_http_requests_total:sum");
  EXPECT_TRUE((*r)[0].rules[1].is_alert());

  const RuleGroupSpec& second = (*r)[1];
  EXPECT_EQ(second.name, "second");
  EXPECT_EQ(second.interval_ms, 0);
  EXPECT_EQ(second.limit, 0);
  EXPECT_EQ(second.query_offset_ms, 0);
  ASSERT_EQ(second.rules.size(), 1u);
  EXPECT_EQ(second.rules[0].line, 24);
  EXPECT_EQ(second.rules[0].name(), "Always");
}

TEST(RuleFileTest, ParsesLokiRulerFiles) {
  // Loki's documentation example, with LogQL alerting and recording rules.
  constexpr std::string_view kFile = R"y(groups:
  - name: should_fire
    rules:
      - alert: HighPercentageError
        expr: |
          sum(rate({app="foo", env="production"} |= "error" [5m])) by (job)
            /
          sum(rate({app="foo", env="production"}[5m])) by (job)
            > 0.05
        for: 10m
        labels:
          severity: page
        annotations:
          summary: High request latency
      - alert: Errors
        expr: sum by (job) (rate({app="x"} |= "error" [5m])) > 0
  - name: recordings
    interval: 1m
    rules:
      - record: nginx:requests:rate1m
        expr: sum(rate({container="nginx"}[1m]))
        labels:
          cluster: us-central1
)y";
  Result<std::vector<RuleGroupSpec>> r = ParseRuleFile("loki.yml", kFile, RuleLanguage::kLogQL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].language, RuleLanguage::kLogQL);
  EXPECT_EQ((*r)[0].file, "loki.yml");
  ASSERT_EQ((*r)[0].rules.size(), 2u);
  EXPECT_EQ((*r)[0].rules[1].expr, R"q(sum by (job) (rate({app="x"} |= "error" [5m])) > 0)q");
  EXPECT_EQ((*r)[1].interval_ms, kMinute);
  EXPECT_EQ((*r)[1].rules[0].record, "nginx:requests:rate1m");
  EXPECT_EQ((*r)[1].rules[0].labels, (storage::Labels{{"cluster", "us-central1"}}));

  // The same file is not PromQL: `|=` does not parse there.
  EXPECT_THAT(ParseError(kFile, RuleLanguage::kPromQL),
              StartsWith("rules.yml:5:15: group \"should_fire\", rule 1, \"HighPercentageError\": "
                         "could not parse expression: "));
}

TEST(RuleFileTest, LogQLRulesMustBeMetricQueries) {
  EXPECT_EQ(ParseError(R"y(groups:
  - name: g
    rules:
      - alert: Logs
        expr: '{app="x"} |= "error"'
      - record: bad_syntax
        expr: sum(rate({app="x"}))
)y",
                       RuleLanguage::kLogQL),
            "rules.yml:5:15: group \"g\", rule 1, \"Logs\": could not parse expression: only "
            "sample expression supported\n"
            "rules.yml:7:15: group \"g\", rule 2, \"bad_syntax\": could not parse expression: "
            "parse error at line 1, col 19: syntax error: unexpected )");
}

TEST(RuleFileTest, EmptyFilesHaveNoGroups) {
  for (std::string_view content : {"", "# nothing yet\n", "groups:\n", "groups: []\n"}) {
    Result<std::vector<RuleGroupSpec>> r =
        ParseRuleFile("rules.yml", content, RuleLanguage::kPromQL);
    ASSERT_TRUE(r.ok()) << content << ": " << r.status().ToString();
    EXPECT_TRUE(r->empty()) << content;
  }
  // A group without rules is a group.
  Result<std::vector<RuleGroupSpec>> r =
      ParseRuleFile("rules.yml", "groups:\n  - name: g\n", RuleLanguage::kPromQL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].rules.empty());
}

// A one-rule file whose alert has `for: <duration>`.
std::string ForFile(std::string_view duration) {
  return "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        "
         "for: " +
         std::string(duration) + "\n";
}

TEST(RuleFileTest, DurationsAreModelDurations) {
  struct Case {
    std::string_view text;
    int64_t ms;
  };
  for (const Case& c : {Case{"0", 0}, Case{"500ms", 500}, Case{"90s", 90 * 1000},
                        Case{"1h30m", kHour + 30 * kMinute}, Case{"1d", 24 * kHour},
                        Case{"1w", 7 * 24 * kHour}, Case{"1y", 365 * 24 * kHour},
                        Case{"1d2h3m4s5ms", 24 * kHour + 2 * kHour + 3 * kMinute + 4005},
                        Case{"\"5m\"", 5 * kMinute}, Case{"", 0}}) {
    Result<std::vector<RuleGroupSpec>> r =
        ParseRuleFile("rules.yml", ForFile(c.text), RuleLanguage::kPromQL);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ((*r)[0].rules[0].for_ms, c.ms) << c.text;
  }
  // No fractions, no sign, units in order, a unit is required.
  for (std::string_view bad : {"1.5h", "-5m", "5", "1m1h", "5 m", "1h1h"}) {
    EXPECT_EQ(ParseError(ForFile(bad)),
              "rules.yml:6:14: not a valid duration string: \"" + std::string(bad) + "\"")
        << bad;
  }
  EXPECT_EQ(ParseError(ForFile("\"\"")), "rules.yml:6:14: empty duration string");
  EXPECT_EQ(ParseError(ForFile("[5m]")), "rules.yml:6:14: cannot unmarshal !!seq into string");
}

TEST(RuleFileTest, UnknownFieldsAreErrors) {
  EXPECT_EQ(ParseError(R"y(groups:
  - name: g
    labels:
      team: a
    remote_write:
      - url: http://x
    rules:
      - alert: A
        expr: up == 0
        description: nope
      - record: r
        expr: up
        annotation:
          x: y
version: 2
)y"),
            "rules.yml:3:5: field labels not found in type rulefmt.RuleGroup\n"
            "rules.yml:5:5: field remote_write not found in type rulefmt.RuleGroup\n"
            "rules.yml:10:9: field description not found in type rulefmt.Rule\n"
            "rules.yml:13:9: field annotation not found in type rulefmt.Rule\n"
            "rules.yml:15:1: field version not found in type rulefmt.RuleGroups");
}

TEST(RuleFileTest, TypeErrorsNameGoTypes) {
  EXPECT_EQ(ParseError("- a\n- b\n"),
            "rules.yml:1:1: cannot unmarshal !!seq into "
            "rulefmt.RuleGroups");
  EXPECT_EQ(ParseError("groups: nothing\n"),
            "rules.yml:1:9: cannot unmarshal !!str `nothing` into []rulefmt.RuleGroup");
  EXPECT_EQ(ParseError(R"y(groups:
  - just a string
  - name: g
    limit: lots
    interval: [1m]
    rules:
      - alert: [A]
        expr: up
        labels: [a, b]
        annotations:
          summary:
            nested: map
      - 42
  - name: h
    limit: 1.5
    rules: {}
  - name: i
    limit: "10"
    rules:
      - record: r
        expr: {x: y}
)y"),
            "rules.yml:2:5: cannot unmarshal !!str `just a ...` into rulefmt.RuleGroup\n"
            "rules.yml:4:12: cannot unmarshal !!str `lots` into int\n"
            "rules.yml:5:15: cannot unmarshal !!seq into string\n"
            "rules.yml:7:16: cannot unmarshal !!seq into string\n"
            "rules.yml:9:17: cannot unmarshal !!seq into map[string]string\n"
            "rules.yml:12:13: cannot unmarshal !!map into string\n"
            "rules.yml:13:9: cannot unmarshal !!int `42` into rulefmt.Rule\n"
            "rules.yml:15:12: cannot unmarshal !!float `1.5` into int\n"
            "rules.yml:16:12: cannot unmarshal !!map into []rulefmt.Rule\n"
            "rules.yml:18:12: cannot unmarshal !!str `10` into int\n"
            "rules.yml:21:15: cannot unmarshal !!map into string");
}

TEST(RuleFileTest, ScalarsDecodeAsStringsAndIntsAsGoDoes) {
  Result<std::vector<RuleGroupSpec>> r = ParseRuleFile("rules.yml", R"y(groups:
  - name: 2024
    limit: -3
    rules:
      - alert: true
        expr: "1"
        labels:
          port: 8080
          empty:
  - name: hex
    limit: 0x10
  - name: float
    limit: 1e2
)y",
                                                       RuleLanguage::kPromQL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].name, "2024");
  EXPECT_EQ((*r)[0].limit, 0);  // negative: no limit, as Prometheus applies only limit > 0
  EXPECT_EQ((*r)[0].rules[0].alert, "true");
  EXPECT_EQ((*r)[0].rules[0].labels, (storage::Labels{{"empty", ""}, {"port", "8080"}}));
  EXPECT_EQ((*r)[1].limit, 16);
  EXPECT_EQ((*r)[2].limit, 100);
}

TEST(RuleFileTest, RepeatedKeysAreErrors) {
  EXPECT_EQ(ParseError(R"y(groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        alert: B
      - record: r
        expr: up
        labels:
          a: x
          b: y
          a: z
)y"),
            "rules.yml:6:9: mapping key \"alert\" already defined at line 4\n"
            "rules.yml:12:11: mapping key \"a\" already defined at line 10");
}

TEST(RuleFileTest, YamlSyntaxErrorsHaveTheirPosition) {
  EXPECT_EQ(ParseError("groups:\n  - name: g\n    rules: [\n"),
            "rules.yml:4:1: end of sequence flow not found");
  EXPECT_EQ(ParseError("groups:\n  - name: a: b\n"), "rules.yml:2:12: illegal map value");
}

TEST(RuleFileTest, HostileYamlIsAnErrorNotACrash) {
  // yaml-cpp's depth guard turns deep nesting into an error rather than a stack overflow.
  std::string deep = "groups: " + std::string(100000, '[');
  EXPECT_THAT(ParseError(deep), StartsWith("rules.yml:1:"));
  std::string deep_maps = "groups:";
  for (int i = 0; i < 5000; ++i) deep_maps += " {a:";
  EXPECT_THAT(ParseError(deep_maps), StartsWith("rules.yml:1:"));
}

TEST(RuleFileTest, ReportsEveryValidationError) {
  constexpr std::string_view kFile = R"y(groups:
  - name: g
    rules:
      - expr: up
      - record: r
        alert: A
        expr: up
      - alert: NoExpr
      - alert: BadExpr
        expr: sum(up
      - record: rec
        expr: up
        for: 5m
        keep_firing_for: 1m
        annotations:
          summary: x
      - record: 1bad-name
        expr: up
      - alert: BadNames
        expr: up
        labels:
          __name__: x
          bad-label: y
        annotations:
          9lives: z
  - name: g
    rules: []
  - rules: []
)y";
  EXPECT_EQ(
      ParseError(kFile),
      "rules.yml:4:9: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set\n"
      "rules.yml:5:17: group \"g\", rule 2, \"A\": only one of 'record' and 'alert' must be set\n"
      "rules.yml:8:9: group \"g\", rule 3, \"NoExpr\": field 'expr' must be set in rule\n"
      "rules.yml:10:15: group \"g\", rule 4, \"BadExpr\": could not parse expression: 1:7: parse "
      "error: unclosed left parenthesis\n"
      "rules.yml:11:17: group \"g\", rule 5, \"rec\": invalid field 'annotations' in recording "
      "rule\n"
      "rules.yml:11:17: group \"g\", rule 5, \"rec\": invalid field 'for' in recording rule\n"
      "rules.yml:11:17: group \"g\", rule 5, \"rec\": invalid field 'keep_firing_for' in "
      "recording rule\n"
      "rules.yml:17:17: group \"g\", rule 6, \"1bad-name\": invalid recording rule name: "
      "1bad-name\n"
      "rules.yml:22:11: group \"g\", rule 7, \"BadNames\": invalid label name: __name__\n"
      "rules.yml:23:11: group \"g\", rule 7, \"BadNames\": invalid label name: bad-label\n"
      "rules.yml:25:11: group \"g\", rule 7, \"BadNames\": invalid annotation name: 9lives\n"
      "rules.yml:26:5: groupname: \"g\" is repeated in the same file\n"
      "rules.yml:28:5: Groupname must not be empty");
}

TEST(RuleFileTest, ErrorsNameTheFile) {
  Result<std::vector<RuleGroupSpec>> r =
      ParseRuleFile("/etc/sluice/rules/a.yml",
                    "groups:\n  - name: g\n    rules:\n      - alert: A\n", RuleLanguage::kPromQL);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "/etc/sluice/rules/a.yml:4:9: group \"g\", rule 1, \"A\": field 'expr' must be set "
            "in rule");
}

TEST(RuleFileTest, LoadExpandsGlobsInOrder) {
  sluice::testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.Sub("more").c_str(), 0755), 0);
  // The same group name in different files is fine (Prometheus keys groups by file and name).
  dir.WriteFile("b.yml", "groups:\n  - name: b\n  - name: shared\n");
  dir.WriteFile("a.yml", "groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n");
  dir.WriteFile("c.yaml", "groups:\n  - name: shared\n");
  dir.WriteFile("notes.txt", "not yaml: [");
  dir.WriteFile("more/z.yml", "groups:\n  - name: z\n");

  Result<std::vector<RuleGroupSpec>> r =
      LoadRuleFiles({dir.Sub("*.yml"), dir.Sub("nothing-*.yml"), dir.Sub("more/*.yml"),
                     dir.Sub("a.yml"), dir.Sub("c.yaml"), dir.Sub("absent.yml")},
                    RuleLanguage::kPromQL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> got;
  for (const RuleGroupSpec& g : *r)
    got.push_back(g.file.substr(dir.path().size() + 1) + ":" + g.name);
  EXPECT_EQ(got, (std::vector<std::string>{"a.yml:a", "b.yml:b", "b.yml:shared", "more/z.yml:z",
                                           "c.yaml:shared"}));
  ASSERT_EQ((*r)[0].rules.size(), 1u);
  EXPECT_EQ((*r)[0].rules[0].record, "r");

  // No file at all is no group at all.
  r = LoadRuleFiles({}, RuleLanguage::kPromQL);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(RuleFileTest, LoadReportsEveryBadFile) {
  sluice::testing::TempDir dir;
  std::string bad1 = dir.WriteFile("1.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n");
  dir.WriteFile("2.yml", "groups:\n  - name: fine\n");
  std::string bad3 = dir.WriteFile("3.yml", "groups:\n  - name: x\n  - name: x\n");
  Result<std::vector<RuleGroupSpec>> r = LoadRuleFiles({dir.Sub("*.yml")}, RuleLanguage::kPromQL);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            bad1 + ":4:9: group \"g\", rule 1, \"A\": field 'expr' must be set in rule\n" + bad3 +
                ":3:5: groupname: \"x\" is repeated in the same file");

  // A directory matched by the pattern cannot be read.
  sluice::testing::TempDir dir2;
  ASSERT_EQ(::mkdir(dir2.Sub("d.yml").c_str(), 0755), 0);
  r = LoadRuleFiles({dir2.Sub("*.yml")}, RuleLanguage::kPromQL);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  std::string d = dir2.Sub("d.yml");
  EXPECT_EQ(r.status().message(), d + ": read " + d + ": is a directory");

  // So is a file without permission (unless we are root, who reads everything).
  if (::geteuid() != 0) {
    sluice::testing::TempDir dir3;
    std::string secret = dir3.WriteFile("secret.yml", "groups: []\n");
    ASSERT_EQ(::chmod(secret.c_str(), 0), 0);
    r = LoadRuleFiles({secret}, RuleLanguage::kPromQL);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), secret + ": open " + secret + ": permission denied");
  }
}

TEST(RuleFileTest, CheckPrintsPromtoolOutput) {
  sluice::testing::TempDir dir;
  std::string good = dir.WriteFile("good.yml", R"y(groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 5m
  - name: h
    rules:
      - record: x
        expr: vector(1)
)y");
  std::string bad = dir.WriteFile("bad.yml", R"y(groups:
  - name: g
    rules:
      - record: x
        expr: up +
        for: 1m
)y");
  std::string missing = dir.Sub("missing.yml");

  std::string out;
  EXPECT_EQ(CheckRuleFiles({good}, RuleLanguage::kPromQL, &out), 0);
  EXPECT_EQ(out, "Checking " + good + "\n  SUCCESS: 3 rules found\n\n");

  out.clear();
  EXPECT_EQ(CheckRuleFiles({bad, missing, good}, RuleLanguage::kPromQL, &out), 1);
  EXPECT_EQ(out, "Checking " + bad + "\n  FAILED:\n" + bad +
                     ":5:15: group \"g\", rule 1, \"x\": could not parse expression: 1:5: parse "
                     "error: unexpected end of input\n" +
                     bad +
                     ":4:17: group \"g\", rule 1, \"x\": invalid field 'for' in recording "
                     "rule\n"
                     "Checking " +
                     missing + "\n  FAILED:\n" + missing + ": open " + missing +
                     ": no such file or directory\n"
                     "Checking " +
                     good + "\n  SUCCESS: 3 rules found\n\n");

  // LogQL files are checked as LogQL.
  std::string loki =
      dir.WriteFile("loki.yml",
                    "groups:\n  - name: l\n    rules:\n      - alert: E\n        expr: "
                    "'sum(count_over_time({app=\"x\"} |= \"error\" [5m])) > 10'\n");
  out.clear();
  EXPECT_EQ(CheckRuleFiles({loki}, RuleLanguage::kLogQL, &out), 0);
  EXPECT_EQ(out, "Checking " + loki + "\n  SUCCESS: 1 rules found\n\n");
  out.clear();
  EXPECT_EQ(CheckRuleFiles({loki}, RuleLanguage::kPromQL, &out), 1);
  EXPECT_THAT(out, HasSubstr("  FAILED:\n" + loki +
                             ":5:15: group \"l\", rule 1, \"E\": could "
                             "not parse expression: "));
}

TEST(RuleFileTest, CheckReportsDuplicateRulesWithoutFailing) {
  // promtool's default lint: the same name and labels twice, reported but not fatal.
  sluice::testing::TempDir dir;
  std::string file = dir.WriteFile("dup.yml", R"y(groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          b: "2"
          a: "1"
      - record: job:up:sum
        expr: sum by (job) (up{env="prod"})
        labels:
          a: "1"
          b: "2"
      - record: job:up:sum
        expr: sum by (job) (up)
  - name: h
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          b: "2"
          a: "1"
)y");
  std::string out;
  EXPECT_EQ(CheckRuleFiles({file}, RuleLanguage::kPromQL, &out), 0);
  EXPECT_EQ(out, "Checking " + file +
                     "\n  FAILED:\nlint error 1 duplicate rule(s) found.\n"
                     "Metric: job:up:sum\nLabel(s):\n\ta: 1\n\tb: 2\n"
                     "Might cause inconsistency while recording expressions\n\n");
}

// Last, as they depend on query::AlertTemplate: labels and annotations of alerting rules are
// templates, and recording rules' labels are not.
TEST(RuleFileTest, TemplatesOfAlertingRulesMustParse) {
  constexpr std::string_view kFile = R"y(groups:
  - name: g
    rules:
      - alert: Fine
        expr: up == 0
        labels:
          instance: '{{ $labels.instance }}'
        annotations:
          summary: '{{ $value | humanize }} for {{ .Labels.job }} at {{ $externalURL }}'
      - alert: Broken
        expr: up == 0
        labels:
          severity: '{{ nope }}'
        annotations:
          summary: 'value {{ $value'
      - record: r
        expr: up
        labels:
          x: '{{ not a template'
)y";
  std::string error = ParseError(kFile);
  std::vector<std::string> lines;
  for (size_t start = 0; start <= error.size();) {
    size_t end = error.find('\n', start);
    if (end == std::string::npos) end = error.size();
    lines.push_back(error.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 2u) << error;
  EXPECT_THAT(lines[0], StartsWith("rules.yml:13:21: group \"g\", rule 2, \"Broken\": label "
                                   "\"severity\": template: __alert_Broken:"));
  EXPECT_THAT(lines[0], HasSubstr("function \"nope\" not defined"));
  EXPECT_THAT(lines[1], StartsWith("rules.yml:15:20: group \"g\", rule 2, \"Broken\": annotation "
                                   "\"summary\": template: __alert_Broken:"));
}

}  // namespace
}  // namespace sluice::alerting

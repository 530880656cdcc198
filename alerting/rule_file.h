// Rule files: Prometheus' rule file format (`groups:` of `name`, `interval`, `limit`,
// `query_offset`, `rules:` with `alert`/`record`, `expr`, `for`, `keep_firing_for`, `labels`,
// `annotations`), which is also the format of Loki's ruler. Whether a group's expressions are
// PromQL or LogQL is decided by the file list it was loaded from (alerting.rule_files or
// alerting.logql_rule_files in the config); the YAML is the same.
//
// Validation is promtool's `check rules`: every error with the file, line and column and
// Prometheus' reason, e.g.
//   rules.yml:12:11: group "g", rule 2, "HighLatency": could not parse expression: 1:5: parse
//   error: ...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/labels.h"

namespace sluice::alerting {

enum class RuleLanguage { kPromQL, kLogQL };

struct RuleSpec {
  std::string alert;   // alerting rule: its name ...
  std::string record;  // ... or recording rule: the metric it writes
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  storage::Labels labels;       // canonical; values may be templates (alerting rules)
  storage::Labels annotations;  // canonical; values are templates
  int line = 0;                 // 1-based line of the rule in its file, for messages
  bool is_alert() const { return !alert.empty(); }
  std::string_view name() const { return is_alert() ? alert : record; }
  friend bool operator==(const RuleSpec&, const RuleSpec&) = default;
};

struct RuleGroupSpec {
  std::string file;  // the path it was loaded from
  std::string name;
  RuleLanguage language = RuleLanguage::kPromQL;
  int64_t interval_ms = 0;      // 0: the configured evaluation_interval
  int64_t limit = 0;            // 0: no limit on the alerts / series a rule may produce
  int64_t query_offset_ms = 0;  // evaluate at `now - query_offset`
  std::vector<RuleSpec> rules;
  friend bool operator==(const RuleGroupSpec&, const RuleGroupSpec&) = default;
};

// Parses and validates one file's text. On error, InvalidArgument with one line per problem
// (all of them, not only the first), each "<file>:<line>:<col>: <reason>".
Result<std::vector<RuleGroupSpec>> ParseRuleFile(std::string_view file_name,
                                                 std::string_view content, RuleLanguage language);

// Expands the globs (a pattern matching nothing is not an error, as in Prometheus), reads and
// parses every file. Group names must be unique within a file.
Result<std::vector<RuleGroupSpec>> LoadRuleFiles(const std::vector<std::string>& globs,
                                                 RuleLanguage language);

// `sluice --check-rules FILE...`: promtool check rules' output on `out` ("Checking f\n  SUCCESS:
// 3 rules found\n" or "  FAILED:\n<errors>"); returns the process exit code (0, or 1 when any
// file failed). A file is checked as LogQL when `language` says so.
int CheckRuleFiles(const std::vector<std::string>& files, RuleLanguage language, std::string* out);

}  // namespace sluice::alerting

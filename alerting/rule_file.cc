// Rule files, decoded the way Prometheus decodes them (model/rulefmt/rulefmt.go): yaml.v3 with
// KnownFields(true) into RuleGroups, then RuleGroups.Validate. Decoding errors (unknown fields,
// repeated keys, wrong types, bad durations) come first and, as in Prometheus, stop the file
// before validation; validation then reports every problem of every rule. Each message carries
// the position of the node at fault, which Prometheus gives for most of them ("12:11: group
// ..."); where Prometheus has none (label and annotation names, templates) we point at the label's
// key or value, and where its node is unset (a missing `expr`) at the rule itself.
//
// Loki's ruler (pkg/ruler/grouploader.go) decodes the same rulefmt.RuleGroups strictly, so a
// LogQL file accepts exactly the same fields: the `remote_write` / `source_tenants` group fields
// of cortextool and mimirtool are not accepted by Loki's own loader, and not by ours.
#include "alerting/rule_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/alert_template.h"
#include "query/logql_parser.h"
#include "query/promql_parser.h"

namespace sluice::alerting {
namespace {

// 1-based, as yaml.v3 counts (yaml-cpp's marks are 0-based).
struct Pos {
  int line = 0;
  int col = 0;
};

Pos PosOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return {mark.line + 1, mark.column + 1};
}

struct Problem {
  Pos pos;
  std::string reason;
};

// A label or annotation with where its key and value are.
struct Entry {
  std::string name;
  std::string value;
  Pos name_pos;
  Pos value_pos;
};

struct RawRule {
  Pos pos;
  std::string record, alert, expr;
  // Unset fields point at the rule (yaml.v3 would say 0:0).
  Pos record_pos, alert_pos, expr_pos;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::vector<Entry> labels, annotations;
};

struct RawGroup {
  Pos pos;
  std::string name;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  int64_t query_offset_ms = 0;
  std::vector<RawRule> rules;
};

bool IsPlainBool(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}

bool AllOf(std::string_view s, int (*pred)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return pred(static_cast<unsigned char>(c)) != 0;
  });
}

bool IsPlainInt(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    return AllOf(s.substr(2), isxdigit);
  }
  return AllOf(s, isdigit);
}

bool IsPlainFloat(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
    if (!AllOf(exp, isdigit)) return false;
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return AllOf(mantissa, isdigit);
  std::string_view before = mantissa.substr(0, dot);
  std::string_view after = mantissa.substr(dot + 1);
  return (before.empty() || AllOf(before, isdigit)) && (after.empty() || AllOf(after, isdigit)) &&
         !(before.empty() && after.empty());
}

// yaml.v3's short tag of a node, as its type errors name it (`!!str`, `!!seq`, ...): plain
// scalars are resolved as YAML 1.2's core schema does.
std::string ShortTag(const YAML::Node& node) {
  if (node.IsSequence()) return "!!seq";
  if (node.IsMap()) return "!!map";
  if (node.IsNull()) return "!!null";
  const std::string& tag = node.Tag();
  constexpr std::string_view kYamlPrefix = "tag:yaml.org,2002:";
  if (tag == "!") return "!!str";  // quoted or block scalars
  if (std::string_view(tag).starts_with(kYamlPrefix)) {
    return "!!" + tag.substr(kYamlPrefix.size());
  }
  if (tag != "?") return tag;
  const std::string& v = node.Scalar();
  if (IsPlainBool(v)) return "!!bool";
  if (IsPlainInt(v)) return "!!int";
  if (IsPlainFloat(v)) return "!!float";
  return "!!str";
}

// Go's error text for an errno ("no such file or directory"): C's with a lower-case initial.
std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// os.ReadFile's errors: "open <path>: ..." or "read <path>: ..." (a directory).
Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(fmt::format("open {}: {}", path, ErrnoText(errno)));
  std::string content;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::IoError(fmt::format("read {}: {}", path, ErrnoText(err)));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

// The decoding half: yaml.v3 decoding into rulefmt.RuleGroups with KnownFields(true). Type names
// in the messages are Go's, as Prometheus users know them from promtool.
class Decoder {
 public:
  std::vector<Problem>& problems() { return problems_; }

  void DecodeFile(const YAML::Node& root, std::vector<RawGroup>* groups) {
    if (root.IsNull()) return;  // an empty file has no groups (io.EOF is ignored)
    if (!root.IsMap()) return TypeError(root, "rulefmt.RuleGroups");
    if (!UniqueKeys(root)) return;
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key;
      if (!Key(it->first, &key)) continue;
      if (key == "groups") {
        DecodeGroups(it->second, groups);
      } else {
        UnknownField(it->first, key, "rulefmt.RuleGroups");
      }
    }
  }

 private:
  void DecodeGroups(const YAML::Node& node, std::vector<RawGroup>* groups) {
    if (node.IsNull()) return;
    if (!node.IsSequence()) return TypeError(node, "[]rulefmt.RuleGroup");
    for (const YAML::Node& item : node) {
      RawGroup group;
      group.pos = PosOf(item);
      if (DecodeGroup(item, &group)) groups->push_back(std::move(group));
    }
  }

  bool DecodeGroup(const YAML::Node& node, RawGroup* group) {
    if (node.IsNull()) return true;  // a zero group: its missing name is reported later
    if (!node.IsMap()) {
      TypeError(node, "rulefmt.RuleGroup");
      return false;
    }
    if (!UniqueKeys(node)) return false;
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key;
      if (!Key(it->first, &key)) continue;
      const YAML::Node value = it->second;  // a copy: `it->` yields a temporary
      if (key == "name") {
        String(value, &group->name);
      } else if (key == "interval") {
        Duration(value, &group->interval_ms);
      } else if (key == "query_offset") {
        Duration(value, &group->query_offset_ms);
      } else if (key == "limit") {
        Int(value, &group->limit);
      } else if (key == "rules") {
        DecodeRules(value, &group->rules);
      } else {
        // Includes Prometheus 3's group `labels`, which RuleGroupSpec cannot carry: refusing
        // them beats dropping labels the author expects on every series and alert.
        UnknownField(it->first, key, "rulefmt.RuleGroup");
      }
    }
    return true;
  }

  void DecodeRules(const YAML::Node& node, std::vector<RawRule>* rules) {
    if (node.IsNull()) return;
    if (!node.IsSequence()) return TypeError(node, "[]rulefmt.Rule");
    for (const YAML::Node& item : node) {
      RawRule rule;
      rule.pos = PosOf(item);
      rule.record_pos = rule.alert_pos = rule.expr_pos = rule.pos;
      if (DecodeRule(item, &rule)) rules->push_back(std::move(rule));
    }
  }

  bool DecodeRule(const YAML::Node& node, RawRule* rule) {
    if (node.IsNull()) return true;
    if (!node.IsMap()) {
      TypeError(node, "rulefmt.Rule");
      return false;
    }
    if (!UniqueKeys(node)) return false;
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key;
      if (!Key(it->first, &key)) continue;
      const YAML::Node value = it->second;  // a copy: `it->` yields a temporary
      if (key == "record") {
        if (String(value, &rule->record)) rule->record_pos = PosOf(value);
      } else if (key == "alert") {
        if (String(value, &rule->alert)) rule->alert_pos = PosOf(value);
      } else if (key == "expr") {
        if (String(value, &rule->expr)) rule->expr_pos = PosOf(value);
      } else if (key == "for") {
        Duration(value, &rule->for_ms);
      } else if (key == "keep_firing_for") {
        Duration(value, &rule->keep_firing_for_ms);
      } else if (key == "labels") {
        StringMap(value, &rule->labels);
      } else if (key == "annotations") {
        StringMap(value, &rule->annotations);
      } else {
        UnknownField(it->first, key, "rulefmt.Rule");
      }
    }
    return true;
  }

  // yaml.v3 decodes any scalar into a string (`alert: 5` is "5") and null into "".
  bool String(const YAML::Node& node, std::string* out) {
    if (node.IsNull()) {
      out->clear();
      return true;
    }
    if (!node.IsScalar()) {
      TypeError(node, "string");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  bool Key(const YAML::Node& node, std::string* out) { return String(node, out); }

  // model.Duration: unmarshalled as a string, then model.ParseDuration (`1h30m`, `0`; no sign,
  // no fraction). Null leaves the zero value, as yaml.v3 does not call unmarshalers for it.
  void Duration(const YAML::Node& node, int64_t* out) {
    std::string text;
    if (node.IsNull() || !String(node, &text)) return;
    Result<int64_t> ms = query::promql::ParseDuration(text, /*allow_zero=*/true);
    if (!ms.ok()) return Add(node, ms.status().message());
    *out = *ms;
  }

  void Int(const YAML::Node& node, int64_t* out) {
    if (node.IsNull()) return;
    std::string tag = node.IsScalar() ? ShortTag(node) : "";
    if (tag == "!!float") {
      // yaml.v3 takes a float whose conversion is lossless (`1e3`); 1.5 is not an int.
      double v = std::strtod(node.Scalar().c_str(), nullptr);
      if (!std::isfinite(v) || v != std::trunc(v) || v < -9223372036854775808.0 ||
          v >= 9223372036854775808.0) {
        return TypeError(node, "int");
      }
      *out = static_cast<int64_t>(v);
      return;
    }
    if (tag != "!!int") return TypeError(node, "int");
    std::string_view text = node.Scalar();
    bool negative = false;
    if (text[0] == '-' || text[0] == '+') {
      negative = text[0] == '-';
      text.remove_prefix(1);
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
      base = 16;
      text.remove_prefix(2);
    }
    uint64_t magnitude = 0;
    for (char c : text) {
      int digit = std::isdigit(static_cast<unsigned char>(c))
                      ? c - '0'
                      : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / base) {
        return TypeError(node, "int");
      }
      magnitude = magnitude * base + digit;
    }
    constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
    if (magnitude > kMax + (negative ? 1 : 0)) return TypeError(node, "int");
    *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  }

  void StringMap(const YAML::Node& node, std::vector<Entry>* out) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return TypeError(node, "map[string]string");
    if (!UniqueKeys(node)) return;
    for (auto it = node.begin(); it != node.end(); ++it) {
      Entry entry;
      entry.name_pos = PosOf(it->first);
      entry.value_pos = PosOf(it->second);
      if (!String(it->first, &entry.name) || !String(it->second, &entry.value)) continue;
      // A null value's mark is where the next token starts; the key is a better place.
      if (it->second.IsNull()) entry.value_pos = entry.name_pos;
      out->push_back(std::move(entry));
    }
  }

  // yaml.v3 refuses a mapping whose keys repeat (and decodes nothing of it).
  bool UniqueKeys(const YAML::Node& node) {
    size_t before = problems_.size();
    std::vector<std::pair<std::string, int>> seen;  // scalar key, line
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string key = it->first.Scalar();
      Pos pos = PosOf(it->first);
      auto prev =
          std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
      if (prev != seen.end()) {
        Add(pos, fmt::format("mapping key \"{}\" already defined at line {}", key, prev->second));
      } else {
        seen.emplace_back(key, pos.line);
      }
    }
    return problems_.size() == before;
  }

  void UnknownField(const YAML::Node& key_node, const std::string& key, std::string_view type) {
    Add(key_node, fmt::format("field {} not found in type {}", key, type));
  }

  // yaml.v3: "cannot unmarshal !!str `abc` into int", "cannot unmarshal !!seq into string".
  void TypeError(const YAML::Node& node, std::string_view type) {
    std::string tag = ShortTag(node);
    std::string value;
    if (node.IsScalar()) {
      const std::string& v = node.Scalar();
      value = v.size() > 10 ? " `" + v.substr(0, 7) + "...`" : " `" + v + "`";
    }
    Add(node, fmt::format("cannot unmarshal {}{} into {}", tag, value, type));
  }

  void Add(const YAML::Node& node, std::string reason) { Add(PosOf(node), std::move(reason)); }
  void Add(Pos pos, std::string reason) { problems_.push_back({pos, std::move(reason)}); }

  std::vector<Problem> problems_;
};

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Parses the expression in the group's language; the error is the text after "could not parse
// expression: ".
Status CheckExpr(std::string_view expr, RuleLanguage language) {
  if (language == RuleLanguage::kPromQL) return query::promql::ParseExpr(expr).status();
  Result<query::logql::ExprPtr> parsed = query::logql::ParseExpr(expr);
  if (!parsed.ok()) return parsed.status();
  // Loki's ruler parses rules with ParseExpr, and a log query only fails at each evaluation
  // ("rule result is not a vector or scalar"); we refuse it up front with the error of
  // syntax.ParseSampleExpr, which is what Loki's query paths answer for a log query where samples
  // are needed.
  if (query::logql::IsLogQuery(**parsed)) {
    return Status::InvalidArgument("only sample expression supported");
  }
  return Status::Ok();
}

// RuleGroups.Validate and Rule.Validate, in their order.
class Validator {
 public:
  Validator(std::string_view file, RuleLanguage language) : file_(file), language_(language) {}

  std::vector<Problem>& problems() { return problems_; }

  std::vector<RuleGroupSpec> Validate(const std::vector<RawGroup>& raw_groups) {
    std::vector<RuleGroupSpec> groups;
    std::set<std::string, std::less<>> names;
    for (const RawGroup& raw : raw_groups) {
      if (raw.name.empty()) Add(raw.pos, "Groupname must not be empty");
      if (!names.insert(raw.name).second) {
        Add(raw.pos, fmt::format("groupname: \"{}\" is repeated in the same file", raw.name));
      }
      RuleGroupSpec group;
      group.file = std::string(file_);
      group.name = raw.name;
      group.language = language_;
      group.interval_ms = raw.interval_ms;
      // Prometheus applies a limit only when it is positive; a negative one is no limit.
      group.limit = std::max<int64_t>(raw.limit, 0);
      group.query_offset_ms = raw.query_offset_ms;
      for (size_t i = 0; i < raw.rules.size(); ++i) {
        group.rules.push_back(ValidateRule(raw.name, static_cast<int>(i + 1), raw.rules[i]));
      }
      groups.push_back(std::move(group));
    }
    return groups;
  }

 private:
  RuleSpec ValidateRule(const std::string& group, int index, const RawRule& raw) {
    const std::string& name = raw.alert.empty() ? raw.record : raw.alert;
    auto add = [&](Pos pos, std::string_view reason) {
      Add(pos, fmt::format("group \"{}\", rule {}, \"{}\": {}", group, index, name, reason));
    };
    if (!raw.record.empty() && !raw.alert.empty()) {
      add(raw.record_pos, "only one of 'record' and 'alert' must be set");
    }
    if (raw.record.empty() && raw.alert.empty()) {
      add(raw.pos, "one of 'record' or 'alert' must be set");
    }
    if (raw.expr.empty()) {
      add(raw.expr_pos, "field 'expr' must be set in rule");
    } else if (Status s = CheckExpr(raw.expr, language_); !s.ok()) {
      add(raw.expr_pos, "could not parse expression: " + s.message());
    }
    if (!raw.record.empty()) {
      if (!raw.annotations.empty()) {
        add(raw.record_pos, "invalid field 'annotations' in recording rule");
      }
      if (raw.for_ms != 0) add(raw.record_pos, "invalid field 'for' in recording rule");
      if (raw.keep_firing_for_ms != 0) {
        add(raw.record_pos, "invalid field 'keep_firing_for' in recording rule");
      }
      if (!IsValidMetricName(raw.record)) {
        add(raw.record_pos, "invalid recording rule name: " + raw.record);
      }
    }
    for (const Entry& label : raw.labels) {
      if (!storage::IsValidLabelName(label.name) || label.name == "__name__") {
        add(label.name_pos, "invalid label name: " + label.name);
      }
      if (!storage::IsValidUtf8(label.value)) {
        add(label.value_pos, "invalid label value: " + label.value);
      }
    }
    for (const Entry& annotation : raw.annotations) {
      if (!storage::IsValidLabelName(annotation.name)) {
        add(annotation.name_pos, "invalid annotation name: " + annotation.name);
      }
    }
    // testTemplateParsing: only alerting rules expand their labels and annotations.
    if (!raw.alert.empty()) {
      std::string template_name = "__alert_" + raw.alert;
      for (const Entry& label : raw.labels) {
        auto parsed = query::AlertTemplate::Parse(label.value, template_name);
        if (!parsed.ok()) {
          add(label.value_pos,
              fmt::format("label \"{}\": {}", label.name, parsed.status().message()));
        }
      }
      for (const Entry& annotation : raw.annotations) {
        auto parsed = query::AlertTemplate::Parse(annotation.value, template_name);
        if (!parsed.ok()) {
          add(annotation.value_pos,
              fmt::format("annotation \"{}\": {}", annotation.name, parsed.status().message()));
        }
      }
    }

    RuleSpec rule;
    rule.alert = raw.alert;
    rule.record = raw.record;
    rule.expr = raw.expr;
    rule.for_ms = raw.for_ms;
    rule.keep_firing_for_ms = raw.keep_firing_for_ms;
    for (const Entry& label : raw.labels) rule.labels.push_back({label.name, label.value});
    for (const Entry& a : raw.annotations) rule.annotations.push_back({a.name, a.value});
    // Keys are unique (the decoder refuses repeated keys), so these cannot fail; report anyway.
    if (Status s = storage::Canonicalize(rule.labels); !s.ok()) add(raw.pos, s.message());
    if (Status s = storage::Canonicalize(rule.annotations); !s.ok()) add(raw.pos, s.message());
    rule.line = raw.pos.line;
    return rule;
  }

  void Add(Pos pos, std::string reason) { problems_.push_back({pos, std::move(reason)}); }

  std::string_view file_;
  RuleLanguage language_;
  std::vector<Problem> problems_;
};

std::string FormatProblems(std::string_view file, const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) {
    if (!out.empty()) out += '\n';
    fmt::format_to(std::back_inserter(out), "{}:{}:{}: {}", file, p.pos.line, p.pos.col, p.reason);
  }
  return out;
}

// promtool's duplicate-rules lint (checkDuplicates): rules with the same name and labels.
// Returns the message of its lint error, or "" when there are no duplicates.
std::string DuplicateRules(const std::vector<RuleGroupSpec>& groups) {
  std::vector<std::pair<std::string_view, const storage::Labels*>> rules;
  for (const RuleGroupSpec& group : groups) {
    for (const RuleSpec& rule : group.rules) rules.emplace_back(rule.name(), &rule.labels);
  }
  auto less = [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return *a.second < *b.second;
  };
  auto equal = [](const auto& a, const auto& b) {
    return a.first == b.first && *a.second == *b.second;
  };
  std::stable_sort(rules.begin(), rules.end(), less);
  std::vector<std::pair<std::string_view, const storage::Labels*>> duplicates;
  for (size_t i = 1; i < rules.size(); ++i) {
    if (equal(rules[i - 1], rules[i]) &&
        (duplicates.empty() || !equal(duplicates.back(), rules[i]))) {
      duplicates.push_back(rules[i]);
    }
  }
  if (duplicates.empty()) return "";
  std::string message = fmt::format("lint error {} duplicate rule(s) found.\n", duplicates.size());
  for (const auto& [metric, labels] : duplicates) {
    fmt::format_to(std::back_inserter(message), "Metric: {}\nLabel(s):\n", metric);
    for (const storage::Label& l : *labels) {
      fmt::format_to(std::back_inserter(message), "\t{}: {}\n", l.name, l.value);
    }
  }
  message += "Might cause inconsistency while recording expressions";
  return message;
}

}  // namespace

Result<std::vector<RuleGroupSpec>> ParseRuleFile(std::string_view file_name,
                                                 std::string_view content, RuleLanguage language) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return Status::InvalidArgument(fmt::format("{}: {}", file_name, e.msg));
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: {}", file_name, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  std::vector<RawGroup> raw_groups;
  Decoder decoder;
  try {
    decoder.DecodeFile(root, &raw_groups);
  } catch (const YAML::Exception& e) {
    // Reading a node built by a successful Load should not throw; do not let it escape.
    return Status::InvalidArgument(fmt::format("{}: {}", file_name, e.msg));
  }
  if (!decoder.problems().empty()) {
    return Status::InvalidArgument(FormatProblems(file_name, decoder.problems()));
  }
  Validator validator(file_name, language);
  std::vector<RuleGroupSpec> groups = validator.Validate(raw_groups);
  if (!validator.problems().empty()) {
    return Status::InvalidArgument(FormatProblems(file_name, validator.problems()));
  }
  return groups;
}

Result<std::vector<RuleGroupSpec>> LoadRuleFiles(const std::vector<std::string>& globs,
                                                 RuleLanguage language) {
  // Files in pattern order, each pattern's matches sorted (as filepath.Glob), each file once:
  // Prometheus keys groups by file and name, so a file matched twice loads once.
  std::vector<std::string> files;
  std::set<std::string, std::less<>> seen;
  for (const std::string& pattern : globs) {
    glob_t matches{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
    if (rc == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        std::string file = matches.gl_pathv[i];
        if (seen.insert(file).second) files.push_back(std::move(file));
      }
    }
    ::globfree(&matches);
    if (rc == GLOB_NOSPACE) return Status::ResourceExhausted("out of memory expanding " + pattern);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return Status::IoError(fmt::format("cannot expand rule file pattern {}", pattern));
    }
  }

  std::vector<RuleGroupSpec> groups;
  std::string errors;
  bool unreadable = false;
  for (const std::string& file : files) {
    Result<std::vector<RuleGroupSpec>> parsed = [&]() -> Result<std::vector<RuleGroupSpec>> {
      Result<std::string> content = ReadFile(file);
      if (!content.ok()) {
        unreadable = true;
        return Status::IoError(fmt::format("{}: {}", file, content.status().message()));
      }
      return ParseRuleFile(file, *content, language);
    }();
    if (!parsed.ok()) {
      if (!errors.empty()) errors += '\n';
      errors += parsed.status().message();
      continue;
    }
    for (RuleGroupSpec& group : *parsed) groups.push_back(std::move(group));
  }
  if (!errors.empty()) {
    // Every file's problems at once; an unreadable file is the operator's to fix.
    return unreadable ? Status::IoError(std::move(errors))
                      : Status::InvalidArgument(std::move(errors));
  }
  return groups;
}

int CheckRuleFiles(const std::vector<std::string>& files, RuleLanguage language, std::string* out) {
  // promtool writes "FAILED" and the errors on stderr and the rest on stdout; a terminal shows
  // them interleaved as here. After a file that failed to load, promtool moves straight on to
  // the next file without the blank line.
  int exit_code = 0;
  for (const std::string& file : files) {
    fmt::format_to(std::back_inserter(*out), "Checking {}\n", file);
    Result<std::vector<RuleGroupSpec>> parsed = [&]() -> Result<std::vector<RuleGroupSpec>> {
      Result<std::string> content = ReadFile(file);
      if (!content.ok()) {
        return Status::IoError(fmt::format("{}: {}", file, content.status().message()));
      }
      return ParseRuleFile(file, *content, language);
    }();
    if (!parsed.ok()) {
      fmt::format_to(std::back_inserter(*out), "  FAILED:\n{}\n", parsed.status().message());
      exit_code = 1;
      continue;
    }
    // The duplicate-rules lint is on by default and not fatal: reported, exit code unchanged.
    if (std::string lint = DuplicateRules(*parsed); !lint.empty()) {
      fmt::format_to(std::back_inserter(*out), "  FAILED:\n{}\n\n", lint);
      continue;
    }
    size_t rules = 0;
    for (const RuleGroupSpec& group : *parsed) rules += group.rules.size();
    fmt::format_to(std::back_inserter(*out), "  SUCCESS: {} rules found\n\n", rules);
  }
  return exit_code;
}

}  // namespace sluice::alerting

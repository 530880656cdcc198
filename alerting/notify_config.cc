#include "alerting/notify_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "base/units.h"
#include "storage/labels.h"

namespace sluice::alerting {
namespace {

using KeyList = std::vector<std::string_view>;

constexpr std::string_view kOnlyWebhooks = "Sluice only sends webhooks";

// Alertmanager's receiver integrations other than webhook_configs.
const KeyList kOtherIntegrations = {
    "email_configs",     "pagerduty_configs", "slack_configs",      "opsgenie_configs",
    "wechat_configs",    "pushover_configs",  "victorops_configs",  "sns_configs",
    "telegram_configs",  "discord_configs",   "webex_configs",      "msteams_configs",
    "msteamsv2_configs", "jira_configs",      "rocketchat_configs", "incidentio_configs"};

// Alertmanager's global settings other than resolve_timeout: defaults for the integrations
// Sluice does not have, and the global http_config.
const KeyList kOtherGlobals = {"http_config",
                               "smtp_from",
                               "smtp_hello",
                               "smtp_smarthost",
                               "smtp_auth_username",
                               "smtp_auth_password",
                               "smtp_auth_password_file",
                               "smtp_auth_secret",
                               "smtp_auth_identity",
                               "smtp_require_tls",
                               "smtp_tls_config",
                               "slack_api_url",
                               "slack_api_url_file",
                               "pagerduty_url",
                               "opsgenie_api_url",
                               "opsgenie_api_key",
                               "opsgenie_api_key_file",
                               "wechat_api_url",
                               "wechat_api_secret",
                               "wechat_api_corp_id",
                               "victorops_api_url",
                               "victorops_api_key",
                               "victorops_api_key_file",
                               "telegram_api_url",
                               "webex_api_url",
                               "rocketchat_api_url",
                               "rocketchat_token",
                               "rocketchat_token_id",
                               "jira_api_url"};

const KeyList kOtherHttpConfig = {"bearer_token_file",
                                  "oauth2",
                                  "tls_config",
                                  "proxy_url",
                                  "no_proxy",
                                  "proxy_from_environment",
                                  "proxy_connect_header",
                                  "follow_redirects",
                                  "enable_http2",
                                  "http_headers"};

bool Contains(const KeyList& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

// A value that configures nothing: absent, null, [] or {}.
bool IsEmptyValue(const YAML::Node& node) {
  return !node.IsDefined() || node.IsNull() || (node.IsSequence() && node.size() == 0) ||
         (node.IsMap() && node.size() == 0);
}

std::string Sub(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

// Alertmanager's matcher syntax (pkg/labels/parse.go): `name op value`, the value optionally
// double-quoted with \", \\ and \n escapes; several matchers per string separated by commas,
// optionally inside braces.
Result<storage::LabelMatcher> ParseMatcher(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  size_t name_start = i;
  auto name_char = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
  };
  while (i < s.size() && name_char(s[i], i == name_start)) ++i;
  std::string name(s.substr(name_start, i - name_start));
  while (i < s.size() && is_space(s[i])) ++i;
  storage::MatchOp op = storage::MatchOp::kEqual;
  std::string_view rest = s.substr(i);
  if (rest.starts_with("=~")) {
    op = storage::MatchOp::kRegexMatch;
    i += 2;
  } else if (rest.starts_with("!=")) {
    op = storage::MatchOp::kNotEqual;
    i += 2;
  } else if (rest.starts_with("!~")) {
    op = storage::MatchOp::kRegexNoMatch;
    i += 2;
  } else if (rest.starts_with("=")) {
    i += 1;
  } else {
    name.clear();
  }
  if (name.empty()) return Status::InvalidArgument(fmt::format("bad matcher format: {}", s));
  while (i < s.size() && is_space(s[i])) ++i;
  std::string_view raw = s.substr(i);
  while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
  const std::string original(raw);
  bool expect_trailing_quote = false;
  if (raw.starts_with('"')) {
    raw.remove_prefix(1);
    expect_trailing_quote = true;
  }
  if (!storage::IsValidUtf8(raw)) {
    return Status::InvalidArgument(fmt::format("matcher value not valid UTF-8: {}", original));
  }
  std::string value;
  bool escaped = false;
  for (size_t k = 0; k < raw.size(); ++k) {
    char c = raw[k];
    if (escaped) {
      escaped = false;
      if (c == 'n') {
        value.push_back('\n');
      } else if (c == '"' || c == '\\') {
        value.push_back(c);
      } else {  // a spurious escape: the backslash is literal
        value.push_back('\\');
        value.push_back(c);
      }
      continue;
    }
    if (c == '\\') {
      if (k + 1 < raw.size()) {
        escaped = true;
      } else {
        value.push_back('\\');
      }
    } else if (c == '"') {
      if (!expect_trailing_quote || k + 1 < raw.size()) {
        return Status::InvalidArgument(
            fmt::format("matcher value contains unescaped double quote: {}", original));
      }
      expect_trailing_quote = false;
    } else {
      value.push_back(c);
    }
  }
  if (expect_trailing_quote) {
    return Status::InvalidArgument(
        fmt::format("matcher value contains unescaped double quote: {}", original));
  }
  return storage::LabelMatcher::Make(op, std::move(name), std::move(value));
}

Result<std::vector<storage::LabelMatcher>> ParseMatchers(std::string_view s) {
  if (s.starts_with('{')) s.remove_prefix(1);
  if (s.ends_with('}')) s.remove_suffix(1);
  std::vector<std::string> tokens;
  std::string token;
  bool inside_quotes = false;
  bool escaped = false;
  for (char c : s) {
    if (c == ',' && !inside_quotes) {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (c == '"') {
      if (!escaped) {
        inside_quotes = !inside_quotes;
      } else {
        escaped = false;
      }
    } else if (c == '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token.push_back(c);
  }
  std::string_view last = token;
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  if (!last.empty()) tokens.emplace_back(last);
  std::vector<storage::LabelMatcher> out;
  for (const std::string& t : tokens) {
    SLUICE_ASSIGN_OR_RETURN(storage::LabelMatcher m, ParseMatcher(t));
    out.push_back(std::move(m));
  }
  return out;
}

bool IsHttpToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  Result<NotifyConfig> Parse(std::string_view content);

 private:
  void Error(const YAML::Mark& mark, std::string_view where, std::string_view message) {
    std::string line = file_;
    if (!mark.is_null()) line += fmt::format(":{}:{}", mark.line + 1, mark.column + 1);
    line += ": ";
    if (!where.empty()) line += fmt::format("{}: ", where);
    line += message;
    errors_.push_back(std::move(line));
  }

  // Whether `node` is a mapping (reporting it when not); each key not in `supported` is an
  // error: "not supported by Sluice" when Alertmanager knows it (`am_only`), else unknown.
  // Alertmanager keys whose value configures nothing ([] or null) are let through.
  bool CheckMap(const YAML::Node& node, std::string_view where, const KeyList& supported,
                const KeyList& am_only, std::string_view why);

  // The scalar at `key` of `map`, nullopt when absent or null (or not a scalar: reported).
  std::optional<std::string> Scalar(const YAML::Node& map, std::string_view key,
                                    std::string_view where);
  std::optional<bool> Bool(const YAML::Node& map, std::string_view key, std::string_view where);
  std::optional<int64_t> DurationMs(const YAML::Node& map, std::string_view key,
                                    std::string_view where);

  void ParseGlobal(const YAML::Node& node, NotifyConfig* config);
  void ParseRoute(const YAML::Node& node, const std::string& where, RouteConfig* out);
  void ParseReceiver(const YAML::Node& node, const std::string& where, ReceiverConfig* out);
  void ParseWebhook(const YAML::Node& node, const std::string& where, WebhookConfig* out);
  void ParseHttpConfig(const YAML::Node& node, const std::string& where, HttpEndpoint* out);
  void CheckReceivers(const RouteConfig& route, const std::set<std::string>& names,
                      const YAML::Node& node, const std::string& where);

  std::string file_;
  std::vector<std::string> errors_;
};

bool Parser::CheckMap(const YAML::Node& node, std::string_view where, const KeyList& supported,
                      const KeyList& am_only, std::string_view why) {
  if (!node.IsMap()) {
    Error(node.Mark(), where, "expected a mapping");
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      Error(it->first.Mark(), where, "keys must be plain strings");
      continue;
    }
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      Error(it->first.Mark(), where, fmt::format("duplicate field \"{}\"", key));
    } else if (Contains(supported, key)) {
      continue;
    } else if (Contains(am_only, key)) {
      if (IsEmptyValue(it->second)) continue;
      Error(it->first.Mark(), where,
            fmt::format("field \"{}\" is not supported by Sluice ({})", key, why));
    } else {
      Error(it->first.Mark(), where, fmt::format("unknown field \"{}\"", key));
    }
  }
  return true;
}

std::optional<std::string> Parser::Scalar(const YAML::Node& map, std::string_view key,
                                          std::string_view where) {
  YAML::Node value = map[std::string(key)];
  if (!value.IsDefined() || value.IsNull()) return std::nullopt;
  if (!value.IsScalar()) {
    Error(value.Mark(), Sub(where, key), "expected a string");
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<bool> Parser::Bool(const YAML::Node& map, std::string_view key,
                                 std::string_view where) {
  std::optional<std::string> text = Scalar(map, key, where);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  Error(map[std::string(key)].Mark(), Sub(where, key),
        fmt::format("expected true or false, got \"{}\"", *text));
  return std::nullopt;
}

std::optional<int64_t> Parser::DurationMs(const YAML::Node& map, std::string_view key,
                                          std::string_view where) {
  std::optional<std::string> text = Scalar(map, key, where);
  if (!text) return std::nullopt;
  Result<std::chrono::nanoseconds> d = ParseDuration(*text);
  if (!d.ok() || d->count() < 0) {
    Error(map[std::string(key)].Mark(), Sub(where, key),
          fmt::format("not a valid duration string: \"{}\"", *text));
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
}

Result<NotifyConfig> Parser::Parse(std::string_view content) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    Error(e.mark, "", e.msg);
    return Status::InvalidArgument(errors_.front());
  }
  NotifyConfig config;
  if (!root.IsDefined() || root.IsNull()) {
    return Status::InvalidArgument(fmt::format("{}: the file is empty", file_));
  }
  try {
    if (CheckMap(root, "", {"global", "route", "receivers"},
                 {"inhibit_rules", "templates", "mute_time_intervals", "time_intervals", "tracing"},
                 "Sluice routes and sends webhooks only")) {
      if (root["global"].IsDefined() && !root["global"].IsNull()) {
        ParseGlobal(root["global"], &config);
      }
      std::set<std::string> names;
      YAML::Node receivers = root["receivers"];
      if (receivers.IsDefined() && !receivers.IsNull()) {
        if (!receivers.IsSequence()) {
          Error(receivers.Mark(), "receivers", "expected a list");
        } else {
          for (size_t i = 0; i < receivers.size(); ++i) {
            ReceiverConfig receiver;
            std::string where = fmt::format("receivers[{}]", i);
            ParseReceiver(receivers[i], where, &receiver);
            if (receiver.name.empty()) continue;
            if (!names.insert(receiver.name).second) {
              Error(receivers[i].Mark(), where,
                    fmt::format("notification config name \"{}\" is not unique", receiver.name));
              continue;
            }
            config.receivers.push_back(std::move(receiver));
          }
        }
      }
      YAML::Node route = root["route"];
      if (!route.IsDefined() || route.IsNull()) {
        Error(root.Mark(), "", "no route provided");
      } else {
        ParseRoute(route, "route", &config.route);
        if (route.IsMap()) {
          if (config.route.receiver.empty()) {
            Error(route.Mark(), "route", "root route must specify a default receiver");
          }
          if (!config.route.matchers.empty()) {
            Error(route.Mark(), "route", "root route must not have any matchers");
          }
          if (config.route.continue_matching) {
            Error(route.Mark(), "route", "cannot have continue in root route");
          }
          CheckReceivers(config.route, names, route, "route");
        }
      }
    }
  } catch (const YAML::Exception& e) {
    // Conversions above only read scalars; this is a safety net for yaml-cpp's surprises.
    Error(e.mark, "", e.msg);
  }
  if (!errors_.empty()) {
    return Status::InvalidArgument(fmt::format("{}", fmt::join(errors_, "\n")));
  }
  return config;
}

void Parser::ParseGlobal(const YAML::Node& node, NotifyConfig* config) {
  if (!CheckMap(node, "global", {"resolve_timeout"}, kOtherGlobals, kOnlyWebhooks)) return;
  if (auto d = DurationMs(node, "resolve_timeout", "global")) {
    if (*d == 0) {
      Error(node["resolve_timeout"].Mark(), "global.resolve_timeout", "must be greater than 0");
    } else {
      config->resolve_timeout_ms = *d;
    }
  }
}

void Parser::ParseRoute(const YAML::Node& node, const std::string& where, RouteConfig* out) {
  out->line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  if (!CheckMap(node, where,
                {"receiver", "group_by", "continue", "matchers", "match", "match_re", "group_wait",
                 "group_interval", "repeat_interval", "routes"},
                {"mute_time_intervals", "active_time_intervals"},
                "time intervals are not implemented")) {
    return;
  }
  if (auto r = Scalar(node, "receiver", where)) out->receiver = *r;
  if (auto c = Bool(node, "continue", where)) out->continue_matching = *c;

  YAML::Node group_by = node["group_by"];
  if (group_by.IsDefined() && !group_by.IsNull()) {
    std::string gwhere = Sub(where, "group_by");
    if (!group_by.IsSequence()) {
      Error(group_by.Mark(), gwhere, "expected a list of label names");
    } else {
      std::vector<std::string> names;
      for (const YAML::Node& item : group_by) {
        if (!item.IsScalar()) {
          Error(item.Mark(), gwhere, "expected a list of label names");
          continue;
        }
        const std::string& name = item.Scalar();
        if (name == "...") {
          out->group_by_all = true;
        } else if (!storage::IsValidLabelName(name)) {
          Error(item.Mark(), gwhere,
                fmt::format("invalid label name \"{}\" in group_by list", name));
        } else if (std::find(names.begin(), names.end(), name) != names.end()) {
          Error(item.Mark(), gwhere, fmt::format("duplicated label \"{}\" in group_by", name));
        } else {
          names.push_back(name);
        }
      }
      if (out->group_by_all && !names.empty()) {
        Error(group_by.Mark(), gwhere,
              "cannot have wildcard group_by (`...`) and other other labels at the same time");
      }
      // As in Alertmanager, an empty list leaves the parent's grouping in place.
      if (!names.empty()) out->group_by = std::move(names);
    }
  }

  auto add_matcher = [&](const YAML::Mark& mark, const std::string& mwhere, storage::MatchOp op,
                         const std::string& name, const std::string& value) {
    if (!storage::IsValidLabelName(name)) {
      Error(mark, mwhere, fmt::format("invalid label name \"{}\"", name));
      return;
    }
    Result<storage::LabelMatcher> m = storage::LabelMatcher::Make(op, name, value);
    if (!m.ok()) {
      Error(mark, mwhere, m.status().message());
      return;
    }
    out->matchers.push_back(std::move(m).value());
  };
  for (auto [key, op] : {std::pair{"match", storage::MatchOp::kEqual},
                         std::pair{"match_re", storage::MatchOp::kRegexMatch}}) {
    YAML::Node map = node[key];
    if (!map.IsDefined() || map.IsNull()) continue;
    std::string mwhere = Sub(where, key);
    if (!map.IsMap()) {
      Error(map.Mark(), mwhere, "expected a mapping of label names to values");
      continue;
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar() || !(it->second.IsScalar() || it->second.IsNull())) {
        Error(it->first.Mark(), mwhere, "expected a mapping of label names to values");
        continue;
      }
      add_matcher(it->first.Mark(), mwhere, op, it->first.Scalar(),
                  it->second.IsNull() ? std::string() : it->second.Scalar());
    }
  }
  YAML::Node matchers = node["matchers"];
  if (matchers.IsDefined() && !matchers.IsNull()) {
    std::string mwhere = Sub(where, "matchers");
    if (!matchers.IsSequence()) {
      Error(matchers.Mark(), mwhere, "expected a list of matchers like - alertname=\"X\"");
    } else {
      for (const YAML::Node& item : matchers) {
        if (!item.IsScalar()) {
          Error(item.Mark(), mwhere, "expected a list of matchers like - alertname=\"X\"");
          continue;
        }
        Result<std::vector<storage::LabelMatcher>> parsed = ParseMatchers(item.Scalar());
        if (!parsed.ok()) {
          Error(item.Mark(), mwhere, parsed.status().message());
          continue;
        }
        for (storage::LabelMatcher& m : *parsed) out->matchers.push_back(std::move(m));
      }
    }
  }

  out->group_wait_ms = DurationMs(node, "group_wait", where);
  out->group_interval_ms = DurationMs(node, "group_interval", where);
  out->repeat_interval_ms = DurationMs(node, "repeat_interval", where);
  if (out->group_interval_ms == 0) {
    Error(node["group_interval"].Mark(), Sub(where, "group_interval"),
          "group_interval cannot be zero");
  }
  if (out->repeat_interval_ms == 0) {
    Error(node["repeat_interval"].Mark(), Sub(where, "repeat_interval"),
          "repeat_interval cannot be zero");
  }

  YAML::Node routes = node["routes"];
  if (routes.IsDefined() && !routes.IsNull()) {
    if (!routes.IsSequence()) {
      Error(routes.Mark(), Sub(where, "routes"), "expected a list of routes");
    } else {
      for (size_t i = 0; i < routes.size(); ++i) {
        RouteConfig child;
        ParseRoute(routes[i], fmt::format("{}.routes[{}]", where, i), &child);
        out->routes.push_back(std::move(child));
      }
    }
  }
}

void Parser::CheckReceivers(const RouteConfig& route, const std::set<std::string>& names,
                            const YAML::Node& node, const std::string& where) {
  if (!route.receiver.empty() && !names.contains(route.receiver)) {
    YAML::Node r = node.IsMap() ? node["receiver"] : node;
    Error(r.IsDefined() ? r.Mark() : node.Mark(), Sub(where, "receiver"),
          fmt::format("undefined receiver \"{}\" used in route", route.receiver));
  }
  YAML::Node routes = node.IsMap() ? node["routes"] : YAML::Node();
  for (size_t i = 0; i < route.routes.size(); ++i) {
    YAML::Node child = routes.IsSequence() && i < routes.size() ? routes[i] : node;
    CheckReceivers(route.routes[i], names, child, fmt::format("{}.routes[{}]", where, i));
  }
}

void Parser::ParseReceiver(const YAML::Node& node, const std::string& where, ReceiverConfig* out) {
  if (!CheckMap(node, where, {"name", "webhook_configs"}, kOtherIntegrations, kOnlyWebhooks)) {
    return;
  }
  if (auto name = Scalar(node, "name", where); name && !name->empty()) {
    out->name = *name;
  } else {
    Error(node.Mark(), where, "missing name in receiver");
    return;
  }
  std::string rwhere = fmt::format("receiver \"{}\"", out->name);
  YAML::Node webhooks = node["webhook_configs"];
  if (!webhooks.IsDefined() || webhooks.IsNull()) return;
  if (!webhooks.IsSequence()) {
    Error(webhooks.Mark(), Sub(rwhere, "webhook_configs"), "expected a list");
    return;
  }
  for (size_t i = 0; i < webhooks.size(); ++i) {
    WebhookConfig webhook;
    ParseWebhook(webhooks[i], fmt::format("{}.webhook_configs[{}]", rwhere, i), &webhook);
    out->webhooks.push_back(std::move(webhook));
  }
}

void Parser::ParseWebhook(const YAML::Node& node, const std::string& where, WebhookConfig* out) {
  if (!CheckMap(node, where,
                {"url", "send_resolved", "max_alerts", "http_config", "timeout", "headers"},
                {"url_file"}, "put the URL in the file itself")) {
    return;
  }
  std::optional<std::string> url = Scalar(node, "url", where);
  if (!url || url->empty()) {
    Error(node.Mark(), where, "one of url or url_file must be configured");
  } else {
    const YAML::Mark mark = node["url"].Mark();
    std::string_view u = *url;
    size_t colon = u.find("://");
    std::string scheme = colon == std::string_view::npos ? "" : std::string(u.substr(0, colon));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "https") {
      Error(mark, Sub(where, "url"),
            "https is not supported by Sluice: use an http:// URL (e.g. a local TLS-terminating "
            "proxy)");
    } else if (scheme != "http") {
      Error(
          mark, Sub(where, "url"),
          fmt::format("unsupported scheme \"{}\" for URL (Sluice sends to http:// only)", scheme));
    } else {
      std::string_view rest = u.substr(colon + 3);
      std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
      if (host.empty()) {
        Error(mark, Sub(where, "url"), "host for URL must not be empty");
      } else {
        out->endpoint.url = *url;
      }
    }
  }
  if (auto b = Bool(node, "send_resolved", where)) out->send_resolved = *b;
  if (auto m = Scalar(node, "max_alerts", where)) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), v);
    if (ec != std::errc() || end != m->data() + m->size()) {
      Error(node["max_alerts"].Mark(), Sub(where, "max_alerts"),
            fmt::format("expected a non-negative integer, got \"{}\"", *m));
    } else {
      out->max_alerts = v;
    }
  }
  if (auto t = DurationMs(node, "timeout", where)) {
    if (*t > 0) out->endpoint.timeout = std::chrono::milliseconds(*t);
  }
  YAML::Node http = node["http_config"];
  if (http.IsDefined() && !http.IsNull()) {
    ParseHttpConfig(http, Sub(where, "http_config"), &out->endpoint);
  }
  YAML::Node headers = node["headers"];
  if (headers.IsDefined() && !headers.IsNull()) {
    std::string hwhere = Sub(where, "headers");
    if (!headers.IsMap()) {
      Error(headers.Mark(), hwhere, "expected a mapping of header names to values");
      return;
    }
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) {
        Error(it->first.Mark(), hwhere, "expected a mapping of header names to values");
        continue;
      }
      const std::string name = it->first.Scalar();
      const std::string value = it->second.Scalar();
      if (!IsHttpToken(name)) {
        Error(it->first.Mark(), hwhere, fmt::format("invalid header name \"{}\"", name));
      } else if (value.find_first_of("\r\n") != std::string::npos) {
        Error(it->second.Mark(), hwhere,
              fmt::format("the value of header \"{}\" must not contain a line break", name));
      } else if (EqualsIgnoreCase(name, "Content-Type") ||
                 EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Host")) {
        Error(it->first.Mark(), hwhere, fmt::format("header \"{}\" is set by Sluice", name));
      } else if (EqualsIgnoreCase(name, "Authorization") &&
                 (!out->endpoint.bearer_token.empty() || !out->endpoint.basic_username.empty() ||
                  !out->endpoint.basic_password.empty())) {
        Error(it->first.Mark(), hwhere,
              "header \"Authorization\" conflicts with the credentials of http_config");
      } else {
        out->endpoint.headers.emplace_back(name, value);
      }
    }
  }
}

void Parser::ParseHttpConfig(const YAML::Node& node, const std::string& where, HttpEndpoint* out) {
  if (!CheckMap(node, where, {"authorization", "bearer_token", "basic_auth"}, kOtherHttpConfig,
                "Sluice sends plain HTTP with bearer, basic or custom authorization only")) {
    return;
  }
  std::optional<std::string> bearer = Scalar(node, "bearer_token", where);
  YAML::Node basic = node["basic_auth"];
  YAML::Node auth = node["authorization"];
  bool has_basic = basic.IsDefined() && !basic.IsNull();
  bool has_auth = auth.IsDefined() && !auth.IsNull();
  if (has_basic && bearer) {
    Error(node.Mark(), where,
          "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be "
          "configured");
    return;
  }
  if (has_auth && bearer) {
    Error(node.Mark(), where,
          "authorization is not compatible with bearer_token & "
          "bearer_token_file");
    return;
  }
  if (has_auth && has_basic) {
    Error(node.Mark(), where,
          "at most one of basic_auth, oauth2 & authorization must be "
          "configured");
    return;
  }
  if (bearer) out->bearer_token = *bearer;
  if (has_basic) {
    std::string bwhere = Sub(where, "basic_auth");
    if (CheckMap(basic, bwhere, {"username", "password"}, {"username_file", "password_file"},
                 "write the credentials in the config")) {
      if (auto u = Scalar(basic, "username", bwhere)) out->basic_username = *u;
      if (auto p = Scalar(basic, "password", bwhere)) out->basic_password = *p;
    }
  }
  if (has_auth) {
    std::string awhere = Sub(where, "authorization");
    if (CheckMap(auth, awhere, {"type", "credentials"}, {"credentials_file"},
                 "write the credentials in the config")) {
      std::string type = Scalar(auth, "type", awhere).value_or("");
      type.erase(0, type.find_first_not_of(" \t"));
      type.erase(type.find_last_not_of(" \t") + 1);
      if (type.empty()) type = "Bearer";
      std::string credentials = Scalar(auth, "credentials", awhere).value_or("");
      if (EqualsIgnoreCase(type, "basic")) {
        Error(auth.Mark(), awhere,
              "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      } else if (type == "Bearer") {
        out->bearer_token = credentials;
      } else if (type.find_first_of("\r\n") != std::string::npos ||
                 credentials.find_first_of("\r\n") != std::string::npos) {
        Error(auth.Mark(), awhere, "type and credentials must not contain line breaks");
      } else {
        // Sent as Prometheus' client does: "Authorization: <type> <credentials>".
        out->headers.emplace_back("Authorization", type + " " + credentials);
      }
    }
  }
}

}  // namespace

const ReceiverConfig* NotifyConfig::FindReceiver(std::string_view name) const {
  for (const ReceiverConfig& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<NotifyConfig> ParseNotifyConfig(std::string_view file_name, std::string_view content) {
  return Parser(file_name).Parse(content);
}

Result<NotifyConfig> LoadNotifyConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open the file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError(fmt::format("{}: cannot read the file", path));
  return ParseNotifyConfig(path, text.str());
}

}  // namespace sluice::alerting

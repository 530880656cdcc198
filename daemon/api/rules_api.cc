#include "daemon/api/rules_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "base/json_writer.h"
#include "base/time_format.h"
#include "daemon/api/ingest_common.h"

namespace sluice::daemon {
namespace {

using alerting::AlertInstance;
using alerting::AlertState;
using alerting::GroupStatus;
using alerting::RuleLanguage;
using alerting::RuleStatus;

std::string Rfc3339(int64_t unix_ms) {
  if (unix_ms == 0) return "0001-01-01T00:00:00Z";  // Go's zero time.Time
  return FormatRfc3339Nano(unix_ms * 1'000'000);
}

// strconv.FormatFloat(v, 'e', 10, 64), as Prometheus prints an alert's value.
std::string AlertValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.10e}", v);
}

void WriteLabels(JsonWriter& w, const storage::Labels& labels) {
  w.BeginObject();
  for (const auto& l : labels) {
    w.Key(l.name);
    w.String(l.value);
  }
  w.EndObject();
}

void WriteAlert(JsonWriter& w, const AlertInstance& a) {
  w.BeginObject();
  w.Key("labels");
  WriteLabels(w, a.labels);
  w.Key("annotations");
  WriteLabels(w, a.annotations);
  w.Key("state");
  w.String(alerting::AlertStateName(a.state));
  w.Key("activeAt");
  w.String(Rfc3339(a.active_at_ms));
  if (a.keep_firing_since_ms != 0) {
    w.Key("keepFiringSince");
    w.String(Rfc3339(a.keep_firing_since_ms));
  }
  w.Key("value");
  w.String(AlertValue(a.value));
  w.EndObject();
}

// What the API lists as a rule's alerts: pending and firing ones (Prometheus' ActiveAlerts).
bool Listed(const AlertInstance& a) { return a.resolved_at_ms == 0; }

void WriteRule(JsonWriter& w, const RuleStatus& r, bool exclude_alerts) {
  w.BeginObject();
  if (r.spec.is_alert()) {
    w.Key("state");
    w.String(alerting::AlertStateName(r.state));
  }
  w.Key("name");
  w.String(r.spec.name());
  w.Key("query");
  w.String(r.query);
  if (r.spec.is_alert()) {
    w.Key("duration");
    w.Double(static_cast<double>(r.spec.for_ms) / 1000);
    w.Key("keepFiringFor");
    w.Double(static_cast<double>(r.spec.keep_firing_for_ms) / 1000);
  }
  w.Key("labels");
  WriteLabels(w, r.spec.labels);
  if (r.spec.is_alert()) {
    w.Key("annotations");
    WriteLabels(w, r.spec.annotations);
    if (!exclude_alerts) {
      w.Key("alerts");
      w.BeginArray();
      for (const AlertInstance& a : r.alerts) {
        if (Listed(a)) WriteAlert(w, a);
      }
      w.EndArray();
    }
  }
  w.Key("health");
  w.String(r.health);
  if (!r.last_error.empty()) {
    w.Key("lastError");
    w.String(r.last_error);
  }
  w.Key("evaluationTime");
  w.Double(r.evaluation_seconds);
  w.Key("lastEvaluation");
  w.String(Rfc3339(r.last_evaluation_ms));
  w.Key("type");
  w.String(r.spec.is_alert() ? "alerting" : "recording");
  w.EndObject();
}

bool Selected(const std::vector<std::string_view>& wanted, std::string_view value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

HttpResponse BadData(std::string_view message) {
  return HttpResponse::JsonError(400, "bad_data", message);
}

HttpResponse Success(const std::string& data) {
  return HttpResponse::Json(200, R"({"status":"success","data":)" + data + "}");
}

HttpResponse RulesJson(const std::vector<GroupStatus>& groups, RuleLanguage language,
                       const HttpRequest& req) {
  std::string type(req.params.Get("type"));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!type.empty() && type != "alert" && type != "record") {
    return BadData(fmt::format("invalid parameter \"type\": not supported value \"{}\"", type));
  }
  std::string_view exclude = req.params.Get("exclude_alerts");
  if (!exclude.empty() && exclude != "true" && exclude != "false" && exclude != "1" &&
      exclude != "0") {
    return BadData(fmt::format("invalid parameter \"exclude_alerts\": {}", exclude));
  }
  const bool exclude_alerts = exclude == "true" || exclude == "1";
  std::vector<std::string_view> names = req.params.GetAll("rule_name[]");
  std::vector<std::string_view> group_names = req.params.GetAll("rule_group[]");
  std::vector<std::string_view> files = req.params.GetAll("file[]");

  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  w.Key("groups");
  w.BeginArray();
  for (const GroupStatus& g : groups) {
    if (g.language != language || !Selected(group_names, g.name) || !Selected(files, g.file)) {
      continue;
    }
    std::vector<const RuleStatus*> rules;
    for (const RuleStatus& r : g.rules) {
      if (type == "alert" && !r.spec.is_alert()) continue;
      if (type == "record" && r.spec.is_alert()) continue;
      if (!Selected(names, r.spec.name())) continue;
      rules.push_back(&r);
    }
    // Filters that leave a group empty drop it, as Prometheus does.
    if (rules.empty() && (!type.empty() || !names.empty())) continue;
    w.BeginObject();
    w.Key("name");
    w.String(g.name);
    w.Key("file");
    w.String(g.file);
    w.Key("rules");
    w.BeginArray();
    for (const RuleStatus* r : rules) WriteRule(w, *r, exclude_alerts);
    w.EndArray();
    w.Key("interval");
    w.Double(static_cast<double>(g.interval_ms) / 1000);
    w.Key("limit");
    w.Int(g.limit);
    w.Key("evaluationTime");
    w.Double(g.evaluation_seconds);
    w.Key("lastEvaluation");
    w.String(Rfc3339(g.last_evaluation_ms));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Success(data);
}

HttpResponse AlertsJson(const std::vector<GroupStatus>& groups, RuleLanguage language) {
  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  w.Key("alerts");
  w.BeginArray();
  for (const GroupStatus& g : groups) {
    if (g.language != language) continue;
    for (const RuleStatus& r : g.rules) {
      for (const AlertInstance& a : r.alerts) {
        if (Listed(a)) WriteAlert(w, a);
      }
    }
  }
  w.EndArray();
  w.EndObject();
  return Success(data);
}

// A YAML double-quoted scalar: JSON's string escapes are valid in it.
std::string YamlString(std::string_view s) {
  std::string out;
  JsonWriter w(&out);
  w.String(s);
  return out;
}

std::string FormatDurationMs(int64_t ms) {
  // Prometheus' model.Duration String(): the largest units that divide it exactly.
  if (ms == 0) return "0s";
  std::string out;
  struct Unit {
    int64_t ms;
    const char* name;
  };
  for (Unit u : {Unit{7 * 24 * 3'600'000LL, "w"}, Unit{24 * 3'600'000LL, "d"}, Unit{3'600'000, "h"},
                 Unit{60'000, "m"}, Unit{1000, "s"}, Unit{1, "ms"}}) {
    if (ms >= u.ms) {
      out += fmt::format("{}{}", ms / u.ms, u.name);
      ms %= u.ms;
    }
  }
  return out;
}

void AppendYamlMap(const storage::Labels& labels, std::string_view indent, std::string* out) {
  for (const auto& l : labels) {
    *out += fmt::format("{}{}: {}\n", indent, l.name, YamlString(l.value));
  }
}

// Loki's ruler listing: namespace → groups in Prometheus' rule file format.
HttpResponse RulesYaml(const std::vector<GroupStatus>& groups) {
  std::string out;
  std::string namespace_name;
  bool any = false;
  for (const GroupStatus& g : groups) {
    if (g.language != RuleLanguage::kLogQL) continue;
    if (!any || g.file != namespace_name) {
      namespace_name = g.file;
      out += YamlString(g.file) + ":\n";
    }
    any = true;
    out += "    - name: " + YamlString(g.name) + "\n";
    if (g.interval_ms > 0) out += "      interval: " + FormatDurationMs(g.interval_ms) + "\n";
    if (g.limit > 0) out += fmt::format("      limit: {}\n", g.limit);
    out += "      rules:\n";
    for (const RuleStatus& r : g.rules) {
      if (r.spec.is_alert()) {
        out += "        - alert: " + YamlString(r.spec.alert) + "\n";
      } else {
        out += "        - record: " + YamlString(r.spec.record) + "\n";
      }
      out += "          expr: " + YamlString(r.spec.expr) + "\n";
      if (r.spec.for_ms > 0) out += "          for: " + FormatDurationMs(r.spec.for_ms) + "\n";
      if (r.spec.keep_firing_for_ms > 0) {
        out += "          keep_firing_for: " + FormatDurationMs(r.spec.keep_firing_for_ms) + "\n";
      }
      if (!r.spec.labels.empty()) {
        out += "          labels:\n";
        AppendYamlMap(r.spec.labels, "            ", &out);
      }
      if (!r.spec.annotations.empty()) {
        out += "          annotations:\n";
        AppendYamlMap(r.spec.annotations, "            ", &out);
      }
    }
  }
  if (!any) return HttpResponse::Text(404, "no rule groups found\n");
  HttpResponse response = HttpResponse::Text(200, std::move(out));
  response.headers.Set("Content-Type", "application/yaml");
  return response;
}

HttpResponse Unsupported(HttpMethod method) {
  const char* op = method == HttpMethod::kGet    ? "GetRuleGroup"
                   : method == HttpMethod::kPost ? "SetRuleGroup"
                                                 : "DeleteRuleGroup";
  return HttpResponse::Text(400, fmt::format("{} unsupported in rule local store\n", op));
}

}  // namespace

void RegisterRulesApi(Router& router, RulesApiOptions options) {
  auto api = std::make_shared<RulesApiOptions>(std::move(options));
  auto groups = [api](const HttpRequest& request) {
    Result<std::string> tenant = RequestTenant(request, api->default_tenant);
    if (!api->groups || !tenant.ok()) return std::vector<GroupStatus>{};
    return api->groups(*tenant);
  };
  constexpr auto kGet = HttpMethod::kGet;
  for (auto [prefix, lang] : {std::pair{"/api/v1", RuleLanguage::kPromQL},
                              std::pair{"/prometheus/api/v1", RuleLanguage::kLogQL}}) {
    const RuleLanguage language = lang;
    router.Add({kGet}, std::string(prefix) + "/rules",
               [groups, language](HttpRequest req, Responder responder) {
                 responder.Send(RulesJson(groups(req), language, req));
               });
    router.Add({kGet}, std::string(prefix) + "/alerts",
               [groups, language](HttpRequest req, Responder responder) {
                 responder.Send(AlertsJson(groups(req), language));
               });
  }
  for (const char* prefix : {"/loki/api/v1/rules", "/api/prom/rules"}) {
    router.Add({kGet}, prefix, [groups](HttpRequest req, Responder responder) {
      responder.Send(RulesYaml(groups(req)));
    });
    router.Add(
        {HttpMethod::kPost}, prefix,
        [](HttpRequest req, Responder responder) { responder.Send(Unsupported(req.method)); },
        {.access = RouteAccess::kAdmin});
    for (const char* suffix : {"/{namespace}", "/{namespace}/{group}"}) {
      router.Add(
          {kGet, HttpMethod::kPost, HttpMethod::kDelete}, std::string(prefix) + suffix,
          [](HttpRequest req, Responder responder) { responder.Send(Unsupported(req.method)); });
    }
  }
}

}  // namespace sluice::daemon

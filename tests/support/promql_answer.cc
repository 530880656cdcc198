#include "tests/support/promql_answer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "tests/support/test_http_client.h"

namespace sluice::testing {
namespace {

AnswerPoint ParsePoint(simdjson::dom::array pair) {
  if (pair.size() != 2) throw std::runtime_error("a point is not [time, value]");
  AnswerPoint p;
  p.t_ms = std::llround(double(pair.at(0).get_double()) * 1000);
  p.text = std::string(std::string_view(pair.at(1).get_string()));
  // Go's formatting, NaN, +Inf or -Inf: strtod reads them all.
  p.value = std::strtod(p.text.c_str(), nullptr);
  return p;
}

SeriesKey ParseLabels(simdjson::dom::object object) {
  SeriesKey key;
  for (auto [name, value] : object)
    key[std::string(name)] = std::string(value.get_string().value());
  return key;
}

}  // namespace

Answer ParseAnswer(int http, const std::string& body) {
  Answer a;
  a.http = http;
  a.body = body;
  try {
    simdjson::dom::parser parser;
    simdjson::dom::object doc = parser.parse(body);
    a.status = std::string(std::string_view(doc["status"].get_string()));
    if (a.status == "error") {
      a.error_type = std::string(std::string_view(doc["errorType"].get_string()));
      a.error = std::string(std::string_view(doc["error"].get_string()));
      return a;
    }
    simdjson::dom::element data = doc["data"];
    if (data.is_string()) {  // format_query
      a.strings.emplace_back(std::string_view(data.get_string()));
      return a;
    }
    if (data.is_object() && data["resultType"].error()) {  // metadata: compared as text
      a.strings.push_back(simdjson::minify(data));
      return a;
    }
    if (data.is_array()) {
      for (simdjson::dom::element item : data.get_array()) {
        if (item.is_string()) {
          a.strings.emplace_back(std::string_view(item.get_string()));
        } else {
          a.series.push_back({ParseLabels(item.get_object()), {}});
        }
      }
      return a;
    }
    a.result_type = std::string(std::string_view(data["resultType"].get_string()));
    simdjson::dom::element result = data["result"];
    if (a.result_type == "scalar" || a.result_type == "string") {
      a.series.push_back({{}, {ParsePoint(result.get_array())}});
      return a;
    }
    for (simdjson::dom::object item : result.get_array()) {
      ResultSeries series{ParseLabels(item["metric"].get_object()), {}};
      if (a.result_type == "vector") {
        series.points.push_back(ParsePoint(item["value"].get_array()));
      } else {
        for (simdjson::dom::element p : item["values"].get_array()) {
          series.points.push_back(ParsePoint(p.get_array()));
        }
      }
      a.series.push_back(std::move(series));
    }
  } catch (const std::exception& e) {
    a.malformed = e.what();
  }
  return a;
}

bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

std::string TimeText(int64_t ms) {
  return ms % 1000 == 0 ? fmt::format("{}", ms / 1000)
                        : fmt::format("{}.{:03}", ms / 1000, ms % 1000);
}

std::vector<std::string> Compare(const Answer& want, const Answer& got, Order order) {
  std::vector<std::string> d;
  // When Prometheus' body is no API answer (405 Method Not Allowed in plain text, say), only the
  // HTTP status is compared.
  if (!want.malformed.empty()) {
    if (want.http != got.http) {
      d.push_back(fmt::format("Prometheus: HTTP {} {}", want.http, want.body.substr(0, 300)));
      d.push_back(fmt::format("Sluice:     HTTP {} {}", got.http, got.body.substr(0, 300)));
    }
    return d;
  }
  if (!got.malformed.empty()) {
    d.push_back(fmt::format("Sluice's answer (HTTP {}) is malformed ({}): {}", got.http,
                            got.malformed, got.body.substr(0, 300)));
    return d;
  }
  if (want.http != got.http || want.status != got.status || want.error_type != got.error_type) {
    d.push_back(fmt::format("Prometheus: HTTP {} {} {} {}", want.http, want.status, want.error_type,
                            want.error.substr(0, 300)));
    d.push_back(
        fmt::format("Sluice:     HTTP {} {} {} {}", got.http, got.status, got.error_type,
                    got.status == "error" ? got.error.substr(0, 300) : got.body.substr(0, 300)));
    return d;
  }
  if (want.status == "error") return d;
  if (want.result_type != got.result_type) {
    d.push_back(
        fmt::format("resultType: Prometheus {}, Sluice {}", want.result_type, got.result_type));
    return d;
  }
  if (want.strings != got.strings) {
    d.push_back(fmt::format("data: Prometheus [{}], Sluice [{}]", fmt::join(want.strings, ", "),
                            fmt::join(got.strings, ", ")));
  }
  std::map<SeriesKey, const ResultSeries*> theirs;
  for (const ResultSeries& s : got.series) {
    if (!theirs.emplace(s.labels, &s).second) {
      d.push_back("Sluice returned series twice: " + KeyText(s.labels));
    }
  }
  std::set<SeriesKey> ours;
  for (const ResultSeries& w : want.series) {
    ours.insert(w.labels);
    auto it = theirs.find(w.labels);
    if (it == theirs.end()) {
      d.push_back(fmt::format("missing series {} ({} points, first {} @{})", KeyText(w.labels),
                              w.points.size(), w.points.empty() ? "" : w.points[0].text,
                              w.points.empty() ? "" : TimeText(w.points[0].t_ms)));
      continue;
    }
    const std::vector<AnswerPoint>& g = it->second->points;
    size_t i = 0, j = 0;
    while (i < w.points.size() || j < g.size()) {
      const AnswerPoint* a = i < w.points.size() ? &w.points[i] : nullptr;
      const AnswerPoint* b = j < g.size() ? &g[j] : nullptr;
      std::string key = KeyText(w.labels);
      if (a && (!b || a->t_ms < b->t_ms)) {
        d.push_back(
            fmt::format("{} @{}: Prometheus {}, Sluice none", key, TimeText(a->t_ms), a->text));
        ++i;
      } else if (b && (!a || b->t_ms < a->t_ms)) {
        d.push_back(
            fmt::format("{} @{}: Prometheus none, Sluice {}", key, TimeText(b->t_ms), b->text));
        ++j;
      } else {
        bool same =
            want.result_type == "string" ? a->text == b->text : SameValue(a->value, b->value);
        if (!same) {
          d.push_back(fmt::format("{} @{}: Prometheus {}, Sluice {}", key, TimeText(a->t_ms),
                                  a->text, b->text));
        }
        ++i, ++j;
      }
    }
  }
  for (const ResultSeries& s : got.series) {
    if (!ours.count(s.labels)) {
      d.push_back(fmt::format("extra series {} ({} points, first {})", KeyText(s.labels),
                              s.points.size(), s.points.empty() ? "" : s.points[0].text));
    }
  }
  if (d.empty() && order == Order::kByLabels) {
    for (size_t i = 0; i < want.series.size(); ++i) {
      if (want.series[i].labels != got.series[i].labels) {
        d.push_back(fmt::format("series order differs at #{}: Prometheus {}, Sluice {}", i,
                                KeyText(want.series[i].labels), KeyText(got.series[i].labels)));
        break;
      }
    }
  }
  if (d.empty() && order == Order::kByValue) {
    for (size_t i = 0; i < want.series.size(); ++i) {
      double a = want.series[i].points.at(0).value, b = got.series[i].points.at(0).value;
      if (!SameValue(a, b)) {
        d.push_back(fmt::format("order differs at #{}: Prometheus {} ({}), Sluice {} ({})", i,
                                KeyText(want.series[i].labels), a, KeyText(got.series[i].labels),
                                b));
        break;
      }
    }
  }
  return d;
}

bool OrderedByValue(std::string_view expr) {
  size_t first = expr.find_first_not_of(" \t"), last = expr.find_last_not_of(" \t");
  if (first == std::string_view::npos) return false;
  expr = expr.substr(first, last + 1 - first);
  size_t open = expr.find('(');
  if (open == std::string_view::npos) return false;
  std::string_view name = expr.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name != "sort" && name != "sort_desc" && name != "topk" && name != "bottomk") return false;
  int depth = 0;
  for (size_t i = open; i < expr.size(); ++i) {
    if (expr[i] == '(') ++depth;
    if (expr[i] == ')' && --depth == 0) return i + 1 == expr.size();
  }
  return false;
}

std::string ApiCall::Describe() const {
  return post ? fmt::format("{}: {}\n  POST {} with form {}", where, expr, path, params)
              : fmt::format("{}: {}\n  GET {}?{}", where, expr, path, params);
}

Answer Ask(uint16_t port, const ApiCall& call) {
  std::optional<TestResponse> r =
      call.post ? HttpRequestOnce(port, "POST", call.path, call.params,
                                  {{"Content-Type", "application/x-www-form-urlencoded"}})
                : HttpRequestOnce(port, "GET", call.path + "?" + call.params);
  if (!r) {
    Answer a;
    a.malformed = "no answer";
    return a;
  }
  return ParseAnswer(r->status, r->body);
}

std::string RunCalls(uint16_t want_port, uint16_t got_port, const std::vector<ApiCall>& calls,
                     size_t* mismatches) {
  std::string report;
  std::vector<std::string> differing;  // where and expression, once each
  *mismatches = 0;
  const char* dump_path = std::getenv("SLUICE_PROMQL_DIFF_DUMP");
  std::ofstream dump;
  if (dump_path) dump.open(dump_path);
  for (const ApiCall& call : calls) {
    Answer want = Ask(want_port, call);
    if (dump_path) {
      dump << call.Describe() << "\n  " << want.http << " " << want.status << " " << want.error_type
           << " " << want.error << " " << want.result_type << " " << want.series.size()
           << " series, " << want.strings.size()
           << " strings: " << (want.series.empty() ? "" : KeyText(want.series[0].labels)) << " "
           << (want.series.empty() || want.series[0].points.empty() ? ""
                                                                    : want.series[0].points[0].text)
           << "\n";
    }
    std::vector<std::string> diff = Compare(want, Ask(got_port, call), call.order);
    if (diff.empty()) continue;
    ++*mismatches;
    if (differing.empty() || differing.back() != call.where + ": " + call.expr) {
      differing.push_back(call.where + ": " + call.expr);
    }
    report += call.Describe() + "\n";
    for (size_t i = 0; i < diff.size() && i < 8; ++i) report += "    " + diff[i] + "\n";
    if (diff.size() > 8) report += fmt::format("    ... and {} more\n", diff.size() - 8);
  }
  if (differing.empty()) return "";
  return fmt::format("{}\n{} expressions answered differently:\n  {}\n", report, differing.size(),
                     fmt::join(differing, "\n  "));
}

}  // namespace sluice::testing

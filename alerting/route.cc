#include "alerting/route.h"

#include <algorithm>

#include "query/promql_lexer.h"

namespace sluice::alerting {
namespace {

// OpenMetrics escaping, as labels.Matcher.String() uses for values.
void AppendOpenMetricsEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '"':
        out->append("\\\"");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

std::string MatchersString(const storage::LabelMatchers& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(matchers[i].name());
    out.append(storage::MatchOpString(matchers[i].op()));
    out.push_back('"');
    AppendOpenMetricsEscaped(matchers[i].value(), &out);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::unique_ptr<Route> Route::Build(const RouteConfig& root) {
  return std::unique_ptr<Route>(new Route(root, nullptr, 0));
}

Route::Route(const RouteConfig& config, const Route* parent, int position)
    : parent_(parent),
      opts_(parent != nullptr ? parent->opts_ : RouteOpts{}),
      matchers_(config.matchers),
      continue_(config.continue_matching) {
  if (!config.receiver.empty()) opts_.receiver = config.receiver;
  if (config.group_by.has_value()) {
    opts_.group_by = *config.group_by;
    std::sort(opts_.group_by.begin(), opts_.group_by.end());
    opts_.group_by.erase(std::unique(opts_.group_by.begin(), opts_.group_by.end()),
                         opts_.group_by.end());
    opts_.group_by_all = false;
  } else if (config.group_by_all) {
    opts_.group_by_all = true;
  }
  if (config.group_wait_ms) opts_.group_wait_ms = *config.group_wait_ms;
  if (config.group_interval_ms) opts_.group_interval_ms = *config.group_interval_ms;
  if (config.repeat_interval_ms) opts_.repeat_interval_ms = *config.repeat_interval_ms;

  // Alertmanager sorts by name, then value, then match type.
  std::stable_sort(matchers_.begin(), matchers_.end(),
                   [](const storage::LabelMatcher& a, const storage::LabelMatcher& b) {
                     if (a.name() != b.name()) return a.name() < b.name();
                     if (a.value() != b.value()) return a.value() < b.value();
                     return static_cast<int>(a.op()) < static_cast<int>(b.op());
                   });

  if (parent != nullptr) {
    key_ = parent->key_;
    key_.push_back('/');
  }
  key_ += MatchersString(matchers_);
  id_ = parent != nullptr ? key_ + "/" + std::to_string(position) : key_;

  int child_position = 0;
  for (const RouteConfig& child : config.routes) {
    routes_.push_back(std::unique_ptr<Route>(new Route(child, this, child_position++)));
  }
}

std::vector<const Route*> Route::Match(const storage::Labels& labels) const {
  for (const storage::LabelMatcher& m : matchers_) {
    if (!m.MatchesLabels(labels)) return {};
  }
  std::vector<const Route*> all;
  for (const auto& child : routes_) {
    std::vector<const Route*> matches = child->Match(labels);
    bool matched = !matches.empty();
    all.insert(all.end(), matches.begin(), matches.end());
    if (matched && !child->continue_) break;
  }
  if (all.empty()) all.push_back(this);
  return all;
}

storage::Labels Route::GroupLabels(const storage::Labels& alert_labels) const {
  if (opts_.group_by_all) return alert_labels;
  storage::Labels out;
  for (const storage::Label& l : alert_labels) {
    if (std::binary_search(opts_.group_by.begin(), opts_.group_by.end(), l.name)) {
      out.push_back(l);
    }
  }
  return out;
}

std::string Route::GroupKey(const storage::Labels& group_labels) const {
  std::string out = key_;
  // model.LabelSet.String(): {a="x", b="y"}, values through strconv.Quote.
  out.append(":{");
  for (size_t i = 0; i < group_labels.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(group_labels[i].name);
    out.push_back('=');
    out.append(query::promql::GoQuote(group_labels[i].value));
  }
  out.push_back('}');
  return out;
}

void Route::Walk(const std::function<void(const Route&)>& visit) const {
  visit(*this);
  for (const auto& child : routes_) child->Walk(visit);
}

}  // namespace sluice::alerting

#include "daemon/http/router.h"

#include <algorithm>
#include <stdexcept>

namespace sluice::daemon {
namespace {

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. Empty segments are kept, so "/a//b" and
// "/a/b/" do not match "/a/b".
std::vector<std::string_view> SplitPath(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string_view> segments;
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsCapture(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Exact segments before captures: "/api/v1/labels" must win over "/{index}/_bulk"-like patterns.
int Specificity(const std::vector<std::string>& segments) {
  int score = 0;
  for (const auto& s : segments) score = score * 2 + (IsCapture(s) ? 0 : 1);
  return score;
}

}  // namespace

void Router::Add(std::initializer_list<HttpMethod> methods, std::string pattern,
                 HttpHandler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with /: " + pattern);
  }
  // Ingest must never be open to read-only credentials by an oversight.
  if (options.admission && options.access != RouteAccess::kWrite) {
    throw std::invalid_argument("an ingest route (admission) needs RouteAccess::kWrite: " +
                                pattern);
  }
  CompiledRoute compiled;
  for (std::string_view s : SplitPath(pattern)) compiled.segments.emplace_back(s);
  for (const auto& existing : routes_) {
    if (existing.pattern != pattern) continue;
    for (HttpMethod m : methods) {
      if (std::find(existing.methods.begin(), existing.methods.end(), m) !=
          existing.methods.end()) {
        throw std::invalid_argument("route registered twice: " + std::string(HttpMethodName(m)) +
                                    " " + pattern);
      }
    }
  }
  Route route{std::move(pattern), methods, std::move(handler), options, routes_.size()};
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(compiled));
}

bool Router::Matches(const CompiledRoute& route, const std::vector<std::string_view>& segments,
                     std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (IsCapture(want)) {
      if (segments[i].empty()) return false;
      continue;
    }
    if (want != segments[i]) return false;
  }
  if (params != nullptr) {
    params->clear();
    for (size_t i = 0; i < segments.size(); ++i) {
      const std::string& want = route.segments[i];
      if (IsCapture(want)) {
        params->emplace_back(want.substr(1, want.size() - 2),
                             PercentDecode(segments[i], /*plus_is_space=*/false));
      }
    }
  }
  return true;
}

Router::Match Router::Find(HttpMethod method, std::string_view path) const {
  std::vector<std::string_view> segments = SplitPath(path);
  Match match;
  const Route* best = nullptr;
  int best_score = -1;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!Matches(compiled_[i], segments, nullptr)) continue;
    const Route& route = routes_[i];
    auto has = [&](HttpMethod m) {
      return std::find(route.methods.begin(), route.methods.end(), m) != route.methods.end();
    };
    bool method_ok = has(method) || (method == HttpMethod::kHead && has(HttpMethod::kGet));
    if (!method_ok) {
      for (HttpMethod m : route.methods) {
        if (std::find(match.allowed.begin(), match.allowed.end(), m) == match.allowed.end()) {
          match.allowed.push_back(m);
        }
      }
      continue;
    }
    int score = Specificity(compiled_[i].segments);
    if (score > best_score) {
      best = &route;
      best_score = score;
    }
  }
  if (best != nullptr) {
    match.outcome = Outcome::kFound;
    match.route = best;
    match.allowed.clear();
    Matches(compiled_[best->index], segments, &match.params);
    return match;
  }
  match.outcome = match.allowed.empty() ? Outcome::kNotFound : Outcome::kMethodNotAllowed;
  return match;
}

}  // namespace sluice::daemon

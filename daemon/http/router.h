// Router: the one route table of the HTTP API. Components register their handlers at start-up;
// the server looks a request up and calls the handler on its IO thread.
//
// Patterns are paths whose segments may be `{name}` (one segment, captured into
// HttpRequest::path_params). Exact segments win over captures. A pattern may be added more than
// once with different methods. A HEAD request falls back to the
// GET handler (the server sends only the headers). The pattern doubles as the `route` label of
// the HTTP metrics, so label cardinality stays bounded by the table.
//
// Thread-safety: Add before the server starts; Find is then safe from any thread.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/http/http_message.h"
#include "daemon/http/responder.h"

namespace sluice::daemon {

// Handlers run on an IO thread: they must not block. Long work is handed to other threads,
// which answer through the Responder.
using HttpHandler = std::function<void(HttpRequest request, Responder responder)>;

// What a credential must grant to use a route when auth is on (see authenticator.h).
enum class RouteAccess {
  kRead,           // queries and lookups (the default)
  kWrite,          // ingest
  kAdmin,          // reload, deletion, flush
  kAnyCredential,  // handshakes shippers and Grafana make before they write or read
};

struct RouteOptions {
  // The body is admitted against the server's AdmissionBudget before it is read (ingest routes):
  // when the budget is full the server stops reading (TCP pushes back) and, after a bounded wait,
  // answers 503 with Retry-After.
  bool admission = false;
  // A WebSocket endpoint: the server answers a request that is not a WebSocket upgrade (GET with
  // `Connection: Upgrade` and `Upgrade: websocket`) with 400 itself, so the handler sees only
  // upgrades, which it accepts with Responder::AcceptWebSocket or refuses with Send.
  bool websocket = false;
  RouteAccess access = RouteAccess::kRead;
};

struct Route {
  std::string pattern;
  std::vector<HttpMethod> methods;
  HttpHandler handler;
  RouteOptions options;
  size_t index = 0;  // position in the table, for per-route metrics
};

class Router {
 public:
  enum class Outcome { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Route* route = nullptr;                             // set when kFound
    std::vector<std::pair<std::string, std::string>> params;  // set when kFound
    std::vector<HttpMethod> allowed;                          // set when kMethodNotAllowed
  };

  void Add(std::initializer_list<HttpMethod> methods, std::string pattern, HttpHandler handler,
           RouteOptions options = {});

  Match Find(HttpMethod method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct CompiledRoute {
    std::vector<std::string> segments;  // "{name}" marks a capture
  };
  static bool Matches(const CompiledRoute& route, const std::vector<std::string_view>& segments,
                      std::vector<std::pair<std::string, std::string>>* params);

  std::vector<Route> routes_;
  std::vector<CompiledRoute> compiled_;
};

}  // namespace sluice::daemon

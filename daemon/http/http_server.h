// HttpServer: HTTP/1.1 on Boost.Beast, with keep-alive, N IO threads (one io_context each), request
// size limits, header/body/idle/write timeouts, Content-Encoding decoding and graceful shutdown.
//
// Per connection, one request at a time: read headers (read_header_timeout), refuse bodies over
// max_request_bytes with 413 before reading them, answer `Expect: 100-continue`, read the body
// (read_timeout), undo Content-Encoding (max_decoded_bytes), route, let the handler answer through
// its Responder (from any thread), write the response (write_timeout), then wait for the next
// request (idle_timeout). A client that is slow or silent in any phase is disconnected, so it
// cannot hold a connection slot or memory for longer than those timeouts.
//
// WebSocket routes (RouteOptions::websocket) take only upgrades (anything else gets 400). A handler
// that accepts one (Responder::AcceptWebSocket) gets the connection as a WebSocketSession: the
// server sends 101, answers pings, pings a quiet client and drops one silent for 30 s, completes
// the closing handshake, and on Shutdown closes it at once with 1001 instead of waiting for it.
//
// With an AccessControl whose auth is enabled, each request's credentials are checked once its
// headers are read (authenticator.h); a refused one gets 401 or 403 and the connection closes.
// An accepted one reaches its handler with X-Scope-OrgID set to its credential's tenant.
//
// Threads: Start() launches io_threads threads; handlers run on them. Shutdown() and Stop() may be
// called from any other thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/admission_budget.h"
#include "base/status.h"
#include "config/config.h"
#include "daemon/http/authenticator.h"
#include "daemon/http/http_metrics.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

// Admission of ingest bodies (routes with RouteOptions::admission).
struct AdmissionOptions {
  AdmissionBudget* budget = nullptr;  // nullptr: no admission control
  std::chrono::nanoseconds max_wait = std::chrono::seconds(10);
  std::chrono::seconds retry_after = std::chrono::seconds(1);
  // Bytes reserved for a chunked body, whose size is unknown before it is read.
  uint64_t unknown_length_reservation = 1 << 20;
};

class HttpServer {
 public:
  // `router`, `metrics` and the admission budget must outlive the server. `config.io_threads` must
  // be resolved (> 0).
  // `access`, when given, must outlive the server too; without it no request is authenticated.
  HttpServer(const config::ServerConfig& config, const Router& router, HttpMetrics& metrics,
             AdmissionOptions admission = {}, const AccessControl* access = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves TLS with `tls` on connections accepted from now on (null: plain HTTP). Callable
  // before Start and at any time after (certificate reload); open connections keep theirs.
  void SetTlsContext(std::shared_ptr<boost::asio::ssl::context> tls);

  // Binds config.http_listen ("host:port", ":port", "[v6]:port"; port 0 picks a free one) and
  // starts serving.
  Status Start();

  // The bound address and port, once started.
  std::string local_address() const;
  uint16_t port() const;

  // Stops accepting, closes idle connections and WebSockets, lets requests in flight finish
  // (their responses close the connection), and returns when no connection is left or `grace` has
  // passed, after which the remaining connections are closed. Returns the number closed forcibly.
  size_t Shutdown(std::chrono::nanoseconds grace);

  // Stops the IO threads and joins them. Implies Shutdown(0) if it was not called.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::daemon

#include "daemon/http/http_server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "daemon/http/padded_body.h"
#include "daemon/http/responder.h"
#include "daemon/http/server_stream.h"
#include "pipeline/buffer_pool.h"
#include "pipeline/content_decoding.h"

namespace sluice::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// After a response that closes the connection, keep reading (and discarding) for this long, so
// that a client still sending a refused body receives our answer instead of a TCP reset.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr size_t kLingerBytes = 4 << 20;

// A WebSocket pings a client that has sent nothing (not even a pong) for half of this, and drops
// it after all of it: that is how a vanished client (no FIN) frees its connection.
constexpr auto kWebSocketIdleTimeout = std::chrono::seconds(30);
// Client messages are small (WebSocket routes stream to the client); bound what one may cost.
constexpr size_t kWebSocketMaxMessageBytes = 1 << 20;
// Once reading has ended, how long the writer may take to finish the closing handshake before
// the socket is closed under it.
constexpr auto kWebSocketCloseWait = std::chrono::seconds(2);
// The opening handshake (writing the 101) and the closing one (the client's close frame), at
// most; server.write_timeout when that is shorter.
constexpr std::chrono::nanoseconds kWebSocketHandshakeTimeout = std::chrono::seconds(10);

class WebSocketChannel;

// One accepted connection. Lives on one io_context thread; other threads reach it only by posting.
struct Connection {
  Connection(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls)
      : stream(std::move(socket), std::move(tls)), response_ready(stream.get_executor()) {}

  ServerStream stream;
  asio::steady_timer response_ready;     // cancelled when `response` or `websocket_session` is set
  std::optional<HttpResponse> response;  // the handler's answer, set on this connection's thread
  // A WebSocket route's handler accepted the upgrade (instead of answering), on this thread.
  std::shared_ptr<WebSocketSession> websocket_session;
  std::weak_ptr<WebSocketChannel> websocket;  // once the connection is a WebSocket
  bool idle = true;                           // waiting for the first byte of a request
  std::string remote_address;
};

// The WebSocket a connection became after a 101: Beast's stream over the connection's
// tcp_stream, the queue of outgoing messages, and the session's timers. Lives on the connection's
// IO thread; the WebSocketConnection methods, callable from any thread, dispatch to it.
//
// Two coroutines drive it: ReadLoop (the only reader: Beast answers pings and close frames while
// it reads; client messages go to the session) and WriteLoop (the only writer: queued messages,
// then the close frame). Beast allows exactly one of each at a time.
class WebSocketChannel final : public WebSocketConnection,
                               public std::enable_shared_from_this<WebSocketChannel> {
 public:
  explicit WebSocketChannel(std::shared_ptr<Connection> conn)
      : conn_(std::move(conn)),
        ws_(conn_->stream),
        executor_(conn_->stream.get_executor()),
        wake_(executor_),
        writer_done_(executor_) {}

  websocket::stream<ServerStream&>& stream() { return ws_; }

  // --- WebSocketConnection (any thread) ---

  void SendText(std::string message) override {
    if (closing_.load()) return;
    queued_.fetch_add(1);
    asio::dispatch(executor_, [self = shared_from_this(), m = std::move(message)]() mutable {
      if (self->close_requested_ || self->finished_) {
        self->queued_.fetch_sub(1);
        return;
      }
      self->outbox_.push_back(std::move(m));
      self->wake_.cancel();
    });
  }

  size_t queued() const override { return queued_.load(); }

  void Close(uint16_t code, std::string reason) override {
    asio::dispatch(executor_, [self = shared_from_this(), code, r = std::move(reason)]() mutable {
      self->RequestClose(code, std::move(r), /*discard_queued=*/false);
    });
  }

  void RunAfter(std::chrono::nanoseconds delay, std::function<void()> task) override {
    asio::dispatch(executor_, [self = shared_from_this(), delay, t = std::move(task)]() mutable {
      if (self->finished_) return;
      auto timer = std::make_shared<asio::steady_timer>(self->executor_, delay);
      self->timers_.insert(timer);
      timer->async_wait([self, timer, t = std::move(t)](const boost::system::error_code& ec) {
        self->timers_.erase(timer);
        if (ec || self->finished_) return;
        self->Guarded("timer task", t);
      });
    });
  }

  bool closing() const override { return closing_.load(); }

  // --- the connection's IO thread ---

  void Open(std::shared_ptr<WebSocketSession> session) {
    session_ = std::move(session);
    Guarded("OnOpen", [&] { session_->OnOpen(shared_from_this()); });
  }

  // Sends a close frame after the queue (or instead of it: shutdown), then closes.
  void RequestClose(uint16_t code, std::string reason, bool discard_queued) {
    if (close_requested_ || finished_) return;
    close_requested_ = true;
    closing_.store(true);
    // A close frame has room for 123 bytes of reason; cut at a UTF-8 character boundary.
    constexpr size_t kMaxReason = 123;
    if (reason.size() > kMaxReason) {
      size_t n = kMaxReason;
      while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
      reason.resize(n);
    }
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    if (discard_queued) {
      queued_.fetch_sub(outbox_.size());
      outbox_.clear();
    }
    wake_.cancel();
  }

  asio::awaitable<void> ReadLoop() {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    while (true) {
      co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      if (!close_requested_ && session_) {
        std::string_view message(static_cast<const char*>(buffer.data().data()), buffer.size());
        Guarded("OnMessage", [&] { session_->OnMessage(message); });
      }
      buffer.consume(buffer.size());
    }
    closing_.store(true);
    read_done_ = true;
    wake_.cancel();
  }

  // The writer, spawned apart from the reader; its frame keeps the channel alive.
  static asio::awaitable<void> WriteLoop(std::shared_ptr<WebSocketChannel> self) {
    co_await self->Write();
  }

  asio::awaitable<void> Write() {
    boost::system::error_code ec;
    bool failed = false;
    while (!read_done_) {
      if (!outbox_.empty()) {
        std::string message = std::move(outbox_.front());
        outbox_.pop_front();
        co_await ws_.async_write(asio::buffer(message),
                                 asio::redirect_error(asio::use_awaitable, ec));
        queued_.fetch_sub(1);
        failed = static_cast<bool>(ec);
        if (failed) break;
        continue;
      }
      if (close_requested_) {
        co_await ws_.async_close(close_reason_, asio::redirect_error(asio::use_awaitable, ec));
        failed = static_cast<bool>(ec);
        break;
      }
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // A failed write leaves nothing to wait for: end the read too.
    if (failed && !read_done_) conn_->stream.tcp().close();
    writer_finished_ = true;
    writer_done_.cancel();
  }

  // After ReadLoop: lets the writer finish the closing handshake, for a while.
  asio::awaitable<void> WaitForWriter() {
    boost::system::error_code ec;
    if (!writer_finished_) {
      writer_done_.expires_after(kWebSocketCloseWait);
      co_await writer_done_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!writer_finished_) {
      conn_->stream.tcp().close();  // a write the client does not read, or a close it never answers
      writer_done_.expires_at(Clock::time_point::max());
      co_await writer_done_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // The connection is over: no task runs after this, and the session hears it last.
  void Finish() {
    finished_ = true;
    closing_.store(true);
    queued_.fetch_sub(outbox_.size());
    outbox_.clear();
    for (const auto& timer : timers_) timer->cancel();
    timers_.clear();
    if (std::shared_ptr<WebSocketSession> session = std::move(session_)) {
      Guarded("OnClose", [&] { session->OnClose(); });
    }
  }

 private:
  // Session code must not take the connection's coroutines down with an exception.
  template <typename F>
  void Guarded(const char* what, const F& f) {
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::error("websocket {} threw: {}", what, e.what());
      RequestClose(static_cast<uint16_t>(websocket::close_code::internal_error), "internal error",
                   /*discard_queued=*/true);
    }
  }

  std::shared_ptr<Connection> conn_;
  websocket::stream<ServerStream&> ws_;
  asio::any_io_executor executor_;
  asio::steady_timer wake_;         // the idle writer waits on it; cancelled when there is work
  asio::steady_timer writer_done_;  // cancelled when WriteLoop ends
  std::shared_ptr<WebSocketSession> session_;
  std::deque<std::string> outbox_;
  std::unordered_set<std::shared_ptr<asio::steady_timer>> timers_;
  websocket::close_reason close_reason_;
  bool close_requested_ = false;
  bool read_done_ = false;
  bool writer_finished_ = false;
  bool finished_ = false;
  std::atomic<bool> closing_{false};
  std::atomic<size_t> queued_{0};
};

// Watches a connection while its handler works: when the client closes it, sets `gone` so that
// long work (a query) can stop. Waits for readability without reading; a peek tells a close
// (zero bytes) from a pipelined request (data, left for the parser).
void WatchForClientClose(const std::shared_ptr<Connection>& conn,
                         std::shared_ptr<std::atomic<bool>> gone) {
  conn->stream.tcp().socket().async_wait(
      tcp::socket::wait_read, [conn, gone = std::move(gone)](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled: the answer is ready
        char byte = 0;
        ssize_t n =
            ::recv(conn->stream.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          gone->store(true, std::memory_order_relaxed);
        }
      });
}

// Hands a handler's answer (from any thread) to the connection's thread.
class ConnectionSink final : public ResponseSink {
 public:
  ConnectionSink(std::shared_ptr<Connection> conn, std::shared_ptr<std::atomic<bool>> client_gone)
      : conn_(std::move(conn)), client_gone_(std::move(client_gone)) {}

  std::shared_ptr<const std::atomic<bool>> ClientGone() const override { return client_gone_; }

  void Deliver(HttpResponse response) override {
    asio::post(conn_->stream.get_executor(), [conn = conn_, r = std::move(response)]() mutable {
      conn->response = std::move(r);
      conn->response_ready.cancel();
    });
  }

  void DeliverComputed(std::function<HttpResponse()> make) override {
    asio::post(conn_->stream.get_executor(), [conn = conn_, make = std::move(make)]() {
      conn->response = make();
      conn->response_ready.cancel();
    });
  }

  void AcceptWebSocket(std::shared_ptr<WebSocketSession> session) override {
    asio::post(conn_->stream.get_executor(), [conn = conn_, s = std::move(session)]() mutable {
      conn->websocket_session = std::move(s);
      conn->response_ready.cancel();
    });
  }

 private:
  std::shared_ptr<Connection> conn_;
  std::shared_ptr<std::atomic<bool>> client_gone_;
};

Result<tcp::endpoint> ResolveListenAddress(asio::io_context& ctx, const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("listen address \"{}\" has no port (expected host:port)", listen));
  }
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  boost::system::error_code ec;
  tcp::resolver resolver(ctx);
  auto results =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument(
        fmt::format("cannot resolve listen address \"{}\": {}", listen, ec.message()));
  }
  return results.begin()->endpoint();
}

int StatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

}  // namespace

struct HttpServer::Impl {
  Impl(const config::ServerConfig& c, const Router& r, HttpMetrics& m, AdmissionOptions a,
       const AccessControl* ac)
      : config(c), router(r), metrics(m), admission(a), access(ac) {}

  // --- lifecycle ---------------------------------------------------------------------------

  Status Start() {
    size_t threads = static_cast<size_t>(std::max(1, config.io_threads));
    for (size_t i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      guards.emplace_back(asio::make_work_guard(*contexts.back()));
    }
    SLUICE_ASSIGN_OR_RETURN(tcp::endpoint endpoint,
                            ResolveListenAddress(*contexts[0], config.http_listen));
    acceptor.emplace(*contexts[0]);
    boost::system::error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::FailedPrecondition(
          fmt::format("cannot listen on {}: {}", config.http_listen, ec.message()));
    }
    bound = acceptor->local_endpoint();
    asio::co_spawn(*contexts[0], AcceptLoop(),
                   [](const std::exception_ptr& e) { LogEscaped(e, "accept"); });
    for (size_t i = 0; i < threads; ++i) {
      io_threads.emplace_back([this, i] {
        pthread_setname_np(pthread_self(), fmt::format("sluice-io-{}", i).c_str());
        contexts[i]->run();
      });
    }
    return Status::Ok();
  }

  size_t Shutdown(std::chrono::nanoseconds grace) {
    if (contexts.empty()) return 0;
    if (!draining.exchange(true)) {
      asio::post(*contexts[0], [this] {
        boost::system::error_code ignored;
        if (acceptor) acceptor->close(ignored);
      });
      // Idle connections go now; busy ones finish their request and close; WebSockets are
      // closed with 1001 (going away), without the messages still queued.
      ForEachConnection([](Connection& c) {
        if (c.idle) c.stream.tcp().cancel();
        if (auto ws = c.websocket.lock()) {
          ws->RequestClose(static_cast<uint16_t>(websocket::close_code::going_away),
                           "server shutting down", /*discard_queued=*/true);
        }
      });
    }
    std::unique_lock lock(mu);
    bool drained = connections_cv.wait_for(lock, grace, [&] { return connections.empty(); });
    if (drained) return 0;
    size_t forced = connections.size();
    lock.unlock();
    ForEachConnection([](Connection& c) {
      c.stream.tcp().close();
      c.response_ready.cancel();
    });
    lock.lock();
    connections_cv.wait_for(lock, std::chrono::seconds(5), [&] { return connections.empty(); });
    return forced;
  }

  void Stop() {
    if (contexts.empty()) return;
    if (!draining.load()) Shutdown(std::chrono::nanoseconds(0));
    for (auto& g : guards) g.reset();
    for (auto& c : contexts) c->stop();
    for (auto& t : io_threads) t.join();
    io_threads.clear();
    acceptor.reset();
    contexts.clear();
  }

  template <typename F>
  void ForEachConnection(F f) {
    std::vector<std::weak_ptr<Connection>> all;
    {
      std::lock_guard lock(mu);
      for (auto& [ptr, weak] : connections) all.push_back(weak);
    }
    for (auto& weak : all) {
      if (auto conn = weak.lock()) {
        asio::post(conn->stream.get_executor(), [conn, f] { f(*conn); });
      }
    }
  }

  static void LogEscaped(const std::exception_ptr& e, const char* where) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http {}: unexpected exception: {}", where, ex.what());
    }
  }

  // --- accepting ----------------------------------------------------------------------------

  asio::awaitable<void> AcceptLoop() {
    while (!draining.load()) {
      asio::io_context& target = *contexts[next_context++ % contexts.size()];
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor->async_accept(target, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || draining.load()) break;
        spdlog::warn("http accept failed: {}", ec.message());
        // Out of file descriptors and the like: back off instead of spinning.
        asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      metrics.connections_accepted.Increment();
      size_t open = 0;
      {
        std::lock_guard lock(mu);
        open = connections.size();
      }
      if (open >= static_cast<size_t>(config.max_connections)) {
        metrics.connections_rejected.Increment();
        socket.close(ec);
        continue;
      }
      auto conn = std::make_shared<Connection>(std::move(socket), CurrentTls());
      auto remote = conn->stream.tcp().socket().remote_endpoint(ec);
      if (!ec)
        conn->remote_address = fmt::format("{}:{}", remote.address().to_string(), remote.port());
      Register(conn);
      asio::co_spawn(target, Serve(conn),
                     [](const std::exception_ptr& e) { LogEscaped(e, "connection"); });
    }
  }

  void Register(const std::shared_ptr<Connection>& conn) {
    std::lock_guard lock(mu);
    connections.emplace(conn.get(), conn);
    metrics.open_connections.Increment();
  }

  void Unregister(Connection* conn) {
    std::lock_guard lock(mu);
    connections.erase(conn);
    metrics.open_connections.Decrement();
    connections_cv.notify_all();
  }

  // --- one connection -----------------------------------------------------------------------

  asio::awaitable<void> Serve(std::shared_ptr<Connection> conn) {
    struct Unregisterer {
      Impl* impl;
      Connection* conn;
      ~Unregisterer() { impl->Unregister(conn); }
    } unregister{this, conn.get()};

    boost::system::error_code ec;
    if (conn->stream.is_tls()) {
      // The handshake counts as reading headers: a client that stalls in it is dropped as one
      // that stalls before its first request line.
      conn->stream.tcp().expires_after(config.read_header_timeout);
      co_await conn->stream.tls().async_handshake(asio::ssl::stream_base::server,
                                                  asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        metrics.CountError(RequestError::kTlsHandshake);
        spdlog::debug("http: TLS handshake with {} failed: {}", conn->remote_address, ec.message());
        conn->stream.tcp().close();
        co_return;
      }
    }
    beast::flat_buffer buffer;
    bool keep_going = true;
    while (keep_going && !draining.load()) {
      keep_going = co_await ServeOneRequest(conn, buffer);
    }
    if (conn->stream.is_tls()) {
      conn->stream.tcp().expires_after(kLingerTime);
      co_await conn->stream.tls().async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    conn->stream.tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    conn->stream.tcp().close();
  }

  // Returns whether the connection stays open for another request.
  asio::awaitable<bool> ServeOneRequest(std::shared_ptr<Connection> self,
                                        beast::flat_buffer& buffer) {
    Connection& conn = *self;
    boost::system::error_code ec;
    // Wait for the first byte under the idle timeout; the header timeout starts with it.
    if (buffer.size() == 0) {
      conn.idle = true;
      conn.stream.tcp().expires_after(config.idle_timeout);
      size_t n = co_await conn.stream.async_read_some(
          buffer.prepare(16 * 1024), asio::redirect_error(asio::use_awaitable, ec));
      conn.idle = false;
      if (ec) co_return false;  // idle timeout, client closed, or shutdown
      buffer.commit(n);
    }
    conn.idle = false;

    http::request_parser<PaddedStringBody> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_request_bytes);
    conn.stream.tcp().expires_after(config.read_header_timeout);
    co_await http::async_read_header(conn.stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return co_await FailRead(conn, ec, /*in_body=*/false);

    const auto& header = parser.get();
    HttpMethod method = ParseHttpMethod(header.method_string());
    std::string_view target = header.target();
    Router::Match match = router.Find(method, target.substr(0, target.find('?')));
    const Route* matched = match.outcome == Router::Outcome::kFound ? match.route : nullptr;

    // Credentials are checked before the body is admitted or read: a refused client costs
    // neither memory nor the time to receive what it sends.
    std::string auth_tenant;
    if (std::shared_ptr<const Authenticator> auth = access ? access->current() : nullptr;
        auth && auth->enabled()) {
      AuthDecision decision =
          auth->Authorize(matched, header[http::field::authorization], header["X-Scope-OrgID"]);
      if (decision.status != 200) {
        bool unauthenticated = decision.status == 401;
        metrics.CountError(unauthenticated ? RequestError::kUnauthenticated
                                           : RequestError::kForbidden);
        spdlog::debug("http: {} {} from {} refused ({}): {}", header.method_string(),
                      target.substr(0, target.find('?')), conn.remote_address, decision.status,
                      decision.message);
        HttpResponse refused = HttpResponse::JsonError(
            decision.status, unauthenticated ? "unauthorized" : "forbidden", decision.message);
        if (unauthenticated) {
          refused.headers.Add("WWW-Authenticate", "Basic realm=\"sluice\", charset=\"UTF-8\"");
          refused.headers.Add("WWW-Authenticate", "Bearer realm=\"sluice\"");
        }
        co_return co_await Finish(conn, std::move(refused), header.version(), false, false,
                                  matched ? matched->index : metrics.unmatched_slot(), Clock::now(),
                                  0);
      }
      auth_tenant = std::move(decision.tenant);
    }

    // Ingest bodies wait for memory before they are read; the unread socket pushes back.
    AdmissionLease lease;
    if (match.outcome == Router::Outcome::kFound && match.route->options.admission &&
        admission.budget != nullptr) {
      uint64_t want = parser.content_length().value_or(admission.unknown_length_reservation);
      bool admitted = co_await Admit(conn, want, &lease);
      if (!admitted) {
        metrics.admission_refused.Increment();
        HttpResponse busy = HttpResponse::JsonError(
            503, "unavailable",
            "Sluice is at its in-flight memory limit (ingest.max_inflight_bytes); retry later");
        busy.headers.Set("Retry-After", std::to_string(admission.retry_after.count()));
        co_return co_await Finish(conn, std::move(busy), header.version(), false, false,
                                  match.route->index, Clock::now(), 0);
      }
    }

    if (auto expect = header[http::field::expect]; beast::iequals(expect, "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, header.version()};
      conn.stream.tcp().expires_after(config.write_timeout);
      co_await http::async_write(conn.stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
    }
    conn.stream.tcp().expires_after(config.read_timeout);
    co_await http::async_read(conn.stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return co_await FailRead(conn, ec, /*in_body=*/true);

    auto started = Clock::now();
    http::request<PaddedStringBody> message = parser.release();
    // A WebSocket route keeps the handshake's headers for Beast's accept.
    const bool upgrade = match.outcome == Router::Outcome::kFound &&
                         match.route->options.websocket && websocket::is_upgrade(message);
    http::request<http::empty_body> upgrade_request;
    if (upgrade) upgrade_request.base() = message.base();
    HttpRequest request;
    request.received_at = started;
    request.remote_address = conn.remote_address;
    request.method = ParseHttpMethod(message.method_string());
    request.target = std::string(message.target());
    size_t q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos)
      request.params = QueryParams::Parse(std::string_view(request.target).substr(q + 1));
    for (const auto& field : message) {
      request.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    // The tenant of an authenticated request is its credential's, whatever it claimed.
    if (!auth_tenant.empty()) request.headers.Set("X-Scope-OrgID", std::move(auth_tenant));
    request.wire_body_bytes = message.body().size();
    request.lease = std::move(lease);
    bool keep_alive = message.keep_alive();
    unsigned version = message.version();
    bool head = request.method == HttpMethod::kHead;

    Result<pipeline::ContentEncoding> encoding =
        pipeline::ParseContentEncoding(message[http::field::content_encoding]);
    if (!encoding.ok()) {
      metrics.CountError(RequestError::kBadEncoding);
      co_return co_await Finish(
          conn, HttpResponse::JsonError(415, "bad_data", encoding.status().message()), version,
          keep_alive, head, metrics.unmatched_slot(), started, request.wire_body_bytes);
    }
    if (*encoding == pipeline::ContentEncoding::kIdentity) {
      request.body = std::move(message.body());  // PaddedStringBody left room for the parsers
      if (request.body.size() > config.max_decoded_bytes) {
        co_return co_await Finish(
            conn,
            HttpResponse::JsonError(413, "bad_data",
                                    "request body exceeds server.max_decoded_bytes"),
            version, false, head, metrics.unmatched_slot(), started, request.wire_body_bytes);
      }
    } else {
      request.body = pipeline::BufferPool::RequestBodies().Take(0);
      Status decoded = pipeline::DecodeContent(*encoding, message.body(), config.max_decoded_bytes,
                                               request.body);
      pipeline::BufferPool::RequestBodies().Give(std::move(message.body()));
      if (!decoded.ok()) {
        metrics.CountError(RequestError::kBadEncoding);
        co_return co_await Finish(
            conn, HttpResponse::JsonError(StatusFor(decoded), "bad_data", decoded.message()),
            version, keep_alive, head, metrics.unmatched_slot(), started, request.wire_body_bytes);
      }
    }
    message = {};  // free the encoded body before the handler runs
    request.lease.GrowTo(request.body.capacity());

    if (match.outcome == Router::Outcome::kNotFound) {
      co_return co_await Finish(
          conn,
          HttpResponse::JsonError(
              404, "not_found",
              fmt::format("no endpoint {} {}", HttpMethodName(request.method), request.path)),
          version, keep_alive, head, metrics.unmatched_slot(), started, request.wire_body_bytes);
    }
    if (match.outcome == Router::Outcome::kMethodNotAllowed) {
      std::vector<std::string_view> names;
      for (HttpMethod m : match.allowed) names.push_back(HttpMethodName(m));
      HttpResponse response = HttpResponse::JsonError(
          405, "method_not_allowed",
          fmt::format("{} does not accept {} (allowed: {})", request.path,
                      HttpMethodName(request.method), fmt::join(names, ", ")));
      response.headers.Set("Allow", fmt::format("{}", fmt::join(names, ", ")));
      co_return co_await Finish(conn, std::move(response), version, keep_alive, head,
                                metrics.unmatched_slot(), started, request.wire_body_bytes);
    }

    const Route& route = *match.route;
    if (route.options.websocket && !upgrade) {
      HttpResponse refused = HttpResponse::Text(
          400, fmt::format("{} is a WebSocket endpoint: send GET with Connection: Upgrade and "
                           "Upgrade: websocket\n",
                           request.path));
      refused.headers.Set("Sec-WebSocket-Version", "13");
      co_return co_await Finish(conn, std::move(refused), version, keep_alive, head, route.index,
                                started, request.wire_body_bytes);
    }
    request.path_params = std::move(match.params);
    uint64_t wire_bytes = request.wire_body_bytes;
    conn.response.reset();
    auto client_gone = std::make_shared<std::atomic<bool>>(false);
    try {  // the sink keeps the connection alive until the answer arrives

      route.handler(std::move(request),
                    Responder(std::make_shared<ConnectionSink>(self, client_gone)));
    } catch (const std::exception& e) {
      spdlog::error("handler for {} threw: {}", route.pattern, e.what());
    }
    if (!conn.response && !conn.websocket_session) {
      WatchForClientClose(self, client_gone);
      conn.response_ready.expires_at(Clock::time_point::max());
      co_await conn.response_ready.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      boost::system::error_code ignored;
      conn.stream.tcp().socket().cancel(ignored);
    }
    if (std::shared_ptr<WebSocketSession> session = std::move(conn.websocket_session)) {
      conn.websocket_session.reset();
      if (!upgrade) {
        spdlog::error("handler for {} accepted a WebSocket on a route without the option",
                      route.pattern);
        co_return co_await Finish(
            conn, HttpResponse::JsonError(500, "internal", "not a WebSocket endpoint"), version,
            false, head, route.index, started, wire_bytes);
      }
      co_await ServeWebSocket(self, std::move(upgrade_request), std::move(session), route.index,
                              started);
      co_return false;
    }
    if (!conn.response) co_return false;  // forced shutdown while the handler was busy
    HttpResponse response = std::move(*conn.response);
    conn.response.reset();
    co_return co_await Finish(conn, std::move(response), version, keep_alive, head, route.index,
                              started, wire_bytes);
  }

  // Completes the WebSocket handshake (Beast answers 101, or 400 to a malformed handshake), then
  // runs the connection as a WebSocket until either side closes it.
  asio::awaitable<void> ServeWebSocket(std::shared_ptr<Connection> self,
                                       http::request<http::empty_body> upgrade_request,
                                       std::shared_ptr<WebSocketSession> session, size_t route_slot,
                                       Clock::time_point started) {
    Connection& conn = *self;
    conn.stream.tcp().expires_never();  // the WebSocket's own timeouts apply from here on
    auto channel = std::make_shared<WebSocketChannel>(self);
    websocket::stream<ServerStream&>& ws = channel->stream();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout =
        std::min<std::chrono::nanoseconds>(config.write_timeout, kWebSocketHandshakeTimeout);
    timeouts.idle_timeout = kWebSocketIdleTimeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(kWebSocketMaxMessageBytes);
    ws.auto_fragment(false);  // one frame per message
    ws.text(true);
    boost::system::error_code ec;
    co_await ws.async_accept(upgrade_request, asio::redirect_error(asio::use_awaitable, ec));
    metrics.CountRequest(route_slot, ec ? 400 : 101, 0);
    metrics.ObserveDuration(route_slot,
                            std::chrono::duration<double>(Clock::now() - started).count());
    if (ec) co_return;
    conn.websocket = channel;
    channel->Open(std::move(session));
    if (draining.load()) {
      channel->RequestClose(static_cast<uint16_t>(websocket::close_code::going_away),
                            "server shutting down", /*discard_queued=*/true);
    }
    asio::co_spawn(conn.stream.get_executor(), WebSocketChannel::WriteLoop(channel),
                   [](const std::exception_ptr& e) { LogEscaped(e, "websocket write"); });
    co_await channel->ReadLoop();
    co_await channel->WaitForWriter();
    channel->Finish();
  }

  // Waits, without reading the socket, until `bytes` fit the admission budget or max_wait passes.
  asio::awaitable<bool> Admit(Connection& conn, uint64_t bytes, AdmissionLease* lease) {
    if (admission.budget->TryAcquire(bytes)) {
      *lease = AdmissionLease(admission.budget, bytes);
      co_return true;
    }
    metrics.admission_waits.Increment();
    auto deadline = Clock::now() + admission.max_wait;
    asio::steady_timer timer(conn.stream.get_executor());
    auto pause = std::chrono::milliseconds(1);
    while (Clock::now() < deadline && !draining.load()) {
      timer.expires_after(pause);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (admission.budget->TryAcquire(bytes)) {
        *lease = AdmissionLease(admission.budget, bytes);
        co_return true;
      }
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    co_return false;
  }

  // Answers a request that could not be read completely, then closes.
  asio::awaitable<bool> FailRead(Connection& conn, boost::system::error_code ec, bool in_body) {
    auto started = Clock::now();
    if (ec == beast::error::timeout) {
      // tcp_stream closes the socket when it times out, so there is no answering with a 408;
      // like Go's net/http and nginx, we just hang up.
      metrics.CountError(in_body ? RequestError::kBodyTimeout : RequestError::kHeaderTimeout);
      co_return false;
    } else if (ec == http::error::body_limit) {
      metrics.CountError(RequestError::kTooLarge);
      co_await Finish(
          conn,
          HttpResponse::JsonError(413, "bad_data",
                                  fmt::format("request body exceeds the limit of {} bytes "
                                              "(server.max_request_bytes)",
                                              config.max_request_bytes)),
          11, false, false, metrics.unmatched_slot(), started, 0);
    } else if (ec == http::error::header_limit) {
      metrics.CountError(RequestError::kHeadersTooLarge);
      co_await Finish(
          conn,
          HttpResponse::JsonError(431, "bad_data",
                                  fmt::format("request headers exceed the limit of {} bytes "
                                              "(server.max_header_bytes)",
                                              config.max_header_bytes)),
          11, false, false, metrics.unmatched_slot(), started, 0);
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      metrics.CountError(RequestError::kMalformed);
      co_await Finish(conn,
                      HttpResponse::JsonError(
                          400, "bad_data", fmt::format("malformed HTTP request: {}", ec.message())),
                      11, false, false, metrics.unmatched_slot(), started, 0);
    }
    // Otherwise the client went away or we are shutting down: nobody to answer.
    co_return false;
  }

  // Writes `response`; returns whether the connection stays open.
  asio::awaitable<bool> Finish(Connection& conn, HttpResponse response, unsigned version,
                               bool keep_alive, bool head, size_t route_slot,
                               Clock::time_point started, uint64_t wire_bytes) {
    keep_alive = keep_alive && !response.close_connection && !draining.load();
    if (response.stream && !head) {
      co_return co_await FinishStreaming(conn, std::move(response), version, keep_alive, route_slot,
                                         started, wire_bytes);
    }
    http::response<http::string_body> res{static_cast<http::status>(response.status), version};
    for (auto& [name, value] : response.headers.fields()) res.insert(name, value);
    res.keep_alive(keep_alive);
    if (head) {
      res.content_length(response.body.size());
    } else {
      res.body() = std::move(response.body);
      res.prepare_payload();
    }
    metrics.CountRequest(route_slot, response.status, wire_bytes);
    boost::system::error_code ec;
    conn.stream.tcp().expires_after(config.write_timeout);
    co_await http::async_write(conn.stream, res, asio::redirect_error(asio::use_awaitable, ec));
    metrics.ObserveDuration(route_slot,
                            std::chrono::duration<double>(Clock::now() - started).count());
    if (ec) {
      metrics.CountError(RequestError::kWriteFailed);
      co_return false;
    }
    if (!keep_alive) co_await LingeringClose(conn);
    co_return keep_alive;
  }

  // Writes a response whose body comes from a BodySource, with chunked transfer encoding.
  asio::awaitable<bool> FinishStreaming(Connection& conn, HttpResponse response, unsigned version,
                                        bool keep_alive, size_t route_slot,
                                        Clock::time_point started, uint64_t wire_bytes) {
    http::response<http::empty_body> res{static_cast<http::status>(response.status), version};
    for (auto& [name, value] : response.headers.fields()) res.insert(name, value);
    res.keep_alive(keep_alive);
    res.chunked(true);
    metrics.CountRequest(route_slot, response.status, wire_bytes);
    http::response_serializer<http::empty_body> serializer{res};
    boost::system::error_code ec;
    conn.stream.tcp().expires_after(config.write_timeout);
    co_await http::async_write_header(conn.stream, serializer,
                                      asio::redirect_error(asio::use_awaitable, ec));
    std::string chunk;
    bool complete = false;
    while (!ec) {
      chunk.clear();
      Result<bool> more = response.stream->Next(&chunk);
      if (!more.ok()) {
        spdlog::warn("streamed response ended early: {}", more.status().message());
        break;
      }
      if (!chunk.empty()) {
        conn.stream.tcp().expires_after(config.write_timeout);
        co_await asio::async_write(conn.stream, http::make_chunk(asio::buffer(chunk)),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!*more) {
        if (!ec) {
          co_await asio::async_write(conn.stream, http::make_chunk_last(),
                                     asio::redirect_error(asio::use_awaitable, ec));
        }
        complete = !ec;
        break;
      }
    }
    metrics.ObserveDuration(route_slot,
                            std::chrono::duration<double>(Clock::now() - started).count());
    if (!complete) {
      if (ec) metrics.CountError(RequestError::kWriteFailed);
      co_return false;
    }
    if (!keep_alive) co_await LingeringClose(conn);
    co_return keep_alive;
  }

  // Half-closes, then discards what the client still sends for a short while (see kLingerTime).
  asio::awaitable<void> LingeringClose(Connection& conn) {
    boost::system::error_code ec;
    // TLS: Serve sends close_notify as the connection ends, and the shutdown reads (and drops)
    // what the client still sends until its own close_notify, for at most kLingerTime.
    if (conn.stream.is_tls()) co_return;
    conn.stream.tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    std::vector<char> sink(64 * 1024);
    size_t discarded = 0;
    conn.stream.tcp().expires_after(kLingerTime);
    while (discarded < kLingerBytes) {
      size_t n = co_await conn.stream.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      discarded += n;
    }
  }

  std::shared_ptr<asio::ssl::context> CurrentTls() {
    std::lock_guard lock(tls_mu);
    return tls;
  }

  config::ServerConfig config;
  const Router& router;
  HttpMetrics& metrics;
  AdmissionOptions admission;
  const AccessControl* access;
  std::mutex tls_mu;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> io_threads;
  std::optional<tcp::acceptor> acceptor;
  tcp::endpoint bound;
  std::atomic<size_t> next_context{0};
  std::atomic<bool> draining{false};

  std::mutex mu;
  std::condition_variable connections_cv;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
};

HttpServer::HttpServer(const config::ServerConfig& config, const Router& router,
                       HttpMetrics& metrics, AdmissionOptions admission,
                       const AccessControl* access)
    : impl_(std::make_unique<Impl>(config, router, metrics, admission, access)) {
  std::vector<std::string> patterns;
  for (const Route& r : router.routes()) patterns.push_back(r.pattern);
  metrics.PrepareRoutes(patterns);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() { return impl_->Start(); }

void HttpServer::SetTlsContext(std::shared_ptr<boost::asio::ssl::context> tls) {
  std::lock_guard lock(impl_->tls_mu);
  impl_->tls = std::move(tls);
}

std::string HttpServer::local_address() const {
  const auto& ep = impl_->bound;
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

uint16_t HttpServer::port() const { return impl_->bound.port(); }

size_t HttpServer::Shutdown(std::chrono::nanoseconds grace) { return impl_->Shutdown(grace); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace sluice::daemon

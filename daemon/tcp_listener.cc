#include "daemon/tcp_listener.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "daemon/http/server_stream.h"
#include "pipeline/content_decoding.h"

namespace sluice::daemon {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr size_t kReadChunk = 1 << 20;
constexpr size_t kMaxPartialLine = 4 << 20;

constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);

struct Connection {
  Connection(tcp::socket s, std::shared_ptr<asio::ssl::context> tls)
      : stream(std::move(s), std::move(tls)), done_timer(stream.get_executor()) {}
  ServerStream stream;
  asio::steady_timer done_timer;
  std::optional<pipeline::IngestResult> result;
  bool storing = false;  // a chunk is with the ingest service: finish it before closing
};

}  // namespace

struct TcpLogListener::Impl {
  Impl(TcpListenerOptions o, pipeline::IngestService* s, prometheus::Registry& r)
      : options(std::move(o)),
        service(s),
        lines_rejected(prometheus::BuildCounter()
                           .Name("sluice_tcp_lines_rejected_total")
                           .Help("Lines received on the TCP listener that were not valid log "
                                 "entries and were skipped.")
                           .Register(r)
                           .Add({})),
        chunks_failed(prometheus::BuildCounter()
                          .Name("sluice_tcp_chunks_failed_total")
                          .Help("Chunks of TCP lines that could not be stored (the connection was "
                                "closed so the sender reconnects and resends).")
                          .Register(r)
                          .Add({})),
        connections_gauge(prometheus::BuildGauge()
                              .Name("sluice_tcp_open_connections")
                              .Help("Connections open on the TCP listener.")
                              .Register(r)
                              .Add({})) {}

  asio::awaitable<void> AcceptLoop() {
    while (!stopping.load()) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping.load() || ec == asio::error::operation_aborted) break;
        asio::steady_timer pause(context, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      std::shared_ptr<asio::ssl::context> tls;
      {
        std::lock_guard lock(mu);
        tls = options.tls;
      }
      auto conn = std::make_shared<Connection>(std::move(socket), std::move(tls));
      {
        std::lock_guard lock(mu);
        connections[conn.get()] = conn;
      }
      connections_gauge.Increment();
      asio::co_spawn(context, Serve(conn), asio::detached);
    }
  }

  // Hands `lines` (complete lines, padded) to the ingest service and waits for them to be durable.
  asio::awaitable<bool> Submit(Connection& conn, std::string lines,
                               const std::shared_ptr<Connection>& self) {
    AdmissionLease lease;
    if (options.budget != nullptr) {
      asio::steady_timer wait(context);
      while (!options.budget->TryAcquire(lines.size())) {
        wait.expires_after(std::chrono::milliseconds(5));
        boost::system::error_code ec;
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      lease = AdmissionLease(options.budget, lines.size());
    }
    pipeline::IngestRequest request;
    request.tenant = options.tenant;
    request.format = pipeline::IngestFormat::kJsonLinesLenient;
    request.mapping = options.mapping;
    request.body = std::move(lines);
    conn.result.reset();
    conn.storing = true;
    auto held = std::make_shared<AdmissionLease>(std::move(lease));
    service->Submit(std::move(request), [self, held](pipeline::IngestResult r) {
      asio::post(self->stream.get_executor(), [self, r = std::move(r)]() mutable {
        self->result = std::move(r);
        self->done_timer.cancel();
      });
    });
    if (!conn.result) {
      conn.done_timer.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await conn.done_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    conn.storing = false;
    if (!conn.result) co_return false;
    const pipeline::IngestResult& r = *conn.result;
    if (!r.status.ok()) {
      chunks_failed.Increment();
      spdlog::warn("tcp listener: could not store lines from {}: {}", Peer(conn),
                   r.status.message());
      co_return false;
    }
    if (r.otlp.rejected > 0) {
      lines_rejected.Increment(static_cast<double>(r.otlp.rejected));
      spdlog::warn("tcp listener: skipped {} invalid lines from {}; first: {}", r.otlp.rejected,
                   Peer(conn), r.otlp.error_message);
    }
    co_return true;
  }

  static std::string Peer(Connection& conn) {
    boost::system::error_code ec;
    auto ep = conn.stream.tcp().socket().remote_endpoint(ec);
    return ec ? "?" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }

  asio::awaitable<void> Serve(std::shared_ptr<Connection> conn) {
    std::string pending;  // bytes read after the last newline
    std::vector<char> chunk(kReadChunk);
    asio::steady_timer idle(context);
    bool open = true;
    if (conn->stream.is_tls()) {
      boost::system::error_code ec;
      conn->stream.tcp().expires_after(kTlsHandshakeTimeout);
      co_await conn->stream.tls().async_handshake(asio::ssl::stream_base::server,
                                                  asio::redirect_error(asio::use_awaitable, ec));
      conn->stream.tcp().expires_never();
      if (ec) {
        spdlog::debug("tcp listener: TLS handshake with {} failed: {}", Peer(*conn), ec.message());
        open = false;
      }
    }
    while (open && !stopping.load()) {
      boost::system::error_code ec;
      // The listener's idle timeout: a socket that sends nothing for this long is closed.
      idle.expires_after(options.idle_timeout);
      idle.async_wait([conn](const boost::system::error_code& e) {
        if (!e) {
          boost::system::error_code ignored;
          conn->stream.tcp().socket().cancel(ignored);
        }
      });
      size_t n = co_await conn->stream.async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      idle.cancel();
      if (ec) {
        open = false;
        n = 0;
      }
      pending.append(chunk.data(), n);
      size_t last_newline = pending.rfind('\n');
      std::string lines;
      if (last_newline != std::string::npos) {
        lines.reserve(last_newline + 1 + pipeline::kParsePadding);
        lines.assign(pending, 0, last_newline + 1);
        pending.erase(0, last_newline + 1);
      } else if (pending.size() > kMaxPartialLine) {
        lines_rejected.Increment();
        spdlog::warn("tcp listener: dropped a line over {} bytes without a newline from {}",
                     kMaxPartialLine, Peer(*conn));
        pending.clear();
      }
      if (!open && !pending.empty()) {  // the last line of a stream needs no newline
        lines.append(pending);
        pending.clear();
        lines.reserve(lines.size() + pipeline::kParsePadding);
      }
      if (!lines.empty() && !co_await Submit(*conn, std::move(lines), conn)) open = false;
    }
    boost::system::error_code ignored;
    conn->stream.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    conn->stream.tcp().socket().close(ignored);
    connections_gauge.Decrement();
    std::lock_guard lock(mu);
    connections.erase(conn.get());
    drained.notify_all();
  }

  TcpListenerOptions options;
  pipeline::IngestService* service;
  prometheus::Counter& lines_rejected;
  prometheus::Counter& chunks_failed;
  prometheus::Gauge& connections_gauge;

  asio::io_context context{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable drained;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  uint16_t bound_port = 0;
};

TcpLogListener::TcpLogListener(TcpListenerOptions options, pipeline::IngestService* service,
                               prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), service, registry)) {}

TcpLogListener::~TcpLogListener() { Stop(); }

Status TcpLogListener::Start() {
  Impl& m = *impl_;
  size_t colon = m.options.listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("server.tcp_listen \"{}\" has no port", m.options.listen));
  }
  std::string host = m.options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  boost::system::error_code ec;
  tcp::resolver resolver(m.context);
  auto endpoints = resolver.resolve(host, m.options.listen.substr(colon + 1),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::InvalidArgument(
        fmt::format("cannot resolve server.tcp_listen \"{}\"", m.options.listen));
  }
  m.acceptor.emplace(m.context);
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  m.acceptor->open(endpoint.protocol(), ec);
  if (!ec) m.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor->bind(endpoint, ec);
  if (!ec) m.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::FailedPrecondition(
        fmt::format("cannot listen on {} (server.tcp_listen): {}", m.options.listen, ec.message()));
  }
  m.bound_port = m.acceptor->local_endpoint().port();
  m.guard.emplace(asio::make_work_guard(m.context));
  asio::co_spawn(m.context, m.AcceptLoop(), asio::detached);
  m.thread = std::thread([&m] {
    pthread_setname_np(pthread_self(), "sluice-tcp");
    m.context.run();
  });
  return Status::Ok();
}

uint16_t TcpLogListener::port() const { return impl_->bound_port; }

void TcpLogListener::SetTlsContext(std::shared_ptr<boost::asio::ssl::context> tls) {
  std::lock_guard lock(impl_->mu);
  impl_->options.tls = std::move(tls);
}

void TcpLogListener::Stop() {
  Impl& m = *impl_;
  if (!m.thread.joinable()) return;
  m.stopping = true;
  asio::post(m.context, [&m] {
    boost::system::error_code ignored;
    if (m.acceptor) m.acceptor->close(ignored);
    // Connections waiting for input close now; one storing a chunk finishes it first.
    std::lock_guard lock(m.mu);
    for (auto& [raw, weak] : m.connections) {
      if (auto conn = weak.lock(); conn && !conn->storing) {
        conn->stream.tcp().socket().cancel(ignored);
      }
    }
  });
  {
    std::unique_lock lock(m.mu);
    m.drained.wait_for(lock, std::chrono::seconds(30), [&m] { return m.connections.empty(); });
  }
  m.guard.reset();
  m.context.stop();
  m.thread.join();
}

}  // namespace sluice::daemon

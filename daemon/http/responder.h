// Responder: how a handler answers a request, now or later, from any thread.
//
// A handler receives a Responder with the request and calls Send exactly once, on whatever thread
// has the answer (an ingest worker acknowledges after the write-ahead log has the data). A
// Responder that is destroyed without Send answers 500, so a forgotten path cannot hang the client.
//
// Lifetime: every Responder must be sent or destroyed before the HttpServer that issued it is
// destroyed; components that hold them (queues, workers) are stopped first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/http/http_message.h"

namespace sluice::daemon {

// The server's side of an accepted WebSocket (RFC 6455), as a WebSocket route's handler sees it.
// The server owns the protocol: it answers pings, completes the closing handshake, pings a quiet
// client and drops one that stays silent (no pong either) past its idle timeout, and closes the
// connection with 1001 when it shuts down.
//
// Threads: every method may be called from any thread; work is posted to the connection's IO
// thread. Nothing here blocks.
class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  // Queues a text message; messages go out in order. Does nothing once the connection is closing.
  virtual void SendText(std::string message) = 0;
  // Messages queued and not yet written. A producer that sees it grow (the client reads slower
  // than it produces) should drop, and say so, rather than queue more.
  virtual size_t queued() const = 0;
  // Sends a close frame with `code` and `reason` after the queued messages, then closes.
  virtual void Close(uint16_t code, std::string reason) = 0;
  // Runs `task` on the connection's IO thread after `delay`, unless the connection has closed by
  // then (tasks never run after WebSocketSession::OnClose).
  virtual void RunAfter(std::chrono::nanoseconds delay, std::function<void()> task) = 0;
  // True once either side started closing, or the connection failed.
  virtual bool closing() const = 0;
};

// What a WebSocket route's handler gives the server to accept an upgrade. The callbacks run on
// the connection's IO thread, one at a time, and must not block.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // The handshake is done (101 sent).
  virtual void OnOpen(std::shared_ptr<WebSocketConnection> connection) = 0;
  // A text or binary message from the client.
  virtual void OnMessage(std::string_view /*message*/) {}
  // The connection is gone (either side closed it, it failed or timed out, or the server shut
  // down): the last callback. Not called when the handshake itself failed.
  virtual void OnClose() {}
};

// Implemented by the server's connection; Deliver may be called from any thread, once.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void Deliver(HttpResponse response) = 0;
  // Runs `make` on the connection's IO thread and sends what it returns.
  virtual void DeliverComputed(
      std::function<HttpResponse()> make) {  // NOLINT(performance-unnecessary-value-param)
    Deliver(make());
  }
  // A flag that turns true if the client closes the connection before the answer; nullptr when
  // the sink cannot tell.
  virtual std::shared_ptr<const std::atomic<bool>> ClientGone() const { return nullptr; }
  // Completes a WebSocket handshake and hands the connection to `session` (instead of Deliver).
  // Sinks that cannot do that answer 500.
  virtual void AcceptWebSocket(std::shared_ptr<WebSocketSession> /*session*/) {
    Deliver(HttpResponse::JsonError(500, "internal", "this connection cannot become a WebSocket"));
  }
};

class Responder {
 public:
  explicit Responder(std::shared_ptr<ResponseSink> sink) : sink_(std::move(sink)) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  // Sends the response. Later calls do nothing.
  void Send(HttpResponse response);
  // Sends what `make` returns, calling it on the connection's IO thread: for answers that take
  // work to build (a bulk response of thousands of items), so that a storage or worker thread
  // holding the result does not spend its time formatting it.
  void SendComputed(std::function<HttpResponse()> make);
  // Answers a WebSocket upgrade (on a route with RouteOptions::websocket) by accepting it: the
  // server sends 101 and runs `session` on the connection. Counts as the answer; to refuse the
  // upgrade, Send an error instead (Loki answers 400 to a bad tail query before upgrading).
  void AcceptWebSocket(std::shared_ptr<WebSocketSession> session);
  bool sent() const { return sink_ == nullptr; }
  // Turns true when the client goes away before the answer (long work may stop early; the answer
  // is still sent, to nobody). Never null: a flag that stays false when the sink cannot tell.
  // Call before Send.
  std::shared_ptr<const std::atomic<bool>> ClientGone() const;

 private:
  std::shared_ptr<ResponseSink> sink_;
};

}  // namespace sluice::daemon

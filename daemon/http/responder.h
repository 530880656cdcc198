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
#include <functional>
#include <memory>

#include "daemon/http/http_message.h"

namespace sluice::daemon {

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
  bool sent() const { return sink_ == nullptr; }
  // Turns true when the client goes away before the answer (long work may stop early; the answer
  // is still sent, to nobody). Never null: a flag that stays false when the sink cannot tell.
  // Call before Send.
  std::shared_ptr<const std::atomic<bool>> ClientGone() const;

 private:
  std::shared_ptr<ResponseSink> sink_;
};

}  // namespace sluice::daemon

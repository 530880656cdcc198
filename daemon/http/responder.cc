#include "daemon/http/responder.h"

namespace sluice::daemon {
namespace {

HttpResponse Unanswered() {
  return HttpResponse::JsonError(500, "internal", "the request was dropped without an answer");
}

}  // namespace

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (sink_) sink_->Deliver(Unanswered());
    sink_ = std::move(other.sink_);
  }
  return *this;
}

Responder::~Responder() {
  if (sink_) sink_->Deliver(Unanswered());
}

std::shared_ptr<const std::atomic<bool>> Responder::ClientGone() const {
  std::shared_ptr<const std::atomic<bool>> gone = sink_ ? sink_->ClientGone() : nullptr;
  return gone ? gone : std::make_shared<const std::atomic<bool>>(false);
}

void Responder::Send(HttpResponse response) {
  if (!sink_) return;
  std::shared_ptr<ResponseSink> sink = std::move(sink_);
  sink->Deliver(std::move(response));
}

void Responder::AcceptWebSocket(std::shared_ptr<WebSocketSession> session) {
  if (!sink_) return;
  std::shared_ptr<ResponseSink> sink = std::move(sink_);
  sink->AcceptWebSocket(std::move(session));
}

void Responder::SendComputed(std::function<HttpResponse()> make) {
  if (!sink_) return;
  std::shared_ptr<ResponseSink> sink = std::move(sink_);
  sink->DeliverComputed(std::move(make));
}

}  // namespace sluice::daemon

// Notification: one HTTP POST owed to an on-call endpoint (a webhook receiver's URL, or an
// Alertmanager's /api/v2/alerts), ready to send: where, how to authenticate, and the JSON body.
// The dispatcher (webhook grouping) and the Alertmanager sender make them; the delivery queue
// (notification_delivery.h) keeps them in the durable outbox until the endpoint accepted them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::alerting {

struct HttpEndpoint {
  std::string url;  // http://host:port/path (https is not supported: see the README)
  std::string bearer_token;
  std::string basic_username;
  std::string basic_password;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::chrono::milliseconds timeout{10'000};
  friend bool operator==(const HttpEndpoint&, const HttpEndpoint&) = default;
};

struct Notification {
  std::string receiver;   // the receiver's name (or "alertmanager"), for metrics and logs
  std::string group_key;  // webhook: the aggregation group; for logs
  HttpEndpoint endpoint;
  std::string body;  // application/json
  int64_t created_ms = 0;
  friend bool operator==(const Notification&, const Notification&) = default;
};

// Where notifications go once made. Enqueue must not block for long (it may write the outbox).
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  virtual void Enqueue(Notification notification) = 0;
};

}  // namespace sluice::alerting

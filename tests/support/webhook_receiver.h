// WebhookReceiver: an HTTP server on 127.0.0.1 (ephemeral port) standing in for an on-call
// webhook or an Alertmanager in tests. It records every request and answers each with the status
// a test scripted (e.g. 500 to the first K requests, then 200), so retry and exactly-once
// delivery can be checked. Runs its own thread; every wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int answered_status = 0;  // what the receiver answered
};

class WebhookReceiver {
 public:
  // `respond` decides the status of the n-th request (0-based); default: always 200.
  // A status of 0 means: do not answer at all and close the connection after `hang` (a timeout
  // for the client).
  explicit WebhookReceiver(std::function<int(size_t n)> respond = {},
                           std::chrono::milliseconds hang = std::chrono::milliseconds(0));
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  uint16_t port() const;
  std::string url(const std::string& path = "/") const;  // http://127.0.0.1:<port><path>

  std::vector<ReceivedRequest> requests() const;
  size_t answered_2xx() const;
  // Waits until at least `n` requests got a 2xx; false on timeout.
  bool WaitFor2xx(size_t n, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::testing

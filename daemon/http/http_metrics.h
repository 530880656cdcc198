// The HTTP server's metrics, declared in one place and created at start-up.
//
//   sluice_http_requests_total{route,code}            requests answered
//   sluice_http_request_duration_seconds{route}       from the end of the headers to the response
//   written sluice_http_request_body_bytes_total{route}       body bytes received, as sent (before
//   decoding) sluice_http_open_connections                      connections now open
//   sluice_http_connections_total                     connections accepted
//   sluice_http_connections_rejected_total            closed at once because max_connections was
//   reached sluice_http_request_errors_total{reason}          requests that failed before reaching
//   a handler
//
// `route` is the route pattern ("/loki/api/v1/push"), or "unmatched" for anything else.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sluice::daemon {

enum class RequestError {
  kHeaderTimeout,
  kBodyTimeout,
  kTooLarge,
  kHeadersTooLarge,
  kMalformed,
  kBadEncoding,
  kWriteFailed,
  kUnauthenticated,
  kForbidden,
  kTlsHandshake
};

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);

  // Creates the per-route series for `routes` (the route table, in index order) plus "unmatched".
  // Call once, before the server starts.
  void PrepareRoutes(const std::vector<std::string>& route_patterns);
  size_t unmatched_slot() const { return routes_.size() - 1; }

  // Thread-safe. CountRequest runs before the response is written, so a client that has its
  // answer also finds it counted; ObserveDuration runs once the write is done.
  void CountRequest(size_t route_slot, int status, uint64_t body_bytes);
  void ObserveDuration(size_t route_slot, double seconds);
  void CountError(RequestError error);

  prometheus::Gauge& open_connections;
  prometheus::Counter& connections_accepted;
  prometheus::Counter& connections_rejected;
  prometheus::Counter& admission_waits;
  prometheus::Counter& admission_refused;

 private:
  static constexpr int kMinCode = 100;
  static constexpr int kCodes = 500;  // 100..599
  struct RouteSeries {
    std::string pattern;
    prometheus::Histogram* duration = nullptr;
    prometheus::Counter* body_bytes = nullptr;
    // Counters for each status code, created on first use (Family::Add locks and allocates).
    std::unique_ptr<std::array<std::atomic<prometheus::Counter*>, kCodes>> by_code;
  };

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& body_bytes_;
  prometheus::Family<prometheus::Counter>& errors_;
  std::vector<RouteSeries> routes_;
  std::array<prometheus::Counter*, 10> error_counters_{};
};

}  // namespace sluice::daemon

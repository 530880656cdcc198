#include "daemon/http/http_metrics.h"

#include <string>

namespace sluice::daemon {

namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return buckets;
}

}  // namespace

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : open_connections(prometheus::BuildGauge()
                           .Name("sluice_http_open_connections")
                           .Help("HTTP connections now open.")
                           .Register(registry)
                           .Add({})),
      connections_accepted(prometheus::BuildCounter()
                               .Name("sluice_http_connections_total")
                               .Help("HTTP connections accepted.")
                               .Register(registry)
                               .Add({})),
      connections_rejected(
          prometheus::BuildCounter()
              .Name("sluice_http_connections_rejected_total")
              .Help("HTTP connections closed at once because server.max_connections "
                    "was reached.")
              .Register(registry)
              .Add({})),
      admission_waits(prometheus::BuildCounter()
                          .Name("sluice_http_admission_waits_total")
                          .Help("Ingest requests whose body was left unread while the in-flight "
                                "memory budget was full.")
                          .Register(registry)
                          .Add({})),
      admission_refused(prometheus::BuildCounter()
                            .Name("sluice_http_admission_refused_total")
                            .Help("Ingest requests refused with 503 after waiting for memory.")
                            .Register(registry)
                            .Add({})),
      requests_(prometheus::BuildCounter()
                    .Name("sluice_http_requests_total")
                    .Help("HTTP requests answered, by route pattern and status code.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("sluice_http_request_duration_seconds")
                    .Help("Time from a request's last header to its response written, by route.")
                    .Register(registry)),
      body_bytes_(prometheus::BuildCounter()
                      .Name("sluice_http_request_body_bytes_total")
                      .Help("Request body bytes received as sent (before Content-Encoding is "
                            "undone), by route.")
                      .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name("sluice_http_request_errors_total")
                  .Help("Requests that failed before reaching a handler, by reason.")
                  .Register(registry)) {
  static constexpr std::array<const char*, 10> reasons{
      "header_timeout", "body_timeout", "too_large",       "headers_too_large", "malformed",
      "bad_encoding",   "write_failed", "unauthenticated", "forbidden",         "tls_handshake"};
  for (size_t i = 0; i < reasons.size(); ++i) {
    error_counters_[i] = &errors_.Add({{"reason", reasons[i]}});
  }
}

void HttpMetrics::PrepareRoutes(const std::vector<std::string>& route_patterns) {
  std::vector<std::string> patterns = route_patterns;
  patterns.emplace_back("unmatched");
  routes_.clear();
  routes_.reserve(patterns.size());
  for (const auto& pattern : patterns) {
    RouteSeries series;
    series.pattern = pattern;
    series.duration = &duration_.Add({{"route", pattern}}, LatencyBuckets());
    series.body_bytes = &body_bytes_.Add({{"route", pattern}});
    series.by_code = std::make_unique<std::array<std::atomic<prometheus::Counter*>, kCodes>>();
    for (auto& slot : *series.by_code) slot.store(nullptr, std::memory_order_relaxed);
    routes_.push_back(std::move(series));
  }
}

void HttpMetrics::ObserveDuration(size_t route_slot, double seconds) {
  routes_[route_slot < routes_.size() ? route_slot : unmatched_slot()].duration->Observe(seconds);
}

void HttpMetrics::CountRequest(size_t route_slot, int status, uint64_t body_bytes) {
  RouteSeries& route = routes_[route_slot < routes_.size() ? route_slot : unmatched_slot()];
  if (body_bytes > 0) route.body_bytes->Increment(static_cast<double>(body_bytes));
  int code_index = status - kMinCode;
  if (code_index < 0 || code_index >= kCodes) code_index = 500 - kMinCode;
  std::atomic<prometheus::Counter*>& slot = (*route.by_code)[static_cast<size_t>(code_index)];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same counter for the same labels, so a race here is harmless.
    counter = &requests_.Add({{"route", route.pattern}, {"code", std::to_string(status)}});
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void HttpMetrics::CountError(RequestError error) {
  error_counters_[static_cast<size_t>(error)]->Increment();
}

}  // namespace sluice::daemon

#include "alerting/alertmanager_sender.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "alerting/notification_payload.h"

namespace sluice::alerting {

std::string AlertmanagerAlertsUrl(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url) + "/api/v2/alerts";
}

AlertmanagerSender::AlertmanagerSender(std::vector<HttpEndpoint> alertmanagers,
                                       NotificationSink *sink, const Clock &clock)
    : endpoints_(std::move(alertmanagers)), sink_(sink), clock_(clock) {
  for (HttpEndpoint &endpoint : endpoints_) endpoint.url = AlertmanagerAlertsUrl(endpoint.url);
}

void AlertmanagerSender::Send(const std::vector<Alert> &alerts) {
  if (alerts.empty() || endpoints_.empty()) return;
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
          .count();
  for (size_t begin = 0; begin < alerts.size(); begin += kMaxBatchSize) {
    size_t end = std::min(alerts.size(), begin + kMaxBatchSize);
    std::vector<Alert> batch(alerts.begin() + static_cast<ptrdiff_t>(begin),
                             alerts.begin() + static_cast<ptrdiff_t>(end));
    std::string body = AlertmanagerV2Body(batch);
    for (const HttpEndpoint &endpoint : endpoints_) {
      Notification n;
      n.receiver = std::string(kAlertmanagerReceiver);
      n.endpoint = endpoint;
      n.body = body;
      n.created_ms = now_ms;
      sink_->Enqueue(std::move(n));
    }
  }
}

}  // namespace sluice::alerting

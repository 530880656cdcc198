// AlertmanagerSender: hands alerts to Alertmanagers as Prometheus' notifier
// does. Each Send() cuts the alerts into batches of at most kMaxBatchSize
// (Prometheus' maxBatchSize) and makes, for every batch and every Alertmanager,
// one Notification: POST <base URL>/api/v2/alerts with the API v2 body
// (AlertmanagerV2Body, notification_payload.h). Retrying is the sink's business
// (the delivery outbox), so an Alertmanager that is down gets the alerts once
// it is back, and one that is down does not hold the others up.
//
// Thread-safety: Send may be called from several threads at once if the sink
// allows it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "alerting/notification.h"
#include "base/clock.h"

namespace sluice::alerting {

inline constexpr std::string_view kAlertmanagerReceiver = "alertmanager";

// "<base>/api/v2/alerts"; a trailing slash of `base_url` (which may carry a
// path prefix) is dropped first.
std::string AlertmanagerAlertsUrl(std::string_view base_url);

class AlertmanagerSender {
 public:
  static constexpr size_t kMaxBatchSize = 64;

  // `alertmanagers`: one endpoint per Alertmanager, its url the base URL
  // (http://host:9093[/prefix]), its credentials, headers and timeout used as
  // they are. `sink` and `clock` must outlive this.
  AlertmanagerSender(std::vector<HttpEndpoint> alertmanagers, NotificationSink *sink,
                     const Clock &clock = Clock::Real());

  void Send(const std::vector<Alert> &alerts);

  // The endpoints as posted to (url ending in /api/v2/alerts).
  const std::vector<HttpEndpoint> &endpoints() const { return endpoints_; }

 private:
  std::vector<HttpEndpoint> endpoints_;
  NotificationSink *sink_;
  const Clock &clock_;
};

}  // namespace sluice::alerting

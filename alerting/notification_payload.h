// The JSON bodies Sluice sends, byte for byte as the Go programs whose receivers it replaces
// write them (checked against captures in /work/shared/fixtures):
//
//  - WebhookPayload: Alertmanager 0.25's webhook message, version "4" (notify/webhook): fields
//    receiver, status, alerts[{status, labels, annotations, startsAt, endsAt, generatorURL,
//    fingerprint}], groupLabels, commonLabels, commonAnnotations, externalURL, version, groupKey,
//    truncatedAlerts, in that order. Times as Go's time.Time marshals them (RFC 3339, fraction
//    with trailing zeros trimmed, UTC here), "0001-01-01T00:00:00Z" for an unset endsAt; maps
//    with sorted keys; strings escaped as encoding/json does (incl. \u0026 for &, \u003c, \u003e);
//    json.Encoder's trailing newline.
//
//  - AlertmanagerV2Body: what Prometheus POSTs to Alertmanager's /api/v2/alerts: an array of
//    {annotations (omitted when empty), endsAt, startsAt, generatorURL (omitted when empty),
//    labels}, times with exactly three fractional digits (go-openapi's strfmt.DateTime).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "storage/labels.h"

namespace sluice::alerting {

struct WebhookMessage {
  std::string receiver;  // the receiver's name (printed through Go's regexp.QuoteMeta, as AM does)
  std::string group_key;
  storage::Labels group_labels;  // canonical
  std::string external_url;
  // In the order to send. An alert is "resolved" when Resolved(now_ms), else "firing"; a firing
  // alert's ends_at_ms should be 0 (Alertmanager does not show a firing alert's end).
  std::vector<Alert> alerts;
  int64_t now_ms = 0;
  uint64_t truncated_alerts = 0;  // how many alerts max_alerts left out
};

std::string WebhookPayload(const WebhookMessage& message);

std::string AlertmanagerV2Body(const std::vector<Alert>& alerts);

// Alertmanager's ordering of the alerts in a notification (types.AlertSlice): by the `job` label,
// then `instance` (alerts that have the label first), then by label set (fewer labels first, then
// the first differing label in name order).
bool AlertPrecedes(const Alert& a, const Alert& b);

// Go's encoding/json string encoding of `s`, with the quotes.
void AppendGoJsonString(std::string_view s, std::string* out);

// The fingerprint as webhook payloads print it: 16 lowercase hex digits.
std::string FingerprintHex(uint64_t fingerprint);

}  // namespace sluice::alerting

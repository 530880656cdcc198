// Alert: one alert as notifications carry it, the shape Alertmanager's API v2 and its webhook
// payload share. The rule evaluator produces them; the Alertmanager sender and the webhook
// dispatcher consume them.
#pragma once

#include <cstdint>
#include <string>

#include "storage/labels.h"

namespace sluice::alerting {

struct Alert {
  storage::Labels labels;       // canonical (sorted): the rule's labels, the series', alertname
  storage::Labels annotations;  // canonical
  int64_t starts_at_ms = 0;     // when the alert started firing (Prometheus: its ActiveAt)
  // In the future while firing (Prometheus sends now + 4 * resend delay); the time it resolved
  // once resolved. 0: not set.
  int64_t ends_at_ms = 0;
  std::string generator_url;  // where the rule can be seen: <external_url>/graph?g0.expr=...

  // Resolved when ends_at is set and not after `now`, as Alertmanager decides.
  bool Resolved(int64_t now_ms) const { return ends_at_ms != 0 && ends_at_ms <= now_ms; }
  friend bool operator==(const Alert&, const Alert&) = default;
};

// Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint: FNV-1a 64 over the
// sorted names and values, each followed by 0xff), printed as 16 hex digits in webhook payloads.
uint64_t AlertFingerprint(const storage::Labels& labels);

}  // namespace sluice::alerting

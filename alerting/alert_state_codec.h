// The persisted form of an alert instance (alerting_rule.h), kept in the alerting KvStore under
// "alerts/<rule key>/<fingerprint>" so that a restart continues where the rule was.
//
// Value layout (version 1), varints as in base/coding.h:
//   u8 version=1 | u8 state | fixed64 value bits | zigzag varint active_at, fired_at,
//   resolved_at, last_sent_at, valid_until, keep_firing_since |
//   varint n_labels, (len-prefixed name, len-prefixed value)* | same for annotations
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alerting/alerting_rule.h"
#include "base/result.h"

namespace sluice::alerting {

std::string EncodeAlertInstance(const AlertInstance& instance);
// Corruption when the bytes are not a version-1 record.
Result<AlertInstance> DecodeAlertInstance(std::string_view bytes);

// The key prefix of a rule's instances: "alerts/<16 hex digits>/", the hex a hash of what
// identifies the rule across restarts and reloads (file, group, rule name and its labels, as
// Prometheus matches rules when it copies state on reload).
std::string RuleStateKeyPrefix(std::string_view file, std::string_view group, const RuleSpec& rule);
std::string AlertStateKey(std::string_view rule_prefix, uint64_t fingerprint);

}  // namespace sluice::alerting

// NotifyConfig: the notification config (routing tree and webhook receivers), read from an
// Alertmanager configuration file so that an existing alertmanager.yml can be pointed at Sluice.
//
// Supported, with Alertmanager's defaults and validation (config/config.go):
//   global:    resolve_timeout (5m)
//   route:     receiver, group_by (incl. '...'), continue, matchers (`- alertname="X"`, =, !=, =~,
//              !~), the deprecated match / match_re, group_wait (30s), group_interval (5m),
//              repeat_interval (4h), routes (children inherit what they do not set)
//   receivers: name, webhook_configs: url (http:// only), send_resolved (true), max_alerts (0 =
//              all), timeout, http_config: authorization {type, credentials}, bearer_token,
//              basic_auth {username, password}; and a Sluice extension `headers:` (a map of extra
//              request headers)
// Anything else Alertmanager accepts (email_configs and the other integrations, inhibit_rules,
// mute/active time intervals, templates, tls_config, *_file secrets, global smtp_* ...) is
// rejected with "... is not supported by Sluice" rather than silently ignored, so that a config
// never means less than its author thinks; keys Alertmanager would not accept either are
// "unknown field". Every error carries <file>:<line>:<column>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/notification.h"
#include "base/result.h"
#include "storage/label_matcher.h"

namespace sluice::alerting {

struct WebhookConfig {
  HttpEndpoint endpoint;  // url, credentials, extra headers, timeout
  bool send_resolved = true;
  uint64_t max_alerts = 0;  // 0: all alerts of the group in one message
};

struct ReceiverConfig {
  std::string name;
  std::vector<WebhookConfig> webhooks;  // may be empty: a receiver that drops notifications
};

// One node of the routing tree as written. Unset options (nullopt / empty receiver) are
// inherited from the parent, or take Alertmanager's defaults at the root (see route.h).
struct RouteConfig {
  std::string receiver;                              // "": the parent's
  std::optional<std::vector<std::string>> group_by;  // nullopt: the parent's
  bool group_by_all = false;                         // group_by: ['...']
  storage::LabelMatchers matchers;  // match + match_re + matchers, sorted as Alertmanager does
  bool continue_matching = false;   // `continue`
  std::optional<int64_t> group_wait_ms;
  std::optional<int64_t> group_interval_ms;
  std::optional<int64_t> repeat_interval_ms;
  std::vector<RouteConfig> routes;
  int line = 0;  // 1-based, for messages
};

struct NotifyConfig {
  int64_t resolve_timeout_ms = 5 * 60 * 1000;
  RouteConfig route;
  std::vector<ReceiverConfig> receivers;

  // nullptr when no receiver has that name.
  const ReceiverConfig* FindReceiver(std::string_view name) const;
};

// Parses and validates one Alertmanager configuration. On error, InvalidArgument with one line
// per problem, each "<file>:<line>:<col>: <reason>".
Result<NotifyConfig> ParseNotifyConfig(std::string_view file_name, std::string_view content);

// Reads `path` and parses it.
Result<NotifyConfig> LoadNotifyConfig(const std::string& path);

}  // namespace sluice::alerting

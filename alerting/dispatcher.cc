#include "alerting/dispatcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "alerting/notification_payload.h"
#include "base/coding.h"

namespace sluice::alerting {
namespace {

constexpr std::string_view kNflogPrefix = "nflog/";
constexpr uint8_t kNflogFormat = 1;

std::string EncodeNflog(const NflogEntry& e) {
  std::string out;
  out.push_back(static_cast<char>(kNflogFormat));
  PutLengthPrefixed(&out, e.group_key);
  PutLengthPrefixed(&out, e.receiver);
  PutVarint(&out, e.integration);
  PutVarint(&out, ZigZagEncode(e.timestamp_ms));
  PutVarint(&out, ZigZagEncode(e.expires_at_ms));
  for (const auto* list : {&e.firing, &e.resolved}) {
    PutVarint(&out, list->size());
    for (uint64_t fp : *list) PutVarint(&out, fp);
  }
  return out;
}

bool DecodeNflog(std::string_view in, NflogEntry* e) {
  if (in.empty() || static_cast<uint8_t>(in.front()) != kNflogFormat) return false;
  in.remove_prefix(1);
  std::string_view group_key;
  std::string_view receiver;
  uint64_t integration = 0;
  uint64_t timestamp = 0;
  uint64_t expires = 0;
  if (!GetLengthPrefixed(in, &group_key) || !GetLengthPrefixed(in, &receiver) ||
      !GetVarint(in, &integration) || integration > UINT32_MAX || !GetVarint(in, &timestamp) ||
      !GetVarint(in, &expires)) {
    return false;
  }
  e->group_key = group_key;
  e->receiver = receiver;
  e->integration = static_cast<uint32_t>(integration);
  e->timestamp_ms = ZigZagDecode(timestamp);
  e->expires_at_ms = ZigZagDecode(expires);
  for (auto* list : {&e->firing, &e->resolved}) {
    uint64_t n = 0;
    if (!GetVarint(in, &n) || n > in.size()) return false;  // each takes at least one byte
    list->clear();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t fp = 0;
      if (!GetVarint(in, &fp)) return false;
      list->push_back(fp);
    }
  }
  return in.empty();
}

bool IsSubset(const std::vector<uint64_t>& sorted_superset, const std::vector<uint64_t>& sorted) {
  return std::includes(sorted_superset.begin(), sorted_superset.end(), sorted.begin(),
                       sorted.end());
}

// notify.go DedupStage.needsUpdate.
bool NeedsUpdate(const NflogEntry* entry, const std::vector<uint64_t>& firing,
                 const std::vector<uint64_t>& resolved, bool send_resolved, int64_t repeat_ms,
                 int64_t now_ms) {
  // Never notified: only when something fires.
  if (entry == nullptr) return !firing.empty();
  // A firing alert the receiver has not heard of.
  if (!IsSubset(entry->firing, firing)) return true;
  // All resolved: notify (whatever send_resolved says, so that the log forgets the firing
  // alerts) unless the last notification had nothing firing either.
  if (firing.empty()) return !entry->firing.empty();
  if (send_resolved && !IsSubset(entry->resolved, resolved)) return true;
  return entry->timestamp_ms < now_ms - repeat_ms;
}

// types.Alert.Merge: `newer` is the later update of the same alert as `older`.
void MergeInto(const Alert& older, bool older_timeout, int64_t now_ms, Alert* newer) {
  if (older.starts_at_ms < newer->starts_at_ms) newer->starts_at_ms = older.starts_at_ms;
  if (newer->Resolved(now_ms)) {
    // The latest explicit resolution wins if both are resolved.
    if (older.Resolved(now_ms) && older.ends_at_ms > newer->ends_at_ms) {
      newer->ends_at_ms = older.ends_at_ms;
    }
  } else if (older.ends_at_ms > newer->ends_at_ms && !older_timeout) {
    // A later end that did not come from resolve_timeout still holds.
    newer->ends_at_ms = older.ends_at_ms;
  }
}

}  // namespace

Dispatcher::Dispatcher(NotifyConfig config, KvStore* state, NotificationSink* sink,
                       const Clock* clock, std::string external_url)
    : state_(state),
      sink_(sink),
      clock_(clock),
      external_url_(std::move(external_url)),
      config_(std::move(config)),
      route_(Route::Build(config_.route)) {}

int64_t Dispatcher::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now().time_since_epoch())
      .count();
}

std::string Dispatcher::NflogKey(std::string_view receiver, uint32_t integration,
                                 std::string_view group_key) {
  std::string key(kNflogPrefix);
  for (char c : receiver) {
    if (c == '%') {
      key.append("%25");
    } else if (c == '/') {
      key.append("%2F");
    } else {
      key.push_back(c);
    }
  }
  fmt::format_to(std::back_inserter(key), "/{}/", integration);
  key.append(group_key);
  return key;
}

Status Dispatcher::Restore() {
  const int64_t now = NowMs();
  std::map<std::string, NflogEntry> loaded;
  std::vector<KvWrite> drop;
  Status s = state_->Scan(kNflogPrefix, [&](std::string_view key, std::string_view value) {
    NflogEntry entry;
    if (!DecodeNflog(value, &entry)) {
      spdlog::warn("alerting: dropping unreadable notification log entry {:?}", key);
      drop.push_back({std::string(key), {}, true});
    } else if (entry.expires_at_ms <= now) {
      drop.push_back({std::string(key), {}, true});
    } else {
      loaded.emplace(std::string(key), std::move(entry));
    }
    return true;
  });
  if (!s.ok()) return s.WithContext("reading the notification log");
  if (!drop.empty()) {
    Status d = state_->Write(drop);
    if (!d.ok())
      spdlog::warn("alerting: deleting expired notification log entries: {}", d.message());
  }
  std::lock_guard lock(mu_);
  for (auto& [key, entry] : loaded) nflog_.insert_or_assign(key, std::move(entry));
  return Status::Ok();
}

void Dispatcher::Receive(const std::vector<Alert>& alerts) {
  std::lock_guard lock(mu_);
  const int64_t now = NowMs();
  for (const Alert& in : alerts) {
    if (in.labels.empty()) continue;  // Alertmanager: "at least one label pair required"
    StoredAlert s;
    s.alert = in;
    s.updated_ms = now;
    // As Alertmanager's API does: a missing start is the end (or now), a missing end is a
    // timeout of resolve_timeout, renewed by each update.
    if (s.alert.starts_at_ms == 0) {
      s.alert.starts_at_ms = s.alert.ends_at_ms != 0 ? s.alert.ends_at_ms : now;
    }
    if (s.alert.ends_at_ms == 0) {
      s.timeout = true;
      s.alert.ends_at_ms = now + config_.resolve_timeout_ms;
    }
    uint64_t fp = AlertFingerprint(s.alert.labels);
    auto old = alerts_.find(fp);
    if (old != alerts_.end()) {
      const Alert& o = old->second.alert;
      // Merged only when the activity ranges overlap (provider/mem), else replaced.
      bool overlap = (s.alert.ends_at_ms > o.starts_at_ms && s.alert.ends_at_ms < o.ends_at_ms) ||
                     (s.alert.starts_at_ms > o.starts_at_ms && s.alert.starts_at_ms < o.ends_at_ms);
      if (overlap) MergeInto(o, old->second.timeout, now, &s.alert);
    }
    s.version = next_version_++;
    alerts_.insert_or_assign(fp, s);
    InsertLocked(s, now);
  }
}

void Dispatcher::InsertLocked(const StoredAlert& alert, int64_t now_ms) {
  for (const Route* route : route_->Match(alert.alert.labels)) {
    storage::Labels labels = route->GroupLabels(alert.alert.labels);
    std::string key = route->GroupKey(labels);
    std::string map_key = route->id();
    map_key.push_back('\0');
    map_key += key;
    auto [it, created] = groups_.try_emplace(std::move(map_key));
    Group& group = it->second;
    if (created) {
      group.route = route;
      group.labels = std::move(labels);
      group.key = std::move(key);
      group.next_flush_ms = now_ms + route->opts().group_wait_ms;
    }
    group.alerts.insert_or_assign(AlertFingerprint(alert.alert.labels), alert);
    // Flush at once if the alert has been going on for longer than group_wait already (e.g.
    // re-sent after a restart).
    if (!group.has_flushed && alert.alert.starts_at_ms + route->opts().group_wait_ms < now_ms) {
      group.next_flush_ms = now_ms;
    }
  }
}

void Dispatcher::Tick() {
  std::lock_guard flush_lock(flush_mu_);
  Output out;
  {
    std::lock_guard lock(mu_);
    const int64_t now = NowMs();
    for (auto& [map_key, group] : groups_) {
      if (group.next_flush_ms > now) continue;
      group.next_flush_ms = now + group.route->opts().group_interval_ms;
      group.has_flushed = true;
      FlushLocked(group, now, &out);
    }
    if (now >= next_maintenance_ms_) {
      MaintenanceLocked(now, &out);
      next_maintenance_ms_ = now + kMaintenanceIntervalMs;
    }
  }
  // The notifications first: a crash before the log is written pages twice, never zero times.
  for (Notification& n : out.notifications) sink_->Enqueue(std::move(n));
  if (!out.writes.empty()) {
    Status s = state_->Write(out.writes);
    if (!s.ok()) spdlog::warn("alerting: writing the notification log: {}", s.message());
  }
}

void Dispatcher::FlushLocked(Group& group, int64_t now_ms, Output* out) {
  if (group.alerts.empty()) return;
  std::vector<Alert> alerts;
  std::vector<uint64_t> firing;
  std::vector<uint64_t> resolved;
  std::vector<std::pair<uint64_t, uint64_t>> resolved_versions;  // fingerprint, version
  alerts.reserve(group.alerts.size());
  for (const auto& [fp, stored] : group.alerts) {
    Alert a = stored.alert;
    if (a.Resolved(now_ms)) {
      resolved.push_back(fp);
      resolved_versions.emplace_back(fp, stored.version);
    } else {
      a.ends_at_ms = 0;  // not shown while firing
      firing.push_back(fp);
    }
    alerts.push_back(std::move(a));
  }
  std::stable_sort(alerts.begin(), alerts.end(), AlertPrecedes);
  // group.alerts is ordered by fingerprint, so both lists are sorted.

  const RouteOpts& opts = group.route->opts();
  const ReceiverConfig* receiver = config_.FindReceiver(opts.receiver);
  const std::vector<WebhookConfig> no_webhooks;
  const std::vector<WebhookConfig>& webhooks =
      receiver != nullptr ? receiver->webhooks : no_webhooks;
  const int64_t expiry = std::min(kNflogRetentionMs, 2 * opts.repeat_interval_ms);
  for (size_t i = 0; i < webhooks.size(); ++i) {
    const WebhookConfig& webhook = webhooks[i];
    const auto integration = static_cast<uint32_t>(i);
    std::string nflog_key = NflogKey(opts.receiver, integration, group.key);
    auto entry_it = nflog_.find(nflog_key);
    const NflogEntry* entry = nullptr;
    if (entry_it != nflog_.end() && entry_it->second.expires_at_ms > now_ms) {
      entry = &entry_it->second;
    }
    if (!NeedsUpdate(entry, firing, resolved, webhook.send_resolved, opts.repeat_interval_ms,
                     now_ms)) {
      continue;
    }
    std::vector<Alert> to_send;
    if (webhook.send_resolved) {
      to_send = alerts;
    } else {
      // Only resolved alerts: counts as sent (the log must learn of it), nothing goes out.
      for (const Alert& a : alerts) {
        if (!a.Resolved(now_ms)) to_send.push_back(a);
      }
    }
    if (!to_send.empty()) {
      WebhookMessage message;
      message.receiver = opts.receiver;
      message.group_key = group.key;
      message.group_labels = group.labels;
      message.external_url = external_url_;
      message.now_ms = now_ms;
      if (webhook.max_alerts > 0 && to_send.size() > webhook.max_alerts) {
        message.truncated_alerts = to_send.size() - webhook.max_alerts;
        to_send.resize(webhook.max_alerts);
      }
      message.alerts = std::move(to_send);
      Notification n;
      n.receiver = opts.receiver;
      n.group_key = group.key;
      n.endpoint = webhook.endpoint;
      n.body = WebhookPayload(message);
      n.created_ms = now_ms;
      out->notifications.push_back(std::move(n));
    }
    NflogEntry logged;
    logged.group_key = group.key;
    logged.receiver = opts.receiver;
    logged.integration = integration;
    logged.timestamp_ms = now_ms;
    logged.expires_at_ms = now_ms + expiry;
    logged.firing = firing;
    logged.resolved = resolved;
    out->writes.push_back({nflog_key, EncodeNflog(logged), false});
    nflog_.insert_or_assign(std::move(nflog_key), std::move(logged));
  }
  // Sent (or needed no sending): resolved alerts leave the group, unless updated meanwhile.
  for (const auto& [fp, version] : resolved_versions) {
    auto it = group.alerts.find(fp);
    if (it != group.alerts.end() && it->second.version == version) group.alerts.erase(it);
  }
}

void Dispatcher::MaintenanceLocked(int64_t now_ms, Output* out) {
  std::erase_if(groups_, [](const auto& entry) { return entry.second.alerts.empty(); });
  // Resolved alerts no group holds any more are forgotten (the provider's GC).
  std::unordered_map<uint64_t, bool> held;
  for (const auto& [key, group] : groups_) {
    for (const auto& [fp, stored] : group.alerts) held[fp] = true;
  }
  std::erase_if(alerts_, [&](const auto& entry) {
    return entry.second.alert.Resolved(now_ms) && !held.contains(entry.first);
  });
  for (auto it = nflog_.begin(); it != nflog_.end();) {
    if (it->second.expires_at_ms <= now_ms) {
      out->writes.push_back({it->first, {}, true});
      it = nflog_.erase(it);
    } else {
      ++it;
    }
  }
}

void Dispatcher::UpdateConfig(NotifyConfig config) {
  std::lock_guard lock(mu_);
  const int64_t now = NowMs();
  config_ = std::move(config);
  groups_.clear();  // they point into the old tree
  route_ = Route::Build(config_.route);
  // As after an Alertmanager reload: every alert held is dispatched again into fresh groups;
  // the notification log keeps what receivers already know from paging again.
  for (const auto& [fp, stored] : alerts_) InsertLocked(stored, now);
}

std::vector<Dispatcher::GroupInfo> Dispatcher::Groups() const {
  std::lock_guard lock(mu_);
  std::vector<GroupInfo> out;
  for (const auto& [map_key, group] : groups_) {
    out.push_back({group.key, group.route->opts().receiver, group.labels, group.alerts.size(),
                   group.next_flush_ms});
  }
  std::stable_sort(out.begin(), out.end(), [](const GroupInfo& a, const GroupInfo& b) {
    return a.group_key < b.group_key;
  });
  return out;
}

size_t Dispatcher::AlertCount() const {
  std::lock_guard lock(mu_);
  return alerts_.size();
}

std::vector<NflogEntry> Dispatcher::NotificationLog() const {
  std::lock_guard lock(mu_);
  std::vector<NflogEntry> out;
  for (const auto& [key, entry] : nflog_) out.push_back(entry);
  return out;
}

}  // namespace sluice::alerting

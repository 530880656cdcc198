// Dispatcher: what Alertmanager does between receiving alerts and calling a webhook
// (dispatch/dispatch.go and the notify.go pipeline for webhook receivers), so that Sluice can
// page on-call endpoints directly.
//
//  - Receive() takes alerts as Prometheus posts them to Alertmanager (firing: endsAt in the
//    future; resolved: endsAt <= now; endsAt unset: resolved resolve_timeout after the last
//    update). An alert with the same labels (fingerprint) updates the earlier one, merged as
//    Alertmanager's provider does (earliest startsAt wins).
//  - Each alert goes to every route it matches (route.h) and, per route, into the aggregation
//    group of its group_by labels. A new group is flushed group_wait after it was created (at
//    once if the alert started more than group_wait ago), then every group_interval. Tick() runs
//    the due flushes; the daemon calls it about every second, tests on a FakeClock.
//  - A flush notifies each webhook of the route's receiver only when needed (notify.go's
//    DedupStage): never notified and something fires; a firing alert that the last notification
//    did not have; everything resolved after a notification with firing alerts; with
//    send_resolved, a resolved alert the last notification did not list as resolved; or
//    repeat_interval since the last notification. Firing alerts are sent with endsAt unset;
//    without send_resolved only firing alerts are sent (and nothing when none fires); max_alerts
//    cuts the list (truncatedAlerts says how many were left out). Resolved alerts leave the group
//    after the flush, empty groups are dropped (every 30s, as Alertmanager's maintenance does).
//  - The notification log (per group key and receiver integration: when the last notification
//    was made and which alerts were firing and resolved in it) is kept in the KvStore under
//    "nflog/", written after the notification was handed to the sink (at least once: a crash in
//    between pages twice rather than never). Restore() reloads it, so alerts Prometheus
//    re-delivers after a restart do not page again before repeat_interval. An entry expires
//    2 * repeat_interval (at most 5 days) after it was written, as in Alertmanager >= 0.27.
//  - UpdateConfig() rebuilds the routes and regroups the alerts it holds, as an Alertmanager
//    reload does; the notification log carries over.
//
// Not implemented: inhibition, silences, time intervals (the config parser rejects them).
//
// Thread-safety: every method may be called from any thread. The sink and the KvStore are
// called without the dispatcher's lock held, so they may block (they write RocksDB).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerting/alert.h"
#include "alerting/kv_store.h"
#include "alerting/notification.h"
#include "alerting/notify_config.h"
#include "alerting/route.h"
#include "base/clock.h"
#include "base/status.h"

namespace sluice::alerting {

// One notification log entry: the last notification of a group to one webhook of a receiver.
struct NflogEntry {
  std::string group_key;
  std::string receiver;
  uint32_t integration = 0;  // index in the receiver's webhook_configs
  int64_t timestamp_ms = 0;
  int64_t expires_at_ms = 0;
  std::vector<uint64_t> firing;    // fingerprints, sorted
  std::vector<uint64_t> resolved;  // fingerprints, sorted
  friend bool operator==(const NflogEntry&, const NflogEntry&) = default;
};

class Dispatcher {
 public:
  // `state`, `sink` and `clock` must outlive the dispatcher. `config` must have passed
  // ParseNotifyConfig's validation. `external_url` is the payloads' externalURL.
  Dispatcher(NotifyConfig config, KvStore* state, NotificationSink* sink, const Clock* clock,
             std::string external_url);

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Loads the persisted notification log (dropping expired and unreadable entries). Call once,
  // before the first Receive.
  Status Restore();

  void Receive(const std::vector<Alert>& alerts);
  void Tick();
  void UpdateConfig(NotifyConfig config);

  // Introspection (status pages, tests).
  struct GroupInfo {
    std::string group_key;
    std::string receiver;
    storage::Labels labels;
    size_t alerts = 0;
    int64_t next_flush_ms = 0;
  };
  std::vector<GroupInfo> Groups() const;  // by group key
  size_t AlertCount() const;              // alerts held (firing and not yet collected)
  std::vector<NflogEntry> NotificationLog() const;

  // The KvStore key of an entry: "nflog/<receiver, % and / escaped>/<integration>/<group key>".
  static std::string NflogKey(std::string_view receiver, uint32_t integration,
                              std::string_view group_key);

  static constexpr int64_t kMaintenanceIntervalMs = 30'000;
  static constexpr int64_t kNflogRetentionMs = 120 * 3600'000LL;  // Alertmanager's 5 days

 private:
  struct StoredAlert {
    Alert alert;  // ends_at_ms always set (now + resolve_timeout when it came without)
    int64_t updated_ms = 0;
    bool timeout = false;  // ends_at came from resolve_timeout
    uint64_t version = 0;  // identifies this update of the alert
  };
  struct Group {
    const Route* route = nullptr;
    storage::Labels labels;
    std::string key;
    std::map<uint64_t, StoredAlert> alerts;  // by fingerprint
    int64_t next_flush_ms = 0;
    bool has_flushed = false;
  };
  // What a flush decided, carried out once the lock is released.
  struct Output {
    std::vector<Notification> notifications;
    std::vector<KvWrite> writes;
  };

  int64_t NowMs() const;
  void InsertLocked(const StoredAlert& alert, int64_t now_ms);
  void FlushLocked(Group& group, int64_t now_ms, Output* out);
  void MaintenanceLocked(int64_t now_ms, Output* out);

  KvStore* const state_;
  NotificationSink* const sink_;
  const Clock* const clock_;
  const std::string external_url_;

  std::mutex flush_mu_;  // serializes Tick's hand-off, so nflog writes land in order
  mutable std::mutex mu_;
  NotifyConfig config_;
  std::unique_ptr<Route> route_;
  std::unordered_map<uint64_t, StoredAlert> alerts_;  // every alert received, by fingerprint
  std::map<std::string, Group> groups_;               // by route id + '\0' + group key
  std::map<std::string, NflogEntry> nflog_;           // by NflogKey
  uint64_t next_version_ = 1;
  int64_t next_maintenance_ms_ = 0;
};

}  // namespace sluice::alerting

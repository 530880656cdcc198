// AlertingService: alerting as the daemon runs it, assembled from its parts —
//
//   RuleManager --alerts--> AlertmanagerSender --+
//        |                                         +--> NotificationDelivery (outbox) --> HTTP
//        +-------alerts--> Dispatcher (webhooks) --+
//
// with its state (alert instances, the notification log, the outbox) in shard 0's RocksDB
// (default column family, keys under "alerting/"), rules querying and writing one tenant.
//
// Thread-safety: Reload, Groups and Stop may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "alerting/rule_group.h"
#include "alerting/rule_manager.h"
#include "base/result.h"
#include "query/logql_engine.h"
#include "query/promql_engine.h"

namespace prometheus {
class Registry;
}
namespace sluice::storage {
class ShardSet;
class LogStore;
class MetricStore;
}  // namespace sluice::storage

namespace sluice::alerting {

struct AlertingServiceOptions {
  RuleManagerOptions rules;
  std::string tenant;
  std::chrono::milliseconds query_timeout{120'000};
  query::promql::EngineOptions promql;
  query::logql::EngineOptions logql;
  std::vector<std::string> alertmanagers;  // base URLs
  std::string notifications_file;          // Alertmanager-format routes and receivers; "" = none
};

class AlertingService {
 public:
  // Loads everything, restores the persisted state and starts evaluating. Every reference must
  // outlive the service.
  static Result<std::unique_ptr<AlertingService>> Start(AlertingServiceOptions options,
                                                        const storage::ShardSet& shards,
                                                        storage::MetricStore& metrics,
                                                        const storage::LogStore& logs,
                                                        prometheus::Registry& registry);
  ~AlertingService();

  // Reads the rule files and the notifications file again; on error nothing changes.
  Status Reload(AlertingServiceOptions options);
  std::vector<GroupStatus> Groups() const;
  // Whose data the rules query and write; fixed at Start.
  const std::string& tenant() const;
  // Stops evaluating; undelivered notifications stay in the outbox for the next start.
  void Stop();

 private:
  struct Impl;
  explicit AlertingService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::alerting

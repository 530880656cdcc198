#include "alerting/alerting_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "alerting/alertmanager_sender.h"
#include "alerting/dispatcher.h"
#include "alerting/http_post.h"
#include "alerting/kv_store.h"
#include "alerting/notification_delivery.h"
#include "alerting/notify_config.h"
#include "alerting/rule_io.h"
#include "query/promql_querier.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/shard_set.h"

namespace sluice::alerting {

namespace {

// The notification targets a config asks for, built before anything running is touched so that
// a reload with a bad file changes nothing.
struct Targets {
  std::vector<HttpEndpoint> alertmanagers;
  std::optional<NotifyConfig> notify;
};

Result<Targets> BuildTargets(const AlertingServiceOptions& options) {
  Targets t;
  for (const std::string& url : options.alertmanagers) {
    auto parsed = ParseHttpUrl(AlertmanagerAlertsUrl(url));
    if (!parsed.ok()) {
      return Status::InvalidArgument(
          fmt::format("alerting.alertmanagers: {}: {}", url, parsed.status().message()));
    }
    HttpEndpoint endpoint;
    endpoint.url = url;
    t.alertmanagers.push_back(std::move(endpoint));
  }
  if (!options.notifications_file.empty()) {
    auto config = LoadNotifyConfig(options.notifications_file);
    if (!config.ok()) return config.status();
    t.notify = std::move(*config);
  }
  return t;
}

}  // namespace

struct AlertingService::Impl {
  AlertingServiceOptions options;
  std::string tenant;  // fixed at Start: the engine and the sink are built for it
  std::unique_ptr<KvStore> store;
  std::unique_ptr<RuleQueryEngine> engine;
  std::unique_ptr<MetricStoreSampleSink> sink;
  std::unique_ptr<BeastHttpPoster> poster;
  std::unique_ptr<NotificationDelivery> delivery;
  std::unique_ptr<RuleManager> rules;

  std::mutex targets_mu;  // guards the two below: the rule thread sends, Reload replaces
  std::unique_ptr<AlertmanagerSender> alertmanagers;
  std::unique_ptr<Dispatcher> dispatcher;

  // Dispatcher::Tick every second: group_wait and group_interval have second resolution in
  // practice.
  std::mutex tick_mu;
  std::condition_variable tick_wake;
  bool stopping = false;
  std::thread ticker;

  void Notify(const std::vector<Alert>& alerts) {
    std::lock_guard lock(targets_mu);
    if (alertmanagers) alertmanagers->Send(alerts);
    if (dispatcher) dispatcher->Receive(alerts);
  }

  Status ApplyTargets(Targets targets) {
    std::unique_ptr<Dispatcher> fresh;
    {
      std::lock_guard lock(targets_mu);
      alertmanagers = targets.alertmanagers.empty()
                          ? nullptr
                          : std::make_unique<AlertmanagerSender>(std::move(targets.alertmanagers),
                                                                 delivery.get());
      if (targets.notify && dispatcher) {
        dispatcher->UpdateConfig(std::move(*targets.notify));
        return Status::Ok();
      }
      if (!targets.notify) {
        dispatcher.reset();
        return Status::Ok();
      }
    }
    fresh = std::make_unique<Dispatcher>(std::move(*targets.notify), store.get(), delivery.get(),
                                         &Clock::Real(), options.rules.settings.env.external_url);
    SLUICE_RETURN_IF_ERROR(fresh->Restore());
    std::lock_guard lock(targets_mu);
    dispatcher = std::move(fresh);
    return Status::Ok();
  }

  void Tick() {
    std::unique_lock lock(tick_mu);
    while (!stopping) {
      tick_wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping; });
      if (stopping) break;
      lock.unlock();
      {
        std::lock_guard targets_lock(targets_mu);
        if (dispatcher) dispatcher->Tick();
      }
      lock.lock();
    }
  }
};

AlertingService::AlertingService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AlertingService::~AlertingService() { Stop(); }

Result<std::unique_ptr<AlertingService>> AlertingService::Start(AlertingServiceOptions options,
                                                                const storage::ShardSet& shards,
                                                                storage::MetricStore& metrics,
                                                                const storage::LogStore& logs,
                                                                prometheus::Registry& registry) {
  auto targets = BuildTargets(options);
  if (!targets.ok()) return targets.status();

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->tenant = options.tenant;
  const storage::Shard& shard0 = shards.shard(0);
  impl->store = MakeRocksKvStore(shard0.db, shard0.cf(storage::Cf::kDefault), "alerting/");

  EngineRuleQueryEngineOptions engine;
  engine.promql = options.promql;
  engine.logql = options.logql;
  engine.timeout = options.query_timeout;
  const std::string tenant = options.tenant;
  engine.metrics = [&metrics, tenant] {
    return std::make_unique<query::promql::MetricStoreQuerier>(metrics, tenant);
  };
  engine.logs = [&logs, tenant] {
    return std::make_unique<query::logql::LogStoreReader>(logs, tenant);
  };
  impl->engine = MakeEngineRuleQueryEngine(std::move(engine));
  impl->sink = std::make_unique<MetricStoreSampleSink>(metrics, tenant);

  impl->poster = std::make_unique<BeastHttpPoster>();
  impl->delivery = std::make_unique<NotificationDelivery>(*impl->store, *impl->poster, registry);
  SLUICE_RETURN_IF_ERROR(impl->delivery->Restore());
  SLUICE_RETURN_IF_ERROR(impl->ApplyTargets(std::move(*targets)));

  Impl* raw = impl.get();
  impl->rules = std::make_unique<RuleManager>(
      options.rules, *impl->engine, *impl->sink, *impl->store,
      [raw](const std::vector<Alert>& alerts) { raw->Notify(alerts); }, Clock::Real(), &registry);
  SLUICE_RETURN_IF_ERROR(impl->rules->Load());

  impl->delivery->Start();
  impl->rules->Start();
  impl->ticker = std::thread([raw] { raw->Tick(); });
  spdlog::info("alerting: {} rule groups; {} Alertmanagers; webhook notifications {}",
               impl->rules->group_count(), options.alertmanagers.size(),
               options.notifications_file.empty() ? "off" : "from " + options.notifications_file);
  return std::unique_ptr<AlertingService>(new AlertingService(std::move(impl)));
}

Status AlertingService::Reload(AlertingServiceOptions options) {
  auto targets = BuildTargets(options);
  if (!targets.ok()) return targets.status();
  SLUICE_RETURN_IF_ERROR(impl_->rules->Reload(options.rules));
  impl_->options = options;
  return impl_->ApplyTargets(std::move(*targets));
}

std::vector<GroupStatus> AlertingService::Groups() const { return impl_->rules->Snapshot(); }

const std::string& AlertingService::tenant() const { return impl_->tenant; }

void AlertingService::Stop() {
  if (!impl_) return;
  if (impl_->rules) impl_->rules->Stop();
  {
    std::lock_guard lock(impl_->tick_mu);
    impl_->stopping = true;
  }
  impl_->tick_wake.notify_all();
  if (impl_->ticker.joinable()) impl_->ticker.join();
  if (impl_->delivery) impl_->delivery->Stop();
}

}  // namespace sluice::alerting

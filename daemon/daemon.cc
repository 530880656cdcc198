#include "daemon/daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "base/units.h"
#include "config/config_loader.h"
#include "daemon/api/status_api.h"
#include "daemon/http/http_metrics.h"
#include "daemon/http/http_server.h"
#include "daemon/http/router.h"
#include "daemon/logging.h"
#include "daemon/process_metrics.h"
#include "storage/shard_set.h"

namespace sluice::daemon {

struct Daemon::Components {
  std::unique_ptr<storage::ShardSet> shards;
  ProcessMetrics process_metrics;
  Router router;
  std::unique_ptr<HttpMetrics> http_metrics;
  std::unique_ptr<HttpServer> server;
};

config::Config ResolveConfig(config::Config config, const ConfigOverrides& overrides) {
  if (overrides.data_dir) config.storage.data_dir = *overrides.data_dir;
  if (overrides.http_listen) config.server.http_listen = *overrides.http_listen;
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (config.server.io_threads == 0) config.server.io_threads = cores;
  if (config.storage.shards == 0) config.storage.shards = cores;
  return config;
}

Daemon::Daemon(config::Config config, std::string config_path, ConfigOverrides overrides)
    : config_(ResolveConfig(std::move(config), overrides)),
      config_path_(std::move(config_path)),
      overrides_(std::move(overrides)),
      registry_(std::make_shared<prometheus::Registry>()) {}

Daemon::~Daemon() { Shutdown(); }

Status Daemon::Start() {
  std::lock_guard lock(mu_);
  auto c = std::make_unique<Components>();

  Result<std::unique_ptr<storage::ShardSet>> shards = storage::ShardSet::Open(
      {.data_dir = config_.storage.data_dir, .shards = config_.storage.shards});
  if (!shards.ok()) return shards.status();
  c->shards = std::move(shards).value();
  spdlog::info("storage: {} shards under {}", c->shards->size(), c->shards->data_dir());

  RegisterStatusApi(c->router, StatusApi{
                                   .registry = registry_.get(),
                                   .process_metrics = &c->process_metrics,
                                   .is_ready = [this] { return ready_.load(); },
                                   .reload = [this] { return Reload(); },
                               });

  c->http_metrics = std::make_unique<HttpMetrics>(*registry_);
  c->server = std::make_unique<HttpServer>(config_.server, c->router, *c->http_metrics);
  SLUICE_RETURN_IF_ERROR(c->server->Start());
  spdlog::info("http: listening on {} with {} IO threads", c->server->local_address(),
               config_.server.io_threads);
  components_ = std::move(c);
  ready_ = true;
  return Status::Ok();
}

Status Daemon::Reload() {
  Result<config::Config> loaded =
      config_path_.empty()
          ? config::LoadConfigFromString(config::DefaultConfigYaml(), "(built-in default config)")
          : config::LoadConfigFile(config_path_);
  if (!loaded.ok()) {
    spdlog::error("reload: keeping the running config; {}", loaded.status().message());
    return loaded.status();
  }
  config::Config next = ResolveConfig(std::move(loaded).value(), overrides_);
  std::lock_guard lock(mu_);
  if (stopped_) return Status::Unavailable("shutting down");
  SLUICE_RETURN_IF_ERROR(ConfigureLogging(next.log));
  for (const std::string& key : config::RestartRequiredChanges(config_, next)) {
    spdlog::warn("reload: changes under {} take effect after a restart", key);
  }
  // Keep what is running for everything that cannot change in place.
  config_.log.level = next.log.level;
  spdlog::info("reload: config {} applied", config_path_.empty() ? "(built-in)" : config_path_);
  return Status::Ok();
}

void Daemon::Shutdown() {
  std::unique_ptr<Components> components;
  std::chrono::nanoseconds grace;
  {
    // Not held while draining: a request in flight may need mu_ (POST /-/reload) to finish.
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    ready_ = false;
    components = std::move(components_);
    grace = config_.server.shutdown_timeout;
  }
  if (!components) return;
  if (components->server) {
    spdlog::info("shutdown: draining HTTP connections (up to {})", FormatDuration(grace));
    size_t forced = components->server->Shutdown(grace);
    if (forced > 0) spdlog::warn("shutdown: closed {} connections still busy", forced);
    components->server->Stop();
  }
  if (components->shards) {
    Status closed = components->shards->Close();
    if (!closed.ok()) spdlog::error("shutdown: closing storage: {}", closed.message());
  }
  spdlog::info("shutdown: complete");
}

uint16_t Daemon::http_port() const {
  std::lock_guard lock(mu_);
  return components_ && components_->server ? components_->server->port() : 0;
}

config::Config Daemon::running_config() const {
  std::lock_guard lock(mu_);
  return config_;
}

}  // namespace sluice::daemon

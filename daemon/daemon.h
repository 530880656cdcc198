// Daemon: one running Sluice. Owns, in start order: storage shards, the log store, the ingest
// service, the route table, the HTTP server and the TCP listener. Used by main() and, in-process, by the integration tests.
//
// Threads: Start, Reload and Shutdown may be called from any thread; Reload is also reached through
// POST /-/reload on an IO thread. Shutdown must be called once before destruction (the destructor
// calls it otherwise).
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"
#include "config/config.h"

namespace sluice::daemon {

// Command-line settings that win over the config file, also across reloads.
struct ConfigOverrides {
  std::optional<std::string> data_dir;
  std::optional<std::string> http_listen;
  std::optional<std::string> tcp_listen;
};

// Applies `overrides` and turns "0 = automatic" values into concrete ones.
config::Config ResolveConfig(config::Config config, const ConfigOverrides& overrides);

class Daemon {
 public:
  // `config_path` is re-read on reload; empty means the compiled-in default config.
  Daemon(config::Config config, std::string config_path, ConfigOverrides overrides);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  Status Start();

  // Re-reads the config file. Applies what can change while running, logs what needs a restart,
  // and keeps the running config when the file is invalid (returning why).
  Status Reload();

  // Graceful stop: not ready, stop accepting, let requests in flight finish within
  // server.shutdown_timeout, close storage. Idempotent.
  void Shutdown();

  uint16_t http_port() const;
  uint16_t tcp_port() const;
  bool ready() const { return ready_.load(); }
  prometheus::Registry& registry() { return *registry_; }
  config::Config running_config() const;

 private:
  struct Components;

  mutable std::mutex mu_;  // guards config_ and reload against shutdown
  config::Config config_;
  const std::string config_path_;
  const ConfigOverrides overrides_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Components> components_;
  std::atomic<bool> ready_{false};
  bool stopped_ = false;
};

}  // namespace sluice::daemon

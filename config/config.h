// Config: every setting of the daemon, with its default. The YAML schema mirrors this struct
// one to one (config/sluice.yaml documents it); config_loader.h turns a file into it.
//
// Only config/ knows YAML: each library receives the plain sub-struct it needs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::config {

using Duration = std::chrono::nanoseconds;
using namespace std::chrono_literals;

struct ServerConfig {
  std::string http_listen = "0.0.0.0:3100";
  int io_threads = 0;  // 0 = one per CPU core
  int max_connections = 10000;
  uint64_t max_request_bytes = 64ull << 20;  // body as received; larger -> 413
  uint64_t max_decoded_bytes = 256ull
                               << 20;       // body after Content-Encoding is undone; larger -> 413
  uint64_t max_header_bytes = 64ull << 10;  // request line and headers; larger -> 431
  Duration read_header_timeout = 10s;       // from the first byte of a request to its last header
  Duration read_timeout = 60s;              // for the whole body
  Duration write_timeout = 60s;             // for the whole response
  Duration idle_timeout = 120s;             // keep-alive connection waiting for its next request
  Duration shutdown_timeout = 30s;          // SIGTERM: time given to in-flight requests

  bool operator==(const ServerConfig&) const = default;
};

enum class FsyncPolicy {
  kNever,  // write() to the OS on every commit: survives a crash of the process, not of the machine
  kInterval,  // group commit: fsync at most every fsync_interval, acknowledge after it
  kAlways,    // fsync every commit before acknowledging it
};

struct StorageConfig {
  std::string data_dir = "./data";
  int shards = 0;  // 0 = one per CPU core; fixed once the data dir holds data
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  Duration fsync_interval = 10ms;

  bool operator==(const StorageConfig&) const = default;
};

enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::kText;
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  LogConfig log;
};

// A reload (SIGHUP, POST /-/reload) applies what it can while running: the log level, and the
// sections later issues add as reloadable. Returns the sections or keys that differ between the two
// configs but only take effect after a restart (empty when everything can be applied).
std::vector<std::string> RestartRequiredChanges(const Config& running, const Config& loaded);

}  // namespace sluice::config

#include "config/config_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "config/yaml_reader.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kGiB = kKiB * kKiB * kKiB;

void ReadServer(YamlMapReader m, ServerConfig& c) {
  m.String("http_listen", c.http_listen);
  m.Int("io_threads", c.io_threads, 0, 256);
  m.Int("max_connections", c.max_connections, 1, 1'000'000);
  m.Size("max_request_bytes", c.max_request_bytes, 1 * kKiB, 4 * kGiB);
  m.Size("max_decoded_bytes", c.max_decoded_bytes, 1 * kKiB, 16 * kGiB);
  m.Size("max_header_bytes", c.max_header_bytes, 1 * kKiB, 16 * kKiB * kKiB);
  m.Duration("read_header_timeout", c.read_header_timeout, 1ms, 24h);
  m.Duration("read_timeout", c.read_timeout, 1ms, 24h);
  m.Duration("write_timeout", c.write_timeout, 1ms, 24h);
  m.Duration("idle_timeout", c.idle_timeout, 1ms, 24h);
  m.Duration("shutdown_timeout", c.shutdown_timeout, 0s, 1h);
  m.Finish();
}

void ReadStorage(YamlMapReader m, StorageConfig& c) {
  m.String("data_dir", c.data_dir);
  m.Int("shards", c.shards, 0, 256);
  m.Enum<FsyncPolicy>("fsync", c.fsync,
                      {{"never", FsyncPolicy::kNever},
                       {"interval", FsyncPolicy::kInterval},
                       {"always", FsyncPolicy::kAlways}});
  m.Duration("fsync_interval", c.fsync_interval, 100us, 10s);
  m.Finish();
}

void ReadLog(YamlMapReader m, LogConfig& c) {
  m.Enum<std::string>("level", c.level,
                      {{"trace", "trace"},
                       {"debug", "debug"},
                       {"info", "info"},
                       {"warn", "warn"},
                       {"error", "error"},
                       {"critical", "critical"},
                       {"off", "off"}});
  m.Enum<LogFormat>("format", c.format, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}});
  m.Finish();
}

}  // namespace

Result<Config> LoadConfigFromString(std::string_view yaml_text, std::string_view file_name,
                                    const EnvLookup& env) {
  ConfigErrors errors{std::string(file_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    errors.Add("", e.mark, fmt::format("invalid YAML: {}", e.msg));
    return errors.ToStatus();
  }
  Config config;
  YamlMapReader top(root, "", &errors, &env);
  ReadServer(top.Child("server"), config.server);
  ReadStorage(top.Child("storage"), config.storage);
  ReadLog(top.Child("log"), config.log);
  top.Finish();
  if (!errors.empty()) return errors.ToStatus();
  return config;
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("cannot read config file {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError(fmt::format("error reading config file {}", path));
  return LoadConfigFromString(text.str(), path, env);
}

std::vector<std::string> RestartRequiredChanges(const Config& running, const Config& loaded) {
  std::vector<std::string> changed;
  if (!(running.server == loaded.server)) changed.emplace_back("server");
  if (!(running.storage == loaded.storage)) changed.emplace_back("storage");
  if (running.log.format != loaded.log.format) changed.emplace_back("log.format");
  return changed;
}

}  // namespace sluice::config

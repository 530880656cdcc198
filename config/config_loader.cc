#include "config/config_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "base/tenant_id.h"
#include "config/yaml_reader.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kGiB = kKiB * kKiB * kKiB;

void ReadServer(YamlMapReader m, ServerConfig& c) {
  m.String("http_listen", c.http_listen);
  m.String("tcp_listen", c.tcp_listen, /*allow_empty=*/true);
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
  YamlMapReader tls = m.Child("tls");
  tls.String("cert_file", c.tls.cert_file, true);
  tls.String("key_file", c.tls.key_file, true);
  tls.String("client_ca_file", c.tls.client_ca_file, true);
  if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
    tls.Reject(c.tls.cert_file.empty() ? "cert_file" : "key_file",
               "TLS needs both cert_file and key_file");
  }
  if (!c.tls.client_ca_file.empty() && c.tls.cert_file.empty()) {
    tls.Reject("client_ca_file", "client certificates need TLS: set cert_file and key_file");
  }
  tls.Finish();
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
  m.Size("block_target_bytes", c.block_target_bytes, 4 * kKiB, 256 * kKiB * kKiB);
  m.Duration("block_max_age", c.block_max_age, 1s, 24h);
  m.Size("head_memory_limit", c.head_memory_limit, 1 * kKiB * kKiB, 1024 * kGiB);
  m.Int("compression_level", c.compression_level, 1, 19);
  m.Bool("seal_on_shutdown", c.seal_on_shutdown);
  m.Size("min_free_disk", c.min_free_disk, 0, 1024 * kGiB);
  m.Duration("retention_interval", c.retention_interval, 10ms, 24h);
  m.Size("max_disk_bytes", c.max_disk_bytes, 0, 1024 * 1024 * kGiB);
  m.Int("chunk_max_samples", c.chunk_max_samples, 8, 65536);
  m.Duration("chunk_max_age", c.chunk_max_age, 1s, 24h);
  m.Finish();
}

void ReadLimits(YamlMapReader m, LimitsConfig& c);

// Reports `id`, the value of `key`, when it is not a valid tenant ID.
void CheckTenantId(YamlMapReader& m, std::string_view key, std::string_view id) {
  if (Status valid = ValidateTenantId(id); !valid.ok()) {
    m.Reject(key, fmt::format("not a tenant ID: {}", valid.message()));
  }
}

// Overrides start from `limits`, the `limits:` section as read.
void ReadTenants(YamlMapReader m, TenantsConfig& c, const LimitsConfig& limits) {
  m.String("default_tenant", c.default_tenant);
  CheckTenantId(m, "default_tenant", c.default_tenant);
  c.overrides.clear();
  std::vector<std::pair<std::string, YamlMapReader>> overrides = m.ChildMap("overrides");
  for (auto& [tenant, reader] : overrides) {
    if (Status valid = ValidateTenantId(tenant); !valid.ok()) {
      m.Reject("overrides", fmt::format("\"{}\" is not a tenant ID: {}", tenant, valid.message()));
      continue;
    }
    LimitsConfig tenant_limits = limits;
    ReadLimits(reader, tenant_limits);
    c.overrides.emplace_back(tenant, std::move(tenant_limits));
  }
  m.Finish();
}

void ReadIngest(YamlMapReader m, IngestConfig& c) {
  m.Int("workers", c.workers, 0, 256);
  m.Size("max_inflight_bytes", c.max_inflight_bytes, 1 * kKiB * kKiB, 1024 * kGiB);
  m.Duration("backpressure_wait", c.backpressure_wait, 0s, 10min);
  m.Duration("retry_after", c.retry_after, 1s, 1h);
  YamlMapReader fields = m.Child("fields");
  fields.StringList("msg", c.fields.msg);
  fields.StringList("time", c.fields.time);
  fields.StringList("stream", c.fields.stream);
  fields.StringList("ignore", c.fields.ignore);
  fields.Finish();
  m.StringList("otlp_index_attributes", c.otlp_index_attributes);
  m.Finish();
}

void ReadLimits(YamlMapReader m, LimitsConfig& c) {
  m.Size("max_line_bytes", c.max_line_bytes, 0, 1 * kGiB);
  m.Bool("truncate_lines", c.truncate_lines);
  m.Int("max_labels_per_stream", c.max_labels_per_stream, 1, 1000);
  m.Int("max_label_name_length", c.max_label_name_length, 1, 1 << 20);
  m.Int("max_label_value_length", c.max_label_value_length, 1, 1 << 20);
  m.Size("max_metadata_bytes", c.max_metadata_bytes, 0, 1 * kGiB);
  m.Int("max_metadata_entries", c.max_metadata_entries, 0, 100000);
  m.Int("max_labels_per_series", c.max_labels_per_series, 1, 1000);
  m.Int("max_series_label_name_length", c.max_series_label_name_length, 1, 1 << 20);
  m.Int("max_series_label_value_length", c.max_series_label_value_length, 1, 1 << 20);
  m.Size("ingest_rate_bytes", c.ingest_rate_bytes, 0, 1024 * kGiB);
  m.Size("ingest_burst_bytes", c.ingest_burst_bytes, 0, 1024 * kGiB);
  m.Int("ingest_rate_samples", c.ingest_rate_samples, 0, 2'000'000'000);
  m.Int("ingest_burst_samples", c.ingest_burst_samples, 0, 2'000'000'000);
  m.Int("max_global_streams_per_user", c.max_global_streams_per_user, 0, 2'000'000'000);
  m.Int("max_global_series_per_user", c.max_global_series_per_user, 0, 2'000'000'000);
  m.Duration("query_timeout", c.query_timeout, 1ms, 24h);
  m.Int("max_entries_limit_per_query", c.max_entries_limit_per_query, 1, 10'000'000);
  m.Int("max_query_series", c.max_query_series, 0, 10'000'000);
  m.Duration("max_query_length", c.max_query_length, 1ms, 100 * 365 * 24h);
  m.Int("max_fetched_series_per_query", c.max_fetched_series_per_query, 0, 2'000'000'000);
  m.Int("max_concurrent_queries", c.max_concurrent_queries, 0, 1'000'000);
  m.Duration("retention_period", c.retention_period, 0s, 100 * 365 * 24h);
  if (c.retention_period > 0s && c.retention_period < 1min) {
    m.Reject("retention_period", "must be 0 (keep forever) or at least 1m");
  }
  if (m.Has("retention_stream")) {
    c.retention_stream.clear();
    for (YamlMapReader& item : m.ChildList("retention_stream")) {
      RetentionStreamRule rule;
      item.String("selector", rule.selector);
      item.Int("priority", rule.priority, 0, 1'000'000);
      item.Duration("period", rule.period, 1min, 100 * 365 * 24h);
      item.Finish();
      c.retention_stream.push_back(std::move(rule));
    }
  }
  m.Finish();
}

// The older names, under `query:`, of limits that are now per tenant under `limits:`. Configs
// written before keep loading and meaning the same: each sets the default its `limits:` key (and
// so every tenant override) starts from. Naming a limit both ways is refused, as one of the two
// would be silently ignored.
void ReadQueryLimitsOldNames(YamlMapReader& query, const YamlMapReader& limits, LimitsConfig& c) {
  auto once = [&](std::string_view old_key, std::string_view key) {
    if (query.Has(old_key) && limits.Has(key)) {
      query.Reject(old_key,
                   fmt::format("set only limits.{} (query.{} is its older name)", key, old_key));
    }
  };
  query.Duration("timeout", c.query_timeout, 1ms, 24h);
  once("timeout", "query_timeout");
  query.Int("max_series", c.max_fetched_series_per_query, 0, 2'000'000'000);
  once("max_series", "max_fetched_series_per_query");
  query.Int("max_entries_limit_per_query", c.max_entries_limit_per_query, 1, 10'000'000);
  once("max_entries_limit_per_query", "max_entries_limit_per_query");
  query.Int("max_query_series", c.max_query_series, 0, 10'000'000);
  once("max_query_series", "max_query_series");
  query.Duration("max_query_length", c.max_query_length, 1ms, 100 * 365 * 24h);
  once("max_query_length", "max_query_length");
}

void ReadQuery(YamlMapReader m, QueryConfig& c) {
  m.Int("max_samples", c.max_samples, 1, 2'000'000'000);
  m.Duration("lookback_delta", c.lookback_delta, 1ms, 7 * 24h);
  m.Int("max_concurrency", c.max_concurrency, 0, 256);
  m.Int("max_queued", c.max_queued, 0, 1'000'000);
  m.Finish();
}

void ReadAlerting(YamlMapReader m, AlertingConfig& c) {
  m.StringList("rule_files", c.rule_files);
  m.StringList("logql_rule_files", c.logql_rule_files);
  m.Duration("evaluation_interval", c.evaluation_interval, 1s, 24h);
  m.Duration("resend_delay", c.resend_delay, 1s, 24h);
  m.Duration("query_timeout", c.query_timeout, 1ms, 24h);
  m.String("tenant", c.tenant, true);
  if (!c.tenant.empty()) CheckTenantId(m, "tenant", c.tenant);
  m.String("external_url", c.external_url, true);
  m.StringMap("external_labels", c.external_labels);
  m.StringList("alertmanagers", c.alertmanagers);
  m.String("notifications_file", c.notifications_file, true);
  m.Finish();
}

void ReadDeletion(YamlMapReader m, DeletionConfig& c) {
  m.Duration("cancel_period", c.cancel_period, 0s, 365 * 24h);
  m.Duration("processing_interval", c.processing_interval, 10ms, 24h);
  m.Finish();
}

bool IsLowerHex(std::string_view s, size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A credential proves itself one way: a bearer token, or a username with one password hash.
void ReadCredential(YamlMapReader m, AuthCredential& c) {
  m.String("name", c.name);
  m.String("tenant", c.tenant);
  std::vector<std::string> scopes;
  m.StringList("scopes", scopes);
  m.String("bearer_token_sha256", c.bearer_token_sha256, true);
  m.String("username", c.username, true);
  m.String("password_sha256", c.password_sha256, true);
  m.String("password_bcrypt", c.password_bcrypt, true);

  if (c.name.empty()) m.Reject("name", "every credential needs a name (it shows in logs)");
  CheckTenantId(m, "tenant", c.tenant);
  for (const std::string& scope : scopes) {
    if (scope == "read") {
      c.scopes |= kScopeRead;
    } else if (scope == "write") {
      c.scopes |= kScopeWrite;
    } else if (scope == "admin") {
      c.scopes |= kScopeAdmin;
    } else {
      m.Reject("scopes", fmt::format("unknown scope \"{}\" (scopes: read, write, admin)", scope));
    }
  }
  if (scopes.empty()) m.Reject("scopes", "grant at least one of read, write, admin");

  for (std::string* hex : {&c.bearer_token_sha256, &c.password_sha256}) {
    for (char& ch : *hex) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  const bool token = !c.bearer_token_sha256.empty();
  const bool user = !c.username.empty();
  const int passwords = !c.password_sha256.empty() + !c.password_bcrypt.empty();
  if (token == user) {
    m.Reject(token ? "username" : "bearer_token_sha256",
             "give either bearer_token_sha256 or username with a password hash");
  }
  if (token && !IsLowerHex(c.bearer_token_sha256, 64)) {
    m.Reject("bearer_token_sha256", "expected 64 hex digits (printf %s \"$TOKEN\" | sha256sum)");
  }
  if (user && passwords != 1) {
    m.Reject("username", "give exactly one of password_sha256 and password_bcrypt");
  }
  if (!user && passwords > 0) {
    m.Reject(c.password_sha256.empty() ? "password_bcrypt" : "password_sha256",
             "a password needs a username");
  }
  if (!c.password_sha256.empty() && !IsLowerHex(c.password_sha256, 64)) {
    m.Reject("password_sha256", "expected 64 hex digits (printf %s \"$PASSWORD\" | sha256sum)");
  }
  if (!c.password_bcrypt.empty()) {
    std::string_view b = c.password_bcrypt;
    bool bcrypt =
        b.size() == 60 && (b.starts_with("$2a$") || b.starts_with("$2b$") || b.starts_with("$2y$"));
    if (!bcrypt) {
      m.Reject("password_bcrypt",
               "expected a bcrypt hash ($2b$10$ and 53 more characters, as htpasswd -nB writes)");
    }
  }
  m.Finish();
}

void ReadAuth(YamlMapReader m, AuthConfig& c, const ServerConfig& server) {
  m.Bool("enabled", c.enabled);
  m.StringList("open_paths", c.open_paths);
  for (const std::string& path : c.open_paths) {
    if (!path.starts_with('/')) {
      m.Reject("open_paths", fmt::format("\"{}\" is not a path (paths start with /)", path));
    }
  }
  c.credentials.clear();
  std::vector<YamlMapReader> items = m.ChildList("credentials");
  for (YamlMapReader& item : items) {
    AuthCredential credential;
    ReadCredential(item, credential);
    for (const AuthCredential& other : c.credentials) {
      if (other.name == credential.name) {
        item.Reject("name", fmt::format("a second credential named \"{}\"", credential.name));
      }
      if (!credential.username.empty() && other.username == credential.username) {
        item.Reject("username", fmt::format("username \"{}\" is also credential \"{}\"'s",
                                            credential.username, other.name));
      }
      if (!credential.bearer_token_sha256.empty() &&
          other.bearer_token_sha256 == credential.bearer_token_sha256) {
        item.Reject("bearer_token_sha256",
                    fmt::format("the same token as credential \"{}\"", other.name));
      }
    }
    c.credentials.push_back(std::move(credential));
  }
  if (c.enabled && c.credentials.empty()) {
    m.Reject("enabled", "authentication needs at least one entry under auth.credentials");
  }
  if (c.enabled && !server.tcp_listen.empty()) {
    m.Reject("enabled",
             "the raw TCP listener (server.tcp_listen) cannot authenticate its clients: set it "
             "to \"\" when auth is enabled");
  }
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
  YamlMapReader tenants = top.Child("tenants");
  YamlMapReader query = top.Child("query");
  ReadIngest(top.Child("ingest"), config.ingest);
  YamlMapReader limits = top.Child("limits");
  ReadQueryLimitsOldNames(query, limits, config.limits);  // the defaults `limits:` starts from
  ReadLimits(std::move(limits), config.limits);
  ReadTenants(std::move(tenants), config.tenants, config.limits);
  ReadQuery(std::move(query), config.query);
  ReadAlerting(top.Child("alerting"), config.alerting);
  ReadDeletion(top.Child("deletion"), config.deletion);
  ReadAuth(top.Child("auth"), config.auth, config.server);
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
  StorageConfig storage = loaded.storage;  // less what a reload applies
  storage.retention_interval = running.storage.retention_interval;
  storage.max_disk_bytes = running.storage.max_disk_bytes;
  if (!(running.storage == storage)) changed.emplace_back("storage");
  if (running.tenants.default_tenant != loaded.tenants.default_tenant) {
    changed.emplace_back("tenants.default_tenant");
  }
  if (!(running.ingest == loaded.ingest)) changed.emplace_back("ingest");
  if (!(running.query == loaded.query)) changed.emplace_back("query");
  if (running.alerting.tenant != loaded.alerting.tenant) changed.emplace_back("alerting.tenant");
  if (!(running.deletion == loaded.deletion)) changed.emplace_back("deletion");
  if (running.auth.enabled != loaded.auth.enabled) changed.emplace_back("auth.enabled");
  if (running.log.format != loaded.log.format) changed.emplace_back("log.format");
  return changed;
}

}  // namespace sluice::config

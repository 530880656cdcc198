// Config: every setting of the daemon, with its default. The YAML schema mirrors this struct
// one to one (config/sluice.yaml documents it); config_loader.h turns a file into it.
//
// Only config/ knows YAML: each library receives the plain sub-struct it needs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::config {

using Duration = std::chrono::nanoseconds;
using namespace std::chrono_literals;

// TLS for the HTTP and TCP listeners: on when cert_file and key_file are set. The files are read
// again on every reload, so renewed certificates apply without a restart.
struct TlsConfig {
  std::string cert_file;       // PEM: the certificate, then its chain
  std::string key_file;        // PEM: the private key
  std::string client_ca_file;  // PEM: when set, clients must present a certificate it signed (mTLS)

  bool enabled() const { return !cert_file.empty(); }
  bool operator==(const TlsConfig&) const = default;
};

struct ServerConfig {
  std::string http_listen = "0.0.0.0:3100";
  std::string tcp_listen = "0.0.0.0:3101";  // newline-delimited JSON logs; "" turns it off
  int io_threads = 0;                       // 0 = one per CPU core
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
  TlsConfig tls;

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
  uint64_t block_target_bytes = 1ull << 20;   // seal a stream's entries into a block at this size
  Duration block_max_age = 60s;               // ... or when its oldest unsealed entry is this old
  uint64_t head_memory_limit = 256ull << 20;  // per shard: unsealed entries kept in memory
  int compression_level = 3;                  // zstd level of log blocks
  bool seal_on_shutdown = true;
  // Writes are refused (503) while the data dir's filesystem has less free than this; 0 = off.
  uint64_t min_free_disk = 100ull << 20;
  // Metrics: a series' unsealed samples become a chunk at this count, or when the oldest of them
  // arrived chunk_max_age ago (head_memory_limit applies to them too, per shard).
  int chunk_max_samples = 120;
  Duration chunk_max_age = 1h;
  // How often retention (limits.retention_period, retention_stream, max_disk_bytes) is enforced.
  Duration retention_interval = 10min;
  // A cap on the data dir: beyond it the oldest data of every tenant is deleted until it fits
  // again (Prometheus' --storage.tsdb.retention.size). 0 = no cap.
  uint64_t max_disk_bytes = 0;

  bool operator==(const StorageConfig&) const = default;
};

// A retention rule for the log streams a selector matches (Loki's retention_stream).
struct RetentionStreamRule {
  std::string selector;  // a LogQL stream selector, {namespace="dev"}
  int priority = 0;      // of the rules that match a stream, the highest priority applies
  Duration period{};

  bool operator==(const RetentionStreamRule&) const = default;
};

// What one write may contain (Loki's defaults). Reloadable.
struct LimitsConfig {
  uint64_t max_line_bytes = 256ull << 10;  // 0 = unlimited
  bool truncate_lines = false;
  int max_labels_per_stream = 15;
  int max_label_name_length = 1024;
  int max_label_value_length = 2048;
  uint64_t max_metadata_bytes = 64ull << 10;
  int max_metadata_entries = 128;
  // What a metric series may look like (VictoriaMetrics' and Mimir's defaults).
  int max_labels_per_series = 40;
  int max_series_label_name_length = 256;
  int max_series_label_value_length = 4096;
  // How fast one tenant may write: bytes of log lines and structured metadata, and metric
  // samples, per second, each with a burst (at least one second's worth); 0 = unlimited.
  uint64_t ingest_rate_bytes = 0;
  uint64_t ingest_burst_bytes = 0;
  int ingest_rate_samples = 0;
  int ingest_burst_samples = 0;
  // Streams (logs) and series (metrics) one tenant may have stored, across all shards (Loki's and
  // Mimir's names); a request that would take the tenant past its cap is refused whole. 0 = no cap.
  int max_global_streams_per_user = 0;
  int max_global_series_per_user = 0;
  // What one query may ask for (Loki's names and defaults). query_timeout bounds both query APIs;
  // max_fetched_series_per_query (Mimir's name) the series a PromQL query may read, 0 = no limit.
  // The `query:` section's older keys (timeout, max_series, max_entries_limit_per_query,
  // max_query_series, max_query_length) set these defaults.
  Duration query_timeout = 2min;
  int max_entries_limit_per_query = 5000;  // the largest `limit` of a log query
  int max_query_series = 500;              // series a LogQL metric query may produce; 0 = no limit
  Duration max_query_length = 721h;        // the longest [start, end] of a LogQL range query
  int max_fetched_series_per_query = 1'000'000;
  // Query API requests (Loki's and Prometheus') one tenant may have queued or running at once;
  // beyond it the answer is 429 (Loki API) or 503 (Prometheus API). 0 = unlimited.
  int max_concurrent_queries = 0;
  // How long logs and samples are kept, by their timestamps; 0 = forever (Loki's names).
  // retention_stream rules override it for the log streams they match.
  Duration retention_period{};
  std::vector<RetentionStreamRule> retention_stream;

  bool operator==(const LimitsConfig&) const = default;
};

struct TenantsConfig {
  std::string default_tenant = "fake";  // when a request has no X-Scope-OrgID (Loki's choice)
  // Limits for particular tenants: each starts from the `limits:` section and changes what it
  // names. Reloadable.
  std::vector<std::pair<std::string, LimitsConfig>> overrides;

  bool operator==(const TenantsConfig&) const = default;
};

// How JSON documents (bulk, JSON lines, TCP) become entries; see pipeline/field_mapping.h.
struct FieldsConfig {
  std::vector<std::string> msg{"message", "msg", "log", "_msg"};
  std::vector<std::string> time{"@timestamp", "_time", "timestamp", "time", "ts"};
  std::vector<std::string> stream;
  std::vector<std::string> ignore;

  bool operator==(const FieldsConfig&) const = default;
};

struct IngestConfig {
  int workers = 0;                             // 0 = one per CPU core
  uint64_t max_inflight_bytes = 512ull << 20;  // request bodies in memory at once
  Duration backpressure_wait = 10s;  // a body waits this long for memory, unread, before a 503
  Duration retry_after = 1s;         // Retry-After of that 503
  FieldsConfig fields;
  std::vector<std::string> otlp_index_attributes{"service.name",
                                                 "service.namespace",
                                                 "service.instance.id",
                                                 "deployment.environment",
                                                 "deployment.environment.name",
                                                 "cloud.region",
                                                 "cloud.availability_zone",
                                                 "k8s.cluster.name",
                                                 "k8s.namespace.name",
                                                 "k8s.pod.name",
                                                 "k8s.container.name",
                                                 "container.name",
                                                 "k8s.replicaset.name",
                                                 "k8s.deployment.name",
                                                 "k8s.statefulset.name",
                                                 "k8s.daemonset.name",
                                                 "k8s.cronjob.name",
                                                 "k8s.job.name"};

  bool operator==(const IngestConfig&) const = default;
};

// The query APIs (Prometheus' /api/v1/query and friends): evaluation threads and the limits of
// one query, with Prometheus' defaults. The limits a tenant may have its own values of (timeout,
// series, entries, range) are in LimitsConfig.
struct QueryConfig {
  int max_samples = 50'000'000;    // samples one query may hold in memory at once
  Duration lookback_delta = 5min;  // how far back an instant selector looks for a sample
  int max_concurrency = 0;         // queries evaluated at once; 0 = one per CPU core
  int max_queued = 256;            // more wait for a thread; beyond that -> 503

  bool operator==(const QueryConfig&) const = default;
};

// Alerting and recording rules (Prometheus' rule files; Loki's ruler files for LogQL) and where
// alerts go. Reloadable (SIGHUP, POST /-/reload): the rule files are read again.
struct AlertingConfig {
  std::vector<std::string> rule_files;        // paths or globs of rule files with PromQL groups
  std::vector<std::string> logql_rule_files;  // ... with LogQL groups (Loki's ruler format)
  Duration evaluation_interval = 1min;        // groups without `interval`
  Duration resend_delay = 1min;               // a firing alert is sent again this often
  Duration query_timeout = 2min;              // one rule's query
  std::string tenant;                         // whose data rules query and write; "" = default
  // What $externalURL is and generator URLs point at; "" = http://<hostname>:<http port>.
  std::string external_url;
  std::vector<std::pair<std::string, std::string>> external_labels;  // added to every alert
  // Alertmanagers to POST alerts to (their base URL, e.g. http://127.0.0.1:9093).
  std::vector<std::string> alertmanagers;
  // Routes and webhook receivers in Alertmanager's configuration format, for notifying on-call
  // directly; "" = none.
  std::string notifications_file;
  bool operator==(const AlertingConfig&) const = default;
};

// Deletion of logs (Loki's delete API) and series (Prometheus' delete_series): what is deleted
// is hidden from reads at once and purged from storage by a later processing pass.
struct DeletionConfig {
  // How long a log delete request may be cancelled, and waits before being purged (Loki's
  // delete_request_cancel_period). Series deletes have none, as in Prometheus.
  Duration cancel_period = 24h;
  Duration processing_interval = 5min;  // how often what is due is purged
  bool operator==(const DeletionConfig&) const = default;
};

// Scopes a credential grants (bits of AuthCredential::scopes).
enum AuthScope : unsigned {
  kScopeRead = 1,   // queries, label and series lookups, rules and alerts, tail, export
  kScopeWrite = 2,  // every ingest endpoint
  kScopeAdmin = 4,  // reload, deletion, flush
};

// One client of the API: who it is, the tenant it acts for, and how it proves it. Secrets are
// stored as hashes only.
struct AuthCredential {
  std::string name;    // for logs
  std::string tenant;  // the X-Scope-OrgID of every request made with it
  unsigned scopes = 0;
  std::string bearer_token_sha256;  // lowercase hex: `Authorization: Bearer <token>`
  std::string username;             // `Authorization: Basic ...`, with one of:
  std::string password_sha256;      //   lowercase hex
  std::string password_bcrypt;      //   $2a$, $2b$ or $2y$ (as htpasswd -B writes)
  bool operator==(const AuthCredential&) const = default;
};

// Authentication and authorization of the HTTP API. Reloadable: the credentials and open paths
// apply at once; turning `enabled` on or off takes a restart.
struct AuthConfig {
  bool enabled = false;
  // Routes (patterns of the route table) served without credentials.
  std::vector<std::string> open_paths{"/-/healthy", "/-/ready", "/ready", "/metrics"};
  std::vector<AuthCredential> credentials;
  bool operator==(const AuthConfig&) const = default;
};

enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::kText;
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  TenantsConfig tenants;
  IngestConfig ingest;
  LimitsConfig limits;
  QueryConfig query;
  AlertingConfig alerting;
  DeletionConfig deletion;
  AuthConfig auth;
  LogConfig log;
};

// A reload (SIGHUP, POST /-/reload) applies what it can while running: the log level, and the
// sections later issues add as reloadable. Returns the sections or keys that differ between the two
// configs but only take effect after a restart (empty when everything can be applied).
std::vector<std::string> RestartRequiredChanges(const Config& running, const Config& loaded);

}  // namespace sluice::config

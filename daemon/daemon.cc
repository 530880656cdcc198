#include "daemon/daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "alerting/alerting_service.h"
#include "alerting/kv_store.h"
#include "base/units.h"
#include "config/config_loader.h"
#include "daemon/api/elasticsearch_api.h"
#include "daemon/api/export_api.h"
#include "daemon/api/jsonline_api.h"
#include "daemon/api/loki_delete_api.h"
#include "daemon/api/loki_index_api.h"
#include "daemon/api/loki_push_api.h"
#include "daemon/api/loki_query_api.h"
#include "daemon/api/loki_tail_api.h"
#include "daemon/api/metrics_export_api.h"
#include "daemon/api/metrics_ingest_api.h"
#include "daemon/api/otlp_logs_api.h"
#include "daemon/api/prometheus_api.h"
#include "daemon/api/query_executor.h"
#include "daemon/api/query_limits.h"
#include "daemon/api/rules_api.h"
#include "daemon/api/status_api.h"
#include "daemon/api/tsdb_admin_api.h"
#include "daemon/deletion/deletion_service.h"
#include "daemon/http/authenticator.h"
#include "daemon/http/http_metrics.h"
#include "daemon/http/http_server.h"
#include "daemon/http/router.h"
#include "daemon/http/tls_context.h"
#include "daemon/logging.h"
#include "daemon/process_metrics.h"
#include "daemon/retention_service.h"
#include "daemon/tcp_listener.h"
#include "pipeline/ingest_service.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/shard_set.h"

namespace sluice::daemon {

namespace {

int64_t UnixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// The outcome of the last config (re)load, for /api/v1/status/runtimeinfo.
struct ConfigLoadStatus {
  std::atomic<bool> success{true};
  std::atomic<int64_t> time_ns{UnixNowNs()};  // of the last successful load

  void Record(bool ok) {
    success = ok;
    if (ok) time_ns = UnixNowNs();
  }
};

struct Daemon::Components {
  std::unique_ptr<storage::ShardSet> shards;
  std::unique_ptr<storage::LogStore> logs;
  std::unique_ptr<storage::MetricStore> metrics;
  std::unique_ptr<pipeline::IngestService> ingest;
  std::unique_ptr<QueryExecutor> queries;
  std::shared_ptr<QueryLimitsTable> query_limits;  // shared by the query APIs
  std::unique_ptr<alerting::AlertingService> alerting;
  std::unique_ptr<RetentionService> retention;
  std::unique_ptr<DeletionService> deletion;
  std::unique_ptr<AdmissionBudget> budget;
  int64_t start_time_ns = UnixNowNs();
  ConfigLoadStatus config_status;
  ProcessMetrics process_metrics;
  Router router;
  std::unique_ptr<HttpMetrics> http_metrics;
  std::unique_ptr<AccessControl> access;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<TcpLogListener> tcp;
};

namespace {

storage::LogShardOptions LogShardOptionsFrom(const config::StorageConfig& c) {
  storage::LogShardOptions o;
  switch (c.fsync) {
    case config::FsyncPolicy::kNever:
      o.durability = storage::Durability::kNever;
      break;
    case config::FsyncPolicy::kInterval:
      o.durability = storage::Durability::kInterval;
      break;
    case config::FsyncPolicy::kAlways:
      o.durability = storage::Durability::kAlways;
      break;
  }
  o.fsync_interval = c.fsync_interval;
  o.block_target_bytes = c.block_target_bytes;
  o.block_max_age = c.block_max_age;
  o.head_memory_limit = c.head_memory_limit;
  o.zstd_level = c.compression_level;
  o.seal_on_stop = c.seal_on_shutdown;
  return o;
}

pipeline::IngestLimits IngestLimitsFrom(const config::LimitsConfig& c) {
  pipeline::IngestLimits l;
  l.max_line_bytes = c.max_line_bytes;
  l.truncate_lines = c.truncate_lines;
  l.max_labels_per_stream = c.max_labels_per_stream;
  l.max_label_name_length = c.max_label_name_length;
  l.max_label_value_length = c.max_label_value_length;
  l.max_metadata_bytes = c.max_metadata_bytes;
  l.max_metadata_entries = c.max_metadata_entries;
  return l;
}

storage::MetricShardOptions MetricShardOptionsFrom(const config::StorageConfig& c) {
  storage::LogShardOptions logs = LogShardOptionsFrom(c);
  storage::MetricShardOptions o;
  o.durability = logs.durability;
  o.fsync_interval = c.fsync_interval;
  o.chunk_max_samples = static_cast<uint32_t>(c.chunk_max_samples);
  o.chunk_max_age = c.chunk_max_age;
  o.head_memory_limit = c.head_memory_limit;
  o.seal_on_stop = c.seal_on_shutdown;
  return o;
}

pipeline::MetricLimits MetricLimitsFrom(const config::LimitsConfig& c) {
  pipeline::MetricLimits l;
  l.max_labels_per_series = c.max_labels_per_series;
  l.max_label_name_length = c.max_series_label_name_length;
  l.max_label_value_length = c.max_series_label_value_length;
  return l;
}

pipeline::TenantLimits TenantLimitsFrom(const config::LimitsConfig& c) {
  pipeline::TenantLimits t;
  t.logs = IngestLimitsFrom(c);
  t.metrics = MetricLimitsFrom(c);
  t.log_bytes = {static_cast<double>(c.ingest_rate_bytes),
                 static_cast<double>(c.ingest_burst_bytes)};
  t.samples = {static_cast<double>(c.ingest_rate_samples),
               static_cast<double>(c.ingest_burst_samples)};
  t.max_streams = static_cast<uint64_t>(c.max_global_streams_per_user);
  t.max_series = static_cast<uint64_t>(c.max_global_series_per_user);
  return t;
}

pipeline::LimitsTable LimitsTableFrom(const config::Config& c) {
  std::unordered_map<std::string, pipeline::TenantLimits> overrides;
  for (const auto& [tenant, limits] : c.tenants.overrides) {
    overrides[tenant] = TenantLimitsFrom(limits);
  }
  return pipeline::LimitsTable(TenantLimitsFrom(c.limits), std::move(overrides));
}

// The limits of `tenant`: its override, else the `limits:` section.
const config::LimitsConfig& LimitsOf(const config::Config& c, std::string_view tenant) {
  for (const auto& [name, limits] : c.tenants.overrides) {
    if (name == tenant) return limits;
  }
  return c.limits;
}

QueryLimits QueryLimitsFrom(const config::LimitsConfig& c) {
  QueryLimits q;
  q.timeout = c.query_timeout;
  q.max_entries = static_cast<size_t>(c.max_entries_limit_per_query);
  q.max_query_length = c.max_query_length;
  q.max_query_series = static_cast<size_t>(c.max_query_series);
  q.max_fetched_series = static_cast<size_t>(c.max_fetched_series_per_query);
  return q;
}

// Every tenant's query limits: how many it may run at once in the executor, the rest in `table`.
void ApplyQueryLimits(const config::Config& c, QueryExecutor& executor, QueryLimitsTable& table) {
  std::unordered_map<std::string, int> concurrency;
  std::unordered_map<std::string, QueryLimits> overrides;
  for (const auto& [tenant, limits] : c.tenants.overrides) {
    concurrency[tenant] = limits.max_concurrent_queries;
    overrides[tenant] = QueryLimitsFrom(limits);
  }
  executor.SetTenantLimits(c.limits.max_concurrent_queries, std::move(concurrency));
  table.Set(QueryLimitsFrom(c.limits), std::move(overrides));
}

Result<RetentionPolicy> RetentionPolicyFrom(const config::Config& c) {
  return RetentionPolicy::Make(c.limits, c.tenants.overrides);
}

RetentionOptions RetentionOptionsFrom(const config::StorageConfig& c) {
  return RetentionOptions{.interval = c.retention_interval, .max_disk_bytes = c.max_disk_bytes};
}

pipeline::FieldMapping FieldMappingFrom(const config::FieldsConfig& c) {
  pipeline::FieldMapping m;
  m.msg_fields = c.msg;
  m.time_fields = c.time;
  m.stream_fields = c.stream;
  m.ignore_fields = c.ignore;
  return m;
}

// "" → http://<hostname>:<HTTP port>, as Prometheus derives its external URL.
std::string ExternalUrl(const config::Config& c) {
  if (!c.alerting.external_url.empty()) {
    std::string url = c.alerting.external_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  std::string host(256, '\0');
  if (gethostname(host.data(), host.size()) != 0) host = "localhost";
  host.resize(std::strlen(host.c_str()));
  const std::string& listen = c.server.http_listen;
  return fmt::format("http://{}:{}", host, listen.substr(listen.rfind(':') + 1));
}

Result<alerting::AlertingServiceOptions> AlertingOptionsFrom(const config::Config& c) {
  alerting::AlertingServiceOptions o;
  o.rules.promql_rule_files = c.alerting.rule_files;
  o.rules.logql_rule_files = c.alerting.logql_rule_files;
  auto ms = [](config::Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  o.rules.settings.default_interval_ms = ms(c.alerting.evaluation_interval);
  o.rules.settings.resend_delay_ms = ms(c.alerting.resend_delay);
  o.rules.settings.env.external_url = ExternalUrl(c);
  for (const auto& [name, value] : c.alerting.external_labels) {
    if (!storage::IsValidLabelName(name)) {
      return Status::InvalidArgument(
          fmt::format("alerting.external_labels: invalid label name \"{}\"", name));
    }
    o.rules.settings.env.external_labels.push_back(storage::Label{name, value});
  }
  SLUICE_RETURN_IF_ERROR(storage::Canonicalize(o.rules.settings.env.external_labels));
  o.tenant = c.alerting.tenant.empty() ? c.tenants.default_tenant : c.alerting.tenant;
  o.query_timeout = std::chrono::milliseconds(ms(c.alerting.query_timeout));
  o.promql.lookback_delta_ms = ms(c.query.lookback_delta);
  o.promql.max_samples = static_cast<uint64_t>(c.query.max_samples);
  o.logql.max_series = static_cast<size_t>(LimitsOf(c, o.tenant).max_query_series);
  o.logql.max_samples = static_cast<uint64_t>(c.query.max_samples);
  o.alertmanagers = c.alerting.alertmanagers;
  o.notifications_file = c.alerting.notifications_file;
  return o;
}

}  // namespace

config::Config ResolveConfig(config::Config config, const ConfigOverrides& overrides) {
  if (overrides.data_dir) config.storage.data_dir = *overrides.data_dir;
  if (overrides.http_listen) config.server.http_listen = *overrides.http_listen;
  if (overrides.tcp_listen) config.server.tcp_listen = *overrides.tcp_listen;
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (config.server.io_threads == 0) config.server.io_threads = cores;
  if (config.storage.shards == 0) config.storage.shards = cores;
  if (config.ingest.workers == 0) config.ingest.workers = cores;
  if (config.query.max_concurrency == 0) config.query.max_concurrency = cores;
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

  Result<std::unique_ptr<storage::ShardSet>> shards =
      storage::ShardSet::Open({.data_dir = config_.storage.data_dir,
                               .shards = config_.storage.shards,
                               .min_free_disk_bytes = config_.storage.min_free_disk});
  if (!shards.ok()) return shards.status();
  c->shards = std::move(shards).value();
  spdlog::info("storage: {} shards under {}", c->shards->size(), c->shards->data_dir());

  c->logs = std::make_unique<storage::LogStore>(*c->shards, LogShardOptionsFrom(config_.storage),
                                                *registry_);
  SLUICE_RETURN_IF_ERROR(c->logs->Recover());
  c->logs->Start();

  pipeline::IngestServiceOptions ingest_options;
  ingest_options.workers = config_.ingest.workers;
  ingest_options.limits = LimitsTableFrom(config_);
  ingest_options.otlp.index_attributes = config_.ingest.otlp_index_attributes;
  ingest_options.max_decoded_bytes = config_.server.max_decoded_bytes;
  c->metrics = std::make_unique<storage::MetricStore>(
      *c->shards, MetricShardOptionsFrom(config_.storage), *registry_);
  SLUICE_RETURN_IF_ERROR(c->metrics->Recover());
  c->metrics->Start();
  Result<RetentionPolicy> retention = RetentionPolicyFrom(config_);
  if (!retention.ok()) return retention.status();
  c->retention = std::make_unique<RetentionService>(*c->shards, *c->logs, *c->metrics, *registry_);
  c->retention->Start(std::move(*retention), RetentionOptionsFrom(config_.storage));
  c->ingest = std::make_unique<pipeline::IngestService>(*c->logs, c->metrics.get(), ingest_options,
                                                        *registry_);
  c->ingest->Start();
  c->budget = std::make_unique<AdmissionBudget>(config_.ingest.max_inflight_bytes);

  IngestApi ingest_api;
  ingest_api.service = c->ingest.get();
  ingest_api.default_tenant = config_.tenants.default_tenant;
  ingest_api.default_fields = FieldMappingFrom(config_.ingest.fields);
  ingest_api.retry_after =
      std::chrono::duration_cast<std::chrono::seconds>(config_.ingest.retry_after);
  RegisterLokiPushApi(c->router, ingest_api);
  RegisterElasticsearchApi(c->router, ingest_api);
  RegisterJsonLineApi(c->router, ingest_api);
  RegisterOtlpLogsApi(c->router, ingest_api);
  RegisterExportApi(c->router, c->logs.get(), config_.tenants.default_tenant);
  RegisterMetricsIngestApi(c->router, ingest_api);
  RegisterMetricsExportApi(c->router, c->metrics.get(), config_.tenants.default_tenant);
  c->queries = std::make_unique<QueryExecutor>(
      QueryExecutorOptions{.threads = config_.query.max_concurrency,
                           .max_queued = static_cast<size_t>(config_.query.max_queued)},
      *registry_);
  c->query_limits = std::make_shared<QueryLimitsTable>(registry_.get());
  ApplyQueryLimits(config_, *c->queries, *c->query_limits);
  PrometheusApiOptions prometheus_api;
  prometheus_api.store = c->metrics.get();
  prometheus_api.executor = c->queries.get();
  prometheus_api.default_tenant = config_.tenants.default_tenant;
  prometheus_api.engine.lookback_delta_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.query.lookback_delta).count();
  prometheus_api.engine.max_samples = static_cast<uint64_t>(config_.query.max_samples);
  prometheus_api.limits = c->query_limits;
  prometheus_api.runtime_info = [components = c.get()] {
    return PrometheusRuntimeInfo{
        .start_time_unix_ns = components->start_time_ns,
        .reload_config_success = components->config_status.success.load(),
        .last_config_time_unix_ns = components->config_status.time_ns.load(),
    };
  };
  RegisterPrometheusApi(c->router, std::move(prometheus_api));
  LokiQueryApiOptions loki_api;
  loki_api.store = c->logs.get();
  loki_api.executor = c->queries.get();
  loki_api.default_tenant = config_.tenants.default_tenant;
  loki_api.limits = c->query_limits;
  loki_api.engine.max_samples = static_cast<uint64_t>(config_.query.max_samples);
  RegisterLokiQueryApi(c->router, std::move(loki_api));
  RegisterLokiIndexApi(c->router,
                       LokiIndexApiOptions{.store = c->logs.get(),
                                           .executor = c->queries.get(),
                                           .default_tenant = config_.tenants.default_tenant,
                                           .limits = c->query_limits});
  LokiTailApiOptions tail_api;
  tail_api.store = c->logs.get();
  tail_api.default_tenant = config_.tenants.default_tenant;
  tail_api.limits = c->query_limits;
  RegisterLokiTailApi(c->router, std::move(tail_api));

  auto alerting_options = AlertingOptionsFrom(config_);
  if (!alerting_options.ok()) return alerting_options.status();
  auto alerting_service = alerting::AlertingService::Start(std::move(*alerting_options), *c->shards,
                                                           *c->metrics, *c->logs, *registry_);
  if (!alerting_service.ok()) return alerting_service.status();
  c->alerting = std::move(*alerting_service);
  RegisterRulesApi(c->router, RulesApiOptions{
                                  .groups =
                                      [service = c->alerting.get()](const std::string& tenant) {
                                        return tenant == service->tenant()
                                                   ? service->Groups()
                                                   : std::vector<alerting::GroupStatus>{};
                                      },
                                  .default_tenant = config_.tenants.default_tenant,
                              });

  // Delete requests live beside the alerting state, in shard 0's default column family.
  const storage::Shard& shard0 = c->shards->shard(0);
  auto deletion = DeletionService::Start(
      DeletionServiceOptions{.cancel_period = config_.deletion.cancel_period,
                             .processing_interval = config_.deletion.processing_interval},
      alerting::MakeRocksKvStore(shard0.db, shard0.cf(storage::Cf::kDefault),
                                 std::string(DeleteRequestStore::kNamespace)),
      c->logs.get(), c->metrics.get(), *registry_);
  if (!deletion.ok()) return deletion.status();
  c->deletion = std::move(*deletion);
  RegisterLokiDeleteApi(c->router, LokiDeleteApiOptions{
                                       .service = c->deletion.get(),
                                       .executor = c->queries.get(),
                                       .default_tenant = config_.tenants.default_tenant,
                                   });
  RegisterTsdbAdminApi(c->router, TsdbAdminApiOptions{
                                      .service = c->deletion.get(),
                                      .executor = c->queries.get(),
                                      .default_tenant = config_.tenants.default_tenant,
                                  });

  // VictoriaMetrics' names, which its tooling and our benchmarks call: seal what is in memory,
  // then (force_merge) compact storage to its final size.
  Components* components = c.get();
  auto flush = [components](bool merge) {
    Status s = components->logs->SealAll();
    if (s.ok()) s = components->metrics->SealAll();
    if (s.ok() && merge) s = components->shards->CompactAll();
    return s.ok() ? HttpResponse::Empty(200) : HttpResponse::Text(500, s.message() + "\n");
  };
  c->router.Add({HttpMethod::kGet, HttpMethod::kPost}, "/internal/force_flush",
                [flush](HttpRequest, Responder responder) { responder.Send(flush(false)); },
                {.access = RouteAccess::kAdmin});
  c->router.Add({HttpMethod::kGet, HttpMethod::kPost}, "/internal/force_merge",
                [flush](HttpRequest, Responder responder) { responder.Send(flush(true)); },
                {.access = RouteAccess::kAdmin});

  RegisterStatusApi(c->router, StatusApi{
                                   .registry = registry_.get(),
                                   .process_metrics = &c->process_metrics,
                                   .is_ready = [this] { return ready_.load(); },
                                   .reload = [this] { return Reload(); },
                               });

  c->http_metrics = std::make_unique<HttpMetrics>(*registry_);
  AdmissionOptions admission;
  admission.budget = c->budget.get();
  admission.max_wait = config_.ingest.backpressure_wait;
  admission.retry_after = ingest_api.retry_after;
  c->access = std::make_unique<AccessControl>(config_.auth);
  c->server = std::make_unique<HttpServer>(config_.server, c->router, *c->http_metrics, admission,
                                           c->access.get());
  // One context serves both listeners, as a reload later gives both the same renewed one.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  if (config_.server.tls.enabled()) {
    auto tls = LoadServerTlsContext(config_.server.tls);
    if (!tls.ok()) return tls.status();
    tls_context = std::move(*tls);
    c->server->SetTlsContext(tls_context);
  }
  components_ = std::move(c);  // Shutdown() takes it apart in order, whatever fails below
  Components& started = *components_;
  SLUICE_RETURN_IF_ERROR(started.server->Start());
  spdlog::info("http: listening on {} with {} IO threads{}{}", started.server->local_address(),
               config_.server.io_threads,
               config_.server.tls.enabled()
                   ? fmt::format("; TLS{}", config_.server.tls.client_ca_file.empty()
                                                ? ""
                                                : " with client certificates")
                   : "",
               config_.auth.enabled ? fmt::format("; authentication on ({} credentials)",
                                                  config_.auth.credentials.size())
                                    : "");
  if (!config_.server.tcp_listen.empty()) {
    TcpListenerOptions tcp;
    tcp.listen = config_.server.tcp_listen;
    tcp.tenant = config_.tenants.default_tenant;
    tcp.mapping = ingest_api.default_fields;
    tcp.budget = started.budget.get();
    tcp.tls = tls_context;
    started.tcp =
        std::make_unique<TcpLogListener>(std::move(tcp), started.ingest.get(), *registry_);
    SLUICE_RETURN_IF_ERROR(started.tcp->Start());
    spdlog::info(
        "tcp: listening for JSON lines on {}{}",
        fmt::format("{}:{}",
                    config_.server.tcp_listen.substr(0, config_.server.tcp_listen.rfind(':')),
                    started.tcp->port()),
        config_.server.tls.enabled() ? " with TLS" : "");
  }
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
    std::lock_guard lock(mu_);
    if (components_) components_->config_status.Record(false);
    return loaded.status();
  }
  config::Config next = ResolveConfig(std::move(loaded).value(), overrides_);
  std::lock_guard lock(mu_);
  if (stopped_) return Status::Unavailable("shutting down");
  // Checked before anything applies, so that a bad selector leaves the whole config running.
  Result<RetentionPolicy> retention = RetentionPolicyFrom(next);
  if (!retention.ok()) {
    spdlog::error("reload: keeping the running config; {}", retention.status().message());
    if (components_) components_->config_status.Record(false);
    return retention.status();
  }
  SLUICE_RETURN_IF_ERROR(ConfigureLogging(next.log));
  // Renewed certificates (same files, new contents) apply to connections accepted from now on.
  if (components_ && components_->server && config_.server.tls.enabled()) {
    auto tls = LoadServerTlsContext(config_.server.tls);
    if (!tls.ok()) {
      spdlog::error("reload: keeping the running TLS certificate; {}", tls.status().message());
      components_->config_status.Record(false);
      return tls.status();
    }
    components_->server->SetTlsContext(*tls);
    if (components_->tcp) components_->tcp->SetTlsContext(std::move(*tls));
  }
  for (const std::string& key : config::RestartRequiredChanges(config_, next)) {
    spdlog::warn("reload: changes under {} take effect after a restart", key);
  }
  if (components_ && components_->alerting) {
    auto alerting_options = AlertingOptionsFrom(next);
    Status reloaded = alerting_options.ok()
                          ? components_->alerting->Reload(std::move(*alerting_options))
                          : alerting_options.status();
    if (!reloaded.ok()) {
      spdlog::error("reload: keeping the running rules; {}", reloaded.message());
      components_->config_status.Record(false);
      return reloaded;
    }
    std::string running_tenant = std::move(config_.alerting.tenant);
    config_.alerting = next.alerting;
    config_.alerting.tenant = std::move(running_tenant);
  }
  if (components_ && components_->retention) {
    components_->retention->Update(std::move(*retention), RetentionOptionsFrom(next.storage));
  }
  config_.storage.retention_interval = next.storage.retention_interval;
  config_.storage.max_disk_bytes = next.storage.max_disk_bytes;
  // Keep what is running for everything that cannot change in place.
  if (components_ && components_->access) components_->access->Update(next.auth);
  config_.auth.open_paths = next.auth.open_paths;
  config_.auth.credentials = next.auth.credentials;
  config_.log.level = next.log.level;
  config_.limits = next.limits;
  config_.tenants.overrides = next.tenants.overrides;
  if (components_ && components_->ingest) {
    components_->ingest->SetLimits(LimitsTableFrom(config_));
  }
  if (components_ && components_->queries) {
    ApplyQueryLimits(config_, *components_->queries, *components_->query_limits);
  }
  if (components_) components_->config_status.Record(true);
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
  // Order matters: stop taking requests, finish what was taken, then stop the threads that could
  // still answer a request (their answers post to the HTTP server's IO threads), then storage.
  if (components->server) {
    spdlog::info("shutdown: draining HTTP connections (up to {})", FormatDuration(grace));
    size_t forced = components->server->Shutdown(grace);
    if (forced > 0) spdlog::warn("shutdown: closed {} connections still busy", forced);
  }
  if (components->tcp) components->tcp->Stop();
  // Rules write into the metric store: they stop before it does.
  if (components->alerting) components->alerting->Stop();
  // Deletion passes purge through the stores, and answer clean_tombstones: stop before both.
  if (components->deletion) components->deletion->Stop();
  // Queries still running are cancelled and queued ones refused, before the stores they read go.
  if (components->queries) components->queries->Stop();
  if (components->ingest) components->ingest->Stop();
  // A pass under way purges through the stores' writer threads: it ends before they stop.
  if (components->retention) components->retention->Stop();
  if (components->logs) {
    spdlog::info("shutdown: writing what is queued and sealing open streams");
    components->logs->Stop();
  }
  if (components->metrics) {
    spdlog::info("shutdown: writing queued samples and sealing open series");
    components->metrics->Stop();
  }
  if (components->server) components->server->Stop();
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

uint16_t Daemon::tcp_port() const {
  std::lock_guard lock(mu_);
  return components_ && components_->tcp ? components_->tcp->port() : 0;
}

config::Config Daemon::running_config() const {
  std::lock_guard lock(mu_);
  return config_;
}

}  // namespace sluice::daemon

#include "config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace sluice::config {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string ErrorOf(std::string_view yaml, const EnvLookup& env = FakeEnv({})) {
  Result<Config> r = LoadConfigFromString(yaml, "sluice.yaml", env);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.status().message();
}

TEST(ConfigLoader, EmptyFileGivesDefaults) {
  Result<Config> r = LoadConfigFromString("", "empty.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->server, ServerConfig{});
  EXPECT_EQ(r->storage, StorageConfig{});
  EXPECT_EQ(r->log.level, "info");
}

// The shipped config documents the defaults: it must load to exactly what the code defaults to.
TEST(ConfigLoader, ShippedConfigIsExactlyTheDefaults) {
  Result<Config> r = LoadConfigFromString(DefaultConfigYaml(), "sluice.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->server, ServerConfig{});
  EXPECT_EQ(r->storage, StorageConfig{});
  EXPECT_EQ(r->tenants, TenantsConfig{});
  EXPECT_EQ(r->ingest, IngestConfig{});
  EXPECT_EQ(r->limits, LimitsConfig{});
  EXPECT_EQ(r->query, QueryConfig{});
  EXPECT_EQ(r->deletion, DeletionConfig{});
  EXPECT_EQ(r->log.level, LogConfig{}.level);
  EXPECT_EQ(r->log.format, LogConfig{}.format);
}

TEST(ConfigLoader, ShippedFileOnDiskMatchesTheEmbeddedCopy) {
  std::ifstream in(SLUICE_SOURCE_DIR "/config/sluice.yaml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), DefaultConfigYaml());
}

TEST(ConfigLoader, ReadsEveryKind) {
  Result<Config> r = LoadConfigFromString(R"(
server:
  http_listen: 127.0.0.1:9999
  io_threads: 3
  max_request_bytes: 1MiB
  read_timeout: 1m30s
storage:
  data_dir: /var/lib/sluice
  fsync: always
log:
  level: debug
  format: json
)",
                                          "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->server.http_listen, "127.0.0.1:9999");
  EXPECT_EQ(r->server.io_threads, 3);
  EXPECT_EQ(r->server.max_request_bytes, 1u << 20);
  EXPECT_EQ(r->server.read_timeout, 90s);
  EXPECT_EQ(r->server.idle_timeout, ServerConfig{}.idle_timeout);
  EXPECT_EQ(r->storage.data_dir, "/var/lib/sluice");
  EXPECT_EQ(r->storage.fsync, FsyncPolicy::kAlways);
  EXPECT_EQ(r->log.level, "debug");
  EXPECT_EQ(r->log.format, LogFormat::kJson);
}

TEST(ConfigLoader, ReadsListsAsYamlSequencesOrCommaSeparatedStrings) {
  Result<Config> r = LoadConfigFromString(R"(
ingest:
  fields:
    msg: [text, message]
    stream: "app, env"
  otlp_index_attributes:
    - service.name
limits:
  max_line_bytes: 1MiB
  truncate_lines: true
)",
                                          "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->ingest.fields.msg, (std::vector<std::string>{"text", "message"}));
  EXPECT_EQ(r->ingest.fields.stream, (std::vector<std::string>{"app", "env"}));
  EXPECT_EQ(r->ingest.fields.time, FieldsConfig{}.time);
  EXPECT_EQ(r->ingest.otlp_index_attributes, (std::vector<std::string>{"service.name"}));
  EXPECT_EQ(r->limits.max_line_bytes, 1u << 20);
  EXPECT_TRUE(r->limits.truncate_lines);
  EXPECT_EQ(ErrorOf("ingest:\n  fields:\n    msg: [[a]]\n"),
            "ingest.fields.msg at sluice.yaml:3:5: expected a list of strings");
  EXPECT_EQ(ErrorOf("limits:\n  max_line_bytes: huge\n"),
            "limits.max_line_bytes at sluice.yaml:2:3: expected a size like 256KiB, got \"huge\"");
}

TEST(ConfigLoader, ReadsQuerySection) {
  Result<Config> r = LoadConfigFromString(R"(
query:
  timeout: 30s
  max_samples: 1000
  lookback_delta: 1m
  max_series: 0
  max_concurrency: 4
  max_queued: 8
)",
                                          "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  // timeout and max_series are the older names of per-tenant limits (see below).
  EXPECT_EQ(r->limits.query_timeout, 30s);
  EXPECT_EQ(r->query.max_samples, 1000);
  EXPECT_EQ(r->query.lookback_delta, 1min);
  EXPECT_EQ(r->limits.max_fetched_series_per_query, 0);
  EXPECT_EQ(r->query.max_concurrency, 4);
  EXPECT_EQ(r->query.max_queued, 8);
  Result<Config> defaults = LoadConfigFromString("query: {}\n", "x.yaml", FakeEnv({}));
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->query, QueryConfig{});
  EXPECT_EQ(defaults->limits, LimitsConfig{});
  EXPECT_EQ(LimitsConfig{}.query_timeout, 2min);
  EXPECT_EQ(QueryConfig{}.max_samples, 50'000'000);
  EXPECT_EQ(QueryConfig{}.lookback_delta, 5min);
  EXPECT_EQ(ErrorOf("query:\n  timeout: 0s\n"),
            "query.timeout at sluice.yaml:2:3: must be between 1ms and 1d, got 0s");
  EXPECT_EQ(ErrorOf("query:\n  max_samples: 0\n"),
            "query.max_samples at sluice.yaml:2:3: must be between 1 and 2000000000, got 0");
  EXPECT_EQ(ErrorOf("query:\n  max_concurrency: -1\n"),
            "query.max_concurrency at sluice.yaml:2:3: must be between 0 and 256, got -1");
  EXPECT_EQ(ErrorOf("query:\n  max_sample: 5\n"),
            "query.max_sample at sluice.yaml:2:3: unknown key (did you mean max_samples?)");
}

TEST(ConfigLoader, ReadsPerTenantQueryLimits) {
  Result<Config> r = LoadConfigFromString(R"(
limits:
  query_timeout: 1m
  max_entries_limit_per_query: 1000
  max_query_series: 50
  max_query_length: 24h
  max_fetched_series_per_query: 20000
tenants:
  overrides:
    big:
      query_timeout: 5m
      max_fetched_series_per_query: 0
    small:
      max_query_series: 10
)",
                                          "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->limits.query_timeout, 1min);
  EXPECT_EQ(r->limits.max_entries_limit_per_query, 1000);
  EXPECT_EQ(r->limits.max_query_series, 50);
  EXPECT_EQ(r->limits.max_query_length, 24h);
  EXPECT_EQ(r->limits.max_fetched_series_per_query, 20000);
  ASSERT_EQ(r->tenants.overrides.size(), 2u);
  const LimitsConfig& big = r->tenants.overrides[0].second;
  EXPECT_EQ(big.query_timeout, 5min);
  EXPECT_EQ(big.max_fetched_series_per_query, 0);
  EXPECT_EQ(big.max_entries_limit_per_query, 1000);  // from limits:
  const LimitsConfig& small = r->tenants.overrides[1].second;
  EXPECT_EQ(small.max_query_series, 10);
  EXPECT_EQ(small.query_timeout, 1min);
  // Loki's defaults.
  EXPECT_EQ(LimitsConfig{}.max_entries_limit_per_query, 5000);
  EXPECT_EQ(LimitsConfig{}.max_query_series, 500);
  EXPECT_EQ(LimitsConfig{}.max_query_length, 721h);
  EXPECT_EQ(LimitsConfig{}.max_fetched_series_per_query, 1'000'000);
  EXPECT_EQ(ErrorOf("limits:\n  query_timeout: 0s\n"),
            "limits.query_timeout at sluice.yaml:2:3: must be between 1ms and 1d, got 0s");
  EXPECT_THAT(ErrorOf("tenants:\n  overrides:\n    a:\n      max_entries_limit_per_query: 0\n"),
              HasSubstr("tenants.overrides.a.max_entries_limit_per_query at sluice.yaml:4:7"));
}

TEST(ConfigLoader, OlderQueryKeysStillLoadAsTheDefaultsOfTheLimits) {
  // A config written when these were global, under query:, means what it meant: every tenant
  // gets those values unless an override says otherwise.
  Result<Config> r = LoadConfigFromString(R"(
query:
  timeout: 30s
  max_series: 1000
  max_entries_limit_per_query: 100
  max_query_series: 20
  max_query_length: 48h
  max_samples: 1000
tenants:
  overrides:
    t:
      max_query_series: 40
)",
                                          "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->limits.query_timeout, 30s);
  EXPECT_EQ(r->limits.max_fetched_series_per_query, 1000);
  EXPECT_EQ(r->limits.max_entries_limit_per_query, 100);
  EXPECT_EQ(r->limits.max_query_series, 20);
  EXPECT_EQ(r->limits.max_query_length, 48h);
  EXPECT_EQ(r->query.max_samples, 1000);
  const LimitsConfig& t = r->tenants.overrides[0].second;
  EXPECT_EQ(t.max_query_series, 40);
  EXPECT_EQ(t.query_timeout, 30s);
  EXPECT_EQ(t.max_entries_limit_per_query, 100);
  // Old and new name of one limit at once: one of them would be ignored.
  EXPECT_EQ(ErrorOf("query:\n  timeout: 1m\nlimits:\n  query_timeout: 2m\n"),
            "query.timeout at sluice.yaml:2:3: set only limits.query_timeout (query.timeout is "
            "its older name)");
  EXPECT_THAT(ErrorOf("query:\n  max_query_series: 1\nlimits:\n  max_query_series: 2\n"),
              HasSubstr("set only limits.max_query_series"));
  // The old names keep their old bounds.
  EXPECT_EQ(ErrorOf("query:\n  max_entries_limit_per_query: 0\n"),
            "query.max_entries_limit_per_query at sluice.yaml:2:3: must be between 1 and "
            "10000000, got 0");
}

TEST(ConfigLoader, ReadsStreamAndSeriesCaps) {
  Result<Config> r = LoadConfigFromString(R"(
limits:
  max_global_streams_per_user: 5000
  max_global_series_per_user: 100000
tenants:
  overrides:
    big:
      max_global_streams_per_user: 0
    small:
      max_global_series_per_user: 10
)",
                                          "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->limits.max_global_streams_per_user, 5000);
  EXPECT_EQ(r->limits.max_global_series_per_user, 100000);
  ASSERT_EQ(r->tenants.overrides.size(), 2u);
  const LimitsConfig& big = r->tenants.overrides[0].second;
  EXPECT_EQ(big.max_global_streams_per_user, 0);
  EXPECT_EQ(big.max_global_series_per_user, 100000);  // from limits:
  const LimitsConfig& small = r->tenants.overrides[1].second;
  EXPECT_EQ(small.max_global_series_per_user, 10);
  EXPECT_EQ(small.max_global_streams_per_user, 5000);
  // Off unless asked for.
  EXPECT_EQ(LimitsConfig{}.max_global_streams_per_user, 0);
  EXPECT_EQ(LimitsConfig{}.max_global_series_per_user, 0);
  EXPECT_EQ(ErrorOf("limits:\n  max_global_streams_per_user: -1\n"),
            "limits.max_global_streams_per_user at sluice.yaml:2:3: must be between 0 and "
            "2000000000, got -1");
  // Reloadable, as every limit.
  Config changed = *r;
  changed.limits.max_global_series_per_user = 7;
  changed.tenants.overrides.clear();
  EXPECT_TRUE(RestartRequiredChanges(*r, changed).empty());
}

TEST(ConfigLoader, ReadsAlertingSection) {
  Result<Config> r = LoadConfigFromString(R"(
alerting:
  rule_files: [a.yml, "rules/*.yml"]
  logql_rule_files: loki.yml
  evaluation_interval: 15s
  resend_delay: 2m
  tenant: team-a
  external_url: http://sluice.example:3100
  external_labels:
    cluster: eu1
    replica: ${REPLICA}
  alertmanagers: [http://127.0.0.1:9093]
  notifications_file: notify.yml
)",
                                          "x.yaml", FakeEnv({{"REPLICA", "b"}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->alerting.rule_files, (std::vector<std::string>{"a.yml", "rules/*.yml"}));
  EXPECT_EQ(r->alerting.logql_rule_files, (std::vector<std::string>{"loki.yml"}));
  EXPECT_EQ(r->alerting.evaluation_interval, 15s);
  EXPECT_EQ(r->alerting.resend_delay, 2min);
  EXPECT_EQ(r->alerting.tenant, "team-a");
  EXPECT_EQ(r->alerting.external_url, "http://sluice.example:3100");
  EXPECT_EQ(r->alerting.external_labels, (std::vector<std::pair<std::string, std::string>>{
                                             {"cluster", "eu1"}, {"replica", "b"}}));
  EXPECT_EQ(r->alerting.alertmanagers, (std::vector<std::string>{"http://127.0.0.1:9093"}));
  EXPECT_EQ(r->alerting.notifications_file, "notify.yml");
  EXPECT_EQ(
      ErrorOf("alerting:\n  external_labels: [a]\n"),
      "alerting.external_labels at sluice.yaml:2:3: expected a mapping of strings to strings");
  EXPECT_EQ(ErrorOf("alerting:\n  evaluation_interval: 10ms\n"),
            "alerting.evaluation_interval at sluice.yaml:2:3: must be between 1s and 1d, got 10ms");
}

TEST(ConfigLoader, ReadsDeletionSection) {
  Result<Config> r = LoadConfigFromString(
      "deletion:\n  cancel_period: 0s\n  processing_interval: 100ms\n", "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->deletion.cancel_period, 0s);
  EXPECT_EQ(r->deletion.processing_interval, 100ms);
  EXPECT_EQ(ErrorOf("deletion:\n  processing_interval: 1ms\n"),
            "deletion.processing_interval at sluice.yaml:2:3: must be between 10ms and 1d, got "
            "1ms");
  Config changed = *r;
  changed.deletion.cancel_period = 1h;
  EXPECT_EQ(RestartRequiredChanges(*r, changed), (std::vector<std::string>{"deletion"}));
}

TEST(ConfigLoader, ReadsAuthSection) {
  const std::string hex(64, 'a');
  Result<Config> r = LoadConfigFromString(R"(
server:
  tcp_listen: ""
auth:
  enabled: true
  open_paths: [/ready]
  credentials:
    - name: promtail
      tenant: team-a
      scopes: [write]
      bearer_token_sha256: )" + std::string(64, 'A') +
                                              R"(
    - name: grafana
      tenant: team-b
      scopes: read, admin
      username: grafana
      password_bcrypt: $2y$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234
    - name: ops
      tenant: team-b
      scopes: [read, write, admin]
      username: ops
      password_sha256: )" + hex + "\n",
                                          "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->auth.enabled);
  EXPECT_EQ(r->auth.open_paths, (std::vector<std::string>{"/ready"}));
  ASSERT_EQ(r->auth.credentials.size(), 3u);
  const AuthCredential& promtail = r->auth.credentials[0];
  EXPECT_EQ(promtail.name, "promtail");
  EXPECT_EQ(promtail.tenant, "team-a");
  EXPECT_EQ(promtail.scopes, kScopeWrite);
  EXPECT_EQ(promtail.bearer_token_sha256, hex);  // hex digests are compared in lowercase
  EXPECT_EQ(r->auth.credentials[1].scopes, kScopeRead | kScopeAdmin);
  EXPECT_EQ(r->auth.credentials[1].password_bcrypt.substr(0, 7), "$2y$10$");
  EXPECT_EQ(r->auth.credentials[2].scopes, kScopeRead | kScopeWrite | kScopeAdmin);
  EXPECT_EQ(r->auth.credentials[2].password_sha256, hex);
  // Off by default, with health and metrics open once it is turned on.
  Config defaults;
  EXPECT_FALSE(defaults.auth.enabled);
  EXPECT_EQ(defaults.auth.open_paths,
            (std::vector<std::string>{"/-/healthy", "/-/ready", "/ready", "/metrics"}));
}

TEST(ConfigLoader, RejectsAuthMistakes) {
  const std::string hex(64, 'b');
  auto credential = [&](const std::string& body) {
    return ErrorOf("server:\n  tcp_listen: \"\"\nauth:\n  credentials:\n    - " + body + "\n");
  };
  EXPECT_THAT(ErrorOf("server:\n  tcp_listen: \"\"\nauth:\n  enabled: true\n"),
              HasSubstr("auth.enabled at sluice.yaml:4:3: authentication needs at least one"));
  EXPECT_THAT(ErrorOf("auth:\n  enabled: true\n  credentials:\n    - {name: a, tenant: t, "
                      "scopes: [read], bearer_token_sha256: " +
                      hex + "}\n"),
              HasSubstr("server.tcp_listen"));
  EXPECT_THAT(credential("{tenant: t, scopes: [read], bearer_token_sha256: " + hex + "}"),
              HasSubstr("auth.credentials[0].name at sluice.yaml:5:7: every credential needs"));
  EXPECT_THAT(
      credential("{name: a, tenant: 'a|b', scopes: [read], bearer_token_sha256: " + hex + "}"),
      HasSubstr("auth.credentials[0].tenant at sluice.yaml:5:17: not a tenant ID"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [root], bearer_token_sha256: " + hex + "}"),
              HasSubstr("unknown scope \"root\" (scopes: read, write, admin)"));
  EXPECT_THAT(credential("{name: a, tenant: t, bearer_token_sha256: " + hex + "}"),
              HasSubstr("grant at least one of read, write, admin"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read]}"),
              HasSubstr("give either bearer_token_sha256 or username"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read], username: u, "
                         "bearer_token_sha256: " +
                         hex + "}"),
              HasSubstr("give either bearer_token_sha256 or username"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read], bearer_token_sha256: secret}"),
              HasSubstr("expected 64 hex digits"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read], username: u}"),
              HasSubstr("give exactly one of password_sha256 and password_bcrypt"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read], username: u, password_sha256: " +
                         hex + ", password_bcrypt: x}"),
              HasSubstr("give exactly one of password_sha256 and password_bcrypt"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read], username: u, "
                         "password_bcrypt: hunter2}"),
              HasSubstr("expected a bcrypt hash"));
  EXPECT_THAT(credential("{name: a, tenant: t, scopes: [read], bearer_token_sha256: " + hex +
                         ", password_sha256: " + hex + "}"),
              HasSubstr("a password needs a username"));
  std::string twice = "{name: a, tenant: t, scopes: [read], username: u, password_sha256: " + hex +
                      "}\n    - {name: a, tenant: t, scopes: [read], username: u, "
                      "password_sha256: " +
                      hex + "}";
  EXPECT_THAT(credential(twice), HasSubstr("a second credential named \"a\""));
  EXPECT_THAT(credential(twice), HasSubstr("username \"u\" is also credential \"a\"'s"));
  EXPECT_THAT(ErrorOf("auth:\n  credentials: {name: a}\n"),
              HasSubstr("auth.credentials at sluice.yaml:2:3: expected a list of mappings"));
  EXPECT_THAT(ErrorOf("auth:\n  open_paths: [metrics]\n"), HasSubstr("is not a path"));
  EXPECT_THAT(ErrorOf("tenants:\n  default_tenant: a/b\n"),
              HasSubstr("tenants.default_tenant at sluice.yaml:2:3: not a tenant ID"));
}

TEST(ConfigLoader, ReadsRatesAndTenantOverrides) {
  Result<Config> r = LoadConfigFromString(R"(
limits:
  max_line_bytes: 1KiB
  ingest_rate_bytes: 4MiB
  ingest_burst_bytes: 6MiB
  ingest_rate_samples: 100000
tenants:
  overrides:
    team-a:
      ingest_rate_bytes: 40MiB
    team-b:
      max_line_bytes: 1MiB
      ingest_rate_samples: 0
      max_concurrent_queries: 4
    team-c:
)",
                                          "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->limits.ingest_rate_bytes, 4u << 20);
  EXPECT_EQ(r->limits.ingest_burst_bytes, 6u << 20);
  EXPECT_EQ(r->limits.ingest_rate_samples, 100000);
  EXPECT_EQ(r->limits.ingest_burst_samples, 0);
  ASSERT_EQ(r->tenants.overrides.size(), 3u);
  const auto& [a_name, a] = r->tenants.overrides[0];
  EXPECT_EQ(a_name, "team-a");
  EXPECT_EQ(a.ingest_rate_bytes, 40u << 20);
  EXPECT_EQ(a.max_line_bytes, 1024u);  // from limits:, not from the built-in default
  EXPECT_EQ(a.ingest_rate_samples, 100000);
  const auto& [b_name, b] = r->tenants.overrides[1];
  EXPECT_EQ(b.max_line_bytes, 1u << 20);
  EXPECT_EQ(b.ingest_rate_samples, 0);
  EXPECT_EQ(b.max_concurrent_queries, 4);
  EXPECT_EQ(a.max_concurrent_queries, 0);
  EXPECT_EQ(r->tenants.overrides[2].second, r->limits);
  EXPECT_THAT(ErrorOf("tenants:\n  overrides:\n    a/b:\n      max_line_bytes: 1\n"),
              HasSubstr("\"a/b\" is not a tenant ID"));
  EXPECT_THAT(ErrorOf("tenants:\n  overrides:\n    a:\n      max_lines: 1\n"),
              HasSubstr("tenants.overrides.a.max_lines at sluice.yaml:4:7: unknown key"));
  EXPECT_THAT(ErrorOf("tenants:\n  overrides: [a]\n"),
              HasSubstr("expected a mapping of names to mappings"));
  // Overrides apply on reload; the default tenant does not.
  Config changed = *r;
  changed.tenants.overrides.clear();
  EXPECT_TRUE(RestartRequiredChanges(*r, changed).empty());
  changed.tenants.default_tenant = "other";
  EXPECT_EQ(RestartRequiredChanges(*r, changed),
            (std::vector<std::string>{"tenants.default_tenant"}));
}

TEST(ConfigLoader, ReadsRetention) {
  Result<Config> r = LoadConfigFromString(R"(
storage:
  retention_interval: 1m
  max_disk_bytes: 10GiB
limits:
  retention_period: 30d
  retention_stream:
    - selector: '{namespace="dev"}'
      priority: 1
      period: 24h
tenants:
  overrides:
    team-a:
      retention_period: 7d
    team-b:
      retention_stream: []
)",
                                          "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->storage.retention_interval, std::chrono::minutes(1));
  EXPECT_EQ(r->storage.max_disk_bytes, 10ull << 30);
  EXPECT_EQ(r->limits.retention_period, std::chrono::hours(720));
  ASSERT_EQ(r->limits.retention_stream.size(), 1u);
  EXPECT_EQ(r->limits.retention_stream[0].selector, R"({namespace="dev"})");
  EXPECT_EQ(r->limits.retention_stream[0].priority, 1);
  EXPECT_EQ(r->limits.retention_stream[0].period, std::chrono::hours(24));
  const LimitsConfig& a = r->tenants.overrides[0].second;
  EXPECT_EQ(a.retention_period, std::chrono::hours(168));
  EXPECT_EQ(a.retention_stream, r->limits.retention_stream) << "not named: kept from limits:";
  EXPECT_TRUE(r->tenants.overrides[1].second.retention_stream.empty()) << "named: replaced";
  EXPECT_THAT(ErrorOf("limits:\n  retention_period: 10s\n"), HasSubstr("at least 1m"));
  EXPECT_THAT(ErrorOf("limits:\n  retention_stream:\n    - {selector: '{a=\"b\"}', periods: 1h}\n"),
              HasSubstr("unknown key"));
  // Retention settings apply on reload.
  Config changed = *r;
  changed.storage.max_disk_bytes = 0;
  changed.storage.retention_interval = std::chrono::hours(1);
  changed.limits.retention_period = {};
  EXPECT_TRUE(RestartRequiredChanges(*r, changed).empty());
}

TEST(ConfigLoader, ReadsTls) {
  Result<Config> r = LoadConfigFromString(
      "server:\n  tls:\n    cert_file: /etc/s.pem\n    key_file: /etc/s.key\n"
      "    client_ca_file: /etc/ca.pem\n",
      "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->server.tls.enabled());
  EXPECT_EQ(r->server.tls.cert_file, "/etc/s.pem");
  EXPECT_EQ(r->server.tls.key_file, "/etc/s.key");
  EXPECT_EQ(r->server.tls.client_ca_file, "/etc/ca.pem");
  EXPECT_FALSE(Config{}.server.tls.enabled());
  EXPECT_THAT(ErrorOf("server:\n  tls:\n    cert_file: /etc/s.pem\n"),
              HasSubstr("server.tls.key_file at sluice.yaml:3:5: TLS needs both"));
  EXPECT_THAT(ErrorOf("server:\n  tls:\n    client_ca_file: /etc/ca.pem\n"),
              HasSubstr("client certificates need TLS"));
}

TEST(ConfigLoader, NullValuesKeepDefaults) {
  Result<Config> r =
      LoadConfigFromString("server:\n  io_threads:\nstorage:\n", "x.yaml", FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->server.io_threads, 0);
}

TEST(ConfigLoader, WrongSizeNamesKeyPathFileLineAndColumn) {
  EXPECT_EQ(
      ErrorOf("server:\n  max_request_bytes: lots\n"),
      "server.max_request_bytes at sluice.yaml:2:3: expected a size like 256KiB, got \"lots\"");
}

TEST(ConfigLoader, UnknownKeySuggestsTheClosestKnownOne) {
  EXPECT_EQ(ErrorOf("server:\n  io_thread: 2\n"),
            "server.io_thread at sluice.yaml:2:3: unknown key (did you mean io_threads?)");
  EXPECT_THAT(ErrorOf("tenants:\n  zzzzzzzzzzzz: 2\n"),
              HasSubstr("unknown key (known keys: default_tenant, overrides)"));
  EXPECT_THAT(ErrorOf("servers: {}\n"),
              HasSubstr("servers at sluice.yaml:1:1: unknown key (did you mean server?)"));
}

TEST(ConfigLoader, WrongTypes) {
  EXPECT_EQ(ErrorOf("server:\n  io_threads: many\n"),
            "server.io_threads at sluice.yaml:2:3: expected an integer, got \"many\"");
  EXPECT_EQ(ErrorOf("server:\n  io_threads: [1, 2]\n"),
            "server.io_threads at sluice.yaml:2:3: expected an integer, got a list");
  EXPECT_EQ(ErrorOf("server: 5\n"),
            "server at sluice.yaml:1:1: expected a mapping of keys to values");
  EXPECT_EQ(
      ErrorOf("server:\n  read_timeout: soon\n"),
      "server.read_timeout at sluice.yaml:2:3: expected a duration like 30s or 5m, got \"soon\"");
  EXPECT_EQ(ErrorOf("storage:\n  fsync: sometimes\n"),
            "storage.fsync at sluice.yaml:2:3: expected one of never, interval, always, got "
            "\"sometimes\"");
  EXPECT_EQ(ErrorOf("server:\n  http_listen:\n    host: x\n"),
            "server.http_listen at sluice.yaml:2:3: expected a string, got a mapping");
}

TEST(ConfigLoader, OutOfRangeValues) {
  EXPECT_EQ(ErrorOf("server:\n  io_threads: 1000\n"),
            "server.io_threads at sluice.yaml:2:3: must be between 0 and 256, got 1000");
  EXPECT_EQ(ErrorOf("server:\n  max_request_bytes: 10\n"),
            "server.max_request_bytes at sluice.yaml:2:3: must be between 1KiB and 4GiB, got 10");
  EXPECT_EQ(ErrorOf("storage:\n  fsync_interval: 1m\n"),
            "storage.fsync_interval at sluice.yaml:2:3: must be between 100us and 10s, got 1m");
  EXPECT_EQ(ErrorOf("storage:\n  data_dir: \"\"\n"),
            "storage.data_dir at sluice.yaml:2:3: must not be empty");
}

TEST(ConfigLoader, ReportsEveryErrorInOnePass) {
  std::string error = ErrorOf("server:\n  io_threads: -1\n  bogus: 1\nlog:\n  level: loud\n");
  EXPECT_THAT(error, HasSubstr("server.io_threads at sluice.yaml:2:3"));
  EXPECT_THAT(error, HasSubstr("server.bogus at sluice.yaml:3:3: unknown key"));
  EXPECT_THAT(error, HasSubstr("log.level at sluice.yaml:5:3: expected one of trace, debug"));
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 2);
}

TEST(ConfigLoader, DuplicateKeysAreErrors) {
  EXPECT_EQ(ErrorOf("log:\n  level: info\n  level: debug\n"),
            "log.level at sluice.yaml:3:3: duplicate key");
}

TEST(ConfigLoader, YamlSyntaxErrorsHavePositions) {
  EXPECT_THAT(ErrorOf("server:\n  io_threads: [1,\n"), HasSubstr("at sluice.yaml:"));
  EXPECT_THAT(ErrorOf("server:\n  io_threads: [1,\n"), HasSubstr("invalid YAML"));
}

TEST(ConfigLoader, ExpandsEnvironmentVariables) {
  Result<Config> r = LoadConfigFromString(
      "server:\n  http_listen: ${HOST}:${PORT:-3100}\nstorage:\n  data_dir: "
      "/d/$${literal}/${DIR}\n",
      "x.yaml", FakeEnv({{"HOST", "10.0.0.1"}, {"DIR", "a b"}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->server.http_listen, "10.0.0.1:3100");
  EXPECT_EQ(r->storage.data_dir, "/d/${literal}/a b");
}

TEST(ConfigLoader, ExpandedValuesAreValidated) {
  EXPECT_EQ(ErrorOf("server:\n  io_threads: ${N}\n", FakeEnv({{"N", "x"}})),
            "server.io_threads at sluice.yaml:2:3: expected an integer, got \"x\"");
}

TEST(ConfigLoader, UnsetVariableIsAnError) {
  EXPECT_EQ(ErrorOf("storage:\n  data_dir: ${NOPE}/x\n"),
            "storage.data_dir at sluice.yaml:2:3: environment variable NOPE is not set (write "
            "${NOPE:-default} to allow that)");
  EXPECT_THAT(ErrorOf("storage:\n  data_dir: ${NOPE\n"), HasSubstr("unterminated ${"));
}

TEST(ConfigLoader, LoadsFilesAndNamesMissingOnes) {
  testing::TempDir dir;
  std::string path = dir.WriteFile("c.yaml", "log:\n  level: warn\n");
  Result<Config> r = LoadConfigFile(path, FakeEnv({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->log.level, "warn");
  Result<Config> missing = LoadConfigFile(dir.Sub("nope.yaml"), FakeEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.yaml"));
  std::string bad = dir.WriteFile("bad.yaml", "log:\n  level: 7\n");
  EXPECT_THAT(LoadConfigFile(bad, FakeEnv({})).status().message(),
              HasSubstr("log.level at " + bad + ":2:3"));
}

TEST(RestartRequiredChanges, OnlyNamesWhatCannotChangeLive) {
  Config a;
  Config b;
  b.log.level = "debug";
  b.limits.max_line_bytes = 1;
  EXPECT_TRUE(RestartRequiredChanges(a, b).empty());
  b.server.io_threads = 7;
  b.storage.fsync = FsyncPolicy::kNever;
  EXPECT_EQ(RestartRequiredChanges(a, b), (std::vector<std::string>{"server", "storage"}));
  b.limits.query_timeout = std::chrono::seconds(5);  // per tenant now, so reloadable
  EXPECT_EQ(RestartRequiredChanges(a, b), (std::vector<std::string>{"server", "storage"}));
  b.query.max_samples = 5;
  EXPECT_EQ(RestartRequiredChanges(a, b), (std::vector<std::string>{"server", "storage", "query"}));
}

}  // namespace
}  // namespace sluice::config

#include "daemon/daemon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "config/config_loader.h"
#include "pipeline/decoders/otlp_logs.h"
#include "pipeline/field_mapping.h"
#include "pipeline/ingest_limits.h"
#include "storage/log_shard.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice::daemon {
namespace {

using ::testing::HasSubstr;
using testing::HttpRequestOnce;

class DaemonTest : public ::testing::Test {
 protected:
  void StartWithConfig(const std::string& yaml) {
    config_path_ = dir_.WriteFile("sluice.yaml", yaml);
    auto config = config::LoadConfigFile(config_path_);
    ASSERT_TRUE(config.ok()) << config.status().message();
    ConfigOverrides overrides;
    overrides.http_listen = "127.0.0.1:0";
    overrides.tcp_listen = "127.0.0.1:0";
    overrides.data_dir = dir_.Sub("data");
    daemon_ = std::make_unique<Daemon>(std::move(config).value(), config_path_, overrides);
    Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.message();
    port_ = daemon_->http_port();
  }

  testing::TempDir dir_;
  std::string config_path_;
  std::unique_ptr<Daemon> daemon_;
  uint16_t port_ = 0;
};

// The config's defaults and the libraries' own defaults are written twice (config/ knows no
// library); these pin them together.
TEST(ConfigDefaults, MatchTheLibrariesDefaults) {
  config::Config c;
  pipeline::FieldMapping fields;
  EXPECT_EQ(c.ingest.fields.msg, fields.msg_fields);
  EXPECT_EQ(c.ingest.fields.time, fields.time_fields);
  EXPECT_EQ(c.ingest.otlp_index_attributes, pipeline::OtlpOptions{}.index_attributes);
  pipeline::IngestLimits limits;
  EXPECT_EQ(c.limits.max_line_bytes, limits.max_line_bytes);
  EXPECT_EQ(c.limits.max_labels_per_stream, limits.max_labels_per_stream);
  EXPECT_EQ(c.limits.max_label_name_length, limits.max_label_name_length);
  EXPECT_EQ(c.limits.max_label_value_length, limits.max_label_value_length);
  EXPECT_EQ(c.limits.max_metadata_bytes, limits.max_metadata_bytes);
  EXPECT_EQ(c.limits.max_metadata_entries, limits.max_metadata_entries);
  storage::LogShardOptions shard;
  EXPECT_EQ(c.storage.block_target_bytes, shard.block_target_bytes);
  EXPECT_EQ(c.storage.block_max_age, shard.block_max_age);
  EXPECT_EQ(c.storage.head_memory_limit, shard.head_memory_limit);
  EXPECT_EQ(c.storage.compression_level, shard.zstd_level);
}

TEST_F(DaemonTest, ServesHealthReadinessAndBuildInfo) {
  StartWithConfig("storage:\n  shards: 2\n");
  for (const char* path : {"/-/ready", "/ready", "/-/healthy"}) {
    auto r = HttpRequestOnce(port_, "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
  }
  auto prom = HttpRequestOnce(port_, "GET", "/api/v1/status/buildinfo");
  ASSERT_TRUE(prom);
  EXPECT_EQ(prom->Header("content-type"), "application/json");
  EXPECT_THAT(prom->body,
              HasSubstr(R"({"status":"success","data":{"version":"2.42.0","revision":)"));
  EXPECT_THAT(prom->body, ::testing::Not(HasSubstr("features")));
  auto loki = HttpRequestOnce(port_, "GET", "/loki/api/v1/status/buildinfo");
  ASSERT_TRUE(loki);
  EXPECT_THAT(loki->body, HasSubstr(R"({"version":"3.0.0","revision":)"));
  EXPECT_THAT(loki->body, HasSubstr(R"("goVersion":)"));
  EXPECT_EQ(daemon_->running_config().storage.shards, 2);
}

TEST_F(DaemonTest, MetricsPageParsesAndItsCountersMove) {
  StartWithConfig("");
  auto scrape = [&] {
    auto r = HttpRequestOnce(port_, "GET", "/metrics");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    auto parsed = testing::ParsePrometheusText(r ? r->body : "");
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return parsed.ok() ? *parsed : testing::PrometheusSamples{};
  };
  testing::PrometheusSamples first = scrape();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(HttpRequestOnce(port_, "GET", "/-/healthy"));
  testing::PrometheusSamples second = scrape();
  const std::string healthy = "sluice_http_requests_total{code=\"200\",route=\"/-/healthy\"}";
  EXPECT_EQ(second[healthy] - first[healthy], 3);
  EXPECT_EQ(second["sluice_http_requests_total{code=\"200\",route=\"/metrics\"}"], 1);
  EXPECT_GT(second["process_resident_memory_bytes"], 1e6);
  EXPECT_GT(second["process_open_fds"], 3);
  EXPECT_GT(second["process_start_time_seconds"], 1.7e9);
  EXPECT_TRUE(second.count("process_cpu_seconds_total"));
  bool build_info = false;
  for (const auto& [series, value] : second) {
    build_info = build_info || (series.rfind("sluice_build_info{", 0) == 0 && value == 1);
  }
  EXPECT_TRUE(build_info);
}

TEST_F(DaemonTest, ReloadAppliesTheLogLevelAndKeepsTheOldConfigWhenInvalid) {
  StartWithConfig("log:\n  level: info\n");
  EXPECT_EQ(spdlog::get_level(), spdlog::level::info);

  dir_.WriteFile("sluice.yaml", "log:\n  level: debug\nserver:\n  io_threads: 3\n");
  auto ok = HttpRequestOnce(port_, "POST", "/-/reload");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  EXPECT_EQ(daemon_->running_config().log.level, "debug");
  EXPECT_NE(daemon_->running_config().server.io_threads, 3) << "needs a restart";

  dir_.WriteFile("sluice.yaml", "log:\n  level: quiet\n");
  auto bad = HttpRequestOnce(port_, "POST", "/-/reload");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 500);
  EXPECT_THAT(bad->body, HasSubstr("log.level at " + config_path_ + ":2:3"));
  EXPECT_EQ(daemon_->running_config().log.level, "debug");
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  spdlog::set_level(spdlog::level::info);

  auto still = HttpRequestOnce(port_, "GET", "/-/healthy");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

TEST_F(DaemonTest, ShutdownStopsServingAndReleasesTheDataDir) {
  StartWithConfig("");
  daemon_->Shutdown();
  EXPECT_FALSE(daemon_->ready());
  EXPECT_FALSE(HttpRequestOnce(port_, "GET", "/-/healthy"));
  daemon_->Shutdown();  // idempotent
  // The same data dir opens again at once: storage was closed.
  ConfigOverrides overrides;
  overrides.http_listen = "127.0.0.1:0";
  overrides.tcp_listen = "127.0.0.1:0";
  overrides.data_dir = dir_.Sub("data");
  Daemon again(config::Config{}, "", overrides);
  Status s = again.Start();
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST_F(DaemonTest, StartFailsClearlyWhenTheDataDirIsTaken) {
  StartWithConfig("");
  ConfigOverrides overrides;
  overrides.http_listen = "127.0.0.1:0";
  overrides.tcp_listen = "127.0.0.1:0";
  overrides.data_dir = dir_.Sub("data");
  Daemon second(config::Config{}, "", overrides);
  Status s = second.Start();
  EXPECT_THAT(s.message(), HasSubstr("in use by another process"));
}

}  // namespace
}  // namespace sluice::daemon

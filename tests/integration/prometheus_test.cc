// A real Prometheus (2.42 from Debian) scrapes itself and Sluice every second and remote-writes
// to Sluice: every sample Prometheus holds up to a cutoff must arrive in Sluice with its value.
// Skipped when /usr/bin/prometheus is missing (scripts/install-deps.sh --test installs it).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "tests/support/metrics_export.h"
#include "tests/support/prometheus_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
using testing::TestResponse;
using Samples = testing::SeriesData;

constexpr const char* kPrometheus = testing::kPrometheusBinary;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Prometheus' answer to a range-vector instant query: a matrix of raw samples (no stale markers).
// Sets `error` when the answer is not that.
Samples ParsePrometheusMatrix(const std::string& body, std::string* error) {
  Samples out;
  try {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(body);
    simdjson::ondemand::document doc = parser.iterate(padded);
    std::string_view status = doc["status"].get_string();
    if (status != "success") throw std::runtime_error("status is not success");
    auto data = doc["data"];
    std::string_view type = data["resultType"].get_string();
    if (type != "matrix") throw std::runtime_error("resultType is not matrix");
    for (auto series : data["result"].get_array()) {
      testing::SeriesKey key;
      for (auto label : series["metric"].get_object()) {
        std::string_view name = label.unescaped_key();
        std::string_view value = label.value().get_string();
        key[std::string(name)] = std::string(value);
      }
      testing::SeriesSamples& samples = out[key];
      for (auto pair : series["values"].get_array()) {
        int64_t ts = 0;
        int index = 0;
        for (auto item : pair.get_array()) {
          if (index++ == 0) {
            // Seconds with millisecond decimals, e.g. 1700000000.123.
            double seconds = item.get_double();
            ts = std::llround(seconds * 1000);
          } else {
            // Go's shortest round-trip formatting, or NaN, +Inf, -Inf: strtod reads them all.
            std::string value(std::string_view(item.get_string()));
            samples[ts] = testing::ValueBits(std::strtod(value.c_str(), nullptr));
          }
        }
      }
    }
  } catch (const std::exception& e) {
    *error = fmt::format("{} in Prometheus' answer: {}", e.what(), body.substr(0, 500));
  }
  return out;
}

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPrometheus)) {
      GTEST_SKIP() << kPrometheus << " is missing: run scripts/install-deps.sh --test";
    }
    sluice_ = testing::StartSluice(SLUICE_BINARY, dir_.Sub("sluice-data"), dir_.Sub("sluice.out"),
                                   dir_.Sub("sluice.err"), &sluice_port_);
    ASSERT_GT(sluice_port_, 0) << testing::ReadFileTail(dir_.Sub("sluice.err"));
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "sluice stderr (tail):\n"
                << testing::ReadFileTail(dir_.Sub("sluice.err")) << "\nprometheus stderr (tail):\n"
                << testing::ReadFileTail(dir_.Sub("prometheus.err")) << "\n";
    }
  }

  // Starts Prometheus scraping itself and Sluice and remote-writing to Sluice.
  void StartPrometheus() {
    testing::PrometheusProcess p = testing::StartPrometheus(dir_, [this](uint16_t port) {
      return fmt::format(R"yaml(
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{prometheus}']
  - job_name: sluice
    static_configs:
      - targets: ['127.0.0.1:{sluice}']
remote_write:
  - url: http://127.0.0.1:{sluice}/api/v1/write
    remote_timeout: 5s
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
    metadata_config:
      send: true
      send_interval: 2s
)yaml",
                         fmt::arg("prometheus", port), fmt::arg("sluice", sluice_port_));
    });
    prometheus_ = std::move(p.process);
    prometheus_port_ = p.port;
    ASSERT_GT(prometheus_port_, 0) << "Prometheus did not become ready:\n"
                                   << testing::ReadFileTail(dir_.Sub("prometheus.err"));
  }

  // The value of an instant query whose answer is one sample (e.g. an aggregation); nullopt when
  // the answer is empty.
  std::optional<double> QueryValue(const std::string& expr) {
    auto r = testing::HttpRequestOnce(prometheus_port_, "GET",
                                      "/api/v1/query?query=" + testing::UrlEncode(expr));
    if (!r || r->status != 200) {
      ADD_FAILURE() << expr << ": " << (r ? r->body : "no answer");
      return std::nullopt;
    }
    try {
      simdjson::ondemand::parser parser;
      simdjson::padded_string padded(r->body);
      simdjson::ondemand::document doc = parser.iterate(padded);
      for (auto sample : doc["data"]["result"].get_array()) {
        int index = 0;
        for (auto item : sample["value"].get_array()) {
          if (index++ == 1) {
            std::string value(std::string_view(item.get_string()));
            return std::strtod(value.c_str(), nullptr);
          }
        }
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << expr << ": " << e.what() << " in " << r->body;
    }
    return std::nullopt;
  }

  // Polls Prometheus until both targets have been scraped `scrapes` times.
  void WaitForScrapes(int scrapes, std::chrono::seconds timeout) {
    double seen = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && !HasFailure()) {
      seen = QueryValue("min(count_over_time(up[1h]))").value_or(0);
      if (seen >= scrapes) return;
      std::this_thread::sleep_for(250ms);
    }
    FAIL() << "Prometheus scraped its targets only " << seen << " times in " << timeout.count()
           << " s";
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> sluice_;
  std::unique_ptr<Subprocess> prometheus_;
  uint16_t sluice_port_ = 0;
  uint16_t prometheus_port_ = 0;
};

TEST_F(PrometheusTest, RemoteWriteDeliversEverySamplePrometheusHolds) {
  ASSERT_NO_FATAL_FAILURE(StartPrometheus());
  auto started = std::chrono::steady_clock::now();
  // Prometheus starts scraping new targets at its next target reload (up to 5 s): wait for ten
  // scrapes of both, then cut off a few seconds back.
  ASSERT_NO_FATAL_FAILURE(WaitForScrapes(10, 40s));
  // Sluice's own /metrics parses: more names than the 5 that Prometheus adds to every scrape.
  EXPECT_GT(QueryValue(R"(count(count by (__name__) ({job="sluice"})))").value_or(0), 5.0)
      << "Prometheus could not scrape Sluice's /metrics";

  const int64_t cutoff = NowMs() - 3000;
  std::string query = testing::UrlEncode(R"({__name__=~".+"}[1h])");
  auto answer = testing::HttpRequestOnce(
      prometheus_port_, "GET",
      fmt::format("/api/v1/query?query={}&time={}.{:03}", query, cutoff / 1000, cutoff % 1000));
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->status, 200) << answer->body;
  std::string error;
  Samples held = ParsePrometheusMatrix(answer->body, &error);
  ASSERT_EQ(error, "");
  size_t held_samples = 0;
  for (const auto& [key, samples] : held) held_samples += samples.size();
  // Several scrapes of both targets, so that the comparison means something.
  for (const char* job : {"prometheus", "sluice"}) {
    size_t scrapes = 0;
    for (const auto& [key, samples] : held) {
      auto it = key.find("job");
      if (key.at("__name__") == "up" && it != key.end() && it->second == job) {
        scrapes = samples.size();
      }
    }
    ASSERT_GE(scrapes, 5u) << "scrapes of job " << job << " before the cutoff";
  }

  // Remote write lags a little behind: poll until everything is there.
  std::vector<std::string> missing;
  size_t missing_count = 0, mismatched = 0, exported_samples = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  int polls = 0;
  for (; polls < 300; ++polls) {
    missing.clear();
    missing_count = mismatched = exported_samples = 0;
    auto r =
        testing::HttpRequestOnce(sluice_port_, "GET",
                                 fmt::format("/api/v1/export?match%5B%5D={}&end={}",
                                             testing::UrlEncode(R"({__name__=~".+"})"), cutoff));
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status, 200) << r->body;
    testing::ParsedExport exported = testing::ParseExport(r->body);
    ASSERT_EQ(exported.error, "");
    const Samples& stored = exported.data;
    for (const auto& [key, samples] : stored) {
      exported_samples += samples.size();
      for (const auto& [ts, bits] : samples) {
        ASSERT_LE(ts, cutoff) << testing::KeyText(key) << ": export ignored end";
      }
    }
    for (const auto& [key, samples] : held) {
      auto series = stored.find(key);
      for (const auto& [ts, bits] : samples) {
        std::string problem;
        if (series == stored.end() || series->second.count(ts) == 0) {
          problem = fmt::format("{} @{} = {}: missing", testing::KeyText(key), ts,
                                testing::ValueText(bits));
        } else if (series->second.at(ts) != bits) {
          ++mismatched;
          problem =
              fmt::format("{} @{}: Prometheus has {}, Sluice {}", testing::KeyText(key), ts,
                          testing::ValueText(bits), testing::ValueText(series->second.at(ts)));
        }
        if (!problem.empty()) {
          ++missing_count;
          if (missing.size() < 10) missing.push_back(std::move(problem));
        }
      }
    }
    if (missing_count == 0 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(500ms);
  }
  std::string examples;
  for (const std::string& m : missing) examples += "  " + m + "\n";
  EXPECT_EQ(missing_count, 0u) << "of " << held_samples << " samples in " << held.size()
                               << " series Prometheus holds up to " << cutoff << ", "
                               << missing_count << " are not in Sluice (" << mismatched
                               << " with another value); Sluice exported " << exported_samples
                               << ". First ones:\n"
                               << examples;
  std::cout << "Prometheus held " << held_samples << " samples in " << held.size()
            << " series; all in Sluice after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms since Prometheus was ready (" << polls + 1 << " exports)\n";

  // Prometheus saw no refusal, and sent metadata (which Sluice accepted).
  EXPECT_EQ(QueryValue("sum(prometheus_remote_storage_samples_failed_total)"), 0.0);
  EXPECT_EQ(QueryValue("sum(prometheus_remote_storage_metadata_failed_total)"), 0.0);
  EXPECT_GT(QueryValue("sum(prometheus_remote_storage_metadata_total)").value_or(0), 0.0);

  prometheus_->Signal(SIGTERM);
  std::optional<int> code = prometheus_->Wait(30s);
  ASSERT_TRUE(code.has_value()) << "Prometheus did not stop within 30 s of SIGTERM";
  EXPECT_EQ(*code, 0) << testing::ReadFileTail(dir_.Sub("prometheus.err"));
}

}  // namespace
}  // namespace sluice

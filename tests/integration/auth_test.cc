// Authentication with real clients: a Prometheus from Debian remote-writes into an authenticating
// Sluice three times over, with a bearer token (tenant team-a), with basic auth checked against a
// bcrypt hash (team-b), and with a wrong token; promtool then queries Sluice with each tenant's
// read credential (basic auth in the URL, as Go clients send it). Every tenant sees its own
// samples and nothing else, the wrong token's samples are nowhere, and Prometheus scrapes
// Sluice's /metrics without credentials.
// Skipped when /usr/bin/prometheus or promtool is missing (scripts/install-deps.sh --test).
#include <crypt.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/prometheus_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;

constexpr const char* kPrometheus = testing::kPrometheusBinary;
constexpr char kPromtool[] = "/usr/bin/promtool";

constexpr char kPromAToken[] = "prom-a-token";
constexpr char kReadAPassword[] = "read-a";
constexpr char kReadBPassword[] = "read-b";

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt) == nullptr) return "";
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* hashed = crypt_rn(password.c_str(), salt, data.get(), sizeof(crypt_data));
  return hashed == nullptr ? "" : hashed;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program : {kPrometheus, kPromtool}) {
      if (!std::filesystem::exists(program)) {
        GTEST_SKIP() << program << " is missing: run scripts/install-deps.sh --test";
      }
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "sluice stderr (tail):\n"
                << testing::ReadFileTail(dir_.Sub("sluice.err")) << "\nprometheus stderr (tail):\n"
                << testing::ReadFileTail(dir_.Sub("prometheus.err")) << "\n";
    }
  }

  void StartSluice() {
    std::string bcrypt = Bcrypt("prom-b-password");
    ASSERT_EQ(bcrypt.size(), 60u);
    std::string config =
        dir_.WriteFile("sluice.yaml", fmt::format(R"yaml(
server:
  tcp_listen: ""
auth:
  enabled: true
  credentials:
    - name: prometheus-a
      tenant: team-a
      scopes: [write]
      bearer_token_sha256: {token_a}
    - name: prometheus-b
      tenant: team-b
      scopes: [write]
      username: prom-b
      password_bcrypt: "{bcrypt}"
    - name: reader-a
      tenant: team-a
      scopes: [read]
      username: reader-a
      password_sha256: {read_a}
    - name: reader-b
      tenant: team-b
      scopes: [read]
      username: reader-b
      password_sha256: {read_b}
)yaml",
                                                  fmt::arg("token_a", Sha256(kPromAToken)),
                                                  fmt::arg("bcrypt", bcrypt),
                                                  fmt::arg("read_a", Sha256(kReadAPassword)),
                                                  fmt::arg("read_b", Sha256(kReadBPassword))));
    sluice_ = std::make_unique<Subprocess>(
        std::vector<std::string>{SLUICE_BINARY, "--config", config, "--listen", "127.0.0.1:0",
                                 "--data-dir", dir_.Sub("sluice-data")},
        dir_.Sub("sluice.out"), dir_.Sub("sluice.err"));
    sluice_port_ = testing::WaitForSluicePort(dir_.Sub("sluice.err"), 30s);
    ASSERT_GT(sluice_port_, 0) << testing::ReadFileTail(dir_.Sub("sluice.err"));
  }

  // printf %s s | sha256sum, through the test's own shell so that the test does not compute its
  // expectations with the code under test.
  std::string Sha256(const std::string& s) {
    std::string out = dir_.Sub("sha-" + s);
    Subprocess p({"/bin/sh", "-c", "printf %s \"$0\" | sha256sum | cut -c1-64", s}, out,
                 dir_.Sub("sha.err"));
    EXPECT_EQ(p.Wait(10s), 0);
    std::string hex = testing::ReadFile(out);
    while (!hex.empty() && hex.back() == '\n') hex.pop_back();
    return hex;
  }

  void StartPrometheus() {
    testing::PrometheusProcess p = testing::StartPrometheus(dir_, [this](uint16_t port) {
      return fmt::format(R"yaml(
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{prometheus}']
  - job_name: sluice
    static_configs:
      - targets: ['127.0.0.1:{sluice}']
remote_write:
  - url: http://127.0.0.1:{sluice}/api/v1/write
    name: bearer
    authorization:
      credentials: {token}
    write_relabel_configs:
      - target_label: via
        replacement: a
    queue_config: {{batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}}
  - url: http://127.0.0.1:{sluice}/api/v1/write
    name: basic
    basic_auth:
      username: prom-b
      password: prom-b-password
    write_relabel_configs:
      - target_label: via
        replacement: b
    queue_config: {{batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}}
  - url: http://127.0.0.1:{sluice}/api/v1/write
    name: intruder
    authorization:
      credentials: not-a-token
    write_relabel_configs:
      - target_label: via
        replacement: x
    queue_config: {{batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}}
)yaml",
                         fmt::arg("prometheus", port), fmt::arg("sluice", sluice_port_),
                         fmt::arg("token", kPromAToken));
    });
    prometheus_ = std::move(p.process);
    prometheus_port_ = p.port;
    ASSERT_GT(prometheus_port_, 0) << "Prometheus did not become ready:\n"
                                   << testing::ReadFileTail(dir_.Sub("prometheus.err"));
  }

  // promtool query instant against Sluice as `user:password`; its exit code and output.
  std::pair<int, std::string> Promtool(const std::string& user_password, const std::string& expr) {
    std::string out = dir_.Sub("promtool.out");
    Subprocess p({kPromtool, "query", "instant",
                  fmt::format("http://{}@127.0.0.1:{}", user_password, sluice_port_), expr},
                 out, out);
    std::optional<int> code = p.Wait(30s);
    return {code.value_or(-1), testing::ReadFile(out)};
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> sluice_;
  std::unique_ptr<Subprocess> prometheus_;
  uint16_t sluice_port_ = 0;
  uint16_t prometheus_port_ = 0;
};

TEST_F(AuthTest, PrometheusWritesAndPromtoolReadsEachTenantWithItsOwnCredentials) {
  ASSERT_NO_FATAL_FAILURE(StartSluice());
  ASSERT_NO_FATAL_FAILURE(StartPrometheus());

  // Both tenants' samples arrive: poll with each reader until its `via` label shows up, for both
  // of Prometheus' targets (it starts scraping Sluice a few seconds after itself).
  const std::string reader_a = std::string("reader-a:") + kReadAPassword;
  const std::string reader_b = std::string("reader-b:") + kReadBPassword;
  const std::string query = "count by (job, via) (up == 1)";
  auto has = [](const std::pair<int, std::string>& answer, std::string_view job,
                std::string_view via) {
    return answer.second.find(fmt::format("{{job=\"{}\", via=\"{}\"}}", job, via)) !=
           std::string::npos;
  };
  std::pair<int, std::string> a, b;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (int i = 0; i < 120 && std::chrono::steady_clock::now() < deadline; ++i) {
    a = Promtool(reader_a, query);
    b = Promtool(reader_b, query);
    if (has(a, "sluice", "a") && has(b, "sluice", "b") && has(a, "prometheus", "a") &&
        has(b, "prometheus", "b")) {
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(a.first, 0) << a.second;
  EXPECT_EQ(b.first, 0) << b.second;
  // Sluice's own /metrics is open: Prometheus scraped it without credentials.
  for (const char* job : {"prometheus", "sluice"}) {
    EXPECT_TRUE(has(a, job, "a")) << a.second;
    EXPECT_TRUE(has(b, job, "b")) << b.second;
  }
  // Each tenant sees only its own writer's samples, and the intruder's are nowhere.
  EXPECT_EQ(a.second.find("via=\"b\""), std::string::npos) << a.second;
  EXPECT_EQ(b.second.find("via=\"a\""), std::string::npos) << b.second;
  EXPECT_EQ(a.second.find("via=\"x\""), std::string::npos) << a.second;
  EXPECT_EQ(b.second.find("via=\"x\""), std::string::npos) << b.second;

  // A wrong password, and a writer's credential for reading, are refused.
  auto wrong = Promtool("reader-a:read-b", "up");
  EXPECT_NE(wrong.first, 0);
  EXPECT_NE(wrong.second.find("401"), std::string::npos) << wrong.second;
  auto writer = Promtool("prom-b:prom-b-password", "up");
  EXPECT_NE(writer.first, 0);
  EXPECT_NE(writer.second.find("403"), std::string::npos) << writer.second;

  // The intruder's requests were refused and counted.
  auto metrics = testing::HttpRequestOnce(sluice_port_, "GET", "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("sluice_http_request_errors_total{reason=\"unauthenticated\"}"),
            std::string::npos);
  EXPECT_EQ(metrics->body.find("sluice_http_request_errors_total{reason=\"unauthenticated\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice

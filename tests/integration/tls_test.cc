// TLS with real clients: a CA, server and client certificates are made at test time with the
// openssl command line; curl talks HTTPS to the sluice binary (push, query, health), plain HTTP
// and untrusted certificates are refused, mutual TLS refuses clients without a certificate, a
// reload picks up a renewed certificate, and a real Prometheus remote-writes over TLS with its
// tls_config. Skipped when openssl or curl is missing (scripts/install-deps.sh --test).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
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

constexpr char kOpenssl[] = "/usr/bin/openssl";
constexpr char kCurl[] = "/usr/bin/curl";
constexpr const char* kPrometheus = testing::kPrometheusBinary;

struct CommandRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program : {kOpenssl, kCurl}) {
      if (!std::filesystem::exists(program)) {
        GTEST_SKIP() << program << " is missing: run scripts/install-deps.sh --test";
      }
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "sluice stderr (tail):\n" << testing::ReadFileTail(dir_.Sub("sluice.err"));
    }
  }

  CommandRun Shell(const std::string& command) {
    std::string out = dir_.Sub("shell.out");
    Subprocess p({"/bin/sh", "-c", command}, out, out);
    CommandRun r;
    r.code = p.Wait(60s).value_or(-1);
    r.output = testing::ReadFile(out);
    return r;
  }

  // A CA `name`-ca.{key,pem} and a certificate `name`.{key,pem} for 127.0.0.1 signed by it.
  void MakeCertificates(const std::string& name, const std::string& subject) {
    std::string d = dir_.path();
    CommandRun r = Shell(fmt::format(
        "cd {d} && "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN={n} test CA' "
        "  -keyout {n}-ca.key -out {n}-ca.pem && "
        "openssl req -newkey rsa:2048 -nodes -subj '/CN={s}' -keyout {n}.key -out {n}.csr && "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > {n}.ext && "
        "openssl x509 -req -in {n}.csr -CA {n}-ca.pem -CAkey {n}-ca.key -CAcreateserial "
        "  -days 2 -extfile {n}.ext -out {n}.pem",
        fmt::arg("d", d), fmt::arg("n", name), fmt::arg("s", subject)));
    ASSERT_EQ(r.code, 0) << r.output;
  }

  // `tcp_listen` "" keeps the raw TCP listener off; its port is then tcp_port_.
  void StartSluice(const std::string& tls_yaml, const std::string& tcp_listen = "") {
    std::string config = dir_.WriteFile(
        "sluice.yaml", "server:\n  tcp_listen: \"" + tcp_listen + "\"\n  tls:\n" + tls_yaml);
    sluice_ = std::make_unique<Subprocess>(
        std::vector<std::string>{SLUICE_BINARY, "--config", config, "--listen", "127.0.0.1:0",
                                 "--data-dir", dir_.Sub("data")},
        dir_.Sub("sluice.out"), dir_.Sub("sluice.err"));
    port_ = testing::WaitForSluicePort(dir_.Sub("sluice.err"), 30s);
    ASSERT_GT(port_, 0) << testing::ReadFileTail(dir_.Sub("sluice.err"));
    if (!tcp_listen.empty()) {
      auto log = testing::WaitForFileContaining(dir_.Sub("sluice.err"), " with TLS\n", 10s);
      ASSERT_TRUE(log.has_value()) << testing::ReadFileTail(dir_.Sub("sluice.err"));
      const std::string prefix = "tcp: listening for JSON lines on 127.0.0.1:";
      size_t at = log->find(prefix);
      ASSERT_NE(at, std::string::npos) << *log;
      tcp_port_ = static_cast<uint16_t>(std::stoi(log->substr(at + prefix.size())));
    }
  }

  std::string Url(const std::string& path, const std::string& scheme = "https") {
    return fmt::format("{}://127.0.0.1:{}{}", scheme, port_, path);
  }

  // curl with `options`; prints the status code last.
  CommandRun Curl(const std::string& options, const std::string& path,
                  const std::string& scheme = "https") {
    return Shell(fmt::format("curl -sS --max-time 10 -o {} -w '%{{http_code}}' {} '{}'",
                             dir_.Sub("curl.body"), options, Url(path, scheme)));
  }

  std::string Pem(const std::string& file) { return dir_.Sub(file); }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> sluice_;
  uint16_t port_ = 0;
  uint16_t tcp_port_ = 0;
};

TEST_F(TlsTest, HttpsServesPushAndQueryAndRefusesPlainOrUntrusted) {
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("server", "127.0.0.1"));
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("other", "127.0.0.1"));
  ASSERT_NO_FATAL_FAILURE(StartSluice(
      fmt::format("    cert_file: {}\n    key_file: {}\n", Pem("server.pem"), Pem("server.key"))));
  const std::string trust = "--cacert " + Pem("server-ca.pem");

  CommandRun ready = Curl(trust, "/ready");
  EXPECT_EQ(ready.output, "200") << ready.output;

  // A push and a query through TLS, bodies both ways (gzip too, as shippers send it).
  std::string push =
      fmt::format(R"({{"streams":[{{"stream":{{"app":"tls"}},"values":[["{}","over tls"]]}}]}})",
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
  dir_.WriteFile("push.json", push);
  CommandRun pushed =
      Curl(trust + " -H 'Content-Type: application/json' --data-binary @" + dir_.Sub("push.json"),
           "/loki/api/v1/push");
  EXPECT_EQ(pushed.output, "204") << pushed.output;
  CommandRun queried = Curl(trust + " --compressed",
                            "/loki/api/v1/query_range?query=%7Bapp%3D%22tls%22%7D&since=1h");
  EXPECT_EQ(queried.output, "200") << queried.output;
  EXPECT_NE(testing::ReadFile(dir_.Sub("curl.body")).find("over tls"), std::string::npos);

  // Plain HTTP to the TLS port gets no HTTP answer; an untrusted certificate is refused by curl.
  auto plain = testing::HttpRequestOnce(port_, "GET", "/ready");
  EXPECT_TRUE(!plain.has_value() || plain->status != 200);
  CommandRun untrusted = Curl("--cacert " + Pem("other-ca.pem"), "/ready");
  EXPECT_NE(untrusted.output.find("000"), std::string::npos) << untrusted.output;
  // The server is still fine after those.
  EXPECT_EQ(Curl(trust, "/ready").output, "200");

  // TLS 1.2 is served. (Older versions are refused by the server's options, but Debian's OpenSSL
  // policy refuses them too, so a test here could not tell the two apart.)
  CommandRun modern =
      Shell(fmt::format("openssl s_client -connect 127.0.0.1:{} -tls1_2 -CAfile {} </dev/null",
                        port_, Pem("server-ca.pem")));
  EXPECT_EQ(modern.code, 0) << modern.output;

  // Renewal: the same files get a certificate from another CA; after a reload new connections
  // present it.
  std::filesystem::copy_file(Pem("other.pem"), Pem("server.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(Pem("other.key"), Pem("server.key"),
                             std::filesystem::copy_options::overwrite_existing);
  sluice_->Signal(SIGHUP);
  bool renewed = false;
  for (int i = 0; i < 100 && !renewed; ++i) {
    renewed = Curl("--cacert " + Pem("other-ca.pem"), "/ready").output == "200";
    if (!renewed) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(renewed) << testing::ReadFileTail(dir_.Sub("sluice.err"));
  EXPECT_NE(Curl(trust, "/ready").output, "200");

  // Handshake failures are counted.
  CommandRun metrics = Curl("--cacert " + Pem("other-ca.pem"), "/metrics");
  EXPECT_EQ(metrics.output, "200");
  std::string body = testing::ReadFile(dir_.Sub("curl.body"));
  EXPECT_NE(body.find("sluice_http_request_errors_total{reason=\"tls_handshake\"}"),
            std::string::npos);
  EXPECT_EQ(body.find("sluice_http_request_errors_total{reason=\"tls_handshake\"} 0"),
            std::string::npos);
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificateFromTheClientCa) {
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("server", "127.0.0.1"));
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("client", "shipper"));
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("stranger", "stranger"));
  ASSERT_NO_FATAL_FAILURE(
      StartSluice(fmt::format("    cert_file: {}\n    key_file: {}\n    client_ca_file: {}\n",
                              Pem("server.pem"), Pem("server.key"), Pem("client-ca.pem"))));
  const std::string trust = "--cacert " + Pem("server-ca.pem");
  EXPECT_EQ(
      Curl(trust + " --cert " + Pem("client.pem") + " --key " + Pem("client.key"), "/ready").output,
      "200");
  EXPECT_NE(Curl(trust, "/ready").output, "200");
  EXPECT_NE(
      Curl(trust + " --cert " + Pem("stranger.pem") + " --key " + Pem("stranger.key"), "/ready")
          .output,
      "200");
}

TEST_F(TlsTest, TheTcpListenerSpeaksTlsToo) {
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("server", "127.0.0.1"));
  ASSERT_NO_FATAL_FAILURE(StartSluice(
      fmt::format("    cert_file: {}\n    key_file: {}\n", Pem("server.pem"), Pem("server.key")),
      "127.0.0.1:0"));
  ASSERT_GT(tcp_port_, 0);
  dir_.WriteFile("lines.json",
                 "{\"message\":\"tcp over tls one\",\"app\":\"tcp\"}\n"
                 "{\"message\":\"tcp over tls two\",\"app\":\"tcp\"}\n");
  CommandRun sent =
      Shell(fmt::format("openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:{} -CAfile {} < {}",
                        tcp_port_, Pem("server-ca.pem"), dir_.Sub("lines.json")));
  EXPECT_EQ(sent.code, 0) << sent.output;
  // Plain text on the TLS port is not a handshake: nothing of it is stored.
  CommandRun plain = Shell(fmt::format(
      "printf '{{\"message\":\"plain text line\"}}\\n' > /dev/tcp/127.0.0.1/{}", tcp_port_));
  const std::string query =
      "/loki/api/v1/query_range?query=%7Bservice_name%3D%22unknown_service%22%7D&since=1h";
  bool both = false;
  std::string body;
  for (int i = 0; i < 100 && !both; ++i) {
    Curl("--cacert " + Pem("server-ca.pem"), query);
    body = testing::ReadFile(dir_.Sub("curl.body"));
    both = body.find("tcp over tls one") != std::string::npos &&
           body.find("tcp over tls two") != std::string::npos;
    if (!both) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(both) << body;
  EXPECT_EQ(body.find("plain text line"), std::string::npos) << body;
}

TEST_F(TlsTest, PrometheusRemoteWritesOverTls) {
  if (!std::filesystem::exists(kPrometheus)) GTEST_SKIP() << kPrometheus << " is missing";
  ASSERT_NO_FATAL_FAILURE(MakeCertificates("server", "127.0.0.1"));
  ASSERT_NO_FATAL_FAILURE(StartSluice(
      fmt::format("    cert_file: {}\n    key_file: {}\n", Pem("server.pem"), Pem("server.key"))));
  testing::PrometheusProcess prometheus = testing::StartPrometheus(dir_, [this](uint16_t port) {
    return fmt::format(R"yaml(
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{port}']
remote_write:
  - url: https://127.0.0.1:{sluice}/api/v1/write
    tls_config:
      ca_file: {ca}
    queue_config: {{batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}}
)yaml",
                       fmt::arg("port", port), fmt::arg("sluice", port_),
                       fmt::arg("ca", Pem("server-ca.pem")));
  });
  uint16_t prometheus_port = prometheus.port;
  ASSERT_GT(prometheus_port, 0) << testing::ReadFileTail(dir_.Sub("prometheus.err"));
  // Samples arrive over TLS: Sluice's export (over TLS too) holds Prometheus' `up`.
  bool arrived = false;
  for (int i = 0; i < 120 && !arrived; ++i) {
    CommandRun r = Curl("--cacert " + Pem("server-ca.pem"), "/api/v1/export?match%5B%5D=up");
    arrived = r.output == "200" &&
              testing::ReadFile(dir_.Sub("curl.body")).find("\"job\":\"prometheus\"") !=
                  std::string::npos;
    if (!arrived) std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(arrived) << testing::ReadFileTail(dir_.Sub("prometheus.err"));
}

}  // namespace
}  // namespace sluice

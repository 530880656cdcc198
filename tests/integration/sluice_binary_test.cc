// The sluice binary as an operator runs it: flags, config checking, signals.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using ::testing::HasSubstr;
using testing::Subprocess;
using namespace std::chrono_literals;

class SluiceBinaryTest : public ::testing::Test {
 protected:
  // Runs sluice with `args` to completion; returns the exit code.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), SLUICE_BINARY);
    Subprocess p(args, dir_.Sub("out"), dir_.Sub("err"));
    std::optional<int> code = p.Wait(30s);
    EXPECT_TRUE(code) << "sluice did not exit";
    return code.value_or(-1);
  }
  std::string Out() { return testing::ReadFile(dir_.Sub("out")); }
  std::string Err() { return testing::ReadFile(dir_.Sub("err")); }

  // Starts a daemon on an ephemeral port; returns the port from its log.
  uint16_t StartDaemon(std::vector<std::string> extra = {}) {
    // Both listeners on ephemeral ports: tests run in parallel with other daemons.
    std::vector<std::string> args{SLUICE_BINARY, "--listen",   "127.0.0.1:0",   "--tcp-listen",
                                  "127.0.0.1:0", "--data-dir", dir_.Sub("data")};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Subprocess>(args, dir_.Sub("daemon.out"), dir_.Sub("daemon.err"));
    uint16_t port = testing::WaitForSluicePort(dir_.Sub("daemon.err"), 30s);
    EXPECT_GT(port, 0) << testing::ReadFile(dir_.Sub("daemon.err"));
    return port;
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> daemon_;
};

TEST_F(SluiceBinaryTest, VersionPrintsAndExits) {
  EXPECT_EQ(Run({"--version"}), 0);
  EXPECT_THAT(Out(), HasSubstr("sluice 0.1.0 (revision "));
}

TEST_F(SluiceBinaryTest, CheckConfigAcceptsTheShippedConfigAndTheBuiltInDefault) {
  EXPECT_EQ(Run({"--check-config", "--config", SLUICE_SOURCE_DIR "/config/sluice.yaml"}), 0);
  EXPECT_THAT(Out(), HasSubstr("config/sluice.yaml: OK"));
  EXPECT_EQ(Run({"--check-config"}), 0);
  EXPECT_THAT(Out(), HasSubstr("(built-in default config): OK"));
}

TEST_F(SluiceBinaryTest, CheckConfigPrintsThePreciseErrorAndFails) {
  std::string path =
      dir_.WriteFile("broken.yaml", "server:\n  http_listen: :3100\n  max_request_bytes: huge\n");
  EXPECT_EQ(Run({"--check-config", "--config", path}), 1);
  EXPECT_THAT(Err(), HasSubstr("server.max_request_bytes at " + path +
                               ":3:3: expected a size like 256KiB, got \"huge\""));
  EXPECT_EQ(Run({"--check-config", "--config", dir_.Sub("missing.yaml")}), 1);
  EXPECT_THAT(Err(), HasSubstr("cannot read config file"));
}

TEST_F(SluiceBinaryTest, UnknownFlagsAreRejected) { EXPECT_NE(Run({"--no-such-flag"}), 0); }

TEST_F(SluiceBinaryTest, SigtermFinishesTheRequestInFlightAndExitsZero) {
  uint16_t port = StartDaemon();
  ASSERT_GT(port, 0);
  testing::TestHttpClient client(port);
  ASSERT_TRUE(client.Request("GET", "/-/healthy"));
  // Half a request is in flight when the signal arrives; it must still be answered.
  ASSERT_TRUE(client.SendRaw("GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab"));
  std::this_thread::sleep_for(100ms);
  daemon_->Signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(client.SendRaw("cd"));
  auto r = client.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(daemon_->Wait(20s), std::optional<int>(0));
  std::string log = testing::ReadFile(dir_.Sub("daemon.err"));
  EXPECT_THAT(log, HasSubstr("SIGTERM: shutting down"));
  EXPECT_THAT(log, HasSubstr("shutdown: complete"));
}

// The environment of a running process, one VAR=value per element.
std::vector<std::string> EnvironmentOf(pid_t pid) {
  std::string raw = testing::ReadFile(fmt::format("/proc/{}/environ", pid));
  std::vector<std::string> out;
  for (size_t start = 0; start < raw.size();) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    out.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool KernelHasHugePages() {
  std::string modes = testing::ReadFile("/sys/kernel/mm/transparent_hugepage/enabled");
  return !modes.empty() && modes.find("[never]") == std::string::npos;
}

TEST_F(SluiceBinaryTest, RestartsItselfWithItsHeapOnHugePages) {
  if (!KernelHasHugePages()) GTEST_SKIP() << "transparent huge pages are disabled here";
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
  uint16_t port = StartDaemon();
  ASSERT_GT(port, 0);
  // The same pid, now with the tunable glibc reads at start, and serving.
  EXPECT_THAT(EnvironmentOf(daemon_->pid()),
              ::testing::Contains("GLIBC_TUNABLES=glibc.malloc.hugetlb=1"));
  testing::TestHttpClient client(port);
  auto r = client.Request("GET", "/-/healthy");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(SluiceBinaryTest, KeepsTheOperatorsOwnHugePageTunable) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0", 1), 0);
  uint16_t port = StartDaemon();
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
  ASSERT_GT(port, 0);
  EXPECT_THAT(EnvironmentOf(daemon_->pid()),
              ::testing::Contains("GLIBC_TUNABLES=glibc.malloc.hugetlb=0"));
}

TEST_F(SluiceBinaryTest, HugePageHeapCanBeTurnedOff) {
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
  ASSERT_EQ(setenv("SLUICE_HUGE_PAGE_HEAP", "0", 1), 0);
  uint16_t port = StartDaemon();
  ASSERT_EQ(unsetenv("SLUICE_HUGE_PAGE_HEAP"), 0);
  ASSERT_GT(port, 0);
  for (const std::string& var : EnvironmentOf(daemon_->pid())) {
    EXPECT_THAT(var, ::testing::Not(::testing::StartsWith("GLIBC_TUNABLES=")));
  }
}

TEST_F(SluiceBinaryTest, SighupReloadsAndSurvivesABrokenConfig) {
  std::string path = dir_.WriteFile("sluice.yaml", "log:\n  level: info\n");
  uint16_t port = StartDaemon({"--config", path});
  ASSERT_GT(port, 0);
  dir_.WriteFile("sluice.yaml", "log:\n  level: info\n  colour: blue\n");
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(testing::WaitForFileContaining(dir_.Sub("daemon.err"),
                                             "log.colour at " + path + ":3:3: unknown key", 10s));
  auto r = testing::HttpRequestOnce(port, "GET", "/-/healthy");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  dir_.WriteFile("sluice.yaml", "log:\n  level: warn\n");
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(
      testing::WaitForFileContaining(dir_.Sub("daemon.err"), "SIGHUP: reloading config", 10s));
  daemon_->Signal(SIGINT);
  EXPECT_EQ(daemon_->Wait(20s), std::optional<int>(0));
}

TEST_F(SluiceBinaryTest, ASecondDaemonOnTheSameDataDirRefusesToStart) {
  ASSERT_GT(StartDaemon(), 0);
  EXPECT_EQ(Run({"--listen", "127.0.0.1:0", "--tcp-listen", "", "--data-dir", dir_.Sub("data")}),
            1);
  EXPECT_THAT(Err(), HasSubstr("in use by another process"));
}

}  // namespace
}  // namespace sluice

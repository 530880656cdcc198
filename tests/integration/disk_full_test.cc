// Disk full: the sluice binary runs on a small tmpfs. Writes are pushed until the disk is nearly
// full (storage.min_free_disk); from then on they are refused with 503, Retry-After and the reason,
// while queries and health are still answered. When space returns (the tmpfs grows) writes are
// accepted again without a restart, and after kill -9 and a restart exactly the acknowledged lines
// are there. Needs root to mount the tmpfs; skipped otherwise.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/metrics_export.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;

constexpr int kEntriesPerPush = 100;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    mount_point_ = dir_.Sub("small");
    std::filesystem::create_directory(mount_point_);
    if (mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=24m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
    }
    mounted_ = true;
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const char* log : {"sluice-1.err", "sluice-2.err"}) {
        std::cerr << log << " (tail):\n" << testing::ReadFileTail(dir_.Sub(log)) << "\n";
      }
    }
    sluice_.reset();  // SIGKILL, before the mount goes
    if (mounted_) umount2(mount_point_.c_str(), MNT_DETACH);
  }

  void StartSluice(int run) {
    // The reserve is scaled down with the disk.
    std::string config = dir_.WriteFile("sluice.yaml", "storage:\n  min_free_disk: 6MiB\n");
    sluice_ = std::make_unique<Subprocess>(
        std::vector<std::string>{SLUICE_BINARY, "--config", config, "--listen", "127.0.0.1:0",
                                 "--tcp-listen", "", "--data-dir", mount_point_ + "/data"},
        dir_.Sub(fmt::format("sluice-{}.out", run)), dir_.Sub(fmt::format("sluice-{}.err", run)));
    port_ = testing::WaitForSluicePort(dir_.Sub(fmt::format("sluice-{}.err", run)), 30s);
    ASSERT_GT(port_, 0);
  }

  // One push of kEntriesPerPush lines of 2 KiB (incompressible enough to fill the disk soon).
  std::optional<testing::TestResponse> Push(int n) {
    std::string values;
    uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(n + 1);
    for (int i = 0; i < kEntriesPerPush; ++i) {
      std::string line;
      for (int k = 0; k < 2048; ++k) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        line += static_cast<char>('a' + x % 26);
      }
      values += fmt::format("{}[\"{}\",\"{}\"]", i ? "," : "", NowNs(), line);
    }
    return testing::HttpRequestOnce(
        port_, "POST", "/loki/api/v1/push",
        fmt::format(R"({{"streams":[{{"stream":{{"app":"fill","n":"{}"}},"values":[{}]}}]}})",
                    n % 8, values),
        {{"Content-Type", "application/json"}});
  }

  // What a LogQL count over the last hour says is stored (-1 and a failure when no answer).
  int64_t CountStored() {
    auto r = testing::HttpRequestOnce(
        port_, "GET",
        "/loki/api/v1/query?query=" +
            testing::UrlEncode("sum(count_over_time({app=\"fill\"}[1h]))"));
    if (!r || r->status != 200) {
      ADD_FAILURE() << (r ? r->body : "no answer");
      return -1;
    }
    simdjson::dom::parser parser;
    simdjson::dom::array result;
    if (parser.parse(r->body)["data"]["result"].get_array().get(result) != simdjson::SUCCESS) {
      ADD_FAILURE() << r->body;
      return -1;
    }
    if (result.size() == 0) return 0;
    std::string_view value;
    if (result.at(0)["value"].at(1).get_string().get(value) != simdjson::SUCCESS) {
      ADD_FAILURE() << r->body;
      return -1;
    }
    return std::stoll(std::string(value));
  }

  testing::TempDir dir_;
  std::string mount_point_;
  bool mounted_ = false;
  std::unique_ptr<Subprocess> sluice_;
  uint16_t port_ = 0;
};

TEST_F(DiskFullTest, RefusesWritesWhileFullServesReadsAndRecoversWithoutRestart) {
  ASSERT_NO_FATAL_FAILURE(StartSluice(1));
  int acknowledged = 0;
  int n = 0;
  std::optional<testing::TestResponse> refused;
  for (; n < 400 && !refused; ++n) {
    auto r = Push(n);
    ASSERT_TRUE(r.has_value());
    if (r->status == 204) {
      ++acknowledged;
    } else {
      refused = r;
    }
  }
  ASSERT_TRUE(refused.has_value()) << "the 24 MB disk never filled";
  EXPECT_GT(acknowledged, 10);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->Header("retry-after"), "1");
  EXPECT_NE(refused->body.find("below storage.min_free_disk (6.0 MiB)"), std::string::npos)
      << refused->body;
  // Refused again while full; reads and health go on.
  auto again = Push(n++);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 503);
  auto ready = testing::HttpRequestOnce(port_, "GET", "/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(CountStored(), int64_t{acknowledged} * kEntriesPerPush);

  // Space returns: writes are accepted again, without a restart.
  ASSERT_EQ(mount("tmpfs", mount_point_.c_str(), "tmpfs", MS_REMOUNT, "size=256m"), 0)
      << std::strerror(errno);
  bool recovered = false;
  for (int i = 0; i < 50 && !recovered; ++i) {
    auto r = Push(n++);
    ASSERT_TRUE(r.has_value());
    if (r->status == 204) {
      ++acknowledged;
      recovered = true;
    } else {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_TRUE(recovered) << testing::ReadFileTail(dir_.Sub("sluice-1.err"));
  for (int i = 0; i < 3; ++i) {
    auto r = Push(n++);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status, 204) << r->body;
    ++acknowledged;
  }
  EXPECT_EQ(CountStored(), int64_t{acknowledged} * kEntriesPerPush);

  // Nothing acknowledged was lost and nothing refused was kept, across kill -9.
  sluice_->Signal(SIGKILL);
  sluice_->Wait(10s);
  ASSERT_NO_FATAL_FAILURE(StartSluice(2));
  EXPECT_EQ(CountStored(), int64_t{acknowledged} * kEntriesPerPush);
}

}  // namespace
}  // namespace sluice

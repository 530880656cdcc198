// kill -9 under load: whatever Sluice acknowledged before it was killed is there after it restarts,
// and nothing is stored twice. Bounded: a few seconds per kill.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;

class CrashTest : public ::testing::Test {
 protected:
  // Starts sluice on the shared data dir; returns its HTTP port (0 on failure).
  uint16_t StartDaemon(int generation) {
    std::string log = dir_.Sub(fmt::format("daemon-{}.err", generation));
    daemon_ = std::make_unique<Subprocess>(
        std::vector<std::string>{SLUICE_BINARY, "--listen", "127.0.0.1:0", "--tcp-listen", "",
                                 "--data-dir", dir_.Sub("data")},
        dir_.Sub("daemon.out"), log);
    return testing::WaitForSluicePort(log, 30s);
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> daemon_;
};

TEST_F(CrashTest, EveryAcknowledgedLineSurvivesKill9) {
  const int kKills = testing::CrashKills(5);
  constexpr int kClients = 3;
  constexpr int kLinesPerRequest = 50;
  std::atomic<uint16_t> port{StartDaemon(0)};
  ASSERT_GT(port.load(), 0);

  std::mutex mu;
  std::set<std::string> acknowledged;
  std::set<std::string> attempted;
  std::atomic<bool> stop{false};
  std::atomic<int> acked_requests{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      int request = 0;
      while (!stop.load()) {
        testing::TestHttpClient client(port.load(), 2s);
        if (!client.connected()) {
          std::this_thread::sleep_for(20ms);
          continue;
        }
        while (!stop.load()) {
          std::vector<std::string> ids;
          std::string body =
              fmt::format(R"({{"streams":[{{"stream":{{"client":"{}"}},"values":[)", c);
          for (int k = 0; k < kLinesPerRequest; ++k) {
            std::string id = fmt::format("c{}-r{}-k{}", c, request, k);
            if (k > 0) body += ",";
            body +=
                fmt::format(R"(["{}","{} {}"])", 1'700'000'000'000'000'000LL + request * 100 + k,
                            id, std::string(60, 'p'));
            ids.push_back(std::move(id));
          }
          body += "]}]}";
          ++request;
          {
            std::lock_guard lock(mu);
            attempted.insert(ids.begin(), ids.end());
          }
          auto r = client.Request("POST", "/loki/api/v1/push", body,
                                  {{"Content-Type", "application/json"}});
          if (!r) break;  // the daemon died under us: reconnect
          if (r->status == 204) {
            std::lock_guard lock(mu);
            acknowledged.insert(ids.begin(), ids.end());
            ++acked_requests;
          }
        }
      }
    });
  }

  std::mt19937 rng(20261123);
  for (int kill = 1; kill <= kKills; ++kill) {
    int before = acked_requests.load();
    auto deadline = std::chrono::steady_clock::now() + 20s;
    // Let load build up (at least some acknowledged requests), then kill at a random moment.
    while (acked_requests.load() < before + 5 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    daemon_->Signal(SIGKILL);
    ASSERT_TRUE(daemon_->Wait(10s).has_value());
    uint16_t next = StartDaemon(kill);
    ASSERT_GT(next, 0) << testing::ReadFile(dir_.Sub(fmt::format("daemon-{}.err", kill)));
    port = next;
  }
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (auto& t : clients) t.join();

  testing::TestHttpClient reader(port.load(), 30s);
  auto exported = reader.Request("GET", "/export/logs?match=%7Bclient%3D~%22.%2B%22%7D");
  ASSERT_TRUE(exported);
  ASSERT_EQ(exported->status, 200);
  std::multiset<std::string> stored;
  std::istringstream lines(exported->body);
  for (std::string line; std::getline(lines, line);) {
    size_t at = line.find("\"_msg\":\"");
    ASSERT_NE(at, std::string::npos);
    at += 8;
    stored.insert(line.substr(at, line.find(' ', at) - at));
  }
  size_t missing = 0;
  for (const std::string& id : acknowledged) missing += stored.count(id) == 0;
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged lines";
  size_t duplicated = 0;
  for (auto it = stored.begin(); it != stored.end(); it = stored.upper_bound(*it)) {
    duplicated += stored.count(*it) > 1;
    EXPECT_EQ(attempted.count(*it), 1u) << "stored a line nobody sent: " << *it;
  }
  EXPECT_EQ(duplicated, 0u);
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(kKills * 5 * kLinesPerRequest));
  std::cout << "acknowledged " << acknowledged.size() << " lines, stored " << stored.size()
            << " of " << attempted.size() << " attempted, across " << kKills << " kill -9\n";
}

}  // namespace
}  // namespace sluice

#include "tests/support/prometheus_process.h"

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "tests/support/test_http_client.h"

namespace sluice::testing {

using namespace std::chrono_literals;

PrometheusProcess StartPrometheus(
    const TempDir& dir, const std::function<std::string(uint16_t port)>& config_for_port) {
  PrometheusProcess p;
  for (int attempt = 0; attempt < 3 && p.port == 0; ++attempt) {
    uint16_t port = PickFreePort();
    if (port == 0) continue;
    std::string config = dir.WriteFile("prometheus.yml", config_for_port(port));
    p.process = std::make_unique<Subprocess>(
        std::vector<std::string>{kPrometheusBinary, "--config.file=" + config,
                                 "--storage.tsdb.path=" + dir.Sub("prometheus-data"),
                                 fmt::format("--web.listen-address=127.0.0.1:{}", port)},
        dir.Sub("prometheus.out"), dir.Sub("prometheus.err"));
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline && p.process->Running()) {
      auto r = HttpRequestOnce(port, "GET", "/-/ready");
      if (r && r->status == 200) {
        p.port = port;
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    if (p.port == 0) {
      p.process->Signal(SIGKILL);
      p.process->Wait(10s);
    }
  }
  return p;
}

}  // namespace sluice::testing

// A real Prometheus (Debian's /usr/bin/prometheus) for integration tests: on a free 127.0.0.1
// port, with its own config and data dir under the test's temporary directory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {

inline constexpr char kPrometheusBinary[] = "/usr/bin/prometheus";

struct PrometheusProcess {
  std::unique_ptr<Subprocess> process;
  uint16_t port = 0;  // 0 when it did not become ready
};

// Writes config_for_port(port) to prometheus.yml in `dir`, starts Prometheus on that port and
// waits (at most 30 s) until /-/ready answers 200; tries another port, up to three times, when
// the one picked was taken meanwhile. Its output goes to prometheus.out and prometheus.err.
PrometheusProcess StartPrometheus(const TempDir& dir,
                                  const std::function<std::string(uint16_t port)>& config_for_port);

}  // namespace sluice::testing

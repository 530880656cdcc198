// DaemonTest: a gtest fixture that runs a whole Daemon in-process, on an ephemeral loopback HTTP
// port with its data in a fresh temporary directory, and talks to it over HTTP the way the
// clients under test do (Grafana's data sources, Loki's push). For daemon_test only: it links
// the daemon, which the other test binaries do not.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/daemon.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// An HTTP answer, its body parsed when it is JSON (Prometheus' and Loki's API envelopes).
struct JsonReply {
  int status = 0;  // 0 when no answer came
  std::string content_type;
  std::string retry_after;
  std::string www_authenticate;
  std::string body;
  simdjson::dom::parser parser;
  simdjson::dom::element json;
  bool is_json = false;

  // "success", "error", or "" when the body is not a JSON object with a status.
  std::string_view Status() const;
  // The envelope's errorType and error, "" when absent.
  std::string_view ErrorType() const;
  std::string_view Error() const;
  simdjson::dom::element Data() const { return json["data"].value(); }
  // Every entry of a Loki streams answer: (stream labels, [ts, line, ...] array).
  std::vector<std::pair<simdjson::dom::object, simdjson::dom::array>> Entries() const;
  // A JSON array of strings.
  static std::vector<std::string> Strings(simdjson::dom::element array);
};

class DaemonTest : public ::testing::Test {
 protected:
  // Starts the daemon from the config `yaml` (empty: the defaults) with HTTP on 127.0.0.1:0 and
  // no TCP listener. Fails the test fatally when it does not start: call it under
  // ASSERT_NO_FATAL_FAILURE where later steps need the daemon.
  void Start(const std::string& yaml = "");
  // The same from a config file (written from `yaml` to config_path()), which a reload
  // (SIGHUP, POST /-/reload) reads again.
  void StartWithConfigFile(const std::string& yaml);
  std::string config_path() { return dir_.Sub("sluice.yaml"); }

  // One request on a fresh connection; the reply's status is 0 (and the test failed) when no
  // answer came.
  std::unique_ptr<JsonReply> Call(std::string_view method, const std::string& target,
                                  std::string_view body = {}, const Headers& headers = {});
  std::unique_ptr<JsonReply> Get(const std::string& target, const Headers& headers = {}) {
    return Call("GET", target, {}, headers);
  }

  // POST /loki/api/v1/push of a JSON push body (with `extra` headers, e.g. X-Scope-OrgID);
  // fails the test unless the answer is 204.
  void PushLoki(const std::string& body, const Headers& extra = {});

  void StartDaemon(const std::string& yaml, const std::string& config_path);

  TempDir dir_;  // outlives the daemon, which is destroyed first
  std::unique_ptr<daemon::Daemon> daemon_;
  uint16_t port_ = 0;
};

}  // namespace sluice::testing

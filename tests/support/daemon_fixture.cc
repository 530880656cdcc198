#include "tests/support/daemon_fixture.h"

#include <fstream>
#include <optional>

#include "config/config_loader.h"
#include "tests/support/test_http_client.h"

namespace sluice::testing {
namespace {

std::string_view StringField(const JsonReply& r, const char* key) {
  std::string_view s;
  if (!r.is_json || r.json[key].get(s) != simdjson::SUCCESS) return "";
  return s;
}

}  // namespace

std::string_view JsonReply::Status() const { return StringField(*this, "status"); }
std::string_view JsonReply::ErrorType() const { return StringField(*this, "errorType"); }
std::string_view JsonReply::Error() const { return StringField(*this, "error"); }

std::vector<std::pair<simdjson::dom::object, simdjson::dom::array>> JsonReply::Entries() const {
  std::vector<std::pair<simdjson::dom::object, simdjson::dom::array>> out;
  for (simdjson::dom::element s : Data()["result"].get_array()) {
    for (simdjson::dom::element e : s["values"].get_array()) {
      out.emplace_back(s["stream"].get_object().value(), e.get_array().value());
    }
  }
  return out;
}

std::vector<std::string> JsonReply::Strings(simdjson::dom::element array) {
  std::vector<std::string> out;
  for (simdjson::dom::element e : array.get_array()) out.emplace_back(e.get_string().value());
  return out;
}

void DaemonTest::Start(const std::string& yaml) { StartDaemon(yaml, ""); }

void DaemonTest::StartWithConfigFile(const std::string& yaml) {
  std::ofstream(config_path()) << yaml;
  StartDaemon(yaml, config_path());
}

void DaemonTest::StartDaemon(const std::string& yaml, const std::string& path) {
  auto config = config::LoadConfigFromString(yaml, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  daemon::ConfigOverrides overrides;
  overrides.http_listen = "127.0.0.1:0";
  overrides.tcp_listen = "";
  overrides.data_dir = dir_.Sub("data");
  daemon_ = std::make_unique<daemon::Daemon>(std::move(config).value(), path, overrides);
  sluice::Status s = daemon_->Start();
  ASSERT_TRUE(s.ok()) << s.message();
  port_ = daemon_->http_port();
}

std::unique_ptr<JsonReply> DaemonTest::Call(std::string_view method, const std::string& target,
                                            std::string_view body, const Headers& headers) {
  auto r = std::make_unique<JsonReply>();
  std::optional<TestResponse> got = HttpRequestOnce(port_, method, target, body, headers);
  EXPECT_TRUE(got) << method << " " << target;
  if (!got) return r;
  r->status = got->status;
  r->content_type = got->Header("content-type");
  r->retry_after = got->Header("retry-after");
  r->www_authenticate = got->Header("www-authenticate");
  r->body = got->body;
  r->is_json = !r->body.empty() && r->parser.parse(r->body).get(r->json) == simdjson::SUCCESS;
  return r;
}

void DaemonTest::PushLoki(const std::string& body, const Headers& extra) {
  Headers headers = {{"Content-Type", "application/json"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  auto r = Call("POST", "/loki/api/v1/push", body, headers);
  ASSERT_EQ(r->status, 204) << r->body;
}

}  // namespace sluice::testing

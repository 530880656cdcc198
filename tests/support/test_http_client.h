// TestHttpClient: a deliberately simple blocking HTTP/1.1 client over a POSIX socket, for tests
// that need control a library client would hide: raw bytes, partial requests, slow senders,
// observing keep-alive and connection closes. Every read is bounded by a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::testing {

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

using namespace std::chrono_literals;

class TestHttpClient {
 public:
  explicit TestHttpClient(uint16_t port, std::chrono::milliseconds timeout = 10s);
  ~TestHttpClient();
  TestHttpClient(const TestHttpClient&) = delete;
  TestHttpClient& operator=(const TestHttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  uint16_t local_port() const;

  // Writes bytes as they are. Returns false if the connection is gone.
  bool SendRaw(std::string_view bytes);

  // Sends one request (Content-Length set when there is a body) and reads the answer.
  std::optional<TestResponse> Request(
      std::string_view method, std::string_view target, std::string_view body = {},
      const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Reads one response. nullopt on timeout, close or a malformed answer.
  std::optional<TestResponse> ReadResponse(bool head_request = false);

  // Reads until `marker` has arrived and consumes everything up to and including it.
  bool ReadUntil(std::string_view marker);

  // True when the server closes the connection within `timeout` (pending data is discarded).
  bool WaitForClose(std::chrono::milliseconds timeout);

  void Close();

 private:
  bool Fill();  // reads more into buffer_; false on timeout/close/error
  std::optional<std::string> ReadLine();

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

// An `Authorization` header value for HTTP basic auth (RFC 7617): "Basic " and the base64 of
// user:password.
std::string BasicAuthorization(std::string_view user, std::string_view password);

// One request on a fresh connection.
std::optional<TestResponse> HttpRequestOnce(
    uint16_t port, std::string_view method, std::string_view target, std::string_view body = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace sluice::testing

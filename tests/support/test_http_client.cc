#include "tests/support/test_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/detail/base64.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace sluice::testing {

TestHttpClient::TestHttpClient(uint16_t port, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Close();
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TestHttpClient::~TestHttpClient() { Close(); }

void TestHttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

uint16_t TestHttpClient::local_port() const {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

bool TestHttpClient::SendRaw(std::string_view bytes) {
  while (fd_ >= 0 && !bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return fd_ >= 0;
}

bool TestHttpClient::Fill() {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (ready <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> TestHttpClient::ReadLine() {
  while (true) {
    size_t eol = buffer_.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 2);
      return line;
    }
    if (!Fill()) return std::nullopt;
  }
}

std::optional<TestResponse> TestHttpClient::ReadResponse(bool head_request) {
  TestResponse response;
  std::optional<std::string> status_line = ReadLine();
  // Skip interim 1xx answers (100 Continue).
  while (status_line && status_line->rfind("HTTP/1.1 1", 0) == 0) {
    while (true) {
      std::optional<std::string> line = ReadLine();
      if (!line) return std::nullopt;
      if (line->empty()) break;
    }
    status_line = ReadLine();
  }
  if (!status_line || status_line->size() < 12 || status_line->rfind("HTTP/1.", 0) != 0) {
    return std::nullopt;
  }
  response.status = std::atoi(status_line->c_str() + 9);
  while (true) {
    std::optional<std::string> line = ReadLine();
    if (!line) return std::nullopt;
    if (line->empty()) break;
    size_t colon = line->find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string name = line->substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line->substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[name] = value;
  }
  if (head_request || response.status == 204 || response.status == 304) return response;
  if (response.Header("transfer-encoding") == "chunked") {
    while (true) {
      std::optional<std::string> size_line = ReadLine();
      if (!size_line) return std::nullopt;
      size_t size = std::stoul(*size_line, nullptr, 16);
      while (buffer_.size() < size + 2) {
        if (!Fill()) return std::nullopt;
      }
      response.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) break;
    }
    return response;
  }
  std::string length = response.Header("content-length");
  if (length.empty()) {
    while (Fill()) {
    }
    response.body = std::move(buffer_);
    buffer_.clear();
    return response;
  }
  size_t size = std::stoul(length);
  while (buffer_.size() < size) {
    if (!Fill()) return std::nullopt;
  }
  response.body = buffer_.substr(0, size);
  buffer_.erase(0, size);
  return response;
}

std::optional<TestResponse> TestHttpClient::Request(
    std::string_view method, std::string_view target, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request;
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    request.append(name).append(": ").append(value).append("\r\n");
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    has_length = has_length || lower == "content-length" || lower == "transfer-encoding";
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT")) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);
  if (!SendRaw(request)) return std::nullopt;
  return ReadResponse(method == "HEAD");
}

bool TestHttpClient::ReadUntil(std::string_view marker) {
  while (true) {
    size_t at = buffer_.find(marker);
    if (at != std::string::npos) {
      buffer_.erase(0, at + marker.size());
      return true;
    }
    if (!Fill()) return false;
  }
}

bool TestHttpClient::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 50);
    if (ready <= 0) continue;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
  }
  return false;
}

std::optional<TestResponse> HttpRequestOnce(
    uint16_t port, std::string_view method, std::string_view target, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  TestHttpClient client(port);
  if (!client.connected()) return std::nullopt;
  return client.Request(method, target, body, headers);
}

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  namespace base64 = boost::beast::detail::base64;
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string encoded(base64::encoded_size(plain.size()), '\0');
  encoded.resize(base64::encode(encoded.data(), plain.data(), plain.size()));
  return "Basic " + encoded;
}

}  // namespace sluice::testing

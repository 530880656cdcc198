#include "tests/support/webhook_receiver.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sluice::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct WebhookReceiver::Impl {
  std::function<int(size_t)> respond;
  std::chrono::milliseconds hang;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  uint16_t port = 0;
  std::thread thread;

  mutable std::mutex mu;
  mutable std::condition_variable changed;
  std::vector<ReceivedRequest> requests;  // guarded by mu
  size_t answered_2xx = 0;                // guarded by mu

  asio::awaitable<void> AcceptLoop() {
    while (true) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // the acceptor was closed
      asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
    }
  }

  // Records the request and decides its answer; returns the status (0: hang up
  // without one).
  int Record(const http::request<http::string_body> &request) {
    ReceivedRequest received;
    received.method = std::string(request.method_string());
    received.target = std::string(request.target());
    for (const auto &field : request) {
      received.headers[Lower(field.name_string())] = std::string(field.value());
    }
    received.body = request.body();
    std::lock_guard lock(mu);
    size_t n = requests.size();
    int status = respond ? respond(n) : 200;
    received.answered_status = status;
    requests.push_back(std::move(received));
    changed.notify_all();
    return status;
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    while (true) {
      http::request<http::string_body> request;
      co_await http::async_read(socket, buffer, request,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      int status = Record(request);
      if (status == 0) {
        asio::steady_timer timer(io, hang);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      http::response<http::string_body> response{static_cast<http::status>(status), 11};
      response.set(http::field::content_type, "text/plain");
      response.body() = "answered " + std::to_string(status) + "\n";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      if (status >= 200 && status < 300) {
        std::lock_guard lock(mu);
        ++answered_2xx;
        changed.notify_all();
      }
      if (!response.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
};

WebhookReceiver::WebhookReceiver(std::function<int(size_t n)> respond,
                                 std::chrono::milliseconds hang)
    : impl_(std::make_unique<Impl>()) {
  impl_->respond = std::move(respond);
  impl_->hang = hang;
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->AcceptLoop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

WebhookReceiver::~WebhookReceiver() {
  impl_->io.stop();
  impl_->thread.join();
}

uint16_t WebhookReceiver::port() const { return impl_->port; }

std::string WebhookReceiver::url(const std::string &path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

std::vector<ReceivedRequest> WebhookReceiver::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

size_t WebhookReceiver::answered_2xx() const {
  std::lock_guard lock(impl_->mu);
  return impl_->answered_2xx;
}

bool WebhookReceiver::WaitFor2xx(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->answered_2xx >= n; });
}

}  // namespace sluice::testing

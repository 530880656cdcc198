// ServerStream: one accepted connection's byte stream, plain TCP or TLS over it, behind the one
// interface Beast's HTTP and WebSocket code needs (an AsyncReadStream and AsyncWriteStream with
// WebSocket teardown), so that the server's request loop is the same for both.
//
// Timeouts stay those of the underlying beast::tcp_stream (tcp().expires_after): TLS reads and
// writes go through it, so a stalled TLS peer times out exactly like a stalled plain one.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <memory>
#include <optional>
#include <utility>

namespace sluice::daemon {

class ServerStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;

  // `tls` null: plain TCP. Otherwise the connection speaks TLS with that context (kept alive by
  // the stream, so that a certificate reload does not pull it from under open connections).
  ServerStream(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls)
      : tcp_(std::move(socket)), context_(std::move(tls)) {
    if (context_) tls_.emplace(tcp_, *context_);
  }

  executor_type get_executor() noexcept { return tcp_.get_executor(); }
  boost::beast::tcp_stream& tcp() { return tcp_; }
  bool is_tls() const { return tls_.has_value(); }
  // Only when is_tls(): the handshake and close_notify.
  boost::asio::ssl::stream<boost::beast::tcp_stream&>& tls() { return *tls_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto&& handler, const MutableBuffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::forward<decltype(handler)>(handler));
          } else {
            tcp_.async_read_some(b, std::forward<decltype(handler)>(handler));
          }
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto&& handler, const ConstBuffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::forward<decltype(handler)>(handler));
          } else {
            tcp_.async_write_some(b, std::forward<decltype(handler)>(handler));
          }
        },
        token, buffers);
  }

  // Beast's WebSocket timeouts close the connection this way (argument-dependent lookup).
  friend void beast_close_socket(ServerStream& s) { s.tcp_.close(); }

  // WebSocket closing (found by Beast through argument-dependent lookup): close_notify over
  // TLS, a TCP shutdown otherwise.
  friend void teardown(boost::beast::role_type role, ServerStream& s,
                       boost::system::error_code& ec) {
    if (s.tls_) {
      boost::beast::teardown(role, *s.tls_, ec);
    } else {
      using boost::beast::websocket::teardown;
      teardown(role, s.tcp_.socket(), ec);
    }
  }

  template <class TeardownHandler>
  friend void async_teardown(boost::beast::role_type role, ServerStream& s,
                             TeardownHandler&& handler) {
    if (s.tls_) {
      boost::beast::async_teardown(role, *s.tls_, std::forward<TeardownHandler>(handler));
    } else {
      using boost::beast::websocket::async_teardown;
      async_teardown(role, s.tcp_.socket(), std::forward<TeardownHandler>(handler));
    }
  }

 private:
  boost::beast::tcp_stream tcp_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::optional<boost::asio::ssl::stream<boost::beast::tcp_stream&>> tls_;
};

}  // namespace sluice::daemon

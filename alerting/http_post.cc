#include "alerting/http_post.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/build_info.h"

namespace sluice::alerting {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;

// A receiver's answer is read only to be quoted in a log line; a larger one is
// not kept at all.
constexpr uint64_t kMaxReadBodyBytes = 1 << 20;

// The sessions in flight, so that the poster's destructor can abort them.
// Shared with the sessions, which may outlive the poster by a moment (on a
// caller's io_context).
class SessionRegistry;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context &io, std::shared_ptr<SessionRegistry> registry, uint64_t id, HttpUrl url,
          std::chrono::milliseconds timeout, http::request<http::string_body> request,
          std::function<void(PostResult)> done)
      : strand_(asio::make_strand(io)),
        resolver_(strand_),
        socket_(strand_),
        deadline_(strand_),
        registry_(std::move(registry)),
        id_(id),
        url_(std::move(url)),
        timeout_(timeout),
        request_(std::move(request)),
        done_(std::move(done)) {
    parser_.body_limit(kMaxReadBodyBytes);
  }

  void Start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->Begin(); });
  }

  void Abort(std::string why) {
    asio::dispatch(strand_, [self = shared_from_this(), why = std::move(why)]() mutable {
      self->Fail(std::move(why));
    });
  }

 private:
  void Begin() {
    if (finished_) return;
    deadline_.expires_after(timeout_);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code &ec) {
      if (!ec) self->Fail(fmt::format("timeout after {}ms", self->timeout_.count()));
    });
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](const boost::system::error_code &ec,
                                    const tcp::resolver::results_type &results) {
          self->OnResolved(ec, results);
        });
  }

  void OnResolved(const boost::system::error_code &ec, const tcp::resolver::results_type &results) {
    if (finished_) return;
    if (ec) return Fail(fmt::format("resolving {}: {}", url_.host, ec.message()));
    asio::async_connect(
        socket_, results,
        [self = shared_from_this()](const boost::system::error_code &e, const tcp::endpoint &) {
          self->OnConnected(e);
        });
  }

  void OnConnected(const boost::system::error_code &ec) {
    if (finished_) return;
    if (ec) return Fail(fmt::format("connecting to {}: {}", url_.host_header, ec.message()));
    http::async_write(socket_, request_,
                      [self = shared_from_this()](const boost::system::error_code &e, size_t) {
                        self->OnWritten(e);
                      });
  }

  void OnWritten(const boost::system::error_code &ec) {
    if (finished_) return;
    if (ec) return Fail(fmt::format("sending to {}: {}", url_.host_header, ec.message()));
    http::async_read_header(socket_, buffer_, parser_,
                            [self = shared_from_this()](const boost::system::error_code &e,
                                                        size_t) { self->OnHeader(e); });
  }

  void OnHeader(const boost::system::error_code &ec) {
    if (finished_) return;
    if (ec)
      return Fail(fmt::format("reading the answer of {}: {}", url_.host_header, ec.message()));
    status_ = static_cast<int>(parser_.get().result_int());
    http::async_read(socket_, buffer_, parser_,
                     [self = shared_from_this()](const boost::system::error_code &e, size_t) {
                       self->OnBody(e);
                     });
  }

  void OnBody(const boost::system::error_code &ec) {
    if (finished_) return;
    PostResult result;
    result.status = status_;
    if (ec) result.error = fmt::format("reading the answer's body: {}", ec.message());
    const std::string &body = parser_.get().body();
    result.response_body = body.substr(0, PostResult::kMaxResponseBodyBytes);
    Finish(std::move(result));
  }

  // An error before the whole answer was read. A status already received still
  // counts: the receiver did answer.
  void Fail(std::string error) {
    PostResult result;
    result.status = status_;
    result.error = std::move(error);
    Finish(std::move(result));
  }

  void Finish(PostResult result);

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::shared_ptr<SessionRegistry> registry_;
  uint64_t id_;
  HttpUrl url_;
  std::chrono::milliseconds timeout_;
  http::request<http::string_body> request_;
  std::function<void(PostResult)> done_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  int status_ = 0;
  bool finished_ = false;
};

class SessionRegistry {
 public:
  // Registers a session made by `make(id)`; nullptr once the poster is shutting
  // down.
  template <typename Make>
  std::shared_ptr<Session> Create(Make make) {
    std::lock_guard lock(mu_);
    if (closed_) return nullptr;
    uint64_t id = next_id_++;
    std::shared_ptr<Session> session = make(id);
    sessions_.emplace(id, session);
    return session;
  }

  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
  }

  // Refuses new sessions and returns those in flight.
  std::vector<std::shared_ptr<Session>> Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    std::vector<std::shared_ptr<Session>> live;
    for (auto &[id, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    return live;
  }

 private:
  std::mutex mu_;
  bool closed_ = false;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;
};

void Session::Finish(PostResult result) {
  if (finished_) return;
  finished_ = true;
  boost::system::error_code ignored;
  deadline_.cancel();
  resolver_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  registry_->Remove(id_);
  std::function<void(PostResult)> done = std::move(done_);
  done(std::move(result));
}

// RFC 7230 token characters, which a header name consists of.
bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Why a configured header cannot be sent as is; "" when it can.
std::string HeaderProblem(std::string_view name, std::string_view value) {
  if (name.empty()) return "a header has no name";
  for (unsigned char c : name) {
    if (!IsTokenChar(c)) return fmt::format("header name {:?} is not an HTTP token", name);
  }
  for (unsigned char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return fmt::format("header {} has a line break or NUL in its value", name);
    }
  }
  return "";
}

// Headers whose value the request's framing decides; a configured one would
// corrupt it.
bool IsFramingHeader(std::string_view name) {
  for (std::string_view reserved : {"host", "content-length", "transfer-encoding", "connection"}) {
    if (beast::iequals(name, reserved)) return true;
  }
  return false;
}

// The request for `endpoint`, or why it cannot be made.
Result<http::request<http::string_body>> BuildRequest(const HttpEndpoint &endpoint,
                                                      const HttpUrl &url, std::string body) {
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host_header);
  request.set(http::field::user_agent, fmt::format("Sluice/{}", GetBuildInfo().version));
  request.set(http::field::content_type, "application/json");
  if (!endpoint.bearer_token.empty()) {
    std::string problem = HeaderProblem("Authorization", endpoint.bearer_token);
    if (!problem.empty()) return Status::InvalidArgument("bearer token: " + problem);
    request.set(http::field::authorization, "Bearer " + endpoint.bearer_token);
  } else if (!endpoint.basic_username.empty()) {
    request.set(http::field::authorization,
                BasicAuthorization(endpoint.basic_username, endpoint.basic_password));
  }
  for (const auto &[name, value] : endpoint.headers) {
    std::string problem = HeaderProblem(name, value);
    if (!problem.empty()) return Status::InvalidArgument(problem);
    if (IsFramingHeader(name)) continue;
    request.set(name, value);
  }
  request.set(http::field::connection, "close");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !beast::iequals(url.substr(0, kScheme.size()), kScheme)) {
    if (url.size() >= 8 && beast::iequals(url.substr(0, 8), "https://")) {
      return Status::InvalidArgument(
          fmt::format("{}: https is not supported (put a TLS-terminating proxy in front)", url));
    }
    return Status::InvalidArgument(fmt::format("{}: not an http:// URL", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t end_of_authority = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end_of_authority);
  std::string_view target =
      end_of_authority == std::string_view::npos ? "" : rest.substr(end_of_authority);
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);  // a fragment is never sent
  }
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("{}: credentials in the URL are not supported (use basic_auth)", url));
  }
  HttpUrl parsed;
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("{}: unterminated IPv6 address", url));
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument(fmt::format("{}: bad host", url));
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument(fmt::format("{}: no host", url));
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0) {
      return Status::InvalidArgument(fmt::format("{}: bad port {:?}", url, port));
    }
  }
  parsed.host = std::string(host);
  parsed.port = port.empty() ? "80" : std::string(port);
  parsed.host_header = std::string(authority);
  if (target.empty()) {
    parsed.target = "/";
  } else if (target.front() == '?') {
    parsed.target = "/" + std::string(target);
  } else {
    parsed.target = std::string(target);
  }
  return parsed;
}

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain = fmt::format("{}:{}", user, password);
  std::string out = "Basic ";
  size_t i = 0;
  for (; i + 3 <= plain.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(plain[i]) << 16) |
                 (static_cast<uint8_t>(plain[i + 1]) << 8) | static_cast<uint8_t>(plain[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t left = plain.size() - i;
  if (left > 0) {
    uint32_t n = static_cast<uint8_t>(plain[i]) << 16;
    if (left == 2) n |= static_cast<uint8_t>(plain[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

struct BeastHttpPoster::Impl {
  std::unique_ptr<asio::io_context> own_io;
  asio::io_context *io = nullptr;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::shared_ptr<SessionRegistry> registry = std::make_shared<SessionRegistry>();

  // Calls `done` with `error` on the IO thread, as every other outcome is
  // delivered.
  void FailLater(std::string error, std::function<void(PostResult)> done) {
    asio::post(*io, [error = std::move(error), done = std::move(done)] {
      PostResult result;
      result.error = error;
      done(std::move(result));
    });
  }
};

BeastHttpPoster::BeastHttpPoster() : impl_(std::make_unique<Impl>()) {
  impl_->own_io = std::make_unique<asio::io_context>(1);
  impl_->io = impl_->own_io.get();
  impl_->work.emplace(asio::make_work_guard(*impl_->io));
  impl_->thread = std::thread([io = impl_->io] {
    pthread_setname_np(pthread_self(), "sluice-notify");
    while (true) {
      try {
        io->run();
        return;
      } catch (const std::exception &e) {
        // A `done` callback threw; the other posts must still complete.
        spdlog::error("notification HTTP client: {}", e.what());
      }
    }
  });
}

BeastHttpPoster::BeastHttpPoster(asio::io_context &io) : impl_(std::make_unique<Impl>()) {
  impl_->io = &io;
}

BeastHttpPoster::~BeastHttpPoster() {
  for (auto &session : impl_->registry->Close()) session->Abort("cancelled: shutting down");
  impl_->work.reset();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void BeastHttpPoster::Post(const HttpEndpoint &endpoint, std::string body,
                           std::function<void(PostResult)> done) {
  Result<HttpUrl> url = ParseHttpUrl(endpoint.url);
  if (!url.ok()) return impl_->FailLater(url.status().message(), std::move(done));
  auto request = BuildRequest(endpoint, *url, std::move(body));
  if (!request.ok()) return impl_->FailLater(request.status().message(), std::move(done));
  std::chrono::milliseconds timeout = std::max(endpoint.timeout, std::chrono::milliseconds(1));
  std::function<void(PostResult)> on_refused = done;
  std::shared_ptr<Session> session = impl_->registry->Create([&](uint64_t id) {
    return std::make_shared<Session>(*impl_->io, impl_->registry, id, std::move(*url), timeout,
                                     std::move(*request), std::move(done));
  });
  if (!session) return impl_->FailLater("cancelled: shutting down", std::move(on_refused));
  session->Start();
}

}  // namespace sluice::alerting

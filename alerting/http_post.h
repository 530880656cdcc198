// HttpPoster: sends one notification's HTTP POST and reports what came back.
// The delivery queue (notification_delivery.h) decides from the PostResult
// whether to retry; the poster itself never retries and keeps no connection
// open between posts (notifications are rare; a fresh connection also spares us
// a stale keep-alive socket after the receiver restarted).
//
// BeastHttpPoster: plain http:// only. Each post runs resolve + connect + write
// + read under one deadline, endpoint.timeout. It sends Content-Type:
// application/json, User-Agent: Sluice/<version>, the endpoint's Authorization
// (Bearer when bearer_token is set, else Basic when basic_username is) and its
// extra headers, which may replace those defaults but not the framing headers
// (Host, Content-Length, Transfer-Encoding, Connection), which are the
// poster's.
//
// Threads: Post may be called from any thread; many posts may be in flight at
// once. `done` is called exactly once per Post, on the poster's IO thread,
// never from inside Post.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alerting/notification.h"
#include "base/result.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace sluice::alerting {

struct PostResult {
  int status = 0;             // the HTTP status; 0 when no answer came (see `error`)
  std::string error;          // why there was no (complete) answer: timeout, refused,
                              // ...; "" if ok
  std::string response_body;  // the start of the answer's body, at most
                              // kMaxResponseBodyBytes

  static constexpr size_t kMaxResponseBodyBytes = 4096;

  bool success() const { return status >= 200 && status < 300; }
};

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  virtual void Post(const HttpEndpoint &endpoint, std::string body,
                    std::function<void(PostResult)> done) = 0;
};

// An http:// URL split for a request. `host` has no brackets (IPv6); `port`
// defaults to 80; `target` is the path and query ("/" when the URL has none);
// `host_header` is what Host carries.
struct HttpUrl {
  std::string host;
  std::string port;
  std::string target;
  std::string host_header;
};
// InvalidArgument for anything but http://host[:port][/path][?query] (https,
// user info, no host).
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// "Basic " + base64("user:password"), as RFC 7617 writes it.
std::string BasicAuthorization(std::string_view user, std::string_view password);

class BeastHttpPoster final : public HttpPoster {
 public:
  // Runs its own IO thread.
  BeastHttpPoster();
  // Runs on `io` (which must outlive the poster), whose threads the caller
  // runs.
  explicit BeastHttpPoster(boost::asio::io_context &io);
  // Aborts the posts in flight (their `done` gets an error) and, with its own
  // thread, joins it.
  ~BeastHttpPoster() override;
  BeastHttpPoster(const BeastHttpPoster &) = delete;
  BeastHttpPoster &operator=(const BeastHttpPoster &) = delete;

  void Post(const HttpEndpoint &endpoint, std::string body,
            std::function<void(PostResult)> done) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::alerting

#include "daemon/http/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "tests/support/compress.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/test_http_client.h"

namespace sluice::daemon {
namespace {

using testing::Gzip;
using ::testing::HasSubstr;
using testing::TestHttpClient;
using testing::TestResponse;
using namespace std::chrono_literals;

// A handler answer parked by the test, to control when a request finishes.
class ParkedResponders {
 public:
  void Park(Responder r) {
    std::lock_guard lock(mu_);
    parked_.push_back(std::move(r));
    cv_.notify_all();
  }
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return parked_.size() >= n; });
  }
  std::shared_ptr<const std::atomic<bool>> ClientGone(size_t i) {
    std::lock_guard lock(mu_);
    return parked_.at(i).ClientGone();
  }
  void AnswerAll(int status) {
    std::lock_guard lock(mu_);
    for (auto& r : parked_) r.Send(HttpResponse::Text(status, "finally"));
    parked_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder> parked_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : metrics_(registry_) {
    router_.Add({HttpMethod::kGet}, "/hello",
                [](HttpRequest, Responder r) { r.Send(HttpResponse::Text(200, "hello")); });
    router_.Add({HttpMethod::kPost, HttpMethod::kPut}, "/echo", [](HttpRequest req, Responder r) {
      HttpResponse res = HttpResponse::Text(200, req.body);
      res.headers.Set("X-Wire-Bytes", std::to_string(req.wire_body_bytes));
      res.headers.Set("X-Remote", req.remote_address);
      res.headers.Set("X-Padded", req.body.capacity() >= req.body.size() + 64 ? "yes" : "no");
      r.Send(std::move(res));
    });
    router_.Add({HttpMethod::kGet}, "/items/{id}/tags/{tag}", [](HttpRequest req, Responder r) {
      r.Send(HttpResponse::Text(200, std::string(req.PathParam("id")) + "|" +
                                         std::string(req.PathParam("tag")) + "|" +
                                         std::string(req.params.Get("q"))));
    });
    router_.Add({HttpMethod::kGet}, "/later", [this](HttpRequest, Responder r) {
      std::lock_guard lock(threads_mu_);
      threads_.emplace_back([r = std::move(r)]() mutable {
        std::this_thread::sleep_for(20ms);
        r.Send(HttpResponse::Text(202, "from another thread"));
      });
    });
    router_.Add({HttpMethod::kGet}, "/drop", [](HttpRequest, Responder) {});
    router_.Add({HttpMethod::kGet}, "/throw",
                [](HttpRequest, Responder) -> void { throw std::runtime_error("boom"); });
    router_.Add({HttpMethod::kPost}, "/park",
                [this](HttpRequest, Responder r) { parked_.Park(std::move(r)); });
  }

  ~HttpServerTest() override {
    parked_.AnswerAll(503);
    {
      std::lock_guard lock(threads_mu_);
      for (auto& t : threads_) t.join();
    }
    if (server_) server_->Stop();
  }

  static config::ServerConfig FastConfig() {
    config::ServerConfig c;
    c.http_listen = "127.0.0.1:0";
    c.io_threads = 2;
    c.max_request_bytes = 64 << 10;
    c.max_decoded_bytes = 256 << 10;
    c.max_header_bytes = 4 << 10;
    c.read_header_timeout = 300ms;
    c.read_timeout = 300ms;
    c.write_timeout = 2s;
    c.idle_timeout = 500ms;
    c.shutdown_timeout = 2s;
    return c;
  }

  void Start(config::ServerConfig c = FastConfig()) {
    server_ = std::make_unique<HttpServer>(c, router_, metrics_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.message();
    port_ = server_->port();
  }

  // Polls `condition` for up to 3 s: what the server does after a client sees a close.
  static bool Eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 150; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return condition();
  }

  testing::PrometheusSamples Metrics() {
    auto parsed =
        testing::ParsePrometheusText(prometheus::TextSerializer().Serialize(registry_.Collect()));
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return parsed.ok() ? *parsed : testing::PrometheusSamples{};
  }

  prometheus::Registry registry_;
  HttpMetrics metrics_;
  Router router_;
  ParkedResponders parked_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start();
  TestHttpClient client(port_);
  ASSERT_TRUE(client.connected());
  std::string local = "127.0.0.1:" + std::to_string(client.local_port());
  for (int i = 0; i < 5; ++i) {
    auto r = client.Request("POST", "/echo", "n" + std::to_string(i));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "n" + std::to_string(i));
    EXPECT_EQ(r->Header("x-remote"), local) << "served on the same connection";
    EXPECT_EQ(r->Header("connection"), "");
  }
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Start();
  TestHttpClient client(port_);
  auto r = client.Request("GET", "/hello", "", {{"Connection", "close"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose(2s));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  TestHttpClient client(port_);
  client.SendRaw(
      "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /items/7/tags/x HTTP/1.1\r\nHost: x\r\n\r\n");
  auto a = client.ReadResponse();
  auto b = client.ReadResponse();
  auto c = client.ReadResponse();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->body, "hello");
  EXPECT_EQ(b->body, "abc");
  EXPECT_EQ(c->body, "7|x|");
}

TEST_F(HttpServerTest, PathAndQueryParametersAreDecoded) {
  Start();
  auto r =
      testing::HttpRequestOnce(port_, "GET", "/items/a%2Fb/tags/t%20x?q=%7Bjob%3D%22x%22%7D+y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "a/b|t x|{job=\"x\"} y");
}

TEST_F(HttpServerTest, UnknownPathsAndMethodsGetJsonErrors) {
  Start();
  auto missing = testing::HttpRequestOnce(port_, "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->Header("content-type"), "application/json");
  EXPECT_EQ(missing->body,
            R"({"status":"error","errorType":"not_found","error":"no endpoint GET /nope"})");

  auto wrong = testing::HttpRequestOnce(port_, "DELETE", "/echo");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("allow"), "POST, PUT");
  EXPECT_THAT(wrong->body, HasSubstr(R"("errorType":"method_not_allowed")"));
}

TEST_F(HttpServerTest, HeadSendsOnlyTheHeadersOfGet) {
  Start();
  TestHttpClient client(port_);
  auto r = client.Request("HEAD", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), "5");
  EXPECT_EQ(r->body, "");
  auto next = client.Request("GET", "/hello");  // no stray body bytes on the connection
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(HttpServerTest, OversizedBodyIsRefusedWith413BeforeItIsSent) {
  Start();
  TestHttpClient client(port_);
  client.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
  auto r = client.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_THAT(r->body, HasSubstr("exceeds the limit of 65536 bytes (server.max_request_bytes)"));
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose(3s));
}

TEST_F(HttpServerTest, OversizedChunkedBodyIsRefusedWith413) {
  Start();
  TestHttpClient client(port_);
  std::string chunk(32 << 10, 'x');
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 3; ++i) request += size + chunk + "\r\n";
  request += "0\r\n\r\n";
  client.SendRaw(request);
  auto r = client.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, ChunkedBodyWithinTheLimitIsAccepted) {
  Start();
  TestHttpClient client(port_);
  client.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto r = client.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "abcde");
}

TEST_F(HttpServerTest, OversizedHeadersAreRefusedWith431) {
  Start();
  TestHttpClient client(port_);
  auto r = client.Request("GET", "/hello", "", {{"X-Big", std::string(8 << 10, 'a')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  Start();
  TestHttpClient client(port_);
  client.SendRaw("GET /hello HTTP/1.1\r\nHost x\r\n\r\n");
  auto r = client.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("malformed HTTP request"));
}

TEST_F(HttpServerTest, SlowHeadersAreCutOffAtTheHeaderTimeout) {
  Start();
  TestHttpClient client(port_);
  auto begin = std::chrono::steady_clock::now();
  client.SendRaw("GET /hello HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  EXPECT_TRUE(client.WaitForClose(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 250ms);
  EXPECT_TRUE(Eventually([&] {
    return Metrics()["sluice_http_request_errors_total{reason=\"header_timeout\"}"] == 1;
  }));
}

TEST_F(HttpServerTest, SlowBodiesAreCutOffAtTheReadTimeout) {
  Start();
  TestHttpClient client(port_);
  client.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part");
  EXPECT_TRUE(client.WaitForClose(3s));
  EXPECT_TRUE(Eventually(
      [&] { return Metrics()["sluice_http_request_errors_total{reason=\"body_timeout\"}"] == 1; }));
}

TEST_F(HttpServerTest, ADripFeedingClientCannotOutlastTheHeaderTimeout) {
  Start();
  TestHttpClient client(port_);
  auto begin = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 60 && !closed; ++i) {  // one byte every 50 ms, for at most 3 s
    closed = !client.SendRaw("X") || client.WaitForClose(50ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
}

TEST_F(HttpServerTest, SilentAndIdleConnectionsAreClosed) {
  Start();
  TestHttpClient silent(port_);
  TestHttpClient idle(port_);
  ASSERT_TRUE(idle.Request("GET", "/hello"));
  EXPECT_TRUE(silent.WaitForClose(3s));
  EXPECT_TRUE(idle.WaitForClose(3s));
  EXPECT_TRUE(Eventually([&] { return Metrics()["sluice_http_open_connections"] == 0; }));
}

TEST_F(HttpServerTest, Expect100ContinueGetsAnInterimAnswer) {
  Start();
  TestHttpClient client(port_);
  client.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(client.ReadUntil("HTTP/1.1 100 Continue\r\n\r\n"));
  client.SendRaw("body");
  auto r = client.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body");
}

TEST_F(HttpServerTest, CompressedBodiesAreDecodedAndPadded) {
  Start();
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + " of a compressible body\n";
  std::string zstd(ZSTD_compressBound(text.size()), '\0');
  zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), text.data(), text.size(), 1));
  std::string snappy;
  snappy::Compress(text.data(), text.size(), &snappy);
  TestHttpClient client(port_);
  for (auto [encoding, body] : {std::pair<std::string, std::string>{"gzip", Gzip(text)},
                                {"zstd", zstd},
                                {"snappy", snappy},
                                {"identity", text}}) {
    auto r = client.Request("POST", "/echo", body, {{"Content-Encoding", encoding}});
    ASSERT_TRUE(r) << encoding;
    EXPECT_EQ(r->status, 200) << encoding;
    EXPECT_EQ(r->body, text) << encoding;
    EXPECT_EQ(r->Header("x-wire-bytes"), std::to_string(body.size()));
    EXPECT_EQ(r->Header("x-padded"), "yes");
  }
}

TEST_F(HttpServerTest, BadEncodingsAreClientErrors) {
  Start();
  TestHttpClient client(port_);
  auto unsupported = client.Request("POST", "/echo", "x", {{"Content-Encoding", "br"}});
  ASSERT_TRUE(unsupported);
  EXPECT_EQ(unsupported->status, 415);
  auto corrupt = client.Request("POST", "/echo", "not gzip", {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(corrupt);
  EXPECT_EQ(corrupt->status, 400);
  EXPECT_THAT(corrupt->body, HasSubstr("gzip request body is corrupt"));
  auto bomb = client.Request("POST", "/echo", Gzip(std::string(1 << 20, 'a')),
                             {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->status, 413);
  EXPECT_THAT(bomb->body, HasSubstr("server.max_decoded_bytes"));
  auto after = client.Request("GET", "/hello");  // the connection is still usable
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, HandlersMayAnswerFromAnotherThread) {
  Start();
  TestHttpClient client(port_);
  for (int i = 0; i < 3; ++i) {
    auto r = client.Request("GET", "/later");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    EXPECT_EQ(r->body, "from another thread");
  }
}

TEST_F(HttpServerTest, ForgottenAndThrowingHandlersAnswer500) {
  Start();
  TestHttpClient client(port_);
  auto dropped = client.Request("GET", "/drop");
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->status, 500);
  auto threw = client.Request("GET", "/throw");
  ASSERT_TRUE(threw);
  EXPECT_EQ(threw->status, 500);
  auto after = client.Request("GET", "/hello");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, ConcurrentClientsGetTheirOwnAnswers) {
  Start();
  constexpr int kClients = 8;
  constexpr int kRequests = 50;
  std::vector<std::future<int>> done;
  for (int c = 0; c < kClients; ++c) {
    done.push_back(std::async(std::launch::async, [this, c] {
      TestHttpClient client(port_);
      int ok = 0;
      for (int i = 0; i < kRequests; ++i) {
        std::string body = "client " + std::to_string(c) + " request " + std::to_string(i);
        auto r = client.Request("POST", "/echo", body);
        if (r && r->status == 200 && r->body == body) ++ok;
      }
      return ok;
    }));
  }
  for (auto& f : done) EXPECT_EQ(f.get(), kRequests);
  EXPECT_EQ(Metrics()["sluice_http_requests_total{code=\"200\",route=\"/echo\"}"],
            kClients * kRequests);
}

TEST_F(HttpServerTest, MetricsCountRequestsBytesAndConnections) {
  Start();
  TestHttpClient client(port_);
  ASSERT_TRUE(client.Request("GET", "/hello"));
  ASSERT_TRUE(client.Request("POST", "/echo", "12345"));
  ASSERT_TRUE(client.Request("GET", "/nope"));
  testing::PrometheusSamples m = Metrics();
  EXPECT_EQ(m["sluice_http_requests_total{code=\"200\",route=\"/hello\"}"], 1);
  EXPECT_EQ(m["sluice_http_requests_total{code=\"404\",route=\"unmatched\"}"], 1);
  EXPECT_EQ(m["sluice_http_request_body_bytes_total{route=\"/echo\"}"], 5);
  EXPECT_TRUE(Eventually([&] {
    return Metrics()["sluice_http_request_duration_seconds_count{route=\"/hello\"}"] == 1;
  }));
  EXPECT_EQ(m["sluice_http_open_connections"], 1);
  EXPECT_EQ(m["sluice_http_connections_total"], 1);
  client.Close();
  EXPECT_TRUE(Eventually([&] { return Metrics()["sluice_http_open_connections"] == 0; }));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosed) {
  config::ServerConfig c = FastConfig();
  c.max_connections = 2;
  c.idle_timeout = 5s;
  Start(c);
  TestHttpClient a(port_);
  TestHttpClient b(port_);
  ASSERT_TRUE(a.Request("GET", "/hello"));
  ASSERT_TRUE(b.Request("GET", "/hello"));
  TestHttpClient third(port_);
  EXPECT_TRUE(third.WaitForClose(3s));
  EXPECT_TRUE(Eventually([&] { return Metrics()["sluice_http_connections_rejected_total"] == 1; }));
  ASSERT_TRUE(a.Request("GET", "/hello"));
}

TEST_F(HttpServerTest, ShutdownFinishesRequestsInFlightAndClosesIdleConnections) {
  config::ServerConfig c = FastConfig();
  c.idle_timeout = 10s;
  Start(c);
  TestHttpClient busy(port_);
  TestHttpClient idle(port_);
  ASSERT_TRUE(idle.Request("GET", "/hello"));
  busy.SendRaw("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(parked_.WaitFor(1, 5s));

  auto shutdown = std::async(std::launch::async, [this] { return server_->Shutdown(10s); });
  EXPECT_TRUE(idle.WaitForClose(3s)) << "idle keep-alive connections close at once";
  TestHttpClient late(port_);
  EXPECT_TRUE(!late.connected() || late.WaitForClose(3s)) << "no new connections are served";
  EXPECT_EQ(shutdown.wait_for(100ms), std::future_status::timeout) << "waits for the busy request";

  parked_.AnswerAll(200);
  auto r = busy.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finally");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(shutdown.get(), 0u) << "nothing had to be closed forcibly";
}

TEST_F(HttpServerTest, HandlersLearnWhenTheClientGoesAwayBeforeTheAnswer) {
  Start();
  auto staying = std::make_unique<TestHttpClient>(port_);
  auto leaving = std::make_unique<TestHttpClient>(port_);
  staying->SendRaw("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(parked_.WaitFor(1, 5s));
  leaving->SendRaw("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(parked_.WaitFor(2, 5s));
  auto staying_gone = parked_.ClientGone(0);
  auto leaving_gone = parked_.ClientGone(1);
  leaving.reset();  // closes its socket
  EXPECT_TRUE(Eventually([&] { return leaving_gone->load(); }));
  EXPECT_FALSE(staying_gone->load());
  parked_.AnswerAll(200);
  auto r = staying->ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(staying_gone->load());
  // The connection serves its next request normally after the watch.
  ASSERT_TRUE(staying->Request("GET", "/hello"));
}

TEST_F(HttpServerTest, ShutdownClosesWhatIsStillBusyAfterTheGracePeriod) {
  Start();
  TestHttpClient busy(port_);
  busy.SendRaw("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(parked_.WaitFor(1, 5s));
  auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->Shutdown(200ms), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s);
  EXPECT_TRUE(busy.WaitForClose(3s));
  parked_.AnswerAll(200);  // too late: nobody to deliver to, and nothing breaks
}

TEST_F(HttpServerTest, ListenAddressFormsAreAccepted) {
  config::ServerConfig c = FastConfig();
  c.http_listen = "localhost:0";
  Start(c);
  EXPECT_GT(port_, 0);
  EXPECT_TRUE(testing::HttpRequestOnce(port_, "GET", "/hello"));
}

TEST(HttpServer, UnusableListenAddressIsAClearError) {
  Router router;
  prometheus::Registry registry;
  HttpMetrics metrics(registry);
  config::ServerConfig c;
  c.io_threads = 1;
  c.http_listen = "127.0.0.1";
  HttpServer no_port(c, router, metrics);
  EXPECT_THAT(no_port.Start().message(), HasSubstr("has no port"));

  c.http_listen = "127.0.0.1:0";
  HttpServer first(c, router, metrics);
  ASSERT_TRUE(first.Start().ok());
  c.http_listen = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(c, router, metrics);
  EXPECT_THAT(second.Start().message(), HasSubstr("cannot listen on"));
}

}  // namespace
}  // namespace sluice::daemon

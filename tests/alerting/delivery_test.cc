// Tests of notification delivery: the HTTP poster against a local receiver, the
// durable outbox with a scripted poster on a fake clock, one end-to-end run of
// both, and the Alertmanager sender's batches and body.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "alerting/alertmanager_sender.h"
#include "alerting/http_post.h"
#include "alerting/kv_store.h"
#include "alerting/notification_delivery.h"
#include "base/build_info.h"
#include "base/clock.h"
#include "tests/support/webhook_receiver.h"

namespace sluice::alerting {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::WebhookReceiver;

// ---------------------------------------------------------------------------------------------
// Helpers

HttpEndpoint Endpoint(std::string url) {
  HttpEndpoint endpoint;
  endpoint.url = std::move(url);
  return endpoint;
}

// Posts and waits (bounded) for the result.
std::optional<PostResult> PostAndWait(HttpPoster &poster, const HttpEndpoint &endpoint,
                                      std::string body, milliseconds wait = milliseconds(10'000)) {
  auto promise = std::make_shared<std::promise<PostResult>>();
  std::future<PostResult> future = promise->get_future();
  poster.Post(endpoint, std::move(body),
              [promise](PostResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(wait) != std::future_status::ready) return std::nullopt;
  return future.get();
}

PostResult Answer(int status, std::string body = "") {
  PostResult result;
  result.status = status;
  result.response_body = std::move(body);
  if (status == 0) result.error = "connection refused";
  return result;
}

// A poster whose answers a test scripts: `script(n)` answers the n-th post at
// once (inside Post), or, returning nullopt, leaves it pending until
// AnswerPending().
class ScriptedPoster final : public HttpPoster {
 public:
  struct Call {
    HttpEndpoint endpoint;
    std::string body;
    std::chrono::steady_clock::time_point at;
  };

  explicit ScriptedPoster(const Clock &clock,
                          std::function<std::optional<PostResult>(size_t n)> script = {})
      : clock_(clock), script_(std::move(script)) {}

  void Post(const HttpEndpoint &endpoint, std::string body,
            std::function<void(PostResult)> done) override {
    size_t n = 0;
    {
      std::lock_guard lock(mu_);
      n = calls_.size();
      calls_.push_back({endpoint, std::move(body), clock_.SteadyNow()});
    }
    std::optional<PostResult> answer = script_ ? script_(n) : std::nullopt;
    if (answer) {
      done(std::move(*answer));
      return;
    }
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(done));
  }

  // Answers the oldest pending post; false when none is pending.
  bool AnswerPending(PostResult result) {
    std::function<void(PostResult)> done;
    {
      std::lock_guard lock(mu_);
      if (pending_.empty()) return false;
      done = std::move(pending_.front());
      pending_.erase(pending_.begin());
    }
    done(std::move(result));
    return true;
  }

  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  size_t pending() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }

 private:
  const Clock &clock_;
  std::function<std::optional<PostResult>(size_t)> script_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::vector<std::function<void(PostResult)>> pending_;
};

// A metric's value: a counter's or gauge's value, a histogram's sample count; 0
// when the series does not exist (a labelled counter appears on its first
// increment).
double Metric(prometheus::Registry &registry, std::string_view name,
              std::string_view receiver = "") {
  for (const auto &family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto &metric : family.metric) {
      bool match = receiver.empty();
      for (const auto &label : metric.label) {
        if (label.name == "receiver" && label.value == receiver) match = true;
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default:
          return -1;
      }
    }
  }
  return 0;
}

std::map<std::string, std::string> StoreContents(const KvStore &store) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(store
                  .Scan("",
                        [&](std::string_view k, std::string_view v) {
                          out.emplace(k, v);
                          return true;
                        })
                  .ok());
  return out;
}

Notification MakeNotification(std::string receiver, std::string body) {
  Notification n;
  n.receiver = std::move(receiver);
  n.group_key = "{}:{alertname=\"X\"}";
  n.endpoint.url = "http://127.0.0.1:1/hook";
  n.body = std::move(body);
  return n;
}

const auto kStart = std::chrono::system_clock::time_point(seconds(1'800'000'000));

DeliveryOptions TestOptions() {
  DeliveryOptions options;
  options.jitter_seed = 42;
  options.stop_grace = milliseconds(0);
  return options;
}

// Calls ProcessDue every `step` of fake time for `duration`.
void RunFor(NotificationDelivery &delivery, FakeClock &clock, milliseconds duration,
            milliseconds step = milliseconds(100)) {
  for (milliseconds t{0}; t < duration; t += step) {
    delivery.ProcessDue();
    clock.Advance(step);
  }
}

// ---------------------------------------------------------------------------------------------
// HttpPost: BeastHttpPoster against a WebhookReceiver

TEST(HttpPostTest, PostArrivesWithMethodPathHeadersAndBody) {
  WebhookReceiver receiver;
  BeastHttpPoster poster;
  HttpEndpoint endpoint;
  endpoint.url = receiver.url("/hooks/oncall?team=sre");
  endpoint.bearer_token = "s3cret";
  endpoint.headers = {{"X-Scope-OrgID", "tenant-1"}, {"X-Empty", ""}};
  std::optional<PostResult> result = PostAndWait(poster, endpoint, R"({"alerts":[]})");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(result->success());
  EXPECT_EQ(result->error, "");
  EXPECT_EQ(result->response_body, "answered 200\n");

  std::vector<testing::ReceivedRequest> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto &r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hooks/oncall?team=sre");
  EXPECT_EQ(r.body, R"({"alerts":[]})");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("user-agent"), fmt::format("Sluice/{}", GetBuildInfo().version));
  EXPECT_EQ(r.headers.at("authorization"), "Bearer s3cret");
  EXPECT_EQ(r.headers.at("x-scope-orgid"), "tenant-1");
  EXPECT_EQ(r.headers.count("x-empty"), 1u);
  EXPECT_EQ(r.headers.at("host"), fmt::format("127.0.0.1:{}", receiver.port()));
  EXPECT_EQ(r.headers.at("content-length"), "13");
}

TEST(HttpPostTest, BasicAuthAndHeadersThatReplaceDefaults) {
  // RFC 7617's example.
  EXPECT_EQ(BasicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(BasicAuthorization("a", ""), "Basic YTo=");
  EXPECT_EQ(BasicAuthorization("ab", ""), "Basic YWI6");

  WebhookReceiver receiver;
  BeastHttpPoster poster;
  HttpEndpoint endpoint;
  endpoint.url = receiver.url();
  endpoint.basic_username = "Aladdin";
  endpoint.basic_password = "open sesame";
  // A configured header replaces a default; framing headers stay the poster's.
  endpoint.headers = {{"Content-Type", "application/vnd.custom+json"},
                      {"Content-Length", "999"},
                      {"Host", "evil.example"}};
  std::optional<PostResult> result = PostAndWait(poster, endpoint, "{}");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, 200);
  std::vector<testing::ReceivedRequest> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/vnd.custom+json");
  EXPECT_EQ(requests[0].headers.at("content-length"), "2");
  EXPECT_EQ(requests[0].headers.at("host"), fmt::format("127.0.0.1:{}", receiver.port()));
  EXPECT_EQ(requests[0].body, "{}");
}

TEST(HttpPostTest, ErrorStatusIsReportedWithBody) {
  WebhookReceiver receiver([](size_t) { return 503; });
  BeastHttpPoster poster;
  std::optional<PostResult> result = PostAndWait(poster, Endpoint(receiver.url()), "x");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, 503);
  EXPECT_FALSE(result->success());
  EXPECT_EQ(result->response_body, "answered 503\n");
}

TEST(HttpPostTest, HangingReceiverTimesOutInBoundedTime) {
  WebhookReceiver receiver([](size_t) { return 0; }, milliseconds(5'000));
  BeastHttpPoster poster;
  HttpEndpoint endpoint = Endpoint(receiver.url("/slow"));
  endpoint.timeout = milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  std::optional<PostResult> result = PostAndWait(poster, endpoint, "{}", milliseconds(4'000));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, 0);
  EXPECT_NE(result->error.find("timeout"), std::string::npos) << result->error;
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2'000));
  EXPECT_EQ(receiver.requests().size(),
            1u);  // it did arrive; the answer did not
}

TEST(HttpPostTest, ConnectionRefused) {
  uint16_t port = 0;
  {
    WebhookReceiver gone;  // a port that was just free and is closed again
    port = gone.port();
  }
  BeastHttpPoster poster;
  HttpEndpoint endpoint = Endpoint(fmt::format("http://127.0.0.1:{}/hook", port));
  auto start = std::chrono::steady_clock::now();
  std::optional<PostResult> result = PostAndWait(poster, endpoint, "{}", milliseconds(4'000));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, 0);
  EXPECT_NE(result->error.find("refused"), std::string::npos) << result->error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2'000));
}

TEST(HttpPostTest, BadUrlOrHeaderFailsWithoutSending) {
  BeastHttpPoster poster;
  std::optional<PostResult> https = PostAndWait(poster, Endpoint("https://example.com/"), "{}");
  ASSERT_TRUE(https.has_value());
  EXPECT_EQ(https->status, 0);
  EXPECT_NE(https->error.find("https is not supported"), std::string::npos) << https->error;

  WebhookReceiver receiver;
  HttpEndpoint injected = Endpoint(receiver.url());
  injected.headers = {{"X-Bad", "a\r\nX-Injected: 1"}};
  std::optional<PostResult> bad = PostAndWait(poster, injected, "{}");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 0);
  EXPECT_NE(bad->error.find("line break"), std::string::npos) << bad->error;
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(HttpPostTest, ParseHttpUrl) {
  Result<HttpUrl> u = ParseHttpUrl("http://am.example:9093/prefix/api/v2/alerts?x=1#frag");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "am.example");
  EXPECT_EQ(u->port, "9093");
  EXPECT_EQ(u->target, "/prefix/api/v2/alerts?x=1");
  EXPECT_EQ(u->host_header, "am.example:9093");

  u = ParseHttpUrl("HTTP://[::1]:8080");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->host_header, "[::1]:8080");

  u = ParseHttpUrl("http://hooks?a=b");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->target, "/?a=b");

  for (std::string_view bad :
       {"https://x/", "ftp://x/", "http://", "http://:80/", "http://user:pw@x/", "http://x:99999/",
        "http://x:8a/", "http://[::1/"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
  }
}

TEST(HttpPostTest, ManyPostsInFlightAtOnce) {
  // Each request is held 300 ms: done one after the other, 8 would take 2.4 s.
  WebhookReceiver slow([](size_t) { return 0; }, milliseconds(300));
  WebhookReceiver fast;
  BeastHttpPoster poster;
  constexpr int kPosts = 8;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int ok = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kPosts; ++i) {
    HttpEndpoint endpoint = Endpoint((i % 2 == 0 ? slow : fast).url());
    endpoint.timeout = milliseconds(5'000);
    poster.Post(endpoint, std::to_string(i), [&](PostResult r) {
      std::lock_guard lock(mu);
      ++done;
      if (r.success()) ++ok;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(5), [&] { return done == kPosts; }));
  }
  EXPECT_EQ(ok, kPosts / 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1'500));
  EXPECT_EQ(slow.requests().size() + fast.requests().size(), static_cast<size_t>(kPosts));
}

TEST(HttpPostTest, DestroyingThePosterAbortsPostsInFlight) {
  WebhookReceiver receiver([](size_t) { return 0; }, milliseconds(5'000));
  auto result = std::make_shared<std::promise<PostResult>>();
  std::future<PostResult> future = result->get_future();
  auto start = std::chrono::steady_clock::now();
  {
    BeastHttpPoster poster;
    HttpEndpoint endpoint = Endpoint(receiver.url());
    poster.Post(endpoint, "{}", [result](PostResult r) { result->set_value(std::move(r)); });
    // Let the request arrive, so that the abort hits a post that is really
    // waiting.
    for (int i = 0; i < 200 && receiver.requests().empty(); ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  ASSERT_EQ(future.wait_for(seconds(1)), std::future_status::ready);
  PostResult r = future.get();
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("cancelled"), std::string::npos) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3'000));
}

// ---------------------------------------------------------------------------------------------
// Delivery: the outbox on a fake clock

TEST(DeliveryTest, EncodingRoundTripsEveryField) {
  Notification n = MakeNotification("pager \"duty\"", R"({"a":"é\n","b":[1,2]})");
  n.endpoint.bearer_token = "tok";
  n.endpoint.basic_username = "u";
  n.endpoint.basic_password = "p:w";
  n.endpoint.headers = {{"X-A", "1"}, {"X-B", ""}};
  n.endpoint.timeout = milliseconds(2'500);
  n.created_ms = 1'700'000'000'123;
  std::string encoded = EncodeNotification(n);
  Result<Notification> decoded = DecodeNotification(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, n);

  EXPECT_FALSE(DecodeNotification("not json").ok());
  EXPECT_FALSE(DecodeNotification(R"({"v":2,"url":"http://x/","body":""})").ok());
  EXPECT_FALSE(DecodeNotification(R"({"v":1,"body":""})").ok());
  EXPECT_FALSE(DecodeNotification(R"({"v":1,"url":"http://x/","body":"","headers":[["a"]]})").ok());
  // Keys from a newer version are ignored.
  EXPECT_TRUE(DecodeNotification(R"({"v":1,"url":"http://x/","body":"","later":true})").ok());
}

TEST(DeliveryTest, EnqueueWritesTheOutboxAnd2xxDeletesIt) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  ScriptedPoster poster(clock);
  NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);

  delivery.Enqueue(MakeNotification("team-a", R"({"n":1})"));
  std::map<std::string, std::string> contents = StoreContents(store);
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_EQ(contents.begin()->first, "outbox/00000000000000000001");
  Result<Notification> stored = DecodeNotification(contents.begin()->second);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->body, R"({"n":1})");
  EXPECT_EQ(stored->created_ms, 1'800'000'000'000);  // stamped from the clock
  EXPECT_EQ(Metric(registry, "sluice_notifications_queued"), 1);

  EXPECT_EQ(delivery.ProcessDue(), 1u);
  EXPECT_EQ(delivery.ProcessDue(), 0u);  // already in flight
  EXPECT_EQ(delivery.in_flight(), 1u);
  clock.Advance(milliseconds(1'500));
  ASSERT_TRUE(poster.AnswerPending(Answer(202)));

  EXPECT_TRUE(StoreContents(store).empty());
  EXPECT_EQ(delivery.queued(), 0u);
  EXPECT_EQ(delivery.in_flight(), 0u);
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "team-a"), 1);
  EXPECT_EQ(Metric(registry, "sluice_notifications_retried_total", "team-a"), 0);
  EXPECT_EQ(Metric(registry, "sluice_notifications_queued"), 0);
  EXPECT_EQ(Metric(registry, "sluice_notification_latency_seconds"), 1);

  std::vector<ScriptedPoster::Call> calls = poster.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].endpoint.url, "http://127.0.0.1:1/hook");
  EXPECT_EQ(calls[0].body, R"({"n":1})");
}

TEST(DeliveryTest, RetryTimelineFollowsBackoffBounds) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  ScriptedPoster poster(clock, [](size_t) { return Answer(0); });  // never reachable
  DeliveryOptions options = TestOptions();
  NotificationDelivery delivery(store, poster, registry, options, clock);
  EXPECT_EQ(delivery.BackoffCeiling(1), seconds(1));
  EXPECT_EQ(delivery.BackoffCeiling(4), seconds(8));
  EXPECT_EQ(delivery.BackoffCeiling(9), seconds(256));
  EXPECT_EQ(delivery.BackoffCeiling(10), seconds(300));
  EXPECT_EQ(delivery.BackoffCeiling(60), seconds(300));

  delivery.Enqueue(MakeNotification("r", "{}"));
  constexpr milliseconds kStep(100);
  RunFor(delivery, clock, std::chrono::minutes(40), kStep);

  std::vector<ScriptedPoster::Call> calls = poster.calls();
  // 1+2+...+256 s = 511 s, then one every 150..300 s: at least 14 posts in 40
  // minutes.
  ASSERT_GE(calls.size(), 14u);
  ASSERT_LE(calls.size(), 25u);
  bool jittered = false;
  for (size_t i = 1; i < calls.size(); ++i) {
    auto gap = std::chrono::duration_cast<milliseconds>(calls[i].at - calls[i - 1].at);
    milliseconds ceiling = delivery.BackoffCeiling(static_cast<int>(i));
    EXPECT_GE(gap, ceiling / 2) << "retry " << i;
    EXPECT_LE(gap, ceiling + kStep) << "retry " << i;
    if (gap < ceiling - kStep) jittered = true;
  }
  EXPECT_TRUE(jittered) << "every retry waited the full ceiling";
  EXPECT_EQ(Metric(registry, "sluice_notifications_retried_total", "r"),
            static_cast<double>(calls.size()));
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "r"), 0);
  EXPECT_EQ(StoreContents(store).size(), 1u);  // still owed
  EXPECT_EQ(delivery.queued(), 1u);
}

TEST(DeliveryTest, ClientErrorIsNotRetried) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  ScriptedPoster poster(clock, [](size_t) { return Answer(400, "bad payload: unknown field"); });
  NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
  delivery.Enqueue(MakeNotification("r", "{}"));
  RunFor(delivery, clock, std::chrono::minutes(10), milliseconds(500));
  EXPECT_EQ(poster.calls().size(), 1u);
  EXPECT_EQ(Metric(registry, "sluice_notifications_failed_total", "r"), 1);
  EXPECT_EQ(Metric(registry, "sluice_notifications_retried_total", "r"), 0);
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "r"), 0);
  EXPECT_TRUE(StoreContents(store).empty());
  EXPECT_EQ(delivery.queued(), 0u);
}

TEST(DeliveryTest, ServerErrorsAndTooManyRequestsAreRetriedUntilSuccess) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  const std::vector<int> script = {500, 429, 0, 503, 200};
  ScriptedPoster poster(clock,
                        [&](size_t n) { return Answer(n < script.size() ? script[n] : 200); });
  NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
  delivery.Enqueue(MakeNotification("r", "{}"));
  RunFor(delivery, clock, std::chrono::minutes(5));
  EXPECT_EQ(poster.calls().size(), script.size());  // and nothing after the 2xx
  EXPECT_EQ(Metric(registry, "sluice_notifications_retried_total", "r"), 4);
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "r"), 1);
  EXPECT_EQ(Metric(registry, "sluice_notifications_failed_total", "r"), 0);
  EXPECT_TRUE(StoreContents(store).empty());
}

TEST(DeliveryTest, EachNotificationGetsExactlyOne2xx) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  // Every third post fails: notifications are retried independently of one
  // another.
  ScriptedPoster poster(clock, [](size_t n) { return Answer(n % 3 == 0 ? 502 : 200); });
  DeliveryOptions options = TestOptions();
  options.max_in_flight = 4;
  NotificationDelivery delivery(store, poster, registry, options, clock);
  constexpr int kCount = 20;
  for (int i = 0; i < kCount; ++i) {
    delivery.Enqueue(MakeNotification(i % 2 ? "odd" : "even", std::to_string(i)));
  }
  RunFor(delivery, clock, std::chrono::minutes(10));
  std::map<std::string, int> successes;
  std::vector<ScriptedPoster::Call> calls = poster.calls();
  for (size_t n = 0; n < calls.size(); ++n) {
    if (n % 3 != 0) ++successes[calls[n].body];
  }
  ASSERT_EQ(successes.size(), static_cast<size_t>(kCount));
  for (const auto &[body, count] : successes) EXPECT_EQ(count, 1) << body;
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "odd"), kCount / 2);
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "even"), kCount / 2);
  EXPECT_EQ(Metric(registry, "sluice_notifications_retried_total", "odd") +
                Metric(registry, "sluice_notifications_retried_total", "even"),
            static_cast<double>(calls.size() - kCount));
  EXPECT_EQ(delivery.queued(), 0u);
}

TEST(DeliveryTest, AtMostMaxInFlight) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  ScriptedPoster poster(clock);  // answers only when told
  DeliveryOptions options = TestOptions();
  options.max_in_flight = 3;
  NotificationDelivery delivery(store, poster, registry, options, clock);
  for (int i = 0; i < 7; ++i) delivery.Enqueue(MakeNotification("r", std::to_string(i)));
  EXPECT_EQ(delivery.ProcessDue(), 3u);
  EXPECT_EQ(delivery.ProcessDue(), 0u);
  EXPECT_EQ(delivery.in_flight(), 3u);
  ASSERT_TRUE(poster.AnswerPending(Answer(200)));
  EXPECT_EQ(delivery.ProcessDue(), 1u);
  std::vector<ScriptedPoster::Call> calls = poster.calls();
  ASSERT_EQ(calls.size(), 4u);
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].body, std::to_string(i));
  while (poster.AnswerPending(Answer(200))) {
  }
  EXPECT_EQ(delivery.queued(), 3u);
}

TEST(DeliveryTest, OutboxSurvivesARestart) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  Notification a = MakeNotification("r", "a");
  a.endpoint.bearer_token = "tok";
  a.endpoint.headers = {{"X-K", "v"}};
  Notification b = MakeNotification("r", "b");
  Notification c = MakeNotification("r", "c");
  {
    prometheus::Registry registry;
    ScriptedPoster poster(clock);
    NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
    ASSERT_TRUE(delivery.Restore().ok());
    delivery.Enqueue(a);
    delivery.Enqueue(b);
    delivery.Enqueue(c);
    EXPECT_EQ(delivery.ProcessDue(), 3u);
    ASSERT_TRUE(poster.AnswerPending(Answer(503)));  // a: will be retried
    ASSERT_TRUE(poster.AnswerPending(Answer(200)));  // b: done
    // c is in flight when the process stops: its fate is unknown, so it stays.
  }
  EXPECT_EQ(StoreContents(store).size(), 2u);

  prometheus::Registry registry;
  ScriptedPoster poster(clock, [](size_t) { return Answer(200); });
  NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
  ASSERT_TRUE(delivery.Restore().ok());
  EXPECT_EQ(delivery.queued(), 2u);
  EXPECT_EQ(Metric(registry, "sluice_notifications_queued"), 2);
  delivery.Enqueue(MakeNotification("r", "d"));  // must not reuse an old sequence number
  EXPECT_EQ(StoreContents(store).size(), 3u);
  EXPECT_EQ(delivery.ProcessDue(), 3u);
  std::vector<ScriptedPoster::Call> calls = poster.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].body, "a");
  EXPECT_EQ(calls[0].endpoint, a.endpoint);
  EXPECT_EQ(calls[1].body, "c");
  EXPECT_EQ(calls[2].body, "d");
  EXPECT_TRUE(StoreContents(store).empty());
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "r"), 3);
}

TEST(DeliveryTest, EnqueueBeforeRestoreDoesNotOverwriteTheOldOutbox) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  {
    prometheus::Registry registry;
    ScriptedPoster poster(clock);
    NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
    delivery.Enqueue(MakeNotification("r", "old"));
  }
  prometheus::Registry registry;
  ScriptedPoster poster(clock, [](size_t) { return Answer(200); });
  NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
  delivery.Enqueue(MakeNotification("r", "new"));
  EXPECT_EQ(StoreContents(store).size(), 2u);
  EXPECT_EQ(delivery.ProcessDue(), 2u);
  ASSERT_EQ(poster.calls().size(), 2u);
  EXPECT_EQ(poster.calls()[0].body, "old");
  EXPECT_EQ(poster.calls()[1].body, "new");
}

TEST(DeliveryTest, UnreadableEntriesAreDroppedOnRestore) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  ASSERT_TRUE(store.Put("outbox/00000000000000000007", "garbage").ok());
  ASSERT_TRUE(
      store.Put("outbox/00000000000000000009", EncodeNotification(MakeNotification("r", "fine")))
          .ok());
  ASSERT_TRUE(store.Put("other/key", "untouched").ok());
  prometheus::Registry registry;
  ScriptedPoster poster(clock, [](size_t) { return Answer(200); });
  NotificationDelivery delivery(store, poster, registry, TestOptions(), clock);
  ASSERT_TRUE(delivery.Restore().ok());
  EXPECT_EQ(delivery.queued(), 1u);
  EXPECT_EQ(Metric(registry, "sluice_notifications_dropped_total"), 1);
  delivery.Enqueue(MakeNotification("r", "next"));
  std::map<std::string, std::string> contents = StoreContents(store);
  EXPECT_EQ(contents.count("outbox/00000000000000000007"), 0u);
  EXPECT_EQ(contents.count("outbox/00000000000000000010"), 1u);
  EXPECT_EQ(contents.at("other/key"), "untouched");
}

TEST(DeliveryTest, FullOutboxDropsTheOldest) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  ScriptedPoster poster(clock, [](size_t) { return Answer(200); });
  DeliveryOptions options = TestOptions();
  options.max_outbox = 3;
  NotificationDelivery delivery(store, poster, registry, options, clock);
  for (int i = 0; i < 5; ++i) delivery.Enqueue(MakeNotification("r", std::to_string(i)));
  EXPECT_EQ(delivery.queued(), 3u);
  EXPECT_EQ(StoreContents(store).size(), 3u);
  EXPECT_EQ(Metric(registry, "sluice_notifications_dropped_total"), 2);
  EXPECT_EQ(Metric(registry, "sluice_notifications_queued"), 3);
  EXPECT_EQ(delivery.ProcessDue(), 3u);
  std::vector<ScriptedPoster::Call> calls = poster.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].body, "2");
  EXPECT_EQ(calls[1].body, "3");
  EXPECT_EQ(calls[2].body, "4");
}

TEST(DeliveryTest, FullOutboxSparesPostsInFlight) {
  FakeClock clock(kStart);
  MemoryKvStore store;
  prometheus::Registry registry;
  ScriptedPoster poster(clock);
  DeliveryOptions options = TestOptions();
  options.max_outbox = 2;
  options.max_in_flight = 1;
  NotificationDelivery delivery(store, poster, registry, options, clock);
  delivery.Enqueue(MakeNotification("r", "0"));
  EXPECT_EQ(delivery.ProcessDue(), 1u);  // "0" in flight
  delivery.Enqueue(MakeNotification("r", "1"));
  delivery.Enqueue(MakeNotification("r", "2"));  // pushes out "1", the oldest waiting
  ASSERT_TRUE(poster.AnswerPending(Answer(200)));
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "r"), 1);
  EXPECT_EQ(Metric(registry, "sluice_notifications_dropped_total"), 1);
  EXPECT_EQ(delivery.ProcessDue(), 1u);
  ASSERT_EQ(poster.calls().size(), 2u);
  EXPECT_EQ(poster.calls()[1].body, "2");
}

TEST(DeliveryTest, StartAndStopRunTheLoopOnARealThread) {
  MemoryKvStore store;
  prometheus::Registry registry;
  std::atomic<bool> accept{false};
  ScriptedPoster poster(Clock::Real(), [&](size_t) { return Answer(accept.load() ? 200 : 503); });
  DeliveryOptions options = TestOptions();
  options.tick_interval = milliseconds(10);
  options.initial_backoff = milliseconds(20);
  options.max_backoff = milliseconds(40);
  NotificationDelivery delivery(store, poster, registry, options);
  delivery.Start();
  delivery.Enqueue(MakeNotification("r", "{}"));
  for (int i = 0; i < 500 && poster.calls().size() < 3; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_GE(poster.calls().size(), 3u);
  delivery.Stop();
  size_t posts_at_stop = poster.calls().size();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(poster.calls().size(), posts_at_stop);  // nothing after Stop
  EXPECT_EQ(StoreContents(store).size(), 1u);       // and nothing lost

  accept = true;
  delivery.Start();
  for (int i = 0; i < 500 && delivery.queued() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(delivery.queued(), 0u);
  delivery.Stop();
  EXPECT_TRUE(StoreContents(store).empty());
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "r"), 1);
}

// ---------------------------------------------------------------------------------------------
// End to end: the outbox, the Beast poster and a receiver that fails at first.

TEST(DeliveryTest, EndToEndReceivedWith2xxExactlyOnce) {
  WebhookReceiver receiver([](size_t n) { return n < 3 ? 500 : 200; });
  BeastHttpPoster poster;
  MemoryKvStore store;
  prometheus::Registry registry;
  DeliveryOptions options;
  options.tick_interval = milliseconds(10);
  options.initial_backoff = milliseconds(50);
  options.max_backoff = milliseconds(200);
  NotificationDelivery delivery(store, poster, registry, options);
  delivery.Start();
  Notification n = MakeNotification("oncall", R"({"status":"firing"})");
  n.endpoint.url = receiver.url("/webhook");
  n.endpoint.timeout = milliseconds(2'000);
  auto start = std::chrono::steady_clock::now();
  delivery.Enqueue(n);
  ASSERT_TRUE(receiver.WaitFor2xx(1, seconds(5)));
  for (int i = 0; i < 300 && delivery.queued() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(delivery.queued(), 0u);
  std::this_thread::sleep_for(milliseconds(300));  // room for a wrong extra post
  delivery.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));

  std::vector<testing::ReceivedRequest> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(receiver.answered_2xx(), 1u);
  for (const auto &r : requests) {
    EXPECT_EQ(r.target, "/webhook");
    EXPECT_EQ(r.body, R"({"status":"firing"})");
  }
  EXPECT_EQ(requests[3].answered_status, 200);
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "oncall"), 1);
  EXPECT_EQ(Metric(registry, "sluice_notifications_retried_total", "oncall"), 3);
  EXPECT_TRUE(StoreContents(store).empty());
}

// ---------------------------------------------------------------------------------------------
// AlertmanagerSender

class CapturingSink final : public NotificationSink {
 public:
  void Enqueue(Notification n) override { notifications.push_back(std::move(n)); }
  std::vector<Notification> notifications;
};

std::string ReadFixture(const std::string &name) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/shippers/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "2026-11-23T08:18:31.338Z" -> Unix ms.
int64_t ParseMillis(std::string_view text) {
  std::tm tm{};
  int ms = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

storage::Labels ToLabels(simdjson::dom::object object) {
  storage::Labels labels;
  for (auto field : object) {
    labels.push_back({std::string(field.key), std::string(field.value.get_string().value())});
  }
  EXPECT_TRUE(storage::Canonicalize(labels).ok());
  return labels;
}

TEST(AlertmanagerSenderTest, BodyMatchesWhatPrometheusSends) {
  for (const char *name : {"prometheus-to-alertmanager-v2-alerts-firing.json",
                           "prometheus-to-alertmanager-v2-alerts-resolved.json"}) {
    SCOPED_TRACE(name);
    std::string fixture = ReadFixture(name);
    ASSERT_FALSE(fixture.empty());
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(fixture);
    simdjson::dom::element expected_body = root["body"];
    std::vector<Alert> alerts;
    for (simdjson::dom::element a : expected_body.get_array()) {
      Alert alert;
      alert.labels = ToLabels(a["labels"].get_object());
      alert.annotations = ToLabels(a["annotations"].get_object());
      alert.starts_at_ms = ParseMillis(a["startsAt"].get_string().value());
      alert.ends_at_ms = ParseMillis(a["endsAt"].get_string().value());
      alert.generator_url = std::string(a["generatorURL"].get_string().value());
      alerts.push_back(std::move(alert));
    }
    ASSERT_EQ(alerts.size(), 1u);

    CapturingSink sink;
    FakeClock clock(kStart);
    AlertmanagerSender sender({Endpoint("http://127.0.0.1:9093"), Endpoint("http://am2:9093/")},
                              &sink, clock);
    sender.Send(alerts);
    ASSERT_EQ(sink.notifications.size(), 2u);
    EXPECT_EQ(sink.notifications[0].endpoint.url, "http://127.0.0.1:9093/api/v2/alerts");
    EXPECT_EQ(sink.notifications[1].endpoint.url, "http://am2:9093/api/v2/alerts");
    EXPECT_EQ(sink.notifications[0].receiver, "alertmanager");
    EXPECT_EQ(sink.notifications[0].created_ms, 1'800'000'000'000);
    EXPECT_EQ(sink.notifications[0].body, sink.notifications[1].body);

    const std::string &body = sink.notifications[0].body;
    // Same bytes as Prometheus sent (Go escapes & as \u0026), as far as the
    // capture keeps them: its Content-Length, and the values and key order once
    // both are parsed.
    EXPECT_EQ(std::to_string(body.size()),
              std::string(root["_captured"]["headers"]["Content-Length"].get_string().value()));
    simdjson::dom::parser ours_parser;
    simdjson::dom::element ours;
    ASSERT_EQ(ours_parser.parse(body).get(ours), simdjson::SUCCESS) << body;
    EXPECT_EQ(simdjson::to_string(ours), simdjson::to_string(expected_body));
  }
}

TEST(AlertmanagerSenderTest, BatchesOfAtMost64PerAlertmanager) {
  std::vector<Alert> alerts;
  for (int i = 0; i < 130; ++i) {
    Alert a;
    a.labels = {{"alertname", "A"}, {"i", std::to_string(i)}};
    a.starts_at_ms = 1'800'000'000'000;
    a.ends_at_ms = 1'800'000'240'000;
    alerts.push_back(std::move(a));
  }
  CapturingSink sink;
  HttpEndpoint with_auth = Endpoint("http://am1:9093/prefix");
  with_auth.bearer_token = "t";
  with_auth.timeout = milliseconds(3'000);
  AlertmanagerSender sender({with_auth, Endpoint("http://am2:9093")}, &sink);
  sender.Send({});
  EXPECT_TRUE(sink.notifications.empty());
  sender.Send(alerts);
  ASSERT_EQ(sink.notifications.size(), 6u);
  size_t next = 0;
  for (size_t i = 0; i < sink.notifications.size(); ++i) {
    const Notification &n = sink.notifications[i];
    if (i % 2 == 0) {
      EXPECT_EQ(n.endpoint.url, "http://am1:9093/prefix/api/v2/alerts");
      EXPECT_EQ(n.endpoint.bearer_token, "t");
      EXPECT_EQ(n.endpoint.timeout, milliseconds(3'000));
    } else {
      EXPECT_EQ(n.endpoint.url, "http://am2:9093/api/v2/alerts");
      EXPECT_EQ(n.body, sink.notifications[i - 1].body);
      continue;
    }
    simdjson::dom::parser parser;
    simdjson::dom::array array;
    ASSERT_EQ(parser.parse(n.body).get_array().get(array), simdjson::SUCCESS);
    EXPECT_EQ(array.size(), i < 4 ? 64u : 2u);
    for (simdjson::dom::element a : array) {
      EXPECT_EQ(a["labels"]["i"].get_string().value(), std::to_string(next++));
      EXPECT_EQ(a["annotations"].error(),
                simdjson::NO_SUCH_FIELD);  // omitted when empty
      EXPECT_EQ(a["generatorURL"].error(), simdjson::NO_SUCH_FIELD);
      EXPECT_EQ(a["endsAt"].get_string().value(), "2027-01-15T08:04:00.000Z");
    }
  }
  EXPECT_EQ(next, alerts.size());
}

TEST(AlertmanagerSenderTest, ThroughDeliveryToAnAlertmanagerApi) {
  WebhookReceiver alertmanager;
  BeastHttpPoster poster;
  MemoryKvStore store;
  prometheus::Registry registry;
  DeliveryOptions options;
  options.tick_interval = milliseconds(10);
  NotificationDelivery delivery(store, poster, registry, options);
  delivery.Start();
  AlertmanagerSender sender({Endpoint(alertmanager.url(""))}, &delivery);
  Alert a;
  a.labels = {{"alertname", "Up"}, {"job", "node"}};
  a.starts_at_ms = 1'800'000'000'000;
  a.ends_at_ms = 1'800'000'000'000 + 240'000;
  sender.Send({a});
  ASSERT_TRUE(alertmanager.WaitFor2xx(1, seconds(5)));
  delivery.Stop();
  std::vector<testing::ReceivedRequest> requests = alertmanager.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/v2/alerts");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[0].body,
            R"([{"endsAt":"2027-01-15T08:04:00.000Z","startsAt":"2027-01-15T08:00:00.000Z",)"
            R"("labels":{"alertname":"Up","job":"node"}}])");
  EXPECT_EQ(Metric(registry, "sluice_notifications_sent_total", "alertmanager"), 1);
}

}  // namespace
}  // namespace sluice::alerting

// Loki's live tail end to end through a running daemon: a Beast WebSocket client on 127.0.0.1
// opens /loki/api/v1/tail as Grafana's Loki data source does (../shared/grafana-contract.md
// §2.10, §3.7, replay row L25), lines are pushed through /loki/api/v1/push, and every frame is
// checked for what Grafana parses. Every wait is bounded.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon_fixture.h"
#include "tests/support/metrics_export.h"
#include "tests/support/test_http_client.h"

namespace sluice::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using ::testing::HasSubstr;
using testing::HttpRequestOnce;
using testing::UrlEncode;
using namespace std::chrono_literals;
using testing::Headers;
using SteadyClock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A WebSocket client on its own io_context, run only inside its calls, each bounded. Once the
// handshake is done a read is always pending (restarted after each message), so pings are
// answered, pongs and the server's close frame are seen, and a timeout leaves the stream intact.
class WsClient {
 public:
  WsClient() = default;
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;
  ~WsClient() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    ioc_.restart();
    ioc_.poll();  // the aborted handlers; the rest are dropped with the io_context
  }

  // A small receive buffer, so that a client that does not read soon stops the server's writes.
  void SetSmallReceiveBuffer() { small_receive_buffer_ = true; }

  // Connects and sends the handshake; returns the HTTP status of the answer (101 when the
  // server upgraded), or 0 when there was none. `body()` holds a refusal's body.
  int Connect(uint16_t port, const std::string& target, const Headers& headers = {}) {
    auto done = std::make_shared<std::optional<beast::error_code>>();
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    if (small_receive_buffer_) {
      beast::error_code ec;
      auto& socket = beast::get_lowest_layer(ws_).socket();
      socket.open(endpoint.protocol(), ec);
      if (!ec) socket.set_option(asio::socket_base::receive_buffer_size(4096), ec);
    }
    beast::get_lowest_layer(ws_).async_connect(endpoint,
                                               [done](beast::error_code ec) { *done = ec; });
    if (!RunUntil([&] { return done->has_value(); }, 5s) || **done) return 0;
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) ++pongs_;
    });
    done->reset();
    auto response = std::make_shared<websocket::response_type>();
    ws_.async_handshake(*response, "127.0.0.1", target,
                        [done, response](beast::error_code ec) { *done = ec; });
    if (!RunUntil([&] { return done->has_value(); }, 5s)) return 0;
    body_ = response->body();
    if (!**done) StartRead();
    return response->result_int();
  }

  // The next text message, within `timeout`; nullopt on timeout or once closed.
  std::optional<std::string> Next(std::chrono::milliseconds timeout) {
    RunUntil([&] { return !received_.empty() || closed_; }, timeout);
    if (received_.empty()) return std::nullopt;
    std::string m = std::move(received_.front());
    received_.pop_front();
    return m;
  }

  // Keeps the connection serviced (pongs, close frames) for `duration`, reading nothing.
  void Pump(std::chrono::milliseconds duration) {
    RunUntil([] { return false; }, duration);
  }

  // Sends a ping and waits for its pong.
  bool Ping(std::chrono::milliseconds timeout) {
    int before = pongs_;
    auto sent = std::make_shared<std::optional<beast::error_code>>();
    ws_.async_ping({}, [sent](beast::error_code ec) { *sent = ec; });
    return RunUntil([&] { return pongs_ > before; }, timeout) && sent->has_value() && !**sent;
  }

  // Starts the closing handshake and waits until the server has answered it.
  bool Close(std::chrono::milliseconds timeout) {
    auto done = std::make_shared<std::optional<beast::error_code>>();
    ws_.async_close(websocket::close_code::normal, [done](beast::error_code ec) { *done = ec; });
    return RunUntil([&] { return done->has_value() && closed_; }, timeout);
  }

  // Waits for the server to close; its close frame's code, or 0 if none came (or a dropped
  // connection).
  int WaitForClose(std::chrono::milliseconds timeout) {
    if (!RunUntil([&] { return closed_; }, timeout)) return -1;
    return read_error_ == websocket::error::closed ? ws_.reason().code : 0;
  }

  std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }
  bool closed() const { return closed_; }
  const std::string& body() const { return body_; }

 private:
  void StartRead() {
    ws_.async_read(buffer_, [this](beast::error_code ec, size_t) {
      if (ec) {
        closed_ = true;
        read_error_ = ec;
        return;
      }
      received_.push_back(beast::buffers_to_string(buffer_.data()));
      buffer_.consume(buffer_.size());
      StartRead();
    });
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    while (!done()) {
      auto now = SteadyClock::now();
      if (now >= deadline) return false;
      ioc_.restart();
      if (ioc_.run_one_for(deadline - now) == 0 && ioc_.stopped()) {
        std::this_thread::sleep_for(1ms);  // nothing pending: just wait out the time
      }
    }
    return true;
  }

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  beast::flat_buffer buffer_;
  std::deque<std::string> received_;
  bool closed_ = false;
  beast::error_code read_error_;
  int pongs_ = 0;
  std::string body_;
  bool small_receive_buffer_ = false;
};

// One entry as a tail message carries it, with its stream's labels.
struct TailEntry {
  std::map<std::string, std::string> labels;
  std::string ts;
  std::string line;
};

// Parses a tail message and checks its shape as Grafana reads it (§3.7): {"streams":[{"stream":
// {...},"values":[["<ns>","<line>"],...]}]}, with "dropped_entries" the only other key allowed,
// 2-tuples only, and ns strings of at least 7 digits.
std::vector<TailEntry> ParseMessage(const std::string& message) {
  std::vector<TailEntry> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(message).get(doc), simdjson::SUCCESS) << message;
  simdjson::dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    ADD_FAILURE() << "not an object: " << message;
    return out;
  }
  for (auto field : root) {
    EXPECT_TRUE(field.key == "streams" || field.key == "dropped_entries") << message;
  }
  simdjson::dom::array streams;
  if (root["streams"].get_array().get(streams) != simdjson::SUCCESS) {
    ADD_FAILURE() << "no streams array: " << message;
    return out;
  }
  for (simdjson::dom::element s : streams) {
    simdjson::dom::object labels;
    simdjson::dom::array values;
    EXPECT_EQ(s["stream"].get_object().get(labels), simdjson::SUCCESS) << message;
    EXPECT_EQ(s["values"].get_array().get(values), simdjson::SUCCESS) << message;
    std::map<std::string, std::string> label_map;
    for (auto label : labels) {
      std::string_view value;
      EXPECT_EQ(label.value.get_string().get(value), simdjson::SUCCESS) << message;
      label_map[std::string(label.key)] = std::string(value);
    }
    for (simdjson::dom::element v : values) {
      simdjson::dom::array pair;
      EXPECT_EQ(v.get_array().get(pair), simdjson::SUCCESS) << message;
      EXPECT_EQ(pair.size(), 2u) << "values must be 2-tuples: " << message;
      if (pair.size() < 2) continue;
      std::string_view ts, line;
      EXPECT_EQ(pair.at(0).get_string().get(ts), simdjson::SUCCESS) << message;
      EXPECT_EQ(pair.at(1).get_string().get(line), simdjson::SUCCESS) << message;
      EXPECT_GE(ts.size(), 7u) << message;
      EXPECT_EQ(ts.find_first_not_of("0123456789"), std::string_view::npos) << message;
      out.push_back(TailEntry{label_map, std::string(ts), std::string(line)});
    }
  }
  return out;
}

class LokiTailTest : public testing::DaemonTest {
 protected:
  void SetUp() override { Start(); }

  // Pushes `values` (each `["<ns>","<line>"]` or with a metadata object) to one stream.
  void Push(const std::string& stream_json, const std::vector<std::string>& values,
            const std::string& tenant = "") {
    std::string body = fmt::format(R"({{"streams":[{{"stream":{},"values":[{}]}}]}})", stream_json,
                                   fmt::join(values, ","));
    Headers tenant_header;
    if (!tenant.empty()) tenant_header.emplace_back("X-Scope-OrgID", tenant);
    PushLoki(body, tenant_header);
  }

  static std::string Value(int64_t ts, const std::string& line) {
    return fmt::format(R"(["{}","{}"])", ts, line);
  }

  static std::string Tail(const std::string& query, const std::string& extra = "") {
    return "/loki/api/v1/tail?query=" + UrlEncode(query) + extra;
  }

  // Entries until `count` have arrived or `timeout` passed.
  static std::vector<TailEntry> CollectUntil(WsClient& ws, size_t count,
                                             std::chrono::milliseconds timeout) {
    std::vector<TailEntry> all;
    auto deadline = SteadyClock::now() + timeout;
    while (all.size() < count && SteadyClock::now() < deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      std::optional<std::string> m = ws.Next(std::max(left, 1ms));
      if (!m) continue;
      for (TailEntry& e : ParseMessage(*m)) all.push_back(std::move(e));
    }
    return all;
  }

  // Every entry the client receives within `duration` (it keeps waiting the whole time).
  static std::vector<TailEntry> Collect(WsClient& ws, std::chrono::milliseconds duration) {
    return CollectUntil(ws, std::numeric_limits<size_t>::max(), duration);
  }

  static std::vector<std::string> Lines(const std::vector<TailEntry>& entries) {
    std::vector<std::string> lines;
    for (const TailEntry& e : entries) lines.push_back(e.line);
    return lines;
  }
};

TEST_F(LokiTailTest, L25PushedLineArrivesWithinFiveSecondsAsGrafanaReadsIt) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"})")), 101);
  EXPECT_FALSE(ws.Next(300ms)) << "nothing to send yet";
  int64_t ts = NowNs();
  auto sent = SteadyClock::now();
  Push(R"({"job":"app","level":"info"})", {Value(ts, "hello tail")});
  std::optional<std::string> m = ws.Next(5s);
  ASSERT_TRUE(m) << "no frame within 5 s";
  EXPECT_LT(SteadyClock::now() - sent, 5s);
  EXPECT_EQ(*m, fmt::format(R"({{"streams":[{{"stream":{{"job":"app","level":"info"}},)"
                            R"("values":[["{}","hello tail"]]}}]}})",
                            ts));
  std::vector<TailEntry> entries = ParseMessage(*m);
  ASSERT_EQ(entries.size(), 1u);
  // Grafana drops the last six digits to get milliseconds.
  EXPECT_EQ(entries[0].ts.substr(0, entries[0].ts.size() - 6), std::to_string(ts / 1'000'000));
  EXPECT_FALSE(ws.Next(1500ms)) << "the entry must not be sent twice";
}

TEST_F(LokiTailTest, FirstMessageHasTheNewestLimitEntriesSinceStartOldestFirst) {
  int64_t now = NowNs();
  constexpr int64_t kMinute = 60'000'000'000;
  std::vector<std::string> values;
  values.push_back(Value(now - 120 * kMinute, "two hours ago"));  // before the default start
  for (int i = 5; i >= 1; --i) values.push_back(Value(now - i * kMinute, fmt::format("m{}", i)));
  Push(R"({"job":"app"})", values);

  WsClient newest;
  ASSERT_EQ(newest.Connect(port_, Tail(R"({job="app"})", "&limit=3")), 101);
  std::vector<TailEntry> got = CollectUntil(newest, 3, 5s);
  EXPECT_THAT(Lines(got), ::testing::ElementsAre("m3", "m2", "m1"));

  WsClient all;
  ASSERT_EQ(
      all.Connect(port_, Tail(R"({job="app"})", fmt::format("&start={}", now - 180 * kMinute))),
      101);
  got = CollectUntil(all, 6, 5s);
  EXPECT_THAT(Lines(got), ::testing::ElementsAre("two hours ago", "m5", "m4", "m3", "m2", "m1"));

  WsClient default_window;
  ASSERT_EQ(default_window.Connect(port_, Tail(R"({job="app"})")), 101);
  got = Collect(default_window, 1500ms);
  EXPECT_THAT(Lines(got), ::testing::ElementsAre("m5", "m4", "m3", "m2", "m1"));
}

TEST_F(LokiTailTest, LineFilterKeepsOnlyMatchingLines) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"} |= "x")")), 101);
  int64_t ts = NowNs();
  Push(R"({"job":"app"})",
       {Value(ts, "has x"), Value(ts + 1, "nothing"), Value(ts + 2, "x again")});
  std::vector<TailEntry> got = CollectUntil(ws, 2, 5s);
  EXPECT_THAT(Lines(got), ::testing::ElementsAre("has x", "x again"));
  EXPECT_TRUE(Collect(ws, 1500ms).empty());
}

TEST_F(LokiTailTest, PipelineLabelsAndStructuredMetadataAreFoldedIntoStreamLabels) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"} | logfmt | level="error")")), 101);
  int64_t ts = NowNs();
  Push(R"({"job":"app"})", {fmt::format(R"(["{}","level=error msg=boom",{{"trace_id":"t1"}}])", ts),
                            Value(ts + 1, "level=info msg=fine")});
  std::vector<TailEntry> got = CollectUntil(ws, 1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].line, "level=error msg=boom");
  std::map<std::string, std::string> want = {
      {"job", "app"}, {"level", "error"}, {"msg", "boom"}, {"trace_id", "t1"}};
  EXPECT_EQ(got[0].labels, want);
  EXPECT_TRUE(Collect(ws, 1500ms).empty());
}

TEST_F(LokiTailTest, DelayForHoldsEntriesBackUntilTheyAreThatOld) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"})", "&delay_for=2")), 101);
  int64_t ts = NowNs();
  Push(R"({"job":"app"})", {Value(ts, "late on purpose")});
  EXPECT_FALSE(ws.Next(1200ms)) << "sent before it was 2 s old";
  EXPECT_THAT(Lines(CollectUntil(ws, 1, 5s)), ::testing::ElementsAre("late on purpose"));
  EXPECT_GE(NowNs() - ts, 2'000'000'000);
}

TEST_F(LokiTailTest, CategorizedLabelsWhenTheClientAsksForThem) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"} | logfmt)"),
                       {{"X-Loki-Response-Encoding-Flags", "categorize-labels"}}),
            101);
  int64_t ts = NowNs();
  Push(R"({"job":"app"})", {fmt::format(R"(["{}","a=1",{{"trace_id":"t1"}}])", ts)});
  std::optional<std::string> m = ws.Next(5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m,
            fmt::format(R"({{"streams":[{{"stream":{{"job":"app"}},"values":[["{}","a=1",)"
                        R"({{"structuredMetadata":{{"trace_id":"t1"}},"parsed":{{"a":"1"}}}}]]}}],)"
                        R"("encodingFlags":["categorize-labels"]}})",
                        ts));
}

TEST_F(LokiTailTest, SlowClientGetsDroppedEntriesReported) {
  WsClient ws;
  ws.SetSmallReceiveBuffer();
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"})")), 101);
  // Far more than the socket buffers hold, while the client reads nothing: the server's queue
  // fills and the tail drops what comes next.
  const std::string filler(8000, 'x');
  constexpr int kBatches = 6, kPerBatch = 500;
  int64_t ts = NowNs();
  for (int b = 0; b < kBatches; ++b) {
    std::vector<std::string> values;
    for (int i = 0; i < kPerBatch; ++i) values.push_back(Value(ts++, filler));
    Push(R"({"job":"app"})", values);
  }
  std::this_thread::sleep_for(2500ms);  // polls run while the client is not reading
  size_t received = 0, dropped = 0;
  std::set<std::string> timestamps;
  bool reported = false;
  auto read_all = [&](std::chrono::milliseconds quiet) {
    while (std::optional<std::string> m = ws.Next(quiet)) {
      for (const TailEntry& e : ParseMessage(*m)) {
        ++received;
        timestamps.insert(e.ts);
      }
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(*m).value();
      simdjson::dom::array list;
      if (doc["dropped_entries"].get_array().get(list) == simdjson::SUCCESS) {
        reported = true;
        for (simdjson::dom::element d : list) {
          ++dropped;
          std::string_view t = d["timestamp"].get_string().value();
          EXPECT_GE(t.size(), 7u);
          EXPECT_EQ(d["labels"]["job"].get_string().value(), "app");
        }
      }
    }
  };
  read_all(1500ms);
  // Drops are reported with the next message that goes out.
  Push(R"({"job":"app"})", {Value(NowNs(), "after the drops")});
  read_all(3000ms);
  EXPECT_TRUE(reported);
  EXPECT_GT(dropped, 0u) << "received " << received;
  EXPECT_EQ(timestamps.size(), received) << "an entry came twice";
  // Loki lists at most 1000 dropped entries; below that, every entry is accounted for.
  const size_t total = kBatches * kPerBatch + 1;
  EXPECT_LE(dropped, 1000u);
  if (dropped < 1000) {
    EXPECT_EQ(received + dropped, total);
  } else {
    EXPECT_LE(received + dropped, total);
  }
}

TEST_F(LokiTailTest, NoEntryRepeatsOrGoesMissingAcrossPolls) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"})")), 101);
  std::vector<std::string> pushed;
  int64_t t0 = NowNs();
  // Two entries at one timestamp, in two streams.
  Push(R"({"job":"app","s":"a"})", {Value(t0, "a0"), Value(t0, "a0-twin")});
  Push(R"({"job":"app","s":"b"})", {Value(t0, "b0")});
  pushed.insert(pushed.end(), {"a0", "a0-twin", "b0"});
  std::vector<TailEntry> got = CollectUntil(ws, 3, 5s);
  ASSERT_EQ(got.size(), 3u);
  // Later polls: another entry at the timestamp already read, one written late (older than the
  // polls since, newer than its stream's last), a new stream whose entry is also old, and the
  // present.
  std::this_thread::sleep_for(1200ms);
  Push(R"({"job":"app","s":"a"})", {Value(t0, "a0-late-twin"), Value(t0 + 5, "a-late")});
  Push(R"({"job":"app","s":"c"})", {Value(t0 + 7, "c-late")});
  Push(R"({"job":"app","s":"b"})", {Value(NowNs(), "b1")});
  pushed.insert(pushed.end(), {"a0-late-twin", "a-late", "c-late", "b1"});
  for (TailEntry& e : Collect(ws, 3s)) got.push_back(std::move(e));
  for (int i = 0; i < 3; ++i) {
    Push(R"({"job":"app","s":"b"})", {Value(NowNs(), fmt::format("b-burst{}", i))});
    pushed.push_back(fmt::format("b-burst{}", i));
    std::this_thread::sleep_for(700ms);
  }
  for (TailEntry& e : Collect(ws, 2500ms)) got.push_back(std::move(e));
  std::multiset<std::string> lines;
  for (const TailEntry& e : got) lines.insert(e.line);
  EXPECT_THAT(lines, ::testing::UnorderedElementsAreArray(pushed));
}

TEST_F(LokiTailTest, RequestsThatAreNotTailableAreRefusedWith400) {
  // A plain GET, without the upgrade.
  auto plain = HttpRequestOnce(port_, "GET", Tail(R"({job="app"})"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 400);
  EXPECT_THAT(plain->body, HasSubstr("WebSocket"));

  // Upgrades whose parameters Loki refuses before upgrading.
  struct Case {
    std::string target;
    std::string message;
  };
  std::vector<Case> cases = {
      {Tail(R"({job="app")"), "parse error"},
      {Tail(R"(count_over_time({job="app"}[1m]))"), "log query"},
      {Tail(R"({job="app"})", "&delay_for=6"), "delay_for can't be greater than 5"},
      {Tail(R"({job="app"})", "&limit=0"), "limit must be a positive value"},
      {Tail(R"({job="app"})", "&limit=5001"), "max entries limit per query exceeded"},
      {Tail(R"({job="app"})", "&start=yesterday"), "invalid start parameter"},
      {"/loki/api/v1/tail", "query parameter is required"},
  };
  for (const Case& c : cases) {
    WsClient ws;
    EXPECT_EQ(ws.Connect(port_, c.target), 400) << c.target;
    EXPECT_THAT(ws.body(), HasSubstr(c.message)) << c.target;
  }
  WsClient bad_tenant;
  EXPECT_EQ(bad_tenant.Connect(port_, Tail(R"({job="app"})"), {{"X-Scope-OrgID", "a|b"}}), 400);
}

class LokiTailLimitsTest : public LokiTailTest {
 protected:
  void SetUp() override {
    Start("tenants:\n  overrides:\n    small: {max_entries_limit_per_query: 3}\n");
  }
};

TEST_F(LokiTailLimitsTest, TheLargestLimitIsTheTenantsOwn) {
  WsClient refused;
  EXPECT_EQ(
      refused.Connect(port_, Tail(R"({job="app"})", "&limit=4"), {{"X-Scope-OrgID", "small"}}),
      400);
  EXPECT_THAT(refused.body(), HasSubstr("limit > max_entries_limit_per_query (4 > 3)"));
  WsClient small, other;
  EXPECT_EQ(small.Connect(port_, Tail(R"({job="app"})", "&limit=3"), {{"X-Scope-OrgID", "small"}}),
            101);
  EXPECT_EQ(other.Connect(port_, Tail(R"({job="app"})", "&limit=4"), {{"X-Scope-OrgID", "other"}}),
            101);
}

TEST_F(LokiTailTest, TenantsSeeOnlyTheirOwnEntries) {
  WsClient team_a, no_header;
  ASSERT_EQ(team_a.Connect(port_, Tail(R"({job="app"})"), {{"X-Scope-OrgID", "team-a"}}), 101);
  ASSERT_EQ(no_header.Connect(port_, Tail(R"({job="app"})")), 101);
  int64_t ts = NowNs();
  Push(R"({"job":"app"})", {Value(ts, "for team-a")}, "team-a");
  Push(R"({"job":"app"})", {Value(ts, "for team-b")}, "team-b");
  Push(R"({"job":"app"})", {Value(ts, "for the default tenant")});
  EXPECT_THAT(Lines(CollectUntil(team_a, 1, 5s)), ::testing::ElementsAre("for team-a"));
  EXPECT_THAT(Lines(CollectUntil(no_header, 1, 5s)),
              ::testing::ElementsAre("for the default tenant"));
  EXPECT_TRUE(Collect(team_a, 1500ms).empty());
  EXPECT_TRUE(Collect(no_header, 100ms).empty());
}

TEST_F(LokiTailTest, AnswersPingsAndOutlivesAClientThatSendsNothing) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"})")), 101);
  ws.Pump(3s);
  ASSERT_FALSE(ws.closed());
  EXPECT_TRUE(ws.Ping(2s));
  Push(R"({"job":"app"})", {Value(NowNs(), "still here")});
  EXPECT_THAT(Lines(CollectUntil(ws, 1, 5s)), ::testing::ElementsAre("still here"));
}

TEST_F(LokiTailTest, ClientCloseEndsTheTailAndFreesItsSlot) {
  std::vector<std::unique_ptr<WsClient>> tails;
  for (int i = 0; i < 100; ++i) {
    tails.push_back(std::make_unique<WsClient>());
    ASSERT_EQ(tails.back()->Connect(port_, Tail(R"({job="app"})")), 101) << i;
  }
  // Over the limit: upgraded, then closed with Loki's reason.
  WsClient refused;
  ASSERT_EQ(refused.Connect(port_, Tail(R"({job="app"})")), 101);
  EXPECT_EQ(refused.WaitForClose(5s), 1011);
  EXPECT_THAT(refused.close_reason(),
              HasSubstr("max concurrent tail requests limit exceeded, count > limit (101 > 100)"));

  // A client that closes gives its slot back.
  ASSERT_TRUE(tails.front()->Close(5s));
  tails.erase(tails.begin());
  auto deadline = SteadyClock::now() + 5s;
  bool admitted = false;
  while (!admitted && SteadyClock::now() < deadline) {
    WsClient again;
    ASSERT_EQ(again.Connect(port_, Tail(R"({job="app"})")), 101);
    if (again.WaitForClose(300ms) == -1) {
      admitted = true;
      Push(R"({"job":"app"})", {Value(NowNs(), "to the newcomer")});
      EXPECT_THAT(Lines(CollectUntil(again, 1, 5s)), ::testing::ElementsAre("to the newcomer"));
    }
  }
  EXPECT_TRUE(admitted);
}

TEST_F(LokiTailTest, ShutdownClosesAnOpenTailPromptly) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(port_, Tail(R"({job="app"})")), 101);
  ws.Pump(300ms);
  auto started = SteadyClock::now();
  auto stopped = std::async(std::launch::async, [this] { daemon_->Shutdown(); });
  EXPECT_EQ(ws.WaitForClose(10s), 1001);  // going away
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready) << "Daemon::Shutdown hangs";
  // Far below server.shutdown_timeout (30 s), which an unclosed tail would have used up.
  EXPECT_LT(SteadyClock::now() - started, 5s);
}

}  // namespace
}  // namespace sluice::daemon

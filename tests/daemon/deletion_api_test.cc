// Deletion end to end through a running daemon: Loki's delete API (POST/GET/DELETE
// /loki/api/v1/delete) and Prometheus' delete_series and clean_tombstones, with data pushed and
// queried over HTTP for two tenants. What a request deletes vanishes from queries at once, comes
// back when the request is cancelled, is purged from storage by processing (index/stats, which
// counts stored blocks, and /metrics show it), and all of it survives a restart.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "daemon/http/authenticator.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/metrics_export.h"

namespace sluice::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Headers;
using ::testing::StartsWith;
using testing::UrlEncode;
using Reply = testing::JsonReply;

constexpr int64_t kNsPerSecond = 1'000'000'000;
const Headers kTenantA = {{"X-Scope-OrgID", "team-a"}};
const Headers kTenantB = {{"X-Scope-OrgID", "team-b"}};

// An hour ago, to the second: deletes may not reach into the future.
const int64_t kBase = std::chrono::duration_cast<std::chrono::seconds>(
                          (std::chrono::system_clock::now() - 1h).time_since_epoch())
                          .count();

class DeletionApiTest : public testing::DaemonTest {
 protected:
  // Ten entries a second apart from kBase in {app="api"} (every other one with a secret) and in
  // {app="web"}, for both tenants.
  void SeedLogs() {
    for (const Headers* tenant : {&kTenantA, &kTenantB}) {
      std::string api, web;
      for (int i = 0; i < 10; ++i) {
        int64_t ts = (kBase + i) * kNsPerSecond;
        api += fmt::format(R"({}["{}","api line {}{}"])", i ? "," : "", ts, i,
                           i % 2 ? " secret=hunter2" : "");
        web += fmt::format(R"({}["{}","web line {}"])", i ? "," : "", ts, i);
      }
      PushLoki(fmt::format(R"({{"streams":[{{"stream":{{"app":"api"}},"values":[{}]}},)"
                           R"({{"stream":{{"app":"web"}},"values":[{}]}}]}})",
                           api, web),
               *tenant);
    }
  }

  // The lines of `app` a tenant's query returns, oldest first.
  std::vector<std::string> Lines(const Headers& tenant, std::string_view app) {
    auto r = Get(fmt::format("/loki/api/v1/query_range?direction=forward&limit=1000&query={}"
                             "&start={}&end={}",
                             UrlEncode(fmt::format(R"({{app="{}"}})", app)), kBase * kNsPerSecond,
                             (kBase + 60) * kNsPerSecond),
                 tenant);
    EXPECT_EQ(r->status, 200) << r->body;
    std::vector<std::string> lines;
    if (r->status != 200) return lines;
    for (const auto& [stream, entry] : r->Entries()) {
      lines.emplace_back(entry.at(1).get_string().value());
    }
    return lines;
  }

  // The entries stored for {app=...}, counted from storage's block metadata (index/stats), which
  // read filters do not change: what a purge removed is gone from it.
  int64_t StoredEntries(const Headers& tenant, std::string_view app) {
    auto r = Get(fmt::format("/loki/api/v1/index/stats?query={}&start={}&end={}",
                             UrlEncode(fmt::format(R"({{app="{}"}})", app)), kBase * kNsPerSecond,
                             (kBase + 60) * kNsPerSecond),
                 tenant);
    EXPECT_EQ(r->status, 200) << r->body;
    int64_t entries = -1;
    if (r->is_json) {
      EXPECT_EQ(r->json["entries"].get(entries), simdjson::SUCCESS) << r->body;
    }
    return entries;
  }

  std::unique_ptr<Reply> PostDelete(const Headers& tenant, std::string_view query,
                                    const std::string& extra) {
    return Call("POST", fmt::format("/loki/api/v1/delete?query={}{}", UrlEncode(query), extra), {},
                tenant);
  }

  // Posts a delete that must be accepted and returns its request_id.
  std::string Delete(const Headers& tenant, std::string_view query, int64_t start, int64_t end) {
    auto r = PostDelete(tenant, query, fmt::format("&start={}&end={}", start, end));
    EXPECT_EQ(r->status, 204) << r->body;
    auto listed = Get("/loki/api/v1/delete", tenant);
    EXPECT_EQ(listed->status, 200) << listed->body;
    std::string id;
    if (!listed->is_json) return id;
    for (simdjson::dom::element e : listed->json.get_array()) {
      if (e["query"].get_string().value() == query) id = e["request_id"].get_string().value();
    }
    return id;
  }

  // The status of every request a tenant lists, by request_id.
  std::map<std::string, std::string> Statuses(const Headers& tenant) {
    auto r = Get("/loki/api/v1/delete", tenant);
    EXPECT_EQ(r->status, 200) << r->body;
    std::map<std::string, std::string> out;
    if (!r->is_json) return out;
    for (simdjson::dom::element e : r->json.get_array()) {
      out[std::string(e["request_id"].get_string().value())] = e["status"].get_string().value();
    }
    return out;
  }

  // Waits (bounded) until the request's status is `status`.
  void AwaitStatus(const Headers& tenant, const std::string& id, std::string_view status) {
    for (int i = 0; i < 600 && Statuses(tenant)[id] != status; ++i) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(Statuses(tenant)[id], status);
  }

  void Restart(const std::string& yaml) {
    daemon_->Shutdown();
    daemon_.reset();
    ASSERT_NO_FATAL_FAILURE(Start(yaml));
  }

  // A counter's value in /metrics ("" when absent).
  std::string MetricLine(std::string_view name_and_labels) {
    auto r = Get("/metrics");
    size_t at = r->body.find(fmt::format("\n{} ", name_and_labels));
    if (at == std::string::npos) return "";
    size_t start = at + 1 + name_and_labels.size() + 1;
    return r->body.substr(start, r->body.find('\n', start) - start);
  }

  static std::vector<std::string> ApiLines(std::initializer_list<int> indexes) {
    std::vector<std::string> out;
    for (int i : indexes)
      out.push_back(fmt::format("api line {}{}", i, i % 2 ? " secret=hunter2" : ""));
    return out;
  }
};

constexpr std::string_view kFastProcessing = R"(deletion:
  cancel_period: 0s
  processing_interval: 50ms
)";

// ---- Loki: filter at once, list, cancel ------------------------------------------------------

TEST_F(DeletionApiTest, DeletedLogsVanishAtOnceAndComeBackWhenCancelled) {
  ASSERT_NO_FATAL_FAILURE(Start());
  SeedLogs();
  const std::vector<std::string> all = ApiLines({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  ASSERT_EQ(Lines(kTenantA, "api"), all);

  std::string id = Delete(kTenantA, R"({app="api"})", kBase + 2, kBase + 5);
  ASSERT_THAT(id, ::testing::MatchesRegex("[0-9a-f]{8}"));
  // Both bounds are inclusive; the other stream and the other tenant keep everything.
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({0, 1, 6, 7, 8, 9}));
  EXPECT_EQ(Lines(kTenantA, "web").size(), 10u);
  EXPECT_EQ(Lines(kTenantB, "api"), all);
  // Hidden, not purged: storage still holds every entry during the cancel period.
  EXPECT_EQ(StoredEntries(kTenantA, "api"), 10);

  auto listed = Get("/loki/api/v1/delete", kTenantA);
  ASSERT_EQ(listed->status, 200);
  EXPECT_THAT(listed->content_type, HasSubstr("application/json"));
  ASSERT_TRUE(listed->is_json) << listed->body;
  simdjson::dom::array requests = listed->json.get_array();
  ASSERT_EQ(requests.size(), 1u);
  simdjson::dom::element r = requests.at(0);
  EXPECT_EQ(r["request_id"].get_string().value(), id);
  EXPECT_EQ(r["query"].get_string().value(), R"({app="api"})");
  EXPECT_EQ(r["status"].get_string().value(), "received");
  // Times are JSON numbers of Unix seconds, as Loki's model.Time marshals.
  EXPECT_EQ(r["start_time"].get_int64().value(), kBase + 2);
  EXPECT_EQ(r["end_time"].get_int64().value(), kBase + 5);
  double created = r["created_at"].get_double().value();
  EXPECT_GT(created, static_cast<double>(kBase));
  EXPECT_THAT(listed->body,
              HasSubstr(fmt::format(R"("start_time":{},"end_time":{},)", kBase + 2, kBase + 5)));
  // Another tenant sees none of it.
  EXPECT_EQ(Get("/loki/api/v1/delete", kTenantB)->body, "[]\n");

  auto cancel = Call("DELETE", "/loki/api/v1/delete?request_id=" + id, {}, kTenantB);
  EXPECT_EQ(cancel->status, 404);
  EXPECT_EQ(cancel->body, "could not find delete request with given id\n");
  cancel = Call("DELETE", "/loki/api/v1/delete?request_id=" + id, {}, kTenantA);
  EXPECT_EQ(cancel->status, 204) << cancel->body;
  EXPECT_EQ(Lines(kTenantA, "api"), all);
  EXPECT_EQ(Get("/loki/api/v1/delete", kTenantA)->body, "[]\n");
  EXPECT_EQ(Call("DELETE", "/loki/api/v1/delete?request_id=" + id, {}, kTenantA)->status, 404);

  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_received_total{kind="logs"})"), "1");
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_cancelled_total{kind="logs"})"), "1");
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_pending{kind="logs"})"), "0");
}

TEST_F(DeletionApiTest, LineFiltersDeleteOnlyTheLinesTheyMatch) {
  ASSERT_NO_FATAL_FAILURE(Start());
  SeedLogs();
  Delete(kTenantA, R"({app="api"} |= "secret" != "line 9")", kBase, kBase + 60);
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({0, 2, 4, 6, 8, 9}));
  EXPECT_EQ(Lines(kTenantB, "api").size(), 10u);
  // A second request adds to the first.
  Delete(kTenantA, R"({app=~"api|web"} |~ "line [01]")", kBase, kBase + 60);
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({2, 4, 6, 8, 9}));
  EXPECT_EQ(Lines(kTenantA, "web").size(), 8u);
}

TEST_F(DeletionApiTest, RefusesInvalidRequestsAsLokiDoes) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string ok_range = fmt::format("&start={}&end={}", kBase, kBase + 10);
  struct Case {
    std::string query;
    std::string extra;
    std::string error;  // the body's start
  };
  const int64_t future = kBase + 7200;
  const std::vector<Case> cases = {
      {"", ok_range, "query not set\n"},
      {R"({app="api")", ok_range, "invalid query expression: parse error at line 1"},
      {R"(rate({app="api"}[1m]))", ok_range,
       "invalid query expression: only log selector is supported\n"},
      {R"({app="api"} | logfmt)", ok_range,
       "invalid query expression: a delete query may only have line filters"},
      {R"({app=~".*"})", ok_range, "invalid query expression: parse error : queries require"},
      {R"({app="api"})", "", "start time not set\n"},
      {R"({app="api"})", fmt::format("&start={}000", kBase),
       "invalid start time: require unix seconds or RFC3339 format\n"},
      {R"({app="api"})", fmt::format("&start={}&end=yesterday", kBase),
       "invalid end time: require unix seconds or RFC3339 format\n"},
      {R"({app="api"})", fmt::format("&start={}&end={}", kBase, future),
       "deletes in the future are not allowed\n"},
      {R"({app="api"})", fmt::format("&start={}&end={}", kBase + 1, kBase),
       "start time can't be greater than end time\n"},
      {R"({app="api"} |= "x")", fmt::format("&start={}&end={}", kBase, kBase),
       "difference between start time and end time must be at least one second\n"},
      {R"({app="api"} |= "x")", ok_range + "&max_interval=500ms",
       "invalid max_interval: valid time units are 's', 'm', 'h'\n"},
      {R"({app="api"} |= "x")", ok_range + "&max_interval=1h",
       "max_interval can't be greater than the interval to be deleted (10s)\n"},
  };
  for (const Case& c : cases) {
    std::string target = "/loki/api/v1/delete?" +
                         (c.query.empty() ? std::string() : "query=" + UrlEncode(c.query)) +
                         c.extra;
    auto r = Call("POST", target, {}, kTenantA);
    EXPECT_EQ(r->status, 400) << target << " " << r->body;
    EXPECT_THAT(r->body, StartsWith(c.error)) << target;
    EXPECT_THAT(r->content_type, HasSubstr("text/plain"));
  }
  EXPECT_EQ(Get("/loki/api/v1/delete", kTenantA)->body, "[]\n");

  // RFC 3339, end defaulting to now, PUT, and max_interval within the range are accepted.
  EXPECT_EQ(Call("PUT",
                 fmt::format("/loki/api/v1/delete?query={}&start=2026-01-01T00:00:00.5Z",
                             UrlEncode(R"({app="api"} |= "x")")),
                 {}, kTenantA)
                ->status,
            204);
  auto r = PostDelete(kTenantA, R"({app="web"} |= "x")", ok_range + "&max_interval=5s");
  EXPECT_EQ(r->status, 204) << r->body;
  auto listed = Get("/loki/api/v1/delete", kTenantA);
  ASSERT_TRUE(listed->is_json);
  simdjson::dom::array all = listed->json.get_array();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at(0)["start_time"].get_double().value(), 1767225600.5);
}

// ---- Loki: processing and restarts -----------------------------------------------------------

TEST_F(DeletionApiTest, ProcessingPurgesFromStorageAndSurvivesRestart) {
  const std::string config(kFastProcessing);
  ASSERT_NO_FATAL_FAILURE(Start(config));
  SeedLogs();
  ASSERT_EQ(StoredEntries(kTenantA, "api"), 10);

  std::string id = Delete(kTenantA, R"({app="api"})", kBase + 2, kBase + 5);
  ASSERT_NO_FATAL_FAILURE(AwaitStatus(kTenantA, id, "processed"));
  const std::vector<std::string> kept = ApiLines({0, 1, 6, 7, 8, 9});
  EXPECT_EQ(Lines(kTenantA, "api"), kept);
  // Purged: storage's own counts no longer hold the entries, and no read filter hides them now.
  EXPECT_EQ(StoredEntries(kTenantA, "api"), 6);
  EXPECT_EQ(StoredEntries(kTenantA, "web"), 10);
  EXPECT_EQ(StoredEntries(kTenantB, "api"), 10);
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_processed_total{kind="logs"})"), "1");
  EXPECT_EQ(MetricLine(R"(sluice_deleted_entries_total{kind="logs"})"), "4");
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_pending{kind="logs"})"), "0");

  // A processed request cannot be cancelled.
  auto cancel = Call("DELETE", "/loki/api/v1/delete?request_id=" + id, {}, kTenantA);
  EXPECT_EQ(cancel->status, 400);
  EXPECT_EQ(cancel->body,
            "deletion of request which is in process or already processed is not allowed\n");

  ASSERT_NO_FATAL_FAILURE(Restart(config));
  EXPECT_EQ(Statuses(kTenantA), (std::map<std::string, std::string>{{id, "processed"}}));
  EXPECT_EQ(Lines(kTenantA, "api"), kept);
  EXPECT_EQ(StoredEntries(kTenantA, "api"), 6);
  EXPECT_EQ(Lines(kTenantB, "api").size(), 10u);
}

// The purged stream shares its write-ahead log records with a stream that stays unsealed, and
// the restart replays them (no sealing at shutdown): what was purged must not come back.
TEST_F(DeletionApiTest, PurgedEntriesDoNotComeBackFromTheWriteAheadLog) {
  const std::string config = std::string(kFastProcessing) + R"(storage:
  shards: 1
  seal_on_shutdown: false
)";
  ASSERT_NO_FATAL_FAILURE(Start(config));
  SeedLogs();
  std::string id = Delete(kTenantA, R"({app="api"})", kBase + 2, kBase + 5);
  ASSERT_NO_FATAL_FAILURE(AwaitStatus(kTenantA, id, "processed"));
  const std::vector<std::string> kept = ApiLines({0, 1, 6, 7, 8, 9});
  EXPECT_EQ(Lines(kTenantA, "api"), kept);
  ASSERT_NO_FATAL_FAILURE(Restart(config));
  EXPECT_EQ(Lines(kTenantA, "api"), kept);
  EXPECT_EQ(StoredEntries(kTenantA, "api"), 6);
  EXPECT_EQ(Lines(kTenantA, "web").size(), 10u);
}

TEST_F(DeletionApiTest, ProcessingRewritesSealedBlocksByLineFilter) {
  const std::string config(kFastProcessing);
  ASSERT_NO_FATAL_FAILURE(Start(config));
  SeedLogs();
  // Sealed into blocks first: the purge rewrites them rather than the in-memory heads.
  ASSERT_EQ(Call("POST", "/internal/force_flush")->status, 200);
  std::string id = Delete(kTenantA, R"({app=~"api|web"} |~ "line [3-6]")", kBase, kBase + 60);
  ASSERT_NO_FATAL_FAILURE(AwaitStatus(kTenantA, id, "processed"));
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({0, 1, 2, 7, 8, 9}));
  EXPECT_EQ(Lines(kTenantA, "web"),
            (std::vector<std::string>{"web line 0", "web line 1", "web line 2", "web line 7",
                                      "web line 8", "web line 9"}));
  EXPECT_EQ(StoredEntries(kTenantA, "api"), 6);
  EXPECT_EQ(StoredEntries(kTenantA, "web"), 6);
  EXPECT_EQ(StoredEntries(kTenantB, "web"), 10);
  EXPECT_EQ(MetricLine(R"(sluice_deleted_entries_total{kind="logs"})"), "8");

  // A whole stream: nothing of it is left to select.
  id = Delete(kTenantA, R"({app="web"})", kBase, kBase + 60);
  ASSERT_NO_FATAL_FAILURE(AwaitStatus(kTenantA, id, "processed"));
  EXPECT_TRUE(Lines(kTenantA, "web").empty());
  EXPECT_EQ(StoredEntries(kTenantA, "web"), 0);
  ASSERT_NO_FATAL_FAILURE(Restart(config));
  EXPECT_TRUE(Lines(kTenantA, "web").empty());
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({0, 1, 2, 7, 8, 9}));
  EXPECT_EQ(Lines(kTenantB, "web").size(), 10u);
}

TEST_F(DeletionApiTest, PendingRequestsKeepHidingAcrossRestartUntilCancelled) {
  ASSERT_NO_FATAL_FAILURE(Start());
  SeedLogs();
  std::string id = Delete(kTenantA, R"({app="api"} |= "secret")", kBase, kBase + 30);
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({0, 2, 4, 6, 8}));

  ASSERT_NO_FATAL_FAILURE(Restart(""));
  EXPECT_EQ(Statuses(kTenantA), (std::map<std::string, std::string>{{id, "received"}}));
  EXPECT_EQ(Lines(kTenantA, "api"), ApiLines({0, 2, 4, 6, 8}));
  EXPECT_EQ(StoredEntries(kTenantA, "api"), 10);
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_pending{kind="logs"})"), "1");

  EXPECT_EQ(
      Call("DELETE", "/loki/api/v1/delete?request_id=" + id + "&force=true", {}, kTenantA)->status,
      204);
  EXPECT_EQ(Lines(kTenantA, "api").size(), 10u);
  ASSERT_NO_FATAL_FAILURE(Restart(""));
  EXPECT_EQ(Lines(kTenantA, "api").size(), 10u);
  EXPECT_TRUE(Statuses(kTenantA).empty());
}

TEST_F(DeletionApiTest, CancelPastThePeriodIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start(R"(deletion:
  cancel_period: 0s
  processing_interval: 24h
)"));
  SeedLogs();
  std::string id = Delete(kTenantA, R"({app="api"})", kBase, kBase + 1);
  std::this_thread::sleep_for(5ms);
  auto cancel = Call("DELETE", "/loki/api/v1/delete?request_id=" + id, {}, kTenantA);
  EXPECT_EQ(cancel->status, 400);
  EXPECT_EQ(cancel->body,
            "deletion of request past the deadline of 0s since its creation is not allowed\n");
}

// ---- Prometheus: delete_series and clean_tombstones ------------------------------------------

class SeriesDeletionTest : public DeletionApiTest {
 protected:
  // up{job="a"} and up{job="b"} every 15 s over [kBase, kBase + 10 min], in both tenants.
  void SeedMetrics() {
    std::string values, timestamps;
    for (int i = 0; i <= 40; ++i) {
      values += fmt::format("{}{}", i ? "," : "", i);
      timestamps += fmt::format("{}{}", i ? "," : "", (kBase + 15 * i) * 1000);
    }
    std::string lines;
    for (const char* job : {"a", "b"}) {
      lines += fmt::format(
          R"({{"metric":{{"__name__":"up","job":"{}"}},"values":[{}],"timestamps":[{}]}})"
          "\n",
          job, values, timestamps);
    }
    for (const Headers* tenant : {&kTenantA, &kTenantB}) {
      auto r = Call("POST", "/api/v1/import", lines, *tenant);
      ASSERT_EQ(r->status, 204) << r->body;
    }
  }

  // The sample times (ms) /api/v1/export returns for up{job=...}.
  std::vector<int64_t> Exported(const Headers& tenant, std::string_view job) {
    auto r = Get(
        fmt::format("/api/v1/export?match[]={}", UrlEncode(fmt::format(R"(up{{job="{}"}})", job))),
        tenant);
    EXPECT_EQ(r->status, 200) << r->body;
    testing::ParsedExport parsed = testing::ParseExport(r->body);
    EXPECT_EQ(parsed.error, "");
    std::vector<int64_t> times;
    for (const auto& [key, samples] : parsed.data) {
      for (const auto& [t, bits] : samples) times.push_back(t);
    }
    return times;
  }

  // The number of points query_range returns for up{job=...} at a 15 s step.
  size_t RangePoints(const Headers& tenant, std::string_view job) {
    auto r = Get(fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=15s",
                             UrlEncode(fmt::format(R"(up{{job="{}"}})", job)), kBase, kBase + 600),
                 tenant);
    EXPECT_EQ(r->status, 200) << r->body;
    size_t points = 0;
    if (!r->is_json) return points;
    for (simdjson::dom::element s : r->Data()["result"].get_array()) {
      points += s["values"].get_array().size();
    }
    return points;
  }

  std::unique_ptr<Reply> DeleteSeries(const Headers& tenant, const std::string& form) {
    Headers h = tenant;
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return Call("POST", "/api/v1/admin/tsdb/delete_series", form, h);
  }
};

TEST_F(SeriesDeletionTest, DeletedSamplesVanishAtOnceAndArePurged) {
  ASSERT_NO_FATAL_FAILURE(Start(R"(deletion:
  processing_interval: 24h
)"));
  SeedMetrics();
  ASSERT_EQ(Exported(kTenantA, "a").size(), 41u);

  // Samples 10..19 (inclusive bounds, milliseconds).
  auto r =
      DeleteSeries(kTenantA, fmt::format("match[]={}&start={}&end={}", UrlEncode(R"(up{job="a"})"),
                                         kBase + 150, kBase + 285));
  ASSERT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(r->body, "");
  std::vector<int64_t> left = Exported(kTenantA, "a");
  EXPECT_EQ(left.size(), 31u);
  for (int64_t t : left) {
    EXPECT_TRUE(t < (kBase + 150) * 1000 || t > (kBase + 285) * 1000) << t;
  }
  EXPECT_EQ(Exported(kTenantA, "b").size(), 41u);
  EXPECT_EQ(Exported(kTenantB, "a").size(), 41u);
  // PromQL reads the same (counted through a range selector: the lookback would fill the gap).
  auto count = Get(fmt::format("/api/v1/query?query={}&time={}",
                               UrlEncode(R"(count_over_time(up{job="a"}[11m]))"), kBase + 600),
                   kTenantA);
  ASSERT_EQ(count->status, 200) << count->body;
  EXPECT_THAT(count->body, HasSubstr(R"("31"])"));
  EXPECT_EQ(RangePoints(kTenantA, "b"), 41u);

  auto clean = Call("POST", "/api/v1/admin/tsdb/clean_tombstones", {}, kTenantA);
  EXPECT_EQ(clean->status, 204) << clean->body;
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_processed_total{kind="metrics"})"), "1");
  EXPECT_EQ(MetricLine(R"(sluice_deleted_entries_total{kind="metrics"})"), "10");
  EXPECT_EQ(MetricLine(R"(sluice_delete_requests_pending{kind="metrics"})"), "0");
  EXPECT_EQ(Exported(kTenantA, "a").size(), 31u);

  ASSERT_NO_FATAL_FAILURE(Restart(""));
  EXPECT_EQ(Exported(kTenantA, "a").size(), 31u);
  EXPECT_EQ(Exported(kTenantA, "b").size(), 41u);
  EXPECT_EQ(Exported(kTenantB, "a").size(), 41u);
}

TEST_F(SeriesDeletionTest, PurgesSealedChunks) {
  ASSERT_NO_FATAL_FAILURE(Start(R"(deletion:
  processing_interval: 24h
)"));
  SeedMetrics();
  ASSERT_EQ(Call("POST", "/internal/force_flush")->status, 200);
  // A range inside the chunk (rewritten) for job a, everything up to a bound for job b.
  auto r =
      DeleteSeries(kTenantA, fmt::format("match[]={}&start={}&end={}", UrlEncode(R"(up{job="a"})"),
                                         kBase + 150, kBase + 285));
  ASSERT_EQ(r->status, 204) << r->body;
  r = DeleteSeries(kTenantA,
                   fmt::format("match[]={}&end={}", UrlEncode(R"(up{job="b"})"), kBase + 299));
  ASSERT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(Call("POST", "/api/v1/admin/tsdb/clean_tombstones", {}, kTenantA)->status, 204);
  EXPECT_EQ(MetricLine(R"(sluice_deleted_entries_total{kind="metrics"})"), "30");
  EXPECT_EQ(Exported(kTenantA, "a").size(), 31u);
  std::vector<int64_t> b = Exported(kTenantA, "b");
  ASSERT_EQ(b.size(), 21u);
  EXPECT_EQ(b.front(), (kBase + 300) * 1000);
  ASSERT_NO_FATAL_FAILURE(Restart(""));
  EXPECT_EQ(Exported(kTenantA, "a").size(), 31u);
  EXPECT_EQ(Exported(kTenantA, "b").size(), 21u);
  EXPECT_EQ(Exported(kTenantB, "b").size(), 41u);
}

// As for logs: the write-ahead log replayed at restart must not bring purged samples back.
TEST_F(SeriesDeletionTest, PurgedSamplesDoNotComeBackFromTheWriteAheadLog) {
  const std::string config = R"(deletion:
  processing_interval: 24h
storage:
  shards: 1
  seal_on_shutdown: false
)";
  ASSERT_NO_FATAL_FAILURE(Start(config));
  SeedMetrics();
  auto r =
      DeleteSeries(kTenantA, fmt::format("match[]={}&start={}&end={}", UrlEncode(R"(up{job="a"})"),
                                         kBase + 150, kBase + 285));
  ASSERT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(Call("POST", "/api/v1/admin/tsdb/clean_tombstones", {}, kTenantA)->status, 204);
  EXPECT_EQ(Exported(kTenantA, "a").size(), 31u);
  ASSERT_NO_FATAL_FAILURE(Restart(config));
  EXPECT_EQ(Exported(kTenantA, "a").size(), 31u);
  EXPECT_EQ(Exported(kTenantA, "b").size(), 41u);
}

TEST_F(SeriesDeletionTest, PendingSeriesDeletesSurviveRestartAndProcessOnTheirOwn) {
  ASSERT_NO_FATAL_FAILURE(Start(R"(deletion:
  processing_interval: 24h
)"));
  SeedMetrics();
  // No range: all of it; two selectors.
  auto r = DeleteSeries(kTenantA, "match[]=" + UrlEncode(R"(up{job="a"})") +
                                      "&match[]=" + UrlEncode(R"({__name__="up",job="b"})"));
  ASSERT_EQ(r->status, 204) << r->body;
  EXPECT_TRUE(Exported(kTenantA, "a").empty());
  EXPECT_TRUE(Exported(kTenantA, "b").empty());

  ASSERT_NO_FATAL_FAILURE(Restart(std::string(kFastProcessing)));
  EXPECT_TRUE(Exported(kTenantA, "a").empty());
  for (int i = 0; i < 600 && MetricLine(R"(sluice_delete_requests_pending{kind="metrics"})") != "0";
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(MetricLine(R"(sluice_deleted_entries_total{kind="metrics"})"), "82");
  EXPECT_TRUE(Exported(kTenantA, "a").empty());
  EXPECT_TRUE(Exported(kTenantA, "b").empty());
  EXPECT_EQ(Exported(kTenantB, "a").size(), 41u);
  // Once purged, a series left without samples is no longer listed.
  auto series =
      Get(fmt::format("/api/v1/series?match[]=up&start={}&end={}", kBase, kBase + 600), kTenantA);
  EXPECT_EQ(series->body, R"({"status":"success","data":[]})");
}

TEST_F(SeriesDeletionTest, RefusesInvalidRequestsAsPrometheusDoes) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto r = DeleteSeries(kTenantA, "");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->ErrorType(), "bad_data");
  EXPECT_EQ(r->Error(), "no match[] parameter provided");
  r = DeleteSeries(kTenantA, "match[]=" + UrlEncode("{}"));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Error(),
            R"(invalid parameter "match[]": match[] must contain at least one non-empty matcher)");
  r = DeleteSeries(kTenantA, "match[]=" + UrlEncode("up{"));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->Error(), StartsWith(R"(invalid parameter "match[]": )"));
  r = DeleteSeries(kTenantA, "match[]=up&start=yesterday");
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->Error(),
              StartsWith(R"(invalid parameter "start": Invalid time value for 'start': )"));
  // PUT and a query string work as POST with a form does.
  EXPECT_EQ(Call("PUT", "/api/v1/admin/tsdb/delete_series?match[]=up", {}, kTenantA)->status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/admin/tsdb/delete_series?match[]=up", {}, kTenantA)->status, 405);
}

// ---- Access --------------------------------------------------------------------------------

TEST_F(DeletionApiTest, DeletionNeedsTheAdminScopeWhenAuthIsOn) {
  ASSERT_NO_FATAL_FAILURE(Start(fmt::format(R"(server:
  tcp_listen: ""
auth:
  enabled: true
  credentials:
    - name: reader
      tenant: team-a
      scopes: [read, write]
      bearer_token_sha256: {}
    - name: admin
      tenant: team-a
      scopes: [admin]
      bearer_token_sha256: {}
)",
                                            Sha256Hex("reader-token"), Sha256Hex("admin-token"))));
  const Headers reader = {{"Authorization", "Bearer reader-token"}};
  const Headers admin = {{"Authorization", "Bearer admin-token"}};
  std::string target = fmt::format("/loki/api/v1/delete?query={}&start={}&end={}",
                                   UrlEncode(R"({app="api"})"), kBase, kBase + 1);
  EXPECT_EQ(Call("POST", target, {}, reader)->status, 403);
  EXPECT_EQ(Get("/loki/api/v1/delete", reader)->status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/admin/tsdb/delete_series?match[]=up", {}, reader)->status, 403);
  EXPECT_EQ(Call("POST", target, {}, admin)->status, 204);
  auto listed = Get("/loki/api/v1/delete", admin);
  EXPECT_EQ(listed->status, 200);
  EXPECT_THAT(listed->body, HasSubstr(R"("status":"received")"));
}

}  // namespace
}  // namespace sluice::daemon

// Authentication through a running daemon: every combination of credential, tenant header and
// scope on real endpoints (Loki push and query, Prometheus import and query, reload), tenants kept
// apart in logs, metrics and rules, open health and metrics, refusals counted in /metrics, and
// credentials rotated by a reload.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "daemon/http/authenticator.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_http_client.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const Headers kWriterA = {{"Authorization", "Bearer writer-a-token"}};
const Headers kWriterB = {{"Authorization", "Bearer writer-b-token"}};
const Headers kReaderA = {{"Authorization", BasicAuthorization("grafana-a", "read-a")}};
const Headers kReaderB = {{"Authorization", BasicAuthorization("grafana-b", "read-b")}};
const Headers kAdmin = {{"Authorization", "Bearer admin-token"}};

Headers With(Headers h, std::string name, std::string value) {
  h.emplace_back(std::move(name), std::move(value));
  return h;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class AuthApiTest : public DaemonTest {
 protected:
  std::string Config(std::string_view writer_a_token = "writer-a-token") {
    return fmt::format(
        R"(server:
  tcp_listen: ""
alerting:
  rule_files: [{rules}]
  tenant: team-a
auth:
  enabled: true
  credentials:
    - name: writer-a
      tenant: team-a
      scopes: [write]
      bearer_token_sha256: {wa}
    - name: writer-b
      tenant: team-b
      scopes: [write]
      bearer_token_sha256: {wb}
    - name: grafana-a
      tenant: team-a
      scopes: [read]
      username: grafana-a
      password_sha256: {ra}
    - name: grafana-b
      tenant: team-b
      scopes: [read]
      username: grafana-b
      password_sha256: {rb}
    - name: admin
      tenant: team-a
      scopes: [admin]
      bearer_token_sha256: {admin}
)",
        fmt::arg("rules", dir_.Sub("rules.yml")), fmt::arg("wa", daemon::Sha256Hex(writer_a_token)),
        fmt::arg("wb", daemon::Sha256Hex("writer-b-token")),
        fmt::arg("ra", daemon::Sha256Hex("read-a")), fmt::arg("rb", daemon::Sha256Hex("read-b")),
        fmt::arg("admin", daemon::Sha256Hex("admin-token")));
  }

  void StartWithAuth() {
    std::ofstream(dir_.Sub("rules.yml")) << R"(groups:
  - name: team-a-rules
    rules:
      - alert: Always
        expr: vector(1)
)";
    StartWithConfigFile(Config());
  }

  int Push(const Headers& headers, std::string_view line) {
    std::string body = fmt::format(
        R"({{"streams":[{{"stream":{{"app":"x"}},"values":[["{}","{}"]]}}]}})", NowNs(), line);
    return Call("POST", "/loki/api/v1/push", body,
                With(headers, "Content-Type", "application/json"))
        ->status;
  }

  std::unique_ptr<JsonReply> QueryLogs(const Headers& headers) {
    return Get("/loki/api/v1/query_range?query=%7Bapp%3D%22x%22%7D&since=1h", headers);
  }
};

TEST_F(AuthApiTest, NoOrWrongCredentialsAre401WithAChallenge) {
  ASSERT_NO_FATAL_FAILURE(StartWithAuth());
  for (const Headers& h : {Headers{}, Headers{{"Authorization", "Bearer wrong"}},
                           Headers{{"Authorization", BasicAuthorization("grafana-a", "read-b")}}}) {
    auto push = Call("POST", "/loki/api/v1/push", "{}", h);
    EXPECT_EQ(push->status, 401) << push->body;
    EXPECT_THAT(push->www_authenticate, HasSubstr("realm=\"sluice\""));
    EXPECT_EQ(QueryLogs(h)->status, 401);
    EXPECT_EQ(Get("/api/v1/query?query=up", h)->status, 401);
    EXPECT_EQ(Get("/no/such/endpoint", h)->status, 401);  // routes are not revealed
  }
  auto refused = QueryLogs({});
  EXPECT_EQ(refused->ErrorType(), "unauthorized");
  // With a valid credential an unknown path is an ordinary 404.
  EXPECT_EQ(Get("/no/such/endpoint", kReaderA)->status, 404);
}

TEST_F(AuthApiTest, HealthAndMetricsStayOpenAndCountTheRefusals) {
  ASSERT_NO_FATAL_FAILURE(StartWithAuth());
  EXPECT_EQ(Get("/ready")->status, 200);
  EXPECT_EQ(Get("/-/healthy")->status, 200);
  EXPECT_EQ(QueryLogs({})->status, 401);
  EXPECT_EQ(Push(kReaderA, "nope"), 403);
  auto metrics = Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body,
              HasSubstr(R"(sluice_http_request_errors_total{reason="unauthenticated"} 1)"));
  EXPECT_THAT(metrics->body,
              HasSubstr(R"(sluice_http_request_errors_total{reason="forbidden"} 1)"));
}

TEST_F(AuthApiTest, ScopesGateIngestQueriesAndAdministration) {
  ASSERT_NO_FATAL_FAILURE(StartWithAuth());
  EXPECT_EQ(Push(kWriterA, "written"), 204);
  EXPECT_EQ(Push(kReaderA, "read-only"), 403);
  EXPECT_EQ(Push(kAdmin, "admin-only"), 403);
  auto by_writer = QueryLogs(kWriterA);
  EXPECT_EQ(by_writer->status, 403);
  EXPECT_THAT(by_writer->body, HasSubstr("read scope"));
  EXPECT_EQ(QueryLogs(kReaderA)->status, 200);
  EXPECT_EQ(Call("POST", "/-/reload", "", kReaderA)->status, 403);
  EXPECT_EQ(Call("POST", "/-/reload", "", kWriterA)->status, 403);
  EXPECT_EQ(Call("POST", "/-/reload", "", kAdmin)->status, 200);
  // The handshakes shippers make before writing need a credential but no particular scope.
  EXPECT_EQ(Get("/_license", kWriterA)->status, 200);
  EXPECT_EQ(Get("/ping", kWriterB)->status, 204);
  EXPECT_EQ(Get("/api/v1/status/buildinfo", kReaderB)->status, 200);
  EXPECT_EQ(Get("/_license")->status, 401);
}

TEST_F(AuthApiTest, EachCredentialSeesOnlyItsTenant) {
  ASSERT_NO_FATAL_FAILURE(StartWithAuth());
  EXPECT_EQ(Push(kWriterA, "line of team a"), 204);
  EXPECT_EQ(Push(kWriterB, "line of team b"), 204);
  // Claiming one's own tenant is fine; claiming another's is refused before anything is read.
  EXPECT_EQ(Push(With(kWriterA, "X-Scope-OrgID", "team-a"), "again a"), 204);
  EXPECT_EQ(Push(With(kWriterA, "X-Scope-OrgID", "team-b"), "smuggled into b"), 403);

  auto a = QueryLogs(kReaderA);
  ASSERT_EQ(a->status, 200) << a->body;
  EXPECT_THAT(a->body, HasSubstr("line of team a"));
  EXPECT_THAT(a->body, HasSubstr("again a"));
  EXPECT_THAT(a->body, Not(HasSubstr("team b")));
  auto b = QueryLogs(kReaderB);
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_THAT(b->body, HasSubstr("line of team b"));
  EXPECT_THAT(b->body, Not(HasSubstr("team a")));
  EXPECT_THAT(b->body, Not(HasSubstr("smuggled")));
  EXPECT_EQ(QueryLogs(With(kReaderB, "X-Scope-OrgID", "team-a"))->status, 403);
  EXPECT_EQ(QueryLogs(With(kReaderA, "X-Scope-OrgID", "team-a|team-b"))->status, 403);

  // Metrics the same way.
  std::string ms = std::to_string(NowNs() / 1'000'000);
  EXPECT_EQ(
      Call("POST", "/api/v1/import",
           R"({"metric":{"__name__":"only_b"},"values":[7],"timestamps":[)" + ms + "]}\n", kWriterB)
          ->status,
      204);
  auto seen_by_b = Get("/api/v1/query?query=only_b", kReaderB);
  ASSERT_EQ(seen_by_b->status, 200);
  EXPECT_THAT(seen_by_b->body, HasSubstr(R"("7")"));
  auto seen_by_a = Get("/api/v1/query?query=only_b", kReaderA);
  ASSERT_EQ(seen_by_a->status, 200);
  EXPECT_THAT(seen_by_a->body, HasSubstr(R"("result":[])"));

  // Rules belong to alerting.tenant (team-a).
  auto rules_a = Get("/api/v1/rules", kReaderA);
  EXPECT_THAT(rules_a->body, HasSubstr("team-a-rules"));
  auto rules_b = Get("/api/v1/rules", kReaderB);
  ASSERT_EQ(rules_b->status, 200);
  EXPECT_THAT(rules_b->body, Not(HasSubstr("team-a-rules")));
}

TEST_F(AuthApiTest, AReloadRotatesCredentials) {
  ASSERT_NO_FATAL_FAILURE(StartWithAuth());
  EXPECT_EQ(Push(kWriterA, "before"), 204);
  std::ofstream(config_path()) << Config("writer-a-token-2");
  ASSERT_EQ(Call("POST", "/-/reload", "", kAdmin)->status, 200);
  EXPECT_EQ(Push(kWriterA, "old token"), 401);
  EXPECT_EQ(Push({{"Authorization", "Bearer writer-a-token-2"}}, "new token"), 204);
  EXPECT_EQ(Push(kWriterB, "untouched"), 204);
}

TEST_F(AuthApiTest, WithAuthOffTheTenantHeaderDecides) {
  // The default: no credentials needed, X-Scope-OrgID names the tenant (covered at length by
  // the other API tests), and an Authorization header is ignored.
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Get("/loki/api/v1/labels", {{"Authorization", "Bearer anything"}})->status, 200);
  EXPECT_EQ(Call("POST", "/-/reload")->status, 200);
}

}  // namespace
}  // namespace sluice::testing

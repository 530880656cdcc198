// The Alertmanager config subset (notify_config.h) and the routing tree (route.h).
#include "alerting/route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "alerting/notify_config.h"

namespace sluice::alerting {
namespace {

NotifyConfig MustParse(const std::string& yaml) {
  Result<NotifyConfig> config = ParseNotifyConfig("am.yml", yaml);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? std::move(config).value() : NotifyConfig{};
}

std::string ParseError(const std::string& yaml) {
  Result<NotifyConfig> config = ParseNotifyConfig("am.yml", yaml);
  EXPECT_FALSE(config.ok()) << "accepted:\n" << yaml;
  return config.ok() ? std::string() : config.status().message();
}

storage::Labels L(std::vector<std::pair<std::string, std::string>> pairs) {
  storage::Labels labels;
  for (auto& [n, v] : pairs) labels.push_back({n, v});
  EXPECT_TRUE(storage::Canonicalize(labels).ok());
  return labels;
}

std::vector<std::string> Receivers(const std::vector<const Route*>& routes) {
  std::vector<std::string> out;
  for (const Route* r : routes) out.push_back(r->opts().receiver);
  return out;
}

constexpr const char* kFullConfig = R"x(
global:
  resolve_timeout: 2m
route:
  receiver: default
  group_by: [alertname, cluster]
  group_wait: 10s
  routes:
    - matchers:
        - severity=~"critical|page"
        - team != "dev"
      receiver: pager
      group_interval: 1m
      continue: true
      routes:
        - match:
            service: db
          receiver: dba
          group_by: ['...']
    - match_re:
        service: "api|web"
      receiver: web
      repeat_interval: 1h
receivers:
  - name: default
    webhook_configs:
      - url: http://127.0.0.1:9000/hook
  - name: pager
    webhook_configs:
      - url: http://pager.local:8080/alert?x=1
        send_resolved: false
        max_alerts: 5
        timeout: 3s
        http_config:
          authorization:
            credentials: s3cret
        headers:
          X-Team: sre
      - url: http://backup.local/
        http_config:
          basic_auth: {username: u, password: p}
  - name: dba
    webhook_configs:
      - url: http://dba.local/
        http_config:
          bearer_token: tok
  - name: web
    webhook_configs:
      - url: http://web.local/
        http_config:
          authorization: {type: Token, credentials: abc}
)x";

TEST(NotifyConfigTest, ParsesAlertmanagerConfig) {
  NotifyConfig c = MustParse(kFullConfig);
  EXPECT_EQ(c.resolve_timeout_ms, 120'000);
  EXPECT_EQ(c.route.receiver, "default");
  ASSERT_TRUE(c.route.group_by.has_value());
  EXPECT_EQ(*c.route.group_by, (std::vector<std::string>{"alertname", "cluster"}));
  EXPECT_EQ(c.route.group_wait_ms, 10'000);
  EXPECT_FALSE(c.route.group_interval_ms.has_value());
  ASSERT_EQ(c.route.routes.size(), 2u);
  const RouteConfig& pager = c.route.routes[0];
  EXPECT_TRUE(pager.continue_matching);
  EXPECT_EQ(pager.group_interval_ms, 60'000);
  ASSERT_EQ(pager.matchers.size(), 2u);
  EXPECT_EQ(pager.routes.at(0).receiver, "dba");
  EXPECT_TRUE(pager.routes.at(0).group_by_all);
  EXPECT_EQ(c.route.routes[1].repeat_interval_ms, 3'600'000);

  ASSERT_EQ(c.receivers.size(), 4u);
  const ReceiverConfig* p = c.FindReceiver("pager");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->webhooks.size(), 2u);
  EXPECT_EQ(p->webhooks[0].endpoint.url, "http://pager.local:8080/alert?x=1");
  EXPECT_FALSE(p->webhooks[0].send_resolved);
  EXPECT_EQ(p->webhooks[0].max_alerts, 5u);
  EXPECT_EQ(p->webhooks[0].endpoint.timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(p->webhooks[0].endpoint.bearer_token, "s3cret");  // type defaults to Bearer
  EXPECT_EQ(p->webhooks[0].endpoint.headers,
            (std::vector<std::pair<std::string, std::string>>{{"X-Team", "sre"}}));
  EXPECT_TRUE(p->webhooks[1].send_resolved);
  EXPECT_EQ(p->webhooks[1].max_alerts, 0u);
  EXPECT_EQ(p->webhooks[1].endpoint.basic_username, "u");
  EXPECT_EQ(p->webhooks[1].endpoint.basic_password, "p");
  EXPECT_EQ(c.FindReceiver("dba")->webhooks[0].endpoint.bearer_token, "tok");
  EXPECT_EQ(c.FindReceiver("web")->webhooks[0].endpoint.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Token abc"}}));
  EXPECT_EQ(c.FindReceiver("nobody"), nullptr);
}

TEST(NotifyConfigTest, Defaults) {
  NotifyConfig c = MustParse(R"x(
route: {receiver: r}
receivers: [{name: r}]
inhibit_rules: []
templates: []
)x");
  EXPECT_EQ(c.resolve_timeout_ms, 300'000);
  EXPECT_FALSE(c.route.group_by.has_value());
  EXPECT_FALSE(c.route.group_by_all);
  EXPECT_TRUE(c.receivers.at(0).webhooks.empty());
}

TEST(NotifyConfigTest, RejectsWhatSluiceDoesNotSupport) {
  const std::string receivers = "receivers:\n  - name: r\n";
  std::string e =
      ParseError("route: {receiver: r}\n" + receivers + "    email_configs:\n      - to: a@b.c\n");
  EXPECT_NE(e.find("am.yml:4:5: receivers[0]: field \"email_configs\" is not supported by Sluice"),
            std::string::npos)
      << e;

  e = ParseError("route: {receiver: r}\n" + receivers +
                 "inhibit_rules:\n  - source_matchers: [a=b]\n    target_matchers: [c=d]\n");
  EXPECT_NE(e.find("am.yml:4:1: field \"inhibit_rules\" is not supported by Sluice"),
            std::string::npos)
      << e;

  e = ParseError(
      "route:\n  receiver: r\n  routes:\n    - receiver: r\n      mute_time_intervals: [night]\n" +
      receivers);
  EXPECT_NE(e.find("am.yml:5:7: route.routes[0]: field \"mute_time_intervals\" is not supported"),
            std::string::npos)
      << e;

  e = ParseError("route: {receiver: r}\n" + receivers +
                 "    webhook_configs:\n      - url: https://x.example/\n");
  EXPECT_NE(e.find("am.yml:5:14: receiver \"r\".webhook_configs[0].url: https is not supported by "
                   "Sluice"),
            std::string::npos)
      << e;

  e = ParseError("route: {receiver: r}\n" + receivers +
                 "    webhook_configs:\n      - url: http://x/\n        http_config:\n"
                 "          tls_config: {insecure_skip_verify: true}\n");
  EXPECT_NE(e.find("field \"tls_config\" is not supported by Sluice"), std::string::npos) << e;

  e = ParseError("global:\n  smtp_smarthost: mail:25\nroute: {receiver: r}\n" + receivers);
  EXPECT_NE(e.find("am.yml:2:3: global: field \"smtp_smarthost\" is not supported by Sluice"),
            std::string::npos)
      << e;

  // Not Alertmanager's either: unknown rather than unsupported.
  e = ParseError("route: {receiver: r, group_wiat: 1s}\n" + receivers);
  EXPECT_NE(e.find("route: unknown field \"group_wiat\""), std::string::npos) << e;
}

TEST(NotifyConfigTest, ValidatesAsAlertmanagerDoes) {
  std::string e = ParseError("route: {receiver: nope}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("am.yml:1:19: route.receiver: undefined receiver \"nope\" used in route"),
            std::string::npos)
      << e;
  e = ParseError(
      "route:\n  receiver: r\n  routes:\n    - receiver: missing\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("route.routes[0].receiver: undefined receiver \"missing\""), std::string::npos)
      << e;
  e = ParseError("route: {group_by: [a]}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("root route must specify a default receiver"), std::string::npos) << e;
  e = ParseError("receivers: [{name: r}]\n");
  EXPECT_NE(e.find("no route provided"), std::string::npos) << e;
  e = ParseError("route: {receiver: r}\nreceivers: [{name: r}, {name: r}]\n");
  EXPECT_NE(e.find("notification config name \"r\" is not unique"), std::string::npos) << e;
  e = ParseError("route: {receiver: r, matchers: [a=b]}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("root route must not have any matchers"), std::string::npos) << e;
  e = ParseError("route: {receiver: r, continue: true}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("cannot have continue in root route"), std::string::npos) << e;
  e = ParseError("route: {receiver: r, group_by: ['...', a]}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("cannot have wildcard group_by"), std::string::npos) << e;
  e = ParseError("route: {receiver: r, group_by: [a, a]}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("duplicated label \"a\" in group_by"), std::string::npos) << e;
  e = ParseError("route: {receiver: r, repeat_interval: 0s}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("repeat_interval cannot be zero"), std::string::npos) << e;
  e = ParseError("route: {receiver: r, group_wait: soon}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("route.group_wait: not a valid duration string: \"soon\""), std::string::npos)
      << e;
  e = ParseError(
      "route:\n  receiver: r\n  routes:\n    - matchers: ['a=\"b']\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("am.yml:4:18: route.routes[0].matchers: matcher value contains unescaped "
                   "double quote"),
            std::string::npos)
      << e;
  e = ParseError(
      "route:\n  receiver: r\n  routes:\n    - match_re: {a: '('}\nreceivers: [{name: r}]\n");
  EXPECT_NE(e.find("route.routes[0].match_re"), std::string::npos) << e;
  e = ParseError("route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{}]\n");
  EXPECT_NE(e.find("one of url or url_file must be configured"), std::string::npos) << e;
  e = ParseError(
      "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: "
      "http://x/\n        http_config: {bearer_token: a, basic_auth: {username: u}}\n");
  EXPECT_NE(e.find("at most one of basic_auth, oauth2, bearer_token"), std::string::npos) << e;
  e = ParseError(
      "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: "
      "http://x/\n        http_config: {authorization: {type: basic, credentials: x}}\n");
  EXPECT_NE(e.find("authorization type cannot be set to \"basic\""), std::string::npos) << e;

  // A YAML syntax error, with its position.
  e = ParseError("route: {receiver: r\nreceivers: [\n");
  EXPECT_NE(e.find("am.yml:"), std::string::npos) << e;

  // Several problems are all reported.
  e = ParseError("route: {receiver: x, foo: 1}\nreceivers: [{name: r, bar: 2}]\n");
  EXPECT_NE(e.find("foo"), std::string::npos) << e;
  EXPECT_NE(e.find("bar"), std::string::npos) << e;
  EXPECT_NE(e.find("undefined receiver \"x\""), std::string::npos) << e;
}

TEST(NotifyConfigTest, MatcherSyntax) {
  NotifyConfig c = MustParse(R"x(
route:
  receiver: r
  routes:
    - matchers:
        - 'alertname = Disk'
        - '{severity=~"crit|page", team!="a\"b"}'
        - 'msg!="x\\y\nz"'
        - 'host !~ "db.*"'
receivers: [{name: r}]
)x");
  const storage::LabelMatchers& m = c.route.routes.at(0).matchers;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].name(), "alertname");
  EXPECT_EQ(m[0].value(), "Disk");
  EXPECT_EQ(m[0].op(), storage::MatchOp::kEqual);
  EXPECT_EQ(m[1].op(), storage::MatchOp::kRegexMatch);
  EXPECT_EQ(m[1].value(), "crit|page");
  EXPECT_EQ(m[2].op(), storage::MatchOp::kNotEqual);
  EXPECT_EQ(m[2].value(), "a\"b");
  EXPECT_EQ(m[3].op(), storage::MatchOp::kNotEqual);
  EXPECT_EQ(m[3].value(), "x\\y\nz");
  EXPECT_EQ(m[4].name(), "host");
  EXPECT_EQ(m[4].op(), storage::MatchOp::kRegexNoMatch);
  EXPECT_EQ(m[4].value(), "db.*");
  EXPECT_FALSE(m[4].Matches("db1"));
  EXPECT_TRUE(m[4].Matches("web1"));
}

TEST(RouteTest, MatchIsDepthFirstAndStopsUnlessContinue) {
  NotifyConfig c = MustParse(kFullConfig);
  std::unique_ptr<Route> root = Route::Build(c.route);

  EXPECT_EQ(Receivers(root->Match(L({{"alertname", "X"}}))), (std::vector<std::string>{"default"}));
  // pager matches and continues, so web is tried too.
  EXPECT_EQ(Receivers(root->Match(L({{"severity", "page"}, {"service", "web"}}))),
            (std::vector<std::string>{"pager", "web"}));
  // team="dev" fails pager's != matcher.
  EXPECT_EQ(Receivers(root->Match(L({{"severity", "page"}, {"team", "dev"}, {"service", "web"}}))),
            (std::vector<std::string>{"web"}));
  // The child dba matches; dba does not continue but its parent pager does.
  EXPECT_EQ(Receivers(root->Match(L({{"severity", "critical"}, {"service", "db"}}))),
            (std::vector<std::string>{"dba"}));
  // Regexes are anchored.
  EXPECT_EQ(Receivers(root->Match(L({{"severity", "critical2"}}))),
            (std::vector<std::string>{"default"}));
}

TEST(RouteTest, ChildrenInheritOptions) {
  NotifyConfig c = MustParse(kFullConfig);
  std::unique_ptr<Route> root = Route::Build(c.route);
  EXPECT_EQ(root->opts().group_wait_ms, 10'000);
  EXPECT_EQ(root->opts().group_interval_ms, 300'000);      // default
  EXPECT_EQ(root->opts().repeat_interval_ms, 14'400'000);  // default
  const Route& pager = *root->routes().at(0);
  EXPECT_EQ(pager.opts().group_wait_ms, 10'000);  // inherited
  EXPECT_EQ(pager.opts().group_interval_ms, 60'000);
  EXPECT_EQ(pager.opts().group_by, (std::vector<std::string>{"alertname", "cluster"}));
  const Route& dba = *pager.routes().at(0);
  EXPECT_EQ(dba.opts().group_interval_ms, 60'000);  // from pager
  EXPECT_TRUE(dba.opts().group_by_all);
  const Route& web = *root->routes().at(1);
  EXPECT_EQ(web.opts().group_interval_ms, 300'000);
  EXPECT_EQ(web.opts().repeat_interval_ms, 3'600'000);
  EXPECT_FALSE(web.opts().group_by_all);
}

TEST(RouteTest, GroupKeysAreAlertmanagers) {
  NotifyConfig c = MustParse(kFullConfig);
  std::unique_ptr<Route> root = Route::Build(c.route);
  storage::Labels alert =
      L({{"alertname", "Disk"}, {"cluster", "eu"}, {"service", "db"}, {"severity", "critical"}});

  EXPECT_EQ(root->GroupKey(root->GroupLabels(alert)), "{}:{alertname=\"Disk\", cluster=\"eu\"}");
  const Route& pager = *root->routes().at(0);
  // Matchers sorted by name, printed without spaces.
  EXPECT_EQ(pager.key(), "{}/{severity=~\"critical|page\",team!=\"dev\"}");
  const Route& dba = *pager.routes().at(0);
  EXPECT_EQ(dba.GroupKey(dba.GroupLabels(alert)),
            "{}/{severity=~\"critical|page\",team!=\"dev\"}/{service=\"db\"}:{alertname=\"Disk\", "
            "cluster=\"eu\", service=\"db\", severity=\"critical\"}");
  EXPECT_EQ(root->routes().at(1)->key(), "{}/{service=~\"api|web\"}");
  EXPECT_EQ(root->id(), "{}");
  EXPECT_EQ(root->routes().at(1)->id(), "{}/{service=~\"api|web\"}/1");

  // Without group_by, everything falls in one group; values are quoted like Go's %q.
  NotifyConfig plain = MustParse("route: {receiver: r}\nreceivers: [{name: r}]\n");
  std::unique_ptr<Route> flat = Route::Build(plain.route);
  EXPECT_EQ(flat->GroupKey(flat->GroupLabels(alert)), "{}:{}");
  EXPECT_EQ(flat->GroupKey(L({{"a", "x\"y\\z\n\t"}})), "{}:{a=\"x\\\"y\\\\z\\n\\t\"}");

  // The fixture's group key: group_by [alertname] on the root route.
  NotifyConfig by_name =
      MustParse("route: {receiver: oncall, group_by: [alertname]}\nreceivers: [{name: oncall}]\n");
  std::unique_ptr<Route> r = Route::Build(by_name.route);
  EXPECT_EQ(r->GroupKey(r->GroupLabels(L({{"alertname", "AcceptanceFlagRaised"}, {"job", "n"}}))),
            "{}:{alertname=\"AcceptanceFlagRaised\"}");

  // Matcher values are escaped as OpenMetrics does.
  NotifyConfig esc = MustParse(
      "route:\n  receiver: r\n  routes:\n    - matchers: ['a=\"q\\\"b\\\\c\"']\n"
      "receivers: [{name: r}]\n");
  EXPECT_EQ(Route::Build(esc.route)->routes().at(0)->key(), "{}/{a=\"q\\\"b\\\\c\"}");
}

}  // namespace
}  // namespace sluice::alerting

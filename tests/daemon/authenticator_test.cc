// Authenticator: every combination of credential kind, tenant header and scope that decides a
// request's fate, plus the reloadable holder.
#include "daemon/http/authenticator.h"

#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "tests/support/test_http_client.h"

namespace sluice::daemon {
namespace {

using ::testing::HasSubstr;

using ::sluice::testing::BasicAuthorization;

// A bcrypt hash made now, at the lowest cost so that the test stays fast.
std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt), nullptr);
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* hashed = crypt_rn(password.c_str(), salt, data.get(), sizeof(crypt_data));
  EXPECT_NE(hashed, nullptr);
  return hashed == nullptr ? "" : hashed;
}

config::AuthCredential Token(std::string name, std::string tenant, unsigned scopes,
                             std::string_view token) {
  config::AuthCredential c;
  c.name = std::move(name);
  c.tenant = std::move(tenant);
  c.scopes = scopes;
  c.bearer_token_sha256 = Sha256Hex(token);
  return c;
}

Route MakeRoute(std::string pattern, RouteAccess access) {
  Route r;
  r.pattern = std::move(pattern);
  r.options.access = access;
  return r;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() {
    config_.enabled = true;
    config_.credentials.push_back(Token("shipper-a", "team-a", config::kScopeWrite, "tok-a"));
    config_.credentials.push_back(Token("shipper-b", "team-b", config::kScopeWrite, "tok-b"));
    config::AuthCredential grafana;
    grafana.name = "grafana";
    grafana.tenant = "team-a";
    grafana.scopes = config::kScopeRead;
    grafana.username = "grafana";
    grafana.password_sha256 = Sha256Hex("pa:ss word");  // a colon in a password is allowed
    config_.credentials.push_back(grafana);
    config::AuthCredential ops;
    ops.name = "ops";
    ops.tenant = "team-a";
    ops.scopes = config::kScopeRead | config::kScopeWrite | config::kScopeAdmin;
    ops.username = "ops";
    ops.password_bcrypt = Bcrypt("hunter2");
    config_.credentials.push_back(ops);
  }

  AuthDecision Check(const Route* route, std::string_view authorization,
                     std::string_view tenant = "") {
    Authenticator auth(config_);
    return auth.Authorize(route, authorization, tenant);
  }

  config::AuthConfig config_;
  Route query_ = MakeRoute("/loki/api/v1/query_range", RouteAccess::kRead);
  Route push_ = MakeRoute("/loki/api/v1/push", RouteAccess::kWrite);
  Route reload_ = MakeRoute("/-/reload", RouteAccess::kAdmin);
  Route handshake_ = MakeRoute("/_license", RouteAccess::kAnyCredential);
  Route ready_ = MakeRoute("/ready", RouteAccess::kRead);
};

TEST(Sha256HexTest, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(AuthenticatorTest, DisabledLetsEverythingThroughUnchanged) {
  config_.enabled = false;
  AuthDecision d = Check(&reload_, "", "anyone");
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.credential, "");
  EXPECT_EQ(d.tenant, "");  // the handler keeps X-Scope-OrgID's tenant
}

TEST_F(AuthenticatorTest, OpenPathsNeedNoCredential) {
  EXPECT_EQ(Check(&ready_, "").status, 200);
  EXPECT_EQ(Check(&ready_, "Bearer wrong").status, 200);
  config_.open_paths.clear();
  EXPECT_EQ(Check(&ready_, "").status, 401);
}

TEST_F(AuthenticatorTest, MissingOrWrongCredentialsAre401) {
  AuthDecision none = Check(&push_, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_THAT(none.message, HasSubstr("Authorization"));
  for (std::string_view bad :
       {"Bearer tok-c", "Bearer ", "Bearer", "Token tok-a", "tok-a", "Basic", "Basic !!!!",
        "Basic Z3JhZmFuYQ==" /* no colon */, "Basic Z3JhZmFuYTpwYTpzcyB3b3Jk=" /* bad padding */}) {
    SCOPED_TRACE(bad);
    AuthDecision d = Check(&push_, bad);
    EXPECT_EQ(d.status, 401);
    EXPECT_EQ(d.credential, "");
  }
  EXPECT_EQ(Check(&query_, BasicAuthorization("grafana", "pa:ss wore")).status, 401);
  EXPECT_EQ(Check(&query_, BasicAuthorization("nobody", "pa:ss word")).status, 401);
  EXPECT_EQ(Check(&query_, BasicAuthorization("ops", "hunter3")).status, 401);
  EXPECT_EQ(Check(&query_, BasicAuthorization("ops", "")).status, 401);
}

TEST_F(AuthenticatorTest, ABearerTokenActsForItsTenant) {
  AuthDecision d = Check(&push_, "Bearer tok-a");
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.credential, "shipper-a");
  EXPECT_EQ(d.tenant, "team-a");
  // The scheme is case-insensitive (RFC 9110) and spaces around the token do not matter.
  EXPECT_EQ(Check(&push_, "bearer  tok-b ").tenant, "team-b");
}

TEST_F(AuthenticatorTest, BasicAuthWithSha256AndBcryptPasswords) {
  AuthDecision grafana = Check(&query_, BasicAuthorization("grafana", "pa:ss word"));
  EXPECT_EQ(grafana.status, 200);
  EXPECT_EQ(grafana.tenant, "team-a");
  Authenticator auth(config_);
  for (int i = 0; i < 2; ++i) {  // the second check is answered from the verified set
    AuthDecision ops = auth.Authorize(&reload_, BasicAuthorization("ops", "hunter2"), "");
    EXPECT_EQ(ops.status, 200);
    EXPECT_EQ(ops.credential, "ops");
  }
  EXPECT_EQ(auth.Authorize(&reload_, BasicAuthorization("ops", "hunter2x"), "").status, 401);
}

TEST_F(AuthenticatorTest, AClaimedTenantMustBeTheCredentials) {
  EXPECT_EQ(Check(&push_, "Bearer tok-a", "team-a").status, 200);
  AuthDecision other = Check(&push_, "Bearer tok-a", "team-b");
  EXPECT_EQ(other.status, 403);
  EXPECT_THAT(other.message, HasSubstr("team-b"));
  EXPECT_THAT(other.message, HasSubstr("shipper-a"));
  EXPECT_EQ(Check(&query_, BasicAuthorization("grafana", "pa:ss word"), "team-a|team-b").status,
            403);
  // A wrong credential stays a 401 whatever tenant it names.
  EXPECT_EQ(Check(&push_, "Bearer nope", "team-a").status, 401);
}

TEST_F(AuthenticatorTest, ScopesDecideWhichRoutes) {
  struct Case {
    std::string authorization;
    Route* route;
    int status;
  };
  std::string grafana = BasicAuthorization("grafana", "pa:ss word");
  std::string ops = BasicAuthorization("ops", "hunter2");
  std::vector<Case> cases = {
      {"Bearer tok-a", &push_, 200},
      {"Bearer tok-a", &query_, 403},
      {"Bearer tok-a", &reload_, 403},
      {"Bearer tok-a", &handshake_, 200},
      {"Bearer tok-a", nullptr, 200},
      {grafana, &push_, 403},
      {grafana, &query_, 200},
      {grafana, &reload_, 403},
      {grafana, &handshake_, 200},
      {ops, &push_, 200},
      {ops, &query_, 200},
      {ops, &reload_, 200},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.authorization + " " + (c.route ? c.route->pattern : "(no route)"));
    AuthDecision d = Check(c.route, c.authorization);
    EXPECT_EQ(d.status, c.status) << d.message;
    if (d.status == 403) {
      EXPECT_THAT(d.message, HasSubstr("scope"));
    }
  }
}

TEST_F(AuthenticatorTest, AccessControlSwapsCredentialsButNotWhetherAuthIsOn) {
  AccessControl access(config_);
  EXPECT_EQ(access.current()->Authorize(&push_, "Bearer tok-a", "").status, 200);
  config::AuthConfig rotated = config_;
  rotated.credentials[0].bearer_token_sha256 = Sha256Hex("tok-a2");
  rotated.enabled = false;
  std::shared_ptr<const Authenticator> before = access.current();
  access.Update(rotated);
  EXPECT_TRUE(access.current()->enabled());
  EXPECT_EQ(access.current()->Authorize(&push_, "Bearer tok-a", "").status, 401);
  EXPECT_EQ(access.current()->Authorize(&push_, "Bearer tok-a2", "").status, 200);
  // A request that started before the reload keeps its authenticator.
  EXPECT_EQ(before->Authorize(&push_, "Bearer tok-a", "").status, 200);
}

}  // namespace
}  // namespace sluice::daemon

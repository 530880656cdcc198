// Authenticator: who a request comes from (auth.credentials), whether it may use a route, and as
// which tenant.
//
// With auth off every request is let through and the tenant stays X-Scope-OrgID's (or the
// default). With auth on, a route listed in auth.open_paths needs nothing; any other needs a
// credential (`Authorization: Bearer <token>` or `Authorization: Basic ...`) whose scopes cover
// the route (RouteAccess). The tenant is then the credential's: a request that names another one
// in X-Scope-OrgID is refused (403), as is a scope the credential lacks; no or wrong credentials
// get 401. Secrets are compared as SHA-256 digests (constant time) or with bcrypt.
//
// bcrypt is slow by design (tens of ms per check), so a verified username and password pair is
// remembered (as a SHA-256 of both) and later requests cost a digest only.
//
// Thread-safety: Authorize may be called from any thread. AccessControl swaps the Authenticator
// when the config is reloaded; requests in flight keep the one they started with.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "config/config.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

struct AuthDecision {
  int status = 200;        // 200 allowed, 401 unauthenticated, 403 forbidden
  std::string credential;  // the credential used; "" with auth off and on open paths
  std::string tenant;      // with a credential: the tenant the request acts for
  std::string message;     // why not, for the client
};

class Authenticator {
 public:
  explicit Authenticator(config::AuthConfig config);

  bool enabled() const { return config_.enabled; }

  // `route` is the matched route, or nullptr when none matched (any valid credential may then
  // learn that). `authorization` and `claimed_tenant` are the Authorization and X-Scope-OrgID
  // headers ("" when absent).
  AuthDecision Authorize(const Route* route, std::string_view authorization,
                         std::string_view claimed_tenant) const;

 private:
  // The credential `authorization` proves, or nullptr.
  const config::AuthCredential* Authenticate(std::string_view authorization) const;
  const config::AuthCredential* CheckBasic(std::string_view encoded) const;
  bool CheckBcrypt(const config::AuthCredential& credential, std::string_view password) const;

  config::AuthConfig config_;
  std::unordered_set<std::string> open_paths_;
  std::unordered_map<std::string, size_t> by_token_digest_;  // hex SHA-256 -> credential
  std::unordered_map<std::string, size_t> by_username_;
  mutable std::mutex verified_mu_;
  mutable std::unordered_set<std::string> verified_bcrypt_;  // SHA-256 of username:password
};

// The Authenticator in force, replaced on reload.
class AccessControl {
 public:
  explicit AccessControl(const config::AuthConfig& config);

  // Takes the new credentials and open paths; whether auth is enabled stays as at start (the
  // config loader reports that change as needing a restart).
  void Update(const config::AuthConfig& config);
  std::shared_ptr<const Authenticator> current() const;

 private:
  const bool enabled_;
  mutable std::mutex mu_;
  std::shared_ptr<const Authenticator> current_;
};

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace sluice::daemon

#include "daemon/http/authenticator.h"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <boost/beast/core/string.hpp>
#include <cstring>
#include <optional>

#include "base/strings.h"

namespace sluice::daemon {
namespace {

// Enough remembered bcrypt checks for every client of a busy deployment; past it the set starts
// over rather than growing with what attackers send.
constexpr size_t kMaxVerifiedBcrypt = 4096;

// The scheme of an Authorization header is case-insensitive (RFC 9110).
bool HasScheme(std::string_view authorization, std::string_view scheme) {
  return boost::beast::iequals(authorization.substr(0, scheme.size()), scheme);
}

// Standard base64 with padding, as RFC 7617 requires; nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t padding = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

unsigned ScopeFor(RouteAccess access) {
  switch (access) {
    case RouteAccess::kRead:
      return config::kScopeRead;
    case RouteAccess::kWrite:
      return config::kScopeWrite;
    case RouteAccess::kAdmin:
      return config::kScopeAdmin;
    case RouteAccess::kAnyCredential:
      return 0;
  }
  return config::kScopeAdmin;
}

std::string_view ScopeName(RouteAccess access) {
  switch (access) {
    case RouteAccess::kRead:
      return "read";
    case RouteAccess::kWrite:
      return "write";
    case RouteAccess::kAdmin:
      return "admin";
    case RouteAccess::kAnyCredential:
      return "any";
  }
  return "admin";
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return "";  // never matches a configured 64-digit digest
  }
  return fmt::format("{:02x}", fmt::join(digest.begin(), digest.begin() + length, ""));
}

Authenticator::Authenticator(config::AuthConfig config) : config_(std::move(config)) {
  open_paths_.insert(config_.open_paths.begin(), config_.open_paths.end());
  for (size_t i = 0; i < config_.credentials.size(); ++i) {
    const config::AuthCredential& c = config_.credentials[i];
    if (!c.bearer_token_sha256.empty()) by_token_digest_.emplace(c.bearer_token_sha256, i);
    if (!c.username.empty()) by_username_.emplace(c.username, i);
  }
}

AuthDecision Authenticator::Authorize(const Route* route, std::string_view authorization,
                                      std::string_view claimed_tenant) const {
  AuthDecision d;
  if (!config_.enabled) return d;
  if (route != nullptr && open_paths_.contains(route->pattern)) return d;
  if (TrimBlanks(authorization).empty()) {
    d.status = 401;
    d.message = "authentication required: send Authorization: Bearer <token> or Basic credentials";
    return d;
  }
  const config::AuthCredential* credential = Authenticate(authorization);
  if (credential == nullptr) {
    d.status = 401;
    d.message = "invalid credentials";
    return d;
  }
  d.credential = credential->name;
  if (!claimed_tenant.empty() && claimed_tenant != credential->tenant) {
    d.status = 403;
    d.message =
        fmt::format("credential \"{}\" acts for tenant \"{}\" and may not use X-Scope-OrgID \"{}\"",
                    credential->name, credential->tenant, claimed_tenant.substr(0, 160));
    return d;
  }
  const RouteAccess access = route != nullptr ? route->options.access : RouteAccess::kAnyCredential;
  if ((credential->scopes & ScopeFor(access)) != ScopeFor(access)) {
    d.status = 403;
    d.message = fmt::format("credential \"{}\" lacks the {} scope that {} needs", credential->name,
                            ScopeName(access), route->pattern);
    return d;
  }
  d.tenant = credential->tenant;
  return d;
}

const config::AuthCredential* Authenticator::Authenticate(std::string_view authorization) const {
  authorization = TrimBlanks(authorization);
  if (HasScheme(authorization, "Bearer ")) {
    std::string_view token = TrimBlanks(authorization.substr(7));
    if (token.empty()) return nullptr;
    auto it = by_token_digest_.find(Sha256Hex(token));
    return it == by_token_digest_.end() ? nullptr : &config_.credentials[it->second];
  }
  if (HasScheme(authorization, "Basic ")) return CheckBasic(TrimBlanks(authorization.substr(6)));
  return nullptr;
}

const config::AuthCredential* Authenticator::CheckBasic(std::string_view encoded) const {
  std::optional<std::string> decoded = DecodeBase64(encoded);
  if (!decoded) return nullptr;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return nullptr;
  std::string_view username = std::string_view(*decoded).substr(0, colon);
  std::string_view password = std::string_view(*decoded).substr(colon + 1);
  auto it = by_username_.find(std::string(username));
  if (it == by_username_.end()) return nullptr;
  const config::AuthCredential& c = config_.credentials[it->second];
  bool ok = c.password_sha256.empty() ? CheckBcrypt(c, password)
                                      : ConstantTimeEquals(Sha256Hex(password), c.password_sha256);
  return ok ? &c : nullptr;
}

bool Authenticator::CheckBcrypt(const config::AuthCredential& credential,
                                std::string_view password) const {
  // The key covers the stored hash too, so that a changed password is checked afresh.
  std::string key = Sha256Hex(
      fmt::format("{}\n{}\n{}", credential.username, credential.password_bcrypt, password));
  {
    std::lock_guard lock(verified_mu_);
    if (verified_bcrypt_.contains(key)) return true;
  }
  if (password.find('\0') != std::string_view::npos) return false;  // crypt takes C strings
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* hashed = crypt_rn(std::string(password).c_str(), credential.password_bcrypt.c_str(),
                                data.get(), sizeof(crypt_data));
  if (hashed == nullptr || !ConstantTimeEquals(hashed, credential.password_bcrypt)) return false;
  std::lock_guard lock(verified_mu_);
  if (verified_bcrypt_.size() >= kMaxVerifiedBcrypt) verified_bcrypt_.clear();
  verified_bcrypt_.insert(std::move(key));
  return true;
}

AccessControl::AccessControl(const config::AuthConfig& config)
    : enabled_(config.enabled), current_(std::make_shared<const Authenticator>(config)) {}

void AccessControl::Update(const config::AuthConfig& config) {
  config::AuthConfig next = config;
  next.enabled = enabled_;
  auto authenticator = std::make_shared<const Authenticator>(std::move(next));
  std::lock_guard lock(mu_);
  current_ = std::move(authenticator);
}

std::shared_ptr<const Authenticator> AccessControl::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace sluice::daemon

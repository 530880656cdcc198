// TenantOverrides<T>: per-tenant settings as the config gives them, the `limits:` section for
// every tenant and `tenants.overrides` for the few named. Immutable once built, so thread-safe;
// callers swap whole tables on reload.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sluice {

template <typename T>
class TenantOverrides {
 public:
  TenantOverrides() = default;
  explicit TenantOverrides(T defaults, std::unordered_map<std::string, T> overrides = {})
      : defaults_(std::move(defaults)), overrides_(std::move(overrides)) {}

  // The tenant's settings: its override, else the defaults.
  const T& For(std::string_view tenant) const {
    if (overrides_.empty()) return defaults_;
    auto it = overrides_.find(std::string(tenant));
    return it == overrides_.end() ? defaults_ : it->second;
  }
  const T& defaults() const { return defaults_; }

 private:
  T defaults_{};
  std::unordered_map<std::string, T> overrides_;
};

}  // namespace sluice

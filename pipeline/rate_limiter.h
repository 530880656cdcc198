// RateLimiter: one token bucket per key (a tenant and the kind of thing counted).
//
// A request is let through when its bucket holds what it needs, or holds `burst` when it needs
// more than that (so that one big request is not refused forever), and then takes all it needs,
// possibly leaving the bucket in debt; otherwise it takes nothing and learns how long until it
// would pass. Buckets that have refilled completely are forgotten, so memory follows the tenants
// that wrote recently, not every name a header ever carried.
//
// Thread-safety: Take may be called from any thread (one short critical section).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "pipeline/tenant_limits.h"

namespace sluice::pipeline {

class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock = Clock::Real()) : clock_(clock) {}

  // 0 when `amount` was taken from `key`'s bucket under `limit` (always, when unlimited);
  // otherwise the seconds until it would be let through, and nothing is taken.
  double Take(const std::string& key, double amount, const RateLimit& limit);

  size_t buckets() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
    double per_second = 0;
    double burst = 0;
  };
  // Drops the buckets that are full again: they behave exactly like fresh ones.
  void ForgetFull(std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  uint64_t takes_since_sweep_ = 0;
};

}  // namespace sluice::pipeline

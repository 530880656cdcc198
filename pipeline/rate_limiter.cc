#include "pipeline/rate_limiter.h"

#include <algorithm>

namespace sluice::pipeline {
namespace {

constexpr uint64_t kSweepEvery = 4096;

double Refilled(double tokens, double per_second, double burst, double seconds) {
  return std::min(burst, tokens + per_second * std::max(0.0, seconds));
}

}  // namespace

double RateLimiter::Take(const std::string& key, double amount, const RateLimit& limit) {
  if (limit.unlimited()) return 0;
  const double burst = limit.bucket_size();
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  if (++takes_since_sweep_ >= kSweepEvery) ForgetFull(now);
  auto [it, fresh] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst;
  } else {
    b.tokens = Refilled(b.tokens, limit.per_second, burst,
                        std::chrono::duration<double>(now - b.updated).count());
  }
  b.updated = now;
  b.per_second = limit.per_second;
  b.burst = burst;
  const double needed = std::min(amount, burst);
  if (b.tokens >= needed) {
    b.tokens -= amount;
    return 0;
  }
  return (needed - b.tokens) / limit.per_second;
}

size_t RateLimiter::buckets() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

void RateLimiter::ForgetFull(std::chrono::steady_clock::time_point now) {
  takes_since_sweep_ = 0;
  std::erase_if(buckets_, [now](const auto& entry) {
    const Bucket& b = entry.second;
    double seconds = std::chrono::duration<double>(now - b.updated).count();
    return Refilled(b.tokens, b.per_second, b.burst, seconds) >= b.burst;
  });
}

}  // namespace sluice::pipeline

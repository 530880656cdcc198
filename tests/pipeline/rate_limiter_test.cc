#include "pipeline/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::pipeline {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, UnlimitedAlwaysPassesAndKeepsNoState) {
  FakeClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.Take("t", 1e12, RateLimit{}), 0);
  EXPECT_EQ(limiter.buckets(), 0u);
}

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  FakeClock clock;
  RateLimiter limiter(clock);
  const RateLimit limit{.per_second = 100, .burst = 300};
  EXPECT_EQ(limiter.Take("t", 200, limit), 0);
  EXPECT_EQ(limiter.Take("t", 100, limit), 0);
  // Empty: 50 more need half a second, and a refusal takes nothing.
  EXPECT_DOUBLE_EQ(limiter.Take("t", 50, limit), 0.5);
  EXPECT_DOUBLE_EQ(limiter.Take("t", 50, limit), 0.5);
  clock.Advance(250ms);
  EXPECT_DOUBLE_EQ(limiter.Take("t", 50, limit), 0.25);
  clock.Advance(250ms);
  EXPECT_EQ(limiter.Take("t", 50, limit), 0);
  // Refilling stops at the burst.
  clock.Advance(1h);
  EXPECT_EQ(limiter.Take("t", 300, limit), 0);
  EXPECT_GT(limiter.Take("t", 1, limit), 0);
}

TEST(RateLimiterTest, ABurstBelowTheRateMeansOneSecondsWorth) {
  FakeClock clock;
  RateLimiter limiter(clock);
  const RateLimit limit{.per_second = 100, .burst = 0};
  EXPECT_EQ(limiter.Take("t", 100, limit), 0);
  EXPECT_DOUBLE_EQ(limiter.Take("t", 10, limit), 0.1);
}

TEST(RateLimiterTest, ARequestBiggerThanTheBurstPassesFromAFullBucketAndLeavesDebt) {
  FakeClock clock;
  RateLimiter limiter(clock);
  const RateLimit limit{.per_second = 10, .burst = 20};
  EXPECT_EQ(limiter.Take("t", 50, limit), 0);  // 30 in debt
  // Only a full bucket lets it through again: (20 - (-30)) / 10 = 5 s.
  EXPECT_DOUBLE_EQ(limiter.Take("t", 50, limit), 5.0);
  clock.Advance(5s);
  EXPECT_EQ(limiter.Take("t", 50, limit), 0);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  RateLimiter limiter(clock);
  const RateLimit limit{.per_second = 1, .burst = 1};
  EXPECT_EQ(limiter.Take("a", 1, limit), 0);
  EXPECT_GT(limiter.Take("a", 1, limit), 0);
  EXPECT_EQ(limiter.Take("b", 1, limit), 0);
}

TEST(RateLimiterTest, FullBucketsAreForgotten) {
  FakeClock clock;
  RateLimiter limiter(clock);
  const RateLimit limit{.per_second = 1000, .burst = 1000};
  for (int i = 0; i < 100; ++i) limiter.Take("tenant-" + std::to_string(i), 10, limit);
  EXPECT_EQ(limiter.buckets(), 100u);
  clock.Advance(1s);  // every bucket is full again
  // The sweep runs every few thousand takes; the busy key stays, in debt.
  for (int i = 0; i < 5000; ++i) limiter.Take("busy", 1, limit);
  EXPECT_EQ(limiter.buckets(), 1u);
}

}  // namespace
}  // namespace sluice::pipeline

#include "aws/rate_limiter.h"

#include <gtest/gtest.h>

#include "aws/retry.h"

namespace bedrock::aws {
namespace {

using namespace std::chrono_literals;

// Sends `count` attempts `spacing` apart, each answered without throttling.
void SendSteadily(core::FakeClock& clock, AdaptiveRateLimiter& limiter, int count,
                  std::chrono::milliseconds spacing) {
  for (int i = 0; i < count; ++i) {
    clock.Advance(spacing);
    limiter.AcquireDelay();
    limiter.OnResponse(false);
  }
}

TEST(AdaptiveRateLimiterTest, StaysOutOfTheWayUntilTheFirstThrottle) {
  core::FakeClock clock;
  AdaptiveRateLimiter limiter(clock);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter.AcquireDelay(), 0ms);
    limiter.OnResponse(false);
  }
  EXPECT_FALSE(limiter.enabled());
}

TEST(AdaptiveRateLimiterTest, MeasuresTheSendingRateInHalfSecondBuckets) {
  core::FakeClock clock;
  AdaptiveRateLimiter limiter(clock);
  SendSteadily(clock, limiter, 40, 100ms);  // 10 attempts per second for 4 s
  EXPECT_NEAR(limiter.measured_tx_rate(), 10, 0.5);
}

TEST(AdaptiveRateLimiterTest, ThrottleCutsTheRateToSeventyPercentOfTheMeasuredOne) {
  core::FakeClock clock;
  AdaptiveRateLimiter limiter(clock);
  SendSteadily(clock, limiter, 40, 100ms);
  const double measured = limiter.measured_tx_rate();
  limiter.OnResponse(true);
  EXPECT_TRUE(limiter.enabled());
  EXPECT_NEAR(limiter.fill_rate(), 0.7 * measured, 0.5);
}

TEST(AdaptiveRateLimiterTest, AnEmptyBucketMakesCallersWaitAtTheFillRate) {
  core::FakeClock clock;
  AdaptiveRateLimiter limiter(clock);
  SendSteadily(clock, limiter, 40, 100ms);
  limiter.OnResponse(true);
  const double rate = limiter.fill_rate();
  // A burst at one instant: the tokens saved up (at most `rate`) go first, then each token costs
  // 1/rate seconds more than the one before.
  std::chrono::milliseconds last{0};
  int waited = 0;
  ASSERT_GT(rate, 1);
  for (int i = 0; i < 20; ++i) {
    auto delay = limiter.AcquireDelay();
    EXPECT_GE(delay, last);
    if (delay > 0ms) ++waited;
    last = delay;
  }
  EXPECT_GT(waited, 10);
  EXPECT_GE(last.count(), 1000.0 * (19 - rate) / rate - 1);
  EXPECT_LE(last.count(), 1000.0 * 19 / rate + 1);
}

TEST(AdaptiveRateLimiterTest, SuccessesGrowTheRateBackAlongTheCubic) {
  core::FakeClock clock;
  AdaptiveRateLimiter limiter(clock);
  SendSteadily(clock, limiter, 40, 100ms);
  limiter.OnResponse(true);
  const double throttled = limiter.fill_rate();
  // Keep sending as fast as allowed for a while: the rate climbs past where it was cut.
  double highest = throttled;
  for (int i = 0; i < 200; ++i) {
    auto delay = limiter.AcquireDelay();
    clock.Advance(std::max<std::chrono::milliseconds>(delay, 50ms));
    limiter.OnResponse(false);
    highest = std::max(highest, limiter.fill_rate());
  }
  EXPECT_GT(highest, throttled * 1.3);
}

TEST(AdaptiveRateLimiterTest, FillRateNeverDropsBelowTheMinimum) {
  core::FakeClock clock;
  AdaptiveRateLimiter limiter(clock);
  limiter.OnResponse(true);  // throttled before any rate was measured
  EXPECT_TRUE(limiter.enabled());
  EXPECT_DOUBLE_EQ(limiter.fill_rate(), 0.5);
  EXPECT_EQ(limiter.AcquireDelay(), 2000ms);  // an empty bucket, 0.5 tokens per second
  EXPECT_EQ(limiter.AcquireDelay(), 4000ms);
}

TEST(RetryStrategyAdaptiveTest, OnlyAdaptiveModeEverWaitsBeforeAnAttempt) {
  core::FakeClock clock;
  RetryConfig adaptive;
  adaptive.mode = RetryMode::kAdaptive;
  RetryStrategy standard_strategy(RetryConfig{}, nullptr, &clock);
  RetryStrategy adaptive_strategy(adaptive, nullptr, &clock);
  for (int i = 0; i < 5; ++i) {
    standard_strategy.AfterAttempt(RetryErrorKind::kThrottling);
    adaptive_strategy.AfterAttempt(RetryErrorKind::kThrottling);
  }
  std::chrono::milliseconds adaptive_wait{0};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(standard_strategy.BeforeAttempt(), 0ms);
    adaptive_wait = adaptive_strategy.BeforeAttempt();
  }
  EXPECT_GT(adaptive_wait, 0ms);
}

}  // namespace
}  // namespace bedrock::aws

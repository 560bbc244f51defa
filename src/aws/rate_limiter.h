// The client-side rate limiter of the AWS SDKs' "adaptive" retry mode (AWS_RETRY_MODE=adaptive):
// a token bucket whose fill rate follows CUBIC congestion control. It stays out of the way until
// the service throttles once; from then on each attempt takes a token first (waiting when the
// bucket is empty), a throttling answer cuts the rate to 70% of what was being sent, and successes
// grow it back along the cubic curve.
//
//   aws::AdaptiveRateLimiter limiter(core::SystemClock::Instance());
//   auto wait = limiter.AcquireDelay();       // before each attempt: sleep this long first
//   ... send ...
//   limiter.OnResponse(/*throttled=*/kind == RetryErrorKind::kThrottling);
//
// The arithmetic is the SDKs' (e.g. @smithy/util-retry DefaultRateLimiter): smoothing 0.8, beta
// 0.7, scale constant 0.4, minimum fill rate 0.5 tokens/s, minimum capacity 1; the sending rate is
// measured in half-second buckets, and a new rate never exceeds twice the measured one.
//
// Thread-safety: internally locked; share one per client (RetryStrategy owns it). The clock must
// outlive the limiter.
#pragma once

#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace bedrock::aws {

class AdaptiveRateLimiter {
 public:
  explicit AdaptiveRateLimiter(const core::Clock& clock);

  // Takes a token for one attempt and returns how long to wait before sending it (zero until the
  // first throttling answer). The token is taken now, so concurrent callers queue up behind it.
  std::chrono::milliseconds AcquireDelay();

  // Records the outcome of an attempt: throttled or not (any other answer, errors included).
  void OnResponse(bool throttled);

  // For tests and metrics.
  bool enabled() const;
  double fill_rate() const;         // tokens per second
  double measured_tx_rate() const;  // attempts per second, smoothed

 private:
  double NowSeconds() const;
  void Refill(double now);                       // requires mutex_
  void UpdateMeasuredRate(double now);           // requires mutex_
  void UpdateRate(double new_rate, double now);  // requires mutex_

  const core::Clock& clock_;
  const core::Clock::SteadyTime epoch_;
  mutable std::mutex mutex_;
  // All guarded by mutex_.
  bool enabled_ = false;
  double fill_rate_ = 0;
  double max_capacity_ = 0;
  double current_capacity_ = 0;
  double last_timestamp_ = -1;  // < 0: never refilled
  double measured_tx_rate_ = 0;
  double last_tx_rate_bucket_;
  int request_count_ = 0;
  double last_max_rate_ = 0;
  double last_throttle_time_;
  double time_window_ = 0;
};

}  // namespace bedrock::aws

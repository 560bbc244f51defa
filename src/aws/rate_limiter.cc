#include "aws/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace bedrock::aws {
namespace {

constexpr double kSmooth = 0.8;
constexpr double kBeta = 0.7;
constexpr double kScaleConstant = 0.4;
constexpr double kMinFillRate = 0.5;
constexpr double kMinCapacity = 1;

// The SDKs round every rate to 8 decimal places; so do we, to follow their arithmetic exactly.
double Precise(double value) { return std::round(value * 1e8) / 1e8; }

}  // namespace

AdaptiveRateLimiter::AdaptiveRateLimiter(const core::Clock& clock)
    : clock_(clock), epoch_(clock.SteadyNow()) {
  const double now = NowSeconds();
  last_tx_rate_bucket_ = std::floor(now);
  last_throttle_time_ = now;
}

double AdaptiveRateLimiter::NowSeconds() const {
  return std::chrono::duration<double>(clock_.SteadyNow() - epoch_).count();
}

void AdaptiveRateLimiter::Refill(double now) {
  if (last_timestamp_ < 0) {
    last_timestamp_ = now;
    return;
  }
  current_capacity_ =
      std::min(max_capacity_, current_capacity_ + (now - last_timestamp_) * fill_rate_);
  last_timestamp_ = now;
}

std::chrono::milliseconds AdaptiveRateLimiter::AcquireDelay() {
  std::lock_guard lock(mutex_);
  if (!enabled_) return std::chrono::milliseconds(0);
  Refill(NowSeconds());
  double wait_seconds = 0;
  if (current_capacity_ < 1) wait_seconds = (1 - current_capacity_) / fill_rate_;
  current_capacity_ -= 1;
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_seconds * 1000)));
}

void AdaptiveRateLimiter::UpdateMeasuredRate(double now) {
  const double bucket = std::floor(now * 2) / 2;
  ++request_count_;
  if (bucket > last_tx_rate_bucket_) {
    const double current_rate = request_count_ / (bucket - last_tx_rate_bucket_);
    measured_tx_rate_ = Precise(current_rate * kSmooth + measured_tx_rate_ * (1 - kSmooth));
    request_count_ = 0;
    last_tx_rate_bucket_ = bucket;
  }
}

void AdaptiveRateLimiter::UpdateRate(double new_rate, double now) {
  Refill(now);
  fill_rate_ = std::max(new_rate, kMinFillRate);
  max_capacity_ = std::max(new_rate, kMinCapacity);
  current_capacity_ = std::min(current_capacity_, max_capacity_);
}

void AdaptiveRateLimiter::OnResponse(bool throttled) {
  std::lock_guard lock(mutex_);
  const double now = NowSeconds();
  UpdateMeasuredRate(now);
  double calculated;
  if (throttled) {
    const double rate = enabled_ ? std::min(measured_tx_rate_, fill_rate_) : measured_tx_rate_;
    last_max_rate_ = rate;
    time_window_ = Precise(std::cbrt(last_max_rate_ * (1 - kBeta) / kScaleConstant));
    last_throttle_time_ = now;
    calculated = Precise(rate * kBeta);
    enabled_ = true;
  } else {
    time_window_ = Precise(std::cbrt(last_max_rate_ * (1 - kBeta) / kScaleConstant));
    calculated = Precise(kScaleConstant * std::pow(now - last_throttle_time_ - time_window_, 3) +
                         last_max_rate_);
  }
  UpdateRate(std::min(calculated, 2 * measured_tx_rate_), now);
}

bool AdaptiveRateLimiter::enabled() const {
  std::lock_guard lock(mutex_);
  return enabled_;
}

double AdaptiveRateLimiter::fill_rate() const {
  std::lock_guard lock(mutex_);
  return fill_rate_;
}

double AdaptiveRateLimiter::measured_tx_rate() const {
  std::lock_guard lock(mutex_);
  return measured_tx_rate_;
}

}  // namespace bedrock::aws

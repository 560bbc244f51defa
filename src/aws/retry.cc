#include "aws/retry.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cmath>
#include <random>

#include "aws/rate_limiter.h"

namespace bedrock::aws {
namespace {

constexpr std::string_view kThrottlingTypes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "ModelNotReadyException",  // Bedrock: modeled @retryable(throttling: true)
};

constexpr std::string_view kTransientTypes[] = {
    "InternalError",
    "InternalFailure",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "BadGatewayException",
};

constexpr std::string_view kTimeoutTypes[] = {"RequestTimeout", "RequestTimeoutException"};

// Modeled client errors that keep their meaning whatever status carries them.
constexpr std::string_view kNeverRetriedTypes[] = {"ModelTimeoutException", "ModelErrorException"};

template <size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

core::Result<int> ParsePositive(std::string_view text, std::string_view what) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    return core::Error::InvalidArgument("{} must be a positive integer, got '{}'", what,
                                        text.substr(0, 32));
  }
  return value;
}

core::Result<RetryMode> ParseMode(std::string_view text, std::string_view what) {
  if (text == "standard") return RetryMode::kStandard;
  if (text == "legacy") return RetryMode::kLegacy;
  if (text == "adaptive") return RetryMode::kAdaptive;
  return core::Error::InvalidArgument("{} must be standard, legacy or adaptive, got '{}'", what,
                                      text.substr(0, 32));
}

}  // namespace

core::Result<RetryConfig> RetryConfigFromEnv(const core::Env& env, const ProfileSet* profiles,
                                             std::string_view profile_name, RetryConfig config) {
  const Profile* profile = profiles ? profiles->FindProfile(profile_name) : nullptr;
  std::optional<std::string> attempts = env.Get("AWS_MAX_ATTEMPTS");
  std::string attempts_what = "AWS_MAX_ATTEMPTS";
  if ((!attempts || attempts->empty()) && profile) {
    attempts = profile->Get("max_attempts");
    attempts_what = fmt::format("max_attempts of profile '{}'", profile_name);
  }
  if (attempts && !attempts->empty()) {
    config.max_attempts = BEDROCK_TRY(ParsePositive(*attempts, attempts_what));
  }
  std::optional<std::string> mode = env.Get("AWS_RETRY_MODE");
  std::string mode_what = "AWS_RETRY_MODE";
  if ((!mode || mode->empty()) && profile) {
    mode = profile->Get("retry_mode");
    mode_what = fmt::format("retry_mode of profile '{}'", profile_name);
  }
  if (mode && !mode->empty()) config.mode = BEDROCK_TRY(ParseMode(*mode, mode_what));
  return config;
}

RetryErrorKind ClassifyAwsErrorType(std::string_view type) {
  if (Contains(kThrottlingTypes, type)) return RetryErrorKind::kThrottling;
  if (Contains(kTimeoutTypes, type)) return RetryErrorKind::kTimeout;
  if (Contains(kTransientTypes, type)) return RetryErrorKind::kTransient;
  return RetryErrorKind::kNone;
}

RetryErrorKind ClassifyHttpStatus(int status) {
  if (status == 429) return RetryErrorKind::kThrottling;
  if (status == 500 || status == 502 || status == 503 || status == 504) {
    return RetryErrorKind::kTransient;
  }
  return RetryErrorKind::kNone;
}

RetryErrorKind ClassifyAwsError(const AwsError& error) {
  if (auto kind = ClassifyAwsErrorType(error.type); kind != RetryErrorKind::kNone) return kind;
  if (Contains(kNeverRetriedTypes, error.type)) return RetryErrorKind::kNone;
  return ClassifyHttpStatus(error.http_status);
}

RetryErrorKind ClassifyError(const core::Error& error) {
  switch (error.code()) {
    case core::ErrorCode::kUnavailable:
      return RetryErrorKind::kTransient;
    case core::ErrorCode::kDeadlineExceeded:
      return RetryErrorKind::kTimeout;
    default:
      return RetryErrorKind::kNone;
  }
}

RetryStrategy::RetryStrategy(RetryConfig config, RandomSource random, const core::Clock* clock)
    : config_(config), random_(std::move(random)), quota_(config.initial_quota) {
  if (config_.mode == RetryMode::kAdaptive) {
    limiter_ =
        std::make_unique<AdaptiveRateLimiter>(clock ? *clock : core::SystemClock::Instance());
  }
}

RetryStrategy::~RetryStrategy() = default;

std::chrono::milliseconds RetryStrategy::BeforeAttempt() {
  return limiter_ ? limiter_->AcquireDelay() : std::chrono::milliseconds(0);
}

void RetryStrategy::AfterAttempt(RetryErrorKind kind) {
  if (limiter_) limiter_->OnResponse(kind == RetryErrorKind::kThrottling);
}

double RetryStrategy::Random() {
  if (random_) return std::clamp(random_(), 0.0, 1.0);
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::optional<std::chrono::milliseconds> RetryStrategy::OnFailure(CallState& state,
                                                                  RetryErrorKind kind) {
  if (kind == RetryErrorKind::kNone || state.attempt >= config_.max_attempts) return std::nullopt;
  int cost = kind == RetryErrorKind::kTimeout ? config_.timeout_retry_cost : config_.retry_cost;
  if (config_.mode != RetryMode::kLegacy) {
    std::lock_guard lock(mutex_);
    if (quota_ < cost) return std::nullopt;
    quota_ -= cost;
  } else {
    cost = 0;
  }
  state.last_retry_cost = cost;
  auto base =
      kind == RetryErrorKind::kThrottling ? config_.throttling_base_delay : config_.base_delay;
  // base * 2^(attempt-1), computed in double to avoid overflow for large attempt counts.
  double ceiling = std::min(
      static_cast<double>(base.count()) * std::pow(2.0, static_cast<double>(state.attempt - 1)),
      static_cast<double>(config_.max_backoff.count()));
  ++state.attempt;
  return std::chrono::milliseconds(static_cast<int64_t>(Random() * ceiling));
}

void RetryStrategy::OnSuccess(const CallState& state) {
  if (config_.mode == RetryMode::kLegacy) return;
  std::lock_guard lock(mutex_);
  quota_ += state.last_retry_cost > 0 ? state.last_retry_cost : config_.no_retry_increment;
  quota_ = std::min(quota_, config_.initial_quota);
}

int RetryStrategy::quota() const {
  std::lock_guard lock(mutex_);
  return quota_;
}

RetrySleeper DefaultRetrySleeper() {
  return [](std::chrono::milliseconds delay) -> boost::asio::awaitable<void> {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  };
}

}  // namespace bedrock::aws

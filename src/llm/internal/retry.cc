#include "llm/internal/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

namespace bedrock::llm::internal {
namespace {

constexpr int kRetryCost = 5;
constexpr int kTimeoutRetryCost = 10;
constexpr int kNoRetryIncrement = 1;

constexpr std::string_view kThrottlingCodes[] = {
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
    "ModelNotReadyException",  // Bedrock: modeled @retryable, the SDK retries it
};

constexpr std::string_view kTransientCodes[] = {
    "InternalServerException", "ServiceUnavailableException", "InternalFailure",
    "InternalError",           "ServiceUnavailable",
};

constexpr std::string_view kTimeoutCodes[] = {"RequestTimeout", "RequestTimeoutException"};

template <size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

}  // namespace

core::Result<RetryOptions> RetryOptionsFromEnv(const core::Env& env, RetryOptions defaults) {
  if (auto text = env.Get("AWS_MAX_ATTEMPTS"); text && !text->empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < 1) {
      return core::Error::InvalidArgument("AWS_MAX_ATTEMPTS must be a positive integer, got '{}'",
                                          *text);
    }
    defaults.max_attempts = value;
  }
  if (auto mode = env.Get("AWS_RETRY_MODE"); mode && !mode->empty()) {
    if (*mode != "legacy" && *mode != "standard" && *mode != "adaptive") {
      return core::Error::InvalidArgument(
          "AWS_RETRY_MODE must be legacy, standard or adaptive, got '{}'", *mode);
    }
  }
  return defaults;
}

RetryKind ClassifyHttpStatus(int status) {
  if (status == 429) return RetryKind::kThrottling;
  if (status == 500 || status == 502 || status == 503 || status == 504) {
    return RetryKind::kTransient;
  }
  return RetryKind::kNone;
}

RetryKind ClassifyAwsError(const aws::AwsError& error) {
  if (Contains(kThrottlingCodes, error.type)) return RetryKind::kThrottling;
  if (Contains(kTimeoutCodes, error.type)) return RetryKind::kTimeout;
  if (Contains(kTransientCodes, error.type)) return RetryKind::kTransient;
  if (!error.type.empty() && error.http_status == 0) return RetryKind::kNone;
  // Modeled client errors keep their no-retry meaning even on a retryable-looking status.
  if (error.type == "ModelTimeoutException" || error.type == "ModelErrorException" ||
      error.type == "ValidationException" || error.type == "AccessDeniedException") {
    return RetryKind::kNone;
  }
  return ClassifyHttpStatus(error.http_status);
}

RetryKind ClassifyTransportError(const core::Error& error) {
  switch (error.code()) {
    case core::ErrorCode::kUnavailable:
      return RetryKind::kTransient;
    case core::ErrorCode::kDeadlineExceeded:
      return RetryKind::kTimeout;
    default:
      return RetryKind::kNone;
  }
}

RetryPolicy::RetryPolicy(RetryOptions options)
    : options_(std::move(options)), quota_(options_.initial_quota) {
  options_.max_attempts = std::max(1, options_.max_attempts);
}

double RetryPolicy::Random() {
  if (options_.random) return std::clamp(options_.random(), 0.0, 1.0);
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::optional<std::chrono::milliseconds> RetryPolicy::ShouldRetry(RetryKind kind, int attempt) {
  if (kind == RetryKind::kNone || attempt >= options_.max_attempts) return std::nullopt;
  {
    std::lock_guard lock(mutex_);
    int cost = kind == RetryKind::kTimeout ? kTimeoutRetryCost : kRetryCost;
    if (quota_ < cost) return std::nullopt;
    quota_ -= cost;
  }
  auto base = kind == RetryKind::kThrottling ? options_.throttling_base_delay : options_.base_delay;
  double exponential = static_cast<double>(base.count()) * std::pow(2.0, std::min(attempt - 1, 30));
  double capped = std::min(exponential, static_cast<double>(options_.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(Random() * capped));
}

void RetryPolicy::OnSuccess(int attempt, RetryKind last_retry_kind) {
  std::lock_guard lock(mutex_);
  int refund = kNoRetryIncrement;
  if (attempt > 1) refund = last_retry_kind == RetryKind::kTimeout ? kTimeoutRetryCost : kRetryCost;
  quota_ = std::min(options_.initial_quota, quota_ + refund);
}

int RetryPolicy::quota() const {
  std::lock_guard lock(mutex_);
  return quota_;
}

}  // namespace bedrock::llm::internal

// Retries in the AWS SDKs' "standard" mode, for the model providers.
//
// src/aws has no retry helper yet; this one is small and provider-neutral so it can move there
// (aws/retry.h) without changing callers much.
//
//   internal::RetryPolicy policy(options);              // one per provider: it owns the quota
//   for (int attempt = 1;; ++attempt) {
//     ... send; on failure:
//     auto kind = internal::ClassifyAwsError(aws_error); // or ClassifyTransportError(error)
//     auto delay = policy.ShouldRetry(kind, attempt);     // nullopt: give up
//     if (!delay) return error;
//     co_await Wait(*delay);
//   }
//   policy.OnSuccess(attempt);
//
// Standard mode (as in the SDKs' StandardRetryStrategy): throttling errors (429 and the SDKs'
// throttling error codes, plus Bedrock's ModelNotReadyException) and transient errors (500, 502,
// 503, 504, request-timeout codes, connection failures) are retried up to max_attempts in total,
// after `random * min(base * 2^(attempt-1), max_backoff)` (full jitter; base 100 ms, 500 ms for
// throttling), while a retry quota lasts (500 tokens; a retry costs 5, one after a timeout 10; a
// success refunds what its retry took, or 1 when it needed none). Client errors (400, 403, 404,
// 408 ModelTimeoutException, 424 ModelErrorException) are never retried.
//
// Thread-safety: RetryPolicy is internally locked; the free functions are pure.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>

#include "aws/errors.h"
#include "core/env.h"
#include "core/error.h"

namespace bedrock::llm::internal {

struct RetryOptions {
  int max_attempts = 3;  // total attempts, the first included (AWS_MAX_ATTEMPTS)
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds throttling_base_delay{500};
  std::chrono::milliseconds max_backoff{20'000};
  int initial_quota = 500;
  // Uniform in [0, 1); null: a thread-local PRNG. Tests pin it.
  std::function<double()> random;
};

// AWS_MAX_ATTEMPTS (a positive integer) over `defaults`; AWS_RETRY_MODE "legacy", "standard" and
// "adaptive" are all served by standard mode. kInvalidArgument for a malformed value.
core::Result<RetryOptions> RetryOptionsFromEnv(const core::Env& env, RetryOptions defaults = {});

enum class RetryKind { kNone, kThrottling, kTransient, kTimeout };

// From an AWS error response (or an event-stream exception with http_status 0).
RetryKind ClassifyAwsError(const aws::AwsError& error);
// From an HTTP status with no parsable error body.
RetryKind ClassifyHttpStatus(int status);
// From a transport failure of the HTTP client: kUnavailable (cannot connect, connection reset)
// is transient, kDeadlineExceeded a timeout; nothing else is retried.
RetryKind ClassifyTransportError(const core::Error& error);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {});

  int max_attempts() const { return options_.max_attempts; }

  // Whether attempt `attempt` (1-based) that failed with `kind` is retried, and after how long.
  // Takes the retry's cost from the quota.
  std::optional<std::chrono::milliseconds> ShouldRetry(RetryKind kind, int attempt);

  // After a successful attempt: refunds the quota.
  void OnSuccess(int attempt, RetryKind last_retry_kind = RetryKind::kNone);

  int quota() const;

 private:
  double Random();

  RetryOptions options_;
  mutable std::mutex mutex_;
  int quota_;  // guarded by mutex_
};

}  // namespace bedrock::llm::internal

// Retries as the AWS SDKs do them in "standard" mode, for any AWS call (STS, SSO, IMDS, Bedrock).
//
//   auto config = BEDROCK_TRY(aws::RetryConfigFromEnv(env, &profiles, profile_name));
//   auto strategy = std::make_shared<aws::RetryStrategy>(config);   // one per client: owns the
//   quota
//
//   auto result = co_await aws::RetryingCall<Response>(
//       *strategy, [&](int attempt) -> asio::awaitable<aws::Attempt<Response>> {
//         auto r = co_await client.Send(MakeRequest(attempt));
//         if (!r.ok()) co_return aws::Attempt<Response>(r.error(), aws::ClassifyError(r.error()));
//         if (r->status >= 300) {
//           auto e = aws::ParseRestJson1Error(r->status, r->headers, r->body);
//           co_return aws::Attempt<Response>(e.ToError(), aws::ClassifyAwsError(e));
//         }
//         co_return aws::Attempt<Response>(std::move(*r));
//       });
//
// Standard mode (the SDKs' cross-language retry specification):
// - Retryable: throttling errors (Throttling, ThrottlingException, ..., status 429), transient
//   errors (RequestTimeout[Exception], InternalError, InternalServerException, 500/502/503/504,
//   connection failures) and timeouts. Nothing else; never once a response stream has started.
// - At most max_attempts attempts in total (AWS_MAX_ATTEMPTS, profile max_attempts; default 3).
// - Delay before retry n (1-based): random * min(base * 2^(n-1), max_backoff), "full jitter";
//   base 100 ms (500 ms for throttling errors, as the JS SDK), max_backoff 20 s.
// - A retry quota shared by every call of a strategy: 500 tokens; a retry costs 5 (10 after a
//   timeout); when the quota cannot pay, the error is returned instead of retried. A successful
//   call refunds what its last retry cost, or 1 token when it needed no retry (capped at 500).
// Legacy mode is standard mode without the quota. Adaptive mode is standard mode plus the SDKs'
// client-side rate limiter (aws/rate_limiter.h): every attempt first waits for BeforeAttempt()'s
// delay (zero until the service has throttled), and reports its outcome with AfterAttempt().
//
// Thread-safety: RetryStrategy is internally locked and may be shared by concurrent calls on any
// thread. The free functions are pure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "aws/errors.h"
#include "aws/shared_config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"

namespace bedrock::aws {

class AdaptiveRateLimiter;

enum class RetryMode { kStandard, kLegacy, kAdaptive };

struct RetryConfig {
  RetryMode mode = RetryMode::kStandard;
  int max_attempts = 3;  // total attempts, the first included
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds throttling_base_delay{500};
  std::chrono::milliseconds max_backoff{20'000};
  int initial_quota = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int no_retry_increment = 1;
};

// AWS_MAX_ATTEMPTS over the profile's max_attempts, AWS_RETRY_MODE over its retry_mode, over
// `defaults`. kInvalidArgument (naming the variable or profile) for a value that is not a
// positive integer or not one of standard|legacy|adaptive.
core::Result<RetryConfig> RetryConfigFromEnv(const core::Env& env, const ProfileSet* profiles,
                                             std::string_view profile_name,
                                             RetryConfig defaults = {});

// Why a failed attempt may be retried.
enum class RetryErrorKind {
  kNone,        // not retryable
  kThrottling,  // the service asked us to slow down
  kTransient,   // a server or network failure
  kTimeout,     // the attempt timed out (costs more quota)
};

// From an AWS error type (sanitised, e.g. "ThrottlingException").
RetryErrorKind ClassifyAwsErrorType(std::string_view type);
// From an HTTP status alone: 429 throttling; 500, 502, 503, 504 transient.
RetryErrorKind ClassifyHttpStatus(int status);
// From a parsed AWS error: its type first, then its HTTP status (0 for event-stream errors).
RetryErrorKind ClassifyAwsError(const AwsError& error);
// From a transport failure of http::Client: kUnavailable (could not connect, connection reset)
// is transient, kDeadlineExceeded a timeout; nothing else (cancellation included) is retried.
RetryErrorKind ClassifyError(const core::Error& error);

class RetryStrategy {
 public:
  // Uniform in [0, 1). Null: a thread-local PRNG.
  using RandomSource = std::function<double()>;

  // `clock` drives the adaptive mode's rate limiter (null: the system clock; must outlive us).
  explicit RetryStrategy(RetryConfig config = {}, RandomSource random = nullptr,
                         const core::Clock* clock = nullptr);
  ~RetryStrategy();

  const RetryConfig& config() const { return config_; }

  // Before every attempt, the first included: how long to wait before sending it (adaptive mode's
  // rate limiter; always zero in the other modes).
  std::chrono::milliseconds BeforeAttempt();
  // After every attempt: its outcome (kNone for a success or an error that is not retryable).
  void AfterAttempt(RetryErrorKind kind);

  // The state of one call (one operation, however many attempts).
  struct CallState {
    int attempt = 1;          // the attempt in progress, 1-based
    int last_retry_cost = 0;  // quota taken by the last retry, 0 if none
  };

  // Attempt `state.attempt` failed with `kind`: nullopt when it must not be retried (not
  // retryable, attempts used up, or the quota is exhausted); otherwise the delay before the next
  // attempt, with the quota charged and `state` advanced to that attempt.
  std::optional<std::chrono::milliseconds> OnFailure(CallState& state, RetryErrorKind kind);

  // The call succeeded on `state.attempt`: refunds the quota.
  void OnSuccess(const CallState& state);

  int quota() const;

 private:
  double Random();

  const RetryConfig config_;
  RandomSource random_;
  std::unique_ptr<AdaptiveRateLimiter> limiter_;  // adaptive mode only
  mutable std::mutex mutex_;
  int quota_;  // guarded by mutex_
};

// What one attempt of a RetryingCall produced.
template <typename T>
class Attempt {
 public:
  // Success.
  Attempt(T value) : result(std::move(value)) {}  // NOLINT: implicit by design
  // Failure, retried when `kind` allows it and `stream_started` is false.
  Attempt(core::Error error, RetryErrorKind kind, bool stream_started = false)
      : result(std::move(error)), kind(kind), stream_started(stream_started) {}

  core::Result<T> result;
  RetryErrorKind kind = RetryErrorKind::kNone;
  // Set once response bytes were handed to the caller: replaying would duplicate them.
  bool stream_started = false;
};

// Waits before a retry; tests inject one that records the delay and returns at once.
using RetrySleeper = std::function<boost::asio::awaitable<void>(std::chrono::milliseconds)>;
// A steady_timer on the awaiting coroutine's executor.
RetrySleeper DefaultRetrySleeper();

// Runs `attempt_fn(attempt)` (attempt is 1-based) until it succeeds, fails with an error that
// must not be retried, says its stream has started, or `strategy` refuses another retry. The
// error of the last attempt is returned, with the attempt count added when there was more than
// one ("after 3 attempts: ThrottlingException: ...").
//
// `attempt_fn` and `strategy` must outlive the returned awaitable's completion.
template <typename T, typename AttemptFn>
boost::asio::awaitable<core::Result<T>> RetryingCall(RetryStrategy& strategy, AttemptFn attempt_fn,
                                                     RetrySleeper sleeper = nullptr) {
  if (!sleeper) sleeper = DefaultRetrySleeper();
  RetryStrategy::CallState state;
  while (true) {
    if (auto wait = strategy.BeforeAttempt(); wait.count() > 0) co_await sleeper(wait);
    Attempt<T> outcome = co_await attempt_fn(state.attempt);
    strategy.AfterAttempt(outcome.result.ok() ? RetryErrorKind::kNone : outcome.kind);
    if (outcome.result.ok()) {
      strategy.OnSuccess(state);
      co_return std::move(outcome.result);
    }
    std::optional<std::chrono::milliseconds> delay;
    if (!outcome.stream_started) delay = strategy.OnFailure(state, outcome.kind);
    if (!delay) {
      if (state.attempt > 1) {
        co_return std::move(outcome.result)
            .error()
            .WithContext(fmt::format("after {} attempts", state.attempt));
      }
      co_return std::move(outcome.result).error();
    }
    co_await sleeper(*delay);
  }
}

}  // namespace bedrock::aws

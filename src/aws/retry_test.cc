#include "aws/retry.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <vector>

#include "aws/testing/fake_server.h"

namespace bedrock::aws {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

template <typename T>
T RunCo(asio::awaitable<T> awaitable) {
  asio::io_context io;
  return testing::RunCo(io, std::move(awaitable));
}

RetryStrategy::RandomSource Fixed(double value) {
  return [value] { return value; };
}

TEST(RetryClassifyTest, EveryThrottlingCodeOfTheSpecIsThrottling) {
  for (const char* type :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException"}) {
    EXPECT_EQ(ClassifyAwsErrorType(type), RetryErrorKind::kThrottling) << type;
  }
}

TEST(RetryClassifyTest, TransientCodesAndStatusesAreTransient) {
  EXPECT_EQ(ClassifyAwsErrorType("InternalError"), RetryErrorKind::kTransient);
  EXPECT_EQ(ClassifyAwsErrorType("RequestTimeout"), RetryErrorKind::kTimeout);
  EXPECT_EQ(ClassifyAwsErrorType("RequestTimeoutException"), RetryErrorKind::kTimeout);
  for (int status : {500, 502, 503, 504}) {
    EXPECT_EQ(ClassifyHttpStatus(status), RetryErrorKind::kTransient) << status;
  }
  EXPECT_EQ(ClassifyHttpStatus(429), RetryErrorKind::kThrottling);
}

TEST(RetryClassifyTest, ClientErrorsAreNotRetried) {
  for (int status : {400, 403, 404, 408, 424}) {
    EXPECT_EQ(ClassifyHttpStatus(status), RetryErrorKind::kNone) << status;
  }
  AwsError validation{.type = "ValidationException", .message = "", .http_status = 400};
  EXPECT_EQ(ClassifyAwsError(validation), RetryErrorKind::kNone);
}

TEST(RetryClassifyTest, ModeledModelErrorsKeepNoRetryOnA5xxStatus) {
  AwsError e{.type = "ModelErrorException", .message = "", .http_status = 500};
  EXPECT_EQ(ClassifyAwsError(e), RetryErrorKind::kNone);
}

TEST(RetryClassifyTest, UnknownTypeFallsBackToStatus) {
  AwsError e{.type = "SomethingNew", .message = "", .http_status = 503};
  EXPECT_EQ(ClassifyAwsError(e), RetryErrorKind::kTransient);
}

TEST(RetryClassifyTest, TransportErrors) {
  EXPECT_EQ(ClassifyError(core::Error::Unavailable("refused")), RetryErrorKind::kTransient);
  EXPECT_EQ(ClassifyError(core::Error::DeadlineExceeded("slow")), RetryErrorKind::kTimeout);
  EXPECT_EQ(ClassifyError(core::Error::Cancelled("gone")), RetryErrorKind::kNone);
}

TEST(RetryConfigTest, DefaultsAreStandardWithThreeAttempts) {
  core::FakeEnv env;
  auto config = RetryConfigFromEnv(env, nullptr, "default");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->max_attempts, 3);
  EXPECT_EQ(config->mode, RetryMode::kStandard);
}

TEST(RetryConfigTest, EnvironmentBeatsProfile) {
  core::FakeEnv env({{"AWS_MAX_ATTEMPTS", "5"}, {"AWS_RETRY_MODE", "legacy"}});
  ProfileSet profiles;
  profiles.profiles["default"] =
      Profile{.name = "default", .properties = {{"max_attempts", "7"}, {"retry_mode", "adaptive"}}};
  auto config = RetryConfigFromEnv(env, &profiles, "default");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->max_attempts, 5);
  EXPECT_EQ(config->mode, RetryMode::kLegacy);
}

TEST(RetryConfigTest, ProfileValuesApplyWithoutEnvironment) {
  core::FakeEnv env;
  ProfileSet profiles;
  profiles.profiles["dev"] =
      Profile{.name = "dev", .properties = {{"max_attempts", "7"}, {"retry_mode", "adaptive"}}};
  auto config = RetryConfigFromEnv(env, &profiles, "dev");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->max_attempts, 7);
  EXPECT_EQ(config->mode, RetryMode::kAdaptive);
}

TEST(RetryConfigTest, ZeroMaxAttemptsIsRejected) {
  core::FakeEnv env({{"AWS_MAX_ATTEMPTS", "0"}});
  auto config = RetryConfigFromEnv(env, nullptr, "default");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message().find("AWS_MAX_ATTEMPTS"), std::string::npos);
}

TEST(RetryConfigTest, NonNumericMaxAttemptsInProfileNamesTheProfile) {
  core::FakeEnv env;
  ProfileSet profiles;
  profiles.profiles["p"] = Profile{.name = "p", .properties = {{"max_attempts", "three"}}};
  auto config = RetryConfigFromEnv(env, &profiles, "p");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message().find("profile 'p'"), std::string::npos);
}

TEST(RetryConfigTest, UnknownRetryModeIsRejected) {
  core::FakeEnv env({{"AWS_RETRY_MODE", "aggressive"}});
  EXPECT_FALSE(RetryConfigFromEnv(env, nullptr, "default").ok());
}

TEST(RetryStrategyTest, BackoffIsFullJitterOfExponentialCappedAt20Seconds) {
  RetryConfig config;
  config.max_attempts = 20;
  RetryStrategy strategy(config, Fixed(1.0));
  RetryStrategy::CallState state;
  EXPECT_EQ(strategy.OnFailure(state, RetryErrorKind::kTransient), milliseconds(100));
  EXPECT_EQ(strategy.OnFailure(state, RetryErrorKind::kTransient), milliseconds(200));
  EXPECT_EQ(strategy.OnFailure(state, RetryErrorKind::kTransient), milliseconds(400));
  for (int i = 0; i < 10; ++i) (void)strategy.OnFailure(state, RetryErrorKind::kTransient);
  EXPECT_EQ(strategy.OnFailure(state, RetryErrorKind::kTransient), milliseconds(20'000));
}

TEST(RetryStrategyTest, JitterScalesTheDelay) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0.5));
  RetryStrategy::CallState state;
  EXPECT_EQ(strategy.OnFailure(state, RetryErrorKind::kTransient), milliseconds(50));
}

TEST(RetryStrategyTest, ThrottlingUsesTheLongerBase) {
  RetryStrategy strategy(RetryConfig{}, Fixed(1.0));
  RetryStrategy::CallState state;
  EXPECT_EQ(strategy.OnFailure(state, RetryErrorKind::kThrottling), milliseconds(500));
}

TEST(RetryStrategyTest, StopsAtMaxAttempts) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  RetryStrategy::CallState state;
  EXPECT_TRUE(strategy.OnFailure(state, RetryErrorKind::kTransient));
  EXPECT_TRUE(strategy.OnFailure(state, RetryErrorKind::kTransient));
  EXPECT_EQ(state.attempt, 3);
  EXPECT_FALSE(strategy.OnFailure(state, RetryErrorKind::kTransient));
}

TEST(RetryStrategyTest, NonRetryableIsNeverRetried) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  RetryStrategy::CallState state;
  EXPECT_FALSE(strategy.OnFailure(state, RetryErrorKind::kNone));
  EXPECT_EQ(strategy.quota(), 500);
}

TEST(RetryStrategyTest, QuotaChargesFivePerRetryAndTenPerTimeout) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  RetryStrategy::CallState a, b;
  ASSERT_TRUE(strategy.OnFailure(a, RetryErrorKind::kThrottling));
  EXPECT_EQ(strategy.quota(), 495);
  ASSERT_TRUE(strategy.OnFailure(b, RetryErrorKind::kTimeout));
  EXPECT_EQ(strategy.quota(), 485);
}

TEST(RetryStrategyTest, SuccessRefundsLastRetryCostOrOneToken) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  RetryStrategy::CallState retried;
  ASSERT_TRUE(strategy.OnFailure(retried, RetryErrorKind::kTimeout));
  EXPECT_EQ(strategy.quota(), 490);
  strategy.OnSuccess(retried);
  EXPECT_EQ(strategy.quota(), 500);
  strategy.OnSuccess(RetryStrategy::CallState{});  // no retry: +1, capped at 500
  EXPECT_EQ(strategy.quota(), 500);
}

TEST(RetryStrategyTest, ExhaustedQuotaStopsRetries) {
  RetryConfig config;
  config.initial_quota = 12;
  RetryStrategy strategy(config, Fixed(0));
  RetryStrategy::CallState a, b, c;
  EXPECT_TRUE(strategy.OnFailure(a, RetryErrorKind::kTransient));  // 7 left
  EXPECT_TRUE(strategy.OnFailure(b, RetryErrorKind::kTransient));  // 2 left
  EXPECT_FALSE(strategy.OnFailure(c, RetryErrorKind::kTransient));
  EXPECT_EQ(c.attempt, 1);
}

TEST(RetryStrategyTest, LegacyModeHasNoQuota) {
  RetryConfig config;
  config.mode = RetryMode::kLegacy;
  config.initial_quota = 0;
  RetryStrategy strategy(config, Fixed(0));
  RetryStrategy::CallState state;
  EXPECT_TRUE(strategy.OnFailure(state, RetryErrorKind::kTransient));
}

struct Recorder {
  std::vector<milliseconds> delays;
  RetrySleeper Sleeper() {
    return [this](milliseconds d) -> asio::awaitable<void> {
      delays.push_back(d);
      co_return;
    };
  }
};

TEST(RetryingCallTest, ThrottledThenSuccessReturnsTheValue) {
  RetryStrategy strategy(RetryConfig{}, Fixed(1.0));
  Recorder recorder;
  int calls = 0;
  auto attempt = [&](int n) -> asio::awaitable<Attempt<int>> {
    ++calls;
    if (n == 1)
      co_return Attempt<int>(core::Error::ResourceExhausted("ThrottlingException"),
                             RetryErrorKind::kThrottling);
    co_return Attempt<int>(42);
  };
  auto result = RunCo(RetryingCall<int>(strategy, attempt, recorder.Sleeper()));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(recorder.delays.size(), 1u);
  EXPECT_EQ(recorder.delays[0], milliseconds(500));
  EXPECT_EQ(strategy.quota(), 500);  // refunded
}

TEST(RetryingCallTest, A500StormGivesUpAfterMaxAttemptsAndSaysSo) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  Recorder recorder;
  int calls = 0;
  auto attempt = [&](int) -> asio::awaitable<Attempt<int>> {
    ++calls;
    co_return Attempt<int>(core::Error::Unavailable("InternalServerException: boom"),
                           RetryErrorKind::kTransient);
  };
  auto result = RunCo(RetryingCall<int>(strategy, attempt, recorder.Sleeper()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(result.error().code(), core::ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message().find("after 3 attempts"), std::string::npos);
  EXPECT_NE(result.error().message().find("InternalServerException"), std::string::npos);
}

TEST(RetryingCallTest, NeverRetriesOnceTheStreamStarted) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  Recorder recorder;
  int calls = 0;
  auto attempt = [&](int) -> asio::awaitable<Attempt<int>> {
    ++calls;
    co_return Attempt<int>(core::Error::Unavailable("connection reset mid-stream"),
                           RetryErrorKind::kTransient, /*stream_started=*/true);
  };
  auto result = RunCo(RetryingCall<int>(strategy, attempt, recorder.Sleeper()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(recorder.delays.empty());
  EXPECT_EQ(result.error().message(), "connection reset mid-stream");
}

TEST(RetryingCallTest, ValidationErrorIsReturnedAtOnce) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));
  Recorder recorder;
  int calls = 0;
  auto attempt = [&](int) -> asio::awaitable<Attempt<int>> {
    ++calls;
    co_return Attempt<int>(core::Error::InvalidArgument("ValidationException: bad"),
                           RetryErrorKind::kNone);
  };
  auto result = RunCo(RetryingCall<int>(strategy, attempt, recorder.Sleeper()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(result.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(RetryingCallTest, DefaultSleeperWaitsOnATimer) {
  RetryStrategy strategy(RetryConfig{}, Fixed(0));  // zero delay: the timer fires at once
  int calls = 0;
  auto attempt = [&](int n) -> asio::awaitable<Attempt<int>> {
    ++calls;
    if (n == 1) co_return Attempt<int>(core::Error::Unavailable("x"), RetryErrorKind::kTransient);
    co_return Attempt<int>(7);
  };
  auto result = RunCo(RetryingCall<int>(strategy, attempt));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace bedrock::aws

#include "llm/internal/retry.h"

#include <gtest/gtest.h>

namespace bedrock::llm::internal {
namespace {

using namespace std::chrono_literals;

aws::AwsError Error(int status, std::string type) {
  aws::AwsError e;
  e.http_status = status;
  e.type = std::move(type);
  return e;
}

TEST(RetryClassifyTest, ThrottlingAndTransientAreRetriedClientErrorsAreNot) {
  EXPECT_EQ(ClassifyAwsError(Error(429, "ThrottlingException")), RetryKind::kThrottling);
  EXPECT_EQ(ClassifyAwsError(Error(429, "ModelNotReadyException")), RetryKind::kThrottling);
  EXPECT_EQ(ClassifyAwsError(Error(500, "InternalServerException")), RetryKind::kTransient);
  EXPECT_EQ(ClassifyAwsError(Error(503, "ServiceUnavailableException")), RetryKind::kTransient);
  EXPECT_EQ(ClassifyAwsError(Error(502, "")), RetryKind::kTransient);
  EXPECT_EQ(ClassifyAwsError(Error(400, "ValidationException")), RetryKind::kNone);
  EXPECT_EQ(ClassifyAwsError(Error(403, "AccessDeniedException")), RetryKind::kNone);
  EXPECT_EQ(ClassifyAwsError(Error(404, "ResourceNotFoundException")), RetryKind::kNone);
  EXPECT_EQ(ClassifyAwsError(Error(408, "ModelTimeoutException")), RetryKind::kNone);
  EXPECT_EQ(ClassifyAwsError(Error(424, "ModelErrorException")), RetryKind::kNone);
}

TEST(RetryClassifyTest, TransportErrors) {
  EXPECT_EQ(ClassifyTransportError(core::Error::Unavailable("refused")), RetryKind::kTransient);
  EXPECT_EQ(ClassifyTransportError(core::Error::DeadlineExceeded("slow")), RetryKind::kTimeout);
  EXPECT_EQ(ClassifyTransportError(core::Error::Cancelled("bye")), RetryKind::kNone);
}

TEST(RetryPolicyTest, BackoffIsFullJitterExponentialCapped) {
  RetryOptions options;
  options.max_attempts = 10;
  options.random = [] { return 0.5; };
  RetryPolicy policy(options);
  EXPECT_EQ(policy.ShouldRetry(RetryKind::kTransient, 1), 50ms);
  EXPECT_EQ(policy.ShouldRetry(RetryKind::kTransient, 2), 100ms);
  EXPECT_EQ(policy.ShouldRetry(RetryKind::kThrottling, 1), 250ms);
  EXPECT_EQ(policy.ShouldRetry(RetryKind::kThrottling, 9), 10'000ms);  // 0.5 * 20 s cap
}

TEST(RetryPolicyTest, StopsAtMaxAttempts) {
  RetryOptions options;
  options.max_attempts = 2;
  RetryPolicy policy(options);
  EXPECT_TRUE(policy.ShouldRetry(RetryKind::kTransient, 1).has_value());
  EXPECT_FALSE(policy.ShouldRetry(RetryKind::kTransient, 2).has_value());
  EXPECT_FALSE(policy.ShouldRetry(RetryKind::kNone, 1).has_value());
}

TEST(RetryPolicyTest, QuotaRunsOutAndSuccessRefundsIt) {
  RetryOptions options;
  options.initial_quota = 12;
  RetryPolicy policy(options);
  EXPECT_TRUE(policy.ShouldRetry(RetryKind::kTransient, 1).has_value());  // 7 left
  EXPECT_TRUE(policy.ShouldRetry(RetryKind::kTransient, 1).has_value());  // 2 left
  EXPECT_FALSE(policy.ShouldRetry(RetryKind::kTransient, 1).has_value());
  policy.OnSuccess(2, RetryKind::kTransient);
  EXPECT_EQ(policy.quota(), 7);
  EXPECT_FALSE(policy.ShouldRetry(RetryKind::kTimeout, 1).has_value());  // costs 10
}

TEST(RetryOptionsTest, EnvOverridesMaxAttempts) {
  core::FakeEnv env({{"AWS_MAX_ATTEMPTS", "5"}, {"AWS_RETRY_MODE", "adaptive"}});
  auto options = RetryOptionsFromEnv(env);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->max_attempts, 5);
}

TEST(RetryOptionsTest, UnknownRetryModeIsInvalid) {
  core::FakeEnv env({{"AWS_RETRY_MODE", "aggressive"}});
  EXPECT_FALSE(RetryOptionsFromEnv(env).ok());
}

TEST(RetryOptionsTest, ZeroMaxAttemptsIsInvalid) {
  core::FakeEnv env({{"AWS_MAX_ATTEMPTS", "0"}});
  EXPECT_FALSE(RetryOptionsFromEnv(env).ok());
}

}  // namespace
}  // namespace bedrock::llm::internal

#include "emulator/auth.h"

#include <gtest/gtest.h>

#include "aws/sigv4.h"
#include "aws/verify_http.h"
#include "core/clock.h"

namespace bedrock::emulator {
namespace {

constexpr char kKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "SESSION";

// A Converse request signed like our Bedrock client signs it.
http::Request Signed(const aws::Credentials& credentials, const core::Clock& clock,
                     std::string region = "us-east-1", std::string service = "bedrock") {
  http::Request request;
  request.method = "POST";
  request.target = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
  request.body = R"({"messages":[]})";
  request.headers.Add("host", "127.0.0.1:7003");
  request.headers.Add("content-type", "application/json");
  aws::SigningConfig config{.region = region, .service = service, .time = clock.Now()};
  aws::SignHttpRequest(request, credentials, config);
  return request;
}

AuthConfig Keys() {
  AuthConfig config;
  config.credentials.push_back({kKey, kSecret, kToken, {}});
  config.api_keys.push_back("api-key-1");
  return config;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  core::FakeClock clock_;
};

TEST_F(AuthenticatorTest, AutoWithKeysVerifies) {
  Authenticator auth(Keys(), clock_);
  EXPECT_EQ(auth.mode(), AuthMode::kVerify);
  EXPECT_FALSE(auth.CheckAws(Signed({kKey, kSecret, kToken, {}}, clock_), true));
}

TEST_F(AuthenticatorTest, AnyRegionIsAcceptedUnlessOneIsConfigured) {
  Authenticator any(Keys(), clock_);
  EXPECT_FALSE(any.CheckAws(Signed({kKey, kSecret, kToken, {}}, clock_, "eu-west-3"), true));
  AuthConfig config = Keys();
  config.region = "us-east-1";
  Authenticator pinned(config, clock_);
  auto failure = pinned.CheckAws(Signed({kKey, kSecret, kToken, {}}, clock_, "eu-west-3"), true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "InvalidSignatureException");
}

TEST_F(AuthenticatorTest, WrongSecretIsInvalidSignature) {
  Authenticator auth(Keys(), clock_);
  auto failure = auth.CheckAws(Signed({kKey, "wrong", kToken, {}}, clock_), true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "InvalidSignatureException");
  EXPECT_EQ(failure->http_status, 403);
}

TEST_F(AuthenticatorTest, UnknownKeyIsUnrecognizedClient) {
  Authenticator auth(Keys(), clock_);
  auto failure = auth.CheckAws(Signed({"AKIDOTHER", kSecret, kToken, {}}, clock_), true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "UnrecognizedClientException");
}

TEST_F(AuthenticatorTest, MissingSessionTokenIsUnrecognizedClient) {
  Authenticator auth(Keys(), clock_);
  auto failure = auth.CheckAws(Signed({kKey, kSecret, "", {}}, clock_), true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "UnrecognizedClientException");
}

TEST_F(AuthenticatorTest, WrongServiceIsInvalidSignature) {
  Authenticator auth(Keys(), clock_);
  auto failure =
      auth.CheckAws(Signed({kKey, kSecret, kToken, {}}, clock_, "us-east-1", "s3"), true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "InvalidSignatureException");
}

TEST_F(AuthenticatorTest, StaleSignatureIsRejected) {
  Authenticator auth(Keys(), clock_);
  http::Request request = Signed({kKey, kSecret, kToken, {}}, clock_);
  clock_.Advance(std::chrono::minutes(10));
  auto failure = auth.CheckAws(request, true);
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("Signature expired"), std::string::npos);
}

TEST_F(AuthenticatorTest, MissingAuthorizationIsMissingAuthenticationToken) {
  Authenticator auth(Keys(), clock_);
  http::Request request;
  request.method = "POST";
  request.target = "/model/x/converse";
  auto failure = auth.CheckAws(request, true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "MissingAuthenticationTokenException");
}

TEST_F(AuthenticatorTest, BearerKeyMustBeKnown) {
  Authenticator auth(Keys(), clock_);
  http::Request good;
  good.headers.Add("Authorization", "Bearer api-key-1");
  EXPECT_FALSE(auth.CheckAws(good, true));
  http::Request bad;
  bad.headers.Add("Authorization", "Bearer api-key-2");
  auto failure = auth.CheckAws(bad, true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->http_status, 403);
}

TEST_F(AuthenticatorTest, BearerIsRefusedWhereOnlySigV4IsAllowed) {
  Authenticator auth(Keys(), clock_);
  http::Request request;
  request.headers.Add("Authorization", "Bearer api-key-1");
  auto failure = auth.CheckAws(request, /*bearer_allowed=*/false);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "IncompleteSignatureException");
}

TEST_F(AuthenticatorTest, WithoutKeysAnyWellFormedSignatureIsAccepted) {
  Authenticator auth(AuthConfig{}, clock_);
  EXPECT_EQ(auth.mode(), AuthMode::kAnySignature);
  EXPECT_FALSE(auth.CheckAws(Signed({"ANYKEY", "any-secret", "", {}}, clock_), true));
  http::Request bearer;
  bearer.headers.Add("Authorization", "Bearer whatever");
  EXPECT_FALSE(auth.CheckAws(bearer, true));
}

TEST_F(AuthenticatorTest, WithoutKeysAMalformedSignatureIsStillRejected) {
  Authenticator auth(AuthConfig{}, clock_);
  http::Request request = Signed({"ANYKEY", "any-secret", "", {}}, clock_);
  request.headers.Remove("x-amz-date");
  auto failure = auth.CheckAws(request, true);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->aws_error_type, "IncompleteSignatureException");
  http::Request wrong_service = Signed({"ANYKEY", "x", "", {}}, clock_, "us-east-1", "s3");
  EXPECT_TRUE(auth.CheckAws(wrong_service, true));
}

TEST_F(AuthenticatorTest, OffAcceptsEverything) {
  AuthConfig config = Keys();
  config.mode = AuthMode::kOff;
  Authenticator auth(config, clock_);
  EXPECT_FALSE(auth.CheckAws(http::Request{}, false));
  EXPECT_TRUE(auth.CheckOpenAi(http::Request{}));
}

TEST_F(AuthenticatorTest, OpenAiNeedsAKnownKeyWhenAnyIsConfigured) {
  Authenticator with_keys(Keys(), clock_);
  http::Request request;
  EXPECT_FALSE(with_keys.CheckOpenAi(request));
  request.headers.Add("Authorization", "Bearer api-key-1");
  EXPECT_TRUE(with_keys.CheckOpenAi(request));
  Authenticator without(AuthConfig{}, clock_);
  EXPECT_TRUE(without.CheckOpenAi(http::Request{}));
}

TEST(AuthConfigFromEnvTest, ReadsTheStandardVariables) {
  core::FakeEnv env({{"AWS_ACCESS_KEY_ID", "AK"},
                     {"AWS_SECRET_ACCESS_KEY", "SK"},
                     {"AWS_SESSION_TOKEN", "TOK"},
                     {"AWS_BEARER_TOKEN_BEDROCK", "bearer"}});
  auto config = AuthConfigFromEnv(env);
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config->credentials.size(), 1u);
  EXPECT_EQ(config->credentials[0].session_token, "TOK");
  EXPECT_EQ(config->api_keys, std::vector<std::string>{"bearer"});
}

TEST(AuthConfigFromEnvTest, HalfAKeyPairIsAnError) {
  core::FakeEnv env({{"AWS_ACCESS_KEY_ID", "AK"}});
  EXPECT_FALSE(AuthConfigFromEnv(env).ok());
}

}  // namespace
}  // namespace bedrock::emulator

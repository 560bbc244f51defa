#include "aws/verify_http.h"

#include <gtest/gtest.h>

namespace bedrock::aws {
namespace {

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// A request as an http::Server would hand it over, signed the way our clients sign.
http::Request SignedRequest(std::chrono::system_clock::time_point now) {
  http::Request request;
  request.method = "POST";
  request.target = "/model/anthropic.claude-v2/converse?trace=1";
  request.headers.Set("host", "bedrock-runtime.us-east-1.amazonaws.com");
  request.headers.Set("content-type", "application/json");
  request.body = R"({"messages":[]})";
  Credentials credentials{.access_key_id = std::string(kKeyId),
                          .secret_access_key = std::string(kSecret)};
  SigningConfig config{.region = "us-east-1", .service = "bedrock", .time = now};
  SignHttpRequest(request, credentials, config);
  return request;
}

class VerifyHttpRequestTest : public ::testing::Test {
 protected:
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  SigV4Verifier verifier_{[](std::string_view id) -> std::optional<VerifierKey> {
    if (id != kKeyId) return std::nullopt;
    return VerifierKey{std::string(kSecret), ""};
  }};
  VerifyOptions options_{.service = "bedrock", .region = "us-east-1", .now = now_};
};

TEST_F(VerifyHttpRequestTest, RequestAsReceivedVerifies) {
  http::Request request = SignedRequest(now_);
  EXPECT_FALSE(VerifyHttpRequest(verifier_, request, options_).has_value());
}

TEST_F(VerifyHttpRequestTest, AlteredBodyFails) {
  http::Request request = SignedRequest(now_);
  request.body = R"({"messages":[1]})";
  auto failure = VerifyHttpRequest(verifier_, request, options_);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->aws_error_type, "InvalidSignatureException");
}

TEST_F(VerifyHttpRequestTest, AlteredQueryFails) {
  http::Request request = SignedRequest(now_);
  request.target = "/model/anthropic.claude-v2/converse?trace=2";
  EXPECT_TRUE(VerifyHttpRequest(verifier_, request, options_).has_value());
}

}  // namespace
}  // namespace bedrock::aws

#include "aws/errors.h"

#include <gtest/gtest.h>

#include "http/message.h"

namespace bedrock::aws {
namespace {

TEST(SanitizeAwsErrorTypeTest, AcceptsEveryFormTheSpecAllows) {
  EXPECT_EQ(SanitizeAwsErrorType("FooError"), "FooError");
  EXPECT_EQ(SanitizeAwsErrorType("FooError:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            "FooError");
  EXPECT_EQ(SanitizeAwsErrorType("aws.protocoltests.restjson#FooError"), "FooError");
  EXPECT_EQ(SanitizeAwsErrorType("aws.protocoltests.restjson#FooError:http://internal.amazon.com/"),
            "FooError");
  EXPECT_EQ(SanitizeAwsErrorType(""), "");
}

TEST(RestJson1ErrorTest, TypeFromHeaderWithCoralSuffix) {
  http::Headers headers{
      {"x-amzn-ErrorType",
       "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
      {"x-amzn-RequestId", "5d5e6c1c"}};
  AwsError e = ParseRestJson1Error(400, headers,
                                   R"({"message":"The provided model identifier is invalid."})");
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, "The provided model identifier is invalid.");
  EXPECT_EQ(e.request_id, "5d5e6c1c");
  core::Error error = e.ToError();
  EXPECT_EQ(error.code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.message(),
            "ValidationException: The provided model identifier is invalid. [request id 5d5e6c1c]");
}

TEST(RestJson1ErrorTest, HeaderNameIsCaseInsensitive) {
  http::Headers headers{{"X-Amzn-Errortype", "ThrottlingException"}};
  EXPECT_EQ(ParseRestJson1Error(429, headers, "{}").type, "ThrottlingException");
}

TEST(RestJson1ErrorTest, HeaderWinsOverBody) {
  http::Headers headers{{"x-amzn-ErrorType", "ThrottlingException"}};
  auto e = ParseRestJson1Error(429, headers, R"({"__type":"OtherError","message":"m"})");
  EXPECT_EQ(e.type, "ThrottlingException");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kResourceExhausted);
}

TEST(RestJson1ErrorTest, TypeFromBodyDunderType) {
  auto e = ParseRestJson1Error(
      404, {}, R"({"__type":"com.amazon.bedrock#ResourceNotFoundException","message":"no"})");
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kNotFound);
}

TEST(RestJson1ErrorTest, CodeWinsOverDunderType) {
  auto e = ParseRestJson1Error(400, {}, R"({"__type":"A","code":"B"})");
  EXPECT_EQ(e.type, "B");
}

TEST(RestJson1ErrorTest, CapitalMessageIsAccepted) {
  auto e = ParseRestJson1Error(403, {{"x-amzn-ErrorType", "AccessDeniedException"}},
                               R"({"Message":"denied"})");
  EXPECT_EQ(e.message, "denied");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kPermissionDenied);
}

TEST(RestJson1ErrorTest, ModeledExtraFieldsAreKept) {
  auto e = ParseRestJson1Error(
      424, {{"x-amzn-ErrorType", "ModelErrorException"}},
      R"({"message":"model failed","originalStatusCode":500,"resourceName":"arn:x","nested":{"a":1}})");
  ASSERT_EQ(e.fields.size(), 2u);
  EXPECT_EQ(e.fields[0], (std::pair<std::string, std::string>{"originalStatusCode", "500"}));
  EXPECT_EQ(e.fields[1], (std::pair<std::string, std::string>{"resourceName", "arn:x"}));
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(e.ToError().message(),
            "ModelErrorException: model failed (originalStatusCode: 500) (resourceName: arn:x)");
}

TEST(RestJson1ErrorTest, AuthErrorsFromTheFrontEndAreUnauthenticated) {
  for (const char* type :
       {"UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException",
        "MissingAuthenticationTokenException", "ExpiredTokenException"}) {
    SCOPED_TRACE(type);
    auto e = ParseRestJson1Error(403, {{"x-amzn-ErrorType", type}}, R"({"message":"m"})");
    EXPECT_EQ(e.ToError().code(), core::ErrorCode::kUnauthenticated);
  }
}

TEST(RestJson1ErrorTest, EveryBedrockRuntimeErrorMapsToItsCode) {
  const std::pair<const char*, core::ErrorCode> cases[] = {
      {"ValidationException", core::ErrorCode::kInvalidArgument},
      {"ServiceQuotaExceededException", core::ErrorCode::kResourceExhausted},
      {"ConflictException", core::ErrorCode::kAborted},
      {"AccessDeniedException", core::ErrorCode::kPermissionDenied},
      {"ResourceNotFoundException", core::ErrorCode::kNotFound},
      {"ModelTimeoutException", core::ErrorCode::kDeadlineExceeded},
      {"ModelErrorException", core::ErrorCode::kUpstreamFailure},
      {"ModelStreamErrorException", core::ErrorCode::kUpstreamFailure},
      {"ThrottlingException", core::ErrorCode::kResourceExhausted},
      {"ModelNotReadyException", core::ErrorCode::kUnavailable},
      {"InternalServerException", core::ErrorCode::kUpstreamFailure},
      {"ServiceUnavailableException", core::ErrorCode::kUnavailable},
      {"DependencyFailedException", core::ErrorCode::kUpstreamFailure},
      {"BadGatewayException", core::ErrorCode::kUpstreamFailure},
  };
  for (const auto& [type, code] : cases) {
    SCOPED_TRACE(type);
    EXPECT_EQ(ParseRestJson1Error(400, {{"x-amzn-ErrorType", type}}, "{}").ToError().code(), code);
  }
}

TEST(RestJson1ErrorTest, UnknownTypeFallsBackToHttpStatus) {
  auto e = ParseRestJson1Error(503, {{"x-amzn-ErrorType", "SomethingNew"}}, "{}");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kUnavailable);
  EXPECT_EQ(e.ToError().message(), "SomethingNew");
}

TEST(RestJson1ErrorTest, NonJsonBodyBecomesTheMessage) {
  auto e = ParseRestJson1Error(502, {}, "<html>Bad Gateway</html>");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.message, "<html>Bad Gateway</html>");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kUnavailable);
  EXPECT_EQ(e.ToError().message(), "HTTP 502: <html>Bad Gateway</html>");
}

TEST(RestJson1ErrorTest, HugeNonJsonBodyIsTruncated) {
  auto e = ParseRestJson1Error(500, {}, std::string(10000, 'x'));
  EXPECT_LT(e.message.size(), 600u);
  EXPECT_TRUE(e.message.ends_with("..."));
}

TEST(RestJson1ErrorTest, EmptyBodyAndNoHeaderUsesTheStatus) {
  auto e = ParseRestJson1Error(404, {}, "");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(e.ToError().message(), "HTTP 404");
}

TEST(RestJson1ErrorTest, JsonArrayBodyIsTreatedAsText) {
  auto e = ParseRestJson1Error(400, {}, "[1,2]");
  EXPECT_EQ(e.message, "[1,2]");
}

TEST(RestJson1ErrorTest, NonStringTypeMembersAreIgnored) {
  auto e = ParseRestJson1Error(400, {}, R"({"__type":5,"code":null,"message":7})");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kInvalidArgument);
}

TEST(EventStreamExceptionTest, LowerCamelMemberNameBecomesTheShapeName) {
  auto e = ParseEventStreamException("throttlingException", R"({"message":"slow"})");
  EXPECT_EQ(e.type, "ThrottlingException");
  EXPECT_EQ(e.http_status, 0);
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(e.ToError().message(), "ThrottlingException: slow");
}

TEST(EventStreamExceptionTest, EmptyTypeIsAnUnknownUpstreamError) {
  auto e = ParseEventStreamException("", "");
  EXPECT_EQ(e.ToError().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(e.ToError().message(), "UnknownError");
}

}  // namespace
}  // namespace bedrock::aws

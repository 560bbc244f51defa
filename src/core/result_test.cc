#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace bedrock::core {
namespace {

Result<int> ParseDigit(char c) {
  if (c < '0' || c > '9') return Error::InvalidArgument("'{}' is not a digit", c);
  return c - '0';
}

Result<int> SumOfDigits(std::string_view text) {
  int sum = 0;
  for (char c : text) sum += BEDROCK_TRY(ParseDigit(c));
  return sum;
}

Status CheckEven(int n) {
  if (n % 2 != 0) return Error::FailedPrecondition("{} is odd", n);
  return OkStatus();
}

Result<std::string> DescribeEvenSum(std::string_view text) {
  int sum = BEDROCK_TRY(SumOfDigits(text));
  BEDROCK_TRY(CheckEven(sum));
  return std::to_string(sum);
}

TEST(ResultTest, TryPropagatesValueOnSuccess) {
  auto result = DescribeEvenSum("1234");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, "10");
}

TEST(ResultTest, TryReturnsFirstErrorUnchanged) {
  auto result = DescribeEvenSum("12x4");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message(), "'x' is not a digit");
}

TEST(ResultTest, TryPropagatesStatusErrors) {
  auto result = DescribeEvenSum("111");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().ToString(), "failed_precondition: 3 is odd");
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(7);
  ASSERT_TRUE(result.ok());
  std::unique_ptr<int> owned = std::move(result).value();
  EXPECT_EQ(*owned, 7);
}

TEST(ResultTest, ValueOrFallsBackOnError) {
  Result<int> failed = Error::NotFound("nothing");
  EXPECT_EQ(failed.value_or(42), 42);
  EXPECT_EQ(Result<int>(5).value_or(42), 5);
}

TEST(ErrorTest, WithContextPrefixesMessageAndKeepsCode) {
  Error e = Error::Unavailable("connection refused").WithContext("mcp server 'files'");
  EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(e.message(), "mcp server 'files': connection refused");
}

TEST(ErrorTest, HttpStatusTableCoversEachEdgeCase) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUpstreamFailure), 502);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kDeadlineExceeded), 504);
  EXPECT_EQ(ErrorCodeFromHttpStatus(429), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeFromHttpStatus(503), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeFromHttpStatus(418), ErrorCode::kInvalidArgument);
}

TEST(ErrorTest, JsonRpcCodesRoundTripForProtocolErrors) {
  EXPECT_EQ(JsonRpcCodeFor(ErrorCode::kInvalidArgument), -32602);
  EXPECT_EQ(JsonRpcCodeFor(ErrorCode::kUnimplemented), -32601);
  EXPECT_EQ(JsonRpcCodeFor(ErrorCode::kInternal), -32603);
  for (auto code : {ErrorCode::kInvalidArgument, ErrorCode::kUnimplemented, ErrorCode::kInternal,
                    ErrorCode::kDeadlineExceeded, ErrorCode::kNotFound}) {
    EXPECT_EQ(ErrorCodeFromJsonRpc(JsonRpcCodeFor(code)), code) << ErrorCodeName(code);
  }
}

TEST(ErrorTest, AwsErrorTypesAcceptEveryWireForm) {
  EXPECT_EQ(ErrorCodeFromAwsType("ThrottlingException"), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeFromAwsType("com.amazonaws.bedrock#ValidationException"),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeFromAwsType("AccessDeniedException:http://internal.amazon.com/coral/"),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(ErrorCodeFromAwsType("SomethingNew"), ErrorCode::kUnknown);
}

}  // namespace
}  // namespace bedrock::core

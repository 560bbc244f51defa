#include "http/message.h"

#include <gtest/gtest.h>

namespace bedrock::http {
namespace {

TEST(HeadersTest, LookupIsCaseInsensitiveAndKeepsFirst) {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("X-Trace", "a");
  h.Add("x-trace", "b");
  EXPECT_EQ(h.Get("content-type"), "application/json");
  EXPECT_EQ(h.Get("X-TRACE"), "a");
  EXPECT_FALSE(h.Get("Accept").has_value());
}

TEST(HeadersTest, SetReplacesEveryFieldOfThatName) {
  Headers h{{"A", "1"}, {"a", "2"}, {"B", "3"}};
  h.Set("A", "9");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.Get("a"), "9");
}

TEST(RequestTest, SplitsPathAndDecodesQueryParameters) {
  Request r;
  r.target = "/v1/list%20models?name=a%2Fb&flag&empty=&x=1";
  EXPECT_EQ(r.Path(), "/v1/list%20models");
  EXPECT_EQ(r.QueryParam("name"), "a/b");
  EXPECT_EQ(r.QueryParam("flag"), "");
  EXPECT_EQ(r.QueryParam("empty"), "");
  EXPECT_FALSE(r.QueryParam("missing").has_value());
}

TEST(PercentDecodeTest, RejectsTruncatedAndNonHexEscapes) {
  EXPECT_EQ(PercentDecode("a%41b"), "aAb");
  EXPECT_FALSE(PercentDecode("abc%4").has_value());
  EXPECT_FALSE(PercentDecode("abc%").has_value());
  EXPECT_FALSE(PercentDecode("%zz").has_value());
}

TEST(ResponseTest, FromErrorMapsStatusAndWritesJsonBody) {
  Response r = Response::FromError(core::Error::PayloadTooLarge("body over {} bytes", 1024));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"payload_too_large","message":"body over 1024 bytes"}})");
}

}  // namespace
}  // namespace bedrock::http

#include "http/url.h"

#include <gtest/gtest.h>

namespace bedrock::http {
namespace {

TEST(ParseHttpUrlTest, HttpsUrlGetsDefaultPortAndTarget) {
  auto url = ParseHttpUrl("https://Bedrock-Runtime.us-east-1.amazonaws.com/model/x/converse");
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "bedrock-runtime.us-east-1.amazonaws.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/model/x/converse");
  EXPECT_FALSE(url->host_is_ip);
  EXPECT_EQ(url->HostHeader(), "bedrock-runtime.us-east-1.amazonaws.com");
  EXPECT_EQ(url->Authority(), "bedrock-runtime.us-east-1.amazonaws.com:443");
}

TEST(ParseHttpUrlTest, ExplicitPortAppearsInHostHeader) {
  auto url = ParseHttpUrl("http://127.0.0.1:7002");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 7002);
  EXPECT_TRUE(url->host_is_ip);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->HostHeader(), "127.0.0.1:7002");
  EXPECT_EQ(url->Origin(), "http://127.0.0.1:7002");
}

TEST(ParseHttpUrlTest, QueryIsKeptEncodedAndFragmentDropped) {
  auto url = ParseHttpUrl("http://h/a%20b?x=1&y=%2F#frag");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->target, "/a%20b?x=1&y=%2F");
  EXPECT_EQ(url->AbsoluteForm(), "http://h/a%20b?x=1&y=%2F");
}

TEST(ParseHttpUrlTest, Ipv6LiteralLosesBracketsButKeepsThemInAuthority) {
  auto url = ParseHttpUrl("https://[::1]:8443/mcp");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_TRUE(url->host_is_ip);
  EXPECT_EQ(url->Authority(), "[::1]:8443");
  EXPECT_EQ(url->HostHeader(), "[::1]:8443");
}

TEST(ParseHttpUrlTest, UserinfoIsDecoded) {
  auto url = ParseHttpUrl("http://us%40er:p%3Ass@proxy:3128");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->user, "us@er");
  EXPECT_EQ(url->password, "p:ss");
}

TEST(ParseHttpUrlTest, OtherSchemeIsRejected) {
  auto url = ParseHttpUrl("ftp://example.com/");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ParseHttpUrlTest, RelativeReferenceIsRejected) {
  EXPECT_FALSE(ParseHttpUrl("/just/a/path").ok());
}

TEST(ParseHttpUrlTest, MissingHostIsRejected) { EXPECT_FALSE(ParseHttpUrl("http:///path").ok()); }

TEST(ParseHttpUrlTest, PortZeroIsRejected) { EXPECT_FALSE(ParseHttpUrl("http://h:0/").ok()); }

TEST(ParseHttpUrlTest, PortOutOfRangeIsRejected) {
  EXPECT_FALSE(ParseHttpUrl("http://h:70000/").ok());
}

TEST(ParseHttpUrlTest, SpaceInUrlIsRejected) { EXPECT_FALSE(ParseHttpUrl("http://h/a b").ok()); }

}  // namespace
}  // namespace bedrock::http

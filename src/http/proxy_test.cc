#include "http/proxy.h"

#include <gtest/gtest.h>

#include <map>

namespace bedrock::http {
namespace {

TEST(NoProxyTest, EmptyListMatchesNothing) { EXPECT_FALSE(NoProxyMatches("", "example.com", 443)); }

TEST(NoProxyTest, StarMatchesEverything) {
  EXPECT_TRUE(NoProxyMatches("*", "example.com", 443));
  EXPECT_TRUE(NoProxyMatches("*", "10.0.0.1", 80));
}

TEST(NoProxyTest, DomainMatchesItselfAndSubdomains) {
  EXPECT_TRUE(NoProxyMatches("example.com", "example.com", 443));
  EXPECT_TRUE(NoProxyMatches("example.com", "api.example.com", 443));
  EXPECT_TRUE(NoProxyMatches("example.com", "a.b.example.com", 443));
}

TEST(NoProxyTest, DomainDoesNotMatchAPartialLabel) {
  EXPECT_FALSE(NoProxyMatches("example.com", "notexample.com", 443));
  EXPECT_FALSE(NoProxyMatches("example.com", "example.com.evil.net", 443));
}

TEST(NoProxyTest, LeadingDotAndStarDotMeanTheSame) {
  EXPECT_TRUE(NoProxyMatches(".example.com", "api.example.com", 443));
  EXPECT_TRUE(NoProxyMatches(".example.com", "example.com", 443));
  EXPECT_TRUE(NoProxyMatches("*.example.com", "api.example.com", 443));
}

TEST(NoProxyTest, NamesCompareCaseInsensitivelyIgnoringTrailingDot) {
  EXPECT_TRUE(NoProxyMatches("Example.COM", "api.example.com.", 443));
}

TEST(NoProxyTest, EntriesAreCommaSeparatedWithSpaces) {
  EXPECT_TRUE(NoProxyMatches("localhost, internal.corp ,10.0.0.1", "svc.internal.corp", 80));
  EXPECT_TRUE(NoProxyMatches("localhost, internal.corp ,10.0.0.1", "10.0.0.1", 80));
  EXPECT_FALSE(NoProxyMatches("localhost, internal.corp ,10.0.0.1", "example.com", 80));
}

TEST(NoProxyTest, EntryWithPortMatchesOnlyThatPort) {
  EXPECT_TRUE(NoProxyMatches("example.com:8443", "example.com", 8443));
  EXPECT_FALSE(NoProxyMatches("example.com:8443", "example.com", 443));
}

TEST(NoProxyTest, IpEntryMatchesOnlyThatAddress) {
  EXPECT_TRUE(NoProxyMatches("127.0.0.1", "127.0.0.1", 80));
  EXPECT_FALSE(NoProxyMatches("127.0.0.1", "127.0.0.2", 80));
  EXPECT_FALSE(NoProxyMatches("127.0.0.1", "localhost", 80));  // no DNS lookups
}

TEST(NoProxyTest, Ipv6EntryMatchesWithOrWithoutBrackets) {
  EXPECT_TRUE(NoProxyMatches("::1", "::1", 80));
  EXPECT_TRUE(NoProxyMatches("[::1]", "::1", 80));
  EXPECT_TRUE(NoProxyMatches("[::1]:8080", "[::1]", 8080));
  EXPECT_FALSE(NoProxyMatches("[::1]:8080", "::1", 80));
}

TEST(NoProxyTest, Ipv4CidrMatchesAddressesInTheBlock) {
  EXPECT_TRUE(NoProxyMatches("10.0.0.0/8", "10.20.30.40", 80));
  EXPECT_TRUE(NoProxyMatches("192.168.1.0/24", "192.168.1.255", 80));
  EXPECT_FALSE(NoProxyMatches("192.168.1.0/24", "192.168.2.1", 80));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8", "ten.example", 80));
}

TEST(NoProxyTest, Ipv6CidrMatchesAddressesInTheBlock) {
  EXPECT_TRUE(NoProxyMatches("fd00::/8", "fd12:3456::1", 80));
  EXPECT_FALSE(NoProxyMatches("fd00::/8", "fe80::1", 80));
}

TEST(NoProxyTest, MalformedCidrMatchesNothing) {
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/", "10.0.0.1", 80));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/99", "10.0.0.1", 80));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/x", "10.0.0.1", 80));
}

using Vars = std::map<std::string, std::string, std::less<>>;

EnvGetter Getter(const Vars& vars) {
  return [&vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProxyConfigTest, ReadsUpperCaseVariables) {
  Vars vars{{"HTTPS_PROXY", "http://p:1"}, {"HTTP_PROXY", "http://p:2"}, {"NO_PROXY", "x"}};
  ProxyConfig config = ProxyConfigFromEnvironment(Getter(vars));
  EXPECT_EQ(config.https_proxy, "http://p:1");
  EXPECT_EQ(config.http_proxy, "http://p:2");
  EXPECT_EQ(config.no_proxy, "x");
}

TEST(ProxyConfigTest, LowerCaseWinsOverUpperCase) {
  Vars vars{{"HTTPS_PROXY", "http://upper:1"},
            {"https_proxy", "http://lower:1"},
            {"NO_PROXY", "upper"},
            {"no_proxy", "lower"}};
  ProxyConfig config = ProxyConfigFromEnvironment(Getter(vars));
  EXPECT_EQ(config.https_proxy, "http://lower:1");
  EXPECT_EQ(config.no_proxy, "lower");
  EXPECT_EQ(config.http_proxy, "");
}

TEST(ProxyConfigTest, ReadsACoreEnv) {
  core::FakeEnv env({{"https_proxy", "http://p:1"}, {"no_proxy", "*"}});
  ProxyConfig config = ProxyConfigFromEnvironment(env);
  EXPECT_EQ(config.https_proxy, "http://p:1");
  EXPECT_EQ(config.no_proxy, "*");
}

TEST(SelectProxyTest, HttpsRequestUsesHttpsProxy) {
  ProxyConfig config{.http_proxy = "http://plain:3128", .https_proxy = "http://secure:3129"};
  auto proxy = SelectProxy(config, *ParseHttpUrl("https://api.example/x"));
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE(proxy->has_value());
  EXPECT_EQ((*proxy)->url.host, "secure");
  EXPECT_EQ((*proxy)->url.port, 3129);
  EXPECT_EQ((*proxy)->authorization, "");
}

TEST(SelectProxyTest, HttpRequestUsesHttpProxy) {
  ProxyConfig config{.http_proxy = "http://plain:3128", .https_proxy = "http://secure:3129"};
  auto proxy = SelectProxy(config, *ParseHttpUrl("http://api.example/x"));
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE(proxy->has_value());
  EXPECT_EQ((*proxy)->url.host, "plain");
}

TEST(SelectProxyTest, NoProxyMatchGoesDirect) {
  ProxyConfig config{.https_proxy = "http://secure:3129", .no_proxy = ".example"};
  auto proxy = SelectProxy(config, *ParseHttpUrl("https://api.example/x"));
  ASSERT_TRUE(proxy.ok());
  EXPECT_FALSE(proxy->has_value());
}

TEST(SelectProxyTest, NoConfiguredProxyGoesDirect) {
  auto proxy = SelectProxy(ProxyConfig{}, *ParseHttpUrl("https://api.example/x"));
  ASSERT_TRUE(proxy.ok());
  EXPECT_FALSE(proxy->has_value());
}

TEST(ParseProxyUrlTest, CredentialsBecomeBasicAuthorization) {
  auto proxy = ParseProxyUrl("http://alice:s%40cret@proxy:8080");
  ASSERT_TRUE(proxy.ok());
  EXPECT_EQ(proxy->authorization, "Basic YWxpY2U6c0BjcmV0");  // alice:s@cret
  EXPECT_EQ(proxy->url.user, "");
  EXPECT_EQ(proxy->Key(), "proxy:8080");
}

TEST(ParseProxyUrlTest, MissingSchemeMeansHttp) {
  auto proxy = ParseProxyUrl("proxy.corp:3128");
  ASSERT_TRUE(proxy.ok());
  EXPECT_EQ(proxy->url.host, "proxy.corp");
  EXPECT_EQ(proxy->url.port, 3128);
}

TEST(ParseProxyUrlTest, MissingPortMeans1080) {
  auto proxy = ParseProxyUrl("http://proxy.corp");
  ASSERT_TRUE(proxy.ok());
  EXPECT_EQ(proxy->url.port, 1080);
}

TEST(ParseProxyUrlTest, HttpsProxyIsRejected) {
  auto proxy = ParseProxyUrl("https://proxy.corp:443");
  ASSERT_FALSE(proxy.ok());
  EXPECT_EQ(proxy.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ParseProxyUrlTest, GarbageIsRejected) { EXPECT_FALSE(ParseProxyUrl("http://[bad").ok()); }

}  // namespace
}  // namespace bedrock::http

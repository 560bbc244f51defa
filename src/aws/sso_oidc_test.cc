#include "aws/sso_oidc.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "aws/testing/fake_server.h"

namespace bedrock::aws {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::FakeServer;
using testing::RunCo;
using testing::TempDir;

// FakeClock starts at 2024-01-01T00:00:00Z.
constexpr char kInAnHour[] = "2024-01-01T01:00:00Z";
constexpr char kInTwoMinutes[] = "2024-01-01T00:02:00Z";
constexpr char kAnHourAgo[] = "2023-12-31T23:00:00Z";

std::string CacheJson(const std::string& expires_at, bool refreshable = true,
                      const std::string& registration_expires_at = "2024-03-01T00:00:00Z") {
  json::object o{{"startUrl", "https://d-123.awsapps.com/start"},
                 {"region", "us-east-1"},
                 {"accessToken", "old-access"},
                 {"expiresAt", expires_at}};
  if (refreshable) {
    o["refreshToken"] = "old-refresh";
    o["clientId"] = "client-1";
    o["clientSecret"] = "secret-1";
    o["registrationExpiresAt"] = registration_expires_at;
  }
  return json::serialize(o);
}

http::Response CreateTokenOk() {
  return http::Response::Json(
      200, R"({"accessToken":"new-access","expiresIn":28800,"refreshToken":"new-refresh",)"
           R"("tokenType":"Bearer"})");
}

class SsoOidcTest : public ::testing::Test {
 protected:
  SsoOidcTest() { env_.Set("HOME", home_.path()); }

  // Loads the token from a cache file holding `cache`, with the OIDC endpoint at `oidc` (if any).
  core::Result<SsoToken> Load(const std::string& cache, const FakeServer* oidc,
                              bool refreshable = true) {
    if (oidc != nullptr) env_.Set("AWS_ENDPOINT_URL_SSO_OIDC", oidc->url());
    path_ = home_.Write("cache/token.json", cache);
    auto client = http::Client::Create(io_.get_executor());
    EXPECT_TRUE(client.ok());
    ProviderContext context(*client, env_, clock_);
    context.sleeper = [](std::chrono::milliseconds) -> asio::awaitable<void> { co_return; };
    SsoTokenRequest request;
    request.cache_path = path_;
    request.cache_text = cache;
    request.key = "corp";
    request.login_hint = "aws sso login --sso-session corp";
    request.sso_region = "us-east-1";
    request.refreshable = refreshable;
    return RunCo(io_, LoadSsoToken(context, std::move(request)));
  }

  json::object CacheFile() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str()).as_object();
  }

  asio::io_context io_;
  core::FakeEnv env_;
  core::FakeClock clock_;
  TempDir home_;
  std::string path_;
};

TEST_F(SsoOidcTest, FreshTokenIsUsedWithoutCallingOidc) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  auto token = Load(CacheJson(kInAnHour), &oidc);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->access_token, "old-access");
  EXPECT_TRUE(oidc.requests().empty());
}

TEST_F(SsoOidcTest, TokenAboutToExpireIsRefreshedAndWrittenBack) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  auto token = Load(CacheJson(kInTwoMinutes), &oidc);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->access_token, "new-access");
  EXPECT_EQ(token->expires_at, clock_.Now() + std::chrono::hours(8));

  auto requests = oidc.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/token");
  EXPECT_FALSE(requests[0].headers.Contains("authorization"));
  EXPECT_EQ(json::parse(requests[0].body),
            json::parse(R"({"clientId":"client-1","clientSecret":"secret-1",
                            "grantType":"refresh_token","refreshToken":"old-refresh"})"));

  json::object file = CacheFile();
  EXPECT_EQ(file.at("accessToken"), "new-access");
  EXPECT_EQ(file.at("refreshToken"), "new-refresh");
  EXPECT_EQ(file.at("expiresAt"), "2024-01-01T08:00:00.000Z");
  EXPECT_EQ(file.at("startUrl"), "https://d-123.awsapps.com/start");  // unknown members kept
  EXPECT_EQ(file.at("clientSecret"), "secret-1");
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);  // it holds secrets
}

TEST_F(SsoOidcTest, ExpiredTokenIsRefreshed) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  auto token = Load(CacheJson(kAnHourAgo), &oidc);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->access_token, "new-access");
}

TEST_F(SsoOidcTest, RefreshRejectedForAnExpiredTokenAsksForLogin) {
  FakeServer oidc([](const http::Request&) {
    http::Response r = http::Response::Json(400, R"({"error":"invalid_grant",
        "error_description":"Invalid refresh token provided"})");
    r.headers.Set("x-amzn-ErrorType", "InvalidGrantException");
    return r;
  });
  auto token = Load(CacheJson(kAnHourAgo), &oidc);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(token.error().message().find("InvalidGrantException"), std::string::npos)
      << token.error();
  EXPECT_NE(token.error().message().find("aws sso login --sso-session corp"), std::string::npos);
  EXPECT_EQ(oidc.requests().size(), 1u);  // a client error is not retried
  EXPECT_EQ(CacheFile().at("accessToken"), "old-access");
}

TEST_F(SsoOidcTest, FailedRefreshKeepsUsingATokenThatIsStillValid) {
  FakeServer oidc(
      [](const http::Request&) { return http::Response::Json(500, R"({"message":"boom"})"); });
  auto token = Load(CacheJson(kInTwoMinutes), &oidc);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->access_token, "old-access");
  EXPECT_EQ(oidc.requests().size(), 3u);  // 500s are retried
}

TEST_F(SsoOidcTest, MalformedCreateTokenResponseForAnExpiredTokenIsAnError) {
  FakeServer oidc(
      [](const http::Request&) { return http::Response::Json(200, R"({"tokenType":"Bearer"})"); });
  auto token = Load(CacheJson(kAnHourAgo), &oidc);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message().find("lacks accessToken"), std::string::npos) << token.error();
}

TEST_F(SsoOidcTest, LegacyProfileTokenIsNeverRefreshed) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  auto token = Load(CacheJson(kAnHourAgo), &oidc, /*refreshable=*/false);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message().find("has expired; run `aws sso login"), std::string::npos);
  EXPECT_TRUE(oidc.requests().empty());
}

TEST_F(SsoOidcTest, CacheWithoutRefreshTokenIsUsedUntilItExpires) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  auto fresh = Load(CacheJson(kInTwoMinutes, /*refreshable=*/false), &oidc);
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  EXPECT_EQ(fresh->access_token, "old-access");
  auto expired = Load(CacheJson(kAnHourAgo, /*refreshable=*/false), &oidc);
  EXPECT_EQ(expired.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_TRUE(oidc.requests().empty());
}

TEST_F(SsoOidcTest, ExpiredClientRegistrationIsNotUsed) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  auto token = Load(CacheJson(kAnHourAgo, true, "2023-12-01T00:00:00Z"), &oidc);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message().find("OIDC client registration"), std::string::npos)
      << token.error();
  EXPECT_TRUE(oidc.requests().empty());
}

TEST(SsoTokenCacheEntryTest, MalformedRegistrationExpiryIsRejected) {
  auto entry = ParseSsoTokenCacheEntry(
      R"({"accessToken":"a","expiresAt":"2024-01-01T00:00:00Z","registrationExpiresAt":"soon"})");
  EXPECT_EQ(entry.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(SsoTokenCacheEntryTest, CreateTokenWithoutRefreshTokenKeepsTheOldOne) {
  auto entry = ParseSsoTokenCacheEntry(CacheJson(kAnHourAgo));
  ASSERT_TRUE(entry.ok()) << entry.error();
  auto refreshed = ApplyCreateTokenResponse(*entry, R"({"accessToken":"n","expiresIn":60})",
                                            core::FakeClock::kDefaultStart);
  ASSERT_TRUE(refreshed.ok()) << refreshed.error();
  EXPECT_EQ(refreshed->refresh_token, "old-refresh");
  EXPECT_EQ(refreshed->token.access_token, "n");
}

// The whole chain: an sso-session profile whose token is about to expire gets credentials from
// the portal with the refreshed token.
TEST_F(SsoOidcTest, ProfileChainUsesTheRefreshedTokenForThePortal) {
  FakeServer oidc([](const http::Request&) { return CreateTokenOk(); });
  FakeServer portal([](const http::Request&) {
    return http::Response::Json(
        200, R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"s",)"
             R"("sessionToken":"t","expiration":1704070800000}})");
  });
  home_.Write(".aws/config",
              "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
              "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n");
  std::string cache = SsoTokenCachePath(home_.path() + "/.aws/sso/cache", "corp");
  home_.Write(cache.substr(home_.path().size() + 1), CacheJson(kInTwoMinutes));
  env_.Set("AWS_PROFILE", "sso");
  env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  env_.Set("AWS_ENDPOINT_URL_SSO", portal.url());
  env_.Set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url());
  auto client = http::Client::Create(io_.get_executor());
  ASSERT_TRUE(client.ok());
  ProviderContext context(*client, env_, clock_);
  auto creds = RunCo(io_, DefaultCredentialsProvider::ResolveChain(context));
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIASSO");
  ASSERT_EQ(portal.requests().size(), 1u);
  EXPECT_EQ(portal.requests()[0].headers.Get("x-amz-sso_bearer_token"), "new-access");
  EXPECT_EQ(oidc.requests().size(), 1u);
}

}  // namespace
}  // namespace bedrock::aws

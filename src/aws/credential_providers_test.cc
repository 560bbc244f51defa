#include "aws/credential_providers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "aws/imds.h"
#include "aws/testing/fake_server.h"

namespace bedrock::aws {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::FakeServer;
using testing::RunCo;
using testing::TempDir;

std::string StsXml(const std::string& action, const std::string& key_id) {
  return "<" + action + "Response><" + action + "Result><Credentials><AccessKeyId>" + key_id +
         "</AccessKeyId><SecretAccessKey>secret-" + key_id +
         "</SecretAccessKey><SessionToken>token-" + key_id +
         "</SessionToken><Expiration>2024-01-01T01:00:00Z</Expiration></Credentials></" + action +
         "Result></" + action + "Response>";
}

constexpr char kMetadataJson[] =
    R"({"Code":"Success","LastUpdated":"2024-01-01T00:00:00Z","Type":"AWS-HMAC",)"
    R"("AccessKeyId":"ASIAMETA","SecretAccessKey":"meta-secret","Token":"meta-token",)"
    R"("Expiration":"2024-01-01T06:00:00Z"})";

// The access key id a signed request was signed with ("" when unsigned).
std::string SignedBy(const http::Request& r) {
  auto auth = r.headers.Get("authorization");
  if (!auth) return "";
  auto start = auth->find("Credential=");
  if (start == std::string_view::npos) return "";
  start += 11;
  return std::string(auth->substr(start, auth->find('/', start) - start));
}

class ProviderTest : public ::testing::Test {
 protected:
  ProviderTest() {
    env_.Set("HOME", home_.path());
    // Keep the tests off the real instance metadata service.
    env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  }

  ProviderContext Context() {
    auto client = http::Client::Create(io_.get_executor());
    EXPECT_TRUE(client.ok());
    ProviderContext context(*client, env_, clock_);
    context.sleeper = [](std::chrono::milliseconds) -> asio::awaitable<void> { co_return; };
    return context;
  }

  core::Result<Credentials> Resolve() {
    return RunCo(io_, DefaultCredentialsProvider::ResolveChain(Context()));
  }

  void WriteConfig(const std::string& text) { home_.Write(".aws/config", text); }
  void WriteCredentials(const std::string& text) { home_.Write(".aws/credentials", text); }

  asio::io_context io_;
  core::FakeEnv env_;
  core::FakeClock clock_;
  TempDir home_;
};

// --- The chain ---

TEST_F(ProviderTest, NothingConfiguredListsEverySourceTried) {
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUnauthenticated);
  const std::string& m = creds.error().message();
  EXPECT_NE(m.find("no AWS credentials found; tried: environment (AWS_ACCESS_KEY_ID not set), "
                   "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set), profile 'default' (not "
                   "found), container ("),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("ec2 instance metadata (AWS_EC2_METADATA_DISABLED is set)"), std::string::npos)
      << m;
}

TEST_F(ProviderTest, EnvironmentCredentialsWithSessionToken) {
  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.Set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env_.Set("AWS_SESSION_TOKEN", "env-token");
  WriteCredentials("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "AKIDENV");
  EXPECT_EQ(creds->session_token, "env-token");
}

TEST_F(ProviderTest, HalfSetEnvironmentFailsNamingTheSource) {
  env_.Set("AWS_SECRET_ACCESS_KEY", "env-secret");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("environment: AWS_SECRET_ACCESS_KEY is set"),
            std::string::npos)
      << creds.error();
}

TEST_F(ProviderTest, WebIdentityFromEnvironmentCallsSts) {
  FakeServer sts([](const http::Request&) {
    return http::Response::Text(200, StsXml("AssumeRoleWithWebIdentity", "ASIAWEB"));
  });
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.Write("token", "eyJhbGciOi.token\n"));
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
  env_.Set("AWS_ROLE_SESSION_NAME", "pod-1");
  env_.Set("AWS_ENDPOINT_URL_STS", sts.url());
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAWEB");
  EXPECT_TRUE(creds->expiration);
  auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(SignedBy(requests[0]), "");
  EXPECT_NE(requests[0].body.find("WebIdentityToken=eyJhbGciOi.token"), std::string::npos)
      << requests[0].body;
  EXPECT_NE(requests[0].body.find("RoleSessionName=pod-1"), std::string::npos);
}

TEST_F(ProviderTest, WebIdentityWithMissingTokenFileFails) {
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.path() + "/nope");
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::1:role/web");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("web identity: web identity token file"),
            std::string::npos)
      << creds.error();
}

TEST_F(ProviderTest, ProfileStaticKeys) {
  WriteCredentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\n");
  env_.Set("AWS_PROFILE", "dev");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "AKIDDEV");
}

TEST_F(ProviderTest, ExplicitProfileThatDoesNotExistFails) {
  env_.Set("AWS_PROFILE", "ghost");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kNotFound);
  EXPECT_NE(creds.error().message().find("profile 'ghost' not found"), std::string::npos);
}

TEST_F(ProviderTest, DefaultProfileWithOnlyARegionIsSkipped) {
  WriteConfig("[default]\nregion = eu-west-1\n");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("profile 'default' (configures no credentials)"),
            std::string::npos)
      << creds.error();
}

TEST_F(ProviderTest, MalformedConfigFileFailsWithFileAndLine) {
  WriteConfig("[default\nregion = x\n");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("profile 'default'"), std::string::npos);
  EXPECT_NE(creds.error().message().find(":1"), std::string::npos) << creds.error();
}

TEST_F(ProviderTest, SourceProfileRoleChainAssumesEachRoleWithThePreviousCredentials) {
  std::atomic<int> n{0};
  FakeServer sts([&](const http::Request&) {
    return http::Response::Text(200, StsXml("AssumeRole", "ASIAROLE" + std::to_string(++n)));
  });
  WriteConfig(
      "[profile base]\n"
      "region = eu-central-1\n"
      "[profile middle]\n"
      "role_arn = arn:aws:iam::1:role/middle\n"
      "source_profile = base\n"
      "[profile top]\n"
      "role_arn = arn:aws:iam::2:role/top\n"
      "source_profile = middle\n"
      "external_id = ext\n"
      "region = eu-central-1\n");
  WriteCredentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
  env_.Set("AWS_PROFILE", "top");
  env_.Set("AWS_ENDPOINT_URL_STS", sts.url());
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAROLE2");
  auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(SignedBy(requests[0]), "AKIDBASE");
  EXPECT_NE(requests[0].body.find("role%2Fmiddle"), std::string::npos);
  EXPECT_EQ(SignedBy(requests[1]), "ASIAROLE1");
  EXPECT_EQ(requests[1].headers.Get("x-amz-security-token"), "token-ASIAROLE1");
  EXPECT_NE(requests[1].body.find("ExternalId=ext"), std::string::npos);
  // Signed for STS in the profile's region.
  EXPECT_NE(requests[1].headers.Get("authorization")->find("/eu-central-1/sts/aws4_request"),
            std::string::npos);
}

TEST_F(ProviderTest, AssumeRoleFailureNamesRoleAndProfile) {
  FakeServer sts([](const http::Request&) {
    return http::Response::Text(
        403,
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message>nope</Message></Error>"
        "</ErrorResponse>");
  });
  WriteConfig("[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\n");
  WriteCredentials("[s]\naws_access_key_id = A\naws_secret_access_key = S\n");
  env_.Set("AWS_PROFILE", "r");
  env_.Set("AWS_ENDPOINT_URL_STS", sts.url());
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  const std::string& m = creds.error().message();
  EXPECT_NE(m.find("profile 'r'"), std::string::npos) << m;
  EXPECT_NE(m.find("assuming role arn:aws:iam::1:role/r"), std::string::npos) << m;
  EXPECT_NE(m.find("AccessDenied: nope"), std::string::npos) << m;
}

TEST_F(ProviderTest, MfaSerialIsReportedAsUnsupported) {
  WriteConfig(
      "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\nmfa_serial = m\n");
  WriteCredentials("[s]\naws_access_key_id = A\naws_secret_access_key = S\n");
  env_.Set("AWS_PROFILE", "r");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUnimplemented);
}

TEST_F(ProviderTest, MfaSerialWithoutACodeSourceSaysHowToProceed) {
  WriteConfig(
      "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\n"
      "mfa_serial = arn:aws:iam::1:mfa/me\n");
  WriteCredentials("[s]\naws_access_key_id = A\naws_secret_access_key = S\n");
  env_.Set("AWS_PROFILE", "r");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  const std::string& m = creds.error().message();
  EXPECT_NE(m.find("arn:aws:iam::1:mfa/me"), std::string::npos) << m;
  EXPECT_NE(m.find("not interactive"), std::string::npos) << m;
}

TEST_F(ProviderTest, MfaSerialSendsTheProvidedCodeWithAssumeRole) {
  FakeServer sts([](const http::Request&) {
    return http::Response::Text(200, StsXml("AssumeRole", "ASIAMFA"));
  });
  WriteConfig(
      "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\n"
      "mfa_serial = arn:aws:iam::1:mfa/me\n");
  WriteCredentials("[s]\naws_access_key_id = A\naws_secret_access_key = S\n");
  env_.Set("AWS_PROFILE", "r");
  env_.Set("AWS_ENDPOINT_URL_STS", sts.url());
  auto context = Context();
  std::vector<std::string> asked;
  context.mfa_code = [&asked](std::string serial) -> asio::awaitable<core::Result<std::string>> {
    asked.push_back(serial);
    co_return std::string("123456");
  };
  auto creds = RunCo(io_, DefaultCredentialsProvider::ResolveChain(context));
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAMFA");
  EXPECT_EQ(asked, std::vector<std::string>{"arn:aws:iam::1:mfa/me"});
  auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(
      requests[0].body.find("SerialNumber=arn%3Aaws%3Aiam%3A%3A1%3Amfa%2Fme&TokenCode=123456"),
      std::string::npos)
      << requests[0].body;
}

TEST_F(ProviderTest, MfaCodeSourceFailureStopsTheChain) {
  WriteConfig(
      "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\nmfa_serial = m\n");
  WriteCredentials("[s]\naws_access_key_id = A\naws_secret_access_key = S\n");
  env_.Set("AWS_PROFILE", "r");
  auto context = Context();
  context.mfa_code = [](std::string) -> asio::awaitable<core::Result<std::string>> {
    co_return core::Error::Cancelled("the user closed the prompt");
  };
  auto creds = RunCo(io_, DefaultCredentialsProvider::ResolveChain(context));
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kCancelled);
  EXPECT_NE(creds.error().message().find("MFA code for m (profile 'r')"), std::string::npos)
      << creds.error();
}

// --- credential_process ---

TEST_F(ProviderTest, CredentialProcessOutputIsUsed) {
  WriteConfig(
      "[default]\ncredential_process = printf '%s' '{\"Version\": 1, \"AccessKeyId\": "
      "\"AKIDPROC\", \"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"t\", "
      "\"Expiration\": \"2024-01-01T02:00:00Z\"}'\n");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "AKIDPROC");
  EXPECT_EQ(creds->session_token, "t");
}

TEST_F(ProviderTest, CredentialProcessFailureCarriesExitStatusAndStderr) {
  WriteConfig("[default]\ncredential_process = echo 'token expired, log in again' >&2; exit 3\n");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  const std::string& m = creds.error().message();
  EXPECT_NE(m.find("credential_process exited with status 3: token expired, log in again"),
            std::string::npos)
      << m;
}

TEST_F(ProviderTest, CredentialProcessWithBadJsonFails) {
  WriteConfig("[default]\ncredential_process = echo not-json\n");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("not a JSON object"), std::string::npos);
}

TEST(CredentialProcessTest, TimeoutKillsTheCommand) {
  asio::io_context io;
  auto creds = RunCo(io, RunCredentialProcess("exec sleep 30", 100ms));
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kDeadlineExceeded);
}

TEST(CredentialProcessTest, OversizedOutputIsRefused) {
  asio::io_context io;
  auto creds = RunCo(io, RunCredentialProcess("yes", 10s, 4096));
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kPayloadTooLarge);
}

// --- SSO ---

TEST(SsoTest, CachePathIsSha1OfTheKey) {
  EXPECT_EQ(SsoTokenCachePath("/c", "abc"), "/c/a9993e364706816aba3e25717850c26c9cd0d89d.json");
}

TEST(SsoTest, RoleCredentialsExpirationIsEpochMillis) {
  auto creds = ParseSsoRoleCredentials(
      R"({"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T",)"
      R"("expiration":1704070800000}})");
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(*creds->expiration, core::FakeClock::kDefaultStart + 1h);
}

TEST(SsoTest, RoleCredentialsWithoutKeysAreRejected) {
  EXPECT_FALSE(ParseSsoRoleCredentials(R"({"roleCredentials":{}})").ok());
  EXPECT_FALSE(ParseSsoRoleCredentials("[]").ok());
}

TEST(SsoTest, TokenCacheWithoutExpiryIsRejected) {
  EXPECT_FALSE(ParseSsoTokenCache(R"({"accessToken":"x"})").ok());
}

class SsoProviderTest : public ProviderTest {
 protected:
  void WriteToken(const std::string& key, const std::string& expires_at) {
    std::string path = SsoTokenCachePath(home_.path() + "/.aws/sso/cache", key);
    home_.Write(path.substr(home_.path().size() + 1),
                R"({"startUrl":"https://d-123.awsapps.com/start","region":"us-east-1",)"
                R"("accessToken":"sso-access-token","expiresAt":")" +
                    expires_at + "\"}");
  }
};

TEST_F(SsoProviderTest, SsoSessionProfileUsesTheCachedTokenAndThePortal) {
  FakeServer portal([](const http::Request&) {
    return http::Response::Json(
        200, R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"sso-secret",)"
             R"("sessionToken":"sso-token","expiration":1704070800000}})");
  });
  WriteConfig(
      "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n"
      "sso_role_name = Admin Role\n"
      "[sso-session corp]\nsso_start_url = https://d-123.awsapps.com/start\n"
      "sso_region = us-east-1\n");
  WriteToken("corp", "2024-01-01T08:00:00Z");
  env_.Set("AWS_PROFILE", "sso");
  env_.Set("AWS_ENDPOINT_URL_SSO", portal.url());
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIASSO");
  auto requests = portal.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target,
            "/federation/credentials?account_id=111122223333&role_name=Admin%20Role");
  EXPECT_EQ(requests[0].headers.Get("x-amz-sso_bearer_token"), "sso-access-token");
}

TEST_F(SsoProviderTest, LegacyProfileKeysTheCacheByStartUrl) {
  FakeServer portal([](const http::Request&) {
    return http::Response::Json(
        200, R"({"roleCredentials":{"accessKeyId":"ASIALEG","secretAccessKey":"s"}})");
  });
  WriteConfig(
      "[default]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n"
      "sso_account_id = 1\nsso_role_name = r\n");
  WriteToken("https://d-123.awsapps.com/start", "2024-01-01T08:00:00Z");
  env_.Set("AWS_ENDPOINT_URL_SSO", portal.url());
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIALEG");
}

TEST_F(SsoProviderTest, ExpiredTokenAsksForLogin) {
  WriteConfig(
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
      "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n");
  WriteToken("corp", "2023-12-31T23:00:00Z");
  env_.Set("AWS_PROFILE", "sso");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(creds.error().message().find("aws sso login --sso-session corp"), std::string::npos)
      << creds.error();
}

TEST_F(SsoProviderTest, MissingCacheFileAsksForLogin) {
  WriteConfig(
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
      "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n");
  env_.Set("AWS_PROFILE", "sso");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("no cached SSO token"), std::string::npos);
}

TEST_F(SsoProviderTest, PortalRejectionIsUnauthenticated) {
  FakeServer portal([](const http::Request&) {
    http::Response r = http::Response::Json(401, R"({"message":"Session token not found"})");
    r.headers.Set("x-amzn-ErrorType", "UnauthorizedException");
    return r;
  });
  WriteConfig(
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
      "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n");
  WriteToken("corp", "2024-01-01T08:00:00Z");
  env_.Set("AWS_PROFILE", "sso");
  env_.Set("AWS_ENDPOINT_URL_SSO", portal.url());
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(creds.error().message().find("UnauthorizedException"), std::string::npos)
      << creds.error();
}

// --- Container credentials ---

TEST_F(ProviderTest, ContainerFullUriWithTokenFile) {
  FakeServer ecs([](const http::Request&) { return http::Response::Json(200, kMetadataJson); });
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/v2/credentials/abc");
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", home_.Write("ecs-token", "file-token\n"));
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token");  // the file wins
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAMETA");
  EXPECT_EQ(creds->session_token, "meta-token");
  auto requests = ecs.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v2/credentials/abc");
  EXPECT_EQ(requests[0].headers.Get("authorization"), "file-token");
}

TEST_F(ProviderTest, ContainerRelativeUriWithTokenFromEnvironment) {
  FakeServer ecs([](const http::Request&) { return http::Response::Json(200, kMetadataJson); });
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/rel");
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token");
  ProviderContext context = Context();
  context.container_relative_base = ecs.url();
  auto result = RunCo(io_, FromContainer(context));
  ASSERT_TRUE(result.found());
  auto requests = ecs.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v2/credentials/rel");
  EXPECT_EQ(requests[0].headers.Get("authorization"), "env-token");
}

TEST_F(ProviderTest, ContainerFullUriToAnArbitraryHttpHostIsRefused) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ContainerUriTest, AllowList) {
  EXPECT_TRUE(IsAllowedContainerUri("https://anything.example/creds"));
  EXPECT_TRUE(IsAllowedContainerUri("http://127.0.0.1:8080/x"));
  EXPECT_TRUE(IsAllowedContainerUri("http://127.1.2.3/x"));
  EXPECT_TRUE(IsAllowedContainerUri("http://localhost/x"));
  EXPECT_TRUE(IsAllowedContainerUri("http://[::1]/x"));
  EXPECT_TRUE(IsAllowedContainerUri("http://169.254.170.2/x"));
  EXPECT_TRUE(IsAllowedContainerUri("http://169.254.170.23/v1/credentials"));
  EXPECT_TRUE(IsAllowedContainerUri("http://[fd00:ec2::23]/v1/credentials"));
  EXPECT_FALSE(IsAllowedContainerUri("http://169.254.169.254/x"));
  EXPECT_FALSE(IsAllowedContainerUri("http://127.example.com/x"));
  EXPECT_FALSE(IsAllowedContainerUri("ftp://127.0.0.1/x"));
}

TEST_F(ProviderTest, ContainerErrorStatusFails) {
  FakeServer ecs([](const http::Request&) { return http::Response::Text(403, "denied"); });
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/creds");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(creds.error().message().find("answered 403"), std::string::npos);
}

TEST_F(ProviderTest, ContainerTransient500IsRetriedOnce) {
  std::atomic<int> calls{0};
  FakeServer ecs([&](const http::Request&) {
    if (calls++ == 0) return http::Response::Text(500, "oops");
    return http::Response::Json(200, kMetadataJson);
  });
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/creds");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(calls.load(), 2);
}

// --- IMDS ---

class ImdsTest : public ProviderTest {
 protected:
  // A fake IMDS; `token_status` answers the PUT.
  static FakeServer::Responder Imds(int token_status, std::string role = "my-role") {
    return [token_status, role](const http::Request& r) {
      std::string path(r.Path());
      if (r.method == "PUT" && path == "/latest/api/token") {
        if (token_status != 200) return http::Response::Text(token_status, "");
        if (r.headers.Get("x-aws-ec2-metadata-token-ttl-seconds") != "21600") {
          return http::Response::Text(400, "missing ttl");
        }
        return http::Response::Text(200, "imds-token");
      }
      if (token_status == 200 && r.headers.Get("x-aws-ec2-metadata-token") != "imds-token") {
        return http::Response::Text(401, "");
      }
      if (path == "/latest/meta-data/iam/security-credentials/") {
        if (role.empty()) return http::Response::Text(404, "");
        return http::Response::Text(200, role + "\n");
      }
      if (path == "/latest/meta-data/iam/security-credentials/" + role) {
        return http::Response::Json(200, kMetadataJson);
      }
      if (path == "/latest/meta-data/placement/region") {
        return http::Response::Text(200, "ap-northeast-1");
      }
      return http::Response::Text(404, "");
    };
  }
};

TEST_F(ImdsTest, V2TokenThenRoleThenCredentials) {
  FakeServer imds(Imds(200));
  env_.Unset("AWS_EC2_METADATA_DISABLED");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url() + "/");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAMETA");
  auto requests = imds.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/my-role");
}

TEST_F(ImdsTest, FallsBackToV1WhenTokensAreUnsupported) {
  FakeServer imds(Imds(405));
  env_.Unset("AWS_EC2_METADATA_DISABLED");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_FALSE(imds.requests().back().headers.Contains("x-aws-ec2-metadata-token"));
}

TEST_F(ImdsTest, V1FallbackCanBeDisabled) {
  FakeServer imds(Imds(403));
  env_.Unset("AWS_EC2_METADATA_DISABLED");
  env_.Set("AWS_EC2_METADATA_V1_DISABLED", "true");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("IMDSv1 is disabled"), std::string::npos) << creds.error();
}

TEST_F(ImdsTest, InstanceWithoutRoleIsSkipped) {
  FakeServer imds(Imds(200, ""));
  env_.Unset("AWS_EC2_METADATA_DISABLED");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("ec2 instance metadata (ec2 instance metadata: the "
                                         "instance has no IAM role)"),
            std::string::npos)
      << creds.error();
}

TEST_F(ImdsTest, UnreachableServiceIsSkipped) {
  uint16_t closed_port;
  {
    FakeServer gone([](const http::Request&) { return http::Response::Text(200, ""); });
    closed_port = gone.port();
  }
  env_.Unset("AWS_EC2_METADATA_DISABLED");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", fmt::format("http://127.0.0.1:{}", closed_port));
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(creds.error().message().find("ec2 instance metadata ("), std::string::npos);
}

TEST_F(ImdsTest, RegionAndTokenReuse) {
  FakeServer imds(Imds(200));
  auto client = http::Client::Create(io_.get_executor());
  ASSERT_TRUE(client.ok());
  ImdsOptions options;
  options.endpoint = imds.url();
  ImdsClient metadata(*client, options, clock_);
  auto region = RunCo(io_, metadata.GetRegion());
  ASSERT_TRUE(region.ok()) << region.error();
  EXPECT_EQ(*region, "ap-northeast-1");
  auto creds = RunCo(io_, metadata.GetCredentials());
  ASSERT_TRUE(creds.ok()) << creds.error();
  int puts = 0;
  for (const auto& r : imds.requests()) puts += r.method == "PUT";
  EXPECT_EQ(puts, 1);
}

TEST(ImdsOptionsTest, FromEnvironment) {
  core::FakeEnv env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}});
  EXPECT_EQ(ImdsOptionsFromEnv(env).endpoint, "http://[fd00:ec2::254]");
  EXPECT_FALSE(ImdsOptionsFromEnv(env).disabled);
  env.Set("AWS_EC2_METADATA_DISABLED", "true");
  EXPECT_TRUE(ImdsOptionsFromEnv(env).disabled);
}

TEST(MetadataCredentialsTest, NonSuccessCodeIsAnError) {
  auto creds = ParseMetadataCredentials(R"({"Code":"AssumeRoleUnauthorizedAccess"})", "imds");
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("AssumeRoleUnauthorizedAccess"), std::string::npos);
}

TEST(MetadataCredentialsTest, MissingSecretIsAnError) {
  EXPECT_FALSE(ParseMetadataCredentials(R"({"AccessKeyId":"A"})", "ecs").ok());
}

// --- Caching ---

// A fetch function whose calls are counted and which waits for `gate` to open.
struct GatedFetch {
  explicit GatedFetch(asio::any_io_executor ex) : gate(ex) {
    gate.expires_at(asio::steady_timer::time_point::max());
  }
  CredentialsFunction Function(const core::Clock& clock, std::chrono::seconds lifetime) {
    return [this, &clock, lifetime]() -> asio::awaitable<core::Result<Credentials>> {
      int n = ++calls;
      if (!open) co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
      if (fail) co_return core::Error::Unavailable("fetch failed");
      Credentials c{.access_key_id = "AK" + std::to_string(n), .secret_access_key = "s"};
      c.expiration = clock.Now() + lifetime;
      co_return c;
    };
  }
  void Open() {
    open = true;
    gate.cancel();
  }
  asio::steady_timer gate;
  bool open = false;
  bool fail = false;
  std::atomic<int> calls{0};
};

TEST(CachingProviderTest, ManyConcurrentCallersShareOneFetch) {
  asio::io_context io;
  core::FakeClock clock;
  GatedFetch fetch(io.get_executor());
  auto provider =
      CachingCredentialsProvider::Create(io.get_executor(), fetch.Function(clock, 1h), clock);
  constexpr int kCallers = 50;
  int done = 0;
  for (int i = 0; i < kCallers; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto creds = co_await provider->Get();
          EXPECT_TRUE(creds.ok());
          if (creds.ok()) {
            EXPECT_EQ(creds->access_key_id, "AK1");
          }
          ++done;
        },
        asio::detached);
  }
  io.poll();  // every caller is now waiting on the single fetch, which waits on the gate
  EXPECT_EQ(done, 0);
  EXPECT_EQ(fetch.calls.load(), 1);
  fetch.Open();
  io.run();
  EXPECT_EQ(done, kCallers);
  EXPECT_EQ(fetch.calls.load(), 1);
  EXPECT_EQ(provider->fetch_count(), 1u);
}

TEST(CachingProviderTest, CallersOnOtherThreadsShareOneFetch) {
  asio::io_context provider_io;
  core::FakeClock clock;
  GatedFetch fetch(provider_io.get_executor());
  auto provider = CachingCredentialsProvider::Create(provider_io.get_executor(),
                                                     fetch.Function(clock, 1h), clock);
  // Callers on two other threads; the fetch completes on the provider's io_context.
  std::mutex mutex;
  std::vector<std::string> keys;  // guarded by mutex
  std::vector<std::unique_ptr<asio::io_context>> ios;
  for (int t = 0; t < 2; ++t) {
    ios.push_back(std::make_unique<asio::io_context>());
    for (int i = 0; i < 10; ++i) {
      asio::co_spawn(
          *ios.back(),
          [&]() -> asio::awaitable<void> {
            auto creds = co_await provider->Get();
            std::lock_guard lock(mutex);
            keys.push_back(creds.ok() ? creds->access_key_id : creds.error().ToString());
          },
          asio::detached);
    }
  }
  auto guard = asio::make_work_guard(provider_io);
  std::vector<std::thread> threads;
  for (auto& io : ios) threads.emplace_back([&io] { io->run(); });
  // Run the provider's context until the fetch has started, then open the gate.
  while (fetch.calls.load() == 0) provider_io.run_one();
  fetch.Open();
  guard.reset();
  provider_io.run();
  for (auto& t : threads) t.join();
  ASSERT_EQ(keys.size(), 20u);
  for (const auto& key : keys) EXPECT_EQ(key, "AK1");
  EXPECT_EQ(fetch.calls.load(), 1);
}

TEST(CachingProviderTest, RefreshesInsideTheFiveMinuteWindow) {
  asio::io_context io;
  core::FakeClock clock;
  GatedFetch fetch(io.get_executor());
  fetch.open = true;
  auto provider =
      CachingCredentialsProvider::Create(io.get_executor(), fetch.Function(clock, 1h), clock);
  EXPECT_EQ(RunCo(io, provider->Get())->access_key_id, "AK1");
  clock.Advance(54min);
  EXPECT_EQ(RunCo(io, provider->Get())->access_key_id, "AK1");  // 6 minutes left: fresh
  clock.Advance(2min);
  EXPECT_EQ(RunCo(io, provider->Get())->access_key_id, "AK2");  // 4 minutes left: refreshed
  EXPECT_EQ(fetch.calls.load(), 2);
}

TEST(CachingProviderTest, FailedRefreshKeepsUsingStillValidCredentials) {
  asio::io_context io;
  core::FakeClock clock;
  GatedFetch fetch(io.get_executor());
  fetch.open = true;
  auto provider =
      CachingCredentialsProvider::Create(io.get_executor(), fetch.Function(clock, 1h), clock);
  ASSERT_TRUE(RunCo(io, provider->Get()).ok());
  clock.Advance(57min);
  fetch.fail = true;
  auto creds = RunCo(io, provider->Get());
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->access_key_id, "AK1");
  clock.Advance(4min);  // now expired: the failure shows
  auto expired = RunCo(io, provider->Get());
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().message(), "fetch failed");
}

TEST(CachingProviderTest, LongTermCredentialsAreFetchedOnce) {
  asio::io_context io;
  core::FakeClock clock;
  int calls = 0;
  auto provider = CachingCredentialsProvider::Create(
      io.get_executor(),
      [&]() -> asio::awaitable<core::Result<Credentials>> {
        ++calls;
        co_return Credentials{.access_key_id = "AK", .secret_access_key = "S"};
      },
      clock);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(RunCo(io, provider->Get()).ok());
  clock.Advance(24h * 365);
  ASSERT_TRUE(RunCo(io, provider->Get()).ok());
  EXPECT_EQ(calls, 1);
  provider->Invalidate();
  ASSERT_TRUE(RunCo(io, provider->Get()).ok());
  EXPECT_EQ(calls, 2);
}

TEST(CachingProviderTest, ThrowingFetchBecomesAnError) {
  asio::io_context io;
  core::FakeClock clock;
  auto provider = CachingCredentialsProvider::Create(
      io.get_executor(),
      []() -> asio::awaitable<core::Result<Credentials>> {
        throw std::runtime_error("kaboom");
        co_return core::Error::Internal("unreachable");
      },
      clock);
  auto creds = RunCo(io, provider->AsFunction()());
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("kaboom"), std::string::npos);
}

TEST_F(ProviderTest, DefaultProviderCachesAndReportsTheBearerToken) {
  env_.Set("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key");
  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.Set("AWS_SECRET_ACCESS_KEY", "env-secret");
  auto provider = DefaultCredentialsProvider::Create(io_.get_executor(), Context());
  ASSERT_TRUE(provider->bedrock_bearer_token());
  EXPECT_EQ(*provider->bedrock_bearer_token(), "bedrock-api-key");
  CredentialsFunction fn = provider->AsFunction();
  for (int i = 0; i < 2; ++i) {
    auto creds = RunCo(io_, fn());
    ASSERT_TRUE(creds.ok()) << creds.error();
    EXPECT_EQ(creds->access_key_id, "AKIDENV");
  }
  EXPECT_EQ(provider->fetch_count(), 1u);
}

}  // namespace
}  // namespace bedrock::aws

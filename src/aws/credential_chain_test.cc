#include "aws/credential_chain.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/env.h"

namespace bedrock::aws {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

ProfileSet Profiles(std::string_view config, std::string_view credentials = "") {
  auto c = ParseSharedConfigFile(config, SharedFileKind::kConfig, "config");
  auto k = ParseSharedConfigFile(credentials, SharedFileKind::kCredentials, "credentials");
  EXPECT_TRUE(c.ok() && k.ok());
  return MergeProfileFiles(*c, *k);
}

// --- Environment ---

TEST(EnvironmentCredentialsTest, ReadsKeysTokenAndExpiration) {
  core::FakeEnv env({{"AWS_ACCESS_KEY_ID", "AKID"},
                     {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                     {"AWS_SESSION_TOKEN", "TOKEN"},
                     {"AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z"}});
  auto creds = CredentialsFromEnvironment(env);
  ASSERT_TRUE(creds.ok());
  ASSERT_TRUE(creds->has_value());
  EXPECT_EQ((*creds)->access_key_id, "AKID");
  EXPECT_EQ((*creds)->secret_access_key, "SECRET");
  EXPECT_EQ((*creds)->session_token, "TOKEN");
  EXPECT_EQ((*creds)->expiration, sys_days{std::chrono::year{2030} / 1 / 2} + 3h + 4min + 5s);
}

TEST(EnvironmentCredentialsTest, LegacyNamesAreAccepted) {
  core::FakeEnv env({{"AWS_ACCESS_KEY", "AKID"}, {"AWS_SECRET_KEY", "SECRET"}});
  auto creds = CredentialsFromEnvironment(env);
  ASSERT_TRUE(creds.ok() && creds->has_value());
  EXPECT_EQ((*creds)->access_key_id, "AKID");
}

TEST(EnvironmentCredentialsTest, NothingSetIsNotAnError) {
  core::FakeEnv env({{"AWS_ACCESS_KEY_ID", ""}});
  auto creds = CredentialsFromEnvironment(env);
  ASSERT_TRUE(creds.ok());
  EXPECT_FALSE(creds->has_value());
}

TEST(EnvironmentCredentialsTest, OnlyTheKeyIdIsAnError) {
  core::FakeEnv env({{"AWS_ACCESS_KEY_ID", "AKID"}});
  auto creds = CredentialsFromEnvironment(env);
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);
}

TEST(EnvironmentCredentialsTest, OnlyTheSecretIsAnError) {
  core::FakeEnv env({{"AWS_SECRET_ACCESS_KEY", "S"}});
  EXPECT_FALSE(CredentialsFromEnvironment(env).ok());
}

TEST(EnvironmentCredentialsTest, MalformedExpirationIsAnError) {
  core::FakeEnv env({{"AWS_ACCESS_KEY_ID", "A"},
                     {"AWS_SECRET_ACCESS_KEY", "S"},
                     {"AWS_CREDENTIAL_EXPIRATION", "tomorrow"}});
  EXPECT_FALSE(CredentialsFromEnvironment(env).ok());
}

TEST(EnvironmentTest, BearerTokenProfileAndPaths) {
  core::FakeEnv env({{"AWS_BEARER_TOKEN_BEDROCK", "key"}, {"HOME", "/home/u"}});
  EXPECT_EQ(BedrockBearerToken(env), "key");
  EXPECT_EQ(ProfileNameFromEnv(env), "default");
  auto paths = SharedConfigPathsFromEnv(env);
  EXPECT_EQ(paths.config, "/home/u/.aws/config");
  EXPECT_EQ(paths.credentials, "/home/u/.aws/credentials");

  env.Set("AWS_PROFILE", "dev");
  env.Set("AWS_CONFIG_FILE", "~/cfg");
  env.Set("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds");
  EXPECT_EQ(ProfileNameFromEnv(env), "dev");
  EXPECT_EQ(SharedConfigPathsFromEnv(env).config, "/home/u/cfg");
  EXPECT_EQ(SharedConfigPathsFromEnv(env).credentials, "/etc/creds");
}

TEST(EnvironmentTest, RegionPrecedence) {
  ProfileSet set = Profiles("[profile dev]\nregion = eu-west-1\n");
  core::FakeEnv env;
  EXPECT_EQ(ResolveRegion(env, &set, "dev"), "eu-west-1");
  EXPECT_EQ(ResolveRegion(env, &set, "other"), std::nullopt);
  env.Set("AWS_DEFAULT_REGION", "us-west-2");
  EXPECT_EQ(ResolveRegion(env, &set, "dev"), "us-west-2");
  env.Set("AWS_REGION", "us-east-1");
  EXPECT_EQ(ResolveRegion(env, &set, "dev"), "us-east-1");
}

TEST(EnvironmentTest, EndpointUrlPerServiceThenGlobal) {
  core::FakeEnv env({{"AWS_ENDPOINT_URL", "http://global"},
                     {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://runtime"}});
  EXPECT_EQ(EndpointUrlFromEnv(env, "bedrock-runtime"), "http://runtime");
  EXPECT_EQ(EndpointUrlFromEnv(env, "Bedrock Agent Runtime"), "http://global");
  env.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ(EndpointUrlFromEnv(env, "bedrock-runtime"), std::nullopt);
}

// --- Profile plans ---

TEST(ProfilePlanTest, StaticKeys) {
  auto plan = PlanProfileCredentials(
      Profiles("",
               "[default]\naws_access_key_id = A\naws_secret_access_key = S\n"
               "aws_session_token = T\n"),
      "default");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.kind, CredentialBase::Kind::kStatic);
  EXPECT_EQ(plan->base.static_credentials, (Credentials{"A", "S", "T", {}}));
  EXPECT_TRUE(plan->roles.empty());
}

TEST(ProfilePlanTest, RoleChainThroughSourceProfiles) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile top]\nrole_arn = arn:top\nsource_profile = middle\nexternal_id = x\n"
               "duration_seconds = 900\n"
               "[profile middle]\nrole_arn = arn:middle\nsource_profile = base\n"
               "role_session_name = s\n",
               "[base]\naws_access_key_id = A\naws_secret_access_key = S\n"),
      "top");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.kind, CredentialBase::Kind::kStatic);
  EXPECT_EQ(plan->base.profile, "base");
  ASSERT_EQ(plan->roles.size(), 2u);
  EXPECT_EQ(plan->roles[0].role_arn, "arn:middle");
  EXPECT_EQ(plan->roles[0].role_session_name, "s");
  EXPECT_EQ(plan->roles[1].role_arn, "arn:top");
  EXPECT_EQ(plan->roles[1].external_id, "x");
  EXPECT_EQ(plan->roles[1].duration_seconds, 900);
}

TEST(ProfilePlanTest, SourceProfileStaticKeysWinOverItsRole) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile top]\nrole_arn = arn:top\nsource_profile = src\n"
               "[profile src]\nrole_arn = arn:ignored\nsource_profile = other\n"
               "aws_access_key_id = A\naws_secret_access_key = S\n"),
      "top");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.profile, "src");
  ASSERT_EQ(plan->roles.size(), 1u);
  EXPECT_EQ(plan->roles[0].role_arn, "arn:top");
}

TEST(ProfilePlanTest, TopLevelRoleWinsOverItsOwnStaticKeys) {
  auto plan =
      PlanProfileCredentials(Profiles("[profile top]\nrole_arn = arn:top\nsource_profile = top\n"
                                      "aws_access_key_id = A\naws_secret_access_key = S\n"),
                             "top");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.kind, CredentialBase::Kind::kStatic);
  EXPECT_EQ(plan->base.profile, "top");
  ASSERT_EQ(plan->roles.size(), 1u);
}

TEST(ProfilePlanTest, SelfReferenceWithoutKeysIsACycle) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile top]\nrole_arn = arn:top\nsource_profile = top\n"), "top");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("cycle"), std::string::npos);
}

TEST(ProfilePlanTest, CycleIsReportedWithTheChain) {
  auto plan =
      PlanProfileCredentials(Profiles("[profile a]\nrole_arn = arn:a\nsource_profile = b\n"
                                      "[profile b]\nrole_arn = arn:b\nsource_profile = a\n"),
                             "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(), "profile chain has a cycle: a -> b -> a");
}

TEST(ProfilePlanTest, MissingSourceProfileIsNamed) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile a]\nrole_arn = arn:a\nsource_profile = nope\n"), "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(),
            "source_profile 'nope' referenced by profile 'a' does not exist");
}

TEST(ProfilePlanTest, MissingProfileIsNotFound) {
  auto plan = PlanProfileCredentials(Profiles(""), "ghost");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), core::ErrorCode::kNotFound);
}

TEST(ProfilePlanTest, CredentialSourceKinds) {
  for (auto [source, kind] :
       {std::pair{"Environment", CredentialBase::Kind::kEnvironment},
        std::pair{"Ec2InstanceMetadata", CredentialBase::Kind::kEc2InstanceMetadata},
        std::pair{"EcsContainer", CredentialBase::Kind::kEcsContainer}}) {
    SCOPED_TRACE(source);
    auto plan = PlanProfileCredentials(
        Profiles(std::string("[profile a]\nrole_arn = arn:a\ncredential_source = ") + source), "a");
    ASSERT_TRUE(plan.ok()) << plan.error().ToString();
    EXPECT_EQ(plan->base.kind, kind);
    EXPECT_EQ(plan->roles.size(), 1u);
  }
}

TEST(ProfilePlanTest, UnknownCredentialSourceIsAnError) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile a]\nrole_arn = arn:a\ncredential_source = Magic"), "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("unsupported credential_source 'Magic'"),
            std::string::npos);
}

TEST(ProfilePlanTest, SourceProfileAndCredentialSourceTogetherIsAnError) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile a]\nrole_arn = arn:a\ncredential_source = Environment\n"
               "source_profile = b\n[profile b]\naws_access_key_id = A\naws_secret_access_key = S"),
      "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("both"), std::string::npos);
}

TEST(ProfilePlanTest, WebIdentity) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile w]\nrole_arn = arn:w\nweb_identity_token_file = /var/token\n"
               "role_session_name = sess"),
      "w");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.kind, CredentialBase::Kind::kWebIdentity);
  EXPECT_EQ(plan->base.role_arn, "arn:w");
  EXPECT_EQ(plan->base.web_identity_token_file, "/var/token");
  EXPECT_EQ(plan->base.role_session_name, "sess");
  EXPECT_TRUE(plan->roles.empty());
}

TEST(ProfilePlanTest, CredentialProcess) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile p]\ncredential_process = /usr/bin/get-creds --profile \"x y\""), "p");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->base.kind, CredentialBase::Kind::kProcess);
  EXPECT_EQ(plan->base.credential_process, "/usr/bin/get-creds --profile \"x y\"");
}

TEST(ProfilePlanTest, SsoWithSession) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile s]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = Dev\n"
               "[sso-session corp]\nsso_start_url = https://corp/start\nsso_region = eu-west-1\n"),
      "s");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.kind, CredentialBase::Kind::kSso);
  EXPECT_EQ(plan->base.sso_start_url, "https://corp/start");
  EXPECT_EQ(plan->base.sso_region, "eu-west-1");
  EXPECT_EQ(plan->base.sso_account_id, "111");
  EXPECT_EQ(plan->base.sso_role_name, "Dev");
}

TEST(ProfilePlanTest, LegacySsoProfile) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile s]\nsso_start_url = https://x/start\nsso_region = us-east-1\n"
               "sso_account_id = 1\nsso_role_name = R\n"),
      "s");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->base.sso_session, "");
}

TEST(ProfilePlanTest, SsoMissingFieldsAreListed) {
  auto plan = PlanProfileCredentials(Profiles("[profile s]\nsso_start_url = https://x\n"), "s");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(),
            "SSO profile 's' is missing sso_region, sso_account_id, sso_role_name");
}

TEST(ProfilePlanTest, SsoSessionMustExist) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile s]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n"), "s");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("sso-session 'nope'"), std::string::npos);
}

TEST(ProfilePlanTest, SsoProfileAndSessionMustAgree) {
  auto plan = PlanProfileCredentials(
      Profiles("[profile s]\nsso_session = c\nsso_region = us-east-1\nsso_account_id = 1\n"
               "sso_role_name = R\n[sso-session c]\nsso_start_url = u\nsso_region = eu-west-1\n"),
      "s");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("sso_region differently"), std::string::npos);
}

TEST(ProfilePlanTest, RoleWithoutSourceIsAnError) {
  auto plan = PlanProfileCredentials(Profiles("[profile a]\nrole_arn = arn:a\n"), "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("has role_arn but no source_profile"), std::string::npos);
}

TEST(ProfilePlanTest, HalfStaticKeysIsAnError) {
  auto plan = PlanProfileCredentials(Profiles("", "[a]\naws_access_key_id = A\n"), "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("needs both"), std::string::npos);
}

TEST(ProfilePlanTest, ProfileWithNothingIsAnError) {
  auto plan = PlanProfileCredentials(Profiles("[profile a]\nregion = r\n"), "a");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(), "profile 'a' does not configure any credentials");
}

// --- credential_process output ---

TEST(CredentialProcessTest, ParsesFullOutput) {
  auto creds = ParseCredentialProcessOutput(
      R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T",)"
      R"("Expiration":"2030-01-01T00:00:00.500+01:00"})");
  ASSERT_TRUE(creds.ok()) << creds.error().ToString();
  EXPECT_EQ(creds->access_key_id, "A");
  EXPECT_EQ(creds->session_token, "T");
  EXPECT_EQ(creds->expiration, sys_days{std::chrono::year{2029} / 12 / 31} + 23h + 500ms);
}

TEST(CredentialProcessTest, LongTermCredentialsHaveNoExpiration) {
  auto creds =
      ParseCredentialProcessOutput(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})");
  ASSERT_TRUE(creds.ok());
  EXPECT_FALSE(creds->expiration.has_value());
  EXPECT_FALSE(creds->HasSessionToken());
}

TEST(CredentialProcessTest, WrongVersionIsAnError) {
  EXPECT_FALSE(
      ParseCredentialProcessOutput(R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"})")
          .ok());
}

TEST(CredentialProcessTest, MissingSecretIsAnError) {
  auto r = ParseCredentialProcessOutput(R"({"Version":1,"AccessKeyId":"A"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("SecretAccessKey"), std::string::npos);
}

TEST(CredentialProcessTest, NonStringKeyIsAnError) {
  EXPECT_FALSE(
      ParseCredentialProcessOutput(R"({"Version":1,"AccessKeyId":5,"SecretAccessKey":"S"})").ok());
}

TEST(CredentialProcessTest, BadExpirationIsAnError) {
  EXPECT_FALSE(ParseCredentialProcessOutput(
                   R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})")
                   .ok());
}

TEST(CredentialProcessTest, NotJsonIsAnError) {
  EXPECT_FALSE(ParseCredentialProcessOutput("AKID SECRET").ok());
}

TEST(Rfc3339Test, AcceptsAndRejects) {
  EXPECT_TRUE(ParseRfc3339("2024-01-01T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2024-01-01T00:00:00.123456789123Z"));
  EXPECT_EQ(ParseRfc3339("2024-01-01T01:00:00+01:00"), ParseRfc3339("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2024-01-01T00:00:00"));
  EXPECT_FALSE(ParseRfc3339("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2024-01-01T00:00:00.Z"));
  EXPECT_FALSE(ParseRfc3339("2024-01-01T00:00:00Zjunk"));
}

// --- Expiry ---

TEST(CredentialsCacheTest, RefreshesInsideTheWindow) {
  core::FakeClock clock;
  CredentialsCache cache(clock, {.refresh_before = 300s});
  EXPECT_EQ(cache.State(), CredentialsState::kMissing);
  EXPECT_FALSE(cache.Get());
  cache.Store(Credentials{"A", "S", "T", clock.Now() + 10min});
  EXPECT_EQ(cache.State(), CredentialsState::kFresh);
  ASSERT_TRUE(cache.Get());
  clock.Advance(5min);  // exactly at the window edge
  EXPECT_EQ(cache.State(), CredentialsState::kRefreshNeeded);
  EXPECT_FALSE(cache.Get());
  clock.Advance(10min);  // past expiry
  EXPECT_EQ(cache.State(), CredentialsState::kRefreshNeeded);
  cache.Clear();
  EXPECT_EQ(cache.State(), CredentialsState::kMissing);
}

TEST(CredentialsCacheTest, LongTermCredentialsNeverNeedRefresh) {
  core::FakeClock clock;
  CredentialsCache cache(clock);
  cache.Store(Credentials{"A", "S", "", std::nullopt});
  clock.Advance(24h * 365);
  EXPECT_EQ(cache.State(), CredentialsState::kFresh);
}

TEST(CredentialsCacheTest, WallClockStepBackMakesCredentialsFreshAgain) {
  core::FakeClock clock;
  CredentialsCache cache(clock);
  cache.Store(Credentials{"A", "S", "T", clock.Now() + 1min});
  EXPECT_EQ(cache.State(), CredentialsState::kRefreshNeeded);
  clock.SetNow(clock.Now() - 1h);
  EXPECT_EQ(cache.State(), CredentialsState::kFresh);
}

}  // namespace
}  // namespace bedrock::aws

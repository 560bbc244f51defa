#include "aws/client_config.h"

#include <gtest/gtest.h>

namespace bedrock::aws {
namespace {

ProfileSet ProfilesWithServices() {
  auto config = ParseSharedConfigFile(
      "[profile dev]\n"
      "endpoint_url = http://profile-global\n"
      "services = local\n"
      "[services local]\n"
      "bedrock_runtime =\n"
      "  endpoint_url = http://profile-bedrock\n"
      "sts =\n"
      "  endpoint_url = http://profile-sts\n",
      SharedFileKind::kConfig, "config");
  EXPECT_TRUE(config.ok());
  return MergeProfileFiles(*config, SharedConfigFile{});
}

TEST(ResolveEndpointUrlTest, NothingConfiguredIsNullopt) {
  core::FakeEnv env;
  EXPECT_FALSE(ResolveEndpointUrl(env, nullptr, "default", kBedrockRuntimeServiceId));
}

TEST(ResolveEndpointUrlTest, ServiceSpecificEnvironmentWins) {
  core::FakeEnv env({{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://env-bedrock"},
                     {"AWS_ENDPOINT_URL", "http://env-global"}});
  auto profiles = ProfilesWithServices();
  EXPECT_EQ(ResolveEndpointUrl(env, &profiles, "dev", kBedrockRuntimeServiceId),
            "http://env-bedrock");
}

TEST(ResolveEndpointUrlTest, AgentRuntimeHasItsOwnVariable) {
  core::FakeEnv env({{"AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", "http://agent"},
                     {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://runtime"}});
  EXPECT_EQ(ResolveEndpointUrl(env, nullptr, "default", kBedrockAgentRuntimeServiceId),
            "http://agent");
}

TEST(ResolveEndpointUrlTest, ProfileServicesSectionBeatsGlobalEnvironment) {
  core::FakeEnv env({{"AWS_ENDPOINT_URL", "http://env-global"}});
  auto profiles = ProfilesWithServices();
  EXPECT_EQ(ResolveEndpointUrl(env, &profiles, "dev", kBedrockRuntimeServiceId),
            "http://profile-bedrock");
  EXPECT_EQ(ResolveEndpointUrl(env, &profiles, "dev", kStsServiceId), "http://profile-sts");
  EXPECT_EQ(ResolveEndpointUrl(env, &profiles, "dev", kSsoServiceId), "http://env-global");
}

TEST(ResolveEndpointUrlTest, ProfileGlobalEndpointIsTheLastResort) {
  core::FakeEnv env;
  auto profiles = ProfilesWithServices();
  EXPECT_EQ(ResolveEndpointUrl(env, &profiles, "dev", kSsoServiceId), "http://profile-global");
}

TEST(ResolveEndpointUrlTest, IgnoreConfiguredEndpointUrlsDisablesAll) {
  core::FakeEnv env({{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"},
                     {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://env-bedrock"}});
  auto profiles = ProfilesWithServices();
  EXPECT_FALSE(ResolveEndpointUrl(env, &profiles, "dev", kBedrockRuntimeServiceId));
}

TEST(ResolveEndpointUrlTest, ProfileIgnoreSettingDisablesAll) {
  core::FakeEnv env({{"AWS_ENDPOINT_URL", "http://env-global"}});
  ProfileSet profiles;
  profiles.profiles["p"] =
      Profile{.name = "p", .properties = {{"ignore_configured_endpoint_urls", "true"}}};
  EXPECT_FALSE(ResolveEndpointUrl(env, &profiles, "p", kBedrockRuntimeServiceId));
}

TEST(DefaultServiceEndpointTest, RegionalAndChina) {
  EXPECT_EQ(DefaultServiceEndpoint("bedrock-runtime", "us-west-2"),
            "https://bedrock-runtime.us-west-2.amazonaws.com");
  EXPECT_EQ(DefaultServiceEndpoint("sts", "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
}

}  // namespace
}  // namespace bedrock::aws

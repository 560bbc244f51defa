#include "gateway/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace bedrock::gateway {
namespace {

using ::testing::HasSubstr;

core::Result<GatewayConfig> FromText(std::string_view text, const core::Env& env) {
  auto document = core::ParseJsonDocument(text, "config.json", {.env = &env});
  if (!document.ok()) return document.error();
  return GatewayConfigFromDocument(document->Root(), env);
}

core::Result<GatewayConfig> FromText(std::string_view text) {
  core::FakeEnv env;
  return FromText(text, env);
}

TEST(GatewayConfigTest, EmptyObjectGivesSafeDefaults) {
  auto config = FromText("{}");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_TRUE(config->models.empty());
  EXPECT_TRUE(config->auth.keys.empty());
  EXPECT_FALSE(config->auth.allow_unauthenticated);
  EXPECT_EQ(config->policy.stdio, StdioSpawnMode::kAllowlist);
  EXPECT_THAT(config->policy.stdio_commands,
              ::testing::ElementsAre("npx", "uvx", "node", "python", "docker", "uv"));
  EXPECT_FALSE(config->policy.allow_private_networks);
  EXPECT_EQ(config->limits.inactive_time, std::chrono::minutes(1440));
  EXPECT_EQ(config->limits.max_turns, 200);
  EXPECT_TRUE(config->cors.allowed_origins.empty());
}

TEST(GatewayConfigTest, ReadsDemoModelsAndOpenAiUpstreams) {
  auto config = FromText(R"({"models": [
      {"model_id": "us.amazon.nova-pro-v1:0", "model_name": "Nova Pro"},
      {"model_id": "gpt-4o", "model_name": "GPT", "provider": "openai",
       "base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_API_KEY"}]})");
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_EQ(config->models[0].provider, ModelProvider::kBedrock);
  EXPECT_EQ(config->models[1].provider, ModelProvider::kOpenAiCompatible);
  EXPECT_EQ(config->models[1].api_key_env, "OPENAI_API_KEY");
}

TEST(GatewayConfigTest, OpenAiModelWithoutBaseUrlIsAnError) {
  auto config = FromText(R"({"models": [{"model_id": "x", "provider": "openai"}]})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("base_url"));
}

TEST(GatewayConfigTest, DuplicateModelIdIsAnError) {
  auto config = FromText(R"({"models": [{"model_id": "x"}, {"model_id": "x"}]})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("duplicate"));
}

TEST(GatewayConfigTest, ReadsDemoServerEntryWithOurOptions) {
  auto config = FromText(R"({"mcpServers": {
      "local_fs": {"command": "npx", "args": ["-y", "server-filesystem", "./docs"], "env": {},
                   "description": "Local File System I/O", "status": 1,
                   "per_user": true, "tools": {"allow": ["read_*"], "deny": ["read_secret"]},
                   "requires_approval": ["write_file"], "connect_timeout_ms": 5000,
                   "call_timeout_ms": 7000},
      "off": {"url": "https://example.com/mcp", "status": 0}}})");
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config->servers.size(), 2u);
  const ServerSpec& fs = config->servers[0];
  EXPECT_EQ(fs.mcp.name, "local_fs");
  EXPECT_EQ(fs.mcp.description, "Local File System I/O");
  EXPECT_TRUE(fs.per_user);
  EXPECT_TRUE(fs.tools.Allows("read_file"));
  EXPECT_FALSE(fs.tools.Allows("read_secret"));
  EXPECT_FALSE(fs.tools.Allows("write_file"));
  EXPECT_TRUE(fs.RequiresApproval("write_file"));
  EXPECT_FALSE(fs.RequiresApproval("read_file"));
  EXPECT_EQ(fs.connect_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(fs.call_timeout, std::chrono::milliseconds(7000));
  EXPECT_TRUE(fs.global());
  EXPECT_FALSE(config->servers[1].mcp.enabled);
}

TEST(GatewayConfigTest, RequiresApprovalTrueMeansEveryTool) {
  auto config = FromText(R"({"mcpServers": {"a": {"command": "x", "requires_approval": true}}})");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_TRUE(config->servers[0].RequiresApproval("anything"));
}

TEST(GatewayConfigTest, UnknownServerKeyNamesFileLineAndKey) {
  auto config =
      FromText("{\"mcpServers\": {\n  \"a\": {\"command\": \"x\",\n   \"per_usr\": true}}}");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("config.json:3:"));
  EXPECT_THAT(config.error().message(), HasSubstr("mcpServers.a.per_usr"));
}

TEST(GatewayConfigTest, WrongTypeOfOwnOptionNamesTheKey) {
  auto config = FromText(R"({"mcpServers": {"a": {"command": "x", "per_user": "yes"}}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("mcpServers.a.per_user"));
}

TEST(GatewayConfigTest, ReadsKeysBoundAndShared) {
  auto config = FromText(R"({"auth": {"api_keys": ["shared-key",
      {"key": "alice-key", "user": "alice", "name": "alice's laptop"}, "${UNSET:-}"],
      "failure_status": 403}})");
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config->auth.keys.size(), 2u);  // the empty entry is skipped
  EXPECT_FALSE(config->auth.keys[0].user.has_value());
  EXPECT_EQ(config->auth.keys[1].user, "alice");
  EXPECT_EQ(config->auth.keys[1].name, "alice's laptop");
  EXPECT_EQ(config->auth.failure_status, 403);
}

TEST(GatewayConfigTest, FailureStatusOtherThan401Or403IsAnError) {
  auto config = FromText(R"({"auth": {"failure_status": 500}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("auth.failure_status"));
}

TEST(GatewayConfigTest, DuplicateKeyIsAnError) {
  EXPECT_FALSE(FromText(R"({"auth": {"api_keys": ["k", {"key": "k", "user": "u"}]}})").ok());
}

TEST(GatewayConfigTest, ApiKeyEnvironmentAddsASharedKey) {
  core::FakeEnv env({{"API_KEY", "123456"}});
  auto config = FromText("{}", env);
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config->auth.keys.size(), 1u);
  EXPECT_EQ(config->auth.keys[0].key, "123456");
  EXPECT_EQ(config->auth.keys[0].name, "API_KEY");
  EXPECT_FALSE(config->auth.keys[0].user.has_value());
}

TEST(GatewayConfigTest, DemoEnvironmentOverridesLimits) {
  core::FakeEnv env({{"MAX_TURNS", "7"}, {"INACTIVE_TIME", "10"}});
  auto config = FromText(R"({"limits": {"max_turns": 3, "inactive_minutes": 99}})", env);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->limits.max_turns, 7);
  EXPECT_EQ(config->limits.inactive_time, std::chrono::minutes(10));
}

TEST(GatewayConfigTest, MalformedInactiveTimeIsAnError) {
  core::FakeEnv env({{"INACTIVE_TIME", "ten"}});
  auto config = FromText("{}", env);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("INACTIVE_TIME"));
}

TEST(GatewayConfigTest, ReadsPolicy) {
  auto config = FromText(R"({"policy": {"stdio": "off", "remote_schemes": ["https"],
      "allow_private_networks": true, "max_servers_per_user": 3}})");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->policy.stdio, StdioSpawnMode::kOff);
  EXPECT_THAT(config->policy.remote_schemes, ::testing::ElementsAre("https"));
  EXPECT_TRUE(config->policy.allow_private_networks);
  EXPECT_EQ(config->policy.max_servers_per_user, 3u);
}

TEST(GatewayConfigTest, UnknownStdioModeIsAnError) {
  auto config = FromText(R"({"policy": {"stdio": "any"}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("policy.stdio"));
}

TEST(GatewayConfigTest, StorePathIsSqlite) {
  auto config = FromText(R"({"store": {"path": "/tmp/x.db"}})");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->store.url, "sqlite:/tmp/x.db");
}

TEST(GatewayConfigTest, StoreUrlAndPathTogetherIsAnError) {
  EXPECT_FALSE(FromText(R"({"store": {"path": "a", "url": "sqlite:b"}})").ok());
}

TEST(GatewayConfigTest, CorsWildcardWithCredentialsIsRefused) {
  auto config = FromText(R"({"cors": {"allowed_origins": ["*"], "allow_credentials": true}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("allow_credentials"));
}

TEST(GatewayConfigTest, CorsOriginWithPathIsRefused) {
  EXPECT_FALSE(FromText(R"({"cors": {"allowed_origins": ["https://a.example/"]}})").ok());
}

TEST(GatewayConfigTest, ShippedConfigParses) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../conf/config.json";
  core::FakeEnv env;
  auto document = core::LoadJsonFile(path.string(), {.env = &env});
  ASSERT_TRUE(document.ok()) << document.error();
  auto config = GatewayConfigFromDocument(document->Root(), env);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_FALSE(config->models.empty());
  EXPECT_EQ(config->policy.stdio_commands.size(), 6u);
}

}  // namespace
}  // namespace bedrock::gateway

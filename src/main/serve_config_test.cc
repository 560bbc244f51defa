#include "main/serve_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "main/serve_command.h"

namespace bedrock::app {
namespace {

using ::testing::HasSubstr;

core::Result<ServeConfig> FromText(std::string_view text) {
  auto document = core::ParseJsonDocument(text, "config.json");
  if (!document.ok()) return document.error();
  return ServeConfigFromDocument(*document);
}

TEST(ServeConfigTest, EmptyObjectGivesTheDemoPortOnLoopback) {
  auto config = FromText("{}");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->server.host, "127.0.0.1");
  EXPECT_EQ(config->server.port, 7002);
  EXPECT_EQ(config->log_level, core::LogLevel::kInfo);
}

TEST(ServeConfigTest, ReadsListenLimitsAndLogSettings) {
  auto config = FromText(R"({
    "server": {"listen": "[::1]:8080", "threads": 3, "max_body_bytes": 2048,
               "idle_timeout_ms": 1500, "sse_heartbeat_ms": 0},
    "log": {"level": "debug", "format": "json"}
  })");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->server.host, "::1");
  EXPECT_EQ(config->server.port, 8080);
  EXPECT_EQ(config->server.threads, 3);
  EXPECT_EQ(config->server.max_body_bytes, 2048u);
  EXPECT_EQ(config->server.idle_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(config->server.sse_heartbeat_interval, std::chrono::milliseconds(0));
  EXPECT_EQ(config->log_level, core::LogLevel::kDebug);
  EXPECT_EQ(config->log_format, core::LogFormat::kJson);
}

TEST(ServeConfigTest, BadListenNamesFileLineAndKey) {
  auto config = FromText("{\n  \"server\": {\n    \"listen\": \"7002\"\n  }\n}\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("config.json:3:"));
  EXPECT_THAT(config.error().message(), HasSubstr("server.listen"));
  EXPECT_THAT(config.error().message(), HasSubstr("host:port"));
}

TEST(ServeConfigTest, WrongTypeNamesTheKeyPath) {
  auto config = FromText(R"({"server": {"threads": "four"}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("server.threads"));
}

TEST(ServeConfigTest, UnknownServerKeyIsAnErrorWithSuggestion) {
  auto config = FromText(R"({"server": {"listne": "127.0.0.1:1"}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("listne"));
  EXPECT_THAT(config.error().message(), HasSubstr("listen"));
}

TEST(ServeConfigTest, UnknownTopLevelSectionIsReportedNotFatal) {
  auto config = FromText(R"({"servre": {}, "mcpServers": {}})");
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config->unknown_keys.size(), 1u);
  EXPECT_THAT(config->unknown_keys[0].message(), HasSubstr("servre"));
}

TEST(ServeConfigTest, TlsCertWithoutKeyIsRejected) {
  auto config = FromText(R"({"server": {"tls_cert_file": "/tmp/cert.pem"}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("tls_key_file"));
}

TEST(ServeConfigTest, EnvironmentSubstitutionFillsListen) {
  core::FakeEnv env({{"PORT_SPEC", "127.0.0.1:9001"}});
  auto document =
      core::ParseJsonDocument(R"({"server": {"listen": "${PORT_SPEC}"}})", "c.json", {.env = &env});
  ASSERT_TRUE(document.ok()) << document.error();
  auto config = ServeConfigFromDocument(*document);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->server.port, 9001);
}

TEST(ParseHostPortTest, AcceptsIpv4Ipv6AndNamesRejectsTheRest) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:0")->port, 0);
  EXPECT_EQ(ParseHostPort("localhost:7002")->host, "localhost");
  EXPECT_EQ(ParseHostPort("[::1]:80")->host, "::1");
  for (std::string_view bad :
       {"", "7002", ":80", "host:", "host:99999", "host:8x", "::1:80", "[::1]80", "[::1]:"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

TEST(AwsCredentialSourceTest, NoneWhenNothingIsConfigured) {
  core::FakeEnv env({{"HOME", "/nonexistent-home-for-test"}});
  EXPECT_FALSE(FindAwsCredentialSource(env).has_value());
}

TEST(AwsCredentialSourceTest, EnvironmentKeysAndApiKeyAreFound) {
  core::FakeEnv keys({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "x"}});
  EXPECT_THAT(FindAwsCredentialSource(keys).value_or(""), HasSubstr("AWS_ACCESS_KEY_ID"));
  core::FakeEnv bearer({{"AWS_BEARER_TOKEN_BEDROCK", "abc"}});
  EXPECT_THAT(FindAwsCredentialSource(bearer).value_or(""), HasSubstr("API key"));
}

}  // namespace
}  // namespace bedrock::app

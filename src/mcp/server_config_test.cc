#include "mcp/server_config.h"

#include <gtest/gtest.h>

namespace bedrock::mcp {
namespace {

core::Result<std::vector<McpServerConfig>> Parse(std::string_view text) {
  auto doc = core::ParseJsonDocument(text, "servers.json");
  if (!doc.ok()) return doc.error();
  return ParseMcpServers(doc->Root());
}

TEST(ServerConfigTest, StdioEntryWithArgsEnvAndCwd) {
  auto servers = Parse(R"({"mcpServers":{"files":{"command":"npx","args":["-y","fs","."],
      "env":{"DEBUG":"1"},"cwd":"/srv","description":"Files","status":1}}})");
  ASSERT_TRUE(servers.ok()) << servers.error().ToString();
  ASSERT_EQ(servers->size(), 1u);
  const auto& s = servers->front();
  EXPECT_EQ(s.name, "files");
  EXPECT_EQ(s.kind, ServerTransportKind::kStdio);
  EXPECT_EQ(s.command, "npx");
  EXPECT_EQ(s.args, (std::vector<std::string>{"-y", "fs", "."}));
  EXPECT_EQ(s.env.at("DEBUG"), "1");
  EXPECT_EQ(s.cwd, "/srv");
  EXPECT_EQ(s.description, "Files");
  EXPECT_TRUE(s.enabled);
}

TEST(ServerConfigTest, UrlEntriesPickTheirTransport) {
  auto servers = Parse(R"({
    "a":{"url":"https://h/mcp","token":"t","headers":{"X-Team":"x"}},
    "b":{"url":"https://h/mcp","type":"streamable-http"},
    "c":{"url":"https://h/sse"},
    "d":{"url":"https://h/x","type":"sse","status":0},
    "e":{"url":"http://h/mcp","type":"http","disabled":true}})");
  ASSERT_TRUE(servers.ok()) << servers.error().ToString();
  ASSERT_EQ(servers->size(), 5u);
  EXPECT_EQ((*servers)[0].kind, ServerTransportKind::kAutoHttp);
  EXPECT_EQ((*servers)[0].token, "t");
  EXPECT_EQ((*servers)[0].headers.Get("X-Team").value_or(""), "x");
  EXPECT_EQ((*servers)[1].kind, ServerTransportKind::kStreamableHttp);
  EXPECT_EQ((*servers)[2].kind, ServerTransportKind::kSse);
  EXPECT_EQ((*servers)[3].kind, ServerTransportKind::kSse);
  EXPECT_FALSE((*servers)[3].enabled);
  EXPECT_EQ((*servers)[4].kind, ServerTransportKind::kStreamableHttp);
  EXPECT_FALSE((*servers)[4].enabled);
}

TEST(ServerConfigTest, UnknownKeyNamesFileLineAndPath) {
  auto servers = Parse("{\"mcpServers\":{\n \"x\":{\"command\":\"a\",\n  \"argz\":[]}}}");
  ASSERT_FALSE(servers.ok());
  EXPECT_NE(servers.error().message().find("servers.json:3:"), std::string::npos)
      << servers.error().message();
  EXPECT_NE(servers.error().message().find("mcpServers.x.argz"), std::string::npos)
      << servers.error().message();
}

TEST(ServerConfigTest, BadTypeIsAnError) {
  auto servers = Parse(R"({"x":{"url":"https://h/mcp","type":"websocket"}})");
  ASSERT_FALSE(servers.ok());
  EXPECT_NE(servers.error().message().find("x.type"), std::string::npos)
      << servers.error().message();
}

TEST(ServerConfigTest, CommandAndUrlTogetherIsAnError) {
  auto servers = Parse(R"({"x":{"url":"https://h/mcp","command":"npx"}})");
  ASSERT_FALSE(servers.ok());
}

TEST(ServerConfigTest, NeitherCommandNorUrlIsAnError) {
  auto servers = Parse(R"({"x":{"description":"nothing"}})");
  ASSERT_FALSE(servers.ok());
}

TEST(ServerConfigTest, NonStringEnvValueIsAnError) {
  auto servers = Parse(R"({"x":{"command":"a","env":{"N":1}}})");
  ASSERT_FALSE(servers.ok());
  EXPECT_NE(servers.error().message().find("x.env.N"), std::string::npos)
      << servers.error().message();
}

TEST(ServerConfigTest, NonHttpUrlIsAnError) {
  auto servers = Parse(R"({"x":{"url":"ftp://h/mcp"}})");
  ASSERT_FALSE(servers.ok());
}

TEST(ServerConfigTest, OAuthKeyCarriesClientAndScope) {
  auto servers = Parse(R"({"r":{"url":"https://h/mcp",
      "oauth":{"client_id":"cid","client_secret":"sec","scope":"read write"}}})");
  ASSERT_TRUE(servers.ok()) << servers.error().ToString();
  EXPECT_EQ(servers->front().oauth_client_id, "cid");
  EXPECT_EQ(servers->front().oauth_client_secret, "sec");
  EXPECT_EQ(servers->front().oauth_scope, "read write");
  EXPECT_EQ(servers->front().auth, nullptr);
}

TEST(ServerConfigTest, OAuthOnCommandEntryIsAnError) {
  auto servers = Parse(R"({"f":{"command":"x","oauth":{"client_id":"c"}}})");
  ASSERT_FALSE(servers.ok());
  EXPECT_NE(servers.error().message().find("oauth"), std::string::npos);
}

TEST(ServerConfigTest, UnknownOAuthKeyIsAnError) {
  auto servers = Parse(R"({"r":{"url":"https://h/mcp","oauth":{"client":"c"}}})");
  ASSERT_FALSE(servers.ok());
  EXPECT_NE(servers.error().message().find("client"), std::string::npos);
}

TEST(ServerConfigTest, ArgsOnUrlEntryIsAnError) {
  auto servers = Parse(R"({"x":{"url":"https://h/mcp","args":["a"]}})");
  ASSERT_FALSE(servers.ok());
}

}  // namespace
}  // namespace bedrock::mcp

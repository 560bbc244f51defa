#include "agent/tool_catalog.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agent/testing/test_server.h"

namespace bedrock::agent {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using mcp::testing::RunCoroutine;
using testing::TestServer;

TEST(ToolFilterTest, EmptyAllowsEverything) { EXPECT_TRUE(ToolFilter{}.Allows("anything")); }

TEST(ToolFilterTest, AllowListKeepsOnlyMatches) {
  ToolFilter filter{{"read_*", "list"}, {}};
  EXPECT_TRUE(filter.Allows("read_file"));
  EXPECT_TRUE(filter.Allows("list"));
  EXPECT_FALSE(filter.Allows("list_all"));
  EXPECT_FALSE(filter.Allows("write_file"));
}

TEST(ToolFilterTest, DenyWinsOverAllow) {
  ToolFilter filter{{"*"}, {"*_file", "rm"}};
  EXPECT_FALSE(filter.Allows("write_file"));
  EXPECT_FALSE(filter.Allows("rm"));
  EXPECT_TRUE(filter.Allows("ls"));
}

TEST(ToolPatternTest, GlobsMatchRuns) {
  EXPECT_TRUE(MatchesToolPattern("a*c*e", "abcde"));
  EXPECT_TRUE(MatchesToolPattern("*", ""));
  EXPECT_FALSE(MatchesToolPattern("a*c", "abd"));
  EXPECT_FALSE(MatchesToolPattern("abc", "ab"));
}

json::array Tools(std::initializer_list<std::string_view> names) {
  json::array tools;
  for (auto name : names) tools.push_back(json::object{{"name", name}, {"description", "d"}});
  return tools;
}

TEST(McpToolCatalogTest, CreateAppliesFiltersApprovalsAndNames) {
  std::vector<McpServer> servers(2);
  servers[0].id = "fs-1";
  servers[0].client = std::shared_ptr<mcp::Client>(nullptr, [](mcp::Client*) {});
  servers[0].filter.deny = {"write_*"};
  servers[0].approval_tools = {"move"};
  servers[1].id = "web";
  servers[1].approval_required = true;
  // A fake non-null client: Create never touches it.
  auto placeholder =
      std::shared_ptr<mcp::Client>(reinterpret_cast<mcp::Client*>(8), [](mcp::Client*) {});
  servers[0].client = placeholder;
  servers[1].client = placeholder;
  std::vector<json::array> lists = {Tools({"read", "write_file", "move"}), Tools({"fetch"})};
  lists[0].push_back(json::object{{"description", "nameless"}});
  auto catalog = McpToolCatalog::Create(std::move(servers), std::move(lists));
  ASSERT_TRUE(catalog.ok()) << catalog.error();
  const auto& tools = (*catalog)->tools();
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0].bedrock_name, "fs_1___read");
  EXPECT_FALSE(tools[0].requires_approval);
  EXPECT_EQ(tools[1].tool_name, "move");
  EXPECT_TRUE(tools[1].requires_approval);
  EXPECT_EQ(tools[2].bedrock_name, "web___fetch");
  EXPECT_TRUE(tools[2].requires_approval);
  EXPECT_EQ((*catalog)->Find("fs_1___read"), &tools[0]);
  EXPECT_EQ((*catalog)->Find("fs_1___write_file"), nullptr);
  auto specs = (*catalog)->Specs();
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].input_schema, (json::object{{"type", "object"}}));
}

TEST(McpToolCatalogTest, CreateRejectsDuplicateServerIds) {
  auto placeholder =
      std::shared_ptr<mcp::Client>(reinterpret_cast<mcp::Client*>(8), [](mcp::Client*) {});
  std::vector<McpServer> servers = {McpServer("a", placeholder), McpServer("a", placeholder)};
  auto catalog = McpToolCatalog::Create(std::move(servers), {json::array(), json::array()});
  EXPECT_FALSE(catalog.ok());
}

TEST(McpToolCatalogTest, LoadListsEveryServerAndCalls) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    TestServer a(ex, "a"), b(ex, "b");
    MCP_CO_ASSERT_OK(co_await a.Connect());
    MCP_CO_ASSERT_OK(co_await b.Connect());
    std::vector<McpServer> servers = {McpServer("a", a.client), McpServer("b", b.client)};
    servers[1].filter.allow = {"echo"};
    auto catalog = co_await McpToolCatalog::Load(std::move(servers));
    MCP_CO_ASSERT_OK(catalog);
    const CatalogTool* echo = (*catalog)->Find("b___echo");
    EXPECT_NE((*catalog)->Find("a___hang"), nullptr);
    EXPECT_EQ((*catalog)->Find("b___hang"), nullptr);
    if (echo == nullptr) co_return ADD_FAILURE();
    json::object arguments{{"text", "hi"}};
    auto result = co_await (*catalog)->Call(*echo, std::move(arguments), std::chrono::seconds(5));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "hi");
    EXPECT_EQ(b.echo_calls, 1);
    co_await a.client->Close();
    co_await b.client->Close();
  });
}

TEST(McpToolCatalogTest, LoadFailureNamesTheServer) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    TestServer a(ex, "broken");
    MCP_CO_ASSERT_OK(co_await a.Connect());
    co_await a.client->Close();
    std::vector<McpServer> servers = {McpServer("broken", a.client)};
    auto catalog = co_await McpToolCatalog::Load(std::move(servers));
    EXPECT_FALSE(catalog.ok());
    if (!catalog.ok()) {
      EXPECT_NE(catalog.error().message().find("MCP server 'broken'"), std::string::npos)
          << catalog.error();
    }
  });
}

}  // namespace
}  // namespace bedrock::agent

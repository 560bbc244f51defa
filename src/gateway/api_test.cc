#include "gateway/api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "gateway/testing/fake_mcp.h"
#include "store/store.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ::testing::HasSubstr;
using testing::RunSync;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : work_(asio::make_work_guard(io_)) {
    config_.models.push_back(ModelConfig{"us.amazon.nova-pro-v1:0", "Nova Pro"});
    ModelConfig openai;
    openai.id = "gpt-4o";
    openai.name = "GPT-4o";
    openai.provider = ModelProvider::kOpenAiCompatible;
    config_.models.push_back(openai);
    ServerSpec global;
    global.mcp.name = "local_fs";
    global.mcp.command = "npx";
    global.mcp.description = "Local File System I/O";
    config_.servers.push_back(global);
    config_.auth.keys.push_back(ApiKeyConfig{"123456", std::nullopt, "API_KEY"});
    config_.auth.keys.push_back(ApiKeyConfig{"alice-key", "alice", "alice"});
    config_.limits.max_request_bytes = 4096;
    config_.cors.allowed_origins = {"http://localhost:3000"};
    thread_ = std::thread([this] { io_.run(); });
    auto store = store::OpenStore(store::StoreOptions("sqlite::memory:"));
    store_ = std::move(*store);
    Build();
  }
  ~ApiTest() override {
    RunSync(io_.get_executor(), users_->StopAll());
    work_.reset();
    thread_.join();
    blocking_.join();
  }

  void Build() {
    authenticator_ = std::make_unique<Authenticator>(config_.auth);
    UserRegistryOptions options;
    options.config = &config_;
    options.store = store_.get();
    options.mcp_executor = io_.get_executor();
    options.blocking_executor = blocking_.get_executor();
    options.connector = fake_.connector();
    users_ = std::make_unique<UserRegistry>(std::move(options));
    api_ = std::make_unique<Api>(config_, *authenticator_, *users_);
    router_ = http::Router();
    api_->AddRoutes(router_);
  }

  http::Response Send(std::string method, std::string target, std::string body = {},
                      std::string user = "u1", std::string key = "123456") {
    http::Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    if (!key.empty()) request.headers.Add("Authorization", "Bearer " + key);
    if (!user.empty()) request.headers.Add("X-User-ID", user);
    for (auto& [name, value] : extra_headers_) request.headers.Add(name, value);
    return RunSync(io_.get_executor(), Dispatch(std::move(request)));
  }

  asio::awaitable<http::Response> Dispatch(http::Request request) {
    http::RequestContext context(request);
    co_return co_await router_.Dispatch(context);
  }

  static json::object Body(const http::Response& response) {
    return json::parse(response.body).as_object();
  }

  std::vector<std::string> ListedIds(std::string user) {
    std::vector<std::string> ids;
    auto body = Body(Send("GET", "/v1/list/mcp_server", "", user));
    for (const auto& server : body.at("servers").as_array()) {
      ids.emplace_back(server.as_object().at("server_id").as_string());
    }
    return ids;
  }

  GatewayConfig config_;
  testing::FakeConnector fake_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::thread_pool blocking_{1};
  std::thread thread_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<UserRegistry> users_;
  std::unique_ptr<Api> api_;
  http::Router router_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
};

TEST_F(ApiTest, ListModelsHasTheDemoShape) {
  auto response = Send("GET", "/v1/list/models");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"models":[{"model_id":"us.amazon.nova-pro-v1:0","model_name":"Nova Pro"},)"
            R"({"model_id":"gpt-4o","model_name":"GPT-4o"}]})");
}

TEST_F(ApiTest, OpenAiModelsListsEveryModel) {
  auto body = Body(Send("GET", "/v1/models"));
  EXPECT_EQ(body.at("object"), "list");
  ASSERT_EQ(body.at("data").as_array().size(), 2u);
  const auto& first = body.at("data").as_array()[0].as_object();
  EXPECT_EQ(first.at("id"), "us.amazon.nova-pro-v1:0");
  EXPECT_EQ(first.at("object"), "model");
  EXPECT_EQ(first.at("owned_by"), "bedrock");
}

TEST_F(ApiTest, MissingKeyIs401WithChallengeAndDemoDetail) {
  auto response = Send("GET", "/v1/list/models", "", "u1", "");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.Get("WWW-Authenticate"), "Bearer");
  auto body = Body(response);
  EXPECT_EQ(body.at("detail"), "Not authenticated");
  EXPECT_EQ(body.at("errno"), 401);
  EXPECT_EQ(body.at("msg"), "Not authenticated");
}

TEST_F(ApiTest, WrongKeyIs401InvalidToken) {
  auto response = Send("GET", "/v1/list/models", "", "u1", "654321");
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(std::string(*response.headers.Get("WWW-Authenticate")), HasSubstr("invalid_token"));
  EXPECT_EQ(Body(response).at("detail"), "Could not validate credentials");
  EXPECT_EQ(response.body.find("654321"), std::string::npos);
}

TEST_F(ApiTest, DemoStatusIs403WhenConfigured) {
  config_.auth.failure_status = 403;
  Build();
  auto response = Send("GET", "/v1/list/models", "", "u1", "wrong");
  EXPECT_EQ(response.status, 403);
  EXPECT_FALSE(response.headers.Contains("WWW-Authenticate"));
  EXPECT_EQ(Body(response).at("detail"), "Could not validate credentials");
}

TEST_F(ApiTest, BadUserIdIs400) {
  auto response = Send("GET", "/v1/list/mcp_server", "", std::string(300, 'x'));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Body(response).at("errno"), 400);
}

TEST_F(ApiTest, ListServersShowsGlobalsWithTheirDescription) {
  auto body = Body(Send("GET", "/v1/list/mcp_server"));
  const auto& servers = body.at("servers").as_array();
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].as_object().at("server_id"), "local_fs");
  EXPECT_EQ(servers[0].as_object().at("server_name"), "Local File System I/O");
  EXPECT_EQ(servers[0].as_object().at("scope"), "global");
}

TEST_F(ApiTest, AddWithConfigJsonFormReturnsToolSpecs) {
  auto response = Send("POST", "/v1/add/mcp_server", R"({"server_id":"","server_desc":"Exa search",
      "config_json":{"mcpServers":{"exa-search":{"command":"npx","args":["-y","exa-mcp-server"],
      "env":{"EXA_API_KEY":"k"},"url":"","token":null}}}})");
  EXPECT_EQ(response.status, 200);
  auto body = Body(response);
  EXPECT_EQ(body.at("errno"), 0) << response.body;
  EXPECT_EQ(body.at("msg"), "The server already been added!");
  const auto& tools = body.at("data").as_object().at("tools").as_array();
  ASSERT_EQ(tools.size(), 2u);
  const auto& spec = tools[0].as_object().at("toolSpec").as_object();
  EXPECT_EQ(spec.at("name"), "exa_search___echo");
  EXPECT_TRUE(spec.at("inputSchema").as_object().at("json").is_object());
  auto listed_body = Body(Send("GET", "/v1/list/mcp_server"));
  const auto& listed = listed_body.at("servers").as_array();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].as_object().at("server_id"), "exa-search");
  EXPECT_EQ(listed[1].as_object().at("server_name"), "Exa search");
  EXPECT_EQ(listed[1].as_object().at("scope"), "user");
}

TEST_F(ApiTest, AddWithFieldFormWorks) {
  auto body = Body(Send("POST", "/v1/add/mcp_server",
                        R"({"server_id":"fields","command":"uvx","args":["x"],"env":{"A":"b"}})"));
  EXPECT_EQ(body.at("errno"), 0) << json::serialize(body);
  EXPECT_EQ(fake_.connects("fields", "u1"), 1);
  EXPECT_THAT(ListedIds("u1"), ::testing::Contains("fields"));
}

TEST_F(ApiTest, AddWithoutWrapperUsesTheFirstKey) {
  auto body =
      Body(Send("POST", "/v1/add/mcp_server", R"({"config_json":{"plain":{"command":"node"}}})"));
  EXPECT_EQ(body.at("errno"), 0) << json::serialize(body);
  EXPECT_THAT(ListedIds("u1"), ::testing::Contains("plain"));
}

TEST_F(ApiTest, AddDisallowedCommandIsRefusedWithErrno) {
  auto response = Send("POST", "/v1/add/mcp_server", R"({"server_id":"sh","command":"bash"})");
  EXPECT_EQ(response.status, 200);
  auto body = Body(response);
  EXPECT_EQ(body.at("errno"), -1);
  EXPECT_THAT(std::string(body.at("msg").as_string()), HasSubstr("not allowed"));
  EXPECT_EQ(fake_.connects("sh", "u1"), 0);
}

TEST_F(ApiTest, AddMetadataUrlIsRefused) {
  auto body = Body(Send("POST", "/v1/add/mcp_server",
                        R"({"config_json":{"m":{"url":"http://169.254.169.254/mcp"}}})"));
  EXPECT_EQ(body.at("errno"), -1);
  EXPECT_THAT(std::string(body.at("msg").as_string()), HasSubstr("metadata"));
}

TEST_F(ApiTest, AddDuplicateIdIsTheDemoMessage) {
  ASSERT_EQ(Body(Send("POST", "/v1/add/mcp_server", R"({"server_id":"d"})")).at("errno"), 0);
  auto body = Body(Send("POST", "/v1/add/mcp_server", R"({"server_id":"d"})"));
  EXPECT_EQ(body.at("errno"), -1);
  EXPECT_EQ(body.at("msg"), "MCP server id exists for this user!");
}

TEST_F(ApiTest, AddFailingServerReportsTheConnectError) {
  auto body = Body(Send("POST", "/v1/add/mcp_server",
                        R"({"config_json":{"bad":{"command":"npx","args":["fail"]}}})"));
  // "npx" is allowed; the fake starts it. A server that fails is "command":"fail", not allowed by
  // the policy, so allow it for this test.
  EXPECT_EQ(body.at("errno"), 0);
  config_.policy.stdio_commands.push_back("fail");
  body = Body(Send("POST", "/v1/add/mcp_server", R"({"config_json":{"bad2":{"command":"fail"}}})"));
  EXPECT_EQ(body.at("errno"), -1);
  EXPECT_THAT(std::string(body.at("msg").as_string()), HasSubstr("MCP server connect failed: "));
  EXPECT_THAT(std::string(body.at("msg").as_string()), HasSubstr("cannot find module"));
}

TEST_F(ApiTest, AddInvalidIdIsRefused) {
  auto body = Body(Send("POST", "/v1/add/mcp_server", R"({"server_id":"a b"})"));
  EXPECT_EQ(body.at("errno"), -1);
}

TEST_F(ApiTest, AddBadJsonIs400WithErrno) {
  auto response = Send("POST", "/v1/add/mcp_server", R"({"server_id": )");
  EXPECT_EQ(response.status, 400);
  auto body = Body(response);
  EXPECT_EQ(body.at("errno"), 400);
  EXPECT_THAT(std::string(body.at("msg").as_string()), HasSubstr("not valid JSON"));
}

TEST_F(ApiTest, AddWrongFieldTypeIs422) {
  auto response = Send("POST", "/v1/add/mcp_server", R"({"server_id":"x","args":"-y"})");
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(Body(response).at("errno"), 422);
}

TEST_F(ApiTest, AddOversizeBodyIs413) {
  auto response = Send("POST", "/v1/add/mcp_server",
                       R"({"server_id":"x","server_desc":")" + std::string(5000, 'd') + "\"}");
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(Body(response).at("errno"), 413);
}

TEST_F(ApiTest, UsersNeverSeeOrRemoveEachOthersServers) {
  ASSERT_EQ(Body(Send("POST", "/v1/add/mcp_server", R"({"server_id":"mine"})", "u1")).at("errno"),
            0);
  EXPECT_THAT(ListedIds("u2"), ::testing::Not(::testing::Contains("mine")));
  auto removed = Body(Send("DELETE", "/v1/remove/mcp_server/mine", "", "u2"));
  EXPECT_EQ(removed.at("errno"), -1);
  EXPECT_EQ(removed.at("msg"), "MCP server not found for this user!");
  EXPECT_THAT(ListedIds("u1"), ::testing::Contains("mine"));
  removed = Body(Send("DELETE", "/v1/remove/mcp_server/mine", "", "u1"));
  EXPECT_EQ(removed.at("errno"), 0);
  EXPECT_EQ(removed.at("msg"), "Server removed successfully");
  EXPECT_THAT(ListedIds("u1"), ::testing::Not(::testing::Contains("mine")));
}

TEST_F(ApiTest, BoundKeyIgnoresXUserId) {
  ASSERT_EQ(
      Body(Send("POST", "/v1/add/mcp_server", R"({"server_id":"a1"})", "mallory", "alice-key"))
          .at("errno"),
      0);
  EXPECT_THAT(ListedIds("alice"), ::testing::Contains("a1"));
  EXPECT_THAT(ListedIds("mallory"), ::testing::Not(::testing::Contains("a1")));
}

TEST_F(ApiTest, RemoveGlobalServerIsRefused) {
  auto body = Body(Send("DELETE", "/v1/remove/mcp_server/local_fs"));
  EXPECT_EQ(body.at("errno"), -1);
  EXPECT_THAT(ListedIds("u1"), ::testing::Contains("local_fs"));
}

TEST_F(ApiTest, RemoveHistoryAnswersLikeTheDemo) {
  auto empty = Send("POST", "/v1/remove/history");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, R"({"errno":0,"msg":"remove history from empty session"})");
  EXPECT_EQ(empty.headers.Get("Cache-Control"), "no-cache, no-store, must-revalidate");
  EXPECT_EQ(empty.headers.Get("Pragma"), "no-cache");
  EXPECT_EQ(empty.headers.Get("Expires"), "0");
  ASSERT_TRUE(store_->AppendHistory("u1", "", {"m"}).ok());
  ASSERT_TRUE(store_->AppendHistory("u2", "", {"m"}).ok());
  EXPECT_EQ(Send("POST", "/v1/remove/history").body, R"({"errno":0,"msg":"removed history"})");
  EXPECT_EQ(store_->LoadHistory("u2", "")->messages.size(), 1u);  // only the caller's
}

TEST_F(ApiTest, CorsAllowsListedOriginOnly) {
  extra_headers_ = {{"Origin", "http://localhost:3000"}};
  auto allowed = Send("GET", "/v1/list/models");
  EXPECT_EQ(allowed.headers.Get("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(allowed.headers.Get("Access-Control-Expose-Headers"), "X-Stream-ID");
  EXPECT_FALSE(allowed.headers.Contains("Access-Control-Allow-Credentials"));
  extra_headers_ = {{"Origin", "https://evil.example"}};
  auto refused = Send("GET", "/v1/list/models");
  EXPECT_FALSE(refused.headers.Contains("Access-Control-Allow-Origin"));
}

TEST_F(ApiTest, PreflightNeedsNoKey) {
  extra_headers_ = {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "POST"}};
  auto response = Send("OPTIONS", "/v1/add/mcp_server", "", "", "");
  EXPECT_EQ(response.status, 204);
  EXPECT_THAT(std::string(*response.headers.Get("Access-Control-Allow-Headers")),
              HasSubstr("X-User-ID"));
}

TEST_F(ApiTest, UnknownPathIsStill404) {
  EXPECT_EQ(Send("GET", "/no/such/path").status, 404);
}

TEST_F(ApiTest, PreflightCoversTheChatRoutes) {
  extra_headers_ = {{"Origin", "http://localhost:3000"}};
  EXPECT_EQ(Send("OPTIONS", "/v1/chat/completions", "", "", "").status, 204);
  EXPECT_EQ(Send("OPTIONS", "/v1/stop/stream/stream_u_1", "", "", "").status, 204);
}

TEST_F(ApiTest, UnauthorizedReplyStillCarriesCors) {
  extra_headers_ = {{"Origin", "http://localhost:3000"}};
  auto response = Send("GET", "/v1/list/models", "", "", "");
  EXPECT_EQ(response.status, 401);
  EXPECT_TRUE(response.headers.Contains("Access-Control-Allow-Origin"));
}

TEST(DemoToolNameTest, ReplacesDashSlashColon) {
  EXPECT_EQ(DemoToolName("aws-kb", "retrieve-from-kb"), "aws_kb___retrieve_from_kb");
  EXPECT_EQ(DemoToolName("a/b", "c:d"), "a_b___c_d");
}

}  // namespace
}  // namespace bedrock::gateway

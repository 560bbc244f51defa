#include "bridge/action_handler.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "mcp/server.h"
#include "mcp/testing/test_util.h"
#include "mcp/transport.h"

namespace bedrock::bridge {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using mcp::testing::RunCoroutine;
using namespace std::chrono_literals;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

// An in-process MCP server reached over memory transports; each connection is a new session, and
// Kill() closes the current one as a crashed server would.
struct Fixture {
  explicit Fixture(asio::any_io_executor executor)
      : executor(executor), server(mcp::Implementation("bridge-test", "1.0")) {
    mcp::Tool echo;
    echo.name = "echo";
    echo.description = "Echoes back the message";
    echo.input_schema = Obj(R"({"type":"object","properties":{"message":{"type":"string"}},
                               "required":["message"]})");
    echo.handler = [](json::object args,
                      mcp::ServerContext&) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
      co_return mcp::CallToolResult::Text("Echo: " + std::string(args.at("message").as_string()));
    };
    server.AddTool(std::move(echo));
    mcp::Tool add;
    add.name = "add";
    add.input_schema = Obj(R"({"type":"object","properties":{"a":{"type":"number"},
                              "b":{"type":"number"}},"required":["a","b"]})");
    add.handler = [](json::object args,
                     mcp::ServerContext&) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
      double sum = args.at("a").to_number<double>() + args.at("b").to_number<double>();
      mcp::CallToolResult result = mcp::CallToolResult::Text(fmt::format("{}", sum));
      result.structured_content = json::object{{"sum", sum}};
      co_return result;
    };
    server.AddTool(std::move(add));
    mcp::Tool fail;
    fail.name = "fail";
    fail.handler = [](json::object,
                      mcp::ServerContext&) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
      co_return mcp::CallToolResult::Error("the disk is full");
    };
    server.AddTool(std::move(fail));
    mcp::Tool big;
    big.name = "big";
    big.handler = [](json::object,
                     mcp::ServerContext&) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
      co_return mcp::CallToolResult::Text(std::string(100'000, 'x'));
    };
    server.AddTool(std::move(big));
    mcp::Tool slow;
    slow.name = "slow";
    slow.handler =
        [](json::object,
           mcp::ServerContext& ctx) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
      asio::steady_timer timer(co_await asio::this_coro::executor, 30s);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
      (void)ctx;
      co_return mcp::CallToolResult::Text("late");
    };
    server.AddTool(std::move(slow));
  }

  McpConnector Connector() {
    return [this](mcp::ClientOptions options)
               -> mcp::Awaitable<core::Result<std::shared_ptr<mcp::Client>>> {
      ++attempts;
      if (down) co_return core::Error::Unavailable("connection refused");
      auto [client_side, server_side] = mcp::CreateMemoryTransportPair(executor);
      server_transport = server_side;
      server.Serve(server_side);
      co_return co_await mcp::Client::Connect(client_side, mcp::Implementation("bridge", "1"),
                                              std::move(options));
    };
  }

  mcp::Awaitable<void> Kill() {
    if (server_transport) co_await server_transport->Close();
  }

  asio::any_io_executor executor;
  mcp::Server server;
  std::shared_ptr<mcp::Transport> server_transport;
  bool down = false;
  int attempts = 0;
};

std::string FunctionEvent(std::string_view function, std::string_view parameters = "[]") {
  return fmt::format(R"({{"messageVersion":"1.0","actionGroup":"g","function":"{}",)"
                     R"("parameters":{},"sessionAttributes":{{"k":"v"}}}})",
                     function, parameters);
}

std::string ApiEvent(std::string_view path, std::string_view properties = "[]") {
  return fmt::format(R"({{"messageVersion":"1.0","actionGroup":"g","apiPath":"{}",)"
                     R"("httpMethod":"POST","requestBody":{{"content":{{"application/json":)"
                     R"({{"properties":{}}}}}}}}})",
                     path, properties);
}

json::object Parse(const core::Result<std::string>& reply) {
  EXPECT_TRUE(reply.ok()) << reply.error();
  return reply.ok() ? json::parse(*reply).as_object() : json::object();
}

const json::object& FunctionResponse(const json::object& reply) {
  return reply.at("response").at("functionResponse").as_object();
}

std::string Body(const json::object& reply) {
  return std::string(FunctionResponse(reply).at("responseBody").at("TEXT").at("body").as_string());
}

std::string State(const json::object& reply) {
  const json::value* state = FunctionResponse(reply).if_contains("responseState");
  return state != nullptr ? std::string(state->as_string()) : std::string();
}

TEST(ActionHandlerTest, FunctionEventCallsTheToolAndAnswersText) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    json::object reply = Parse(co_await handler.Handle(
        FunctionEvent("echo", R"([{"name":"message","type":"string","value":"hi"}])")));
    EXPECT_EQ(Body(reply), "Echo: hi");
    EXPECT_EQ(State(reply), "");
    EXPECT_EQ(reply.at("sessionAttributes"), (json::object{{"k", "v"}}));
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, OpenApiEventAnswersStructuredContentAsJson) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    json::object reply = Parse(co_await handler.Handle(
        ApiEvent("/add", R"([{"name":"a","type":"number","value":"2"},{"name":"b","type":"number",)"
                         R"("value":"40"}])")));
    const json::object& response = reply.at("response").as_object();
    EXPECT_EQ(response.at("httpStatusCode"), json::value(200));
    EXPECT_EQ(response.at("apiPath").as_string(), "/add");
    std::string body(response.at("responseBody").at("application/json").at("body").as_string());
    EXPECT_EQ(json::parse(body).at("sum").to_number<double>(), 42.0);
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, SessionStaysOpenAcrossInvocations) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    for (int i = 0; i < 3; ++i) {
      json::object reply = Parse(co_await handler.Handle(
          FunctionEvent("echo", R"([{"name":"message","type":"string","value":"x"}])")));
      EXPECT_EQ(Body(reply), "Echo: x");
    }
    EXPECT_EQ(handler.connections(), 1);
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, MissingArgumentRepromptsTheModel) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    json::object reply = Parse(co_await handler.Handle(
        FunctionEvent("add", R"([{"name":"a","type":"number","value":"2"}])")));
    EXPECT_EQ(State(reply), "REPROMPT");
    EXPECT_EQ(Body(reply), "missing required argument 'b' for tool 'add'");
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, UnknownToolFailsNamingTheRemedy) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    json::object reply = Parse(co_await handler.Handle(FunctionEvent("delete_everything")));
    EXPECT_EQ(State(reply), "FAILURE");
    EXPECT_NE(Body(reply).find("no tool for function 'delete_everything'"), std::string::npos)
        << Body(reply);
    EXPECT_NE(Body(reply).find("bedrock-mcp agents schema"), std::string::npos);
    json::object api = Parse(co_await handler.Handle(ApiEvent("/delete_everything")));
    EXPECT_EQ(api.at("response").at("httpStatusCode"), json::value(404));
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, ToolBehindTheDispatcherIsStillCalledByItsName) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    HandlerOptions options;
    options.plan.limits.max_functions = 2;  // echo, then the dispatcher for the rest
    ActionHandler handler(f.Connector(), options);
    json::object direct = Parse(co_await handler.Handle(FunctionEvent(
        "add", R"([{"name":"a","type":"number","value":"1"},{"name":"b","value":"2"}])")));
    EXPECT_EQ(Body(direct), "3");
    json::object dispatched = Parse(co_await handler.Handle(FunctionEvent(
        "call_mcp_tool", R"([{"name":"tool_name","value":"add"},)"
                         R"({"name":"arguments_json","value":"{\"a\":2,\"b\":2}"}])")));
    EXPECT_EQ(Body(dispatched), "4");
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, ToolErrorRepromptsByDefault) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    json::object reply = Parse(co_await handler.Handle(FunctionEvent("fail")));
    EXPECT_EQ(State(reply), "REPROMPT");
    EXPECT_EQ(Body(reply), "the disk is full");
    json::object api = Parse(co_await handler.Handle(ApiEvent("/fail")));
    EXPECT_EQ(api.at("response").at("httpStatusCode"), json::value(400));
    std::string body(
        api.at("response").at("responseBody").at("application/json").at("body").as_string());
    EXPECT_EQ(json::parse(body).at("error").at("type").as_string(), "tool_error");
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, ToolErrorFailsWhenConfiguredTo) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    HandlerOptions options;
    options.tool_error_state = ResponseState::kFailure;
    ActionHandler handler(f.Connector(), options);
    json::object reply = Parse(co_await handler.Handle(FunctionEvent("fail")));
    EXPECT_EQ(State(reply), "FAILURE");
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, ServerDownFailsAndTheNextInvocationConnects) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    f.down = true;
    HandlerOptions options;
    options.server_name = "files";
    ActionHandler handler(f.Connector(), options);
    EXPECT_FALSE((co_await handler.Connect()).ok());
    json::object reply = Parse(co_await handler.Handle(
        FunctionEvent("echo", R"([{"name":"message","type":"string","value":"x"}])")));
    EXPECT_EQ(State(reply), "FAILURE");
    EXPECT_EQ(Body(reply), "MCP server 'files' is unavailable: connection refused");
    json::object api = Parse(co_await handler.Handle(ApiEvent("/echo")));
    EXPECT_EQ(api.at("response").at("httpStatusCode"), json::value(503));
    f.down = false;
    reply = Parse(co_await handler.Handle(
        FunctionEvent("echo", R"([{"name":"message","type":"string","value":"back"}])")));
    EXPECT_EQ(Body(reply), "Echo: back");
    EXPECT_EQ(handler.connections(), 1);
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, ServerThatDiedIsReconnectedOnTheNextInvocation) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    auto event = FunctionEvent("echo", R"([{"name":"message","type":"string","value":"x"}])");
    EXPECT_EQ(Body(Parse(co_await handler.Handle(event))), "Echo: x");
    co_await f.Kill();
    // Whether the session noticed the close before this call or during it, the invocation after
    // a failure reaches the new session.
    json::object reply = Parse(co_await handler.Handle(event));
    if (State(reply) == "FAILURE") reply = Parse(co_await handler.Handle(event));
    EXPECT_EQ(Body(reply), "Echo: x");
    EXPECT_EQ(handler.connections(), 2);
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, InvocationDeadlineBoundsTheCall) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    HandlerOptions options;
    options.deadline_margin = 0ms;
    ActionHandler handler(f.Connector(), options);
    auto started = std::chrono::steady_clock::now();
    json::object reply = Parse(
        co_await handler.Handle(FunctionEvent("slow"), std::chrono::system_clock::now() + 1200ms));
    EXPECT_EQ(State(reply), "FAILURE");
    EXPECT_NE(Body(reply).find("did not answer in time"), std::string::npos) << Body(reply);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, LargeResultIsCutToTheResponseLimit) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    json::object reply = Parse(co_await handler.Handle(FunctionEvent("big")));
    std::string body = Body(reply);
    EXPECT_LE(body.size(), 25'000u);
    EXPECT_NE(body.find("[truncated: "), std::string::npos);
    json::object api = Parse(co_await handler.Handle(ApiEvent("/big")));
    std::string api_body(
        api.at("response").at("responseBody").at("application/json").at("body").as_string());
    EXPECT_LE(api_body.size(), 25'000u);
    EXPECT_EQ(json::parse(api_body).at("truncated"), json::value(true));
    co_await handler.Close();
  });
}

TEST(ActionHandlerTest, EventThatIsNotAnActionEventIsAnError) {
  RunCoroutine([](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    Fixture f(ex);
    ActionHandler handler(f.Connector(), HandlerOptions());
    auto reply = co_await handler.Handle(R"({"Records": []})");
    EXPECT_FALSE(reply.ok());
    EXPECT_EQ(f.attempts, 0);  // rejected before connecting
    co_await handler.Close();
  });
}

TEST(ResultTextTest, SummarisesNonTextContent) {
  mcp::CallToolResult result;
  result.content.push_back(mcp::content::Text("Here:"));
  result.content.push_back(mcp::content::Image("aW1hZ2U=", "image/png"));
  result.content.push_back(mcp::content::ResourceLink("file:///a", "a"));
  result.content.push_back(
      mcp::content::Embedded(mcp::content::TextResource("file:///b", "text/plain", "bee")));
  EXPECT_EQ(ResultText(result),
            "Here:\n[image: image/png, 5 bytes]\n[resource link: file:///a (a)]\n"
            "[resource: file:///b]\nbee");
  mcp::CallToolResult structured;
  structured.structured_content = json::object{{"sum", 3}};
  EXPECT_EQ(ResultText(structured), R"({"sum":3})");
}

}  // namespace
}  // namespace bedrock::bridge

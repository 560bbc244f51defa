// In-memory client <-> server round trips for every feature.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "mcp/client.h"
#include "mcp/protocol.h"
#include "mcp/server.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::Event;
using testing::RunCoroutine;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

// A server with one of everything; the test body decides what to call.
struct Fixture {
  explicit Fixture(asio::any_io_executor executor, ServerOptions options = {})
      : executor(executor),
        server(Implementation("test-server", "1.2.3", "Test Server"), options),
        handler_cancelled(executor),
        handler_started(executor) {
    server.AddTool(
        {.name = "echo",
         .title = "Echo",
         .description = "Echoes its text",
         .input_schema = Obj(R"({"type":"object","properties":{"text":{"type":"string"}},
                                           "required":["text"]})"),
         .output_schema = Obj(R"({"type":"object","properties":{"echo":{"type":"string"}}})"),
         .annotations = Obj(R"({"readOnlyHint":true})"),
         .handler = [](json::object args,
                       ServerContext&) -> Awaitable<core::Result<CallToolResult>> {
           std::string text(args.at("text").as_string());
           CallToolResult result = CallToolResult::Text(text);
           result.structured_content = json::object{{"echo", text}};
           co_return result;
         }});
    server.AddTool(
        {.name = "all_content",
         .description = "Returns every content type",
         .handler = [](json::object, ServerContext&) -> Awaitable<core::Result<CallToolResult>> {
           CallToolResult result;
           result.content.push_back(content::Text("t"));
           result.content.push_back(content::Image("aW1n", "image/png"));
           result.content.push_back(content::Audio("YXVk", "audio/wav"));
           result.content.push_back(content::ResourceLink("test://r", "r", "text/plain"));
           result.content.push_back(
               content::Embedded(content::TextResource("test://e", "text/plain", "e")));
           co_return result;
         }});
    server.AddTool(
        {.name = "fail",
         .description = "Always fails",
         .handler = [](json::object, ServerContext&) -> Awaitable<core::Result<CallToolResult>> {
           co_return core::Error::Internal("the tool broke");
         }});
    server.AddTool({.name = "progress",
                    .description = "Reports progress and logs",
                    .handler = [](json::object,
                                  ServerContext& ctx) -> Awaitable<core::Result<CallToolResult>> {
                      for (int i = 0; i <= 2; ++i) {
                        (void)co_await ctx.Progress(i * 50, 100, "step");
                        (void)co_await ctx.Log("info", json::value(fmt::format("step {}", i)), "t");
                        (void)co_await ctx.Log("debug", "noise");
                      }
                      co_return CallToolResult::Text("done");
                    }});
    server.AddTool({.name = "hang",
                    .description = "Waits until cancelled",
                    .handler = [this](json::object, ServerContext& ctx)
                        -> Awaitable<core::Result<CallToolResult>> {
                      asio::steady_timer forever(co_await asio::this_coro::executor);
                      forever.expires_at(asio::steady_timer::time_point::max());
                      handler_started.Set();
                      (void)co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
                      if (ctx.cancelled()) handler_cancelled.Set();
                      co_return CallToolResult::Text("woke up");
                    }});
    server.AddTool(
        {.name = "ask",
         .description = "Samples, elicits and lists roots",
         .handler = [](json::object args,
                       ServerContext& ctx) -> Awaitable<core::Result<CallToolResult>> {
           std::string what(args.at("what").as_string());
           if (what == "sample") {
             json::object params = Obj(
                 R"({"messages":[{"role":"user","content":{"type":"text","text":"hi"}}],"maxTokens":10})");
             BEDROCK_CO_TRY_ASSIGN(json::value r, co_await ctx.CreateMessage(params));
             co_return CallToolResult::Text(std::string(r.at("content").at("text").as_string()));
           }
           if (what == "elicit") {
             BEDROCK_CO_TRY_ASSIGN(
                 json::value r,
                 co_await ctx.Elicit(Obj(
                     R"({"message":"name?","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}}}})")));
             co_return CallToolResult::Text(std::string(r.at("content").at("name").as_string()));
           }
           BEDROCK_CO_TRY_ASSIGN(json::array roots, co_await ctx.ListRoots());
           co_return CallToolResult::Text(std::string(roots.at(0).at("uri").as_string()));
         }});
    server.AddResource(
        {.uri = "test://static",
         .name = "static",
         .title = "Static",
         .mime_type = "text/plain",
         .read = [](std::string uri, ServerContext&) -> Awaitable<core::Result<json::array>> {
           co_return json::array{content::TextResource(uri, "text/plain", "hello")};
         }});
    server.AddResourceTemplate(
        {.uri_template = "test://items/{id}/data",
         .name = "item",
         .read = [](std::string uri, std::map<std::string, std::string> vars,
                    ServerContext&) -> Awaitable<core::Result<json::array>> {
           co_return json::array{content::TextResource(uri, "text/plain", "item " + vars["id"])};
         }});
    server.AddPrompt({.name = "greet",
                      .title = "Greeting",
                      .description = "Greets someone",
                      .arguments = {{.name = "who", .title = "Who", .required = true}},
                      .handler = [](std::map<std::string, std::string> args,
                                    ServerContext&) -> Awaitable<core::Result<GetPromptResult>> {
                        GetPromptResult result;
                        result.description = "a greeting";
                        result.messages.push_back(
                            PromptMessage("user", content::Text("hello " + args["who"])));
                        co_return result;
                      }});
    server.SetCompletionHandler([](const json::object& ref, std::string name, std::string value,
                                   const json::object&,
                                   ServerContext&) -> Awaitable<core::Result<Completion>> {
      Completion c;
      if (ref.at("type") == "ref/prompt" && name == "who") {
        for (std::string option : {"alice", "albert", "bob"}) {
          if (option.starts_with(value)) c.values.push_back(option);
        }
      }
      co_return c;
    });
    auto [client_side, server_side] = CreateMemoryTransportPair(executor);
    client_transport = client_side;
    server_session = server.Serve(server_side);
  }

  // These tests are about sessions (initialize and what follows): the client asks for the newest
  // session revision unless a test pins another. Server::Serve answers 2026-07-28 requests on the
  // same connection too (StatelessRequestsOnASessionTransportAreServed).
  Awaitable<core::Result<std::shared_ptr<Client>>> Connect(ClientOptions options = {}) {
    if (options.protocol_version.empty()) options.protocol_version = std::string(kLatestVersion);
    co_return co_await Client::Connect(client_transport, Implementation("test-client", "1"),
                                       std::move(options));
  }

  asio::any_io_executor executor;
  Server server;
  Event handler_cancelled;
  Event handler_started;
  std::shared_ptr<Transport> client_transport;
  std::shared_ptr<ServerSession> server_session;
};

const json::object* FindByName(const json::array& items, std::string_view name) {
  for (const auto& item : items) {
    if (item.at("name") == json::string_view(name)) return &item.as_object();
  }
  return nullptr;
}

// One connection (stdio, legacy SSE) serves both eras: a client that negotiates gets 2026-07-28
// and every request is answered statelessly from its `_meta`, with no initialize.
TEST(ServerClientTest, StatelessRequestsOnASessionTransportAreServed) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    ClientOptions options;
    options.protocol_version = "";  // negotiate
    auto client = co_await Client::Connect(f.client_transport, Implementation("test-client", "1"),
                                           std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ((*client)->protocol_version(), kLatestModernVersion);
    EXPECT_FALSE(f.server_session->initialized());
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_FALSE(tools->empty());
    json::object args{{"text", "modern"}};
    auto echoed = co_await (*client)->CallTool("echo", std::move(args));
    MCP_CO_ASSERT_OK(echoed);
    EXPECT_EQ(echoed->content.at(0).at("text"), "modern");
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, InitializeNegotiatesLatestAndAdvertisesRegisteredCapabilities) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ((*client)->protocol_version(), kLatestVersion);
    EXPECT_EQ((*client)->server_info().name, "test-server");
    EXPECT_EQ((*client)->server_info().title, "Test Server");
    const auto& caps = (*client)->server_capabilities();
    EXPECT_TRUE(caps.contains("tools"));
    EXPECT_TRUE(caps.contains("resources"));
    EXPECT_EQ(caps.at("resources").at("subscribe"), true);
    EXPECT_TRUE(caps.contains("prompts"));
    EXPECT_TRUE(caps.contains("logging"));
    EXPECT_TRUE(caps.contains("completions"));
    EXPECT_EQ(f.server_session->client_info().name, "test-client");
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, EmptyServerAdvertisesOnlyLogging) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Server server(Implementation("empty", "0"));
    auto [a, b] = CreateMemoryTransportPair(ex);
    server.Serve(b);
    auto client = co_await Client::Connect(a, Implementation("c", "1"));
    MCP_CO_ASSERT_OK(client);
    const auto& caps = (*client)->server_capabilities();
    EXPECT_FALSE(caps.contains("tools"));
    EXPECT_FALSE(caps.contains("resources"));
    EXPECT_FALSE(caps.contains("prompts"));
    EXPECT_TRUE(caps.contains("logging"));
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, UnknownRequestedRevisionIsAnsweredWithLatest) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    ClientOptions options;
    options.protocol_version = "1999-01-01";
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ((*client)->protocol_version(), kLatestVersion);
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, OldestClientIsAnsweredInItsOwnRevision) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    ClientOptions options;
    options.protocol_version = std::string(kVersion2024_11_05);
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ((*client)->protocol_version(), kVersion2024_11_05);
    EXPECT_FALSE((*client)->server_capabilities().contains("completions"));
    EXPECT_TRUE((*client)->server_info().title.empty());
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    const json::object* echo = FindByName(*tools, "echo");
    if (!echo) co_return ADD_FAILURE();
    EXPECT_FALSE(echo->contains("title"));
    EXPECT_FALSE(echo->contains("outputSchema"));
    EXPECT_FALSE(echo->contains("annotations"));
    auto echoed = co_await (*client)->CallTool("echo", Obj(R"({"text":"x"})"));
    MCP_CO_ASSERT_OK(echoed);
    EXPECT_TRUE(echoed->structured_content.is_null());
    auto all = co_await (*client)->CallTool("all_content", {});
    MCP_CO_ASSERT_OK(all);
    for (const auto& block : all->content) {
      EXPECT_NE(block.at("type"), "audio");
      EXPECT_NE(block.at("type"), "resource_link");
    }
    auto prompts = co_await (*client)->ListPrompts();
    MCP_CO_ASSERT_OK(prompts);
    EXPECT_FALSE(prompts->at(0).as_object().contains("title"));
    EXPECT_FALSE(prompts->at(0).at("arguments").at(0).as_object().contains("title"));
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, Revision2025_03_26KeepsAnnotationsAndAudioButNoTitles) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    ClientOptions options;
    options.protocol_version = std::string(kVersion2025_03_26);
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    const json::object* echo = FindByName(*tools, "echo");
    if (!echo) co_return ADD_FAILURE();
    EXPECT_TRUE(echo->contains("annotations"));
    EXPECT_FALSE(echo->contains("title"));
    auto all = co_await (*client)->CallTool("all_content", {});
    MCP_CO_ASSERT_OK(all);
    EXPECT_EQ(all->content.at(2).at("type"), "audio");
    EXPECT_EQ(all->content.at(3).at("type"), "text");  // resource_link converted
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ListToolsFollowsCursorsAcrossPages) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex, ServerOptions{.page_size = 2});
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_EQ(tools->size(), 6u);
    auto page = co_await (*client)->session().Call(method::kToolsList, json::object());
    MCP_CO_ASSERT_OK(page);
    EXPECT_EQ(page->at("tools").as_array().size(), 2u);
    EXPECT_TRUE(page->as_object().contains("nextCursor"));
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, InvalidCursorIsInvalidParams) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto page = co_await (*client)->session().Call(method::kToolsList, Obj(R"({"cursor":"zz"})"));
    EXPECT_FALSE(page.ok());
    if (!page.ok()) {
      EXPECT_NE(page.error().message().find("-32602"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, CallToolReturnsTextAndStructuredContent) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("echo", Obj(R"({"text":"héllo ✓"})"));
    MCP_CO_ASSERT_OK(result);
    EXPECT_FALSE(result->is_error);
    EXPECT_EQ(result->content.at(0).at("text"), "héllo ✓");
    EXPECT_EQ(result->structured_content.at("echo"), "héllo ✓");
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, CallToolCarriesEveryContentType) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("all_content", {});
    MCP_CO_ASSERT_OK(result);
    std::vector<std::string> types;
    for (const auto& block : result->content) types.emplace_back(block.at("type").as_string());
    EXPECT_EQ(types,
              (std::vector<std::string>{"text", "image", "audio", "resource_link", "resource"}));
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ToolErrorBecomesIsErrorResult) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("fail", {});
    MCP_CO_ASSERT_OK(result);
    EXPECT_TRUE(result->is_error);
    EXPECT_EQ(result->content.at(0).at("text"), "the tool broke");
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, UnknownToolIsInvalidParams) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("nope", {});
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_EQ(result.error().code(), core::ErrorCode::kInvalidArgument);
      EXPECT_NE(result.error().message().find("-32602"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, MissingRequiredArgumentIsInvalidParams) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("echo", Obj(R"({"txt":"x"})"));
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_NE(result.error().message().find("'text'"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ArgumentsOfWrongTypeAreInvalidParams) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->session().Call(method::kToolsCall,
                                                     Obj(R"({"name":"echo","arguments":[1]})"));
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_NE(result.error().message().find("-32602"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, UnknownMethodIsMethodNotFound) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->session().Call("no/such/method", json::object());
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_EQ(result.error().code(), core::ErrorCode::kUnimplemented);
      EXPECT_NE(result.error().message().find("-32601"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, PingAnswersBothWays) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->Ping());
    MCP_CO_ASSERT_OK(co_await f.server_session->session().Call(method::kPing, nullptr));
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ProgressAndLogsReachTheCallerAboveItsLevel) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    std::vector<std::string> logs;
    ClientOptions options;
    options.on_log_message = [&](const json::object& params) {
      logs.emplace_back(params.at("level").as_string());
    };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->SetLogLevel("info"));
    std::vector<double> progress;
    CallOptions call;
    call.on_progress = [&](const json::object& p) {
      progress.push_back(p.at("progress").to_number<double>());
      EXPECT_EQ(p.at("message"), "step");
    };
    auto result = co_await (*client)->CallTool("progress", {}, std::move(call));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(progress, (std::vector<double>{0, 50, 100}));
    EXPECT_EQ(logs, (std::vector<std::string>{"info", "info", "info"}));
    auto bad = co_await (*client)->SetLogLevel("loud");
    EXPECT_FALSE(bad.ok());
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, SamplingElicitationAndRootsRoundTrip) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    ClientOptions options;
    options.on_sampling = [](json::value params, RequestContext&) -> Awaitable<Reply> {
      EXPECT_EQ(params.at("maxTokens"), 10);
      co_return Obj(
          R"({"role":"assistant","content":{"type":"text","text":"sampled"},"model":"m"})");
    };
    options.on_elicitation = [](json::value, RequestContext&) -> Awaitable<Reply> {
      co_return Obj(R"({"action":"accept","content":{"name":"Ada"}})");
    };
    options.on_roots = [](json::value, RequestContext&) -> Awaitable<Reply> {
      co_return Obj(R"({"roots":[{"uri":"file:///tmp","name":"tmp"}]})");
    };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    for (auto [what, expected] : {std::pair{"sample", "sampled"}, std::pair{"elicit", "Ada"},
                                  std::pair{"roots", "file:///tmp"}}) {
      json::object args;
      args["what"] = what;
      auto result = co_await (*client)->CallTool("ask", std::move(args));
      MCP_CO_ASSERT_OK(result);
      EXPECT_FALSE(result->is_error) << what;
      EXPECT_EQ(result->content.at(0).at("text"), expected);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ServerRequestWithoutClientCapabilityFailsTheTool) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("ask", Obj(R"({"what":"sample"})"));
    MCP_CO_ASSERT_OK(result);
    EXPECT_TRUE(result->is_error);
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, TimeoutCancelsOnServerAndSessionStaysUsable) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    CallOptions call;
    call.timeout = 50ms;
    auto result = co_await (*client)->CallTool("hang", {}, std::move(call));
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_EQ(result.error().code(), core::ErrorCode::kDeadlineExceeded);
    }
    EXPECT_TRUE(co_await f.handler_cancelled.Wait());
    EXPECT_EQ((*client)->session().pending_calls(), 0u);
    auto again = co_await (*client)->CallTool("echo", Obj(R"({"text":"still here"})"));
    MCP_CO_ASSERT_OK(again);
    EXPECT_EQ(again->content.at(0).at("text"), "still here");
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, CallerCancellationCancelsServerHandler) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    asio::cancellation_signal cancel;
    Event finished(ex);
    std::optional<core::ErrorCode> code;
    asio::co_spawn(
        ex,
        [&]() -> Awaitable<void> {
          auto r = co_await (*client)->CallTool("hang", {});
          code = r.ok() ? core::ErrorCode::kUnknown : r.error().code();
          finished.Set();
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    EXPECT_TRUE(co_await f.handler_started.Wait());
    cancel.emit(asio::cancellation_type::terminal);
    EXPECT_TRUE(co_await finished.Wait());
    EXPECT_EQ(code, core::ErrorCode::kCancelled);
    EXPECT_TRUE(co_await f.handler_cancelled.Wait());
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, PeerCloseFailsEveryPendingCallAtOnceNamingThePeer) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    ClientOptions options;
    options.peer_name = "server 'hanger'";
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    int failed = 0;
    Event all_failed(ex);
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(
          ex,
          [&]() -> Awaitable<void> {
            auto r = co_await (*client)->CallTool("hang", {});
            EXPECT_FALSE(r.ok());
            if (!r.ok()) {
              EXPECT_EQ(r.error().code(), core::ErrorCode::kUnavailable);
              EXPECT_NE(r.error().message().find("server 'hanger'"), std::string::npos)
                  << r.error().message();
            }
            if (++failed == 3) all_failed.Set();
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await f.handler_started.Wait());
    co_await f.server_session->Close();
    EXPECT_TRUE(co_await all_failed.Wait());
    auto after = co_await (*client)->Ping();
    EXPECT_FALSE(after.ok());
    // Closing cancelled the running handlers too; they refer to the fixture until they end.
    EXPECT_TRUE(co_await f.handler_cancelled.Wait());
  });
}

TEST(ServerClientTest, ConcurrentCallsAllComplete) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    int done = 0;
    Event all_done(ex);
    for (int i = 0; i < 32; ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> Awaitable<void> {
            json::object args;
            args["text"] = std::to_string(i);
            auto r = co_await (*client)->CallTool("echo", std::move(args));
            EXPECT_TRUE(r.ok());
            if (r.ok()) {
              EXPECT_EQ(r->content.at(0).at("text").as_string(), std::to_string(i));
            }
            if (++done == 32) all_done.Set();
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await all_done.Wait());
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ResourcesListReadAndTemplates) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto resources = co_await (*client)->ListResources();
    MCP_CO_ASSERT_OK(resources);
    EXPECT_EQ(resources->size(), 1u);
    EXPECT_EQ(resources->at(0).at("uri"), "test://static");
    auto templates = co_await (*client)->ListResourceTemplates();
    MCP_CO_ASSERT_OK(templates);
    EXPECT_EQ(templates->at(0).at("uriTemplate"), "test://items/{id}/data");
    auto text = co_await (*client)->ReadResource("test://static");
    MCP_CO_ASSERT_OK(text);
    EXPECT_EQ(text->at(0).at("text"), "hello");
    auto item = co_await (*client)->ReadResource("test://items/123/data");
    MCP_CO_ASSERT_OK(item);
    EXPECT_EQ(item->at(0).at("text"), "item 123");
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ReadUnknownResourceIsResourceNotFound) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto missing = co_await (*client)->ReadResource("test://missing");
    EXPECT_FALSE(missing.ok());
    if (!missing.ok()) {
      EXPECT_EQ(missing.error().code(), core::ErrorCode::kNotFound);
      EXPECT_NE(missing.error().message().find("-32002"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, SubscribedClientGetsUpdatedNotification) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    Event updated(ex);
    std::string updated_uri;
    ClientOptions options;
    options.on_resource_updated = [&](std::string_view uri) {
      updated_uri = std::string(uri);
      updated.Set();
    };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->Subscribe("test://static"));
    f.server.NotifyResourceUpdated("test://other");
    f.server.NotifyResourceUpdated("test://static");
    EXPECT_TRUE(co_await updated.Wait());
    EXPECT_EQ(updated_uri, "test://static");
    MCP_CO_ASSERT_OK(co_await (*client)->Unsubscribe("test://static"));
    EXPECT_FALSE(f.server_session->IsSubscribed("test://static"));
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ListChangedReachesClientWhenToolsChange) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    Event changed(ex);
    ClientOptions options;
    options.on_tools_list_changed = [&] { changed.Set(); };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_TRUE(f.server.RemoveTool("fail"));
    EXPECT_TRUE(co_await changed.Wait());
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_EQ(FindByName(*tools, "fail"), nullptr);
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, PromptsListAndGetWithArguments) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto prompts = co_await (*client)->ListPrompts();
    MCP_CO_ASSERT_OK(prompts);
    EXPECT_EQ(prompts->at(0).at("arguments").at(0).at("required"), true);
    std::map<std::string, std::string> arguments;
    arguments["who"] = "Ada";
    auto prompt = co_await (*client)->GetPrompt("greet", std::move(arguments));
    MCP_CO_ASSERT_OK(prompt);
    EXPECT_EQ(prompt->at("messages").at(0).at("content").at("text"), "hello Ada");
    auto missing = co_await (*client)->GetPrompt("greet");
    EXPECT_FALSE(missing.ok());
    if (!missing.ok()) {
      EXPECT_NE(missing.error().message().find("-32602"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, CompletionCompletesPromptArguments) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto completion =
        co_await (*client)->Complete(Obj(R"({"type":"ref/prompt","name":"greet"})"), "who", "al");
    MCP_CO_ASSERT_OK(completion);
    EXPECT_EQ(completion->values, (std::vector<std::string>{"alice", "albert"}));
    EXPECT_FALSE(completion->has_more);
    co_await (*client)->Close();
  });
}

TEST(ServerClientTest, ClientRejectsAServerThatPicksAnUnsupportedRevision) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto [a, b] = CreateMemoryTransportPair(ex);
    auto fake = Session::Create(b, {.peer_name = "client"});
    fake->SetRequestHandler("initialize", [](json::value, RequestContext&) -> Awaitable<Reply> {
      co_return Obj(R"({"protocolVersion":"2099-01-01","capabilities":{},
                        "serverInfo":{"name":"future","version":"9"}})");
    });
    fake->Start();
    auto client = co_await Client::Connect(a, Implementation("c", "1"));
    EXPECT_FALSE(client.ok());
    if (!client.ok()) {
      EXPECT_EQ(client.error().code(), core::ErrorCode::kFailedPrecondition);
      EXPECT_NE(client.error().message().find("2099-01-01"), std::string::npos);
    }
  });
}

TEST(ServerClientTest, ServerThatNeverAnswersInitializeTimesOut) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto [a, b] = CreateMemoryTransportPair(ex);
    auto silent = Session::Create(b, {.peer_name = "client"});
    silent->SetRequestHandler("initialize", [ex](json::value, RequestContext&) -> Awaitable<Reply> {
      asio::steady_timer forever(ex);
      forever.expires_at(asio::steady_timer::time_point::max());
      co_await forever.async_wait(asio::use_awaitable);
      co_return json::object();
    });
    silent->Start();
    ClientOptions options;
    options.initialize_timeout = 50ms;
    auto client = co_await Client::Connect(a, Implementation("c", "1"), std::move(options));
    EXPECT_FALSE(client.ok());
    if (!client.ok()) {
      EXPECT_EQ(client.error().code(), core::ErrorCode::kDeadlineExceeded);
    }
    co_await silent->Close();
  });
}

TEST(SessionTest, ResponseToUnknownIdIsDroppedAndSessionContinues) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto [a, b] = CreateMemoryTransportPair(ex);
    auto session = Session::Create(a, {.peer_name = "peer"});
    session->Start();
    // The raw peer answers an id nobody asked for, then answers our ping properly.
    MCP_CO_ASSERT_OK(co_await b->Send(Response::Success(RequestId(int64_t{999}), json::object())));
    asio::co_spawn(
        ex,
        [b = b]() -> Awaitable<void> {
          auto incoming = co_await b->Receive();
          if (!incoming.ok()) co_return;
          auto& request = std::get<Request>(incoming->message);
          (void)co_await b->Send(Response::Success(request.id, json::object()));
        },
        asio::detached);
    auto ping = co_await session->Call(method::kPing, nullptr, CallOptions(5s));
    MCP_CO_ASSERT_OK(ping);
    co_await session->Close();
  });
}

TEST(SessionTest, ProgressCanExtendTheTimeout) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto [a, b] = CreateMemoryTransportPair(ex);
    auto server = Session::Create(b, {.peer_name = "client"});
    server->SetRequestHandler("slow", [ex](json::value, RequestContext& ctx) -> Awaitable<Reply> {
      asio::steady_timer timer(ex);
      for (int i = 0; i < 4; ++i) {
        timer.expires_after(30ms);
        co_await timer.async_wait(asio::use_awaitable);
        (void)co_await ctx.NotifyProgress(i);
      }
      json::object done;
      done["ok"] = true;
      co_return done;
    });
    server->Start();
    auto client = Session::Create(a, {.peer_name = "server"});
    client->Start();
    CallOptions options;
    options.timeout = 80ms;
    options.reset_timeout_on_progress = true;
    int progress = 0;
    options.on_progress = [&](const json::object&) { ++progress; };
    auto result = co_await client->Call("slow", json::object(), std::move(options));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(progress, 4);
    co_await client->Close();
  });
}

TEST(UriTemplateTest, MatchesSimpleAndReservedExpressions) {
  auto vars = MatchUriTemplate("test://items/{id}/data", "test://items/42/data");
  ASSERT_TRUE(vars);
  EXPECT_EQ(vars->at("id"), "42");
  EXPECT_FALSE(MatchUriTemplate("test://items/{id}/data", "test://items/4/2/data"));
  auto path = MatchUriTemplate("file:///{+path}", "file:///a/b/c.txt");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->at("path"), "a/b/c.txt");
  EXPECT_FALSE(MatchUriTemplate("test://{a}", "other://x"));
}

}  // namespace
}  // namespace bedrock::mcp

// The everything server through our own client over the in-memory transport: the fixtures the
// conformance suite checks, and the demo tools.
#include "mcp/everything_server.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <set>

#include "mcp/client.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::RunCoroutine;

struct Fixture {
  explicit Fixture(asio::any_io_executor executor) : server(MakeEverythingServer()) {
    auto [client_side, server_side] = CreateMemoryTransportPair(executor);
    client_transport = client_side;
    server_session = server->Serve(server_side);
  }

  // These tests are about sessions (initialize and what follows): the client asks for the newest
  // session revision unless a test pins another. Server::Serve answers 2026-07-28 requests on the
  // same connection too (StatelessRequestsOnASessionTransportAreServed).
  Awaitable<core::Result<std::shared_ptr<Client>>> Connect(ClientOptions options = {}) {
    if (options.protocol_version.empty()) options.protocol_version = std::string(kLatestVersion);
    co_return co_await Client::Connect(client_transport, Implementation("test-client", "1"),
                                       std::move(options));
  }

  std::shared_ptr<Server> server;
  std::shared_ptr<Transport> client_transport;
  std::shared_ptr<ServerSession> server_session;
};

std::string TextOf(const CallToolResult& result) {
  std::string text;
  for (const auto& block : result.content) {
    if (block.at("type") == "text") text += block.at("text").as_string();
  }
  return text;
}

TEST(EverythingServerTest, ListsEveryConformanceFixtureWithADescription) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    std::set<std::string> names;
    for (const auto& tool : *tools) {
      names.insert(std::string(tool.at("name").as_string()));
      EXPECT_FALSE(tool.at("description").as_string().empty()) << tool;
      EXPECT_EQ(tool.at("inputSchema").at("type"), "object") << tool;
    }
    for (const char* fixture : {"test_simple_text",
                                "test_image_content",
                                "test_audio_content",
                                "test_embedded_resource",
                                "test_multiple_content_types",
                                "test_tool_with_logging",
                                "test_tool_with_progress",
                                "test_error_handling",
                                "test_reconnection",
                                "test_sampling",
                                "test_elicitation",
                                "test_elicitation_sep1034_defaults",
                                "test_elicitation_sep1330_enums",
                                "json_schema_2020_12_tool",
                                "test_missing_capability",
                                "test_streaming_elicitation",
                                "test_logging_tool",
                                "test_trigger_tool_change",
                                "test_trigger_prompt_change",
                                "test_header_param",
                                "test_input_required_result_elicitation",
                                "test_input_required_result_sampling",
                                "test_input_required_result_list_roots",
                                "test_input_required_result_request_state",
                                "test_input_required_result_multiple_inputs",
                                "test_input_required_result_multi_round",
                                "test_input_required_result_tampered_state",
                                "test_input_required_result_capabilities"}) {
      EXPECT_TRUE(names.contains(fixture)) << fixture;
    }
    auto prompts = co_await (*client)->ListPrompts();
    MCP_CO_ASSERT_OK(prompts);
    EXPECT_EQ(prompts->size(), 5u);
    const auto& caps = (*client)->server_capabilities();
    for (const char* cap : {"tools", "resources", "prompts", "logging", "completions"}) {
      EXPECT_TRUE(caps.contains(cap)) << cap;
    }
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, JsonSchema2020ToolSchemaIsListedVerbatim) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    for (const auto& tool : *tools) {
      if (tool.at("name") != "json_schema_2020_12_tool") continue;
      const auto& schema = tool.at("inputSchema").as_object();
      EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
      EXPECT_EQ(schema.at("$defs").at("address").at("$anchor"), "addressDef");
      EXPECT_EQ(schema.at("additionalProperties"), false);
      EXPECT_TRUE(schema.at("allOf").at(0).as_object().contains("anyOf"));
      EXPECT_TRUE(schema.contains("if") && schema.contains("then") && schema.contains("else"));
    }
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, ContentFixturesCarryTheSuitesData) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto text = co_await (*client)->CallTool("test_simple_text", {});
    MCP_CO_ASSERT_OK(text);
    EXPECT_EQ(TextOf(*text), "This is a simple text response for testing.");
    auto image = co_await (*client)->CallTool("test_image_content", {});
    MCP_CO_ASSERT_OK(image);
    EXPECT_EQ(image->content.at(0).at("mimeType"), "image/png");
    auto audio = co_await (*client)->CallTool("test_audio_content", {});
    MCP_CO_ASSERT_OK(audio);
    EXPECT_EQ(audio->content.at(0).at("type"), "audio");
    EXPECT_EQ(audio->content.at(0).at("mimeType"), "audio/wav");
    auto embedded = co_await (*client)->CallTool("test_embedded_resource", {});
    MCP_CO_ASSERT_OK(embedded);
    EXPECT_EQ(embedded->content.at(0).at("resource").at("uri"), "test://embedded-resource");
    auto mixed = co_await (*client)->CallTool("test_multiple_content_types", {});
    MCP_CO_ASSERT_OK(mixed);
    EXPECT_EQ(mixed->content.size(), 3u);
    auto error = co_await (*client)->CallTool("test_error_handling", {});
    MCP_CO_ASSERT_OK(error);
    EXPECT_TRUE(error->is_error);
    EXPECT_EQ(TextOf(*error), "This tool intentionally returns an error for testing");
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, LoggingToolSendsThreeInfoMessagesAboveTheLevel) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    std::vector<json::object> logs;
    ClientOptions options;
    options.on_log_message = [&](const json::object& params) { logs.push_back(params); };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->SetLogLevel("error"));
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("test_tool_with_logging", {}));
    EXPECT_TRUE(logs.empty());
    MCP_CO_ASSERT_OK(co_await (*client)->SetLogLevel("debug"));
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("test_tool_with_logging", {}));
    EXPECT_EQ(logs.size(), 3u);
    for (const auto& log : logs) EXPECT_EQ(log.at("level"), "info");
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, ProgressToolReportsIncreasingStepsWithTheCallersToken) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    std::vector<double> progress;
    CallOptions options;
    options.on_progress = [&](const json::object& p) {
      progress.push_back(p.at("progress").to_number<double>());
    };
    auto result = co_await (*client)->CallTool("test_tool_with_progress", {}, std::move(options));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(progress, (std::vector<double>{0, 50, 100}));
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, SamplingAndElicitationToolsAskTheClient) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    json::object elicited_schema;
    ClientOptions options;
    options.on_sampling = [](json::value params, RequestContext&) -> Awaitable<Reply> {
      std::string prompt(params.at("messages").at(0).at("content").at("text").as_string());
      co_return json::object{{"role", "assistant"},
                             {"content", content::Text("model says: " + prompt)},
                             {"model", "test-model"}};
    };
    options.on_elicitation = [&](json::value params, RequestContext&) -> Awaitable<Reply> {
      elicited_schema = params.at("requestedSchema").as_object();
      co_return json::object{{"action", "accept"}, {"content", json::object{{"name", "Ada"}}}};
    };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    json::object prompt{{"prompt", "hello"}};
    auto sampled = co_await (*client)->CallTool("test_sampling", std::move(prompt));
    MCP_CO_ASSERT_OK(sampled);
    EXPECT_EQ(TextOf(*sampled), "LLM response: model says: hello");
    auto defaults = co_await (*client)->CallTool("test_elicitation_sep1034_defaults", {});
    MCP_CO_ASSERT_OK(defaults);
    EXPECT_NE(TextOf(*defaults).find("action=accept"), std::string::npos) << TextOf(*defaults);
    const auto& properties = elicited_schema.at("properties");
    EXPECT_EQ(properties.at("name").at("default"), "John Doe");
    EXPECT_EQ(properties.at("age").at("default"), 30);
    EXPECT_EQ(properties.at("score").at("default"), 95.5);
    EXPECT_EQ(properties.at("status").at("default"), "active");
    EXPECT_EQ(properties.at("verified").at("default"), true);
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, SamplingToolFailsCleanlyWithoutTheCapability) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    json::object prompt{{"prompt", "hello"}};
    auto sampled = co_await (*client)->CallTool("test_sampling", std::move(prompt));
    MCP_CO_ASSERT_OK(sampled);
    EXPECT_TRUE(sampled->is_error);
    EXPECT_NE(TextOf(*sampled).find("sampling"), std::string::npos);
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, ResourcesTemplatesAndSubscriptions) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    std::vector<std::string> updated;
    ClientOptions options;
    options.on_resource_updated = [&](std::string_view uri) { updated.emplace_back(uri); };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    auto text = co_await (*client)->ReadResource("test://static-text");
    MCP_CO_ASSERT_OK(text);
    EXPECT_EQ(text->at(0).at("text"), "This is the content of the static text resource.");
    auto templated = co_await (*client)->ReadResource("test://template/123/data");
    MCP_CO_ASSERT_OK(templated);
    auto data = json::parse(templated->at(0).at("text").as_string());
    EXPECT_EQ(data.at("id"), "123");
    EXPECT_EQ(data.at("templateTest"), true);

    MCP_CO_ASSERT_OK(co_await (*client)->Subscribe("test://watched-resource"));
    json::object change{{"text", "new content"}};
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("update_watched_resource", std::move(change)));
    MCP_CO_ASSERT_OK(co_await (*client)->Ping());  // the notification was sent before the answer
    EXPECT_EQ(updated, (std::vector<std::string>{"test://watched-resource"}));
    auto watched = co_await (*client)->ReadResource("test://watched-resource");
    MCP_CO_ASSERT_OK(watched);
    EXPECT_EQ(watched->at(0).at("text"), "new content");
    MCP_CO_ASSERT_OK(co_await (*client)->Unsubscribe("test://watched-resource"));
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, PromptsSubstituteArguments) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    std::map<std::string, std::string> values{{"arg1", "testValue1"}, {"arg2", "testValue2"}};
    auto prompt = co_await (*client)->GetPrompt("test_prompt_with_arguments", std::move(values));
    MCP_CO_ASSERT_OK(prompt);
    EXPECT_EQ(prompt->at("messages").at(0).at("content").at("text"),
              "Prompt with arguments: arg1='testValue1', arg2='testValue2'");
    std::map<std::string, std::string> uri{{"resourceUri", "test://example-resource"}};
    auto embedded =
        co_await (*client)->GetPrompt("test_prompt_with_embedded_resource", std::move(uri));
    MCP_CO_ASSERT_OK(embedded);
    EXPECT_EQ(embedded->at("messages").at(0).at("content").at("resource").at("uri"),
              "test://example-resource");
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, CompletionFiltersCandidatesByPrefix) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    json::object prompt_ref{{"type", "ref/prompt"}, {"name", "test_prompt_with_arguments"}};
    auto completed = co_await (*client)->Complete(prompt_ref, "arg1", "par");
    MCP_CO_ASSERT_OK(completed);
    EXPECT_EQ(completed->values, (std::vector<std::string>{"paris", "park", "party"}));
    auto none = co_await (*client)->Complete(prompt_ref, "arg1", "zzz");
    MCP_CO_ASSERT_OK(none);
    EXPECT_TRUE(none->values.empty());
    json::object template_ref{{"type", "ref/resource"}, {"uri", "test://template/{id}/data"}};
    auto ids = co_await (*client)->Complete(template_ref, "id", "4");
    MCP_CO_ASSERT_OK(ids);
    EXPECT_EQ(ids->values, (std::vector<std::string>{"42"}));
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, AddAnswersWithStructuredContent) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    json::object two_and_a_half{{"a", 2}, {"b", 0.5}};
    auto sum = co_await (*client)->CallTool("add", std::move(two_and_a_half));
    MCP_CO_ASSERT_OK(sum);
    EXPECT_EQ(TextOf(*sum), "The sum of 2 and 0.5 is 2.5");
    EXPECT_EQ(sum->structured_content.at("sum"), 2.5);
    json::object not_numbers{{"a", "two"}, {"b", 1}};
    auto wrong = co_await (*client)->CallTool("add", std::move(not_numbers));
    MCP_CO_ASSERT_OK(wrong);
    EXPECT_TRUE(wrong->is_error);
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, LongRunningOperationStopsWhenTheCallTimesOut) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    json::object a_minute{{"duration", 60}, {"steps", 60}};
    auto slow = co_await (*client)->CallTool("long_running_operation", std::move(a_minute),
                                             CallOptions(std::chrono::milliseconds(50)));
    if (slow.ok()) {
      ADD_FAILURE() << "a 60 s operation finished within 50 ms";
      co_return;
    }
    EXPECT_EQ(slow.error().code(), core::ErrorCode::kDeadlineExceeded);
    MCP_CO_ASSERT_OK(co_await (*client)->Ping());
    // The cancelled handler is gone from the server: nothing keeps running for 60 s.
    auto& session = f.server_session->session();
    asio::steady_timer timer(ex);
    for (int i = 0; i < 1000 && session.running_handlers() > 0; ++i) {
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    EXPECT_EQ(session.running_handlers(), 0u);
    co_await (*client)->Close();
  });
}

TEST(EverythingServerTest, ReconnectionToolCompletesWhereStreamsCannotBeClosed) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Fixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("test_reconnection", {});
    MCP_CO_ASSERT_OK(result);
    EXPECT_NE(TextOf(*result).find("completed successfully"), std::string::npos);
    co_await (*client)->Close();
  });
}

}  // namespace
}  // namespace bedrock::mcp

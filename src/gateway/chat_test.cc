#include "gateway/chat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/testing/fake_provider.h"
#include "gateway/testing/fake_mcp.h"
#include "store/store.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ::testing::HasSubstr;
using testing::RunSync;
namespace fake = agent::testing;

constexpr std::string_view kModel = "us.amazon.nova-pro-v1:0";

// A client connection as the producer sees it: collects the SSE text, can go away.
class FakeStreamWriter final : public http::StreamWriter {
 public:
  explicit FakeStreamWriter(asio::any_io_executor executor)
      : timer_(executor, asio::steady_timer::time_point::max()) {}

  asio::awaitable<core::Status> Write(std::string_view data) override {
    if (gone_) co_return core::Error::Cancelled("client gone");
    body += data;
    if (on_write) on_write(std::string(data));
    co_return core::OkStatus();
  }
  bool Cancelled() override { return gone_; }
  asio::awaitable<void> WaitCancelled() override {
    while (!gone_) {
      (void)co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) co_return;
    }
  }
  void Disconnect() {
    gone_ = true;
    timer_.cancel();
  }

  // The data payloads written so far.
  std::vector<std::string> Payloads() const {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = body.find("data: ", pos)) != std::string::npos) {
      size_t end = body.find("\n\n", pos);
      out.push_back(body.substr(pos + 6, end - pos - 6));
      pos = end + 2;
    }
    return out;
  }

  std::string body;
  std::function<void(const std::string&)> on_write;

 private:
  asio::steady_timer timer_;
  bool gone_ = false;
};

class ChatServiceTest : public ::testing::Test {
 protected:
  ChatServiceTest() : work_(asio::make_work_guard(io_)), provider_(io_.get_executor()) {
    config_.models.push_back(ModelConfig{std::string(kModel), "Nova Pro"});
    ServerSpec fs;
    fs.mcp.name = "fs";
    fs.mcp.command = "npx";
    fs.mcp.description = "Files";
    config_.servers.push_back(fs);
    ServerSpec guarded;
    guarded.mcp.name = "guarded";
    guarded.mcp.command = "npx";
    guarded.requires_approval = {"echo"};
    config_.servers.push_back(guarded);
    ServerSpec broken;
    broken.mcp.name = "broken";
    broken.mcp.command = "fail";
    config_.servers.push_back(broken);
    config_.auth.keys.push_back(ApiKeyConfig{"key", std::nullopt, "API_KEY"});
    thread_ = std::thread([this] { io_.run(); });
    store_ = std::move(*store::OpenStore(store::StoreOptions("sqlite::memory:")));
    authenticator_ = std::make_unique<Authenticator>(config_.auth);
    UserRegistryOptions options;
    options.config = &config_;
    options.store = store_.get();
    options.mcp_executor = io_.get_executor();
    options.blocking_executor = blocking_.get_executor();
    options.connector = fake_.connector();
    users_ = std::make_unique<UserRegistry>(std::move(options));
    api_ = std::make_unique<Api>(config_, *authenticator_, *users_);
    chat_config_.approval_timeout = std::chrono::seconds(30);
    ChatServiceOptions chat_options(&config_, chat_config_, users_.get(), api_.get());
    chat_options.providers = ModelProviders::FromFactory(
        config_.models,
        [this](const ModelConfig&) -> core::Result<std::shared_ptr<llm::ChatProvider>> {
          return std::shared_ptr<llm::ChatProvider>(&provider_, [](llm::ChatProvider*) {});
        });
    chat_ = std::move(*ChatService::Create(std::move(chat_options)));
    chat_->AddRoutes(router_);
  }
  ~ChatServiceTest() override {
    chat_.reset();
    RunSync(io_.get_executor(), users_->StopAll());
    work_.reset();
    thread_.join();
    blocking_.join();
  }

  http::Request MakeRequest(std::string target, std::string body, std::string user) {
    http::Request request;
    request.method = "POST";
    request.target = std::move(target);
    request.body = std::move(body);
    request.headers.Add("Authorization", "Bearer key");
    request.headers.Add("X-User-ID", user);
    return request;
  }

  // Builds the request as a named variable first: g++ 12 destroys aggregate temporaries inside a
  // co_await expression twice.
  asio::awaitable<http::Response> PostAsync(std::string target, std::string body,
                                            std::string user) {
    http::Request request = MakeRequest(std::move(target), std::move(body), std::move(user));
    co_return co_await Dispatch(std::move(request));
  }

  asio::awaitable<http::Response> Dispatch(http::Request request) {
    http::RequestContext context(request);
    co_return co_await router_.Dispatch(context);
  }

  http::Response Post(std::string target, std::string body, std::string user = "u1") {
    return RunSync(io_.get_executor(),
                   Dispatch(MakeRequest(std::move(target), std::move(body), std::move(user))));
  }

  // A streamed chat: the response head, and the body the producer wrote to `writer`.
  struct Streamed {
    http::Response head;
    std::vector<std::string> payloads;
  };
  asio::awaitable<Streamed> StreamOn(http::Request request, FakeStreamWriter* writer) {
    Streamed out;
    http::RequestContext context(request);
    out.head = co_await router_.Dispatch(context);
    last_stream_id_ = std::string(out.head.headers.Get("X-Stream-ID").value_or(""));
    if (out.head.stream) (void)co_await out.head.stream->producer(*writer);
    out.payloads = writer->Payloads();
    co_return out;
  }
  Streamed Stream(std::string body, std::string user = "u1",
                  std::function<void(FakeStreamWriter&, const std::string&)> on_write = {}) {
    FakeStreamWriter writer(io_.get_executor());
    if (on_write) writer.on_write = [&](const std::string& data) { on_write(writer, data); };
    return RunSync(
        io_.get_executor(),
        StreamOn(MakeRequest("/v1/chat/completions", std::move(body), std::move(user)), &writer));
  }

  static std::string ChatBody(std::string text, bool stream, std::string servers = "[]",
                              bool keep_session = false) {
    json::object body{{"model", kModel},
                      {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}},
                      {"stream", stream},
                      {"keep_session", keep_session},
                      {"mcp_server_ids", json::parse(servers)}};
    return json::serialize(body);
  }

  static json::object Choice(const std::string& payload) {
    return json::parse(payload).at("choices").as_array()[0].as_object();
  }
  static std::string FinishOf(const std::string& payload) {
    if (payload == "[DONE]") return payload;
    json::object choice = Choice(payload);
    const json::value& finish = choice.at("finish_reason");
    return finish.is_null() ? "" : std::string(finish.as_string());
  }
  static std::string ContentOf(const std::vector<std::string>& payloads) {
    std::string out;
    for (const auto& p : payloads) {
      if (p == "[DONE]") continue;
      auto choice = Choice(p);
      if (auto* c = choice.at("delta").as_object().if_contains("content")) out += c->as_string();
    }
    return out;
  }

  store::Conversation History(std::string user) { return *store_->LoadHistory(user, ""); }

  GatewayConfig config_;
  ChatConfig chat_config_;
  testing::FakeConnector fake_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::thread_pool blocking_{1};
  std::thread thread_;
  fake::FakeProvider provider_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<UserRegistry> users_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<ChatService> chat_;
  http::Router router_;
  std::string last_stream_id_;  // of the latest streamed request (io thread)
};

core::Result<ChatConfig> ParseChatSection(std::string_view text) {
  auto document = core::ParseJsonDocument(text, "config.json");
  if (!document.ok()) return document.error();
  return ChatConfigFromDocument(document->Root());
}

TEST(ChatConfigTest, CompactionAndContinuationSettingsAreRead) {
  auto config = ParseChatSection(
      R"({"chat": {"keep_whole_tool_results": 4, "compacted_tool_result_chars": 500,
                   "max_continuations": 3}})");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->keep_whole_tool_results, 4u);
  EXPECT_EQ(config->compacted_tool_result_chars, 500u);
  EXPECT_EQ(config->max_continuations, 3);
  ModelConfig model;
  model.id = "m";
  agent::AgentRequest request = BuildAgentRequest(ChatCompletionRequest(), model, *config);
  EXPECT_EQ(request.options.keep_whole_tool_results, 4u);
  EXPECT_EQ(request.options.compacted_tool_result_chars, 500u);
  EXPECT_EQ(request.options.max_continuations, 3);
}

TEST(ChatConfigTest, DefaultsCompactLikeTheDemoAndDoNotContinue) {
  auto config = ParseChatSection("{}");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->keep_whole_tool_results, 10u);
  EXPECT_EQ(config->compacted_tool_result_chars, 1000u);
  EXPECT_EQ(config->max_continuations, 0);
}

TEST(ChatConfigTest, ContinuationsOutOfRangeAreAnError) {
  auto config = ParseChatSection(R"({"chat": {"max_continuations": 101}})");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message().find("max_continuations"), std::string::npos)
      << config.error();
}

TEST_F(ChatServiceTest, StreamedToolRoundWritesDemoChunksAndSavesHistory) {
  provider_.Push(fake::CallTools({{"t1", "fs___echo", json::object{{"text", "hello"}}}}));
  provider_.Push(fake::Answer("It says hello."));
  auto streamed = Stream(ChatBody("echo hello", true, R"(["fs"])"));
  EXPECT_EQ(streamed.head.status, 200);
  EXPECT_THAT(std::string(streamed.head.headers.Get("X-Stream-ID").value_or("")),
              ::testing::StartsWith("stream_u1_"));
  const auto& p = streamed.payloads;
  ASSERT_GE(p.size(), 4u);
  EXPECT_EQ(p[p.size() - 2], "[DONE]");
  EXPECT_EQ(FinishOf(p[p.size() - 3]), "end_turn");
  int tool_use_finishes = 0;
  for (const auto& payload : p) {
    if (payload == "[DONE]" || FinishOf(payload) != "tool_use") continue;
    ++tool_use_finishes;
    auto choice = Choice(payload);
    if (auto* extras = choice.if_contains("message_extras")) {
      json::array round = json::parse(extras->at("tool_use").as_string()).as_array();
      ASSERT_EQ(round.size(), 2u);
      EXPECT_EQ(round[0].at("name"), "fs___echo");
      EXPECT_EQ(round[1].at("content").as_array()[0].at("text"), "hello");
    }
  }
  EXPECT_EQ(tool_use_finishes, 2);
  EXPECT_THAT(ContentOf(p), HasSubstr("<tool_input>"));
  EXPECT_THAT(ContentOf(p), HasSubstr("It says hello."));
  // user, assistant (tool use), user (result), assistant
  EXPECT_EQ(History("u1").messages.size(), 4u);
}

TEST_F(ChatServiceTest, ToolsAreListedOncePerRunningServerAcrossRequestsAndUsers) {
  provider_.Push(fake::CallTools({{"t1", "fs___echo", json::object{{"text", "one"}}}}));
  provider_.Push(fake::Answer("One."));
  provider_.Push(fake::CallTools({{"t2", "fs___echo", json::object{{"text", "two"}}}}));
  provider_.Push(fake::Answer("Two."));
  auto first = Stream(ChatBody("echo one", true, R"(["fs"])"), "u1");
  auto second = Stream(ChatBody("echo two", true, R"(["fs"])"), "u2");
  EXPECT_THAT(ContentOf(first.payloads), HasSubstr("One."));
  EXPECT_THAT(ContentOf(second.payloads), HasSubstr("Two."));
  auto server = users_->SharedGlobal("fs");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->tool_listings(), 1);
  // Both model calls of both requests were offered the server's tools.
  ASSERT_EQ(provider_.requests().size(), 4u);
  for (const auto& request : provider_.requests()) EXPECT_FALSE(request.tools.empty());
}

TEST_F(ChatServiceTest, ToolsAreListedAgainAfterTheServerSaysTheyChanged) {
  provider_.Push(fake::Answer("First."));
  provider_.Push(fake::Answer("Second."));
  Stream(ChatBody("hello", true, R"(["fs"])"));
  auto server = users_->SharedGlobal("fs");
  ASSERT_NE(server, nullptr);
  uint64_t generation = server->tools_generation();
  auto fakes = fake_.servers();
  ASSERT_EQ(fakes.size(), 1u);
  mcp::Tool extra;
  extra.name = "extra";
  extra.handler = [](json::object,
                     mcp::ServerContext&) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
    co_return mcp::CallToolResult::Text("extra");
  };
  fakes[0]->AddTool(std::move(extra));  // sends notifications/tools/list_changed
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server->tools_generation() == generation && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_NE(server->tools_generation(), generation);
  Stream(ChatBody("hello again", true, R"(["fs"])"));
  EXPECT_EQ(server->tool_listings(), 2);
  ASSERT_EQ(provider_.requests().size(), 2u);
  const auto& tools = provider_.requests()[1].tools;
  EXPECT_TRUE(std::any_of(tools.begin(), tools.end(),
                          [](const llm::ToolSpec& tool) { return tool.name == "fs___extra"; }));
}

TEST_F(ChatServiceTest, KeepSessionPrependsTheStoredHistory) {
  provider_.Push(fake::Answer("First answer."));
  provider_.Push(fake::Answer("Second answer."));
  Stream(ChatBody("first question", true, "[]", true));
  auto second = Stream(ChatBody("second question", true, "[]", true));
  EXPECT_THAT(ContentOf(second.payloads), HasSubstr("Second answer."));
  ASSERT_EQ(provider_.requests().size(), 2u);
  const auto& messages = provider_.requests()[1].messages;
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].Text(), "first question");
  EXPECT_EQ(messages[1].Text(), "First answer.");
  EXPECT_EQ(messages[2].Text(), "second question");
  EXPECT_EQ(History("u1").messages.size(), 4u);
}

TEST_F(ChatServiceTest, WithoutKeepSessionTheHistoryIsReplaced) {
  provider_.Push(fake::Answer("One."));
  provider_.Push(fake::Answer("Two."));
  Stream(ChatBody("first", true, "[]", true));
  Stream(ChatBody("second", true, "[]", false));
  EXPECT_EQ(provider_.requests()[1].messages.size(), 1u);
  EXPECT_EQ(History("u1").messages.size(), 2u);
}

TEST_F(ChatServiceTest, NonStreamedAnswerHasRealUsageAndIsSaved) {
  provider_.Push(fake::Answer("Plain answer."));
  auto response = Post("/v1/chat/completions", ChatBody("q", false, "[]", true));
  ASSERT_EQ(response.status, 200) << response.body;
  json::object body = json::parse(response.body).as_object();
  EXPECT_EQ(body.at("choices").as_array()[0].at("message").at("content"), "Plain answer.");
  EXPECT_EQ(body.at("usage").at("prompt_tokens"), 10);
  EXPECT_EQ(body.at("usage").at("completion_tokens"), 5);
  EXPECT_EQ(History("u1").messages.size(), 2u);
}

TEST_F(ChatServiceTest, OpenAiStyleByHeader) {
  provider_.Push(fake::Answer("Clean."));
  auto request = MakeRequest("/v1/chat/completions", ChatBody("q", true), "u1");
  request.headers.Add("X-Response-Style", "openai");
  FakeStreamWriter writer(io_.get_executor());
  auto streamed = RunSync(io_.get_executor(), StreamOn(std::move(request), &writer));
  ASSERT_GE(streamed.payloads.size(), 3u);
  EXPECT_EQ(streamed.payloads.back(), "[DONE]");
  EXPECT_EQ(FinishOf(streamed.payloads[streamed.payloads.size() - 2]), "stop");
  EXPECT_TRUE(json::parse(streamed.payloads[0]).at("id").as_string().starts_with("chatcmpl-"));
}

TEST_F(ChatServiceTest, UnknownModelIs404WithErrno) {
  auto response = Post("/v1/chat/completions",
                       R"({"model":"nope","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(response.status, 404);
  json::object body = json::parse(response.body).as_object();
  EXPECT_EQ(body.at("errno"), 404);
  EXPECT_THAT(std::string(body.at("msg").as_string()), HasSubstr("'nope'"));
}

TEST_F(ChatServiceTest, UnknownServerIdIs400NamingIt) {
  auto response = Post("/v1/chat/completions", ChatBody("x", true, R"(["ghost"])"));
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("'ghost'"));
  EXPECT_TRUE(provider_.requests().empty());
}

TEST_F(ChatServiceTest, BadJsonIs400WithErrno) {
  auto response = Post("/v1/chat/completions", "{oops");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body).at("errno"), 400);
}

TEST_F(ChatServiceTest, WrongFieldTypeIs422) {
  auto response = Post("/v1/chat/completions", R"({"model":1,"messages":[]})");
  EXPECT_EQ(response.status, 422);
}

TEST_F(ChatServiceTest, MissingKeyIs401) {
  http::Request request = MakeRequest("/v1/chat/completions", ChatBody("x", false), "u1");
  request.headers.Remove("Authorization");
  auto response = RunSync(io_.get_executor(), Dispatch(std::move(request)));
  EXPECT_EQ(response.status, 401);
}

TEST_F(ChatServiceTest, EmptyMessagesGiveTheLoadReply) {
  auto response =
      Post("/v1/chat/completions", R"({"model":"us.amazon.nova-pro-v1:0","messages":[]})");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body).at("choices").as_array()[0].at("finish_reason"), "load");
}

TEST_F(ChatServiceTest, ServerThatCannotStartIsAnInStreamErrorNamingIt) {
  auto streamed = Stream(ChatBody("x", true, R"(["broken"])"));
  ASSERT_EQ(streamed.payloads.size(), 2u);
  auto choice = Choice(streamed.payloads[0]);
  EXPECT_EQ(choice.at("finish_reason"), "error");
  EXPECT_EQ(choice.at("error").at("source"), "mcp_server");
  EXPECT_EQ(choice.at("error").at("server_id"), "broken");
  EXPECT_EQ(streamed.payloads[1], "[DONE]");
}

TEST_F(ChatServiceTest, ModelErrorIsInStreamWithoutDone) {
  provider_.Push(fake::Failure(
      core::Error::ResourceExhausted("model provider fake: ThrottlingException: slow down")));
  auto streamed = Stream(ChatBody("x", true));
  ASSERT_EQ(streamed.payloads.size(), 1u);
  auto choice = Choice(streamed.payloads[0]);
  EXPECT_EQ(choice.at("finish_reason"), "error");
  EXPECT_THAT(std::string(choice.at("delta").at("content").as_string()),
              HasSubstr("Error: model: model provider fake: ThrottlingException"));
}

TEST_F(ChatServiceTest, ModelErrorWithoutStreamIsTheMappedStatus) {
  provider_.Push(fake::Failure(
      core::Error::ResourceExhausted("model provider fake: ThrottlingException: slow down")));
  auto response = Post("/v1/chat/completions", ChatBody("x", false));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(json::parse(response.body).at("error").at("source"), "model");
}

fake::Script Hanging(std::string text) {
  fake::Script script;
  script.events.push_back(llm::MessageStartEvent{});
  script.events.push_back(
      fake::Delta(0, llm::ContentBlockDeltaEvent::Kind::kText, std::move(text)));
  script.hang = true;
  return script;
}

TEST_F(ChatServiceTest, StopRequestEndsTheStreamWithTheDemoStopChunk) {
  provider_.Push(Hanging("Partial"));
  std::string stop_reply;
  provider_.on_hang = [&] {
    asio::co_spawn(
        io_,
        [this, &stop_reply]() -> asio::awaitable<void> {
          auto response = co_await PostAsync("/v1/stop/stream/" + last_stream_id_, "", "u1");
          stop_reply = response.body;
        },
        asio::detached);
  };
  auto streamed = Stream(ChatBody("x", true, "[]", true));
  EXPECT_EQ(json::parse(stop_reply).at("errno"), 0);
  EXPECT_EQ(json::parse(stop_reply).at("msg"), "Stream stopping initiated");
  const auto& p = streamed.payloads;
  ASSERT_GE(p.size(), 3u);
  EXPECT_EQ(p.back(), "[DONE]");
  EXPECT_EQ(FinishOf(p[p.size() - 2]), "stop_requested");
  EXPECT_TRUE(json::parse(p[p.size() - 2]).at("id").as_string().starts_with("stop"));
  EXPECT_EQ(provider_.streams_closed, 1);
  // The partial answer is kept, so the next keep_session request continues consistently.
  auto history = History("u1");
  ASSERT_EQ(history.messages.size(), 2u);
  EXPECT_THAT(history.messages[1], HasSubstr("Partial"));
  streamed.head = http::Response();  // the server drops the response (and its stream) when done
  EXPECT_EQ(chat_->streams().size(), 0u);
}

TEST_F(ChatServiceTest, StopByAnotherUserIsRefused) {
  provider_.Push(Hanging("Partial"));
  std::string stop_reply;
  provider_.on_hang = [&] {
    asio::co_spawn(
        io_,
        [this, &stop_reply]() -> asio::awaitable<void> {
          auto response = co_await PostAsync("/v1/stop/stream/" + last_stream_id_, "", "u2");
          stop_reply = response.body;
          // Then the owner stops it, to end the test.
          (void)co_await PostAsync("/v1/stop/stream/" + last_stream_id_, "", "u1");
        },
        asio::detached);
  };
  Stream(ChatBody("x", true));
  EXPECT_EQ(json::parse(stop_reply).at("errno"), -1);
  EXPECT_EQ(json::parse(stop_reply).at("msg"), "Not authorized to stop this stream");
}

TEST_F(ChatServiceTest, ClientDisconnectCancelsTheRunAndKeepsHistoryConsistent) {
  provider_.Push(Hanging("Partial"));
  FakeStreamWriter* current = nullptr;
  provider_.on_hang = [&] { current->Disconnect(); };
  auto streamed = Stream(ChatBody("x", true, "[]", true), "u1",
                         [&](FakeStreamWriter& writer, const std::string&) { current = &writer; });
  EXPECT_EQ(provider_.streams_closed, 1);
  for (const auto& p : streamed.payloads) EXPECT_NE(p, "[DONE]");
  EXPECT_EQ(History("u1").messages.size(), 2u);
}

TEST_F(ChatServiceTest, ApprovalGrantedThroughTheEndpointRunsTheCall) {
  provider_.Push(fake::CallTools({{"t1", "guarded___echo", json::object{{"text", "ok"}}}}));
  provider_.Push(fake::Answer("Done."));
  std::string approve_reply;
  auto streamed = Stream(
      ChatBody("x", true, R"(["guarded"])"), "u1", [&](FakeStreamWriter&, const std::string& data) {
        if (data.find("\"approval\"") == std::string::npos) return;
        auto choice = Choice(data.substr(6, data.find("\n\n") - 6));
        const auto& approval = choice.at("message_extras").at("approval");
        if (!approval.as_object().contains("server")) return;  // the outcome chunk
        EXPECT_EQ(approval.at("server"), "guarded");
        EXPECT_EQ(approval.at("tool"), "echo");
        EXPECT_EQ(approval.at("arguments").at("text"), "ok");
        std::string id(approval.at("id").as_string());
        asio::co_spawn(
            io_,
            [this, id, &approve_reply]() -> asio::awaitable<void> {
              // Another user cannot answer it.
              auto other = co_await PostAsync("/v1/approve/" + id, R"({"approved": true})", "u2");
              EXPECT_EQ(other.status, 404);
              auto response =
                  co_await PostAsync("/v1/approve/" + id, R"({"approved": true})", "u1");
              approve_reply = response.body;
            },
            asio::detached);
      });
  EXPECT_EQ(json::parse(approve_reply).at("errno"), 0);
  std::string round;
  for (const auto& p : streamed.payloads) {
    if (p == "[DONE]") continue;
    auto choice = Choice(p);
    if (auto* extras = choice.if_contains("message_extras")) {
      if (auto* tool_use = extras->as_object().if_contains("tool_use")) {
        round = std::string(tool_use->as_string());
      }
    }
  }
  EXPECT_THAT(round, HasSubstr(R"("content":[{"text":"ok"}])"));
  EXPECT_EQ(streamed.payloads[streamed.payloads.size() - 2], "[DONE]");
}

TEST_F(ChatServiceTest, ApprovalDeniedTellsTheModel) {
  provider_.Push(fake::CallTools({{"t1", "guarded___echo", json::object{{"text", "ok"}}}}));
  provider_.Push(fake::Answer("I was not allowed."));
  Stream(ChatBody("x", true, R"(["guarded"])"), "u1",
         [&](FakeStreamWriter&, const std::string& data) {
           if (data.find("\"timeout_ms\"") == std::string::npos) return;
           auto choice = Choice(data.substr(6, data.find("\n\n") - 6));
           std::string id(choice.at("message_extras").at("approval").at("id").as_string());
           asio::co_spawn(
               io_,
               [this, id]() -> asio::awaitable<void> {
                 (void)co_await PostAsync("/v1/approve/" + id,
                                          R"({"approved": false, "reason": "no"})", "u1");
               },
               asio::detached);
         });
  ASSERT_EQ(provider_.requests().size(), 2u);
  const auto& last = provider_.requests()[1].messages.back();
  std::string text;
  for (const auto& block : last.content) {
    if (auto* result = std::get_if<llm::ToolResultBlock>(&block)) {
      EXPECT_EQ(result->status, llm::ToolResultStatus::kError);
      for (const auto& item : result->content) {
        if (auto* t = std::get_if<llm::TextBlock>(&item)) text += t->text;
      }
    }
  }
  EXPECT_THAT(text, HasSubstr("no"));
}

TEST_F(ChatServiceTest, ApprovalOfUnknownIdIs404) {
  auto response = Post("/v1/approve/approval_nope", R"({"approved": true})");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(json::parse(response.body).at("errno"), 404);
}

TEST_F(ChatServiceTest, ApprovalWithBadBodyIs422) {
  EXPECT_EQ(Post("/v1/approve/approval_x", R"({"approved": "yes"})").status, 422);
}

}  // namespace
}  // namespace bedrock::gateway

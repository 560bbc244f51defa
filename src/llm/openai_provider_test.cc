#include "llm/openai_provider.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <mutex>
#include <vector>

#include "http/server.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using namespace std::chrono_literals;

struct SeenRequest {
  std::string target;
  std::string body;
  http::Headers headers;
};

// An OpenAI-compatible endpoint on loopback answering through the test's script.
class FakeOpenAi {
 public:
  using Script = std::function<http::Response(const SeenRequest&, int call)>;

  explicit FakeOpenAi(Script script) : script_(std::move(script)), server_(Options(), Router()) {
    auto started = server_.Start();
    EXPECT_TRUE(started.ok()) << started.error();
  }
  ~FakeOpenAi() { server_.Stop(2s); }

  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + "/v1";
  }
  std::vector<SeenRequest> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  static http::ServerOptions Options() {
    http::ServerOptions options;
    options.threads = 1;
    options.sse_heartbeat_interval = 0ms;
    return options;
  }
  http::Router Router() {
    http::Router router;
    router.Post("/v1/chat/completions",
                [this](http::RequestContext& ctx) -> awaitable<http::Response> {
                  SeenRequest seen{ctx.request().target, ctx.request().body, ctx.request().headers};
                  int call;
                  {
                    std::lock_guard lock(mutex_);
                    call = static_cast<int>(seen_.size());
                    seen_.push_back(seen);
                  }
                  co_return script_(seen, call);
                });
    return router;
  }

  Script script_;
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;  // guarded by mutex_
  http::Server server_;
};

http::Response Sse(std::vector<std::string> datas) {
  return http::EventStreamResponse(
      [datas = std::move(datas)](http::StreamWriter& out) -> awaitable<core::Status> {
        for (const auto& data : datas) {
          http::SseEvent event{.data = data};
          BEDROCK_CO_TRY(co_await out.SendEvent(event));
        }
        co_return core::OkStatus();
      });
}

const std::vector<std::string> kToolStream = {
    R"({"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Let me check."}}]})",
    R"({"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"ci"}}]}}]})",
    R"({"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]}}]})",
    R"({"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
    R"({"id":"1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}})",
    "[DONE]"};

constexpr char kCompletion[] = R"({"id":"c1","object":"chat.completion","created":1,"model":"m",
  "choices":[{"index":0,"message":{"role":"assistant","content":"Hi there."},"finish_reason":"stop"}],
  "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

class OpenAiProviderTest : public ::testing::Test {
 protected:
  std::unique_ptr<OpenAiProvider> MakeProvider(const FakeOpenAi& fake,
                                               std::string key = "sk-test") {
    http::ClientOptions client_options;
    client_options.proxy = http::ProxyConfig{};
    client_options.use_system_cas = false;
    auto client = http::Client::Create(io_.get_executor(), client_options);
    EXPECT_TRUE(client.ok());
    OpenAiOptions options;
    options.base_url = fake.base_url();
    options.api_key = std::move(key);
    options.retry.base_delay = 1ms;
    options.retry.throttling_base_delay = 1ms;
    auto provider = OpenAiProvider::Create(*client, std::move(options));
    EXPECT_TRUE(provider.ok());
    return std::move(*provider);
  }

  template <typename T>
  T Run(awaitable<T> work) {
    std::optional<T> result;
    bool done = false;
    asio::co_spawn(
        io_, [&]() -> awaitable<void> { result.emplace(co_await std::move(work)); },
        [&](std::exception_ptr e) {
          done = true;
          if (e) std::rethrow_exception(e);
        });
    while (!done) io_.run_one();
    return std::move(*result);
  }

  static ChatRequest Request() {
    ChatRequest request;
    request.model_id = "qwen-max";
    request.messages.push_back(Message::UserText("Weather in Paris?"));
    return request;
  }

  awaitable<core::Result<ChatResponse>> StreamAndCollect(ChatProvider& provider) {
    BEDROCK_CO_TRY_ASSIGN(auto stream, co_await provider.ConverseStream(Request()));
    co_return co_await CollectStream(*stream);
  }

  asio::io_context io_;
};

TEST_F(OpenAiProviderTest, ConverseSendsBearerAndParsesCompletion) {
  FakeOpenAi fake([](const SeenRequest&, int) { return http::Response::Json(200, kCompletion); });
  auto provider = MakeProvider(fake);
  auto response = Run(provider->Converse(Request()));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->message.Text(), "Hi there.");
  EXPECT_EQ(response->stop_reason, StopReason::kEndTurn);
  EXPECT_EQ(response->usage.total_tokens, 5);
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].headers.Get("authorization"), "Bearer sk-test");
  EXPECT_EQ(json::parse(seen[0].body).at("model"), "qwen-max");
}

TEST_F(OpenAiProviderTest, StreamAssemblesToolCallDeltas) {
  FakeOpenAi fake([](const SeenRequest&, int) { return Sse(kToolStream); });
  auto provider = MakeProvider(fake);
  auto response = Run(StreamAndCollect(*provider));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->message.Text(), "Let me check.");
  ASSERT_EQ(response->message.ToolUses().size(), 1u);
  EXPECT_EQ(response->message.ToolUses()[0]->input, json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->usage.total_tokens, 13);
  auto body = json::parse(fake.seen().at(0).body);
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options"), json::parse(R"({"include_usage":true})"));
}

TEST_F(OpenAiProviderTest, RateLimitedThenSucceedsIsRetried) {
  FakeOpenAi fake([](const SeenRequest&, int call) {
    if (call == 0) {
      return http::Response::Json(
          429,
          R"({"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}})");
    }
    return Sse(kToolStream);
  });
  auto provider = MakeProvider(fake);
  auto response = Run(StreamAndCollect(*provider));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(fake.seen().size(), 2u);
}

TEST_F(OpenAiProviderTest, ServerErrorStormGivesUp) {
  FakeOpenAi fake([](const SeenRequest&, int) {
    return http::Response::Json(500, R"({"error":{"message":"boom","type":"server_error"}})");
  });
  auto provider = MakeProvider(fake);
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.seen().size(), 3u);
  EXPECT_EQ(response.error().message(),
            "model provider openai: HTTP 500 server_error: boom (gave up after 3 attempts)");
}

TEST_F(OpenAiProviderTest, UnauthorizedIsNotRetried) {
  FakeOpenAi fake([](const SeenRequest&, int) {
    return http::Response::Json(
        401,
        R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})");
  });
  auto provider = MakeProvider(fake, "wrong");
  auto stream = Run(provider->ConverseStream(Request()));
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(fake.seen().size(), 1u);
  EXPECT_EQ(stream.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(stream.error().message().find("invalid_api_key"), std::string::npos);
}

TEST_F(OpenAiProviderTest, StreamCutBeforeFinishIsAnError) {
  FakeOpenAi fake([](const SeenRequest&, int) {
    return Sse({R"({"choices":[{"index":0,"delta":{"content":"partial"}}]})"});
  });
  auto provider = MakeProvider(fake);
  auto response = Run(StreamAndCollect(*provider));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_TRUE(response.error().message().starts_with("model provider openai: "))
      << response.error();
}

TEST_F(OpenAiProviderTest, CloseEndsAPendingStreamAndTheServerSeesIt) {
  auto server_saw_disconnect = std::make_shared<std::promise<void>>();
  auto disconnected = server_saw_disconnect->get_future();
  FakeOpenAi fake([server_saw_disconnect](const SeenRequest&, int) {
    return http::EventStreamResponse(
        [server_saw_disconnect](http::StreamWriter& out) -> awaitable<core::Status> {
          http::SseEvent first{.data = R"({"choices":[{"index":0,"delta":{"content":"a"}}]})"};
          BEDROCK_CO_TRY(co_await out.SendEvent(first));
          co_await out.WaitCancelled();
          server_saw_disconnect->set_value();
          co_return core::OkStatus();
        });
  });
  auto provider = MakeProvider(fake);
  auto status = Run([&]() -> awaitable<core::Status> {
    BEDROCK_CO_TRY_ASSIGN(auto stream, co_await provider->ConverseStream(Request()));
    BEDROCK_CO_TRY(co_await stream->Next());  // messageStart
    BEDROCK_CO_TRY(co_await stream->Next());  // the text delta
    stream->Close();
    auto next = co_await stream->Next();
    if (next.ok()) co_return core::Error::Internal("Next after Close succeeded");
    co_return next.error();
  }());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(disconnected.wait_for(10s), std::future_status::ready);
}

TEST(OpenAiProviderCreateTest, MalformedBaseUrlIsInvalid) {
  asio::io_context io;
  http::ClientOptions client_options;
  client_options.proxy = http::ProxyConfig{};
  client_options.use_system_cas = false;
  auto client = http::Client::Create(io.get_executor(), client_options);
  ASSERT_TRUE(client.ok());
  OpenAiOptions options;
  options.base_url = "ftp://nope";
  EXPECT_EQ(OpenAiProvider::Create(*client, options).error().code(),
            core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bedrock::llm

// The emulator end to end: a real server on loopback driven by our own Bedrock client
// (llm/bedrock_provider.h) and plain HTTP requests.
#include "emulator/emulator.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <optional>

#include "aws/event_stream.h"
#include "http/client.h"
#include "llm/bedrock_provider.h"

namespace bedrock::emulator {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using namespace std::chrono_literals;

constexpr char kKey[] = "AKIDEMULATOR";
constexpr char kSecret[] = "emulator-secret";
constexpr char kModel[] = "anthropic.claude-3-haiku-20240307-v1:0";

class EmulatorTest : public ::testing::Test {
 protected:
  void StartEmulator(EmulatorConfig config = {}, Script script = {}) {
    config.port = 0;
    config.threads = 1;
    AuthConfig auth;
    auth.credentials.push_back({kKey, kSecret, "", {}});
    auth.api_keys.push_back("api-key");
    std::vector<KbDocument> docs = {
        {"france.txt", "Paris is the capital of France.", json::object{}},
        {"bread.txt", "Bread needs flour and yeast.", json::object{}}};
    emulator_ = std::make_unique<Emulator>(config, std::move(auth), std::move(script),
                                           KnowledgeBase::FromDocuments(docs, {}));
    auto started = emulator_->Start();
    ASSERT_TRUE(started.ok()) << started.error();
  }
  void TearDown() override {
    if (emulator_) emulator_->Stop(1s);
  }

  http::Client Client() {
    http::ClientOptions options;
    options.proxy = http::ProxyConfig{};
    options.use_system_cas = false;
    options.request_timeout = 20s;
    options.stream_idle_timeout = 20s;
    auto client = http::Client::Create(io_.get_executor(), options);
    EXPECT_TRUE(client.ok());
    return *client;
  }

  std::unique_ptr<llm::BedrockProvider> Provider(std::string secret = kSecret) {
    llm::BedrockOptions options;
    options.region = "us-east-1";
    options.endpoint = emulator_->url();
    options.credentials = [secret]() -> awaitable<core::Result<aws::Credentials>> {
      co_return aws::Credentials{kKey, secret, "", {}};
    };
    options.retry.base_delay = 1ms;
    options.retry.throttling_base_delay = 1ms;
    auto provider = llm::BedrockProvider::Create(Client(), std::move(options));
    EXPECT_TRUE(provider.ok()) << provider.error();
    return std::move(*provider);
  }

  template <typename T>
  T Run(awaitable<T> work) {
    std::optional<T> result;
    bool done = false;
    io_.restart();  // a previous Run may have left the context stopped (out of work)
    asio::co_spawn(
        io_, [&]() -> awaitable<void> { result.emplace(co_await std::move(work)); },
        [&](std::exception_ptr e) {
          done = true;
          if (e) std::rethrow_exception(e);
        });
    while (!done) io_.run_one();
    return std::move(*result);
  }

  // One plain HTTP request to the emulator.
  http::Response Send(std::string method, std::string path, std::string body = {},
                      http::Headers headers = {}) {
    http::ClientRequest request;
    request.method = std::move(method);
    request.url = emulator_->url() + path;
    request.body = std::move(body);
    request.headers = std::move(headers);
    auto client = Client();
    auto response = Run(client.Send(std::move(request)));
    EXPECT_TRUE(response.ok()) << response.error();
    return response.ok() ? std::move(*response) : http::Response{};
  }

  static llm::ChatRequest Request(std::string text) {
    llm::ChatRequest request;
    request.model_id = kModel;
    request.messages.push_back(llm::Message::UserText(std::move(text)));
    return request;
  }

  asio::io_context io_;
  std::unique_ptr<Emulator> emulator_;
};

TEST_F(EmulatorTest, ConverseThroughOurBedrockClient) {
  StartEmulator();
  auto provider = Provider();
  auto response = Run(provider->Converse(Request("Hello from the client")));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->message.Text(), "Hello from the client");
  EXPECT_EQ(response->stop_reason, llm::StopReason::kEndTurn);
  EXPECT_GT(response->usage.input_tokens, 0);
  EXPECT_GT(response->usage.output_tokens, 0);
}

TEST_F(EmulatorTest, ConverseStreamWithToolUseThenTheResult) {
  StartEmulator();
  auto provider = Provider();
  llm::ChatRequest request = Request(R"(call get_weather {"city":"Paris"})");
  request.tools.push_back({"get_weather", "weather", json::parse(R"({"type":"object"})")});
  auto stream = Run(provider->ConverseStream(request));
  ASSERT_TRUE(stream.ok()) << stream.error();
  auto response = Run(llm::CollectStream(**stream));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, llm::StopReason::kToolUse);
  auto uses = response->message.ToolUses();
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0]->input, json::parse(R"({"city":"Paris"})"));

  request.messages.push_back(response->message);
  llm::Message result{llm::Role::kUser, {}};
  result.content.emplace_back(
      llm::ToolResultBlock{uses[0]->id, {llm::JsonBlock{json::parse(R"({"tempC":21})")}}, {}});
  request.messages.push_back(std::move(result));
  auto second_stream = Run(provider->ConverseStream(request));
  ASSERT_TRUE(second_stream.ok()) << second_stream.error();
  auto second = Run(llm::CollectStream(**second_stream));
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ(second->message.Text(), R"(The get_weather tool returned: {"tempC":21})");
}

TEST_F(EmulatorTest, ConfiguredThrottlingIsRetriedByOurClient) {
  EmulatorConfig config;
  FaultRule rule;
  rule.faults = *ParseFaultSpec("throttle;attempts=2");
  config.faults.push_back(rule);
  StartEmulator(config);
  auto provider = Provider();
  auto response = Run(provider->Converse(Request("eventually")));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->message.Text(), "eventually");
}

TEST_F(EmulatorTest, ScriptedMidStreamExceptionEndsOurStreamWithItsError) {
  auto script = ParseScriptText(
      R"([{"respond": {"text": "a long enough answer to stream", "fault": "exception-mid-stream"}}])",
      "inline");
  ASSERT_TRUE(script.ok()) << script.error();
  StartEmulator({}, std::move(*script));
  auto provider = Provider();
  auto stream = Run(provider->ConverseStream(Request("x")));
  ASSERT_TRUE(stream.ok()) << stream.error();
  auto response = Run(llm::CollectStream(**stream));
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message().find("ModelStreamErrorException"), std::string::npos)
      << response.error();
}

TEST_F(EmulatorTest, WrongSecretIsUnauthenticated) {
  StartEmulator();
  auto provider = Provider("not-the-secret");
  auto response = Run(provider->Converse(Request("x")));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(response.error().message().find("InvalidSignatureException"), std::string::npos);
}

TEST_F(EmulatorTest, UnknownModelIsAValidationException) {
  StartEmulator();
  auto provider = Provider();
  llm::ChatRequest request = Request("x");
  request.model_id = "acme.nope-v1:0";
  auto response = Run(provider->Converse(request));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(response.error().message().find("ValidationException: The provided model identifier "
                                            "is invalid."),
            std::string::npos)
      << response.error();
}

TEST_F(EmulatorTest, ErrorResponsesHaveBedrocksShape) {
  StartEmulator();
  http::Headers bearer{{"Authorization", "Bearer api-key"}};
  http::Response r = Send("POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                          R"({"messages":[{"role":"user","content":[{"text":" "}]}]})", bearer);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("x-amzn-ErrorType"),
            "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
  EXPECT_TRUE(r.headers.Get("x-amzn-RequestId").has_value());
  EXPECT_EQ(json::parse(r.body).at("message"),
            "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text "
            "to the text field, and try again.");
}

TEST_F(EmulatorTest, FaultHeaderGivesTheRealStatusAndType) {
  StartEmulator();
  struct Case {
    const char* fault;
    int status;
    const char* type;
  };
  for (Case c : {Case{"throttle", 429, "ThrottlingException"},
                 Case{"model-not-ready", 429, "ModelNotReadyException"},
                 Case{"error500", 500, "InternalServerException"},
                 Case{"error503", 503, "ServiceUnavailableException"},
                 Case{"model-timeout", 408, "ModelTimeoutException"},
                 Case{"model-error", 424, "ModelErrorException"}}) {
    http::Headers headers{{"Authorization", "Bearer api-key"}, {"x-emulator-fault", c.fault}};
    http::Response r = Send("POST", "/model/amazon.nova-lite-v1%3A0/converse",
                            R"({"messages":[{"role":"user","content":[{"text":"x"}]}]})", headers);
    EXPECT_EQ(r.status, c.status) << c.fault;
    EXPECT_TRUE(r.headers.Get("x-amzn-ErrorType").value_or("").starts_with(c.type)) << c.fault;
  }
}

TEST_F(EmulatorTest, MalformedFaultHeaderIsAValidationException) {
  StartEmulator();
  http::Headers headers{{"Authorization", "Bearer api-key"}, {"x-emulator-fault", "explode"}};
  http::Response r = Send("POST", "/model/amazon.nova-lite-v1%3A0/converse",
                          R"({"messages":[{"role":"user","content":[{"text":"x"}]}]})", headers);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("x-emulator-fault: unknown fault"), std::string::npos) << r.body;
}

TEST_F(EmulatorTest, CorruptFrameFailsTheCrcCheck) {
  StartEmulator();
  http::Headers headers{{"Authorization", "Bearer api-key"}, {"x-emulator-fault", "corrupt-frame"}};
  http::Response r = Send(
      "POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
      R"({"messages":[{"role":"user","content":[{"text":"some words to stream"}]}]})", headers);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("content-type"), "application/vnd.amazon.eventstream");
  auto decoded = aws::DecodeAll(r.body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code(), core::ErrorCode::kDataLoss);
}

TEST_F(EmulatorTest, RetrieveAndUnknownOperation) {
  StartEmulator();
  // Agent Runtime takes SigV4 only: a bearer key is refused there.
  http::Headers bearer{{"Authorization", "Bearer api-key"}};
  http::Response refused =
      Send("POST", "/knowledgebases/KB1/retrieve", R"({"retrievalQuery":{"text":"x"}})", bearer);
  EXPECT_EQ(refused.status, 403);
  http::Response unknown = Send("GET", "/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(unknown.headers.Get("x-amzn-ErrorType")
                  .value_or("")
                  .starts_with("UnknownOperationException"));
}

TEST_F(EmulatorTest, InvokeModelTitanAndClaude) {
  StartEmulator();
  http::Headers bearer{{"Authorization", "Bearer api-key"}};
  http::Response titan = Send("POST", "/model/amazon.titan-embed-text-v2%3A0/invoke",
                              R"({"inputText":"hello","dimensions":512})", bearer);
  ASSERT_EQ(titan.status, 200) << titan.body;
  EXPECT_EQ(json::parse(titan.body).at("embedding").as_array().size(), 512u);
  EXPECT_TRUE(titan.headers.Get("X-Amzn-Bedrock-Input-Token-Count").has_value());

  http::Response claude = Send(
      "POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream",
      R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})",
      bearer);
  ASSERT_EQ(claude.status, 200) << claude.body;
  EXPECT_EQ(claude.headers.Get("X-Amzn-Bedrock-Content-Type"), "application/json");
  auto frames = aws::DecodeAll(claude.body);
  ASSERT_TRUE(frames.ok()) << frames.error();
  ASSERT_GE(frames->size(), 5u);
  json::value first = json::parse(frames->front().payload);
  EXPECT_TRUE(first.as_object().contains("bytes"));
  EXPECT_TRUE(first.as_object().contains("p"));  // real Bedrock's padding

  http::Response nova = Send("POST", "/model/amazon.nova-lite-v1%3A0/invoke", "{}", bearer);
  EXPECT_EQ(nova.status, 400);
}

}  // namespace
}  // namespace bedrock::emulator

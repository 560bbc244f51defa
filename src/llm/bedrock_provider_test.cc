#include "llm/bedrock_provider.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <mutex>
#include <vector>

#include "aws/event_stream.h"
#include "aws/sigv4.h"
#include "http/server.h"
#include "llm/bedrock_converse.h"
#include "llm/testing/fake_bedrock.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using namespace std::chrono_literals;
using Delta = ContentBlockDeltaEvent;

using testing::kAccessKey;
using testing::kSecret;
using testing::kToken;
constexpr char kModel[] = "anthropic.claude-3-haiku-20240307-v1:0";

// A request as the fake Bedrock saw it.
struct Seen {
  std::string target;
  std::string model_id;  // the path parameter, percent-decoded
  std::string body;
  http::Headers headers;
  std::optional<aws::VerifyFailure> verify_failure;  // nullopt: signature verified
};

// A Bedrock Runtime on loopback: verifies every SigV4 signature (unless it carries a bearer
// token), records the request and answers through the test's script.
class FakeBedrock {
 public:
  // The script answers call number `call` (0-based) of the test.
  using Script = std::function<http::Response(const Seen& seen, int call)>;

  explicit FakeBedrock(Script script)
      : script_(std::move(script)), server_(Options(), MakeRouter()) {
    auto started = server_.Start();
    EXPECT_TRUE(started.ok()) << started.error();
  }
  ~FakeBedrock() { server_.Stop(2s); }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(seen_.size());
  }

 private:
  static http::ServerOptions Options() {
    http::ServerOptions options;
    options.threads = 1;
    options.sse_heartbeat_interval = 0ms;
    return options;
  }

  http::Router MakeRouter() {
    http::Router router;
    auto handler = [this](http::RequestContext& ctx) -> awaitable<http::Response> {
      co_return Handle(ctx);
    };
    router.Post("/model/{id}/converse", handler);
    router.Post("/model/{id}/converse-stream", handler);
    return router;
  }

  http::Response Handle(http::RequestContext& ctx) {
    const http::Request& request = ctx.request();
    Seen seen{.target = request.target,
              .model_id = std::string(ctx.PathParam("id").value_or("")),
              .body = request.body,
              .headers = request.headers,
              .verify_failure = std::nullopt};
    seen.verify_failure = testing::VerifyTestSignature(verifier_, request);
    int call;
    {
      std::lock_guard lock(mutex_);
      call = static_cast<int>(seen_.size());
      seen_.push_back(seen);
    }
    if (seen.verify_failure) {
      return testing::AwsErrorResponse(seen.verify_failure->http_status,
                                       seen.verify_failure->aws_error_type,
                                       seen.verify_failure->message);
    }
    return script_(seen, call);
  }

  Script script_;
  aws::SigV4Verifier verifier_{testing::TestCredentialLookup()};
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;  // guarded by mutex_
  http::Server server_;
};

using testing::AwsErrorResponse;

constexpr char kToolUseResponse[] = R"({"output":{"message":{"role":"assistant","content":[
    {"text":"Let me look that up."},
    {"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"city":"Paris","unit":"celsius"}}}]}},
 "stopReason":"tool_use","usage":{"inputTokens":25,"outputTokens":12,"totalTokens":37},"metrics":{"latencyMs":321}})";

http::Response ConverseOk() { return http::Response::Json(200, kToolUseResponse); }

std::vector<StreamEvent> ToolStreamEvents() {
  return {
      MessageStartEvent{},
      Delta{0, Delta::Kind::kText, "Hello"},
      Delta{0, Delta::Kind::kText, ", world."},
      ContentBlockStopEvent{0},
      ContentBlockStartEvent{1, ContentBlockStartEvent::ToolUseStart{"tooluse_s1", "get_weather"}},
      Delta{1, Delta::Kind::kToolUseInput, "{\"city\": \"Pa"},
      Delta{1, Delta::Kind::kToolUseInput, "ris\"}"},
      ContentBlockStopEvent{1},
      MessageStopEvent{StopReason::kToolUse, "tool_use", {}},
      MetadataEvent{Usage{25, 9, 34, std::nullopt, std::nullopt}, Metrics{210}},
  };
}

std::string Frames(const std::vector<StreamEvent>& events) {
  std::string out;
  for (const auto& e : events) out += bedrock_converse::EncodeStreamEventFrame(e);
  return out;
}

// A streamed event-stream body written in odd-sized slices.
http::Response StreamOf(std::string bytes) { return testing::EventStreamOf(std::move(bytes)); }

class BedrockProviderTest : public ::testing::Test {
 protected:
  http::Client MakeClient() {
    http::ClientOptions options;
    options.proxy = http::ProxyConfig{};
    options.use_system_cas = false;
    options.request_timeout = 20s;
    options.stream_idle_timeout = 20s;
    auto client = http::Client::Create(io_.get_executor(), options);
    EXPECT_TRUE(client.ok());
    return *client;
  }

  BedrockOptions Options(const FakeBedrock& fake,
                         aws::Credentials credentials = {kAccessKey, kSecret, kToken, {}}) {
    BedrockOptions options;
    options.region = "us-east-1";
    options.endpoint = fake.endpoint();
    options.credentials = [credentials]() -> awaitable<core::Result<aws::Credentials>> {
      co_return credentials;
    };
    options.retry.base_delay = 1ms;
    options.retry.throttling_base_delay = 1ms;
    return options;
  }

  std::unique_ptr<BedrockProvider> MakeProvider(BedrockOptions options) {
    auto provider = BedrockProvider::Create(MakeClient(), std::move(options));
    EXPECT_TRUE(provider.ok()) << provider.error();
    return std::move(*provider);
  }

  // Runs a coroutine on the test's io_context until it completes.
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

  static ChatRequest Request(std::string model = kModel) {
    ChatRequest request;
    request.model_id = std::move(model);
    request.messages.push_back(Message::UserText("Weather in Paris?"));
    request.inference.max_tokens = 64;
    return request;
  }

  // Reads a whole stream: the events, then the final status.
  struct Drained {
    std::vector<StreamEvent> events;
    core::Status status;
  };
  static awaitable<Drained> Drain(ChatStream& stream) {
    Drained out;
    while (true) {
      auto event = co_await stream.Next();
      if (!event.ok()) {
        out.status = event.error();
        co_return out;
      }
      if (!*event) co_return out;
      out.events.push_back(std::move(**event));
    }
  }

  asio::io_context io_;
};

TEST_F(BedrockProviderTest, ConverseSendsASignedRequestAndParsesTheResponse) {
  FakeBedrock fake([](const Seen&, int) { return ConverseOk(); });
  auto provider = MakeProvider(Options(fake));
  auto response = Run(provider->Converse(Request()));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->message.ToolUses().at(0)->input.at("city"), "Paris");
  EXPECT_EQ(response->usage.total_tokens, 37);

  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure) << seen[0].verify_failure->message;
  EXPECT_EQ(seen[0].target, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
  EXPECT_EQ(seen[0].model_id, kModel);
  EXPECT_EQ(json::parse(seen[0].body),
            json::parse(R"({"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]}],
                            "inferenceConfig":{"maxTokens":64}})"));
  EXPECT_EQ(seen[0].headers.Get("x-amz-security-token"), kToken);
  EXPECT_EQ(seen[0].headers.Get("content-type"), "application/json");
  EXPECT_EQ(seen[0].headers.Get("amz-sdk-request"), "attempt=1; max=3");
  EXPECT_TRUE(seen[0].headers.Get("x-amz-content-sha256").has_value());
  EXPECT_NE(seen[0].headers.Get("authorization")->find("/us-east-1/bedrock/aws4_request"),
            std::string::npos);
}

TEST_F(BedrockProviderTest, ArnModelIdTravelsAsOneEncodedSegment) {
  constexpr char kArn[] =
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
      "us.anthropic.claude-3-5-sonnet-20241022-v2:0";
  FakeBedrock fake([](const Seen&, int) { return ConverseOk(); });
  auto provider = MakeProvider(Options(fake));
  auto response = Run(provider->Converse(Request(kArn)));
  ASSERT_TRUE(response.ok()) << response.error();
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure);
  EXPECT_EQ(seen[0].target,
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus."
            "anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse");
  EXPECT_EQ(seen[0].model_id, kArn);
}

TEST_F(BedrockProviderTest, ThrottledThenSucceedsIsRetried) {
  FakeBedrock fake([](const Seen&, int call) {
    if (call == 0) return AwsErrorResponse(429, "ThrottlingException", "Too many requests");
    return ConverseOk();
  });
  auto provider = MakeProvider(Options(fake));
  auto response = Run(provider->Converse(Request()));
  ASSERT_TRUE(response.ok()) << response.error();
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].headers.Get("amz-sdk-request"), "attempt=2; max=3");
  EXPECT_EQ(seen[0].headers.Get("amz-sdk-invocation-id"),
            seen[1].headers.Get("amz-sdk-invocation-id"));
  EXPECT_FALSE(seen[1].verify_failure);
}

TEST_F(BedrockProviderTest, ServerErrorStormGivesUpWithClearError) {
  FakeBedrock fake(
      [](const Seen&, int) { return AwsErrorResponse(500, "InternalServerException", "boom"); });
  auto provider = MakeProvider(Options(fake));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.calls(), 3);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
  const std::string& message = response.error().message();
  EXPECT_TRUE(message.starts_with("model provider bedrock: InternalServerException: boom"))
      << message;
  EXPECT_NE(message.find("gave up after 3 attempts"), std::string::npos) << message;
}

TEST_F(BedrockProviderTest, MaxAttemptsFromOptionsIsHonoured) {
  FakeBedrock fake(
      [](const Seen&, int) { return AwsErrorResponse(503, "ServiceUnavailableException", ""); });
  auto options = Options(fake);
  options.retry.max_attempts = 5;
  auto provider = MakeProvider(std::move(options));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.calls(), 5);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnavailable);
}

TEST_F(BedrockProviderTest, ValidationErrorIsNotRetried) {
  FakeBedrock fake([](const Seen&, int) {
    return AwsErrorResponse(400, "ValidationException",
                            "The provided model identifier is invalid.");
  });
  auto provider = MakeProvider(Options(fake));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.calls(), 1);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(response.error().message().find(
                "ValidationException: The provided model identifier is invalid."),
            std::string::npos);
}

TEST_F(BedrockProviderTest, ModelErrorIsNotRetried) {
  FakeBedrock fake(
      [](const Seen&, int) { return AwsErrorResponse(424, "ModelErrorException", "bad"); });
  auto provider = MakeProvider(Options(fake));
  EXPECT_FALSE(Run(provider->Converse(Request())).ok());
  EXPECT_EQ(fake.calls(), 1);
}

TEST_F(BedrockProviderTest, WrongSecretGets403InvalidSignature) {
  FakeBedrock fake([](const Seen&, int) { return ConverseOk(); });
  auto provider =
      MakeProvider(Options(fake, aws::Credentials{kAccessKey, "wrong-secret", kToken, {}}));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.calls(), 1);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(response.error().message().find("InvalidSignatureException"), std::string::npos)
      << response.error();
}

TEST_F(BedrockProviderTest, BearerTokenIsSentInsteadOfSigV4) {
  FakeBedrock fake([](const Seen&, int) { return ConverseOk(); });
  auto options = Options(fake);
  options.credentials = nullptr;
  options.bearer_token = "bedrock-api-key-123";
  auto provider = MakeProvider(std::move(options));
  ASSERT_TRUE(Run(provider->Converse(Request())).ok());
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers.Get("authorization"), "Bearer bedrock-api-key-123");
  EXPECT_FALSE(seen[0].headers.Contains("x-amz-date"));
}

TEST_F(BedrockProviderTest, CredentialFailureIsReportedWithoutCallingBedrock) {
  FakeBedrock fake([](const Seen&, int) { return ConverseOk(); });
  auto options = Options(fake);
  options.credentials = []() -> awaitable<core::Result<aws::Credentials>> {
    co_return core::Error::Unauthenticated("no credentials found");
  };
  auto provider = MakeProvider(std::move(options));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.calls(), 0);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_NE(response.error().message().find("AWS credentials"), std::string::npos);
}

TEST_F(BedrockProviderTest, MalformedResponseBodyIsUpstreamFailure) {
  FakeBedrock fake([](const Seen&, int) { return http::Response::Json(200, "{\"nope\":1}"); });
  auto provider = MakeProvider(Options(fake));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST_F(BedrockProviderTest, UnreachableEndpointIsRetriedThenUnavailable) {
  // A port that was just free: connecting is refused.
  std::string endpoint;
  {
    FakeBedrock fake([](const Seen&, int) { return ConverseOk(); });
    endpoint = fake.endpoint();
  }
  BedrockOptions options;
  options.region = "us-east-1";
  options.endpoint = endpoint;
  options.bearer_token = "k";
  options.retry.base_delay = 1ms;
  auto provider = MakeProvider(std::move(options));
  auto response = Run(provider->Converse(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnavailable);
  EXPECT_NE(response.error().message().find("gave up after 3 attempts"), std::string::npos);
}

// --- ConverseStream ---

TEST_F(BedrockProviderTest, ConverseStreamDeliversEventsSplitAnywhere) {
  FakeBedrock fake([](const Seen&, int) { return StreamOf(Frames(ToolStreamEvents())); });
  auto provider = MakeProvider(Options(fake));
  auto drained = Run([&]() -> awaitable<Drained> {
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return Drained{{}, stream.error()};
    co_return co_await Drain(**stream);
  }());
  ASSERT_TRUE(drained.status.ok()) << drained.status.error();
  EXPECT_EQ(drained.events, ToolStreamEvents());
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream");
  EXPECT_FALSE(seen[0].verify_failure);
  EXPECT_FALSE(seen[0].headers.Contains("accept"));
}

TEST_F(BedrockProviderTest, CollectStreamAssemblesToolUse) {
  FakeBedrock fake([](const Seen&, int) { return StreamOf(Frames(ToolStreamEvents())); });
  auto provider = MakeProvider(Options(fake));
  auto response = Run([&]() -> awaitable<core::Result<ChatResponse>> {
    BEDROCK_CO_TRY_ASSIGN(auto stream, co_await provider->ConverseStream(Request()));
    co_return co_await CollectStream(*stream);
  }());
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->message.Text(), "Hello, world.");
  EXPECT_EQ(response->message.ToolUses().at(0)->input, json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(response->usage.total_tokens, 34);
}

TEST_F(BedrockProviderTest, ConverseStreamThrottledBeforeTheStreamIsRetried) {
  FakeBedrock fake([](const Seen&, int call) {
    if (call == 0) return AwsErrorResponse(429, "ThrottlingException", "slow down");
    return StreamOf(Frames(ToolStreamEvents()));
  });
  auto provider = MakeProvider(Options(fake));
  auto drained = Run([&]() -> awaitable<Drained> {
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return Drained{{}, stream.error()};
    co_return co_await Drain(**stream);
  }());
  ASSERT_TRUE(drained.status.ok()) << drained.status.error();
  EXPECT_EQ(fake.calls(), 2);
  EXPECT_EQ(drained.events.size(), ToolStreamEvents().size());
}

TEST_F(BedrockProviderTest, ConverseStreamValidationErrorBeforeTheStream) {
  FakeBedrock fake([](const Seen&, int) {
    return AwsErrorResponse(400, "ValidationException",
                            "A conversation must start with a user message.");
  });
  auto provider = MakeProvider(Options(fake));
  auto stream = Run(provider->ConverseStream(Request()));
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(fake.calls(), 1);
  EXPECT_EQ(stream.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(stream.error().message().find("ValidationException: A conversation must start"),
            std::string::npos);
}

TEST_F(BedrockProviderTest, ExceptionFrameMidStreamEndsWithItsTypeAndIsNotRetried) {
  FakeBedrock fake([](const Seen&, int) {
    std::vector<StreamEvent> first = ToolStreamEvents();
    first.resize(3);
    return StreamOf(Frames(first) +
                    aws::EncodeException("throttlingException",
                                         R"({"message":"Too many tokens, please wait."})"));
  });
  auto provider = MakeProvider(Options(fake));
  auto drained = Run([&]() -> awaitable<Drained> {
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return Drained{{}, stream.error()};
    co_return co_await Drain(**stream);
  }());
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.events.size(), 3u);
  EXPECT_EQ(fake.calls(), 1);
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(drained.status.error().message(),
            "model provider bedrock: ThrottlingException: Too many tokens, please wait.");
}

TEST_F(BedrockProviderTest, TruncatedFrameEndsTheStreamWithDataLoss) {
  FakeBedrock fake([](const Seen&, int) {
    std::string bytes = Frames(ToolStreamEvents());
    return StreamOf(bytes.substr(0, bytes.size() - 7));
  });
  auto provider = MakeProvider(Options(fake));
  auto drained = Run([&]() -> awaitable<Drained> {
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return Drained{{}, stream.error()};
    co_return co_await Drain(**stream);
  }());
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_EQ(drained.events.size(), ToolStreamEvents().size() - 1);
  EXPECT_EQ(fake.calls(), 1);
}

TEST_F(BedrockProviderTest, StreamCutBetweenFramesBeforeMessageStopIsAnError) {
  FakeBedrock fake([](const Seen&, int) {
    std::vector<StreamEvent> first = ToolStreamEvents();
    first.resize(4);
    return StreamOf(Frames(first));
  });
  auto provider = MakeProvider(Options(fake));
  auto drained = Run([&]() -> awaitable<Drained> {
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return Drained{{}, stream.error()};
    co_return co_await Drain(**stream);
  }());
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.events.size(), 4u);
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_NE(drained.status.error().message().find("before messageStop"), std::string::npos);
}

TEST_F(BedrockProviderTest, CorruptFrameEndsTheStreamWithDataLoss) {
  FakeBedrock fake([](const Seen&, int) {
    std::string bytes = Frames(ToolStreamEvents());
    bytes[bytes.size() / 2] ^= 0x01;
    return StreamOf(bytes);
  });
  auto provider = MakeProvider(Options(fake));
  auto drained = Run([&]() -> awaitable<Drained> {
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return Drained{{}, stream.error()};
    co_return co_await Drain(**stream);
  }());
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_LT(drained.events.size(), ToolStreamEvents().size());
  EXPECT_TRUE(drained.status.error().message().starts_with("model provider bedrock: "));
}

// A ConverseStream answer that sends messageStart, then holds the stream open until the client
// goes away, which it reports through `saw_disconnect`.
auto StartThenHold(std::shared_ptr<std::promise<void>> saw_disconnect) {
  return [saw_disconnect](const Seen&, int) {
    return http::StreamResponse(
        200, "application/vnd.amazon.eventstream",
        [saw_disconnect](http::StreamWriter& out) -> awaitable<core::Status> {
          const std::string start = Frames({MessageStartEvent{}});
          BEDROCK_CO_TRY(co_await out.Write(start));
          co_await out.WaitCancelled();
          saw_disconnect->set_value();
          co_return core::OkStatus();
        });
  };
}

// The caller gives up while Bedrock is still generating: the pending Next is cancelled and the
// connection closed, which the server sees.
TEST_F(BedrockProviderTest, CancellingAPendingNextClosesTheConnection) {
  auto server_saw_disconnect = std::make_shared<std::promise<void>>();
  auto disconnected = server_saw_disconnect->get_future();
  FakeBedrock fake(StartThenHold(server_saw_disconnect));
  auto provider = MakeProvider(Options(fake));
  auto outcome = Run([&]() -> awaitable<std::pair<bool, size_t>> {
    using namespace asio::experimental::awaitable_operators;
    auto stream = co_await provider->ConverseStream(Request());
    if (!stream.ok()) co_return std::pair{false, size_t{0}};
    auto first = co_await (*stream)->Next();
    if (!first.ok() || !*first) co_return std::pair{false, size_t{0}};
    asio::steady_timer give_up(co_await asio::this_coro::executor);
    give_up.expires_after(50ms);
    auto which = co_await ((*stream)->Next() || give_up.async_wait(asio::use_awaitable));
    co_return std::pair{true, which.index()};
  }());
  ASSERT_TRUE(outcome.first);
  EXPECT_EQ(outcome.second, 1u);  // the timer won: Next was still waiting, and was cancelled
  EXPECT_EQ(disconnected.wait_for(10s), std::future_status::ready);
}

TEST_F(BedrockProviderTest, CloseEndsAPendingStream) {
  auto server_saw_disconnect = std::make_shared<std::promise<void>>();
  auto disconnected = server_saw_disconnect->get_future();
  FakeBedrock fake(StartThenHold(server_saw_disconnect));
  auto provider = MakeProvider(Options(fake));
  auto status = Run([&]() -> awaitable<core::Status> {
    BEDROCK_CO_TRY_ASSIGN(auto stream, co_await provider->ConverseStream(Request()));
    BEDROCK_CO_TRY(co_await stream->Next());
    stream->Close();
    auto next = co_await stream->Next();
    if (next.ok()) co_return core::Error::Internal("Next after Close succeeded");
    co_return next.error();
  }());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(disconnected.wait_for(10s), std::future_status::ready);
}

// --- Configuration ---

TEST(BedrockOptionsTest, ReadsRegionEndpointApiKeyAndAttemptsFromEnv) {
  core::FakeEnv env({{"AWS_REGION", "eu-west-3"},
                     {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9999"},
                     {"AWS_BEARER_TOKEN_BEDROCK", "key"},
                     {"AWS_MAX_ATTEMPTS", "7"}});
  auto options = BedrockOptionsFromEnv(env);
  ASSERT_TRUE(options.ok()) << options.error();
  EXPECT_EQ(options->region, "eu-west-3");
  EXPECT_EQ(options->endpoint, "http://127.0.0.1:9999");
  EXPECT_EQ(options->bearer_token, "key");
  EXPECT_EQ(options->retry.max_attempts, 7);
}

TEST(BedrockOptionsTest, GenericEndpointUrlIsUsedWhenNoServiceSpecificOne) {
  core::FakeEnv env({{"AWS_DEFAULT_REGION", "us-west-2"}, {"AWS_ENDPOINT_URL", "http://h:1"}});
  auto options = BedrockOptionsFromEnv(env);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->region, "us-west-2");
  EXPECT_EQ(options->endpoint, "http://h:1");
}

TEST(BedrockOptionsTest, MalformedMaxAttemptsIsInvalid) {
  core::FakeEnv env({{"AWS_MAX_ATTEMPTS", "three"}});
  EXPECT_EQ(BedrockOptionsFromEnv(env).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST_F(BedrockProviderTest, DefaultEndpointIsRegional) {
  BedrockOptions options;
  options.region = "ap-south-1";
  options.bearer_token = "k";
  auto provider = BedrockProvider::Create(MakeClient(), options);
  ASSERT_TRUE(provider.ok());
  EXPECT_EQ((*provider)->endpoint(), "https://bedrock-runtime.ap-south-1.amazonaws.com");
}

TEST_F(BedrockProviderTest, MissingRegionIsInvalid) {
  BedrockOptions options;
  options.bearer_token = "k";
  EXPECT_EQ(BedrockProvider::Create(MakeClient(), options).error().code(),
            core::ErrorCode::kInvalidArgument);
}

TEST_F(BedrockProviderTest, MissingCredentialsIsInvalid) {
  BedrockOptions options;
  options.region = "us-east-1";
  EXPECT_EQ(BedrockProvider::Create(MakeClient(), options).error().code(),
            core::ErrorCode::kInvalidArgument);
}

TEST(BedrockModelPathTest, EncodesColonsAndSlashes) {
  EXPECT_EQ(BedrockModelPath("a.b-c_d:0", "converse"), "/model/a.b-c_d%3A0/converse");
  EXPECT_EQ(BedrockModelPath("arn:x/y", "converse-stream"), "/model/arn%3Ax%2Fy/converse-stream");
}

}  // namespace
}  // namespace bedrock::llm

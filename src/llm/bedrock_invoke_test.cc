#include "llm/bedrock_invoke.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "aws/event_stream.h"
#include "aws/testing/fake_server.h"
#include "llm/bedrock_claude.h"
#include "core/base64.h"
#include "llm/testing/fake_bedrock.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using aws::testing::RunCo;
using testing::AwsErrorResponse;
using testing::EventStreamOf;
using testing::VerifyingBedrock;

constexpr char kClaude[] = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr char kTitan[] = "amazon.titan-embed-text-v2:0";

// One InvokeModelWithResponseStream `chunk` frame carrying `bytes`, padded as Bedrock pads.
std::string ChunkFrame(std::string_view bytes) {
  json::object payload{{"bytes", core::Base64Encode(bytes)}, {"p", "abcdefghijklmnop"}};
  return aws::EncodeEvent("chunk", json::serialize(payload));
}

std::string ChunksOf(const std::vector<std::string>& events) {
  std::string out;
  for (const auto& e : events) out += ChunkFrame(e);
  return out;
}

// A Claude answer streamed as Bedrock sends it: thinking, text, then a tool call.
std::vector<std::string> ClaudeStreamEvents() {
  return {
      R"({"type":"message_start","message":{"id":"msg_bdrk_02","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}})",
      R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"User wants weather."}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig=="}})",
      R"({"type":"content_block_stop","index":0})",
      R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})",
      R"({"type":"ping"})",
      R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me "}})",
      R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"check."}})",
      R"({"type":"content_block_stop","index":1})",
      R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}})",
      R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}})",
      R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}})",
      R"({"type":"content_block_stop","index":2})",
      R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":4}})",
      R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":4,"invocationLatency":512,"firstByteLatency":120}})",
  };
}

class BedrockInvokeTest : public ::testing::Test {
 protected:
  std::unique_ptr<BedrockInvokeClient> MakeClient(const VerifyingBedrock& fake) {
    return MakeClient(testing::TestOptions(fake.endpoint()));
  }
  std::unique_ptr<BedrockInvokeClient> MakeClient(BedrockOptions options) {
    auto client = BedrockInvokeClient::Create(testing::LoopbackClient(io_), std::move(options));
    EXPECT_TRUE(client.ok()) << client.error();
    return std::move(*client);
  }

  static InvokeModelRequest Request(std::string model = kTitan) {
    InvokeModelRequest request;
    request.model_id = std::move(model);
    request.body = R"({"inputText":"hello world"})";
    return request;
  }

  struct Drained {
    std::vector<std::string> chunks;
    core::Status status;
    std::string content_type;
  };
  Drained DrainRaw(BedrockInvokeClient& client, InvokeModelRequest request) {
    return RunCo(io_, [&]() -> awaitable<Drained> {
      Drained out;
      auto stream = co_await client.InvokeModelWithResponseStream(std::move(request));
      if (!stream.ok()) {
        out.status = stream.error();
        co_return out;
      }
      out.content_type = (*stream)->content_type();
      while (true) {
        auto chunk = co_await (*stream)->Next();
        if (!chunk.ok()) {
          out.status = chunk.error();
          co_return out;
        }
        if (!*chunk) co_return out;
        out.chunks.push_back(std::move(**chunk));
      }
    }());
  }

  // Streams ClaudeRequest() through `claude` and assembles the answer.
  core::Result<ChatResponse> CollectClaude(ChatProvider& claude) {
    return RunCo(io_, [&]() -> awaitable<core::Result<ChatResponse>> {
      BEDROCK_CO_TRY_ASSIGN(auto stream, co_await claude.ConverseStream(ClaudeRequest()));
      co_return co_await CollectStream(*stream);
    }());
  }

  static ChatRequest ClaudeRequest() {
    ChatRequest request;
    request.model_id = kClaude;
    request.messages.push_back(Message::UserText("Weather in Paris?"));
    request.inference.max_tokens = 256;
    return request;
  }

  asio::io_context io_;
};

// --- InvokeModel ---

TEST_F(BedrockInvokeTest, InvokeModelSendsASignedRawBodyAndReturnsTheModelsBody) {
  VerifyingBedrock fake([](const http::Request&, int) {
    http::Response response = http::Response::Json(200, R"({"embedding":[0.25]})");
    response.headers.Set("X-Amzn-Bedrock-Input-Token-Count", "3");
    response.headers.Set("X-Amzn-Bedrock-Output-Token-Count", "0");
    response.headers.Set("X-Amzn-Bedrock-Invocation-Latency", "42");
    return response;
  });
  auto client = MakeClient(fake);
  auto request = Request();
  request.trace = "ENABLED";
  auto response = RunCo(io_, client->InvokeModel(std::move(request)));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->body, R"({"embedding":[0.25]})");
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->input_token_count, 3);
  EXPECT_EQ(response->output_token_count, 0);
  EXPECT_EQ(response->invocation_latency_ms, 42);
  EXPECT_EQ(response->request_id, "");

  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure) << seen[0].verify_failure->message;
  EXPECT_EQ(seen[0].request.target, "/model/amazon.titan-embed-text-v2%3A0/invoke");
  EXPECT_EQ(seen[0].request.body, R"({"inputText":"hello world"})");
  EXPECT_EQ(seen[0].request.headers.Get("accept"), "application/json");
  EXPECT_EQ(seen[0].request.headers.Get("x-amzn-bedrock-trace"), "ENABLED");
  EXPECT_FALSE(seen[0].request.headers.Contains("x-amzn-bedrock-guardrailidentifier"));
  // The extra headers are signed too.
  EXPECT_NE(seen[0].request.headers.Get("authorization")->find("accept;"), std::string::npos);
}

TEST_F(BedrockInvokeTest, InvokeModelThrottledThenSucceedsIsRetried) {
  VerifyingBedrock fake([](const http::Request&, int call) {
    if (call == 0) return AwsErrorResponse(429, "ThrottlingException", "Too many requests");
    return http::Response::Json(200, "{}");
  });
  auto client = MakeClient(fake);
  auto response = RunCo(io_, client->InvokeModel(Request()));
  ASSERT_TRUE(response.ok()) << response.error();
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].request.headers.Get("amz-sdk-request"), "attempt=2; max=3");
  EXPECT_FALSE(seen[1].verify_failure);
}

TEST_F(BedrockInvokeTest, InvokeModelWrongSecretIs403InvalidSignatureNotRetried) {
  VerifyingBedrock fake([](const http::Request&, int) { return http::Response::Json(200, "{}"); });
  auto options = testing::TestOptions(fake.endpoint());
  options.credentials =
      testing::StaticCredentials({testing::kAccessKey, "wrong-secret", testing::kToken, {}});
  auto client = MakeClient(std::move(options));
  auto response = RunCo(io_, client->InvokeModel(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.seen().size(), 1u);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_TRUE(
      response.error().message().starts_with("model provider bedrock: InvalidSignatureException"))
      << response.error();
}

TEST_F(BedrockInvokeTest, InvokeModelValidationErrorKeepsItsType) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return AwsErrorResponse(400, "ValidationException", "Malformed input request");
  });
  auto client = MakeClient(fake);
  auto response = RunCo(io_, client->InvokeModel(Request()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(response.error().message().find("ValidationException: Malformed input request"),
            std::string::npos);
}

TEST_F(BedrockInvokeTest, BearerTokenReplacesTheSignature) {
  VerifyingBedrock fake([](const http::Request&, int) { return http::Response::Json(200, "{}"); });
  auto options = testing::TestOptions(fake.endpoint());
  options.credentials = nullptr;
  options.bearer_token = "bedrock-api-key";
  auto client = MakeClient(std::move(options));
  ASSERT_TRUE(RunCo(io_, client->InvokeModel(Request())).ok());
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.headers.Get("authorization"), "Bearer bedrock-api-key");
  EXPECT_FALSE(seen[0].request.headers.Contains("x-amz-date"));
}

// --- InvokeModelWithResponseStream, raw ---

TEST_F(BedrockInvokeTest, StreamDeliversEachChunksDecodedBytes) {
  VerifyingBedrock fake([](const http::Request&, int) {
    http::Headers headers{{"X-Amzn-Bedrock-Content-Type", "application/json"}};
    return EventStreamOf(ChunksOf({R"({"a":1})", R"({"b":2})"}) +
                             aws::EncodeEvent("someFutureEvent", "{}") + ChunkFrame(R"({"c":3})"),
                         headers);
  });
  auto client = MakeClient(fake);
  auto request = Request(kClaude);
  request.accept = "*/*";
  auto drained = DrainRaw(*client, std::move(request));
  ASSERT_TRUE(drained.status.ok()) << drained.status.error();
  EXPECT_EQ(drained.chunks, (std::vector<std::string>{R"({"a":1})", R"({"b":2})", R"({"c":3})"}));
  EXPECT_EQ(drained.content_type, "application/json");
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure);
  EXPECT_EQ(seen[0].request.target,
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream");
  EXPECT_EQ(seen[0].request.headers.Get("x-amzn-bedrock-accept"), "*/*");
  EXPECT_FALSE(seen[0].request.headers.Contains("accept"));
}

TEST_F(BedrockInvokeTest, ModelStreamErrorFrameEndsTheStreamAfterEarlierChunksAndIsNotRetried) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(
        ChunksOf({"one", "two"}) +
        aws::EncodeException(
            "modelStreamErrorException",
            R"({"message":"Model failed","originalStatusCode":500,"originalMessage":"boom"})"));
  });
  auto client = MakeClient(fake);
  auto drained = DrainRaw(*client, Request(kClaude));
  EXPECT_EQ(drained.chunks, (std::vector<std::string>{"one", "two"}));
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(fake.seen().size(), 1u);
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(drained.status.error().message(),
            "model provider bedrock: ModelStreamErrorException: Model failed "
            "(originalStatusCode: 500) (originalMessage: boom)");
}

TEST_F(BedrockInvokeTest, ThrottlingFrameMidStreamIsResourceExhaustedAndNotRetried) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(
        ChunkFrame("one") +
        aws::EncodeException("throttlingException", R"({"message":"Too many tokens"})"));
  });
  auto client = MakeClient(fake);
  auto drained = DrainRaw(*client, Request(kClaude));
  EXPECT_EQ(drained.chunks.size(), 1u);
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(fake.seen().size(), 1u);
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(drained.status.error().message(),
            "model provider bedrock: ThrottlingException: Too many tokens");
}

TEST_F(BedrockInvokeTest, StreamThrottledBeforeItStartsIsRetried) {
  VerifyingBedrock fake([](const http::Request&, int call) {
    if (call == 0) return AwsErrorResponse(429, "ThrottlingException", "slow down");
    return EventStreamOf(ChunkFrame("one"));
  });
  auto client = MakeClient(fake);
  auto drained = DrainRaw(*client, Request(kClaude));
  ASSERT_TRUE(drained.status.ok()) << drained.status.error();
  EXPECT_EQ(drained.chunks.size(), 1u);
  EXPECT_EQ(fake.seen().size(), 2u);
}

TEST_F(BedrockInvokeTest, TruncatedFrameEndsTheStreamWithDataLoss) {
  VerifyingBedrock fake([](const http::Request&, int) {
    std::string bytes = ChunksOf({"one", "two"});
    return EventStreamOf(bytes.substr(0, bytes.size() - 5));
  });
  auto client = MakeClient(fake);
  auto drained = DrainRaw(*client, Request(kClaude));
  EXPECT_EQ(drained.chunks, std::vector<std::string>{"one"});
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_NE(drained.status.error().message().find("inside an event-stream frame"),
            std::string::npos);
}

TEST_F(BedrockInvokeTest, CorruptCrcEndsTheStreamWithDataLoss) {
  VerifyingBedrock fake([](const http::Request&, int) {
    std::string bytes = ChunksOf({"one", "two"});
    bytes[bytes.size() - 20] ^= 0x40;
    return EventStreamOf(bytes);
  });
  auto client = MakeClient(fake);
  auto drained = DrainRaw(*client, Request(kClaude));
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kDataLoss);
}

TEST_F(BedrockInvokeTest, ChunkWithoutBase64BytesIsUpstreamFailure) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(aws::EncodeEvent("chunk", R"({"bytes":"not base64!"})"));
  });
  auto client = MakeClient(fake);
  auto drained = DrainRaw(*client, Request(kClaude));
  ASSERT_FALSE(drained.status.ok());
  EXPECT_EQ(drained.status.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_NE(drained.status.error().message().find("not base64"), std::string::npos);
}

// --- Claude Messages ---

TEST_F(BedrockInvokeTest, ClaudeConverseSendsMessagesApiAndMapsTheAnswer) {
  VerifyingBedrock fake([](const http::Request&, int) {
    http::Response response = http::Response::Json(200, R"({
      "id":"msg_bdrk_01","type":"message","role":"assistant","model":"claude",
      "content":[{"type":"thinking","thinking":"Hmm.","signature":"s1"},
                 {"type":"text","text":"Let me look."},
                 {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
      "stop_reason":"tool_use","stop_sequence":null,
      "usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":2}})");
    response.headers.Set("X-Amzn-Bedrock-Invocation-Latency", "321");
    return response;
  });
  auto client = MakeClient(fake);
  auto claude = client->ClaudeProvider();
  auto request = ClaudeRequest();
  request.system.push_back(TextBlock{"Be terse."});
  auto response = RunCo(io_, claude->Converse(std::move(request)));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->message.Text(), "Let me look.");
  ASSERT_EQ(response->message.ToolUses().size(), 1u);
  EXPECT_EQ(response->message.ToolUses()[0]->input, json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(std::get<ReasoningBlock>(response->message.content[0]),
            (ReasoningBlock{"Hmm.", "s1", ""}));
  EXPECT_EQ(response->usage, (Usage{10, 5, 15, 2, std::nullopt}));
  EXPECT_EQ(response->metrics.latency_ms, 321);

  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.target, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke");
  EXPECT_EQ(json::parse(seen[0].request.body), json::parse(R"({
      "anthropic_version":"bedrock-2023-05-31","max_tokens":256,
      "system":[{"type":"text","text":"Be terse."}],
      "messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]}]})"));
}

TEST_F(BedrockInvokeTest, ClaudeConverseStreamAssemblesThinkingTextAndToolUse) {
  VerifyingBedrock fake(
      [](const http::Request&, int) { return EventStreamOf(ChunksOf(ClaudeStreamEvents())); });
  auto client = MakeClient(fake);
  auto claude = client->ClaudeProvider();
  auto response = CollectClaude(*claude);
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response->message.content.size(), 3u);
  EXPECT_EQ(std::get<ReasoningBlock>(response->message.content[0]),
            (ReasoningBlock{"User wants weather.", "sig==", ""}));
  EXPECT_EQ(response->message.Text(), "Let me check.");
  EXPECT_EQ(response->message.ToolUses().at(0)->id, "toolu_1");
  EXPECT_EQ(response->message.ToolUses().at(0)->input, json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->usage.input_tokens, 10);
  EXPECT_EQ(response->usage.output_tokens, 4);
  EXPECT_EQ(response->usage.total_tokens, 14);
  EXPECT_EQ(response->metrics.latency_ms, 512);
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.headers.Get("x-amzn-bedrock-accept"), "application/json");
}

TEST_F(BedrockInvokeTest, ClaudeStreamEndingBeforeMessageStopIsAnError) {
  VerifyingBedrock fake([](const http::Request&, int) {
    auto events = ClaudeStreamEvents();
    events.resize(9);
    return EventStreamOf(ChunksOf(events));
  });
  auto client = MakeClient(fake);
  auto claude = client->ClaudeProvider();
  auto response = CollectClaude(*claude);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_NE(response.error().message().find("before message_stop"), std::string::npos);
}

TEST_F(BedrockInvokeTest, ClaudeErrorEventEndsTheStream) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(ChunksOf(
        {ClaudeStreamEvents()[0],
         R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"}));
  });
  auto client = MakeClient(fake);
  auto claude = client->ClaudeProvider();
  auto response = CollectClaude(*claude);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message(),
            "model provider bedrock: Claude overloaded_error: Overloaded");
}

TEST_F(BedrockInvokeTest, ClaudeStreamExceptionFrameIsReportedWithItsType) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(
        ChunkFrame(ClaudeStreamEvents()[0]) +
        aws::EncodeException("modelTimeoutException", R"({"message":"Model timed out"})"));
  });
  auto client = MakeClient(fake);
  auto claude = client->ClaudeProvider();
  auto response = CollectClaude(*claude);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(response.error().message(),
            "model provider bedrock: ModelTimeoutException: Model timed out");
  EXPECT_EQ(fake.seen().size(), 1u);
}

// --- Titan embeddings ---

TEST_F(BedrockInvokeTest, EmbedTitanSendsV2RequestAndReadsEmbeddingsByType) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return http::Response::Json(
        200,
        R"({"embedding":[0.5,-0.25],"inputTextTokenCount":4,"embeddingsByType":{"float":[0.5,-0.25],"binary":[1,0]}})");
  });
  auto client = MakeClient(fake);
  TitanEmbeddingRequest titan;
  titan.input_text = "hello world embeddings";
  titan.dimensions = 256;
  titan.normalize = true;
  titan.binary_embedding = true;
  auto embedding = RunCo(io_, client->EmbedTitan(kTitan, std::move(titan)));
  ASSERT_TRUE(embedding.ok()) << embedding.error();
  EXPECT_EQ(embedding->embedding, (std::vector<float>{0.5f, -0.25f}));
  EXPECT_EQ(embedding->binary, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(embedding->input_text_token_count, 4);
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.body,
            R"({"inputText":"hello world embeddings","dimensions":256,"normalize":true,)"
            R"("embeddingTypes":["float","binary"]})");
}

TEST(TitanEmbeddingTest, DefaultRequestHasOnlyTheText) {
  TitanEmbeddingRequest request;
  request.input_text = "hi";
  EXPECT_EQ(EncodeTitanEmbeddingRequest(request), R"({"inputText":"hi"})");
}

TEST(TitanEmbeddingTest, V1ResponseWithoutEmbeddingsByTypeIsRead) {
  auto decoded = DecodeTitanEmbeddingResponse(R"({"embedding":[1,2.5],"inputTextTokenCount":2})");
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->embedding, (std::vector<float>{1.0f, 2.5f}));
}

TEST(TitanEmbeddingTest, ResponseWithoutEmbeddingIsUpstreamFailure) {
  EXPECT_EQ(DecodeTitanEmbeddingResponse(R"({"inputTextTokenCount":2})").error().code(),
            core::ErrorCode::kUpstreamFailure);
}

TEST(TitanEmbeddingTest, NonNumericEmbeddingIsUpstreamFailure) {
  EXPECT_EQ(DecodeTitanEmbeddingResponse(R"({"embedding":[1,"x"]})").error().code(),
            core::ErrorCode::kUpstreamFailure);
}

TEST(TitanEmbeddingTest, NonJsonResponseIsUpstreamFailure) {
  EXPECT_EQ(DecodeTitanEmbeddingResponse("<html>").error().code(),
            core::ErrorCode::kUpstreamFailure);
}

}  // namespace
}  // namespace bedrock::llm

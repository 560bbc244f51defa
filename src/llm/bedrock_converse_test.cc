#include "llm/bedrock_converse.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "aws/event_stream.h"

namespace bedrock::llm::bedrock_converse {
namespace {

namespace json = boost::json;
using Delta = ContentBlockDeltaEvent;

std::string ReadVector(const std::string& name) {
  std::ifstream in(std::string(BEDROCK_AWS_VECTORS_DIR) + "/eventstream/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

json::value WeatherSchema() {
  return json::parse(
      R"({"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]})");
}

ChatRequest WeatherRequest() {
  ChatRequest request;
  request.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  request.messages.push_back(Message::UserText("Weather in Paris?"));
  request.system.emplace_back(TextBlock{"You are terse."});
  request.inference.max_tokens = 256;
  request.inference.temperature = 0.2;
  request.inference.top_p = 0.9;
  request.inference.stop_sequences = {"\n\nHuman:"};
  request.tools.push_back({"get_weather", "Get current weather for a city", WeatherSchema()});
  request.tool_choice = ToolChoice{};
  request.additional_model_request_fields = json::parse(R"({"top_k":50})");
  return request;
}

// The request the AWS JS SDK sent for the same input (bedrock-protocols.md §2.1).
TEST(ConverseRequestTest, EncodesLikeTheSdk) {
  auto body = EncodeConverseRequest(WeatherRequest());
  ASSERT_TRUE(body.ok()) << body.error();
  json::value expected =
      json::parse(R"({"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]}],
 "system":[{"text":"You are terse."}],
 "inferenceConfig":{"maxTokens":256,"temperature":0.2,"topP":0.9,"stopSequences":["\n\nHuman:"]},
 "toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Get current weather for a city",
     "inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}}}}],
   "toolChoice":{"auto":{}}},
 "additionalModelRequestFields":{"top_k":50}})");
  EXPECT_EQ(json::parse(*body), expected) << *body;
  // Members in model order, as the SDK emits them.
  EXPECT_LT(body->find("\"messages\""), body->find("\"system\""));
  EXPECT_LT(body->find("\"system\""), body->find("\"inferenceConfig\""));
  EXPECT_LT(body->find("\"toolConfig\""), body->find("\"additionalModelRequestFields\""));
}

TEST(ConverseRequestTest, ToolResultTurnEncodesLikeTheSdk) {
  ChatRequest request;
  request.messages.push_back(Message::UserText("Weather in Paris?"));
  request.messages.push_back(
      Message{Role::kAssistant,
              {TextBlock{"Let me look that up."},
               ToolUseBlock{"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "get_weather",
                            json::parse(R"({"city":"Paris","unit":"celsius"})")}}});
  request.messages.push_back(Message{
      Role::kUser,
      {ToolResultBlock{
          "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
          {JsonBlock{json::parse(R"({"tempC":21,"sky":"clear"})")}, TextBlock{"source: emu"}},
          ToolResultStatus::kSuccess}}});
  auto body = ConverseRequestToJson(request);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->at("messages"), json::parse(R"([
  {"role":"user","content":[{"text":"Weather in Paris?"}]},
  {"role":"assistant","content":[{"text":"Let me look that up."},
     {"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"city":"Paris","unit":"celsius"}}}]},
  {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
     "content":[{"json":{"tempC":21,"sky":"clear"}},{"text":"source: emu"}],"status":"success"}}]}])"));
}

TEST(ConverseRequestTest, BytesAreBase64AndCachePointsAndGuardrailAreEncoded) {
  ChatRequest request;
  request.messages.push_back(
      Message{Role::kUser,
              {ImageBlock{"png", std::string("\x89PNG\0\1", 6)},
               DocumentBlock{"pdf", "report", "%PDF-1.7"}, CachePointBlock{}}});
  request.system.emplace_back(TextBlock{"sys"});
  request.system.emplace_back(CachePointBlock{"1h"});
  request.tools.push_back({"t", "", json::parse(R"({"type":"object"})")});
  request.cache_point_after_tools = true;
  request.tool_choice = ToolChoice{ToolChoice::Kind::kTool, "t"};
  request.guardrail = GuardrailConfig{"gr-1", "DRAFT", "enabled", "async"};
  auto body = ConverseRequestToJson(request, /*streaming=*/true);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->at("messages").at(0).at("content"), json::parse(R"([
    {"image":{"format":"png","source":{"bytes":"iVBORwAB"}}},
    {"document":{"format":"pdf","name":"report","source":{"bytes":"JVBERi0xLjc="}}},
    {"cachePoint":{"type":"default"}}])"));
  EXPECT_EQ(body->at("system"),
            json::parse(R"([{"text":"sys"},{"cachePoint":{"type":"default","ttl":"1h"}}])"));
  EXPECT_EQ(body->at("toolConfig"), json::parse(R"({"tools":[
    {"toolSpec":{"name":"t","inputSchema":{"json":{"type":"object"}}}},
    {"cachePoint":{"type":"default"}}],"toolChoice":{"tool":{"name":"t"}}})"));
  EXPECT_EQ(body->at("guardrailConfig"),
            json::parse(R"({"guardrailIdentifier":"gr-1","guardrailVersion":"DRAFT",
                            "trace":"enabled","streamProcessingMode":"async"})"));
  // Converse (not stream) has no streamProcessingMode.
  auto plain = ConverseRequestToJson(request, /*streaming=*/false);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->at("guardrailConfig").as_object().contains("streamProcessingMode"));
}

TEST(ConverseRequestTest, ReasoningBlocksAreSentBackUnchanged) {
  ChatRequest request;
  request.messages.push_back(Message{
      Role::kAssistant,
      {ReasoningBlock{"User greets.", "EqQBCkYIARgCIkD", ""}, ReasoningBlock{"", "", "\x01\x02"}}});
  auto body = ConverseRequestToJson(request);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->at("messages").at(0).at("content"), json::parse(R"([
    {"reasoningContent":{"reasoningText":{"text":"User greets.","signature":"EqQBCkYIARgCIkD"}}},
    {"reasoningContent":{"redactedContent":"AQI="}}])"));
}

TEST(ConverseRequestTest, ToolChoiceNoneSendsNoToolChoice) {
  ChatRequest request = WeatherRequest();
  request.tool_choice = ToolChoice{ToolChoice::Kind::kNone, ""};
  auto body = ConverseRequestToJson(request);
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE(body->at("toolConfig").as_object().contains("toolChoice"));
}

TEST(ConverseRequestTest, NonObjectAdditionalFieldsIsInvalid) {
  ChatRequest request;
  request.additional_model_request_fields = json::array{1};
  EXPECT_EQ(EncodeConverseRequest(request).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ConverseRequestTest, RoundTripsThroughTheEmulatorDecoder) {
  ChatRequest request = WeatherRequest();
  request.model_id.clear();  // not part of the body
  request.messages.push_back(Message{
      Role::kAssistant,
      {ReasoningBlock{"hmm", "sig", ""}, ToolUseBlock{"t1", "get_weather", json::parse("{}")}}});
  request.messages.push_back(
      Message{Role::kUser,
              {ToolResultBlock{"t1",
                               {TextBlock{"sunny"}, ImageBlock{"jpeg", "\xff\xd8"},
                                DocumentBlock{"txt", "notes", "plain"}},
                               ToolResultStatus::kError},
               CachePointBlock{"5m"}}});
  request.system.emplace_back(CachePointBlock{});
  request.cache_point_after_tools = true;
  request.guardrail = GuardrailConfig{"g", "1", "", ""};
  request.additional_model_response_field_paths = {"/stop_sequence"};
  request.request_metadata = {{"user", "u1"}};
  auto body = EncodeConverseRequest(request);
  ASSERT_TRUE(body.ok());
  auto decoded = DecodeConverseRequest(*body);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(*decoded, request);
}

TEST(ConverseRequestTest, DecoderRejectsBadRole) {
  auto decoded = DecodeConverseRequest(R"({"messages":[{"role":"system","content":[]}]})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(decoded.error().message().find("messages.0.role"), std::string::npos);
}

TEST(ConverseRequestTest, DecoderRejectsUnionWithTwoMembers) {
  auto decoded = DecodeConverseRequest(
      R"({"messages":[{"role":"user","content":[{"text":"a","cachePoint":{"type":"default"}}]}]})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("exactly one member"), std::string::npos);
}

TEST(ConverseRequestTest, DecoderRejectsBadBase64) {
  auto decoded = DecodeConverseRequest(
      R"({"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"***"}}}]}]})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("base64"), std::string::npos);
}

TEST(ConverseRequestTest, DecoderRejectsNonJson) {
  EXPECT_EQ(DecodeConverseRequest("{nope").error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ConverseRequestTest, DecoderSkipsUnsupportedBlockKinds) {
  auto decoded = DecodeConverseRequest(
      R"({"messages":[{"role":"user","content":[{"video":{"format":"mp4","source":{"bytes":""}}},{"text":"hi"}]}]})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->messages[0], Message::UserText("hi"));
}

// --- Responses ---

TEST(ConverseResponseTest, DecodesTheVerifiedToolUseResponse) {
  auto response = DecodeConverseResponse(R"({"output":{"message":{"role":"assistant","content":[
    {"text":"Let me look that up."},
    {"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"city":"Paris","unit":"celsius"}}}]}},
 "stopReason":"tool_use",
 "usage":{"inputTokens":25,"outputTokens":12,"totalTokens":37},
 "metrics":{"latencyMs":321}})");
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->message.role, Role::kAssistant);
  EXPECT_EQ(response->message.Text(), "Let me look that up.");
  ASSERT_EQ(response->message.ToolUses().size(), 1u);
  EXPECT_EQ(response->message.ToolUses()[0]->input.at("unit"), "celsius");
  EXPECT_EQ(response->usage, (Usage{25, 12, 37, std::nullopt, std::nullopt}));
  EXPECT_EQ(response->metrics.latency_ms, 321);
}

TEST(ConverseResponseTest, ReasoningCacheUsageAndUnknownStopReason) {
  auto response = DecodeConverseResponse(R"({"output":{"message":{"role":"assistant","content":[
    {"reasoningContent":{"reasoningText":{"text":"User greets.","signature":"EqQB"}}},
    {"reasoningContent":{"redactedContent":"AQI="}},
    {"text":"Hi"}]}},
 "stopReason":"some_future_reason","p":"padding",
 "usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3,"cacheReadInputTokens":4,"cacheWriteInputTokens":5},
 "metrics":{"latencyMs":7},"additionalModelResponseFields":{"stop_sequence":null}})");
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, StopReason::kUnknown);
  EXPECT_EQ(response->stop_reason_text, "some_future_reason");
  EXPECT_EQ(std::get<ReasoningBlock>(response->message.content[0]).signature, "EqQB");
  EXPECT_EQ(std::get<ReasoningBlock>(response->message.content[1]).redacted, "\x01\x02");
  EXPECT_EQ(response->usage.cache_read_input_tokens, 4);
  EXPECT_EQ(response->usage.cache_write_input_tokens, 5);
  EXPECT_TRUE(response->additional_model_response_fields.is_object());
}

TEST(ConverseResponseTest, RoundTrips) {
  ChatResponse response;
  response.message.content = {ReasoningBlock{"r", "s", ""}, TextBlock{"answer"},
                              ToolUseBlock{"id1", "f", json::parse(R"({"x":[1,2]})")},
                              ImageBlock{"png", "\x01"}};
  response.SetStopReason(StopReason::kMaxTokens);
  response.usage = {10, 20, 30, 1, 2};
  response.metrics.latency_ms = 99;
  response.additional_model_response_fields = json::parse(R"({"a":1})");
  auto decoded = DecodeConverseResponse(EncodeConverseResponse(response));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(*decoded, response);
}

TEST(ConverseResponseTest, MissingOutputIsUpstreamFailure) {
  auto response = DecodeConverseResponse(R"({"stopReason":"end_turn"})");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(ConverseResponseTest, NonJsonIsUpstreamFailure) {
  EXPECT_EQ(DecodeConverseResponse("<html>").error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(ConverseResponseTest, WrongTypedUsageIsUpstreamFailure) {
  auto response = DecodeConverseResponse(
      R"({"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn","usage":{"inputTokens":"many"}})");
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message().find("usage.inputTokens"), std::string::npos);
}

// --- Stream events ---

std::vector<StreamEvent> SampleEvents() {
  return {
      MessageStartEvent{},
      Delta{0, Delta::Kind::kText, "Hi"},
      ContentBlockStopEvent{0},
      ContentBlockStartEvent{1, ContentBlockStartEvent::ToolUseStart{"tooluse_1", "get_weather"}},
      Delta{1, Delta::Kind::kToolUseInput, R"({"city":"Paris"})"},
      ContentBlockStopEvent{1},
      MessageStopEvent{StopReason::kToolUse, "tool_use", {}},
      MetadataEvent{Usage{10, 5, 15, std::nullopt, std::nullopt}, Metrics{100}},
  };
}

// converse-stream-sample.bin was written by @smithy/eventstream-codec: our encoder must produce
// the same bytes, and our decoder the same events.
TEST(ConverseStreamTest, EncoderMatchesTheSdkSampleByteForByte) {
  std::string sample = ReadVector("converse-stream-sample.bin");
  ASSERT_FALSE(sample.empty());
  std::string encoded;
  for (const auto& event : SampleEvents()) encoded += EncodeStreamEventFrame(event);
  EXPECT_EQ(encoded, sample);
}

TEST(ConverseStreamTest, DecodesTheSdkSampleSplitAnywhere) {
  std::string sample = ReadVector("converse-stream-sample.bin");
  for (size_t step : {1u, 3u, 17u, 100u, 4096u}) {
    ConverseStreamDecoder decoder;
    std::vector<StreamEvent> events;
    for (size_t i = 0; i < sample.size(); i += step) {
      ASSERT_TRUE(decoder
                      .Feed(std::string_view(sample).substr(i, step),
                            [&](StreamEvent&& e) {
                              events.push_back(std::move(e));
                              return core::OkStatus();
                            })
                      .ok());
    }
    ASSERT_TRUE(decoder.Finish().ok());
    EXPECT_EQ(events, SampleEvents()) << "step " << step;
  }
}

TEST(ConverseStreamTest, ReasoningDeltasRoundTrip) {
  std::vector<StreamEvent> events = {Delta{0, Delta::Kind::kReasoningText, "Thinking"},
                                     Delta{0, Delta::Kind::kReasoningSignature, "EqQB"},
                                     Delta{0, Delta::Kind::kReasoningRedacted, "\x00\x01"}};
  for (const auto& event : events) {
    auto decoded = DecodeStreamEvent(StreamEventType(event), StreamEventPayload(event));
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(decoded->has_value());
    EXPECT_EQ(**decoded, event);
  }
}

TEST(ConverseStreamTest, PaddingMemberIsIgnored) {
  auto decoded = DecodeStreamEvent(
      "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefgh"})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(**decoded, StreamEvent(Delta{0, Delta::Kind::kText, "Hello"}));
}

TEST(ConverseStreamTest, UnknownEventTypeIsSkipped) {
  auto decoded = DecodeStreamEvent("someNewEvent", "{}");
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->has_value());
}

TEST(ConverseStreamTest, UnknownDeltaKindIsSkipped) {
  auto decoded = DecodeStreamEvent("contentBlockDelta",
                                   R"({"contentBlockIndex":0,"delta":{"citation":{"title":"x"}}})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->has_value());
}

TEST(ConverseStreamTest, MalformedKnownEventFails) {
  auto decoded = DecodeStreamEvent("contentBlockDelta", R"({"delta":{"text":"x"}})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(ConverseStreamTest, NegativeIndexFails) {
  EXPECT_FALSE(DecodeStreamEvent("contentBlockStop", R"({"contentBlockIndex":-1})").ok());
}

TEST(ConverseStreamTest, ExceptionFrameBecomesErrorWithItsType) {
  std::string frame = ReadVector("converse-stream-throttling-exception.bin");
  ConverseStreamDecoder decoder;
  auto status = decoder.Feed(frame, [](StreamEvent&&) { return core::OkStatus(); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_NE(status.error().message().find("ThrottlingException"), std::string::npos);
  EXPECT_NE(status.error().message().find("Too many tokens"), std::string::npos);
}

TEST(ConverseStreamTest, ModelStreamErrorKeepsOriginalFields) {
  std::string frame = aws::EncodeException(
      "modelStreamErrorException",
      R"({"message":"boom","originalStatusCode":500,"originalMessage":"upstream"})");
  ConverseStreamDecoder decoder;
  auto status = decoder.Feed(frame, [](StreamEvent&&) { return core::OkStatus(); });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("ModelStreamErrorException: boom"), std::string::npos);
  EXPECT_NE(status.error().message().find("originalStatusCode"), std::string::npos);
}

TEST(ConverseStreamTest, CorruptFrameFailsTheDecoder) {
  std::string sample = ReadVector("converse-stream-sample.bin");
  sample[130] ^= 0x20;  // inside the second frame's headers
  ConverseStreamDecoder decoder;
  int delivered = 0;
  auto status = decoder.Feed(sample, [&](StreamEvent&&) {
    ++delivered;
    return core::OkStatus();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_EQ(delivered, 1);
}

TEST(ConverseStreamTest, TruncatedFrameFailsAtFinish) {
  std::string sample = ReadVector("converse-stream-sample.bin");
  ConverseStreamDecoder decoder;
  ASSERT_TRUE(decoder
                  .Feed(std::string_view(sample).substr(0, sample.size() - 5),
                        [](StreamEvent&&) { return core::OkStatus(); })
                  .ok());
  EXPECT_FALSE(decoder.Finish().ok());
}

}  // namespace
}  // namespace bedrock::llm::bedrock_converse

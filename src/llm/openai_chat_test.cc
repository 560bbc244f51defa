#include "llm/openai_chat.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "llm/model.h"

namespace bedrock::llm::openai_chat {
namespace {

namespace json = boost::json;
using Delta = ContentBlockDeltaEvent;

TEST(OpenAiRequestTest, MapsConversationWithToolsAndResults) {
  ChatRequest request;
  request.model_id = "deepseek-chat";
  request.system.emplace_back(TextBlock{"You are terse."});
  request.messages.push_back(Message::UserText("Weather in Paris?"));
  request.messages.push_back(
      Message{Role::kAssistant,
              {TextBlock{"Looking."},
               ToolUseBlock{"call_1", "get_weather", json::parse(R"({"city":"Paris"})")}}});
  request.messages.push_back(
      Message{Role::kUser,
              {ToolResultBlock{"call_1",
                               {JsonBlock{json::parse(R"({"tempC":21})")}, TextBlock{"ok"}},
                               ToolResultStatus::kSuccess}}});
  request.tools.push_back({"get_weather", "Weather", json::parse(R"({"type":"object"})")});
  request.tool_choice = ToolChoice{ToolChoice::Kind::kAny, ""};
  request.inference.max_tokens = 100;
  request.inference.temperature = 0.5;
  request.inference.stop_sequences = {"END"};
  auto body = RequestToJson(request, /*stream=*/true);
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(*body, json::parse(R"({
    "model":"deepseek-chat",
    "messages":[
      {"role":"system","content":"You are terse."},
      {"role":"user","content":"Weather in Paris?"},
      {"role":"assistant","content":"Looking.","tool_calls":[
        {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"{\"tempC\":21}\nok"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object"}}}],
    "tool_choice":"required",
    "max_tokens":100,"temperature":0.5,"stop":["END"],
    "stream":true,"stream_options":{"include_usage":true}})"));
}

TEST(OpenAiRequestTest, ImagesBecomeDataUrlsAndAssistantWithOnlyToolCallsHasNullContent) {
  ChatRequest request;
  request.messages.push_back(
      Message{Role::kUser, {TextBlock{"What is this?"}, ImageBlock{"png", "\x01\x02"}}});
  request.messages.push_back(Message{Role::kAssistant, {ToolUseBlock{"c", "f", json::object{}}}});
  auto body = RequestToJson(request, false);
  ASSERT_TRUE(body.ok());
  const auto& messages = body->at("messages").as_array();
  EXPECT_EQ(messages[0].at("content"), json::parse(R"([
    {"type":"text","text":"What is this?"},
    {"type":"image_url","image_url":{"url":"data:image/png;base64,AQI="}}])"));
  EXPECT_TRUE(messages[1].at("content").is_null());
  EXPECT_FALSE(body->as_object().contains("stream"));
}

TEST(OpenAiRequestTest, ErrorToolResultIsMarkedAndToolImageFollowsAsUserMessage) {
  ChatRequest request;
  request.messages.push_back(
      Message{Role::kUser,
              {ToolResultBlock{"c1", {TextBlock{"failed"}}, ToolResultStatus::kError},
               ToolResultBlock{"c2", {ImageBlock{"jpeg", "x"}}, ToolResultStatus::kSuccess}}});
  auto body = RequestToJson(request, false);
  ASSERT_TRUE(body.ok());
  const auto& messages = body->at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].at("content"), "Error: failed");
  EXPECT_EQ(messages[1].at("role"), "tool");
  EXPECT_EQ(messages[2].at("role"), "user");
  EXPECT_EQ(messages[2].at("content").at(0).at("type"), "image_url");
}

TEST(OpenAiRequestTest, ToolChoiceForms) {
  ChatRequest request;
  request.tools.push_back({"f", "", json::object{}});
  request.tool_choice = ToolChoice{ToolChoice::Kind::kTool, "f"};
  EXPECT_EQ(RequestToJson(request, false)->at("tool_choice"),
            json::parse(R"({"type":"function","function":{"name":"f"}})"));
  request.tool_choice = ToolChoice{ToolChoice::Kind::kNone, ""};
  EXPECT_EQ(RequestToJson(request, false)->at("tool_choice"), "none");
}

TEST(OpenAiRequestTest, AdditionalFieldsAreMergedLast) {
  ChatRequest request;
  request.inference.max_tokens = 10;
  request.additional_model_request_fields = json::parse(R"({"max_tokens":20,"top_k":5})");
  auto body = RequestToJson(request, false);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->at("max_tokens"), 20);
  EXPECT_EQ(body->at("top_k"), 5);
}

TEST(OpenAiResponseTest, MapsToolCallsReasoningAndUsage) {
  auto response = DecodeResponse(R"({"id":"x","object":"chat.completion","choices":[{"index":0,
    "message":{"role":"assistant","content":"Checking.","reasoning_content":"Think.",
      "tool_calls":[{"id":"call_9","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
    "finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3}}})");
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->stop_reason_text, "tool_use");
  ASSERT_EQ(response->message.content.size(), 3u);
  EXPECT_EQ(std::get<ReasoningBlock>(response->message.content[0]).text, "Think.");
  EXPECT_EQ(response->message.Text(), "Checking.");
  EXPECT_EQ(response->message.ToolUses().at(0)->input, json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(response->usage, (Usage{11, 7, 18, 3, std::nullopt}));
}

TEST(OpenAiResponseTest, FinishReasonsMap) {
  EXPECT_EQ(StopReasonFromFinishReason("stop"), StopReason::kEndTurn);
  EXPECT_EQ(StopReasonFromFinishReason("length"), StopReason::kMaxTokens);
  EXPECT_EQ(StopReasonFromFinishReason("tool_calls"), StopReason::kToolUse);
  EXPECT_EQ(StopReasonFromFinishReason("content_filter"), StopReason::kContentFiltered);
  EXPECT_EQ(StopReasonFromFinishReason("insufficient_system_resource"), StopReason::kUnknown);
}

TEST(OpenAiResponseTest, UnknownFinishReasonIsPreserved) {
  auto response = DecodeResponse(
      R"({"choices":[{"message":{"role":"assistant","content":"x"},"finish_reason":"weird"}]})");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->stop_reason, StopReason::kUnknown);
  EXPECT_EQ(response->stop_reason_text, "weird");
}

TEST(OpenAiResponseTest, InvalidToolArgumentsFail) {
  auto response = DecodeResponse(R"({"choices":[{"message":{"role":"assistant","tool_calls":[
    {"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]},"finish_reason":"tool_calls"}]})");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(OpenAiResponseTest, NoChoicesFails) { EXPECT_FALSE(DecodeResponse(R"({"choices":[]})").ok()); }

TEST(OpenAiErrorTest, KeepsTypeAndMessage) {
  core::Error e = DecodeError(
      429,
      R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})");
  EXPECT_EQ(e.code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(e.message(), "HTTP 429 rate_limit_exceeded: Rate limit reached");
  core::Error plain = DecodeError(502, "<html>bad gateway</html>");
  EXPECT_EQ(plain.code(), core::ErrorCode::kUnavailable);
  EXPECT_EQ(plain.message(), "HTTP 502: <html>bad gateway</html>");
}

std::vector<StreamEvent> Map(const std::vector<std::string>& chunks, bool end = true,
                             core::Status* status = nullptr) {
  StreamMapper mapper;
  std::vector<StreamEvent> out;
  for (const auto& chunk : chunks) {
    auto s = mapper.OnData(chunk, out);
    if (!s.ok()) {
      if (status) *status = s;
      return out;
    }
  }
  if (end) {
    auto s = mapper.OnEnd(out);
    if (status) *status = s;
  }
  return out;
}

TEST(OpenAiStreamTest, TextStreamWithUsage) {
  core::Status status;
  auto events =
      Map({R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]})",
           R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
           R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})",
           "[DONE]"},
          true, &status);
  ASSERT_TRUE(status.ok()) << status.error();
  std::vector<StreamEvent> expected = {
      MessageStartEvent{},
      Delta{0, Delta::Kind::kText, "Hel"},
      Delta{0, Delta::Kind::kText, "lo"},
      ContentBlockStopEvent{0},
      MessageStopEvent{StopReason::kEndTurn, "end_turn", {}},
      MetadataEvent{Usage{5, 2, 7, std::nullopt, std::nullopt}, Metrics{0}},
  };
  EXPECT_EQ(events, expected);
}

TEST(OpenAiStreamTest, ParallelToolCallDeltasAreAssembledByIndex) {
  auto events = Map(
      {R"({"choices":[{"delta":{"reasoning_content":"Need both."}}]})",
       R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}}]})",
       R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{\"y\":"}}]}}]})",
       R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]}}]})",
       R"({"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]}}]})",
       R"({"choices":[{"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})",
       "[DONE]"});
  StreamAssembler assembler;
  for (const auto& e : events) ASSERT_TRUE(assembler.Add(e).ok());
  auto response = assembler.Finish();
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  ASSERT_EQ(response->message.content.size(), 3u);
  EXPECT_EQ(std::get<ReasoningBlock>(response->message.content[0]).text, "Need both.");
  auto uses = response->message.ToolUses();
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0]->id, "call_a");
  EXPECT_EQ(uses[0]->input, json::parse(R"({"x":1})"));
  EXPECT_EQ(uses[1]->name, "g");
  EXPECT_EQ(uses[1]->input, json::parse(R"({"y":2})"));
  EXPECT_EQ(response->usage.total_tokens, 2);
}

TEST(OpenAiStreamTest, ReasoningThenTextAreSeparateBlocks) {
  auto events =
      Map({R"({"choices":[{"delta":{"reasoning_content":"Hmm"}}]})",
           R"({"choices":[{"delta":{"content":"Hi"},"finish_reason":"stop"}]})", "[DONE]"});
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events[1], StreamEvent(Delta{0, Delta::Kind::kReasoningText, "Hmm"}));
  EXPECT_EQ(events[2], StreamEvent(ContentBlockStopEvent{0}));
  EXPECT_EQ(events[3], StreamEvent(Delta{1, Delta::Kind::kText, "Hi"}));
}

TEST(OpenAiStreamTest, EndWithoutFinishReasonFails) {
  core::Status status;
  Map({R"({"choices":[{"delta":{"content":"Hel"}}]})"}, true, &status);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(OpenAiStreamTest, ErrorPayloadFailsTheStream) {
  core::Status status;
  Map({R"({"error":{"message":"overloaded","type":"server_error"}})"}, false, &status);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("overloaded"), std::string::npos);
}

TEST(OpenAiStreamTest, NonJsonChunkFails) {
  core::Status status;
  Map({"not json"}, false, &status);
  EXPECT_FALSE(status.ok());
}

TEST(OpenAiStreamTest, ToolCallWithoutNameFails) {
  core::Status status;
  Map({R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]})"},
      false, &status);
  EXPECT_FALSE(status.ok());
}

// --- Server side (emulator) ---

TEST(OpenAiServerTest, RequestRoundTripsThroughTheServerDecoder) {
  ChatRequest request;
  request.model_id = "m";
  request.system.emplace_back(TextBlock{"sys"});
  request.messages.push_back(
      Message{Role::kUser, {TextBlock{"look"}, ImageBlock{"png", "\x01\x02"}}});
  request.messages.push_back(Message{
      Role::kAssistant, {TextBlock{"ok"}, ToolUseBlock{"c1", "f", json::parse(R"({"a":1})")}}});
  request.messages.push_back(
      Message{Role::kUser,
              {ToolResultBlock{"c1", {TextBlock{"done"}}, ToolResultStatus::kUnspecified},
               TextBlock{"thanks"}}});
  request.tools.push_back({"f", "does f", json::parse(R"({"type":"object"})")});
  request.tool_choice = ToolChoice{ToolChoice::Kind::kTool, "f"};
  request.inference.max_tokens = 9;
  request.inference.temperature = 0.25;
  request.inference.stop_sequences = {"x"};
  auto body = EncodeRequest(request, /*stream=*/true);
  ASSERT_TRUE(body.ok());
  auto decoded = DecodeRequest(*body);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_TRUE(decoded->stream);
  EXPECT_TRUE(decoded->include_usage);
  EXPECT_EQ(decoded->request, request);
}

TEST(OpenAiServerTest, RemoteImageUrlIsRejected) {
  auto decoded = DecodeRequest(R"({"model":"m","messages":[{"role":"user","content":[
    {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(decoded.error().message().find("messages[0].content[0]"), std::string::npos);
}

TEST(OpenAiServerTest, MissingMessagesIsInvalid) {
  EXPECT_EQ(DecodeRequest(R"({"model":"m"})").error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(OpenAiServerTest, UnknownRoleIsInvalid) {
  EXPECT_FALSE(DecodeRequest(R"({"messages":[{"role":"narrator","content":"x"}]})").ok());
}

TEST(OpenAiServerTest, ResponseRoundTrips) {
  ChatResponse response;
  response.message.content = {ReasoningBlock{"think", "", ""}, TextBlock{"hello"},
                              ToolUseBlock{"c", "f", json::parse(R"({"x":true})")}};
  response.SetStopReason(StopReason::kToolUse);
  response.usage = {1, 2, 3, std::nullopt, std::nullopt};
  auto decoded = DecodeResponse(EncodeResponse(response, "id1", "m", 1700000000));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(*decoded, response);
}

TEST(OpenAiServerTest, StreamChunksMapBackToTheSameEvents) {
  std::vector<StreamEvent> events = {
      MessageStartEvent{},
      Delta{0, Delta::Kind::kReasoningText, "hmm"},
      ContentBlockStopEvent{0},
      Delta{1, Delta::Kind::kText, "Hello"},
      ContentBlockStopEvent{1},
      ContentBlockStartEvent{2, ContentBlockStartEvent::ToolUseStart{"c1", "f"}},
      Delta{2, Delta::Kind::kToolUseInput, "{\"a\":"},
      Delta{2, Delta::Kind::kToolUseInput, "1}"},
      ContentBlockStopEvent{2},
      MessageStopEvent{StopReason::kToolUse, "tool_use", {}},
      MetadataEvent{Usage{4, 5, 9, std::nullopt, std::nullopt}, Metrics{0}},
  };
  StreamChunkEncoder encoder("id", "m", 1, /*include_usage=*/true);
  StreamMapper mapper;
  std::vector<StreamEvent> mapped;
  for (const auto& event : events) {
    for (const auto& chunk : encoder.Encode(event)) ASSERT_TRUE(mapper.OnData(chunk, mapped).ok());
  }
  ASSERT_TRUE(mapper.OnData("[DONE]", mapped).ok());
  EXPECT_EQ(mapped, events);
}

}  // namespace
}  // namespace bedrock::llm::openai_chat

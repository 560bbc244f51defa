#include "llm/bedrock_claude.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace bedrock::llm::claude_messages {
namespace {

namespace json = boost::json;
using Delta = ContentBlockDeltaEvent;

ChatRequest BaseRequest() {
  ChatRequest request;
  request.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  request.messages.push_back(Message::UserText("hi"));
  return request;
}

json::value Encoded(const ChatRequest& request) {
  auto body = EncodeRequest(request);
  EXPECT_TRUE(body.ok()) << body.error();
  return body.ok() ? json::parse(*body) : json::value();
}

// Maps `events` and returns what came out, or the first error.
core::Result<std::vector<StreamEvent>> MapAll(StreamMapper& mapper,
                                              const std::vector<std::string>& events) {
  std::vector<StreamEvent> out;
  for (const auto& e : events) {
    BEDROCK_TRY(mapper.Map(e, [&](StreamEvent&& event) {
      out.push_back(std::move(event));
      return core::OkStatus();
    }));
  }
  return out;
}

TEST(ClaudeEncodeTest, DefaultsMaxTokensAndVersion) {
  EXPECT_EQ(Encoded(BaseRequest()), json::parse(R"({
      "anthropic_version":"bedrock-2023-05-31","max_tokens":4096,
      "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})"));
}

TEST(ClaudeEncodeTest, ToolsChoiceInferenceAndAdditionalFieldsMap) {
  ChatRequest request = BaseRequest();
  request.tools.push_back(
      {"get_weather", "Weather for a city", json::parse(R"({"type":"object"})")});
  request.cache_point_after_tools = true;
  request.tool_choice = ToolChoice{ToolChoice::Kind::kTool, "get_weather"};
  request.inference.temperature = 0.5;
  request.inference.top_p = 0.9;
  request.inference.stop_sequences = {"STOP"};
  request.additional_model_request_fields =
      json::parse(R"({"thinking":{"type":"enabled","budget_tokens":1024},"top_k":50})");
  EXPECT_EQ(Encoded(request), json::parse(R"({
      "anthropic_version":"bedrock-2023-05-31","max_tokens":4096,
      "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],
      "temperature":0.5,"top_p":0.9,"stop_sequences":["STOP"],
      "tools":[{"name":"get_weather","description":"Weather for a city",
                "input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
      "tool_choice":{"type":"tool","name":"get_weather"},
      "thinking":{"type":"enabled","budget_tokens":1024},"top_k":50})"));
}

TEST(ClaudeEncodeTest, ToolTurnReasoningAndCachePointsMap) {
  ChatRequest request = BaseRequest();
  request.system = {TextBlock{"Be terse."}, CachePointBlock{"1h"}};
  Message assistant{Role::kAssistant, {}};
  assistant.content.push_back(ReasoningBlock{"think", "sig", ""});
  assistant.content.push_back(ReasoningBlock{"", "", "opaque"});
  assistant.content.push_back(ToolUseBlock{"toolu_1", "get_weather", json::parse(R"({"c":1})")});
  request.messages.push_back(assistant);
  Message user{Role::kUser, {}};
  user.content.push_back(ToolResultBlock{"toolu_1",
                                         {JsonBlock{json::parse(R"({"t":21})")}, TextBlock{"ok"}},
                                         ToolResultStatus::kError});
  user.content.push_back(CachePointBlock{});
  request.messages.push_back(user);
  EXPECT_EQ(Encoded(request), json::parse(R"({
      "anthropic_version":"bedrock-2023-05-31","max_tokens":4096,
      "system":[{"type":"text","text":"Be terse.","cache_control":{"type":"ephemeral","ttl":"1h"}}],
      "messages":[
        {"role":"user","content":[{"type":"text","text":"hi"}]},
        {"role":"assistant","content":[
          {"type":"thinking","thinking":"think","signature":"sig"},
          {"type":"redacted_thinking","data":"opaque"},
          {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"c":1}}]},
        {"role":"user","content":[
          {"type":"tool_result","tool_use_id":"toolu_1",
           "content":[{"type":"text","text":"{\"t\":21}"},{"type":"text","text":"ok"}],
           "is_error":true,"cache_control":{"type":"ephemeral"}}]}]})"));
}

TEST(ClaudeEncodeTest, ImagesAndPdfsAreBase64TextDocumentsArePlain) {
  ChatRequest request = BaseRequest();
  request.messages[0].content.push_back(ImageBlock{"png", "\x89PNG"});
  request.messages[0].content.push_back(DocumentBlock{"pdf", "report", "%PDF"});
  request.messages[0].content.push_back(DocumentBlock{"md", "notes", "# hi"});
  json::value body = Encoded(request);
  const auto& content = body.at("messages").at(0).at("content").as_array();
  ASSERT_EQ(content.size(), 4u);
  EXPECT_EQ(content[1], json::parse(R"({"type":"image","source":{"type":"base64",
                                      "media_type":"image/png","data":"iVBORw=="}})"));
  EXPECT_EQ(content[2], json::parse(R"({"type":"document","source":{"type":"base64",
                                      "media_type":"application/pdf","data":"JVBERg=="},
                                      "title":"report"})"));
  EXPECT_EQ(content[3], json::parse(R"({"type":"document","source":{"type":"text",
                                      "media_type":"text/plain","data":"# hi"},"title":"notes"})"));
}

TEST(ClaudeEncodeTest, DocxDocumentIsInvalidArgument) {
  ChatRequest request = BaseRequest();
  request.messages[0].content.push_back(DocumentBlock{"docx", "d", "x"});
  EXPECT_EQ(EncodeRequest(request).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ClaudeEncodeTest, NoMessagesIsInvalidArgument) {
  ChatRequest request;
  EXPECT_EQ(EncodeRequest(request).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ClaudeEncodeTest, NonObjectAdditionalFieldsIsInvalidArgument) {
  ChatRequest request = BaseRequest();
  request.additional_model_request_fields = json::array{1};
  EXPECT_EQ(EncodeRequest(request).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ClaudeDecodeTest, RedactedThinkingAndUnknownBlocksAndStopReasons) {
  auto response = DecodeResponse(R"({"content":[
      {"type":"redacted_thinking","data":"opaque"},{"type":"server_tool_use","id":"x"},
      {"type":"text","text":"hi"}],"stop_reason":"refusal","usage":{"input_tokens":1,
      "output_tokens":2,"cache_creation_input_tokens":3}})");
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response->message.content.size(), 2u);
  EXPECT_TRUE(std::get<ReasoningBlock>(response->message.content[0]).is_redacted());
  EXPECT_EQ(response->stop_reason, StopReason::kUnknown);
  EXPECT_EQ(response->stop_reason_text, "refusal");
  EXPECT_EQ(response->usage, (Usage{1, 2, 3, std::nullopt, 3}));
}

TEST(ClaudeDecodeTest, ResponseWithoutContentIsUpstreamFailure) {
  EXPECT_EQ(DecodeResponse(R"({"type":"message"})").error().code(),
            core::ErrorCode::kUpstreamFailure);
}

TEST(ClaudeDecodeTest, ToolUseWithoutIdIsUpstreamFailure) {
  EXPECT_EQ(DecodeResponse(R"({"content":[{"type":"tool_use","name":"x"}]})").error().code(),
            core::ErrorCode::kUpstreamFailure);
}

TEST(ClaudeStreamTest, TextStartWithInitialTextAndStopWithoutDeltaStillStops) {
  StreamMapper mapper;
  auto events = MapAll(
      mapper,
      {R"({"type":"message_start","message":{"usage":{"input_tokens":3}}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}})",
       R"({"type":"content_block_stop","index":0})", R"({"type":"message_stop"})"});
  ASSERT_TRUE(events.ok()) << events.error();
  EXPECT_TRUE(mapper.finished());
  ASSERT_EQ(events->size(), 5u);
  EXPECT_EQ(std::get<Delta>((*events)[1]), (Delta{0, Delta::Kind::kText, "Hi"}));
  EXPECT_EQ(std::get<MessageStopEvent>((*events)[3]).stop_reason, StopReason::kEndTurn);
  EXPECT_EQ(std::get<MetadataEvent>((*events)[4]).usage.input_tokens, 3);
}

TEST(ClaudeStreamTest, UnknownBlockTypesAndTheirDeltasAreSkipped) {
  StreamMapper mapper;
  auto events = MapAll(
      mapper,
      {R"({"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"s"}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}})",
       R"({"type":"content_block_stop","index":0})", R"({"type":"some_future_event"})"});
  ASSERT_TRUE(events.ok()) << events.error();
  EXPECT_TRUE(events->empty());
  EXPECT_FALSE(mapper.finished());
}

TEST(ClaudeStreamTest, DeltaWithoutIndexIsUpstreamFailure) {
  StreamMapper mapper;
  auto events = MapAll(
      mapper, {R"({"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}})"});
  EXPECT_EQ(events.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(ClaudeStreamTest, TextDeltaWithoutTextIsUpstreamFailure) {
  StreamMapper mapper;
  auto events =
      MapAll(mapper, {R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}})"});
  EXPECT_EQ(events.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(ClaudeStreamTest, NonJsonChunkIsUpstreamFailure) {
  StreamMapper mapper;
  EXPECT_EQ(MapAll(mapper, {"not json"}).error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(ClaudeStreamTest, SecondMessageStopIsUpstreamFailure) {
  StreamMapper mapper;
  auto events = MapAll(mapper, {R"({"type":"message_stop"})", R"({"type":"message_stop"})"});
  EXPECT_EQ(events.error().code(), core::ErrorCode::kUpstreamFailure);
}

}  // namespace
}  // namespace bedrock::llm::claude_messages

#include "emulator/invoke_codecs.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "emulator/validation.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

std::string ClaudeError(std::string_view body) {
  auto request = claude::DecodeRequest(body);
  EXPECT_FALSE(request.ok());
  return request.ok() ? "" : request.error().message();
}

TEST(ClaudeDecodeTest, ParsesAMessagesBody) {
  auto request = claude::DecodeRequest(R"({
    "anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "system": "terse",
    "messages": [
      {"role": "user", "content": "weather?"},
      {"role": "assistant", "content": [{"type": "text", "text": "checking"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
        "content": [{"type": "text", "text": "21C"}], "is_error": false}]}],
    "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "tool", "name": "get_weather"},
    "temperature": 0.5, "stop_sequences": ["END"],
    "thinking": {"type": "enabled", "budget_tokens": 1024}})");
  ASSERT_TRUE(request.ok()) << request.error();
  EXPECT_EQ(request->inference.max_tokens, 100);
  ASSERT_EQ(request->messages.size(), 3u);
  EXPECT_EQ(request->messages[1].ToolUses().at(0)->input, json::parse(R"({"city":"Paris"})"));
  const auto& result = std::get<llm::ToolResultBlock>(request->messages[2].content[0]);
  EXPECT_EQ(result.tool_use_id, "toolu_1");
  EXPECT_EQ(request->tools.at(0).name, "get_weather");
  EXPECT_EQ(request->tool_choice->name, "get_weather");
  EXPECT_EQ(request->inference.stop_sequences, std::vector<std::string>{"END"});
  EXPECT_TRUE(request->additional_model_request_fields.as_object().contains("thinking"));
}

TEST(ClaudeDecodeTest, MissingAnthropicVersionIsMalformed) {
  EXPECT_EQ(ClaudeError(R"({"max_tokens": 1, "messages": [{"role":"user","content":"x"}]})"),
            "Malformed input request: #: required key [anthropic_version] not found, please "
            "reformat your input and try again.");
}

TEST(ClaudeDecodeTest, MissingMaxTokensIsMalformed) {
  EXPECT_NE(ClaudeError(R"({"anthropic_version": "bedrock-2023-05-31", "messages": []})")
                .find("required key [max_tokens] not found"),
            std::string::npos);
}

TEST(ClaudeDecodeTest, ExtraneousKeyIsMalformed) {
  EXPECT_NE(ClaudeError(R"({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1,
                             "messages": [{"role":"user","content":"x"}], "foo": 1})")
                .find("extraneous key [foo] is not permitted"),
            std::string::npos);
}

TEST(ClaudeDecodeTest, WrongTypeIsMalformed) {
  EXPECT_NE(ClaudeError(R"({"anthropic_version": "bedrock-2023-05-31", "max_tokens": "9",
                             "messages": [{"role":"user","content":"x"}]})")
                .find("#/max_tokens: expected type: Integer, found: String"),
            std::string::npos);
}

TEST(ClaudeDecodeTest, UnknownBlockTypeIsMalformed) {
  EXPECT_NE(ClaudeError(R"({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1,
                             "messages": [{"role":"user","content":[{"type":"hologram"}]}]})")
                .find("hologram is not a valid enum value"),
            std::string::npos);
}

TEST(ClaudeEncodeTest, ResponseAndStreamEvents) {
  llm::ChatResponse response;
  response.message.content.emplace_back(llm::TextBlock{"Hello there, friend"});
  response.message.content.emplace_back(
      llm::ToolUseBlock{"tooluse_abc", "get_weather", json::parse(R"({"city":"Paris"})")});
  response.SetStopReason(llm::StopReason::kToolUse);
  response.usage = {12, 7, 19, {}, {}};
  json::value body = json::parse(claude::EncodeResponse(response, "claude-3-haiku-20240307"));
  EXPECT_EQ(body.at("type"), "message");
  EXPECT_EQ(body.at("stop_reason"), "tool_use");
  EXPECT_EQ(body.at("content").at(1).at("id"), "toolu_bdrk_abc");
  EXPECT_EQ(body.at("usage").at("output_tokens"), 7);
  EXPECT_TRUE(body.at("id").as_string().starts_with("msg_bdrk_"));

  auto events = claude::StreamEvents(response, "claude-3-haiku-20240307", 6);
  std::vector<std::string> types;
  std::string text, input;
  for (const auto& e : events) {
    json::value v = json::parse(e);
    types.emplace_back(v.at("type").as_string());
    if (v.at("type") == "content_block_delta") {
      const auto& d = v.at("delta");
      if (d.at("type") == "text_delta") text += d.at("text").as_string();
      if (d.at("type") == "input_json_delta") input += d.at("partial_json").as_string();
    }
  }
  EXPECT_EQ(types.front(), "message_start");
  EXPECT_EQ(types.back(), "message_stop");
  EXPECT_EQ(text, "Hello there, friend");
  EXPECT_EQ(json::parse(input), json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(
      json::parse(events.back()).at("amazon-bedrock-invocationMetrics").at("outputTokenCount"), 7);
}

TEST(ClaudeModelNameTest, StripsProviderAndVersion) {
  EXPECT_EQ(claude::ModelName("anthropic.claude-3-haiku-20240307-v1:0"), "claude-3-haiku-20240307");
  EXPECT_EQ(claude::ModelName("us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            "claude-3-7-sonnet-20250219");
}

TEST(TitanTest, DecodesV2AndEncodesEmbeddings) {
  auto request = titan::DecodeRequest(
      R"({"inputText":"hello world","dimensions":256,"normalize":true,"embeddingTypes":["float","binary"]})",
      true);
  ASSERT_TRUE(request.ok()) << request.error();
  int64_t tokens = 0;
  json::value body = json::parse(titan::EncodeResponse(*request, &tokens));
  EXPECT_EQ(body.at("embedding").as_array().size(), 256u);
  EXPECT_EQ(body.at("embeddingsByType").at("binary").as_array().size(), 256u);
  EXPECT_EQ(body.at("inputTextTokenCount"), tokens);
  EXPECT_GT(tokens, 0);
}

TEST(TitanTest, DefaultDimensionsAre1024) {
  auto request = titan::DecodeRequest(R"({"inputText":"x"})", true);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(json::parse(titan::EncodeResponse(*request)).at("embedding").as_array().size(), 1024u);
}

TEST(TitanTest, BadDimensionsAreMalformed) {
  auto request = titan::DecodeRequest(R"({"inputText":"x","dimensions":300})", true);
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.error().message().find("#/dimensions: 300 is not a valid enum value"),
            std::string::npos);
}

TEST(TitanTest, MissingInputTextIsMalformed) {
  EXPECT_FALSE(titan::DecodeRequest(R"({"dimensions":256})", true).ok());
  EXPECT_FALSE(titan::DecodeRequest(R"({"inputText":""})", true).ok());
}

TEST(TitanTest, V1RefusesV2Parameters) {
  EXPECT_FALSE(titan::DecodeRequest(R"({"inputText":"x","dimensions":256})", false).ok());
  EXPECT_FALSE(
      json::parse(titan::EncodeResponse(*titan::DecodeRequest(R"({"inputText":"x"})", false)))
          .as_object()
          .contains("embeddingsByType"));
}

llm::ChatRequest Conversation(std::vector<llm::Message> messages) {
  llm::ChatRequest request;
  request.messages = std::move(messages);
  return request;
}

TEST(ValidateConverseTest, AcceptsAPlainConversation) {
  EXPECT_FALSE(ValidateConverseRequest(Conversation({llm::Message::UserText("hi")})));
}

TEST(ValidateConverseTest, MustStartWithUser) {
  EXPECT_NE(ValidateConverseRequest(Conversation({llm::Message::AssistantText("hi")}))
                ->find("must start with a user message"),
            std::string::npos);
  EXPECT_TRUE(ValidateConverseRequest(Conversation({})));
}

TEST(ValidateConverseTest, RolesMustAlternate) {
  EXPECT_NE(ValidateConverseRequest(
                Conversation({llm::Message::UserText("a"), llm::Message::UserText("b")}))
                ->find("must alternate"),
            std::string::npos);
}

TEST(ValidateConverseTest, BlankTextNamesTheBlock) {
  EXPECT_EQ(*ValidateConverseRequest(
                Conversation({llm::Message::UserText("a"), llm::Message::AssistantText(" ")})),
            "The text field in the ContentBlock object at messages.1.content.0 is blank. Add text "
            "to the text field, and try again.");
}

TEST(ValidateConverseTest, ToolBlocksNeedToolConfig) {
  llm::Message assistant{llm::Role::kAssistant, {}};
  assistant.content.emplace_back(llm::ToolUseBlock{"t1", "x", json::object{}});
  EXPECT_NE(ValidateConverseRequest(Conversation({llm::Message::UserText("a"), assistant}))
                ->find("toolConfig field must be defined"),
            std::string::npos);
}

TEST(ValidateConverseTest, ToolUsesMustBeAnswered) {
  llm::ChatRequest request;
  request.tools.push_back({"x", "", json::object{}});
  llm::Message assistant{llm::Role::kAssistant, {}};
  assistant.content.emplace_back(llm::ToolUseBlock{"t1", "x", json::object{}});
  assistant.content.emplace_back(llm::ToolUseBlock{"t2", "x", json::object{}});
  llm::Message user{llm::Role::kUser, {}};
  user.content.emplace_back(llm::ToolResultBlock{"t1", {llm::TextBlock{"ok"}}, {}});
  request.messages = {llm::Message::UserText("a"), assistant, user};
  EXPECT_EQ(*ValidateConverseRequest(request),
            "Expected toolResult blocks at messages.2.content for the following Ids: t2");
  std::get<llm::ToolResultBlock>(request.messages[2].content[0]).tool_use_id = "t9";
  EXPECT_NE(ValidateConverseRequest(request)->find("exceeds the number of toolUse blocks"),
            std::string::npos);
}

TEST(ValidateConverseTest, ToolNamesMustMatchThePattern) {
  llm::ChatRequest request = Conversation({llm::Message::UserText("a")});
  request.tools.push_back({"bad name", "", json::object{}});
  EXPECT_NE(ValidateConverseRequest(request)->find("'toolConfig.tools.1.member.toolSpec.name'"),
            std::string::npos);
}

TEST(ValidateConverseTest, TemperatureAboveOneIsRejected) {
  llm::ChatRequest request = Conversation({llm::Message::UserText("a")});
  request.inference.temperature = 1.5;
  EXPECT_NE(ValidateConverseRequest(request)->find("inferenceConfig.temperature"),
            std::string::npos);
}

}  // namespace
}  // namespace bedrock::emulator

#include "gateway/chat_request.h"

#include <gtest/gtest.h>

#include "core/base64.h"

namespace bedrock::gateway {
namespace {

ChatCompletionRequest Parse(std::string_view body) {
  auto parsed = ParseChatRequest(body, ChatDefaults());
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message());
  return parsed.ok() ? std::move(*parsed) : ChatCompletionRequest();
}

core::Error ParseError(std::string_view body, ChatDefaults defaults = ChatDefaults()) {
  auto parsed = ParseChatRequest(body, defaults);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? core::Error::Internal("parsed") : parsed.error();
}

TEST(ChatRequestTest, DemoUiRequestIsParsedWithEveryField) {
  auto request = Parse(
      R"({"messages":[{"role":"system","content":"You are a helpful assistant."},
                      {"role":"user","content":"list files"}],
          "model":"us.amazon.nova-pro-v1:0","mcp_server_ids":["local_fs"],
          "extra_params":{"only_n_most_recent_images":1,"budget_tokens":8192,
                          "enable_thinking":false},
          "stream":true,"temperature":0.7,"max_tokens":4000,"keep_session":true})");
  EXPECT_EQ(request.model, "us.amazon.nova-pro-v1:0");
  ASSERT_EQ(request.system.size(), 1u);
  EXPECT_EQ(std::get<llm::TextBlock>(request.system[0]).text, "You are a helpful assistant.");
  ASSERT_EQ(request.messages.size(), 1u);
  EXPECT_EQ(request.messages[0].role, llm::Role::kUser);
  EXPECT_EQ(request.messages[0].Text(), "list files");
  EXPECT_EQ(request.mcp_server_ids, std::vector<std::string>{"local_fs"});
  EXPECT_EQ(request.only_n_most_recent_images, 1u);
  EXPECT_EQ(request.budget_tokens, 8192);
  EXPECT_FALSE(request.enable_thinking);
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.keep_session);
  EXPECT_DOUBLE_EQ(request.temperature, 0.7);
  EXPECT_EQ(request.max_tokens, 4000);
  EXPECT_FALSE(request.top_p.has_value());
}

TEST(ChatRequestTest, DefaultsAreTheDemos) {
  auto request = Parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(request.max_tokens, 4000);
  EXPECT_DOUBLE_EQ(request.temperature, 0.5);
  EXPECT_EQ(request.budget_tokens, 1024);
  EXPECT_EQ(request.only_n_most_recent_images, 3u);
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.keep_session);
  EXPECT_TRUE(request.mcp_server_ids.empty());
  EXPECT_EQ(request.conversation_id, "");
}

TEST(ChatRequestTest, OpenAiFieldsAreRead) {
  auto request = Parse(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"top_p":0.5,
          "stop":"END","max_completion_tokens":77,"stream":true,
          "stream_options":{"include_usage":true},"n":1,"user":"ignored",
          "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"})");
  EXPECT_EQ(request.top_p, 0.5);
  EXPECT_EQ(request.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(request.max_tokens, 77);
  EXPECT_TRUE(request.include_usage);
}

TEST(ChatRequestTest, StopMayBeAList) {
  auto request = Parse(R"({"model":"m","messages":[],"stop":["a","b"]})");
  EXPECT_EQ(request.stop, (std::vector<std::string>{"a", "b"}));
}

TEST(ChatRequestTest, EmptyMessagesAreFlagged) {
  auto request = Parse(R"({"model":"m","messages":[]})");
  EXPECT_TRUE(request.messages_empty);
  EXPECT_TRUE(request.messages.empty());
}

TEST(ChatRequestTest, LeadingAssistantMessageIsDropped) {
  auto request = Parse(
      R"({"model":"m","messages":[{"role":"assistant","content":"Hello!"},
          {"role":"user","content":"hi"},{"role":"assistant","content":"yo"},
          {"role":"user","content":"again"}]})");
  ASSERT_EQ(request.messages.size(), 3u);
  EXPECT_EQ(request.messages[0].role, llm::Role::kUser);
  EXPECT_EQ(request.messages[1].role, llm::Role::kAssistant);
}

TEST(ChatRequestTest, ExtraMessageKeysOfTheDemoUiAreIgnored) {
  auto request = Parse(
      R"({"model":"m","messages":[{"role":"user","content":"hi","thinking":"x",
          "toolUse":[],"toolInput":"{}"}]})");
  ASSERT_EQ(request.messages.size(), 1u);
}

TEST(ChatRequestTest, TextPartsAreKeptInOrder) {
  auto request = Parse(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},
          {"type":"text","text":"b"}]}]})");
  ASSERT_EQ(request.messages[0].content.size(), 2u);
  EXPECT_EQ(request.messages[0].Text(), "ab");
}

TEST(ChatRequestTest, ImageDataUriBecomesAnImageBlock) {
  std::string png = "\x89PNG\r\n\x1a\nrest";
  std::string body = R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"data:image/png;base64,)" +
                     core::Base64Encode(png) + R"(","detail":"auto"}}]}]})";
  auto request = Parse(body);
  ASSERT_EQ(request.messages.size(), 1u);
  const auto& image = std::get<llm::ImageBlock>(request.messages[0].content[0]);
  EXPECT_EQ(image.format, "png");
  EXPECT_EQ(image.bytes, png);
}

TEST(ChatRequestTest, JpgMimeIsJpeg) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"data:image/jpg;base64,AAAA"}}]}]})";
  auto request = Parse(body);
  EXPECT_EQ(std::get<llm::ImageBlock>(request.messages[0].content[0]).format, "jpeg");
}

TEST(ChatRequestTest, RemoteImageUrlIsDroppedAsInTheDemo) {
  auto request = Parse(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"see"},
          {"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]})");
  ASSERT_EQ(request.messages[0].content.size(), 1u);
}

TEST(ChatRequestTest, UnsupportedImageTypeIsRefused) {
  auto error = ParseError(
      R"({"model":"m","messages":[{"role":"user","content":[
          {"type":"image_url","image_url":{"url":"data:image/tiff;base64,AAAA"}}]}]})");
  EXPECT_EQ(error.code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(error.message().find("image/tiff"), std::string::npos);
}

TEST(ChatRequestTest, ImageDataUriWithBadBase64IsRefused) {
  auto error = ParseError(
      R"({"model":"m","messages":[{"role":"user","content":[
          {"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]})");
  EXPECT_NE(error.message().find("messages[0].content[0]"), std::string::npos);
}

TEST(ChatRequestTest, FilesBecomeDocumentsWithUniqueSafeNames) {
  std::string data = core::Base64Encode("%PDF-1.4");
  std::string body = R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"file","file":{"file_data":")" +
                     data + R"(","filename":"report.pdf"}},
      {"type":"file","file":{"file_data":")" +
                     data + R"(","filename":"report.pdf"}},
      {"type":"file","file":{"file_data":"data:text/plain;base64,)" +
                     data +
                     R"(","filename":"notes_v2.weird"}},
      {"type":"file","file":{"file_data":")" +
                     data + R"("}}]}]})";
  auto request = Parse(body);
  const auto& content = request.messages[0].content;
  ASSERT_EQ(content.size(), 4u);
  const auto& a = std::get<llm::DocumentBlock>(content[0]);
  const auto& b = std::get<llm::DocumentBlock>(content[1]);
  const auto& c = std::get<llm::DocumentBlock>(content[2]);
  const auto& d = std::get<llm::DocumentBlock>(content[3]);
  EXPECT_EQ(a.format, "pdf");
  EXPECT_EQ(a.name, "report");
  EXPECT_EQ(b.name, "report (2)");
  EXPECT_EQ(a.bytes, "%PDF-1.4");
  EXPECT_EQ(c.format, "txt");
  EXPECT_EQ(c.name, "notes v2");
  EXPECT_EQ(d.name, "file-0");
  EXPECT_EQ(d.format, "txt");
}

TEST(ChatRequestTest, FileIdIsRefused) {
  auto error = ParseError(
      R"({"model":"m","messages":[{"role":"user","content":[
          {"type":"file","file":{"file_id":"file-123"}}]}]})");
  EXPECT_NE(error.message().find("file_id"), std::string::npos);
}

TEST(ChatRequestTest, DocumentFormatsFollowTheExtension) {
  EXPECT_EQ(DocumentFormatForFileName("a.PDF"), "pdf");
  EXPECT_EQ(DocumentFormatForFileName("a.docx"), "docx");
  EXPECT_EQ(DocumentFormatForFileName("a.htm"), "html");
  EXPECT_EQ(DocumentFormatForFileName("a.markdown"), "md");
  EXPECT_EQ(DocumentFormatForFileName("a.json"), "txt");
  EXPECT_EQ(DocumentFormatForFileName("noext"), "txt");
}

TEST(ChatRequestTest, EverySystemMessageJoinsTheSystemPrompt) {
  auto request = Parse(
      R"({"model":"m","messages":[{"role":"system","content":"one"},
          {"role":"user","content":"hi"},{"role":"system","content":[{"type":"text","text":"two"}]}]})");
  ASSERT_EQ(request.system.size(), 2u);
  EXPECT_EQ(request.messages.size(), 1u);
}

TEST(ChatRequestTest, BodyThatIsNotJsonIsInvalidArgument) {
  auto error = ParseError("{not json");
  EXPECT_EQ(error.code(), core::ErrorCode::kInvalidArgument);
}

TEST(ChatRequestTest, BodyThatIsNotAnObjectIsInvalidArgument) {
  EXPECT_EQ(ParseError("[1]").code(), core::ErrorCode::kInvalidArgument);
}

TEST(ChatRequestTest, MissingModelNamesTheField) {
  auto error = ParseError(R"({"messages":[]})");
  EXPECT_EQ(error.code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(error.message().find("'model'"), std::string::npos);
}

TEST(ChatRequestTest, MissingMessagesNamesTheField) {
  auto error = ParseError(R"({"model":"m"})");
  EXPECT_NE(error.message().find("'messages'"), std::string::npos);
}

TEST(ChatRequestTest, WrongTypeOfStreamIsRefused) {
  auto error = ParseError(R"({"model":"m","messages":[],"stream":"yes"})");
  EXPECT_NE(error.message().find("'stream'"), std::string::npos);
}

TEST(ChatRequestTest, ServerIdsMustBeStrings) {
  auto error = ParseError(R"({"model":"m","messages":[],"mcp_server_ids":[1]})");
  EXPECT_NE(error.message().find("'mcp_server_ids'"), std::string::npos);
}

TEST(ChatRequestTest, NegativeMaxTokensIsRefused) {
  EXPECT_EQ(ParseError(R"({"model":"m","messages":[],"max_tokens":-1})").code(),
            core::ErrorCode::kFailedPrecondition);
}

TEST(ChatRequestTest, ZeroMaxTokensIsRefused) {
  EXPECT_EQ(ParseError(R"({"model":"m","messages":[],"max_tokens":0})").code(),
            core::ErrorCode::kFailedPrecondition);
}

TEST(ChatRequestTest, MaxTokensAsWholeFloatIsAccepted) {
  EXPECT_EQ(Parse(R"({"model":"m","messages":[],"max_tokens":100.0})").max_tokens, 100);
}

TEST(ChatRequestTest, TemperatureOutOfRangeIsRefused) {
  EXPECT_EQ(ParseError(R"({"model":"m","messages":[],"temperature":3})").code(),
            core::ErrorCode::kFailedPrecondition);
}

TEST(ChatRequestTest, MoreThanOneChoiceIsRefused) {
  EXPECT_NE(ParseError(R"({"model":"m","messages":[],"n":2})").message().find("'n'"),
            std::string::npos);
}

TEST(ChatRequestTest, ToolRoleIsRefusedWithTheReason) {
  auto error = ParseError(
      R"({"model":"m","messages":[{"role":"user","content":"x"},
          {"role":"tool","tool_call_id":"1","content":"r"}]})");
  EXPECT_NE(error.message().find("role 'tool'"), std::string::npos);
}

TEST(ChatRequestTest, AssistantToolCallsAreRefused) {
  auto error = ParseError(
      R"({"model":"m","messages":[{"role":"user","content":"x"},
          {"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}]})");
  EXPECT_NE(error.message().find("tool_calls"), std::string::npos);
}

TEST(ChatRequestTest, UnknownRoleIsRefused) {
  EXPECT_NE(ParseError(R"({"model":"m","messages":[{"role":"robot","content":"x"}]})")
                .message()
                .find("robot"),
            std::string::npos);
}

TEST(ChatRequestTest, UnknownPartTypeIsRefused) {
  EXPECT_NE(ParseError(R"({"model":"m","messages":[{"role":"user","content":[
                {"type":"input_audio","input_audio":{}}]}]})")
                .message()
                .find("input_audio"),
            std::string::npos);
}

TEST(ChatRequestTest, ResponseStyleFieldIsRead) {
  EXPECT_EQ(Parse(R"({"model":"m","messages":[],"response_style":"openai"})").response_style,
            ResponseStyle::kOpenAi);
  EXPECT_EQ(ParseError(R"({"model":"m","messages":[],"response_style":"xml"})").code(),
            core::ErrorCode::kFailedPrecondition);
}

TEST(ChatRequestTest, OversizeBodyIsPayloadTooLarge) {
  ChatDefaults defaults;
  defaults.max_request_bytes = 10;
  EXPECT_EQ(ParseError(R"({"model":"m","messages":[]})", defaults).code(),
            core::ErrorCode::kPayloadTooLarge);
}

TEST(ChatRequestTest, ExtraParamsMustBeAnObject) {
  EXPECT_NE(
      ParseError(R"({"model":"m","messages":[],"extra_params":[]})").message().find("extra_params"),
      std::string::npos);
}

TEST(ChatRequestTest, ThinkingParamsAreRead) {
  auto request = Parse(
      R"({"model":"m","messages":[],"extra_params":{"enable_thinking":true,"budget_tokens":2048,
          "only_n_most_recent_images":0}})");
  EXPECT_TRUE(request.enable_thinking);
  EXPECT_EQ(request.budget_tokens, 2048);
  EXPECT_EQ(request.only_n_most_recent_images, 0u);
}

}  // namespace
}  // namespace bedrock::gateway

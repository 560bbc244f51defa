#include "emulator/scripted_model.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "emulator/streaming.h"
#include "emulator/text.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

llm::ChatRequest UserSays(std::string text) {
  llm::ChatRequest request;
  request.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  request.messages.push_back(llm::Message::UserText(std::move(text)));
  return request;
}

llm::ToolSpec Tool(std::string name) {
  return llm::ToolSpec{std::move(name), "a tool", json::parse(R"({"type":"object"})")};
}

TEST(DefaultModelTest, EchoesTheLastUserText) {
  ScriptedModel model;
  auto turn = model.Respond(UserSays("Hello there"), "converse");
  EXPECT_EQ(turn.rule, "default:echo");
  EXPECT_EQ(turn.response.message.Text(), "Hello there");
  EXPECT_EQ(turn.response.stop_reason, llm::StopReason::kEndTurn);
}

TEST(DefaultModelTest, CallsANamedToolWithTheJsonObjectFromTheMessage) {
  ScriptedModel model;
  llm::ChatRequest request =
      UserSays(R"(please use Get_Weather with {"city": "Paris", "n": {"a": "}"}})");
  request.tools = {Tool("search"), Tool("get_weather")};
  auto turn = model.Respond(request, "converse");
  EXPECT_EQ(turn.rule, "default:tool-call");
  auto uses = turn.response.message.ToolUses();
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0]->name, "get_weather");
  EXPECT_EQ(uses[0]->input, json::parse(R"({"city":"Paris","n":{"a":"}"}})"));
  EXPECT_TRUE(uses[0]->id.starts_with("tooluse_"));
  EXPECT_EQ(uses[0]->id.size(), 30u);
  EXPECT_EQ(turn.response.stop_reason, llm::StopReason::kToolUse);
}

TEST(DefaultModelTest, ToolNameMustBeAWholeWord) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("research this");
  request.tools = {Tool("search")};
  EXPECT_EQ(model.Respond(request, "converse").rule, "default:echo");
}

TEST(DefaultModelTest, ForcedToolChoiceCallsTheTool) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("anything");
  request.tools = {Tool("a"), Tool("b")};
  request.tool_choice = llm::ToolChoice{llm::ToolChoice::Kind::kTool, "b"};
  EXPECT_EQ(model.Respond(request, "converse").response.message.ToolUses().at(0)->name, "b");
  request.tool_choice = llm::ToolChoice{llm::ToolChoice::Kind::kAny, ""};
  EXPECT_EQ(model.Respond(request, "converse").response.message.ToolUses().at(0)->name, "a");
}

TEST(DefaultModelTest, ToolChoiceNoneNeverCallsATool) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("call a");
  request.tools = {Tool("a")};
  request.tool_choice = llm::ToolChoice{llm::ToolChoice::Kind::kNone, ""};
  EXPECT_EQ(model.Respond(request, "converse").rule, "default:echo");
}

TEST(DefaultModelTest, SummarisesToolResults) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("lookup");
  request.tools = {Tool("lookup")};
  llm::Message assistant{llm::Role::kAssistant, {}};
  assistant.content.emplace_back(llm::ToolUseBlock{"t1", "lookup", json::object{}});
  request.messages.push_back(std::move(assistant));
  llm::Message user{llm::Role::kUser, {}};
  user.content.emplace_back(llm::ToolResultBlock{"t1", {llm::TextBlock{"42 apples"}}, {}});
  request.messages.push_back(std::move(user));
  auto turn = model.Respond(request, "converse");
  EXPECT_EQ(turn.rule, "default:tool-summary");
  EXPECT_EQ(turn.response.message.Text(), "The lookup tool returned: 42 apples");
}

TEST(DefaultModelTest, StopSequenceCutsTheText) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("one two STOP three");
  request.inference.stop_sequences = {"STOP"};
  auto turn = model.Respond(request, "converse");
  EXPECT_EQ(turn.response.message.Text(), "one two ");
  EXPECT_EQ(turn.response.stop_reason, llm::StopReason::kStopSequence);
}

TEST(DefaultModelTest, MaxTokensCutsTheTextAndDropsToolCalls) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("alpha beta gamma delta epsilon zeta eta theta");
  request.inference.max_tokens = 4;
  auto turn = model.Respond(request, "converse");
  EXPECT_LE(CountTokens(turn.response.message.Text()), 4);
  EXPECT_FALSE(turn.response.message.Text().empty());
  EXPECT_EQ(turn.response.stop_reason, llm::StopReason::kMaxTokens);
  EXPECT_LE(turn.response.usage.output_tokens, 4);
}

TEST(DefaultModelTest, ThinkingRequestAddsAReasoningBlockFirst) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("why?");
  request.additional_model_request_fields =
      json::parse(R"({"thinking":{"type":"enabled","budget_tokens":1024}})");
  auto turn = model.Respond(request, "converse");
  ASSERT_EQ(turn.response.message.content.size(), 2u);
  const auto& reasoning = std::get<llm::ReasoningBlock>(turn.response.message.content[0]);
  EXPECT_NE(reasoning.text.find("why?"), std::string::npos);
  EXPECT_FALSE(reasoning.signature.empty());
}

TEST(DefaultModelTest, UsageIsCountedDeterministically) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("count these words please");
  request.system.emplace_back(llm::TextBlock{"be brief"});
  auto a = model.Respond(request, "converse").response.usage;
  auto b = model.Respond(request, "converse").response.usage;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.input_tokens, CountRequestTokens(request));
  EXPECT_EQ(a.input_tokens, CountTokens("be brief") + 3 + CountTokens("count these words please"));
  EXPECT_EQ(a.output_tokens, CountTokens("count these words please"));
  EXPECT_EQ(a.total_tokens, a.input_tokens + a.output_tokens);
}

TEST(DefaultModelTest, ToolUseIdsAreDeterministic) {
  ScriptedModel model;
  llm::ChatRequest request = UserSays("t");
  request.tools = {Tool("t")};
  EXPECT_EQ(model.Respond(request, "converse").response.message.ToolUses().at(0)->id,
            model.Respond(request, "converse").response.message.ToolUses().at(0)->id);
}

TEST(FindJsonObjectTest, FindsTheFirstObjectAndSkipsBrokenOnes) {
  EXPECT_EQ(FindJsonObject(R"(x {broken} then {"a":1} and {"b":2})"), json::parse(R"({"a":1})"));
  EXPECT_FALSE(FindJsonObject("no json here").has_value());
  EXPECT_FALSE(FindJsonObject("{unterminated").has_value());
}

TEST(ToStreamEventsTest, FollowsBedrocksEventOrder) {
  llm::ChatResponse response;
  response.message.content.emplace_back(llm::ReasoningBlock{"hmm", "sig", ""});
  response.message.content.emplace_back(llm::TextBlock{"Hello, streaming world!"});
  response.message.content.emplace_back(
      llm::ToolUseBlock{"tooluse_x", "get_weather", json::parse(R"({"city":"Paris"})")});
  response.SetStopReason(llm::StopReason::kToolUse);
  response.usage = {10, 5, 15, {}, {}};
  auto events = ToStreamEvents(response, 8);
  ASSERT_TRUE(std::holds_alternative<llm::MessageStartEvent>(events.front()));
  ASSERT_TRUE(std::holds_alternative<llm::MetadataEvent>(events.back()));
  EXPECT_EQ(std::get<llm::MetadataEvent>(events.back()).usage.total_tokens, 15);
  int starts = 0, text_deltas = 0, input_deltas = 0;
  for (const auto& e : events) {
    if (const auto* s = std::get_if<llm::ContentBlockStartEvent>(&e)) {
      ++starts;
      EXPECT_EQ(s->index, 2);  // only the tool-use block gets a start
    }
    if (const auto* d = std::get_if<llm::ContentBlockDeltaEvent>(&e)) {
      if (d->kind == llm::ContentBlockDeltaEvent::Kind::kText) ++text_deltas;
      if (d->kind == llm::ContentBlockDeltaEvent::Kind::kToolUseInput) ++input_deltas;
    }
  }
  EXPECT_EQ(starts, 1);
  EXPECT_GE(text_deltas, 3);
  EXPECT_GE(input_deltas, 2);
  // And the events assemble back into the response.
  llm::StreamAssembler assembler;
  for (const auto& e : events) ASSERT_TRUE(assembler.Add(e).ok());
  auto assembled = assembler.Finish();
  ASSERT_TRUE(assembled.ok()) << assembled.error();
  EXPECT_EQ(assembled->message, response.message);
}

}  // namespace
}  // namespace bedrock::emulator

#include "emulator/script.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "emulator/scripted_model.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

Script MustParse(std::string_view text) {
  auto script = ParseScriptText(text, "script.json");
  EXPECT_TRUE(script.ok()) << script.error();
  return script.ok() ? std::move(*script) : Script{};
}

std::string ParseError(std::string_view text) {
  auto script = ParseScriptText(text, "script.json");
  EXPECT_FALSE(script.ok());
  return script.ok() ? "" : script.error().message();
}

llm::ChatRequest UserSays(std::string text) {
  llm::ChatRequest request;
  request.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  request.messages.push_back(llm::Message::UserText(std::move(text)));
  return request;
}

llm::ToolSpec Tool(std::string name) {
  return llm::ToolSpec{std::move(name), "a tool", json::parse(R"({"type":"object"})")};
}

// A conversation whose last message answers a get_weather call.
llm::ChatRequest WithToolResult(json::value result, bool error = false) {
  llm::ChatRequest request = UserSays("weather in Paris?");
  request.tools.push_back(Tool("get_weather"));
  llm::Message assistant{llm::Role::kAssistant, {}};
  assistant.content.emplace_back(
      llm::ToolUseBlock{"tooluse_1", "get_weather", json::parse(R"({"city":"Paris"})")});
  request.messages.push_back(std::move(assistant));
  llm::Message user{llm::Role::kUser, {}};
  user.content.emplace_back(llm::ToolResultBlock{
      "tooluse_1",
      {llm::JsonBlock{std::move(result)}},
      error ? llm::ToolResultStatus::kError : llm::ToolResultStatus::kSuccess});
  request.messages.push_back(std::move(user));
  return request;
}

TEST(ScriptParseTest, AcceptsABareArrayOfRules) {
  Script script = MustParse(R"([{"respond": {"text": "hi"}}])");
  ASSERT_EQ(script.rules.size(), 1u);
  EXPECT_EQ(script.rules[0].name, "rule 1");
}

TEST(ScriptParseTest, UnknownKeyIsReportedWithItsPosition) {
  std::string error =
      ParseError(R"({"rules": [{"when": {"contians": "x"}, "respond": {"text": "y"}}]})");
  EXPECT_NE(error.find("script.json:1:22"), std::string::npos) << error;
  EXPECT_NE(error.find("contians"), std::string::npos) << error;
}

TEST(ScriptParseTest, InvalidRegexIsAnError) {
  EXPECT_NE(ParseError(R"([{"when": {"regex": "(unclosed"}, "respond": {"text": "y"}}])")
                .find("invalid regex"),
            std::string::npos);
}

TEST(ScriptParseTest, UnknownTemplateVariableIsAnError) {
  EXPECT_NE(ParseError(R"([{"respond": {"text": "{{nope}}"}}])").find("unknown template variable"),
            std::string::npos);
}

TEST(ScriptParseTest, BadFaultSpecIsAnError) {
  EXPECT_NE(ParseError(R"([{"respond": {"fault": "explode"}}])").find("unknown fault 'explode'"),
            std::string::npos);
}

TEST(ScriptParseTest, EmptyReplyIsAnError) {
  EXPECT_NE(ParseError(R"([{"respond": {}}])").find("a reply needs"), std::string::npos);
}

TEST(ScriptParseTest, UnknownStopReasonIsAnError) {
  EXPECT_NE(ParseError(R"([{"respond": {"text": "x", "stopReason": "tired"}}])")
                .find("unknown stop reason"),
            std::string::npos);
}

TEST(ScriptParseTest, UnknownOperationIsAnError) {
  EXPECT_NE(ParseError(R"([{"when": {"operation": "fly"}, "respond": {"text": "x"}}])")
                .find("unknown operation"),
            std::string::npos);
}

TEST(ScriptMatchTest, ContainsIsCaseInsensitive) {
  ScriptedModel model(
      MustParse(R"([{"when": {"contains": "HELLO"}, "respond": {"text": "matched"}}])"));
  EXPECT_EQ(model.Respond(UserSays("oh hello there"), "converse").response.message.Text(),
            "matched");
  EXPECT_EQ(model.Respond(UserSays("goodbye"), "converse").rule, "default:echo");
}

TEST(ScriptMatchTest, RegexGroupsFillTheTemplate) {
  ScriptedModel model(MustParse(
      R"js([{"when": {"regex": "weather in (\\w+)"}, "respond": {"text": "City: {{match.1}} ({{match.0}})"}}])js"));
  EXPECT_EQ(
      model.Respond(UserSays("What is the weather in Oslo?"), "converse").response.message.Text(),
      "City: Oslo (weather in Oslo)");
}

TEST(ScriptMatchTest, ToolAvailableRequiresTheTool) {
  ScriptedModel model(MustParse(
      R"([{"when": {"toolAvailable": "get_weather"}, "respond": {"text": "has tool"}}])"));
  llm::ChatRequest without = UserSays("x");
  EXPECT_EQ(model.Respond(without, "converse").rule, "default:echo");
  llm::ChatRequest with = UserSays("x");
  with.tools.push_back(Tool("get_weather"));
  EXPECT_EQ(model.Respond(with, "converse").response.message.Text(), "has tool");
}

TEST(ScriptMatchTest, ToolResultByNameAndTemplatesFromTheResult) {
  ScriptedModel model(MustParse(R"([{"when": {"toolResult": "get_weather"},
      "respond": {"text": "{{tool_name}}: {{tool_result.tempC}} in {{tool_input.city}}; raw {{tool_result}}"}}])"));
  auto turn = model.Respond(WithToolResult(json::parse(R"({"tempC":21})")), "converse");
  EXPECT_EQ(turn.response.message.Text(), R"(get_weather: 21 in Paris; raw {"tempC":21})");
  EXPECT_EQ(turn.response.stop_reason, llm::StopReason::kEndTurn);
}

TEST(ScriptMatchTest, ToolErrorCondition) {
  ScriptedModel model(
      MustParse(R"([{"when": {"toolError": true}, "respond": {"text": "sorry"}}])"));
  EXPECT_EQ(
      model.Respond(WithToolResult(json::parse("{}"), true), "converse").response.message.Text(),
      "sorry");
  EXPECT_EQ(model.Respond(WithToolResult(json::parse("{}"), false), "converse").rule,
            "default:tool-summary");
}

TEST(ScriptMatchTest, TurnCountsAssistantMessages) {
  ScriptedModel model(MustParse(R"([{"when": {"turn": 2}, "respond": {"text": "second"}}])"));
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").rule, "default:echo");
  EXPECT_EQ(model.Respond(WithToolResult(json::parse("{}")), "converse").response.message.Text(),
            "second");
}

TEST(ScriptMatchTest, TimesLimitsHowOftenARuleFires) {
  ScriptedModel model(MustParse(R"([{"times": 2, "respond": {"text": "limited"}}])"));
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").response.message.Text(), "limited");
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").response.message.Text(), "limited");
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").response.message.Text(), "a");
}

TEST(ScriptMatchTest, OperationsRestrictTheRule) {
  ScriptedModel model(MustParse(
      R"([{"when": {"operations": ["converse-stream"]}, "respond": {"text": "streamed"}}])"));
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").response.message.Text(), "a");
  EXPECT_EQ(model.Respond(UserSays("a"), "converse-stream").response.message.Text(), "streamed");
}

TEST(ScriptMatchTest, FirstMatchingRuleWins) {
  ScriptedModel model(MustParse(R"([{"when": {"contains": "a"}, "respond": {"text": "first"}},
                                    {"respond": {"text": "second"}}])"));
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").response.message.Text(), "first");
  EXPECT_EQ(model.Respond(UserSays("b"), "converse").response.message.Text(), "second");
}

TEST(ScriptMatchTest, ToolCallsWithTemplatedInputKeepJsonTypes) {
  ScriptedModel model(MustParse(R"js([{"when": {"regex": "call (\\w+)"},
      "respond": {"toolCalls": [
          {"name": "get_weather", "input": {"city": "{{match.1}}", "nested": {"n": "x{{turn}}"}}},
          {"name": "other"}]}}])js"));
  auto turn = model.Respond(UserSays("call Paris"), "converse");
  auto uses = turn.response.message.ToolUses();
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0]->input, json::parse(R"({"city":"Paris","nested":{"n":"x1"}})"));
  EXPECT_EQ(uses[1]->input, json::parse("{}"));
  EXPECT_NE(uses[0]->id, uses[1]->id);
  EXPECT_EQ(turn.response.stop_reason, llm::StopReason::kToolUse);
}

TEST(ScriptMatchTest, WholePlaceholderKeepsTheValueType) {
  ScriptedModel model(MustParse(R"([{"when": {"toolResult": true},
      "respond": {"toolCalls": [{"name": "next", "input": {"t": "{{tool_result.tempC}}"}}]}}])"));
  auto turn = model.Respond(WithToolResult(json::parse(R"({"tempC":21})")), "converse");
  EXPECT_EQ(turn.response.message.ToolUses().at(0)->input, json::parse(R"({"t":21})"));
}

TEST(ScriptMatchTest, FaultOnlyRuleKeepsTheDefaultAnswerAndReturnsTheFault) {
  ScriptedModel model(MustParse(R"([{"respond": {"fault": "throttle;attempts=1"}}])"));
  auto turn = model.Respond(UserSays("echo me"), "converse");
  ASSERT_EQ(turn.faults.size(), 1u);
  EXPECT_EQ(turn.faults[0].kind, FaultKind::kThrottle);
  EXPECT_EQ(turn.faults[0].attempts, 1);
  EXPECT_EQ(turn.response.message.Text(), "echo me");
}

TEST(ScriptMatchTest, ExplicitStopReasonIsReported) {
  ScriptedModel model(MustParse(R"([{"respond": {"text": "cut", "stopReason": "max_tokens"}}])"));
  EXPECT_EQ(model.Respond(UserSays("a"), "converse").response.stop_reason,
            llm::StopReason::kMaxTokens);
}

TEST(ScriptMatchTest, ExtrasAreTemplateVariables) {
  ScriptedModel model(MustParse(R"([{"respond": {"text": "KB says: {{kb_result}}"}}])"));
  EXPECT_EQ(model.Respond(UserSays("a"), "invoke-agent", {{"kb_result", "Paris"}})
                .response.message.Text(),
            "KB says: Paris");
}

TEST(ScriptLoadTest, ShippedExampleScriptParses) {
  auto script = LoadScript(std::string(BEDROCK_SOURCE_DIR) + "/conf/emulator-script.json");
  ASSERT_TRUE(script.ok()) << script.error();
  EXPECT_GE(script->rules.size(), 5u);
}

}  // namespace
}  // namespace bedrock::emulator

#include "bridge/action_event.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/action_arguments.h"

namespace bedrock::bridge {
namespace {

namespace json = boost::json;

std::string RecordedEvent(std::string_view name) {
  std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path() / "../../tests/data/bridge/events" / name;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ActionEventTest, FunctionDetailsEventParses) {
  auto event = ParseActionEvent(RecordedEvent("function_echo.json"));
  ASSERT_TRUE(event.ok()) << event.error();
  EXPECT_EQ(event->form, SchemaForm::kFunctionDetails);
  EXPECT_EQ(event->message_version, "1.0");
  EXPECT_EQ(event->action_group, "mcp_tools");
  EXPECT_EQ(event->function, "echo");
  EXPECT_EQ(event->ActionName(), "echo");
  ASSERT_EQ(event->parameters.size(), 1u);
  EXPECT_EQ(event->parameters[0].name, "message");
  EXPECT_EQ(event->parameters[0].type, "string");
  EXPECT_EQ(event->parameters[0].value, "hello from Bedrock");
  EXPECT_EQ(event->agent_id, "AGENT12345");
  EXPECT_EQ(event->session_id, "111122223333444");
  EXPECT_EQ(event->session_attributes, (json::object{{"user", "alice"}}));
}

TEST(ActionEventTest, OpenApiEventParsesRequestBodyProperties) {
  auto event = ParseActionEvent(RecordedEvent("api_add.json"));
  ASSERT_TRUE(event.ok()) << event.error();
  EXPECT_EQ(event->form, SchemaForm::kOpenApi);
  EXPECT_EQ(event->api_path, "/add");
  EXPECT_EQ(event->ActionName(), "add");
  EXPECT_EQ(event->http_method, "POST");
  EXPECT_EQ(event->body_content_type, "application/json");
  ASSERT_EQ(event->body_properties.size(), 2u);
  EXPECT_EQ(event->body_properties[1].name, "b");
  EXPECT_EQ(event->body_properties[1].value, "35");
}

TEST(ActionEventTest, FunctionResponseHasTheDocumentedShape) {
  auto event = ParseActionEvent(RecordedEvent("function_echo.json"));
  ASSERT_TRUE(event.ok());
  ActionOutcome outcome;
  outcome.body = "Echo: hello from Bedrock";
  json::object response = BuildActionResponse(*event, outcome);
  EXPECT_EQ(json::serialize(response),
            R"({"messageVersion":"1.0","response":{"actionGroup":"mcp_tools","function":"echo",)"
            R"("functionResponse":{"responseBody":{"TEXT":{"body":"Echo: hello from Bedrock"}}}},)"
            R"("sessionAttributes":{"user":"alice"},)"
            R"("promptSessionAttributes":{"timezone":"Europe/Paris"}})");
}

TEST(ActionEventTest, FailedFunctionResponseCarriesResponseState) {
  auto event = ParseActionEvent(RecordedEvent("function_echo.json"));
  ASSERT_TRUE(event.ok());
  ActionOutcome outcome;
  outcome.state = ResponseState::kReprompt;
  outcome.body = "missing required argument";
  json::object reprompt = BuildActionResponse(*event, outcome);
  EXPECT_EQ(reprompt.at("response").at("functionResponse").at("responseState").as_string(),
            "REPROMPT");
  outcome.state = ResponseState::kFailure;
  json::object failure = BuildActionResponse(*event, outcome);
  EXPECT_EQ(failure.at("response").at("functionResponse").at("responseState").as_string(),
            "FAILURE");
}

TEST(ActionEventTest, ApiResponseHasTheDocumentedShape) {
  auto event = ParseActionEvent(RecordedEvent("api_add.json"));
  ASSERT_TRUE(event.ok());
  ActionOutcome outcome;
  outcome.http_status = 200;
  outcome.body = R"({"sum":42})";
  json::object response = BuildActionResponse(*event, outcome);
  EXPECT_EQ(json::serialize(response),
            R"({"messageVersion":"1.0","response":{"actionGroup":"mcp_tools_api",)"
            R"("apiPath":"/add","httpMethod":"POST","httpStatusCode":200,)"
            R"("responseBody":{"application/json":{"body":"{\"sum\":42}"}}},)"
            R"("sessionAttributes":{},"promptSessionAttributes":{}})");
}

TEST(ActionEventTest, MissingAttributesBecomeEmptyObjects) {
  auto event = ParseActionEvent(R"({"actionGroup": "g", "function": "f"})");
  ASSERT_TRUE(event.ok()) << event.error();
  json::object response = BuildActionResponse(*event, ActionOutcome());
  EXPECT_EQ(response.at("sessionAttributes"), json::object());
  EXPECT_EQ(response.at("promptSessionAttributes"), json::object());
}

TEST(ActionEventTest, NotJsonIsRejected) {
  auto event = ParseActionEvent("{\"actionGroup\": ");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ActionEventTest, NonObjectIsRejected) { EXPECT_FALSE(ParseActionEvent("[1, 2]").ok()); }

TEST(ActionEventTest, EventWithoutActionGroupIsRejected) {
  auto event = ParseActionEvent(R"({"function": "f"})");
  ASSERT_FALSE(event.ok());
  EXPECT_NE(event.error().message().find("no actionGroup"), std::string::npos);
}

TEST(ActionEventTest, EventWithNeitherFunctionNorApiPathIsRejected) {
  EXPECT_FALSE(ParseActionEvent(R"({"actionGroup": "g"})").ok());
}

TEST(ActionEventTest, ParameterWithoutNameIsRejected) {
  EXPECT_FALSE(
      ParseActionEvent(R"({"actionGroup": "g", "function": "f", "parameters": [{"value": "x"}]})")
          .ok());
}

TEST(ActionEventTest, ParametersThatAreNotAnArrayAreRejected) {
  EXPECT_FALSE(
      ParseActionEvent(R"({"actionGroup": "g", "function": "f", "parameters": {"a": 1}})").ok());
}

TEST(ActionEventTest, MistypedMemberIsRejected) {
  EXPECT_FALSE(ParseActionEvent(R"({"actionGroup": 7, "function": "f"})").ok());
}

TEST(ActionEventTest, OversizedEventIsRejected) {
  EventLimits limits;
  limits.max_bytes = 16;
  auto event = ParseActionEvent(R"({"actionGroup": "g", "function": "f"})", limits);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(ActionEventTest, DeeplyNestedEventIsRejected) {
  std::string deep = R"({"actionGroup": "g", "function": "f", "x": )" + std::string(100, '[') +
                     std::string(100, ']') + "}";
  EXPECT_FALSE(ParseActionEvent(deep).ok());
}

TEST(ActionEventTest, NonStringValuesAreKeptAsTheirJson) {
  auto event = ParseActionEvent(
      R"({"actionGroup": "g", "function": "f", "parameters": [{"name": "n", "value": 3}]})");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->parameters[0].value, "3");
}

// --- From events to tool calls. ---

constexpr std::string_view kTools = R"js([
  {"name": "add", "inputSchema": {"type": "object", "properties": {
     "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}},
  {"name": "search.files", "inputSchema": {"type": "object", "properties": {
     "query": {"type": "string"}, "count": {"type": "integer"}, "exact": {"type": "boolean"},
     "tags": {"type": "array", "items": {"type": "string"}},
     "sizes": {"type": "array", "items": {"type": "integer"}},
     "filters": {"type": "object"}, "extra1": {"type": "string"},
     "extra2": {"type": "string"}}, "required": ["query", "extra2"]}}
])js";

ActionGroupPlan Plan(SchemaForm form = SchemaForm::kFunctionDetails) {
  PlanOptions options;
  options.form = form;
  return *PlanActionGroup(json::parse(kTools).as_array(), options);
}

ActionEvent FunctionEvent(std::string function, std::vector<EventParameter> parameters) {
  ActionEvent event;
  event.action_group = "g";
  event.function = std::move(function);
  event.parameters = std::move(parameters);
  return event;
}

TEST(ToolCallTest, NumbersAreConvertedFromStrings) {
  auto call = ResolveToolCall(
      Plan(), FunctionEvent("add", {{"a", "number", "2.5"}, {"b", "number", "40"}}));
  ASSERT_TRUE(call.ok()) << call.error();
  EXPECT_EQ(call->tool, "add");
  EXPECT_EQ(json::serialize(call->arguments), R"({"a":2.5E0,"b":40})");
}

TEST(ToolCallTest, SanitisedFunctionNameFindsItsTool) {
  auto call = ResolveToolCall(
      Plan(),
      FunctionEvent("search_files", {{"query", "string", "x"},
                                     {"extra2", "string", "y"},
                                     {"more_arguments_json", "string", R"({"sizes": [1]})"}}));
  ASSERT_TRUE(call.ok()) << call.error();
  EXPECT_EQ(call->tool, "search.files");
  EXPECT_EQ(call->arguments.at("extra2").as_string(), "y");
  EXPECT_EQ(call->arguments.at("sizes"), (json::array{1}));
}

TEST(ToolCallTest, ScalarTypesAndLooseArraysConvert) {
  auto plan = Plan(SchemaForm::kOpenApi);  // no parameter limit: every property is a parameter
  ActionEvent event;
  event.form = SchemaForm::kOpenApi;
  event.action_group = "g";
  event.api_path = "/search_files";
  event.body_properties = {{"query", "string", "q"},         {"count", "integer", "3"},
                           {"exact", "boolean", "TRUE"},     {"tags", "array", "[red, 'blue']"},
                           {"sizes", "array", "[1, \"2\"]"}, {"filters", "string", R"({"a":1})"},
                           {"extra2", "string", "z"}};
  auto call = ResolveToolCall(plan, event);
  ASSERT_TRUE(call.ok()) << call.error();
  EXPECT_EQ(json::serialize(call->arguments),
            R"({"query":"q","count":3,"exact":true,"tags":["red","blue"],"sizes":[1,2],)"
            R"("filters":{"a":1},"extra2":"z"})");
}

TEST(ToolCallTest, MissingRequiredArgumentIsInvalid) {
  auto call = ResolveToolCall(Plan(), FunctionEvent("add", {{"a", "number", "2"}}));
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(call.error().message(), "missing required argument 'b' for tool 'add'");
}

TEST(ToolCallTest, MissingRequiredOverflowArgumentSaysWhereItGoes) {
  PlanOptions options;
  options.limits.max_parameters = 2;  // query, and the rest (extra2 with it) as JSON
  auto plan = PlanActionGroup(json::parse(kTools).as_array(), options);
  ASSERT_TRUE(plan.ok());
  auto call = ResolveToolCall(*plan, FunctionEvent("search_files", {{"query", "string", "x"}}));
  ASSERT_FALSE(call.ok());
  EXPECT_NE(call.error().message().find("'extra2' (a member of 'more_arguments_json')"),
            std::string::npos)
      << call.error();
}

TEST(ToolCallTest, UnknownFunctionIsNotFound) {
  auto call = ResolveToolCall(Plan(), FunctionEvent("delete_everything", {}));
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code(), core::ErrorCode::kNotFound);
  EXPECT_NE(call.error().message().find("add, search_files"), std::string::npos);
}

TEST(ToolCallTest, UnknownParameterIsInvalid) {
  auto call = ResolveToolCall(
      Plan(), FunctionEvent("add", {{"a", "number", "1"}, {"b", "number", "2"}, {"c", "", "3"}}));
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ToolCallTest, NonNumericNumberIsInvalid) {
  auto call =
      ResolveToolCall(Plan(), FunctionEvent("add", {{"a", "number", "two"}, {"b", "number", "2"}}));
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().message(), "argument 'a' must be a number, not 'two'");
}

TEST(ToolCallTest, NonFiniteNumberIsInvalid) {
  EXPECT_FALSE(
      ResolveToolCall(Plan(), FunctionEvent("add", {{"a", "number", "inf"}, {"b", "number", "2"}}))
          .ok());
  EXPECT_FALSE(
      ResolveToolCall(Plan(), FunctionEvent("add", {{"a", "number", "1e999"}, {"b", "", "2"}}))
          .ok());
}

TEST(ToolCallTest, BadJsonInFallbackParameterIsInvalid) {
  auto call = ResolveToolCall(
      Plan(), FunctionEvent("search_files", {{"query", "string", "x"},
                                             {"more_arguments_json", "string", "{oops"}}));
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ToolCallTest, ConvertValueHandlesEdgeCases) {
  json::value integer = json::parse(R"({"type": "integer"})");
  EXPECT_EQ(*ConvertValue("3.0", integer, "x"), json::value(3));
  EXPECT_FALSE(ConvertValue("3.5", integer, "x").ok());
  EXPECT_FALSE(ConvertValue("", integer, "x").ok());
  json::value boolean = json::parse(R"({"type": "boolean"})");
  EXPECT_EQ(*ConvertValue(" False ", boolean, "x"), json::value(false));
  EXPECT_FALSE(ConvertValue("yes", boolean, "x").ok());
  json::value list = json::parse(R"({"type": "array", "items": {"type": "string"}})");
  EXPECT_EQ(*ConvertValue("[]", list, "x"), json::array());
  EXPECT_EQ(*ConvertValue("solo", list, "x"), (json::array{"solo"}));
  json::value untyped = json::object();
  EXPECT_EQ(*ConvertValue("plain words", untyped, "x"), json::value("plain words"));
  EXPECT_EQ(*ConvertValue("[1]", untyped, "x"), (json::array{1}));
  json::value object = json::parse(R"({"type": "object"})");
  EXPECT_FALSE(ConvertValue("[1]", object, "x").ok());
}

TEST(ToolCallTest, DispatcherCallsTheNamedTool) {
  json::array tools;
  for (int i = 0; i < 12; ++i) {
    tools.push_back(
        json::object{{"name", "t" + std::to_string(i)},
                     {"inputSchema", {{"type", "object"}, {"required", json::array{"x"}}}}});
  }
  auto plan = PlanActionGroup(tools, PlanOptions());
  ASSERT_TRUE(plan.ok());
  auto call = ResolveToolCall(
      *plan, FunctionEvent("call_mcp_tool", {{"tool_name", "string", "t11"},
                                             {"arguments_json", "string", R"({"x": 1})"}}));
  ASSERT_TRUE(call.ok()) << call.error();
  EXPECT_EQ(call->tool, "t11");
  EXPECT_EQ(call->arguments, (json::object{{"x", 1}}));
  auto missing =
      ResolveToolCall(*plan, FunctionEvent("call_mcp_tool", {{"tool_name", "string", "t11"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kInvalidArgument);
  auto unknown =
      ResolveToolCall(*plan, FunctionEvent("call_mcp_tool", {{"tool_name", "string", "nope"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bedrock::bridge

#include "bridge/action_schema.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace bedrock::bridge {
namespace {

namespace json = boost::json;

json::array Tools(std::string_view text) { return json::parse(text).as_array(); }

// --- A validator for the service model's shapes (tests/data/bridge/, extracted from the
// bedrock-agent 2023-06-05 model): structures (members, required), lists, maps (key and value
// shapes), strings (pattern as a full match, min/max length, enum) and booleans. ---

const json::object& Shapes() {
  static const json::value model = [] {
    std::filesystem::path path = std::filesystem::path(__FILE__).parent_path() /
                                 "../../tests/data/bridge/bedrock-agent-action-group-shapes.json";
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
  }();
  return model.at("shapes").as_object();
}

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void Validate(const json::value& value, const std::string& shape_name, const std::string& path,
              std::vector<std::string>& problems) {
  const json::object& shape = Shapes().at(shape_name).as_object();
  std::string type(shape.at("type").as_string());
  if (type == "structure") {
    if (!value.is_object()) return problems.push_back(path + ": not an object");
    const json::object& members = shape.at("members").as_object();
    for (const auto& [key, v] : value.as_object()) {
      if (!members.contains(key)) {
        problems.push_back(path + "." + std::string(key) + ": not a member of " + shape_name);
        continue;
      }
      Validate(v, std::string(members.at(key).at("shape").as_string()),
               path + "." + std::string(key), problems);
    }
    if (const json::value* required = shape.if_contains("required")) {
      for (const auto& r : required->as_array()) {
        if (!value.as_object().contains(r.as_string())) {
          problems.push_back(path + ": missing required " + std::string(r.as_string()));
        }
      }
    }
    if (shape.contains("union") && value.as_object().size() != 1) {
      problems.push_back(path + ": a union needs exactly one member");
    }
  } else if (type == "list") {
    if (!value.is_array()) return problems.push_back(path + ": not an array");
    size_t i = 0;
    for (const auto& item : value.as_array()) {
      Validate(item, std::string(shape.at("member").at("shape").as_string()),
               path + "[" + std::to_string(i++) + "]", problems);
    }
  } else if (type == "map") {
    if (!value.is_object()) return problems.push_back(path + ": not an object");
    for (const auto& [key, v] : value.as_object()) {
      Validate(json::string(key), std::string(shape.at("key").at("shape").as_string()),
               path + " key '" + std::string(key) + "'", problems);
      Validate(v, std::string(shape.at("value").at("shape").as_string()),
               path + "." + std::string(key), problems);
    }
  } else if (type == "string") {
    if (!value.is_string()) return problems.push_back(path + ": not a string");
    std::string s(value.as_string());
    if (const json::value* pattern = shape.if_contains("pattern")) {
      if (!std::regex_match(s, std::regex(std::string(pattern->as_string())))) {
        problems.push_back(path + ": '" + s + "' does not match " +
                           std::string(pattern->as_string()));
      }
    }
    if (const json::value* min = shape.if_contains("min");
        min && Utf8Chars(s) < min->to_number<size_t>()) {
      problems.push_back(path + ": shorter than " + json::serialize(*min));
    }
    if (const json::value* max = shape.if_contains("max");
        max && Utf8Chars(s) > max->to_number<size_t>()) {
      problems.push_back(path + ": longer than " + json::serialize(*max));
    }
    if (const json::value* e = shape.if_contains("enum")) {
      bool found = false;
      for (const auto& allowed : e->as_array()) found = found || allowed.as_string() == s;
      if (!found) problems.push_back(path + ": '" + s + "' not in the enum");
    }
  } else if (type == "boolean") {
    if (!value.is_bool()) problems.push_back(path + ": not a boolean");
  } else {
    problems.push_back(path + ": shape type " + type + " not handled by the test validator");
  }
}

std::vector<std::string> ProblemsWith(const json::value& value, const std::string& shape) {
  std::vector<std::string> problems;
  Validate(value, shape, "$", problems);
  return problems;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Two tools like the ones real servers list: a plain one and one that needs every fallback.
constexpr std::string_view kTools = R"js([
  {"name": "echo", "description": "Echoes back the message",
   "inputSchema": {"type": "object", "properties": {
     "message": {"type": "string", "description": "Message to echo"}}, "required": ["message"]}},
  {"name": "files.search/v2", "description": "Searches files",
   "inputSchema": {"type": "object", "properties": {
     "query": {"type": "string"},
     "max results": {"type": "integer", "default": 10},
     "filters": {"type": "object", "properties": {"ext": {"type": "string"}}},
     "tags": {"type": "array", "items": {"type": "string"}},
     "exact": {"type": "boolean"},
     "mode": {"type": "string", "enum": ["fast", "deep"]},
     "limit": {"type": ["number", "null"]}},
    "required": ["query", "mode"]}}
])js";

TEST(ActionSchemaTest, ValidToolNamesAndTypesPassThroughUnchanged) {
  auto plan = PlanActionGroup(Tools(R"js([{"name": "add", "description": "Adds two numbers",
      "inputSchema": {"type": "object", "properties": {"a": {"type": "number"},
        "b": {"type": "number"}}, "required": ["a", "b"]}}])js"),
                              PlanOptions());
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_TRUE(plan->warnings.empty()) << Joined(plan->warnings);
  json::object schema = FunctionSchemaJson(*plan);
  EXPECT_EQ(json::serialize(schema),
            R"({"functions":[{"name":"add","description":"Adds two numbers","parameters":{)"
            R"("a":{"type":"number","required":true},"b":{"type":"number","required":true}}}]})");
  EXPECT_TRUE(ProblemsWith(schema, "FunctionSchema").empty())
      << Joined(ProblemsWith(schema, "FunctionSchema"));
}

TEST(ActionSchemaTest, GeneratedFunctionSchemaValidatesAgainstTheServiceModel) {
  auto plan = PlanActionGroup(Tools(kTools), PlanOptions());
  ASSERT_TRUE(plan.ok()) << plan.error();
  json::object schema = FunctionSchemaJson(*plan);
  auto problems = ProblemsWith(schema, "FunctionSchema");
  EXPECT_TRUE(problems.empty()) << Joined(problems) << json::serialize(schema);
}

TEST(ActionSchemaTest, InvalidToolNameIsSanitisedAndMapsBack) {
  auto plan = PlanActionGroup(Tools(kTools), PlanOptions());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->functions.size(), 2u);
  const FunctionMapping& f = plan->functions[1];
  EXPECT_EQ(f.name, "files_search_v2");
  EXPECT_EQ(f.tool, "files.search/v2");
  EXPECT_EQ(plan->FindFunction("files_search_v2"), &f);
  EXPECT_EQ(plan->FindFunction("files.search/v2"), &f);  // the MCP name finds it too
  EXPECT_NE(Joined(plan->warnings).find("'files.search/v2': its name is not a valid"),
            std::string::npos);
}

TEST(ActionSchemaTest, CollidingSanitisedNamesGetHashSuffixes) {
  auto plan = PlanActionGroup(Tools(R"js([{"name": "a.b"}, {"name": "a/b"}, {"name": "a_b"}])js"),
                              PlanOptions());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->functions.size(), 3u);
  EXPECT_EQ(plan->functions[2].name, "a_b");  // valid names keep theirs
  std::set<std::string> names;
  for (const auto& f : plan->functions) {
    EXPECT_TRUE(IsValidBedrockName(f.name)) << f.name;
    names.insert(f.name);
  }
  EXPECT_EQ(names.size(), 3u);
  EXPECT_TRUE(plan->functions[0].name.starts_with("a_b_")) << plan->functions[0].name;
  // The same tools listed in another order get the same names.
  auto reordered = PlanActionGroup(
      Tools(R"js([{"name": "a_b"}, {"name": "a/b"}, {"name": "a.b"}])js"), PlanOptions());
  ASSERT_TRUE(reordered.ok());
  EXPECT_EQ(reordered->FindFunction("a.b")->name, plan->FindFunction("a.b")->name);
  EXPECT_EQ(reordered->FindFunction("a/b")->name, plan->FindFunction("a/b")->name);
}

TEST(ActionSchemaTest, NameSanitisingFollowsThePattern) {
  EXPECT_TRUE(IsValidBedrockName("get_weather"));
  EXPECT_TRUE(IsValidBedrockName("a-b_c9"));
  EXPECT_FALSE(IsValidBedrockName("_x"));
  EXPECT_FALSE(IsValidBedrockName("a__b"));
  EXPECT_FALSE(IsValidBedrockName("a.b"));
  EXPECT_FALSE(IsValidBedrockName(""));
  EXPECT_FALSE(IsValidBedrockName(std::string(101, 'a')));
  EXPECT_TRUE(IsValidBedrockName(std::string(100, 'a')));
  EXPECT_EQ(SanitizeBedrockName("__a..b--c"), "a_b-c");
  EXPECT_EQ(SanitizeBedrockName("..."), "tool");
  EXPECT_EQ(SanitizeBedrockName("héllo wörld"), "h_llo_w_rld");
  EXPECT_EQ(SanitizeBedrockName(std::string(150, 'x')).size(), 100u);
  std::regex pattern("([0-9a-zA-Z][_-]?){1,100}");
  for (std::string_view in : {"__a..b--c", "x/y/z", "-", "a-_-b", "€uro"}) {
    EXPECT_TRUE(std::regex_match(SanitizeBedrockName(in), pattern)) << in;
  }
}

TEST(ActionSchemaTest, NestedObjectBecomesJsonStringParameter) {
  PlanOptions options;
  options.limits.max_parameters = 0;  // no limit: look at the encodings only
  auto plan = PlanActionGroup(Tools(kTools), options);
  ASSERT_TRUE(plan.ok());
  const FunctionMapping& f = plan->functions[1];
  const ParameterMapping* filters = nullptr;
  for (const auto& p : f.parameters) {
    if (p.property == "filters") filters = &p;
  }
  ASSERT_NE(filters, nullptr);
  EXPECT_EQ(filters->type, "string");
  EXPECT_EQ(filters->encoding, ArgumentEncoding::kJsonString);
  EXPECT_NE(filters->description.find("JSON"), std::string::npos);
  EXPECT_NE(Joined(plan->warnings).find("argument 'filters' (object)"), std::string::npos);
}

TEST(ActionSchemaTest, ScalarArraysNullableAndEnumsKeepTheirTypes) {
  PlanOptions options;
  options.limits.max_parameters = 0;
  auto plan = PlanActionGroup(Tools(kTools), options);
  ASSERT_TRUE(plan.ok());
  std::map<std::string, const ParameterMapping*> by_property;
  for (const auto& p : plan->functions[1].parameters) by_property[p.property] = &p;
  EXPECT_EQ(by_property["tags"]->type, "array");
  EXPECT_EQ(by_property["tags"]->encoding, ArgumentEncoding::kValue);
  EXPECT_EQ(by_property["limit"]->type, "number");
  EXPECT_EQ(by_property["exact"]->type, "boolean");
  EXPECT_EQ(by_property["mode"]->type, "string");
  EXPECT_NE(by_property["mode"]->description.find("Allowed values: fast, deep"), std::string::npos);
  EXPECT_EQ(by_property["max results"]->name, "max_results");
  EXPECT_EQ(by_property["max results"]->type, "integer");
  EXPECT_NE(by_property["max results"]->description.find("Default: 10"), std::string::npos);
}

TEST(ActionSchemaTest, TooManyParametersPutTheRestInOneJsonObject) {
  auto plan = PlanActionGroup(Tools(kTools), PlanOptions());  // 5 parameters per function
  ASSERT_TRUE(plan.ok());
  const FunctionMapping& f = plan->functions[1];
  ASSERT_EQ(f.parameters.size(), 5u);
  // Required ones first, then schema order; the fifth slot carries the rest.
  EXPECT_EQ(f.parameters[0].property, "query");
  EXPECT_EQ(f.parameters[1].property, "mode");
  EXPECT_EQ(f.parameters[2].property, "max results");
  EXPECT_EQ(f.parameters[3].property, "filters");
  EXPECT_EQ(f.parameters[4].name, "more_arguments_json");
  EXPECT_EQ(f.overflow_parameter, "more_arguments_json");
  EXPECT_EQ(f.overflow_properties, (std::vector<std::string>{"tags", "exact", "limit"}));
  EXPECT_FALSE(f.parameters[4].required);  // none of the overflow is required
  EXPECT_NE(Joined(plan->warnings).find("7 arguments exceed the 5 parameters"), std::string::npos);
}

TEST(ActionSchemaTest, TooManyToolsGoThroughTheDispatcher) {
  json::array tools;
  for (int i = 0; i < 14; ++i) {
    tools.push_back(json::object{{"name", "tool" + std::to_string(i)},
                                 {"description", "Tool number " + std::to_string(i)}});
  }
  auto plan = PlanActionGroup(tools, PlanOptions());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->functions.size(), 11u);
  EXPECT_EQ(plan->functions[9].tool, "tool9");
  const FunctionMapping& dispatcher = plan->functions[10];
  EXPECT_TRUE(dispatcher.dispatcher);
  EXPECT_EQ(dispatcher.name, "call_mcp_tool");
  ASSERT_EQ(plan->dispatched.size(), 4u);
  EXPECT_EQ(plan->dispatched[0].name, "tool10");
  EXPECT_NE(plan->FindDispatched("tool13"), nullptr);
  EXPECT_NE(dispatcher.description.find("tool12: Tool number 12."), std::string::npos);
  auto problems = ProblemsWith(FunctionSchemaJson(*plan), "FunctionSchema");
  EXPECT_TRUE(problems.empty()) << Joined(problems);
}

TEST(ActionSchemaTest, ToolNamedLikeTheDispatcherDoesNotTakeItsName) {
  json::array tools;
  for (int i = 0; i < 11; ++i) tools.push_back(json::object{{"name", "t" + std::to_string(i)}});
  tools.insert(tools.begin(), json::object{{"name", "call_mcp_tool"}});
  auto plan = PlanActionGroup(tools, PlanOptions());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->functions.back().name, "call_mcp_tool");
  EXPECT_TRUE(plan->functions.back().dispatcher);
  EXPECT_NE(plan->functions[0].name, "call_mcp_tool");
  EXPECT_EQ(plan->functions[0].tool, "call_mcp_tool");
}

TEST(ActionSchemaTest, LongDescriptionsAreCutToTheModelLimits) {
  json::object tool{{"name", "long"}, {"description", std::string(1500, 'd')}};
  tool["inputSchema"] = json::object{
      {"type", "object"},
      {"properties",
       json::object{{"x", {{"type", "string"}, {"description", std::string(600, 'p')}}}}}};
  auto plan = PlanActionGroup(json::array{tool}, PlanOptions());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->functions[0].description.size(), 1200u);
  EXPECT_TRUE(plan->functions[0].description.ends_with("..."));
  EXPECT_EQ(plan->functions[0].parameters[0].description.size(), 500u);
  auto problems = ProblemsWith(FunctionSchemaJson(*plan), "FunctionSchema");
  EXPECT_TRUE(problems.empty()) << Joined(problems);
}

TEST(ActionSchemaTest, TruncationCountsCharactersNotBytes) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += "é";  // 2 bytes each
  EXPECT_EQ(TruncateChars(text, 10), text);
  std::string cut = TruncateChars(text, 6);
  EXPECT_EQ(cut, "ééé...");
}

TEST(ActionSchemaTest, ToolWithoutDescriptionGetsOne) {
  auto plan = PlanActionGroup(Tools(R"js([{"name": "ping"}])js"), PlanOptions());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->functions[0].description, "Calls the MCP tool 'ping'.");
  EXPECT_TRUE(plan->functions[0].parameters.empty());
}

TEST(ActionSchemaTest, OnlyToolsSelectsAndOrders) {
  PlanOptions options;
  options.only_tools = {"files.search/v2", "echo"};
  auto plan = PlanActionGroup(Tools(kTools), options);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->functions.size(), 2u);
  EXPECT_EQ(plan->functions[0].tool, "files.search/v2");
  options.only_tools = {"missing"};
  auto missing = PlanActionGroup(Tools(kTools), options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.error().message().find("has no tool 'missing'"), std::string::npos);
}

TEST(ActionSchemaTest, ToolWithoutNameIsRejected) {
  auto plan = PlanActionGroup(Tools(R"js([{"description": "x"}])js"), PlanOptions());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ActionSchemaTest, OpenApiHasOnePostPathPerToolAndNoParameterLimit) {
  PlanOptions options;
  options.form = SchemaForm::kOpenApi;
  auto plan = PlanActionGroup(Tools(kTools), options);
  ASSERT_TRUE(plan.ok());
  json::object doc = OpenApiJson(*plan, "files", "1.0.0");
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.0");
  const json::object& paths = doc.at("paths").as_object();
  ASSERT_EQ(paths.size(), 2u);
  const json::object& search = paths.at("/files_search_v2").at("post").as_object();
  EXPECT_EQ(search.at("operationId").as_string(), "files_search_v2");
  const json::object& body_schema =
      search.at("requestBody").at("content").at("application/json").at("schema").as_object();
  EXPECT_EQ(body_schema.at("properties").as_object().size(), 7u);  // no overflow in OpenAPI
  EXPECT_EQ(body_schema.at("properties").at("tags").at("items").at("type").as_string(), "string");
  EXPECT_EQ(body_schema.at("properties").at("filters").at("type").as_string(), "string");
  EXPECT_EQ(body_schema.at("required").as_array(), (json::array{"query", "mode"}));
  EXPECT_TRUE(search.at("responses").as_object().contains("200"));
  EXPECT_TRUE(search.at("responses").as_object().contains("503"));
  // The document fits the APISchema payload member of an action group definition.
  json::object group{{"actionGroupName", "files"},
                     {"apiSchema", {{"payload", json::serialize(doc)}}},
                     {"actionGroupExecutor",
                      {{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:mcp-bridge"}}}};
  auto problems = ProblemsWith(group, "ActionGroupDefinition");
  EXPECT_TRUE(problems.empty()) << Joined(problems);
}

// CloudFormation's property names are the service model's with a capital first letter.
json::value Camel(const json::value& v, bool data_keys = false) {
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.as_array()) out.push_back(Camel(item));
    return out;
  }
  if (!v.is_object()) return v;
  json::object out;
  for (const auto& [key, value] : v.as_object()) {
    std::string k(key);
    if (!data_keys && !k.empty()) k[0] = static_cast<char>(std::tolower(k[0]));
    out[k] = Camel(value, k == "parameters");
  }
  return out;
}

TEST(ActionSchemaTest, CloudFormationActionGroupValidatesAgainstTheServiceModel) {
  auto plan = PlanActionGroup(Tools(kTools), PlanOptions());
  ASSERT_TRUE(plan.ok());
  CloudFormationOptions options;
  options.action_group_name = "files tools";
  options.action_group_description = std::string(300, 'x');
  json::object cfn = CloudFormationJson(*plan, options);
  const json::object& agent = cfn.at("Resources").at("Agent").as_object();
  EXPECT_EQ(agent.at("Type").as_string(), "AWS::Bedrock::Agent");
  json::value group = agent.at("Properties").at("ActionGroups").at(0);
  EXPECT_EQ(group.at("ActionGroupName").as_string(), "files_tools");
  EXPECT_EQ(group.at("ActionGroupExecutor").at("Lambda").at("Ref").as_string(),
            "McpBridgeLambdaArn");
  // With the executor's reference resolved, the group is a valid action group definition.
  json::value resolved = Camel(group);
  resolved.as_object()["actionGroupExecutor"] =
      json::object{{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:mcp-bridge"}};
  auto problems = ProblemsWith(resolved, "ActionGroupDefinition");
  EXPECT_TRUE(problems.empty()) << Joined(problems) << json::serialize(resolved);
  // Bedrock may invoke the Lambda for this agent only.
  const json::object& permission =
      cfn.at("Resources").at("BedrockInvokesBridge").at("Properties").as_object();
  EXPECT_EQ(permission.at("Principal").as_string(), "bedrock.amazonaws.com");
  EXPECT_EQ(permission.at("SourceArn").at("Fn::GetAtt").as_array(),
            (json::array{"Agent", "AgentArn"}));
}

TEST(ActionSchemaTest, LimitsTooSmallAreRejected) {
  PlanOptions options;
  options.limits.max_functions = 0;
  EXPECT_FALSE(PlanActionGroup(Tools(kTools), options).ok());
  options.limits.max_functions = 11;
  options.limits.max_parameters = 1;
  EXPECT_FALSE(PlanActionGroup(Tools(kTools), options).ok());
}

}  // namespace
}  // namespace bedrock::bridge

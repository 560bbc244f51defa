// MCP tools as a Bedrock Agents action group: the plan that maps each tool to a function (or an
// OpenAPI operation) within Bedrock's limits, and the three documents written from it.
//
//   bridge::PlanOptions options;                       // function details, Bedrock's limits
//   auto plan = bridge::PlanActionGroup(tools, options);  // tools: the tools/list array
//   for (const auto& w : plan->warnings) Warn(w);      // what needed a fallback, and which
//   json::object schema = bridge::FunctionSchemaJson(*plan);   // {"functions": [...]}
//
// The plan is a pure function of the tool list and the options. The Lambda side (ActionHandler)
// computes it again from the tools it lists, so a function name, a parameter name or a fallback
// decided here is undone there without any state travelling between the two: a mapping is
// reversible as long as the server's tools are the ones the schema was generated from.
//
// What Bedrock cannot express, and what the plan does instead (docs/agents-bridge.md):
//   - a tool or property name outside `([0-9a-zA-Z][_-]?){1,100}`: a sanitised name (other
//     characters become '_', runs of separators collapse, leading ones go), with `_<6 hex>` of a
//     hash of the original appended when two names would collide;
//   - a property that is not a string, number, integer, boolean or array of those (an object, an
//     array of objects, a union, a schema without a type): a string parameter holding its JSON
//     (ArgumentEncoding::kJsonString), decoded before the call;
//   - more properties than a function may have parameters (5): the first ones (required ones
//     first) stay parameters, the rest travel together as one JSON-object string parameter
//     (FunctionMapping::overflow_parameter);
//   - more tools than an action group may have functions (11): the first ones get functions and
//     one more function, the dispatcher, takes `tool_name` and `arguments_json` for the rest;
//   - descriptions over their length limit: cut at a character boundary, ending in "...".
// Each fallback adds a line to ActionGroupPlan::warnings.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::bridge {

// Bedrock's limits. The lengths and the name pattern are the bedrock-agent service model's
// (Name, FunctionDescription, ParameterDescription, Description); the counts are the Agents
// quotas ("An action group can contain up to 11 API operations"; 5 parameters per function).
// Quotas can change: the flags of `agents schema` override the counts.
struct SchemaLimits {
  size_t max_functions = 11;                  // functions or API operations per action group
  size_t max_parameters = 5;                  // parameters per function (function details only)
  size_t max_function_description = 1200;     // FunctionDescription
  size_t max_parameter_description = 500;     // ParameterDescription
  size_t max_action_group_description = 200;  // Description
  size_t max_name_groups = 100;               // Name: ([0-9a-zA-Z][_-]?){1,100}
};

// The two ways an action group declares its actions; their Lambda events differ too.
enum class SchemaForm {
  kFunctionDetails,  // functionSchema.functions[]: events carry `function` and `parameters`
  kOpenApi,          // apiSchema: events carry `apiPath`, `httpMethod` and `requestBody`
};

enum class ArgumentEncoding {
  kValue,       // a Bedrock parameter of the property's own type, converted back before the call
  kJsonString,  // a string parameter holding the property's JSON value
};

struct ParameterMapping {
  std::string name;      // the Bedrock parameter (or request-body property) name
  std::string property;  // the MCP argument it carries
  std::string type;      // string, number, integer, boolean or array
  std::string description;
  bool required = false;
  ArgumentEncoding encoding = ArgumentEncoding::kValue;
  boost::json::value schema;  // the property's JSON schema, for converting values back
};

struct FunctionMapping {
  std::string name;  // the function name; the OpenAPI operationId, and apiPath "/<name>"
  std::string tool;  // the MCP tool it calls; empty for the dispatcher
  std::string description;
  std::vector<ParameterMapping> parameters;
  // When the tool has more properties than fit, the rest arrive as one JSON object in this
  // parameter (also listed in `parameters`, as a kJsonString string).
  std::string overflow_parameter;
  std::vector<std::string> overflow_properties;
  bool dispatcher = false;  // takes tool_name + arguments_json for ActionGroupPlan::dispatched
  boost::json::object input_schema;  // the tool's, as listed
  boost::json::value output_schema;  // the tool's outputSchema, or null
};

struct ActionGroupPlan {
  SchemaForm form = SchemaForm::kFunctionDetails;
  std::vector<FunctionMapping> functions;
  // Tools reachable only through the dispatcher function: MCP name and input schema.
  struct DispatchedTool {
    std::string name;
    std::string description;
    boost::json::object input_schema;
  };
  std::vector<DispatchedTool> dispatched;
  std::vector<std::string> warnings;

  // The function whose Bedrock name, or else whose MCP tool name, is `name`; null if none.
  const FunctionMapping* FindFunction(std::string_view name) const;
  // A dispatched tool by its MCP name; null if none.
  const DispatchedTool* FindDispatched(std::string_view tool) const;
};

// Not an aggregate (see mcp::SendOptions): passed around coroutines.
struct PlanOptions {
  PlanOptions() {}
  SchemaForm form = SchemaForm::kFunctionDetails;
  SchemaLimits limits;
  // When non-empty, only these tools (MCP names), in this order; an unknown name is an error.
  std::vector<std::string> only_tools;
};

// The dispatcher's function and parameter names (before collision handling).
inline constexpr std::string_view kDispatcherFunction = "call_mcp_tool";
inline constexpr std::string_view kDispatcherToolParameter = "tool_name";
inline constexpr std::string_view kDispatcherArgumentsParameter = "arguments_json";
inline constexpr std::string_view kOverflowParameter = "more_arguments_json";

// Maps `tools` (the tools/list array) to an action group. Fails (kInvalidArgument) only for an
// unknown name in only_tools, tools without a name, or limits too small to hold anything.
core::Result<ActionGroupPlan> PlanActionGroup(const boost::json::array& tools,
                                              const PlanOptions& options);

// Whether `name` matches the service model's Name pattern with at most `max_groups` groups.
bool IsValidBedrockName(std::string_view name, size_t max_groups = 100);
// A name that matches the pattern, derived from `name` (the sanitising described above, without
// the collision suffix).
std::string SanitizeBedrockName(std::string_view name, size_t max_groups = 100);
// `text` cut to at most `max_chars` Unicode characters (ending in "..." when cut).
std::string TruncateChars(std::string_view text, size_t max_chars);

// --- The documents. ---

// FunctionSchema: {"functions": [{name, description, parameters: {n: {type, description,
// required}}}]}, what `aws bedrock-agent create-agent-action-group --function-schema` takes.
boost::json::object FunctionSchemaJson(const ActionGroupPlan& plan);

// An OpenAPI 3.0 document: one POST path per function ("/<name>", operationId <name>), a JSON
// request body with the parameters as properties, and 200/400/404/500/503 responses.
boost::json::object OpenApiJson(const ActionGroupPlan& plan, std::string_view title,
                                std::string_view version);

struct CloudFormationOptions {
  std::string action_group_name = "mcp_tools";
  std::string action_group_description;  // cut to max_action_group_description
  std::string agent_name = "mcp-agent";
};

// A CloudFormation template: parameters for the Lambda ARN, the agent's service role, model and
// instruction; an AWS::Bedrock::Agent whose ActionGroups entry carries the plan (FunctionSchema,
// or ApiSchema.Payload for kOpenApi) with the Lambda as executor; and the AWS::Lambda::Permission
// that lets bedrock.amazonaws.com invoke the Lambda for this agent only (SourceArn).
boost::json::object CloudFormationJson(const ActionGroupPlan& plan,
                                       const CloudFormationOptions& options);

}  // namespace bedrock::bridge

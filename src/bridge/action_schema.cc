#include "bridge/action_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <set>
#include <utility>

#include "bridge/internal/json_schema.h"
#include "core/utf8.h"

namespace bedrock::bridge {
namespace {

namespace json = boost::json;
using internal::EffectiveSchema;
using internal::SingleType;
using internal::StringMember;

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// FNV-1a: a stable, dependency-free hash for the collision suffix.
uint32_t Fnv1a(std::string_view text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

// Hands out names unique within one scope (the functions of a group, the parameters of one
// function): a taken or sanitised-to-taken name gets the original's hash appended.
class NameScope {
 public:
  explicit NameScope(size_t max_groups) : max_groups_(max_groups) {}

  // Reserves a name exactly as given (it must be valid); false when taken.
  bool Reserve(const std::string& name) { return used_.insert(name).second; }

  std::string Assign(std::string_view original) {
    std::string name = SanitizeBedrockName(original, max_groups_);
    if (used_.insert(name).second) return name;
    const std::string suffix = fmt::format("_{:06x}", Fnv1a(original) & 0xffffff);
    // The suffix is 7 characters, 6 groups ("_1" joins the last kept character's group).
    std::string base = SanitizeBedrockName(original, max_groups_ > 7 ? max_groups_ - 7 : 1);
    while (!base.empty() && !IsAlnum(base.back())) base.pop_back();
    std::string candidate = base + suffix;
    for (int n = 2; !used_.insert(candidate).second; ++n) {
      candidate = fmt::format("{}{}{}", base, suffix, n);
    }
    return candidate;
  }

 private:
  size_t max_groups_;
  std::set<std::string> used_;
};

// What a property's schema becomes in Bedrock.
struct PropertyKind {
  ArgumentEncoding encoding = ArgumentEncoding::kJsonString;
  std::string type = "string";  // the Bedrock type
  std::string item_type;        // for arrays
};

bool IsScalarType(std::string_view type) {
  return type == "string" || type == "number" || type == "integer" || type == "boolean";
}

PropertyKind Classify(const json::value& schema_value) {
  PropertyKind kind;
  if (!schema_value.is_object()) return kind;
  const json::object& schema = EffectiveSchema(schema_value.get_object());
  std::string type = SingleType(schema);
  if (IsScalarType(type)) {
    kind.encoding = ArgumentEncoding::kValue;
    kind.type = type;
    return kind;
  }
  if (type == "array") {
    const json::value* items = schema.if_contains("items");
    if (items != nullptr && items->is_object()) {
      std::string item_type = SingleType(EffectiveSchema(items->get_object()));
      if (IsScalarType(item_type)) {
        kind.encoding = ArgumentEncoding::kValue;
        kind.type = "array";
        kind.item_type = item_type;
      }
    }
  }
  return kind;
}

std::string JsonText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// "Search terms (array of string). Allowed values: a, b. Default: 3." from the property schema.
std::string DescribeProperty(const json::value& schema_value, const PropertyKind& kind,
                             const std::string& property, const std::string& name) {
  const json::object empty;
  const json::object& schema =
      schema_value.is_object() ? EffectiveSchema(schema_value.get_object()) : empty;
  const json::object& outer = schema_value.is_object() ? schema_value.get_object() : empty;
  std::string text = StringMember(outer, "description");
  if (text.empty()) text = StringMember(schema, "description");
  if (text.empty()) text = StringMember(outer, "title");
  auto sentence = [&text](std::string piece) {
    if (!text.empty() && text.back() != '.' && text.back() != ' ') text += '.';
    if (!text.empty()) text += ' ';
    text += piece;
  };
  if (name != property) sentence(fmt::format("(MCP argument '{}')", property));
  if (kind.encoding == ArgumentEncoding::kJsonString) {
    sentence("A JSON value as a string; its JSON schema: " + json::serialize(schema_value));
    return text;
  }
  if (kind.type == "array") sentence(fmt::format("An array of {} values.", kind.item_type));
  if (const json::value* values = schema.if_contains("enum");
      values != nullptr && values->is_array()) {
    std::vector<std::string> names;
    for (const auto& v : values->get_array()) names.push_back(JsonText(v));
    sentence("Allowed values: " + Join(names, ", ") + ".");
  }
  if (const json::value* d = outer.if_contains("default"); d != nullptr) {
    sentence("Default: " + JsonText(*d) + ".");
  }
  return text;
}

std::vector<std::string> RequiredList(const json::object& schema) {
  std::vector<std::string> out;
  const json::value* required = schema.if_contains("required");
  if (required == nullptr || !required->is_array()) return out;
  for (const auto& r : required->get_array()) {
    if (r.is_string()) out.emplace_back(r.get_string());
  }
  return out;
}

// A one-line summary of a tool's arguments for the dispatcher's description.
std::string ArgumentSummary(const json::object& input_schema) {
  const json::value* properties = input_schema.if_contains("properties");
  if (properties == nullptr || !properties->is_object()) return "no arguments";
  std::vector<std::string> required = RequiredList(input_schema);
  std::vector<std::string> parts;
  for (const auto& [key, schema] : properties->get_object()) {
    std::string type = schema.is_object() ? SingleType(schema.get_object()) : std::string();
    bool is_required = std::find(required.begin(), required.end(), key) != required.end();
    parts.push_back(fmt::format("{} ({}{})", std::string_view(key), type.empty() ? "json" : type,
                                is_required ? ", required" : ""));
  }
  return parts.empty() ? "no arguments" : Join(parts, ", ");
}

std::string ToolDescription(const json::object& tool) {
  std::string text = StringMember(tool, "description");
  if (text.empty()) text = StringMember(tool, "title");
  return text;
}

// Maps one tool to the function `name`.
FunctionMapping PlanFunction(const json::object& tool, std::string name, const PlanOptions& options,
                             std::vector<std::string>& warnings) {
  const SchemaLimits& limits = options.limits;
  FunctionMapping f;
  f.tool = StringMember(tool, "name");
  f.name = std::move(name);
  if (f.name != f.tool) {
    warnings.push_back(
        fmt::format("tool '{}': its name is not a valid Bedrock name; the {} is '{}'", f.tool,
                    options.form == SchemaForm::kOpenApi ? "operation" : "function", f.name));
  }
  if (const json::value* s = tool.if_contains("inputSchema"); s != nullptr && s->is_object()) {
    f.input_schema = s->get_object();
  }
  if (const json::value* s = tool.if_contains("outputSchema"); s != nullptr && s->is_object()) {
    f.output_schema = *s;
  }

  // Properties, required ones first (only when not all fit), in schema order otherwise.
  struct Candidate {
    std::string property;
    const json::value* schema;
    bool required;
  };
  std::vector<Candidate> candidates;
  std::vector<std::string> required = RequiredList(f.input_schema);
  static const json::value kNoSchema;
  if (const json::value* p = f.input_schema.if_contains("properties");
      p != nullptr && p->is_object()) {
    for (const auto& [key, schema] : p->get_object()) {
      std::string name(key);
      bool is_required = std::find(required.begin(), required.end(), name) != required.end();
      candidates.push_back({std::move(name), &schema, is_required});
    }
  }
  size_t fit = candidates.size();
  if (options.form == SchemaForm::kFunctionDetails && limits.max_parameters > 0 &&
      candidates.size() > limits.max_parameters) {
    fit = limits.max_parameters - 1;  // the last slot carries the rest
    std::stable_partition(candidates.begin(), candidates.end(),
                          [](const Candidate& c) { return c.required; });
  }

  NameScope parameter_scope(limits.max_name_groups);
  parameter_scope.Reserve(std::string(kOverflowParameter));
  for (size_t i = 0; i < fit; ++i) {
    const Candidate& c = candidates[i];
    PropertyKind kind = Classify(*c.schema);
    ParameterMapping p;
    p.property = c.property;
    p.name = parameter_scope.Assign(c.property);
    p.type = kind.type;
    p.required = c.required;
    p.encoding = kind.encoding;
    p.schema = *c.schema;
    p.description = DescribeProperty(*c.schema, kind, p.property, p.name);
    if (p.name != p.property) {
      warnings.push_back(
          fmt::format("tool '{}': argument '{}' is not a valid Bedrock name; the "
                      "parameter is '{}'",
                      f.tool, p.property, p.name));
    }
    if (kind.encoding == ArgumentEncoding::kJsonString) {
      warnings.push_back(fmt::format("tool '{}': argument '{}' ({}) cannot be a Bedrock parameter "
                                     "type; it is a string parameter holding its JSON",
                                     f.tool, p.property,
                                     c.schema->is_object()
                                         ? [&] {
                                             std::string t = SingleType(c.schema->get_object());
                                             return t.empty() ? std::string("no single type") : t;
                                           }()
                                         : std::string("no schema")));
    }
    if (p.description.size() > limits.max_parameter_description) {
      std::string cut = TruncateChars(p.description, limits.max_parameter_description);
      if (cut != p.description) {
        warnings.push_back(fmt::format("tool '{}': the description of '{}' is cut to {} characters",
                                       f.tool, p.name, limits.max_parameter_description));
        p.description = std::move(cut);
      }
    }
    f.parameters.push_back(std::move(p));
  }
  if (fit < candidates.size()) {
    ParameterMapping overflow;
    overflow.name = std::string(kOverflowParameter);
    overflow.type = "string";
    overflow.encoding = ArgumentEncoding::kJsonString;
    std::vector<std::string> names;
    for (size_t i = fit; i < candidates.size(); ++i) {
      f.overflow_properties.push_back(candidates[i].property);
      names.push_back(candidates[i].property + (candidates[i].required ? " (required)" : ""));
      overflow.required = overflow.required || candidates[i].required;
    }
    overflow.description =
        TruncateChars("A JSON object with the tool's other arguments: " + Join(names, ", ") + ".",
                      limits.max_parameter_description);
    f.overflow_parameter = overflow.name;
    warnings.push_back(fmt::format(
        "tool '{}': {} arguments exceed the {} parameters a function may have; {} travel as one "
        "JSON object in '{}'",
        f.tool, candidates.size(), limits.max_parameters, Join(f.overflow_properties, ", "),
        overflow.name));
    f.parameters.push_back(std::move(overflow));
  }

  std::string description = ToolDescription(tool);
  if (description.empty()) description = fmt::format("Calls the MCP tool '{}'.", f.tool);
  if (f.name != f.tool) description += fmt::format(" (MCP tool '{}')", f.tool);
  f.description = TruncateChars(description, limits.max_function_description);
  if (f.description != description) {
    warnings.push_back(fmt::format("tool '{}': its description is cut to {} characters", f.tool,
                                   limits.max_function_description));
  }
  return f;
}

FunctionMapping PlanDispatcher(const std::vector<ActionGroupPlan::DispatchedTool>& tools,
                               std::string name, const SchemaLimits& limits,
                               std::vector<std::string>& warnings) {
  FunctionMapping f;
  f.dispatcher = true;
  f.name = std::move(name);
  std::string description =
      "Calls one of these MCP tools: put its name in tool_name and its arguments, as a JSON "
      "object, in arguments_json.";
  std::vector<std::string> names;
  for (const auto& t : tools) {
    names.push_back(t.name);
    description += fmt::format(" {}: {}{}Arguments: {}.", t.name, t.description,
                               t.description.empty() || t.description.back() == '.' ? " " : ". ",
                               ArgumentSummary(t.input_schema));
  }
  f.description = TruncateChars(description, limits.max_function_description);
  if (f.description != description) {
    warnings.push_back(fmt::format("function '{}': its description is cut to {} characters", f.name,
                                   limits.max_function_description));
  }
  ParameterMapping tool;
  tool.name = std::string(kDispatcherToolParameter);
  tool.type = "string";
  tool.required = true;
  tool.description = TruncateChars("The MCP tool to call, one of: " + Join(names, ", ") + ".",
                                   limits.max_parameter_description);
  ParameterMapping arguments;
  arguments.name = std::string(kDispatcherArgumentsParameter);
  arguments.type = "string";
  arguments.encoding = ArgumentEncoding::kJsonString;
  arguments.description = "The tool's arguments as a JSON object, e.g. {\"path\": \"/tmp\"}.";
  f.parameters.push_back(std::move(tool));
  f.parameters.push_back(std::move(arguments));
  return f;
}

json::object ParameterSchemaJson(const ParameterMapping& p) {
  json::object s;
  s["type"] = p.type;
  if (p.type == "array") {
    std::string item_type = "string";
    if (p.schema.is_object()) {
      const json::object& schema = EffectiveSchema(p.schema.get_object());
      if (const json::value* items = schema.if_contains("items");
          items != nullptr && items->is_object()) {
        item_type = SingleType(EffectiveSchema(items->get_object()));
      }
    }
    s["items"] = json::object{{"type", item_type}};
  }
  if (!p.description.empty()) s["description"] = p.description;
  if (p.encoding == ArgumentEncoding::kValue && p.schema.is_object()) {
    const json::object& schema = EffectiveSchema(p.schema.get_object());
    if (const json::value* e = schema.if_contains("enum"); e != nullptr && p.type == "string") {
      s["enum"] = *e;
    }
  }
  return s;
}

}  // namespace

const FunctionMapping* ActionGroupPlan::FindFunction(std::string_view name) const {
  for (const auto& f : functions) {
    if (f.name == name) return &f;
  }
  for (const auto& f : functions) {
    if (!f.dispatcher && f.tool == name) return &f;
  }
  return nullptr;
}

const ActionGroupPlan::DispatchedTool* ActionGroupPlan::FindDispatched(
    std::string_view tool) const {
  for (const auto& t : dispatched) {
    if (t.name == tool) return &t;
  }
  return nullptr;
}

bool IsValidBedrockName(std::string_view name, size_t max_groups) {
  // ([0-9a-zA-Z][_-]?){1,max}: each group is a letter or digit, optionally followed by one
  // separator.
  size_t groups = 0;
  size_t i = 0;
  while (i < name.size()) {
    if (!IsAlnum(name[i])) return false;
    ++groups;
    ++i;
    if (i < name.size() && (name[i] == '_' || name[i] == '-')) ++i;
  }
  return groups >= 1 && groups <= max_groups;
}

std::string SanitizeBedrockName(std::string_view name, size_t max_groups) {
  std::string out;
  size_t groups = 0;
  for (char c : name) {
    if (IsAlnum(c)) {
      if (groups == max_groups) break;
      out += c;
      ++groups;
    } else if (!out.empty() && IsAlnum(out.back())) {
      out += (c == '-') ? '-' : '_';
    }
  }
  if (out.empty()) out = "tool";
  return out;
}

std::string TruncateChars(std::string_view text, size_t max_chars) {
  // Count characters (invalid bytes count as one each).
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size();) {
    starts.push_back(i);
    size_t n = core::Utf8SequenceLength(text, i);
    i += n == 0 ? 1 : n;
  }
  if (starts.size() <= max_chars) return std::string(text);
  if (max_chars <= 3) return std::string(text.substr(0, starts[max_chars]));
  return std::string(text.substr(0, starts[max_chars - 3])) + "...";
}

core::Result<ActionGroupPlan> PlanActionGroup(const json::array& tools,
                                              const PlanOptions& options) {
  const SchemaLimits& limits = options.limits;
  if (limits.max_functions < 1 || limits.max_name_groups < 8 ||
      (options.form == SchemaForm::kFunctionDetails && limits.max_parameters == 1)) {
    return core::Error::InvalidArgument(
        "limits too small: an action group needs at least 1 function, names 8 characters and "
        "functions 0 (unlimited) or at least 2 parameters");
  }
  // The tools, in order (or in only_tools' order).
  std::vector<const json::object*> chosen;
  for (const json::value& t : tools) {
    if (!t.is_object() || StringMember(t.get_object(), "name").empty()) {
      return core::Error::InvalidArgument("a listed tool has no name");
    }
  }
  if (options.only_tools.empty()) {
    for (const json::value& t : tools) chosen.push_back(&t.get_object());
  } else {
    for (const std::string& name : options.only_tools) {
      const json::object* found = nullptr;
      std::vector<std::string> names;
      for (const json::value& t : tools) {
        names.push_back(StringMember(t.get_object(), "name"));
        if (names.back() == name) found = &t.get_object();
      }
      if (found == nullptr) {
        return core::Error::InvalidArgument("the server has no tool '{}' (it has: {})", name,
                                            names.empty() ? "none" : Join(names, ", "));
      }
      chosen.push_back(found);
    }
  }

  ActionGroupPlan plan;
  plan.form = options.form;
  // Tool names are assigned in sorted order so that a name's collision suffix does not depend on
  // the order the server lists its tools in; the functions keep the listing order.
  size_t direct = chosen.size();
  if (chosen.size() > limits.max_functions) direct = limits.max_functions - 1;
  if (limits.max_functions == 1 && chosen.size() > 1) direct = 0;

  NameScope scope(limits.max_name_groups);
  // The dispatcher's name is reserved first when it will exist, so tools never take it.
  std::string dispatcher_name;
  if (direct < chosen.size()) {
    dispatcher_name = SanitizeBedrockName(kDispatcherFunction, limits.max_name_groups);
    scope.Reserve(dispatcher_name);
  }
  std::vector<size_t> order(direct);
  for (size_t i = 0; i < direct; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return StringMember(*chosen[a], "name") < StringMember(*chosen[b], "name");
  });
  // Valid names first, so a sanitised name never takes a name a tool has natively.
  std::vector<std::string> names(direct);
  for (size_t i : order) {
    std::string name = StringMember(*chosen[i], "name");
    if (IsValidBedrockName(name, limits.max_name_groups) && scope.Reserve(name)) {
      names[i] = std::move(name);
    }
  }
  for (size_t i : order) {
    if (names[i].empty()) names[i] = scope.Assign(StringMember(*chosen[i], "name"));
  }
  for (size_t i = 0; i < direct; ++i) {
    plan.functions.push_back(PlanFunction(*chosen[i], std::move(names[i]), options, plan.warnings));
  }

  if (direct < chosen.size()) {
    for (size_t i = direct; i < chosen.size(); ++i) {
      ActionGroupPlan::DispatchedTool t;
      t.name = StringMember(*chosen[i], "name");
      t.description = ToolDescription(*chosen[i]);
      if (const json::value* s = chosen[i]->if_contains("inputSchema");
          s != nullptr && s->is_object()) {
        t.input_schema = s->get_object();
      }
      plan.dispatched.push_back(std::move(t));
    }
    FunctionMapping dispatcher =
        PlanDispatcher(plan.dispatched, dispatcher_name, limits, plan.warnings);
    std::vector<std::string> names;
    for (const auto& t : plan.dispatched) names.push_back(t.name);
    plan.warnings.push_back(fmt::format(
        "{} tools exceed the {} {} an action group may have; {} are reachable through '{}' "
        "(tool_name + arguments_json)",
        chosen.size(), limits.max_functions,
        options.form == SchemaForm::kOpenApi ? "operations" : "functions", Join(names, ", "),
        dispatcher.name));
    plan.functions.push_back(std::move(dispatcher));
  }
  return plan;
}

// --- Documents. ---

namespace {

json::object FunctionJson(const FunctionMapping& f) {
  json::object out;
  out["name"] = f.name;
  if (!f.description.empty()) out["description"] = f.description;
  json::object parameters;
  for (const auto& p : f.parameters) {
    json::object detail;
    if (!p.description.empty()) detail["description"] = p.description;
    detail["type"] = p.type;
    detail["required"] = p.required;
    parameters[p.name] = std::move(detail);
  }
  out["parameters"] = std::move(parameters);
  return out;
}

json::object ErrorResponse(std::string_view description) {
  json::object schema{
      {"type", "object"},
      {"properties",
       json::object{{"error", json::object{{"type", "object"},
                                           {"properties", json::object{
                                                              {"type", {{"type", "string"}}},
                                                              {"message", {{"type", "string"}}},
                                                          }}}}}}};
  return json::object{
      {"description", description},
      {"content", json::object{{"application/json", json::object{{"schema", std::move(schema)}}}}}};
}

// Capitalises the first letter of each key, recursively (CloudFormation's property names), except
// the keys of a `parameters` map, which are parameter names.
json::value Pascal(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.get_array()) out.push_back(Pascal(item));
    return out;
  }
  if (!v.is_object()) return v;
  json::object out;
  for (const auto& [key, value] : v.get_object()) {
    std::string k(key);
    // The keys of a parameters map are parameter names, not property names.
    bool data_map = k == "parameters";
    if (!k.empty() && k[0] >= 'a' && k[0] <= 'z') k[0] = char(k[0] - 'a' + 'A');
    if (data_map && value.is_object()) {
      json::object params;
      for (const auto& [name, detail] : value.get_object()) params[name] = Pascal(detail);
      out[k] = std::move(params);
    } else {
      out[k] = Pascal(value);
    }
  }
  return out;
}

}  // namespace

json::object FunctionSchemaJson(const ActionGroupPlan& plan) {
  json::array functions;
  for (const auto& f : plan.functions) functions.push_back(FunctionJson(f));
  return json::object{{"functions", std::move(functions)}};
}

json::object OpenApiJson(const ActionGroupPlan& plan, std::string_view title,
                         std::string_view version) {
  json::object paths;
  for (const auto& f : plan.functions) {
    json::object operation;
    operation["operationId"] = f.name;
    operation["summary"] = TruncateChars(f.description, 120);
    operation["description"] = f.description;
    if (!f.parameters.empty()) {
      json::object properties;
      json::array required;
      for (const auto& p : f.parameters) {
        properties[p.name] = ParameterSchemaJson(p);
        if (p.required) required.push_back(json::string(p.name));
      }
      json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
      if (!required.empty()) schema["required"] = std::move(required);
      operation["requestBody"] = json::object{
          {"required", true},
          {"content",
           json::object{{"application/json", json::object{{"schema", std::move(schema)}}}}}};
    }
    json::value ok_schema = f.output_schema.is_object()
                                ? f.output_schema
                                : json::value(json::object{
                                      {"type", "object"},
                                      {"properties", json::object{{"text", {{"type", "string"}}}}},
                                  });
    operation["responses"] = json::object{
        {"200",
         json::object{{"description", "The tool's result: its structured content, or its text"},
                      {"content", json::object{{"application/json",
                                                json::object{{"schema", std::move(ok_schema)}}}}}}},
        {"400", ErrorResponse("The arguments are invalid, or the tool reported an error")},
        {"404", ErrorResponse("The MCP server has no such tool")},
        {"500", ErrorResponse("The MCP server failed")},
        {"503", ErrorResponse("The MCP server cannot be reached")},
        {"504", ErrorResponse("The MCP server did not answer in time")},
    };
    paths["/" + f.name] = json::object{{"post", std::move(operation)}};
  }
  return json::object{
      {"openapi", "3.0.0"},
      {"info", json::object{{"title", title},
                            {"version", version},
                            {"description", "MCP tools served through bedrock-mcp agents lambda"}}},
      {"paths", std::move(paths)},
  };
}

json::object CloudFormationJson(const ActionGroupPlan& plan, const CloudFormationOptions& options) {
  const std::string group_name = SanitizeBedrockName(options.action_group_name);
  json::object group;
  group["ActionGroupName"] = group_name;
  std::string description = options.action_group_description.empty()
                                ? std::string("MCP tools served by bedrock-mcp agents lambda")
                                : options.action_group_description;
  group["Description"] = TruncateChars(description, SchemaLimits().max_action_group_description);
  group["ActionGroupState"] = "ENABLED";
  group["ActionGroupExecutor"] = json::object{{"Lambda", {{"Ref", "McpBridgeLambdaArn"}}}};
  if (plan.form == SchemaForm::kOpenApi) {
    group["ApiSchema"] =
        json::object{{"Payload", json::serialize(OpenApiJson(plan, group_name, "1.0.0"))}};
  } else {
    group["FunctionSchema"] = Pascal(FunctionSchemaJson(plan));
  }
  json::object agent_properties{
      {"AgentName", SanitizeBedrockName(options.agent_name)},
      {"AgentResourceRoleArn", {{"Ref", "AgentResourceRoleArn"}}},
      {"FoundationModel", {{"Ref", "FoundationModel"}}},
      {"Instruction", {{"Ref", "AgentInstruction"}}},
      {"AutoPrepare", true},
      {"ActionGroups", json::array{std::move(group)}},
  };
  json::object parameters{
      {"McpBridgeLambdaArn",
       {{"Type", "String"},
        {"Description",
         "ARN of the Lambda function running `bedrock-mcp agents lambda` (make lambda-zip)"}}},
      {"AgentResourceRoleArn",
       {{"Type", "String"},
        {"Description",
         "The agent's service role (trusts bedrock.amazonaws.com; may call "
         "bedrock:InvokeModel on the foundation model)"}}},
      {"FoundationModel",
       {{"Type", "String"}, {"Default", "anthropic.claude-3-5-sonnet-20240620-v1:0"}}},
      {"AgentInstruction",
       {{"Type", "String"},
        {"MinLength", 40},
        {"Default", "You are a helpful assistant. Use the tools of the " + group_name +
                        " action group to answer the user's questions."}}},
  };
  json::object resources{
      {"Agent", {{"Type", "AWS::Bedrock::Agent"}, {"Properties", std::move(agent_properties)}}},
      {"BedrockInvokesBridge",
       {{"Type", "AWS::Lambda::Permission"},
        {"Properties",
         {{"Action", "lambda:InvokeFunction"},
          {"FunctionName", {{"Ref", "McpBridgeLambdaArn"}}},
          {"Principal", "bedrock.amazonaws.com"},
          {"SourceAccount", {{"Ref", "AWS::AccountId"}}},
          {"SourceArn", {{"Fn::GetAtt", json::array{"Agent", "AgentArn"}}}}}}}},
  };
  return json::object{
      {"AWSTemplateFormatVersion", "2010-09-09"},
      {"Description", "A Bedrock Agent whose action group calls MCP tools through bedrock-mcp"},
      {"Parameters", std::move(parameters)},
      {"Resources", std::move(resources)},
      {"Outputs",
       {{"AgentId", {{"Value", {{"Fn::GetAtt", json::array{"Agent", "AgentId"}}}}}},
        {"AgentArn", {{"Value", {{"Fn::GetAtt", json::array{"Agent", "AgentArn"}}}}}}}},
  };
}

}  // namespace bedrock::bridge

#include "bridge/action_arguments.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "bridge/internal/json_schema.h"

namespace bedrock::bridge {
namespace {

namespace json = boost::json;
using internal::EffectiveSchema;
using internal::SingleType;

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec) return std::nullopt;
  return v;
}

std::string Quote(std::string_view text) {
  constexpr size_t kShown = 80;
  return text.size() <= kShown ? fmt::format("'{}'", text)
                               : fmt::format("'{}...'", text.substr(0, kShown));
}

core::Result<json::value> ToInteger(std::string_view raw, std::string_view what) {
  std::string text(Trim(raw));
  if (!text.empty()) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end == text.c_str() + text.size()) return json::value(int64_t{v});
    // "3.0" and "1e3" are integers too when integral.
    errno = 0;
    double d = std::strtod(text.c_str(), &end);
    if (errno == 0 && end == text.c_str() + text.size() && std::isfinite(d) && d == std::trunc(d) &&
        std::fabs(d) < 9.0e15) {
      return json::value(static_cast<int64_t>(d));
    }
  }
  return core::Error::InvalidArgument("{} must be an integer, not {}", what, Quote(raw));
}

core::Result<json::value> ToNumber(std::string_view raw, std::string_view what) {
  std::string text(Trim(raw));
  if (!text.empty() && text.find_first_of("xXnN") == std::string::npos) {  // no hex, inf, nan
    errno = 0;
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (errno == 0 && end == text.c_str() + text.size() && std::isfinite(d)) {
      if (d == std::trunc(d) && std::fabs(d) < 9.0e15) {
        return json::value(static_cast<int64_t>(d));
      }
      return json::value(d);
    }
  }
  return core::Error::InvalidArgument("{} must be a number, not {}", what, Quote(raw));
}

core::Result<json::value> ToBoolean(std::string_view raw, std::string_view what) {
  std::string text(Trim(raw));
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true") return json::value(true);
  if (text == "false") return json::value(false);
  return core::Error::InvalidArgument("{} must be true or false, not {}", what, Quote(raw));
}

// A JSON value that already has the right JSON type passes; a string is converted as text.
core::Result<json::value> ConvertJsonItem(const json::value& item, const json::value& schema,
                                          std::string_view what) {
  if (item.is_string()) return ConvertValue(item.get_string(), schema, what);
  return ConvertValue(json::serialize(item), schema, what);
}

// "[a, b, 'c']" (no JSON quoting) into its items.
std::vector<std::string> SplitLooseList(std::string_view inner) {
  std::vector<std::string> items;
  if (Trim(inner).empty()) return items;
  size_t start = 0;
  while (start <= inner.size()) {
    size_t comma = inner.find(',', start);
    std::string_view item = Trim(inner.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.size() >= 2 && ((item.front() == '"' && item.back() == '"') ||
                             (item.front() == '\'' && item.back() == '\''))) {
      item = item.substr(1, item.size() - 2);
    }
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

core::Result<json::value> ToArray(std::string_view raw, const json::object& schema,
                                  std::string_view what) {
  static const json::value kAnyItem = json::object();
  const json::value* items_schema = schema.if_contains("items");
  const json::value& item_schema = items_schema != nullptr ? *items_schema : kAnyItem;
  json::array out;
  std::string_view text = Trim(raw);
  if (auto parsed = ParseJson(text); parsed && parsed->is_array()) {
    size_t i = 0;
    for (const json::value& item : parsed->get_array()) {
      auto converted = ConvertJsonItem(item, item_schema, fmt::format("{}[{}]", what, i++));
      if (!converted.ok()) return std::move(converted).error();
      out.push_back(std::move(*converted));
    }
    return json::value(std::move(out));
  }
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // A bare value or a comma-separated list: each item converted as text.
  size_t i = 0;
  for (const std::string& item : SplitLooseList(text)) {
    auto converted = ConvertValue(item, item_schema, fmt::format("{}[{}]", what, i++));
    if (!converted.ok()) return std::move(converted).error();
    out.push_back(std::move(*converted));
  }
  return json::value(std::move(out));
}

core::Result<json::value> ToJson(std::string_view raw, std::string_view what) {
  auto parsed = ParseJson(Trim(raw));
  if (!parsed) {
    return core::Error::InvalidArgument("{} must hold a JSON value, not {}", what, Quote(raw));
  }
  return std::move(*parsed);
}

std::vector<std::string> RequiredOf(const json::object& schema) {
  std::vector<std::string> out;
  if (const json::value* r = schema.if_contains("required"); r != nullptr && r->is_array()) {
    for (const auto& name : r->get_array()) {
      if (name.is_string()) out.emplace_back(name.get_string());
    }
  }
  return out;
}

core::Status CheckRequired(const json::object& input_schema, const json::object& arguments,
                           const FunctionMapping* function, std::string_view tool) {
  for (const std::string& name : RequiredOf(input_schema)) {
    if (arguments.contains(name)) continue;
    // Name the parameter the model knows, and where an overflow argument goes.
    std::string where;
    if (function != nullptr) {
      for (const auto& p : function->parameters) {
        if (p.property == name && p.name != name) where = fmt::format(" (parameter '{}')", p.name);
      }
      if (std::find(function->overflow_properties.begin(), function->overflow_properties.end(),
                    name) != function->overflow_properties.end()) {
        where = fmt::format(" (a member of '{}')", function->overflow_parameter);
      }
    }
    return core::Error::InvalidArgument("missing required argument '{}'{} for tool '{}'", name,
                                        where, tool);
  }
  return core::OkStatus();
}

core::Result<json::object> ObjectFromJson(std::string_view text, std::string_view what) {
  if (Trim(text).empty()) return json::object();
  auto parsed = ParseJson(Trim(text));
  if (!parsed || !parsed->is_object()) {
    return core::Error::InvalidArgument("{} must be a JSON object, not {}", what, Quote(text));
  }
  return std::move(parsed->get_object());
}

const ParameterMapping* FindParameter(const FunctionMapping& f, std::string_view name) {
  for (const auto& p : f.parameters) {
    if (p.name == name) return &p;
  }
  for (const auto& p : f.parameters) {
    if (!p.property.empty() && p.property == name) return &p;
  }
  return nullptr;
}

}  // namespace

core::Result<json::value> ConvertValue(std::string_view text, const json::value& schema_value,
                                       std::string_view what) {
  static const json::object kEmpty;
  const json::object& schema =
      schema_value.is_object() ? EffectiveSchema(schema_value.get_object()) : kEmpty;
  std::string type = SingleType(schema);
  if (type == "string") return json::value(json::string(text));
  if (type == "integer") return ToInteger(text, what);
  if (type == "number") return ToNumber(text, what);
  if (type == "boolean") return ToBoolean(text, what);
  if (type == "array") return ToArray(text, schema, what);
  if (type == "null") return json::value(nullptr);
  // An object, a union, or no schema: JSON if it parses, else the text as a string (a model
  // often sends a plain word for an untyped value).
  if (auto parsed = ParseJson(Trim(text)); parsed) {
    if (type == "object" && !parsed->is_object()) {
      return core::Error::InvalidArgument("{} must be a JSON object, not {}", what, Quote(text));
    }
    return std::move(*parsed);
  }
  if (type == "object") {
    return core::Error::InvalidArgument("{} must be a JSON object, not {}", what, Quote(text));
  }
  return json::value(json::string(text));
}

core::Result<ToolCall> ResolveToolCall(const ActionGroupPlan& plan, const ActionEvent& event) {
  const std::string action = event.ActionName();
  const FunctionMapping* function = plan.FindFunction(action);
  if (function == nullptr) {
    std::vector<std::string> names;
    for (const auto& f : plan.functions) names.push_back(f.name);
    return core::Error::NotFound(
        "no tool for {} '{}' (the action group should have: {})",
        event.form == SchemaForm::kOpenApi ? "API path" : "function",
        event.form == SchemaForm::kOpenApi ? event.api_path : action,
        names.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(names, ", ")));
  }

  // Every value the event carries, whichever list it came in.
  std::vector<const EventParameter*> values;
  for (const auto& p : event.parameters) values.push_back(&p);
  for (const auto& p : event.body_properties) values.push_back(&p);

  ToolCall call;
  call.function = function->name;
  if (function->dispatcher) {
    std::string tool;
    std::string arguments_text;
    for (const EventParameter* p : values) {
      if (p->name == kDispatcherToolParameter) {
        tool = std::string(Trim(p->value));
      } else if (p->name == kDispatcherArgumentsParameter) {
        arguments_text = p->value;
      } else {
        return core::Error::InvalidArgument("function '{}' has no parameter '{}'", function->name,
                                            p->name);
      }
    }
    if (tool.empty()) {
      return core::Error::InvalidArgument("missing required argument '{}' for function '{}'",
                                          kDispatcherToolParameter, function->name);
    }
    const auto* dispatched = plan.FindDispatched(tool);
    const json::object* schema = dispatched != nullptr ? &dispatched->input_schema : nullptr;
    if (dispatched == nullptr) {
      // A tool with its own function may be named here too.
      const FunctionMapping* direct = plan.FindFunction(tool);
      if (direct == nullptr || direct->dispatcher) {
        std::vector<std::string> names;
        for (const auto& t : plan.dispatched) names.push_back(t.name);
        return core::Error::InvalidArgument("'{}' is not one of the tools {} calls: {}", tool,
                                            function->name, fmt::join(names, ", "));
      }
      tool = direct->tool;
      schema = &direct->input_schema;
    }
    call.arguments = BEDROCK_TRY(ObjectFromJson(arguments_text, kDispatcherArgumentsParameter));
    BEDROCK_TRY(CheckRequired(*schema, call.arguments, nullptr, tool));
    call.tool = std::move(tool);
    return call;
  }

  call.tool = function->tool;
  for (const EventParameter* p : values) {
    const ParameterMapping* mapping = FindParameter(*function, p->name);
    if (mapping == nullptr) {
      return core::Error::InvalidArgument("function '{}' has no parameter '{}'", function->name,
                                          p->name);
    }
    if (mapping->name == function->overflow_parameter && !function->overflow_parameter.empty()) {
      json::object more = BEDROCK_TRY(ObjectFromJson(p->value, mapping->name));
      for (auto& [key, value] : more) call.arguments[key] = std::move(value);
      continue;
    }
    const std::string what = fmt::format("argument '{}'", mapping->name);
    json::value value;
    if (mapping->encoding == ArgumentEncoding::kJsonString) {
      value = BEDROCK_TRY(ToJson(p->value, what));
    } else {
      value = BEDROCK_TRY(ConvertValue(p->value, mapping->schema, what));
    }
    call.arguments[mapping->property] = std::move(value);
  }
  BEDROCK_TRY(CheckRequired(function->input_schema, call.arguments, function, call.tool));
  return call;
}

}  // namespace bedrock::bridge

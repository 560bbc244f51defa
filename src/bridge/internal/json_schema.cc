#include "bridge/internal/json_schema.h"

#include <algorithm>

namespace bedrock::bridge::internal {

namespace json = boost::json;

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string SingleType(const json::object& schema) {
  const json::value* type = schema.if_contains("type");
  if (type == nullptr) {
    const json::value* values = schema.if_contains("enum");
    if (values != nullptr && values->is_array() && !values->get_array().empty() &&
        std::all_of(values->get_array().begin(), values->get_array().end(),
                    [](const json::value& v) { return v.is_string(); })) {
      return "string";
    }
    const json::value* constant = schema.if_contains("const");
    if (constant != nullptr && constant->is_string()) return "string";
    const json::object& branch = EffectiveSchema(schema);
    if (&branch != &schema) return SingleType(branch);
    return {};
  }
  if (type->is_string()) return std::string(type->get_string());
  if (type->is_array()) {
    std::string found;
    for (const json::value& t : type->get_array()) {
      if (!t.is_string()) return {};
      if (t.get_string() == "null") continue;
      if (!found.empty()) return {};
      found = std::string(t.get_string());
    }
    return found;
  }
  return {};
}

const json::object& EffectiveSchema(const json::object& schema) {
  if (schema.contains("type")) return schema;
  for (std::string_view key : {"anyOf", "oneOf"}) {
    const json::value* branches = schema.if_contains(key);
    if (branches == nullptr || !branches->is_array()) continue;
    const json::object* only = nullptr;
    size_t non_null = 0;
    for (const json::value& b : branches->get_array()) {
      if (!b.is_object()) return schema;
      if (StringMember(b.get_object(), "type") == "null") continue;
      ++non_null;
      only = &b.get_object();
    }
    if (non_null == 1) return *only;
  }
  return schema;
}

}  // namespace bedrock::bridge::internal

#include "mcp/request_headers.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <set>

#include "core/base64.h"
#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace json = boost::json;

namespace {

constexpr std::string_view kSentinelPrefix = "=?base64?";
constexpr std::string_view kSentinelSuffix = "?=";

bool IsSentinel(std::string_view value) {
  return value.size() >= kSentinelPrefix.size() + kSentinelSuffix.size() &&
         value.starts_with(kSentinelPrefix) && value.ends_with(kSentinelSuffix);
}

// Canonical padded Base64: a multiple of 4 characters from the standard alphabet, '=' only as
// the last one or two.
bool IsCanonicalBase64(std::string_view text) {
  if (text.size() % 4 != 0) return false;
  size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return false;
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!alphabet) return false;
  }
  return padding <= 2;
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsAllowedType(const json::value& type) {
  auto allowed = [](const json::value& t) {
    return t.is_string() && (t.get_string() == "string" || t.get_string() == "integer" ||
                             t.get_string() == "boolean" || t.get_string() == "null");
  };
  if (type.is_string()) return allowed(type) && type.get_string() != "null";
  if (!type.is_array() || type.get_array().empty()) return false;
  bool any_primitive = false;
  for (const auto& t : type.get_array()) {
    if (!allowed(t)) return false;
    any_primitive = any_primitive || t.get_string() != "null";
  }
  return any_primitive;
}

// Whether an x-mcp-header key appears anywhere inside `value`.
bool ContainsAnnotation(const json::value& value) {
  if (const json::object* o = value.if_object()) {
    for (const auto& [key, child] : *o) {
      if (key == "x-mcp-header" || ContainsAnnotation(child)) return true;
    }
  } else if (const json::array* a = value.if_array()) {
    for (const auto& child : *a) {
      if (ContainsAnnotation(child)) return true;
    }
  }
  return false;
}

// Walks `schema` (an object schema reached through `properties` keys only), collecting the
// annotations of its properties; any annotation elsewhere below it is an error.
core::Status Collect(const json::object& schema, std::vector<std::string>& path,
                     std::vector<ParamHeader>& out) {
  for (const auto& [key, child] : schema) {
    if (key == "properties" || key == "x-mcp-header") continue;
    if (ContainsAnnotation(child)) {
      return core::Error::InvalidArgument(
          "x-mcp-header under \"{}\" is not reachable through properties alone", key);
    }
  }
  const json::value* properties = schema.if_contains("properties");
  if (properties == nullptr) return core::OkStatus();
  if (!properties->is_object()) {
    return ContainsAnnotation(*properties)
               ? core::Status(core::Error::InvalidArgument("properties is not an object"))
               : core::OkStatus();
  }
  for (const auto& [name, property] : properties->get_object()) {
    const json::object* p = property.if_object();
    if (p == nullptr) continue;
    path.emplace_back(name);
    if (const json::value* header = p->if_contains("x-mcp-header")) {
      if (!header->is_string() || header->get_string().empty()) {
        return core::Error::InvalidArgument("x-mcp-header of \"{}\" is empty or not a string",
                                            name);
      }
      std::string_view text(header->get_string());
      for (char c : text) {
        if (!IsTokenChar(c)) {
          return core::Error::InvalidArgument("x-mcp-header \"{}\" of \"{}\" is not an HTTP token",
                                              text, name);
        }
      }
      const json::value* type = p->if_contains("type");
      if (type == nullptr || !IsAllowedType(*type)) {
        return core::Error::InvalidArgument(
            "x-mcp-header of \"{}\" is on a type other than string, integer or boolean", name);
      }
      out.push_back(ParamHeader{std::string(text), path});
    }
    BEDROCK_TRY(Collect(*p, path, out));
    path.pop_back();
  }
  return core::OkStatus();
}

std::optional<std::string> HeaderText(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      return std::string(value.get_string());
    case json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(value.get_int64());
    case json::kind::uint64:
      return std::to_string(value.get_uint64());
    case json::kind::double_: {
      double d = value.get_double();
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
        return std::to_string(static_cast<int64_t>(d));
      }
      return fmt::format("{}", d);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string EncodeHeaderValue(std::string_view value) {
  bool plain = !IsSentinel(value);
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) plain = false;
  }
  if (!value.empty() && (value.front() == ' ' || value.back() == ' ')) plain = false;
  if (plain) return std::string(value);
  return fmt::format("{}{}{}", kSentinelPrefix, core::Base64Encode(value), kSentinelSuffix);
}

std::optional<std::string> DecodeHeaderValue(std::string_view value) {
  if (!IsSentinel(value)) return std::string(value);
  value.remove_prefix(kSentinelPrefix.size());
  value.remove_suffix(kSentinelSuffix.size());
  if (!IsCanonicalBase64(value)) return std::nullopt;
  return core::Base64Decode(value);
}

std::string_view McpNameField(std::string_view method) {
  if (method == method::kToolsCall || method == method::kPromptsGet) return "name";
  if (method == method::kResourcesRead) return "uri";
  if (method == method::kTasksGet || method == method::kTasksCancel || method == "tasks/update") {
    return "taskId";
  }
  return {};
}

std::optional<std::string> McpNameFor(std::string_view method, const json::value& params) {
  std::string_view key = McpNameField(method);
  if (key.empty()) return std::nullopt;
  const json::object* p = params.if_object();
  const json::value* field = p ? p->if_contains(key) : nullptr;
  if (field == nullptr || !field->is_string()) return std::nullopt;
  return std::string(field->get_string());
}

core::Result<std::vector<ParamHeader>> ToolParamHeaders(const json::object& tool) {
  std::vector<ParamHeader> out;
  const json::value* schema = tool.if_contains("inputSchema");
  if (schema == nullptr || !schema->is_object()) return out;
  std::vector<std::string> path;
  BEDROCK_TRY(Collect(schema->get_object(), path, out));
  std::set<std::string> seen;
  for (const auto& header : out) {
    if (!seen.insert(Lower(header.name)).second) {
      return core::Error::InvalidArgument("x-mcp-header \"{}\" is used twice", header.name);
    }
  }
  return out;
}

http::Headers ParamHeadersFor(std::span<const ParamHeader> headers, const json::object& arguments) {
  http::Headers out;
  for (const auto& header : headers) {
    const json::value* value = nullptr;
    const json::object* level = &arguments;
    for (const auto& key : header.path) {
      value = level ? level->if_contains(key) : nullptr;
      if (value == nullptr) break;
      level = value->if_object();
    }
    if (value == nullptr || value->is_null()) continue;
    auto text = HeaderText(*value);
    if (!text) continue;
    out.Add(fmt::format("{}{}", header::kParamPrefix, header.name), EncodeHeaderValue(*text));
  }
  return out;
}

}  // namespace bedrock::mcp

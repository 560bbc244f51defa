#include "mcp/internal/modern_http.h"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <vector>

#include "mcp/protocol.h"
#include "mcp/request_headers.h"
#include "mcp/request_meta.h"

namespace bedrock::mcp::internal {
namespace json = boost::json;

namespace {

HttpRejection Reject(int code, std::string message, json::value data = nullptr) {
  return HttpRejection{400, RpcError{code, std::move(message), std::move(data)}};
}

RpcError Mismatch(std::string message) {
  return RpcError{kHeaderMismatch, "Header mismatch: " + std::move(message), nullptr};
}

bool HasEnvelopeClaim(const json::value& params) {
  const json::object* p = params.if_object();
  const json::value* meta = p ? p->if_contains(kMetaKey) : nullptr;
  const json::object* m = meta ? meta->if_object() : nullptr;
  return m != nullptr &&
         (m->contains(meta::kProtocolVersion) || m->contains(meta::kClientCapabilities));
}

// A property `x-mcp-header` marks: the chain of `properties` keys to it, its header name, type.
struct ParamHeader {
  std::vector<std::string> path;
  std::string header;
  std::string type;
};

void CollectParamHeaders(const json::object& schema, std::vector<std::string>& path,
                         std::vector<ParamHeader>& out) {
  const json::value* properties = schema.if_contains("properties");
  if (properties == nullptr || !properties->is_object()) return;
  for (const auto& [key, definition] : properties->get_object()) {
    const json::object* d = definition.if_object();
    if (d == nullptr) continue;
    path.emplace_back(key);
    if (const json::value* header = d->if_contains("x-mcp-header"); header && header->is_string()) {
      const json::value* type = d->if_contains("type");
      out.push_back({path, std::string(header->get_string()),
                     type && type->is_string() ? std::string(type->get_string()) : ""});
    }
    CollectParamHeaders(*d, path, out);
    path.pop_back();
  }
}

const json::value* ValueAtPath(const json::object& root, const std::vector<std::string>& path) {
  const json::object* node = &root;
  const json::value* value = nullptr;
  for (const auto& key : path) {
    if (node == nullptr) return nullptr;
    value = node->if_contains(key);
    if (value == nullptr) return nullptr;
    node = value->if_object();
  }
  return value;
}

// The header form of a primitive argument; nullopt for other JSON types (not mirrored).
std::optional<std::string> PrimitiveText(const json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  if (value.is_double()) return json::serialize(value);
  return std::nullopt;
}

bool NumericallyEqual(std::string_view text, const json::value& body) {
  double parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  return parsed == body.to_number<double>();
}

}  // namespace

std::string_view TrimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

EraDecision ClassifyPost(const http::Headers& headers, const Request& request) {
  EraDecision decision;
  auto header_version = headers.Get(header::kProtocolVersion);
  std::string_view version_header = header_version ? TrimOws(*header_version) : "";
  bool header_modern = IsSupportedModernVersion(version_header);
  bool claim = HasEnvelopeClaim(request.params);
  auto claimed = ClaimedProtocolVersion(request.params);

  if (request.method == method::kInitialize && !(claimed && IsSupportedModernVersion(*claimed))) {
    if (header_modern) {
      decision.rejection = Reject(kHeaderMismatch,
                                  "Header mismatch: initialize (the legacy handshake) was sent "
                                  "with a modern MCP-Protocol-Version header");
    }
    return decision;
  }
  if (claimed && IsSupportedVersion(*claimed)) return decision;  // a legacy revision, by `_meta`
  if (!claim && !header_modern) return decision;

  decision.era = Era::kModern;
  auto meta = ParseRequestMeta(request.params);
  if (!meta.ok()) {
    decision.rejection = Reject(kInvalidParams, "Invalid params: " + meta.error().message());
    return decision;
  }
  if (!header_version) {
    decision.rejection =
        Reject(kHeaderMismatch, "Header mismatch: the MCP-Protocol-Version header is required");
    return decision;
  }
  if (version_header != meta->protocol_version) {
    decision.rejection =
        Reject(kHeaderMismatch,
               fmt::format("Header mismatch: MCP-Protocol-Version header value '{}' does not match "
                           "_meta protocol version '{}'",
                           version_header, meta->protocol_version));
    return decision;
  }
  if (!IsSupportedModernVersion(meta->protocol_version)) {
    json::array supported;
    for (auto v : kSupportedModernVersions) supported.emplace_back(v);
    for (auto v : kSupportedVersions) supported.emplace_back(v);
    decision.rejection = Reject(
        kUnsupportedProtocolVersion, "Unsupported protocol version",
        json::object{{"supported", std::move(supported)}, {"requested", meta->protocol_version}});
    return decision;
  }
  if (auto error = ValidateStandardHeaders(headers, request)) {
    decision.rejection = HttpRejection{400, std::move(*error)};
  }
  return decision;
}

std::optional<RpcError> ValidateStandardHeaders(const http::Headers& headers,
                                                const Request& request) {
  auto method_header = headers.Get(header::kMethod);
  if (!method_header) return Mismatch("the Mcp-Method header is required");
  if (TrimOws(*method_header) != request.method) {
    return Mismatch(fmt::format("Mcp-Method header value '{}' does not match body value '{}'",
                                TrimOws(*method_header), request.method));
  }
  std::string_view field = McpNameField(request.method);
  if (field.empty()) return std::nullopt;
  const json::object* params = request.params.if_object();
  const json::value* body = params ? params->if_contains(field) : nullptr;
  const bool body_has_name = body != nullptr && body->is_string();
  auto name_header = headers.Get(header::kName);
  if (!name_header) {
    if (!body_has_name) return std::nullopt;
    return Mismatch(fmt::format("the Mcp-Name header is required (body params.{} is '{}')", field,
                                std::string_view(body->get_string())));
  }
  auto decoded = DecodeHeaderValue(TrimOws(*name_header));
  if (!decoded) return Mismatch("the Mcp-Name header holds invalid Base64");
  if (body_has_name && *decoded != std::string_view(body->get_string())) {
    return Mismatch(fmt::format("Mcp-Name header value '{}' does not match body value '{}'",
                                *decoded, std::string_view(body->get_string())));
  }
  return std::nullopt;
}

std::optional<RpcError> ValidateParamHeaders(const http::Headers& headers,
                                             const json::object& input_schema,
                                             const json::object& arguments) {
  std::vector<ParamHeader> declared;
  std::vector<std::string> path;
  CollectParamHeaders(input_schema, path, declared);
  for (const auto& param : declared) {
    const json::value* value = ValueAtPath(arguments, param.path);
    if (value == nullptr || value->is_null()) continue;
    auto text = PrimitiveText(*value);
    if (!text) continue;
    std::string name = std::string(header::kParamPrefix) + param.header;
    auto given = headers.Get(name);
    if (!given) return Mismatch(fmt::format("the {} header is required", name));
    auto decoded = DecodeHeaderValue(TrimOws(*given));
    if (!decoded) return Mismatch(fmt::format("the {} header holds invalid Base64", name));
    bool numeric = (param.type == "integer" || param.type == "number") && value->is_number();
    if (numeric ? !NumericallyEqual(*decoded, *value) : *decoded != *text) {
      return Mismatch(fmt::format("{} header value '{}' does not match body value '{}'", name,
                                  *decoded, *text));
    }
  }
  return std::nullopt;
}

int HttpStatusForModernError(int json_rpc_code) {
  if (json_rpc_code == kMethodNotFound) return 404;
  if (json_rpc_code == kHeaderMismatch || json_rpc_code == kMissingRequiredClientCapability ||
      json_rpc_code == kUnsupportedProtocolVersion) {
    return 400;
  }
  return 200;
}

}  // namespace bedrock::mcp::internal

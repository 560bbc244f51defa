#include "mcp/request_meta.h"

#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace json = boost::json;

namespace {

const json::object* MetaOf(const json::value& params) {
  const json::object* p = params.if_object();
  const json::value* meta = p ? p->if_contains(kMetaKey) : nullptr;
  return meta ? meta->if_object() : nullptr;
}

}  // namespace

std::optional<std::string> ClaimedProtocolVersion(const json::value& params) {
  const json::object* meta = MetaOf(params);
  const json::value* version = meta ? meta->if_contains(meta::kProtocolVersion) : nullptr;
  if (version == nullptr || !version->is_string()) return std::nullopt;
  return std::string(version->get_string());
}

core::Result<RequestMeta> ParseRequestMeta(const json::value& params) {
  const json::object* p = params.if_object();
  const json::value* meta_value = p ? p->if_contains(kMetaKey) : nullptr;
  if (meta_value == nullptr) {
    return core::Error::InvalidArgument(
        "the request has no _meta (protocol version and client "
        "capabilities are required on every request)");
  }
  const json::object* meta = meta_value->if_object();
  if (meta == nullptr) return core::Error::InvalidArgument("_meta must be an object");
  RequestMeta out;
  const json::value* version = meta->if_contains(meta::kProtocolVersion);
  if (version == nullptr || !version->is_string() || version->get_string().empty()) {
    return core::Error::InvalidArgument("_meta is missing {} (a string)", meta::kProtocolVersion);
  }
  out.protocol_version = std::string(version->get_string());
  const json::value* caps = meta->if_contains(meta::kClientCapabilities);
  if (caps == nullptr || !caps->is_object()) {
    return core::Error::InvalidArgument("_meta is missing {} (an object)",
                                        meta::kClientCapabilities);
  }
  out.client_capabilities = caps->get_object();
  if (const json::value* info = meta->if_contains(meta::kClientInfo)) {
    if (!info->is_object()) {
      return core::Error::InvalidArgument("_meta {} must be an object", meta::kClientInfo);
    }
    out.client_info = Implementation::FromJson(*info);
  }
  if (const json::value* level = meta->if_contains(meta::kLogLevel)) {
    int index = level->is_string() ? LoggingLevelIndex(level->get_string()) : -1;
    if (index < 0) {
      return core::Error::InvalidArgument(
          "_meta {} must be one of debug, info, notice, warning, error, critical, alert, "
          "emergency",
          meta::kLogLevel);
    }
    out.log_level = index;
  }
  return out;
}

bool HasCapability(const json::object& capabilities, std::string_view name) {
  const json::value* v = capabilities.if_contains(name);
  return v != nullptr && !v->is_null();
}

}  // namespace bedrock::mcp

// The per-request protocol fields of MCP revision 2026-07-28 and later: every request carries its
// protocol version, client capabilities and (optionally) client info and log level in
// `params._meta` instead of negotiating them once with initialize.
//
//   auto meta = mcp::ParseRequestMeta(request.params);   // kInvalidArgument -> -32602
//   if (meta.ok() && !mcp::HasCapability(meta->client_capabilities, "elicitation")) ...
//
// Thread-safety: value types and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "mcp/types.h"

namespace bedrock::mcp {

// Not an aggregate: see SendOptions in transport.h.
struct RequestMeta {
  RequestMeta() {}

  std::string protocol_version;
  boost::json::object client_capabilities;
  std::optional<Implementation> client_info;
  // Index into kLoggingLevels of `io.modelcontextprotocol/logLevel`; -1 when absent, which means
  // the server must not send notifications/message for the request.
  int log_level = -1;
};

// The protocol version `params._meta` claims, if it names one (a string at
// io.modelcontextprotocol/protocolVersion). Says nothing about the rest of `_meta`.
std::optional<std::string> ClaimedProtocolVersion(const boost::json::value& params);

// Validates and extracts the per-request fields: `_meta` must be an object with a string
// protocolVersion and an object clientCapabilities; clientInfo, when present, an Implementation
// object; logLevel, when present, a known level. kInvalidArgument names the first problem.
core::Result<RequestMeta> ParseRequestMeta(const boost::json::value& params);

// Whether `capabilities` (ClientCapabilities) declares `name` ("sampling", "elicitation", "roots").
bool HasCapability(const boost::json::object& capabilities, std::string_view name);

}  // namespace bedrock::mcp

// Streamable HTTP rules of MCP revision 2026-07-28 that sit between the HTTP request and the MCP
// server: which era serves a POSTed request, the standard request headers (MCP-Protocol-Version,
// Mcp-Method, Mcp-Name) checked against the body, the `=?base64?...?=` header value encoding, and
// the custom `Mcp-Param-{Name}` headers of tools whose input schema marks properties with
// `x-mcp-header` (SEP-2243).
//
//   auto decision = internal::ClassifyPost(request.headers, rpc_request);
//   if (decision.rejection) return 400 + decision.rejection->error;   // before any dispatch
//   if (decision.era == internal::Era::kModern) ...serve statelessly...
//
// Internal to the mcp module. Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "mcp/jsonrpc.h"

namespace bedrock::mcp::internal {

enum class Era {
  kLegacy,  // initialize handshake and sessions (2025-11-25 and earlier)
  kModern,  // per-request `_meta`, no session (2026-07-28 and later)
};

// An answer the endpoint gives without dispatching: the HTTP status and the JSON-RPC error.
struct HttpRejection {
  int status = 400;
  RpcError error;
};

struct EraDecision {
  Era era = Era::kLegacy;
  std::optional<HttpRejection> rejection;  // set: refuse the request with it
};

// Decides how a POSTed JSON-RPC request is served (body first, as the spec's dual-era rules say):
//   - initialize without a modern `_meta` claim is legacy (with a modern MCP-Protocol-Version
//     header it is a -32020 mismatch);
//   - a `_meta` naming a legacy revision is legacy; any other `_meta` claim, or a modern
//     MCP-Protocol-Version header, makes the request modern, and it must then carry a valid
//     per-request envelope (-32602), an MCP-Protocol-Version header equal to the claim (-32020),
//     a revision we serve (-32022 with the supported list), and the standard headers
//     (ValidateStandardHeaders);
//   - anything else is legacy.
// Every rejection is HTTP 400 and carries the request's id.
EraDecision ClassifyPost(const http::Headers& headers, const Request& request);

// Mcp-Method must be present and equal the body's method; Mcp-Name must mirror params.name
// (tools/call, prompts/get), params.uri (resources/read) or params.taskId (tasks/get, tasks/update,
// tasks/cancel) when the body carries it. Values are compared case-sensitively after trimming
// optional whitespace; Mcp-Name may be Base64-encoded. nullopt when the headers agree.
std::optional<RpcError> ValidateStandardHeaders(const http::Headers& headers,
                                                const Request& request);

// A header value with RFC 9110 optional whitespace (SP, HTAB) removed at both ends.
std::string_view TrimOws(std::string_view value);

// For a tools/call of a tool whose `input_schema` marks properties with `x-mcp-header`: every
// argument the body carries for such a property (string, integer or boolean, reached through
// `properties` only) must arrive in `Mcp-Param-{Name}` with an equal value (integers compared
// numerically). Returns the -32020 error for the first mismatch, a missing header or invalid
// encoding; nullopt when everything agrees.
std::optional<RpcError> ValidateParamHeaders(const http::Headers& headers,
                                             const boost::json::object& input_schema,
                                             const boost::json::object& arguments);

// HTTP status for a JSON-RPC error a modern request is answered with: 404 for -32601, 400 for the
// modern protocol errors (-32020, -32021, -32022), 200 otherwise (the error travels in the body).
int HttpStatusForModernError(int json_rpc_code);

}  // namespace bedrock::mcp::internal

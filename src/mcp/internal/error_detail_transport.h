// A client-side transport decorator that keeps the code and data of JSON-RPC errors answering
// 2026-07-28 requests. Session turns a peer's JSON-RPC error into a core::Error, which keeps
// neither, but a modern client needs both: UnsupportedProtocolVersion's `data.supported` picks the
// version to retry with, and HeaderMismatch or resource-not-found (-32602) change what it does
// next. So an error answering a request whose params carry `_meta` with
// io.modelcontextprotocol/protocolVersion reaches the session as a success whose result is
//   {"resultType": kRpcErrorResultType, "error": {"code": ..., "message": ..., "data": ...}}
// and the Client (its only caller) turns it back into an error. Everything else passes unchanged.
//
// Thread-safety: as the wrapped transport.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "mcp/jsonrpc.h"
#include "mcp/transport.h"

namespace bedrock::mcp::internal {

inline constexpr std::string_view kRpcErrorResultType = "bedrock.internal/rpc-error";

std::shared_ptr<Transport> WrapForErrorDetails(std::shared_ptr<Transport> inner);

// The error a wrapped result carries, or nullopt for an ordinary result.
std::optional<RpcError> UnwrapRpcError(const boost::json::value& result);

}  // namespace bedrock::mcp::internal

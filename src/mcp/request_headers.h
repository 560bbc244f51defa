// The HTTP request headers of revision 2026-07-28 (SEP-2243): the standard Mcp-Method and
// Mcp-Name mirrored from a request body, and the Mcp-Param-{Name} headers a tool designates with
// `x-mcp-header` in its inputSchema, with the spec's value encoding.
//
//   BEDROCK_TRY_ASSIGN(auto specs, mcp::ToolParamHeaders(tool));   // rejects invalid annotations
//   http::Headers headers = mcp::ParamHeadersFor(specs, arguments);
//   // {"region": "us-west1", "note": " padded "} ->
//   //   Mcp-Param-Region: us-west1
//   //   Mcp-Param-Note: =?base64?IHBhZGRlZCA=?=
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/message.h"

namespace bedrock::mcp {

// A header value as the spec's Value Encoding sends it: unchanged when it is plain visible ASCII
// (spaces and tabs allowed inside) without leading or trailing whitespace and not itself of the
// sentinel's shape, else "=?base64?<base64 of the UTF-8 bytes>?=".
std::string EncodeHeaderValue(std::string_view value);
// The inverse: the decoded bytes of a sentinel value, the value itself otherwise; nullopt for a
// sentinel that does not hold canonical padded base64 (what EncodeHeaderValue sends; servers must
// reject anything else).
std::optional<std::string> DecodeHeaderValue(std::string_view value);

// The params field Mcp-Name mirrors for `method`: "name" for tools/call and prompts/get, "uri"
// for resources/read, "taskId" for the tasks extension's requests; empty for other methods.
std::string_view McpNameField(std::string_view method);

// That field's value in `params`, unencoded; nullopt for other methods or a missing field.
std::optional<std::string> McpNameFor(std::string_view method, const boost::json::value& params);

// One x-mcp-header annotation: the header name part and the chain of `properties` keys leading
// from the schema root to the annotated property.
struct ParamHeader {
  std::string name;
  std::vector<std::string> path;
};

// Every x-mcp-header annotation of `tool`'s inputSchema, or an error naming the rule one breaks:
// empty or not a token (RFC 9110 tchar), duplicated case-insensitively, on a type other than
// string, integer or boolean, or not statically reachable through `properties` alone.
core::Result<std::vector<ParamHeader>> ToolParamHeaders(const boost::json::object& tool);

// The Mcp-Param-{Name} headers for one call's arguments. A value that is absent or null is
// omitted; strings go as they are, integers in decimal, booleans as true/false, each encoded.
http::Headers ParamHeadersFor(std::span<const ParamHeader> headers,
                              const boost::json::object& arguments);

}  // namespace bedrock::mcp

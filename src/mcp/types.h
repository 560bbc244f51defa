// MCP data shared by the client and server APIs: implementation info, content blocks, tool
// results, completions, and the per-revision shaping of results for older peers.
//
//   mcp::CallToolResult result;
//   result.content.push_back(mcp::content::Text("42"));
//   result.structured_content = json::object{{"answer", 42}};
//
// Content blocks and other protocol objects stay boost::json objects: they pass through to the
// wire without conversion. Thread-safety: value types and pure functions.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::mcp {

// Who a peer is: clientInfo / serverInfo.
// Not an aggregate: see SendOptions in transport.h.
struct Implementation {
  Implementation() {}
  Implementation(std::string implementation_name, std::string implementation_version,
                 std::string implementation_title = {})
      : name(std::move(implementation_name)),
        version(std::move(implementation_version)),
        title(std::move(implementation_title)) {}

  std::string name;
  std::string version;
  std::string title;         // 2025-06-18+
  std::string description;   // 2025-11-25+
  std::string website_url;   // 2025-11-25+
  boost::json::array icons;  // 2025-11-25+

  // The wire form for a peer speaking `protocol_version` (fields it does not know are omitted).
  boost::json::object ToJson(std::string_view protocol_version) const;
  static Implementation FromJson(const boost::json::value& value);
};

// A JSON number for `value`: an integer when it is integral (Boost.JSON writes every double in
// exponent form, 100.0 as 1E2, which is valid but reads badly in progress and results).
boost::json::value JsonNumber(double value);

// Builders for content blocks (ContentBlock in the schema).
namespace content {
boost::json::object Text(std::string_view text);
boost::json::object Image(std::string_view base64_data, std::string_view mime_type);
boost::json::object Audio(std::string_view base64_data, std::string_view mime_type);  // 2025-03-26+
// A link to a resource the client may read (2025-06-18+).
boost::json::object ResourceLink(std::string_view uri, std::string_view name,
                                 std::string_view mime_type = {},
                                 std::string_view description = {});
// Resource contents (TextResourceContents / BlobResourceContents), as resources/read returns them.
boost::json::object TextResource(std::string_view uri, std::string_view mime_type,
                                 std::string_view text);
boost::json::object BlobResource(std::string_view uri, std::string_view mime_type,
                                 std::string_view base64_blob);
// An embedded resource content block wrapping TextResource / BlobResource contents.
boost::json::object Embedded(boost::json::object resource_contents);
}  // namespace content

struct CallToolResult {
  boost::json::array content;
  boost::json::value structured_content;  // an object, or null when absent (2025-06-18+)
  bool is_error = false;
  boost::json::object meta;

  static CallToolResult Text(std::string_view text);
  // A tool-level failure the model should see (isError: true), not a protocol error.
  static CallToolResult Error(std::string_view text);

  boost::json::object ToJson() &&;
  static core::Result<CallToolResult> FromJson(boost::json::value value);
};

// completion/complete's answer.
struct Completion {
  std::vector<std::string> values;  // at most 100 are sent
  std::optional<int64_t> total;
  bool has_more = false;
};

struct PromptArgument {
  std::string name;
  std::string title;
  std::string description;
  bool required = false;
};

// prompts/get's answer.
struct GetPromptResult {
  std::string description;
  boost::json::array messages;  // PromptMessage objects: {"role": ..., "content": block}
};
boost::json::object PromptMessage(std::string_view role, boost::json::object content_block);

// The default value of every property of an elicitation/create request's requestedSchema
// (SEP-1034), keyed by property name: what a client accepting without a user answers.
boost::json::object RequestedSchemaDefaults(const boost::json::value& elicitation_params);

// --- Shaping results for a peer that speaks an older revision. ---
// Each function edits in place and removes or converts what `protocol_version` does not define:
// titles, output schemas and structuredContent before 2025-06-18, annotations and audio before
// 2025-03-26, icons before 2025-11-25, resource_link before 2025-06-18.
void AdaptContentBlocks(boost::json::array& blocks, std::string_view protocol_version);
void AdaptTool(boost::json::object& tool, std::string_view protocol_version);
void AdaptCallToolResult(boost::json::object& result, std::string_view protocol_version);
// Resources, resource templates and prompts (their metadata fields changed the same way).
void AdaptListedItem(boost::json::object& item, std::string_view protocol_version);

}  // namespace bedrock::mcp

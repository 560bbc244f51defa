// Tool names as the model sees them: `server___tool` made valid and unique for Bedrock
// (`[a-zA-Z0-9_-]{1,64}`), with the way back to the server and its own tool name.
//
//   agent::ToolNameMap names;                                 // one per request/catalog
//   std::string a = names.Add("aws-kb", "retrieve-from-kb");  // "aws_kb___retrieve_from_kb"
//   std::string b = names.Add("aws_kb", "retrieve_from_kb");  // collides:
//   "aws_kb___retri..._1a2b3c4d" const agent::ToolName* back = names.Resolve(b);           //
//   {"aws_kb", "retrieve_from_kb"}
//
// Names follow the demo's form (every character outside [a-zA-Z0-9_] becomes `_`, so demo clients
// see the same names), then: a name longer than 64 characters, or one already taken in this map, is
// cut and given a suffix `_` + 8 hex digits of a hash of the (server, tool) pair. The result
// depends only on the pairs added before, so the same servers listed in the same order get the same
// names in every request (names stored in a session's history keep meaning the same tool).
//
// A map belongs to one request or catalog, never to the process: two users' servers never share
// (or overwrite) an entry, which was the demo's bug.
// Thread-safety: not thread-safe for Add; const members may be called concurrently.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace bedrock::agent {

// The longest name Bedrock accepts.
inline constexpr size_t kMaxToolNameLength = 64;
// Between the server id and the tool name, as in the demo.
inline constexpr std::string_view kToolNameSeparator = "___";

// Where a model-facing name leads.
struct ToolName {
  std::string server_id;
  std::string tool_name;  // the server's own name for the tool
  bool operator==(const ToolName&) const = default;
};

// Whether `name` is acceptable to Bedrock as it is.
bool IsValidBedrockToolName(std::string_view name);

class ToolNameMap {
 public:
  // The model-facing name for the pair; adding the same pair again returns the same name.
  std::string Add(std::string_view server_id, std::string_view tool_name);

  // The pair behind a model-facing name; null for a name this map never handed out.
  const ToolName* Resolve(std::string_view bedrock_name) const;
  // The name handed out for the pair; empty when it was never added.
  std::string Find(std::string_view server_id, std::string_view tool_name) const;

  size_t size() const { return by_name_.size(); }

 private:
  std::unordered_map<std::string, ToolName> by_name_;
  std::unordered_map<std::string, std::string> by_pair_;  // server '\0' tool -> name
};

}  // namespace bedrock::agent

// The `mcpServers` configuration every MCP client understands, and connecting to an entry.
//
//   {"mcpServers": {
//      "files":  {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."],
//                 "env": {"DEBUG": "1"}, "cwd": "/srv"},
//      "remote": {"url": "https://host/mcp", "type": "streamable-http", "token": "...",
//                 "headers": {"X-Team": "a"}, "description": "Remote server", "status": 1},
//      "oauth":  {"url": "https://host/mcp", "oauth": {"client_id": "...", "scope": "read"}}}}
//
//   auto doc = core::LoadJsonFile(path, {.env = &env});
//   BEDROCK_TRY_ASSIGN(auto servers, mcp::ParseMcpServers(doc->Root()));
//   BEDROCK_CO_TRY_ASSIGN(auto client, co_await mcp::ConnectMcpServer(ex, servers[0], http_client,
//                                                                      info, std::move(options)));
//
// Errors point at the file, line and key path ("conf.json:7:9: \"mcpServers.remote.type\": ...").
// `description`, `status` (0 disables) and `disabled` are accepted (the demo's keys); any other
// unknown key is an error with a "did you mean".
// Thread-safety: value types and reentrant functions.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "http/client.h"
#include "http/message.h"
#include "mcp/auth.h"
#include "mcp/client.h"
#include "mcp/stdio_transport.h"
#include "mcp/transport.h"

namespace bedrock::mcp {

enum class ServerTransportKind {
  kStdio,           // command/args/env/cwd
  kStreamableHttp,  // type "streamable-http" or "http"
  kSse,             // type "sse" (2024-11-05 HTTP+SSE), or a URL whose last path segment is "sse"
  kAutoHttp,        // a URL without type: streamable HTTP, falling back to HTTP+SSE on a 4xx
};

struct McpServerConfig {
  std::string name;  // the entry's key
  ServerTransportKind kind = ServerTransportKind::kStdio;
  // stdio
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;
  // HTTP
  std::string url;
  http::Headers headers;
  std::string token;  // sent as Authorization: Bearer
  // "oauth": {"client_id", "client_secret", "scope"}, all optional: pre-registered credentials
  // and scopes for an OAuth client (mcp/oauth.h) the caller builds.
  std::string oauth_client_id;
  std::string oauth_client_secret;
  std::string oauth_scope;
  // Answers 401/403 challenges of a URL server (an OAuth client). Not read from the file: the
  // caller sets it before ConnectMcpServer. Streamable HTTP only (HTTP+SSE servers get `token`).
  std::shared_ptr<AuthProvider> auth;
  // informational
  std::string description;
  bool enabled = true;   // false for "status": 0 or "disabled": true
  std::string location;  // "file:line:column" of the entry, for later errors
};

// One entry (`node` is the entry's object; its key names the server).
core::Result<McpServerConfig> ParseMcpServerEntry(const core::ConfigNode& node);
// The same, also accepting the keys in `extra_keys` (left for the caller to read, e.g. the
// gateway's per-server options); any other unknown key is still an error.
core::Result<McpServerConfig> ParseMcpServerEntry(const core::ConfigNode& node,
                                                  std::span<const std::string_view> extra_keys);

// Every entry of `node`: either the object holding "mcpServers" or the mcpServers object itself.
// Disabled entries are returned with enabled == false.
core::Result<std::vector<McpServerConfig>> ParseMcpServers(const core::ConfigNode& node);

// Starts the entry's transport and initializes a client over it. kAutoHttp tries streamable HTTP
// and, when the server answers the initialize POST with a 4xx, falls back to HTTP+SSE (the spec's
// backwards-compatibility procedure).
Awaitable<core::Result<std::shared_ptr<Client>>> ConnectMcpServer(
    boost::asio::any_io_executor executor, McpServerConfig config, http::Client http_client,
    Implementation client_info, ClientOptions options);

}  // namespace bedrock::mcp

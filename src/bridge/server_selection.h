// Choosing the MCP server the bridge fronts, and writing documents for people to read.
//
//   auto server = bridge::LoadMcpServer("servers.json", "files", env);
//   // "servers.json has no server 'x' (it has: files, remote)" when the name is unknown
//   std::string text = bridge::PrettyJson(document);
//
// Thread-safety: pure functions (LoadMcpServer reads the file).
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "core/env.h"
#include "core/result.h"
#include "mcp/server_config.h"

namespace bedrock::bridge {

// The entry `name` of the mcpServers file at `path` (${VAR} references expanded from `env`).
// kInvalidArgument for an unreadable or malformed file, kNotFound for an unknown or disabled name.
core::Result<mcp::McpServerConfig> LoadMcpServer(const std::string& path, const std::string& name,
                                                 const core::Env& env);

// `value` as indented JSON (two spaces), ending in a newline.
std::string PrettyJson(const boost::json::value& value);

}  // namespace bedrock::bridge

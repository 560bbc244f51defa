// `bedrock-mcp mcp conformance-client <server-url>`: the client that the MCP conformance suite
// (`conformance client --command ...`) starts once per client scenario. It reads the scenario's
// name from MCP_CONFORMANCE_SCENARIO and its extra inputs (pre-registered OAuth credentials) from
// the JSON in MCP_CONFORMANCE_CONTEXT, connects to `server_url` over streamable HTTP with our
// mcp::Client (OAuth included) and does what the scenario's mock server waits for.
#pragma once

#include <string>

#include "core/env.h"

namespace bedrock::app {

// Returns the process exit code: 0 when the scenario's exchange completed, 1 otherwise.
int RunConformanceClient(const std::string& server_url, const core::Env& env);

}  // namespace bedrock::app

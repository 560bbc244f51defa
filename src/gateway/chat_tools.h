// The tools of one chat request: the MCP servers the request names (mcp_server_ids), as this user
// sees them, leased for the whole run so the idle sweep never stops a server mid-answer.
//
//   auto loaded = co_await gateway::LoadRequestTools(user, {"fs", "everything"});
//   if (loaded.error) ...;                 // names the server that could not start or list
//   request.tools = loaded.catalog;        // an agent::ToolCatalog
//
// Each server's configuration applies: its tool filter (allow/deny) keeps tools out of the
// prompt, requires_approval marks tools whose calls wait for the user, and call_timeout_ms bounds
// each of its calls (together with the run's own tool timeout, whichever is shorter).
//
// Thread-safety: as agent::ToolCatalog; the catalog may be used from any executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/events.h"
#include "agent/tool_catalog.h"
#include "gateway/managed_server.h"
#include "gateway/users.h"

namespace bedrock::gateway {

class LeaseToolCatalog final : public agent::ToolCatalog {
 public:
  // The tools of `inner` (same names), called through it while `leases` keep the servers in use;
  // `call_timeouts` bounds each server's calls.
  static std::shared_ptr<LeaseToolCatalog> Create(
      std::vector<ServerLease> leases, std::shared_ptr<agent::McpToolCatalog> inner,
      std::map<std::string, std::chrono::milliseconds, std::less<>> call_timeouts);

  boost::asio::awaitable<core::Result<mcp::CallToolResult>> Call(
      const agent::CatalogTool& tool, boost::json::object arguments,
      std::chrono::milliseconds timeout) override;

 private:
  LeaseToolCatalog() = default;

  std::vector<ServerLease> leases_;
  std::shared_ptr<agent::McpToolCatalog> inner_;
  std::map<std::string, std::chrono::milliseconds, std::less<>> call_timeouts_;  // by server
};

struct LoadedTools {
  std::shared_ptr<LeaseToolCatalog> catalog;  // null when error is set
  std::optional<agent::AgentError> error;     // source: the MCP server (or the gateway)
};

// Starts (if needed) and leases each server, lists its tools, and builds the catalog. Servers are
// taken in the order given; duplicates are ignored. An id the user cannot use is a gateway error
// (the endpoint checks ids before it starts, so this is a race with a removal).
boost::asio::awaitable<LoadedTools> LoadRequestTools(std::shared_ptr<UserSession> user,
                                                     std::vector<std::string> server_ids);

// A server's agent-side tool options from its configuration.
agent::McpServer ToAgentServer(const ServerSpec& spec, std::shared_ptr<mcp::Client> client);

}  // namespace bedrock::gateway

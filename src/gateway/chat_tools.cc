#include "gateway/chat_tools.h"

#include <algorithm>
#include <set>

namespace bedrock::gateway {

agent::McpServer ToAgentServer(const ServerSpec& spec, std::shared_ptr<mcp::Client> client) {
  agent::McpServer server(spec.mcp.name, std::move(client));
  // The configuration's patterns (exact, or a '*' suffix) are globs the agent matches the same way.
  server.filter.allow = spec.tools.allow;
  server.filter.deny = spec.tools.deny;
  server.approval_tools = spec.requires_approval;
  return server;
}

boost::asio::awaitable<LoadedTools> LoadRequestTools(std::shared_ptr<UserSession> user,
                                                     std::vector<std::string> server_ids) {
  LoadedTools out;
  std::vector<ServerLease> leases;
  std::map<std::string, std::chrono::milliseconds, std::less<>> call_timeouts;
  std::vector<agent::McpServer> servers;
  std::vector<boost::json::array> tool_lists;
  std::set<std::string, std::less<>> seen;
  for (const std::string& id : server_ids) {
    if (!seen.insert(id).second) continue;
    auto lease = co_await user->Acquire(id);
    if (!lease.ok()) {
      if (lease.error().code() == core::ErrorCode::kNotFound) {
        out.error.emplace(agent::ErrorSource::kGateway,
                          core::Error::NotFound("unknown MCP server id '{}'", id));
      } else {
        out.error.emplace(agent::ErrorSource::kMcpServer,
                          lease.error().WithContext(fmt::format("MCP server '{}'", id)), id);
      }
      co_return out;
    }
    auto tools = co_await lease->ListTools();
    if (!tools.ok()) {
      out.error.emplace(agent::ErrorSource::kMcpServer,
                        tools.error().WithContext(fmt::format("MCP server '{}': tools/list", id)),
                        id);
      co_return out;
    }
    const ServerSpec& spec = lease->spec();
    call_timeouts[id] = spec.call_timeout;
    agent::McpServer server = ToAgentServer(spec, lease->client());
    server.id = id;
    servers.push_back(std::move(server));
    tool_lists.push_back(std::move(*tools));
    leases.push_back(std::move(*lease));
  }
  auto inner = agent::McpToolCatalog::Create(std::move(servers), std::move(tool_lists));
  if (!inner.ok()) {
    out.error.emplace(agent::ErrorSource::kGateway, inner.error());
    co_return out;
  }
  out.catalog =
      LeaseToolCatalog::Create(std::move(leases), std::move(*inner), std::move(call_timeouts));
  co_return out;
}

std::shared_ptr<LeaseToolCatalog> LeaseToolCatalog::Create(
    std::vector<ServerLease> leases, std::shared_ptr<agent::McpToolCatalog> inner,
    std::map<std::string, std::chrono::milliseconds, std::less<>> call_timeouts) {
  std::shared_ptr<LeaseToolCatalog> catalog(new LeaseToolCatalog());
  catalog->leases_ = std::move(leases);
  catalog->inner_ = std::move(inner);
  catalog->call_timeouts_ = std::move(call_timeouts);
  for (const agent::CatalogTool& tool : catalog->inner_->tools()) catalog->AddTool(tool);
  return catalog;
}

boost::asio::awaitable<core::Result<mcp::CallToolResult>> LeaseToolCatalog::Call(
    const agent::CatalogTool& tool, boost::json::object arguments,
    std::chrono::milliseconds timeout) {
  // Same servers, same order: the inner catalog handed out the same names.
  const agent::CatalogTool* inner_tool = inner_->Find(tool.bedrock_name);
  if (inner_tool == nullptr) {
    co_return core::Error::NotFound("no tool '{}' in this request", tool.bedrock_name);
  }
  if (auto it = call_timeouts_.find(tool.server_id);
      it != call_timeouts_.end() && it->second.count() > 0) {
    timeout = std::min(timeout, it->second);
  }
  co_return co_await inner_->Call(*inner_tool, std::move(arguments), timeout);
}

}  // namespace bedrock::gateway

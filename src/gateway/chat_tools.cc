#include "gateway/chat_tools.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <set>
#include <unordered_map>

namespace bedrock::gateway {
namespace {

// Tool sets built recently, by the servers and tool-list generations they came from: a request
// over the same servers as an earlier one (the usual case) reuses the set instead of converting
// every tool again. Sets hold only names, descriptions and schemas (no clients), so a process-wide
// cache is safe; the oldest entries go beyond kMaxEntries.
class ToolSetCache {
 public:
  std::shared_ptr<const agent::ToolCatalog::ToolSet> Find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);  // most recently used first
    return it->second->second;
  }

  void Put(const std::string& key, std::shared_ptr<const agent::ToolCatalog::ToolSet> tools) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(tools);
      return;
    }
    entries_.emplace_front(key, std::move(tools));
    index_.emplace(key, entries_.begin());
    while (entries_.size() > kMaxEntries) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

 private:
  static constexpr size_t kMaxEntries = 256;
  using Entry = std::pair<std::string, std::shared_ptr<const agent::ToolCatalog::ToolSet>>;
  std::mutex mutex_;
  std::list<Entry> entries_;                                           // guarded by mutex_
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;  // guarded by mutex_
};

ToolSetCache& SharedToolSets() {
  static ToolSetCache* cache = new ToolSetCache();  // never destroyed: used until exit
  return *cache;
}

}  // namespace

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
  std::vector<std::shared_ptr<const boost::json::array>> tool_lists;
  std::set<std::string, std::less<>> seen;
  // The servers (ManagedServer instances: fixed spec, so fixed filters and approval settings),
  // their ids as requested, and their tool lists' generations.
  std::string key;
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
    auto tools = co_await lease->Tools();
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
    key += fmt::format("{}:{}:{}\n", lease->server_uid(), tools->generation, id);
    tool_lists.push_back(std::move(tools->tools));
    leases.push_back(std::move(*lease));
  }
  core::Result<std::shared_ptr<agent::McpToolCatalog>> inner = core::Error::Internal("unset");
  if (auto cached = SharedToolSets().Find(key)) {
    inner = agent::McpToolCatalog::CreateShared(std::move(servers), std::move(cached));
  } else {
    inner = agent::McpToolCatalog::Create(std::move(servers), tool_lists);
    if (inner.ok()) SharedToolSets().Put(key, (*inner)->tool_set());
  }
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
  catalog->AdoptTools(catalog->inner_->tool_set());  // same tools, same names: shared
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

#include "agent/tool_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/string.hpp>
#include <optional>

#include "agent/internal/spawn.h"
#include "agent/internal/task_group.h"
#include "mcp/client.h"

namespace bedrock::agent {
namespace asio = boost::asio;
namespace json = boost::json;

bool MatchesToolPattern(std::string_view pattern, std::string_view name) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {
bool MatchesAny(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return MatchesToolPattern(pattern, name); });
}
}  // namespace

bool ToolFilter::Allows(std::string_view tool_name) const {
  if (!allow.empty() && !MatchesAny(allow, tool_name)) return false;
  return !MatchesAny(deny, tool_name);
}

const CatalogTool* ToolCatalog::Find(std::string_view bedrock_name) const {
  auto it = data_->by_name.find(std::string(bedrock_name));
  return it == data_->by_name.end() ? nullptr : &data_->tools[it->second];
}

std::vector<llm::ToolSpec> ToolCatalog::Specs(boost::json::storage_ptr storage) const {
  std::vector<llm::ToolSpec> specs;
  specs.reserve(data_->tools.size());
  for (const CatalogTool& tool : data_->tools) {
    llm::ToolSpec spec;
    spec.name = tool.bedrock_name;
    // Bedrock refuses an empty description.
    spec.description = tool.description.empty() ? tool.tool_name : tool.description;
    spec.input_schema = json::value(tool.input_schema, storage);
    specs.push_back(std::move(spec));
  }
  return specs;
}

const CatalogTool& ToolCatalog::AddTool(CatalogTool tool) {
  // Copy on write: a shared set is never changed (only catalogs being built add tools).
  std::shared_ptr<ToolSet> data = data_.use_count() == 1 ? std::const_pointer_cast<ToolSet>(data_)
                                                         : std::make_shared<ToolSet>(*data_);
  data_ = data;
  tool.bedrock_name = data->names.Add(tool.server_id, tool.tool_name);
  if (auto it = data->by_name.find(tool.bedrock_name); it != data->by_name.end()) {
    data->tools[it->second] = std::move(tool);  // the same (server, tool) listed twice: last wins
    return data->tools[it->second];
  }
  data->by_name.emplace(tool.bedrock_name, data->tools.size());
  data->tools.push_back(std::move(tool));
  return data->tools.back();
}

core::Result<std::shared_ptr<McpToolCatalog>> McpToolCatalog::Create(
    std::vector<McpServer> servers, std::vector<json::array> tool_lists) {
  std::vector<std::shared_ptr<const json::array>> shared;
  shared.reserve(tool_lists.size());
  for (json::array& list : tool_lists) {
    shared.push_back(std::make_shared<const json::array>(std::move(list)));
  }
  return Create(std::move(servers), shared);
}

core::Result<std::shared_ptr<McpToolCatalog>> McpToolCatalog::CreateShared(
    std::vector<McpServer> servers, std::shared_ptr<const ToolSet> tools) {
  std::shared_ptr<McpToolCatalog> catalog(new McpToolCatalog());
  for (McpServer& server : servers) {
    if (!server.client) return core::Error::Internal("MCP server '{}' has no client", server.id);
    if (!catalog->clients_.emplace(server.id, server.client).second) {
      return core::Error::InvalidArgument("MCP server '{}' is listed twice", server.id);
    }
  }
  for (const CatalogTool& tool : tools->tools) {
    if (!catalog->clients_.contains(tool.server_id)) {
      return core::Error::Internal("shared tool set names MCP server '{}', not in this request",
                                   tool.server_id);
    }
  }
  catalog->AdoptTools(std::move(tools));
  return catalog;
}

core::Result<std::shared_ptr<McpToolCatalog>> McpToolCatalog::Create(
    std::vector<McpServer> servers,
    const std::vector<std::shared_ptr<const json::array>>& tool_lists) {
  if (servers.size() != tool_lists.size()) {
    return core::Error::Internal("McpToolCatalog::Create: {} servers but {} tool lists",
                                 servers.size(), tool_lists.size());
  }
  std::shared_ptr<McpToolCatalog> catalog(new McpToolCatalog());
  for (size_t i = 0; i < servers.size(); ++i) {
    McpServer& server = servers[i];
    if (!server.client) {
      return core::Error::Internal("MCP server '{}' has no client", server.id);
    }
    if (!catalog->clients_.emplace(server.id, server.client).second) {
      return core::Error::InvalidArgument("MCP server '{}' is listed twice", server.id);
    }
    for (const json::value& item : *tool_lists[i]) {
      const json::object* object = item.if_object();
      const json::value* name = object ? object->if_contains("name") : nullptr;
      if (name == nullptr || !name->is_string()) continue;
      std::string tool_name(name->get_string());
      if (!server.filter.Allows(tool_name)) continue;
      CatalogTool tool;
      tool.server_id = server.id;
      tool.tool_name = tool_name;
      if (const json::value* d = object->if_contains("description"); d && d->is_string()) {
        tool.description = std::string(d->get_string());
      }
      const json::value* schema = object->if_contains("inputSchema");
      tool.input_schema =
          schema && schema->is_object() ? *schema : json::value(json::object{{"type", "object"}});
      tool.requires_approval =
          server.approval_required || MatchesAny(server.approval_tools, tool_name);
      catalog->AddTool(std::move(tool));
    }
  }
  return catalog;
}

namespace {

struct Listing {
  std::optional<core::Result<json::array>> tools;
};

Awaitable<Listing> ListOne(std::shared_ptr<mcp::Client> client, std::string server_id,
                           std::chrono::milliseconds timeout) {
  mcp::CallOptions options(timeout);
  // The client lives on its own executor; run the call there.
  auto listed = co_await internal::AwaitOn(client->session().get_executor(),
                                           client->ListTools(std::move(options)));
  Listing listing;
  if (listed.ok()) {
    listing.tools = std::move(listed).value();
  } else {
    listing.tools = listed.error().WithContext(fmt::format("MCP server '{}'", server_id));
  }
  co_return listing;
}

}  // namespace

Awaitable<core::Result<std::shared_ptr<McpToolCatalog>>> McpToolCatalog::Load(
    std::vector<McpServer> servers, std::chrono::milliseconds list_timeout) {
  internal::TaskGroup<Listing> group(co_await asio::this_coro::executor);
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!servers[i].client) {
      co_return core::Error::Internal("MCP server '{}' has no client", servers[i].id);
    }
  }
  for (size_t i = 0; i < servers.size(); ++i) {
    group.Spawn(i, ListOne(servers[i].client, servers[i].id, list_timeout));
  }
  std::vector<std::optional<core::Result<json::array>>> lists(servers.size());
  while (auto done = co_await group.Next()) lists[done->first] = std::move(done->second.tools);
  std::vector<json::array> tool_lists;
  for (auto& list : lists) {
    if (!list->ok()) co_return std::move(*list).error();
    tool_lists.push_back(std::move(*list).value());
  }
  co_return Create(std::move(servers), std::move(tool_lists));
}

Awaitable<core::Result<mcp::CallToolResult>> McpToolCatalog::Call(
    const CatalogTool& tool, json::object arguments, std::chrono::milliseconds timeout) {
  auto it = clients_.find(tool.server_id);
  if (it == clients_.end()) {
    co_return core::Error::NotFound("no MCP server '{}' in this request", tool.server_id);
  }
  std::shared_ptr<mcp::Client> client = it->second;  // kept alive for the call
  mcp::CallOptions options(timeout);
  // co_spawn forwards our cancellation to the call on the client's executor; the session then
  // sends notifications/cancelled.
  auto result = co_await internal::AwaitOn(
      client->session().get_executor(),
      client->CallTool(tool.tool_name, std::move(arguments), std::move(options)));
  if (!result.ok()) {
    co_return result.error().WithContext(fmt::format("MCP server '{}'", tool.server_id));
  }
  co_return result;
}

}  // namespace bedrock::agent

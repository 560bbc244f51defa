// The tools one agent run may offer the model: those of the MCP servers chosen for the request,
// each knowing its server, its model-facing (Bedrock) name and how to call it.
//
//   std::vector<agent::McpServer> servers;
//   servers.emplace_back("fs", fs_client);                       // shared_ptr<mcp::Client>
//   servers.back().filter.deny = {"write_*", "delete_file"};     // keep these out of the prompt
//   servers.back().approval_tools = {"move_file"};               // ask the user first
//   BEDROCK_CO_TRY_ASSIGN(auto catalog, co_await agent::McpToolCatalog::Load(std::move(servers)));
//   for (const agent::CatalogTool& tool : catalog->tools()) ...  // tool.server_id, bedrock_name
//
// A catalog is built per request (or per user session) and is immutable once built: its name
// mapping (ToolNameMap) belongs to it alone.
//
// Thread-safety: const members may be called concurrently; Call may run concurrently with itself
// (the loop runs a turn's calls in parallel) from the run's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/tool_names.h"
#include "core/result.h"
#include "llm/model.h"
#include "mcp/types.h"

namespace bedrock::mcp {
class Client;
}

namespace bedrock::agent {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

// Which of a server's tools are offered. Patterns are exact names or globs where `*` matches any
// run of characters ("read_*"). A tool is offered when `allow` is empty or matches it, and `deny`
// does not.
struct ToolFilter {
  std::vector<std::string> allow;
  std::vector<std::string> deny;

  bool Allows(std::string_view tool_name) const;
  bool operator==(const ToolFilter&) const = default;
};

// Whether `name` matches `pattern` (exact, or `*` wildcards).
bool MatchesToolPattern(std::string_view pattern, std::string_view name);

// One tool as the run sees it.
struct CatalogTool {
  std::string server_id;
  std::string tool_name;     // the server's own name
  std::string bedrock_name;  // what the model calls it: unique in the catalog, [a-zA-Z0-9_-]{1,64}
  std::string description;
  boost::json::value input_schema;  // a JSON Schema object
  bool requires_approval = false;   // the user must approve each call
};

// The tools of a run and how to call them. Subclasses supply Call and add their tools with
// AddTool in their constructor or factory.
class ToolCatalog {
 public:
  // The tools and their names, immutable once built; catalogs over the same servers' same tool
  // lists may share one (McpToolCatalog::CreateShared), which saves rebuilding it per request.
  struct ToolSet {
    std::vector<CatalogTool> tools;
    std::unordered_map<std::string, size_t> by_name;
    ToolNameMap names;
  };

  virtual ~ToolCatalog() = default;

  // In the order they were added (server by server).
  const std::vector<CatalogTool>& tools() const { return data_->tools; }
  // The tool behind a model-facing name; null when there is none.
  const CatalogTool* Find(std::string_view bedrock_name) const;
  // The specs to send to the model, in tools() order. Their schemas are copied into `storage`
  // (default: the default resource); a monotonic resource made for one model call keeps the
  // copy compact and frees it whole with the request.
  std::vector<llm::ToolSpec> Specs(boost::json::storage_ptr storage = {}) const;
  const ToolNameMap& names() const { return data_->names; }
  // The tool set, to share with another catalog over the same tools.
  std::shared_ptr<const ToolSet> tool_set() const { return data_; }

  // Calls `tool` (an element of tools(), which outlives the call) with `arguments`. Must finish
  // within about `timeout` (failing with kDeadlineExceeded) and must honour asio terminal
  // cancellation of the awaiting coroutine by failing promptly with kCancelled (an MCP server is
  // then sent notifications/cancelled). A tool that reports failure (isError) is a successful
  // call; a failed call is an Error whose message names the server.
  virtual Awaitable<core::Result<mcp::CallToolResult>> Call(const CatalogTool& tool,
                                                            boost::json::object arguments,
                                                            std::chrono::milliseconds timeout) = 0;

 protected:
  ToolCatalog() : data_(std::make_shared<ToolSet>()) {}
  // Adds a tool; its bedrock_name is assigned here (any value passed in is replaced).
  const CatalogTool& AddTool(CatalogTool tool);
  // Takes `tools` as this catalog's tools (shared, not copied); AddTool after it copies them.
  void AdoptTools(std::shared_ptr<const ToolSet> tools) { data_ = std::move(tools); }

 private:
  std::shared_ptr<const ToolSet> data_;
};

// One MCP server offered to a run. Not an aggregate: it is passed by value into coroutines (see
// the g++ 12 note in docs/architecture.md).
struct McpServer {
  McpServer() {}
  McpServer(std::string server_id, std::shared_ptr<mcp::Client> server_client)
      : id(std::move(server_id)), client(std::move(server_client)) {}

  std::string id;  // the server id the user chose (mcp_server_ids)
  std::shared_ptr<mcp::Client> client;
  ToolFilter filter;
  bool approval_required = false;           // every tool of this server needs approval
  std::vector<std::string> approval_tools;  // patterns of tools that need approval
};

// A ToolCatalog over connected MCP clients. Calls run on each client's own executor (so clients
// shared by many users on other threads stay single-threaded) and resume on the caller's.
class McpToolCatalog final : public ToolCatalog {
 public:
  // Lists every server's tools concurrently and builds the catalog. Fails when a listing fails;
  // the error names the server ("MCP server 'fs': tools/list ...").
  static Awaitable<core::Result<std::shared_ptr<McpToolCatalog>>> Load(
      std::vector<McpServer> servers,
      std::chrono::milliseconds list_timeout = std::chrono::seconds(30));

  // From tool lists the caller already has (e.g. cached per server): `tool_lists[i]` holds the
  // tools/list items of `servers[i]`. Items without a string name are skipped.
  static core::Result<std::shared_ptr<McpToolCatalog>> Create(
      std::vector<McpServer> servers, std::vector<boost::json::array> tool_lists);
  // The same without copying the lists.
  static core::Result<std::shared_ptr<McpToolCatalog>> Create(
      std::vector<McpServer> servers,
      const std::vector<std::shared_ptr<const boost::json::array>>& tool_lists);
  // Over a tool set an earlier Create built from the same servers (same ids, filters, approval
  // settings) and the same tool lists: only the clients are new. Fails when a tool's server is
  // not among `servers`.
  static core::Result<std::shared_ptr<McpToolCatalog>> CreateShared(
      std::vector<McpServer> servers, std::shared_ptr<const ToolSet> tools);

  Awaitable<core::Result<mcp::CallToolResult>> Call(const CatalogTool& tool,
                                                    boost::json::object arguments,
                                                    std::chrono::milliseconds timeout) override;

 private:
  McpToolCatalog() = default;
  std::unordered_map<std::string, std::shared_ptr<mcp::Client>> clients_;
};

}  // namespace bedrock::agent

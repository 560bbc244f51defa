// One MCP server connection the gateway runs on behalf of users: started lazily by the first
// request that needs it (exactly once, however many ask at the same time), shared by every
// request that may use it, restarted after it died, stopped when idle or at shutdown.
//
//   auto server = gateway::ManagedServer::Create(spec, mcp_strand, connector, clock, backoff);
//   BEDROCK_CO_TRY_ASSIGN(gateway::ServerLease lease, co_await server->Acquire());
//   BEDROCK_CO_TRY_ASSIGN(auto tools, co_await lease.ListTools());          // from any executor
//   BEDROCK_CO_TRY_ASSIGN(auto result, co_await lease.CallTool("read", args));
//   // The lease counts as "in use": the idle sweep never stops a server while a lease is alive.
//
// The mcp::Client lives on the server's strand (of the gateway's MCP io_context), as mcp::Client
// requires; ServerLease's helpers hop there and back, so callers on HTTP threads just co_await
// them. To do something else with the client, co_spawn onto lease.executor().
//
// A server that fails to start keeps the error (with the child's last stderr lines) for listing;
// requests within the restart backoff get the same error without another attempt.
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "gateway/config.h"
#include "mcp/client.h"
#include "mcp/types.h"

namespace bedrock::gateway {

class ManagedServer;

// Where a connector reports a stdio child's stderr lines (kept for error reports and listing).
using StderrSink = std::function<void(std::string_view line)>;

// What a connector reports back about the server it connected. Not an aggregate (passed into
// coroutines).
struct ServerHooks {
  ServerHooks() {}
  StderrSink stderr_line;               // a stdio child's stderr lines
  std::function<void()> tools_changed;  // the server sent notifications/tools/list_changed
};

// Starts a server's transport and initializes an MCP client over it, on `executor` (the server's
// strand). Injected so tests can use in-memory servers; DefaultConnector spawns and dials.
using Connector = std::function<boost::asio::awaitable<core::Result<std::shared_ptr<mcp::Client>>>(
    boost::asio::any_io_executor executor, const ServerSpec& spec, ServerHooks hooks)>;

struct DefaultConnectorOptions {
  // For servers users added: URLs are checked against it and connections pinned to the checked
  // address. Servers from the configuration file are not checked.
  PolicyConfig policy;
  std::string client_name = "bedrock-mcp";
  std::string client_version = "0.0.0";
};
// The real connector: stdio servers are spawned with a minimal environment (see
// mcp/stdio_transport.h: PATH, HOME and the like, plus the entry's own env), so the gateway's AWS
// credentials and API keys never reach them; URL servers are dialed with a fresh http::Client.
Connector DefaultConnector(DefaultConnectorOptions options);

enum class ServerState { kIdle, kStarting, kRunning, kStopping, kFailed };
std::string_view ServerStateName(ServerState state);  // "idle", "starting", "running", ...

// What listing shows about a server.
struct ServerStatus {
  ServerState state = ServerState::kIdle;
  std::string error;  // the last start failure or why it died, stderr tail included
};

// A use of a running server. Movable; while any lease is alive the server is "in use".
class ServerLease {
 public:
  ServerLease(ServerLease&& other) noexcept;
  ServerLease& operator=(ServerLease&& other) noexcept;
  ServerLease(const ServerLease&) = delete;
  ServerLease& operator=(const ServerLease&) = delete;
  ~ServerLease();

  const ServerSpec& spec() const;
  // The executor the client lives on.
  boost::asio::any_io_executor executor() const;
  // Use only on executor().
  const std::shared_ptr<mcp::Client>& client() const { return client_; }

  // The server's tools (every page), from any executor.
  boost::asio::awaitable<core::Result<boost::json::array>> ListTools() const;

  // The same, shared and cached: listed once per running client and reused until the server
  // says its list changed (notifications/tools/list_changed) or it is restarted. `generation`
  // identifies this list: equal generations of one server mean equal lists.
  struct SharedTools {
    std::shared_ptr<const boost::json::array> tools;
    uint64_t generation = 0;
  };
  boost::asio::awaitable<core::Result<SharedTools>> Tools() const;
  // Unique for the server's lifetime, never reused (cache keys).
  uint64_t server_uid() const;
  // tools/call with the spec's call_timeout (or `timeout`), from any executor. Cancelling the
  // awaiting coroutine cancels the call on the server.
  boost::asio::awaitable<core::Result<mcp::CallToolResult>> CallTool(
      std::string name, boost::json::object arguments,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;

 private:
  friend class ManagedServer;
  ServerLease(std::shared_ptr<ManagedServer> server, std::shared_ptr<mcp::Client> client)
      : server_(std::move(server)), client_(std::move(client)) {}
  void Release();

  std::shared_ptr<ManagedServer> server_;
  std::shared_ptr<mcp::Client> client_;
};

class ManagedServer : public std::enable_shared_from_this<ManagedServer> {
 public:
  // `executor` should be a strand: the server's state and client live on it.
  static std::shared_ptr<ManagedServer> Create(ServerSpec spec,
                                               boost::asio::any_io_executor executor,
                                               Connector connector, const core::Clock& clock,
                                               std::chrono::milliseconds restart_backoff);
  ~ManagedServer();

  const ServerSpec& spec() const { return spec_; }
  boost::asio::any_io_executor executor() const { return executor_; }

  // The running client, starting the server first if needed. Concurrent callers share one start.
  boost::asio::awaitable<core::Result<ServerLease>> Acquire();

  // Closes the client (reaping a child process). Waits for a start in progress. Leases keep
  // their client object, whose calls then fail. A later Acquire starts the server again.
  boost::asio::awaitable<void> Stop();

  // Stops the server if it runs, no lease is alive and it was last used before `cutoff`.
  // Returns whether it stopped it.
  boost::asio::awaitable<bool> StopIfIdle(core::Clock::SteadyTime cutoff);

  ServerStatus status() const;
  size_t leases() const { return leases_.load(); }
  core::Clock::SteadyTime last_used() const;
  // How many times a start was attempted (for tests and metrics).
  int start_attempts() const { return start_attempts_.load(); }
  // How many times tools/list was sent through ServerLease::Tools (for tests and metrics).
  int tool_listings() const { return tool_listings_.load(); }
  // Bumped by every notifications/tools/list_changed and every start (for tests and metrics).
  uint64_t tools_generation() const { return tools_generation_.load(); }
  uint64_t uid() const { return uid_; }

 private:
  friend class ServerLease;
  struct Transition;

  ManagedServer(ServerSpec spec, boost::asio::any_io_executor executor, Connector connector,
                const core::Clock& clock, std::chrono::milliseconds restart_backoff);
  boost::asio::awaitable<core::Result<std::shared_ptr<mcp::Client>>> AcquireOnStrand();
  boost::asio::awaitable<void> StopOnStrand();
  void SetStatus(ServerState state, std::string error);
  void AddStderrLine(std::string_view line);
  void Touch();
  // The cached list when it belongs to `client` and is current.
  std::optional<ServerLease::SharedTools> CachedTools(const mcp::Client* client) const;
  void StoreTools(const mcp::Client* client, uint64_t generation,
                  std::shared_ptr<const boost::json::array> tools);

  const ServerSpec spec_;
  const boost::asio::any_io_executor executor_;
  const Connector connector_;
  const core::Clock& clock_;
  const std::chrono::milliseconds restart_backoff_;

  // On executor_ only:
  ServerState state_ = ServerState::kIdle;
  std::shared_ptr<mcp::Client> client_;
  std::shared_ptr<Transition> transition_;  // set while starting or stopping; waiters wait on it
  core::Clock::SteadyTime failed_at_{};
  std::optional<core::Error> failure_;

  // Any thread:
  std::atomic<size_t> leases_{0};
  std::atomic<int64_t> last_used_ns_{0};
  std::atomic<int> start_attempts_{0};
  std::atomic<int> tool_listings_{0};
  const uint64_t uid_;
  // Bumped by every tools/list_changed and every start: a cached list of an older generation is
  // stale.
  std::atomic<uint64_t> tools_generation_{1};
  mutable std::mutex tools_mutex_;
  std::shared_ptr<const boost::json::array> tools_;  // guarded by tools_mutex_
  const mcp::Client* tools_client_ = nullptr;        // guarded; whose list tools_ is
  uint64_t tools_cached_generation_ = 0;             // guarded
  mutable std::mutex status_mutex_;
  ServerStatus status_;                  // guarded by status_mutex_
  std::deque<std::string> stderr_tail_;  // guarded by status_mutex_
};

}  // namespace bedrock::gateway

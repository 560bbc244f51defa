// Users and their MCP servers: who may see and use which server, per-user processes, servers
// added at runtime (persisted in the store, restored on restart), idle shutdown, and server-side
// history. This is what the chat endpoint asks for "this user's client for server X" and "this
// user's history".
//
//   gateway::UserRegistry users(options);
//   BEDROCK_CO_TRY_ASSIGN(auto user, co_await users.Get(principal.user_id));
//   BEDROCK_CO_TRY_ASSIGN(gateway::ServerLease lease, co_await user->Acquire("local_fs"));
//   BEDROCK_CO_TRY_ASSIGN(auto history, co_await user->LoadHistory(""));
//
// Visibility: a user sees the enabled global servers (from the configuration) and the servers
// they added themselves, never another user's. A global server runs once for everyone unless it is
// per_user, in which case each user gets a private instance. Servers start at their first use
// (add starts one at once, to report its tools), and per-user instances stop after
// limits.inactive_time without use; a user with nothing running and no request for that long is
// forgotten (their stored servers and history stay in the store).
//
// Setup: the first request of a user loads their stored servers exactly once, however many of
// their requests arrive at the same moment.
//
// Threading: every member may be called from any thread and executor. Each user's mutations run
// on that user's strand (of the MCP io_context); lookups read a mutex-guarded snapshot. Store
// calls run on the blocking executor, never on an I/O thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "gateway/config.h"
#include "gateway/managed_server.h"
#include "store/store.h"

namespace bedrock::gateway {

// One row of a user's server list.
struct ServerInfo {
  std::string id;
  std::string name;  // the label: the description, else "User-specific server: <id>" / the id
  bool global = true;
  bool per_user = false;
  std::string description;
  ServerStatus status;
};

struct UserRegistryOptions {
  const GatewayConfig* config = nullptr;           // must outlive the registry
  store::Store* store = nullptr;                   // must outlive the registry
  boost::asio::any_io_executor mcp_executor;       // where MCP clients live (strands are made)
  boost::asio::any_io_executor blocking_executor;  // where store calls run
  Connector connector;
  const core::Clock* clock = nullptr;  // null: the system clock
};

class UserRegistry;

class UserSession : public std::enable_shared_from_this<UserSession> {
 public:
  const std::string& user_id() const { return user_id_; }

  // Global servers first (config order), then the user's own (in the order they were added).
  std::vector<ServerInfo> ListServers() const;
  // Whether the user may use a server of this id, and its spec.
  std::optional<ServerSpec> FindServer(std::string_view server_id) const;

  // The running server `server_id` as this user sees it, starting it if needed.
  // kNotFound when the user has no such server (another user's servers are not found either).
  boost::asio::awaitable<core::Result<ServerLease>> Acquire(std::string server_id);

  // Starts a server the user adds, lists its tools, persists it, and makes it available. `spec`
  // must have passed the policy checks. Errors: kAlreadyExists (the id is taken, also by a global
  // server or an add in progress), kResourceExhausted (too many servers), the start error.
  boost::asio::awaitable<core::Result<boost::json::array>> AddServer(ServerSpec spec,
                                                                     std::string config_json);
  // Stops and forgets one of the user's own servers. kNotFound when the user has none of that
  // id; kPermissionDenied for a global server.
  boost::asio::awaitable<core::Status> RemoveServer(std::string server_id);

  // Server-side history ("" is the default conversation, the demo's one history per user).
  boost::asio::awaitable<core::Result<store::Conversation>> LoadHistory(
      std::string conversation_id);
  boost::asio::awaitable<core::Status> SaveHistory(std::string conversation_id,
                                                   store::Conversation conversation);
  boost::asio::awaitable<core::Status> AppendHistory(std::string conversation_id,
                                                     std::vector<std::string> messages);
  // Clears one conversation, or every conversation when `conversation_id` is nullopt. Returns how
  // many messages were removed.
  boost::asio::awaitable<core::Result<int64_t>> ClearHistory(
      std::optional<std::string> conversation_id);

  // Records activity (every authenticated request does).
  void Touch();
  core::Clock::SteadyTime last_active() const;

 private:
  friend class UserRegistry;
  struct Private {};

 public:
  UserSession(Private, UserRegistry& registry, std::string user_id);

 private:
  boost::asio::awaitable<core::Status> EnsureLoaded();
  boost::asio::awaitable<core::Status> LoadOnStrand();
  boost::asio::awaitable<core::Result<boost::json::array>> AddOnStrand(ServerSpec spec,
                                                                       std::string config_json);
  boost::asio::awaitable<core::Status> RemoveOnStrand(std::string server_id);
  std::shared_ptr<ManagedServer> MakeServer(ServerSpec spec);
  // The server instance for `server_id` (creating a per_user global's instance), or null.
  std::shared_ptr<ManagedServer> InstanceFor(std::string_view server_id);
  // Every server instance this user owns (own servers and private copies of globals).
  std::vector<std::shared_ptr<ManagedServer>> OwnedInstances() const;

  UserRegistry& registry_;
  const std::string user_id_;
  const boost::asio::any_io_executor strand_;
  std::atomic<int64_t> last_active_ns_{0};

  // On strand_ only:
  bool loaded_ = false;
  std::shared_ptr<void> loading_;              // a Transition-like signal while loading
  std::set<std::string, std::less<>> adding_;  // ids reserved by adds in progress

  mutable std::mutex mutex_;
  // guarded by mutex_:
  std::map<std::string, std::shared_ptr<ManagedServer>, std::less<>> own_;      // user-added
  std::vector<std::string> own_order_;                                          // add order
  std::map<std::string, std::shared_ptr<ManagedServer>, std::less<>> private_;  // per_user globals
};

class UserRegistry {
 public:
  explicit UserRegistry(UserRegistryOptions options);
  ~UserRegistry();
  UserRegistry(const UserRegistry&) = delete;
  UserRegistry& operator=(const UserRegistry&) = delete;

  // The user's session, created and set up (stored servers loaded) exactly once.
  boost::asio::awaitable<core::Result<std::shared_ptr<UserSession>>> Get(std::string user_id);

  // Starts the shared global servers in the background (so their errors show early).
  void StartGlobals();
  // Stops per-user servers unused for limits.inactive_time and forgets idle users. Returns how
  // many servers it stopped.
  boost::asio::awaitable<size_t> SweepIdle();
  // Stops every server (shutdown). New requests should be refused before.
  boost::asio::awaitable<void> StopAll();

  size_t user_count() const;
  const GatewayConfig& config() const { return *options_.config; }
  // The shared instance of a global server (null for per_user or disabled ones).
  std::shared_ptr<ManagedServer> SharedGlobal(std::string_view server_id) const;

 private:
  friend class UserSession;

  UserRegistryOptions options_;
  const core::Clock& clock_;
  std::map<std::string, const ServerSpec*, std::less<>> global_specs_;         // enabled globals
  std::map<std::string, std::shared_ptr<ManagedServer>, std::less<>> shared_;  // not per_user

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<UserSession>, std::less<>> users_;  // guarded by mutex_
};

}  // namespace bedrock::gateway

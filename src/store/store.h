// Persistent state of the gateway: each user's MCP server configurations and server-side chat
// history. An interface with two implementations, picked by URL in OpenStore: embedded SQLite
// (store/sqlite_store.h, the default) and PostgreSQL (store/postgres_store.h, for several gateway
// processes sharing one database).
//
//   auto store = store::OpenStore(store::StoreOptions("sqlite:data/bedrock-mcp.db"));
//   if (!store.ok()) return store.error();
//   store::StoredServer server{.user_id = "alice", .server_id = "exa",
//                              .config_json =
//                              R"({"command":"npx","args":["-y","exa-mcp-server"]})", .description
//                              = "Web search"};
//   bool added = BEDROCK_TRY((*store)->InsertServer(server));   // false: the id is taken
//   auto history = BEDROCK_TRY((*store)->LoadHistory("alice", ""));
//
// The store treats configurations and messages as opaque JSON text: their schema belongs to the
// gateway and the agent. Strings are stored as given (UTF-8); secrets inside configurations (API
// keys in `env`, tokens) are stored in plain text, so protect the file (the SQLite backend creates
// it mode 0600).
//
// Blocking: every call does synchronous disk I/O (and, for a network backend, round trips) and may
// wait up to StoreOptions::busy_timeout for a lock held by another process. NEVER call a Store from
// an HTTP or MCP I/O thread: the gateway runs store calls on its small blocking pool
// (gateway/blocking.h, RunBlocking) and co_awaits the result.
//
// Thread-safety: every method of every Store may be called concurrently from any thread. Each call
// is atomic (one transaction): a reader sees all of a concurrent write or none of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::store {

// One MCP server a user added at runtime.
struct StoredServer {
  std::string user_id;
  std::string server_id;
  std::string config_json;  // one mcpServers entry: {"command":...} or {"url":...}
  std::string description;
  int64_t created_at_ms = 0;  // Unix milliseconds; set by the store on insert
  int64_t updated_at_ms = 0;
};

// One conversation's server-side history. `messages` are JSON texts in order (oldest first);
// `system_json` the system prompt (JSON text, empty when none).
struct Conversation {
  std::string system_json;
  std::vector<std::string> messages;
  int64_t updated_at_ms = 0;  // 0 for a conversation never stored
};

class Store {
 public:
  virtual ~Store() = default;

  // --- MCP servers, keyed by (user_id, server_id) ---
  // The user's servers, ordered by creation time.
  virtual core::Result<std::vector<StoredServer>> ListServers(std::string_view user_id) = 0;
  // Adds a server; returns false (and changes nothing) when the user already has one of that id.
  virtual core::Result<bool> InsertServer(const StoredServer& server) = 0;
  // Inserts or replaces.
  virtual core::Status PutServer(const StoredServer& server) = 0;
  // Returns false when there was no such server.
  virtual core::Result<bool> DeleteServer(std::string_view user_id, std::string_view server_id) = 0;

  // --- history, keyed by (user_id, conversation_id); "" is a user's default conversation ---
  // An empty Conversation when nothing is stored.
  virtual core::Result<Conversation> LoadHistory(std::string_view user_id,
                                                 std::string_view conversation_id) = 0;
  // Replaces the whole conversation (system prompt and messages) atomically.
  virtual core::Status SaveHistory(std::string_view user_id, std::string_view conversation_id,
                                   const Conversation& conversation) = 0;
  // Appends messages (keeping the system prompt) atomically; creates the conversation if needed.
  virtual core::Status AppendHistory(std::string_view user_id, std::string_view conversation_id,
                                     const std::vector<std::string>& messages) = 0;
  // Deletes one conversation; returns how many messages it held (0: nothing was stored).
  virtual core::Result<int64_t> ClearHistory(std::string_view user_id,
                                             std::string_view conversation_id) = 0;
  // Deletes every conversation of the user; returns how many messages they held.
  virtual core::Result<int64_t> ClearAllHistory(std::string_view user_id) = 0;

  // The schema version the backend is at (for diagnostics and tests).
  virtual int schema_version() const = 0;
};

// Not an aggregate, so it can be passed by value to coroutines (see docs/architecture.md).
struct StoreOptions {
  StoreOptions() {}
  explicit StoreOptions(std::string store_url) : url(std::move(store_url)) {}

  // "sqlite:<path>", "sqlite::memory:", or a bare path (SQLite); "postgres://..." or
  // "postgresql://..." (a libpq connection URI: PostgreSQL).
  std::string url;
  // How long a call waits for a lock another connection (or process) holds before failing with
  // kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // PostgreSQL: the most connections the store opens (on demand; calls beyond wait up to
  // busy_timeout for one). SQLite ignores it.
  size_t max_connections = 8;
  // Tests only: stop migrating at this version (0: the latest), to build an old database.
  int target_schema_version = 0;
};

// Opens (creating and migrating as needed) the backend `options.url` names.
// Errors: kInvalidArgument (malformed URL), kFailedPrecondition (a database written by a newer
// version), kUnavailable / kPermissionDenied / kDataLoss (cannot open or connect, locked, corrupt),
// kUnauthenticated / kNotFound (PostgreSQL: bad credentials, no such database), each naming the
// path or database (never a password).
core::Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace bedrock::store

// The embedded SQLite backend of store::Store.
//
//   store::StoreOptions options("sqlite:data/bedrock-mcp.db");
//   auto store = store::SqliteStore::Open("data/bedrock-mcp.db", options);
//
// The database runs in WAL mode (readers never block the writer), with a busy timeout for locks
// held by other processes, foreign keys on, and synchronous=NORMAL (durable across process
// crashes; a power loss may drop the last transactions but never corrupts). Write transactions
// start IMMEDIATE, so two writers queue on the busy timeout instead of failing on lock upgrade.
//
// Schema: versioned migrations, recorded in the `schema_migrations` table (one row per applied
// version). Opening migrates forward, one transaction per version; a database whose version is
// newer than this build knows is refused (kFailedPrecondition) rather than misread.
//
// The file (and its parent directory, when missing) is created with owner-only permissions:
// stored configurations may hold users' API keys.
//
// Thread-safety: as Store. One connection is shared and serialised by a mutex; statements are
// prepared once and reused. Blocking: see store.h.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/store.h"

namespace bedrock::store {

namespace internal {
class Database;
}  // namespace internal

class SqliteStore final : public Store {
 public:
  // `path` is a file path or ":memory:" (a private in-memory database, for tests).
  static core::Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                         const StoreOptions& options);
  // The newest schema version this build writes.
  static int LatestSchemaVersion();

  ~SqliteStore() override;

  core::Result<std::vector<StoredServer>> ListServers(std::string_view user_id) override;
  core::Result<bool> InsertServer(const StoredServer& server) override;
  core::Status PutServer(const StoredServer& server) override;
  core::Result<bool> DeleteServer(std::string_view user_id, std::string_view server_id) override;

  core::Result<Conversation> LoadHistory(std::string_view user_id,
                                         std::string_view conversation_id) override;
  core::Status SaveHistory(std::string_view user_id, std::string_view conversation_id,
                           const Conversation& conversation) override;
  core::Status AppendHistory(std::string_view user_id, std::string_view conversation_id,
                             const std::vector<std::string>& messages) override;
  core::Result<int64_t> ClearHistory(std::string_view user_id,
                                     std::string_view conversation_id) override;
  core::Result<int64_t> ClearAllHistory(std::string_view user_id) override;

  int schema_version() const override { return schema_version_; }

 private:
  SqliteStore(std::unique_ptr<internal::Database> db, int schema_version);

  std::mutex mutex_;
  std::unique_ptr<internal::Database> db_;  // guarded by mutex_
  int schema_version_;
};

}  // namespace bedrock::store

// The PostgreSQL backend of store::Store, for several gateway processes (replicas) sharing one
// database.
//
//   store::StoreOptions options("postgresql://bedrock@db.internal/bedrock");
//   auto store = store::PostgresStore::Open(options);   // or store::OpenStore(options)
//
// URLs are libpq connection URIs (postgres:// or postgresql://, `?host=/run/postgresql` for a Unix
// socket, any libpq parameter in the query); what the URL leaves out comes from the PG* environment
// variables libpq reads, the password from the URL, PGPASSWORD or ~/.pgpass. The password never
// appears in an error or log line: errors name the database as user@host:port/dbname.
//
// Semantics are the SQLite backend's, method for method: each call is one transaction (READ
// COMMITTED; writers of one conversation queue on its row lock), strings are stored as bytea (any
// bytes round-trip, and ordering is bytewise as in SQLite), timestamps come from the server's clock
// (one clock for every replica). A lock held longer than StoreOptions::busy_timeout fails the call
// with kUnavailable (lock_timeout); any statement is cut after busy_timeout + 30 s
// (statement_timeout); connecting gives up after max(2 s, busy_timeout) unless the URL or
// PGCONNECT_TIMEOUT sets connect_timeout.
//
// Schema: versioned migrations recorded in `schema_migrations`, as in SQLite but numbered for this
// backend; opening migrates forward under a PostgreSQL advisory lock, so processes starting
// together migrate once. A database at a newer version than this build knows is refused
// (kFailedPrecondition).
//
// Connections: a pool of at most StoreOptions::max_connections, opened on demand. A call that
// finds its connection broken (server restarted, network failure) fails with kUnavailable; the
// pool then drops its idle connections and the next call connects afresh. An idle connection the
// server has already closed is noticed before use and replaced without failing a call.
//
// Thread-safety: as Store. Blocking: see store.h.
#pragma once

#include <memory>

#include "store/store.h"

namespace bedrock::store {

namespace internal {
class ConnectionPool;
}  // namespace internal

class PostgresStore final : public Store {
 public:
  // `options.url` is a postgres:// or postgresql:// URL.
  static core::Result<std::unique_ptr<PostgresStore>> Open(const StoreOptions& options);
  // The newest schema version this build writes.
  static int LatestSchemaVersion();

  ~PostgresStore() override;

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
  PostgresStore(std::unique_ptr<internal::ConnectionPool> pool, int schema_version);

  std::unique_ptr<internal::ConnectionPool> pool_;  // thread-safe itself
  int schema_version_;
};

}  // namespace bedrock::store

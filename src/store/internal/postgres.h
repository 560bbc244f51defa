// A thin layer over libpq for the store: connection settings parsed (and redacted) from a URL,
// connections with per-connection prepared statements and binary parameters, a bounded pool that
// reconnects, and the one table mapping SQLSTATE codes to core::ErrorCode. Only store/ (and its
// tests) include it; libpq-fe.h stays in postgres.cc.
//
// Secrets: the password (from the URL, or PGPASSWORD) never reaches a message. Messages name the
// database by ConnectionSettings::label ("alice@db.internal:5432/bedrock"), and every libpq
// message is scrubbed of the password before it is used.
//
// Thread-safety: ConnectionSettings is a value. A Connection is used by one thread at a time (the
// pool hands each to one caller). ConnectionPool: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct pg_conn;
struct pg_result;

namespace bedrock::store::internal {

// The code for a SQLSTATE: connection failures (class 08), shutdown (57P01-57P03), lock timeouts
// (55P03), too many connections (53300) and a read-only standby (25006) -> kUnavailable;
// statement_timeout (57014) -> kDeadlineExceeded; serialization failures and deadlocks (40001,
// 40P01) -> kAborted; unique violations (23505) -> kAlreadyExists, other integrity violations ->
// kFailedPrecondition; bad credentials (28xxx) -> kUnauthenticated; missing privileges (42501) ->
// kPermissionDenied; an unknown database (3D000) -> kNotFound; out of disk or memory (53xxx) ->
// kResourceExhausted; program limits (54xxx) -> kPayloadTooLarge; corruption (XX001, XX002) ->
// kDataLoss; data exceptions (22xxx) -> kInvalidArgument; "" (no server answer: the connection
// broke) -> kUnavailable; anything else kInternal.
core::ErrorCode ErrorCodeFromSqlState(std::string_view sqlstate);

// `url` with its password (user info and a `password=` query parameter) replaced by core::kRedacted
// ("[REDACTED]"). Works on malformed URLs too, so it can be quoted in the error that reports them.
std::string RedactPostgresUrl(std::string_view url);

// What a connection needs, parsed once from a postgres:// or postgresql:// URL.
struct ConnectionSettings {
  std::string url;    // as given, password included: never put it in a message
  std::string label;  // user@host:port/dbname, after libpq's environment defaults; no password
  std::vector<std::string> secrets;  // passwords to scrub from libpq's messages
  std::chrono::milliseconds busy_timeout{5000};
};

// Parses `url` with libpq's own parser (no connection yet). kInvalidArgument, with the URL
// redacted, when it is malformed, names an unknown parameter or a non-numeric port.
core::Result<ConnectionSettings> ParseConnectionSettings(std::string_view url,
                                                         std::chrono::milliseconds busy_timeout);

// Query parameters, all sent in binary format: strings as bytea (any bytes, NUL included), integers
// as int8, string lists as bytea[]. Views passed to Bytes must outlive the Exec call.
class Params {
 public:
  Params& Bytes(std::string_view value);
  Params& Int(int64_t value);
  Params& BytesArray(const std::vector<std::string>& values);

 private:
  friend class Connection;
  struct Param {
    unsigned int type;      // an OID
    std::string owned;      // encoded int8 / array
    std::string_view view;  // bytea: the caller's bytes
    bool use_owned;
  };
  std::vector<Param> params_;
};

// One statement's result (binary format). Rows and columns are 0-based.
class Rows {
 public:
  Rows(Rows&&) noexcept;
  Rows& operator=(Rows&&) noexcept;
  ~Rows();

  int size() const;
  bool IsNull(int row, int column) const;
  std::string Bytes(int row, int column) const;  // a bytea (or text) column
  int64_t Int(int row, int column) const;        // an int8 column
  int64_t affected() const;                      // rows an INSERT/UPDATE/DELETE changed

 private:
  friend class Connection;
  explicit Rows(pg_result* result) : result_(result) {}
  pg_result* result_;
};

class Connection {
 public:
  // Connects (blocking, up to connect_timeout) and applies the session settings: lock_timeout =
  // busy_timeout, statement_timeout = busy_timeout + 30 s.
  static core::Result<std::unique_ptr<Connection>> Open(const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with parameters; prepared on this connection on first use and cached.
  // `sql` must be constant text (never built from data).
  core::Result<Rows> Exec(std::string_view sql, const Params& params = Params());
  // Exec without the rows.
  core::Status Run(std::string_view sql, const Params& params = Params());
  // Runs constant SQL without parameters (BEGIN, COMMIT, migrations: may hold several statements).
  core::Status Command(std::string_view sql);

  // BEGIN ... COMMIT around `body()`, rolled back on any error. A failed COMMIT is an error (its
  // outcome is unknown when the connection broke). READ COMMITTED whatever the server's default:
  // each statement sees what committed before it, which the store's row-lock ordering relies on.
  template <typename F>
  auto InTransaction(F&& body) -> decltype(body()) {
    BEDROCK_TRY(Command("BEGIN ISOLATION LEVEL READ COMMITTED"));
    auto result = body();
    if (!result.ok()) {
      (void)Command("ROLLBACK");
      return result;
    }
    if (auto committed = Command("COMMIT"); !committed.ok()) return committed.error();
    return result;
  }

  // Whether the connection can go back to the pool: connected, and not inside a transaction.
  bool Reusable() const;
  // Before reuse: false when the server has closed the connection or sent something unasked
  // while it sat idle (a shutdown notice); such a connection is dropped, not used.
  bool IdleAndAlive();

  const ConnectionSettings& settings() const { return *settings_; }

 private:
  Connection(pg_conn* conn, const ConnectionSettings* settings)
      : conn_(conn), settings_(settings) {}
  // "postgres: <what>: <libpq message> (SQLSTATE xxxxx; <label>)", scrubbed of secrets.
  core::Error ErrorFrom(pg_result* result, std::string_view what) const;

  pg_conn* conn_;
  const ConnectionSettings* settings_;  // owned by the pool (or the caller), outlives this
  std::map<std::string, std::string, std::less<>> prepared_;  // sql -> statement name
};

// At most `max_connections` connections to one database, opened lazily and reused. A connection
// that broke (or was left inside a transaction) is closed when returned, and the idle ones are
// dropped with it (a server restart breaks them all), so the next call connects afresh.
class ConnectionPool {
 public:
  ConnectionPool(ConnectionSettings settings, size_t max_connections);
  ~ConnectionPool();

  // A connection on loan; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // An idle live connection, else a new one while under the bound, else waits up to busy_timeout
  // for one to come back (then kUnavailable). Connection errors as Connection::Open.
  core::Result<Lease> Acquire();

  const ConnectionSettings& settings() const { return settings_; }
  size_t open_connections() const;

 private:
  void Release(std::unique_ptr<Connection> connection);

  const ConnectionSettings settings_;
  const size_t max_connections_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
  size_t open_ = 0;  // idle + on loan + being opened; guarded by mutex_
};

}  // namespace bedrock::store::internal

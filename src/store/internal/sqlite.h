// A thin RAII layer over the SQLite C API for the store: a connection, prepared statements that
// are cached and reset after each use, transactions, and the one table mapping SQLite result
// codes to core::ErrorCode. Only store/ includes it.
//
// Thread-safety: none; the owner (SqliteStore) serialises every use of a Database.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace bedrock::store::internal {

// The code for a SQLite (extended) result code: BUSY/LOCKED -> kUnavailable, CORRUPT/NOTADB ->
// kDataLoss, READONLY/PERM/AUTH -> kPermissionDenied, CANTOPEN -> kUnavailable, FULL ->
// kResourceExhausted, CONSTRAINT -> kAlreadyExists, anything else kInternal.
core::ErrorCode ErrorCodeFromSqlite(int rc);

class Database;

// A prepared statement borrowed from the Database's cache; reset and unbound when destroyed.
// Parameters are 1-based, columns 0-based.
class Statement {
 public:
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);

  // One step: true when a row is available, false when done.
  core::Result<bool> Step();
  // Steps to the end (for statements without rows).
  core::Status Run();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  Database* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating) `path`; `busy_timeout_ms` applies to every lock wait.
  static core::Result<std::unique_ptr<Database>> Open(const std::string& path, int busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without parameters or results.
  core::Status Exec(std::string_view sql);
  // The cached statement for `sql` (prepared on first use).
  core::Result<Statement> Prepare(std::string_view sql);
  // Rows changed by the last statement.
  int64_t Changes() const;

  // BEGIN IMMEDIATE ... COMMIT, rolled back on any error from `body` (or if Commit never ran).
  template <typename F>
  auto InTransaction(F&& body) -> decltype(body()) {
    BEDROCK_TRY(Exec("BEGIN IMMEDIATE"));
    auto result = body();
    if (!result.ok()) {
      (void)Exec("ROLLBACK");
      return result;
    }
    if (auto committed = Exec("COMMIT"); !committed.ok()) {
      (void)Exec("ROLLBACK");
      return committed.error();
    }
    return result;
  }

  // An error for the connection's last failure: "<what>: <sqlite message> (<path>)".
  core::Error LastError(int rc, std::string_view what) const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace bedrock::store::internal

#include "store/internal/sqlite.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace bedrock::store::internal {

core::ErrorCode ErrorCodeFromSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return core::ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return core::ErrorCode::kDataLoss;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return core::ErrorCode::kPermissionDenied;
    case SQLITE_FULL:
      return core::ErrorCode::kResourceExhausted;
    case SQLITE_CONSTRAINT:
      return core::ErrorCode::kAlreadyExists;
    case SQLITE_TOOBIG:
      return core::ErrorCode::kPayloadTooLarge;
    default:
      return core::ErrorCode::kInternal;
  }
}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries are fine. Errors surface at Step.
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

core::Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->LastError(rc, sqlite3_sql(stmt_));
}

core::Status Statement::Run() {
  while (BEDROCK_TRY(Step())) {
  }
  return core::OkStatus();
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, size_t(sqlite3_column_bytes(stmt_, column)));
}

core::Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                       int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) {
    if (raw == nullptr) return core::Error::ResourceExhausted("sqlite: out of memory");
    return db->LastError(rc, "open");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

core::Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return core::OkStatus();
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return core::Error(ErrorCodeFromSqlite(rc),
                     fmt::format("sqlite: {}: {} ({})", sql.substr(0, 40), detail, path_));
}

core::Result<Statement> Database::Prepare(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return LastError(rc, "prepare");
    found = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(this, found->second);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

core::Error Database::LastError(int rc, std::string_view what) const {
  const char* message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return core::Error(ErrorCodeFromSqlite(rc),
                     fmt::format("sqlite: {}: {} ({})", what.substr(0, 60), message, path_));
}

}  // namespace bedrock::store::internal

#include "store/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "store/internal/sqlite.h"

namespace bedrock::store {
namespace {

using internal::Database;

// Each entry moves the schema from version (index) to version (index + 1). Never edit a released
// entry: add a new one. Statements run inside the migration's transaction.
constexpr std::string_view kMigrations[] = {
    // 1: users' servers; one history per user.
    R"sql(
      CREATE TABLE user_servers (
        user_id       TEXT NOT NULL,
        server_id     TEXT NOT NULL,
        config_json   TEXT NOT NULL,
        description   TEXT NOT NULL DEFAULT '',
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, server_id)
      ) WITHOUT ROWID;
      CREATE TABLE history_meta (
        user_id       TEXT PRIMARY KEY,
        system_json   TEXT NOT NULL DEFAULT '',
        updated_at_ms INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE history (
        user_id      TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        message_json TEXT NOT NULL,
        PRIMARY KEY (user_id, seq)
      ) WITHOUT ROWID;
    )sql",
    // 2: several conversations per user; the old per-user history becomes conversation "".
    R"sql(
      CREATE TABLE conversations (
        user_id         TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        system_json     TEXT NOT NULL DEFAULT '',
        updated_at_ms   INTEGER NOT NULL,
        PRIMARY KEY (user_id, conversation_id)
      ) WITHOUT ROWID;
      CREATE TABLE messages (
        user_id         TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        message_json    TEXT NOT NULL,
        PRIMARY KEY (user_id, conversation_id, seq),
        FOREIGN KEY (user_id, conversation_id)
          REFERENCES conversations (user_id, conversation_id) ON DELETE CASCADE
      ) WITHOUT ROWID;
      INSERT INTO conversations (user_id, conversation_id, system_json, updated_at_ms)
        SELECT user_id, '', system_json, updated_at_ms FROM history_meta;
      INSERT INTO conversations (user_id, conversation_id, system_json, updated_at_ms)
        SELECT DISTINCT user_id, '', '', 0 FROM history
        WHERE user_id NOT IN (SELECT user_id FROM history_meta);
      INSERT INTO messages (user_id, conversation_id, seq, message_json)
        SELECT user_id, '', seq, message_json FROM history;
      DROP TABLE history;
      DROP TABLE history_meta;
    )sql",
};
constexpr int kLatestVersion = int(std::size(kMigrations));

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Creates the file (and a missing parent directory) owner-only before SQLite opens it, so the
// database never exists with wider permissions, whatever the umask.
core::Status CreatePrivateFile(const std::string& path) {
  std::filesystem::path file(path);
  std::error_code ec;
  if (file.has_parent_path() && !std::filesystem::exists(file.parent_path(), ec)) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return core::Error::Unavailable("cannot create directory {}: {}", file.parent_path().string(),
                                      ec.message());
    }
    ::chmod(file.parent_path().c_str(), 0700);
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EACCES || err == EPERM || err == EROFS) {
      return core::Error::PermissionDenied("cannot open {}: {}", path, std::strerror(err));
    }
    return core::Error::Unavailable("cannot open {}: {}", path, std::strerror(err));
  }
  ::close(fd);
  return core::OkStatus();
}

core::Result<int> CurrentVersion(Database& db) {
  auto stmt = BEDROCK_TRY(db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  BEDROCK_TRY(stmt.Step());
  return int(stmt.ColumnInt(0));
}

// Migrates to `target`, one transaction per version; safe against another process migrating the
// same file at the same time (the version is re-read under the write lock).
core::Result<int> Migrate(Database& db, int target) {
  BEDROCK_TRY(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)"));
  int version = BEDROCK_TRY(CurrentVersion(db));
  if (version > kLatestVersion) {
    return core::Error::FailedPrecondition(
        "{}: the database is at schema version {}, newer than this build knows ({}); use a "
        "newer bedrock-mcp or another database",
        db.path(), version, kLatestVersion);
  }
  while (version < target) {
    auto step = db.InTransaction([&]() -> core::Result<int> {
      int now = BEDROCK_TRY(CurrentVersion(db));
      if (now != version) return now;  // another process got there first
      BEDROCK_TRY(db.Exec(kMigrations[version]));
      auto record = BEDROCK_TRY(
          db.Prepare("INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)"));
      BEDROCK_TRY(record.Bind(1, int64_t(version + 1)).Bind(2, NowMillis()).Run());
      return version + 1;
    });
    if (!step.ok()) {
      return step.error().WithContext(fmt::format("migrating to schema version {}", version + 1));
    }
    version = *step;
  }
  return version;
}

}  // namespace

int SqliteStore::LatestSchemaVersion() { return kLatestVersion; }

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                             const StoreOptions& options) {
  int target = options.target_schema_version == 0 ? kLatestVersion : options.target_schema_version;
  if (target < 1 || target > kLatestVersion) {
    return core::Error::InvalidArgument("no schema version {}", target);
  }
  const bool memory = path == ":memory:";
  if (!memory) BEDROCK_TRY(CreatePrivateFile(path));
  auto db = BEDROCK_TRY(Database::Open(path, int(options.busy_timeout.count())));
  // WAL: readers and the writer do not block each other; NORMAL is durable against crashes.
  if (!memory) BEDROCK_TRY(db->Exec("PRAGMA journal_mode=WAL"));
  BEDROCK_TRY(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"));
  int version = BEDROCK_TRY(Migrate(*db, target));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db), version));
}

SqliteStore::SqliteStore(std::unique_ptr<internal::Database> db, int schema_version)
    : db_(std::move(db)), schema_version_(schema_version) {}

SqliteStore::~SqliteStore() = default;

core::Result<std::vector<StoredServer>> SqliteStore::ListServers(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  auto stmt = BEDROCK_TRY(
      db_->Prepare("SELECT server_id, config_json, description, created_at_ms, updated_at_ms "
                   "FROM user_servers WHERE user_id = ?1 ORDER BY created_at_ms, server_id"));
  stmt.Bind(1, user_id);
  std::vector<StoredServer> out;
  while (BEDROCK_TRY(stmt.Step())) {
    StoredServer server;
    server.user_id = std::string(user_id);
    server.server_id = stmt.ColumnText(0);
    server.config_json = stmt.ColumnText(1);
    server.description = stmt.ColumnText(2);
    server.created_at_ms = stmt.ColumnInt(3);
    server.updated_at_ms = stmt.ColumnInt(4);
    out.push_back(std::move(server));
  }
  return out;
}

core::Result<bool> SqliteStore::InsertServer(const StoredServer& server) {
  std::lock_guard lock(mutex_);
  auto stmt = BEDROCK_TRY(db_->Prepare(
      "INSERT INTO user_servers (user_id, server_id, config_json, description, created_at_ms, "
      "updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING"));
  stmt.Bind(1, server.user_id)
      .Bind(2, server.server_id)
      .Bind(3, server.config_json)
      .Bind(4, server.description)
      .Bind(5, NowMillis());
  BEDROCK_TRY(stmt.Run());
  return db_->Changes() == 1;
}

core::Status SqliteStore::PutServer(const StoredServer& server) {
  std::lock_guard lock(mutex_);
  auto stmt = BEDROCK_TRY(db_->Prepare(
      "INSERT INTO user_servers (user_id, server_id, config_json, description, created_at_ms, "
      "updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (user_id, server_id) DO UPDATE "
      "SET config_json = excluded.config_json, description = excluded.description, "
      "updated_at_ms = excluded.updated_at_ms"));
  stmt.Bind(1, server.user_id)
      .Bind(2, server.server_id)
      .Bind(3, server.config_json)
      .Bind(4, server.description)
      .Bind(5, NowMillis());
  return stmt.Run();
}

core::Result<bool> SqliteStore::DeleteServer(std::string_view user_id, std::string_view server_id) {
  std::lock_guard lock(mutex_);
  auto stmt =
      BEDROCK_TRY(db_->Prepare("DELETE FROM user_servers WHERE user_id = ?1 AND server_id = ?2"));
  stmt.Bind(1, user_id).Bind(2, server_id);
  BEDROCK_TRY(stmt.Run());
  return db_->Changes() == 1;
}

core::Result<Conversation> SqliteStore::LoadHistory(std::string_view user_id,
                                                    std::string_view conversation_id) {
  std::lock_guard lock(mutex_);
  // Both reads in one transaction, so a concurrent save is seen whole or not at all.
  return db_->InTransaction([&]() -> core::Result<Conversation> {
    Conversation out;
    auto meta =
        BEDROCK_TRY(db_->Prepare("SELECT system_json, updated_at_ms FROM conversations "
                                 "WHERE user_id = ?1 AND conversation_id = ?2"));
    meta.Bind(1, user_id).Bind(2, conversation_id);
    if (!BEDROCK_TRY(meta.Step())) return out;
    out.system_json = meta.ColumnText(0);
    out.updated_at_ms = meta.ColumnInt(1);
    auto rows = BEDROCK_TRY(db_->Prepare(
        "SELECT message_json FROM messages WHERE user_id = ?1 AND conversation_id = ?2 "
        "ORDER BY seq"));
    rows.Bind(1, user_id).Bind(2, conversation_id);
    while (BEDROCK_TRY(rows.Step())) out.messages.push_back(rows.ColumnText(0));
    return out;
  });
}

namespace {

core::Status UpsertConversation(Database& db, std::string_view user_id,
                                std::string_view conversation_id, const std::string* system_json) {
  // A null system_json keeps the stored one.
  auto stmt = BEDROCK_TRY(db.Prepare(
      "INSERT INTO conversations (user_id, conversation_id, system_json, updated_at_ms) "
      "VALUES (?1, ?2, COALESCE(?3, ''), ?4) ON CONFLICT (user_id, conversation_id) DO UPDATE "
      "SET system_json = COALESCE(?3, system_json), updated_at_ms = excluded.updated_at_ms"));
  stmt.Bind(1, user_id).Bind(2, conversation_id).Bind(4, NowMillis());
  if (system_json != nullptr) stmt.Bind(3, *system_json);
  return stmt.Run();
}

core::Status InsertMessages(Database& db, std::string_view user_id,
                            std::string_view conversation_id,
                            const std::vector<std::string>& messages) {
  auto next = BEDROCK_TRY(db.Prepare(
      "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE user_id = ?1 AND conversation_id = ?2"));
  next.Bind(1, user_id).Bind(2, conversation_id);
  BEDROCK_TRY(next.Step());
  int64_t seq = next.ColumnInt(0);
  for (const auto& message : messages) {
    auto insert =
        BEDROCK_TRY(db.Prepare("INSERT INTO messages (user_id, conversation_id, seq, message_json) "
                               "VALUES (?1, ?2, ?3, ?4)"));
    BEDROCK_TRY(
        insert.Bind(1, user_id).Bind(2, conversation_id).Bind(3, ++seq).Bind(4, message).Run());
  }
  return core::OkStatus();
}

core::Result<int64_t> DeleteMessages(Database& db, std::string_view user_id,
                                     std::string_view conversation_id) {
  auto stmt =
      BEDROCK_TRY(db.Prepare("DELETE FROM messages WHERE user_id = ?1 AND conversation_id = ?2"));
  BEDROCK_TRY(stmt.Bind(1, user_id).Bind(2, conversation_id).Run());
  return db.Changes();
}

}  // namespace

core::Status SqliteStore::SaveHistory(std::string_view user_id, std::string_view conversation_id,
                                      const Conversation& conversation) {
  std::lock_guard lock(mutex_);
  return db_->InTransaction([&]() -> core::Status {
    BEDROCK_TRY(UpsertConversation(*db_, user_id, conversation_id, &conversation.system_json));
    BEDROCK_TRY(DeleteMessages(*db_, user_id, conversation_id));
    return InsertMessages(*db_, user_id, conversation_id, conversation.messages);
  });
}

core::Status SqliteStore::AppendHistory(std::string_view user_id, std::string_view conversation_id,
                                        const std::vector<std::string>& messages) {
  std::lock_guard lock(mutex_);
  return db_->InTransaction([&]() -> core::Status {
    BEDROCK_TRY(UpsertConversation(*db_, user_id, conversation_id, nullptr));
    return InsertMessages(*db_, user_id, conversation_id, messages);
  });
}

core::Result<int64_t> SqliteStore::ClearHistory(std::string_view user_id,
                                                std::string_view conversation_id) {
  std::lock_guard lock(mutex_);
  return db_->InTransaction([&]() -> core::Result<int64_t> {
    int64_t removed = BEDROCK_TRY(DeleteMessages(*db_, user_id, conversation_id));
    auto stmt = BEDROCK_TRY(
        db_->Prepare("DELETE FROM conversations WHERE user_id = ?1 AND conversation_id = ?2"));
    BEDROCK_TRY(stmt.Bind(1, user_id).Bind(2, conversation_id).Run());
    return removed;
  });
}

core::Result<int64_t> SqliteStore::ClearAllHistory(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  return db_->InTransaction([&]() -> core::Result<int64_t> {
    auto messages = BEDROCK_TRY(db_->Prepare("DELETE FROM messages WHERE user_id = ?1"));
    BEDROCK_TRY(messages.Bind(1, user_id).Run());
    int64_t removed = db_->Changes();
    auto conversations = BEDROCK_TRY(db_->Prepare("DELETE FROM conversations WHERE user_id = ?1"));
    BEDROCK_TRY(conversations.Bind(1, user_id).Run());
    return removed;
  });
}

}  // namespace bedrock::store

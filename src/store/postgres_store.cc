#include "store/postgres_store.h"

#include <fmt/format.h>

#include "store/internal/postgres.h"

namespace bedrock::store {
namespace {

using internal::Connection;
using internal::Params;

// Each entry moves the schema from version (index) to version (index + 1). Never edit a released
// entry: add a new one. Statements run inside the migration's transaction (DDL is transactional).
// Strings are bytea: any bytes (NUL included) round-trip exactly, and ordering is bytewise, as the
// SQLite backend's; `convert_from(column, 'UTF8')` reads them as text.
constexpr std::string_view kMigrations[] = {
    // 1: users' servers; conversations and their messages (SQLite's version 2 layout).
    R"sql(
      CREATE TABLE user_servers (
        user_id       bytea NOT NULL,
        server_id     bytea NOT NULL,
        config_json   bytea NOT NULL,
        description   bytea NOT NULL DEFAULT ''::bytea,
        created_at_ms bigint NOT NULL,
        updated_at_ms bigint NOT NULL,
        PRIMARY KEY (user_id, server_id)
      );
      CREATE TABLE conversations (
        user_id         bytea NOT NULL,
        conversation_id bytea NOT NULL,
        system_json     bytea NOT NULL DEFAULT ''::bytea,
        updated_at_ms   bigint NOT NULL,
        PRIMARY KEY (user_id, conversation_id)
      );
      CREATE TABLE messages (
        user_id         bytea NOT NULL,
        conversation_id bytea NOT NULL,
        seq             bigint NOT NULL,
        message_json    bytea NOT NULL,
        PRIMARY KEY (user_id, conversation_id, seq),
        FOREIGN KEY (user_id, conversation_id)
          REFERENCES conversations (user_id, conversation_id) ON DELETE CASCADE
      );
    )sql",
};
constexpr int kLatestVersion = int(std::size(kMigrations));

// pg_advisory_xact_lock key serialising migrations of one database ("bedrock" in ASCII).
constexpr int64_t kMigrationLockKey = 0x626564726f636b;

// Server time in Unix milliseconds: every replica stamps rows with the same clock.
#define BEDROCK_PG_NOW_MS "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint"

// Migrates to `target`, one transaction per version, each under the advisory lock so that
// processes starting together apply every version once (the version is re-read under the lock).
core::Result<int> Migrate(Connection& db, int target) {
  for (;;) {
    auto step = db.InTransaction([&]() -> core::Result<std::pair<int, bool>> {
      BEDROCK_TRY(db.Exec("SELECT pg_advisory_xact_lock($1)", Params().Int(kMigrationLockKey)));
      BEDROCK_TRY(
          db.Command("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version bigint PRIMARY KEY, applied_at_ms bigint NOT NULL)"));
      auto current =
          BEDROCK_TRY(db.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      int version = int(current.Int(0, 0));
      if (version > kLatestVersion) {
        return core::Error::FailedPrecondition(
            "{}: the database is at schema version {}, newer than this build knows ({}); use a "
            "newer bedrock-mcp or another database",
            db.settings().label, version, kLatestVersion);
      }
      if (version >= target) return std::pair{version, true};
      if (auto applied = db.Command(kMigrations[version]); !applied.ok()) {
        return applied.error().WithContext(
            fmt::format("migrating to schema version {}", version + 1));
      }
      BEDROCK_TRY(
          db.Exec("INSERT INTO schema_migrations (version, applied_at_ms) "
                  "VALUES ($1, " BEDROCK_PG_NOW_MS ")",
                  Params().Int(version + 1)));
      return std::pair{version + 1, version + 1 >= target};
    });
    if (!step.ok()) return step.error();
    if (step->second) return step->first;
  }
}

// Runs `body(connection)` on a pooled connection.
template <typename F>
auto WithConnection(internal::ConnectionPool& pool, F&& body)
    -> decltype(body(std::declval<Connection&>())) {
  auto lease = BEDROCK_TRY(pool.Acquire());
  return body(*lease);
}

// Creates the conversation or touches it, taking its row lock: concurrent writers of one
// conversation queue here, so the MAX(seq) read after it sees every committed message. A null
// `system_json` keeps the stored one.
core::Status UpsertConversation(Connection& db, std::string_view user_id,
                                std::string_view conversation_id, const std::string* system_json) {
  if (system_json == nullptr) {
    return db.Run(
        "INSERT INTO conversations (user_id, conversation_id, updated_at_ms) "
        "VALUES ($1, $2, " BEDROCK_PG_NOW_MS
        ") "
        "ON CONFLICT (user_id, conversation_id) DO UPDATE "
        "SET updated_at_ms = excluded.updated_at_ms",
        Params().Bytes(user_id).Bytes(conversation_id));
  }
  return db.Run(
      "INSERT INTO conversations (user_id, conversation_id, system_json, updated_at_ms) "
      "VALUES ($1, $2, $3, " BEDROCK_PG_NOW_MS
      ") "
      "ON CONFLICT (user_id, conversation_id) DO UPDATE "
      "SET system_json = excluded.system_json, updated_at_ms = excluded.updated_at_ms",
      Params().Bytes(user_id).Bytes(conversation_id).Bytes(*system_json));
}

core::Status InsertMessages(Connection& db, std::string_view user_id,
                            std::string_view conversation_id,
                            const std::vector<std::string>& messages) {
  if (messages.empty()) return core::OkStatus();
  return db.Run(
      "INSERT INTO messages (user_id, conversation_id, seq, message_json) "
      "SELECT $1, $2, last.seq + m.ord, m.message "
      "FROM (SELECT COALESCE(MAX(seq), 0) AS seq FROM messages "
      "      WHERE user_id = $1 AND conversation_id = $2) AS last, "
      "     unnest($3::bytea[]) WITH ORDINALITY AS m(message, ord)",
      Params().Bytes(user_id).Bytes(conversation_id).BytesArray(messages));
}

}  // namespace

int PostgresStore::LatestSchemaVersion() { return kLatestVersion; }

core::Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const StoreOptions& options) {
  int target = options.target_schema_version == 0 ? kLatestVersion : options.target_schema_version;
  if (target < 1 || target > kLatestVersion) {
    return core::Error::InvalidArgument("no schema version {}", target);
  }
  auto settings = BEDROCK_TRY(internal::ParseConnectionSettings(options.url, options.busy_timeout));
  auto pool =
      std::make_unique<internal::ConnectionPool>(std::move(settings), options.max_connections);
  int version;
  {
    auto lease = BEDROCK_TRY(pool->Acquire());
    version = BEDROCK_TRY(Migrate(*lease, target));
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(pool), version));
}

PostgresStore::PostgresStore(std::unique_ptr<internal::ConnectionPool> pool, int schema_version)
    : pool_(std::move(pool)), schema_version_(schema_version) {}

PostgresStore::~PostgresStore() = default;

core::Result<std::vector<StoredServer>> PostgresStore::ListServers(std::string_view user_id) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Result<std::vector<StoredServer>> {
    auto rows = BEDROCK_TRY(
        db.Exec("SELECT server_id, config_json, description, created_at_ms, updated_at_ms "
                "FROM user_servers WHERE user_id = $1 ORDER BY created_at_ms, server_id",
                Params().Bytes(user_id)));
    std::vector<StoredServer> out;
    for (int row = 0; row < rows.size(); ++row) {
      StoredServer server;
      server.user_id = std::string(user_id);
      server.server_id = rows.Bytes(row, 0);
      server.config_json = rows.Bytes(row, 1);
      server.description = rows.Bytes(row, 2);
      server.created_at_ms = rows.Int(row, 3);
      server.updated_at_ms = rows.Int(row, 4);
      out.push_back(std::move(server));
    }
    return out;
  });
}

core::Result<bool> PostgresStore::InsertServer(const StoredServer& server) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Result<bool> {
    auto rows = BEDROCK_TRY(db.Exec(
        "INSERT INTO user_servers (user_id, server_id, config_json, description, created_at_ms, "
        "updated_at_ms) VALUES ($1, $2, $3, $4, " BEDROCK_PG_NOW_MS ", " BEDROCK_PG_NOW_MS
        ") "
        "ON CONFLICT DO NOTHING",
        Params()
            .Bytes(server.user_id)
            .Bytes(server.server_id)
            .Bytes(server.config_json)
            .Bytes(server.description)));
    return rows.affected() == 1;
  });
}

core::Status PostgresStore::PutServer(const StoredServer& server) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Status {
    return db.Run(
        "INSERT INTO user_servers (user_id, server_id, config_json, description, "
        "created_at_ms, updated_at_ms) "
        "VALUES ($1, $2, $3, $4, " BEDROCK_PG_NOW_MS ", " BEDROCK_PG_NOW_MS
        ") "
        "ON CONFLICT (user_id, server_id) DO UPDATE SET config_json = excluded.config_json, "
        "description = excluded.description, updated_at_ms = excluded.updated_at_ms",
        Params()
            .Bytes(server.user_id)
            .Bytes(server.server_id)
            .Bytes(server.config_json)
            .Bytes(server.description));
  });
}

core::Result<bool> PostgresStore::DeleteServer(std::string_view user_id,
                                               std::string_view server_id) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Result<bool> {
    auto rows =
        BEDROCK_TRY(db.Exec("DELETE FROM user_servers WHERE user_id = $1 AND server_id = $2",
                            Params().Bytes(user_id).Bytes(server_id)));
    return rows.affected() == 1;
  });
}

core::Result<Conversation> PostgresStore::LoadHistory(std::string_view user_id,
                                                      std::string_view conversation_id) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Result<Conversation> {
    // One statement, one snapshot: a concurrent save is seen whole or not at all.
    auto rows =
        BEDROCK_TRY(db.Exec("SELECT c.system_json, c.updated_at_ms, m.message_json "
                            "FROM conversations c LEFT JOIN messages m "
                            "  ON m.user_id = c.user_id AND m.conversation_id = c.conversation_id "
                            "WHERE c.user_id = $1 AND c.conversation_id = $2 ORDER BY m.seq",
                            Params().Bytes(user_id).Bytes(conversation_id)));
    Conversation out;
    if (rows.size() == 0) return out;
    out.system_json = rows.Bytes(0, 0);
    out.updated_at_ms = rows.Int(0, 1);
    for (int row = 0; row < rows.size(); ++row) {
      if (!rows.IsNull(row, 2)) out.messages.push_back(rows.Bytes(row, 2));
    }
    return out;
  });
}

core::Status PostgresStore::SaveHistory(std::string_view user_id, std::string_view conversation_id,
                                        const Conversation& conversation) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Status {
    return db.InTransaction([&]() -> core::Status {
      BEDROCK_TRY(UpsertConversation(db, user_id, conversation_id, &conversation.system_json));
      BEDROCK_TRY(db.Exec("DELETE FROM messages WHERE user_id = $1 AND conversation_id = $2",
                          Params().Bytes(user_id).Bytes(conversation_id)));
      return InsertMessages(db, user_id, conversation_id, conversation.messages);
    });
  });
}

core::Status PostgresStore::AppendHistory(std::string_view user_id,
                                          std::string_view conversation_id,
                                          const std::vector<std::string>& messages) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Status {
    return db.InTransaction([&]() -> core::Status {
      BEDROCK_TRY(UpsertConversation(db, user_id, conversation_id, nullptr));
      return InsertMessages(db, user_id, conversation_id, messages);
    });
  });
}

core::Result<int64_t> PostgresStore::ClearHistory(std::string_view user_id,
                                                  std::string_view conversation_id) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Result<int64_t> {
    return db.InTransaction([&]() -> core::Result<int64_t> {
      // The row lock first, so a concurrent append is counted or not made at all.
      BEDROCK_TRY(
          db.Exec("SELECT 1 FROM conversations "
                  "WHERE user_id = $1 AND conversation_id = $2 FOR UPDATE",
                  Params().Bytes(user_id).Bytes(conversation_id)));
      auto removed =
          BEDROCK_TRY(db.Exec("DELETE FROM messages WHERE user_id = $1 AND conversation_id = $2",
                              Params().Bytes(user_id).Bytes(conversation_id)));
      BEDROCK_TRY(db.Exec("DELETE FROM conversations WHERE user_id = $1 AND conversation_id = $2",
                          Params().Bytes(user_id).Bytes(conversation_id)));
      return removed.affected();
    });
  });
}

core::Result<int64_t> PostgresStore::ClearAllHistory(std::string_view user_id) {
  return WithConnection(*pool_, [&](Connection& db) -> core::Result<int64_t> {
    return db.InTransaction([&]() -> core::Result<int64_t> {
      BEDROCK_TRY(db.Exec("SELECT 1 FROM conversations WHERE user_id = $1 FOR UPDATE",
                          Params().Bytes(user_id)));
      auto removed =
          BEDROCK_TRY(db.Exec("DELETE FROM messages WHERE user_id = $1", Params().Bytes(user_id)));
      BEDROCK_TRY(db.Exec("DELETE FROM conversations WHERE user_id = $1", Params().Bytes(user_id)));
      return removed.affected();
    });
  });
}

}  // namespace bedrock::store

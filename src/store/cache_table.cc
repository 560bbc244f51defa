#include "store/cache_table.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <mutex>

#include "store/internal/sqlite.h"

namespace bedrock::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// Floats as their shortest round-trip text, comma-separated (the table never interprets them).
std::string EncodeEmbedding(const std::vector<float>& embedding) {
  std::string out;
  char buffer[32];
  for (size_t i = 0; i < embedding.size(); ++i) {
    if (i > 0) out.push_back(',');
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, embedding[i]);
    out.append(buffer, ec == std::errc() ? end : buffer);
  }
  return out;
}

std::vector<float> DecodeEmbedding(std::string_view text) {
  std::vector<float> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    float value = 0;
    std::from_chars(item.data(), item.data() + item.size(), value);
    out.push_back(value);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

class SqliteCacheTable final : public CacheTable {
 public:
  explicit SqliteCacheTable(std::unique_ptr<internal::Database> db) : db_(std::move(db)) {}

  core::Result<std::optional<CacheEntry>> Get(std::string_view key, int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    auto statement = BEDROCK_TRY(
        db_->Prepare("SELECT key, scope, value, embedding, expires_at_ms FROM response_cache "
                     "WHERE key = ?1 AND expires_at_ms > ?2"));
    statement.Bind(1, key).Bind(2, now_ms);
    if (!BEDROCK_TRY(statement.Step())) return std::optional<CacheEntry>();
    return std::optional<CacheEntry>(Read(statement));
  }

  core::Status Put(const CacheEntry& entry) override {
    std::lock_guard lock(mutex_);
    auto statement = BEDROCK_TRY(db_->Prepare(
        "INSERT OR REPLACE INTO response_cache (key, scope, value, embedding, expires_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5)"));
    std::string embedding = EncodeEmbedding(entry.embedding);
    statement.Bind(1, entry.key)
        .Bind(2, entry.scope)
        .Bind(3, entry.value)
        .Bind(4, embedding)
        .Bind(5, entry.expires_at_ms);
    return statement.Run();
  }

  core::Result<std::vector<CacheEntry>> ScanEmbeddings(std::string_view scope, int64_t now_ms,
                                                       size_t limit) override {
    std::lock_guard lock(mutex_);
    auto statement = BEDROCK_TRY(
        db_->Prepare("SELECT key, scope, value, embedding, expires_at_ms FROM response_cache "
                     "WHERE scope = ?1 AND expires_at_ms > ?2 AND embedding != '' "
                     "ORDER BY expires_at_ms DESC LIMIT ?3"));
    statement.Bind(1, scope).Bind(2, now_ms).Bind(3, static_cast<int64_t>(limit));
    std::vector<CacheEntry> out;
    while (BEDROCK_TRY(statement.Step())) out.push_back(Read(statement));
    return out;
  }

  core::Result<int64_t> Purge(int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    auto statement =
        BEDROCK_TRY(db_->Prepare("DELETE FROM response_cache WHERE expires_at_ms <= ?1"));
    statement.Bind(1, now_ms);
    BEDROCK_TRY(statement.Run());
    return db_->Changes();
  }

 private:
  static CacheEntry Read(const internal::Statement& row) {
    CacheEntry entry;
    entry.key = row.ColumnText(0);
    entry.scope = row.ColumnText(1);
    entry.value = row.ColumnText(2);
    entry.embedding = DecodeEmbedding(row.ColumnText(3));
    entry.expires_at_ms = row.ColumnInt(4);
    return entry;
  }

  std::mutex mutex_;  // serialises every use of db_
  std::unique_ptr<internal::Database> db_;
};

}  // namespace

core::Result<std::unique_ptr<CacheTable>> OpenCacheTable(std::string_view url) {
  if (url.starts_with("sqlite:")) url.remove_prefix(7);
  if (url.starts_with("//")) url.remove_prefix(2);
  if (url.empty()) return core::Error::InvalidArgument("cache table: sqlite: needs a path");
  std::string path(url);
  if (path != ":memory:") {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    // Created owner-only before SQLite opens it: cached answers may quote private documents.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return core::Error::Unavailable("cache table: cannot open {}", path);
    ::close(fd);
  }
  auto db = BEDROCK_TRY(internal::Database::Open(path, kBusyTimeoutMs));
  BEDROCK_TRY(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  BEDROCK_TRY(db->Exec(
      "CREATE TABLE IF NOT EXISTS response_cache (key TEXT PRIMARY KEY, scope TEXT NOT NULL, "
      "value TEXT NOT NULL, embedding TEXT NOT NULL DEFAULT '', expires_at_ms INTEGER NOT NULL);"
      "CREATE INDEX IF NOT EXISTS response_cache_scope ON response_cache (scope, expires_at_ms);"));
  return std::unique_ptr<CacheTable>(std::make_unique<SqliteCacheTable>(std::move(db)));
}

}  // namespace bedrock::store

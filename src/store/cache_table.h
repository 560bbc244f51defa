// A small key/value table with expiry, for caches persisted beside the store (the Bedrock tools'
// response cache). Entries belong to a `scope` (a model plus a specialist, say) so that similarity
// scans never cross scopes; each may carry an embedding (opaque to the table) for semantic lookup.
//
//   auto table = BEDROCK_TRY(store::OpenCacheTable("sqlite:data/bedrock-cache.db"));
//   BEDROCK_TRY(table->Put(entry));
//   auto hit = BEDROCK_TRY(table->Get(key, now_ms));        // nullopt: absent or expired
//
// Blocking: the SQLite table does synchronous disk I/O; run it off I/O threads (see store.h).
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::store {

struct CacheEntry {
  std::string key;
  std::string scope;
  std::string value;
  std::vector<float> embedding;  // empty: not eligible for similarity scans
  int64_t expires_at_ms = 0;     // Unix milliseconds
};

class CacheTable {
 public:
  virtual ~CacheTable() = default;
  // The live entry for `key` (expires_at_ms > now_ms), else nullopt.
  virtual core::Result<std::optional<CacheEntry>> Get(std::string_view key, int64_t now_ms) = 0;
  // Inserts or replaces.
  virtual core::Status Put(const CacheEntry& entry) = 0;
  // The live entries of `scope` that carry an embedding, newest first, at most `limit`.
  virtual core::Result<std::vector<CacheEntry>> ScanEmbeddings(std::string_view scope,
                                                               int64_t now_ms, size_t limit) = 0;
  // Deletes expired entries; returns how many.
  virtual core::Result<int64_t> Purge(int64_t now_ms) = 0;
};

// "sqlite:<path>", "sqlite::memory:" or a bare path; the file is created owner-only.
core::Result<std::unique_ptr<CacheTable>> OpenCacheTable(std::string_view url);

}  // namespace bedrock::store

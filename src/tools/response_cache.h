// The Bedrock tools' response cache: exact match on a SHA-256 of what determines an answer (scope,
// model, system prompt, messages, inference parameters), with a TTL, kept in a store::CacheTable;
// optionally a semantic match (cosine similarity of the prompt's embedding above a threshold).
//
//   tools::ResponseCache cache(std::move(table), options, clock);
//   tools::CacheRequest request{.scope = "specialist:code_reviewer", .model = model, ...};
//   if (auto hit = cache.Lookup(request, embedding)) return *hit;     // counted as a hit
//   ... call the model ...
//   cache.Store(request, answer, embedding);
//
// The scope and the model are both part of the exact key and the semantic partition: an answer
// is never served across models or specialists.
//
// Blocking: calls the table synchronously (run it off I/O threads when the table is SQLite).
// Thread-safety: every method may be called concurrently; counters are atomic.
#pragma once

#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/cache_table.h"

namespace bedrock::tools {

struct CacheRequest {
  std::string scope;  // "converse", "specialist:<name>", "stream", ...
  std::string model;
  boost::json::value system;      // as sent to Converse (null: none)
  boost::json::value messages;    // as sent to Converse
  boost::json::value parameters;  // inference config and anything else that shapes the answer
};

struct ResponseCacheOptions {
  ResponseCacheOptions() {}

  std::chrono::seconds ttl{3600};
  // Semantic matching: off unless enabled; serves a stored answer whose prompt embedding has a
  // cosine similarity >= threshold with the request's.
  bool semantic = false;
  double semantic_threshold = 0.95;
  size_t semantic_candidates = 500;  // newest entries compared per lookup
};

struct CacheStats {
  int64_t hits = 0;
  int64_t semantic_hits = 0;  // included in hits
  int64_t misses = 0;
  int64_t stores = 0;
  int64_t errors = 0;  // table failures (the cache then behaves as a miss)
};

// The SHA-256 (lowercase hex) of the request's canonical JSON. Object members are serialised in
// sorted order, so {"a":1,"b":2} and {"b":2,"a":1} give the same key.
std::string CacheKey(const CacheRequest& request);
// The partition semantic matches are searched in: scope and model.
std::string SemanticScope(const CacheRequest& request);
// Cosine similarity; 0 when either vector is zero or their sizes differ.
double CosineSimilarity(const std::vector<float>& a, const std::vector<float>& b);

class ResponseCache {
 public:
  // `clock` must outlive the cache.
  ResponseCache(std::unique_ptr<store::CacheTable> table, ResponseCacheOptions options,
                const core::Clock& clock = core::SystemClock::Instance());

  // An exact hit, else (semantic enabled and `embedding` given) the most similar live entry of
  // the same scope and model at or above the threshold. Counts a hit or a miss.
  std::optional<std::string> Lookup(const CacheRequest& request,
                                    const std::vector<float>& embedding = {});
  void Store(const CacheRequest& request, const std::string& answer,
             const std::vector<float>& embedding = {});

  CacheStats stats() const;
  const ResponseCacheOptions& options() const { return options_; }

 private:
  int64_t NowMs() const;

  std::unique_ptr<store::CacheTable> table_;
  ResponseCacheOptions options_;
  const core::Clock& clock_;
  std::atomic<int64_t> hits_{0}, semantic_hits_{0}, misses_{0}, stores_{0}, errors_{0};
};

}  // namespace bedrock::tools

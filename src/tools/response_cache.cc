#include "tools/response_cache.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "aws/sigv4.h"

namespace bedrock::tools {
namespace {

namespace json = boost::json;

// Serialises with object members sorted by key, recursively.
void Canonical(const json::value& value, std::string& out) {
  if (value.is_object()) {
    const auto& object = value.get_object();
    std::vector<const json::key_value_pair*> members;
    for (const auto& member : object) members.push_back(&member);
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += json::serialize(json::value(members[i]->key()));
      out.push_back(':');
      Canonical(members[i]->value(), out);
    }
    out.push_back('}');
  } else if (value.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : value.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      Canonical(item, out);
    }
    out.push_back(']');
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

std::string CacheKey(const CacheRequest& request) {
  json::object whole{{"scope", request.scope},
                     {"model", request.model},
                     {"system", request.system},
                     {"messages", request.messages},
                     {"parameters", request.parameters}};
  std::string text;
  Canonical(whole, text);
  return aws::Sha256Hex(text);
}

std::string SemanticScope(const CacheRequest& request) {
  return request.scope + "\n" + request.model;
}

double CosineSimilarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, norm_a = 0, norm_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    norm_a += double(a[i]) * a[i];
    norm_b += double(b[i]) * b[i];
  }
  if (norm_a == 0 || norm_b == 0) return 0;
  return dot / (std::sqrt(norm_a) * std::sqrt(norm_b));
}

ResponseCache::ResponseCache(std::unique_ptr<store::CacheTable> table, ResponseCacheOptions options,
                             const core::Clock& clock)
    : table_(std::move(table)), options_(std::move(options)), clock_(clock) {}

int64_t ResponseCache::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

std::optional<std::string> ResponseCache::Lookup(const CacheRequest& request,
                                                 const std::vector<float>& embedding) {
  int64_t now = NowMs();
  auto exact = table_->Get(CacheKey(request), now);
  if (!exact.ok()) {
    ++errors_;
  } else if (*exact) {
    ++hits_;
    return (*exact)->value;
  }
  if (options_.semantic && !embedding.empty()) {
    auto candidates =
        table_->ScanEmbeddings(SemanticScope(request), now, options_.semantic_candidates);
    if (!candidates.ok()) {
      ++errors_;
    } else {
      const store::CacheEntry* best = nullptr;
      double best_score = options_.semantic_threshold;
      for (const auto& candidate : *candidates) {
        double score = CosineSimilarity(embedding, candidate.embedding);
        if (score >= best_score) {
          best = &candidate;
          best_score = score;
        }
      }
      if (best != nullptr) {
        ++hits_;
        ++semantic_hits_;
        return best->value;
      }
    }
  }
  ++misses_;
  return std::nullopt;
}

void ResponseCache::Store(const CacheRequest& request, const std::string& answer,
                          const std::vector<float>& embedding) {
  store::CacheEntry entry;
  entry.key = CacheKey(request);
  entry.scope = SemanticScope(request);
  entry.value = answer;
  if (options_.semantic) entry.embedding = embedding;
  entry.expires_at_ms =
      NowMs() + std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl).count();
  if (table_->Put(entry).ok()) {
    ++stores_;
  } else {
    ++errors_;
  }
}

CacheStats ResponseCache::stats() const {
  return {hits_.load(), semantic_hits_.load(), misses_.load(), stores_.load(), errors_.load()};
}

}  // namespace bedrock::tools

#include "mcp/result_cache.h"

#include <boost/json.hpp>

#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace json = boost::json;

ResultCache::ResultCache(Clock clock, bool shared_scope_only, size_t max_entries)
    : clock_(std::move(clock)), shared_scope_only_(shared_scope_only), max_entries_(max_entries) {}

std::chrono::steady_clock::time_point ResultCache::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

bool ResultCache::IsCacheableMethod(std::string_view method) {
  return method == method::kServerDiscover || method == method::kToolsList ||
         method == method::kPromptsList || method == method::kResourcesList ||
         method == method::kResourcesTemplatesList || method == method::kResourcesRead ||
         method == method::kSkillsList || method == method::kSkillsGet;
}

std::string ResultCache::Key(std::string_view method, const json::value& params) {
  std::string key(method);
  key.push_back('\n');
  if (const json::object* p = params.if_object()) {
    json::object selecting;
    for (const auto& [name, value] : *p) {
      if (name == kMetaKey || name == kInputResponsesKey || name == kRequestStateKey) continue;
      selecting[name] = value;
    }
    key += json::serialize(selecting);
  }
  return key;
}

std::optional<json::value> ResultCache::Find(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (Now() >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.result;
}

bool ResultCache::Store(const std::string& key, std::string_view method,
                        const json::value& result) {
  if (!IsCacheableMethod(method)) return false;
  const json::object* o = result.if_object();
  if (o == nullptr) return false;
  if (const json::value* type = o->if_contains(kResultTypeKey);
      type && !(type->is_string() && type->get_string() == kResultComplete)) {
    return false;
  }
  const json::value* ttl = o->if_contains(kTtlMsKey);
  int64_t ttl_ms = 0;
  if (ttl && ttl->is_int64()) ttl_ms = ttl->get_int64();
  if (ttl && ttl->is_uint64()) ttl_ms = static_cast<int64_t>(ttl->get_uint64() >> 1);
  if (ttl && ttl->is_double() && ttl->get_double() > 0) {
    ttl_ms = static_cast<int64_t>(std::min(ttl->get_double(), 9.0e15));
  }
  if (ttl_ms <= 0) return false;
  const json::value* scope = o->if_contains(kCacheScopeKey);
  bool is_public = scope && scope->is_string() && scope->get_string() == "public";
  if (shared_scope_only_ && !is_public) return false;

  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    auto now = Now();
    std::erase_if(entries_, [&](const auto& entry) { return now >= entry.second.expires; });
    if (entries_.size() >= max_entries_) entries_.erase(entries_.begin());
  }
  Entry& entry = entries_[key];
  entry.method = std::string(method);
  entry.result = result;
  entry.expires = Now() + std::chrono::milliseconds(ttl_ms);
  return true;
}

void ResultCache::InvalidateMethod(std::string_view method) {
  std::erase_if(entries_, [&](const auto& entry) { return entry.second.method == method; });
}

void ResultCache::Invalidate(const std::string& key) { entries_.erase(key); }

}  // namespace bedrock::mcp

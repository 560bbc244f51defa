// A client-side cache for the cacheable results of revision 2026-07-28 (SEP-2549): server/discover,
// tools/list, prompts/list, resources/list, resources/templates/list and resources/read, and the
// skills extension's skills/list and skills/get (SEP-2640). A result is kept for its `ttlMs`
// (absent, zero or negative: not kept) from the moment it was stored, under a key made of the
// method and the parameters that select it (cursor, uri); `_meta` and the
// multi-round-trip fields never take part, and results of a retried input_required request are
// never stored (they depend on inputs outside the key).
//
//   mcp::ResultCache cache;                         // or ResultCache(fake_clock) in tests
//   std::string key = mcp::ResultCache::Key("tools/list", params);
//   if (auto hit = cache.Find(key)) return *hit;
//   ... fetch ...
//   cache.Store(key, "tools/list", result);
//
// `cacheScope` decides who may share an entry: a cache made with shared_scope_only keeps only
// "public" results (it may serve several authorization contexts, e.g. every user of a gateway);
// an ordinary cache, owned by one client and so by one authorization context, keeps both.
// Thread-safety: none; one owner (a Client on its executor).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bedrock::mcp {

class ResultCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` defaults to std::chrono::steady_clock::now.
  explicit ResultCache(Clock clock = {}, bool shared_scope_only = false, size_t max_entries = 1024);

  // Whether `method`'s results are cacheable at all.
  static bool IsCacheableMethod(std::string_view method);
  // The cache key for a request: the method and its params without _meta, inputResponses and
  // requestState.
  static std::string Key(std::string_view method, const boost::json::value& params);

  // The stored result while it is fresh (now < stored + ttlMs); a stale entry is dropped.
  std::optional<boost::json::value> Find(const std::string& key);
  // Keeps `result` when its method is cacheable, it is complete, has a positive ttlMs and a
  // cacheScope this cache accepts. Returns whether it was kept.
  bool Store(const std::string& key, std::string_view method, const boost::json::value& result);
  // Drops every entry of `method` (a list_changed notification, a header mismatch).
  void InvalidateMethod(std::string_view method);
  // Drops the entry for `key` (resources/updated for its URI).
  void Invalidate(const std::string& key);
  void Clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string method;
    boost::json::value result;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::steady_clock::time_point Now() const;

  Clock clock_;
  bool shared_scope_only_;
  size_t max_entries_;
  std::map<std::string, Entry> entries_;
};

}  // namespace bedrock::mcp

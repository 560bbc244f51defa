#include "agent/tool_names.h"

#include <fmt/format.h>

#include <cstdint>

namespace bedrock::agent {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// 64-bit FNV-1a; stable across builds and platforms, which std::hash is not.
uint64_t Fnv1a(std::string_view text, uint64_t hash = 0xcbf29ce484222325ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string PairKey(std::string_view server_id, std::string_view tool_name) {
  std::string key(server_id);
  key.push_back('\0');
  key.append(tool_name);
  return key;
}

}  // namespace

bool IsValidBedrockToolName(std::string_view name) {
  if (name.empty() || name.size() > kMaxToolNameLength) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string ToolNameMap::Add(std::string_view server_id, std::string_view tool_name) {
  std::string key = PairKey(server_id, tool_name);
  if (auto it = by_pair_.find(key); it != by_pair_.end()) return it->second;

  // The demo's normalisation, widened to every character Bedrock refuses ('-' included, as the
  // demo does, so its clients see the same names).
  std::string name;
  name.reserve(server_id.size() + kToolNameSeparator.size() + tool_name.size());
  for (std::string_view part : {server_id, kToolNameSeparator, tool_name}) {
    for (char c : part) name.push_back(IsNameChar(c) && c != '-' ? c : '_');
  }
  if (name.size() > kMaxToolNameLength || by_name_.contains(name)) {
    // Cut, then make unique with a hash of the pair (salted again on the rare second clash).
    constexpr size_t kSuffix = 9;  // '_' + 8 hex digits
    std::string stem = name.substr(0, kMaxToolNameLength - kSuffix);
    uint64_t hash = Fnv1a(key);
    do {
      name = fmt::format("{}_{:08x}", stem, static_cast<uint32_t>(hash ^ (hash >> 32)));
      hash = Fnv1a(key, hash);
    } while (by_name_.contains(name));
  }
  by_name_.emplace(name, ToolName{std::string(server_id), std::string(tool_name)});
  by_pair_.emplace(std::move(key), name);
  return name;
}

const ToolName* ToolNameMap::Resolve(std::string_view bedrock_name) const {
  auto it = by_name_.find(std::string(bedrock_name));
  return it == by_name_.end() ? nullptr : &it->second;
}

std::string ToolNameMap::Find(std::string_view server_id, std::string_view tool_name) const {
  auto it = by_pair_.find(PairKey(server_id, tool_name));
  return it == by_pair_.end() ? std::string() : it->second;
}

}  // namespace bedrock::agent

#include "core/env.h"

#include <fmt/format.h>
#include <unistd.h>

namespace bedrock::core {
namespace {

using VarMap = std::map<std::string, std::string, std::less<>>;

std::vector<std::pair<std::string, std::string>> WithPrefix(const VarMap& vars,
                                                            std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = vars.lower_bound(prefix); it != vars.end() && it->first.starts_with(prefix);
       ++it) {
    out.emplace_back(it->first, it->second);
  }
  return out;
}

// `text` with control characters escaped, so error messages stay on one line.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

SystemEnv::SystemEnv() {
  for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    vars_.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
}

std::optional<std::string> SystemEnv::Get(std::string_view name) const {
  if (auto it = vars_.find(name); it != vars_.end()) return it->second;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> SystemEnv::ListWithPrefix(
    std::string_view prefix) const {
  return WithPrefix(vars_, prefix);
}

FakeEnv::FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars)
    : vars_(vars) {}

void FakeEnv::Set(std::string name, std::string value) {
  std::lock_guard lock(mutex_);
  vars_.insert_or_assign(std::move(name), std::move(value));
}

void FakeEnv::Unset(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = vars_.find(name); it != vars_.end()) vars_.erase(it);
}

std::optional<std::string> FakeEnv::Get(std::string_view name) const {
  std::lock_guard lock(mutex_);
  if (auto it = vars_.find(name); it != vars_.end()) return it->second;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> FakeEnv::ListWithPrefix(
    std::string_view prefix) const {
  std::lock_guard lock(mutex_);
  return WithPrefix(vars_, prefix);
}

Result<std::string> ExpandEnvReferences(std::string_view text, const Env& env) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (text.substr(i, 3) == "$${") {  // the escape: a literal "${"
      out.append("${");
      i += 3;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {  // a lone '$' is literal
      out.push_back('$');
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Error::InvalidArgument("unterminated \"${{\" (write \"$${{\" for a literal \"${{\")");
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    bool valid = !name.empty() && IsNameStart(name[0]);
    for (char n : name) valid = valid && IsNameChar(n);
    if (!valid) {
      return Error::InvalidArgument(
          "invalid environment variable reference \"${{{}}}\": names are letters, digits and '_'",
          Printable(inner));
    }
    std::optional<std::string> value = env.Get(name);
    if (fallback && (!value || value->empty())) {
      out.append(*fallback);
    } else if (value) {
      out.append(*value);
    } else {
      return Error::InvalidArgument(
          "environment variable {} is not set (use \"${{{}:-default}}\" to give a default)", name,
          name);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace bedrock::core

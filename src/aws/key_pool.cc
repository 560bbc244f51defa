#include "aws/key_pool.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace bedrock::aws {
namespace {

std::string Normalize(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits one CSV record starting at `pos` (which advances past it). Quoted fields may span lines.
core::Result<std::vector<std::string>> Record(std::string_view text, size_t& pos, int& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, was_quoted = false;
  int start_line = line;
  while (pos < text.size()) {
    char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field.push_back('"');
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
    } else if (c == '"' && Trim(field).empty() && !was_quoted) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : std::string(Trim(field)));
      field.clear();
      was_quoted = false;
    } else if (c == '\n') {
      ++line;
      break;
    } else if (!was_quoted) {
      field.push_back(c);
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return core::Error::InvalidArgument("credential CSV line {}: text after a closing quote",
                                          start_line);
    }
  }
  if (quoted) {
    return core::Error::InvalidArgument("credential CSV line {}: unterminated quote", start_line);
  }
  fields.push_back(was_quoted ? field : std::string(Trim(field)));
  return fields;
}

}  // namespace

core::Result<std::vector<Credentials>> ParseAccessKeyCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  size_t pos = 0;
  int line = 1;
  int id_col = -1, secret_col = -1, token_col = -1;
  bool have_header = false;
  std::vector<Credentials> keys;
  while (pos < text.size()) {
    int record_line = line;
    std::string_view rest = text.substr(pos);
    std::string_view first_line = Trim(rest.substr(0, rest.find('\n')));
    if (first_line.empty() || first_line.starts_with('#')) {
      size_t nl = rest.find('\n');
      pos = nl == std::string_view::npos ? text.size() : pos + nl + 1;
      ++line;
      continue;
    }
    auto fields = Record(text, pos, line);
    if (!fields.ok()) return fields.error();
    if (!have_header) {
      for (size_t i = 0; i < fields->size(); ++i) {
        std::string n = Normalize((*fields)[i]);
        int col = static_cast<int>(i);
        if (n == "ak" || n == "accesskeyid" || n == "awsaccesskeyid" || n == "accesskey") {
          id_col = col;
        } else if (n == "sk" || n == "secretaccesskey" || n == "awssecretaccesskey" ||
                   n == "secretkey") {
          secret_col = col;
        } else if (n == "sessiontoken" || n == "awssessiontoken" || n == "token") {
          token_col = col;
        }
      }
      if (id_col < 0 || secret_col < 0) {
        return core::Error::InvalidArgument(
            "credential CSV line {}: the header must name an access key column (ak, "
            "access_key_id) and a secret key column (sk, secret_access_key)",
            record_line);
      }
      have_header = true;
      continue;
    }
    int needed = std::max(id_col, secret_col) + 1;
    if (static_cast<int>(fields->size()) < needed) {
      return core::Error::InvalidArgument("credential CSV line {}: expected at least {} fields",
                                          record_line, needed);
    }
    Credentials key;
    key.access_key_id = (*fields)[id_col];
    key.secret_access_key = (*fields)[secret_col];
    if (token_col >= 0 && token_col < static_cast<int>(fields->size())) {
      key.session_token = (*fields)[token_col];
    }
    if (key.access_key_id.empty() || key.secret_access_key.empty()) {
      return core::Error::InvalidArgument("credential CSV line {}: empty access or secret key",
                                          record_line);
    }
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return core::Error::InvalidArgument("credential CSV has no keys");
  return keys;
}

AccessKeyPool::AccessKeyPool(std::vector<Credentials> keys, const core::Clock& clock,
                             KeyPoolOptions options)
    : clock_(clock), options_(options) {
  for (auto& key : keys) keys_.push_back(Entry{std::move(key), {}, 0});
}

core::Result<std::shared_ptr<AccessKeyPool>> AccessKeyPool::Create(std::vector<Credentials> keys,
                                                                   const core::Clock& clock,
                                                                   KeyPoolOptions options) {
  if (keys.empty()) return core::Error::InvalidArgument("an access key pool needs a key");
  return std::shared_ptr<AccessKeyPool>(new AccessKeyPool(std::move(keys), clock, options));
}

core::Result<std::shared_ptr<AccessKeyPool>> AccessKeyPool::LoadCsvFile(const std::string& path,
                                                                        const core::Clock& clock,
                                                                        KeyPoolOptions options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error::NotFound("cannot open credential CSV '{}'", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto keys = ParseAccessKeyCsv(buffer.str());
  if (!keys.ok()) return keys.error().WithContext(path);
  return Create(std::move(*keys), clock, options);
}

Credentials AccessKeyPool::Next() {
  std::lock_guard lock(mutex_);
  auto now = clock_.SteadyNow();
  size_t n = keys_.size();
  for (size_t i = 0; i < n; ++i) {
    size_t at = (next_ + i) % n;
    if (keys_[at].benched_until <= now) {
      next_ = (at + 1) % n;
      return keys_[at].key;
    }
  }
  // Every key is benched: the one free soonest.
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (keys_[i].benched_until < keys_[best].benched_until) best = i;
  }
  next_ = (best + 1) % n;
  return keys_[best].key;
}

void AccessKeyPool::ReportThrottled(std::string_view access_key_id) {
  std::lock_guard lock(mutex_);
  for (auto& entry : keys_) {
    if (entry.key.access_key_id != access_key_id) continue;
    auto cooldown = options_.cooldown * (1 << std::min(entry.strikes, 16));
    cooldown = std::min(cooldown, options_.max_cooldown);
    entry.benched_until = clock_.SteadyNow() + cooldown;
    ++entry.strikes;
  }
}

void AccessKeyPool::ReportSuccess(std::string_view access_key_id) {
  std::lock_guard lock(mutex_);
  for (auto& entry : keys_) {
    if (entry.key.access_key_id == access_key_id) entry.strikes = 0;
  }
}

size_t AccessKeyPool::available() const {
  std::lock_guard lock(mutex_);
  auto now = clock_.SteadyNow();
  return static_cast<size_t>(std::count_if(keys_.begin(), keys_.end(),
                                           [&](const Entry& e) { return e.benched_until <= now; }));
}

std::function<boost::asio::awaitable<core::Result<Credentials>>()> AccessKeyPool::AsFunction() {
  // A plain lambda calling a coroutine that owns `self`: a coroutine lambda's captures would
  // live in the lambda, which may be gone before the coroutine runs.
  struct Call {
    static boost::asio::awaitable<core::Result<Credentials>> Run(
        std::shared_ptr<AccessKeyPool> pool) {
      co_return pool->Next();
    }
  };
  return [self = shared_from_this()]() { return Call::Run(self); };
}

}  // namespace bedrock::aws

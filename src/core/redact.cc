#include "core/redact.h"

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>

namespace bedrock::core {
namespace {

enum CharClass : uint8_t {
  kWordChar = 1,    // [A-Za-z0-9_-]: the characters of a key or token "word"
  kAlnum = 2,       // [A-Za-z0-9]
  kUpperAlnum = 4,  // [A-Z0-9]: AWS access key id characters
  kCredChar = 8,    // [A-Za-z0-9-._~+/=]: RFC 6750 b64token, also covers base64 for Basic
  kValueStop = 16,  // ends an unquoted value: whitespace & , ; " ' < > ( ) [ ] { } and controls
};

constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
    uint8_t bits = 0;
    if (upper || lower || digit) bits |= kWordChar | kAlnum | kCredChar;
    if (upper || digit) bits |= kUpperAlnum;
    if (c == '_' || c == '-') bits |= kWordChar;
    if (c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=') {
      bits |= kCredChar;
    }
    if (c <= ' ' || c == 0x7f || c == '&' || c == ',' || c == ';' || c == '"' || c == '\'' ||
        c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
        c == '}') {
      bits |= kValueStop;
    }
    table[c] = bits;
  }
  return table;
}();

inline bool Is(char c, CharClass cls) { return (kClass[static_cast<unsigned char>(c)] & cls) != 0; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower_b[i]) return false;
  }
  return true;
}

bool IsIgnoredInKey(char c) { return c == '-' || c == '_' || c == '.' || c == ' '; }

// Secret key names, normalised (lower case, separators dropped), matched as suffixes.
constexpr std::string_view kSecretSuffixes[] = {
    "token",     "secret",          "secrets",    "password",  "passwords",     "passwd", "apikey",
    "secretkey", "secretaccesskey", "privatekey", "signature", "authorization", "cookie", "cookies",
};
// Matched exactly.
constexpr std::string_view kSecretExact[] = {"xamzcredential"};
// Keys whose unquoted value runs to the end of the line (header values contain spaces).
constexpr std::string_view kHeaderLike[] = {"authorization", "proxyauthorization", "cookie",
                                            "setcookie"};

// The last (up to) kTail normalised characters of `key`; `truncated` when more came before.
constexpr size_t kTail = 24;
struct NormalisedTail {
  std::array<char, kTail> chars;
  size_t size = 0;
  bool truncated = false;
  std::string_view view() const { return {chars.data() + kTail - size, size}; }
};

NormalisedTail NormaliseTail(std::string_view key) {
  NormalisedTail tail;
  for (size_t i = key.size(); i-- > 0;) {
    char c = key[i];
    if (IsIgnoredInKey(c)) continue;
    if (tail.size == kTail) {
      tail.truncated = true;
      break;
    }
    tail.chars[kTail - 1 - tail.size++] = Lower(c);
  }
  return tail;
}

// A suffix match, like IsSecretKey's: "X-Upstream-Authorization" is header-like too. Matching the
// whole key only would make redaction depend on where the key happens to start, and redacting
// already-redacted text could then find a longer value (the fuzzer's idempotence check).
bool IsHeaderLikeKey(std::string_view key) {
  NormalisedTail tail = NormaliseTail(key);  // `normalised` views into it
  std::string_view normalised = tail.view();
  for (auto name : kHeaderLike) {
    if (normalised.size() >= name.size() &&
        normalised.substr(normalised.size() - name.size()) == name) {
      return true;
    }
  }
  return false;
}

// Short comparisons written out: a library memcmp call costs more than the compare here, and
// most words differ in their first (or last) character.
bool StartsWith(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (s[i] != prefix[i]) return false;
  }
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 1; i <= suffix.size(); ++i) {
    if (s[s.size() - i] != suffix[suffix.size() - i]) return false;
  }
  return true;
}

// Tokens recognisable by their shape alone.
bool IsWellKnownToken(std::string_view word) {
  struct Prefix {
    std::string_view text;
    size_t min_total;
  };
  static constexpr Prefix kPrefixes[] = {
      {"sk-", 23},          // OpenAI-style API keys
      {"ghp_", 30},         // GitHub personal access tokens
      {"gho_", 30},         // GitHub OAuth tokens
      {"ghu_", 30},         // GitHub user-to-server tokens
      {"ghs_", 30},         // GitHub server-to-server tokens
      {"ghr_", 30},         // GitHub refresh tokens
      {"github_pat_", 40},  // GitHub fine-grained tokens
      {"xoxb-", 20},        // Slack bot tokens
      {"xoxp-", 20},        // Slack user tokens
  };
  if (word.size() < 20 || (word[0] != 's' && word[0] != 'g' && word[0] != 'x')) return false;
  for (const auto& prefix : kPrefixes) {
    if (word.size() >= prefix.min_total && StartsWith(word, prefix.text)) return true;
  }
  return false;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text), n_(text.size()) {}

  std::vector<SecretSpan> Run() {
    size_t i = 0;
    while (i < n_) {
      if (!Is(s_[i], kWordChar)) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < n_ && Is(s_[j], kWordChar)) ++j;
      i = AfterWord(i, j);
    }
    return std::move(spans_);
  }

 private:
  void Add(size_t begin, size_t end) {
    if (end > begin) spans_.push_back({begin, end});
  }

  void SkipBlanks(size_t& k) const {
    while (k < n_ && (s_[k] == ' ' || s_[k] == '\t')) ++k;
  }

  // Handles the word s_[begin, end); returns where scanning continues. Shapes inside the word are
  // checked first, so a key that itself contains a key id is redacted too.
  size_t AfterWord(size_t begin, size_t end) {
    std::string_view word = s_.substr(begin, end - begin);

    if (IsWellKnownToken(word)) {
      Add(begin, end);
      return end;
    }
    AddAccessKeyIds(begin, end);

    // `key: value`, `key=value`, `"key": "value"`, `\"key\":\"value\"`, `'key': 'value'`.
    size_t k = end;
    if (k < n_ && (s_[k] == '"' || s_[k] == '\'')) {
      ++k;
    } else if (k + 1 < n_ && s_[k] == '\\' && s_[k + 1] == '"') {
      k += 2;
    }
    SkipBlanks(k);
    if (k < n_ && (s_[k] == ':' || s_[k] == '=') && IsSecretKey(word)) {
      ++k;
      SkipBlanks(k);
      return RedactValue(k, IsHeaderLikeKey(word));
    }

    // `Bearer <credential>`, `Basic <credential>` (auth schemes are case-insensitive).
    bool bearer = EqualsIgnoreCase(word, "bearer");
    if (bearer || EqualsIgnoreCase(word, "basic")) {
      size_t t = end;
      SkipBlanks(t);
      size_t cred = t;
      while (t < n_ && Is(s_[t], kCredChar)) ++t;
      // "Basic" is also an English word: require something credential-sized after it.
      if (cred > end && (bearer ? t > cred : t - cred >= 8)) {
        Add(cred, t);
        return t;
      }
    }
    return end;
  }

  // AWS access key ids: 20 characters [A-Z0-9] starting AKIA or ASIA, delimited by anything that
  // is not alphanumeric (so also inside a word, after '_' or '-').
  void AddAccessKeyIds(size_t begin, size_t end) {
    if (end - begin < 20) return;
    size_t a = begin;
    while (a < end) {
      size_t b = a;
      while (b < end && Is(s_[b], kAlnum)) ++b;
      if (b - a == 20) {
        std::string_view run = s_.substr(a, 20);
        bool upper = true;
        for (char c : run) upper = upper && Is(c, kUpperAlnum);
        if (upper && (StartsWith(run, "AKIA") || StartsWith(run, "ASIA"))) Add(a, b);
      }
      a = b + 1;
    }
  }

  // Redacts the value starting at k; returns the index after it.
  size_t RedactValue(size_t k, bool to_end_of_line) {
    if (k >= n_) return k;
    if (s_[k] == '"') {  // a JSON string: ends at the next unescaped quote
      size_t v = k + 1;
      while (v < n_ && s_[v] != '"') v += (s_[v] == '\\') ? 2 : 1;
      v = std::min(v, n_);
      Add(k + 1, v);
      return std::min(v + 1, n_);
    }
    if (s_[k] == '\\' && k + 1 < n_ && s_[k + 1] == '"') {  // a JSON string escaped in a string
      size_t v = s_.find("\\\"", k + 2);
      if (v == std::string_view::npos) v = n_;
      Add(k + 2, v);
      return std::min(v + 2, n_);
    }
    if (s_[k] == '\'') {
      size_t v = s_.find('\'', k + 1);
      if (v == std::string_view::npos) v = n_;
      Add(k + 1, v);
      return std::min(v + 1, n_);
    }
    size_t v = k;
    if (to_end_of_line) {
      while (v < n_ && s_[v] != '\n' && s_[v] != '\r') ++v;
      while (v > k && (s_[v - 1] == ' ' || s_[v - 1] == '\t')) --v;  // keep trailing blanks
    } else {
      while (v < n_ && !Is(s_[v], kValueStop)) ++v;
    }
    Add(k, v);
    return v;
  }

  std::string_view s_;
  size_t n_;
  std::vector<SecretSpan> spans_;
};

constexpr int kMaxRedactDepth = 128;

boost::json::value RedactJsonAt(const boost::json::value& value, int depth) {
  if (depth > kMaxRedactDepth) return boost::json::string(kRedacted);
  switch (value.kind()) {
    case boost::json::kind::string: {
      const auto& s = value.get_string();
      return boost::json::string(RedactText(std::string_view(s.data(), s.size())));
    }
    case boost::json::kind::array: {
      boost::json::array out;
      out.reserve(value.get_array().size());
      for (const auto& element : value.get_array()) out.push_back(RedactJsonAt(element, depth + 1));
      return out;
    }
    case boost::json::kind::object: {
      boost::json::object out;
      out.reserve(value.get_object().size());
      for (const auto& member : value.get_object()) {
        std::string_view key(member.key().data(), member.key().size());
        if (IsSecretKey(key) && !member.value().is_null()) {
          out.emplace(key, boost::json::string(kRedacted));
        } else {
          out.emplace(key, RedactJsonAt(member.value(), depth + 1));
        }
      }
      return out;
    }
    default:
      return value;
  }
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  NormalisedTail tail = NormaliseTail(key);
  std::string_view normalised = tail.view();
  for (auto suffix : kSecretSuffixes) {
    if (EndsWith(normalised, suffix)) return true;
  }
  if (!tail.truncated) {
    for (auto exact : kSecretExact) {
      if (normalised == exact) return true;
    }
  }
  return false;
}

std::vector<SecretSpan> FindSecrets(std::string_view text) { return Scanner(text).Run(); }

std::string RedactText(std::string_view text) {
  std::vector<SecretSpan> spans = FindSecrets(text);
  if (spans.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (const auto& span : spans) {
    out.append(text.substr(at, span.begin - at));
    out.append(kRedacted);
    at = span.end;
  }
  out.append(text.substr(at));
  return out;
}

boost::json::value RedactJson(const boost::json::value& value) { return RedactJsonAt(value, 0); }

}  // namespace bedrock::core

#include "emulator/text.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace bedrock::emulator {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

bool IsSpaceByte(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

const std::unordered_set<std::string_view>& StopWords() {
  static const std::unordered_set<std::string_view> words = {
      "a",    "an",   "and",  "are",  "as",    "at",    "be",    "but",   "by",   "for",
      "from", "has",  "have", "how",  "i",     "in",    "is",    "it",    "its",  "of",
      "on",   "or",   "that", "the",  "their", "then",  "there", "these", "this", "to",
      "was",  "were", "what", "when", "where", "which", "who",   "why",   "will", "with",
      "you",  "your", "does", "do",   "did",   "me",    "my",    "we",    "our",  "about"};
  return words;
}

std::string Stem(std::string word) {
  if (word.size() > 4 && word.ends_with("ies")) {
    word.resize(word.size() - 3);
    word += 'y';
  } else if (word.size() > 3 && word.back() == 's' && !word.ends_with("ss") &&
             !word.ends_with("us") && !word.ends_with("is")) {
    word.pop_back();
  }
  return word;
}

// Whether byte `i` of `text` starts a UTF-8 sequence (is not a continuation byte).
bool IsBoundary(std::string_view text, size_t i) {
  return i >= text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
}

}  // namespace

int64_t CountTokens(std::string_view text) {
  int64_t tokens = 0;
  size_t run = 0;
  auto flush = [&] {
    if (run > 0) tokens += static_cast<int64_t>((run + 3) / 4);
    run = 0;
  };
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (IsWordByte(c)) {
      ++run;
    } else {
      flush();
      if (!IsSpaceByte(c)) ++tokens;
    }
  }
  flush();
  return tokens;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (char ch : text) {
    if (IsWordByte(static_cast<unsigned char>(ch))) {
      current.push_back(Lower(ch));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

std::vector<std::string> IndexTerms(std::string_view text) {
  std::vector<std::string> terms;
  for (auto& word : Words(text)) {
    if (StopWords().contains(word)) continue;
    terms.push_back(Stem(std::move(word)));
  }
  return terms;
}

std::vector<std::string> SplitForStreaming(std::string_view text, size_t target_bytes) {
  std::vector<std::string> pieces;
  if (target_bytes == 0) target_bytes = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = start + target_bytes;
    if (end >= text.size()) {
      pieces.emplace_back(text.substr(start));
      break;
    }
    // Prefer cutting just after a space within the second half of the piece.
    size_t cut = end;
    for (size_t i = end; i > start + target_bytes / 2; --i) {
      if (text[i - 1] == ' ') {
        cut = i;
        break;
      }
    }
    while (cut < text.size() && !IsBoundary(text, cut)) ++cut;
    pieces.emplace_back(text.substr(start, cut - start));
    start = cut;
  }
  return pieces;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return Lower(a) == Lower(b); });
  return it != haystack.end();
}

uint64_t StableHash(std::string_view data, uint64_t seed) {
  uint64_t hash = 14695981039346656037ULL ^ (seed * 1099511628211ULL);
  for (char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  // A final avalanche so nearby inputs spread over buckets and sign bits.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace bedrock::emulator

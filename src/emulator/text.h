// Text helpers the emulator's deterministic "model" and its knowledge base share: a token count
// that is stable across runs (so usage figures are real numbers tests can predict), index terms
// for BM25, and splitting text into streaming deltas.
//
//   int64_t n = emulator::CountTokens("Hello, world.");            // 4
//   auto terms = emulator::IndexTerms("The capitals of France");   // {"capital", "france"}
//   auto parts = emulator::SplitForStreaming(text, 16);            // concatenation == text
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock::emulator {

// An approximation of a BPE tokenizer, deterministic by construction: every run of letters and
// digits (bytes >= 0x80 count as letters) is ceil(length / 4) tokens, every other non-space
// character one token, whitespace nothing.
int64_t CountTokens(std::string_view text);

// The words of `text`, lowercased (ASCII), for matching: runs of letters and digits.
std::vector<std::string> Words(std::string_view text);

// Search terms: Words() without common English stop words, with a light plural stemming
// ("capitals" -> "capital", "cities" -> "city") so that query and document forms meet.
std::vector<std::string> IndexTerms(std::string_view text);

// Splits `text` into pieces of about `target_bytes` (at least one piece for non-empty text), cut
// after a space where one is near, never inside a UTF-8 sequence. The pieces concatenate back to
// `text`. Empty text gives no pieces.
std::vector<std::string> SplitForStreaming(std::string_view text, size_t target_bytes);

// Case-insensitive (ASCII) substring search.
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

// 64-bit FNV-1a: a stable hash for ids and feature hashing (std::hash is not stable across
// builds).
uint64_t StableHash(std::string_view data, uint64_t seed = 0);

}  // namespace bedrock::emulator

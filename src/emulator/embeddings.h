// Deterministic text embeddings for the emulated Titan Text Embeddings models and the knowledge
// base's semantic scores: feature hashing of words and character trigrams, so texts that share
// words or word pieces get a high cosine similarity and unrelated texts a low one. Not a language
// model: "car" and "automobile" are unrelated here.
//
//   std::vector<float> a = emulator::Embed("The capital of France", 256, /*normalize=*/true);
//   double similarity = emulator::Cosine(a, emulator::Embed("France's capital city", 256, true));
//
// The same text, dimensions and normalize flag always give the same vector, on every build.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace bedrock::emulator {

// `dimensions` >= 1. With `normalize` the vector has unit L2 norm (a zero vector stays zero);
// without it, the raw weighted feature counts.
std::vector<float> Embed(std::string_view text, int dimensions, bool normalize);

// Cosine similarity in [-1, 1]; 0 when either vector is zero or their sizes differ.
double Cosine(std::span<const float> a, std::span<const float> b);

}  // namespace bedrock::emulator

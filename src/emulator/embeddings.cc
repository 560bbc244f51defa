#include "emulator/embeddings.h"

#include <cmath>
#include <string>

#include "emulator/text.h"

namespace bedrock::emulator {
namespace {

// Adds `weight` for one feature: bucket and sign both come from the feature's stable hash.
void AddFeature(std::vector<float>& v, std::string_view feature, float weight) {
  uint64_t h = StableHash(feature, 0x9e3779b97f4a7c15ULL);
  size_t bucket = static_cast<size_t>(h % v.size());
  v[bucket] += (h >> 63) != 0 ? -weight : weight;
}

}  // namespace

std::vector<float> Embed(std::string_view text, int dimensions, bool normalize) {
  std::vector<float> v(static_cast<size_t>(dimensions > 0 ? dimensions : 1), 0.0f);
  for (const std::string& word : Words(text)) {
    AddFeature(v, "w:" + word, 1.0f);
    // Trigrams of the word with boundary markers: "capital" and "capitals" share most of them.
    std::string padded = "<" + word + ">";
    for (size_t i = 0; i + 3 <= padded.size(); ++i) {
      AddFeature(v, "t:" + padded.substr(i, 3), 0.5f);
    }
  }
  if (normalize) {
    double norm = 0;
    for (float x : v) norm += static_cast<double>(x) * x;
    if (norm > 0) {
      auto inverse = static_cast<float>(1.0 / std::sqrt(norm));
      for (float& x : v) x *= inverse;
    }
  }
  return v;
}

double Cosine(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 || nb == 0) return 0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

}  // namespace bedrock::emulator

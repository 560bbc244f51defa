#include "emulator/embeddings.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bedrock::emulator {
namespace {

double Norm(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  return std::sqrt(n);
}

TEST(EmbedTest, HasTheRequestedDimensionsAndUnitNorm) {
  for (int dims : {256, 512, 1024}) {
    auto v = Embed("Paris is the capital of France", dims, true);
    ASSERT_EQ(v.size(), static_cast<size_t>(dims));
    EXPECT_NEAR(Norm(v), 1.0, 1e-5);
  }
}

TEST(EmbedTest, IsDeterministic) {
  EXPECT_EQ(Embed("same text", 256, true), Embed("same text", 256, true));
}

TEST(EmbedTest, UnnormalizedKeepsMagnitude) {
  EXPECT_GT(Norm(Embed("a longer text with many words in it", 256, false)), 1.5);
}

TEST(EmbedTest, SimilarTextsAreCloserThanUnrelatedOnes) {
  auto a = Embed("The capital of France is Paris", 512, true);
  auto b = Embed("Paris is France's capital city", 512, true);
  auto c = Embed("Bread needs flour, water and yeast", 512, true);
  EXPECT_GT(Cosine(a, b), 0.5);
  EXPECT_LT(Cosine(a, c), 0.2);
  EXPECT_NEAR(Cosine(a, a), 1.0, 1e-6);
}

TEST(EmbedTest, EmptyTextIsTheZeroVector) {
  auto v = Embed("", 256, true);
  EXPECT_EQ(Norm(v), 0.0);
  EXPECT_EQ(Cosine(v, Embed("x", 256, true)), 0.0);
}

TEST(CosineTest, MismatchedSizesAreZero) {
  EXPECT_EQ(Cosine(Embed("x", 256, true), Embed("x", 512, true)), 0.0);
}

}  // namespace
}  // namespace bedrock::emulator

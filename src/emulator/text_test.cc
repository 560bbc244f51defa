#include "emulator/text.h"

#include <gtest/gtest.h>

namespace bedrock::emulator {
namespace {

TEST(CountTokensTest, WordsCountByFourLettersAndPunctuationByOne) {
  EXPECT_EQ(CountTokens(""), 0);
  EXPECT_EQ(CountTokens("Hello, world."), 6);  // Hello=2 ,=1 world=2 .=1
  EXPECT_EQ(CountTokens("a b c"), 3);
  EXPECT_EQ(CountTokens("internationalization"), 5);  // 20 letters
  EXPECT_EQ(CountTokens("   \n\t"), 0);
}

TEST(CountTokensTest, IsStableAcrossCalls) {
  std::string text = "The quick brown fox jumps over the lazy dog; 42 times!";
  EXPECT_EQ(CountTokens(text), CountTokens(text));
  EXPECT_GT(CountTokens(text), 10);
}

TEST(IndexTermsTest, LowercasesDropsStopWordsAndStemsPlurals) {
  EXPECT_EQ(IndexTerms("The Capitals of the Cities"),
            (std::vector<std::string>{"capital", "city"}));
  EXPECT_EQ(IndexTerms("glass bus analysis"),
            (std::vector<std::string>{"glass", "bus", "analysis"}));
}

TEST(SplitForStreamingTest, PiecesConcatenateBackToTheText) {
  std::string text = "Stream this sentence back to me, please, in several small pieces.";
  auto pieces = SplitForStreaming(text, 12);
  EXPECT_GE(pieces.size(), 4u);
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_EQ(joined, text);
}

TEST(SplitForStreamingTest, NeverCutsInsideAUtf8Sequence) {
  std::string text = "ééééééééééééééééééé€€€€€€";
  for (size_t target : {1u, 2u, 3u, 5u}) {
    for (const auto& piece : SplitForStreaming(text, target)) {
      ASSERT_FALSE(piece.empty());
      EXPECT_NE(static_cast<unsigned char>(piece[0]) & 0xC0, 0x80) << "target " << target;
    }
  }
}

TEST(SplitForStreamingTest, EmptyTextHasNoPieces) { EXPECT_TRUE(SplitForStreaming("", 8).empty()); }

TEST(ContainsIgnoreCaseTest, MatchesAcrossCase) {
  EXPECT_TRUE(ContainsIgnoreCase("What's the WEATHER?", "weather"));
  EXPECT_FALSE(ContainsIgnoreCase("sunny", "rain"));
  EXPECT_TRUE(ContainsIgnoreCase("x", ""));
}

TEST(StableHashTest, IsFixedForAGivenInput) {
  EXPECT_EQ(StableHash("abc"), StableHash("abc"));
  EXPECT_NE(StableHash("abc"), StableHash("abd"));
  EXPECT_NE(StableHash("abc", 1), StableHash("abc", 2));
}

}  // namespace
}  // namespace bedrock::emulator

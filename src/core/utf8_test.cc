#include "core/utf8.h"

#include <gtest/gtest.h>

namespace bedrock::core {
namespace {

TEST(Utf8Test, SequenceLengthOfValidSequences) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9", 0), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC", 0), 3u);      // €
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80", 0), 4u);  // 😀
}

TEST(Utf8Test, SequenceLengthRejectsOverlongSurrogatesTooLargeAndTruncated) {
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF", 0), 0u);          // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF", 0), 0u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80", 0), 0u);      // UTF-16 surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82", 0), 0u);          // truncated
  EXPECT_EQ(Utf8SequenceLength("\x80", 0), 0u);              // lone continuation byte
}

TEST(Utf8Test, AppendEncodesEveryLengthAndRoundTrips) {
  std::string out;
  for (uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u}) AppendUtf8(out, cp);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  size_t count = 0;
  for (size_t i = 0; i < out.size(); i += Utf8SequenceLength(out, i)) ++count;
  EXPECT_EQ(count, 4u);
}

}  // namespace
}  // namespace bedrock::core

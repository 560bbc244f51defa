#include "core/base64.h"

#include <gtest/gtest.h>

namespace bedrock::core {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
}

TEST(Base64Test, UnpaddedIsAccepted) { EXPECT_EQ(Base64Decode("Zm8"), "fo"); }

TEST(Base64Test, BinaryRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(Base64Test, InvalidCharacterIsRejected) { EXPECT_FALSE(Base64Decode("Zm9v!A==")); }
TEST(Base64Test, ImpossibleLengthIsRejected) { EXPECT_FALSE(Base64Decode("Zm9vY")); }
TEST(Base64Test, WhitespaceIsRejected) { EXPECT_FALSE(Base64Decode("Zm9v\nYg==")); }
TEST(Base64Test, NonCanonicalTrailingBitsAreRejected) { EXPECT_FALSE(Base64Decode("Zh==")); }

}  // namespace
}  // namespace bedrock::core

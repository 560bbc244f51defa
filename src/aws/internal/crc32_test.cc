#include "aws/internal/crc32.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace bedrock::aws::internal {
namespace {

// One bit at a time, straight from the definition: the reference for every faster path.
uint32_t BitwiseCrc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

TEST(Crc32Test, CheckValueOfTheStandard) { EXPECT_EQ(Crc32("123456789"), 0xCBF43926u); }

TEST(Crc32Test, EmptyIsZero) { EXPECT_EQ(Crc32(""), 0u); }

// Every length around the 8-, 16- and 64-byte boundaries of the table and folding paths.
TEST(Crc32Test, EveryLengthUpTo1100MatchesTheBitwiseDefinition) {
  const std::string data = RandomBytes(1100, 7);
  for (size_t n = 0; n <= data.size(); ++n) {
    ASSERT_EQ(Crc32(std::string_view(data).substr(0, n)), BitwiseCrc32(data.substr(0, n))) << n;
  }
}

TEST(Crc32Test, UnalignedStartsMatchTheBitwiseDefinition) {
  const std::string data = RandomBytes(600, 11);
  for (size_t offset = 1; offset < 17; ++offset) {
    auto view = std::string_view(data).substr(offset);
    ASSERT_EQ(Crc32(view), BitwiseCrc32(view)) << offset;
  }
}

TEST(Crc32Test, ContinuingAcrossSplitsEqualsOneShot) {
  const std::string data = RandomBytes(5000, 3);
  const uint32_t whole = Crc32(data);
  for (size_t split : {1u, 8u, 63u, 64u, 65u, 200u, 4096u, 4999u}) {
    uint32_t c = Crc32(std::string_view(data).substr(0, split));
    ASSERT_EQ(Crc32Update(c, std::string_view(data).substr(split)), whole) << split;
  }
}

TEST(Crc32Test, LargeBufferMatchesTheBitwiseDefinition) {
  const std::string data = RandomBytes(1 << 20, 5);
  EXPECT_EQ(Crc32(data), BitwiseCrc32(data));
}

}  // namespace
}  // namespace bedrock::aws::internal

#include "aws/internal/crc32.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BEDROCK_CRC32_PCLMUL 1
#endif

namespace bedrock::aws::internal {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// The table rounds over `size` bytes: `c` is the CRC register (already inverted).
uint32_t TableUpdate(uint32_t c, const unsigned char* p, size_t size) {
  while (size >= 8) {
    uint32_t lo = LoadLe32(p) ^ c;
    uint32_t hi = LoadLe32(p + 4);
    c = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
        kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
  return c;
}

#ifdef BEDROCK_CRC32_PCLMUL
// Carry-less multiplication folding (Intel, "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction", 2009), for the reflected polynomial: four 128-bit lanes are folded 512
// bits forward per round, then into one lane, then 128 bits at a time. The folded lane is
// congruent to everything consumed so far, so its own CRC (from a zero register) is the register
// for those bytes: the tables finish the job instead of a Barrett reduction. Consumes whole
// 16-byte blocks of `size` (>= 64) and returns the register after them.
#define BEDROCK_CRC32_TARGET __attribute__((target("pclmul,sse2")))

BEDROCK_CRC32_TARGET inline __m128i Load128(const unsigned char* q) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
}

// x * (k.lo, k.hi) folded onto `next`.
BEDROCK_CRC32_TARGET inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(
      _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

BEDROCK_CRC32_TARGET uint32_t FoldUpdate(uint32_t c, const unsigned char*& p, size_t& size) {
  // x^(512+32) and x^(512-32) mod P, then x^(128+32) and x^(128-32) mod P (bit-reflected, << 1).
  const __m128i k512 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
  const __m128i k128 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
  __m128i x0 = _mm_xor_si128(Load128(p), _mm_cvtsi32_si128(static_cast<int>(c)));
  __m128i x1 = Load128(p + 16), x2 = Load128(p + 32), x3 = Load128(p + 48);
  p += 64;
  size -= 64;
  while (size >= 64) {
    x0 = Fold(x0, k512, Load128(p));
    x1 = Fold(x1, k512, Load128(p + 16));
    x2 = Fold(x2, k512, Load128(p + 32));
    x3 = Fold(x3, k512, Load128(p + 48));
    p += 64;
    size -= 64;
  }
  x0 = Fold(x0, k128, x1);
  x0 = Fold(x0, k128, x2);
  x0 = Fold(x0, k128, x3);
  while (size >= 16) {
    x0 = Fold(x0, k128, Load128(p));
    p += 16;
    size -= 16;
  }
  alignas(16) unsigned char lane[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(lane), x0);
  return TableUpdate(0, lane, sizeof lane);
}

bool HavePclmul() {
  static const bool have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  return have;
}
#endif

}  // namespace

uint32_t Crc32Update(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
#ifdef BEDROCK_CRC32_PCLMUL
  if (size >= 64 && HavePclmul()) c = FoldUpdate(c, p, size);
#endif
  return ~TableUpdate(c, p, size);
}

}  // namespace bedrock::aws::internal

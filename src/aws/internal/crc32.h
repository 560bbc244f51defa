// CRC-32 (IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), as
// the AWS event-stream framing uses. Slicing-by-8 tables, and carry-less multiplication folding of
// 64-byte blocks on x86-64 CPUs with PCLMULQDQ (chosen at run time).
//
//   uint32_t crc = Crc32(data);                       // one shot
//   uint32_t c = Crc32(a); c = Crc32Update(c, b);      // == Crc32(a + b)
//
// Thread-safety: pure functions over constant tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bedrock::aws::internal {

// Continues a CRC: `crc` is a previous result (0 for none).
uint32_t Crc32Update(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32(std::string_view data) { return Crc32Update(0, data.data(), data.size()); }
inline uint32_t Crc32Update(uint32_t crc, std::string_view data) {
  return Crc32Update(crc, data.data(), data.size());
}

}  // namespace bedrock::aws::internal

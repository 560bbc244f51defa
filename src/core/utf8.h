// UTF-8 helpers shared by the parsers (JSON config, XML) and the log formatter.
//
//   size_t len = core::Utf8SequenceLength(text, i);   // 0: not a valid sequence at i
//   core::AppendUtf8(out, 0x1F600);                  // appends the 4-byte encoding
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bedrock::core {

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 when the bytes there are
// not one: overlong forms, UTF-16 surrogates, code points above U+10FFFF and truncated sequences
// are all invalid. Precondition: i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Appends the UTF-8 encoding of code point `cp` (at most U+10FFFF).
void AppendUtf8(std::string& out, uint32_t cp);

}  // namespace bedrock::core

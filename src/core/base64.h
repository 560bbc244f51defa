// Standard base64 (RFC 4648 §4, with padding), as JSON wire formats carry blobs.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bedrock::core {

std::string Base64Encode(std::string_view bytes);

// Decodes padded or unpadded base64; nullopt on any other character or an impossible length.
// Whitespace is not accepted (JSON blobs carry none).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace bedrock::core

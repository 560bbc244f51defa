// Unguessable identifiers (session ids, task ids) for the mcp module. Internal.
#pragma once

#include <cstddef>
#include <string>

namespace bedrock::mcp::internal {

// `bytes` bytes from the kernel's CSPRNG as 2 * `bytes` lowercase hex digits (visible ASCII, as
// the spec requires of session ids). Blocks only until the CSPRNG is seeded at boot.
std::string RandomHexId(size_t bytes);

}  // namespace bedrock::mcp::internal

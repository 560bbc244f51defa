// Fuzzes the JSON-RPC parser with untrusted bytes: the whole input, its prefixes and suffixes at
// several split points (as a framing layer could hand over partial messages), with and without
// batches, and checks that every accepted message survives a serialise/parse round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "mcp/jsonrpc.h"

namespace {

void Check(std::string_view bytes, bool allow_batch) {
  using namespace bedrock::mcp;
  ParseLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_depth = 32;
  ParsedPayload parsed = ParsePayload(bytes, limits, allow_batch);
  if (!allow_batch && parsed.messages.size() > 1) std::abort();
  for (const auto& error : parsed.errors) {
    if (!error.error) std::abort();
    (void)Serialize(Message{error});
  }
  for (const Message& message : parsed.messages) {
    std::string wire = Serialize(message);
    ParsedPayload again = ParsePayload(wire, ParseLimits{}, false);
    if (again.messages.size() != 1 || !again.errors.empty()) std::abort();
    if (again.messages[0].index() != message.index()) std::abort();
    if (Serialize(again.messages[0]) != wire) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes, false);
  Check(bytes, true);
  for (size_t split : {size_t{1}, size / 3, size / 2, size - size / 4}) {
    if (split == 0 || split >= size) continue;
    Check(bytes.substr(0, split), false);
    Check(bytes.substr(split), true);
  }
  return 0;
}

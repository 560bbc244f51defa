// Fuzzes how the Streamable HTTP client turns a response body into messages: the first byte picks
// the Content-Type (JSON or SSE), the rest is the body. SSE bodies are also fed to the parser split
// at several points, as the network delivers them, and must yield the same messages as whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/sse.h"
#include "mcp/jsonrpc.h"
#include "mcp/streamable_http_client.h"

namespace {

constexpr size_t kMaxMessage = 1 << 20;

// The serialised messages of an SSE body fed in two pieces.
std::string SplitDecode(std::string_view body, size_t split) {
  bedrock::http::SseParser parser;
  std::string out;
  for (std::string_view piece : {body.substr(0, split), body.substr(split)}) {
    auto events = parser.Feed(piece);
    if (!events.ok()) return "<error>";
    for (const auto& event : *events) {
      if (event.data.empty()) continue;
      auto decoded =
          bedrock::mcp::DecodeHttpResponseBody("application/json", event.data, kMaxMessage);
      for (const auto& m : decoded.messages) out += bedrock::mcp::Serialize(m) + "\n";
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool sse = (data[0] & 1) != 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto decoded = bedrock::mcp::DecodeHttpResponseBody(
      sse ? "text/event-stream; charset=utf-8" : "application/json", body, kMaxMessage);
  std::string whole;
  for (const auto& m : decoded.messages) whole += bedrock::mcp::Serialize(m) + "\n";
  if (!sse) return 0;
  for (size_t split : {size_t{1}, body.size() / 3, body.size() / 2, body.size() - 1}) {
    if (split == 0 || split >= body.size()) continue;
    std::string pieces = SplitDecode(body, split);
    if (pieces != "<error>" && pieces != whole) std::abort();
  }
  return 0;
}

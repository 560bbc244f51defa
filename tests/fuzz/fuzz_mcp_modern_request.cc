// Fuzzes what a 2026-07-28 request brings from the network before it reaches a handler: the era
// classification and envelope checks of a POSTed JSON-RPC request (ClassifyPost), the standard and
// Mcp-Param-* header checks, the header value decoding, and a requestState presented for
// verification. Input: header lines ("Name: value"), a blank line, then the body; fed whole and
// split at several points. Invariants: rejections are HTTP 400; a modern request that passes has
// a valid envelope naming a revision we serve; no state that was not sealed here opens.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "mcp/internal/modern_http.h"
#include "mcp/protocol.h"
#include "mcp/request_headers.h"
#include "mcp/request_meta.h"
#include "mcp/request_state.h"

namespace {

using namespace bedrock;

const boost::json::object& Schema() {
  static const boost::json::object schema = [] {
    boost::json::object region{{"type", "string"}, {"x-mcp-header", "Region"}};
    boost::json::object count{{"type", "integer"}, {"x-mcp-header", "Count"}};
    boost::json::object properties{{"region", region}, {"count", count}};
    return boost::json::object{{"type", "object"}, {"properties", properties}};
  }();
  return schema;
}

void Check(std::string_view input) {
  size_t blank = input.find("\n\n");
  std::string_view head =
      blank == std::string_view::npos ? std::string_view() : input.substr(0, blank);
  std::string_view body = blank == std::string_view::npos ? input : input.substr(blank + 2);
  http::Headers headers;
  while (!head.empty()) {
    size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    head = end == std::string_view::npos ? std::string_view() : head.substr(end + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = mcp::internal::TrimOws(line.substr(colon + 1));
    headers.Add(std::string(line.substr(0, colon)), std::string(value));
    (void)mcp::DecodeHeaderValue(value);
  }
  mcp::ParseLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_depth = 32;
  mcp::ParsedPayload parsed = mcp::ParsePayload(body, limits, false);
  for (const mcp::Message& message : parsed.messages) {
    const auto* request = std::get_if<mcp::Request>(&message);
    if (request == nullptr) continue;
    auto decision = mcp::internal::ClassifyPost(headers, *request);
    if (decision.rejection && decision.rejection->status != 400) std::abort();
    if (decision.era == mcp::internal::Era::kModern && !decision.rejection) {
      auto meta = mcp::ParseRequestMeta(request->params);
      if (!meta.ok() || !mcp::IsSupportedModernVersion(meta->protocol_version)) std::abort();
    }
    if (const auto* params = request->params.if_object()) {
      if (const auto* args = params->if_contains("arguments"); args && args->is_object()) {
        (void)mcp::internal::ValidateParamHeaders(headers, Schema(), args->get_object());
      }
    }
  }
  static const mcp::RequestStateCodec codec("fuzz-secret");
  mcp::RequestStateBinding binding("tools/call", "tool", "");
  if (codec.Open(body, binding).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes);
  for (size_t split : {size_t{1}, size / 3, size / 2, size - size / 4}) {
    if (split == 0 || split >= size) continue;
    Check(bytes.substr(0, split));
    Check(bytes.substr(split));
  }
  return 0;
}

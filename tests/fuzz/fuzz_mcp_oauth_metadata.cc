// Fuzzes what an MCP client reads from servers it does not trust while authorizing (mcp/oauth.h):
// WWW-Authenticate challenges, protected resource metadata (RFC 9728) and authorization server
// metadata (RFC 8414 / OpenID discovery). Each parser takes the input whole and cut short and must
// fail cleanly or parse; a parsed document always has what the flow needs next (resource, token
// endpoint).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mcp/oauth.h"

namespace {

using namespace bedrock::mcp;

void ParseOne(std::string_view text) {
  for (const AuthChallenge& challenge : ParseWwwAuthenticate(text)) {
    if (challenge.scheme.empty()) std::abort();
  }
  if (auto resource = ParseProtectedResourceMetadata(text); resource.ok()) {
    if (resource->resource.empty()) std::abort();
  }
  if (auto server = ParseAuthorizationServerMetadata(text); server.ok()) {
    if (server->token_endpoint.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOne(text);
  for (size_t cut : {size / 3, size / 2, size - size / 4}) {
    if (cut > 0 && cut < size) ParseOne(text.substr(0, cut));
  }
  return 0;
}

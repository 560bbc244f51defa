// Fuzzes the path a user's server entry takes before anything is spawned or connected to: the
// mcpServers JSON parsed into server specs (gateway/config.h, the same rules as the config file
// and POST /v1/add/mcp_server) and the spawn and URL policy (gateway/policy.h). Invariants:
//  * parsing and the policy never crash, on the input whole or cut short;
//  * under the strictest policy no stdio server is allowed, and under any policy a URL whose
//    host is a link-local, metadata or unspecified address literal is refused;
//  * an address the classifier puts in one of those classes is refused even by the most
//    permissive policy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/config.h"
#include "gateway/config.h"
#include "gateway/policy.h"

namespace {

using namespace bedrock;

void Check(bool condition) {
  if (!condition) std::abort();
}

gateway::PolicyConfig Strict() {
  gateway::PolicyConfig policy;
  policy.stdio = gateway::StdioSpawnMode::kOff;
  return policy;
}

gateway::PolicyConfig Permissive() {
  gateway::PolicyConfig policy;
  policy.allow_cwd = true;
  policy.allow_loopback = true;
  policy.allow_private_networks = true;
  return policy;
}

bool NeverAllowed(gateway::AddressClass c) {
  return c == gateway::AddressClass::kLinkLocal || c == gateway::AddressClass::kMetadata ||
         c == gateway::AddressClass::kUnspecified || c == gateway::AddressClass::kOther;
}

void CheckSpec(const gateway::ServerSpec& spec) {
  const mcp::McpServerConfig& server = spec.mcp;
  (void)gateway::CheckServerAllowed(Permissive(), server);
  core::Status strict = gateway::CheckServerAllowed(Strict(), server);
  if (server.kind == mcp::ServerTransportKind::kStdio) Check(!strict.ok());
}

void ParseOne(std::string_view text) {
  auto document = core::ParseJsonDocument(text, "fuzz.json");
  if (!document.ok()) return;
  core::ConfigNode root = document->Root();
  core::ConfigNode servers = root;
  if (root.Has("mcpServers")) {
    auto inner = root.Get("mcpServers");
    if (!inner.ok()) return;
    servers = *inner;
  }
  for (const core::ConfigNode& entry : servers.Members()) {
    auto spec = gateway::ParseServerSpec(entry);
    if (spec.ok()) CheckSpec(*spec);
  }
}

void ClassifyOne(std::string_view text) {
  if (text.size() > 64) return;
  auto address_class = gateway::ClassifyAddress(text);
  if (!address_class) return;
  if (NeverAllowed(*address_class)) {
    Check(!gateway::CheckAddressAllowed(Permissive(), text).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOne(text);
  ClassifyOne(text);
  for (size_t cut : {size / 3, size / 2, size - size / 4}) {
    if (cut > 0 && cut < size) ParseOne(text.substr(0, cut));
  }
  return 0;
}

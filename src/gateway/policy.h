// The policy for MCP servers users add through the API: which commands may be spawned, and which
// remote URLs may be contacted (no cloud metadata endpoints, no link-local addresses, private and
// loopback networks only when the configuration allows them). Servers in the configuration file
// are the operator's and are not checked.
//
//   BEDROCK_TRY(gateway::CheckServerAllowed(config.policy, spec.mcp));     // syntax and literals
//   BEDROCK_CO_TRY_ASSIGN(auto pinned, co_await gateway::ResolveAllowed(ex, policy, url));
//   // connect to `pinned` (http::ClientOptions::resolve_overrides) so a second DNS answer
//   // (rebinding) cannot redirect the connection to an address that was not checked.
//
// Errors are kPermissionDenied with a message the user can act on; kInvalidArgument for a
// malformed URL; kUnavailable when a host name does not resolve.
// Thread-safety: pure functions; ResolveAllowed runs on the given executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"
#include "gateway/config.h"
#include "http/url.h"
#include "mcp/server_config.h"

namespace bedrock::gateway {

enum class AddressClass {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7
  kLinkLocal,    // 169.254/16, fe80::/10: never allowed
  kMetadata,     // cloud instance metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200)
  kUnspecified,  // 0.0.0.0/8, ::
  kOther,        // multicast, broadcast, reserved, documentation: never allowed
};

// Classifies an IPv4 or IPv6 literal (IPv4-mapped IPv6 as its IPv4 address); nullopt when `ip`
// is not an address.
std::optional<AddressClass> ClassifyAddress(std::string_view ip);

// Whether the policy lets a server connect to an address of this class.
core::Status CheckAddressAllowed(const PolicyConfig& policy, std::string_view ip);

// The checks that need no network: a stdio command against the spawn policy (and no "cwd" unless
// allowed, no PATH, LD_* or DYLD_* variables in env); a URL's scheme, its host if it is an IP
// literal or a local name ("localhost", "*.localhost", "metadata.google.internal").
core::Status CheckServerAllowed(const PolicyConfig& policy, const mcp::McpServerConfig& server);

// Resolves the URL's host and checks every address it resolves to (all must be allowed). Returns
// the address to connect to. IP literals are checked without resolving.
boost::asio::awaitable<core::Result<std::string>> ResolveAllowed(
    boost::asio::any_io_executor executor, PolicyConfig policy, http::HttpUrl url,
    std::chrono::milliseconds timeout);

}  // namespace bedrock::gateway

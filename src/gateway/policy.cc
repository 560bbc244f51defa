#include "gateway/policy.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;

AddressClass ClassifyV4(const asio::ip::address_v4& address) {
  uint32_t a = address.to_uint();
  auto in = [a](uint32_t network, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
    return (a & mask) == network;
  };
  if (a == 0xA9FEA9FE || a == 0x64646AC8) return AddressClass::kMetadata;  // .169.254, Alibaba
  if (in(0x00000000, 8)) return AddressClass::kUnspecified;
  if (in(0x7F000000, 8)) return AddressClass::kLoopback;
  if (in(0xA9FE0000, 16)) return AddressClass::kLinkLocal;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10)) {
    return AddressClass::kPrivate;
  }
  if (in(0xE0000000, 4) || in(0xF0000000, 4) || in(0xC0000000, 24) || in(0xC0000200, 24) ||
      in(0xC6336400, 24) || in(0xCB007100, 24) || in(0xC6120000, 15)) {
    return AddressClass::kOther;  // multicast, reserved/broadcast, IETF, documentation, benchmark
  }
  return AddressClass::kPublic;
}

AddressClass ClassifyV6(const asio::ip::address_v6& address) {
  if (address.is_v4_mapped()) {
    return ClassifyV4(asio::ip::make_address_v4(asio::ip::v4_mapped, address));
  }
  auto bytes = address.to_bytes();
  if (address.is_unspecified()) return AddressClass::kUnspecified;
  if (address.is_loopback()) return AddressClass::kLoopback;
  // fd00:ec2::254, the AWS instance metadata service over IPv6.
  static constexpr uint8_t kAwsMetadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                               0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::equal(bytes.begin(), bytes.end(), kAwsMetadata)) return AddressClass::kMetadata;
  if (address.is_link_local()) return AddressClass::kLinkLocal;
  if ((bytes[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;  // fc00::/7
  if (address.is_multicast() ||
      (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8)) {
    return AddressClass::kOther;  // multicast, 2001:db8::/32 documentation
  }
  if (address.is_site_local()) return AddressClass::kPrivate;  // deprecated fec0::/10
  return AddressClass::kPublic;
}

std::string_view ClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private-network";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kMetadata:
      return "cloud metadata";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kOther:
      return "reserved";
  }
  return "reserved";
}

bool IsLocalName(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost") || host == "localhost.localdomain";
}

core::Status CheckStdio(const PolicyConfig& policy, const mcp::McpServerConfig& server) {
  if (policy.stdio == StdioSpawnMode::kOff) {
    return core::Error::PermissionDenied(
        "this gateway does not allow adding local (stdio) MCP servers; add a remote one by URL");
  }
  const auto& allowed = policy.stdio_commands;
  if (std::find(allowed.begin(), allowed.end(), server.command) == allowed.end()) {
    std::string list;
    for (const auto& command : allowed) list += (list.empty() ? "" : ", ") + command;
    return core::Error::PermissionDenied("command \"{}\" is not allowed; allowed commands: {}",
                                         server.command, list.empty() ? "none" : list);
  }
  if (!server.cwd.empty() && !policy.allow_cwd) {
    return core::Error::PermissionDenied(
        "\"cwd\" is not allowed for servers added through the API");
  }
  for (const auto& [name, value] : server.env) {
    // PATH would choose which binary an allowed command name runs; LD_*/DYLD_* what it loads.
    if (name == "PATH" || name.starts_with("LD_") || name.starts_with("DYLD_")) {
      return core::Error::PermissionDenied("environment variable {} is not allowed", name);
    }
  }
  return core::OkStatus();
}

}  // namespace

std::optional<AddressClass> ClassifyAddress(std::string_view ip) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(ip), ec);
  if (ec) return std::nullopt;
  return address.is_v4() ? ClassifyV4(address.to_v4()) : ClassifyV6(address.to_v6());
}

core::Status CheckAddressAllowed(const PolicyConfig& policy, std::string_view ip) {
  auto c = ClassifyAddress(ip);
  if (!c) return core::Error::InvalidArgument("not an IP address");
  bool allowed = *c == AddressClass::kPublic ||
                 (*c == AddressClass::kPrivate && policy.allow_private_networks) ||
                 (*c == AddressClass::kLoopback && policy.allow_loopback);
  if (allowed) return core::OkStatus();
  return core::Error::PermissionDenied("address {} is {}, which MCP servers may not use", ip,
                                       ClassName(*c));
}

core::Status CheckServerAllowed(const PolicyConfig& policy, const mcp::McpServerConfig& server) {
  if (server.kind == mcp::ServerTransportKind::kStdio) return CheckStdio(policy, server);
  auto url = http::ParseHttpUrl(server.url);
  if (!url.ok()) return core::Error::InvalidArgument("MCP server URL: {}", url.error().message());
  const auto& schemes = policy.remote_schemes;
  if (std::find(schemes.begin(), schemes.end(), url->scheme) == schemes.end()) {
    return core::Error::PermissionDenied("{}:// URLs are not allowed for MCP servers", url->scheme);
  }
  if (!url->user.empty() || !url->password.empty()) {
    return core::Error::PermissionDenied("MCP server URLs must not carry credentials; use token");
  }
  if (url->host_is_ip) return CheckAddressAllowed(policy, url->host);
  if (url->host == "metadata.google.internal" || url->host == "metadata") {
    return core::Error::PermissionDenied("MCP server host {} is cloud metadata and not allowed",
                                         url->host);
  }
  if (IsLocalName(url->host) && !policy.allow_loopback) {
    return core::Error::PermissionDenied("MCP server host {} is loopback and not allowed",
                                         url->host);
  }
  return core::OkStatus();
}

asio::awaitable<core::Result<std::string>> ResolveAllowed(asio::any_io_executor executor,
                                                          PolicyConfig policy, http::HttpUrl url,
                                                          std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  if (url.host_is_ip) {
    BEDROCK_CO_TRY(CheckAddressAllowed(policy, url.host));
    co_return url.host;
  }
  asio::ip::tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, timeout);
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  auto outcome = co_await (resolver.async_resolve(url.host, std::to_string(url.port), kTuple) ||
                           timer.async_wait(kTuple));
  if (outcome.index() == 1) {
    co_return core::Error::DeadlineExceeded("resolving {} took longer than {} ms", url.host,
                                            timeout.count());
  }
  auto [ec, results] = std::get<0>(std::move(outcome));
  if (ec) co_return core::Error::Unavailable("cannot resolve {}: {}", url.host, ec.message());
  std::string first;
  for (const auto& entry : results) {
    std::string ip = entry.endpoint().address().to_string();
    if (auto allowed = CheckAddressAllowed(policy, ip); !allowed.ok()) {
      co_return core::Error::PermissionDenied("MCP server host {} resolves to {}", url.host,
                                              allowed.error().message());
    }
    if (first.empty()) first = ip;
  }
  if (first.empty()) co_return core::Error::Unavailable("{} has no addresses", url.host);
  co_return first;
}

}  // namespace bedrock::gateway

// Which HTTP proxy, if any, a request should go through: the HTTPS_PROXY / HTTP_PROXY / NO_PROXY
// conventions of curl and most HTTP tools.
//
//   http::ProxyConfig config = http::ProxyConfigFromEnvironment(env);   // a core::Env
//   auto proxy = http::SelectProxy(config, *http::ParseHttpUrl(url));  // holds nullopt: go direct
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/result.h"
#include "http/url.h"

namespace bedrock::http {

struct ProxyConfig {
  std::string http_proxy;   // proxy URL for http:// requests; empty: connect directly
  std::string https_proxy;  // proxy URL for https:// requests (tunnelled with CONNECT)
  std::string no_proxy;     // comma-separated hosts that bypass the proxies (see NoProxyMatches)
};

// Reads https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY and no_proxy/NO_PROXY through `getenv`
// (the lower-case name wins when both are set, as in curl). `getenv` returns nullopt for unset.
using EnvGetter = std::function<std::optional<std::string>(std::string_view name)>;
ProxyConfig ProxyConfigFromEnvironment(const EnvGetter& getenv);
ProxyConfig ProxyConfigFromEnvironment(const core::Env& env);

// The same from the process environment (a core::SystemEnv snapshot taken now).
ProxyConfig ProxyConfigFromProcessEnvironment();

// Whether `host` (a DNS name or an IP literal without brackets) and `port` are excluded from
// proxying by a NO_PROXY list. Entries are separated by commas (spaces around them are ignored):
//   *                  every host
//   example.com        example.com and every subdomain (so does .example.com or *.example.com)
//   example.com:8443   the same, only on port 8443
//   10.1.2.3, ::1      that IP address ([::1]:port also accepted)
//   10.0.0.0/8, fd00::/8   any address in that CIDR block
// Names compare case-insensitively, ignoring a trailing dot. A name never matches an IP entry: no
// DNS lookups are made.
bool NoProxyMatches(std::string_view no_proxy, std::string_view host, uint16_t port);

// A proxy to connect to instead of the origin.
struct ProxyEndpoint {
  HttpUrl url;                // scheme is "http": TLS to the proxy itself is not supported
  std::string authorization;  // "Basic <base64(user:password)>" from the URL's userinfo, or empty

  // Identifies the proxy in connection-pool keys and logs (no credentials).
  std::string Key() const { return url.Authority(); }
};

// The proxy for a request to `target`, or nullopt to connect directly. kInvalidArgument when the
// configured proxy URL is malformed or is not http:// (a missing scheme means http://).
core::Result<std::optional<ProxyEndpoint>> SelectProxy(const ProxyConfig& config,
                                                       const HttpUrl& target);

// Parses a proxy URL as found in HTTPS_PROXY: "http://user:pass@host:port", "host:port" or "host".
// Without a port, 1080 is assumed (as curl does). Userinfo may be percent-encoded.
core::Result<ProxyEndpoint> ParseProxyUrl(std::string_view text);

}  // namespace bedrock::http

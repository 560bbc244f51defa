// Absolute http:// and https:// URLs, split into what an HTTP client needs to open a connection
// and write a request line.
//
//   auto url =
//   http::ParseHttpUrl("https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse");
//   url->host;        // "bedrock-runtime.us-east-1.amazonaws.com"
//   url->port;        // 443
//   url->target;      // "/model/x/converse"
//
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bedrock::http {

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // a lower-case DNS name, or an IP literal without brackets
  uint16_t port = 0;   // explicit, or 80 / 443 by scheme
  std::string target;  // origin-form request target, still percent-encoded: "/p?q" (never empty)
  bool host_is_ip = false;
  std::string user;  // percent-decoded userinfo, if the URL has one (used for proxy URLs)
  std::string password;

  bool is_https() const { return scheme == "https"; }
  bool has_default_port() const { return port == (is_https() ? 443 : 80); }
  // "host:port" (IPv6 in brackets), as a CONNECT request and pool keys want it.
  std::string Authority() const;
  // The Host header value: the port is left out when it is the scheme's default.
  std::string HostHeader() const;
  // scheme://authority, the key of an origin.
  std::string Origin() const;
  // The URL without userinfo: scheme://host[:port]/target, the absolute-form a proxy is sent.
  std::string AbsoluteForm() const;
};

// Parses an absolute http(s) URL. The fragment is dropped. kInvalidArgument for anything else
// (another scheme, no host, a bad port, malformed syntax), with the reason in the message.
core::Result<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace bedrock::http

#include "http/url.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace bedrock::http {
namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; });
  return out;
}

}  // namespace

std::string HttpUrl::Authority() const {
  bool v6 = host_is_ip && host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string HttpUrl::HostHeader() const {
  bool v6 = host_is_ip && host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  return has_default_port() ? h : h + ":" + std::to_string(port);
}

std::string HttpUrl::Origin() const { return scheme + "://" + Authority(); }

std::string HttpUrl::AbsoluteForm() const { return scheme + "://" + HostHeader() + target; }

core::Result<HttpUrl> ParseHttpUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return core::Error::InvalidArgument("malformed URL '{}': {}", text, parsed.error().message());
  }
  const boost::urls::url_view& u = *parsed;
  HttpUrl url;
  url.scheme = ToLower(u.scheme());
  if (url.scheme != "http" && url.scheme != "https") {
    return core::Error::InvalidArgument("URL '{}' is not http or https", text);
  }
  switch (u.host_type()) {
    case boost::urls::host_type::name:
      url.host = ToLower(u.host_address());
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      url.host = u.host_address();
      url.host_is_ip = true;
      break;
    default:
      return core::Error::InvalidArgument("URL '{}' has no usable host", text);
  }
  if (url.host.empty()) return core::Error::InvalidArgument("URL '{}' has no host", text);
  if (url.host.find_first_of(std::string_view("\0\r\n /\\", 6)) != std::string::npos) {
    return core::Error::InvalidArgument("URL '{}' has an invalid host", text);
  }
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0 || u.port().size() > 5) {
      return core::Error::InvalidArgument("URL '{}' has an invalid port", text);
    }
    url.port = u.port_number();
  } else {
    url.port = url.is_https() ? 443 : 80;
  }
  url.target = std::string(u.encoded_path());
  if (url.target.empty()) url.target = "/";
  if (url.target.front() != '/') {
    return core::Error::InvalidArgument("URL '{}' has a relative path", text);
  }
  if (u.has_query()) url.target += "?" + std::string(u.encoded_query());
  if (u.has_userinfo()) {
    url.user = u.user();
    url.password = u.password();
  }
  return url;
}

}  // namespace bedrock::http

#include "http/proxy.h"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>

#include "core/base64.h"

namespace bedrock::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

std::string_view StripTrailingDot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

std::optional<boost::asio::ip::address> ParseIp(std::string_view text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return address;
}

// Bytes of an address, IPv4-mapped IPv6 addresses reduced to IPv4 so both spellings compare equal.
std::vector<unsigned char> AddressBytes(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    auto v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    auto b = v4.to_bytes();
    return {b.begin(), b.end()};
  }
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  auto b = address.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

bool InCidr(const boost::asio::ip::address& host, std::string_view network, int prefix_bits) {
  auto net = ParseIp(network);
  if (!net) return false;
  auto a = AddressBytes(host), b = AddressBytes(*net);
  if (a.size() != b.size() || prefix_bits < 0 || size_t(prefix_bits) > a.size() * 8) return false;
  for (int bit = 0; bit < prefix_bits; ++bit) {
    unsigned mask = 0x80u >> (bit % 8);
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

// Splits "host:port", "[v6]:port", "[v6]" or a bare IPv6 literal into host and optional port.
void SplitHostPort(std::string_view entry, std::string_view& host, std::optional<uint16_t>& port) {
  host = entry;
  port.reset();
  std::string_view port_text;
  if (!entry.empty() && entry.front() == '[') {
    size_t close = entry.find(']');
    if (close == std::string_view::npos) return;
    host = entry.substr(1, close - 1);
    if (close + 1 < entry.size() && entry[close + 1] == ':') port_text = entry.substr(close + 2);
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    size_t colon = entry.find(':');
    host = entry.substr(0, colon);
    port_text = entry.substr(colon + 1);
  }
  if (!port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    int value = std::atoi(std::string(port_text).c_str());
    if (value > 0 && value <= 65535) port = static_cast<uint16_t>(value);
  }
}

bool EntryMatches(std::string_view entry, std::string_view host, uint16_t port,
                  const std::optional<boost::asio::ip::address>& host_ip) {
  if (entry == "*") return true;
  if (size_t slash = entry.find('/'); slash != std::string_view::npos) {
    if (!host_ip) return false;
    std::string_view bits = entry.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 ||
        !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    std::string_view network = entry.substr(0, slash);
    if (!network.empty() && network.front() == '[' && network.back() == ']') {
      network = network.substr(1, network.size() - 2);
    }
    return InCidr(*host_ip, network, std::atoi(std::string(bits).c_str()));
  }

  std::string_view entry_host;
  std::optional<uint16_t> entry_port;
  SplitHostPort(entry, entry_host, entry_port);
  if (entry_port && *entry_port != port) return false;

  if (auto entry_ip = ParseIp(entry_host)) {
    return host_ip && AddressBytes(*host_ip) == AddressBytes(*entry_ip);
  }
  if (host_ip) return false;

  if (entry_host.starts_with("*.")) {
    entry_host.remove_prefix(2);
  } else if (entry_host.starts_with(".")) {
    entry_host.remove_prefix(1);
  }
  std::string pattern = Lower(StripTrailingDot(entry_host));
  std::string name = Lower(StripTrailingDot(host));
  if (pattern.empty()) return false;
  if (name == pattern) return true;
  return name.size() > pattern.size() && name.ends_with(pattern) &&
         name[name.size() - pattern.size() - 1] == '.';
}

}  // namespace

ProxyConfig ProxyConfigFromEnvironment(const EnvGetter& getenv) {
  auto first = [&](std::string_view lower, std::string_view upper) -> std::string {
    if (auto v = getenv(lower)) return *v;
    if (auto v = getenv(upper)) return *v;
    return {};
  };
  return ProxyConfig{.http_proxy = first("http_proxy", "HTTP_PROXY"),
                     .https_proxy = first("https_proxy", "HTTPS_PROXY"),
                     .no_proxy = first("no_proxy", "NO_PROXY")};
}

ProxyConfig ProxyConfigFromEnvironment(const core::Env& env) {
  return ProxyConfigFromEnvironment([&env](std::string_view name) { return env.Get(name); });
}

ProxyConfig ProxyConfigFromProcessEnvironment() {
  core::SystemEnv env;
  return ProxyConfigFromEnvironment(env);
}

bool NoProxyMatches(std::string_view no_proxy, std::string_view host, uint16_t port) {
  if (!host.empty() && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto host_ip = ParseIp(host);
  while (!no_proxy.empty()) {
    size_t comma = no_proxy.find(',');
    std::string_view entry = Trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (!entry.empty() && EntryMatches(entry, host, port, host_ip)) return true;
  }
  return false;
}

core::Result<ProxyEndpoint> ParseProxyUrl(std::string_view text) {
  text = Trim(text);
  std::string with_scheme(text);
  if (text.find("://") == std::string_view::npos) with_scheme = "http://" + with_scheme;
  auto url = ParseHttpUrl(with_scheme);
  if (!url.ok()) return core::Error::InvalidArgument("invalid proxy URL '{}'", text);
  if (url->is_https()) {
    return core::Error::InvalidArgument("proxy URL '{}': only http:// proxies are supported", text);
  }
  if (auto parsed = boost::urls::parse_uri(with_scheme); parsed && !parsed->has_port()) {
    url->port = 1080;
  }
  ProxyEndpoint proxy{.url = std::move(*url), .authorization = {}};
  if (!proxy.url.user.empty() || !proxy.url.password.empty()) {
    proxy.authorization = "Basic " + core::Base64Encode(proxy.url.user + ":" + proxy.url.password);
  }
  proxy.url.user.clear();
  proxy.url.password.clear();
  proxy.url.target = "/";
  return proxy;
}

core::Result<std::optional<ProxyEndpoint>> SelectProxy(const ProxyConfig& config,
                                                       const HttpUrl& target) {
  const std::string& proxy_url = target.is_https() ? config.https_proxy : config.http_proxy;
  if (Trim(proxy_url).empty()) return std::optional<ProxyEndpoint>();
  if (NoProxyMatches(config.no_proxy, target.host, target.port)) {
    return std::optional<ProxyEndpoint>();
  }
  auto proxy = ParseProxyUrl(proxy_url);
  if (!proxy.ok()) return std::move(proxy).error();
  return std::optional<ProxyEndpoint>(std::move(*proxy));
}

}  // namespace bedrock::http

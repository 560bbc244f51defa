#include "mcp/request_state.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/base64.h"

namespace bedrock::mcp {
namespace json = boost::json;

namespace {

// "v1.<base64 payload>.<base64 HMAC-SHA256 of 'v1.<base64 payload>'>"
constexpr std::string_view kPrefix = "v1.";

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    // OpenSSL's DRBG seeds from the kernel; failing here means the process cannot make keys at all.
    std::abort();
  }
  return bytes;
}

int64_t MillisSinceEpoch(core::Clock::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string NewRequestStateSecret() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : RandomBytes(32)) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

RequestStateCodec::RequestStateCodec(std::string secret, std::chrono::milliseconds ttl,
                                     const core::Clock& clock)
    : key_(secret.empty() ? RandomBytes(32) : std::move(secret)), ttl_(ttl), clock_(clock) {}

std::string RequestStateCodec::Mac(std::string_view data) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string RequestStateCodec::Seal(const RequestStateBinding& binding,
                                    const json::object& payload) const {
  json::object body;
  body["m"] = binding.method;
  body["n"] = binding.name;
  body["p"] = binding.principal;
  body["e"] = MillisSinceEpoch(clock_.Now()) + ttl_.count();
  body["d"] = payload;
  std::string signed_part = std::string(kPrefix) + core::Base64Encode(json::serialize(body));
  return signed_part + "." + core::Base64Encode(Mac(signed_part));
}

core::Result<json::object> RequestStateCodec::Open(std::string_view state,
                                                   const RequestStateBinding& binding) const {
  auto invalid = [](std::string_view why) {
    return core::Error::InvalidArgument("invalid requestState: {}", why);
  };
  if (state.substr(0, kPrefix.size()) != kPrefix) return invalid("unknown format");
  size_t dot = state.rfind('.');
  if (dot == std::string_view::npos || dot < kPrefix.size()) return invalid("unknown format");
  std::string_view signed_part = state.substr(0, dot);
  auto mac = core::Base64Decode(state.substr(dot + 1));
  std::string expected = Mac(signed_part);
  if (!mac || mac->size() != expected.size() ||
      CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
    return invalid("the signature does not verify (tampered, or sealed by another server)");
  }
  // Authentic from here on: it is ours, so a parse failure is a bug, still answered as invalid.
  auto text = core::Base64Decode(signed_part.substr(kPrefix.size()));
  if (!text) return invalid("unknown format");
  boost::system::error_code ec;
  json::value parsed = json::parse(*text, ec);
  json::object* body = ec ? nullptr : parsed.if_object();
  if (body == nullptr) return invalid("unknown format");
  auto field = [&](std::string_view key) -> std::string_view {
    const json::value* v = body->if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
  };
  if (field("m") != binding.method || field("n") != binding.name) {
    return invalid("it belongs to another request");
  }
  if (field("p") != binding.principal) return invalid("it belongs to another principal");
  const json::value* expiry = body->if_contains("e");
  if (expiry == nullptr || !expiry->is_int64() ||
      expiry->get_int64() <= MillisSinceEpoch(clock_.Now())) {
    return invalid("it has expired");
  }
  json::value* data = body->if_contains("d");
  if (data == nullptr || !data->is_object()) return invalid("unknown format");
  return std::move(data->get_object());
}

}  // namespace bedrock::mcp

#include "gateway/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace bedrock::gateway {

Authenticator::Digest Sha256(std::string_view text) {
  Authenticator::Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

bool DigestsEqual(const Authenticator::Digest& a, const Authenticator::Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ValidUserId(std::string_view user_id, size_t max_bytes) {
  if (user_id.empty() || user_id.size() > max_bytes) return false;
  if (user_id.front() == ' ' || user_id.back() == ' ') return false;
  for (unsigned char c : user_id) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Authenticator::Authenticator(const AuthConfig& config, DigestEquals equals)
    : allow_unauthenticated_(config.allow_unauthenticated),
      max_user_id_bytes_(config.max_user_id_bytes),
      equals_(equals ? std::move(equals) : DigestEquals(DigestsEqual)) {
  for (const auto& key : config.keys) {
    Key entry{Sha256(key.key), key.user, key.name, {}};
    static constexpr char kHex[] = "0123456789abcdef";
    entry.derived_user = "key-";
    for (int i = 0; i < 8; ++i) {
      entry.derived_user += kHex[entry.digest[i] >> 4];
      entry.derived_user += kHex[entry.digest[i] & 15];
    }
    keys_.push_back(std::move(entry));
  }
}

core::Result<Principal> Authenticator::UserFromHeader(const http::Headers& headers,
                                                      std::string fallback) const {
  auto header = headers.Get("X-User-ID");
  if (!header) return Principal{std::move(fallback), false, {}};
  if (!ValidUserId(*header, max_user_id_bytes_)) {
    return core::Error::InvalidArgument("X-User-ID must be 1 to {} printable ASCII characters",
                                        max_user_id_bytes_);
  }
  return Principal{std::string(*header), false, {}};
}

core::Result<Principal> Authenticator::Authenticate(const http::Headers& headers) const {
  if (open()) return UserFromHeader(headers, "anonymous");
  auto authorization = headers.Get("Authorization");
  if (!authorization) return core::Error::Unauthenticated("{}", kNotAuthenticated);
  std::string_view value = *authorization;
  auto space = value.find(' ');
  if (space == std::string_view::npos ||
      !http::EqualsIgnoreCase(value.substr(0, space), "bearer")) {
    return core::Error::Unauthenticated("{}", kInvalidScheme);
  }
  std::string_view token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return core::Error::Unauthenticated("{}", kInvalidScheme);

  // Every key is compared, whatever matched before: the time taken does not depend on which key
  // (if any) matches.
  const Digest presented = Sha256(token);
  const Key* match = nullptr;
  for (const auto& key : keys_) {
    bool equal = equals_(presented, key.digest);
    if (equal && match == nullptr) match = &key;
  }
  if (match == nullptr) return core::Error::Unauthenticated("{}", kInvalidKey);
  if (match->user) return Principal{*match->user, true, match->name};
  auto principal = BEDROCK_TRY(UserFromHeader(headers, match->derived_user));
  principal.key_name = match->name;
  return principal;
}

}  // namespace bedrock::gateway

// API-key authentication and user identity for every gateway endpoint.
//
//   gateway::Authenticator auth(config.auth);
//   auto principal = auth.Authenticate(request.headers);
//   if (!principal.ok()) return ErrorResponse(principal.error());   // 401 / 403 / 400
//   principal->user_id;   // whose servers and history this request may touch
//
// `Authorization: Bearer <key>` is compared with every configured key in constant time (SHA-256 of
// both sides compared with CRYPTO_memcmp, and no early exit, so neither the position of the
// matching key nor a key's length shows in the timing). Keys are never logged or echoed.
//
// Identity: a key bound to a user makes that the user whatever X-User-ID says. A shared key takes
// the user from X-User-ID (trusted front ends, the demo's behaviour); without the header the user
// is derived from the key ("key-" + 16 hex digits of its SHA-256), so all such clients share one
// user, as in the demo, but the key itself is never stored as a user id.
//
// Thread-safety: immutable after construction; Authenticate may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gateway/config.h"
#include "http/message.h"

namespace bedrock::gateway {

struct Principal {
  std::string user_id;
  bool bound = false;    // the key fixes the user
  std::string key_name;  // the key's label, for logs ("API_KEY", "key #2"); empty: no auth
};

// Why authentication failed, in the demo's words; the message of the returned Error.
inline constexpr std::string_view kNotAuthenticated = "Not authenticated";
inline constexpr std::string_view kInvalidScheme = "Invalid authentication credentials";
inline constexpr std::string_view kInvalidKey = "Could not validate credentials";

class Authenticator {
 public:
  using Digest = std::array<uint8_t, 32>;
  // Compares two digests; must not exit early. Replaceable so tests can observe the calls.
  using DigestEquals = std::function<bool(const Digest&, const Digest&)>;

  explicit Authenticator(const AuthConfig& config, DigestEquals equals = {});

  // The principal for a request's headers. Errors: kUnauthenticated with kNotAuthenticated (no
  // Authorization header), kInvalidScheme (not "Bearer <token>") or kInvalidKey (no key
  // matches); kInvalidArgument for an X-User-ID that is empty, too long or not printable ASCII.
  core::Result<Principal> Authenticate(const http::Headers& headers) const;

  // No keys and allow_unauthenticated: every request is let in (users from X-User-ID, else
  // "anonymous").
  bool open() const { return keys_.empty() && allow_unauthenticated_; }

 private:
  struct Key {
    Digest digest;
    std::optional<std::string> user;
    std::string name;
    std::string derived_user;  // for a shared key without X-User-ID
  };

  core::Result<Principal> UserFromHeader(const http::Headers& headers, std::string fallback) const;

  std::vector<Key> keys_;
  bool allow_unauthenticated_;
  size_t max_user_id_bytes_;
  DigestEquals equals_;
};

// SHA-256 of `text`.
Authenticator::Digest Sha256(std::string_view text);
// Constant-time equality of two digests (CRYPTO_memcmp).
bool DigestsEqual(const Authenticator::Digest& a, const Authenticator::Digest& b);

// Whether `user_id` is acceptable: 1..max_bytes of printable ASCII without spaces at the ends.
bool ValidUserId(std::string_view user_id, size_t max_bytes);

}  // namespace bedrock::gateway

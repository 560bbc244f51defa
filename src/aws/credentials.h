// AWS credentials as a value: what a signer needs and what a provider produces.
//
//   aws::Credentials creds{.access_key_id = "AKID...", .secret_access_key = "..."};
//   if (creds.ExpiresWithin(now, std::chrono::minutes(5))) refresh();
//
// Thread-safety: plain value type; const methods may be called concurrently.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace bedrock::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;

  bool HasSessionToken() const { return !session_token.empty(); }
  bool Empty() const { return access_key_id.empty() || secret_access_key.empty(); }

  // True when the credentials have an expiration that falls within `margin` of `now` (or is past).
  bool ExpiresWithin(std::chrono::system_clock::time_point now,
                     std::chrono::system_clock::duration margin) const {
    return expiration.has_value() && *expiration - margin <= now;
  }

  bool operator==(const Credentials&) const = default;
};

}  // namespace bedrock::aws

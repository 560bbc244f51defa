// The SSO access token of an `sso-session`, refreshed as the AWS SDKs refresh it: `aws sso login`
// caches the token together with a refresh token and the OIDC client that obtained it; when the
// token expires within 5 minutes, the SDKs call SSO OIDC CreateToken (grant refresh_token) and
// write the new token back to the same cache file.
//
//   auto token = co_await aws::LoadSsoToken(context, request);   // fresh, refreshed or an error
//   // then GetRoleCredentials with token->access_token (credential_providers.h)
//
// Wire: POST https://oidc.{sso_region}.amazonaws.com/token (or AWS_ENDPOINT_URL_SSO_OIDC / the
// profile's endpoint configuration), unsigned, JSON {"clientId", "clientSecret", "grantType":
// "refresh_token", "refreshToken"} -> {"accessToken", "expiresIn" (seconds), "refreshToken",
// "tokenType"}. Legacy profiles (sso_start_url without an sso-session) have no refresh token: their
// token is used until it expires.
//
// What happens when (as in @aws-sdk/token-providers):
//   - the token expires in more than 5 minutes: used as is, no call;
//   - it is inside that window and refreshable: refreshed; if the refresh fails while the old
//     token is still valid, the old one is used; otherwise the refresh's error (kUnauthenticated,
//     naming `aws sso login`);
//   - not refreshable (no refresh token or client, or the client registration has expired): used
//     while valid, else kUnauthenticated asking for `aws sso login`.
//
// Thread-safety: free functions; concurrent refreshes of one cache file each write a complete file
// (written to a temporary name, then renamed), the last one wins.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credential_providers.h"
#include "aws/shared_config.h"
#include "core/result.h"

namespace bedrock::aws {

// Everything `aws sso login` caches for an sso-session.
struct SsoTokenCacheEntry {
  SsoToken token;
  std::string refresh_token;
  std::string client_id;
  std::string client_secret;
  std::optional<std::chrono::system_clock::time_point> registration_expires_at;
  std::string region;       // the OIDC region recorded by the CLI
  std::string start_url;    // recorded by the CLI
  boost::json::object raw;  // the whole file, so that writing it back keeps unknown members

  // A refresh token and a client to use it with.
  bool Refreshable() const {
    return !refresh_token.empty() && !client_id.empty() && !client_secret.empty();
  }
};

// Parses a cache file; kInvalidArgument as ParseSsoTokenCache.
core::Result<SsoTokenCacheEntry> ParseSsoTokenCacheEntry(std::string_view json);
// The file's JSON with the entry's token, expiry (RFC 3339 with milliseconds, as the JS SDK writes
// it) and refresh token.
std::string SerializeSsoTokenCacheEntry(const SsoTokenCacheEntry& entry);

// CreateToken's answer: {"accessToken", "expiresIn", "refreshToken"?}, applied to `entry` at `now`
// (a missing refreshToken keeps the old one). kUpstreamFailure for another shape.
core::Result<SsoTokenCacheEntry> ApplyCreateTokenResponse(
    SsoTokenCacheEntry entry, std::string_view json, std::chrono::system_clock::time_point now);

struct SsoTokenRequest {
  std::string cache_path;    // <cache dir>/<sha1 of key>.json: where a refreshed token is written
  std::string cache_text;    // that file's contents, as read by the caller
  std::string key;           // the sso-session name, or the start URL of a legacy profile
  std::string login_hint;    // "aws sso login --sso-session corp", shown in errors
  std::string sso_region;    // the OIDC region (from the sso-session section)
  bool refreshable = false;  // sso-session profiles only
  ProfileSet profiles;       // for the OIDC endpoint configuration
  std::string profile_name;
};

// The token to use now (see the file comment). Takes its arguments by value (coroutine-safe).
boost::asio::awaitable<core::Result<SsoToken>> LoadSsoToken(ProviderContext context,
                                                            SsoTokenRequest request);

}  // namespace bedrock::aws

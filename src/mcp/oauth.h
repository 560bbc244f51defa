// The client side of MCP authorization (spec 2025-11-25, basic/authorization): OAuth 2.1 with
// protected resource metadata discovery (RFC 9728), authorization server metadata (RFC 8414, with
// the OpenID Connect fallbacks in the spec's order), client registration (pre-registered, client
// ID metadata documents, or dynamic client registration per RFC 7591), the authorization code
// grant with PKCE S256, resource indicators (RFC 8707), scope selection and step-up from
// WWW-Authenticate, token refresh, and the 2025-03-26 fallbacks for servers without protected
// resource metadata. With pre-registered credentials and an authorization server that offers only
// the client credentials grant, that grant is used instead (the MCP client credentials extension),
// authenticated by secret or by a signed JWT assertion.
// Revision 2026-07-28 additions: the authorization response's `iss` is checked against the
// recorded issuer (RFC 9207; required when the server advertises it); `offline_access` is asked
// for when the authorization server lists it (SEP-2207); and since client credentials belong to
// the authorization server that issued them (SEP-2352), a rejected token makes the client read the
// resource's metadata again and, when it names another authorization server, register there anew
// instead of presenting the old client ID or refresh token.
//
//   mcp::OAuthOptions oauth;
//   oauth.redirect_uri = "http://127.0.0.1:8976/callback";
//   oauth.authorize = [](std::string url) -> mcp::Awaitable<core::Result<std::string>> {
//     ... open `url` in a browser, wait for the redirect, co_return the redirect URL ...
//   };
//   auto provider = mcp::CreateOAuthClient(http_client, "https://host/mcp", std::move(oauth));
//   transport_options.auth = provider;   // see mcp/auth.h
//
// The user-agent leg (the browser visiting the authorization endpoint) is a callback: it receives
// the authorization URL and returns the URL the authorization server redirected to, carrying
// `code` and `state`. Everything else is done here over `http_client`.
//
// Tokens live in memory only. Thread-safety: an OAuth client belongs to one executor (its
// transport's); the pure helpers below are reentrant.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/client.h"
#include "mcp/auth.h"

namespace bedrock::mcp {

// Returns the URL the authorization server redirected the user agent to (with code and state), or
// an error when the user declined or the flow could not be completed.
using AuthorizationRedirect =
    std::function<boost::asio::awaitable<core::Result<std::string>>(std::string authorize_url)>;

// Not an aggregate: see SendOptions in transport.h.
struct OAuthOptions {
  OAuthOptions() {}

  // Where the authorization server sends the user agent back; registered with the client.
  std::string redirect_uri = "http://127.0.0.1:8976/callback";
  std::string client_name = "bedrock-mcp";
  // Pre-registered credentials; when client_id is set, no registration is attempted.
  std::string client_id;
  std::string client_secret;
  // private_key_jwt client authentication (RFC 7523): a PEM EC P-256 private key that signs an
  // ES256 client assertion. Used instead of client_secret when set.
  std::string client_private_key_pem;
  // Grants without a user, used when the authorization server offers the RFC 7523 JWT bearer grant:
  // a workload identity token to present as the assertion (SEP-1933), or an identity provider's
  // ID token to exchange there first (RFC 8693) for an identity assertion grant (ID-JAG,
  // enterprise-managed authorization, SEP-990).
  std::string jwt_bearer_assertion;
  std::string idp_token_endpoint;
  std::string idp_id_token;
  std::string idp_client_id;
  // An HTTPS URL naming our client ID metadata document; used as client_id when the authorization
  // server advertises client_id_metadata_document_supported.
  std::string client_metadata_url;
  // Scopes to request instead of the ones the spec's selection strategy picks.
  std::string scope;
  AuthorizationRedirect authorize;
  // Authorization flows one request may trigger before it fails (401, then 403 step-ups).
  int max_attempts = 3;
  std::chrono::milliseconds request_timeout{30'000};
  // Refresh a token this long before it expires.
  std::chrono::seconds refresh_margin{30};
  std::string peer_name = "server";
};

// --- Building blocks (pure, tested on their own). ---

// One challenge of a WWW-Authenticate header (RFC 9110 §11.6.1): the scheme and its parameters
// (names lower-cased, quoted values unescaped). A token68 is stored under the empty name.
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
std::vector<AuthChallenge> ParseWwwAuthenticate(std::string_view header);

// The Bearer challenge's parameters (resource_metadata, scope, error, ...), if there is one.
std::optional<std::map<std::string, std::string>> BearerChallengeParams(std::string_view header);

// Where to look for protected resource metadata when the challenge names none: the path-based
// well-known URL for the server's path, then the root one.
std::vector<std::string> ProtectedResourceMetadataUrls(std::string_view server_url);

// Where to look for an issuer's metadata, in the spec's order: RFC 8414 path insertion, OpenID
// Connect path insertion, OpenID Connect path appending (just the two root documents when the
// issuer has no path).
std::vector<std::string> AuthorizationServerMetadataUrls(std::string_view issuer);

// Whether a protected resource identifier covers `server_url` (same origin; the resource's path
// is the server's path or a parent of it), as RFC 9728 §3.3 requires before trusting its metadata.
bool ResourceCoversServer(std::string_view resource, std::string_view server_url);

// The canonical URI of an MCP server for the `resource` parameter when no metadata names one:
// lower-case scheme and host, no fragment, no trailing slash.
std::string CanonicalResourceUri(std::string_view server_url);

// base64url(SHA-256(verifier)) without padding (RFC 7636 S256).
std::string PkceS256Challenge(std::string_view verifier);

// application/x-www-form-urlencoded body from ordered pairs.
std::string FormUrlEncode(const std::vector<std::pair<std::string, std::string>>& fields);

struct ProtectedResourceMetadata {
  std::string resource;
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes_supported;
};
core::Result<ProtectedResourceMetadata> ParseProtectedResourceMetadata(std::string_view json);

struct AuthorizationServerMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string registration_endpoint;
  std::vector<std::string> scopes_supported;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> code_challenge_methods_supported;
  bool client_id_metadata_document_supported = false;
  bool authorization_response_iss_parameter_supported = false;
};
core::Result<AuthorizationServerMetadata> ParseAuthorizationServerMetadata(std::string_view json);

// --- The provider. ---

class OAuthClient : public AuthProvider {
 public:
  // The access token in use, empty before the first authorization.
  virtual const std::string& access_token() const = 0;
  // Scopes granted (or requested, when the server did not say) for the current token.
  virtual const std::vector<std::string>& granted_scopes() const = 0;
};

std::shared_ptr<OAuthClient> CreateOAuthClient(http::Client http_client, std::string server_url,
                                               OAuthOptions options);

}  // namespace bedrock::mcp

// What an HTTP client transport asks when a server wants credentials: the Authorization header to
// send, and what to do when the server answers 401 or 403 with a WWW-Authenticate challenge.
//
//   mcp::StreamableHttpClientOptions options;
//   options.auth = mcp::CreateOAuthClient(http_client, url, std::move(oauth_options));
//
// The transport calls Prepare() before each POST (a provider may refresh an expiring token there),
// sends Authorization() when it is not empty, and on 401/403 calls HandleChallenge(); when that
// succeeds it sends the same request again with the new header. `attempt` counts the challenges
// already handled for this one request, so a provider can give up instead of looping (the spec's
// "retry limit" for step-up authorization).
//
// Thread-safety: a provider belongs to its transport's executor; call it from there only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bedrock::mcp {

class AuthProvider {
 public:
  virtual ~AuthProvider() = default;

  // The Authorization header value ("Bearer ..."), or empty to send none.
  virtual std::string Authorization() const = 0;

  // Called before each request; refreshes a token that is about to expire. An error fails the
  // request.
  virtual boost::asio::awaitable<core::Status> Prepare() = 0;

  // The server answered `status` (401 or 403) with this WWW-Authenticate header (possibly empty).
  // Obtain credentials that should satisfy it; an error means the request fails with that error.
  virtual boost::asio::awaitable<core::Status> HandleChallenge(int status,
                                                               std::string www_authenticate,
                                                               int attempt) = 0;
};

}  // namespace bedrock::mcp

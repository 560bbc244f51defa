// The user-agent leg of an interactive OAuth authorization for the `mcp` CLI (RFC 8252 §7.3): a
// loopback listener for the authorization server's redirect, and the mcp::AuthorizationRedirect
// callback that prints the authorization URL and waits there for the browser.
//
//   BEDROCK_TRY_ASSIGN(auto listener, RedirectListener::Open(io.get_executor()));
//   oauth.redirect_uri = listener->redirect_uri();      // http://127.0.0.1:<port>/callback
//   oauth.authorize = listener->Authorizer(timeout);    // prints "authorize: <url>" on stderr
//
// The listener answers the one request to /callback (any other path gets 404) and hands its full
// URL, with `code` and `state`, to the OAuth client, which checks them.
// Thread-safety: lives on the executor it was opened on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"
#include "mcp/oauth.h"

namespace bedrock::app {

class RedirectListener : public std::enable_shared_from_this<RedirectListener> {
 public:
  // Binds 127.0.0.1:`port` (0: any free port).
  static core::Result<std::shared_ptr<RedirectListener>> Open(boost::asio::any_io_executor executor,
                                                              uint16_t port = 0);
  ~RedirectListener();

  std::string redirect_uri() const;
  // Prints the URL to open and waits up to `timeout` for the redirect to arrive.
  mcp::AuthorizationRedirect Authorizer(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit RedirectListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bedrock::app

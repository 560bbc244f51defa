// The gateway's HTTP API, except chat: the demo's endpoints with its exact paths, fields and reply
// shapes (../shared/reference/demo-api.md §2-4), OpenAI's GET /v1/models, authentication, CORS
// and the error format. The chat endpoint builds on WithUser / ErrorResponse.
//
//   gateway::Api api(config, authenticator, users);
//   api.AddRoutes(router);
//   router.Post("/v1/chat/completions", api.WithUser(ChatHandler));   // auth, CORS, user set up
//
// Status codes (decided for the demo's web UI, which reads `errno` and shows `msg`):
//  - MCP server management outcomes (added, duplicate id, not allowed by policy, cannot connect,
//    not found) are HTTP 200 with {"errno": 0 | -1, "msg", "data"}, exactly as the demo.
//  - Requests that are malformed are real HTTP errors whose JSON body also carries errno/msg:
//    400 (body is not JSON, bad X-User-ID), 422 (a field of the wrong type), 413 (body over
//    limits.max_request_bytes).
//  - Authentication: 401 with `WWW-Authenticate: Bearer` (or 403, the demo's status, with
//    auth.failure_status) and the demo's {"detail": ...} texts.
// Every error body: {"detail": msg, "errno": <status>, "msg": msg, "data": {},
//                    "error": {"message": msg, "type": <code name>, "code": <code name>}}
// so FastAPI-style, demo-style and OpenAI-style clients all find what they look for.
//
// Thread-safety: handlers run concurrently on the server's threads; Api is immutable after
// construction apart from what UserRegistry synchronises.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "gateway/auth.h"
#include "gateway/config.h"
#include "gateway/users.h"
#include "http/handler.h"
#include "http/router.h"

namespace bedrock::gateway {

// An error reply in the gateway's format (see above) with the HTTP status mapped from the code.
http::Response ErrorResponse(const core::Error& error);
// The same with an explicit status (and errno).
http::Response ErrorResponse(int status, const core::Error& error);
// A demo management reply: HTTP 200 {"errno": errno, "msg": msg, "data": data}.
http::Response DemoReply(int errno_value, std::string_view msg,
                         boost::json::object data = boost::json::object());

// Server-side names for a server's tools, the demo's way: "<server>___<tool>" with '-', '/' and
// ':' replaced by '_'. (Shown in the add reply; the agent keeps its own reversible mapping.)
std::string DemoToolName(std::string_view server_id, std::string_view tool_name);

// Whether `id` is acceptable as a server id: 1 to 64 of [A-Za-z0-9_.-].
bool ValidServerId(std::string_view id);

class Api {
 public:
  using AuthedHandler = std::function<boost::asio::awaitable<http::Response>(
      http::RequestContext& context, const Principal& principal)>;
  using UserHandler = std::function<boost::asio::awaitable<http::Response>(
      http::RequestContext& context, const Principal& principal,
      std::shared_ptr<UserSession> user)>;

  Api(const GatewayConfig& config, const Authenticator& authenticator, UserRegistry& users);

  // GET /v1/list/models, GET /v1/models, GET /v1/list/mcp_server, POST /v1/add/mcp_server,
  // DELETE /v1/remove/mcp_server/{server_id}, POST /v1/remove/history, and OPTIONS (CORS
  // preflight) for those paths and for /v1/chat/completions and /v1/stop/stream/{stream_id}
  // (the chat handler registers only their POST).
  void AddRoutes(http::Router& router) const;
  // Answers CORS preflight (OPTIONS, no key needed) for one more route pattern.
  void AddPreflight(http::Router& router, std::string_view pattern) const;

  // Authentication, CORS headers, and the error format around `handler`.
  http::Handler WithAuth(AuthedHandler handler) const;
  // WithAuth, then the user's session (set up exactly once) for the handler.
  http::Handler WithUser(UserHandler handler) const;

  // Adds the CORS headers `request`'s Origin earns to `response`.
  void ApplyCors(const http::Request& request, http::Response& response) const;

 private:
  boost::asio::awaitable<http::Response> ListModels(http::RequestContext& context) const;
  boost::asio::awaitable<http::Response> OpenAiModels(http::RequestContext& context) const;
  boost::asio::awaitable<http::Response> ListServers(std::shared_ptr<UserSession> user) const;
  boost::asio::awaitable<http::Response> AddServer(http::RequestContext& context,
                                                   std::shared_ptr<UserSession> user) const;
  boost::asio::awaitable<http::Response> RemoveServer(http::RequestContext& context,
                                                      std::shared_ptr<UserSession> user) const;
  boost::asio::awaitable<http::Response> RemoveHistory(http::RequestContext& context,
                                                       std::shared_ptr<UserSession> user) const;
  http::Response Preflight(const http::Request& request) const;
  bool OriginAllowed(std::string_view origin) const;

  const GatewayConfig& config_;
  const Authenticator& authenticator_;
  UserRegistry& users_;
};

}  // namespace bedrock::gateway

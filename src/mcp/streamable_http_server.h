// The Streamable HTTP server transport (MCP 2025-03-26 and later): one endpoint ("/mcp") that takes
// JSON-RPC messages by POST, answers requests with JSON or an SSE stream, serves a standalone GET
// stream for server-initiated messages, and ends sessions on DELETE.
//
//   mcp::Server server(mcp::Implementation("demo", "1.0"));
//   mcp::StreamableHttpServer endpoint(server, session_io.get_executor());
//   http::Router router;
//   endpoint.Mount(router);                       // POST/GET/DELETE /mcp
//   http::Server http_server(http_options, std::move(router));
//   ...
//   endpoint.CloseAll();                          // before the http::Server stops
//
// Sessions: initialize (without an Mcp-Session-Id) creates one with a random id sent back in the
// Mcp-Session-Id header; every later request must carry it (400 without, 404 when unknown or
// expired). Each session's mcp::ServerSession lives on its own strand of the given executor; a
// 2026-07-28 request's one-request session lives on a strand of the HTTP thread serving it.
//
// A POSTed request is answered as JSON when the handler sends nothing before its answer and the
// client accepts application/json; otherwise (or with prefer_sse) as text/event-stream carrying the
// related notifications and server-to-client requests, then the answer. SSE events carry ids
// ("<stream>:<seq>"); a GET with Last-Event-ID replays what a dropped stream missed (bounded
// buffer).
//
// Thread-safety: every member may be called from any thread. The HTTP handlers run on the
// http::Server's threads and hand messages to the sessions' strands by posting.
// Lifetime: the mcp::Server and the executor must outlive this object; the http::Server (whose
// Router holds handlers referring to this object) must be stopped before it is destroyed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/handler.h"
#include "http/router.h"
#include "mcp/server.h"

namespace bedrock::mcp {

struct StreamableHttpServerOptions {
  StreamableHttpServerOptions() {}

  std::string path = "/mcp";
  // Answer every request with an SSE stream, even when JSON would do.
  bool prefer_sse = false;
  // Serve GET (the standalone server-to-client stream and resumption); false answers 405.
  bool enable_get_stream = true;
  // Origins allowed to call (exact "scheme://host[:port]", or "*"). Requests without an Origin
  // header are allowed. Empty: only localhost, 127.0.0.1 and [::1] on any port (DNS rebinding
  // protection for a local server). Others get 403.
  std::vector<std::string> allowed_origins;
  // Host names (without the port) the Host header may name, compared case-insensitively; "*"
  // allows any. Empty: no Host check. A server bound to loopback should allow only
  // LoopbackHostNames(): a DNS-rebinding page reaches it under the attacker's name, and browsers
  // omit Origin on same-origin GETs, so the Origin check alone does not cover them. Others: 403.
  std::vector<std::string> allowed_hosts;
  // Called for every request before anything else: the authenticated principal, or an error
  // (kUnauthenticated → 401 with WWW-Authenticate: Bearer, kPermissionDenied → 403).
  std::function<core::Result<std::string>(const http::Request&)> authenticate;
  // Sessions idle (no request, no open stream) for this long are closed; 0: never.
  std::chrono::milliseconds session_idle_timeout{std::chrono::minutes(30)};
  // A POST body over this is answered with 413.
  size_t max_message_bytes = 4u << 20;
  // Events kept per stream for Last-Event-ID replay.
  size_t replay_events = 256;
  // A client disconnecting from a POST stream cancels the requests it was waiting for (sends the
  // session notifications/cancelled). False keeps them running for resumption.
  bool cancel_on_disconnect = true;
  // When set, every SSE stream starts with a priming event (id, empty data, retry: this).
  std::optional<int> sse_retry_ms;
  // The 2024-11-05 HTTP+SSE transport beside it (Mount adds GET legacy_sse_path, whose first
  // event names "<legacy_messages_path>?sessionId=<id>" for the client's POSTs; answers travel on
  // the SSE stream and the session ends with it). Empty: not served.
  std::string legacy_sse_path = "/sse";
  std::string legacy_messages_path = "/messages";
};

// localhost, 127.0.0.1 and [::1]: the names a loopback-bound server is reached by.
std::vector<std::string> LoopbackHostNames();

// A bearer-token check for StreamableHttpServerOptions::authenticate (constant-time compare).
std::function<core::Result<std::string>(const http::Request&)> BearerTokenAuthenticator(
    std::string token, std::string principal = "bearer");

class StreamableHttpServer {
 public:
  StreamableHttpServer(Server& server, boost::asio::any_io_executor executor,
                       StreamableHttpServerOptions options = {});
  // Closes every session.
  ~StreamableHttpServer();
  StreamableHttpServer(const StreamableHttpServer&) = delete;
  StreamableHttpServer& operator=(const StreamableHttpServer&) = delete;

  // Adds POST, GET and DELETE routes at options.path, and the legacy routes when configured.
  void Mount(http::Router& router);
  // The handler behind those routes (dispatches on the method).
  http::Handler handler();

  size_t session_count() const;
  // Closes every session: their streams end and later requests with their ids get 404.
  void CloseAll();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bedrock::mcp

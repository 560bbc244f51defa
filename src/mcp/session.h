// The JSON-RPC session engine shared by the MCP client and server: id correlation, concurrent
// outstanding requests, timeouts that cancel on the peer, cancellation and progress both ways,
// ping, and failing every pending call at once when the peer goes away.
//
//   auto session = mcp::Session::Create(transport, {.peer_name = "server 'fs'"});
//   session->SetRequestHandler("tools/call", [](json::value params, mcp::RequestContext& ctx)
//       -> mcp::Awaitable<mcp::Reply> { co_return json::object{{"content", json::array{}}}; });
//   session->Start();
//   auto result = co_await session->Call("tools/list", json::object{}, mcp::CallOptions(5s));
//
// g++ 12 miscompiles aggregate temporaries in co_await arguments: build Request, Notification and
// other aggregates in named variables before co_await-ing a call that takes them.
//
// The session knows nothing of MCP's lifecycle (initialize) or features; Client and Server build
// on it. Per-message context (MessageContext) reaches handlers unchanged, so stateless requests
// (one transport per HTTP request) need no other machinery.
//
// Thread-safety: a session lives on its transport's executor; call every member from it.
// Handlers are registered before Start() and not changed afterwards.
// Lifetime: the session is shared; its reader loop and running handlers keep it alive until the
// transport closes.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "mcp/jsonrpc.h"
#include "mcp/transport.h"

namespace bedrock::mcp {

class Session;

// A handler's answer: a result object or an error. Converts from what handlers naturally have.
struct Reply {
  Reply(boost::json::value value) : result(std::move(value)) {}    // NOLINT: implicit by design
  Reply(boost::json::object value) : result(std::move(value)) {}   // NOLINT
  Reply(core::Error error) : error(RpcError::FromError(error)) {}  // NOLINT
  Reply(RpcError error) : error(std::move(error)) {}               // NOLINT
  Reply(core::Result<boost::json::value> value) {                  // NOLINT
    if (value.ok()) {
      result = std::move(value).value();
    } else {
      error = RpcError::FromError(value.error());
    }
  }

  boost::json::value result;
  std::optional<RpcError> error;
};

// Not an aggregate: see SendOptions.
struct CallOptions {
  CallOptions() {}
  explicit CallOptions(std::chrono::milliseconds call_timeout) : timeout(call_timeout) {}

  // How long to wait for the answer; on expiry the peer is sent notifications/cancelled and the
  // call fails with kDeadlineExceeded. Unset: the session's default_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  // Receives the params of each notifications/progress for this call. Setting it adds
  // `_meta.progressToken` to the request.
  std::function<void(const boost::json::object& progress)> on_progress;
  // Restart the timeout whenever progress arrives (bounded by max_total_timeout when set).
  bool reset_timeout_on_progress = false;
  std::optional<std::chrono::milliseconds> max_total_timeout;
  // Routing for transports with several streams (set by RequestContext::Call).
  SendOptions send;
};

// What a request handler gets besides its params. Valid until the handler's coroutine finishes.
class RequestContext {
 public:
  // A context for work that outlives its request (a task of the tasks extension, answered long
  // after the request was): no session, so Notify and Call fail with kFailedPrecondition and
  // NotifyProgress does nothing; cancelled() turns true with MarkCancelled.
  static std::shared_ptr<RequestContext> Detached(RequestId id, std::string method,
                                                  std::shared_ptr<const MessageContext> context);
  void MarkCancelled() { cancelled_ = true; }

  const RequestId& id() const { return id_; }
  const std::string& method() const { return method_; }
  // The carrying transport's context (HTTP headers, principal); null for stdio.
  const MessageContext* message_context() const { return context_.get(); }
  // `_meta.progressToken` of the request; null when the peer did not ask for progress.
  const boost::json::value& progress_token() const { return progress_token_; }
  // The peer sent notifications/cancelled for this request (or the connection closed). The
  // handler's pending asynchronous operations are cancelled as well; its answer is dropped.
  bool cancelled() const { return cancelled_; }
  Session& session() const { return *session_; }

  // notifications/progress with this request's token; a no-op when the peer did not ask.
  Awaitable<core::Status> NotifyProgress(double progress, std::optional<double> total = {},
                                         std::string_view message = {});
  // A notification sent on behalf of this request (HTTP servers put it on the request's stream).
  Awaitable<core::Status> Notify(std::string_view method, boost::json::value params);
  // A request to the peer on behalf of this one (sampling, elicitation, roots).
  Awaitable<core::Result<boost::json::value>> Call(std::string_view method,
                                                   boost::json::value params,
                                                   CallOptions options = {});

 private:
  friend class Session;
  std::shared_ptr<Session> session_;
  RequestId id_;
  std::string method_;
  std::shared_ptr<const MessageContext> context_;
  boost::json::value progress_token_;
  bool cancelled_ = false;
};

using RequestHandler =
    std::function<Awaitable<Reply>(boost::json::value params, RequestContext& context)>;
using NotificationHandler =
    std::function<void(boost::json::value params, const MessageContext* context)>;

struct SessionOptions {
  // Names the peer in every error and log line: "server 'filesystem'", "client 'claude-ai'".
  std::string peer_name = "peer";
  std::chrono::milliseconds default_timeout{60'000};
  // Answer payloads the transport rejected (-32700/-32600) with an error response. Servers do;
  // clients just log them.
  bool answer_rejected = true;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  static std::shared_ptr<Session> Create(std::shared_ptr<Transport> transport,
                                         SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Register before Start(). An unregistered method is answered with -32601; `ping` is built in.
  void SetRequestHandler(std::string method, RequestHandler handler);
  void SetNotificationHandler(std::string method, NotificationHandler handler);
  // Called once when the connection ends, with the reason.
  void SetCloseHandler(std::function<void(const core::Error&)> handler);

  // Starts the reader loop.
  void Start();

  // Sends a request and waits for its answer. A JSON-RPC error from the peer becomes a
  // core::Error (code mapped by core::ErrorCodeFromJsonRpc) whose message names the peer.
  // Cancelling the awaiting coroutine sends notifications/cancelled and returns kCancelled.
  Awaitable<core::Result<boost::json::value>> Call(std::string_view method,
                                                   boost::json::value params,
                                                   CallOptions options = {});
  Awaitable<core::Status> Notify(std::string_view method, boost::json::value params,
                                 SendOptions options = {});

  // Closes the transport; every pending call fails at once and running handlers are cancelled.
  Awaitable<void> Close();

  // The revision initialize negotiated; empty before. Passed on to the transport.
  void SetProtocolVersion(std::string version);
  const std::string& protocol_version() const { return protocol_version_; }

  bool closed() const { return close_reason_.has_value(); }
  // Why the session ended; set once closed.
  const std::optional<core::Error>& close_reason() const { return close_reason_; }
  const std::string& peer_name() const { return options_.peer_name; }
  Transport& transport() { return *transport_; }
  boost::asio::any_io_executor get_executor() { return transport_->get_executor(); }
  size_t pending_calls() const { return pending_.size(); }
  size_t running_handlers() const { return in_flight_.size(); }

 private:
  struct Pending;
  struct InFlight;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Session(std::shared_ptr<Transport> transport, SessionOptions options);
  Awaitable<void> ReadLoop();
  void Dispatch(Incoming incoming);
  void HandleRequest(Request request, std::shared_ptr<const MessageContext> context);
  void HandleNotification(Notification notification, const MessageContext* context);
  void HandleResponse(Response response);
  Awaitable<void> RunHandler(std::shared_ptr<InFlight> in_flight,
                             std::shared_ptr<const RequestHandler> handler,
                             boost::json::value params);
  void SendDetached(Message message, SendOptions options = {});
  Awaitable<void> SendAndLog(std::shared_ptr<Session> self, Message message, SendOptions options);
  void SendCancelled(int64_t id, std::string reason);
  void FailEverything(const core::Error& reason);
  // Deadlines of our calls: one timer per session, armed for the earliest (see session.cc).
  void AddDeadline(std::chrono::steady_clock::time_point when, int64_t id);
  void RemoveDeadline(std::chrono::steady_clock::time_point when, int64_t id);
  void OnDeadlineTimer();

  std::shared_ptr<Transport> transport_;
  SessionOptions options_;
  std::unordered_map<std::string, std::shared_ptr<const RequestHandler>, StringHash,
                     std::equal_to<>>
      request_handlers_;
  std::unordered_map<std::string, NotificationHandler, StringHash, std::equal_to<>>
      notification_handlers_;
  std::function<void(const core::Error&)> close_handler_;
  std::unordered_map<int64_t, std::shared_ptr<Pending>> pending_;       // our calls, by our id
  std::unordered_map<RequestId, std::shared_ptr<InFlight>> in_flight_;  // the peer's requests
  std::set<std::pair<std::chrono::steady_clock::time_point, int64_t>> deadlines_;  // of pending_
  struct DeadlineTimer;
  std::unique_ptr<DeadlineTimer> deadline_timer_;
  int64_t next_id_ = 1;
  bool started_ = false;
  std::optional<core::Error> close_reason_;
  std::string protocol_version_;
};

}  // namespace bedrock::mcp

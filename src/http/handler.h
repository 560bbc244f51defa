// What an HTTP handler sees: the request with its context, and the streaming body writer.
//
// A handler is a coroutine that returns a Response. A streaming response (chunked or Server-Sent
// Events) is a Response whose body is produced by a coroutine that the server runs after sending
// the head:
//
//   http::Handler health = [](http::RequestContext&) -> asio::awaitable<http::Response> {
//     co_return http::Response::Json(200, R"({"status":"ok"})");
//   };
//
//   http::Handler events = [](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
//     co_return http::EventStreamResponse([](http::StreamWriter& out) ->
//     asio::awaitable<core::Status> {
//       for (int i = 0; i < 3 && !out.Cancelled(); ++i) {
//         http::SseEvent event{.data = std::to_string(i)};  // named: see SendEvent
//         BEDROCK_CO_TRY(co_await out.SendEvent(event));
//       }
//       co_return core::OkStatus();
//     });
//   };
//
// Lifetimes: the RequestContext (and its Request) live until the response, including a streamed
// body, is finished; a producer may keep references to them. The server keeps the Response, and so
// the producer's std::function and its lambda captures, alive until the producer's coroutine has
// returned, so capturing lambdas are safe as producers.
//
// Thread-safety: a RequestContext and a StreamWriter belong to one connection, which lives on one
// server thread; use them only from the handler's or producer's own coroutine (an awaited
// operation on another executor resumes the coroutine on the connection's executor, so plain
// co_await is always fine).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/message.h"
#include "http/sse.h"

namespace bedrock::http {

namespace internal {
// Implemented by the server's connection: whether the client is still there.
class Liveness {
 public:
  virtual ~Liveness() = default;
  virtual bool Cancelled() = 0;
  virtual boost::asio::awaitable<void> WaitCancelled() = 0;
};
}  // namespace internal

// The request plus what the server knows about it. Path parameters are filled by the Router.
class RequestContext {
 public:
  // `liveness` may be null (a context made in a unit test): never cancelled then.
  // `remote_address` must outlive the context (the server passes its connection's).
  explicit RequestContext(Request& request, internal::Liveness* liveness = nullptr,
                          std::string_view remote_address = {}, int http_version = 11,
                          bool tls = false)
      : request_(request),
        liveness_(liveness),
        remote_address_(remote_address),
        http_version_(http_version),
        tls_(tls) {}

  Request& request() { return request_; }
  const Request& request() const { return request_; }

  // The peer as "ip:port" ("[::1]:5000" for IPv6).
  std::string_view remote_address() const { return remote_address_; }
  // 10 for HTTP/1.0, 11 for HTTP/1.1.
  int http_version() const { return http_version_; }
  bool tls() const { return tls_; }

  // A path parameter captured by the route pattern ("{id}"), percent-decoded.
  std::optional<std::string_view> PathParam(std::string_view name) const;
  void SetPathParams(std::vector<std::pair<std::string, std::string>> params) {
    path_params_ = std::move(params);
  }
  const std::vector<std::pair<std::string, std::string>>& path_params() const {
    return path_params_;
  }

  // True once the client has disconnected or the server is shutting down: stop the work (model
  // calls, tool calls) whose result nobody will read. Polls the socket without blocking. A client
  // that half-closes its side counts as gone. Over TLS only a TCP-level close is seen reliably.
  bool Cancelled() { return liveness_ != nullptr && liveness_->Cancelled(); }

  // Completes when Cancelled() becomes true (never, for a context without a connection unless
  // the awaiting operation is itself cancelled). Combine it with the work it guards:
  //   co_await (DoModelCall() || ctx.WaitCancelled());   // asio awaitable operators
  boost::asio::awaitable<void> WaitCancelled();

 private:
  Request& request_;
  internal::Liveness* liveness_;
  std::string_view remote_address_;
  int http_version_;
  bool tls_;
  std::vector<std::pair<std::string, std::string>> path_params_;
};

// The body sink of a streaming response. Every write is sent and flushed before it completes.
// Writes fail with kCancelled once the client has gone or the server is shutting down, and with
// kDeadlineExceeded when the client does not read within ServerOptions::write_timeout; after a
// failure every later write fails too. At most one write may be outstanding (await each one).
// Writes are not interrupted by cancelling the awaiting coroutine, so the framing stays intact.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;

  // Sends `data` as one chunk (or, to an HTTP/1.0 client, as raw body bytes). Empty data is a
  // no-op. `data` must stay valid until the co_await completes.
  virtual boost::asio::awaitable<core::Status> Write(std::string_view data) = 0;

  // Sends one Server-Sent Event (http::FormatSseEvent). The event is serialised at the call, so
  // it need not outlive the co_await.
  //
  // g++ 12 miscompiles an aggregate temporary inside a co_await expression (it is destroyed twice:
  // `co_await out.SendEvent({.data = "x"})` corrupts the heap). Name the event first:
  //   SseEvent event{.event = "delta", .data = json};
  //   BEDROCK_CO_TRY(co_await out.SendEvent(event));
  boost::asio::awaitable<core::Status> SendEvent(const SseEvent& event) {
    return WriteOwned(FormatSseEvent(event));
  }
  // Sends an SSE comment line (": text"), e.g. a progress note that clients ignore.
  boost::asio::awaitable<core::Status> SendComment(std::string_view text) {
    return WriteOwned(FormatSseComment(text));
  }

  // As RequestContext::Cancelled / WaitCancelled.
  virtual bool Cancelled() = 0;
  virtual boost::asio::awaitable<void> WaitCancelled() = 0;

 private:
  boost::asio::awaitable<core::Status> WriteOwned(std::string data);
};

// Produces a streaming body. Returning OK ends the body normally (the last chunk is sent);
// returning an error (or throwing) logs it and closes the connection without the last chunk, so
// the client sees a truncated body rather than a complete one.
using StreamProducer = std::function<boost::asio::awaitable<core::Status>(StreamWriter&)>;

// Carried by Response::stream: set by the factories below, read only by the server.
struct StreamBody {
  StreamProducer producer;
  bool event_stream = false;  // text/event-stream: the server sends heartbeats when idle
};

// A chunked response: the head (status, headers, Content-Type) is sent first, then whatever the
// producer writes.
Response StreamResponse(int status, std::string content_type, StreamProducer producer);

// A text/event-stream response with Cache-Control: no-cache. While the producer is quiet for
// ServerOptions::sse_heartbeat_interval the server sends ": keep-alive" comments.
Response EventStreamResponse(StreamProducer producer);

// A route handler. Handlers live as long as the server (in its Router).
using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

}  // namespace bedrock::http

// HTTP/1.1 client: connection pool per origin, TLS with certificate and host-name verification,
// HTTP proxies (CONNECT tunnels for https://), deadlines, and streamed response bodies.
//
//   auto client = http::Client::Create(io.get_executor(), {.ca_file = "/etc/corp-ca.pem"});
//   if (!client.ok()) ...;
//
//   // Buffered: the whole body, up to ClientOptions::max_response_body.
//   http::ClientRequest request{.method = "POST", .url = "https://api.example/v1/x",
//                               .headers = {{"Content-Type", "application/json"}},
//                               .body = R"({"a":1})"};
//   auto response = co_await client->Send(std::move(request));
//
//   // NOTE: g++ 12 miscompiles an aggregate initialised in braces inside a co_await operand
//   // (`co_await client.Send({.url = u})` destroys the temporary twice). Always build the
//   // ClientRequest as a named variable first, as above.
//
//   // Streamed: status and headers first, then the body as it arrives.
//   http::ClientRequest events_request{.url = "https://api.example/events"};
//   auto stream = co_await client->Open(std::move(events_request));
//   while (true) {
//     auto piece = co_await stream->ReadSome();     // Result<optional<string>>; nullopt at the end
//     if (!piece.ok() || !*piece) break;
//     Consume(**piece);
//   }
//
//   // Or, for a text/event-stream response, one Server-Sent Event at a time:
//   http::SseStreamReader events(std::move(*stream));
//   for (auto e = co_await events.Next(); e.ok() && *e; e = co_await events.Next()) Handle(**e);
//
// What is an error here: failing to reach the origin (kUnavailable, also for a TLS certificate that
// does not verify), a deadline (kDeadlineExceeded), cancellation (kCancelled), a response over a
// limit (kPayloadTooLarge) and a malformed response (kUpstreamFailure). An HTTP error status is NOT
// an error at this layer: the Response carries it and callers map it
// (core::ErrorCodeFromHttpStatus).
//
// Thread-safety: a Client is a cheap handle; copies share one connection pool. Send/Open may be
// called concurrently from coroutines on any thread or executor. The pool is guarded by a mutex;
// a connection is used by one request at a time, and all I/O on it runs on that connection's strand
// of the Client's executor (the caller's coroutine awaits the result on its own executor). The
// Client's execution context must outlive every Client handle and StreamingResponse.
//
// Cancellation: Send, Open and ReadSome honour Asio per-operation cancellation (terminal) of the
// awaiting coroutine, e.g. `co_await (client.Send(r) || timer.async_wait(use_awaitable))`; the
// connection of a cancelled request is closed, never reused. StreamingResponse::Close() aborts a
// stream from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "http/message.h"
#include "http/proxy.h"
#include "http/sse.h"

namespace bedrock::http {

namespace internal {
class ClientImpl;
struct StreamState;
}  // namespace internal

struct ClientOptions {
  // TLS. The system's trusted CAs (OpenSSL's default paths) are used unless use_system_cas is
  // false; ca_file (PEM) adds CAs to trust, e.g. a corporate proxy's or a test CA.
  std::string ca_file;
  bool use_system_cas = true;
  bool verify_peer = true;  // false disables certificate AND host-name checks: tests only

  // Limits on time. Zero means no limit.
  std::chrono::milliseconds connect_timeout{10'000};   // DNS + TCP + proxy CONNECT + TLS handshake
  std::chrono::milliseconds request_timeout{120'000};  // default ClientRequest::timeout
  std::chrono::milliseconds stream_idle_timeout{
      300'000};  // default ClientRequest::read_idle_timeout

  // The pool. Idle connections older than idle_timeout are closed instead of reused.
  size_t max_idle_per_origin = 8;
  std::chrono::milliseconds idle_timeout{60'000};

  // Limits on size.
  size_t max_response_body = 64u << 20;  // for Send; Open leaves counting to the caller
  size_t max_response_header = 64u << 10;

  // nullopt: read HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the process environment at Create().
  std::optional<ProxyConfig> proxy;

  // Host name -> IP address to connect to instead of resolving it (like curl --resolve). TLS still
  // verifies the certificate against the host name.
  std::map<std::string, std::string> resolve_overrides;

  std::string user_agent = "bedrock-mcp";
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  Headers headers;  // Host, User-Agent and Content-Length are set unless given; Connection: close
                    // is honoured (the connection is not reused)
  std::string body;

  // Send: the whole exchange. Open: until the response headers have arrived. Includes connecting.
  // Default ClientOptions::request_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  // Open: the longest wait for each ReadSome. Default ClientOptions::stream_idle_timeout.
  std::optional<std::chrono::milliseconds> read_idle_timeout;
  // Whether the request may be sent twice (retried when a reused connection turns out to have been
  // closed by the server). Default: true for GET, HEAD, OPTIONS, TRACE, PUT and DELETE.
  std::optional<bool> idempotent;
};

// A response whose body is read as it arrives. Move-only. Destroying it (or Close()) before the
// body ended closes the connection; a body read to its end returns the connection to the pool.
//
// Thread-safety: ReadSome must not be called concurrently with itself; Close() may be called from
// any thread at any time (a pending ReadSome then completes with kCancelled).
class StreamingResponse {
 public:
  StreamingResponse(StreamingResponse&&) noexcept;
  StreamingResponse& operator=(StreamingResponse&&) noexcept;
  ~StreamingResponse();

  int status() const { return status_; }
  const Headers& headers() const { return headers_; }

  // The next piece of the body (chunked, Content-Length or close-delimited framing removed), or
  // nullopt at its end. Waits at most the request's read_idle_timeout (kDeadlineExceeded).
  boost::asio::awaitable<core::Result<std::optional<std::string>>> ReadSome();

  // The rest of the body; kPayloadTooLarge when it exceeds max_bytes.
  boost::asio::awaitable<core::Result<std::string>> ReadAll(size_t max_bytes);

  // Abandons the body and closes the connection.
  void Close();

 private:
  friend class Client;
  StreamingResponse(int status, Headers headers, std::shared_ptr<internal::StreamState> state);

  int status_ = 0;
  Headers headers_;
  std::shared_ptr<internal::StreamState> state_;
};

class Client {
 public:
  // Fails (kInvalidArgument) when ca_file cannot be loaded or the proxy settings are malformed.
  // Loading the system CA store takes tens of milliseconds: create one Client per process (or per
  // distinct set of options) and share copies of it.
  static core::Result<Client> Create(boost::asio::any_io_executor executor,
                                     ClientOptions options = {});

  // The response with its whole body. HTTP error statuses are returned, not errors.
  boost::asio::awaitable<core::Result<Response>> Send(ClientRequest request);

  // The response's status and headers; the body is read from the StreamingResponse.
  boost::asio::awaitable<core::Result<StreamingResponse>> Open(ClientRequest request);

  // Closes every idle pooled connection.
  void CloseIdleConnections();

  struct Stats {
    size_t connections_opened = 0;  // TCP connections made since Create
    size_t idle_connections = 0;    // in the pool right now
    size_t retries = 0;             // requests re-sent after a reused connection failed
  };
  Stats stats() const;

 private:
  explicit Client(std::shared_ptr<internal::ClientImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<internal::ClientImpl> impl_;
};

// Reads a StreamingResponse as Server-Sent Events, one event at a time. Not thread-safe.
class SseStreamReader {
 public:
  explicit SseStreamReader(StreamingResponse response, SseParserLimits limits = {});

  // The next event, or nullopt when the stream ended (an unterminated last event is dropped).
  boost::asio::awaitable<core::Result<std::optional<SseEvent>>> Next();

  // The parser's state: last_event_id() and retry_ms() for reconnecting.
  const SseParser& parser() const { return parser_; }
  StreamingResponse& response() { return response_; }

 private:
  StreamingResponse response_;
  SseParser parser_;
  std::deque<SseEvent> pending_;
  bool ended_ = false;
};

}  // namespace bedrock::http

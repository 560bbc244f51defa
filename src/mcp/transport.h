// The message-oriented transport beneath an MCP session, and the context an incoming message
// carries from the transport to its handler.
//
// A transport moves whole JSON-RPC messages; framing (newline-delimited stdio, HTTP POST bodies,
// SSE events) and connection management live inside it. The session above pulls messages with
// Receive() and pushes them with Send(). Implementations: MemoryTransport (tests), StdioTransport
// (child process or our own stdin/stdout); streamable HTTP and legacy SSE slot in the same way:
//   - an HTTP client transport answers Send(request) by POSTing it and feeding the JSON or SSE
//     response body back into Receive(); SetProtocolVersion() makes it send MCP-Protocol-Version;
//   - an HTTP server transport is one per Mcp-Session-Id (or one per request, for the stateless
//     requests of later revisions): the HTTP handler pushes each POSTed message in with a
//     MessageContext holding that request's headers and authenticated principal, and
//     SendOptions::related_request routes answers back to the POST's stream.
//
//   auto [client_side, server_side] = mcp::CreateMemoryTransportPair(io.get_executor());
//
// Thread-safety: a transport belongs to its executor; call every member from it (a strand when
// the io_context has several threads). Send may be called concurrently from several coroutines.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "http/message.h"
#include "mcp/jsonrpc.h"

namespace bedrock::mcp {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

// Where an incoming message came from, beyond its bytes. Empty for stdio. Immutable once
// delivered; shared by every message of one HTTP request.
struct MessageContext {
  http::Headers headers;         // the carrying HTTP request's headers
  std::string session_id;        // Mcp-Session-Id, if the transport has sessions
  std::string protocol_version;  // the MCP-Protocol-Version header, if sent
  std::string principal;         // who the auth layer authenticated (e.g. a token's subject)
  std::string remote_address;    // the peer's address, for logs
};

// One delivery from Receive().
struct Incoming {
  Message message;
  std::shared_ptr<const MessageContext> context;  // null when the transport has none
  // True when the transport could not turn a payload into a message (bad JSON, not JSON-RPC, a
  // batch in a revision without batches, over a size limit). `message` is then the Response
  // carrying the error JSON-RPC prescribes as the answer; the session decides whether to send it.
  bool rejected = false;
};

// Not an aggregate on purpose: g++ 12 miscompiles aggregate temporaries (braced or defaulted
// `= {}`) in the arguments of a co_await expression (they are moved from the wrong address), so
// every type passed by value to a coroutine in this module has a user-provided constructor.
struct SendOptions {
  SendOptions() {}
  SendOptions(std::optional<RequestId> request, std::shared_ptr<const MessageContext> context)
      : related_request(std::move(request)), related_context(std::move(context)) {}

  // The incoming request this message answers, or on whose behalf it is sent (progress, logging,
  // a sampling request in the middle of a tool call). Streamable HTTP servers use it to pick the
  // stream; other transports ignore it.
  std::optional<RequestId> related_request;
  std::shared_ptr<const MessageContext> related_context;
  // Extra HTTP headers for this message's POST (2026-07-28 clients: Mcp-Param-* mirrored from a
  // tool's arguments). Other transports ignore them.
  http::Headers headers;
};

class Transport {
 public:
  virtual ~Transport() = default;

  virtual boost::asio::any_io_executor get_executor() = 0;

  // The next message from the peer. An error means the transport is closed and nothing more
  // will arrive; its message says why, naming the peer ("server 'fs' exited with code 1 ...").
  // Only one Receive may be outstanding at a time.
  virtual Awaitable<core::Result<Incoming>> Receive() = 0;

  // Queues one message for the peer. Returns once the transport has taken it: an error means it
  // will not be delivered (closed, HTTP error status). Cancelling a Send never leaves a partial
  // message on the wire.
  virtual Awaitable<core::Status> Send(Message message, SendOptions options = {}) = 0;

  // Send without the wait: a transport that can take `message` at once (stdio: written to the
  // pipe or queued for its writer) does so and returns what Send would have; nullopt means it took
  // nothing and the caller co_awaits Send with the same arguments. Lets a caller whose messages
  // rarely wait skip Send's coroutine frame. The default takes nothing.
  virtual std::optional<core::Status> TrySend(Message& message, SendOptions& options) {
    (void)message;
    (void)options;
    return std::nullopt;
  }

  // Closes the transport: pending and future Receive calls fail, a child process is reaped.
  // Idempotent.
  virtual Awaitable<void> Close() = 0;

  // The revision negotiated by initialize: transports that frame by revision (batches, the
  // MCP-Protocol-Version header) adapt to it.
  virtual void SetProtocolVersion(std::string_view version) { (void)version; }

  // Server side: ends the stream that carries `request`'s messages without ending the request
  // (SSE polling, SEP-1699): the client reconnects with Last-Event-ID and receives what was sent
  // meanwhile, the answer included. False (and nothing happens) when the transport has no such
  // stream or the client could not resume it.
  virtual bool CloseRequestStream(const RequestId& request) {
    (void)request;
    return false;
  }
};

// Two connected in-memory transports: what one sends, the other receives (the message objects
// are moved across, never serialised). Both must be used on `executor`.
std::pair<std::shared_ptr<Transport>, std::shared_ptr<Transport>> CreateMemoryTransportPair(
    boost::asio::any_io_executor executor);

}  // namespace bedrock::mcp

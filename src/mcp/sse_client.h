// The 2024-11-05 HTTP+SSE client transport: a GET opens the server's event stream, whose first
// `endpoint` event names the URL to POST messages to; every message from the server (answers
// included) arrives on the stream as a `message` event.
//
//   mcp::SseClientOptions options;
//   options.url = "http://127.0.0.1:7002/sse";
//   BEDROCK_CO_TRY_ASSIGN(auto transport, co_await mcp::ConnectSseTransport(ex, http, options));
//   BEDROCK_CO_TRY_ASSIGN(auto client, co_await mcp::Client::Connect(transport, info));
//
// The endpoint may be relative (resolved against the SSE URL) but must have the SSE URL's origin:
// a server cannot send our messages (and bearer token) elsewhere.
// Thread-safety: as every Transport, use it from its executor only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/client.h"
#include "mcp/transport.h"

namespace bedrock::mcp {

struct SseClientOptions {
  SseClientOptions() {}

  std::string url;  // the SSE endpoint, e.g. http://host:port/sse
  http::Headers headers;
  std::string bearer_token;
  std::chrono::milliseconds connect_timeout{30'000};  // until the endpoint event
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds stream_idle_timeout{300'000};
  size_t max_message_bytes = 16u << 20;
  std::string peer_name = "server";
};

// Opens the stream and waits for the endpoint event.
Awaitable<core::Result<std::shared_ptr<Transport>>> ConnectSseTransport(
    boost::asio::any_io_executor executor, http::Client client, SseClientOptions options);

// The POST URL an `endpoint` event names, resolved against the SSE URL; an error when it is
// malformed or has another origin.
core::Result<std::string> ResolveSseEndpoint(std::string_view sse_url, std::string_view endpoint);

}  // namespace bedrock::mcp

// The Streamable HTTP client transport: each message is POSTed to the server's MCP endpoint; the
// answer comes back as JSON or as an SSE stream (which may carry notifications and server-to-client
// requests before the response); a GET stream carries server-initiated messages.
//
//   auto http_client = http::Client::Create(io.get_executor());
//   mcp::StreamableHttpClientOptions options;
//   options.url = "http://127.0.0.1:7002/mcp";
//   options.bearer_token = entry.token;
//   auto transport = mcp::StreamableHttpClientTransport::Create(io.get_executor(), *http_client,
//                                                               std::move(options));
//   BEDROCK_CO_TRY_ASSIGN(auto client, co_await mcp::Client::Connect(transport, info));
//
// The Mcp-Session-Id the server assigns at initialize is sent on every later request, and the
// negotiated MCP-Protocol-Version once known. A dropped SSE stream is resumed with a GET carrying
// Last-Event-ID after the server's retry: interval. A 404 on a session means it expired: the
// transport closes with an error saying so. Close() sends DELETE. A 401 or 403 goes to the auth
// provider, when there is one, and the request is sent again once it has new credentials.
//
// Thread-safety: as every Transport, use it from its executor only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/client.h"
#include "mcp/auth.h"
#include "mcp/jsonrpc.h"
#include "mcp/transport.h"

namespace bedrock::mcp {

struct StreamableHttpClientOptions {
  StreamableHttpClientOptions() {}

  std::string url;           // the MCP endpoint, e.g. http://host:port/mcp
  http::Headers headers;     // sent with every request (custom headers of an mcpServers entry)
  std::string bearer_token;  // "Authorization: Bearer <token>" when set
  // Answers 401/403 challenges (OAuth, mcp/oauth.h); its Authorization header replaces
  // bearer_token once it has one. Null: a 401 fails the request.
  std::shared_ptr<AuthProvider> auth;
  // Open the GET stream for server-initiated messages after initialization (405 is tolerated).
  bool open_get_stream = true;
  // Let the notifications/initialized send (and so Client::Connect) wait until the GET stream's
  // response head arrived, so a server request sent right after connecting finds the stream.
  bool wait_for_get_stream = false;
  // Deadline of each POST until its response head arrives.
  std::chrono::milliseconds request_timeout{60'000};
  // The longest wait for the next bytes of an SSE stream.
  std::chrono::milliseconds stream_idle_timeout{300'000};
  size_t max_message_bytes = 16u << 20;
  // Reconnect attempts for a dropped stream, and the delay when the server sent no retry: field.
  int max_reconnects = 3;
  std::chrono::milliseconds default_retry{1000};
  std::string peer_name = "server";
};

class StreamableHttpClientTransport : public Transport {
 public:
  static std::shared_ptr<StreamableHttpClientTransport> Create(
      boost::asio::any_io_executor executor, http::Client client,
      StreamableHttpClientOptions options);

  // The Mcp-Session-Id the server assigned; empty before initialize or for a stateless server.
  virtual const std::string& session_id() const = 0;
};

// The messages in one HTTP response body of the given Content-Type: a JSON-RPC payload
// (application/json) or an SSE stream (text/event-stream, every event's data one payload).
// Payloads that do not parse are skipped and counted in `rejected`. Never throws.
struct DecodedBody {
  std::vector<Message> messages;
  size_t rejected = 0;
};
DecodedBody DecodeHttpResponseBody(std::string_view content_type, std::string_view body,
                                   size_t max_message_bytes);

}  // namespace bedrock::mcp

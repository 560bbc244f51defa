// Answers Bedrock Agents action-group events by calling tools on one MCP server.
//
//   bridge::ActionHandler handler(connect, options);   // connect: opens a fresh MCP client
//   co_await handler.Connect();                         // optional warm-up at init
//   auto reply = co_await handler.Handle(event_body, deadline);   // the Lambda's response JSON
//
// The MCP session is opened once and kept across invocations (no per-call reconnect). When the
// server goes away (the session closed, a call failed with kUnavailable) the next invocation
// opens a new session; the invocation that saw the failure answers FAILURE. A call is never
// retried, so a tool runs at most once per invocation. The tool list is fetched with the session
// and again after notifications/tools/list_changed; the action-group plan (names, fallbacks) is
// recomputed from it exactly as `agents schema` computed it with the same options. A function
// the plan does not have (the group was generated with --tools, or the tool is behind the
// dispatcher) is still found by its tool's (sanitised) name.
//
// What each failure becomes (docs/agents-bridge.md, "Errors"):
//
//   cause                                          function form       OpenAPI form
//   arguments the bridge cannot convert, a         REPROMPT            400
//     missing required argument, the server's
//     -32602 invalid params
//   a tool result with isError                     tool_error_state    400 (REPROMPT) / 500
//                                                  (REPROMPT default)
//   no tool for the function (schema out of date)  FAILURE             404
//   the MCP server cannot be reached or closed     FAILURE             503
//   the call timed out                             FAILURE             504
//   any other protocol error                       FAILURE             500
//
// Handle returns an Error only for an event that is not an action-group event at all (the
// Lambda then reports an invocation error rather than answering Bedrock).
//
// Thread-safety: single executor; Handle calls must not overlap (the Lambda runtime runs one
// invocation at a time).
#pragma once

#include <boost/json/array.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/action_event.h"
#include "bridge/action_schema.h"
#include "core/result.h"
#include "mcp/client.h"

namespace bedrock::bridge {

// Opens a new MCP client with these options (ConnectMcpServer for a configured server).
using McpConnector = std::function<mcp::Awaitable<core::Result<std::shared_ptr<mcp::Client>>>(
    mcp::ClientOptions options)>;

// Not an aggregate: passed into coroutines.
struct HandlerOptions {
  HandlerOptions() {}
  std::string server_name = "server";  // names the server in messages
  PlanOptions plan;                    // limits and tool selection; the form comes from events
  ResponseState tool_error_state = ResponseState::kReprompt;
  // Longest wait for a tools/call; an invocation's own deadline (less a margin) shortens it.
  std::chrono::milliseconds call_timeout{60'000};
  std::chrono::milliseconds deadline_margin{1'000};
  std::chrono::milliseconds connect_timeout{30'000};
  // Largest response body: a longer result is cut ("[truncated ...]"). Bedrock Agents limits the
  // Lambda response's size (25 KB at the time of writing).
  size_t max_body_bytes = 25'000;
};

class ActionHandler {
 public:
  ActionHandler(McpConnector connect, HandlerOptions options);
  ~ActionHandler();
  ActionHandler(const ActionHandler&) = delete;
  ActionHandler& operator=(const ActionHandler&) = delete;

  // Opens the session now (and lists the tools). Failing is not fatal: the next Handle retries.
  mcp::Awaitable<core::Status> Connect();

  // The Lambda response JSON for one event.
  mcp::Awaitable<core::Result<std::string>> Handle(
      std::string event_body,
      std::optional<std::chrono::system_clock::time_point> deadline = std::nullopt);

  mcp::Awaitable<void> Close();

  // For tests and logs: sessions opened so far.
  int connections() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The text a Bedrock Agent gets for an MCP tool result (function form): text blocks joined with
// newlines, other blocks summarised ("[image: image/png, 68 bytes]"), embedded text resources
// included, and the structured content as JSON when there is no text.
std::string ResultText(const mcp::CallToolResult& result);

}  // namespace bedrock::bridge

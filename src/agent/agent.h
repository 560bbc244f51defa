// The agentic tool-use loop: call the model, run every tool call it asks for concurrently, feed
// the results back, until the model ends its turn.
//
//   agent::AgentRequest request;
//   request.chat.model_id = "us.amazon.nova-pro-v1:0";
//   request.chat.system.push_back(llm::TextBlock{"You are terse."});
//   request.chat.messages = history;                         // ... ending with the new user
//   message request.chat.messages.push_back(llm::Message::UserText("List my files")); request.tools
//   = catalog;                                 // McpToolCatalog::Load(...) request.sink =
//   sse_writer;                               // EventSink, may be null request.approvals =
//   user_approvals;                      // ApprovalBroker, may be null request.cancel =
//   stop_token;                             // CancelToken, may be null request.options.max_turns =
//   20; agent::AgentResult result = co_await agent::RunAgent(provider, std::move(request));
//   store.Save(result.messages);                             // the whole updated conversation
//
// What a run guarantees:
// - Every stop reason is handled: tool_use runs the calls and goes on; end_turn, max_tokens,
//   stop_sequence, content_filtered, guardrail_intervened end the run with that FinishReason;
//   model_context_window_exceeded, malformed output and unknown reasons end it with an error.
// - A turn's tool calls run concurrently, each bounded by options.tool_timeout. A timeout, a
//   server error or crash, an unknown tool, bad input or a denied approval becomes an error tool
//   result (status error, its text naming the server and what happened) that the model sees; the
//   run goes on.
// - Errors that end the run say their source (AgentError: model, MCP server <id>, gateway).
// - `result.messages` is always well-formed: every tool use has its result (cancelled calls get a
//   "cancelled" result), no dangling partial tool input, roles alternate.
// - Cancellation (request.cancel, or the sink failing) closes the model stream, cancels in-flight
//   MCP calls (their servers get notifications/cancelled) and pending approvals, and returns
//   kCancelled promptly.
// - Context: each tool result is cut to options.max_tool_result_chars with a visible marker; before
//   each model call only the newest options.only_n_most_recent_images tool-result images are kept,
//   tool results older than the newest options.keep_whole_tool_results are compacted, and the
//   history is trimmed oldest-first to options.max_history_chars (context.h). None of these ever
//   separates a tool call from its result.
// - max_tokens: with options.max_continuations, a cut answer is continued by further model calls
//   (TurnStopEvent::continues, TurnStartEvent::continuation) until it ends or the budget is spent;
//   stop_sequence is the caller's own request and always ends the run.
//
// Lifetimes: `provider` must outlive the awaitable; everything else is owned by the request.
// Thread-safety: a run lives on the executor it is awaited on (use a strand if the io_context has
// several threads); sinks and brokers are called there.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/approval.h"
#include "agent/cancel.h"
#include "agent/events.h"
#include "agent/tool_catalog.h"
#include "llm/model.h"
#include "llm/provider.h"

namespace bedrock::agent {

// Not an aggregate: passed by value into coroutines (g++ 12, docs/architecture.md).
struct AgentOptions {
  AgentOptions() {}

  // Model calls per run (the demo's MAX_TURNS). Reaching it ends the run with kMaxTurns.
  int max_turns = 50;
  // ConverseStream (events as they arrive) or Converse (events synthesised from the response).
  bool stream = true;
  // Per tool call, from the moment it is sent.
  std::chrono::milliseconds tool_timeout{60'000};
  // How long a call waits for approval before it counts as denied.
  std::chrono::milliseconds approval_timeout{300'000};
  // Characters of text per tool result; longer results are cut with a marker. 0: no limit.
  size_t max_tool_result_chars = 100'000;
  // Tool-result images kept in the conversation, newest first (only_n_most_recent_images). 0: all.
  size_t only_n_most_recent_images = 0;
  // Budget of the conversation sent to the model, in characters (context.h). 0: no trimming.
  size_t max_history_chars = 0;
  // Compaction of older tool results before each model call (context.h CompactToolResults): the
  // newest keep_whole_tool_results stay whole; older ones longer than compacted_tool_result_chars
  // keep that many characters and a marker. compacted_tool_result_chars 0: no compaction.
  size_t keep_whole_tool_results = 10;
  size_t compacted_tool_result_chars = 0;
  // Model calls a run may spend continuing answers cut by max_tokens, as the demo does: the cut
  // answer is sent back as the start of the assistant's message (a prefill) and the model goes on
  // from there; the pieces become one message. Each counts as a turn (max_turns applies). 0: a
  // cut answer ends the run with kMaxTokens.
  int max_continuations = 0;
};

// Not an aggregate: see AgentOptions.
struct AgentRequest {
  AgentRequest() {}

  // Model, system prompt, inference settings, extra fields, and the conversation: the history
  // plus the new user message. `chat.tools` is replaced by the catalog's tools (with no catalog
  // or an empty one, tool blocks in the history are removed, as Bedrock requires).
  llm::ChatRequest chat;
  std::shared_ptr<ToolCatalog> tools;         // null: no tools
  std::shared_ptr<EventSink> sink;            // null: no events
  std::shared_ptr<ApprovalBroker> approvals;  // null: calls needing approval are denied
  std::shared_ptr<CancelToken> cancel;        // null: not cancellable from outside
  AgentOptions options;
};

struct AgentResult {
  FinishReason finish_reason = FinishReason::kEndTurn;
  // The model's last stop reason (kUnknown with empty text when no model call completed).
  llm::StopReason stop_reason = llm::StopReason::kUnknown;
  std::string stop_reason_text;
  std::optional<AgentError> error;  // set for kError, kContextWindowExceeded, kCancelled

  // The whole conversation after the run (normalised, trimmed), ready to store as the session's
  // history; messages[first_new_message..] are the ones this run added.
  std::vector<llm::Message> messages;
  size_t first_new_message = 0;

  llm::Usage usage;  // summed over every model call
  int turns = 0;     // model calls made
  std::vector<ToolCallRecord> tool_calls;

  // The last assistant message this run added; null when it added none.
  const llm::Message* final_message() const;
  // Its text blocks, concatenated ("" when none).
  std::string final_text() const;
};

// Runs the loop to its end. Never fails as a coroutine: failures are in the result.
boost::asio::awaitable<AgentResult> RunAgent(llm::ChatProvider& provider, AgentRequest request);

}  // namespace bedrock::agent

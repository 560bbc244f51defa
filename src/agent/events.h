// What an agent run reports while it works, and the records it keeps of its tool calls.
//
// A run sends one typed event per thing that happens, in order, to an EventSink: every model
// stream event has its counterpart (so the gateway can reproduce the demo's chunk-per-event SSE
// stream exactly, or write clean OpenAI chunks), plus the tool calls, approvals, usage and the end.
//
// A turn with a tool call, in order:
//   TurnStartEvent                          demo: delta {"role":"assistant"}
//   TextDeltaEvent / ReasoningDeltaEvent*   demo: content, "<thinking>" tags
//   BlockStopEvent                          demo: delta {}
//   ToolUseStartEvent                       demo: delta {}
//   ToolUseInputDeltaEvent*                 demo: "<tool_input>" + fragments
//   BlockStopEvent (kToolUse)               demo: "</tool_input>"
//   TurnStopEvent (tool_use)                demo: finish_reason "tool_use" (the first one)
//   TurnUsageEvent                          demo: delta {} (the demo sends it after the tool round)
//   ToolCallStartedEvent*, ApprovalPendingEvent*, ApprovalResolvedEvent*, ToolCallFinishedEvent*
//   ToolRoundEvent                          demo: finish_reason "tool_use" + message_extras
//   TurnStartEvent ...                      the next model call
//   RunFinishedEvent                        always last (unless the sink failed)
//
// Thread-safety: events are values, valid (with what they point to) until OnEvent completes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "agent/approval.h"
#include "core/result.h"
#include "llm/model.h"

namespace bedrock::agent {

// --- Errors and records ---

// Who failed: the model (provider), an MCP server, or the gateway itself (a bug, a bad request, a
// client that went away).
enum class ErrorSource { kModel, kMcpServer, kGateway };
std::string_view ErrorSourceName(ErrorSource source);  // "model", "mcp_server", "gateway"

struct AgentError {
  AgentError(ErrorSource error_source, core::Error error_value, std::string mcp_server_id = {})
      : source(error_source), server_id(std::move(mcp_server_id)), error(std::move(error_value)) {}

  ErrorSource source;
  std::string server_id;  // kMcpServer only
  core::Error error;      // its message already names the provider or server

  // "model: model provider bedrock: ThrottlingException: slow down" / "MCP server 'fs': ..."
  std::string Describe() const;
};

enum class ToolCallStatus {
  kSucceeded,     // the tool ran and returned a result
  kToolError,     // the tool ran and reported failure (isError)
  kFailed,        // the call failed: the server errored, crashed or went away
  kTimedOut,      // no answer within AgentOptions::tool_timeout (the server was sent cancel)
  kCancelled,     // the run was cancelled while the call was in flight
  kDenied,        // approval denied, timed out, or impossible (no broker)
  kUnknownTool,   // the model named a tool this run does not offer
  kInvalidInput,  // the model's input was not a JSON object (cut off by max_tokens, malformed)
};
std::string_view ToolCallStatusName(ToolCallStatus status);  // "succeeded", "timed_out", ...

// One tool call of a run, from the model's request to the result the model was given.
struct ToolCallRecord {
  int turn = 0;
  std::string tool_use_id;
  std::string bedrock_name;  // as the model called it
  std::string server_id;     // empty for kUnknownTool
  std::string tool_name;     // the server's own name; empty for kUnknownTool
  boost::json::value input;
  bool requires_approval = false;
  std::string approval_id;  // when approval was asked
  ToolCallStatus status = ToolCallStatus::kSucceeded;
  llm::ToolResultBlock result;      // exactly what the model got (status error for every failure)
  bool truncated = false;           // the result was cut to AgentOptions::max_tool_result_chars
  std::optional<AgentError> error;  // why the call failed (kFailed, kTimedOut, kCancelled, ...)
  std::chrono::milliseconds duration{0};  // of the call itself, approval wait excluded
};

// How a run ended.
enum class FinishReason {
  kEndTurn,                // the model finished its answer
  kMaxTokens,              // the answer was cut at the output token limit
  kStopSequence,           // a stop sequence ended the answer
  kContentFiltered,        // the provider's content filter stopped the answer
  kGuardrailIntervened,    // a Bedrock guardrail stopped the answer
  kContextWindowExceeded,  // the conversation no longer fits the model's window (error is set)
  kMaxTurns,               // AgentOptions::max_turns model calls were made
  kCancelled,              // the caller cancelled, or the event sink failed (error is set)
  kError,                  // the model or the gateway failed (error is set)
};
std::string_view FinishReasonName(FinishReason reason);  // "end_turn", "max_turns", ...

// --- Events ---

// A model call starts (Bedrock messageStart). `turn` counts model calls from 1.
struct TurnStartEvent {
  int turn = 0;
  // This call continues the previous answer, which max_tokens cut (AgentOptions::
  // max_continuations): its text goes on from where that one stopped, in the same message.
  bool continuation = false;
};

struct TextDeltaEvent {
  int turn = 0;
  int block_index = 0;
  std::string text;
};

struct ReasoningDeltaEvent {
  enum class Kind { kText, kSignature, kRedacted };
  int turn = 0;
  int block_index = 0;
  Kind kind = Kind::kText;
  std::string text;  // reasoning text, the signature, or redacted bytes (raw)
};

// Which tool call a tool-use event is about. server_id/tool_name are empty when the model named
// a tool the run does not offer.
struct ToolUseRef {
  std::string tool_use_id;
  std::string bedrock_name;
  std::string server_id;
  std::string tool_name;
};

// The model starts a tool call.
struct ToolUseStartEvent {
  int turn = 0;
  int block_index = 0;
  ToolUseRef tool;
};

// A fragment of a tool call's input JSON text, as the model streams it (Nova sends it whole).
struct ToolUseInputDeltaEvent {
  int turn = 0;
  int block_index = 0;
  ToolUseRef tool;
  std::string fragment;
};

enum class BlockKind { kText, kReasoning, kToolUse };

struct BlockStopEvent {
  int turn = 0;
  int block_index = 0;
  BlockKind kind = BlockKind::kText;
  std::string tool_use_id;  // kToolUse only
};

// The model ended its message (Bedrock messageStop) with this stop reason.
struct TurnStopEvent {
  int turn = 0;
  llm::StopReason stop_reason = llm::StopReason::kEndTurn;
  std::string stop_reason_text;  // the wire name, also for unknown reasons
  // max_tokens cut the answer and the run will ask the model to continue it (the next turn is a
  // continuation), so this stop does not end the run.
  bool continues = false;
};

// Token usage of one model call, and the run's total so far.
struct TurnUsageEvent {
  int turn = 0;
  llm::Usage usage;
  llm::Metrics metrics;
  llm::Usage total;
};

// A tool call the model asked for is about to run (or to wait for approval, or to be refused).
struct ToolCallStartedEvent {
  const ToolCallRecord* call = nullptr;  // input known; result not yet
};

struct ApprovalPendingEvent {
  ApprovalRequest request;
  std::chrono::milliseconds timeout{0};
};

struct ApprovalResolvedEvent {
  enum class Outcome { kApproved, kDenied, kTimedOut, kCancelled };
  std::string approval_id;
  std::string tool_use_id;
  Outcome outcome = Outcome::kDenied;
  std::string reason;
};

// One call finished (in completion order, not the model's).
struct ToolCallFinishedEvent {
  const ToolCallRecord* call = nullptr;
};

// Every call of the turn finished; `calls` in the model's order, their results about to go back
// to the model.
struct ToolRoundEvent {
  int turn = 0;
  std::span<const ToolCallRecord> calls;
};

struct RunFinishedEvent {
  FinishReason reason = FinishReason::kEndTurn;
  llm::StopReason stop_reason = llm::StopReason::kEndTurn;  // the model's last
  std::string stop_reason_text;
  const AgentError* error = nullptr;
  llm::Usage usage;  // the whole run
  int turns = 0;
};

using AgentEvent =
    std::variant<TurnStartEvent, TextDeltaEvent, ReasoningDeltaEvent, ToolUseStartEvent,
                 ToolUseInputDeltaEvent, BlockStopEvent, TurnStopEvent, TurnUsageEvent,
                 ToolCallStartedEvent, ApprovalPendingEvent, ApprovalResolvedEvent,
                 ToolCallFinishedEvent, ToolRoundEvent, RunFinishedEvent>;

// Receives a run's events. Calls come in order, one at a time (the run awaits each), on the run's
// executor; `event` and what it points to are valid until the call completes. Awaiting gives
// backpressure (an SSE writer can write the chunk before the run goes on). Returning an error
// (e.g. the client went away) cancels the run like CancelToken::Cancel, with a gateway error.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual boost::asio::awaitable<core::Status> OnEvent(const AgentEvent& event) = 0;
};

// An EventSink calling a plain function (for printing, tests, or pushing into a queue).
class CallbackSink final : public EventSink {
 public:
  explicit CallbackSink(std::function<void(const AgentEvent&)> callback)
      : callback_(std::move(callback)) {}
  boost::asio::awaitable<core::Status> OnEvent(const AgentEvent& event) override;

 private:
  std::function<void(const AgentEvent&)> callback_;
};

}  // namespace bedrock::agent

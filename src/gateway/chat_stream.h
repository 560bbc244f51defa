// How an agent run is written to the client: the SSE chunk payloads of a streamed answer and the
// body of a non-streamed one, in two styles.
//
// Demo style (../shared/reference/demo-api.md §6, what the demo's web UI and clients parse):
//   - one chunk per model stream event, `id` "chat<ns>" different on every chunk, many with
//     "delta": {}; reasoning inline as "<thinking>…" (closed by "</thinking>" prepended to the
//     next text), tool input as "<tool_input>…</tool_input>" in `content`;
//   - finish_reason is the Bedrock stop reason; a tool round ends with the "tool_use" finish twice,
//     the second carrying message_extras.tool_use as a JSON-encoded STRING of an array alternating
//     call {toolUseId, name, input, server, tool} and result {toolUseId, content: [{text}, {image:
//     {format, source: {base64}}}...], status?};
//   - endings: "end_turn" (or max_tokens, stop_sequence, content_filtered, guardrail_intervened)
//     chunk, [DONE], then the usage-metadata chunk; stop: an empty chunk, {"id": "stop<ns>",
//     "finish_reason": "stop_requested"}, [DONE]; model error: {"content": "Error: <source>:
//     <message>", "finish_reason": "error"} without [DONE]; gateway or MCP server error: an
//     "error<ns>" chunk with finish_reason "error", then [DONE]. Error chunks also carry
//     choices[0].error = {message, source, server_id?} (source: model, mcp_server, gateway).
//
// OpenAI style (what OpenAI SDKs expect): one `id` for the whole completion; the first chunk has
// delta {"role": "assistant", "content": ""}; text in `content`, reasoning in
// `reasoning_content`, no tags; tool activity in choices[0].message_extras.tool_use as a real
// array ({toolUseId, name, server, tool, input} when a call starts, {toolUseId, content, status}
// when it ends); one finish chunk with an OpenAI finish_reason (stop, length, content_filter)
// and message_extras.stop_reason (the Bedrock reason, or max_turns / stop_requested); with
// stream_options.include_usage a last chunk with "choices": [] and the real usage; then [DONE].
// Errors are {"error": {message, type, code, source, server_id?}} and end the stream (no [DONE]).
//
// Both styles announce an approval wait with a chunk whose choices[0].message_extras.approval is
// {id, server, tool, name, arguments, tool_use_id, timeout_ms} and its outcome with {id,
// tool_use_id, state: approved | denied | expired | cancelled}.
//
// Thread-safety: a ChunkWriter belongs to one response.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/events.h"
#include "gateway/chat_request.h"

namespace bedrock::gateway {

// Not an aggregate (kept in writers built inside coroutines).
struct ChunkOptions {
  ChunkOptions() {}

  std::string model;           // echoed in every chunk
  bool include_usage = false;  // stream_options.include_usage
  // Nanoseconds since the Unix epoch, for ids ("chat<ns>") and `created`. Null: the system clock.
  std::function<int64_t()> now_ns;
};

class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;

  // Appends the payloads (one-line JSON texts, or "[DONE]") that `event` produces to `out`.
  virtual void OnEvent(const agent::AgentEvent& event, std::vector<std::string>& out) = 0;
  // The ending of a stream the user stopped (after the run's RunFinishedEvent, which writes
  // nothing for a cancelled run).
  virtual void Stopped(std::vector<std::string>& out) = 0;
  // An error outside the run (e.g. an MCP server that cannot start): the error ending.
  virtual void Failed(const agent::AgentError& error, std::vector<std::string>& out) = 0;
  // The reply to a request with no messages (the demo's finish_reason "load").
  virtual void Empty(std::vector<std::string>& out) = 0;
};

std::unique_ptr<ChunkWriter> MakeChunkWriter(ResponseStyle style, ChunkOptions options);

// The body of a non-streamed answer (demo §6.1 with real usage and message_extras.tool_use as an
// array of {name, arguments, result}; or an OpenAI chat.completion). `result` must have finished
// without error.
std::string CompletionBody(ResponseStyle style, const agent::AgentResult& result,
                           const ChunkOptions& options);
// The body for a request with no messages.
std::string EmptyCompletionBody(ResponseStyle style, const ChunkOptions& options);

// The demo's message_extras.tool_use array of a tool round: call, result, call, result...
boost::json::array DemoToolRound(std::span<const agent::ToolCallRecord> calls);
// A tool result's content as the demo sends it: the text joined into one {"text"} item first,
// then {"json"}, {"image": {"format", "source": {"base64"}}} and {"document": {"format",
// "name"}} items.
boost::json::array DemoResultContent(const llm::ToolResultBlock& result);

// The OpenAI finish_reason for how a run ended: "stop", "length" or "content_filter".
std::string_view OpenAiFinishReason(agent::FinishReason reason);

// {"message", "source", "server_id"?} for an error chunk or body.
boost::json::object ErrorDetail(const agent::AgentError& error);

}  // namespace bedrock::gateway

// The OpenAI chat-completions wire mapping (POST {base}/chat/completions), for any
// OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, ...): requests, responses, and the
// streamed SSE chunks turned into the neutral StreamEvents.
//
//   std::string body = BEDROCK_TRY(llm::openai_chat::EncodeRequest(request, /*stream=*/true));
//   ...
//   llm::openai_chat::StreamMapper mapper;
//   std::vector<llm::StreamEvent> events;
//   BEDROCK_TRY(mapper.OnData(sse_event.data, events));   // for each `data:` payload
//   BEDROCK_TRY(mapper.OnEnd(events));                    // at the end of the body
//
// Mapping (the neutral model follows Bedrock): system blocks -> one leading "system" message;
// tool results -> "tool" messages (text, JSON serialised; images follow in a user message, since
// tool messages carry text only); images -> data: URLs; documents -> text parts for text formats,
// "file" parts otherwise; tool uses -> assistant tool_calls with JSON-text arguments; reasoning
// blocks are not sent back (DeepSeek rejects them); cache points are dropped. Tool choice any ->
// "required". additionalModelRequestFields are merged into the body last, so they can override.
// finish_reason stop -> end_turn, length -> max_tokens, tool_calls/function_call -> tool_use,
// content_filter -> content_filtered, anything else kUnknown with its text kept.
//
// Thread-safety: pure functions; a StreamMapper belongs to one stream.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "llm/model.h"

namespace bedrock::llm::openai_chat {

// The request body. kInvalidArgument when additional_model_request_fields is not an object.
core::Result<boost::json::value> RequestToJson(const ChatRequest& request, bool stream);
core::Result<std::string> EncodeRequest(const ChatRequest& request, bool stream);

// A non-streamed response body. kUpstreamFailure when it is not a chat completion.
core::Result<ChatResponse> DecodeResponse(std::string_view body);

// The error of a non-2xx response: {"error":{"message","type","code"}} (or any body), as
// "HTTP 429 rate_limit_exceeded: <message>" with the code mapped from the HTTP status.
core::Error DecodeError(int http_status, std::string_view body);

StopReason StopReasonFromFinishReason(std::string_view finish_reason);
std::string_view FinishReasonFor(StopReason reason);  // the reverse: "stop", "length", ...

// Turns chat.completion.chunk payloads into neutral stream events: messageStart on the first
// chunk; a reasoning block for `reasoning_content` deltas, a text block for `content`, one block
// per tool call index (its start carries id and name, its argument fragments are input deltas);
// a block is stopped when another kind begins and all are stopped at finish_reason, which becomes
// messageStop; usage becomes the metadata event, after messageStop.
class StreamMapper {
 public:
  // One SSE `data:` payload ("[DONE]" included). An `{"error":...}` payload fails the stream.
  core::Status OnData(std::string_view data, std::vector<StreamEvent>& out);
  // The body ended. Fails (kUpstreamFailure) when it ended before a finish_reason or [DONE].
  core::Status OnEnd(std::vector<StreamEvent>& out);

  bool done() const { return done_; }
  // Sets the latency reported in the metadata event.
  void set_latency_ms(int64_t latency_ms) { latency_ms_ = latency_ms; }

 private:
  enum class Open { kNone, kText, kReasoning };
  void CloseTextOrReasoning(std::vector<StreamEvent>& out);
  void Finish(std::string_view finish_reason, std::vector<StreamEvent>& out);
  void EmitMetadata(std::vector<StreamEvent>& out);

  bool started_ = false;
  bool finished_ = false;  // messageStop emitted
  bool done_ = false;      // [DONE] seen
  bool metadata_sent_ = false;
  int next_index_ = 0;
  Open open_ = Open::kNone;
  int open_index_ = -1;
  std::map<int64_t, int> tool_blocks_;  // OpenAI tool call index -> our block index
  std::optional<Usage> usage_;
  int64_t latency_ms_ = 0;
};

// --- The server side (the local emulator's /v1/chat/completions) ---

struct DecodedRequest {
  ChatRequest request;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Parses a chat-completions request body into the neutral model: system/developer messages become
// system blocks, tool messages tool-result blocks, consecutive messages of one role are merged
// (Bedrock needs alternating roles), images must be data: URLs. kInvalidArgument with the member
// named for anything malformed.
core::Result<DecodedRequest> DecodeRequest(std::string_view body);

// A chat.completion body for a response.
std::string EncodeResponse(const ChatResponse& response, std::string_view id,
                           std::string_view model, int64_t created);

// Turns neutral stream events into chat.completion.chunk payloads (for `data:` lines; the caller
// sends the final "[DONE]"). Tool-use blocks become tool_calls numbered 0, 1, ... in order of
// their start; metadata becomes a usage chunk only when include_usage is set.
class StreamChunkEncoder {
 public:
  StreamChunkEncoder(std::string id, std::string model, int64_t created, bool include_usage)
      : id_(std::move(id)),
        model_(std::move(model)),
        created_(created),
        include_usage_(include_usage) {}

  // Zero or more chunk payloads for one event.
  std::vector<std::string> Encode(const StreamEvent& event);

 private:
  std::string Chunk(boost::json::value delta, std::string_view finish_reason) const;

  std::string id_;
  std::string model_;
  int64_t created_;
  bool include_usage_;
  std::map<int, int> tool_calls_;  // block index -> tool call index
};

}  // namespace bedrock::llm::openai_chat

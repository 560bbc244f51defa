// Anthropic Claude's Messages API as Bedrock InvokeModel carries it (anthropic_version
// "bedrock-2023-05-31"), mapped to and from the provider-neutral model (llm/model.h), so that a
// Claude model called through InvokeModel[WithResponseStream] looks like any other ChatProvider.
//
//   std::string body = BEDROCK_TRY(claude_messages::EncodeRequest(chat_request));
//   ... POST /model/{id}/invoke ...
//   llm::ChatResponse response = BEDROCK_TRY(claude_messages::DecodeResponse(response_body));
//
//   // Streaming: each `chunk` event's bytes are one Anthropic stream event (JSON).
//   claude_messages::StreamMapper mapper;
//   BEDROCK_TRY(mapper.Map(chunk_bytes, [&](llm::StreamEvent&& e) { ...; return OkStatus(); }));
//   if (!mapper.finished()) ...;   // no message_stop: the stream was cut short
//
// Request mapping: system text blocks become `system` blocks; messages, tools (`input_schema`),
// tool_choice (auto/any/tool/none), temperature/top_p/stop_sequences map one to one; max_tokens
// defaults to kDefaultMaxTokens (Claude requires it); cache points become `cache_control` on the
// block before them; reasoning blocks are sent back as `thinking` (with their signature) or
// `redacted_thinking`; JSON tool-result content is sent as text. additional_model_request_fields
// (e.g. {"thinking":{"type":"enabled","budget_tokens":2048}}, {"top_k":50}, "anthropic_beta") are
// merged into the body's top level. Documents: pdf (base64) and text-like formats (txt, md, csv,
// html) only.
//
// Response mapping: text, tool_use, thinking and redacted_thinking blocks (others are skipped);
// stop_reason as text (unknown values keep their text); usage input/output/cache tokens; Bedrock's
// `amazon-bedrock-invocationMetrics` (streaming) gives the latency and authoritative counts.
//
// Thread-safety: pure functions; a StreamMapper belongs to one stream.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "core/result.h"
#include "llm/model.h"

namespace bedrock::llm::claude_messages {

inline constexpr std::string_view kAnthropicVersion = "bedrock-2023-05-31";
inline constexpr int kDefaultMaxTokens = 4096;

// The InvokeModel body for `request` (its model_id goes in the path, not here). kInvalidArgument
// for what Claude cannot take: a document format other than pdf/txt/md/csv/html, an
// additional_model_request_fields that is not an object, or no messages.
core::Result<std::string> EncodeRequest(const ChatRequest& request);

// Parses an InvokeModel response body. kUpstreamFailure when it is not a Messages response.
core::Result<ChatResponse> DecodeResponse(std::string_view body);

// Folds Anthropic stream events (one JSON object per Bedrock `chunk`) into neutral StreamEvents:
// message_start -> MessageStartEvent; content_block_start (tool_use) -> ContentBlockStartEvent;
// text/input_json/thinking/signature deltas -> ContentBlockDeltaEvent; content_block_stop ->
// ContentBlockStopEvent; message_delta's stop_reason -> MessageStopEvent; message_stop ->
// MetadataEvent (usage, latency). ping and unknown event or block types are skipped; an `error`
// event is an error (kUpstreamFailure, "Claude overloaded_error: Overloaded").
class StreamMapper {
 public:
  using Callback = std::function<core::Status(StreamEvent&&)>;

  // One Anthropic event (JSON text). kUpstreamFailure for malformed JSON or a known event with a
  // malformed shape.
  core::Status Map(std::string_view event_json, const Callback& on_event);

  // message_stop was seen.
  bool finished() const { return finished_; }

 private:
  std::set<int> skipped_blocks_;  // indexes of block types we do not map
  Usage usage_;
  bool stop_sent_ = false;
  bool finished_ = false;
};

}  // namespace bedrock::llm::claude_messages

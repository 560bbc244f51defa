// The provider-neutral conversation model: what the agent loop sends to a chat model and gets back,
// whichever provider (Bedrock Converse, an OpenAI-compatible endpoint) serves it.
//
// The shapes follow Bedrock Converse, the richest of the APIs we speak; other providers map to and
// from them and drop (or reject) what they cannot express.
//
//   llm::ChatRequest request;
//   request.model_id = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";
//   request.system.push_back(llm::TextBlock{"You are terse."});
//   request.messages.push_back(llm::Message::UserText("Weather in Paris?"));
//   request.tools.push_back({.name = "get_weather", .description = "...", .input_schema = schema});
//   request.inference.max_tokens = 1024;
//
//   // Streaming: events as they arrive, folded into the final response by a StreamAssembler.
//   llm::StreamAssembler assembler;
//   BEDROCK_TRY(assembler.Add(event));            // for each event
//   llm::ChatResponse response = BEDROCK_TRY(assembler.Finish());
//
// Bytes (images, documents, redacted reasoning) are held raw, never base64: each codec encodes them
// as its wire format wants.
//
// Thread-safety: value types; StreamAssembler is not thread-safe (one per stream).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace bedrock::llm {

enum class Role { kUser, kAssistant };
std::string_view RoleName(Role role);  // "user", "assistant"

// --- Content blocks ---

struct TextBlock {
  std::string text;
  bool operator==(const TextBlock&) const = default;
};

// An image; `format` is the Bedrock name: "png", "jpeg", "gif" or "webp".
struct ImageBlock {
  std::string format;
  std::string bytes;  // raw image bytes
  bool operator==(const ImageBlock&) const = default;
};

// A document; `format` is "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt" or "md".
// `name` is shown to the model (Bedrock: 1..200 chars of [a-zA-Z0-9 ()[]-], no consecutive spaces).
struct DocumentBlock {
  std::string format;
  std::string name;
  std::string bytes;  // raw document bytes
  bool operator==(const DocumentBlock&) const = default;
};

// A request of the model to call a tool. `input` is the parsed JSON arguments (an object).
struct ToolUseBlock {
  std::string id;  // Bedrock toolUseId / OpenAI tool_call id
  std::string name;
  boost::json::value input;
  bool operator==(const ToolUseBlock&) const = default;
};

// Structured JSON inside a tool result.
struct JsonBlock {
  boost::json::value json;
  bool operator==(const JsonBlock&) const = default;
};

using ToolResultContent = std::variant<TextBlock, JsonBlock, ImageBlock, DocumentBlock>;

enum class ToolResultStatus { kUnspecified, kSuccess, kError };

// The answer to a ToolUseBlock, sent back in a user message.
struct ToolResultBlock {
  std::string tool_use_id;
  std::vector<ToolResultContent> content;
  ToolResultStatus status = ToolResultStatus::kUnspecified;
  bool operator==(const ToolResultBlock&) const = default;
};

// The model's reasoning ("thinking"). Either text with its signature, or redacted (encrypted)
// bytes. Must be sent back unchanged in later turns.
struct ReasoningBlock {
  std::string text;
  std::string signature;
  std::string redacted;  // raw bytes; non-empty means this block is redacted (text is empty)
  bool operator==(const ReasoningBlock&) const = default;
  bool is_redacted() const { return !redacted.empty(); }
};

// A prompt-cache checkpoint: everything before it may be cached by the provider.
struct CachePointBlock {
  std::string ttl;  // "" (provider default), "5m" or "1h"
  bool operator==(const CachePointBlock&) const = default;
};

using ContentBlock = std::variant<TextBlock, ImageBlock, DocumentBlock, ToolUseBlock,
                                  ToolResultBlock, ReasoningBlock, CachePointBlock>;

struct Message {
  Role role = Role::kUser;
  std::vector<ContentBlock> content;

  static Message UserText(std::string text);
  static Message AssistantText(std::string text);

  // Every text block's text, concatenated.
  std::string Text() const;
  // The tool-use blocks, in order.
  std::vector<const ToolUseBlock*> ToolUses() const;

  bool operator==(const Message&) const = default;
};

// A system-prompt block: text or a cache point.
using SystemBlock = std::variant<TextBlock, CachePointBlock>;

// --- Tools and configuration ---

struct ToolSpec {
  std::string name;  // Bedrock: [a-zA-Z0-9_-]{1,64}
  std::string description;
  boost::json::value input_schema;  // a JSON Schema object
  bool operator==(const ToolSpec&) const = default;
};

struct ToolChoice {
  enum class Kind {
    kAuto,  // the model decides
    kAny,   // the model must call some tool
    kTool,  // the model must call `name`
    kNone,  // the model must not call a tool (OpenAI only; Bedrock has no such choice and the
            // codec sends no toolChoice, i.e. auto)
  };
  Kind kind = Kind::kAuto;
  std::string name;  // kTool only
  bool operator==(const ToolChoice&) const = default;
};

struct InferenceConfig {
  std::optional<int> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop_sequences;
  bool operator==(const InferenceConfig&) const = default;
};

struct GuardrailConfig {
  std::string identifier;
  std::string version;
  std::string trace;                   // "", "enabled", "disabled" or "enabled_full"
  std::string stream_processing_mode;  // streaming only: "", "sync" or "async"
  bool operator==(const GuardrailConfig&) const = default;
};

struct ChatRequest {
  std::string model_id;  // provider's model id (Bedrock: id, inference profile id or ARN)
  std::vector<SystemBlock> system;
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;
  bool cache_point_after_tools = false;   // Bedrock: a cachePoint entry after the tool specs
  std::optional<ToolChoice> tool_choice;  // nullopt: the provider's default (auto)
  InferenceConfig inference;
  // Passed to the model unchanged (Bedrock additionalModelRequestFields, merged into the OpenAI
  // request body). Null means absent; otherwise an object.
  boost::json::value additional_model_request_fields;
  std::vector<std::string> additional_model_response_field_paths;  // JSON pointers (Bedrock)
  std::optional<GuardrailConfig> guardrail;
  std::map<std::string, std::string> request_metadata;  // Bedrock requestMetadata
  bool operator==(const ChatRequest&) const = default;
};

// --- Response ---

enum class StopReason {
  kEndTurn,
  kToolUse,
  kMaxTokens,
  kStopSequence,
  kGuardrailIntervened,
  kContentFiltered,
  kModelContextWindowExceeded,
  kMalformedModelOutput,
  kMalformedToolUse,
  kUnknown,  // a value this build does not know; ChatResponse::stop_reason_text keeps it
};

// The Bedrock wire name ("end_turn", ...); "" for kUnknown.
std::string_view StopReasonName(StopReason reason);
// The reason for a Bedrock wire name; kUnknown for anything else.
StopReason StopReasonFromName(std::string_view name);

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  std::optional<int64_t> cache_read_input_tokens;
  std::optional<int64_t> cache_write_input_tokens;
  bool operator==(const Usage&) const = default;
};

struct Metrics {
  int64_t latency_ms = 0;
  bool operator==(const Metrics&) const = default;
};

struct ChatResponse {
  Message message{Role::kAssistant, {}};
  StopReason stop_reason = StopReason::kEndTurn;
  std::string stop_reason_text = "end_turn";  // as received, also for kUnknown
  Usage usage;
  Metrics metrics;
  boost::json::value additional_model_response_fields;  // null when absent
  bool operator==(const ChatResponse&) const = default;

  void SetStopReason(StopReason reason);          // sets both fields
  void SetStopReasonText(std::string_view text);  // sets both fields
};

// --- Streaming ---

struct MessageStartEvent {
  Role role = Role::kAssistant;
  bool operator==(const MessageStartEvent&) const = default;
};

// The start of a structured block. Bedrock sends it for tool use only: text and reasoning blocks
// start with their first delta.
struct ContentBlockStartEvent {
  int index = 0;
  struct ToolUseStart {
    std::string id;
    std::string name;
    bool operator==(const ToolUseStart&) const = default;
  };
  std::optional<ToolUseStart> tool_use;
  bool operator==(const ContentBlockStartEvent&) const = default;
};

struct ContentBlockDeltaEvent {
  enum class Kind {
    kText,                // text
    kToolUseInput,        // a fragment of the tool input JSON text
    kReasoningText,       // reasoning text
    kReasoningSignature,  // the reasoning block's signature
    kReasoningRedacted,   // redacted reasoning bytes (raw)
  };
  int index = 0;
  Kind kind = Kind::kText;
  std::string text;
  bool operator==(const ContentBlockDeltaEvent&) const = default;
};

struct ContentBlockStopEvent {
  int index = 0;
  bool operator==(const ContentBlockStopEvent&) const = default;
};

struct MessageStopEvent {
  StopReason stop_reason = StopReason::kEndTurn;
  std::string stop_reason_text = "end_turn";
  boost::json::value additional_model_response_fields;
  bool operator==(const MessageStopEvent&) const = default;
};

struct MetadataEvent {
  Usage usage;
  Metrics metrics;
  bool operator==(const MetadataEvent&) const = default;
};

using StreamEvent = std::variant<MessageStartEvent, ContentBlockStartEvent, ContentBlockDeltaEvent,
                                 ContentBlockStopEvent, MessageStopEvent, MetadataEvent>;

// Builds the final ChatResponse from stream events. Blocks are keyed by their index (never by
// arrival order) and ordered by it; tool-use input fragments are concatenated and parsed as JSON
// when the block stops (an empty input is `{}`).
//
// Errors (kUpstreamFailure): a delta whose kind does not fit its block (text into a tool-use
// block), a tool-use start for an index already in use, tool input that is not JSON, events after
// messageStop other than metadata, more than `max_blocks` blocks or `max_bytes` of content.
class StreamAssembler {
 public:
  struct Limits {
    size_t max_blocks = 4096;
    size_t max_bytes = 64u << 20;
  };
  StreamAssembler() : StreamAssembler(Limits{}) {}
  explicit StreamAssembler(Limits limits) : limits_(limits) {}

  core::Status Add(const StreamEvent& event);

  bool message_stopped() const { return stopped_; }

  // The response so far. Fails when no messageStop was seen (a stream that ended early) or a
  // tool-use block's input does not parse. Blocks that never got their stop are closed here.
  core::Result<ChatResponse> Finish();

 private:
  struct Block {
    enum class Kind { kPending, kText, kToolUse, kReasoning } kind = Kind::kPending;
    std::string text;  // text, reasoning text, or tool input JSON text
    std::string id, name, signature, redacted;
    bool stopped = false;
  };
  core::Result<Block*> BlockFor(int index);

  Limits limits_;
  std::map<int, Block> blocks_;
  size_t bytes_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  ChatResponse response_;
};

}  // namespace bedrock::llm

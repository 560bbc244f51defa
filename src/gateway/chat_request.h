// POST /v1/chat/completions bodies: the demo's request (../shared/reference/demo-api.md §5) and
// the standard OpenAI fields, parsed into what an agent run needs.
//
//   gateway::ChatDefaults defaults;                      // from the "chat" config section
//   auto parsed = gateway::ParseChatRequest(body, defaults);
//   if (!parsed.ok()) return ChatErrorResponse(parsed.error());   // 400 / 413 / 422
//   parsed->model;            // still to be checked against the configured models
//   parsed->messages;         // llm::Message list, system messages taken out into `system`
//
// What is accepted:
//  - `model` (required string), `messages` (required array; may be empty).
//  - Message `content`: a string or an array of parts: {"type":"text","text"},
//    {"type":"image_url","image_url":{"url":"data:image/png;base64,..."}} (png, jpeg/jpg, gif,
//    webp; remote URLs are dropped as in the demo), {"type":"file","file":{"file_data",
//    "filename"}} (file_data is base64 or a base64 data URI) -> a document block whose format
//    comes from the file name (pdf, csv, doc, docx, xls, xlsx, html, txt, md; anything else is
//    sent as txt) and whose name is the file name made Bedrock-safe and unique in the request.
//  - Roles: system (every system message joins the system prompt), user, assistant (a leading
//    assistant message is dropped). `tool` / `function` messages and `tool_calls` are refused
//    (tools run inside the gateway). Extra message keys (the demo UI's `thinking`, `toolUse`...)
//    are ignored.
//  - max_tokens (or max_completion_tokens), temperature, top_p, stop (string or array), stream,
//    stream_options.include_usage, keep_session, mcp_server_ids, conversation_id, response_style
//    ("demo" | "openai"), extra_params {enable_thinking, budget_tokens,
//    only_n_most_recent_images}. `n` must be 1 when present.
//  - Ignored, as the demo does: tools, tool_choice, functions, options, top_k, user,
//    parallel_tool_calls, response_format, seed, logprobs, presence/frequency penalties.
//
// Errors: kInvalidArgument (the body is not a JSON object: HTTP 400), kFailedPrecondition for a
// field of the wrong type or value (reported as 422, the demo's errno for validation errors; the
// message names the field), kPayloadTooLarge (413).
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "llm/model.h"

namespace bedrock::gateway {

// How the answer is written: the demo's chunk stream, or clean OpenAI chunks.
enum class ResponseStyle { kDemo, kOpenAi };
std::string_view ResponseStyleName(ResponseStyle style);  // "demo", "openai"
std::optional<ResponseStyle> ResponseStyleFromName(std::string_view name);

// Values used when the request does not say (the demo's defaults).
struct ChatDefaults {
  int max_tokens = 4000;
  double temperature = 0.5;
  int budget_tokens = 1024;
  size_t only_n_most_recent_images = 3;
  size_t max_request_bytes = 16u << 20;
};

struct ChatCompletionRequest {
  std::string model;
  std::vector<llm::SystemBlock> system;  // from the request's system messages
  std::vector<llm::Message> messages;    // user/assistant turns, as sent
  bool messages_empty = false;           // `messages` was [] (the demo's "load" reply)

  int max_tokens = 4000;
  double temperature = 0.5;
  std::optional<double> top_p;  // only when the client sent it
  std::vector<std::string> stop;

  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool keep_session = false;
  std::vector<std::string> mcp_server_ids;
  std::string conversation_id;                  // "" is the user's default conversation
  std::optional<ResponseStyle> response_style;  // from the body; the header is read elsewhere

  bool enable_thinking = false;
  int budget_tokens = 1024;
  size_t only_n_most_recent_images = 3;
};

core::Result<ChatCompletionRequest> ParseChatRequest(std::string_view body,
                                                     const ChatDefaults& defaults);

// A request body that must be a JSON object: kInvalidArgument (HTTP 400) when it is not.
core::Result<boost::json::object> ParseBodyObject(std::string_view body);

// The Bedrock document format for a file name's extension: pdf, csv, doc, docx, xls, xlsx, html,
// txt or md; "txt" for anything else (the demo's rule). "htm" is html, "markdown" is md.
std::string_view DocumentFormatForFileName(std::string_view file_name);

}  // namespace bedrock::gateway

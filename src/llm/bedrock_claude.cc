#include "llm/bedrock_claude.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "core/base64.h"

namespace bedrock::llm::claude_messages {
namespace {

namespace json = boost::json;
using core::Base64Encode;

// --- Encoding ---

core::Result<std::string> MediaType(std::string_view kind, std::string_view format) {
  if (kind == "image") {
    if (format == "png" || format == "jpeg" || format == "gif" || format == "webp") {
      return fmt::format("image/{}", format);
    }
    return core::Error::InvalidArgument("Claude takes png, jpeg, gif or webp images, not '{}'",
                                        format);
  }
  if (format == "pdf") return std::string("application/pdf");
  if (format == "txt" || format == "md" || format == "csv" || format == "html") {
    return std::string("text/plain");
  }
  return core::Error::InvalidArgument(
      "Claude takes pdf or text (txt, md, csv, html) documents, not '{}'", format);
}

core::Result<json::object> ImageJson(const ImageBlock& image) {
  auto media_type = BEDROCK_TRY(MediaType("image", image.format));
  return json::object{{"type", "image"},
                      {"source", json::object{{"type", "base64"},
                                              {"media_type", media_type},
                                              {"data", Base64Encode(image.bytes)}}}};
}

core::Result<json::object> DocumentJson(const DocumentBlock& document) {
  auto media_type = BEDROCK_TRY(MediaType("document", document.format));
  json::object source;
  if (document.format == "pdf") {
    source = json::object{
        {"type", "base64"}, {"media_type", media_type}, {"data", Base64Encode(document.bytes)}};
  } else {
    source = json::object{{"type", "text"}, {"media_type", media_type}, {"data", document.bytes}};
  }
  json::object out{{"type", "document"}, {"source", std::move(source)}};
  if (!document.name.empty()) out["title"] = document.name;
  return out;
}

json::object CacheControl(const CachePointBlock& point) {
  json::object out{{"type", "ephemeral"}};
  if (!point.ttl.empty()) out["ttl"] = point.ttl;
  return out;
}

// Marks the last block of `blocks` as a cache checkpoint; a cache point with nothing before it
// has nothing to mark.
void AddCacheControl(json::array& blocks, const CachePointBlock& point) {
  if (!blocks.empty() && blocks.back().is_object()) {
    blocks.back().as_object()["cache_control"] = CacheControl(point);
  }
}

core::Result<json::object> ToolResultJson(const ToolResultBlock& result) {
  json::array content;
  for (const auto& item : result.content) {
    if (const auto* text = std::get_if<TextBlock>(&item)) {
      content.push_back(json::object{{"type", "text"}, {"text", text->text}});
    } else if (const auto* js = std::get_if<JsonBlock>(&item)) {
      content.push_back(json::object{{"type", "text"}, {"text", json::serialize(js->json)}});
    } else if (const auto* image = std::get_if<ImageBlock>(&item)) {
      content.push_back(BEDROCK_TRY(ImageJson(*image)));
    } else if (const auto* doc = std::get_if<DocumentBlock>(&item)) {
      content.push_back(BEDROCK_TRY(DocumentJson(*doc)));
    }
  }
  json::object out{{"type", "tool_result"},
                   {"tool_use_id", result.tool_use_id},
                   {"content", std::move(content)}};
  if (result.status == ToolResultStatus::kError) out["is_error"] = true;
  return out;
}

core::Status AppendBlock(json::array& out, const ContentBlock& block) {
  if (const auto* text = std::get_if<TextBlock>(&block)) {
    out.push_back(json::object{{"type", "text"}, {"text", text->text}});
  } else if (const auto* image = std::get_if<ImageBlock>(&block)) {
    out.push_back(BEDROCK_TRY(ImageJson(*image)));
  } else if (const auto* doc = std::get_if<DocumentBlock>(&block)) {
    out.push_back(BEDROCK_TRY(DocumentJson(*doc)));
  } else if (const auto* use = std::get_if<ToolUseBlock>(&block)) {
    out.push_back(
        json::object{{"type", "tool_use"},
                     {"id", use->id},
                     {"name", use->name},
                     {"input", use->input.is_null() ? json::value(json::object{}) : use->input}});
  } else if (const auto* result = std::get_if<ToolResultBlock>(&block)) {
    out.push_back(BEDROCK_TRY(ToolResultJson(*result)));
  } else if (const auto* reasoning = std::get_if<ReasoningBlock>(&block)) {
    if (reasoning->is_redacted()) {
      out.push_back(json::object{{"type", "redacted_thinking"}, {"data", reasoning->redacted}});
    } else {
      out.push_back(json::object{{"type", "thinking"},
                                 {"thinking", reasoning->text},
                                 {"signature", reasoning->signature}});
    }
  } else if (const auto* point = std::get_if<CachePointBlock>(&block)) {
    AddCacheControl(out, *point);
  }
  return core::OkStatus();
}

json::value ToolChoiceJson(const ToolChoice& choice) {
  switch (choice.kind) {
    case ToolChoice::Kind::kAny:
      return json::object{{"type", "any"}};
    case ToolChoice::Kind::kTool:
      return json::object{{"type", "tool"}, {"name", choice.name}};
    case ToolChoice::Kind::kNone:
      return json::object{{"type", "none"}};
    case ToolChoice::Kind::kAuto:
      break;
  }
  return json::object{{"type", "auto"}};
}

// --- Decoding ---

core::Error Malformed(std::string_view what) {
  return core::Error::UpstreamFailure("malformed Claude Messages {}", what);
}

std::optional<std::string_view> StringAt(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->as_string());
}

std::optional<int64_t> IntAt(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

// Reads Anthropic `usage` members into `usage` (members absent leave fields as they are).
void ReadUsage(const json::object& object, Usage& usage) {
  if (auto v = IntAt(object, "input_tokens")) usage.input_tokens = *v;
  if (auto v = IntAt(object, "output_tokens")) usage.output_tokens = *v;
  if (auto v = IntAt(object, "cache_read_input_tokens")) usage.cache_read_input_tokens = *v;
  if (auto v = IntAt(object, "cache_creation_input_tokens")) usage.cache_write_input_tokens = *v;
  usage.total_tokens = usage.input_tokens + usage.output_tokens;
}

core::Result<json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return Malformed(what);
  return std::move(value.as_object());
}

}  // namespace

core::Result<std::string> EncodeRequest(const ChatRequest& request) {
  if (request.messages.empty()) {
    return core::Error::InvalidArgument("a Claude request needs at least one message");
  }
  json::object body;
  body["anthropic_version"] = kAnthropicVersion;
  body["max_tokens"] = request.inference.max_tokens.value_or(kDefaultMaxTokens);
  if (!request.system.empty()) {
    json::array system;
    for (const auto& block : request.system) {
      if (const auto* text = std::get_if<TextBlock>(&block)) {
        system.push_back(json::object{{"type", "text"}, {"text", text->text}});
      } else if (const auto* point = std::get_if<CachePointBlock>(&block)) {
        AddCacheControl(system, *point);
      }
    }
    body["system"] = std::move(system);
  }
  json::array messages;
  for (const auto& message : request.messages) {
    json::array content;
    for (const auto& block : message.content) BEDROCK_TRY(AppendBlock(content, block));
    messages.push_back(json::object{{"role", RoleName(message.role)}, {"content", content}});
  }
  body["messages"] = std::move(messages);
  if (request.inference.temperature) body["temperature"] = *request.inference.temperature;
  if (request.inference.top_p) body["top_p"] = *request.inference.top_p;
  if (!request.inference.stop_sequences.empty()) {
    json::array stops;
    for (const auto& s : request.inference.stop_sequences) stops.push_back(json::string(s));
    body["stop_sequences"] = std::move(stops);
  }
  if (!request.tools.empty()) {
    json::array tools;
    for (const auto& tool : request.tools) {
      json::object spec{{"name", tool.name}};
      if (!tool.description.empty()) spec["description"] = tool.description;
      spec["input_schema"] = tool.input_schema.is_null()
                                 ? json::value(json::object{{"type", "object"}})
                                 : tool.input_schema;
      tools.push_back(std::move(spec));
    }
    if (request.cache_point_after_tools) AddCacheControl(tools, CachePointBlock{});
    body["tools"] = std::move(tools);
  }
  if (request.tool_choice) body["tool_choice"] = ToolChoiceJson(*request.tool_choice);
  if (!request.additional_model_request_fields.is_null()) {
    if (!request.additional_model_request_fields.is_object()) {
      return core::Error::InvalidArgument("additional_model_request_fields must be an object");
    }
    for (const auto& [key, value] : request.additional_model_request_fields.as_object()) {
      body[key] = value;
    }
  }
  return json::serialize(body);
}

core::Result<ChatResponse> DecodeResponse(std::string_view body) {
  json::object object = BEDROCK_TRY(ParseObject(body, "response: not a JSON object"));
  const json::value* content = object.if_contains("content");
  if (content == nullptr || !content->is_array()) return Malformed("response: no content array");
  ChatResponse response;
  for (const auto& item : content->as_array()) {
    if (!item.is_object()) return Malformed("response: content item is not an object");
    const auto& block = item.as_object();
    auto type = StringAt(block, "type").value_or("");
    if (type == "text") {
      auto text = StringAt(block, "text");
      if (!text) return Malformed("response: text block without text");
      response.message.content.push_back(TextBlock{std::string(*text)});
    } else if (type == "tool_use") {
      auto id = StringAt(block, "id");
      auto name = StringAt(block, "name");
      const json::value* input = block.if_contains("input");
      if (!id || !name) return Malformed("response: tool_use block without id or name");
      response.message.content.push_back(
          ToolUseBlock{std::string(*id), std::string(*name),
                       input != nullptr ? *input : json::value(json::object{})});
    } else if (type == "thinking") {
      ReasoningBlock reasoning;
      reasoning.text = std::string(StringAt(block, "thinking").value_or(""));
      reasoning.signature = std::string(StringAt(block, "signature").value_or(""));
      response.message.content.push_back(std::move(reasoning));
    } else if (type == "redacted_thinking") {
      ReasoningBlock reasoning;
      reasoning.redacted = std::string(StringAt(block, "data").value_or(""));
      if (reasoning.redacted.empty()) return Malformed("response: redacted_thinking without data");
      response.message.content.push_back(std::move(reasoning));
    }
  }
  response.SetStopReasonText(StringAt(object, "stop_reason").value_or("end_turn"));
  if (const auto* usage = object.if_contains("usage"); usage != nullptr && usage->is_object()) {
    ReadUsage(usage->as_object(), response.usage);
  }
  return response;
}

core::Status StreamMapper::Map(std::string_view event_json, const Callback& on_event) {
  using Delta = ContentBlockDeltaEvent;
  json::object event = BEDROCK_TRY(ParseObject(event_json, "stream event: not a JSON object"));
  auto type = StringAt(event, "type").value_or("");
  auto index_of = [&]() -> core::Result<int> {
    auto index = IntAt(event, "index");
    if (!index || *index < 0 || *index > (1 << 20)) {
      return Malformed(fmt::format("stream event: {} without a valid index", type));
    }
    return static_cast<int>(*index);
  };
  if (type == "message_start") {
    if (const auto* message = event.if_contains("message"); message && message->is_object()) {
      if (const auto* usage = message->as_object().if_contains("usage");
          usage && usage->is_object()) {
        ReadUsage(usage->as_object(), usage_);
      }
    }
    return on_event(MessageStartEvent{});
  }
  if (type == "content_block_start") {
    int index = BEDROCK_TRY(index_of());
    const json::value* block_value = event.if_contains("content_block");
    if (block_value == nullptr || !block_value->is_object()) {
      return Malformed("stream event: content_block_start without content_block");
    }
    const auto& block = block_value->as_object();
    auto block_type = StringAt(block, "type").value_or("");
    if (block_type == "tool_use") {
      auto id = StringAt(block, "id");
      auto name = StringAt(block, "name");
      if (!id || !name) return Malformed("stream event: tool_use start without id or name");
      ContentBlockStartEvent start;
      start.index = index;
      start.tool_use = ContentBlockStartEvent::ToolUseStart{std::string(*id), std::string(*name)};
      return on_event(std::move(start));
    }
    if (block_type == "text") {
      auto text = StringAt(block, "text").value_or("");
      if (text.empty()) return core::OkStatus();
      return on_event(Delta{index, Delta::Kind::kText, std::string(text)});
    }
    if (block_type == "thinking") {
      auto text = StringAt(block, "thinking").value_or("");
      if (text.empty()) return core::OkStatus();
      return on_event(Delta{index, Delta::Kind::kReasoningText, std::string(text)});
    }
    if (block_type == "redacted_thinking") {
      auto data = StringAt(block, "data").value_or("");
      return on_event(Delta{index, Delta::Kind::kReasoningRedacted, std::string(data)});
    }
    skipped_blocks_.insert(index);
    return core::OkStatus();
  }
  if (type == "content_block_delta") {
    int index = BEDROCK_TRY(index_of());
    if (skipped_blocks_.contains(index)) return core::OkStatus();
    const json::value* delta_value = event.if_contains("delta");
    if (delta_value == nullptr || !delta_value->is_object()) {
      return Malformed("stream event: content_block_delta without delta");
    }
    const auto& delta = delta_value->as_object();
    auto delta_type = StringAt(delta, "type").value_or("");
    struct Field {
      std::string_view type, member;
      Delta::Kind kind;
    };
    static constexpr Field kFields[] = {
        {"text_delta", "text", Delta::Kind::kText},
        {"input_json_delta", "partial_json", Delta::Kind::kToolUseInput},
        {"thinking_delta", "thinking", Delta::Kind::kReasoningText},
        {"signature_delta", "signature", Delta::Kind::kReasoningSignature},
    };
    for (const auto& field : kFields) {
      if (delta_type != field.type) continue;
      auto text = StringAt(delta, field.member);
      if (!text) return Malformed(fmt::format("stream event: {} without {}", type, field.member));
      return on_event(Delta{index, field.kind, std::string(*text)});
    }
    return core::OkStatus();  // citations_delta and kinds this build does not know
  }
  if (type == "content_block_stop") {
    int index = BEDROCK_TRY(index_of());
    if (skipped_blocks_.contains(index)) return core::OkStatus();
    return on_event(ContentBlockStopEvent{index});
  }
  if (type == "message_delta") {
    if (const auto* usage = event.if_contains("usage"); usage && usage->is_object()) {
      ReadUsage(usage->as_object(), usage_);
    }
    const json::value* delta = event.if_contains("delta");
    if (delta == nullptr || !delta->is_object()) return core::OkStatus();
    auto reason = StringAt(delta->as_object(), "stop_reason");
    if (!reason || stop_sent_) return core::OkStatus();
    stop_sent_ = true;
    MessageStopEvent stop;
    stop.stop_reason = StopReasonFromName(*reason);
    stop.stop_reason_text = std::string(*reason);
    return on_event(std::move(stop));
  }
  if (type == "message_stop") {
    if (finished_) return Malformed("stream event: second message_stop");
    finished_ = true;
    if (!stop_sent_) {
      stop_sent_ = true;
      BEDROCK_TRY(on_event(MessageStopEvent{}));
    }
    MetadataEvent metadata;
    metadata.usage = usage_;
    if (const auto* metrics = event.if_contains("amazon-bedrock-invocationMetrics");
        metrics && metrics->is_object()) {
      const auto& m = metrics->as_object();
      if (auto v = IntAt(m, "inputTokenCount")) metadata.usage.input_tokens = *v;
      if (auto v = IntAt(m, "outputTokenCount")) metadata.usage.output_tokens = *v;
      if (auto v = IntAt(m, "cacheReadInputTokenCount")) {
        metadata.usage.cache_read_input_tokens = *v;
      }
      if (auto v = IntAt(m, "cacheWriteInputTokenCount")) {
        metadata.usage.cache_write_input_tokens = *v;
      }
      if (auto v = IntAt(m, "invocationLatency")) metadata.metrics.latency_ms = *v;
      metadata.usage.total_tokens = metadata.usage.input_tokens + metadata.usage.output_tokens;
    }
    return on_event(std::move(metadata));
  }
  if (type == "error") {
    std::string error_type = "error";
    std::string message;
    if (const auto* error = event.if_contains("error"); error && error->is_object()) {
      error_type = std::string(StringAt(error->as_object(), "type").value_or("error"));
      message = std::string(StringAt(error->as_object(), "message").value_or(""));
    }
    return core::Error::UpstreamFailure("Claude {}: {}", error_type, message);
  }
  return core::OkStatus();  // ping, and event types this build does not know
}

}  // namespace bedrock::llm::claude_messages

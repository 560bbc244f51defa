#include "llm/openai_chat.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "llm/internal/base64.h"

namespace bedrock::llm::openai_chat {
namespace {

namespace json = boost::json;

std::string_view ImageMime(std::string_view format) {
  if (format == "png") return "image/png";
  if (format == "jpeg" || format == "jpg") return "image/jpeg";
  if (format == "gif") return "image/gif";
  if (format == "webp") return "image/webp";
  return "application/octet-stream";
}

std::string_view DocumentMime(std::string_view format) {
  if (format == "pdf") return "application/pdf";
  if (format == "csv") return "text/csv";
  if (format == "html") return "text/html";
  if (format == "md") return "text/markdown";
  if (format == "txt") return "text/plain";
  if (format == "doc") return "application/msword";
  if (format == "docx") {
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  }
  if (format == "xls") return "application/vnd.ms-excel";
  if (format == "xlsx") return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return "application/octet-stream";
}

bool IsTextFormat(std::string_view format) {
  return format == "txt" || format == "md" || format == "csv" || format == "html";
}

json::object ImagePart(const ImageBlock& image) {
  return {
      {"type", "image_url"},
      {"image_url", json::object{{"url", fmt::format("data:{};base64,{}", ImageMime(image.format),
                                                     internal::Base64Encode(image.bytes))}}}};
}

json::object DocumentPart(const DocumentBlock& doc) {
  if (IsTextFormat(doc.format)) {
    return {{"type", "text"},
            {"text", fmt::format("<document name=\"{}\">\n{}\n</document>", doc.name, doc.bytes)}};
  }
  return {
      {"type", "file"},
      {"file", json::object{{"filename", doc.name},
                            {"file_data", fmt::format("data:{};base64,{}", DocumentMime(doc.format),
                                                      internal::Base64Encode(doc.bytes))}}}};
}

// Appends the OpenAI messages for one neutral message.
void AppendMessages(const Message& message, json::array& out) {
  if (message.role == Role::kAssistant) {
    std::string text;
    json::array tool_calls;
    for (const auto& block : message.content) {
      if (const auto* t = std::get_if<TextBlock>(&block)) {
        text += t->text;
      } else if (const auto* use = std::get_if<ToolUseBlock>(&block)) {
        tool_calls.push_back(json::object{
            {"id", use->id},
            {"type", "function"},
            {"function",
             json::object{{"name", use->name},
                          {"arguments", use->input.is_null() ? std::string("{}")
                                                             : json::serialize(use->input)}}}});
      }
    }
    json::object m{{"role", "assistant"}};
    m["content"] = text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text);
    if (!tool_calls.empty()) m["tool_calls"] = std::move(tool_calls);
    out.push_back(std::move(m));
    return;
  }
  // A user message: tool results first (they must follow the assistant's tool calls), then the
  // rest as one user message.
  json::array parts;
  json::array tool_images;
  bool only_text = true;
  for (const auto& block : message.content) {
    if (const auto* result = std::get_if<ToolResultBlock>(&block)) {
      std::string content;
      for (const auto& item : result->content) {
        if (!content.empty()) content += "\n";
        if (const auto* t = std::get_if<TextBlock>(&item)) {
          content += t->text;
        } else if (const auto* j = std::get_if<JsonBlock>(&item)) {
          content += json::serialize(j->json);
        } else if (const auto* image = std::get_if<ImageBlock>(&item)) {
          content += "[image attached below]";
          tool_images.push_back(ImagePart(*image));
        } else if (const auto* doc = std::get_if<DocumentBlock>(&item)) {
          content += DocumentPart(*doc).contains("text")
                         ? std::string(DocumentPart(*doc).at("text").as_string())
                         : fmt::format("[document {} attached below]", doc->name);
          if (!IsTextFormat(doc->format)) tool_images.push_back(DocumentPart(*doc));
        }
      }
      if (result->status == ToolResultStatus::kError) content = "Error: " + content;
      out.push_back(json::object{
          {"role", "tool"}, {"tool_call_id", result->tool_use_id}, {"content", content}});
    } else if (const auto* t = std::get_if<TextBlock>(&block)) {
      parts.push_back(json::object{{"type", "text"}, {"text", t->text}});
    } else if (const auto* image = std::get_if<ImageBlock>(&block)) {
      parts.push_back(ImagePart(*image));
      only_text = false;
    } else if (const auto* doc = std::get_if<DocumentBlock>(&block)) {
      json::object part = DocumentPart(*doc);
      if (part.at("type") != "text") only_text = false;
      parts.push_back(std::move(part));
    }
  }
  for (auto& image : tool_images) parts.push_back(std::move(image));
  if (!tool_images.empty()) only_text = false;
  if (parts.empty()) return;
  json::object m{{"role", "user"}};
  if (only_text) {
    std::string text;
    for (const auto& part : parts) text += part.at("text").as_string();
    m["content"] = text;
  } else {
    m["content"] = std::move(parts);
  }
  out.push_back(std::move(m));
}

core::Error Upstream(std::string message) {
  return core::Error(core::ErrorCode::kUpstreamFailure, std::move(message));
}

core::Result<json::value> ParseJson(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Upstream(fmt::format("{} is not valid JSON: {}", what, ec.message()));
  return v;
}

int64_t IntOr0(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return 0;
}

Usage ParseUsage(const json::object& o) {
  Usage usage;
  usage.input_tokens = IntOr0(o, "prompt_tokens");
  usage.output_tokens = IntOr0(o, "completion_tokens");
  usage.total_tokens = IntOr0(o, "total_tokens");
  if (usage.total_tokens == 0) usage.total_tokens = usage.input_tokens + usage.output_tokens;
  if (const auto* details = o.if_contains("prompt_tokens_details");
      details != nullptr && details->is_object() &&
      details->as_object().contains("cached_tokens")) {
    usage.cache_read_input_tokens = IntOr0(details->as_object(), "cached_tokens");
  }
  return usage;
}

std::string_view StringOr(const json::object& o, std::string_view key, std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->as_string()) : fallback;
}

// `content` may be a string or (rarely) an array of text parts.
std::string ContentText(const json::value* content) {
  if (content == nullptr) return {};
  if (content->is_string()) return std::string(content->as_string());
  std::string text;
  if (content->is_array()) {
    for (const auto& part : content->as_array()) {
      if (part.is_object()) text += StringOr(part.as_object(), "text", "");
    }
  }
  return text;
}

core::Result<json::value> ParseArguments(std::string_view arguments, std::string_view name) {
  std::string_view trimmed = arguments;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\n')) {
    trimmed.remove_prefix(1);
  }
  if (trimmed.empty()) return json::value(json::object{});
  boost::system::error_code ec;
  json::value v = json::parse(trimmed, ec);
  if (ec) {
    return Upstream(
        fmt::format("arguments of tool call {} are not valid JSON: {}", name, ec.message()));
  }
  return v;
}

}  // namespace

StopReason StopReasonFromFinishReason(std::string_view finish_reason) {
  if (finish_reason == "stop") return StopReason::kEndTurn;
  if (finish_reason == "length") return StopReason::kMaxTokens;
  if (finish_reason == "tool_calls" || finish_reason == "function_call") {
    return StopReason::kToolUse;
  }
  if (finish_reason == "content_filter") return StopReason::kContentFiltered;
  return StopReason::kUnknown;
}

std::string_view FinishReasonFor(StopReason reason) {
  switch (reason) {
    case StopReason::kEndTurn:
    case StopReason::kStopSequence:
      return "stop";
    case StopReason::kMaxTokens:
    case StopReason::kModelContextWindowExceeded:
      return "length";
    case StopReason::kToolUse:
      return "tool_calls";
    case StopReason::kContentFiltered:
    case StopReason::kGuardrailIntervened:
      return "content_filter";
    default:
      return "stop";
  }
}

core::Result<json::value> RequestToJson(const ChatRequest& request, bool stream) {
  json::object body{{"model", request.model_id}};
  json::array messages;
  std::string system;
  for (const auto& block : request.system) {
    if (const auto* t = std::get_if<TextBlock>(&block)) {
      if (!system.empty()) system += "\n";
      system += t->text;
    }
  }
  if (!system.empty()) messages.push_back(json::object{{"role", "system"}, {"content", system}});
  for (const auto& message : request.messages) AppendMessages(message, messages);
  body["messages"] = std::move(messages);

  if (!request.tools.empty()) {
    json::array tools;
    for (const auto& tool : request.tools) {
      json::object function{{"name", tool.name}};
      if (!tool.description.empty()) function["description"] = tool.description;
      function["parameters"] = tool.input_schema.is_null()
                                   ? json::value(json::object{{"type", "object"}})
                                   : tool.input_schema;
      tools.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
    if (request.tool_choice) {
      switch (request.tool_choice->kind) {
        case ToolChoice::Kind::kAuto:
          body["tool_choice"] = "auto";
          break;
        case ToolChoice::Kind::kAny:
          body["tool_choice"] = "required";
          break;
        case ToolChoice::Kind::kNone:
          body["tool_choice"] = "none";
          break;
        case ToolChoice::Kind::kTool:
          body["tool_choice"] =
              json::object{{"type", "function"},
                           {"function", json::object{{"name", request.tool_choice->name}}}};
          break;
      }
    }
  }
  const InferenceConfig& inference = request.inference;
  if (inference.max_tokens) body["max_tokens"] = *inference.max_tokens;
  if (inference.temperature) body["temperature"] = *inference.temperature;
  if (inference.top_p) body["top_p"] = *inference.top_p;
  if (!inference.stop_sequences.empty()) {
    json::array stops;
    for (const auto& s : inference.stop_sequences) stops.push_back(json::string(s));
    body["stop"] = std::move(stops);
  }
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = json::object{{"include_usage", true}};
  }
  if (!request.additional_model_request_fields.is_null()) {
    if (!request.additional_model_request_fields.is_object()) {
      return core::Error::InvalidArgument("additional model request fields must be a JSON object");
    }
    for (const auto& [key, value] : request.additional_model_request_fields.as_object()) {
      body[key] = value;
    }
  }
  return json::value(std::move(body));
}

core::Result<std::string> EncodeRequest(const ChatRequest& request, bool stream) {
  json::value body = BEDROCK_TRY(RequestToJson(request, stream));
  return json::serialize(body);
}

core::Result<ChatResponse> DecodeResponse(std::string_view body) {
  json::value root = BEDROCK_TRY(ParseJson(body, "chat completion"));
  if (!root.is_object()) return Upstream("chat completion is not a JSON object");
  const json::object& o = root.as_object();
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->as_array().empty() ||
      !choices->as_array()[0].is_object()) {
    return Upstream("chat completion has no choices");
  }
  const json::object& choice = choices->as_array()[0].as_object();
  const json::value* message = choice.if_contains("message");
  if (message == nullptr || !message->is_object()) {
    return Upstream("chat completion choice has no message");
  }
  const json::object& m = message->as_object();
  ChatResponse response;
  if (auto reasoning = StringOr(m, "reasoning_content", ""); !reasoning.empty()) {
    response.message.content.emplace_back(ReasoningBlock{std::string(reasoning), "", ""});
  }
  if (std::string text = ContentText(m.if_contains("content")); !text.empty()) {
    response.message.content.emplace_back(TextBlock{std::move(text)});
  }
  if (const auto* calls = m.if_contains("tool_calls"); calls != nullptr && calls->is_array()) {
    for (const auto& call : calls->as_array()) {
      if (!call.is_object()) return Upstream("tool_calls entry is not an object");
      const json::object& c = call.as_object();
      const json::value* function = c.if_contains("function");
      if (function == nullptr || !function->is_object()) {
        return Upstream("tool_calls entry has no function");
      }
      ToolUseBlock use;
      use.id = std::string(StringOr(c, "id", ""));
      use.name = std::string(StringOr(function->as_object(), "name", ""));
      if (use.name.empty()) return Upstream("tool call without a function name");
      use.input =
          BEDROCK_TRY(ParseArguments(StringOr(function->as_object(), "arguments", ""), use.name));
      response.message.content.emplace_back(std::move(use));
    }
  }
  std::string_view finish = StringOr(choice, "finish_reason", "");
  response.stop_reason = StopReasonFromFinishReason(finish);
  response.stop_reason_text = response.stop_reason == StopReason::kUnknown
                                  ? std::string(finish)
                                  : std::string(StopReasonName(response.stop_reason));
  if (const auto* usage = o.if_contains("usage"); usage != nullptr && usage->is_object()) {
    response.usage = ParseUsage(usage->as_object());
  }
  return response;
}

namespace {

// The error type (`code`, else `type`) and message of an OpenAI-style error body.
std::pair<std::string, std::string> ErrorParts(std::string_view body) {
  std::string type, message;
  boost::system::error_code ec;
  json::value v = body.size() < (1u << 20) ? json::parse(body, ec) : json::value();
  if (!ec && v.is_object()) {
    const json::object* error = &v.as_object();
    if (const auto* inner = error->if_contains("error"); inner != nullptr && inner->is_object()) {
      error = &inner->as_object();
    } else if (inner != nullptr && inner->is_string()) {
      message = std::string(inner->as_string());
    }
    if (message.empty()) message = std::string(StringOr(*error, "message", ""));
    if (const auto* code = error->if_contains("code"); code != nullptr && code->is_string()) {
      type = std::string(code->as_string());
    } else {
      type = std::string(StringOr(*error, "type", ""));
    }
  } else {
    message = std::string(body.substr(0, 512));
  }
  return {type, message};
}

std::string ErrorText(std::string_view body) {
  auto [type, message] = ErrorParts(body);
  if (type.empty()) return message;
  if (message.empty()) return type;
  return type + ": " + message;
}

}  // namespace

core::Error DecodeError(int http_status, std::string_view body) {
  std::string text = fmt::format("HTTP {}", http_status);
  auto [type, message] = ErrorParts(body);
  if (!type.empty()) text += " " + type;
  if (!message.empty()) text += ": " + message;
  core::ErrorCode code = core::ErrorCodeFromHttpStatus(http_status);
  if (code == core::ErrorCode::kUnknown) code = core::ErrorCode::kUpstreamFailure;
  return core::Error(code, std::move(text));
}

// --- StreamMapper ---

void StreamMapper::CloseTextOrReasoning(std::vector<StreamEvent>& out) {
  if (open_ == Open::kNone) return;
  out.push_back(ContentBlockStopEvent{open_index_});
  open_ = Open::kNone;
  open_index_ = -1;
}

void StreamMapper::EmitMetadata(std::vector<StreamEvent>& out) {
  if (metadata_sent_) return;
  metadata_sent_ = true;
  out.push_back(MetadataEvent{usage_.value_or(Usage{}), Metrics{latency_ms_}});
}

void StreamMapper::Finish(std::string_view finish_reason, std::vector<StreamEvent>& out) {
  CloseTextOrReasoning(out);
  for (const auto& [call, index] : tool_blocks_) out.push_back(ContentBlockStopEvent{index});
  tool_blocks_.clear();
  MessageStopEvent stop;
  stop.stop_reason = StopReasonFromFinishReason(finish_reason);
  stop.stop_reason_text = stop.stop_reason == StopReason::kUnknown
                              ? std::string(finish_reason)
                              : std::string(StopReasonName(stop.stop_reason));
  out.push_back(std::move(stop));
  finished_ = true;
  if (usage_) EmitMetadata(out);
}

core::Status StreamMapper::OnData(std::string_view data, std::vector<StreamEvent>& out) {
  if (done_) return core::OkStatus();
  std::string_view trimmed = data;
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\n')) {
    trimmed.remove_suffix(1);
  }
  if (trimmed == "[DONE]") {
    done_ = true;
    if (!started_) out.push_back(MessageStartEvent{});
    started_ = true;
    if (!finished_) Finish(next_index_ > 0 && !tool_blocks_.empty() ? "tool_calls" : "stop", out);
    EmitMetadata(out);
    return core::OkStatus();
  }
  json::value root = BEDROCK_TRY(ParseJson(data, "stream chunk"));
  if (!root.is_object()) return Upstream("stream chunk is not a JSON object");
  const json::object& chunk = root.as_object();
  if (const auto* error = chunk.if_contains("error"); error != nullptr && !error->is_null()) {
    return Upstream("error in stream: " + ErrorText(data));
  }
  if (!started_) {
    started_ = true;
    out.push_back(MessageStartEvent{});
  }
  if (const auto* usage = chunk.if_contains("usage"); usage != nullptr && usage->is_object()) {
    usage_ = ParseUsage(usage->as_object());
  }
  const json::value* choices = chunk.if_contains("choices");
  if (choices != nullptr && choices->is_array() && !choices->as_array().empty() &&
      choices->as_array()[0].is_object() && !finished_) {
    const json::object& choice = choices->as_array()[0].as_object();
    if (const auto* delta = choice.if_contains("delta"); delta != nullptr && delta->is_object()) {
      const json::object& d = delta->as_object();
      auto reasoning = StringOr(d, "reasoning_content", "");
      if (reasoning.empty()) reasoning = StringOr(d, "reasoning", "");
      if (!reasoning.empty()) {
        if (open_ != Open::kReasoning) {
          CloseTextOrReasoning(out);
          open_ = Open::kReasoning;
          open_index_ = next_index_++;
        }
        out.push_back(ContentBlockDeltaEvent{
            open_index_, ContentBlockDeltaEvent::Kind::kReasoningText, std::string(reasoning)});
      }
      if (std::string text = ContentText(d.if_contains("content")); !text.empty()) {
        if (open_ != Open::kText) {
          CloseTextOrReasoning(out);
          open_ = Open::kText;
          open_index_ = next_index_++;
        }
        out.push_back(ContentBlockDeltaEvent{open_index_, ContentBlockDeltaEvent::Kind::kText,
                                             std::move(text)});
      }
      if (const auto* calls = d.if_contains("tool_calls"); calls != nullptr && calls->is_array()) {
        for (const auto& call : calls->as_array()) {
          if (!call.is_object()) return Upstream("tool_calls delta entry is not an object");
          const json::object& c = call.as_object();
          int64_t call_index = static_cast<int64_t>(tool_blocks_.size());
          if (const auto* i = c.if_contains("index"); i != nullptr && i->is_int64()) {
            call_index = i->as_int64();
          } else if (i != nullptr && i->is_uint64()) {
            call_index = static_cast<int64_t>(i->as_uint64());
          }
          const json::object* function = nullptr;
          if (const auto* f = c.if_contains("function"); f != nullptr && f->is_object()) {
            function = &f->as_object();
          }
          auto it = tool_blocks_.find(call_index);
          if (it == tool_blocks_.end()) {
            if (tool_blocks_.size() >= 1024) return Upstream("too many tool calls in one stream");
            CloseTextOrReasoning(out);
            int index = next_index_++;
            it = tool_blocks_.emplace(call_index, index).first;
            ContentBlockStartEvent::ToolUseStart start;
            start.id = std::string(StringOr(c, "id", ""));
            if (start.id.empty()) start.id = fmt::format("call_{}", index);
            start.name = function != nullptr ? std::string(StringOr(*function, "name", "")) : "";
            if (start.name.empty()) return Upstream("tool call delta starts without a name");
            out.push_back(ContentBlockStartEvent{index, std::move(start)});
          }
          if (function != nullptr) {
            if (auto args = StringOr(*function, "arguments", ""); !args.empty()) {
              out.push_back(ContentBlockDeltaEvent{
                  it->second, ContentBlockDeltaEvent::Kind::kToolUseInput, std::string(args)});
            }
          }
        }
      }
    }
    if (const auto* finish = choice.if_contains("finish_reason");
        finish != nullptr && finish->is_string()) {
      Finish(finish->as_string(), out);
    }
  } else if (finished_ && usage_) {
    EmitMetadata(out);
  }
  return core::OkStatus();
}

core::Status StreamMapper::OnEnd(std::vector<StreamEvent>& out) {
  if (done_) return core::OkStatus();
  if (!finished_) return Upstream("chat completion stream ended before its finish_reason");
  EmitMetadata(out);
  done_ = true;
  return core::OkStatus();
}

}  // namespace bedrock::llm::openai_chat

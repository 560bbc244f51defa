#include "llm/openai_chat.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "core/base64.h"

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
                                                     core::Base64Encode(image.bytes))}}}};
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
                                                      core::Base64Encode(doc.bytes))}}}};
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

// --- Server side ---

namespace {

core::Error Invalid(std::string message) {
  return core::Error(core::ErrorCode::kInvalidArgument, std::move(message));
}

// "data:image/png;base64,AAAA" -> ("image/png", bytes).
core::Result<std::pair<std::string, std::string>> ParseDataUrl(std::string_view url,
                                                               std::string_view path) {
  if (!url.starts_with("data:")) return Invalid(fmt::format("{} must be a data: URL", path));
  url.remove_prefix(5);
  auto comma = url.find(',');
  if (comma == std::string_view::npos)
    return Invalid(fmt::format("{} is a malformed data: URL", path));
  std::string_view meta = url.substr(0, comma);
  if (!meta.ends_with(";base64")) return Invalid(fmt::format("{} must be base64 encoded", path));
  meta.remove_suffix(7);
  auto bytes = core::Base64Decode(url.substr(comma + 1));
  if (!bytes) return Invalid(fmt::format("{} is not valid base64", path));
  return std::pair{std::string(meta), std::move(*bytes)};
}

std::string FormatFromMime(std::string_view mime) {
  auto slash = mime.find('/');
  std::string_view sub = slash == std::string_view::npos ? mime : mime.substr(slash + 1);
  if (sub == "jpg") return "jpeg";
  if (sub == "plain") return "txt";
  if (sub == "markdown") return "md";
  if (sub == "msword") return "doc";
  if (sub == "vnd.ms-excel") return "xls";
  if (sub.find("wordprocessingml") != std::string_view::npos) return "docx";
  if (sub.find("spreadsheetml") != std::string_view::npos) return "xlsx";
  return std::string(sub);
}

core::Result<std::vector<ContentBlock>> ParseUserContent(const json::value& content,
                                                         const std::string& path) {
  std::vector<ContentBlock> blocks;
  if (content.is_string()) {
    blocks.emplace_back(TextBlock{std::string(content.as_string())});
    return blocks;
  }
  if (content.is_null()) return blocks;
  if (!content.is_array()) return Invalid(path + " must be a string or an array of parts");
  const auto& parts = content.as_array();
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string part_path = fmt::format("{}[{}]", path, i);
    if (!parts[i].is_object()) return Invalid(part_path + " must be an object");
    const json::object& part = parts[i].as_object();
    std::string_view type = StringOr(part, "type", "");
    if (type == "text") {
      blocks.emplace_back(TextBlock{std::string(StringOr(part, "text", ""))});
    } else if (type == "image_url") {
      const json::value* image = part.if_contains("image_url");
      std::string_view url;
      if (image != nullptr && image->is_object()) url = StringOr(image->as_object(), "url", "");
      if (image != nullptr && image->is_string()) url = image->as_string();
      auto [mime, bytes] = BEDROCK_TRY(ParseDataUrl(url, part_path + ".image_url.url"));
      blocks.emplace_back(ImageBlock{FormatFromMime(mime), std::move(bytes)});
    } else if (type == "file") {
      const json::value* file = part.if_contains("file");
      if (file == nullptr || !file->is_object())
        return Invalid(part_path + ".file must be an object");
      std::string_view data = StringOr(file->as_object(), "file_data", "");
      auto [mime, bytes] = BEDROCK_TRY(ParseDataUrl(data, part_path + ".file.file_data"));
      blocks.emplace_back(DocumentBlock{
          FormatFromMime(mime), std::string(StringOr(file->as_object(), "filename", "file")),
          std::move(bytes)});
    } else {
      return Invalid(fmt::format("{}.type '{}' is not supported", part_path, type));
    }
  }
  return blocks;
}

std::string TextOf(const json::value& content) { return ContentText(&content); }

}  // namespace

core::Result<DecodedRequest> DecodeRequest(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return Invalid(fmt::format("request body is not valid JSON: {}", ec.message()));
  if (!root.is_object()) return Invalid("request body must be a JSON object");
  const json::object& o = root.as_object();
  DecodedRequest out;
  ChatRequest& request = out.request;
  request.model_id = std::string(StringOr(o, "model", ""));
  const json::value* messages = o.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");
  auto push = [&](Role role, std::vector<ContentBlock> blocks) {
    if (blocks.empty()) return;
    if (!request.messages.empty() && request.messages.back().role == role) {
      auto& content = request.messages.back().content;
      for (auto& b : blocks) content.push_back(std::move(b));
    } else {
      request.messages.push_back(Message{role, std::move(blocks)});
    }
  };
  const auto& list = messages->as_array();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = fmt::format("messages[{}]", i);
    if (!list[i].is_object()) return Invalid(path + " must be an object");
    const json::object& m = list[i].as_object();
    std::string_view role = StringOr(m, "role", "");
    const json::value* content = m.if_contains("content");
    static const json::value kNull;
    const json::value& c = content != nullptr ? *content : kNull;
    if (role == "system" || role == "developer") {
      if (std::string text = TextOf(c); !text.empty()) request.system.emplace_back(TextBlock{text});
    } else if (role == "user") {
      push(Role::kUser, BEDROCK_TRY(ParseUserContent(c, path + ".content")));
    } else if (role == "assistant") {
      std::vector<ContentBlock> blocks;
      if (auto reasoning = StringOr(m, "reasoning_content", ""); !reasoning.empty()) {
        blocks.emplace_back(ReasoningBlock{std::string(reasoning), "", ""});
      }
      if (std::string text = TextOf(c); !text.empty()) blocks.emplace_back(TextBlock{text});
      if (const auto* calls = m.if_contains("tool_calls"); calls != nullptr && calls->is_array()) {
        for (size_t k = 0; k < calls->as_array().size(); ++k) {
          const json::value& call = calls->as_array()[k];
          std::string call_path = fmt::format("{}.tool_calls[{}]", path, k);
          const json::value* function =
              call.is_object() ? call.as_object().if_contains("function") : nullptr;
          if (function == nullptr || !function->is_object()) {
            return Invalid(call_path + ".function must be an object");
          }
          ToolUseBlock use;
          use.id = std::string(StringOr(call.as_object(), "id", ""));
          use.name = std::string(StringOr(function->as_object(), "name", ""));
          if (use.name.empty()) return Invalid(call_path + ".function.name is required");
          auto input = ParseArguments(StringOr(function->as_object(), "arguments", ""), use.name);
          if (!input.ok()) return Invalid(call_path + ".function.arguments is not valid JSON");
          use.input = std::move(*input);
          blocks.emplace_back(std::move(use));
        }
      }
      push(Role::kAssistant, std::move(blocks));
    } else if (role == "tool") {
      ToolResultBlock result;
      result.tool_use_id = std::string(StringOr(m, "tool_call_id", ""));
      if (result.tool_use_id.empty()) return Invalid(path + ".tool_call_id is required");
      result.content.emplace_back(TextBlock{TextOf(c)});
      std::vector<ContentBlock> blocks;
      blocks.emplace_back(std::move(result));
      push(Role::kUser, std::move(blocks));
    } else {
      return Invalid(fmt::format("{}.role '{}' is not supported", path, role));
    }
  }
  if (const auto* tools = o.if_contains("tools"); tools != nullptr && tools->is_array()) {
    for (size_t i = 0; i < tools->as_array().size(); ++i) {
      const json::value& tool = tools->as_array()[i];
      const json::value* function =
          tool.is_object() ? tool.as_object().if_contains("function") : nullptr;
      if (function == nullptr || !function->is_object()) {
        return Invalid(fmt::format("tools[{}].function must be an object", i));
      }
      const json::object& f = function->as_object();
      ToolSpec spec;
      spec.name = std::string(StringOr(f, "name", ""));
      if (spec.name.empty()) return Invalid(fmt::format("tools[{}].function.name is required", i));
      spec.description = std::string(StringOr(f, "description", ""));
      if (const auto* p = f.if_contains("parameters"); p != nullptr) spec.input_schema = *p;
      request.tools.push_back(std::move(spec));
    }
  }
  if (const auto* choice = o.if_contains("tool_choice"); choice != nullptr && !choice->is_null()) {
    ToolChoice tc;
    if (choice->is_string()) {
      std::string_view c = choice->as_string();
      if (c == "auto")
        tc.kind = ToolChoice::Kind::kAuto;
      else if (c == "none")
        tc.kind = ToolChoice::Kind::kNone;
      else if (c == "required")
        tc.kind = ToolChoice::Kind::kAny;
      else
        return Invalid(fmt::format("tool_choice '{}' is not supported", c));
    } else if (choice->is_object()) {
      const json::value* f = choice->as_object().if_contains("function");
      std::string_view name =
          f != nullptr && f->is_object() ? StringOr(f->as_object(), "name", "") : "";
      if (name.empty()) return Invalid("tool_choice.function.name is required");
      tc.kind = ToolChoice::Kind::kTool;
      tc.name = std::string(name);
    } else {
      return Invalid("tool_choice must be a string or an object");
    }
    request.tool_choice = std::move(tc);
  }
  auto number = [&](std::string_view key) -> std::optional<double> {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->to_number<double>();
  };
  if (auto v = number("max_completion_tokens"))
    request.inference.max_tokens = static_cast<int>(*v);
  else if (auto w = number("max_tokens"))
    request.inference.max_tokens = static_cast<int>(*w);
  request.inference.temperature = number("temperature");
  request.inference.top_p = number("top_p");
  if (const auto* stop = o.if_contains("stop"); stop != nullptr) {
    if (stop->is_string()) {
      request.inference.stop_sequences.push_back(std::string(stop->as_string()));
    } else if (stop->is_array()) {
      for (const auto& s : stop->as_array()) {
        if (!s.is_string()) return Invalid("stop must be a string or an array of strings");
        request.inference.stop_sequences.push_back(std::string(s.as_string()));
      }
    }
  }
  if (const auto* stream = o.if_contains("stream"); stream != nullptr && stream->is_bool()) {
    out.stream = stream->as_bool();
  }
  if (const auto* options = o.if_contains("stream_options");
      options != nullptr && options->is_object()) {
    const json::value* include = options->as_object().if_contains("include_usage");
    out.include_usage = include != nullptr && include->is_bool() && include->as_bool();
  }
  return out;
}

namespace {
json::object UsageObject(const Usage& usage) {
  json::object out{{"prompt_tokens", usage.input_tokens},
                   {"completion_tokens", usage.output_tokens},
                   {"total_tokens", usage.total_tokens}};
  if (usage.cache_read_input_tokens) {
    out["prompt_tokens_details"] = json::object{{"cached_tokens", *usage.cache_read_input_tokens}};
  }
  return out;
}
}  // namespace

std::string EncodeResponse(const ChatResponse& response, std::string_view id,
                           std::string_view model, int64_t created) {
  std::string text, reasoning;
  json::array tool_calls;
  for (const auto& block : response.message.content) {
    if (const auto* t = std::get_if<TextBlock>(&block)) {
      text += t->text;
    } else if (const auto* r = std::get_if<ReasoningBlock>(&block)) {
      reasoning += r->text;
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
  json::object message{{"role", "assistant"}};
  message["content"] =
      text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text);
  if (!reasoning.empty()) message["reasoning_content"] = reasoning;
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  json::object body{{"id", id},
                    {"object", "chat.completion"},
                    {"created", created},
                    {"model", model},
                    {"choices", json::array{json::object{
                                    {"index", 0},
                                    {"message", std::move(message)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", FinishReasonFor(response.stop_reason)}}}},
                    {"usage", UsageObject(response.usage)}};
  return json::serialize(body);
}

std::string StreamChunkEncoder::Chunk(json::value delta, std::string_view finish_reason) const {
  json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
  choice["finish_reason"] =
      finish_reason.empty() ? json::value(nullptr) : json::value(finish_reason);
  json::object chunk{{"id", id_},
                     {"object", "chat.completion.chunk"},
                     {"created", created_},
                     {"model", model_},
                     {"choices", json::array{std::move(choice)}}};
  return json::serialize(chunk);
}

std::vector<std::string> StreamChunkEncoder::Encode(const StreamEvent& event) {
  std::vector<std::string> out;
  if (std::holds_alternative<MessageStartEvent>(event)) {
    out.push_back(Chunk(json::object{{"role", "assistant"}, {"content", ""}}, ""));
  } else if (const auto* start = std::get_if<ContentBlockStartEvent>(&event)) {
    if (start->tool_use) {
      int call = static_cast<int>(tool_calls_.size());
      tool_calls_[start->index] = call;
      out.push_back(Chunk(
          json::object{{"tool_calls", json::array{json::object{
                                          {"index", call},
                                          {"id", start->tool_use->id},
                                          {"type", "function"},
                                          {"function", json::object{{"name", start->tool_use->name},
                                                                    {"arguments", ""}}}}}}},
          ""));
    }
  } else if (const auto* delta = std::get_if<ContentBlockDeltaEvent>(&event)) {
    using K = ContentBlockDeltaEvent::Kind;
    switch (delta->kind) {
      case K::kText:
        out.push_back(Chunk(json::object{{"content", delta->text}}, ""));
        break;
      case K::kReasoningText:
        out.push_back(Chunk(json::object{{"reasoning_content", delta->text}}, ""));
        break;
      case K::kToolUseInput: {
        auto it = tool_calls_.find(delta->index);
        if (it == tool_calls_.end()) break;  // input for a block that never started: dropped
        out.push_back(
            Chunk(json::object{{"tool_calls",
                                json::array{json::object{
                                    {"index", it->second},
                                    {"function", json::object{{"arguments", delta->text}}}}}}},
                  ""));
        break;
      }
      case K::kReasoningSignature:
      case K::kReasoningRedacted:
        break;  // no OpenAI equivalent
    }
  } else if (const auto* stop = std::get_if<MessageStopEvent>(&event)) {
    out.push_back(Chunk(json::object{}, FinishReasonFor(stop->stop_reason)));
  } else if (const auto* metadata = std::get_if<MetadataEvent>(&event)) {
    if (include_usage_) {
      json::object chunk{{"id", id_},
                         {"object", "chat.completion.chunk"},
                         {"created", created_},
                         {"model", model_},
                         {"choices", json::array{}},
                         {"usage", UsageObject(metadata->usage)}};
      out.push_back(json::serialize(chunk));
    }
  }
  return out;
}

}  // namespace bedrock::llm::openai_chat

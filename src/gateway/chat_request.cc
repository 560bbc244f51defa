#include "gateway/chat_request.h"

#include <boost/json/parse.hpp>
#include <cmath>
#include <set>

#include "agent/content.h"
#include "core/base64.h"  // the llm codecs' base64, shared rather than copied

namespace bedrock::gateway {
namespace {

namespace json = boost::json;

core::Error FieldError(std::string_view field, std::string_view problem) {
  return core::Error::FailedPrecondition("field '{}': {}", field, problem);
}

core::Result<std::optional<bool>> OptionalBool(const json::object& body, std::string_view key,
                                               std::string_view field) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return FieldError(field, "expected a boolean");
  return std::optional<bool>(value->as_bool());
}

core::Result<std::optional<double>> OptionalNumber(const json::object& body, std::string_view key,
                                                   std::string_view field) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<double>();
  if (!value->is_number()) return FieldError(field, "expected a number");
  double number = value->to_number<double>();
  if (!std::isfinite(number)) return FieldError(field, "expected a finite number");
  return std::optional<double>(number);
}

// A non-negative integer (a JSON integer, or a float with no fraction as Python clients send).
core::Result<std::optional<int64_t>> OptionalCount(const json::object& body, std::string_view key,
                                                   std::string_view field, int64_t max) {
  auto number = BEDROCK_TRY(OptionalNumber(body, key, field));
  if (!number) return std::optional<int64_t>();
  if (*number < 0 || *number > static_cast<double>(max) || std::floor(*number) != *number) {
    return FieldError(field, fmt::format("expected an integer from 0 to {}", max));
  }
  return std::optional<int64_t>(static_cast<int64_t>(*number));
}

core::Result<std::optional<std::string>> OptionalString(const json::object& body,
                                                        std::string_view key,
                                                        std::string_view field) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return FieldError(field, "expected a string");
  return std::optional<std::string>(std::string(value->as_string()));
}

core::Result<std::vector<std::string>> StringList(const json::object& body, std::string_view key,
                                                  std::string_view field, bool allow_single) {
  std::vector<std::string> out;
  const json::value* value = body.if_contains(key);
  if (value == nullptr || value->is_null()) return out;
  if (allow_single && value->is_string()) {
    out.emplace_back(value->as_string());
    return out;
  }
  if (!value->is_array()) return FieldError(field, "expected an array of strings");
  for (const json::value& item : value->as_array()) {
    if (!item.is_string()) return FieldError(field, "expected an array of strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

// Splits "data:<mime>;base64,<payload>" into mime and decoded bytes.
struct DataUri {
  std::string mime;
  std::string bytes;
};
std::optional<DataUri> ParseDataUri(std::string_view uri) {
  if (!uri.starts_with("data:")) return std::nullopt;
  size_t comma = uri.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view meta = uri.substr(5, comma - 5);
  constexpr std::string_view kBase64 = ";base64";
  if (!meta.ends_with(kBase64)) return std::nullopt;
  meta.remove_suffix(kBase64.size());
  if (size_t semicolon = meta.find(';'); semicolon != std::string_view::npos) {
    meta = meta.substr(0, semicolon);  // parameters such as ;charset=
  }
  auto bytes = core::Base64Decode(uri.substr(comma + 1));
  if (!bytes) return std::nullopt;
  DataUri out;
  out.mime = std::string(meta);
  for (char& c : out.mime) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.bytes = std::move(*bytes);
  return out;
}

// Document names must be unique within one request (Bedrock refuses duplicates).
class DocumentNames {
 public:
  std::string Unique(std::string_view file_name, size_t message_index) {
    std::string_view stem = file_name;
    if (size_t dot = stem.find_last_of('.'); dot != std::string_view::npos && dot > 0) {
      stem = stem.substr(0, dot);
    }
    std::string base =
        stem.empty() ? fmt::format("file-{}", message_index) : agent::DocumentName(stem);
    if (base.size() > 190) base.resize(190);
    std::string name = base;
    for (int n = 2; used_.contains(name); ++n) name = fmt::format("{} ({})", base, n);
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
};

core::Status AppendPart(const json::value& part, std::string_view field, size_t message_index,
                        DocumentNames& names, std::vector<llm::ContentBlock>& out) {
  if (!part.is_object()) return FieldError(field, "expected an object");
  const json::object& object = part.as_object();
  const json::value* type = object.if_contains("type");
  if (type == nullptr || !type->is_string()) return FieldError(field, "expected a string 'type'");
  std::string_view kind = type->as_string();
  if (kind == "text" || kind == "input_text") {
    const json::value* text = object.if_contains("text");
    if (text == nullptr || !text->is_string()) {
      return FieldError(field, "a text part needs a string 'text'");
    }
    if (!text->as_string().empty()) out.push_back(llm::TextBlock{std::string(text->as_string())});
    return core::OkStatus();
  }
  if (kind == "image_url") {
    const json::value* image = object.if_contains("image_url");
    const json::value* url = nullptr;
    if (image != nullptr && image->is_object()) url = image->as_object().if_contains("url");
    if (image != nullptr && image->is_string()) url = image;  // {"image_url": "data:..."}
    if (url == nullptr || !url->is_string()) {
      return FieldError(field, "an image_url part needs image_url.url");
    }
    std::string_view text = url->as_string();
    if (!text.starts_with("data:")) return core::OkStatus();  // remote URLs: dropped (demo)
    auto data = ParseDataUri(text);
    if (!data) return FieldError(field, "image_url.url is not a base64 data URI");
    std::string_view format = agent::ImageFormatForMime(data->mime);
    if (data->mime == "image/jpg") format = "jpeg";
    if (format.empty()) {
      return FieldError(field, fmt::format("image type '{}' is not supported (png, jpeg, gif, "
                                           "webp are)",
                                           data->mime));
    }
    out.push_back(llm::ImageBlock{std::string(format), std::move(data->bytes)});
    return core::OkStatus();
  }
  if (kind == "file") {
    const json::value* file = object.if_contains("file");
    if (file == nullptr || !file->is_object()) {
      return FieldError(field, "a file part needs a 'file' object");
    }
    const json::object& f = file->as_object();
    const json::value* data = f.if_contains("file_data");
    if (data == nullptr || !data->is_string()) {
      const json::value* id = f.if_contains("file_id");
      if (id != nullptr && !id->is_null()) {
        return FieldError(field, "file_id is not supported: send the content in file_data");
      }
      return FieldError(field, "a file part needs a string 'file_data'");
    }
    std::string file_name;
    if (const json::value* name = f.if_contains("filename"); name != nullptr && name->is_string()) {
      file_name = std::string(name->as_string());
    }
    std::string bytes;
    std::string_view text = data->as_string();
    if (text.starts_with("data:")) {
      auto uri = ParseDataUri(text);
      if (!uri) return FieldError(field, "file.file_data is not a base64 data URI");
      bytes = std::move(uri->bytes);
    } else {
      auto decoded = core::Base64Decode(text);
      if (!decoded) return FieldError(field, "file.file_data is not base64");
      bytes = std::move(*decoded);
    }
    llm::DocumentBlock document;
    document.format = std::string(DocumentFormatForFileName(file_name));
    document.name = names.Unique(file_name, message_index);
    document.bytes = std::move(bytes);
    out.push_back(std::move(document));
    return core::OkStatus();
  }
  return FieldError(field, fmt::format("content part type '{}' is not supported (text, "
                                       "image_url and file are)",
                                       kind));
}

core::Result<std::vector<llm::ContentBlock>> ParseContent(const json::value* content,
                                                          std::string_view field,
                                                          size_t message_index,
                                                          DocumentNames& names) {
  std::vector<llm::ContentBlock> out;
  if (content == nullptr || content->is_null()) return out;
  if (content->is_string()) {
    if (!content->as_string().empty()) {
      out.push_back(llm::TextBlock{std::string(content->as_string())});
    }
    return out;
  }
  if (!content->is_array()) return FieldError(field, "expected a string or an array of parts");
  const json::array& parts = content->as_array();
  for (size_t i = 0; i < parts.size(); ++i) {
    BEDROCK_TRY(AppendPart(parts[i], fmt::format("{}[{}]", field, i), message_index, names, out));
  }
  return out;
}

core::Status ParseMessages(const json::array& messages, ChatCompletionRequest& out) {
  DocumentNames names;
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string field = fmt::format("messages[{}]", i);
    if (!messages[i].is_object()) return FieldError(field, "expected an object");
    const json::object& message = messages[i].as_object();
    const json::value* role = message.if_contains("role");
    if (role == nullptr || !role->is_string()) {
      return FieldError(field + ".role", "expected a string");
    }
    std::string_view role_name = role->as_string();
    if (role_name == "tool" || role_name == "function") {
      return FieldError(field + ".role",
                        fmt::format("role '{}' is not supported: the gateway runs the tools of the "
                                    "MCP servers in mcp_server_ids itself",
                                    role_name));
    }
    if (const json::value* calls = message.if_contains("tool_calls");
        calls != nullptr && !calls->is_null() &&
        !(calls->is_array() && calls->as_array().empty())) {
      return FieldError(field + ".tool_calls",
                        "not supported: the gateway runs the tools of the MCP servers itself");
    }
    auto content =
        BEDROCK_TRY(ParseContent(message.if_contains("content"), field + ".content", i, names));
    if (role_name == "system" || role_name == "developer") {
      for (auto& block : content) {
        auto* text = std::get_if<llm::TextBlock>(&block);
        if (text == nullptr) {
          return FieldError(field + ".content", "a system message may only hold text");
        }
        out.system.push_back(std::move(*text));
      }
      continue;
    }
    llm::Role target;
    if (role_name == "user") {
      target = llm::Role::kUser;
    } else if (role_name == "assistant") {
      target = llm::Role::kAssistant;
    } else {
      return FieldError(field + ".role",
                        fmt::format("unknown role '{}' (system, user, assistant)", role_name));
    }
    if (content.empty()) continue;  // nothing to say (e.g. an assistant placeholder)
    if (target == llm::Role::kAssistant && out.messages.empty()) continue;  // leading assistant
    out.messages.push_back(llm::Message{target, std::move(content)});
  }
  return core::OkStatus();
}

}  // namespace

std::string_view ResponseStyleName(ResponseStyle style) {
  return style == ResponseStyle::kDemo ? "demo" : "openai";
}

std::optional<ResponseStyle> ResponseStyleFromName(std::string_view name) {
  if (name == "demo") return ResponseStyle::kDemo;
  if (name == "openai") return ResponseStyle::kOpenAi;
  return std::nullopt;
}

core::Result<json::object> ParseBodyObject(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return core::Error::InvalidArgument("request body is not valid JSON: {}", ec.message());
  if (!parsed.is_object()) {
    return core::Error::InvalidArgument("request body must be a JSON object");
  }
  return std::move(parsed.as_object());
}

std::string_view DocumentFormatForFileName(std::string_view file_name) {
  size_t dot = file_name.find_last_of('.');
  if (dot == std::string_view::npos) return "txt";
  std::string ext(file_name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view known : {"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}) {
    if (ext == known) return known;
  }
  if (ext == "htm") return "html";
  if (ext == "markdown") return "md";
  return "txt";
}

core::Result<ChatCompletionRequest> ParseChatRequest(std::string_view body,
                                                     const ChatDefaults& defaults) {
  if (body.size() > defaults.max_request_bytes) {
    return core::Error::PayloadTooLarge(
        "request body of {} bytes is over the chat limit of {} bytes", body.size(),
        defaults.max_request_bytes);
  }
  auto parsed = ParseBodyObject(body);
  if (!parsed.ok()) return parsed.error();
  const json::object& object = *parsed;

  ChatCompletionRequest out;
  out.max_tokens = defaults.max_tokens;
  out.temperature = defaults.temperature;
  out.budget_tokens = defaults.budget_tokens;
  out.only_n_most_recent_images = defaults.only_n_most_recent_images;

  auto model = BEDROCK_TRY(OptionalString(object, "model", "model"));
  if (!model || model->empty()) return FieldError("model", "required (a model id)");
  out.model = std::move(*model);

  const json::value* messages = object.if_contains("messages");
  if (messages == nullptr || messages->is_null()) return FieldError("messages", "required");
  if (!messages->is_array()) return FieldError("messages", "expected an array");
  out.messages_empty = messages->as_array().empty();
  BEDROCK_TRY(ParseMessages(messages->as_array(), out));

  constexpr int64_t kMaxTokens = 1'000'000;
  auto max_tokens = BEDROCK_TRY(OptionalCount(object, "max_tokens", "max_tokens", kMaxTokens));
  if (!max_tokens) {
    max_tokens = BEDROCK_TRY(
        OptionalCount(object, "max_completion_tokens", "max_completion_tokens", kMaxTokens));
  }
  if (max_tokens) {
    if (*max_tokens == 0) return FieldError("max_tokens", "must be at least 1");
    out.max_tokens = static_cast<int>(*max_tokens);
  }
  if (auto temperature = BEDROCK_TRY(OptionalNumber(object, "temperature", "temperature"))) {
    if (*temperature < 0 || *temperature > 2) return FieldError("temperature", "must be 0 to 2");
    out.temperature = *temperature;
  }
  if (auto top_p = BEDROCK_TRY(OptionalNumber(object, "top_p", "top_p"))) {
    if (*top_p < 0 || *top_p > 1) return FieldError("top_p", "must be 0 to 1");
    out.top_p = *top_p;
  }
  out.stop = BEDROCK_TRY(StringList(object, "stop", "stop", /*allow_single=*/true));
  if (auto n = BEDROCK_TRY(OptionalCount(object, "n", "n", 128)); n && *n != 1) {
    return FieldError("n", "only one choice (n = 1) is supported");
  }

  out.stream = BEDROCK_TRY(OptionalBool(object, "stream", "stream")).value_or(false);
  if (const json::value* options = object.if_contains("stream_options");
      options != nullptr && !options->is_null()) {
    if (!options->is_object()) return FieldError("stream_options", "expected an object");
    out.include_usage = BEDROCK_TRY(OptionalBool(options->as_object(), "include_usage",
                                                 "stream_options.include_usage"))
                            .value_or(false);
  }
  out.keep_session =
      BEDROCK_TRY(OptionalBool(object, "keep_session", "keep_session")).value_or(false);
  out.mcp_server_ids =
      BEDROCK_TRY(StringList(object, "mcp_server_ids", "mcp_server_ids", /*allow_single=*/false));
  out.conversation_id =
      BEDROCK_TRY(OptionalString(object, "conversation_id", "conversation_id")).value_or("");
  if (out.conversation_id.size() > 128) {
    return FieldError("conversation_id", "at most 128 characters");
  }
  if (auto style = BEDROCK_TRY(OptionalString(object, "response_style", "response_style"))) {
    out.response_style = ResponseStyleFromName(*style);
    if (!out.response_style) return FieldError("response_style", "expected 'demo' or 'openai'");
  }

  if (const json::value* extra = object.if_contains("extra_params");
      extra != nullptr && !extra->is_null()) {
    if (!extra->is_object()) return FieldError("extra_params", "expected an object");
    const json::object& params = extra->as_object();
    out.enable_thinking =
        BEDROCK_TRY(OptionalBool(params, "enable_thinking", "extra_params.enable_thinking"))
            .value_or(false);
    if (auto budget = BEDROCK_TRY(
            OptionalCount(params, "budget_tokens", "extra_params.budget_tokens", kMaxTokens))) {
      out.budget_tokens = static_cast<int>(*budget);
    }
    if (auto images =
            BEDROCK_TRY(OptionalCount(params, "only_n_most_recent_images",
                                      "extra_params.only_n_most_recent_images", 1'000'000))) {
      out.only_n_most_recent_images = static_cast<size_t>(*images);
    }
  }
  return out;
}

}  // namespace bedrock::gateway

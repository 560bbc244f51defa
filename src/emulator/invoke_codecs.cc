#include "emulator/invoke_codecs.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "emulator/embeddings.h"
#include "emulator/text.h"
#include "core/base64.h"  // the llm codecs' base64, shared rather than copied

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

core::Error Malformed(std::string_view detail) {
  return core::Error::InvalidArgument(
      "Malformed input request: {}, please reformat your input and try again.", detail);
}

std::string_view JsonTypeName(const json::value& v) {
  if (v.is_string()) return "String";
  if (v.is_bool()) return "Boolean";
  if (v.is_int64() || v.is_uint64()) return "Integer";
  if (v.is_double()) return "Number";
  if (v.is_array()) return "JSONArray";
  if (v.is_object()) return "JSONObject";
  return "Null";
}

core::Error WrongType(std::string_view path, std::string_view expected, const json::value& v) {
  return Malformed(
      fmt::format("#/{}: expected type: {}, found: {}", path, expected, JsonTypeName(v)));
}

core::Result<json::object> ParseObject(std::string_view body) {
  std::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return Malformed(fmt::format("#: {}", ec.message()));
  if (!root.is_object()) return WrongType("", "JSONObject", root);
  return std::move(root.as_object());
}

core::Status RejectExtraneous(const json::object& o, std::initializer_list<std::string_view> keys,
                              std::string_view path) {
  for (const auto& [key, value] : o) {
    bool known = false;
    for (auto k : keys) known = known || k == key;
    if (!known) {
      return Malformed(
          fmt::format("{}: extraneous key [{}] is not permitted", path, std::string_view(key)));
    }
  }
  return core::OkStatus();
}

core::Result<std::string> GetString(const json::object& o, std::string_view key,
                                    std::string_view path) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Malformed(fmt::format("{}: required key [{}] not found", path, key));
  if (!v->is_string()) return WrongType(fmt::format("{}/{}", path.substr(1), key), "String", *v);
  return std::string(v->as_string());
}

std::string MediaFormat(std::string_view media_type) {
  size_t slash = media_type.find('/');
  std::string format(slash == std::string_view::npos ? media_type : media_type.substr(slash + 1));
  if (format == "plain") return "txt";
  if (format == "markdown") return "md";
  return format;
}

core::Result<std::vector<llm::ToolResultContent>> ToolResultContent(const json::value& v,
                                                                    const std::string& path) {
  std::vector<llm::ToolResultContent> out;
  if (v.is_string()) {
    out.emplace_back(llm::TextBlock{std::string(v.as_string())});
    return out;
  }
  if (!v.is_array()) return WrongType(path, "JSONArray", v);
  for (const auto& item : v.as_array()) {
    if (!item.is_object()) return WrongType(path, "JSONObject", item);
    const json::object& o = item.as_object();
    std::string type = BEDROCK_TRY(GetString(o, "type", "#/" + path));
    if (type == "text") {
      out.emplace_back(llm::TextBlock{BEDROCK_TRY(GetString(o, "text", "#/" + path))});
    } else if (type == "image") {
      const json::value* source = o.if_contains("source");
      if (source == nullptr || !source->is_object()) {
        return Malformed(fmt::format("#/{}: required key [source] not found", path));
      }
      std::string data =
          BEDROCK_TRY(GetString(source->as_object(), "data", "#/" + path + "/source"));
      auto bytes = core::Base64Decode(data);
      if (!bytes) return Malformed(fmt::format("#/{}/source/data: invalid base64", path));
      std::string media =
          BEDROCK_TRY(GetString(source->as_object(), "media_type", "#/" + path + "/source"));
      out.emplace_back(llm::ImageBlock{MediaFormat(media), std::move(*bytes)});
    }
  }
  return out;
}

core::Result<llm::ContentBlock> ContentBlock(const json::value& v, const std::string& path) {
  if (!v.is_object()) return WrongType(path, "JSONObject", v);
  const json::object& o = v.as_object();
  std::string type = BEDROCK_TRY(GetString(o, "type", "#/" + path));
  if (type == "text")
    return llm::ContentBlock{llm::TextBlock{BEDROCK_TRY(GetString(o, "text", "#/" + path))}};
  if (type == "image" || type == "document") {
    const json::value* source = o.if_contains("source");
    if (source == nullptr || !source->is_object()) {
      return Malformed(fmt::format("#/{}: required key [source] not found", path));
    }
    const json::object& s = source->as_object();
    std::string media = BEDROCK_TRY(GetString(s, "media_type", "#/" + path + "/source"));
    std::string data = BEDROCK_TRY(GetString(s, "data", "#/" + path + "/source"));
    std::string bytes = data;
    const json::value* source_type = s.if_contains("type");
    if (source_type == nullptr || !source_type->is_string() || source_type->as_string() != "text") {
      auto decoded = core::Base64Decode(data);
      if (!decoded) return Malformed(fmt::format("#/{}/source/data: invalid base64", path));
      bytes = std::move(*decoded);
    }
    if (type == "image")
      return llm::ContentBlock{llm::ImageBlock{MediaFormat(media), std::move(bytes)}};
    return llm::ContentBlock{llm::DocumentBlock{MediaFormat(media), "document", std::move(bytes)}};
  }
  if (type == "tool_use") {
    llm::ToolUseBlock use;
    use.id = BEDROCK_TRY(GetString(o, "id", "#/" + path));
    use.name = BEDROCK_TRY(GetString(o, "name", "#/" + path));
    const json::value* input = o.if_contains("input");
    use.input = input != nullptr ? *input : json::value(json::object{});
    return llm::ContentBlock{std::move(use)};
  }
  if (type == "tool_result") {
    llm::ToolResultBlock result;
    result.tool_use_id = BEDROCK_TRY(GetString(o, "tool_use_id", "#/" + path));
    if (const json::value* content = o.if_contains("content")) {
      result.content = BEDROCK_TRY(ToolResultContent(*content, path + "/content"));
    }
    const json::value* error = o.if_contains("is_error");
    result.status = error != nullptr && error->is_bool() && error->as_bool()
                        ? llm::ToolResultStatus::kError
                        : llm::ToolResultStatus::kSuccess;
    return llm::ContentBlock{std::move(result)};
  }
  if (type == "thinking") {
    llm::ReasoningBlock r;
    r.text = BEDROCK_TRY(GetString(o, "thinking", "#/" + path));
    if (const json::value* sig = o.if_contains("signature"); sig != nullptr && sig->is_string()) {
      r.signature = std::string(sig->as_string());
    }
    return llm::ContentBlock{std::move(r)};
  }
  if (type == "redacted_thinking") {
    llm::ReasoningBlock r;
    std::string data = BEDROCK_TRY(GetString(o, "data", "#/" + path));
    auto decoded = core::Base64Decode(data);
    r.redacted = decoded ? std::move(*decoded) : data;
    return llm::ContentBlock{std::move(r)};
  }
  return Malformed(fmt::format("#/{}/type: {} is not a valid enum value", path, type));
}

std::string RandomishId(std::string_view prefix, std::string_view seed) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out(prefix);
  uint64_t h = StableHash(seed);
  for (int i = 0; i < 24; ++i) {
    out.push_back(kAlphabet[h % 62]);
    h = StableHash(std::string_view(out));
  }
  return out;
}

// Claude's tool ids look like "toolu_bdrk_01..."; the model's own "tooluse_..." ids are mapped.
std::string ClaudeToolId(std::string_view id) {
  if (id.starts_with("tooluse_")) return "toolu_bdrk_" + std::string(id.substr(8));
  return std::string(id);
}

json::array ContentJson(const llm::Message& message) {
  json::array content;
  for (const auto& block : message.content) {
    if (const auto* t = std::get_if<llm::TextBlock>(&block)) {
      content.push_back(json::object{{"type", "text"}, {"text", t->text}});
    } else if (const auto* r = std::get_if<llm::ReasoningBlock>(&block)) {
      if (r->is_redacted()) {
        content.push_back(json::object{{"type", "redacted_thinking"},
                                       {"data", core::Base64Encode(r->redacted)}});
      } else {
        content.push_back(
            json::object{{"type", "thinking"}, {"thinking", r->text}, {"signature", r->signature}});
      }
    } else if (const auto* u = std::get_if<llm::ToolUseBlock>(&block)) {
      content.push_back(json::object{{"type", "tool_use"},
                                     {"id", ClaudeToolId(u->id)},
                                     {"name", u->name},
                                     {"input", u->input}});
    }
  }
  return content;
}

std::string Serialize(const json::object& o) { return json::serialize(o); }

}  // namespace

namespace claude {

core::Result<llm::ChatRequest> DecodeRequest(std::string_view body) {
  json::object o = BEDROCK_TRY(ParseObject(body));
  BEDROCK_TRY(RejectExtraneous(
      o,
      {"anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "tools",
       "tool_choice", "temperature", "top_p", "top_k", "stop_sequences", "thinking", "metadata"},
      "#"));
  std::string version = BEDROCK_TRY(GetString(o, "anthropic_version", "#"));
  if (version != "bedrock-2023-05-31") {
    return Malformed(fmt::format("#/anthropic_version: {} is not a valid enum value", version));
  }
  llm::ChatRequest request;
  const json::value* max_tokens = o.if_contains("max_tokens");
  if (max_tokens == nullptr) return Malformed("#: required key [max_tokens] not found");
  if (!max_tokens->is_int64() || max_tokens->as_int64() < 1 || max_tokens->as_int64() > 1'000'000) {
    return WrongType("max_tokens", "Integer", *max_tokens);
  }
  request.inference.max_tokens = static_cast<int>(max_tokens->as_int64());
  const json::value* messages = o.if_contains("messages");
  if (messages == nullptr) return Malformed("#: required key [messages] not found");
  if (!messages->is_array()) return WrongType("messages", "JSONArray", *messages);
  if (messages->as_array().empty()) {
    return core::Error::InvalidArgument("messages: at least one message is required");
  }
  for (size_t i = 0; i < messages->as_array().size(); ++i) {
    std::string path = fmt::format("messages/{}", i);
    const json::value& m = messages->as_array()[i];
    if (!m.is_object()) return WrongType(path, "JSONObject", m);
    std::string role = BEDROCK_TRY(GetString(m.as_object(), "role", "#/" + path));
    llm::Message message;
    if (role == "user") {
      message.role = llm::Role::kUser;
    } else if (role == "assistant") {
      message.role = llm::Role::kAssistant;
    } else {
      return Malformed(fmt::format("#/{}/role: {} is not a valid enum value", path, role));
    }
    const json::value* content = m.as_object().if_contains("content");
    if (content == nullptr) {
      return Malformed(fmt::format("#/{}: required key [content] not found", path));
    }
    if (content->is_string()) {
      message.content.emplace_back(llm::TextBlock{std::string(content->as_string())});
    } else if (content->is_array()) {
      for (size_t j = 0; j < content->as_array().size(); ++j) {
        message.content.push_back(BEDROCK_TRY(
            ContentBlock(content->as_array()[j], fmt::format("{}/content/{}", path, j))));
      }
    } else {
      return WrongType(path + "/content", "JSONArray", *content);
    }
    request.messages.push_back(std::move(message));
  }
  if (const json::value* system = o.if_contains("system")) {
    if (system->is_string()) {
      request.system.emplace_back(llm::TextBlock{std::string(system->as_string())});
    } else if (system->is_array()) {
      for (const auto& block : system->as_array()) {
        if (!block.is_object()) return WrongType("system", "JSONObject", block);
        request.system.emplace_back(
            llm::TextBlock{BEDROCK_TRY(GetString(block.as_object(), "text", "#/system"))});
      }
    } else {
      return WrongType("system", "String", *system);
    }
  }
  if (const json::value* tools = o.if_contains("tools")) {
    if (!tools->is_array()) return WrongType("tools", "JSONArray", *tools);
    for (size_t i = 0; i < tools->as_array().size(); ++i) {
      const json::value& t = tools->as_array()[i];
      std::string path = fmt::format("tools/{}", i);
      if (!t.is_object()) return WrongType(path, "JSONObject", t);
      llm::ToolSpec spec;
      spec.name = BEDROCK_TRY(GetString(t.as_object(), "name", "#/" + path));
      if (const json::value* d = t.as_object().if_contains("description"); d && d->is_string()) {
        spec.description = std::string(d->as_string());
      }
      const json::value* schema = t.as_object().if_contains("input_schema");
      if (schema == nullptr) {
        if (t.as_object().contains("type")) continue;  // a server tool (web search, ...)
        return Malformed(fmt::format("#/{}: required key [input_schema] not found", path));
      }
      spec.input_schema = *schema;
      request.tools.push_back(std::move(spec));
    }
  }
  if (const json::value* choice = o.if_contains("tool_choice")) {
    if (!choice->is_object()) return WrongType("tool_choice", "JSONObject", *choice);
    std::string type = BEDROCK_TRY(GetString(choice->as_object(), "type", "#/tool_choice"));
    llm::ToolChoice tc;
    if (type == "auto") {
      tc.kind = llm::ToolChoice::Kind::kAuto;
    } else if (type == "any") {
      tc.kind = llm::ToolChoice::Kind::kAny;
    } else if (type == "none") {
      tc.kind = llm::ToolChoice::Kind::kNone;
    } else if (type == "tool") {
      tc.kind = llm::ToolChoice::Kind::kTool;
      tc.name = BEDROCK_TRY(GetString(choice->as_object(), "name", "#/tool_choice"));
    } else {
      return Malformed(fmt::format("#/tool_choice/type: {} is not a valid enum value", type));
    }
    request.tool_choice = std::move(tc);
  }
  if (const json::value* t = o.if_contains("temperature")) {
    if (!t->is_number()) return WrongType("temperature", "Number", *t);
    request.inference.temperature = t->to_number<double>();
  }
  if (const json::value* t = o.if_contains("top_p")) {
    if (!t->is_number()) return WrongType("top_p", "Number", *t);
    request.inference.top_p = t->to_number<double>();
  }
  if (const json::value* stops = o.if_contains("stop_sequences")) {
    if (!stops->is_array()) return WrongType("stop_sequences", "JSONArray", *stops);
    for (const auto& s : stops->as_array()) {
      if (!s.is_string()) return WrongType("stop_sequences", "String", s);
      request.inference.stop_sequences.emplace_back(s.as_string());
    }
  }
  if (const json::value* thinking = o.if_contains("thinking")) {
    request.additional_model_request_fields = json::object{{"thinking", *thinking}};
  }
  return request;
}

std::string ModelName(std::string_view model_id) {
  std::string_view id = model_id;
  if (size_t slash = id.rfind('/'); slash != std::string_view::npos) id = id.substr(slash + 1);
  if (size_t at = id.find("anthropic."); at != std::string_view::npos) {
    id = id.substr(at + 10);
  }
  if (size_t v = id.rfind("-v");
      v != std::string_view::npos && id.find(':', v) != std::string_view::npos) {
    id = id.substr(0, v);
  }
  return std::string(id);
}

std::string EncodeResponse(const llm::ChatResponse& response, std::string_view model_name) {
  json::object body{
      {"id", RandomishId("msg_bdrk_", json::serialize(ContentJson(response.message)))},
      {"type", "message"},
      {"role", "assistant"},
      {"model", model_name},
      {"content", ContentJson(response.message)},
      {"stop_reason", response.stop_reason_text},
      {"stop_sequence", nullptr},
      {"usage", json::object{{"input_tokens", response.usage.input_tokens},
                             {"output_tokens", response.usage.output_tokens}}}};
  return Serialize(body);
}

std::vector<std::string> StreamEvents(const llm::ChatResponse& response,
                                      std::string_view model_name, size_t piece_bytes) {
  std::vector<std::string> events;
  json::array content = ContentJson(response.message);
  json::object start_message{
      {"id", RandomishId("msg_bdrk_", json::serialize(content))},
      {"type", "message"},
      {"role", "assistant"},
      {"model", model_name},
      {"content", json::array{}},
      {"stop_reason", nullptr},
      {"stop_sequence", nullptr},
      {"usage", json::object{{"input_tokens", response.usage.input_tokens}, {"output_tokens", 1}}}};
  events.push_back(Serialize(json::object{{"type", "message_start"}, {"message", start_message}}));
  for (size_t i = 0; i < content.size(); ++i) {
    const json::object& block = content[i].as_object();
    std::string_view type = block.at("type").as_string();
    auto delta = [&](json::object d) {
      events.push_back(Serialize(
          json::object{{"type", "content_block_delta"}, {"index", i}, {"delta", std::move(d)}}));
    };
    json::object start;
    if (type == "text") {
      start = {{"type", "text"}, {"text", ""}};
    } else if (type == "thinking") {
      start = {{"type", "thinking"}, {"thinking", ""}};
    } else if (type == "redacted_thinking") {
      start = block;
    } else {
      start = {{"type", "tool_use"},
               {"id", block.at("id")},
               {"name", block.at("name")},
               {"input", json::object{}}};
    }
    events.push_back(Serialize(json::object{
        {"type", "content_block_start"}, {"index", i}, {"content_block", std::move(start)}}));
    if (type == "text") {
      for (auto& piece : SplitForStreaming(block.at("text").as_string(), piece_bytes)) {
        delta({{"type", "text_delta"}, {"text", piece}});
      }
    } else if (type == "thinking") {
      for (auto& piece : SplitForStreaming(block.at("thinking").as_string(), piece_bytes)) {
        delta({{"type", "thinking_delta"}, {"thinking", piece}});
      }
      delta({{"type", "signature_delta"}, {"signature", block.at("signature")}});
    } else if (type == "tool_use") {
      std::string input = json::serialize(block.at("input"));
      for (auto& piece : SplitForStreaming(input, std::max<size_t>(4, input.size() / 3 + 1))) {
        delta({{"type", "input_json_delta"}, {"partial_json", piece}});
      }
    }
    events.push_back(Serialize(json::object{{"type", "content_block_stop"}, {"index", i}}));
  }
  events.push_back(Serialize(json::object{
      {"type", "message_delta"},
      {"delta",
       json::object{{"stop_reason", response.stop_reason_text}, {"stop_sequence", nullptr}}},
      {"usage", json::object{{"output_tokens", response.usage.output_tokens}}}}));
  events.push_back(Serialize(
      json::object{{"type", "message_stop"},
                   {"amazon-bedrock-invocationMetrics",
                    json::object{{"inputTokenCount", response.usage.input_tokens},
                                 {"outputTokenCount", response.usage.output_tokens},
                                 {"invocationLatency", response.metrics.latency_ms},
                                 {"firstByteLatency", response.metrics.latency_ms / 2}}}}));
  return events;
}

}  // namespace claude

namespace titan {

core::Result<EmbeddingRequest> DecodeRequest(std::string_view body, bool v2) {
  json::object o = BEDROCK_TRY(ParseObject(body));
  if (v2) {
    BEDROCK_TRY(
        RejectExtraneous(o, {"inputText", "dimensions", "normalize", "embeddingTypes"}, "#"));
  } else {
    BEDROCK_TRY(RejectExtraneous(o, {"inputText"}, "#"));
  }
  EmbeddingRequest request;
  request.v2 = v2;
  request.input_text = BEDROCK_TRY(GetString(o, "inputText", "#"));
  if (request.input_text.empty()) {
    return Malformed("#/inputText: expected minLength: 1, actual: 0");
  }
  if (const json::value* d = o.if_contains("dimensions")) {
    if (!d->is_int64()) return WrongType("dimensions", "Integer", *d);
    int64_t n = d->as_int64();
    if (n != 256 && n != 512 && n != 1024) {
      return Malformed(fmt::format("#/dimensions: {} is not a valid enum value", n));
    }
    request.dimensions = static_cast<int>(n);
  }
  if (!v2) request.dimensions = 1536;
  if (const json::value* n = o.if_contains("normalize")) {
    if (!n->is_bool()) return WrongType("normalize", "Boolean", *n);
    request.normalize = n->as_bool();
  }
  if (const json::value* types = o.if_contains("embeddingTypes")) {
    if (!types->is_array() || types->as_array().empty()) {
      return WrongType("embeddingTypes", "JSONArray", *types);
    }
    request.float_type = false;
    for (const auto& t : types->as_array()) {
      if (t == "float") {
        request.float_type = true;
      } else if (t == "binary") {
        request.binary_type = true;
      } else {
        return Malformed(
            fmt::format("#/embeddingTypes: {} is not a valid enum value", json::serialize(t)));
      }
    }
  }
  return request;
}

std::string EncodeResponse(const EmbeddingRequest& request, int64_t* input_tokens) {
  std::vector<float> vector = Embed(request.input_text, request.dimensions, request.normalize);
  int64_t tokens = std::max<int64_t>(1, CountTokens(request.input_text));
  if (input_tokens != nullptr) *input_tokens = tokens;
  json::array floats;
  for (float x : vector) floats.push_back(static_cast<double>(x));
  json::object body;
  if (request.float_type) body["embedding"] = floats;
  body["inputTextTokenCount"] = tokens;
  if (request.v2) {
    json::object by_type;
    if (request.float_type) by_type["float"] = floats;
    if (request.binary_type) {
      json::array bits;
      for (float x : vector) bits.push_back(x > 0 ? 1 : 0);
      by_type["binary"] = std::move(bits);
    }
    body["embeddingsByType"] = std::move(by_type);
  }
  return Serialize(body);
}

}  // namespace titan

}  // namespace bedrock::emulator

#include "llm/bedrock_converse.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>
#include <utility>

#include "core/base64.h"

namespace bedrock::llm::bedrock_converse {
namespace {

namespace json = boost::json;
using core::Base64Decode;
using core::Base64Encode;

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

json::object CachePointJson(const CachePointBlock& block) {
  json::object inner{{"type", "default"}};
  if (!block.ttl.empty()) inner["ttl"] = block.ttl;
  return inner;
}

json::object ImageJson(const ImageBlock& image) {
  return json::object{{"format", image.format},
                      {"source", json::object{{"bytes", Base64Encode(image.bytes)}}}};
}

json::object DocumentJson(const DocumentBlock& document) {
  json::object out;
  if (!document.format.empty()) out["format"] = document.format;
  out["name"] = document.name;
  out["source"] = json::object{{"bytes", Base64Encode(document.bytes)}};
  return out;
}

std::string_view ToolResultStatusName(ToolResultStatus status) {
  switch (status) {
    case ToolResultStatus::kSuccess:
      return "success";
    case ToolResultStatus::kError:
      return "error";
    case ToolResultStatus::kUnspecified:
      break;
  }
  return "";
}

json::object ContentBlockJson(const ContentBlock& block) {
  struct Visitor {
    json::object operator()(const TextBlock& b) const { return {{"text", b.text}}; }
    json::object operator()(const ImageBlock& b) const { return {{"image", ImageJson(b)}}; }
    json::object operator()(const DocumentBlock& b) const {
      return {{"document", DocumentJson(b)}};
    }
    json::object operator()(const ToolUseBlock& b) const {
      json::object inner{{"toolUseId", b.id}, {"name", b.name}};
      inner["input"] = b.input.is_null() ? json::value(json::object{}) : b.input;
      return {{"toolUse", std::move(inner)}};
    }
    json::object operator()(const ToolResultBlock& b) const {
      json::array content;
      for (const auto& item : b.content) {
        if (const auto* text = std::get_if<TextBlock>(&item)) {
          content.push_back(json::object{{"text", text->text}});
        } else if (const auto* js = std::get_if<JsonBlock>(&item)) {
          content.push_back(json::object{{"json", js->json}});
        } else if (const auto* image = std::get_if<ImageBlock>(&item)) {
          content.push_back(json::object{{"image", ImageJson(*image)}});
        } else if (const auto* doc = std::get_if<DocumentBlock>(&item)) {
          content.push_back(json::object{{"document", DocumentJson(*doc)}});
        }
      }
      json::object inner{{"toolUseId", b.tool_use_id}, {"content", std::move(content)}};
      if (auto status = ToolResultStatusName(b.status); !status.empty()) inner["status"] = status;
      return {{"toolResult", std::move(inner)}};
    }
    json::object operator()(const ReasoningBlock& b) const {
      json::object inner;
      if (b.is_redacted()) {
        inner["redactedContent"] = Base64Encode(b.redacted);
      } else {
        json::object text{{"text", b.text}};
        if (!b.signature.empty()) text["signature"] = b.signature;
        inner["reasoningText"] = std::move(text);
      }
      return {{"reasoningContent", std::move(inner)}};
    }
    json::object operator()(const CachePointBlock& b) const {
      return {{"cachePoint", CachePointJson(b)}};
    }
  };
  return std::visit(Visitor{}, block);
}

json::object MessageJson(const Message& message) {
  json::array content;
  content.reserve(message.content.size());
  for (const auto& block : message.content) content.push_back(ContentBlockJson(block));
  return json::object{{"role", RoleName(message.role)}, {"content", std::move(content)}};
}

json::object UsageJson(const Usage& usage) {
  json::object out{{"inputTokens", usage.input_tokens},
                   {"outputTokens", usage.output_tokens},
                   {"totalTokens", usage.total_tokens}};
  if (usage.cache_read_input_tokens) out["cacheReadInputTokens"] = *usage.cache_read_input_tokens;
  if (usage.cache_write_input_tokens) {
    out["cacheWriteInputTokens"] = *usage.cache_write_input_tokens;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers. Every error names the member path, as Bedrock's validation messages do.
// ---------------------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(core::ErrorCode code) : code_(code) {}

  template <typename... Args>
  core::Error Fail(fmt::format_string<Args...> format, Args&&... args) const {
    return core::Error(code_, fmt::format(format, std::forward<Args>(args)...));
  }

  core::Result<const json::object*> Object(const json::value& v, std::string_view path) const {
    if (!v.is_object()) return Fail("{} must be an object", path);
    return &v.as_object();
  }
  core::Result<const json::array*> Array(const json::value& v, std::string_view path) const {
    if (!v.is_array()) return Fail("{} must be an array", path);
    return &v.as_array();
  }
  core::Result<std::string> String(const json::value& v, std::string_view path) const {
    if (!v.is_string()) return Fail("{} must be a string", path);
    return std::string(v.as_string());
  }
  core::Result<int64_t> Integer(const json::value& v, std::string_view path) const {
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<int64_t>(v.as_uint64());
    }
    if (v.is_double()) {
      double d = v.as_double();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
        return static_cast<int64_t>(d);
      }
    }
    return Fail("{} must be an integer", path);
  }
  core::Result<double> Number(const json::value& v, std::string_view path) const {
    if (v.is_double()) return v.as_double();
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    return Fail("{} must be a number", path);
  }
  core::Result<std::string> Blob(const json::value& v, std::string_view path) const {
    if (!v.is_string()) return Fail("{} must be a base64 string", path);
    auto bytes = Base64Decode(v.as_string());
    if (!bytes) return Fail("{} is not valid base64", path);
    return std::move(*bytes);
  }

  // A required member.
  core::Result<const json::value*> Required(const json::object& o, std::string_view key,
                                            std::string_view path) const {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return Fail("{}.{} is required", path, key);
    return v;
  }

  core::ErrorCode code() const { return code_; }

 private:
  core::ErrorCode code_;
};

// The single member of a union object, or an error.
core::Result<std::pair<std::string_view, const json::value*>> UnionMember(const Reader& r,
                                                                          const json::value& v,
                                                                          std::string_view path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  std::pair<std::string_view, const json::value*> found{{}, nullptr};
  for (const auto& [key, value] : *o) {
    if (value.is_null()) continue;
    if (found.second != nullptr) {
      return r.Fail("{} must set exactly one member, got {} and {}", path, found.first,
                    std::string_view(key));
    }
    found = {std::string_view(key), &value};
  }
  if (found.second == nullptr) return r.Fail("{} must set exactly one member", path);
  return found;
}

core::Result<ImageBlock> ParseImage(const Reader& r, const json::value& v,
                                    const std::string& path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  ImageBlock image;
  image.format =
      BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "format", path)), path + ".format"));
  const json::value* source = BEDROCK_TRY(r.Required(*o, "source", path));
  auto [kind, value] = BEDROCK_TRY(UnionMember(r, *source, path + ".source"));
  if (kind != "bytes") return r.Fail("{}.source.{} is not supported", path, kind);
  image.bytes = BEDROCK_TRY(r.Blob(*value, path + ".source.bytes"));
  return image;
}

core::Result<DocumentBlock> ParseDocument(const Reader& r, const json::value& v,
                                          const std::string& path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  DocumentBlock doc;
  if (const auto* format = o->if_contains("format"); format != nullptr && !format->is_null()) {
    doc.format = BEDROCK_TRY(r.String(*format, path + ".format"));
  }
  doc.name = BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "name", path)), path + ".name"));
  const json::value* source = BEDROCK_TRY(r.Required(*o, "source", path));
  auto [kind, value] = BEDROCK_TRY(UnionMember(r, *source, path + ".source"));
  if (kind == "bytes") {
    doc.bytes = BEDROCK_TRY(r.Blob(*value, path + ".source.bytes"));
  } else if (kind == "text") {
    doc.bytes = BEDROCK_TRY(r.String(*value, path + ".source.text"));
  } else {
    return r.Fail("{}.source.{} is not supported", path, kind);
  }
  return doc;
}

core::Result<ToolResultStatus> ParseToolResultStatus(const Reader& r, const json::object& o,
                                                     const std::string& path) {
  const json::value* v = o.if_contains("status");
  if (v == nullptr || v->is_null()) return ToolResultStatus::kUnspecified;
  std::string status = BEDROCK_TRY(r.String(*v, path + ".status"));
  if (status == "success") return ToolResultStatus::kSuccess;
  if (status == "error") return ToolResultStatus::kError;
  return r.Fail("{}.status must be success or error, got '{}'", path, status);
}

core::Result<CachePointBlock> ParseCachePoint(const Reader& r, const json::value& v,
                                              const std::string& path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  CachePointBlock block;
  std::string type =
      BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "type", path)), path + ".type"));
  if (type != "default") return r.Fail("{}.type must be 'default'", path);
  if (const auto* ttl = o->if_contains("ttl"); ttl != nullptr && !ttl->is_null()) {
    block.ttl = BEDROCK_TRY(r.String(*ttl, path + ".ttl"));
  }
  return block;
}

// nullopt: a block kind the neutral model does not carry (skipped).
core::Result<std::optional<ContentBlock>> ParseContentBlock(const Reader& r, const json::value& v,
                                                            const std::string& path) {
  auto [kind, value] = BEDROCK_TRY(UnionMember(r, v, path));
  std::string sub = path + "." + std::string(kind);
  if (kind == "text") {
    return ContentBlock{TextBlock{BEDROCK_TRY(r.String(*value, sub))}};
  }
  if (kind == "image") return ContentBlock{BEDROCK_TRY(ParseImage(r, *value, sub))};
  if (kind == "document") return ContentBlock{BEDROCK_TRY(ParseDocument(r, *value, sub))};
  if (kind == "toolUse") {
    const json::object* o = BEDROCK_TRY(r.Object(*value, sub));
    ToolUseBlock use;
    use.id =
        BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "toolUseId", sub)), sub + ".toolUseId"));
    use.name = BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "name", sub)), sub + ".name"));
    use.input = *BEDROCK_TRY(r.Required(*o, "input", sub));
    return ContentBlock{std::move(use)};
  }
  if (kind == "toolResult") {
    const json::object* o = BEDROCK_TRY(r.Object(*value, sub));
    ToolResultBlock result;
    result.tool_use_id =
        BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "toolUseId", sub)), sub + ".toolUseId"));
    const json::array* content =
        BEDROCK_TRY(r.Array(*BEDROCK_TRY(r.Required(*o, "content", sub)), sub + ".content"));
    for (size_t i = 0; i < content->size(); ++i) {
      std::string item_path = fmt::format("{}.content.{}", sub, i);
      auto [item_kind, item] = BEDROCK_TRY(UnionMember(r, (*content)[i], item_path));
      std::string item_sub = item_path + "." + std::string(item_kind);
      if (item_kind == "text") {
        result.content.emplace_back(TextBlock{BEDROCK_TRY(r.String(*item, item_sub))});
      } else if (item_kind == "json") {
        result.content.emplace_back(JsonBlock{*item});
      } else if (item_kind == "image") {
        result.content.emplace_back(BEDROCK_TRY(ParseImage(r, *item, item_sub)));
      } else if (item_kind == "document") {
        result.content.emplace_back(BEDROCK_TRY(ParseDocument(r, *item, item_sub)));
      }  // video, searchResult: not carried
    }
    result.status = BEDROCK_TRY(ParseToolResultStatus(r, *o, sub));
    return ContentBlock{std::move(result)};
  }
  if (kind == "reasoningContent") {
    auto [rkind, rvalue] = BEDROCK_TRY(UnionMember(r, *value, sub));
    ReasoningBlock reasoning;
    if (rkind == "reasoningText") {
      std::string rpath = sub + ".reasoningText";
      const json::object* o = BEDROCK_TRY(r.Object(*rvalue, rpath));
      reasoning.text =
          BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "text", rpath)), rpath + ".text"));
      if (const auto* sig = o->if_contains("signature"); sig != nullptr && !sig->is_null()) {
        reasoning.signature = BEDROCK_TRY(r.String(*sig, rpath + ".signature"));
      }
    } else if (rkind == "redactedContent") {
      reasoning.redacted = BEDROCK_TRY(r.Blob(*rvalue, sub + ".redactedContent"));
    } else {
      return std::optional<ContentBlock>();
    }
    return ContentBlock{std::move(reasoning)};
  }
  if (kind == "cachePoint") return ContentBlock{BEDROCK_TRY(ParseCachePoint(r, *value, sub))};
  return std::optional<ContentBlock>();  // video, audio, guardContent, citationsContent, ...
}

core::Result<Message> ParseMessage(const Reader& r, const json::value& v, const std::string& path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  Message message;
  std::string role =
      BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*o, "role", path)), path + ".role"));
  if (role == "user") {
    message.role = Role::kUser;
  } else if (role == "assistant") {
    message.role = Role::kAssistant;
  } else {
    return r.Fail("{}.role must be user or assistant, got '{}'", path, role);
  }
  const json::array* content =
      BEDROCK_TRY(r.Array(*BEDROCK_TRY(r.Required(*o, "content", path)), path + ".content"));
  for (size_t i = 0; i < content->size(); ++i) {
    auto block =
        BEDROCK_TRY(ParseContentBlock(r, (*content)[i], fmt::format("{}.content.{}", path, i)));
    if (block) message.content.push_back(std::move(*block));
  }
  return message;
}

core::Result<Usage> ParseUsage(const Reader& r, const json::value& v, const std::string& path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  Usage usage;
  if (const auto* x = o->if_contains("inputTokens"))
    usage.input_tokens = BEDROCK_TRY(r.Integer(*x, path + ".inputTokens"));
  if (const auto* x = o->if_contains("outputTokens"))
    usage.output_tokens = BEDROCK_TRY(r.Integer(*x, path + ".outputTokens"));
  if (const auto* x = o->if_contains("totalTokens"))
    usage.total_tokens = BEDROCK_TRY(r.Integer(*x, path + ".totalTokens"));
  if (const auto* x = o->if_contains("cacheReadInputTokens"); x != nullptr && !x->is_null()) {
    usage.cache_read_input_tokens = BEDROCK_TRY(r.Integer(*x, path + ".cacheReadInputTokens"));
  }
  if (const auto* x = o->if_contains("cacheWriteInputTokens"); x != nullptr && !x->is_null()) {
    usage.cache_write_input_tokens = BEDROCK_TRY(r.Integer(*x, path + ".cacheWriteInputTokens"));
  }
  return usage;
}

core::Result<Metrics> ParseMetrics(const Reader& r, const json::value& v, const std::string& path) {
  const json::object* o = BEDROCK_TRY(r.Object(v, path));
  Metrics metrics;
  if (const auto* x = o->if_contains("latencyMs"))
    metrics.latency_ms = BEDROCK_TRY(r.Integer(*x, path + ".latencyMs"));
  return metrics;
}

core::Result<json::value> ParseJsonText(const Reader& r, std::string_view text,
                                        std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return r.Fail("{} is not valid JSON: {}", what, ec.message());
  return v;
}

int BlockIndex(int64_t index) {
  return static_cast<int>(std::min<int64_t>(index, std::numeric_limits<int>::max()));
}

core::Result<int> ParseIndex(const Reader& r, const json::object& o, std::string_view event) {
  const json::value* v = o.if_contains("contentBlockIndex");
  if (v == nullptr) return r.Fail("{} event without contentBlockIndex", event);
  int64_t index = BEDROCK_TRY(r.Integer(*v, "contentBlockIndex"));
  if (index < 0) return r.Fail("{} event with negative contentBlockIndex", event);
  return BlockIndex(index);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

core::Result<json::value> ConverseRequestToJson(const ChatRequest& request, bool streaming) {
  json::object body;
  json::array messages;
  messages.reserve(request.messages.size());
  for (const auto& message : request.messages) messages.push_back(MessageJson(message));
  body["messages"] = std::move(messages);

  if (!request.system.empty()) {
    json::array system;
    for (const auto& block : request.system) {
      if (const auto* text = std::get_if<TextBlock>(&block)) {
        system.push_back(json::object{{"text", text->text}});
      } else {
        system.push_back(
            json::object{{"cachePoint", CachePointJson(std::get<CachePointBlock>(block))}});
      }
    }
    body["system"] = std::move(system);
  }

  const InferenceConfig& inference = request.inference;
  if (inference.max_tokens || inference.temperature || inference.top_p ||
      !inference.stop_sequences.empty()) {
    json::object config;
    if (inference.max_tokens) config["maxTokens"] = *inference.max_tokens;
    if (inference.temperature) config["temperature"] = *inference.temperature;
    if (inference.top_p) config["topP"] = *inference.top_p;
    if (!inference.stop_sequences.empty()) {
      json::array stops;
      for (const auto& s : inference.stop_sequences) stops.push_back(json::string(s));
      config["stopSequences"] = std::move(stops);
    }
    body["inferenceConfig"] = std::move(config);
  }

  if (!request.tools.empty()) {
    json::array tools;
    for (const auto& tool : request.tools) {
      json::object spec{{"name", tool.name}};
      if (!tool.description.empty()) spec["description"] = tool.description;
      spec["inputSchema"] = json::object{
          {"json", tool.input_schema.is_null() ? json::value(json::object{{"type", "object"}})
                                               : tool.input_schema}};
      tools.push_back(json::object{{"toolSpec", std::move(spec)}});
    }
    if (request.cache_point_after_tools) {
      tools.push_back(json::object{{"cachePoint", json::object{{"type", "default"}}}});
    }
    json::object config{{"tools", std::move(tools)}};
    if (request.tool_choice && request.tool_choice->kind != ToolChoice::Kind::kNone) {
      switch (request.tool_choice->kind) {
        case ToolChoice::Kind::kAuto:
          config["toolChoice"] = {{"auto", json::object{}}};
          break;
        case ToolChoice::Kind::kAny:
          config["toolChoice"] = {{"any", json::object{}}};
          break;
        case ToolChoice::Kind::kTool:
          config["toolChoice"] = {{"tool", json::object{{"name", request.tool_choice->name}}}};
          break;
        case ToolChoice::Kind::kNone:
          break;
      }
    }
    body["toolConfig"] = std::move(config);
  }

  if (request.guardrail) {
    const GuardrailConfig& g = *request.guardrail;
    json::object config{{"guardrailIdentifier", g.identifier}, {"guardrailVersion", g.version}};
    if (!g.trace.empty()) config["trace"] = g.trace;
    if (streaming && !g.stream_processing_mode.empty()) {
      config["streamProcessingMode"] = g.stream_processing_mode;
    }
    body["guardrailConfig"] = std::move(config);
  }

  if (!request.additional_model_request_fields.is_null()) {
    if (!request.additional_model_request_fields.is_object()) {
      return core::Error::InvalidArgument("additionalModelRequestFields must be a JSON object");
    }
    body["additionalModelRequestFields"] = request.additional_model_request_fields;
  }
  if (!request.additional_model_response_field_paths.empty()) {
    json::array paths;
    for (const auto& p : request.additional_model_response_field_paths)
      paths.push_back(json::string(p));
    body["additionalModelResponseFieldPaths"] = std::move(paths);
  }
  if (!request.request_metadata.empty()) {
    json::object metadata;
    for (const auto& [k, v] : request.request_metadata) metadata[k] = v;
    body["requestMetadata"] = std::move(metadata);
  }
  return json::value(std::move(body));
}

core::Result<std::string> EncodeConverseRequest(const ChatRequest& request, bool streaming) {
  json::value body = BEDROCK_TRY(ConverseRequestToJson(request, streaming));
  return json::serialize(body);
}

core::Result<ChatRequest> DecodeConverseRequest(std::string_view body) {
  Reader r(core::ErrorCode::kInvalidArgument);
  json::value root = BEDROCK_TRY(ParseJsonText(r, body, "request body"));
  const json::object* o = BEDROCK_TRY(r.Object(root, "request body"));
  ChatRequest request;
  if (const auto* v = o->if_contains("messages"); v != nullptr && !v->is_null()) {
    const json::array* messages = BEDROCK_TRY(r.Array(*v, "messages"));
    for (size_t i = 0; i < messages->size(); ++i) {
      request.messages.push_back(
          BEDROCK_TRY(ParseMessage(r, (*messages)[i], fmt::format("messages.{}", i))));
    }
  }
  if (const auto* v = o->if_contains("system"); v != nullptr && !v->is_null()) {
    const json::array* system = BEDROCK_TRY(r.Array(*v, "system"));
    for (size_t i = 0; i < system->size(); ++i) {
      std::string path = fmt::format("system.{}", i);
      auto [kind, value] = BEDROCK_TRY(UnionMember(r, (*system)[i], path));
      if (kind == "text") {
        request.system.emplace_back(TextBlock{BEDROCK_TRY(r.String(*value, path + ".text"))});
      } else if (kind == "cachePoint") {
        request.system.emplace_back(BEDROCK_TRY(ParseCachePoint(r, *value, path + ".cachePoint")));
      }  // guardContent: not carried
    }
  }
  if (const auto* v = o->if_contains("inferenceConfig"); v != nullptr && !v->is_null()) {
    const json::object* c = BEDROCK_TRY(r.Object(*v, "inferenceConfig"));
    if (const auto* x = c->if_contains("maxTokens"); x != nullptr && !x->is_null()) {
      int64_t max_tokens = BEDROCK_TRY(r.Integer(*x, "inferenceConfig.maxTokens"));
      if (max_tokens < 1 || max_tokens > std::numeric_limits<int>::max()) {
        return r.Fail("inferenceConfig.maxTokens must be at least 1");
      }
      request.inference.max_tokens = static_cast<int>(max_tokens);
    }
    if (const auto* x = c->if_contains("temperature"); x != nullptr && !x->is_null()) {
      request.inference.temperature = BEDROCK_TRY(r.Number(*x, "inferenceConfig.temperature"));
    }
    if (const auto* x = c->if_contains("topP"); x != nullptr && !x->is_null()) {
      request.inference.top_p = BEDROCK_TRY(r.Number(*x, "inferenceConfig.topP"));
    }
    if (const auto* x = c->if_contains("stopSequences"); x != nullptr && !x->is_null()) {
      const json::array* stops = BEDROCK_TRY(r.Array(*x, "inferenceConfig.stopSequences"));
      for (const auto& s : *stops) {
        request.inference.stop_sequences.push_back(
            BEDROCK_TRY(r.String(s, "inferenceConfig.stopSequences[]")));
      }
    }
  }
  if (const auto* v = o->if_contains("toolConfig"); v != nullptr && !v->is_null()) {
    const json::object* c = BEDROCK_TRY(r.Object(*v, "toolConfig"));
    const json::array* tools = BEDROCK_TRY(
        r.Array(*BEDROCK_TRY(r.Required(*c, "tools", "toolConfig")), "toolConfig.tools"));
    for (size_t i = 0; i < tools->size(); ++i) {
      std::string path = fmt::format("toolConfig.tools.{}", i);
      auto [kind, value] = BEDROCK_TRY(UnionMember(r, (*tools)[i], path));
      if (kind == "cachePoint") {
        (void)BEDROCK_TRY(ParseCachePoint(r, *value, path + ".cachePoint"));
        request.cache_point_after_tools = true;
        continue;
      }
      if (kind != "toolSpec") continue;  // systemTool: not carried
      path += ".toolSpec";
      const json::object* spec = BEDROCK_TRY(r.Object(*value, path));
      ToolSpec tool;
      tool.name =
          BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*spec, "name", path)), path + ".name"));
      if (const auto* d = spec->if_contains("description"); d != nullptr && !d->is_null()) {
        tool.description = BEDROCK_TRY(r.String(*d, path + ".description"));
      }
      const json::value* schema = BEDROCK_TRY(r.Required(*spec, "inputSchema", path));
      auto [schema_kind, schema_value] =
          BEDROCK_TRY(UnionMember(r, *schema, path + ".inputSchema"));
      if (schema_kind != "json")
        return r.Fail("{}.inputSchema.{} is not supported", path, schema_kind);
      tool.input_schema = *schema_value;
      request.tools.push_back(std::move(tool));
    }
    if (const auto* choice = c->if_contains("toolChoice");
        choice != nullptr && !choice->is_null()) {
      auto [kind, value] = BEDROCK_TRY(UnionMember(r, *choice, "toolConfig.toolChoice"));
      ToolChoice tc;
      if (kind == "auto") {
        tc.kind = ToolChoice::Kind::kAuto;
      } else if (kind == "any") {
        tc.kind = ToolChoice::Kind::kAny;
      } else if (kind == "tool") {
        const json::object* t = BEDROCK_TRY(r.Object(*value, "toolConfig.toolChoice.tool"));
        tc.kind = ToolChoice::Kind::kTool;
        tc.name =
            BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*t, "name", "toolConfig.toolChoice.tool")),
                                 "toolConfig.toolChoice.tool.name"));
      } else {
        return r.Fail("toolConfig.toolChoice.{} is not supported", kind);
      }
      request.tool_choice = std::move(tc);
    }
  }
  if (const auto* v = o->if_contains("guardrailConfig"); v != nullptr && !v->is_null()) {
    const json::object* c = BEDROCK_TRY(r.Object(*v, "guardrailConfig"));
    GuardrailConfig g;
    auto str = [&](std::string_view key, std::string& out) -> core::Status {
      if (const auto* x = c->if_contains(key); x != nullptr && !x->is_null()) {
        out = BEDROCK_TRY(r.String(*x, fmt::format("guardrailConfig.{}", key)));
      }
      return core::OkStatus();
    };
    BEDROCK_TRY(str("guardrailIdentifier", g.identifier));
    BEDROCK_TRY(str("guardrailVersion", g.version));
    BEDROCK_TRY(str("trace", g.trace));
    BEDROCK_TRY(str("streamProcessingMode", g.stream_processing_mode));
    request.guardrail = std::move(g);
  }
  if (const auto* v = o->if_contains("additionalModelRequestFields");
      v != nullptr && !v->is_null()) {
    (void)BEDROCK_TRY(r.Object(*v, "additionalModelRequestFields"));
    request.additional_model_request_fields = *v;
  }
  if (const auto* v = o->if_contains("additionalModelResponseFieldPaths");
      v != nullptr && !v->is_null()) {
    const json::array* paths = BEDROCK_TRY(r.Array(*v, "additionalModelResponseFieldPaths"));
    for (const auto& p : *paths) {
      request.additional_model_response_field_paths.push_back(
          BEDROCK_TRY(r.String(p, "additionalModelResponseFieldPaths[]")));
    }
  }
  if (const auto* v = o->if_contains("requestMetadata"); v != nullptr && !v->is_null()) {
    const json::object* m = BEDROCK_TRY(r.Object(*v, "requestMetadata"));
    for (const auto& [key, value] : *m) {
      request.request_metadata[std::string(key)] =
          BEDROCK_TRY(r.String(value, fmt::format("requestMetadata.{}", std::string_view(key))));
    }
  }
  return request;
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

json::value ConverseResponseToJson(const ChatResponse& response) {
  json::object body{{"output", json::object{{"message", MessageJson(response.message)}}},
                    {"stopReason", response.stop_reason_text},
                    {"usage", UsageJson(response.usage)},
                    {"metrics", json::object{{"latencyMs", response.metrics.latency_ms}}}};
  if (!response.additional_model_response_fields.is_null()) {
    body["additionalModelResponseFields"] = response.additional_model_response_fields;
  }
  return body;
}

std::string EncodeConverseResponse(const ChatResponse& response) {
  return json::serialize(ConverseResponseToJson(response));
}

core::Result<ChatResponse> DecodeConverseResponse(std::string_view body) {
  Reader r(core::ErrorCode::kUpstreamFailure);
  json::value root = BEDROCK_TRY(ParseJsonText(r, body, "Converse response"));
  const json::object* o = BEDROCK_TRY(r.Object(root, "Converse response"));
  ChatResponse response;
  const json::value* output = BEDROCK_TRY(r.Required(*o, "output", "response"));
  const json::object* output_object = BEDROCK_TRY(r.Object(*output, "output"));
  const json::value* message = BEDROCK_TRY(r.Required(*output_object, "message", "output"));
  response.message = BEDROCK_TRY(ParseMessage(r, *message, "output.message"));
  const json::value* stop = BEDROCK_TRY(r.Required(*o, "stopReason", "response"));
  response.SetStopReasonText(BEDROCK_TRY(r.String(*stop, "stopReason")));
  if (const auto* v = o->if_contains("usage"); v != nullptr && !v->is_null()) {
    response.usage = BEDROCK_TRY(ParseUsage(r, *v, "usage"));
  }
  if (const auto* v = o->if_contains("metrics"); v != nullptr && !v->is_null()) {
    response.metrics = BEDROCK_TRY(ParseMetrics(r, *v, "metrics"));
  }
  if (const auto* v = o->if_contains("additionalModelResponseFields")) {
    response.additional_model_response_fields = *v;
  }
  return response;
}

// ---------------------------------------------------------------------------------------------
// Stream events
// ---------------------------------------------------------------------------------------------

std::string_view StreamEventType(const StreamEvent& event) {
  struct Visitor {
    std::string_view operator()(const MessageStartEvent&) const { return "messageStart"; }
    std::string_view operator()(const ContentBlockStartEvent&) const { return "contentBlockStart"; }
    std::string_view operator()(const ContentBlockDeltaEvent&) const { return "contentBlockDelta"; }
    std::string_view operator()(const ContentBlockStopEvent&) const { return "contentBlockStop"; }
    std::string_view operator()(const MessageStopEvent&) const { return "messageStop"; }
    std::string_view operator()(const MetadataEvent&) const { return "metadata"; }
  };
  return std::visit(Visitor{}, event);
}

std::string StreamEventPayload(const StreamEvent& event) {
  struct Visitor {
    json::object operator()(const MessageStartEvent& e) const {
      return {{"role", RoleName(e.role)}};
    }
    json::object operator()(const ContentBlockStartEvent& e) const {
      json::object start;
      if (e.tool_use) {
        start["toolUse"] = json::object{{"toolUseId", e.tool_use->id}, {"name", e.tool_use->name}};
      }
      return {{"contentBlockIndex", e.index}, {"start", std::move(start)}};
    }
    json::object operator()(const ContentBlockDeltaEvent& e) const {
      using K = ContentBlockDeltaEvent::Kind;
      json::object delta;
      switch (e.kind) {
        case K::kText:
          delta["text"] = e.text;
          break;
        case K::kToolUseInput:
          delta["toolUse"] = json::object{{"input", e.text}};
          break;
        case K::kReasoningText:
          delta["reasoningContent"] = json::object{{"text", e.text}};
          break;
        case K::kReasoningSignature:
          delta["reasoningContent"] = json::object{{"signature", e.text}};
          break;
        case K::kReasoningRedacted:
          delta["reasoningContent"] = json::object{{"redactedContent", Base64Encode(e.text)}};
          break;
      }
      return {{"contentBlockIndex", e.index}, {"delta", std::move(delta)}};
    }
    json::object operator()(const ContentBlockStopEvent& e) const {
      return {{"contentBlockIndex", e.index}};
    }
    json::object operator()(const MessageStopEvent& e) const {
      json::object out{{"stopReason", e.stop_reason_text}};
      if (!e.additional_model_response_fields.is_null()) {
        out["additionalModelResponseFields"] = e.additional_model_response_fields;
      }
      return out;
    }
    json::object operator()(const MetadataEvent& e) const {
      return {{"usage", UsageJson(e.usage)},
              {"metrics", json::object{{"latencyMs", e.metrics.latency_ms}}}};
    }
  };
  return json::serialize(std::visit(Visitor{}, event));
}

std::string EncodeStreamEventFrame(const StreamEvent& event) {
  return aws::EncodeEvent(StreamEventType(event), StreamEventPayload(event));
}

core::Result<std::optional<StreamEvent>> DecodeStreamEvent(std::string_view event_type,
                                                           std::string_view payload) {
  Reader r(core::ErrorCode::kUpstreamFailure);
  using Out = std::optional<StreamEvent>;
  if (event_type != "messageStart" && event_type != "contentBlockStart" &&
      event_type != "contentBlockDelta" && event_type != "contentBlockStop" &&
      event_type != "messageStop" && event_type != "metadata") {
    return Out();  // unknown events are skipped, as the SDKs do
  }
  std::string what = fmt::format("{} event", event_type);
  json::value root = BEDROCK_TRY(ParseJsonText(r, payload, what));
  const json::object* o = BEDROCK_TRY(r.Object(root, what));

  if (event_type == "messageStart") {
    MessageStartEvent e;
    if (const auto* role = o->if_contains("role"); role != nullptr && !role->is_null()) {
      std::string name = BEDROCK_TRY(r.String(*role, "messageStart.role"));
      if (name == "user")
        e.role = Role::kUser;
      else if (name != "assistant")
        return r.Fail("messageStart.role '{}' is not a role", name);
    }
    return Out(std::move(e));
  }
  if (event_type == "contentBlockStart") {
    ContentBlockStartEvent e;
    e.index = BEDROCK_TRY(ParseIndex(r, *o, event_type));
    const json::value* start = BEDROCK_TRY(r.Required(*o, "start", "contentBlockStart"));
    const json::object* s = BEDROCK_TRY(r.Object(*start, "contentBlockStart.start"));
    if (const auto* tool = s->if_contains("toolUse"); tool != nullptr && !tool->is_null()) {
      const json::object* t = BEDROCK_TRY(r.Object(*tool, "contentBlockStart.start.toolUse"));
      ContentBlockStartEvent::ToolUseStart use;
      use.id = BEDROCK_TRY(r.String(*BEDROCK_TRY(r.Required(*t, "toolUseId", "start.toolUse")),
                                    "start.toolUse.toolUseId"));
      use.name = BEDROCK_TRY(
          r.String(*BEDROCK_TRY(r.Required(*t, "name", "start.toolUse")), "start.toolUse.name"));
      e.tool_use = std::move(use);
    }
    return Out(std::move(e));
  }
  if (event_type == "contentBlockDelta") {
    ContentBlockDeltaEvent e;
    e.index = BEDROCK_TRY(ParseIndex(r, *o, event_type));
    const json::value* delta = BEDROCK_TRY(r.Required(*o, "delta", "contentBlockDelta"));
    auto [kind, value] = BEDROCK_TRY(UnionMember(r, *delta, "contentBlockDelta.delta"));
    using K = ContentBlockDeltaEvent::Kind;
    if (kind == "text") {
      e.kind = K::kText;
      e.text = BEDROCK_TRY(r.String(*value, "delta.text"));
    } else if (kind == "toolUse") {
      const json::object* t = BEDROCK_TRY(r.Object(*value, "delta.toolUse"));
      e.kind = K::kToolUseInput;
      e.text = BEDROCK_TRY(
          r.String(*BEDROCK_TRY(r.Required(*t, "input", "delta.toolUse")), "delta.toolUse.input"));
    } else if (kind == "reasoningContent") {
      auto [rkind, rvalue] = BEDROCK_TRY(UnionMember(r, *value, "delta.reasoningContent"));
      if (rkind == "text") {
        e.kind = K::kReasoningText;
        e.text = BEDROCK_TRY(r.String(*rvalue, "delta.reasoningContent.text"));
      } else if (rkind == "signature") {
        e.kind = K::kReasoningSignature;
        e.text = BEDROCK_TRY(r.String(*rvalue, "delta.reasoningContent.signature"));
      } else if (rkind == "redactedContent") {
        e.kind = K::kReasoningRedacted;
        e.text = BEDROCK_TRY(r.Blob(*rvalue, "delta.reasoningContent.redactedContent"));
      } else {
        return Out();
      }
    } else {
      return Out();  // citation, toolResult, image deltas: not carried
    }
    return Out(std::move(e));
  }
  if (event_type == "contentBlockStop") {
    ContentBlockStopEvent e;
    e.index = BEDROCK_TRY(ParseIndex(r, *o, event_type));
    return Out(e);
  }
  if (event_type == "messageStop") {
    MessageStopEvent e;
    const json::value* stop = BEDROCK_TRY(r.Required(*o, "stopReason", "messageStop"));
    e.stop_reason_text = BEDROCK_TRY(r.String(*stop, "messageStop.stopReason"));
    e.stop_reason = StopReasonFromName(e.stop_reason_text);
    if (const auto* v = o->if_contains("additionalModelResponseFields")) {
      e.additional_model_response_fields = *v;
    }
    return Out(std::move(e));
  }
  MetadataEvent e;
  if (const auto* v = o->if_contains("usage"); v != nullptr && !v->is_null()) {
    e.usage = BEDROCK_TRY(ParseUsage(r, *v, "metadata.usage"));
  }
  if (const auto* v = o->if_contains("metrics"); v != nullptr && !v->is_null()) {
    e.metrics = BEDROCK_TRY(ParseMetrics(r, *v, "metadata.metrics"));
  }
  return Out(std::move(e));
}

core::Result<std::optional<StreamEvent>> DecodeStreamMessage(const aws::EventMessageView& message) {
  aws::EventView event = BEDROCK_TRY(aws::InterpretMessage(message));
  return DecodeStreamEvent(event.event_type, event.payload);
}

core::Status ConverseStreamDecoder::Feed(std::string_view bytes, const Callback& on_event) {
  return decoder_.Feed(bytes, [&](const aws::EventMessageView& message) -> core::Status {
    auto event = BEDROCK_TRY(DecodeStreamMessage(message));
    if (!event) return core::OkStatus();
    return on_event(std::move(*event));
  });
}

}  // namespace bedrock::llm::bedrock_converse

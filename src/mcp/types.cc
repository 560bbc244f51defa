#include "mcp/types.h"

#include <boost/json.hpp>
#include <cmath>

#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace json = boost::json;

namespace {
json::string_view Sv(std::string_view s) { return json::string_view(s.data(), s.size()); }
std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(Sv(key));
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
}  // namespace

json::object Implementation::ToJson(std::string_view protocol_version) const {
  json::object out;
  out["name"] = name;
  out["version"] = version;
  if (Has2025_06_18Features(protocol_version) && !title.empty()) out["title"] = title;
  if (Has2025_11_25Features(protocol_version)) {
    if (!description.empty()) out["description"] = description;
    if (!website_url.empty()) out["websiteUrl"] = website_url;
    if (!icons.empty()) out["icons"] = icons;
  }
  return out;
}

Implementation Implementation::FromJson(const json::value& value) {
  Implementation out;
  const json::object* o = value.if_object();
  if (o == nullptr) return out;
  out.name = Str(*o, "name");
  out.version = Str(*o, "version");
  out.title = Str(*o, "title");
  out.description = Str(*o, "description");
  out.website_url = Str(*o, "websiteUrl");
  if (const json::value* icons = o->if_contains("icons"); icons && icons->is_array()) {
    out.icons = icons->get_array();
  }
  return out;
}

json::value JsonNumber(double value) {
  // Within ±2^53 every integer is exact in a double, so the conversion loses nothing.
  constexpr double kExact = 9007199254740992.0;
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) <= kExact) {
    return static_cast<int64_t>(value);
  }
  return value;
}

namespace content {
json::object Text(std::string_view text) {
  json::object o;
  o["type"] = "text";
  o["text"] = Sv(text);
  return o;
}
json::object Image(std::string_view data, std::string_view mime_type) {
  json::object o;
  o["type"] = "image";
  o["data"] = Sv(data);
  o["mimeType"] = Sv(mime_type);
  return o;
}
json::object Audio(std::string_view data, std::string_view mime_type) {
  json::object o;
  o["type"] = "audio";
  o["data"] = Sv(data);
  o["mimeType"] = Sv(mime_type);
  return o;
}
json::object ResourceLink(std::string_view uri, std::string_view name, std::string_view mime_type,
                          std::string_view description) {
  json::object o;
  o["type"] = "resource_link";
  o["uri"] = Sv(uri);
  o["name"] = Sv(name);
  if (!mime_type.empty()) o["mimeType"] = Sv(mime_type);
  if (!description.empty()) o["description"] = Sv(description);
  return o;
}
json::object TextResource(std::string_view uri, std::string_view mime_type, std::string_view text) {
  json::object o;
  o["uri"] = Sv(uri);
  if (!mime_type.empty()) o["mimeType"] = Sv(mime_type);
  o["text"] = Sv(text);
  return o;
}
json::object BlobResource(std::string_view uri, std::string_view mime_type, std::string_view blob) {
  json::object o;
  o["uri"] = Sv(uri);
  if (!mime_type.empty()) o["mimeType"] = Sv(mime_type);
  o["blob"] = Sv(blob);
  return o;
}
json::object Embedded(json::object resource_contents) {
  json::object o;
  o["type"] = "resource";
  o["resource"] = std::move(resource_contents);
  return o;
}
}  // namespace content

CallToolResult CallToolResult::Text(std::string_view text) {
  CallToolResult r;
  r.content.push_back(content::Text(text));
  return r;
}

CallToolResult CallToolResult::Error(std::string_view text) {
  CallToolResult r = Text(text);
  r.is_error = true;
  return r;
}

json::object CallToolResult::ToJson() && {
  json::object o;
  o["content"] = std::move(content);
  if (!structured_content.is_null()) o["structuredContent"] = std::move(structured_content);
  if (is_error) o["isError"] = true;
  if (!meta.empty()) o["_meta"] = std::move(meta);
  return o;
}

core::Result<CallToolResult> CallToolResult::FromJson(json::value value) {
  json::object* o = value.if_object();
  if (o == nullptr) return core::Error::UpstreamFailure("tools/call result is not an object");
  CallToolResult r;
  if (json::value* c = o->if_contains("content")) {
    if (!c->is_array()) return core::Error::UpstreamFailure("tools/call content is not an array");
    r.content = std::move(c->get_array());
  }
  if (json::value* s = o->if_contains("structuredContent")) r.structured_content = std::move(*s);
  if (json::value* e = o->if_contains("isError"); e && e->is_bool()) r.is_error = e->get_bool();
  if (json::value* m = o->if_contains("_meta"); m && m->is_object())
    r.meta = std::move(m->get_object());
  return r;
}

json::object PromptMessage(std::string_view role, json::object content_block) {
  json::object o;
  o["role"] = Sv(role);
  o["content"] = std::move(content_block);
  return o;
}

json::object RequestedSchemaDefaults(const json::value& elicitation_params) {
  json::object defaults;
  const json::object* params = elicitation_params.if_object();
  const json::value* schema = params ? params->if_contains("requestedSchema") : nullptr;
  const json::value* properties =
      schema && schema->is_object() ? schema->get_object().if_contains("properties") : nullptr;
  if (properties == nullptr || !properties->is_object()) return defaults;
  for (const auto& [name, property] : properties->get_object()) {
    const json::object* prop = property.if_object();
    if (const json::value* value = prop ? prop->if_contains("default") : nullptr) {
      defaults[name] = *value;
    }
  }
  return defaults;
}

void AdaptContentBlocks(json::array& blocks, std::string_view version) {
  if (Has2025_11_25Features(version)) return;
  for (json::value& block : blocks) {
    json::object* o = block.if_object();
    if (o == nullptr) continue;
    std::string type = Str(*o, "type");
    if (!Has2025_06_18Features(version)) {
      o->erase("_meta");
      if (type == "resource_link") {
        // No resource_link before 2025-06-18: tell the model where the resource is instead.
        std::string text = "Resource: " + Str(*o, "uri");
        if (std::string name = Str(*o, "name"); !name.empty()) text += " (" + name + ")";
        block = content::Text(text);
        continue;
      }
      if (json::value* annotations = o->if_contains("annotations");
          annotations && annotations->is_object()) {
        annotations->get_object().erase("lastModified");
      }
    }
    if (!Has2025_03_26Features(version) && type == "audio") {
      block =
          content::Text("[audio content (" + Str(*o, "mimeType") + ") omitted: protocol revision " +
                        std::string(version) + " has no audio content]");
    }
  }
}

void AdaptTool(json::object& tool, std::string_view version) {
  if (Has2025_11_25Features(version)) return;
  tool.erase("icons");
  tool.erase("execution");
  if (!Has2025_06_18Features(version)) {
    tool.erase("title");
    tool.erase("outputSchema");
    tool.erase("_meta");
  }
  if (!Has2025_03_26Features(version)) tool.erase("annotations");
}

void AdaptCallToolResult(json::object& result, std::string_view version) {
  if (Has2025_11_25Features(version)) return;
  json::value* content = result.if_contains("content");
  if (content && content->is_array()) AdaptContentBlocks(content->get_array(), version);
  if (!Has2025_06_18Features(version)) {
    if (json::value* structured = result.if_contains("structuredContent")) {
      // Older clients only read content: make sure the structured result reaches them as text.
      if (content == nullptr || !content->is_array()) {
        result["content"] = json::array();
        content = result.if_contains("content");
      }
      if (content->get_array().empty()) {
        content->get_array().push_back(content::Text(json::serialize(*structured)));
      }
      result.erase("structuredContent");
    }
  }
}

void AdaptListedItem(json::object& item, std::string_view version) {
  if (Has2025_11_25Features(version)) return;
  item.erase("icons");
  if (!Has2025_06_18Features(version)) {
    item.erase("title");
    item.erase("_meta");
    if (json::value* arguments = item.if_contains("arguments");
        arguments && arguments->is_array()) {
      for (json::value& argument : arguments->get_array()) {
        if (json::object* a = argument.if_object()) a->erase("title");
      }
    }
    if (json::value* annotations = item.if_contains("annotations");
        annotations && annotations->is_object()) {
      annotations->get_object().erase("lastModified");
    }
  }
}

}  // namespace bedrock::mcp

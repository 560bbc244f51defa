#include "agent/content.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

// Base64 lives with the codecs that own wire formats; the agent needs only the decoder.
#include "core/base64.h"

namespace bedrock::agent {
namespace json = boost::json;

namespace {

std::string_view StringField(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  const json::string& s = value->get_string();
  return std::string_view(s.data(), s.size());
}

// "image/PNG; charset=x" -> "image/png"
std::string NormalizeMime(std::string_view mime) {
  std::string out;
  for (char c : mime) {
    if (c == ';') break;
    if (c == ' ') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

std::string Describe(std::string_view mime) {
  return mime.empty() ? std::string("unknown type") : std::string(mime);
}

llm::TextBlock Note(std::string text) { return llm::TextBlock{std::move(text)}; }

// A blob (image or embedded resource) as the richest block Bedrock takes.
void AppendBlob(std::vector<llm::ToolResultContent>& out, std::string_view what,
                std::string_view uri, std::string_view mime, std::string_view base64) {
  std::string normalized = NormalizeMime(mime);
  std::string_view image = ImageFormatForMime(normalized);
  std::string_view document = DocumentFormatForMime(normalized);
  std::string label = uri.empty() ? std::string(what) : fmt::format("{} {}", what, uri);
  if (image.empty() && document.empty()) {
    out.push_back(Note(fmt::format("[{} ({}, {} bytes base64) omitted: the model cannot read it]",
                                   label, Describe(mime), base64.size())));
    return;
  }
  std::optional<std::string> bytes = core::Base64Decode(base64);
  if (!bytes) {
    out.push_back(Note(
        fmt::format("[{} ({}) omitted: its data is not valid base64]", label, Describe(mime))));
    return;
  }
  if (!image.empty()) {
    out.push_back(llm::ImageBlock{std::string(image), std::move(*bytes)});
  } else {
    out.push_back(llm::DocumentBlock{std::string(document), DocumentName(uri.empty() ? what : uri),
                                     std::move(*bytes)});
  }
}

void AppendContent(std::vector<llm::ToolResultContent>& out, const json::value& item) {
  const json::object* block = item.if_object();
  if (block == nullptr) {
    out.push_back(Note("[a content item that is not an object was omitted]"));
    return;
  }
  std::string_view type = StringField(*block, "type");
  if (type == "text") {
    out.push_back(llm::TextBlock{std::string(StringField(*block, "text"))});
  } else if (type == "image") {
    AppendBlob(out, "image", {}, StringField(*block, "mimeType"), StringField(*block, "data"));
  } else if (type == "audio") {
    out.push_back(Note(fmt::format(
        "[audio ({}, {} bytes base64) omitted: the model cannot hear it]",
        Describe(StringField(*block, "mimeType")), StringField(*block, "data").size())));
  } else if (type == "resource") {
    const json::value* resource = block->if_contains("resource");
    const json::object* contents = resource ? resource->if_object() : nullptr;
    if (contents == nullptr) {
      out.push_back(Note("[an embedded resource without contents was omitted]"));
      return;
    }
    std::string_view uri = StringField(*contents, "uri");
    std::string_view mime = StringField(*contents, "mimeType");
    if (contents->contains("text")) {
      std::string header = mime.empty() ? fmt::format("[resource {}]", uri)
                                        : fmt::format("[resource {} ({})]", uri, mime);
      out.push_back(llm::TextBlock{fmt::format("{}\n{}", header, StringField(*contents, "text"))});
    } else {
      AppendBlob(out, "resource", uri, mime, StringField(*contents, "blob"));
    }
  } else if (type == "resource_link") {
    std::string text = fmt::format("[resource link: {} <{}>", StringField(*block, "name"),
                                   StringField(*block, "uri"));
    if (std::string_view mime = StringField(*block, "mimeType"); !mime.empty()) {
      text += fmt::format(" ({})", mime);
    }
    if (std::string_view d = StringField(*block, "description"); !d.empty())
      text += ": " + std::string(d);
    text += "]";
    out.push_back(Note(std::move(text)));
  } else {
    out.push_back(Note(fmt::format("[content of unsupported type '{}' omitted]", type)));
  }
}

// Whether a text block already holds `structured` serialised (servers SHOULD send both).
bool TextCarries(const std::vector<llm::ToolResultContent>& blocks, const json::value& structured) {
  for (const auto& block : blocks) {
    const auto* text = std::get_if<llm::TextBlock>(&block);
    if (text == nullptr || text->text.empty() || text->text.front() != '{') continue;
    boost::system::error_code ec;
    json::value parsed = json::parse(text->text, ec);
    if (!ec && parsed == structured) return true;
  }
  return false;
}

}  // namespace

std::string_view ImageFormatForMime(std::string_view mime_type) {
  std::string mime = NormalizeMime(mime_type);
  if (mime == "image/png") return "png";
  if (mime == "image/jpeg" || mime == "image/jpg" || mime == "image/pjpeg") return "jpeg";
  if (mime == "image/gif") return "gif";
  if (mime == "image/webp") return "webp";
  return {};
}

std::string_view DocumentFormatForMime(std::string_view mime_type) {
  std::string mime = NormalizeMime(mime_type);
  if (mime == "application/pdf") return "pdf";
  if (mime == "text/csv") return "csv";
  if (mime == "application/msword") return "doc";
  if (mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") {
    return "docx";
  }
  if (mime == "application/vnd.ms-excel") return "xls";
  if (mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") return "xlsx";
  if (mime == "text/html") return "html";
  if (mime == "text/plain") return "txt";
  if (mime == "text/markdown") return "md";
  return {};
}

std::string DocumentName(std::string_view hint) {
  // The last path segment carries the meaning ("file:///tmp/report.pdf" -> "report pdf").
  if (size_t slash = hint.find_last_of('/');
      slash != std::string_view::npos && slash + 1 < hint.size()) {
    hint = hint.substr(slash + 1);
  }
  std::string name;
  for (char c : hint) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '(' || c == ')' || c == '[' || c == ']' || c == '-';
    char out = ok ? c : ' ';
    if (out == ' ' && (name.empty() || name.back() == ' ')) continue;
    name.push_back(out);
    if (name.size() == 200) break;
  }
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name.empty() ? std::string("document") : name;
}

llm::ToolResultBlock ToToolResult(std::string tool_use_id, mcp::CallToolResult result) {
  llm::ToolResultBlock block;
  block.tool_use_id = std::move(tool_use_id);
  block.status = result.is_error ? llm::ToolResultStatus::kError : llm::ToolResultStatus::kSuccess;
  for (const json::value& item : result.content) AppendContent(block.content, item);
  if (!result.structured_content.is_null() &&
      !TextCarries(block.content, result.structured_content)) {
    block.content.push_back(llm::JsonBlock{std::move(result.structured_content)});
  }
  if (block.content.empty()) block.content.push_back(Note("(the tool returned no content)"));
  return block;
}

}  // namespace bedrock::agent

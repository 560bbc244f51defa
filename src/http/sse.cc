#include "http/sse.h"

#include <fmt/format.h>

namespace bedrock::http {
namespace {

// Appends "<field>: <value>\n" for each line of value, splitting on \r\n, \r and \n.
void AppendFieldLines(std::string& out, std::string_view field, std::string_view value) {
  size_t start = 0;
  while (true) {
    size_t end = value.find_first_of("\r\n", start);
    out.append(field).append(": ").append(value.substr(start, end - start)).push_back('\n');
    if (end == std::string_view::npos) return;
    start = end + ((value[end] == '\r' && end + 1 < value.size() && value[end + 1] == '\n') ? 2 : 1);
  }
}

}  // namespace

std::string FormatSseEvent(const SseEvent& event) {
  std::string out;
  out.reserve(event.data.size() + event.event.size() + event.id.size() + 32);
  if (!event.event.empty()) AppendFieldLines(out, "event", event.event);
  if (!event.id.empty()) AppendFieldLines(out, "id", event.id);
  if (event.retry_ms) out.append(fmt::format("retry: {}\n", *event.retry_ms));
  AppendFieldLines(out, "data", event.data);
  out.push_back('\n');
  return out;
}

std::string FormatSseComment(std::string_view text) {
  std::string out;
  AppendFieldLines(out, "", text);  // ": text\n" per line
  out.push_back('\n');
  return out;
}

}  // namespace bedrock::http

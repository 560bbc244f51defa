#include "http/sse.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace bedrock::http {
namespace {

// Appends "<field>: <value>\n" for each line of value, splitting on \r\n, \r and \n.
void AppendFieldLines(std::string& out, std::string_view field, std::string_view value) {
  size_t start = 0;
  while (true) {
    size_t end = value.find_first_of("\r\n", start);
    out.append(field).append(": ").append(value.substr(start, end - start)).push_back('\n');
    if (end == std::string_view::npos) return;
    start =
        end + ((value[end] == '\r' && end + 1 < value.size() && value[end + 1] == '\n') ? 2 : 1);
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

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

SseParser::SseParser(SseParserLimits limits) : limits_(limits) {}

core::Result<std::vector<SseEvent>> SseParser::Feed(std::string_view bytes) {
  if (failure_) return *failure_;
  std::vector<SseEvent> events;

  if (at_stream_start_) {
    // The BOM may itself arrive split; hold its prefix in line_ until it is complete or refuted.
    while (!bytes.empty() && line_.size() < kBom.size() && bytes.front() == kBom[line_.size()]) {
      line_.push_back(bytes.front());
      bytes.remove_prefix(1);
    }
    if (line_.size() == kBom.size()) {
      line_.clear();
      at_stream_start_ = false;
    } else if (bytes.empty()) {
      return events;  // still undecided
    } else {
      at_stream_start_ = false;  // a BOM prefix that is really content stays in line_
    }
  }

  if (pending_cr_ && !bytes.empty()) {
    pending_cr_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }

  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t eol = bytes.find_first_of("\r\n", pos);
    size_t piece = (eol == std::string_view::npos ? bytes.size() : eol) - pos;
    if (line_.size() + piece > limits_.max_line_bytes) {
      failure_ =
          core::Error::PayloadTooLarge("SSE line longer than {} bytes", limits_.max_line_bytes);
      return *failure_;
    }
    if (eol == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      break;
    }
    std::string_view line;
    if (line_.empty()) {
      line = bytes.substr(pos, piece);  // the common case: the whole line is in this chunk
    } else {
      line_.append(bytes.substr(pos, piece));
      line = line_;
    }
    core::Status status = ProcessLine(line, events);
    line_.clear();
    if (!status.ok()) {
      failure_ = std::move(status).error();
      return *failure_;
    }
    if (bytes[eol] == '\r') {
      if (eol + 1 == bytes.size()) {
        pending_cr_ = true;
      } else if (bytes[eol + 1] == '\n') {
        ++eol;
      }
    }
    pos = eol + 1;
  }
  return events;
}

core::Status SseParser::ProcessLine(std::string_view line, std::vector<SseEvent>& events) {
  if (line.empty()) {
    DispatchEvent(events);
    return core::OkStatus();
  }
  if (line.front() == ':') return core::OkStatus();  // a comment

  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    if (data_.size() + value.size() + 1 > limits_.max_event_bytes) {
      return core::Error::PayloadTooLarge("SSE event data longer than {} bytes",
                                          limits_.max_event_bytes);
    }
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_event_id_.assign(value);
      event_id_.assign(value);
    }
  } else if (field == "retry") {
    int retry = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), retry);
    if (AllDigits(value) && ec == std::errc() && end == value.data() + value.size()) {
      retry_ms_ = retry;
      event_retry_ms_ = retry;
    }
  }
  // Any other field is ignored, as the specification requires.
  return core::OkStatus();
}

void SseParser::DispatchEvent(std::vector<SseEvent>& events) {
  if (has_data_) {
    data_.pop_back();  // the '\n' after the last data line
    events.push_back(SseEvent{.event = std::move(event_type_),
                              .data = std::move(data_),
                              .id = std::move(event_id_),
                              .retry_ms = event_retry_ms_});
  }
  event_type_.clear();
  data_.clear();
  event_id_.clear();
  event_retry_ms_.reset();
  has_data_ = false;
}

}  // namespace bedrock::http

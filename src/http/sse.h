// Server-Sent Events (text/event-stream): formatting for servers, incremental parsing for clients.
//
//   std::string wire = http::FormatSseEvent({.event = "message", .data = "{\"a\":1}", .id = "7"});
//
//   http::SseParser parser;                       // feed bytes as they arrive, in any split
//   for (const auto& event : parser.Feed(chunk)) Handle(event);
//
// Thread-safety: SseParser is not thread-safe; use one per stream.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::http {

struct SseEvent {
  std::string event;  // the "event:" field; empty means the default type "message"
  std::string data;   // every "data:" line of the event joined with '\n'
  std::string id;     // the "id:" field of this event, empty if none (see last_event_id())
  std::optional<int> retry_ms;  // a valid "retry:" field (digits only, fits an int), if any

  bool operator==(const SseEvent&) const = default;
};

// Serialises one event: "event: x\nid: 7\ndata: line1\ndata: line2\n\n". Newlines in data (\n,
// \r\n or \r) become separate data lines, so any text round-trips through SseParser.
std::string FormatSseEvent(const SseEvent& event);

// A comment line (": text\n\n"), used for heartbeats that keep proxies from closing idle streams.
std::string FormatSseComment(std::string_view text);

struct SseParserLimits {
  size_t max_line_bytes = 1 << 20;    // one line (field name + value)
  size_t max_event_bytes = 16 << 20;  // all data of one event
};

// Incremental parser following the WHATWG event-stream interpretation rules: lines end in "\r\n",
// "\r" or "\n" (a "\r\n" split across two Feed calls counts once), "data:" lines accumulate,
// comments (":") are ignored, a leading BOM is skipped, the last event id persists across events.
// Fields without a colon have an empty value; one space after the colon is dropped; ids containing
// NUL and non-numeric retry values are ignored; unknown fields are ignored. A blank line dispatches
// the event unless no "data:" line was seen; an incomplete event at the end of the stream is never
// returned (the WHATWG rule), so there is no Finish().
class SseParser {
 public:
  explicit SseParser(SseParserLimits limits = {});

  // Parses the next bytes; returns the events they complete (possibly none). After an error
  // (a line or event over its limit) the parser stays failed and every call returns that error.
  core::Result<std::vector<SseEvent>> Feed(std::string_view bytes);

  // The last "id:" seen, to send back as Last-Event-ID when reconnecting.
  const std::string& last_event_id() const { return last_event_id_; }
  // The last valid "retry:" seen, if any.
  std::optional<int> retry_ms() const { return retry_ms_; }

 private:
  core::Status ProcessLine(std::string_view line, std::vector<SseEvent>& events);
  void DispatchEvent(std::vector<SseEvent>& events);

  SseParserLimits limits_;
  std::string line_;  // the incomplete current line
  std::string event_type_;
  std::string data_;
  bool has_data_ = false;
  std::string event_id_;  // the "id:" of the event being built
  std::string last_event_id_;
  std::optional<int> retry_ms_;
  std::optional<int> event_retry_ms_;
  bool pending_cr_ = false;      // the previous chunk ended in '\r': skip a leading '\n'
  bool at_stream_start_ = true;  // to skip a UTF-8 BOM
  std::optional<core::Error> failure_;
};

}  // namespace bedrock::http

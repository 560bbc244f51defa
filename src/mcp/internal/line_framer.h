// Newline-delimited framing of a byte stream, as the stdio transport reads its peer's stdout:
// chunks go in as they arrive, whole lines come out.
//
//   internal::LineFramer framer(16 << 20);
//   framer.Feed(chunk, [&](std::string_view line) { Deliver(line); },
//               [&] { Reject("line over the limit"); });
//
// A line ends at '\n'; a '\r' before it is dropped; blank lines (spaces and tabs only) are
// skipped. A line longer than the limit is reported once through `on_oversize` (as soon as the
// buffered part passes the limit, so memory stays bounded) and the rest of it is discarded up to
// its newline. The output does not depend on how the stream was cut into chunks. Separate from the
// transport so it can be fuzzed on its own (tests/fuzz/fuzz_mcp_stdio_framing.cc).
//
// Thread-safety: none; one framer per stream.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bedrock::mcp::internal {

class LineFramer {
 public:
  explicit LineFramer(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Calls on_line(std::string_view) for each complete line in order (the view is valid during the
  // call only) and on_oversize() for each line over the limit.
  template <typename OnLine, typename OnOversize>
  void Feed(std::string_view chunk, OnLine&& on_line, OnOversize&& on_oversize) {
    if (skipping_) {
      // Discarding the rest of an oversize line: drop bytes up to its newline without buffering.
      size_t newline = chunk.find('\n');
      if (newline == std::string_view::npos) return;
      skipping_ = false;
      chunk.remove_prefix(newline + 1);
    }
    buffer_.append(chunk.data(), chunk.size());
    size_t start = 0;
    for (;;) {
      size_t newline = buffer_.find('\n', scanned_);
      if (newline == std::string::npos) break;
      std::string_view line(buffer_.data() + start, newline - start);
      scanned_ = start = newline + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > max_line_bytes_) {
        on_oversize();
        continue;
      }
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      on_line(line);
    }
    buffer_.erase(0, start);
    scanned_ = buffer_.size();
    // One byte of slack: a full-length line may still end in "\r\n". With it, how the stream is
    // split into chunks never changes what comes out.
    if (buffer_.size() > max_line_bytes_ + 1) {
      on_oversize();
      buffer_.clear();
      scanned_ = 0;
      skipping_ = true;
    }
  }

  // Bytes of an unfinished line held back.
  size_t buffered() const { return buffer_.size(); }

 private:
  size_t max_line_bytes_;
  std::string buffer_;
  size_t scanned_ = 0;     // buffer_[0, scanned_) holds no newline
  bool skipping_ = false;  // inside an oversize line, until its newline
};

}  // namespace bedrock::mcp::internal

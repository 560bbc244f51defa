// Response serialisation for the server: status line, header block, chunk framing. Written by
// hand into a reused buffer (one gather-write per response) instead of through beast::http
// messages, which would copy every header into a node-allocated field list per response.
//
// Thread-safety: free functions; HttpDate() keeps a per-thread cache.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/message.h"

namespace bedrock::http::internal {

// "OK", "Not Found", ...; "Unknown" for a status without a registered phrase.
std::string_view ReasonPhrase(int status);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted at most once
// per second per thread.
std::string_view HttpDate();

// Whether a response with this status may carry a body (not 1xx, 204, 304).
inline bool StatusAllowsBody(int status) { return status >= 200 && status != 204 && status != 304; }

enum class BodyFraming {
  kContentLength,  // Content-Length: <content_length>
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // neither: the body ends when the connection closes (HTTP/1.0 streaming)
  kNone,           // no body and no length (1xx, 204, 304)
};

// Appends "HTTP/1.x <status> <reason>\r\n", Date, the framing header, Connection, and the
// response's own fields, then the blank line. The response's own Content-Length,
// Transfer-Encoding, Connection and Date fields are dropped (the server owns the framing), as are
// fields whose name or value is not valid on the wire (CR, LF or NUL in either, or an empty name);
// returns how many were dropped.
size_t AppendResponseHead(std::string& out, int version, int status, const Headers& headers,
                          BodyFraming framing, size_t content_length, bool keep_alive);

// "<size in hex>\r\n", the prefix of one chunk of `size` bytes (the chunk ends with "\r\n").
void AppendChunkHeader(std::string& out, size_t size);

inline constexpr std::string_view kCrLf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace bedrock::http::internal

// The incremental HTTP/1.x request reader the server runs on every byte it receives (and that the
// fuzz target fuzz_http_request_parser feeds). It wraps Beast's basic_parser, filling a lean
// http::Request directly (no beast::http::fields), enforces the size limits, and names the reply a
// bad request deserves.
//
//   RequestReader reader({.max_header_bytes = 16384, .max_body_bytes = 1 << 20});
//   size_t used = reader.Feed(bytes);          // keep bytes[used..] for the next Feed
//   if (reader.error()) Reply(reader.error()->status, ...);
//   else if (reader.done()) Handle(reader.TakeRequest());
//
// Thread-safety: none; one reader per connection. Not for use outside src/http.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace bedrock::http::internal {

struct RequestLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + header fields
  size_t max_body_bytes = 10 * 1024 * 1024;
};

// A request that cannot be served, and the status to answer with: 400 (malformed), 413 (body too
// large), 431 (header too large) or 505 (HTTP version). The connection must be closed after it.
struct RequestError {
  int status;
  core::Error error;
};

class RequestReader {
 public:
  explicit RequestReader(RequestLimits limits);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Forgets the previous request: ready for the next one on the same connection.
  void Reset();

  // Parses as much of `bytes` as it can and returns how many it consumed; the caller keeps the
  // rest (the next pipelined request, or an incomplete header line) and passes it again with more.
  // Consumes nothing once done() or error().
  size_t Feed(std::string_view bytes);
  // The peer closed its side. An incomplete request becomes an error (status 400) unless nothing
  // of it had arrived.
  void FeedEof();

  bool started() const { return started_; }  // any byte of this request has been consumed
  bool header_done() const;
  bool done() const;
  const std::optional<RequestError>& error() const { return error_; }

  // Valid once header_done().
  int version() const { return version_; }  // 10 or 11
  bool keep_alive() const;
  // "Expect: 100-continue" on an HTTP/1.1 request whose body has not fully arrived.
  bool expects_continue() const;

  Request& request() { return request_; }
  Request TakeRequest() { return std::move(request_); }

 private:
  class Parser;
  void Fail(int status, core::Error error);
  void CheckHeader();

  RequestLimits limits_;
  std::unique_ptr<Parser> parser_;
  Request request_;
  int version_ = 11;
  bool started_ = false;
  bool header_checked_ = false;
  size_t header_bytes_ = 0;
  bool expect_continue_ = false;
  std::optional<RequestError> error_;
};

}  // namespace bedrock::http::internal

// Lean HTTP message types shared by the server, the client and every layer above them.
//
// These deliberately do not expose Boost.Beast: callers (gateway, MCP transports, AWS clients)
// include this header without paying for Beast's templates. The server and client convert at
// their edge.
//
//   http::Response r = http::Response::Json(200, R"({"status":"ok"})");
//   r.headers.Set("Cache-Control", "no-store");
//
// Thread-safety: plain value types, no internal synchronisation.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace bedrock::http {

struct StreamBody;  // http/handler.h: a coroutine that produces a streamed response body

// An ordered list of header fields with case-insensitive names. Repeated names are kept.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  // Appends a field, keeping any earlier field of the same name.
  void Add(std::string name, std::string value);
  // Replaces every field of this name with one field.
  void Set(std::string name, std::string value);
  void Remove(std::string_view name);

  // The first field of this name, if any.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Contains(std::string_view name) const { return Get(name).has_value(); }

  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

// ASCII case-insensitive comparison, as header names and several header values need.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form as received: "/v1/models?limit=5"
  Headers headers;
  std::string body;

  // The target's path without the query string, e.g. "/v1/models".
  std::string_view Path() const;
  // The raw (still percent-encoded) query string after '?', empty if none.
  std::string_view Query() const;
  // The first query parameter of this name, percent-decoded.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Set for a streamed body (http::StreamResponse, http::EventStreamResponse in http/handler.h):
  // the server sends the head, then runs the producer instead of sending `body`.
  std::shared_ptr<const StreamBody> stream;

  static Response Json(int status, std::string json_body);
  static Response Text(int status, std::string text_body);
  // {"error":{"code":"<code name>","message":"..."}} with the status mapped from the error code.
  static Response FromError(const core::Error& error);
};

// Percent-decodes a URL component ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace bedrock::http

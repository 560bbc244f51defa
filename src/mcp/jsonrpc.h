// JSON-RPC 2.0 messages as MCP uses them, and the parser for untrusted bytes.
//
//   mcp::ParsedPayload in = mcp::ParsePayload(line, {.max_bytes = 1 << 20}, /*allow_batch=*/false);
//   for (auto& error : in.errors) Send(error);              // -32700 / -32600 answers
//   for (auto& message : in.messages) Dispatch(std::move(message));
//
//   std::string wire =
//   mcp::Serialize(mcp::Message{mcp::Notification{"notifications/initialized"}});
//
// Messages own their JSON (boost::json values in the default storage), so moving a message or its
// params/result out of it is cheap; nothing here copies a payload that the caller moves in.
// Thread-safety: value types; the free functions are reentrant.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace bedrock::mcp {

// A request id: a string or an integer, and it stays the type the peer chose (the peer matches
// responses by exact value, so "1" and 1 are different ids).
class RequestId {
 public:
  RequestId() = default;
  explicit RequestId(int64_t value) : value_(value) {}
  explicit RequestId(std::string value) : value_(std::move(value)) {}

  // The id in a JSON value: a string or an integral number. nullopt for anything else (null,
  // fractions, booleans, objects, integers beyond int64).
  static std::optional<RequestId> FromJson(const boost::json::value& value);
  boost::json::value ToJson() const;

  bool is_string() const { return value_.index() == 1; }
  int64_t integer() const { return std::get<0>(value_); }            // precondition: !is_string()
  const std::string& string() const { return std::get<1>(value_); }  // precondition: is_string()

  // For logs and errors: 7 or "abc" (quoted, as on the wire).
  std::string ToString() const;

  bool operator==(const RequestId&) const = default;
  size_t Hash() const;

 private:
  std::variant<int64_t, std::string> value_{int64_t{0}};
};

struct RequestIdHash {
  size_t operator()(const RequestId& id) const { return id.Hash(); }
};

// A JSON-RPC error object as it travels on the wire.
struct RpcError {
  int code = 0;
  std::string message;
  boost::json::value data;  // null when absent

  // The wire form of one of our errors, its code mapped by core::JsonRpcCodeFor.
  static RpcError FromError(const core::Error& error);
  // Our form of an error a peer sent: "<peer>: <message> (JSON-RPC <code>)" with the code mapped
  // by core::ErrorCodeFromJsonRpc.
  core::Error ToError(std::string_view peer) const;
};

struct Request {
  RequestId id;
  std::string method;
  boost::json::value params;  // an object (MCP) or array (plain JSON-RPC); null when absent
};

struct Notification {
  std::string method;
  boost::json::value params;  // as for Request
};

struct Response {
  std::optional<RequestId> id;  // empty only for errors about a message whose id was unreadable
  boost::json::value result;    // meaningful when !error
  std::optional<RpcError> error;

  bool ok() const { return !error.has_value(); }
  static Response Success(RequestId id, boost::json::value result) {
    return Response{std::move(id), std::move(result), std::nullopt};
  }
  static Response Failure(std::optional<RequestId> id, RpcError error) {
    return Response{std::move(id), nullptr, std::move(error)};
  }
};

using Message = std::variant<Request, Notification, Response>;

// The method of a request or notification; empty for a response.
std::string_view MethodOf(const Message& message);

struct ParseLimits {
  size_t max_bytes = 16u << 20;  // one payload (a line, an HTTP body, an SSE event)
  size_t max_depth = 64;         // nesting of arrays and objects
};

// What one payload held.
struct ParsedPayload {
  std::vector<Message> messages;  // the valid messages, in order
  // Error responses to send back for what was rejected: -32700 for bytes that are not JSON (or
  // over a limit), -32600 for JSON that is not a JSON-RPC message. The id is kept whenever the
  // rejected message had a readable one.
  std::vector<Response> errors;
  bool batch = false;  // the payload was a JSON array
};

// Parses and classifies one payload of untrusted bytes. Never throws. A batch (a JSON array) is
// accepted only with allow_batch (revision 2025-03-26); otherwise it is rejected whole with
// -32600. A payload over limits.max_bytes is rejected with -32600 before parsing.
ParsedPayload ParsePayload(std::string_view bytes, const ParseLimits& limits, bool allow_batch);

// ParsePayload for a stream of payloads (a stdio connection's lines): one Boost.JSON parser, made
// once and reset for each payload, so its stacks stay allocated from one payload to the next.
// What Parse returns is the same as ParsePayload's and owns its JSON as ParsePayload's does.
// Thread-safety: none; one per stream.
class PayloadParser {
 public:
  explicit PayloadParser(const ParseLimits& limits);
  ~PayloadParser();
  PayloadParser(const PayloadParser&) = delete;
  PayloadParser& operator=(const PayloadParser&) = delete;

  ParsedPayload Parse(std::string_view bytes, bool allow_batch);

 private:
  struct Impl;  // keeps boost/json/parser.hpp out of this header
  std::unique_ptr<Impl> impl_;
};

// Serialises one message as compact JSON (no trailing newline), appending to `out`.
void SerializeTo(const Message& message, std::string& out);
std::string Serialize(const Message& message);
// Serialises a batch: a JSON array of the messages.
std::string SerializeBatch(const std::vector<Message>& messages);

// Appends the compact JSON text of `value` to `out` without an intermediate string.
void AppendJson(const boost::json::value& value, std::string& out);

}  // namespace bedrock::mcp

template <>
struct std::hash<bedrock::mcp::RequestId> {
  size_t operator()(const bedrock::mcp::RequestId& id) const { return id.Hash(); }
};

// Error values for every module boundary in bedrock-mcp.
//
// An Error is a code from one small taxonomy plus a human-readable message. Each edge of the system
// converts it exactly once, through the tables in error.cc: to an HTTP status (HttpStatusFor), to a
// JSON-RPC error code (JsonRpcCodeFor) and from an AWS error type (ErrorCodeFromAwsType).
//
//   core::Error e = core::Error::NotFound("no MCP server named {}", name);
//   response.status = core::HttpStatusFor(e.code());
//
// Thread-safety: Error is a value type; const methods may be called from any thread.
#pragma once

#include <fmt/format.h>

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace bedrock::core {

// The taxonomy. Codes name what went wrong from the caller's point of view, not where.
enum class ErrorCode {
  kCancelled,           // the caller (or its peer) gave up
  kUnknown,             // an error with no better code; prefer a specific one
  kInvalidArgument,     // the input is malformed or out of range: the caller must change it
  kDeadlineExceeded,    // a time limit ran out before the work finished
  kNotFound,            // the named thing does not exist (or the caller may not know it does)
  kAlreadyExists,       // creating something that is already there
  kPermissionDenied,    // authenticated, but not allowed
  kResourceExhausted,   // throttled or out of quota: retry later
  kFailedPrecondition,  // the system is not in a state that allows this
  kAborted,             // a conflict: retry the whole operation
  kOutOfRange,          // past the end of something valid
  kUnimplemented,       // the operation or method is not supported
  kInternal,            // a broken invariant: a bug
  kUnavailable,         // the service or peer cannot be reached right now: retry
  kDataLoss,            // unrecoverable corruption
  kUnauthenticated,     // missing or invalid credentials
  kPayloadTooLarge,     // a body, header or message over its limit
  kUpstreamFailure,     // a peer we called (model, MCP server, AWS) failed or answered badly
};

// The code's stable name, e.g. "invalid_argument", used in logs and JSON error bodies.
std::string_view ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: body is not JSON"
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>", to say where an error passed through.
  [[nodiscard]] Error WithContext(std::string_view context) const;

  bool operator==(const Error&) const = default;

  // Factories with fmt-style formatting, one per code that callers create often.
#define BEDROCK_ERROR_FACTORY(Name, Code)                                            \
  template <typename... Args>                                                        \
  static Error Name(fmt::format_string<Args...> format, Args&&... args) {            \
    return Error(ErrorCode::Code, fmt::format(format, std::forward<Args>(args)...)); \
  }
  BEDROCK_ERROR_FACTORY(Cancelled, kCancelled)
  BEDROCK_ERROR_FACTORY(InvalidArgument, kInvalidArgument)
  BEDROCK_ERROR_FACTORY(DeadlineExceeded, kDeadlineExceeded)
  BEDROCK_ERROR_FACTORY(NotFound, kNotFound)
  BEDROCK_ERROR_FACTORY(AlreadyExists, kAlreadyExists)
  BEDROCK_ERROR_FACTORY(PermissionDenied, kPermissionDenied)
  BEDROCK_ERROR_FACTORY(ResourceExhausted, kResourceExhausted)
  BEDROCK_ERROR_FACTORY(FailedPrecondition, kFailedPrecondition)
  BEDROCK_ERROR_FACTORY(OutOfRange, kOutOfRange)
  BEDROCK_ERROR_FACTORY(Unimplemented, kUnimplemented)
  BEDROCK_ERROR_FACTORY(Internal, kInternal)
  BEDROCK_ERROR_FACTORY(Unavailable, kUnavailable)
  BEDROCK_ERROR_FACTORY(DataLoss, kDataLoss)
  BEDROCK_ERROR_FACTORY(Unauthenticated, kUnauthenticated)
  BEDROCK_ERROR_FACTORY(PayloadTooLarge, kPayloadTooLarge)
  BEDROCK_ERROR_FACTORY(UpstreamFailure, kUpstreamFailure)
#undef BEDROCK_ERROR_FACTORY

 private:
  ErrorCode code_;
  std::string message_;
};

// Writes ToString(), for test failure messages and streams.
std::ostream& operator<<(std::ostream& out, const Error& error);

// --- The one table per edge. ---

// HTTP status a server answers with for an error of this code (400, 404, 413, 429, 502, 504...).
int HttpStatusFor(ErrorCode code);

// The code for an HTTP status received from a peer (429 -> kResourceExhausted, 503 ->
// kUnavailable).
ErrorCode ErrorCodeFromHttpStatus(int status);

// JSON-RPC 2.0 error code for an error of this code (-32602 invalid params, -32601 method not
// found, -32603 internal error, -32001 request timeout...).
int JsonRpcCodeFor(ErrorCode code);

// The code for a JSON-RPC error code received from a peer.
ErrorCode ErrorCodeFromJsonRpc(int json_rpc_code);

// The code for an AWS error type ("ThrottlingException", "ValidationException", ...). Accepts the
// forms AWS sends: a bare name, "aws.protocoltests#Name" or "Name:http://...".
ErrorCode ErrorCodeFromAwsType(std::string_view aws_error_type);

// Whether an operation that failed with this code may succeed if retried unchanged.
bool IsRetryable(ErrorCode code);

}  // namespace bedrock::core

template <>
struct fmt::formatter<bedrock::core::Error> : fmt::formatter<std::string_view> {
  auto format(const bedrock::core::Error& error, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(error.ToString(), ctx);
  }
};

#include "core/error.h"

#include <array>
#include <ostream>
#include <utility>

namespace bedrock::core {
namespace {

struct CodeRow {
  ErrorCode code;
  std::string_view name;
  int http_status;
  int json_rpc_code;
};

// The one table from the taxonomy to each edge's representation. JSON-RPC codes: -32602 invalid
// params, -32601 method not found, -32603 internal error; MCP's -32002 resource not found,
// -32001 request timeout and -32000 connection closed (as the reference SDKs use them).
constexpr std::array<CodeRow, 18> kCodeTable{{
    {ErrorCode::kCancelled, "cancelled", 499, -32800},
    {ErrorCode::kUnknown, "unknown", 500, -32603},
    {ErrorCode::kInvalidArgument, "invalid_argument", 400, -32602},
    {ErrorCode::kDeadlineExceeded, "deadline_exceeded", 504, -32001},
    {ErrorCode::kNotFound, "not_found", 404, -32002},
    {ErrorCode::kAlreadyExists, "already_exists", 409, -32602},
    {ErrorCode::kPermissionDenied, "permission_denied", 403, -32603},
    {ErrorCode::kResourceExhausted, "resource_exhausted", 429, -32603},
    {ErrorCode::kFailedPrecondition, "failed_precondition", 400, -32603},
    {ErrorCode::kAborted, "aborted", 409, -32603},
    {ErrorCode::kOutOfRange, "out_of_range", 400, -32602},
    {ErrorCode::kUnimplemented, "unimplemented", 501, -32601},
    {ErrorCode::kInternal, "internal", 500, -32603},
    {ErrorCode::kUnavailable, "unavailable", 503, -32000},
    {ErrorCode::kDataLoss, "data_loss", 500, -32603},
    {ErrorCode::kUnauthenticated, "unauthenticated", 401, -32603},
    {ErrorCode::kPayloadTooLarge, "payload_too_large", 413, -32600},
    {ErrorCode::kUpstreamFailure, "upstream_failure", 502, -32603},
}};

const CodeRow& RowFor(ErrorCode code) {
  for (const auto& row : kCodeTable) {
    if (row.code == code) return row;
  }
  return kCodeTable[1];  // kUnknown
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return RowFor(code).name; }

std::string Error::ToString() const {
  return fmt::format("{}: {}", ErrorCodeName(code_), message_);
}

Error Error::WithContext(std::string_view context) const {
  return Error(code_, fmt::format("{}: {}", context, message_));
}

std::ostream& operator<<(std::ostream& out, const Error& error) { return out << error.ToString(); }

int HttpStatusFor(ErrorCode code) { return RowFor(code).http_status; }

ErrorCode ErrorCodeFromHttpStatus(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 408:
      return ErrorCode::kDeadlineExceeded;
    case 409:
      return ErrorCode::kAborted;
    case 412:
      return ErrorCode::kFailedPrecondition;
    case 413:
      return ErrorCode::kPayloadTooLarge;
    case 424:
      return ErrorCode::kUpstreamFailure;
    case 429:
      return ErrorCode::kResourceExhausted;
    case 499:
      return ErrorCode::kCancelled;
    case 501:
      return ErrorCode::kUnimplemented;
    case 502:
      return ErrorCode::kUnavailable;
    case 503:
      return ErrorCode::kUnavailable;
    case 504:
      return ErrorCode::kDeadlineExceeded;
    default:
      break;
  }
  if (status >= 500) return ErrorCode::kUpstreamFailure;
  if (status >= 400) return ErrorCode::kInvalidArgument;
  return ErrorCode::kUnknown;
}

int JsonRpcCodeFor(ErrorCode code) { return RowFor(code).json_rpc_code; }

ErrorCode ErrorCodeFromJsonRpc(int json_rpc_code) {
  switch (json_rpc_code) {
    case -32700:  // parse error
    case -32600:  // invalid request
    case -32602:  // invalid params
      return ErrorCode::kInvalidArgument;
    case -32601:
      return ErrorCode::kUnimplemented;
    case -32603:
      return ErrorCode::kInternal;
    case -32800:
      return ErrorCode::kCancelled;
    case -32002:
      return ErrorCode::kNotFound;
    case -32001:
      return ErrorCode::kDeadlineExceeded;
    case -32000:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kUnknown;
  }
}

ErrorCode ErrorCodeFromAwsType(std::string_view type) {
  // "aws.protocoltests.restjson#FooError:http://internal.amazon.com/" -> "FooError"
  if (auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  if (auto hash = type.rfind('#'); hash != std::string_view::npos) type = type.substr(hash + 1);

  static constexpr std::pair<std::string_view, ErrorCode> kAwsTypes[] = {
      {"AccessDeniedException", ErrorCode::kPermissionDenied},
      {"ValidationException", ErrorCode::kInvalidArgument},
      {"SerializationException", ErrorCode::kInvalidArgument},
      {"ThrottlingException", ErrorCode::kResourceExhausted},
      {"TooManyRequestsException", ErrorCode::kResourceExhausted},
      {"ServiceQuotaExceededException", ErrorCode::kResourceExhausted},
      {"ProvisionedThroughputExceededException", ErrorCode::kResourceExhausted},
      {"RequestLimitExceeded", ErrorCode::kResourceExhausted},
      {"SlowDown", ErrorCode::kResourceExhausted},
      {"ResourceNotFoundException", ErrorCode::kNotFound},
      {"ConflictException", ErrorCode::kAborted},
      {"ModelNotReadyException", ErrorCode::kUnavailable},
      {"ServiceUnavailableException", ErrorCode::kUnavailable},
      {"ServiceUnavailable", ErrorCode::kUnavailable},
      {"InternalServerException", ErrorCode::kUpstreamFailure},
      {"InternalFailure", ErrorCode::kUpstreamFailure},
      {"InternalError", ErrorCode::kUpstreamFailure},
      {"ModelErrorException", ErrorCode::kUpstreamFailure},
      {"ModelStreamErrorException", ErrorCode::kUpstreamFailure},
      {"DependencyFailedException", ErrorCode::kUpstreamFailure},
      {"BadGatewayException", ErrorCode::kUpstreamFailure},
      {"ModelTimeoutException", ErrorCode::kDeadlineExceeded},
      {"RequestTimeout", ErrorCode::kDeadlineExceeded},
      {"RequestTimeoutException", ErrorCode::kDeadlineExceeded},
      {"UnrecognizedClientException", ErrorCode::kUnauthenticated},
      {"InvalidSignatureException", ErrorCode::kUnauthenticated},
      {"IncompleteSignature", ErrorCode::kUnauthenticated},
      {"IncompleteSignatureException", ErrorCode::kUnauthenticated},
      {"MissingAuthenticationToken", ErrorCode::kUnauthenticated},
      {"MissingAuthenticationTokenException", ErrorCode::kUnauthenticated},
      {"ExpiredTokenException", ErrorCode::kUnauthenticated},
      {"ExpiredToken", ErrorCode::kUnauthenticated},
      {"InvalidClientTokenId", ErrorCode::kUnauthenticated},
  };
  for (const auto& [name, code] : kAwsTypes) {
    if (name == type) return code;
  }
  return ErrorCode::kUnknown;
}

bool IsRetryable(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kResourceExhausted ||
         code == ErrorCode::kAborted;
}

}  // namespace bedrock::core

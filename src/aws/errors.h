// AWS service errors (restJson1, as Bedrock and Bedrock Agent Runtime answer) mapped once to the
// core::Error taxonomy.
//
//   if (response.status >= 300) {
//     aws::AwsError e = aws::ParseRestJson1Error(response.status, response.headers, response.body);
//     return e.ToError();   // e.g. resource_exhausted: "ThrottlingException: Too many requests"
//   }
//
// The error type is read as the Smithy restJson1 spec and the JS SDK do: the `x-amzn-ErrorType`
// header first, then the body's `code`, then `__type`; each is sanitised (text before the first
// ':', then after the last '#'). The message comes from `message` or `Message`.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace bedrock::http {
class Headers;
}

namespace bedrock::aws {

struct AwsError {
  std::string type;        // sanitised shape name, e.g. "ValidationException"; may be empty
  std::string message;     // the service's message, may be empty
  int http_status = 0;     // 0 for errors that arrived inside an event stream
  std::string request_id;  // x-amzn-RequestId, when known
  // Extra members of the error body that are scalar (e.g. originalStatusCode, resourceName),
  // as name and JSON text, in body order.
  std::vector<std::pair<std::string, std::string>> fields;

  // The core::Error for this AWS error. The code comes from core::ErrorCodeFromAwsType (also
  // trying the name without its "Exception" suffix), else from the HTTP status, else
  // kUpstreamFailure. The message keeps the AWS type: "ThrottlingException: Too many requests".
  core::Error ToError() const;
};

// "aws.protocoltests.restjson#FooError:http://internal.amazon.com/" -> "FooError".
std::string_view SanitizeAwsErrorType(std::string_view raw);

// Parses a restJson1 error response. Never fails: a body that is not JSON leaves the type to the
// header (or empty) and uses a prefix of the body as the message.
AwsError ParseRestJson1Error(int http_status, const http::Headers& headers, std::string_view body);

// Parses the JSON payload of an event-stream exception (`{"message": ..., ...}`) for the
// exception type given by `:exception-type` (lowerCamel member names are turned into shape names:
// "throttlingException" -> "ThrottlingException").
AwsError ParseEventStreamException(std::string_view exception_type, std::string_view payload);

}  // namespace bedrock::aws

// The server side of Bedrock's restJson1 errors: the responses and event-stream exception frames
// the emulator sends, with the real statuses, `x-amzn-ErrorType` values and JSON bodies
// (bedrock-protocols.md §1.1-1.3), and the mapping of injected faults to them per service.
//
//   http::Response r = emulator::ErrorResponse(
//       emulator::ServiceError::Validation("The provided model identifier is invalid."), id);
//   // 400, x-amzn-ErrorType:
//   ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/
//   // {"message":"The provided model identifier is invalid."}
//
// Thread-safety: value types and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "emulator/faults.h"
#include "http/message.h"

namespace bedrock::emulator {

// Which API answers: their error sets differ (ModelNotReadyException is 429 on Bedrock Runtime,
// 424 on Agent Runtime; OpenAI-compatible errors have OpenAI's shape).
enum class Service { kRuntime, kAgentRuntime, kOpenAi };

struct ServiceError {
  int status = 400;
  std::string type;  // shape name, e.g. "ThrottlingException"
  std::string message;
  boost::json::object extra;  // modeled extra members (originalStatusCode, resourceName, ...)
  bool front_end = false;     // an auth failure from AWS's front end (coral.service namespace)

  static ServiceError Validation(std::string message);
  static ServiceError ResourceNotFound(std::string message);
  static ServiceError AccessDenied(std::string message);
  static ServiceError FromVerifyFailure(const aws::VerifyFailure& failure);
};

// The error an injected fault produces on `service` (non-stream faults only; a stream fault on a
// non-streaming operation has no effect and is not passed here).
ServiceError ErrorForFault(const Fault& fault, Service service);

// The event-stream member name for an exception type on a stream of `service`
// ("ThrottlingException" -> "throttlingException"); when `requested` (a member name from a fault
// spec) is empty or not one the stream models, the stream's default exception:
// modelStreamErrorException (Runtime) or internalServerException (Agent Runtime).
std::string StreamExceptionMember(std::string_view requested, Service service);
// The exception frame for a mid-stream fault, with the modeled members of that exception.
std::string ExceptionFrame(std::string_view member);

// A restJson1 error response with x-amzn-RequestId; for kOpenAi the OpenAI error shape
// {"error":{"message","type","param","code"}}.
http::Response ErrorResponse(const ServiceError& error, std::string_view request_id,
                             Service service = Service::kRuntime);

}  // namespace bedrock::emulator

#include "emulator/service_errors.h"

#include <boost/json/serialize.hpp>
#include <cctype>

#include "aws/event_stream.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

constexpr std::string_view kBedrockNamespace =
    ":http://internal.amazon.com/coral/com.amazon.bedrock/";
constexpr std::string_view kFrontEndNamespace =
    ":http://internal.amazon.com/coral/com.amazon.coral.service/";

constexpr std::string_view kRuntimeStreamExceptions[] = {
    "internalServerException", "modelStreamErrorException",   "validationException",
    "throttlingException",     "serviceUnavailableException", "modelTimeoutException"};
constexpr std::string_view kAgentStreamExceptions[] = {
    "accessDeniedException",     "badGatewayException",           "conflictException",
    "dependencyFailedException", "internalServerException",       "modelNotReadyException",
    "resourceNotFoundException", "serviceQuotaExceededException", "throttlingException",
    "validationException"};

std::string OpenAiType(int status) {
  switch (status) {
    case 400:
    case 404:
      return "invalid_request_error";
    case 401:
    case 403:
      return "authentication_error";
    case 429:
      return "rate_limit_error";
    default:
      return "server_error";
  }
}

}  // namespace

ServiceError ServiceError::Validation(std::string message) {
  return {400, "ValidationException", std::move(message), {}, false};
}
ServiceError ServiceError::ResourceNotFound(std::string message) {
  return {404, "ResourceNotFoundException", std::move(message), {}, false};
}
ServiceError ServiceError::AccessDenied(std::string message) {
  return {403, "AccessDeniedException", std::move(message), {}, false};
}
ServiceError ServiceError::FromVerifyFailure(const aws::VerifyFailure& failure) {
  return {failure.http_status, failure.aws_error_type, failure.message, {}, true};
}

ServiceError ErrorForFault(const Fault& fault, Service service) {
  switch (fault.kind) {
    case FaultKind::kThrottle:
      return {429,
              "ThrottlingException",
              "Too many requests, please wait before trying again.",
              {},
              false};
    case FaultKind::kModelNotReady:
      return {service == Service::kAgentRuntime ? 424 : 429,
              "ModelNotReadyException",
              "Model is not ready to serve inference requests. The AWS SDK will automatically "
              "retry the operation up to 5 times.",
              {},
              false};
    case FaultKind::kServiceUnavailable:
      return {503,
              "ServiceUnavailableException",
              "Bedrock is unable to process your request.",
              {},
              false};
    case FaultKind::kModelTimeout:
      return {408,
              "ModelTimeoutException",
              "Model has timed out in processing the request. Try your request again.",
              {},
              false};
    case FaultKind::kModelError:
      return {424, "ModelErrorException", "The model produced an error.",
              json::object{{"originalStatusCode", 500}, {"resourceName", "emulator"}}, false};
    case FaultKind::kInternalError:
    default:
      return {500,
              "InternalServerException",
              "The system encountered an unexpected error during processing. Try your request "
              "again.",
              {},
              false};
  }
}

std::string StreamExceptionMember(std::string_view requested, Service service) {
  std::string member(requested);
  if (!member.empty()) {
    member[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(member[0])));
  }
  if (service == Service::kAgentRuntime) {
    for (auto known : kAgentStreamExceptions) {
      if (known == member) return member;
    }
    return "internalServerException";
  }
  for (auto known : kRuntimeStreamExceptions) {
    if (known == member) return member;
  }
  return "modelStreamErrorException";
}

std::string ExceptionFrame(std::string_view member) {
  json::object body;
  if (member == "modelStreamErrorException") {
    body["message"] = "The model encountered an error while streaming its response.";
    body["originalStatusCode"] = 500;
    body["originalMessage"] = "emulator: injected mid-stream failure";
  } else if (member == "throttlingException") {
    body["message"] = "Too many tokens, please wait before trying again.";
  } else if (member == "dependencyFailedException" || member == "badGatewayException") {
    body["message"] = "A dependency failed while the agent was answering.";
    body["resourceName"] = "emulator";
  } else {
    body["message"] = "The system encountered an unexpected error during processing.";
  }
  return aws::EncodeException(member, json::serialize(body));
}

http::Response ErrorResponse(const ServiceError& error, std::string_view request_id,
                             Service service) {
  if (service == Service::kOpenAi) {
    json::object inner{{"message", error.message},
                       {"type", OpenAiType(error.status)},
                       {"param", nullptr},
                       {"code", error.type}};
    http::Response r =
        http::Response::Json(error.status, json::serialize(json::object{{"error", inner}}));
    r.headers.Set("x-request-id", std::string(request_id));
    return r;
  }
  json::object body{{"message", error.message}};
  for (const auto& [key, value] : error.extra) body[key] = value;
  http::Response r = http::Response::Json(error.status, json::serialize(body));
  r.headers.Set("x-amzn-RequestId", std::string(request_id));
  r.headers.Set("x-amzn-ErrorType",
                error.type + std::string(error.front_end ? kFrontEndNamespace : kBedrockNamespace));
  return r;
}

}  // namespace bedrock::emulator

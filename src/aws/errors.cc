#include "aws/errors.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/message.h"

namespace bedrock::aws {
namespace {

// Error bodies are small; anything larger is not worth parsing as JSON.
constexpr size_t kMaxJsonBody = 1 << 20;
constexpr size_t kMaxMessageSnippet = 512;

std::string Snippet(std::string_view body) {
  while (!body.empty() && (body.front() == ' ' || body.front() == '\n' || body.front() == '\r' ||
                           body.front() == '\t')) {
    body.remove_prefix(1);
  }
  if (body.size() <= kMaxMessageSnippet) return std::string(body);
  return std::string(body.substr(0, kMaxMessageSnippet)) + "...";
}

// Fills type/message/fields from a JSON error body; false when the body is not a JSON object.
bool ParseJsonBody(std::string_view body, AwsError& error, bool take_type) {
  if (body.empty() || body.size() > kMaxJsonBody) return false;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return false;
  const auto& object = value.as_object();
  if (take_type) {
    // The JS SDK's order: header (handled by the caller), then "code", then "__type".
    for (const char* key : {"code", "__type"}) {
      if (const auto* v = object.if_contains(key); v != nullptr && v->is_string()) {
        auto sanitized = SanitizeAwsErrorType(v->as_string());
        if (!sanitized.empty()) {
          error.type = std::string(sanitized);
          break;
        }
      }
    }
  }
  bool have_message = false;
  for (const auto& [key, v] : object) {
    if ((key == "message" || key == "Message" || key == "errorMessage") && !have_message &&
        v.is_string()) {
      error.message = std::string(v.as_string());
      have_message = true;
      continue;
    }
    if (key == "__type" || key == "code" || key == "message" || key == "Message") continue;
    if (v.is_string() || v.is_number() || v.is_bool()) {
      error.fields.emplace_back(std::string(key),
                                v.is_string() ? std::string(v.as_string()) : serialize(v));
    }
  }
  return true;
}

}  // namespace

std::string_view SanitizeAwsErrorType(std::string_view raw) {
  if (auto colon = raw.find(':'); colon != std::string_view::npos) raw = raw.substr(0, colon);
  if (auto hash = raw.rfind('#'); hash != std::string_view::npos) raw = raw.substr(hash + 1);
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
  return raw;
}

core::Error AwsError::ToError() const {
  core::ErrorCode code = core::ErrorCode::kUnknown;
  if (!type.empty()) {
    code = core::ErrorCodeFromAwsType(type);
    constexpr std::string_view kSuffix = "Exception";
    std::string_view t = type;
    if (code == core::ErrorCode::kUnknown && t.size() > kSuffix.size() && t.ends_with(kSuffix)) {
      code = core::ErrorCodeFromAwsType(t.substr(0, t.size() - kSuffix.size()));
    }
  }
  if (code == core::ErrorCode::kUnknown && http_status >= 400) {
    code = core::ErrorCodeFromHttpStatus(http_status);
  }
  if (code == core::ErrorCode::kUnknown) code = core::ErrorCode::kUpstreamFailure;

  std::string text;
  if (!type.empty()) {
    text = type;
  } else if (http_status != 0) {
    text = "HTTP " + std::to_string(http_status);
  } else {
    text = "UnknownError";
  }
  if (!message.empty()) text += ": " + message;
  for (const auto& [name, value] : fields) {
    if (name == "originalStatusCode" || name == "originalMessage" || name == "resourceName" ||
        name == "reason") {
      text += " (" + name + ": " + value + ")";
    }
  }
  if (!request_id.empty()) text += " [request id " + request_id + "]";
  return core::Error(code, std::move(text));
}

AwsError ParseRestJson1Error(int http_status, const http::Headers& headers, std::string_view body) {
  AwsError error;
  error.http_status = http_status;
  if (auto id = headers.Get("x-amzn-requestid")) error.request_id = std::string(*id);
  bool have_type = false;
  if (auto header_type = headers.Get("x-amzn-errortype")) {
    auto sanitized = SanitizeAwsErrorType(*header_type);
    if (!sanitized.empty()) {
      error.type = std::string(sanitized);
      have_type = true;
    }
  }
  if (!ParseJsonBody(body, error, !have_type)) {
    error.message = Snippet(body);
  }
  return error;
}

AwsError ParseEventStreamException(std::string_view exception_type, std::string_view payload) {
  AwsError error;
  std::string type(SanitizeAwsErrorType(exception_type));
  if (!type.empty() && type[0] >= 'a' && type[0] <= 'z') type[0] = static_cast<char>(type[0] - 32);
  error.type = std::move(type);
  if (!ParseJsonBody(payload, error, false)) error.message = Snippet(payload);
  return error;
}

}  // namespace bedrock::aws

#include "aws/sts.h"

#include <fmt/format.h>

#include <vector>

#include "aws/client_config.h"
#include "aws/credential_chain.h"
#include "aws/internal/xml.h"
#include "aws/sigv4.h"
#include "http/url.h"

namespace bedrock::aws {
namespace {

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded; charset=utf-8";

std::string DefaultSessionName(const core::Clock& clock) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
  return fmt::format("bedrock-mcp-{}", millis);
}

void AddParam(std::string& body, std::string_view name, std::string_view value) {
  if (!body.empty()) body.push_back('&');
  body.append(name);
  body.push_back('=');
  body.append(FormEncode(value));
}

}  // namespace

std::string FormEncode(std::string_view value) { return UriEncode(value, /*keep_slash=*/false); }

StsEndpoint ResolveStsEndpoint(const core::Env& env, const ProfileSet* profiles,
                               std::string_view profile_name, std::string_view region) {
  StsEndpoint endpoint;
  endpoint.region = region.empty() ? "us-east-1" : std::string(region);
  if (auto url = ResolveEndpointUrl(env, profiles, profile_name, kStsServiceId)) {
    endpoint.url = *url;
  } else {
    endpoint.url = DefaultServiceEndpoint("sts", endpoint.region);
  }
  return endpoint;
}

core::Result<Credentials> ParseStsCredentialsResponse(std::string_view xml,
                                                      std::string_view action) {
  auto root = internal::ParseXml(xml);
  if (!root.ok()) {
    return core::Error::UpstreamFailure("sts {}: response is not valid XML: {}", action,
                                        root.error().message());
  }
  std::string response_name = fmt::format("{}Response", action);
  std::string result_name = fmt::format("{}Result", action);
  if (root->name != response_name) {
    return core::Error::UpstreamFailure("sts {}: expected <{}>, got <{}>", action, response_name,
                                        root->name.substr(0, 64));
  }
  const internal::XmlElement* creds = root->FindPath({result_name, "Credentials"});
  if (creds == nullptr) {
    return core::Error::UpstreamFailure("sts {}: response has no {}/Credentials", action,
                                        result_name);
  }
  Credentials out;
  out.access_key_id = std::string(creds->ChildText("AccessKeyId"));
  out.secret_access_key = std::string(creds->ChildText("SecretAccessKey"));
  out.session_token = std::string(creds->ChildText("SessionToken"));
  std::string_view expiration = creds->ChildText("Expiration");
  std::vector<std::string_view> missing;
  if (out.access_key_id.empty()) missing.push_back("AccessKeyId");
  if (out.secret_access_key.empty()) missing.push_back("SecretAccessKey");
  if (out.session_token.empty()) missing.push_back("SessionToken");
  if (expiration.empty()) missing.push_back("Expiration");
  if (!missing.empty()) {
    return core::Error::UpstreamFailure("sts {}: credentials lack {}", action,
                                        fmt::join(missing, ", "));
  }
  out.expiration = ParseRfc3339(expiration);
  if (!out.expiration) {
    return core::Error::UpstreamFailure("sts {}: Expiration '{}' is not an RFC 3339 time", action,
                                        expiration.substr(0, 64));
  }
  return out;
}

AwsError ParseStsErrorResponse(int http_status, std::string_view xml) {
  AwsError error;
  error.http_status = http_status;
  auto root = internal::ParseXml(xml);
  const internal::XmlElement* e = nullptr;
  if (root.ok() && root->name == "ErrorResponse") e = root->Child("Error");
  if (e == nullptr) {
    error.message = std::string(xml.substr(0, 256));
    return error;
  }
  error.type = std::string(SanitizeAwsErrorType(e->ChildText("Code")));
  error.message = std::string(e->ChildText("Message"));
  error.request_id = std::string(root->ChildText("RequestId"));
  return error;
}

StsClient::StsClient(http::Client client, StsEndpoint endpoint, const core::Clock& clock,
                     std::shared_ptr<RetryStrategy> retry, RetrySleeper sleeper,
                     std::chrono::milliseconds timeout)
    : client_(std::move(client)),
      endpoint_(std::move(endpoint)),
      clock_(clock),
      retry_(retry ? std::move(retry) : std::make_shared<RetryStrategy>()),
      sleeper_(std::move(sleeper)),
      timeout_(timeout) {}

boost::asio::awaitable<core::Result<Credentials>> StsClient::AssumeRole(Credentials source,
                                                                        AssumeRoleParams params) {
  std::string body;
  AddParam(body, "Action", "AssumeRole");
  AddParam(body, "Version", "2011-06-15");
  AddParam(body, "RoleArn", params.role_arn);
  AddParam(
      body, "RoleSessionName",
      params.role_session_name.empty() ? DefaultSessionName(clock_) : params.role_session_name);
  if (!params.external_id.empty()) AddParam(body, "ExternalId", params.external_id);
  if (params.duration_seconds) {
    AddParam(body, "DurationSeconds", std::to_string(*params.duration_seconds));
  }
  if (!params.serial_number.empty()) {
    AddParam(body, "SerialNumber", params.serial_number);
    AddParam(body, "TokenCode", params.token_code);
  }
  std::optional<Credentials> signer(std::move(source));
  co_return co_await Call("AssumeRole", std::move(body), std::move(signer));
}

boost::asio::awaitable<core::Result<Credentials>> StsClient::AssumeRoleWithWebIdentity(
    WebIdentityParams params) {
  std::string body;
  AddParam(body, "Action", "AssumeRoleWithWebIdentity");
  AddParam(body, "Version", "2011-06-15");
  AddParam(body, "RoleArn", params.role_arn);
  AddParam(
      body, "RoleSessionName",
      params.role_session_name.empty() ? DefaultSessionName(clock_) : params.role_session_name);
  AddParam(body, "WebIdentityToken", params.web_identity_token);
  if (params.duration_seconds) {
    AddParam(body, "DurationSeconds", std::to_string(*params.duration_seconds));
  }
  co_return co_await Call("AssumeRoleWithWebIdentity", std::move(body), std::nullopt);
}

boost::asio::awaitable<core::Result<Credentials>> StsClient::Call(
    std::string action, std::string body, std::optional<Credentials> signer) {
  auto url = http::ParseHttpUrl(endpoint_.url);
  if (!url.ok()) {
    co_return core::Error::InvalidArgument("sts endpoint '{}': {}", endpoint_.url,
                                           url.error().message());
  }
  // The endpoint may carry a path (a proxy prefix); the query protocol posts to it.
  std::string post_url = url->Origin() + url->target;
  std::string host = url->HostHeader();
  std::string path = url->target.substr(0, url->target.find('?'));
  bool web_identity = !signer.has_value();

  auto attempt = [&](int) -> boost::asio::awaitable<Attempt<Credentials>> {
    http::ClientRequest request;
    request.method = "POST";
    request.url = post_url;
    request.timeout = timeout_;
    request.idempotent = true;  // STS credential calls have no side effects worth guarding
    request.headers.Set("Content-Type", std::string(kFormContentType));
    request.headers.Set("Accept", "text/xml");
    request.body = body;
    if (signer) {
      HeaderView headers[] = {{"host", host}, {"content-type", kFormContentType}};
      SignableRequest signable{.method = "POST",
                               .path = path,
                               .query = {},
                               .headers = headers,
                               .body = body,
                               .payload_hash = {}};
      SigningConfig config{.region = endpoint_.region, .service = "sts", .time = clock_.Now()};
      SignRequest(signable, *signer, config).ApplyTo(request.headers);
    }
    auto response = co_await client_.Send(std::move(request));
    if (!response.ok()) {
      core::Error e = response.error().WithContext(fmt::format("sts {}", action));
      co_return Attempt<Credentials>(e, ClassifyError(response.error()));
    }
    if (response->status != 200) {
      AwsError aws_error = ParseStsErrorResponse(response->status, response->body);
      RetryErrorKind kind = ClassifyAwsError(aws_error);
      if (web_identity &&
          (aws_error.type == "IDPCommunicationError" || aws_error.type == "InvalidIdentityToken")) {
        kind = RetryErrorKind::kTransient;
      }
      core::Error e = aws_error.ToError().WithContext(fmt::format("sts {}", action));
      co_return Attempt<Credentials>(e, kind);
    }
    auto creds = ParseStsCredentialsResponse(response->body, action);
    if (!creds.ok()) co_return Attempt<Credentials>(creds.error(), RetryErrorKind::kNone);
    co_return Attempt<Credentials>(std::move(*creds));
  };
  co_return co_await RetryingCall<Credentials>(*retry_, attempt, sleeper_);
}

}  // namespace bedrock::aws

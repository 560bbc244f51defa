// The two AWS STS calls the credential chain needs, over http::Client, with no AWS SDK:
// AssumeRole (SigV4-signed with the source credentials, service "sts") and
// AssumeRoleWithWebIdentity (unsigned). Both are query-protocol POSTs
// (application/x-www-form-urlencoded, Version=2011-06-15) answered in XML.
//
//   aws::StsEndpoint endpoint = aws::ResolveStsEndpoint(env, &profiles, "default", "eu-west-1");
//   aws::StsClient sts(http_client, endpoint, core::SystemClock::Instance());
//   aws::AssumeRoleParams params;
//   params.role_arn = "arn:aws:iam::123456789012:role/demo";
//   auto creds = co_await sts.AssumeRole(source_credentials, std::move(params));
//
// Errors: STS <ErrorResponse>s keep their code in the message ("sts AssumeRole: AccessDenied:
// User ... is not authorized") with the code mapped through core::ErrorCodeFromAwsType (else the
// HTTP status). Throttling and transient failures are retried (aws/retry.h); for web identity
// also IDPCommunicationError and InvalidIdentityToken, as the SDKs do.
//
// Thread-safety: StsClient may be used by concurrent coroutines; the parsers are pure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "aws/retry.h"
#include "aws/shared_config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"
#include "http/client.h"

namespace bedrock::aws {

struct StsEndpoint {
  std::string url;     // "https://sts.eu-west-1.amazonaws.com"
  std::string region;  // the SigV4 scope region
};

// The regional endpoint for `region` (us-east-1 when empty), unless an endpoint URL is configured
// for service "sts" (AWS_ENDPOINT_URL_STS, the profile's services section, AWS_ENDPOINT_URL...;
// see ResolveEndpointUrl in aws/client_config.h).
StsEndpoint ResolveStsEndpoint(const core::Env& env, const ProfileSet* profiles,
                               std::string_view profile_name, std::string_view region);

struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;  // empty: "bedrock-mcp-<unix millis>"
  std::string external_id;
  std::optional<int> duration_seconds;
  // MFA: the device's serial number (or ARN) and the current code from it; both or neither.
  std::string serial_number;
  std::string token_code;
};

struct WebIdentityParams {
  std::string role_arn;
  std::string role_session_name;  // empty: "bedrock-mcp-<unix millis>"
  std::string web_identity_token;
  std::optional<int> duration_seconds;
};

class StsClient {
 public:
  // `clock` signs requests and names sessions; it must outlive the client. `retry` is shared
  // with other clients when given (null: a private standard-mode strategy).
  StsClient(http::Client client, StsEndpoint endpoint, const core::Clock& clock,
            std::shared_ptr<RetryStrategy> retry = nullptr, RetrySleeper sleeper = nullptr,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));

  boost::asio::awaitable<core::Result<Credentials>> AssumeRole(Credentials source,
                                                               AssumeRoleParams params);
  boost::asio::awaitable<core::Result<Credentials>> AssumeRoleWithWebIdentity(
      WebIdentityParams params);

  const StsEndpoint& endpoint() const { return endpoint_; }

 private:
  boost::asio::awaitable<core::Result<Credentials>> Call(std::string action, std::string body,
                                                         std::optional<Credentials> signer);

  http::Client client_;
  StsEndpoint endpoint_;
  const core::Clock& clock_;
  std::shared_ptr<RetryStrategy> retry_;
  RetrySleeper sleeper_;
  std::chrono::milliseconds timeout_;
};

// Parses the XML answer of `action` ("AssumeRole", "AssumeRoleWithWebIdentity"):
// <{action}Response><{action}Result><Credentials><AccessKeyId/><SecretAccessKey/><SessionToken/>
// <Expiration/></Credentials>...; kUpstreamFailure when malformed or incomplete.
core::Result<Credentials> ParseStsCredentialsResponse(std::string_view xml,
                                                      std::string_view action);

// Parses an STS error answer: <ErrorResponse><Error><Type/><Code/><Message/></Error>
// <RequestId/></ErrorResponse>. Never fails: a body that is not such XML leaves the type empty
// and uses a prefix of the body as the message.
AwsError ParseStsErrorResponse(int http_status, std::string_view xml);

// application/x-www-form-urlencoded encoding of a value (RFC 3986 unreserved kept, space %20).
std::string FormEncode(std::string_view value);

}  // namespace bedrock::aws

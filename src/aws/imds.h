// EC2 instance metadata (IMDSv2): the instance role's credentials and the instance's region.
//
//   aws::ImdsClient imds(http_client, aws::ImdsOptionsFromEnv(env));
//   if (imds.options().disabled) ...;                  // AWS_EC2_METADATA_DISABLED=true
//   auto creds = co_await imds.GetCredentials();        // PUT token, GET role, GET credentials
//   auto region = co_await imds.GetRegion();
//
// Protocol: PUT /latest/api/token with `X-aws-ec2-metadata-token-ttl-seconds: 21600` returns a
// session token sent as `X-aws-ec2-metadata-token` on every GET. When the PUT is answered 403,
// 404 or 405 (IMDSv2 unavailable) the GETs go without a token (IMDSv1), unless
// AWS_EC2_METADATA_V1_DISABLED=true. Credentials: GET
// /latest/meta-data/iam/security-credentials/ (the role name, first line), then
// /latest/meta-data/iam/security-credentials/<role> (JSON: Code, AccessKeyId, SecretAccessKey,
// Token, Expiration). Each request has a short timeout (1 s) and is retried once on a transport
// failure or 5xx. The token is cached until shortly before its TTL ends.
//
// Thread-safety: ImdsClient may be shared by concurrent coroutines (the token cache is locked).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"
#include "http/client.h"

namespace bedrock::aws {

struct ImdsOptions {
  bool disabled = false;     // AWS_EC2_METADATA_DISABLED=true
  bool v1_disabled = false;  // AWS_EC2_METADATA_V1_DISABLED=true
  // AWS_EC2_METADATA_SERVICE_ENDPOINT, else by AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
  // (IPv4: http://169.254.169.254, IPv6: http://[fd00:ec2::254]).
  std::string endpoint = "http://169.254.169.254";
  std::chrono::milliseconds timeout{1000};
  int max_attempts = 2;  // one retry
  std::chrono::seconds token_ttl{21600};
};

ImdsOptions ImdsOptionsFromEnv(const core::Env& env);

class ImdsClient {
 public:
  // `clock` judges the token's age; it must outlive the client.
  ImdsClient(http::Client client, ImdsOptions options,
             const core::Clock& clock = core::SystemClock::Instance());

  const ImdsOptions& options() const { return options_; }

  // kFailedPrecondition when disabled; kUnavailable / kDeadlineExceeded when the service cannot
  // be reached; kNotFound when the instance has no role; kUpstreamFailure for a bad answer.
  boost::asio::awaitable<core::Result<Credentials>> GetCredentials();

  // The instance's region (/latest/meta-data/placement/region).
  boost::asio::awaitable<core::Result<std::string>> GetRegion();

  // A metadata path's body (e.g. "/latest/meta-data/instance-id").
  boost::asio::awaitable<core::Result<std::string>> Get(std::string path);

 private:
  boost::asio::awaitable<core::Result<std::optional<std::string>>> Token();
  boost::asio::awaitable<core::Result<http::Response>> Request(std::string method, std::string path,
                                                               http::Headers headers);

  http::Client client_;
  ImdsOptions options_;
  const core::Clock& clock_;
  std::mutex mutex_;
  std::optional<std::string> token_;         // guarded by mutex_; "" means IMDSv1
  core::Clock::SteadyTime token_expires_{};  // guarded by mutex_
};

// Parses the JSON credentials document of IMDS and of ECS container endpoints: {"AccessKeyId",
// "SecretAccessKey", "Token", "Expiration"} (and IMDS's "Code": must be "Success" when present).
// `who` names the source in errors ("ec2 instance metadata"). kUpstreamFailure when malformed.
core::Result<Credentials> ParseMetadataCredentials(std::string_view json, std::string_view who);

}  // namespace bedrock::aws

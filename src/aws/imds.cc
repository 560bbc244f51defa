#include "aws/imds.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "aws/credential_chain.h"
#include "aws/retry.h"

namespace bedrock::aws {
namespace {

bool IsTrue(const std::optional<std::string>& v) {
  return v && (*v == "true" || *v == "TRUE" || *v == "True");
}

std::string_view FirstLine(std::string_view text) {
  size_t end = text.find_first_of("\r\n");
  std::string_view line = text.substr(0, end);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line;
}

}  // namespace

ImdsOptions ImdsOptionsFromEnv(const core::Env& env) {
  ImdsOptions options;
  options.disabled = IsTrue(env.Get("AWS_EC2_METADATA_DISABLED"));
  options.v1_disabled = IsTrue(env.Get("AWS_EC2_METADATA_V1_DISABLED"));
  if (auto endpoint = env.Get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
      endpoint && !endpoint->empty()) {
    options.endpoint = *endpoint;
  } else if (auto mode = env.Get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
             mode && (*mode == "IPv6" || *mode == "ipv6")) {
    options.endpoint = "http://[fd00:ec2::254]";
  }
  while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
  return options;
}

core::Result<Credentials> ParseMetadataCredentials(std::string_view json, std::string_view who) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) {
    return core::Error::UpstreamFailure("{}: credentials response is not a JSON object", who);
  }
  const auto& o = value.as_object();
  auto text = [&](const char* key) -> std::string {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  if (const auto* code = o.if_contains("Code");
      code && !(code->is_string() && code->as_string() == "Success")) {
    std::string message = text("Message");
    return core::Error::UpstreamFailure(
        "{}: credentials response has Code {}{}{}", who,
        code->is_string() ? std::string(code->as_string()) : std::string("(not a string)"),
        message.empty() ? "" : ": ", message.substr(0, 200));
  }
  Credentials creds;
  creds.access_key_id = text("AccessKeyId");
  creds.secret_access_key = text("SecretAccessKey");
  creds.session_token = text("Token");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return core::Error::UpstreamFailure(
        "{}: credentials response lacks AccessKeyId or "
        "SecretAccessKey",
        who);
  }
  std::string expiration = text("Expiration");
  if (!expiration.empty()) {
    creds.expiration = ParseRfc3339(expiration);
    if (!creds.expiration) {
      return core::Error::UpstreamFailure("{}: Expiration '{}' is not an RFC 3339 time", who,
                                          expiration.substr(0, 64));
    }
  }
  return creds;
}

ImdsClient::ImdsClient(http::Client client, ImdsOptions options, const core::Clock& clock)
    : client_(std::move(client)), options_(std::move(options)), clock_(clock) {}

boost::asio::awaitable<core::Result<http::Response>> ImdsClient::Request(std::string method,
                                                                         std::string path,
                                                                         http::Headers headers) {
  core::Result<http::Response> last = core::Error::Internal("no attempt made");
  for (int attempt = 1; attempt <= std::max(1, options_.max_attempts); ++attempt) {
    http::ClientRequest request;
    request.method = method;
    request.url = options_.endpoint + path;
    request.headers = headers;
    request.timeout = options_.timeout;
    request.idempotent = true;
    last = co_await client_.Send(std::move(request));
    if (last.ok()) {
      if (ClassifyHttpStatus(last->status) != RetryErrorKind::kTransient) co_return last;
    } else if (ClassifyError(last.error()) == RetryErrorKind::kNone) {
      break;
    }
  }
  if (!last.ok()) co_return last.error().WithContext("ec2 instance metadata");
  co_return last;
}

boost::asio::awaitable<core::Result<std::optional<std::string>>> ImdsClient::Token() {
  {
    std::lock_guard lock(mutex_);
    if (token_ && clock_.SteadyNow() < token_expires_) co_return token_;
  }
  http::Headers headers;
  headers.Set("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count()));
  auto response = co_await Request("PUT", "/latest/api/token", std::move(headers));
  if (!response.ok()) co_return response.error();
  std::optional<std::string> token;
  if (response->status == 200 && !response->body.empty()) {
    token = response->body;
  } else if (response->status == 403 || response->status == 404 || response->status == 405) {
    if (options_.v1_disabled) {
      co_return core::Error::Unavailable(
          "ec2 instance metadata: token request answered {} and IMDSv1 is disabled "
          "(AWS_EC2_METADATA_V1_DISABLED)",
          response->status);
    }
    token = std::string();  // fall back to IMDSv1
  } else {
    co_return core::Error::UpstreamFailure("ec2 instance metadata: token request answered {}",
                                           response->status);
  }
  std::lock_guard lock(mutex_);
  token_ = token;
  // Renew a minute before the TTL ends.
  token_expires_ = clock_.SteadyNow() + options_.token_ttl - std::chrono::seconds(60);
  co_return token;
}

boost::asio::awaitable<core::Result<std::string>> ImdsClient::Get(std::string path) {
  if (options_.disabled) {
    co_return core::Error::FailedPrecondition(
        "ec2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)");
  }
  BEDROCK_CO_TRY_ASSIGN(auto token, co_await Token());
  http::Headers headers;
  if (token && !token->empty()) headers.Set("X-aws-ec2-metadata-token", *token);
  BEDROCK_CO_TRY_ASSIGN(auto response, co_await Request("GET", path, std::move(headers)));
  if (response.status == 401) {
    // The token expired early (the instance was stopped, say): forget it for next time.
    std::lock_guard lock(mutex_);
    token_.reset();
  }
  if (response.status == 404) {
    co_return core::Error::NotFound("ec2 instance metadata: {} not found", path);
  }
  if (response.status != 200) {
    co_return core::Error::UpstreamFailure("ec2 instance metadata: GET {} answered {}", path,
                                           response.status);
  }
  co_return std::move(response.body);
}

boost::asio::awaitable<core::Result<Credentials>> ImdsClient::GetCredentials() {
  auto roles = co_await Get("/latest/meta-data/iam/security-credentials/");
  if (!roles.ok()) {
    if (roles.error().code() == core::ErrorCode::kNotFound) {
      co_return core::Error::NotFound("ec2 instance metadata: the instance has no IAM role");
    }
    co_return roles.error();
  }
  std::string role(FirstLine(*roles));
  if (role.empty() || role.find('/') != std::string::npos) {
    co_return core::Error::UpstreamFailure("ec2 instance metadata: no usable role name");
  }
  BEDROCK_CO_TRY_ASSIGN(auto body,
                        co_await Get("/latest/meta-data/iam/security-credentials/" + role));
  co_return ParseMetadataCredentials(body, "ec2 instance metadata");
}

boost::asio::awaitable<core::Result<std::string>> ImdsClient::GetRegion() {
  BEDROCK_CO_TRY_ASSIGN(auto body, co_await Get("/latest/meta-data/placement/region"));
  std::string region(FirstLine(body));
  if (region.empty()) co_return core::Error::UpstreamFailure("ec2 instance metadata: empty region");
  co_return region;
}

}  // namespace bedrock::aws

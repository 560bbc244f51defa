#include "emulator/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "aws/credential_chain.h"
#include "aws/verify_http.h"

namespace bedrock::emulator {
namespace {

bool SameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string_view> BearerToken(const http::Request& request) {
  auto auth = request.headers.Get("authorization");
  if (!auth || auth->size() < 7 || !http::EqualsIgnoreCase(auth->substr(0, 7), "bearer ")) {
    return std::nullopt;
  }
  std::string_view token = auth->substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

std::string KeyHint(std::string_view id) {
  return std::string(id.substr(0, std::min<size_t>(4, id.size()))) + "...";
}

}  // namespace

core::Result<AuthConfig> AuthConfigFromEnv(const core::Env& env) {
  AuthConfig config;
  auto creds = aws::CredentialsFromEnvironment(env);
  if (!creds.ok()) return creds.error();
  if (creds->has_value()) config.credentials.push_back(**creds);
  if (auto token = aws::BedrockBearerToken(env)) config.api_keys.push_back(*token);
  return config;
}

Authenticator::Authenticator(AuthConfig config, const core::Clock& clock)
    : config_(std::move(config)),
      mode_(config_.mode),
      clock_(clock),
      verifier_([this](std::string_view id) { return Lookup(id); }) {
  if (mode_ == AuthMode::kAuto) {
    mode_ = config_.credentials.empty() && config_.api_keys.empty() ? AuthMode::kAnySignature
                                                                    : AuthMode::kVerify;
  }
}

std::string Authenticator::Describe() const {
  switch (mode_) {
    case AuthMode::kOff:
      return "off: every request is accepted without checking its signature or key";
    case AuthMode::kAnySignature:
      return "no credentials configured (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
             "AWS_BEARER_TOKEN_BEDROCK, or --config auth): accepting any well-formed SigV4 "
             "signature and any Bedrock API key";
    default: {
      std::vector<std::string> ids;
      for (const auto& c : config_.credentials) ids.push_back(KeyHint(c.access_key_id));
      return fmt::format(
          "verifying SigV4 signatures against {} access key(s) [{}] and {} "
          "Bedrock API key(s){}",
          config_.credentials.size(), fmt::join(ids, ", "), config_.api_keys.size(),
          config_.region.empty() ? "" : ", region " + config_.region);
    }
  }
}

std::optional<aws::VerifierKey> Authenticator::Lookup(std::string_view access_key_id) {
  reached_lookup_ = true;
  for (const auto& c : config_.credentials) {
    if (c.access_key_id == access_key_id) {
      return aws::VerifierKey{c.secret_access_key, c.session_token};
    }
  }
  return std::nullopt;
}

std::optional<aws::VerifyFailure> Authenticator::CheckAws(const http::Request& request,
                                                          bool bearer_allowed) {
  if (mode_ == AuthMode::kOff) return std::nullopt;
  if (auto token = BearerToken(request); token && bearer_allowed) {
    if (mode_ == AuthMode::kAnySignature && !token->empty()) return std::nullopt;
    for (const auto& key : config_.api_keys) {
      if (SameSecret(key, *token)) return std::nullopt;
    }
    return aws::VerifyFailure{"UnrecognizedClientException", 403,
                              "The security token included in the request is invalid."};
  }
  aws::VerifyOptions options{.service = "bedrock", .region = config_.region, .now = clock_.Now()};
  std::lock_guard lock(mutex_);
  reached_lookup_ = false;
  auto failure = aws::VerifyHttpRequest(verifier_, request, options);
  // Without keys to check against, a request that was well-formed up to the key lookup passes.
  if (failure && mode_ == AuthMode::kAnySignature && reached_lookup_ &&
      failure->aws_error_type == "UnrecognizedClientException") {
    return std::nullopt;
  }
  return failure;
}

bool Authenticator::CheckOpenAi(const http::Request& request) const {
  if (mode_ == AuthMode::kOff) return true;
  if (config_.api_keys.empty()) return true;
  auto token = BearerToken(request);
  if (!token) return false;
  for (const auto& key : config_.api_keys) {
    if (SameSecret(key, *token)) return true;
  }
  return false;
}

}  // namespace bedrock::emulator

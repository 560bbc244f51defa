// AWS credentials as coroutine providers: each source of the SDKs' default chain, a cache that
// refreshes before expiry with one fetch shared by every waiting caller, and the default chain.
//
//   core::SystemEnv env;
//   auto http_client = BEDROCK_TRY(http::Client::Create(io.get_executor()));
//   aws::ProviderContext context(http_client, env, core::SystemClock::Instance());
//   auto provider = aws::DefaultCredentialsProvider::Create(io.get_executor(), context);
//   if (auto key = provider->bedrock_bearer_token()) ...;  // AWS_BEARER_TOKEN_BEDROCK: no SigV4
//   bedrock_options.credentials = provider->AsFunction();  // awaitable<Result<Credentials>>()
//
// The chain, in the AWS SDKs' order; the first source that is configured decides:
//   1. environment   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]
//   2. web identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME] -> STS
//   3. profile       AWS_PROFILE (else "default") of ~/.aws/config and ~/.aws/credentials:
//                    static keys, source_profile / credential_source + role_arn (STS AssumeRole,
//                    chained), web_identity_token_file, credential_process, SSO (token cache of
//                    `aws sso login`, refreshed through SSO OIDC, then the portal's
//                    GetRoleCredentials)
//   4. container     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2) or
//                    AWS_CONTAINER_CREDENTIALS_FULL_URI, with
//                    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN
//   5. instance      EC2 IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true)
// A source that is not configured is skipped; one that is configured but fails ends the chain
// with its error (naming the source), as in the SDKs; when none is configured the error is
// "no AWS credentials found; tried: environment (...), web identity (...), ...".
//
// Caching: credentials are reused until 5 minutes before they expire (RefreshPolicy); then the
// next caller starts one refresh, which every concurrent caller awaits (no background task). When
// a refresh fails while the old credentials are still valid, those are returned.
//
// Thread-safety: providers may be shared by concurrent coroutines on any thread. The Env and
// Clock given in a ProviderContext must outlive every provider made with it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credential_chain.h"
#include "aws/credentials.h"
#include "aws/retry.h"
#include "aws/shared_config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"
#include "http/client.h"

namespace bedrock::aws {

// The shape the Bedrock client takes (llm::CredentialsProvider is the same type).
using CredentialsFunction = std::function<boost::asio::awaitable<core::Result<Credentials>>()>;

// Supplies the current code of the MFA device `serial` (a profile's mfa_serial) for an
// AssumeRole, e.g. by asking the user. An error stops the chain with it.
using MfaCodeProvider =
    std::function<boost::asio::awaitable<core::Result<std::string>>(std::string serial)>;

// What the network sources share. Copyable; Env and Clock are borrowed (must outlive it).
struct ProviderContext {
  ProviderContext(http::Client client, const core::Env& env, const core::Clock& clock)
      : http(std::move(client)), env(&env), clock(&clock) {}

  http::Client http;
  const core::Env* env;
  const core::Clock* clock;
  // Shared by STS and SSO calls; null: a private standard-mode strategy per call.
  std::shared_ptr<RetryStrategy> retry;
  RetrySleeper sleeper;  // null: a real timer
  // Asked for a code when a profile's role has mfa_serial. Null (a server, a non-interactive
  // process): such profiles fail with an error that says so.
  MfaCodeProvider mfa_code;

  std::chrono::milliseconds sts_timeout{10'000};
  std::chrono::milliseconds sso_timeout{10'000};
  std::chrono::milliseconds container_timeout{2'000};
  std::chrono::milliseconds process_timeout{60'000};
  size_t max_process_output = 1 << 20;
  // Overrides for tests; empty: from the environment.
  std::string profile;        // AWS_PROFILE / AWS_DEFAULT_PROFILE / "default"
  std::string sso_cache_dir;  // ~/.aws/sso/cache
  // The container endpoint for a RELATIVE_URI (tests point it at loopback).
  std::string container_relative_base = "http://169.254.170.2";
};

// The outcome of one source of the chain.
class SourceResult {
 public:
  static SourceResult Found(Credentials credentials) {
    return SourceResult(std::move(credentials), {}, std::nullopt);
  }
  // Not configured: the chain moves on. `why` is shown in the "tried:" list.
  static SourceResult Skipped(std::string why) {
    return SourceResult(std::nullopt, std::move(why), std::nullopt);
  }
  // Configured but failed: the chain stops with this error.
  static SourceResult Failed(core::Error error) {
    return SourceResult(std::nullopt, {}, std::move(error));
  }

  bool found() const { return credentials_.has_value(); }
  bool skipped() const { return !credentials_ && !error_; }
  const std::optional<Credentials>& credentials() const { return credentials_; }
  const std::string& why_skipped() const { return why_; }
  const std::optional<core::Error>& error() const { return error_; }

 private:
  SourceResult(std::optional<Credentials> c, std::string why, std::optional<core::Error> e)
      : credentials_(std::move(c)), why_(std::move(why)), error_(std::move(e)) {}
  std::optional<Credentials> credentials_;
  std::string why_;
  std::optional<core::Error> error_;
};

// --- The sources, usable one by one. Each takes its context by value (coroutine-safe). ---

boost::asio::awaitable<SourceResult> FromEnvironment(ProviderContext context);
boost::asio::awaitable<SourceResult> FromWebIdentity(ProviderContext context);
// The profile named by context.profile or the environment, from the files the environment names.
boost::asio::awaitable<SourceResult> FromProfile(ProviderContext context);
boost::asio::awaitable<SourceResult> FromContainer(ProviderContext context);
boost::asio::awaitable<SourceResult> FromInstanceMetadata(ProviderContext context);

// Executes a profile plan (credential_chain.h): its base, then each AssumeRole step. `profiles`
// and `region` are those of the profile being resolved (for STS endpoints).
boost::asio::awaitable<core::Result<Credentials>> ExecuteProfilePlan(ProviderContext context,
                                                                     ProfileCredentialPlan plan,
                                                                     ProfileSet profiles,
                                                                     std::string profile_name);

// Runs a credential_process command and parses its output. Errors include the exit status and a
// prefix of its standard error.
boost::asio::awaitable<core::Result<Credentials>> RunCredentialProcess(
    std::string command, std::chrono::milliseconds timeout, size_t max_output = 1 << 20);

// --- SSO ---

// The file `aws sso login` caches its token in: <cache_dir>/<sha1 hex of key>.json, where key
// is the sso-session name (sso_session profiles) or the start URL (legacy profiles).
std::string SsoTokenCachePath(std::string_view cache_dir, std::string_view key);

struct SsoToken {
  std::string access_token;
  std::chrono::system_clock::time_point expires_at;
};
// Parses a token cache file ({"accessToken": ..., "expiresAt": "...Z", ...}).
core::Result<SsoToken> ParseSsoTokenCache(std::string_view json);
// Parses GetRoleCredentials' answer ({"roleCredentials": {"accessKeyId", "secretAccessKey",
// "sessionToken", "expiration": <epoch milliseconds>}}).
core::Result<Credentials> ParseSsoRoleCredentials(std::string_view json);

// Reads the cached token (refreshing an sso-session's through SSO OIDC when it is about to expire,
// aws/sso_oidc.h) and calls GET {portal}/federation/credentials?account_id=&role_name=
// with `x-amz-sso_bearer_token` (portal: https://portal.sso.{sso_region}.amazonaws.com, or
// AWS_ENDPOINT_URL_SSO / the profile's endpoint configuration).
boost::asio::awaitable<core::Result<Credentials>> FetchSsoCredentials(ProviderContext context,
                                                                      CredentialBase sso,
                                                                      ProfileSet profiles,
                                                                      std::string profile_name);

// --- Container endpoint rules ---

// Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be used: any https URL; http only to loopback
// (127.0.0.0/8, ::1, localhost), 169.254.170.2, 169.254.170.23 or fd00:ec2::23.
bool IsAllowedContainerUri(std::string_view url);

// --- Caching ---

// Caches the credentials of a fetch function, refreshing on demand (see the file comment).
class CachingCredentialsProvider : public std::enable_shared_from_this<CachingCredentialsProvider> {
 public:
  // `executor` runs the refreshes (each in its own coroutine, so a caller that goes away does
  // not cancel a refresh others await). `clock` must outlive the provider.
  static std::shared_ptr<CachingCredentialsProvider> Create(boost::asio::any_io_executor executor,
                                                            CredentialsFunction fetch,
                                                            const core::Clock& clock,
                                                            RefreshPolicy policy = {});

  boost::asio::awaitable<core::Result<Credentials>> Get();

  // A CredentialsFunction that keeps this provider alive.
  CredentialsFunction AsFunction();

  // Drops the cached credentials: the next Get fetches (e.g. after an ExpiredToken answer).
  void Invalidate();

  // How many fetches have been started (tests, metrics).
  size_t fetch_count() const;

  struct Flight;  // one refresh in progress, and its waiters

 private:
  CachingCredentialsProvider(boost::asio::any_io_executor executor, CredentialsFunction fetch,
                             const core::Clock& clock, RefreshPolicy policy);
  std::optional<Credentials> Usable() const;  // requires mutex_

  boost::asio::any_io_executor executor_;
  CredentialsFunction fetch_;
  const core::Clock& clock_;
  RefreshPolicy policy_;
  mutable std::mutex mutex_;
  std::optional<Credentials> current_;     // guarded by mutex_
  core::Clock::SystemTime grace_until_{};  // guarded by mutex_
  std::shared_ptr<Flight> flight_;         // guarded by mutex_
  size_t fetch_count_ = 0;                 // guarded by mutex_
};

// The default chain (see the file comment), cached.
class DefaultCredentialsProvider {
 public:
  static std::shared_ptr<DefaultCredentialsProvider> Create(boost::asio::any_io_executor executor,
                                                            ProviderContext context,
                                                            RefreshPolicy policy = {});

  boost::asio::awaitable<core::Result<Credentials>> Get() { return cache_->Get(); }
  CredentialsFunction AsFunction() { return cache_->AsFunction(); }
  void Invalidate() { cache_->Invalidate(); }
  size_t fetch_count() const { return cache_->fetch_count(); }

  // AWS_BEARER_TOKEN_BEDROCK, read when the provider was made. When set, Bedrock calls should use
  // "Authorization: Bearer <key>" and not SigV4 (the chain is then not needed for Bedrock).
  const std::optional<std::string>& bedrock_bearer_token() const { return bearer_token_; }

  // Walks the chain once, without the cache.
  static boost::asio::awaitable<core::Result<Credentials>> ResolveChain(ProviderContext context);

 private:
  DefaultCredentialsProvider() = default;
  std::shared_ptr<CachingCredentialsProvider> cache_;
  std::optional<std::string> bearer_token_;
};

}  // namespace bedrock::aws

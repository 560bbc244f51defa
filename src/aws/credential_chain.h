// The pure parts of the AWS credential and region resolution chain: reading the environment,
// planning how a shared-config profile yields credentials (source_profile / role_arn chains), the
// `credential_process` output format, and when cached credentials must be refreshed. Nothing here
// does I/O beyond what the caller passes in; the network providers (STS, SSO, ECS, IMDS) execute
// the plans elsewhere.
//
//   core::SystemEnv env;
//   if (auto token = aws::BedrockBearerToken(env)) ...;                 // API-key auth, no SigV4
//   auto creds = BEDROCK_TRY(aws::CredentialsFromEnvironment(env));       // nullopt: not set
//   auto paths = aws::SharedConfigPathsFromEnv(env);
//   auto profiles = BEDROCK_TRY(aws::LoadProfileFiles(paths.config, paths.credentials));
//   auto plan = BEDROCK_TRY(aws::PlanProfileCredentials(profiles, aws::ProfileNameFromEnv(env)));
//
// Thread-safety: pure functions and value types, except CredentialsCache (internally locked).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/shared_config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"

namespace bedrock::aws {

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the legacy AWS_ACCESS_KEY / AWS_SECRET_KEY),
// AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION (RFC 3339). nullopt when neither key is set;
// kInvalidArgument when only one is, or the expiration is malformed.
core::Result<std::optional<Credentials>> CredentialsFromEnvironment(const core::Env& env);

// AWS_BEARER_TOKEN_BEDROCK: a Bedrock API key, sent as "Authorization: Bearer <key>".
std::optional<std::string> BedrockBearerToken(const core::Env& env);

// AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
std::string ProfileNameFromEnv(const core::Env& env);

struct SharedConfigPaths {
  std::string config;       // AWS_CONFIG_FILE or ~/.aws/config
  std::string credentials;  // AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
};
// "~" is expanded from HOME (USERPROFILE as a fallback).
SharedConfigPaths SharedConfigPathsFromEnv(const core::Env& env);

// AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region`; nullopt when none is set.
std::optional<std::string> ResolveRegion(const core::Env& env, const ProfileSet* profiles,
                                         std::string_view profile_name);

// Endpoint override for a service: AWS_ENDPOINT_URL_<SERVICE> (service id upper-cased, spaces
// and '-' as '_', e.g. "bedrock-runtime" -> AWS_ENDPOINT_URL_BEDROCK_RUNTIME), else
// AWS_ENDPOINT_URL; nullopt when neither is set (or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true).
std::optional<std::string> EndpointUrlFromEnv(const core::Env& env, std::string_view service_id);

// --- Profile credential plans ---

// Where the first credentials of a profile chain come from.
struct CredentialBase {
  enum class Kind {
    kStatic,               // aws_access_key_id / aws_secret_access_key [/ aws_session_token]
    kWebIdentity,          // AssumeRoleWithWebIdentity(role_arn, token file)
    kProcess,              // run credential_process
    kSso,                  // SSO token cache -> GetRoleCredentials
    kEnvironment,          // credential_source = Environment
    kEc2InstanceMetadata,  // credential_source = Ec2InstanceMetadata
    kEcsContainer,         // credential_source = EcsContainer
  };
  Kind kind = Kind::kStatic;
  std::string profile;             // the profile it was read from
  Credentials static_credentials;  // kStatic
  // kWebIdentity
  std::string role_arn, web_identity_token_file, role_session_name;
  std::string credential_process;  // kProcess: the command line, unparsed
  // kSso: from the profile or its [sso-session]
  std::string sso_session, sso_start_url, sso_region, sso_account_id, sso_role_name;

  bool operator==(const CredentialBase&) const = default;
};

// One sts:AssumeRole applied to the credentials before it.
struct AssumeRoleStep {
  std::string profile;  // the profile that asks for the role
  std::string role_arn;
  std::string role_session_name;  // empty: the provider picks one
  std::string external_id;
  std::string mfa_serial;
  std::optional<int> duration_seconds;

  bool operator==(const AssumeRoleStep&) const = default;
};

// Get `base`, then assume each role in order.
struct ProfileCredentialPlan {
  CredentialBase base;
  std::vector<AssumeRoleStep> roles;

  bool operator==(const ProfileCredentialPlan&) const = default;
};

// Plans how `profile_name` resolves, with the JS SDK's precedence: a profile used as a
// source_profile that holds static keys gives those keys; otherwise role_arn with source_profile
// or credential_source assumes a role; then static keys, web identity, credential_process, SSO.
// Errors (kNotFound for a missing profile, kInvalidArgument otherwise) name the profiles
// involved: cycles, a missing source_profile, an unknown credential_source, both source_profile
// and credential_source, a profile with nothing usable.
core::Result<ProfileCredentialPlan> PlanProfileCredentials(const ProfileSet& profiles,
                                                           std::string_view profile_name);

// --- credential_process ---

// Parses a credential_process's standard output:
// {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ..., "Expiration":
// "2024-01-01T00:00:00Z"}. SessionToken and Expiration are optional.
core::Result<Credentials> ParseCredentialProcessOutput(std::string_view json);

// Parses an RFC 3339 / ISO 8601 UTC timestamp as STS, SSO and credential processes write them
// ("2024-01-01T00:00:00Z", with optional fractional seconds, or a "+hh:mm" offset).
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// --- Expiry ---

struct RefreshPolicy {
  // Refresh credentials this long before they expire (the JS SDK uses 5 minutes).
  std::chrono::seconds refresh_before{300};
};

enum class CredentialsState {
  kMissing,        // nothing cached
  kFresh,          // usable, no refresh needed
  kRefreshNeeded,  // inside the refresh window (or expired): fetch new ones before use
};

CredentialsState EvaluateCredentials(const std::optional<Credentials>& credentials,
                                     std::chrono::system_clock::time_point now,
                                     const RefreshPolicy& policy = {});

// A cache of one set of credentials, judged against an injected clock. Thread-safe. It does not
// fetch: callers refresh when Get() returns nullopt (and serialise refreshes themselves).
class CredentialsCache {
 public:
  explicit CredentialsCache(const core::Clock& clock, RefreshPolicy policy = {})
      : clock_(clock), policy_(policy) {}

  // The cached credentials while fresh; nullopt when missing or due for refresh.
  std::optional<Credentials> Get() const;
  void Store(Credentials credentials);
  void Clear();
  CredentialsState State() const;

 private:
  const core::Clock& clock_;
  RefreshPolicy policy_;
  mutable std::mutex mutex_;
  std::optional<Credentials> credentials_;  // guarded by mutex_
};

}  // namespace bedrock::aws

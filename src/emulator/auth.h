// How the emulator authenticates callers, the way Bedrock does: SigV4 (service "bedrock", any
// region unless one is configured) checked against known access keys, or a Bedrock API key
// ("Authorization: Bearer <key>") on Bedrock Runtime. Agent Runtime takes SigV4 only, as the real
// service. The OpenAI-compatible endpoint takes "Authorization: Bearer <key>".
//
//   core::SystemEnv env;
//   emulator::AuthConfig config = emulator::AuthConfigFromEnv(env);   // AWS_* variables
//   emulator::Authenticator auth(std::move(config));
//   if (auto failure = auth.CheckAws(request, /*bearer_allowed=*/true)) ... 403 ...
//
// Modes:
//   kVerify        signatures must verify against a known key (AWS_ACCESS_KEY_ID /
//                  AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN] of the emulator's own
//                  environment, plus configured keys); bearer keys must be known
//                  (AWS_BEARER_TOKEN_BEDROCK, plus configured ones).
//   kAnySignature  what kAuto becomes when no key is known at all: any well-formed SigV4
//                  signature (right algorithm, scope for service "bedrock", x-amz-date within 5
//                  minutes, host signed) and any bearer token are accepted; the secret is not
//                  checked, since there is none to check against.
//   kOff           nothing is checked.
//
// Thread-safety: Check* may be called concurrently (the SigV4 verifier is locked).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "core/clock.h"
#include "core/env.h"
#include "http/message.h"

namespace bedrock::emulator {

enum class AuthMode { kAuto, kVerify, kAnySignature, kOff };

struct AuthConfig {
  AuthMode mode = AuthMode::kAuto;
  std::vector<aws::Credentials> credentials;  // SigV4 keys (a session token, when set, is required)
  std::vector<std::string> api_keys;          // bearer keys (Bedrock API keys / OpenAI keys)
  std::string region;                         // required scope region; empty: any
};

// The emulator environment's own keys: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN
// (the credential chain's environment rules) and AWS_BEARER_TOKEN_BEDROCK. A half-set key pair is
// an error.
core::Result<AuthConfig> AuthConfigFromEnv(const core::Env& env);

class Authenticator {
 public:
  explicit Authenticator(AuthConfig config,
                         const core::Clock& clock = core::SystemClock::Instance());

  // The mode in effect (kAuto resolved).
  AuthMode mode() const { return mode_; }
  // One line for the startup log, e.g. "SigV4 against 1 access key (AKID...), 1 API key".
  std::string Describe() const;

  // A Bedrock (Runtime or Agent Runtime) request; nullopt when accepted.
  std::optional<aws::VerifyFailure> CheckAws(const http::Request& request, bool bearer_allowed);
  // An OpenAI-compatible request: true when accepted. With no API key known, any or no
  // Authorization header is accepted.
  bool CheckOpenAi(const http::Request& request) const;

 private:
  std::optional<aws::VerifierKey> Lookup(std::string_view access_key_id);

  AuthConfig config_;
  AuthMode mode_;
  const core::Clock& clock_;
  std::mutex mutex_;
  aws::SigV4Verifier verifier_;  // guarded by mutex_
  bool reached_lookup_ = false;  // guarded by mutex_: the request got as far as the key lookup
};

}  // namespace bedrock::emulator

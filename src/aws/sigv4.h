// AWS Signature Version 4 (AWS4-HMAC-SHA256): header signing, query presigning and verification.
//
// Signing a Bedrock request (the path is the one sent on the wire, already percent-encoded):
//
//   aws::SigV4Signer signer;                      // one per thread: owns OpenSSL contexts
//   aws::HeaderView headers[] = {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
//                                {"content-type", "application/json"}};
//   aws::SignableRequest req{.method = "POST",
//                            .path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
//                            .headers = headers, .body = body};
//   aws::SigningConfig cfg{.region = "us-east-1", .service = "bedrock", .time = now};
//   aws::SigV4Headers out = signer.Sign(req, creds, cfg);
//   // send x-amz-date, x-amz-security-token (if any), x-amz-content-sha256 (if asked),
//   authorization out.ApplyTo(http_request.headers);
//
// Canonicalisation follows the AWS SDKs (@smithy/signature-v4, aws-c-auth): for every service but
// S3 the path is normalised (empty, "." and ".." segments removed) and URI-encoded once more, so a
// wire path "/model/x%3A0" is canonicalised as "/model/x%253A0". S3 uses the path as given
// (SigningConfig::S3Style()). Query parameters are percent-decoded then re-encoded and sorted;
// every header except the SDKs' "unsignable" ones (authorization, user-agent, connection, ...) is
// signed.
//
// Verification (the local emulator): SigV4Verifier recomputes the signature of a received request
// from its Authorization header (or presigned X-Amz-* query), looks the secret up by access key id,
// compares in constant time and checks the clock skew. Failures carry the AWS error type real AWS
// answers with (InvalidSignatureException, UnrecognizedClientException, ...).
//
// Thread-safety: SigV4Signer and SigV4Verifier are not thread-safe (each owns reusable OpenSSL
// contexts, a scratch buffer and a small signing-key cache); use one per thread or strand. The free
// functions are thread-safe (they use a thread-local signer).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "core/result.h"

namespace bedrock::http {
class Headers;
}

namespace bedrock::aws {

// A header of the request to sign; names may be in any case. Repeated names are allowed and are
// joined with ',' in their given order, as SigV4 requires.
struct HeaderView {
  std::string_view name;
  std::string_view value;
};

// The parts of an HTTP request that SigV4 covers. Views only: the caller owns the storage.
struct SignableRequest {
  std::string_view method;  // "GET", "POST"
  // The path as it is (or will be) sent on the wire, without the query; empty means "/".
  std::string_view path;
  std::string_view query;               // the raw query string without '?', empty if none
  std::span<const HeaderView> headers;  // every header that will be sent, including host
  std::string_view body;
  // Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; when empty the body is hashed.
  std::string_view payload_hash;
};

struct SigningConfig {
  std::string_view region;   // "us-east-1"
  std::string_view service;  // the signing name: "bedrock" for both Bedrock runtimes
  std::chrono::system_clock::time_point time;
  // Remove "", "." and ".." path segments before encoding (false for S3).
  bool normalize_path = true;
  // URI-encode the path (again) when canonicalising (false for S3, whose path is used as given).
  bool uri_escape_path = true;
  // Add and sign `x-amz-content-sha256` (the JS SDK does for Bedrock; S3 requires it).
  bool add_content_sha256_header = false;
  // Sign the session token (header or query parameter). When false the token is still sent but is
  // added after signing, as a few services require ("header-after" in the AWS test suite).
  bool sign_session_token = true;
  // Presigned URLs only: X-Amz-Expires (1 s .. 7 days).
  std::chrono::seconds expires{3600};

  // S3's rules: the path is neither normalised nor re-encoded, and the payload hash is sent.
  static SigningConfig S3Style(std::string_view region, std::chrono::system_clock::time_point time);
};

// The headers a signature adds to a request.
struct SigV4Headers {
  std::string amz_date;        // x-amz-date, "20150830T123600Z"
  std::string security_token;  // x-amz-security-token; empty when the credentials have none
  std::string content_sha256;  // x-amz-content-sha256; empty unless add_content_sha256_header
  std::string authorization;  // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
  std::string signature;      // the 64 hex digits, also inside `authorization`

  // Sets (replacing) x-amz-date, x-amz-security-token, x-amz-content-sha256 and authorization.
  void ApplyTo(http::Headers& headers) const;
};

// A presigned request: the query string to send instead of the original one.
struct PresignedQuery {
  std::string query;      // original parameters followed by the X-Amz-* ones, without '?'
  std::string signature;  // the value of X-Amz-Signature
};

// Intermediate values, exposed for tests and debugging.
struct SigV4Debug {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
};

class SigV4Signer {
 public:
  SigV4Signer();
  ~SigV4Signer();
  SigV4Signer(const SigV4Signer&) = delete;
  SigV4Signer& operator=(const SigV4Signer&) = delete;

  // Signs `request` for header authorisation. The request's own headers must not yet contain
  // x-amz-date/authorization (any that do are ignored for signing, as they will be replaced);
  // the result's headers are signed as if present.
  SigV4Headers Sign(const SignableRequest& request, const Credentials& credentials,
                    const SigningConfig& config, SigV4Debug* debug = nullptr);

  // Builds a presigned query (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
  // [-Security-Token], -Signature). Every header of `request` is signed.
  PresignedQuery Presign(const SignableRequest& request, const Credentials& credentials,
                         const SigningConfig& config, SigV4Debug* debug = nullptr);

  // The derived key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"),
  // from the per-signer cache when possible.
  std::array<uint8_t, 32> SigningKey(std::string_view secret, std::string_view date,
                                     std::string_view region, std::string_view service);

  // Lowercase hex SHA-256 of `data`.
  std::string Sha256Hex(std::string_view data);

 private:
  friend class SigV4Verifier;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Thread-safe conveniences over a thread-local SigV4Signer.
SigV4Headers SignRequest(const SignableRequest& request, const Credentials& credentials,
                         const SigningConfig& config);
std::string Sha256Hex(std::string_view data);

// "20150830T123600Z" for a time point (UTC, whole seconds).
std::string FormatAmzDate(std::chrono::system_clock::time_point time);
// Parses "20150830T123600Z"; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);

// The RFC 3986 encoding SigV4 uses: everything but A-Z a-z 0-9 - _ . ~ becomes %XX (uppercase),
// per UTF-8 byte; '/' is kept when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

// --- Verification (servers and the local emulator) ---

// What the verifier knows about an access key id.
struct VerifierKey {
  std::string secret_access_key;
  // When non-empty, the request must carry this x-amz-security-token (signed or not).
  std::string session_token;
};

// Returns the key for an access key id, or nullopt when the id is unknown.
using CredentialLookup = std::function<std::optional<VerifierKey>(std::string_view access_key_id)>;

struct VerifyOptions {
  std::string_view service;  // required scope service, e.g. "bedrock"; empty accepts any
  std::string_view region;   // required scope region; empty accepts any
  std::chrono::system_clock::time_point now;
  std::chrono::seconds max_skew{300};  // real AWS allows 5 minutes either way
  bool normalize_path = true;
  bool uri_escape_path = true;
};

// A successful verification: who signed and for what scope.
struct VerifiedRequest {
  std::string access_key_id;
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point signed_at;
  bool presigned = false;
};

// Why a request was refused, in the shape real AWS answers with.
struct VerifyFailure {
  std::string aws_error_type;  // "InvalidSignatureException", "UnrecognizedClientException", ...
  int http_status = 403;
  std::string message;

  // kUnauthenticated (or kInvalidArgument for malformed auth), message "<type>: <message>".
  core::Error ToError() const;
};

class SigV4Verifier {
 public:
  explicit SigV4Verifier(CredentialLookup lookup);
  ~SigV4Verifier();
  SigV4Verifier(const SigV4Verifier&) = delete;
  SigV4Verifier& operator=(const SigV4Verifier&) = delete;

  // Verifies a request signed in the Authorization header or presigned in its query. `request`
  // holds the headers as received (including authorization); the payload hash is taken from
  // x-amz-content-sha256 when present, else the body is hashed.
  std::optional<VerifyFailure> Verify(const SignableRequest& request, const VerifyOptions& options,
                                      VerifiedRequest* verified = nullptr);

 private:
  std::optional<VerifyFailure> VerifyHeader(const SignableRequest& request, std::string_view auth,
                                            const VerifyOptions& options, VerifiedRequest* out);
  std::optional<VerifyFailure> VerifyQuery(const SignableRequest& request,
                                           const VerifyOptions& options, VerifiedRequest* out);

  CredentialLookup lookup_;
  SigV4Signer signer_;
};

}  // namespace bedrock::aws

// Secret redaction: what keeps credentials out of logs, error bodies and dumped configs.
//
//   core::IsSecretKey("X-Api-Key")                          // true
//   core::RedactText("curl -H 'Authorization: Bearer abc'") // "curl -H 'Authorization: [REDACTED]"
//   boost::json::value safe = core::RedactJson(request_body);
//
// The logging API (core/log.h) applies all of this to every message and field itself, so code that
// logs never has to remember to; call these directly for anything else that leaves the process.
//
// What counts as secret:
//  * Keys (IsSecretKey), compared case-insensitively with '-', '_', '.' and ' ' ignored: names
//    ending in token, secret(s), password(s), passwd, apikey, secretkey, secretaccesskey,
//    privatekey, signature, authorization or cookie(s), and x-amz-credential. This covers
//    authorization, proxy-authorization, x-api-key, api_key, access_token, refresh_token,
//    id_token, session_token, aws_session_token, x-amz-security-token, aws_secret_access_key,
//    SecretAccessKey, password, client_secret, cookie, set-cookie, X-Amz-Signature, and names such
//    as GITHUB_TOKEN or OPENAI_API_KEY. ("max_tokens" does not end in "token" and is kept.)
//  * In free text (FindSecrets / RedactText): the value after a secret key and ':' or '=', in any
//    of the forms `key: value`, `key=value` (query strings, forms, env dumps), `"key": "value"`
//    (JSON, also when escaped inside another JSON string) and `'key': 'value'`; for
//    authorization/cookie headers the rest of the line; the credential after `Bearer` or `Basic`;
//    AWS access key ids (AKIA/ASIA followed by 16 of [A-Z0-9]); and well-known token formats
//    (sk-..., ghp_..., github_pat_..., xox?-...).
// Redaction errs on the side of hiding: a false positive costs a log detail, a miss leaks a key.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock::core {

// What a redacted value is replaced with.
inline constexpr std::string_view kRedacted = "[REDACTED]";

// Whether a key (JSON member, header, query parameter, log field, env var) names a secret.
bool IsSecretKey(std::string_view key);

// A byte range [begin, end) of text that must not be shown.
struct SecretSpan {
  size_t begin;
  size_t end;
  bool operator==(const SecretSpan&) const = default;
};

// The secret ranges of `text`, in order and non-overlapping. Allocates nothing when there are
// none, which is the common case; one pass, no regular expressions.
std::vector<SecretSpan> FindSecrets(std::string_view text);

// `text` with every FindSecrets range replaced by kRedacted.
std::string RedactText(std::string_view text);

// A copy of `value` in which every member whose key IsSecretKey has the value kRedacted (null
// members stay null), and every other string is passed through RedactText, recursively. Members
// nested deeper than 128 levels are replaced by kRedacted as a whole.
boost::json::value RedactJson(const boost::json::value& value);

}  // namespace bedrock::core

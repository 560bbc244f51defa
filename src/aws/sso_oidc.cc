#include "aws/sso_oidc.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdio>

#include "aws/client_config.h"
#include "aws/errors.h"
#include "aws/retry.h"
#include "core/clock.h"

namespace bedrock::aws {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// As the SDKs: a token this close to expiry is refreshed before use.
constexpr std::chrono::minutes kRefreshWindow{5};
constexpr std::string_view kOidcServiceId = "SSO OIDC";

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Writes `text` to `path` through a temporary file in the same directory and a rename, so that a
// reader (another process, the CLI) never sees half a file. The file holds secrets: owner-only
// permissions, as the CLI creates it.
core::Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string temp = fmt::format("{}.tmp-{}", path, ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return core::Error::PermissionDenied("cannot write '{}'", temp);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  if (written != text.size() || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return core::Error::PermissionDenied("cannot replace '{}'", path);
  }
  return core::OkStatus();
}

// One CreateToken call (retried in standard mode); the refreshed entry.
asio::awaitable<core::Result<SsoTokenCacheEntry>> CreateToken(ProviderContext context,
                                                              SsoTokenRequest request,
                                                              SsoTokenCacheEntry entry) {
  std::string endpoint =
      ResolveEndpointUrl(*context.env, &request.profiles, request.profile_name, kOidcServiceId)
          .value_or(fmt::format("https://oidc.{}.amazonaws.com", request.sso_region));
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string body = json::serialize(json::object{{"clientId", entry.client_id},
                                                        {"clientSecret", entry.client_secret},
                                                        {"grantType", "refresh_token"},
                                                        {"refreshToken", entry.refresh_token}});
  auto strategy = context.retry ? context.retry : std::make_shared<RetryStrategy>();
  auto attempt = [&](int) -> asio::awaitable<Attempt<SsoTokenCacheEntry>> {
    http::ClientRequest http_request;
    http_request.method = "POST";
    http_request.url = endpoint + "/token";
    http_request.body = body;
    http_request.timeout = context.sso_timeout;
    http_request.idempotent = false;
    http_request.headers.Set("Content-Type", "application/json");
    auto response = co_await context.http.Send(std::move(http_request));
    if (!response.ok()) {
      core::Error e = response.error().WithContext("sso-oidc CreateToken");
      co_return Attempt<SsoTokenCacheEntry>(e, ClassifyError(response.error()));
    }
    if (response->status != 200) {
      AwsError error = ParseRestJson1Error(response->status, response->headers, response->body);
      core::Error e = error.ToError().WithContext("sso-oidc CreateToken");
      co_return Attempt<SsoTokenCacheEntry>(e, ClassifyAwsError(error));
    }
    auto refreshed = ApplyCreateTokenResponse(entry, response->body, context.clock->Now());
    if (!refreshed.ok()) {
      co_return Attempt<SsoTokenCacheEntry>(refreshed.error(), RetryErrorKind::kNone);
    }
    co_return Attempt<SsoTokenCacheEntry>(std::move(*refreshed));
  };
  co_return co_await RetryingCall<SsoTokenCacheEntry>(*strategy, attempt, context.sleeper);
}

}  // namespace

core::Result<SsoTokenCacheEntry> ParseSsoTokenCacheEntry(std::string_view text) {
  SsoTokenCacheEntry entry;
  entry.token = BEDROCK_TRY(ParseSsoTokenCache(text));
  entry.raw = json::parse(text).as_object();  // ParseSsoTokenCache checked it is an object
  entry.refresh_token = StringMember(entry.raw, "refreshToken");
  entry.client_id = StringMember(entry.raw, "clientId");
  entry.client_secret = StringMember(entry.raw, "clientSecret");
  entry.region = StringMember(entry.raw, "region");
  entry.start_url = StringMember(entry.raw, "startUrl");
  if (auto registration = StringMember(entry.raw, "registrationExpiresAt"); !registration.empty()) {
    entry.registration_expires_at = ParseRfc3339(registration);
    if (!entry.registration_expires_at) {
      return core::Error::InvalidArgument(
          "SSO token cache \"registrationExpiresAt\" is not RFC 3339");
    }
  }
  return entry;
}

std::string SerializeSsoTokenCacheEntry(const SsoTokenCacheEntry& entry) {
  json::object out = entry.raw;
  out["accessToken"] = entry.token.access_token;
  out["expiresAt"] = core::FormatRfc3339Millis(entry.token.expires_at);
  if (!entry.refresh_token.empty()) out["refreshToken"] = entry.refresh_token;
  return json::serialize(out);
}

core::Result<SsoTokenCacheEntry> ApplyCreateTokenResponse(
    SsoTokenCacheEntry entry, std::string_view text, std::chrono::system_clock::time_point now) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  const json::object* o = !ec && value.is_object() ? &value.as_object() : nullptr;
  const json::value* expires_in = o != nullptr ? o->if_contains("expiresIn") : nullptr;
  std::string access_token = o != nullptr ? StringMember(*o, "accessToken") : std::string();
  if (access_token.empty() || expires_in == nullptr || !expires_in->is_int64() ||
      expires_in->as_int64() <= 0) {
    return core::Error::UpstreamFailure(
        "sso-oidc CreateToken: response lacks accessToken or a positive expiresIn");
  }
  entry.token.access_token = std::move(access_token);
  entry.token.expires_at = now + std::chrono::seconds(expires_in->as_int64());
  if (auto refresh = StringMember(*o, "refreshToken"); !refresh.empty()) {
    entry.refresh_token = std::move(refresh);
  }
  return entry;
}

asio::awaitable<core::Result<SsoToken>> LoadSsoToken(ProviderContext context,
                                                     SsoTokenRequest request) {
  auto entry = ParseSsoTokenCacheEntry(request.cache_text);
  if (!entry.ok()) co_return entry.error().WithContext(fmt::format("sso: {}", request.cache_path));
  const auto now = context.clock->Now();
  const bool still_valid = entry->token.expires_at > now;
  if (entry->token.expires_at - kRefreshWindow > now) co_return entry->token;

  auto expired = [&](std::string_view why) {
    return core::Error::Unauthenticated("sso: the cached SSO token for {} has expired{}; run `{}`",
                                        request.key, why, request.login_hint);
  };
  const bool registration_valid =
      !entry->registration_expires_at || *entry->registration_expires_at > now;
  if (!request.refreshable || !entry->Refreshable() || !registration_valid) {
    if (still_valid) co_return entry->token;
    co_return expired(request.refreshable && entry->Refreshable() && !registration_valid
                          ? " and so has its OIDC client registration"
                          : "");
  }

  auto refreshed = co_await CreateToken(context, request, *entry);
  if (!refreshed.ok()) {
    if (still_valid) co_return entry->token;
    co_return core::Error::Unauthenticated(
        "sso: refreshing the SSO token for {} failed ({}); run `{}`", request.key,
        refreshed.error().message(), request.login_hint);
  }
  // A token that cannot be saved still works for this process; the next one refreshes again.
  (void)WriteFileAtomically(request.cache_path, SerializeSsoTokenCacheEntry(*refreshed));
  co_return refreshed->token;
}

}  // namespace bedrock::aws

#include "aws/credential_providers.h"

#include <openssl/evp.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <sstream>

#include "aws/client_config.h"
#include "aws/errors.h"
#include "aws/imds.h"
#include "aws/internal/subprocess.h"
#include "aws/sso_oidc.h"
#include "aws/sts.h"
#include "http/url.h"

namespace bedrock::aws {
namespace {

namespace asio = boost::asio;

constexpr size_t kMaxSmallFile = 1 << 20;

std::optional<std::string> NonEmptyEnv(const core::Env& env, std::string_view name) {
  auto value = env.Get(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

// Reads a small file (a token, a cache entry). kNotFound when it does not exist.
core::Result<std::string> ReadSmallFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return core::Error::NotFound("{} '{}' does not exist", what, path);
    return core::Error::PermissionDenied("cannot read {} '{}'", what, path);
  }
  std::string data;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxSmallFile) {
      return core::Error::PayloadTooLarge("{} '{}' is over {} bytes", what, path, kMaxSmallFile);
    }
  }
  return data;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  size_t start = text.find_first_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : text.substr(start);
}

std::string HomePath(const core::Env& env, std::string_view rest) {
  auto home = NonEmptyEnv(env, "HOME");
  if (!home) home = NonEmptyEnv(env, "USERPROFILE");
  return home.value_or("~") + std::string(rest);
}

std::string ProfileNameFor(const ProviderContext& context) {
  return context.profile.empty() ? ProfileNameFromEnv(*context.env) : context.profile;
}

bool ProfileExplicitlyChosen(const ProviderContext& context) {
  return !context.profile.empty() || NonEmptyEnv(*context.env, "AWS_PROFILE") ||
         NonEmptyEnv(*context.env, "AWS_DEFAULT_PROFILE");
}

// Whether a profile says anything about credentials (otherwise the chain skips it).
bool ConfiguresCredentials(const Profile& p) {
  for (const char* key : {"aws_access_key_id", "aws_secret_access_key", "role_arn",
                          "source_profile", "credential_source", "credential_process",
                          "web_identity_token_file", "sso_session", "sso_start_url"}) {
    if (auto v = p.Get(key); v && !v->empty()) return true;
  }
  return false;
}

StsClient MakeSts(const ProviderContext& context, const ProfileSet* profiles,
                  std::string_view profile_name) {
  auto region = ResolveRegion(*context.env, profiles, profile_name).value_or("");
  return StsClient(context.http, ResolveStsEndpoint(*context.env, profiles, profile_name, region),
                   *context.clock, context.retry, context.sleeper, context.sts_timeout);
}

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

asio::awaitable<core::Result<Credentials>> WebIdentityFromFile(
    ProviderContext context, std::string token_file, std::string role_arn, std::string session_name,
    const ProfileSet* profiles, std::string profile_name) {
  auto token = ReadSmallFile(token_file, "web identity token file");
  if (!token.ok()) co_return token.error();
  std::string trimmed = Trimmed(std::move(*token));
  if (trimmed.empty()) {
    co_return core::Error::InvalidArgument("web identity token file '{}' is empty", token_file);
  }
  WebIdentityParams params;
  params.role_arn = std::move(role_arn);
  params.role_session_name = std::move(session_name);
  params.web_identity_token = std::move(trimmed);
  StsClient sts = MakeSts(context, profiles, profile_name);
  co_return co_await sts.AssumeRoleWithWebIdentity(std::move(params));
}

}  // namespace

// --- Sources ---

asio::awaitable<SourceResult> FromEnvironment(ProviderContext context) {
  auto creds = CredentialsFromEnvironment(*context.env);
  if (!creds.ok()) co_return SourceResult::Failed(creds.error().WithContext("environment"));
  if (!*creds) co_return SourceResult::Skipped("AWS_ACCESS_KEY_ID not set");
  co_return SourceResult::Found(std::move(**creds));
}

asio::awaitable<SourceResult> FromWebIdentity(ProviderContext context) {
  auto token_file = NonEmptyEnv(*context.env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  auto role_arn = NonEmptyEnv(*context.env, "AWS_ROLE_ARN");
  if (!token_file || !role_arn) {
    co_return SourceResult::Skipped(token_file ? "AWS_ROLE_ARN not set"
                                               : "AWS_WEB_IDENTITY_TOKEN_FILE not set");
  }
  // The profile files only matter for the STS region and endpoint; unreadable ones are ignored.
  auto paths = SharedConfigPathsFromEnv(*context.env);
  auto profiles = LoadProfileFiles(paths.config, paths.credentials);
  const ProfileSet* profile_set = profiles.ok() ? &*profiles : nullptr;
  auto creds =
      co_await WebIdentityFromFile(context, *token_file, *role_arn,
                                   NonEmptyEnv(*context.env, "AWS_ROLE_SESSION_NAME").value_or(""),
                                   profile_set, ProfileNameFor(context));
  if (!creds.ok()) co_return SourceResult::Failed(creds.error().WithContext("web identity"));
  co_return SourceResult::Found(std::move(*creds));
}

asio::awaitable<SourceResult> FromProfile(ProviderContext context) {
  std::string name = ProfileNameFor(context);
  std::string label = fmt::format("profile '{}'", name);
  auto paths = SharedConfigPathsFromEnv(*context.env);
  auto profiles = LoadProfileFiles(paths.config, paths.credentials);
  if (!profiles.ok()) co_return SourceResult::Failed(profiles.error().WithContext(label));
  const Profile* profile = profiles->FindProfile(name);
  if (profile == nullptr) {
    if (ProfileExplicitlyChosen(context)) {
      co_return SourceResult::Failed(core::Error::NotFound("{} not found in {} or {}", label,
                                                           paths.config, paths.credentials));
    }
    co_return SourceResult::Skipped("not found");
  }
  if (!ConfiguresCredentials(*profile)) {
    co_return SourceResult::Skipped("configures no credentials");
  }
  auto plan = PlanProfileCredentials(*profiles, name);
  if (!plan.ok()) co_return SourceResult::Failed(plan.error().WithContext(label));
  auto creds = co_await ExecuteProfilePlan(context, std::move(*plan), std::move(*profiles), name);
  if (!creds.ok()) co_return SourceResult::Failed(creds.error().WithContext(label));
  co_return SourceResult::Found(std::move(*creds));
}

bool IsAllowedContainerUri(std::string_view url) {
  auto parsed = http::ParseHttpUrl(url);
  if (!parsed.ok()) return false;
  if (parsed->is_https()) return true;
  const std::string& host = parsed->host;
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23") {
    return true;
  }
  return parsed->host_is_ip && host.starts_with("127.");
}

asio::awaitable<SourceResult> FromContainer(ProviderContext context) {
  const core::Env& env = *context.env;
  std::string url;
  if (auto relative = NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = context.container_relative_base + *relative;
  } else if (auto full = NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    if (!IsAllowedContainerUri(*full)) {
      co_return SourceResult::Failed(core::Error::InvalidArgument(
          "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI '{}' is not https and not "
          "a loopback or ECS/EKS link-local address",
          full->substr(0, 200)));
    }
    url = *full;
  } else {
    co_return SourceResult::Skipped("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set");
  }
  std::optional<std::string> token;
  if (auto file = NonEmptyEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    auto text = ReadSmallFile(*file, "container authorization token file");
    if (!text.ok()) {
      co_return SourceResult::Failed(text.error().WithContext("container credentials"));
    }
    token = Trimmed(std::move(*text));
  } else {
    token = NonEmptyEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token && token->find_first_of("\r\n") != std::string::npos) {
    co_return SourceResult::Failed(core::Error::InvalidArgument(
        "container credentials: the authorization token contains a line break"));
  }
  core::Result<http::Response> response = core::Error::Internal("no attempt made");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    http::ClientRequest request;
    request.url = url;
    request.timeout = context.container_timeout;
    if (token && !token->empty()) request.headers.Set("Authorization", *token);
    response = co_await context.http.Send(std::move(request));
    bool retry = response.ok() ? ClassifyHttpStatus(response->status) == RetryErrorKind::kTransient
                               : ClassifyError(response.error()) != RetryErrorKind::kNone;
    if (!retry) break;
  }
  if (!response.ok()) {
    co_return SourceResult::Failed(response.error().WithContext("container credentials"));
  }
  if (response->status != 200) {
    co_return SourceResult::Failed(core::Error(
        response->status == 401 || response->status == 403 ? core::ErrorCode::kUnauthenticated
                                                           : core::ErrorCode::kUpstreamFailure,
        fmt::format("container credentials: {} answered {}: {}", url, response->status,
                    response->body.substr(0, 200))));
  }
  auto creds = ParseMetadataCredentials(response->body, "container credentials");
  if (!creds.ok()) co_return SourceResult::Failed(creds.error());
  co_return SourceResult::Found(std::move(*creds));
}

asio::awaitable<SourceResult> FromInstanceMetadata(ProviderContext context) {
  ImdsOptions options = ImdsOptionsFromEnv(*context.env);
  if (options.disabled) co_return SourceResult::Skipped("AWS_EC2_METADATA_DISABLED is set");
  ImdsClient imds(context.http, std::move(options), *context.clock);
  auto creds = co_await imds.GetCredentials();
  if (!creds.ok()) {
    switch (creds.error().code()) {
      case core::ErrorCode::kUnavailable:
      case core::ErrorCode::kDeadlineExceeded:
      case core::ErrorCode::kNotFound:
        co_return SourceResult::Skipped(creds.error().message());
      default:
        co_return SourceResult::Failed(creds.error());
    }
  }
  co_return SourceResult::Found(std::move(*creds));
}

// --- Profiles ---

asio::awaitable<core::Result<Credentials>> ExecuteProfilePlan(ProviderContext context,
                                                              ProfileCredentialPlan plan,
                                                              ProfileSet profiles,
                                                              std::string profile_name) {
  const CredentialBase& base = plan.base;
  core::Result<Credentials> creds = core::Error::Internal("unhandled credential base");
  switch (base.kind) {
    case CredentialBase::Kind::kStatic:
      creds = base.static_credentials;
      break;
    case CredentialBase::Kind::kWebIdentity:
      creds = co_await WebIdentityFromFile(context, base.web_identity_token_file, base.role_arn,
                                           base.role_session_name, &profiles, base.profile);
      break;
    case CredentialBase::Kind::kProcess:
      creds = co_await RunCredentialProcess(base.credential_process, context.process_timeout,
                                            context.max_process_output);
      break;
    case CredentialBase::Kind::kSso:
      creds = co_await FetchSsoCredentials(context, base, profiles, base.profile);
      break;
    case CredentialBase::Kind::kEnvironment: {
      auto found = co_await FromEnvironment(context);
      if (found.found()) {
        creds = *found.credentials();
      } else if (found.error()) {
        creds = *found.error();
      } else {
        creds = core::Error::Unauthenticated(
            "credential_source Environment, but AWS_ACCESS_KEY_ID is not set");
      }
      break;
    }
    case CredentialBase::Kind::kEc2InstanceMetadata: {
      ImdsClient imds(context.http, ImdsOptionsFromEnv(*context.env), *context.clock);
      creds = co_await imds.GetCredentials();
      break;
    }
    case CredentialBase::Kind::kEcsContainer: {
      auto found = co_await FromContainer(context);
      if (found.found()) {
        creds = *found.credentials();
      } else if (found.error()) {
        creds = *found.error();
      } else {
        creds = core::Error::Unauthenticated("credential_source EcsContainer, but {}",
                                             found.why_skipped());
      }
      break;
    }
  }
  if (!creds.ok()) {
    if (base.profile != profile_name) {
      co_return creds.error().WithContext(fmt::format("source profile '{}'", base.profile));
    }
    co_return creds.error();
  }
  for (AssumeRoleStep& step : plan.roles) {
    AssumeRoleParams params;
    params.role_arn = step.role_arn;
    params.role_session_name = step.role_session_name;
    params.external_id = step.external_id;
    params.duration_seconds = step.duration_seconds;
    if (!step.mfa_serial.empty()) {
      if (!context.mfa_code) {
        co_return core::Error::Unimplemented(
            "profile '{}' sets mfa_serial {}: assuming its role needs a code from that MFA "
            "device, and this process has no way to ask for one (it is not interactive); use a "
            "profile without mfa_serial, or export temporary credentials from `aws sts "
            "assume-role --serial-number ... --token-code ...`",
            step.profile, step.mfa_serial);
      }
      auto code = co_await context.mfa_code(step.mfa_serial);
      if (!code.ok()) {
        co_return code.error().WithContext(
            fmt::format("MFA code for {} (profile '{}')", step.mfa_serial, step.profile));
      }
      params.serial_number = step.mfa_serial;
      params.token_code = std::move(*code);
    }
    StsClient sts = MakeSts(context, &profiles, step.profile);
    Credentials source = std::move(*creds);
    creds = co_await sts.AssumeRole(std::move(source), std::move(params));
    if (!creds.ok()) {
      co_return creds.error().WithContext(
          fmt::format("assuming role {} for profile '{}'", step.role_arn, step.profile));
    }
  }
  co_return creds;
}

asio::awaitable<core::Result<Credentials>> RunCredentialProcess(std::string command,
                                                                std::chrono::milliseconds timeout,
                                                                size_t max_output) {
  auto output = co_await internal::RunShellCommand(command, timeout, max_output);
  if (!output.ok()) co_return output.error().WithContext("credential_process");
  if (output->exit_code != 0) {
    std::string err = Trimmed(output->stderr_text.substr(0, 512));
    co_return core::Error::Unauthenticated("credential_process exited with status {}{}{}",
                                           output->exit_code, err.empty() ? "" : ": ", err);
  }
  auto creds = ParseCredentialProcessOutput(output->stdout_text);
  if (!creds.ok()) co_return creds.error();
  co_return creds;
}

// --- SSO ---

std::string SsoTokenCachePath(std::string_view cache_dir, std::string_view key) {
  std::string path(cache_dir);
  if (!path.empty() && path.back() != '/') path.push_back('/');
  return path + Sha1Hex(key) + ".json";
}

core::Result<SsoToken> ParseSsoTokenCache(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) {
    return core::Error::InvalidArgument("SSO token cache is not a JSON object");
  }
  const auto& o = value.as_object();
  const auto* token = o.if_contains("accessToken");
  const auto* expires = o.if_contains("expiresAt");
  if (!token || !token->is_string() || token->as_string().empty()) {
    return core::Error::InvalidArgument("SSO token cache lacks \"accessToken\"");
  }
  if (!expires || !expires->is_string()) {
    return core::Error::InvalidArgument("SSO token cache lacks \"expiresAt\"");
  }
  auto at = ParseRfc3339(std::string_view(expires->as_string()));
  if (!at) return core::Error::InvalidArgument("SSO token cache \"expiresAt\" is not RFC 3339");
  return SsoToken{std::string(token->as_string()), *at};
}

core::Result<Credentials> ParseSsoRoleCredentials(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  const boost::json::object* rc = nullptr;
  if (!ec && value.is_object()) {
    if (const auto* v = value.as_object().if_contains("roleCredentials"); v && v->is_object()) {
      rc = &v->as_object();
    }
  }
  if (rc == nullptr) {
    return core::Error::UpstreamFailure("sso GetRoleCredentials: response has no roleCredentials");
  }
  auto text = [&](const char* key) -> std::string {
    const auto* v = rc->if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  Credentials creds;
  creds.access_key_id = text("accessKeyId");
  creds.secret_access_key = text("secretAccessKey");
  creds.session_token = text("sessionToken");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return core::Error::UpstreamFailure(
        "sso GetRoleCredentials: response lacks accessKeyId or secretAccessKey");
  }
  if (const auto* exp = rc->if_contains("expiration"); exp && exp->is_number()) {
    double millis = exp->to_number<double>();
    if (!(millis > 0 && millis < 1e15)) {
      return core::Error::UpstreamFailure("sso GetRoleCredentials: expiration out of range");
    }
    creds.expiration = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::milliseconds(static_cast<int64_t>(millis))));
  }
  return creds;
}

asio::awaitable<core::Result<Credentials>> FetchSsoCredentials(ProviderContext context,
                                                               CredentialBase sso,
                                                               ProfileSet profiles,
                                                               std::string profile_name) {
  std::string cache_dir = context.sso_cache_dir.empty() ? HomePath(*context.env, "/.aws/sso/cache")
                                                        : context.sso_cache_dir;
  std::string key = sso.sso_session.empty() ? sso.sso_start_url : sso.sso_session;
  std::string path = SsoTokenCachePath(cache_dir, key);
  std::string login = sso.sso_session.empty()
                          ? fmt::format("aws sso login --profile {}", profile_name)
                          : fmt::format("aws sso login --sso-session {}", sso.sso_session);
  auto text = ReadSmallFile(path, "SSO token cache");
  if (!text.ok()) {
    co_return core::Error::Unauthenticated("sso: no cached SSO token for {} ({}); run `{}`", key,
                                           text.error().message(), login);
  }
  SsoTokenRequest token_request;
  token_request.cache_path = path;
  token_request.cache_text = std::move(*text);
  token_request.key = key;
  token_request.login_hint = login;
  token_request.sso_region = sso.sso_region;
  token_request.refreshable = !sso.sso_session.empty();
  token_request.profiles = profiles;
  token_request.profile_name = profile_name;
  auto token = co_await LoadSsoToken(context, std::move(token_request));
  if (!token.ok()) co_return token.error();
  std::string portal =
      ResolveEndpointUrl(*context.env, &profiles, profile_name, kSsoServiceId)
          .value_or(fmt::format("https://portal.sso.{}.amazonaws.com", sso.sso_region));
  while (!portal.empty() && portal.back() == '/') portal.pop_back();
  std::string url = fmt::format("{}/federation/credentials?account_id={}&role_name={}", portal,
                                FormEncode(sso.sso_account_id), FormEncode(sso.sso_role_name));
  std::string bearer = token->access_token;
  auto strategy = context.retry ? context.retry : std::make_shared<RetryStrategy>();
  auto attempt = [&](int) -> asio::awaitable<Attempt<Credentials>> {
    http::ClientRequest request;
    request.url = url;
    request.timeout = context.sso_timeout;
    request.headers.Set("x-amz-sso_bearer_token", bearer);
    auto response = co_await context.http.Send(std::move(request));
    if (!response.ok()) {
      core::Error e = response.error().WithContext("sso GetRoleCredentials");
      co_return Attempt<Credentials>(e, ClassifyError(response.error()));
    }
    if (response->status != 200) {
      AwsError error = ParseRestJson1Error(response->status, response->headers, response->body);
      core::Error e = error.ToError().WithContext("sso GetRoleCredentials");
      if (response->status == 401 || response->status == 403) {
        e = core::Error::Unauthenticated("{}; run `{}`", e.message(), login);
      }
      co_return Attempt<Credentials>(e, ClassifyAwsError(error));
    }
    auto creds = ParseSsoRoleCredentials(response->body);
    if (!creds.ok()) co_return Attempt<Credentials>(creds.error(), RetryErrorKind::kNone);
    co_return Attempt<Credentials>(std::move(*creds));
  };
  co_return co_await RetryingCall<Credentials>(*strategy, attempt, context.sleeper);
}

// --- Caching ---

struct CachingCredentialsProvider::Flight {
  // Both guarded by the provider's mutex_.
  std::optional<core::Result<Credentials>> result;
  // Each waiting coroutine's executor and completion handler.
  std::vector<std::pair<asio::any_io_executor, asio::any_completion_handler<void()>>> waiters;
};

namespace {
void Resume(asio::any_io_executor executor, asio::any_completion_handler<void()> handler) {
  asio::post(executor, [handler = std::move(handler)]() mutable { std::move(handler)(); });
}
}  // namespace

CachingCredentialsProvider::CachingCredentialsProvider(asio::any_io_executor executor,
                                                       CredentialsFunction fetch,
                                                       const core::Clock& clock,
                                                       RefreshPolicy policy)
    : executor_(std::move(executor)), fetch_(std::move(fetch)), clock_(clock), policy_(policy) {}

std::shared_ptr<CachingCredentialsProvider> CachingCredentialsProvider::Create(
    asio::any_io_executor executor, CredentialsFunction fetch, const core::Clock& clock,
    RefreshPolicy policy) {
  return std::shared_ptr<CachingCredentialsProvider>(
      new CachingCredentialsProvider(std::move(executor), std::move(fetch), clock, policy));
}

std::optional<Credentials> CachingCredentialsProvider::Usable() const {
  if (!current_) return std::nullopt;
  auto now = clock_.Now();
  switch (EvaluateCredentials(current_, now, policy_)) {
    case CredentialsState::kFresh:
      return current_;
    case CredentialsState::kRefreshNeeded:
      if (now < grace_until_ && !current_->ExpiresWithin(now, std::chrono::seconds(0))) {
        return current_;
      }
      return std::nullopt;
    case CredentialsState::kMissing:
      return std::nullopt;
  }
  return std::nullopt;
}

asio::awaitable<core::Result<Credentials>> CachingCredentialsProvider::Get() {
  std::shared_ptr<Flight> flight;
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    if (auto usable = Usable()) {
      flight = std::make_shared<Flight>();
      flight->result = std::move(*usable);
    } else {
      if (!flight_) {
        flight_ = std::make_shared<Flight>();
        ++fetch_count_;
        start = true;
      }
      flight = flight_;
    }
  }
  if (flight->result) co_return *flight->result;
  auto self = shared_from_this();
  if (start) {
    // The refresh runs on its own coroutine so that no caller's cancellation or destruction
    // abandons the callers waiting for it; it keeps `self` alive until it has finished.
    asio::co_spawn(
        executor_,
        [self, flight]() -> asio::awaitable<void> {
          core::Result<Credentials> result = core::Error::Internal("credentials fetch not run");
          try {
            result = co_await self->fetch_();
          } catch (const std::exception& e) {
            result = core::Error::Internal("credentials fetch threw: {}", e.what());
          }
          decltype(flight->waiters) waiters;
          {
            std::lock_guard lock(self->mutex_);
            auto now = self->clock_.Now();
            if (result.ok()) {
              self->current_ = *result;
              // Credentials that arrive already inside the refresh window are reused for a
              // minute rather than refetched by every call.
              self->grace_until_ = now + std::chrono::seconds(60);
            } else if (self->current_ &&
                       !self->current_->ExpiresWithin(now, std::chrono::seconds(0))) {
              // The refresh failed but the old credentials still work: keep using them for a
              // while before trying again.
              result = *self->current_;
              self->grace_until_ = now + std::chrono::seconds(30);
            }
            flight->result = result;
            self->flight_.reset();
            waiters.swap(flight->waiters);
          }
          for (auto& [executor, handler] : waiters) Resume(executor, std::move(handler));
        },
        asio::detached);
  }
  asio::any_io_executor my_executor = co_await asio::this_coro::executor;
  // Named, not a temporary inside the co_await: g++ 12 destroys such temporaries twice, which
  // would drop the captured shared_ptrs one time too many.
  auto wait = [self, flight, my_executor](auto handler) {
    std::unique_lock lock(self->mutex_);
    if (flight->result) {
      lock.unlock();
      Resume(my_executor, std::move(handler));
      return;
    }
    flight->waiters.emplace_back(my_executor, std::move(handler));
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(wait, asio::use_awaitable);
  std::lock_guard lock(mutex_);
  co_return *flight->result;
}

CredentialsFunction CachingCredentialsProvider::AsFunction() {
  // The coroutine owns a reference: the lambda (and its capture) may be gone before it runs.
  struct Call {
    static asio::awaitable<core::Result<Credentials>> Run(
        std::shared_ptr<CachingCredentialsProvider> provider) {
      core::Result<Credentials> result = co_await provider->Get();
      co_return result;
    }
  };
  return [self = shared_from_this()]() { return Call::Run(self); };
}

void CachingCredentialsProvider::Invalidate() {
  std::lock_guard lock(mutex_);
  current_.reset();
}

size_t CachingCredentialsProvider::fetch_count() const {
  std::lock_guard lock(mutex_);
  return fetch_count_;
}

// --- The default chain ---

asio::awaitable<core::Result<Credentials>> DefaultCredentialsProvider::ResolveChain(
    ProviderContext context) {
  std::vector<std::string> tried;
  auto step = [&](std::string_view name,
                  const SourceResult& r) -> std::optional<core::Result<Credentials>> {
    if (r.found()) return core::Result<Credentials>(*r.credentials());
    if (r.error()) return core::Result<Credentials>(*r.error());
    tried.push_back(fmt::format("{} ({})", name, r.why_skipped()));
    return std::nullopt;
  };
  {
    auto r = co_await FromEnvironment(context);
    if (auto done = step("environment", r)) co_return std::move(*done);
  }
  {
    auto r = co_await FromWebIdentity(context);
    if (auto done = step("web identity", r)) co_return std::move(*done);
  }
  {
    auto r = co_await FromProfile(context);
    std::string name = fmt::format("profile '{}'", ProfileNameFor(context));
    if (auto done = step(name, r)) co_return std::move(*done);
  }
  {
    auto r = co_await FromContainer(context);
    if (auto done = step("container", r)) co_return std::move(*done);
  }
  {
    auto r = co_await FromInstanceMetadata(context);
    if (auto done = step("ec2 instance metadata", r)) co_return std::move(*done);
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  co_return core::Error::Unauthenticated("no AWS credentials found; tried: {}", list);
}

std::shared_ptr<DefaultCredentialsProvider> DefaultCredentialsProvider::Create(
    asio::any_io_executor executor, ProviderContext context, RefreshPolicy policy) {
  std::shared_ptr<DefaultCredentialsProvider> provider(new DefaultCredentialsProvider());
  provider->bearer_token_ = BedrockBearerToken(*context.env);
  const core::Clock& clock = *context.clock;
  provider->cache_ = CachingCredentialsProvider::Create(
      std::move(executor), [context]() { return ResolveChain(context); }, clock, policy);
  return provider;
}

}  // namespace bedrock::aws

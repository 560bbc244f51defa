#include "mcp/oauth.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <set>

#include "http/url.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace urls = boost::urls;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kTokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimTrailingSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64Url(std::string_view bytes) {
  std::string out = Base64(bytes);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// A random URL-safe string carrying `bytes` bytes of entropy (PKCE verifier, state).
core::Result<std::string> RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return core::Error::Internal("the system random number generator failed");
  }
  return Base64Url(raw);
}

std::string PercentEncodeComponent(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> StringArray(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& item : v->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

std::string String(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> SplitScopes(std::string_view scope) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < scope.size()) {
    size_t end = scope.find(' ', start);
    if (end == std::string_view::npos) end = scope.size();
    if (end > start) out.emplace_back(scope.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// An ES256 signature (raw r || s, as JWS wants it) of `input` with a PEM EC P-256 private key.
core::Result<std::string> SignEs256(std::string_view pem, std::string_view input) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_bits(key.get()) != 256) {
    return core::Error::InvalidArgument("the client private key is not a PEM EC P-256 key");
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return core::Error::Internal("ES256 signing failed");
  }
  std::string der(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return core::Error::Internal("ES256 signing failed");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)), ECDSA_SIG_free);
  if (!sig) return core::Error::Internal("ES256 signing produced no signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  return raw;
}

core::Result<json::object> ParseJsonObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !value.is_object()) {
    return core::Error::UpstreamFailure("{} is not a JSON object", what);
  }
  return std::move(value.get_object());
}

}  // namespace

// --- Building blocks. ---

std::vector<AuthChallenge> ParseWwwAuthenticate(std::string_view header) {
  std::vector<AuthChallenge> out;
  size_t pos = 0;
  const size_t n = header.size();
  auto skip_spaces = [&] {
    while (pos < n && (header[pos] == ' ' || header[pos] == '\t')) ++pos;
  };
  auto is_token_char = [](char c) {
    return c != ' ' && c != '\t' && c != ',' && c != '=' && c != '"';
  };
  while (pos < n) {
    skip_spaces();
    if (pos < n && header[pos] == ',') {
      ++pos;
      continue;
    }
    size_t start = pos;
    while (pos < n && is_token_char(header[pos])) ++pos;
    std::string_view token = header.substr(start, pos - start);
    if (token.empty()) {
      ++pos;  // a stray '=' or quote: skip it
      continue;
    }
    skip_spaces();
    if (pos < n && header[pos] == '=' && !out.empty()) {
      ++pos;  // '='
      skip_spaces();
      std::string value;
      if (pos < n && header[pos] == '"') {
        ++pos;
        while (pos < n && header[pos] != '"') {
          if (header[pos] == '\\' && pos + 1 < n) ++pos;
          value += header[pos++];
        }
        if (pos < n) ++pos;  // closing quote
      } else {
        size_t value_start = pos;
        while (pos < n && header[pos] != ',' && header[pos] != ' ' && header[pos] != '\t') ++pos;
        value = std::string(header.substr(value_start, pos - value_start));
      }
      out.back().params[Lower(token)] = std::move(value);
      continue;
    }
    AuthChallenge challenge;
    challenge.scheme = std::string(token);
    out.push_back(std::move(challenge));
    // A token68 right after the scheme ("Negotiate abc=="): a token, optional '='s, then a comma
    // or the end. Anything else is the first auth-param.
    size_t look = pos;
    while (look < n && is_token_char(header[look])) ++look;
    if (look == pos) continue;
    size_t eq_end = look;
    while (eq_end < n && header[eq_end] == '=') ++eq_end;
    size_t after = eq_end;
    while (after < n && (header[after] == ' ' || header[after] == '\t')) ++after;
    if (after >= n || header[after] == ',') {
      out.back().params[""] = std::string(header.substr(pos, eq_end - pos));
      pos = after;
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> BearerChallengeParams(std::string_view header) {
  for (auto& challenge : ParseWwwAuthenticate(header)) {
    if (Lower(challenge.scheme) == "bearer") return std::move(challenge.params);
  }
  return std::nullopt;
}

std::vector<std::string> ProtectedResourceMetadataUrls(std::string_view server_url) {
  std::vector<std::string> out;
  auto parsed = urls::parse_uri(urls::string_view(server_url.data(), server_url.size()));
  if (!parsed) return out;
  std::string origin(parsed->encoded_origin());
  std::string_view path = TrimTrailingSlashes(
      std::string_view(parsed->encoded_path().data(), parsed->encoded_path().size()));
  if (!path.empty())
    out.push_back(origin + "/.well-known/oauth-protected-resource" + std::string(path));
  out.push_back(origin + "/.well-known/oauth-protected-resource");
  return out;
}

std::vector<std::string> AuthorizationServerMetadataUrls(std::string_view issuer) {
  std::vector<std::string> out;
  auto parsed = urls::parse_uri(urls::string_view(issuer.data(), issuer.size()));
  if (!parsed) return out;
  std::string origin(parsed->encoded_origin());
  std::string_view path = TrimTrailingSlashes(
      std::string_view(parsed->encoded_path().data(), parsed->encoded_path().size()));
  if (path.empty()) {
    out.push_back(origin + "/.well-known/oauth-authorization-server");
    out.push_back(origin + "/.well-known/openid-configuration");
  } else {
    std::string p(path);
    out.push_back(origin + "/.well-known/oauth-authorization-server" + p);
    out.push_back(origin + "/.well-known/openid-configuration" + p);
    out.push_back(origin + p + "/.well-known/openid-configuration");
  }
  return out;
}

bool ResourceCoversServer(std::string_view resource, std::string_view server_url) {
  auto r = http::ParseHttpUrl(resource);
  auto s = http::ParseHttpUrl(server_url);
  if (!r.ok() || !s.ok()) return false;
  if (r->Origin() != s->Origin()) return false;
  auto path_of = [](const std::string& target) {
    std::string_view t = target;
    t = t.substr(0, t.find('?'));
    return std::string(TrimTrailingSlashes(t)) + "/";
  };
  std::string rp = path_of(r->target), sp = path_of(s->target);
  return sp.compare(0, rp.size(), rp) == 0;
}

std::string CanonicalResourceUri(std::string_view server_url) {
  auto parsed = http::ParseHttpUrl(server_url);
  if (!parsed.ok()) return std::string(server_url);
  std::string_view target = parsed->target;
  return parsed->scheme + "://" + parsed->HostHeader() + std::string(TrimTrailingSlashes(target));
}

std::string PkceS256Challenge(std::string_view verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(), nullptr);
  return Base64Url(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string FormUrlEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncodeComponent(name);
    out += '=';
    out += PercentEncodeComponent(value);
  }
  return out;
}

core::Result<ProtectedResourceMetadata> ParseProtectedResourceMetadata(std::string_view text) {
  json::object o = BEDROCK_TRY(ParseJsonObject(text, "protected resource metadata"));
  ProtectedResourceMetadata out;
  out.resource = String(o, "resource");
  out.authorization_servers = StringArray(o, "authorization_servers");
  out.scopes_supported = StringArray(o, "scopes_supported");
  if (out.resource.empty()) {
    return core::Error::UpstreamFailure("protected resource metadata has no \"resource\"");
  }
  return out;
}

core::Result<AuthorizationServerMetadata> ParseAuthorizationServerMetadata(std::string_view text) {
  json::object o = BEDROCK_TRY(ParseJsonObject(text, "authorization server metadata"));
  AuthorizationServerMetadata out;
  out.issuer = String(o, "issuer");
  out.authorization_endpoint = String(o, "authorization_endpoint");
  out.token_endpoint = String(o, "token_endpoint");
  out.registration_endpoint = String(o, "registration_endpoint");
  out.scopes_supported = StringArray(o, "scopes_supported");
  out.grant_types_supported = StringArray(o, "grant_types_supported");
  out.token_endpoint_auth_methods_supported =
      StringArray(o, "token_endpoint_auth_methods_supported");
  out.code_challenge_methods_supported = StringArray(o, "code_challenge_methods_supported");
  auto flag = [&](std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
  };
  out.client_id_metadata_document_supported = flag("client_id_metadata_document_supported");
  out.authorization_response_iss_parameter_supported =
      flag("authorization_response_iss_parameter_supported");
  if (out.token_endpoint.empty()) {
    return core::Error::UpstreamFailure("authorization server metadata has no \"token_endpoint\"");
  }
  return out;
}

// --- The provider. ---

namespace {

class OAuthClientImpl final : public OAuthClient {
 public:
  OAuthClientImpl(http::Client http_client, std::string server_url, OAuthOptions options)
      : http_(std::move(http_client)),
        server_url_(std::move(server_url)),
        options_(std::move(options)) {}

  std::string Authorization() const override {
    return access_token_.empty() ? std::string() : "Bearer " + access_token_;
  }
  const std::string& access_token() const override { return access_token_; }
  const std::vector<std::string>& granted_scopes() const override { return granted_scopes_; }

  asio::awaitable<core::Status> Prepare() override {
    if (access_token_.empty() || !expires_at_ || refresh_token_.empty()) {
      co_return core::OkStatus();
    }
    if (Clock::now() + options_.refresh_margin < *expires_at_) co_return core::OkStatus();
    auto refreshed = co_await Refresh();
    if (!refreshed.ok()) {
      // The next 401 starts a new authorization.
      spdlog::warn("oauth: refreshing the token for {} failed: {}", options_.peer_name,
                   refreshed.error().message());
      access_token_.clear();
    }
    co_return core::OkStatus();
  }

  asio::awaitable<core::Status> HandleChallenge(int status, std::string www_authenticate,
                                                int attempt) override {
    if (attempt >= options_.max_attempts) {
      co_return Fail(status, fmt::format("giving up after {} authorization attempts", attempt));
    }
    auto params =
        BearerChallengeParams(www_authenticate).value_or(std::map<std::string, std::string>());
    if (status == 403 && params["error"] != "insufficient_scope") {
      co_return Fail(status, "access forbidden" + Describe(params));
    }
    // One flow at a time: concurrent requests that were refused together share its outcome.
    std::string token_before = access_token_;
    while (busy_) co_await WaitIdle();
    if (status == 401 && access_token_ != token_before && !access_token_.empty()) {
      co_return core::OkStatus();
    }
    // Cleared however the flow ends, including by the coroutine being destroyed mid-flight.
    struct BusyGuard {
      OAuthClientImpl& self;
      ~BusyGuard() {
        self.busy_ = false;
        for (auto* waiter : self.waiters_) waiter->cancel();
      }
    };
    busy_ = true;
    BusyGuard guard{*this};
    co_return co_await Authorize(status, std::move(params));
  }

 private:
  core::Error Fail(int status, std::string why) const {
    std::string message = fmt::format("{}: {}", options_.peer_name, why);
    return status == 403 ? core::Error::PermissionDenied("{}", message)
                         : core::Error::Unauthenticated("{}", message);
  }

  static std::string Describe(const std::map<std::string, std::string>& params) {
    std::string out;
    if (auto it = params.find("error"); it != params.end()) out += " (" + it->second;
    if (auto it = params.find("error_description"); it != params.end()) {
      out += out.empty() ? " (" : ": ";
      out += it->second;
    }
    if (!out.empty()) out += ")";
    return out;
  }

  asio::awaitable<void> WaitIdle() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(asio::steady_timer::time_point::max());
    waiters_.insert(&timer);
    (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    waiters_.erase(&timer);
  }

  asio::awaitable<core::Status> Authorize(int status, std::map<std::string, std::string> params) {
    // A token that worked and is now refused may mean the resource moved to another
    // authorization server (SEP-2352): look at its metadata again.
    const bool rediscover = status == 401 && !access_token_.empty();
    BEDROCK_CO_TRY(co_await Discover(params["resource_metadata"], rediscover));
    std::string scope = SelectScope(status, params["scope"]);
    if (status == 401 && !refresh_token_.empty() && !access_token_.empty()) {
      auto refreshed = co_await Refresh();
      if (refreshed.ok()) co_return core::OkStatus();
      spdlog::info("oauth: refresh for {} failed ({}); authorizing again", options_.peer_name,
                   refreshed.error().message());
    }
    if (UsesJwtBearer()) co_return co_await JwtBearer(scope);
    if (UsesClientCredentials()) co_return co_await ClientCredentials(scope);
    BEDROCK_CO_TRY(co_await Register());
    // Ask for a refresh token where the authorization server offers offline_access (SEP-2207).
    if (options_.scope.empty() && Contains(as_->scopes_supported, "offline_access") &&
        !Contains(SplitScopes(scope), "offline_access")) {
      scope = scope.empty() ? std::string("offline_access") : scope + " offline_access";
    }
    co_return co_await AuthorizationCode(scope);
  }

  // --- Discovery. ---

  asio::awaitable<core::Result<http::Response>> Get(const std::string& url) {
    http::ClientRequest request;
    request.method = "GET";
    request.url = url;
    request.headers.Set("Accept", "application/json");
    request.timeout = options_.request_timeout;
    co_return co_await http_.Send(std::move(request));
  }

  // Client credentials are bound to the authorization server that issued them (SEP-2352): when
  // the resource names another one, forget what the old one registered and issued.
  void AdoptAuthorizationServer(AuthorizationServerMetadata metadata) {
    if (as_ && TrimTrailingSlashes(as_->issuer) != TrimTrailingSlashes(metadata.issuer)) {
      spdlog::info("oauth: {} moved from authorization server {} to {}; registering again",
                   options_.peer_name, as_->issuer, metadata.issuer);
      if (client_id_ != options_.client_id) {
        client_id_.clear();
        client_secret_.clear();
        auth_method_.clear();
      }
      refresh_token_.clear();
      access_token_.clear();
      expires_at_.reset();
      granted_scopes_.clear();
    }
    as_ = std::move(metadata);
  }

  asio::awaitable<core::Status> Discover(const std::string& metadata_url, bool force) {
    if (as_ && !force && (metadata_url.empty() || metadata_url == prm_url_)) {
      co_return core::OkStatus();
    }
    std::vector<std::string> candidates;
    if (!metadata_url.empty()) candidates.push_back(metadata_url);
    for (auto& url : ProtectedResourceMetadataUrls(server_url_)) {
      if (!Contains(candidates, url)) candidates.push_back(std::move(url));
    }
    std::optional<ProtectedResourceMetadata> prm;
    for (const auto& url : candidates) {
      auto response = co_await Get(url);
      if (!response.ok()) {
        spdlog::debug("oauth: {}: {}", url, response.error().message());
        continue;
      }
      if (response->status != 200) continue;
      auto parsed = ParseProtectedResourceMetadata(response->body);
      if (!parsed.ok()) {
        spdlog::warn("oauth: {}: {}", url, parsed.error().message());
        continue;
      }
      if (!ResourceCoversServer(parsed->resource, server_url_)) {
        co_return core::Error::Unauthenticated(
            "{}: its protected resource metadata ({}) is for resource '{}', not for {}; refusing "
            "to authorize",
            options_.peer_name, url, parsed->resource, server_url_);
      }
      prm = std::move(*parsed);
      prm_url_ = url;
      break;
    }
    if (prm) {
      if (prm->authorization_servers.empty()) {
        co_return core::Error::Unauthenticated(
            "{}: protected resource metadata ({}) names no authorization server",
            options_.peer_name, prm_url_);
      }
      const std::string& issuer = prm->authorization_servers.front();
      std::optional<AuthorizationServerMetadata> metadata;
      for (const auto& url : AuthorizationServerMetadataUrls(issuer)) {
        auto response = co_await Get(url);
        if (!response.ok() || response->status != 200) continue;
        auto parsed = ParseAuthorizationServerMetadata(response->body);
        if (!parsed.ok()) {
          spdlog::warn("oauth: {}: {}", url, parsed.error().message());
          continue;
        }
        if (TrimTrailingSlashes(parsed->issuer) != TrimTrailingSlashes(issuer)) {
          co_return core::Error::Unauthenticated(
              "{}: authorization server metadata at {} names issuer '{}', expected '{}'",
              options_.peer_name, url, parsed->issuer, issuer);
        }
        metadata = std::move(*parsed);
        break;
      }
      if (!metadata) {
        co_return core::Error::Unauthenticated(
            "{}: found no authorization server metadata for issuer {}", options_.peer_name, issuer);
      }
      resource_ = prm->resource;
      prm_ = std::move(prm);
      AdoptAuthorizationServer(std::move(*metadata));
      metadata_discovered_ = true;
      co_return core::OkStatus();
    }
    // 2025-03-26: no protected resource metadata; the authorization server is the MCP server's
    // origin, with metadata at the root or, failing that, the default endpoints.
    auto parsed_url = http::ParseHttpUrl(server_url_);
    if (!parsed_url.ok()) co_return parsed_url.error();
    std::string origin = parsed_url->Origin();
    auto response = co_await Get(origin + "/.well-known/oauth-authorization-server");
    std::optional<AuthorizationServerMetadata> metadata;
    if (response.ok() && response->status == 200) {
      auto parsed = ParseAuthorizationServerMetadata(response->body);
      if (parsed.ok()) metadata = std::move(*parsed);
    }
    if (metadata) {
      metadata_discovered_ = true;
    } else {
      metadata.emplace();
      metadata->issuer = origin;
      metadata->authorization_endpoint = origin + "/authorize";
      metadata->token_endpoint = origin + "/token";
      metadata->registration_endpoint = origin + "/register";
      metadata_discovered_ = false;
    }
    resource_ = CanonicalResourceUri(server_url_);
    AdoptAuthorizationServer(std::move(*metadata));
    prm_url_.clear();
    co_return core::OkStatus();
  }

  // The spec's scope selection: the challenge's scope, else everything the resource supports,
  // else none. A step-up (403 insufficient_scope) keeps what was granted before.
  std::string SelectScope(int status, const std::string& challenged) {
    if (!options_.scope.empty()) return options_.scope;
    std::vector<std::string> scopes;
    if (!challenged.empty()) {
      if (status == 403) scopes = granted_scopes_;
      for (auto& s : SplitScopes(challenged)) {
        if (!Contains(scopes, s)) scopes.push_back(std::move(s));
      }
    } else if (prm_ && !prm_->scopes_supported.empty()) {
      scopes = prm_->scopes_supported;
    }
    return fmt::format("{}", fmt::join(scopes, " "));
  }

  // --- Client identity. ---

  bool UsesClientCredentials() const {
    const auto& grants = as_->grant_types_supported;
    return !options_.client_id.empty() &&
           (!options_.client_secret.empty() || !options_.client_private_key_pem.empty()) &&
           Contains(grants, "client_credentials") && !Contains(grants, "authorization_code");
  }

  asio::awaitable<core::Status> Register() {
    if (!client_id_.empty()) co_return core::OkStatus();
    if (!options_.client_id.empty()) {
      client_id_ = options_.client_id;
      client_secret_ = options_.client_secret;
      co_return core::OkStatus();
    }
    if (as_->client_id_metadata_document_supported && !options_.client_metadata_url.empty()) {
      client_id_ = options_.client_metadata_url;
      auth_method_ = "none";
      co_return core::OkStatus();
    }
    if (as_->registration_endpoint.empty()) {
      co_return core::Error::Unauthenticated(
          "{}: the authorization server {} offers no dynamic client registration; configure a "
          "pre-registered client ID",
          options_.peer_name, as_->issuer);
    }
    const auto& methods = as_->token_endpoint_auth_methods_supported;
    std::string method = "none";
    if (!methods.empty() && !Contains(methods, "none")) {
      method = Contains(methods, "client_secret_basic")  ? "client_secret_basic"
               : Contains(methods, "client_secret_post") ? "client_secret_post"
                                                         : methods.front();
    }
    json::object body;
    body["client_name"] = options_.client_name;
    body["redirect_uris"] = json::array{json::value(options_.redirect_uri)};
    body["grant_types"] = json::array{"authorization_code", "refresh_token"};
    body["response_types"] = json::array{"code"};
    body["token_endpoint_auth_method"] = method;
    body["application_type"] = "native";
    http::ClientRequest request;
    request.method = "POST";
    request.url = as_->registration_endpoint;
    request.headers.Set("Content-Type", "application/json");
    request.headers.Set("Accept", "application/json");
    request.body = json::serialize(body);
    request.timeout = options_.request_timeout;
    auto response = co_await http_.Send(std::move(request));
    if (!response.ok()) {
      co_return core::Error(
          response.error().code(),
          fmt::format("{}: client registration at {} failed: {}", options_.peer_name,
                      as_->registration_endpoint, response.error().message()));
    }
    if (response->status / 100 != 2) {
      co_return core::Error::Unauthenticated("{}: client registration at {} failed: HTTP {}{}",
                                             options_.peer_name, as_->registration_endpoint,
                                             response->status, OAuthErrorOf(response->body));
    }
    auto answer = ParseJsonObject(response->body, "the client registration response");
    if (!answer.ok()) co_return answer.error();
    client_id_ = String(*answer, "client_id");
    client_secret_ = String(*answer, "client_secret");
    auth_method_ = String(*answer, "token_endpoint_auth_method");
    if (client_id_.empty()) {
      co_return core::Error::UpstreamFailure("{}: client registration returned no client_id",
                                             options_.peer_name);
    }
    co_return core::OkStatus();
  }

  // Adds client authentication to a token request.
  core::Status AuthenticateClient(std::vector<std::pair<std::string, std::string>>& fields,
                                  http::Headers& headers) const {
    if (!options_.client_private_key_pem.empty() && client_id_ == options_.client_id) {
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      json::object claims;
      claims["iss"] = client_id_;
      claims["sub"] = client_id_;
      claims["aud"] = as_->issuer;
      claims["iat"] = now;
      claims["exp"] = now + 300;
      claims["jti"] = BEDROCK_TRY(RandomToken(16));
      std::string signing_input =
          Base64Url(R"({"alg":"ES256","typ":"JWT"})") + "." + Base64Url(json::serialize(claims));
      std::string signature =
          BEDROCK_TRY(SignEs256(options_.client_private_key_pem, signing_input));
      fields.emplace_back("client_assertion_type",
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      fields.emplace_back("client_assertion", signing_input + "." + Base64Url(signature));
      return core::OkStatus();
    }
    std::string method = auth_method_;
    if (method.empty()) {
      const auto& supported = as_->token_endpoint_auth_methods_supported;
      if (client_secret_.empty()) {
        method = "none";
      } else if (supported.empty() || Contains(supported, "client_secret_basic")) {
        method = "client_secret_basic";  // RFC 8414's default
      } else if (Contains(supported, "client_secret_post")) {
        method = "client_secret_post";
      } else {
        method = "client_secret_basic";
      }
    }
    if (method == "client_secret_basic" && !client_secret_.empty()) {
      headers.Set("Authorization", "Basic " + Base64(PercentEncodeComponent(client_id_) + ":" +
                                                     PercentEncodeComponent(client_secret_)));
    } else if (method == "client_secret_post" && !client_secret_.empty()) {
      fields.emplace_back("client_id", client_id_);
      fields.emplace_back("client_secret", client_secret_);
    } else {
      fields.emplace_back("client_id", client_id_);
    }
    return core::OkStatus();
  }

  static std::string OAuthErrorOf(std::string_view body) {
    auto o = ParseJsonObject(body, "error");
    if (!o.ok()) return {};
    std::string error = String(*o, "error"), description = String(*o, "error_description");
    if (error.empty()) return {};
    return description.empty() ? fmt::format(" ({})", error)
                               : fmt::format(" ({}: {})", error, description);
  }

  // --- Grants. ---

  asio::awaitable<core::Status> AuthorizationCode(const std::string& scope) {
    if (!options_.authorize) {
      co_return core::Error::Unauthenticated(
          "{} requires OAuth authorization, and no interactive authorization is available here",
          options_.peer_name);
    }
    if (as_->authorization_endpoint.empty()) {
      co_return core::Error::Unauthenticated(
          "{}: the authorization server {} has no authorization endpoint", options_.peer_name,
          as_->issuer);
    }
    if (metadata_discovered_ && !Contains(as_->code_challenge_methods_supported, "S256")) {
      co_return core::Error::Unauthenticated(
          "{}: the authorization server {} does not advertise PKCE S256; refusing to authorize",
          options_.peer_name, as_->issuer);
    }
    BEDROCK_CO_TRY_ASSIGN(std::string verifier, RandomToken(32));
    BEDROCK_CO_TRY_ASSIGN(std::string state, RandomToken(16));
    auto base = urls::parse_uri_reference(as_->authorization_endpoint);
    if (!base) {
      co_return core::Error::UpstreamFailure("{}: bad authorization endpoint '{}'",
                                             options_.peer_name, as_->authorization_endpoint);
    }
    urls::url authorize_url(*base);
    auto params = authorize_url.params();
    params.append({"response_type", "code"});
    params.append({"client_id", client_id_});
    params.append({"redirect_uri", options_.redirect_uri});
    params.append({"state", state});
    params.append({"code_challenge", PkceS256Challenge(verifier)});
    params.append({"code_challenge_method", "S256"});
    if (!resource_.empty()) params.append({"resource", resource_});
    if (!scope.empty()) params.append({"scope", scope});

    auto redirect = co_await options_.authorize(std::string(authorize_url.buffer()));
    if (!redirect.ok()) co_return redirect.error();
    auto back = urls::parse_uri_reference(*redirect);
    if (!back) {
      co_return core::Error::Unauthenticated("{}: the authorization redirect '{}' is not a URL",
                                             options_.peer_name, *redirect);
    }
    std::map<std::string, std::string> answer;
    for (auto param : back->params()) answer[std::string(param.key)] = std::string(param.value);
    if (answer.contains("error")) {
      co_return core::Error::Unauthenticated(
          "{}: authorization was refused: {}{}", options_.peer_name, answer["error"],
          answer.contains("error_description") ? ": " + answer["error_description"] : "");
    }
    if (answer["state"] != state) {
      co_return core::Error::Unauthenticated(
          "{}: the authorization redirect carried the wrong state; possible CSRF, giving up",
          options_.peer_name);
    }
    if (auto iss = answer.find("iss");
        iss != answer.end() || as_->authorization_response_iss_parameter_supported) {
      std::string got = iss == answer.end() ? std::string() : iss->second;
      if (got != as_->issuer) {
        co_return core::Error::Unauthenticated(
            "{}: the authorization response came from issuer '{}', expected '{}' (RFC 9207)",
            options_.peer_name, got, as_->issuer);
      }
    }
    if (answer["code"].empty()) {
      co_return core::Error::Unauthenticated("{}: the authorization redirect has no code",
                                             options_.peer_name);
    }
    std::vector<std::pair<std::string, std::string>> fields = {
        {"grant_type", "authorization_code"},
        {"code", answer["code"]},
        {"redirect_uri", options_.redirect_uri},
        {"code_verifier", verifier}};
    if (!resource_.empty()) fields.emplace_back("resource", resource_);
    co_return co_await TokenRequest(std::move(fields), scope);
  }

  asio::awaitable<core::Status> ClientCredentials(const std::string& scope) {
    client_id_ = options_.client_id;
    client_secret_ = options_.client_secret;
    std::vector<std::pair<std::string, std::string>> fields = {
        {"grant_type", "client_credentials"}};
    if (!scope.empty()) fields.emplace_back("scope", scope);
    if (!resource_.empty()) fields.emplace_back("resource", resource_);
    co_return co_await TokenRequest(std::move(fields), scope);
  }

  bool UsesJwtBearer() const {
    return Contains(as_->grant_types_supported, kJwtBearerGrant) &&
           (!options_.jwt_bearer_assertion.empty() ||
            (!options_.idp_id_token.empty() && !options_.idp_token_endpoint.empty()));
  }

  // The RFC 7523 JWT bearer grant, with a workload identity token or with an identity assertion
  // the identity provider issues for this authorization server and resource (RFC 8693).
  asio::awaitable<core::Status> JwtBearer(const std::string& scope) {
    std::string assertion = options_.jwt_bearer_assertion;
    if (assertion.empty()) {
      std::vector<std::pair<std::string, std::string>> exchange = {
          {"grant_type", std::string(kTokenExchangeGrant)},
          {"requested_token_type", "urn:ietf:params:oauth:token-type:id-jag"},
          {"audience", as_->issuer},
          {"resource", resource_},
          {"subject_token", options_.idp_id_token},
          {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}};
      if (!scope.empty()) exchange.emplace_back("scope", scope);
      if (!options_.idp_client_id.empty())
        exchange.emplace_back("client_id", options_.idp_client_id);
      http::ClientRequest request;
      request.method = "POST";
      request.url = options_.idp_token_endpoint;
      request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
      request.headers.Set("Accept", "application/json");
      request.body = FormUrlEncode(exchange);
      request.timeout = options_.request_timeout;
      auto response = co_await http_.Send(std::move(request));
      if (!response.ok()) co_return response.error();
      if (response->status != 200) {
        co_return core::Error::Unauthenticated("{}: token exchange at {} failed: HTTP {}{}",
                                               options_.peer_name, options_.idp_token_endpoint,
                                               response->status, OAuthErrorOf(response->body));
      }
      auto answer = ParseJsonObject(response->body, "the token exchange response");
      if (!answer.ok()) co_return answer.error();
      assertion = String(*answer, "access_token");
      if (assertion.empty()) {
        co_return core::Error::UpstreamFailure("{}: the token exchange returned no token",
                                               options_.peer_name);
      }
    }
    client_id_ = options_.client_id;
    client_secret_ = options_.client_secret;
    std::vector<std::pair<std::string, std::string>> fields = {
        {"grant_type", std::string(kJwtBearerGrant)}, {"assertion", assertion}};
    if (!scope.empty()) fields.emplace_back("scope", scope);
    if (!resource_.empty()) fields.emplace_back("resource", resource_);
    co_return co_await TokenRequest(std::move(fields), scope);
  }

  asio::awaitable<core::Status> Refresh() {
    std::vector<std::pair<std::string, std::string>> fields = {{"grant_type", "refresh_token"},
                                                               {"refresh_token", refresh_token_}};
    if (!resource_.empty()) fields.emplace_back("resource", resource_);
    co_return co_await TokenRequest(std::move(fields),
                                    fmt::format("{}", fmt::join(granted_scopes_, " ")));
  }

  asio::awaitable<core::Status> TokenRequest(
      std::vector<std::pair<std::string, std::string>> fields, std::string requested_scope) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = as_->token_endpoint;
    BEDROCK_CO_TRY(AuthenticateClient(fields, request.headers));
    request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    request.headers.Set("Accept", "application/json");
    request.body = FormUrlEncode(fields);
    request.timeout = options_.request_timeout;
    auto response = co_await http_.Send(std::move(request));
    if (!response.ok()) {
      co_return core::Error(response.error().code(),
                            fmt::format("{}: token request to {} failed: {}", options_.peer_name,
                                        as_->token_endpoint, response.error().message()));
    }
    if (response->status != 200) {
      co_return core::Error::Unauthenticated("{}: token request to {} failed: HTTP {}{}",
                                             options_.peer_name, as_->token_endpoint,
                                             response->status, OAuthErrorOf(response->body));
    }
    auto answer = ParseJsonObject(response->body, "the token response");
    if (!answer.ok()) co_return answer.error();
    std::string token = String(*answer, "access_token");
    if (token.empty()) {
      co_return core::Error::UpstreamFailure("{}: the token response has no access_token",
                                             options_.peer_name);
    }
    std::string type = String(*answer, "token_type");
    if (!type.empty() && Lower(type) != "bearer") {
      co_return core::Error::Unimplemented("{}: unsupported token type '{}'", options_.peer_name,
                                           type);
    }
    access_token_ = std::move(token);
    if (std::string refresh = String(*answer, "refresh_token"); !refresh.empty()) {
      refresh_token_ = std::move(refresh);
    }
    expires_at_.reset();
    if (const json::value* expires = answer->if_contains("expires_in")) {
      boost::system::error_code ec;
      if (auto seconds = expires->to_number<double>(ec); !ec && seconds > 0 && seconds < 1e9) {
        expires_at_ =
            Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
      }
    }
    std::string granted = String(*answer, "scope");
    granted_scopes_ = SplitScopes(granted.empty() ? requested_scope : granted);
    spdlog::debug("oauth: obtained an access token for {}", options_.peer_name);
    co_return core::OkStatus();
  }

  http::Client http_;
  std::string server_url_;
  OAuthOptions options_;

  std::optional<ProtectedResourceMetadata> prm_;
  std::string prm_url_;
  std::optional<AuthorizationServerMetadata> as_;
  bool metadata_discovered_ = false;
  std::string resource_;

  std::string client_id_;
  std::string client_secret_;
  std::string auth_method_;

  std::string access_token_;
  std::string refresh_token_;
  std::optional<Clock::time_point> expires_at_;
  std::vector<std::string> granted_scopes_;

  bool busy_ = false;
  std::set<asio::steady_timer*> waiters_;
};

}  // namespace

std::shared_ptr<OAuthClient> CreateOAuthClient(http::Client http_client, std::string server_url,
                                               OAuthOptions options) {
  return std::make_shared<OAuthClientImpl>(std::move(http_client), std::move(server_url),
                                           std::move(options));
}

}  // namespace bedrock::mcp

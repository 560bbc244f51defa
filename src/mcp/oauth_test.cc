// The OAuth client's building blocks, and the whole flow against a fake protected resource and
// authorization server on loopback (the conformance suite's auth scenarios cover it again against
// the suite's own mocks, in tests/interop).
#include "mcp/oauth.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url.hpp>
#include <mutex>

#include "http/router.h"
#include "http/server.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::RunCoroutine;

// --- WWW-Authenticate ---

TEST(WwwAuthenticateTest, BearerWithQuotedAndTokenParams) {
  auto challenges = ParseWwwAuthenticate(
      R"(Bearer resource_metadata="http://h/.well-known/oauth-protected-resource/mcp", )"
      R"(scope="mcp:basic mcp:write", error=insufficient_scope)");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "Bearer");
  EXPECT_EQ(challenges[0].params["resource_metadata"],
            "http://h/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(challenges[0].params["scope"], "mcp:basic mcp:write");
  EXPECT_EQ(challenges[0].params["error"], "insufficient_scope");
}

TEST(WwwAuthenticateTest, SeveralChallengesAndEscapes) {
  auto challenges =
      ParseWwwAuthenticate(R"(Basic realm="a \"quoted\" realm", Bearer realm="x", scope="s")");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "Basic");
  EXPECT_EQ(challenges[0].params["realm"], R"(a "quoted" realm)");
  EXPECT_EQ(challenges[1].scheme, "Bearer");
  EXPECT_EQ(challenges[1].params["scope"], "s");
}

TEST(WwwAuthenticateTest, Token68AndBareSchemes) {
  auto challenges = ParseWwwAuthenticate("Negotiate abc123==, Bearer");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].params[""], "abc123==");
  EXPECT_EQ(challenges[1].scheme, "Bearer");
  EXPECT_TRUE(challenges[1].params.empty());
}

TEST(WwwAuthenticateTest, ParamNamesAreCaseInsensitiveAndSchemeMatchesAnyCase) {
  auto params = BearerChallengeParams(R"(bearer Scope="a")");
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ((*params)["scope"], "a");
  EXPECT_FALSE(BearerChallengeParams(R"(Basic realm="x")").has_value());
  EXPECT_FALSE(BearerChallengeParams("").has_value());
}

TEST(WwwAuthenticateTest, MalformedHeadersDoNotCrash) {
  for (std::string_view header :
       {"=", "\"", "Bearer realm=\"unterminated", ",,,", "Bearer ,=,", "a=b=c", "Bearer x=\\"}) {
    (void)ParseWwwAuthenticate(header);
  }
}

// --- Discovery URLs ---

TEST(OAuthDiscoveryTest, ProtectedResourceMetadataPathBasedThenRoot) {
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h:8443/api/mcp/"),
            (std::vector<std::string>{"https://h:8443/.well-known/oauth-protected-resource/api/mcp",
                                      "https://h:8443/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(ProtectedResourceMetadataUrls("http://h"),
            (std::vector<std::string>{"http://h/.well-known/oauth-protected-resource"}));
}

TEST(OAuthDiscoveryTest, AuthorizationServerMetadataInTheSpecsOrder) {
  EXPECT_EQ(
      AuthorizationServerMetadataUrls("https://auth.example.com"),
      (std::vector<std::string>{"https://auth.example.com/.well-known/oauth-authorization-server",
                                "https://auth.example.com/.well-known/openid-configuration"}));
  EXPECT_EQ(AuthorizationServerMetadataUrls("https://auth.example.com/tenant1/"),
            (std::vector<std::string>{
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration"}));
}

TEST(OAuthDiscoveryTest, ResourceMustCoverTheServer) {
  EXPECT_TRUE(ResourceCoversServer("http://h:1/mcp", "http://h:1/mcp"));
  EXPECT_TRUE(ResourceCoversServer("http://h:1", "http://h:1/mcp"));
  EXPECT_TRUE(ResourceCoversServer("http://h:1/", "http://h:1/mcp/"));
  EXPECT_FALSE(ResourceCoversServer("https://evil.example.com/mcp", "http://h:1/mcp"));
  EXPECT_FALSE(ResourceCoversServer("http://h:2/mcp", "http://h:1/mcp"));
  EXPECT_FALSE(ResourceCoversServer("http://h:1/mcp2", "http://h:1/mcp"));
  EXPECT_FALSE(ResourceCoversServer("http://h:1/other", "http://h:1/mcp"));
  EXPECT_FALSE(ResourceCoversServer("not a url", "http://h:1/mcp"));
}

TEST(OAuthDiscoveryTest, CanonicalResourceUri) {
  EXPECT_EQ(CanonicalResourceUri("HTTPS://Host.Example:443/mcp/#frag"), "https://host.example/mcp");
  EXPECT_EQ(CanonicalResourceUri("http://h:8080"), "http://h:8080");
}

TEST(OAuthPkceTest, S256OfKnownInput) {
  // SHA-256("abc") = ba7816bf..., base64url without padding.
  EXPECT_EQ(PkceS256Challenge("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST(OAuthFormTest, EncodesReservedCharacters) {
  EXPECT_EQ(FormUrlEncode({{"a b", "x&y=z"}, {"r", "http://h/p?q=1"}, {"u", "ü~"}}),
            "a%20b=x%26y%3Dz&r=http%3A%2F%2Fh%2Fp%3Fq%3D1&u=%C3%BC~");
}

TEST(OAuthMetadataTest, ParsesAndRequiresTheEssentials) {
  auto prm = ParseProtectedResourceMetadata(
      R"({"resource":"http://h/mcp","authorization_servers":["http://a"],"scopes_supported":["x","y"]})");
  ASSERT_TRUE(prm.ok());
  EXPECT_EQ(prm->authorization_servers, std::vector<std::string>{"http://a"});
  EXPECT_EQ(prm->scopes_supported.size(), 2u);
  EXPECT_FALSE(ParseProtectedResourceMetadata(R"({"authorization_servers":[]})").ok());
  EXPECT_FALSE(ParseProtectedResourceMetadata("[]").ok());

  auto as = ParseAuthorizationServerMetadata(
      R"({"issuer":"http://a","token_endpoint":"http://a/token","code_challenge_methods_supported":["S256"],)"
      R"("client_id_metadata_document_supported":true})");
  ASSERT_TRUE(as.ok());
  EXPECT_TRUE(as->client_id_metadata_document_supported);
  EXPECT_FALSE(as->authorization_response_iss_parameter_supported);
  EXPECT_FALSE(ParseAuthorizationServerMetadata(R"({"issuer":"http://a"})").ok());
}

// --- The whole flow against fakes. ---

// A protected resource and its authorization server on one loopback HTTP server. Records what the
// client sent.
class FakeAuthorizationServer {
 public:
  explicit FakeAuthorizationServer(std::string prm_resource_path = "/mcp",
                                   bool with_registration = true)
      : prm_resource_path_(std::move(prm_resource_path)) {
    http::Router router;
    router.Get("/.well-known/oauth-protected-resource/mcp", [this](http::RequestContext&) {
      return Json(200, json::object{{"resource", base() + prm_resource_path_},
                                    {"authorization_servers", json::array{json::value(base())}},
                                    {"scopes_supported", json::array{"mcp:read", "mcp:write"}}});
    });
    router.Get("/.well-known/oauth-authorization-server", [this, with_registration](
                                                              http::RequestContext&) {
      json::object o{{"issuer", base()},
                     {"authorization_endpoint", base() + "/authorize"},
                     {"token_endpoint", base() + "/token"},
                     {"code_challenge_methods_supported", json::array{"S256"}},
                     {"token_endpoint_auth_methods_supported", json::array{"client_secret_basic"}},
                     {"authorization_response_iss_parameter_supported", true}};
      if (with_registration) o["registration_endpoint"] = base() + "/register";
      return Json(200, std::move(o));
    });
    router.Post("/register", [this](http::RequestContext& ctx) {
      Record("register", ctx.request().body);
      return Json(201, json::object{{"client_id", "dyn-client"},
                                    {"client_secret", "dyn-secret"},
                                    {"token_endpoint_auth_method", "client_secret_basic"}});
    });
    router.Get("/authorize", [this](http::RequestContext& ctx) {
      json::object decoded;
      if (auto query = boost::urls::parse_query(ctx.request().Query())) {
        for (auto param : *query) decoded[param.key.decode()] = param.value.decode();
      }
      Record("authorize", json::serialize(decoded));
      auto query = [&](std::string_view name) {
        return ctx.request().QueryParam(name).value_or("");
      };
      {
        std::lock_guard lock(mutex_);
        challenge_ = query("code_challenge");
      }
      boost::urls::url back(query("redirect_uri"));
      back.params().append({"code", "the-code"});
      back.params().append({"state", query("state")});
      back.params().append({"iss", base()});
      http::Response response;
      response.status = 302;
      response.headers.Set("Location", std::string(back.buffer()));
      return Ready(std::move(response));
    });
    router.Post("/token", [this](http::RequestContext& ctx) {
      Record("token", ctx.request().body);
      Record("token-authorization",
             std::string(ctx.request().headers.Get("Authorization").value_or("")));
      std::string body = ctx.request().body;
      std::string verifier;
      if (auto at = body.find("code_verifier="); at != std::string::npos) {
        verifier = body.substr(at + 14, body.find('&', at) - at - 14);
      }
      {
        std::lock_guard lock(mutex_);
        pkce_matches_ = !verifier.empty() && PkceS256Challenge(verifier) == challenge_;
      }
      int n = ++tokens_issued_;
      std::lock_guard lock(mutex_);
      if (!token_error_.empty()) {
        return Json(400, json::object{{"error", token_error_}});
      }
      return Json(200, json::object{{"access_token", fmt::format("token-{}", n)},
                                    {"token_type", "Bearer"},
                                    {"expires_in", expires_in_},
                                    {"refresh_token", "refresh-1"}});
    });
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(options, std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  ~FakeAuthorizationServer() { server_->Stop(std::chrono::milliseconds(1000)); }

  std::string base() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }
  std::string mcp_url() const { return base() + "/mcp"; }
  std::string prm_url() const { return base() + "/.well-known/oauth-protected-resource/mcp"; }

  std::vector<std::string> Recorded(const std::string& what) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto& [key, value] : recorded_) {
      if (key == what) out.push_back(value);
    }
    return out;
  }
  bool pkce_matches() {
    std::lock_guard lock(mutex_);
    return pkce_matches_;
  }
  // How the token endpoint misbehaves: an OAuth error instead of a token, or this expires_in.
  void SetTokenError(std::string error) {
    std::lock_guard lock(mutex_);
    token_error_ = std::move(error);
  }
  void SetExpiresIn(json::value expires_in) {
    std::lock_guard lock(mutex_);
    expires_in_ = std::move(expires_in);
  }

 private:
  static asio::awaitable<http::Response> Ready(http::Response response) { co_return response; }
  static asio::awaitable<http::Response> Json(int status, json::object body) {
    co_return http::Response::Json(status, json::serialize(body));
  }
  void Record(std::string what, std::string value) {
    std::lock_guard lock(mutex_);
    recorded_.emplace_back(std::move(what), std::move(value));
  }

  std::string prm_resource_path_;
  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> recorded_;
  std::string challenge_;
  bool pkce_matches_ = false;
  std::string token_error_;
  json::value expires_in_ = 3600;
  std::atomic<int> tokens_issued_{0};
};

// Follows the fake's redirect the way a browser would, without a browser.
AuthorizationRedirect FollowRedirect(http::Client client) {
  return [client](std::string url) mutable -> Awaitable<core::Result<std::string>> {
    http::ClientRequest request;
    request.url = url;
    auto response = co_await client.Send(std::move(request));
    if (!response.ok()) co_return response.error();
    co_return std::string(response->headers.Get("Location").value_or(""));
  };
}

std::shared_ptr<OAuthClient> MakeClient(asio::any_io_executor ex, FakeAuthorizationServer& fake,
                                        OAuthOptions options = {}) {
  auto http_client = http::Client::Create(ex);
  EXPECT_TRUE(http_client.ok());
  options.authorize = FollowRedirect(*http_client);
  return CreateOAuthClient(*http_client, fake.mcp_url(), std::move(options));
}

std::string Challenge(FakeAuthorizationServer& fake, std::string_view extra = {}) {
  return fmt::format(R"(Bearer resource_metadata="{}"{})", fake.prm_url(), extra);
}

TEST(OAuthFlowTest, DiscoversRegistersAuthorizesWithPkceAndResource) {
  FakeAuthorizationServer fake;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    EXPECT_EQ(client->Authorization(), "");
    auto status = co_await client->HandleChallenge(401, Challenge(fake), 0);
    MCP_CO_ASSERT_OK(status);
    EXPECT_EQ(client->Authorization(), "Bearer token-1");
  });
  auto registration = fake.Recorded("register");
  ASSERT_EQ(registration.size(), 1u);
  auto body = json::parse(registration[0]).as_object();
  EXPECT_EQ(body.at("redirect_uris").at(0), "http://127.0.0.1:8976/callback");
  EXPECT_EQ(body.at("token_endpoint_auth_method"), "client_secret_basic");

  auto authorize = fake.Recorded("authorize");
  ASSERT_EQ(authorize.size(), 1u);
  auto query = json::parse(authorize[0]).as_object();
  EXPECT_EQ(query.at("resource").as_string(), fake.mcp_url());
  EXPECT_EQ(query.at("code_challenge_method"), "S256");
  EXPECT_EQ(query.at("response_type"), "code");
  EXPECT_EQ(query.at("client_id"), "dyn-client");
  // No scope in the challenge: everything the resource supports.
  EXPECT_EQ(query.at("scope"), "mcp:read mcp:write");
  std::string resource = "resource=" + FormUrlEncode({{"r", fake.mcp_url()}}).substr(2);

  auto token = fake.Recorded("token");
  ASSERT_EQ(token.size(), 1u);
  EXPECT_NE(token[0].find("grant_type=authorization_code"), std::string::npos);
  EXPECT_NE(token[0].find(resource), std::string::npos) << token[0];
  EXPECT_TRUE(fake.pkce_matches());
  // client_secret_basic: the secret travels in the header, not the form.
  EXPECT_EQ(token[0].find("client_secret"), std::string::npos);
  EXPECT_EQ(fake.Recorded("token-authorization").at(0), "Basic ZHluLWNsaWVudDpkeW4tc2VjcmV0");
}

TEST(OAuthFlowTest, StepUpRequestsTheUnionOfScopes) {
  FakeAuthorizationServer fake;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(401, Challenge(fake, R"(, scope="a")"), 0));
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(
        403, Challenge(fake, R"(, scope="b", error="insufficient_scope")"), 1));
    EXPECT_EQ(client->Authorization(), "Bearer token-2");
    EXPECT_EQ(client->granted_scopes(), (std::vector<std::string>{"a", "b"}));
  });
  auto authorize = fake.Recorded("authorize");
  ASSERT_EQ(authorize.size(), 2u);
  EXPECT_EQ(json::parse(authorize[0]).at("scope"), "a");
  EXPECT_EQ(json::parse(authorize[1]).at("scope"), "a b");
  // Discovery and registration happen once.
  EXPECT_EQ(fake.Recorded("register").size(), 1u);
}

TEST(OAuthFlowTest, GivesUpAfterTheRetryLimit) {
  FakeAuthorizationServer fake;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    auto status = co_await client->HandleChallenge(
        403, Challenge(fake, R"(, error="insufficient_scope")"), 3);
    EXPECT_FALSE(status.ok());
    if (!status.ok()) {
      EXPECT_EQ(status.error().code(), core::ErrorCode::kPermissionDenied);
      EXPECT_NE(status.error().message().find("giving up after 3"), std::string::npos);
    }
  });
  EXPECT_TRUE(fake.Recorded("authorize").empty());
}

TEST(OAuthFlowTest, ForbiddenWithoutInsufficientScopeIsNotRetried) {
  FakeAuthorizationServer fake;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    auto status = co_await client->HandleChallenge(403, R"(Bearer error="invalid_token")", 0);
    EXPECT_FALSE(status.ok());
  });
  EXPECT_TRUE(fake.Recorded("authorize").empty());
}

TEST(OAuthFlowTest, MetadataForAnotherResourceIsRefusedBeforeAuthorizing) {
  FakeAuthorizationServer fake("/elsewhere");
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    auto status = co_await client->HandleChallenge(401, Challenge(fake), 0);
    EXPECT_FALSE(status.ok());
    if (!status.ok()) {
      EXPECT_NE(status.error().message().find("refusing"), std::string::npos)
          << status.error().message();
    }
  });
  EXPECT_TRUE(fake.Recorded("authorize").empty());
  EXPECT_TRUE(fake.Recorded("register").empty());
}

TEST(OAuthFlowTest, PreRegisteredClientSkipsRegistration) {
  FakeAuthorizationServer fake("/mcp", /*with_registration=*/false);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    OAuthOptions options;
    options.client_id = "pre";
    options.client_secret = "s3cret";
    auto client = MakeClient(ex, fake, std::move(options));
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(401, Challenge(fake), 0));
  });
  EXPECT_TRUE(fake.Recorded("register").empty());
  EXPECT_EQ(fake.Recorded("token-authorization").at(0), "Basic cHJlOnMzY3JldA==");
}

TEST(OAuthFlowTest, NoRegistrationAndNoClientIdIsAClearError) {
  FakeAuthorizationServer fake("/mcp", /*with_registration=*/false);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    auto status = co_await client->HandleChallenge(401, Challenge(fake), 0);
    EXPECT_FALSE(status.ok());
    if (!status.ok()) {
      EXPECT_NE(status.error().message().find("pre-registered"), std::string::npos);
    }
  });
}

TEST(OAuthFlowTest, SecondUnauthorizedRefreshesInsteadOfAuthorizingAgain) {
  FakeAuthorizationServer fake;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(401, Challenge(fake), 0));
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(401, Challenge(fake), 0));
    EXPECT_EQ(client->Authorization(), "Bearer token-2");
  });
  EXPECT_EQ(fake.Recorded("authorize").size(), 1u);
  auto token = fake.Recorded("token");
  ASSERT_EQ(token.size(), 2u);
  EXPECT_NE(token[1].find("grant_type=refresh_token&refresh_token=refresh-1"), std::string::npos)
      << token[1];
}

TEST(OAuthFlowTest, TokenEndpointErrorIsReportedWithTheOAuthError) {
  FakeAuthorizationServer fake;
  fake.SetTokenError("invalid_grant");
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    auto status = co_await client->HandleChallenge(401, Challenge(fake), 0);
    EXPECT_FALSE(status.ok());
    if (!status.ok()) {
      EXPECT_NE(status.error().message().find("HTTP 400 (invalid_grant)"), std::string::npos)
          << status.error().message();
    }
    EXPECT_EQ(client->Authorization(), "");
  });
}

TEST(OAuthFlowTest, NonNumericExpiresInIsIgnored) {
  FakeAuthorizationServer fake;
  fake.SetExpiresIn("soon");
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(401, Challenge(fake), 0));
    EXPECT_EQ(client->Authorization(), "Bearer token-1");
    MCP_CO_ASSERT_OK(co_await client->Prepare());
    EXPECT_EQ(client->Authorization(), "Bearer token-1");
  });
}

TEST(OAuthFlowTest, ExpiringTokenIsRefreshedBeforeTheNextRequest) {
  FakeAuthorizationServer fake;
  fake.SetExpiresIn(1);  // inside the 30 s refresh margin
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = MakeClient(ex, fake);
    MCP_CO_ASSERT_OK(co_await client->HandleChallenge(401, Challenge(fake), 0));
    EXPECT_EQ(client->Authorization(), "Bearer token-1");
    MCP_CO_ASSERT_OK(co_await client->Prepare());
    EXPECT_EQ(client->Authorization(), "Bearer token-2");
  });
  EXPECT_EQ(fake.Recorded("authorize").size(), 1u);
}

TEST(OAuthFlowTest, WithoutAnAuthorizeCallbackTheErrorSaysSo) {
  FakeAuthorizationServer fake;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto http_client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(http_client);
    auto client = CreateOAuthClient(*http_client, fake.mcp_url(), OAuthOptions());
    auto status = co_await client->HandleChallenge(401, Challenge(fake), 0);
    EXPECT_FALSE(status.ok());
    if (!status.ok()) {
      EXPECT_EQ(status.error().code(), core::ErrorCode::kUnauthenticated);
      EXPECT_NE(status.error().message().find("requires OAuth authorization"), std::string::npos);
    }
  });
}

}  // namespace
}  // namespace bedrock::mcp

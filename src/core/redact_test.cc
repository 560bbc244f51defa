#include "core/redact.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace bedrock::core {
namespace {

constexpr std::string_view kAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// --- IsSecretKey ---

TEST(IsSecretKeyTest, RecognisesEveryListedSecretName) {
  for (std::string_view key : {"authorization",
                               "Authorization",
                               "proxy-authorization",
                               "Proxy-Authorization",
                               "x-api-key",
                               "X-Api-Key",
                               "api_key",
                               "apikey",
                               "api-key",
                               "apiKey",
                               "token",
                               "access_token",
                               "accessToken",
                               "refresh_token",
                               "id_token",
                               "session_token",
                               "SessionToken",
                               "aws_session_token",
                               "AWS_SESSION_TOKEN",
                               "x-amz-security-token",
                               "X-Amz-Security-Token",
                               "aws_secret_access_key",
                               "AWS_SECRET_ACCESS_KEY",
                               "secret_access_key",
                               "SecretAccessKey",
                               "secretaccesskey",
                               "password",
                               "PASSWORD",
                               "secret",
                               "client_secret",
                               "clientSecret",
                               "cookie",
                               "Cookie",
                               "set-cookie",
                               "Set-Cookie",
                               "X-Amz-Signature",
                               "X-Amz-Credential"}) {
    EXPECT_TRUE(IsSecretKey(key)) << key;
  }
}

TEST(IsSecretKeyTest, RecognisesSecretSuffixesInLongerNames) {
  for (std::string_view key : {"GITHUB_TOKEN", "OPENAI_API_KEY", "db_password", "webhook-secret",
                               "private_key", "bearer_token", "a.b.c.token"}) {
    EXPECT_TRUE(IsSecretKey(key)) << key;
  }
}

TEST(IsSecretKeyTest, KeepsOrdinaryNames) {
  for (std::string_view key :
       {"max_tokens", "maxTokens", "input_tokens", "token_count", "model", "region",
        "access_key_id", "AccessKeyId", "user", "content", "status", "path", "tokenizer", ""}) {
    EXPECT_FALSE(IsSecretKey(key)) << key;
  }
}

TEST(IsSecretKeyTest, VeryLongNameIsJudgedByItsEnding) {
  std::string long_key(200, 'x');
  EXPECT_FALSE(IsSecretKey(long_key));
  EXPECT_TRUE(IsSecretKey(long_key + "_token"));
  EXPECT_FALSE(IsSecretKey(long_key + "_x_amz_credential"));  // exact names must match whole
}

// --- RedactText: each kind of secret ---

TEST(RedactTextTest, AuthorizationHeaderValueRedactedToEndOfLine) {
  EXPECT_EQ(RedactText("Authorization: Bearer abc.def-ghi\nHost: x"),
            "Authorization: [REDACTED]\nHost: x");
  EXPECT_EQ(RedactText("proxy-authorization: Basic dXNlcjpwYXNzd29yZA=="),
            "proxy-authorization: [REDACTED]");
}

TEST(RedactTextTest, PrefixedAuthorizationHeaderRedactedToEndOfLine) {
  EXPECT_EQ(RedactText("X-Upstream-Authorization: Bearer a b[c]\nHost: x"),
            "X-Upstream-Authorization: [REDACTED]\nHost: x");
}

TEST(RedactTextTest, RedactingTwiceChangesNothingForKeysWithRedactedParts) {
  // Found by fuzz_core_redact: the key's own AWS key id is redacted first, and the second pass
  // must not then read a longer value after the (now shorter) key.
  std::string text =
      "x_AKIAIOSFODNN7EXAMPLE_Authorization: \xff\xff tokens_secret[\xff\xff"
      "a";
  std::string once = RedactText(text);
  EXPECT_EQ(RedactText(once), once);
  EXPECT_EQ(once.find("tokens_secret"), std::string::npos);
}

TEST(RedactTextTest, SigV4AuthorizationHeaderRedactedWhole) {
  std::string header =
      "authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/"
      "bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a24";
  std::string out = RedactText(header);
  EXPECT_EQ(out, "authorization: [REDACTED]");
}

TEST(RedactTextTest, BearerTokenInProseRedacted) {
  EXPECT_EQ(RedactText("retrying with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig now"),
            "retrying with Bearer [REDACTED] now");
  EXPECT_EQ(RedactText("bearer abc"), "bearer [REDACTED]");
}

TEST(RedactTextTest, BasicCredentialRedactedButTheWordBasicIsNot) {
  EXPECT_EQ(RedactText("sent Basic dXNlcjpwYXNzd29yZA=="), "sent Basic [REDACTED]");
  EXPECT_EQ(RedactText("Basic auth is disabled"), "Basic auth is disabled");
}

TEST(RedactTextTest, AwsAccessKeyIdsRedacted) {
  EXPECT_EQ(RedactText("using key AKIAIOSFODNN7EXAMPLE for s3"), "using key [REDACTED] for s3");
  EXPECT_EQ(RedactText("ASIAY34FZKBOKMUTVV7A,"), "[REDACTED],");
  EXPECT_EQ(RedactText("Credential=AKIAIOSFODNN7EXAMPLE/20240101"),
            "Credential=[REDACTED]/20240101");
  EXPECT_EQ(RedactText("id_AKIAIOSFODNN7EXAMPLE"), "id_[REDACTED]");
}

TEST(RedactTextTest, AccessKeyLookalikesKept) {
  EXPECT_EQ(RedactText("AKIAIOSFODNN7EXAMPL"), "AKIAIOSFODNN7EXAMPL");      // 19 characters
  EXPECT_EQ(RedactText("AKIAIOSFODNN7EXAMPLEX"), "AKIAIOSFODNN7EXAMPLEX");  // 21 characters
  EXPECT_EQ(RedactText("AKIAiosfodnn7example"), "AKIAiosfodnn7example");    // lower case
  EXPECT_EQ(RedactText("XKIAIOSFODNN7EXAMPLE"), "XKIAIOSFODNN7EXAMPLE");
}

TEST(RedactTextTest, JsonMembersWithSecretKeysRedacted) {
  EXPECT_EQ(RedactText(R"({"token": "abc", "model": "m"})"),
            R"({"token": "[REDACTED]", "model": "m"})");
  EXPECT_EQ(RedactText(R"({"accessToken":"a\"b","x":1})"), R"({"accessToken":"[REDACTED]","x":1})");
  EXPECT_EQ(RedactText(R"({"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})"),
            R"({"SecretAccessKey": "[REDACTED]"})");
}

TEST(RedactTextTest, JsonEscapedInsideAStringRedacted) {
  EXPECT_EQ(RedactText(R"(body="{\"refresh_token\":\"r1\",\"n\":2}")"),
            R"(body="{\"refresh_token\":\"[REDACTED]\",\"n\":2}")");
}

TEST(RedactTextTest, SingleQuotedMembersRedacted) {
  EXPECT_EQ(RedactText("{'api_key': 'abc123'}"), "{'api_key': '[REDACTED]'}");
}

TEST(RedactTextTest, QueryAndFormPairsRedacted) {
  EXPECT_EQ(RedactText("GET /cb?code=1&access_token=abc&state=s HTTP/1.1"),
            "GET /cb?code=1&access_token=[REDACTED]&state=s HTTP/1.1");
  EXPECT_EQ(RedactText("user=bob&password=hunter2"), "user=bob&password=[REDACTED]");
  EXPECT_EQ(RedactText("client_secret = s3cr3t;"), "client_secret = [REDACTED];");
}

TEST(RedactTextTest, PresignedUrlQueryParametersRedacted) {
  std::string url =
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
      "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F&X-Amz-Signature=fe5f80f77d5fa3beca038a24";
  EXPECT_EQ(RedactText(url),
            "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=[REDACTED]"
            "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
            "&X-Amz-Security-Token=[REDACTED]&X-Amz-Signature=[REDACTED]");
}

TEST(RedactTextTest, AwsSecretKeyAfterItsNameRedacted) {
  std::string ini = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = " +
                    std::string(kSecretAccessKey) + "\n";
  std::string out = RedactText(ini);
  EXPECT_EQ(out, "aws_access_key_id = [REDACTED]\naws_secret_access_key = [REDACTED]\n");
  EXPECT_EQ(RedactText("AWS_SECRET_ACCESS_KEY=" + std::string(kSecretAccessKey)),
            "AWS_SECRET_ACCESS_KEY=[REDACTED]");
}

TEST(RedactTextTest, SessionTokenHeaderRedacted) {
  EXPECT_EQ(RedactText("x-amz-security-token: IQoJb3JpZ2luX2VjEJr//////////wEaCXVz"),
            "x-amz-security-token: [REDACTED]");
  EXPECT_EQ(RedactText("AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr+/x= next"),
            "AWS_SESSION_TOKEN=[REDACTED] next");
}

TEST(RedactTextTest, ApiKeyHeaderRedacted) {
  EXPECT_EQ(RedactText("x-api-key: sk-ant-api03-abcdef"), "x-api-key: [REDACTED]");
}

TEST(RedactTextTest, CookieHeadersRedactedToEndOfLine) {
  EXPECT_EQ(RedactText("Cookie: session=abc; theme=dark"), "Cookie: [REDACTED]");
  EXPECT_EQ(RedactText("Set-Cookie: sid=xyz; HttpOnly; Secure\r\nX: y"),
            "Set-Cookie: [REDACTED]\r\nX: y");
}

TEST(RedactTextTest, WellKnownTokenShapesRedactedWithoutAKey) {
  EXPECT_EQ(RedactText("key sk-proj-abcdefghijklmnopqrstuvwxyz0123 leaked"),
            "key [REDACTED] leaked");
  EXPECT_EQ(RedactText("ghp_abcdefghijklmnopqrstuvwxyz0123456789"), "[REDACTED]");
  EXPECT_EQ(RedactText("task-force"), "task-force");
}

TEST(RedactTextTest, UnterminatedQuotedSecretRedactedToTheEnd) {
  EXPECT_EQ(RedactText(R"({"token": "abc)"), R"({"token": "[REDACTED])");
}

TEST(RedactTextTest, OrdinaryTextUnchangedAndFindsNothing) {
  for (std::string_view text :
       {"listening on 127.0.0.1:7002", "max_tokens=1024 model=claude stop=end_turn",
        "token count: 12", "POST /v1/chat/completions 200 12.3ms", "", "Bearer", "a: b = c",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"}) {
    EXPECT_TRUE(FindSecrets(text).empty()) << text;
    EXPECT_EQ(RedactText(text), text);
  }
}

TEST(RedactTextTest, EmptySecretValuesNeedNoRedaction) {
  EXPECT_EQ(RedactText("token=&x=1"), "token=&x=1");
  EXPECT_EQ(RedactText(R"({"token":""})"), R"({"token":""})");
}

TEST(RedactTextTest, RedactingTwiceChangesNothingMore) {
  for (std::string_view text :
       {"Authorization: Bearer abc", "token=abc&x=1", R"({"password":"p"})", "Bearer abc def",
        "AKIAIOSFODNN7EXAMPLE", "Basic dXNlcjpwYXNzd29yZA=="}) {
    std::string once = RedactText(text);
    EXPECT_EQ(RedactText(once), once) << text;
  }
}

TEST(FindSecretsTest, ReportsOrderedNonOverlappingSpans) {
  std::string_view text = "token=a AKIAIOSFODNN7EXAMPLE Bearer b";
  auto spans = FindSecrets(text);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(text.substr(spans[0].begin, spans[0].end - spans[0].begin), "a");
  EXPECT_EQ(text.substr(spans[1].begin, spans[1].end - spans[1].begin), kAccessKeyId);
  EXPECT_EQ(text.substr(spans[2].begin, spans[2].end - spans[2].begin), "b");
}

// --- RedactJson ---

TEST(RedactJsonTest, SecretMembersRedactedRecursively) {
  auto in = boost::json::parse(R"({
    "model": "m",
    "headers": {"Authorization": "Bearer abc", "Content-Type": "application/json"},
    "mcpServers": {"gh": {"env": {"GITHUB_TOKEN": "ghp_x", "PATH": "/bin"}}},
    "creds": [{"SecretAccessKey": "s", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}]
  })");
  auto out = RedactJson(in);
  EXPECT_EQ(out.at("model"), "m");
  EXPECT_EQ(out.at("headers").at("Authorization"), "[REDACTED]");
  EXPECT_EQ(out.at("headers").at("Content-Type"), "application/json");
  EXPECT_EQ(out.at("mcpServers").at("gh").at("env").at("GITHUB_TOKEN"), "[REDACTED]");
  EXPECT_EQ(out.at("mcpServers").at("gh").at("env").at("PATH"), "/bin");
  EXPECT_EQ(out.at("creds").at(0).at("SecretAccessKey"), "[REDACTED]");
  EXPECT_EQ(out.at("creds").at(0).at("AccessKeyId"), "[REDACTED]");  // the AKIA text rule
}

TEST(RedactJsonTest, NonStringSecretValuesRedactedAndNullKept) {
  auto out = RedactJson(boost::json::parse(R"({"pin_password": 1234, "token": null,
                                              "secret": {"a": 1}})"));
  EXPECT_EQ(out.at("pin_password"), "[REDACTED]");
  EXPECT_TRUE(out.at("token").is_null());
  EXPECT_EQ(out.at("secret"), "[REDACTED]");
}

TEST(RedactJsonTest, SecretsInsideOrdinaryStringsScrubbed) {
  auto out = RedactJson(boost::json::parse(
      R"([["authorization", "Bearer abc"], {"url": "https://x/?X-Amz-Signature=ff&a=1"}])"));
  EXPECT_EQ(out.at(0).at(1), "Bearer [REDACTED]");
  EXPECT_EQ(out.at(1).at("url"), "https://x/?X-Amz-Signature=[REDACTED]&a=1");
}

TEST(RedactJsonTest, InputIsNotModifiedAndScalarsPassThrough) {
  auto in = boost::json::parse(R"({"token": "abc", "n": 1.5, "ok": true})");
  auto copy = in;
  auto out = RedactJson(in);
  EXPECT_EQ(in, copy);
  EXPECT_EQ(out.at("n"), 1.5);
  EXPECT_EQ(out.at("ok"), true);
  EXPECT_EQ(RedactJson(boost::json::value(42)), 42);
}

TEST(RedactJsonTest, VeryDeepValueIsCutOffNotOverflowed) {
  boost::json::value deep = "leaf";
  for (int i = 0; i < 1000; ++i) {
    boost::json::array wrapper;
    wrapper.push_back(std::move(deep));
    deep = std::move(wrapper);
  }
  auto out = RedactJson(deep);
  const boost::json::value* at = &out;
  int depth = 0;
  while (at->is_array()) {
    at = &at->get_array()[0];
    ++depth;
  }
  EXPECT_EQ(*at, "[REDACTED]");
  EXPECT_LE(depth, 130);
}

}  // namespace
}  // namespace bedrock::core

#include "aws/sts.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "aws/internal/xml.h"
#include "aws/sigv4.h"
#include "aws/testing/fake_server.h"
#include "aws/verify_http.h"

namespace bedrock::aws {
namespace {

namespace asio = boost::asio;
using testing::FakeServer;
using testing::RunCo;

constexpr char kAssumeRoleXml[] =
    R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
      <Expiration>2024-01-01T01:00:00Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>)";

std::string WebIdentityXml(const std::string& key_id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<AssumeRoleWithWebIdentityResponse "
         "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
         "<AssumeRoleWithWebIdentityResult>"
         "<SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</"
         "SubjectFromWebIdentityToken>"
         "<Credentials><SessionToken>tok&amp;en</SessionToken>"
         "<SecretAccessKey>secret</SecretAccessKey>"
         "<Expiration>2024-01-01T01:00:00Z</Expiration>"
         "<AccessKeyId>" +
         key_id +
         "</AccessKeyId></Credentials>"
         "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
}

constexpr char kAccessDeniedXml[] =
    R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole</Message>
  </Error>
  <RequestId>4f4a5c2e-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>)";

constexpr char kThrottlingXml[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
    "</Message></Error><RequestId>1</RequestId></ErrorResponse>";

// --- XML reader ---

TEST(XmlTest, ParsesNestedElementsWithNamespacesAndEntities) {
  auto root = internal::ParseXml(
      "<?xml version='1.0'?><!-- hi --><a:Root xmlns:a='x'><a:Child k=\"v&amp;\">1 &lt; 2 "
      "&#65;&#x42;<![CDATA[<raw>]]></a:Child><Empty/></a:Root>");
  ASSERT_TRUE(root.ok()) << root.error();
  EXPECT_EQ(root->name, "Root");
  EXPECT_EQ(root->ChildText("Child"), "1 < 2 AB<raw>");
  ASSERT_NE(root->Child("Empty"), nullptr);
}

TEST(XmlTest, DoctypeIsRefused) {
  auto root = internal::ParseXml("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>");
  EXPECT_FALSE(root.ok());
}

TEST(XmlTest, MismatchedEndTagIsRefused) {
  EXPECT_FALSE(internal::ParseXml("<a><b></a></b>").ok());
}

TEST(XmlTest, UnclosedElementIsRefused) { EXPECT_FALSE(internal::ParseXml("<a><b></b>").ok()); }

TEST(XmlTest, UnknownEntityIsRefused) { EXPECT_FALSE(internal::ParseXml("<a>&nbsp;</a>").ok()); }

TEST(XmlTest, TwoRootsAreRefused) { EXPECT_FALSE(internal::ParseXml("<a/><b/>").ok()); }

TEST(XmlTest, TextOutsideTheRootIsRefused) { EXPECT_FALSE(internal::ParseXml("x<a/>").ok()); }

TEST(XmlTest, EmptyInputIsRefused) { EXPECT_FALSE(internal::ParseXml("").ok()); }

TEST(XmlTest, DeepNestingIsRefused) {
  std::string doc;
  for (int i = 0; i < 40; ++i) doc += "<a>";
  for (int i = 0; i < 40; ++i) doc += "</a>";
  EXPECT_FALSE(internal::ParseXml(doc).ok());
}

TEST(XmlTest, SurrogateCharacterReferenceIsRefused) {
  EXPECT_FALSE(internal::ParseXml("<a>&#xD800;</a>").ok());
}

TEST(XmlTest, UnquotedAttributeIsRefused) { EXPECT_FALSE(internal::ParseXml("<a k=v/>").ok()); }

// --- STS parsers ---

TEST(StsParseTest, AssumeRoleResponse) {
  auto creds = ParseStsCredentialsResponse(kAssumeRoleXml, "AssumeRole");
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(creds->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(creds->session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764");
  ASSERT_TRUE(creds->expiration);
  EXPECT_EQ(*creds->expiration, core::FakeClock::kDefaultStart + std::chrono::hours(1));
}

TEST(StsParseTest, WebIdentityResponseDecodesEntities) {
  auto creds = ParseStsCredentialsResponse(WebIdentityXml("ASIA1"), "AssumeRoleWithWebIdentity");
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->session_token, "tok&en");
}

TEST(StsParseTest, ResponseForAnotherActionIsRejected) {
  auto creds = ParseStsCredentialsResponse(kAssumeRoleXml, "AssumeRoleWithWebIdentity");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(StsParseTest, MissingSessionTokenIsRejected) {
  auto creds = ParseStsCredentialsResponse(
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
      "<SecretAccessKey>S</SecretAccessKey><Expiration>2024-01-01T01:00:00Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
      "AssumeRole");
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message().find("SessionToken"), std::string::npos);
}

TEST(StsParseTest, BadExpirationIsRejected) {
  auto creds = ParseStsCredentialsResponse(
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
      "<SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>"
      "<Expiration>tomorrow</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
      "AssumeRole");
  EXPECT_FALSE(creds.ok());
}

TEST(StsParseTest, TruncatedResponseIsRejected) {
  std::string xml(kAssumeRoleXml);
  EXPECT_FALSE(ParseStsCredentialsResponse(xml.substr(0, xml.size() / 2), "AssumeRole").ok());
}

TEST(StsParseTest, ErrorResponse) {
  AwsError e = ParseStsErrorResponse(403, kAccessDeniedXml);
  EXPECT_EQ(e.type, "AccessDenied");
  EXPECT_EQ(e.request_id, "4f4a5c2e-0000-0000-0000-000000000000");
  EXPECT_NE(e.message.find("not authorized"), std::string::npos);
}

TEST(StsParseTest, NonXmlErrorKeepsABodyPrefix) {
  AwsError e = ParseStsErrorResponse(502, "Bad Gateway");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.message, "Bad Gateway");
}

// --- StsClient against a fake STS ---

class StsClientTest : public ::testing::Test {
 protected:
  StsClient Client(const std::string& url) {
    auto client = http::Client::Create(io_.get_executor());
    EXPECT_TRUE(client.ok());
    RetrySleeper sleeper = [this](std::chrono::milliseconds d) -> asio::awaitable<void> {
      delays_.push_back(d);
      co_return;
    };
    return StsClient(*client, StsEndpoint{url, "eu-west-1"}, clock_, nullptr, sleeper);
  }

  asio::io_context io_;
  core::FakeClock clock_;
  std::vector<std::chrono::milliseconds> delays_;
};

TEST_F(StsClientTest, AssumeRoleIsSignedForStsWithTheSourceCredentials) {
  FakeServer sts([](const http::Request&) { return http::Response::Text(200, kAssumeRoleXml); });
  StsClient client = Client(sts.url());
  Credentials source{.access_key_id = "AKIDSOURCE", .secret_access_key = "source-secret"};
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/demo";
  params.role_session_name = "s1";
  params.external_id = "ext id";
  params.duration_seconds = 900;
  auto creds = RunCo(io_, client.AssumeRole(source, std::move(params)));
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAIOSFODNN7EXAMPLE");

  auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  const http::Request& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%"
            "3Arole%2Fdemo&RoleSessionName=s1&ExternalId=ext%20id&DurationSeconds=900");
  EXPECT_EQ(r.headers.Get("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  // An independent check: our verifier accepts the signature for service sts, region eu-west-1.
  SigV4Verifier verifier([](std::string_view id) -> std::optional<VerifierKey> {
    if (id != "AKIDSOURCE") return std::nullopt;
    return VerifierKey{.secret_access_key = "source-secret", .session_token = ""};
  });
  VerifyOptions options{.service = "sts", .region = "eu-west-1", .now = clock_.Now()};
  auto failure = VerifyHttpRequest(verifier, r, options);
  EXPECT_FALSE(failure) << failure->message;
}

TEST_F(StsClientTest, WebIdentityIsUnsignedAndCarriesTheToken) {
  FakeServer sts(
      [](const http::Request&) { return http::Response::Text(200, WebIdentityXml("ASIAWEB")); });
  StsClient client = Client(sts.url());
  WebIdentityParams params;
  params.role_arn = "arn:aws:iam::1:role/web";
  params.web_identity_token = "eyJ.token";
  auto creds = RunCo(io_, client.AssumeRoleWithWebIdentity(std::move(params)));
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(creds->access_key_id, "ASIAWEB");
  auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].headers.Contains("authorization"));
  EXPECT_NE(requests[0].body.find("WebIdentityToken=eyJ.token"), std::string::npos);
  // The default session name is derived from the clock.
  EXPECT_NE(requests[0].body.find("RoleSessionName=bedrock-mcp-1704067200000"), std::string::npos);
}

TEST_F(StsClientTest, ThrottlingIsRetried) {
  std::atomic<int> calls{0};
  FakeServer sts([&](const http::Request&) {
    if (calls++ == 0) return http::Response::Text(400, kThrottlingXml);
    return http::Response::Text(200, kAssumeRoleXml);
  });
  StsClient client = Client(sts.url());
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::1:role/r";
  auto creds =
      RunCo(io_, client.AssumeRole(Credentials{.access_key_id = "A", .secret_access_key = "S"},
                                   std::move(params)));
  ASSERT_TRUE(creds.ok()) << creds.error();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(delays_.size(), 1u);
}

TEST_F(StsClientTest, AccessDeniedIsNotRetriedAndKeepsTheCode) {
  FakeServer sts([](const http::Request&) { return http::Response::Text(403, kAccessDeniedXml); });
  StsClient client = Client(sts.url());
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::1:role/r";
  auto creds =
      RunCo(io_, client.AssumeRole(Credentials{.access_key_id = "A", .secret_access_key = "S"},
                                   std::move(params)));
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(sts.requests().size(), 1u);
  EXPECT_NE(creds.error().message().find("sts AssumeRole"), std::string::npos);
  EXPECT_NE(creds.error().message().find("AccessDenied"), std::string::npos);
}

TEST(StsEndpointTest, RegionalByDefaultAndOverriddenByEnvironment) {
  core::FakeEnv env;
  auto endpoint = ResolveStsEndpoint(env, nullptr, "default", "ap-south-1");
  EXPECT_EQ(endpoint.url, "https://sts.ap-south-1.amazonaws.com");
  EXPECT_EQ(endpoint.region, "ap-south-1");
  EXPECT_EQ(ResolveStsEndpoint(env, nullptr, "default", "").region, "us-east-1");
  env.Set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
  EXPECT_EQ(ResolveStsEndpoint(env, nullptr, "default", "ap-south-1").url, "http://127.0.0.1:9");
}

}  // namespace
}  // namespace bedrock::aws

#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "aws/testing/vectors.h"
#include "http/message.h"

namespace bedrock::aws {
namespace {

namespace fs = std::filesystem;
using std::chrono::sys_days;
using namespace std::chrono_literals;

const std::chrono::system_clock::time_point kVectorTime =
    sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;

const Credentials kExampleCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}};

// A raw request from a vector: "METHOD target HTTP/1.1", header lines (continuations start with
// whitespace), blank line, body.
struct RawRequest {
  std::string method, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<HeaderView> views;

  SignableRequest View() {
    views.clear();
    for (const auto& [n, v] : headers) views.push_back({n, v});
    return SignableRequest{method, path, query, views, body, {}};
  }
};

RawRequest ParseRawRequest(const std::string& text) {
  RawRequest r;
  size_t line_end = text.find('\n');
  std::string first = text.substr(0, line_end);
  size_t sp = first.find(' ');
  size_t http = first.rfind(" HTTP/");
  r.method = first.substr(0, sp);
  std::string target = first.substr(sp + 1, http - sp - 1);
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (pos < text.size()) r.body = text.substr(pos);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;  // obsolete line folding, kept as received
      continue;
    }
    size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::string AuthorizationLine(const std::string& signed_request) {
  const std::string prefix = "\nAuthorization:";
  size_t p = signed_request.find(prefix);
  if (p == std::string::npos) return {};
  size_t end = signed_request.find('\n', p + 1);
  return signed_request.substr(p + prefix.size(), end - p - prefix.size());
}

std::string QueryOf(const std::string& signed_request) {
  std::string first = signed_request.substr(0, signed_request.find('\n'));
  size_t q = first.find('?');
  size_t http = first.rfind(" HTTP/");
  return first.substr(q + 1, http - q - 1);
}

struct AwsCAuthCase {
  std::string name;
  fs::path dir;
};

std::vector<AwsCAuthCase> AwsCAuthCases() {
  std::vector<AwsCAuthCase> cases;
  fs::path root = testing::VectorsDir() / "sigv4" / "aws-c-auth-v4";
  if (!fs::is_directory(root)) return cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && fs::exists(entry.path() / "context.json")) {
      cases.push_back({entry.path().filename().string(), entry.path()});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

struct CaseContext {
  Credentials creds;
  SigningConfig config;
  bool omit_token = false;
};

CaseContext LoadContext(const fs::path& dir) {
  auto json = boost::json::parse(testing::ReadFile(dir / "context.json")).as_object();
  CaseContext c;
  const auto& cj = json.at("credentials").as_object();
  c.creds.access_key_id = cj.at("access_key_id").as_string().c_str();
  c.creds.secret_access_key = cj.at("secret_access_key").as_string().c_str();
  if (auto* t = cj.if_contains("token")) c.creds.session_token = t->as_string().c_str();
  c.config.region = "us-east-1";
  c.config.service = "service";
  EXPECT_EQ(json.at("region").as_string(), "us-east-1");
  EXPECT_EQ(json.at("service").as_string(), "service");
  EXPECT_EQ(json.at("timestamp").as_string(), "2015-08-30T12:36:00Z");
  c.config.time = kVectorTime;
  c.config.normalize_path = json.at("normalize").as_bool();
  c.config.add_content_sha256_header = json.at("sign_body").as_bool();
  if (auto* o = json.if_contains("omit_session_token")) c.omit_token = o->as_bool();
  c.config.sign_session_token = !c.omit_token;
  if (auto* e = json.if_contains("expiration_in_seconds")) {
    c.config.expires = std::chrono::seconds(e->to_number<int64_t>());
  }
  return c;
}

TEST(SigV4VectorsTest, VectorDirectoryHasAllAwsCAuthCases) {
  auto cases = AwsCAuthCases();
  ASSERT_FALSE(cases.empty()) << "no vectors under " << testing::VectorsDir()
                              << " (set BEDROCK_AWS_VECTORS_DIR)";
  EXPECT_GE(cases.size(), 38u);
}

TEST(SigV4VectorsTest, EveryAwsCAuthHeaderCaseMatches) {
  auto cases = AwsCAuthCases();
  ASSERT_FALSE(cases.empty());
  SigV4Signer signer;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CaseContext ctx = LoadContext(c.dir);
    RawRequest raw = ParseRawRequest(testing::ReadFile(c.dir / "request.txt"));
    SigV4Debug debug;
    SigV4Headers out = signer.Sign(raw.View(), ctx.creds, ctx.config, &debug);
    EXPECT_EQ(debug.canonical_request, testing::ReadFile(c.dir / "header-canonical-request.txt"));
    EXPECT_EQ(debug.string_to_sign, testing::ReadFile(c.dir / "header-string-to-sign.txt"));
    EXPECT_EQ(out.signature, testing::ReadFile(c.dir / "header-signature.txt"));
    EXPECT_EQ(out.authorization,
              AuthorizationLine(testing::ReadFile(c.dir / "header-signed-request.txt")));
  }
}

TEST(SigV4VectorsTest, EveryAwsCAuthQueryCaseMatches) {
  auto cases = AwsCAuthCases();
  ASSERT_FALSE(cases.empty());
  SigV4Signer signer;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CaseContext ctx = LoadContext(c.dir);
    RawRequest raw = ParseRawRequest(testing::ReadFile(c.dir / "request.txt"));
    SigV4Debug debug;
    PresignedQuery out = signer.Presign(raw.View(), ctx.creds, ctx.config, &debug);
    EXPECT_EQ(debug.canonical_request, testing::ReadFile(c.dir / "query-canonical-request.txt"));
    EXPECT_EQ(debug.string_to_sign, testing::ReadFile(c.dir / "query-string-to-sign.txt"));
    EXPECT_EQ(out.signature, testing::ReadFile(c.dir / "query-signature.txt"));
    // Same parameters as the vector's signed URL (order aside).
    auto split = [](std::string q) {
      std::vector<std::string> parts;
      size_t p = 0;
      while (p <= q.size()) {
        size_t amp = q.find('&', p);
        if (amp == std::string::npos) amp = q.size();
        parts.push_back(q.substr(p, amp - p));
        p = amp + 1;
      }
      std::sort(parts.begin(), parts.end());
      return parts;
    };
    EXPECT_EQ(split(out.query),
              split(QueryOf(testing::ReadFile(c.dir / "query-signed-request.txt"))));
  }
}

TEST(SigV4VectorsTest, EveryAwsCAuthHeaderCaseVerifies) {
  auto cases = AwsCAuthCases();
  ASSERT_FALSE(cases.empty());
  SigV4Signer signer;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CaseContext ctx = LoadContext(c.dir);
    RawRequest raw = ParseRawRequest(testing::ReadFile(c.dir / "request.txt"));
    SigV4Headers out = signer.Sign(raw.View(), ctx.creds, ctx.config);
    raw.headers.emplace_back("X-Amz-Date", out.amz_date);
    if (!out.security_token.empty())
      raw.headers.emplace_back("X-Amz-Security-Token", out.security_token);
    if (!out.content_sha256.empty())
      raw.headers.emplace_back("x-amz-content-sha256", out.content_sha256);
    raw.headers.emplace_back("Authorization", out.authorization);
    SigV4Verifier verifier([&](std::string_view id) -> std::optional<VerifierKey> {
      if (id != ctx.creds.access_key_id) return std::nullopt;
      return VerifierKey{ctx.creds.secret_access_key, ctx.creds.session_token};
    });
    VerifyOptions options{.service = "service", .region = "us-east-1", .now = kVectorTime + 1min};
    options.normalize_path = ctx.config.normalize_path;
    VerifiedRequest who;
    auto failure = verifier.Verify(raw.View(), options, &who);
    EXPECT_FALSE(failure.has_value()) << failure->aws_error_type << ": " << failure->message;
    EXPECT_EQ(who.access_key_id, "AKIDEXAMPLE");
  }
}

// The older botocore layout: <case>/<case>.{req,creq,sts,authz}; .req already has X-Amz-Date.
TEST(SigV4VectorsTest, EveryBotocoreCaseMatches) {
  fs::path root = testing::VectorsDir() / "sigv4" / "botocore-aws4_testsuite";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  SigV4Signer signer;
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".req") continue;
    fs::path base = entry.path();
    base.replace_extension();
    SCOPED_TRACE(base.string());
    RawRequest raw = ParseRawRequest(testing::ReadFile(entry.path()));
    // The suite's credentials carry a token when the expected canonical request signs one.
    Credentials creds = kExampleCreds;
    std::string creq = testing::ReadFile(base.string() + ".creq");
    if (size_t t = creq.find("\nx-amz-security-token:"); t != std::string::npos) {
      size_t begin = t + 22;
      creds.session_token = creq.substr(begin, creq.find('\n', begin) - begin);
    }
    SigningConfig config{.region = "us-east-1", .service = "service", .time = kVectorTime};
    SigV4Debug debug;
    SigV4Headers out = signer.Sign(raw.View(), creds, config, &debug);
    EXPECT_EQ(debug.canonical_request, creq);
    EXPECT_EQ(debug.string_to_sign, testing::ReadFile(base.string() + ".sts"));
    EXPECT_EQ(out.authorization, testing::ReadFile(base.string() + ".authz"));
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

// --- The Bedrock worked example (service "bedrock", double-encoded model id). ---

struct BedrockCase {
  std::string name, path, canonical_request, string_to_sign, authorization;
  std::string token;
};

std::vector<BedrockCase> BedrockCases() {
  auto json = boost::json::parse(testing::ReadFile(testing::VectorsDir() / "sigv4" /
                                                   "bedrock-worked-example.json"))
                  .as_object();
  std::vector<BedrockCase> out;
  for (const auto& v : json.at("cases").as_array()) {
    const auto& c = v.as_object();
    BedrockCase bc;
    bc.name = c.at("name").as_string().c_str();
    bc.canonical_request = c.at("canonicalRequest").as_string().c_str();
    bc.string_to_sign = c.at("stringToSign").as_string().c_str();
    const auto& h = c.at("sdkHeaders").as_object();
    bc.authorization = h.at("authorization").as_string().c_str();
    if (auto* t = h.if_contains("x-amz-security-token")) bc.token = t->as_string().c_str();
    out.push_back(bc);
  }
  return out;
}

TEST(SigV4BedrockTest, WorkedExampleCasesMatchTheSdk) {
  auto json = boost::json::parse(testing::ReadFile(testing::VectorsDir() / "sigv4" /
                                                   "bedrock-worked-example.json"))
                  .as_object();
  std::string body = json.at("body").as_string().c_str();
  auto cases = BedrockCases();
  ASSERT_EQ(cases.size(), 3u);
  SigV4Signer signer;
  EXPECT_EQ(signer.Sha256Hex(body), json.at("bodySha256").as_string());
  auto key = signer.SigningKey(kExampleCreds.secret_access_key, "20150830", "us-east-1", "bedrock");
  std::string key_hex;
  for (uint8_t b : key) key_hex += fmt::format("{:02x}", b);
  EXPECT_EQ(key_hex, json.at("signingKeyHex").as_string());

  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    // The wire path: the canonical URI minus one level of encoding.
    std::string canonical_uri =
        c.canonical_request.substr(5, c.canonical_request.find('\n', 5) - 5);
    std::string wire_path = *http::PercentDecode(canonical_uri);
    HeaderView headers[] = {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
                            {"content-type", "application/json"},
                            {"content-length", "94"}};
    SignableRequest req{.method = "POST", .path = wire_path, .headers = headers, .body = body};
    Credentials creds = kExampleCreds;
    creds.session_token = c.token;
    SigningConfig config{.region = "us-east-1",
                         .service = "bedrock",
                         .time = kVectorTime,
                         .add_content_sha256_header = true};
    SigV4Debug debug;
    SigV4Headers out = signer.Sign(req, creds, config, &debug);
    EXPECT_EQ(debug.canonical_request, c.canonical_request);
    EXPECT_EQ(debug.string_to_sign, c.string_to_sign);
    EXPECT_EQ(out.authorization, c.authorization);
    EXPECT_EQ(out.security_token, c.token);
  }
}

TEST(SigV4BedrockTest, ModelIdPathIsEncodedTwice) {
  SigV4Signer signer;
  HeaderView headers[] = {{"Host", "h"}};
  SignableRequest req{.method = "POST",
                      .path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                      .headers = headers};
  SigV4Debug debug;
  (void)signer.Sign(req, kExampleCreds,
                    {.region = "us-east-1", .service = "bedrock", .time = kVectorTime}, &debug);
  EXPECT_TRUE(debug.canonical_request.starts_with(
      "POST\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n"));
}

TEST(SigV4Test, S3StyleUsesThePathAsGiven) {
  SigV4Signer signer;
  HeaderView headers[] = {{"Host", "bucket.s3.amazonaws.com"}};
  SignableRequest req{.method = "GET", .path = "/a//b/../key%3A1", .headers = headers};
  SigV4Debug debug;
  auto out =
      signer.Sign(req, kExampleCreds, SigningConfig::S3Style("us-east-1", kVectorTime), &debug);
  EXPECT_TRUE(debug.canonical_request.starts_with("GET\n/a//b/../key%3A1\n"));
  EXPECT_EQ(out.content_sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_NE(debug.signed_headers.find("x-amz-content-sha256"), std::string::npos);
}

TEST(SigV4Test, UnsignableHeadersAreLeftOut) {
  SigV4Signer signer;
  HeaderView headers[] = {{"Host", "h"},
                          {"User-Agent", "x"},
                          {"Connection", "keep-alive"},
                          {"Proxy-Authorization", "p"},
                          {"X-Amzn-Trace-Id", "t"},
                          {"Accept", "a"}};
  SignableRequest req{.method = "GET", .path = "/", .headers = headers};
  SigV4Debug debug;
  (void)signer.Sign(req, kExampleCreds, {.region = "r", .service = "s", .time = kVectorTime},
                    &debug);
  EXPECT_EQ(debug.signed_headers, "accept;host;x-amz-date");
}

TEST(SigV4Test, ExistingDateAndAuthorizationHeadersAreReplaced) {
  SigV4Signer signer;
  HeaderView headers[] = {
      {"Host", "h"}, {"X-Amz-Date", "20000101T000000Z"}, {"Authorization", "old"}};
  SignableRequest req{.method = "GET", .path = "/", .headers = headers};
  SigV4Debug debug;
  auto out =
      signer.Sign(req, kExampleCreds, {.region = "r", .service = "s", .time = kVectorTime}, &debug);
  EXPECT_EQ(debug.signed_headers, "host;x-amz-date");
  EXPECT_NE(debug.canonical_request.find("x-amz-date:20150830T123600Z\n"), std::string::npos);
  EXPECT_EQ(out.amz_date, "20150830T123600Z");
}

TEST(SigV4Test, ApplyToSetsTheSignatureHeaders) {
  SigV4Headers out{"20150830T123600Z", "tok", "abc", "AWS4-HMAC-SHA256 x", "sig"};
  http::Headers headers{{"Authorization", "old"}};
  out.ApplyTo(headers);
  EXPECT_EQ(headers.Get("authorization"), "AWS4-HMAC-SHA256 x");
  EXPECT_EQ(headers.Get("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(headers.Get("x-amz-security-token"), "tok");
  EXPECT_EQ(headers.Get("x-amz-content-sha256"), "abc");
  EXPECT_EQ(headers.size(), 4u);
}

TEST(SigV4Test, SigningKeyCacheDistinguishesSecretsAndScopes) {
  SigV4Signer signer;
  auto a = signer.SigningKey("secret1", "20150830", "us-east-1", "bedrock");
  auto b = signer.SigningKey("secret2", "20150830", "us-east-1", "bedrock");
  auto c = signer.SigningKey("secret1", "20150831", "us-east-1", "bedrock");
  auto d = signer.SigningKey("secret1", "20150830", "us-west-2", "bedrock");
  auto a2 = signer.SigningKey("secret1", "20150830", "us-east-1", "bedrock");
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_EQ(a, a2);
  SigV4Signer fresh;
  EXPECT_EQ(fresh.SigningKey("secret2", "20150830", "us-east-1", "bedrock"), b);
}

TEST(SigV4Test, AmzDateFormatsAndParses) {
  EXPECT_EQ(FormatAmzDate(kVectorTime + 999ms), "20150830T123600Z");
  EXPECT_EQ(ParseAmzDate("20150830T123600Z"), kVectorTime);
  EXPECT_FALSE(ParseAmzDate("20150830T123600"));
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z"));
  EXPECT_FALSE(ParseAmzDate("2015083OT123600Z"));
}

TEST(SigV4Test, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("a b/c~d*e+", true), "a%20b/c~d%2Ae%2B");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", false), "%E1%88%B4");
}

TEST(SigV4Test, QueryWithMalformedEscapeEncodesThePercent) {
  SigV4Signer signer;
  HeaderView headers[] = {{"Host", "h"}};
  SignableRequest req{.method = "GET", .path = "/", .query = "a=%zz&b=%4", .headers = headers};
  SigV4Debug debug;
  (void)signer.Sign(req, kExampleCreds, {.region = "r", .service = "s", .time = kVectorTime},
                    &debug);
  EXPECT_NE(debug.canonical_request.find("\na=%25zz&b=%254\n"), std::string::npos);
}

TEST(SigV4Test, FreeFunctionsMatchTheSigner) {
  HeaderView headers[] = {{"Host", "h"}};
  SignableRequest req{.method = "GET", .path = "/", .headers = headers};
  SigningConfig config{.region = "r", .service = "s", .time = kVectorTime};
  SigV4Signer signer;
  EXPECT_EQ(SignRequest(req, kExampleCreds, config).authorization,
            signer.Sign(req, kExampleCreds, config).authorization);
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// --- Verification failures, one per case. ---

class SigV4VerifierTest : public ::testing::Test {
 protected:
  SigV4VerifierTest()
      : verifier_([](std::string_view id) -> std::optional<VerifierKey> {
          if (id == "AKIDEXAMPLE") return VerifierKey{kExampleCreds.secret_access_key, ""};
          if (id == "ASIATEMP") return VerifierKey{"tempsecret", "the-token"};
          return std::nullopt;
        }) {}

  // A Bedrock Converse request signed like the JS SDK does.
  void SignBedrock(const Credentials& creds = kExampleCreds) {
    raw_.method = "POST";
    raw_.path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    raw_.body = R"({"messages":[]})";
    raw_.headers = {{"host", "127.0.0.1:8080"},
                    {"content-type", "application/json"},
                    {"content-length", "15"},
                    {"user-agent", "test"}};
    auto out = signer_.Sign(raw_.View(), creds,
                            {.region = "us-east-1",
                             .service = "bedrock",
                             .time = kVectorTime,
                             .add_content_sha256_header = true});
    signed_ = out;
    raw_.headers.emplace_back("x-amz-date", out.amz_date);
    if (!out.security_token.empty())
      raw_.headers.emplace_back("x-amz-security-token", out.security_token);
    raw_.headers.emplace_back("x-amz-content-sha256", out.content_sha256);
    raw_.headers.emplace_back("authorization", out.authorization);
  }

  void SetHeader(std::string_view name, std::string value) {
    for (auto& [n, v] : raw_.headers) {
      if (http::EqualsIgnoreCase(n, name)) v = std::move(value);
    }
  }
  void RemoveHeader(std::string_view name) {
    std::erase_if(raw_.headers,
                  [&](const auto& h) { return http::EqualsIgnoreCase(h.first, name); });
  }

  std::optional<VerifyFailure> Verify(std::chrono::system_clock::time_point now = kVectorTime) {
    VerifyOptions options{.service = "bedrock", .region = "us-east-1", .now = now};
    return verifier_.Verify(raw_.View(), options, &verified_);
  }

  SigV4Signer signer_;
  SigV4Verifier verifier_;
  RawRequest raw_;
  SigV4Headers signed_;
  VerifiedRequest verified_;
};

TEST_F(SigV4VerifierTest, AcceptsAValidSignature) {
  SignBedrock();
  auto f = Verify();
  ASSERT_FALSE(f) << f->message;
  EXPECT_EQ(verified_.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(verified_.service, "bedrock");
  EXPECT_EQ(verified_.region, "us-east-1");
  EXPECT_EQ(verified_.signed_at, kVectorTime);
}

TEST_F(SigV4VerifierTest, AcceptsTheSdkWorkedExample) {
  auto cases = BedrockCases();
  ASSERT_FALSE(cases.empty());
  auto json = boost::json::parse(testing::ReadFile(testing::VectorsDir() / "sigv4" /
                                                   "bedrock-worked-example.json"))
                  .as_object();
  const auto& c0 = json.at("cases").as_array()[0].as_object();
  raw_.method = "POST";
  raw_.path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
  raw_.body = json.at("body").as_string().c_str();
  for (const auto& [k, v] : c0.at("sdkHeaders").as_object()) {
    raw_.headers.emplace_back(std::string(k), std::string(v.as_string().c_str()));
  }
  auto f = Verify(kVectorTime + 4min);
  EXPECT_FALSE(f) << f->message;
}

TEST_F(SigV4VerifierTest, AcceptsHttp2AuthorityInsteadOfHost) {
  raw_.method = "POST";
  raw_.path = "/model/m/converse";
  raw_.headers = {{":authority", "127.0.0.1:42471"}, {"content-type", "application/json"}};
  auto out = signer_.Sign(raw_.View(), kExampleCreds,
                          {.region = "us-east-1", .service = "bedrock", .time = kVectorTime});
  raw_.headers.emplace_back("x-amz-date", out.amz_date);
  raw_.headers.emplace_back("authorization", out.authorization);
  EXPECT_NE(out.authorization.find("SignedHeaders=:authority;content-type;x-amz-date"),
            std::string::npos);
  auto f = Verify();
  EXPECT_FALSE(f) << f->message;
}

TEST_F(SigV4VerifierTest, RejectsMissingAuthentication) {
  SignBedrock();
  RemoveHeader("authorization");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "MissingAuthenticationTokenException");
  EXPECT_EQ(f->http_status, 403);
}

TEST_F(SigV4VerifierTest, RejectsATamperedBody) {
  SignBedrock();
  RemoveHeader("x-amz-content-sha256");  // make the verifier hash the body
  raw_.body = R"({"messages":[1]})";
  // The content hash header was signed; without it the signed header is missing.
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
}

TEST_F(SigV4VerifierTest, RejectsABodyThatDoesNotMatchContentSha256) {
  SignBedrock();
  raw_.body = R"({"messages":[1]})";
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "XAmzContentSHA256Mismatch");
}

TEST_F(SigV4VerifierTest, RejectsATamperedSignedHeader) {
  SignBedrock();
  SetHeader("content-type", "text/plain");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
  EXPECT_NE(f->message.find("does not match"), std::string::npos);
  EXPECT_EQ(f->ToError().code(), core::ErrorCode::kUnauthenticated);
}

TEST_F(SigV4VerifierTest, IgnoresChangesToUnsignedHeaders) {
  SignBedrock();
  SetHeader("user-agent", "other");
  EXPECT_FALSE(Verify());
}

TEST_F(SigV4VerifierTest, RejectsATamperedPath) {
  SignBedrock();
  raw_.path = "/model/other/converse";
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
}

TEST_F(SigV4VerifierTest, RejectsAWrongSecret) {
  SignBedrock(Credentials{"AKIDEXAMPLE", "wrong", "", {}});
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
}

TEST_F(SigV4VerifierTest, RejectsAnUnknownAccessKey) {
  SignBedrock(Credentials{"AKIDUNKNOWN", "x", "", {}});
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "UnrecognizedClientException");
  EXPECT_EQ(f->message, "The security token included in the request is invalid.");
}

TEST_F(SigV4VerifierTest, AcceptsTheExpectedSessionToken) {
  SignBedrock(Credentials{"ASIATEMP", "tempsecret", "the-token", {}});
  EXPECT_FALSE(Verify());
}

TEST_F(SigV4VerifierTest, RejectsAMissingSessionToken) {
  SignBedrock(Credentials{"ASIATEMP", "tempsecret", "", {}});
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "UnrecognizedClientException");
}

TEST_F(SigV4VerifierTest, RejectsAWrongSessionToken) {
  SignBedrock(Credentials{"ASIATEMP", "tempsecret", "other-token", {}});
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "UnrecognizedClientException");
}

TEST_F(SigV4VerifierTest, RejectsAnExpiredSignature) {
  SignBedrock();
  auto f = Verify(kVectorTime + 6min);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
  EXPECT_EQ(f->message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
            "(20150830T124200Z - 5 min.)");
}

TEST_F(SigV4VerifierTest, RejectsASignatureFromTheFuture) {
  SignBedrock();
  auto f = Verify(kVectorTime - 6min);
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("Signature not yet current"), std::string::npos);
}

TEST_F(SigV4VerifierTest, RejectsTheWrongService) {
  raw_.headers = {{"host", "h"}};
  auto out = signer_.Sign(raw_.View(), kExampleCreds,
                          {.region = "us-east-1", .service = "s3", .time = kVectorTime});
  raw_.method = "GET";
  raw_.headers.emplace_back("x-amz-date", out.amz_date);
  raw_.headers.emplace_back("authorization", out.authorization);
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "Credential should be scoped to correct service: 'bedrock'. ");
}

TEST_F(SigV4VerifierTest, RejectsTheWrongRegion) {
  raw_.headers = {{"host", "h"}};
  auto out = signer_.Sign(raw_.View(), kExampleCreds,
                          {.region = "eu-west-1", .service = "bedrock", .time = kVectorTime});
  raw_.headers.emplace_back("x-amz-date", out.amz_date);
  raw_.headers.emplace_back("authorization", out.authorization);
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("valid region"), std::string::npos);
}

TEST_F(SigV4VerifierTest, RejectsAScopeDateThatDiffersFromXAmzDate) {
  SignBedrock();
  SetHeader("x-amz-date", "20150831T000000Z");
  auto f = Verify(kVectorTime + 12h);
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("Date in Credential scope does not match"), std::string::npos);
}

TEST_F(SigV4VerifierTest, RejectsAMissingDate) {
  SignBedrock();
  RemoveHeader("x-amz-date");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "IncompleteSignatureException");
  EXPECT_EQ(f->ToError().code(), core::ErrorCode::kInvalidArgument);
}

TEST_F(SigV4VerifierTest, RejectsAnAuthorizationWithoutSignature) {
  SignBedrock();
  SetHeader("authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=host;x-amz-date");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "IncompleteSignatureException");
}

TEST_F(SigV4VerifierTest, RejectsAnotherAlgorithm) {
  SignBedrock();
  SetHeader("authorization", "Bearer abc");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "IncompleteSignatureException");
}

TEST_F(SigV4VerifierTest, RejectsAMalformedCredential) {
  SignBedrock();
  SetHeader("authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1, "
            "SignedHeaders=host;x-amz-date, Signature=00");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "IncompleteSignatureException");
}

TEST_F(SigV4VerifierTest, RejectsSignedHeadersWithoutHost) {
  SignBedrock();
  std::string auth = signed_.authorization;
  auth.replace(auth.find("host;"), 5, "");
  SetHeader("authorization", auth);
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("'Host' or ':authority'"), std::string::npos);
}

TEST_F(SigV4VerifierTest, RejectsAShortSignature) {
  SignBedrock();
  std::string auth = signed_.authorization;
  auth.resize(auth.size() - 1);
  SetHeader("authorization", auth);
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
}

TEST_F(SigV4VerifierTest, AcceptsAPresignedUrl) {
  raw_.method = "GET";
  raw_.path = "/model/x/invoke";
  raw_.query = "foo=bar";
  raw_.headers = {{"host", "h"}};
  auto out = signer_.Presign(raw_.View(), kExampleCreds,
                             {.region = "us-east-1", .service = "bedrock", .time = kVectorTime});
  raw_.query = out.query;
  auto f = Verify(kVectorTime + 30min);
  ASSERT_FALSE(f) << f->message;
  EXPECT_TRUE(verified_.presigned);
}

TEST_F(SigV4VerifierTest, RejectsAnExpiredPresignedUrl) {
  raw_.method = "GET";
  raw_.path = "/";
  raw_.headers = {{"host", "h"}};
  auto out = signer_.Presign(raw_.View(), kExampleCreds,
                             {.region = "us-east-1",
                              .service = "bedrock",
                              .time = kVectorTime,
                              .expires = std::chrono::seconds(60)});
  raw_.query = out.query;
  auto f = Verify(kVectorTime + 2min);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "Request has expired");
}

TEST_F(SigV4VerifierTest, RejectsATamperedPresignedQuery) {
  raw_.method = "GET";
  raw_.path = "/";
  raw_.query = "a=1";
  raw_.headers = {{"host", "h"}};
  auto out = signer_.Presign(raw_.View(), kExampleCreds,
                             {.region = "us-east-1", .service = "bedrock", .time = kVectorTime});
  raw_.query = out.query;
  raw_.query.replace(0, 3, "a=2");
  auto f = Verify();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->aws_error_type, "InvalidSignatureException");
}

}  // namespace
}  // namespace bedrock::aws

// The 2026-07-28 Streamable HTTP rules: era classification of a POST, the per-request envelope,
// the standard headers (Mcp-Method, Mcp-Name) and Mcp-Param-* headers checked against the body.
// Each bad input is its own test, with the spec's error.
#include "mcp/internal/modern_http.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "mcp/protocol.h"

namespace bedrock::mcp::internal {
namespace {

namespace json = boost::json;

constexpr std::string_view kMeta =
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
    R"("io.modelcontextprotocol/clientCapabilities":{}})";

Request ModernRequest(std::string method, std::string params_without_meta = "") {
  std::string params = "{" + params_without_meta + (params_without_meta.empty() ? "" : ",") +
                       std::string(kMeta) + "}";
  return Request{RequestId(7), std::move(method), json::parse(params)};
}

http::Headers ModernHeaders(std::string_view method, std::string_view name = {}) {
  http::Headers headers;
  headers.Set("MCP-Protocol-Version", "2026-07-28");
  headers.Set("Mcp-Method", std::string(method));
  if (!name.empty()) headers.Set("Mcp-Name", std::string(name));
  return headers;
}

EraDecision Classify(const http::Headers& headers, const Request& request) {
  return ClassifyPost(headers, request);
}

int RejectedWith(const EraDecision& decision) {
  return decision.rejection ? decision.rejection->error.code : 0;
}

// --- Era. ---

TEST(ModernHttpClassifyTest, InitializeWithoutEnvelopeIsLegacy) {
  Request init{RequestId(1), "initialize", json::parse(R"({"protocolVersion":"2025-11-25"})")};
  auto decision = Classify(http::Headers(), init);
  EXPECT_EQ(decision.era, Era::kLegacy);
  EXPECT_FALSE(decision.rejection);
}

TEST(ModernHttpClassifyTest, LegacySessionRequestIsLegacy) {
  http::Headers headers;
  headers.Set("MCP-Protocol-Version", "2025-11-25");
  Request list{RequestId(2), "tools/list", json::object()};
  auto decision = Classify(headers, list);
  EXPECT_EQ(decision.era, Era::kLegacy);
  EXPECT_FALSE(decision.rejection);
}

TEST(ModernHttpClassifyTest, EnvelopedRequestWithHeadersIsModern) {
  auto decision = Classify(ModernHeaders("tools/list"), ModernRequest("tools/list"));
  EXPECT_EQ(decision.era, Era::kModern);
  EXPECT_FALSE(decision.rejection);
}

TEST(ModernHttpClassifyTest, InitializeWithModernHeaderIsHeaderMismatch) {
  Request init{RequestId(1), "initialize", json::parse(R"({"protocolVersion":"2025-11-25"})")};
  auto decision = Classify(ModernHeaders("initialize"), init);
  EXPECT_EQ(RejectedWith(decision), kHeaderMismatch);
  EXPECT_EQ(decision.rejection->status, 400);
}

TEST(ModernHttpClassifyTest, InitializeWithModernEnvelopeIsModern) {
  auto decision = Classify(ModernHeaders("initialize"), ModernRequest("initialize"));
  EXPECT_EQ(decision.era, Era::kModern);
  EXPECT_FALSE(decision.rejection);  // and then unknown to the modern server: -32601
}

// --- The per-request envelope. ---

TEST(ModernHttpClassifyTest, ModernHeaderWithoutMetaIsInvalidParams) {
  Request request{RequestId(3), "server/discover", json::object()};
  auto decision = Classify(ModernHeaders("server/discover"), request);
  EXPECT_EQ(decision.era, Era::kModern);
  EXPECT_EQ(RejectedWith(decision), kInvalidParams);
  EXPECT_EQ(decision.rejection->status, 400);
}

TEST(ModernHttpClassifyTest, MetaWithoutProtocolVersionIsInvalidParams) {
  Request request{RequestId(3), "server/discover",
                  json::parse(R"({"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}})")};
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("server/discover"), request)), kInvalidParams);
}

TEST(ModernHttpClassifyTest, MetaWithoutClientCapabilitiesIsInvalidParams) {
  Request request{
      RequestId(3), "server/discover",
      json::parse(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}})")};
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("server/discover"), request)), kInvalidParams);
}

TEST(ModernHttpClassifyTest, UnknownLogLevelIsInvalidParams) {
  Request request{RequestId(3), "tools/list",
                  json::parse(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                              R"("io.modelcontextprotocol/clientCapabilities":{},)"
                              R"("io.modelcontextprotocol/logLevel":"loud"}})")};
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("tools/list"), request)), kInvalidParams);
}

TEST(ModernHttpClassifyTest, MissingClientInfoIsFine) {
  EXPECT_FALSE(Classify(ModernHeaders("tools/list"), ModernRequest("tools/list")).rejection);
}

// --- Version. ---

TEST(ModernHttpClassifyTest, HeaderVersionDifferentFromMetaIsHeaderMismatch) {
  Request request{RequestId(3), "server/discover",
                  json::parse(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"v999",)"
                              R"("io.modelcontextprotocol/clientCapabilities":{}}})")};
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("server/discover"), request)), kHeaderMismatch);
}

TEST(ModernHttpClassifyTest, MissingVersionHeaderIsHeaderMismatch) {
  http::Headers headers;
  headers.Set("Mcp-Method", "tools/list");
  EXPECT_EQ(RejectedWith(Classify(headers, ModernRequest("tools/list"))), kHeaderMismatch);
}

TEST(ModernHttpClassifyTest, UnknownVersionIsUnsupportedWithTheSupportedList) {
  Request request{RequestId(3), "server/discover",
                  json::parse(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"v999",)"
                              R"("io.modelcontextprotocol/clientCapabilities":{}}})")};
  http::Headers headers = ModernHeaders("server/discover");
  headers.Set("MCP-Protocol-Version", "v999");
  auto decision = Classify(headers, request);
  ASSERT_EQ(RejectedWith(decision), kUnsupportedProtocolVersion);
  EXPECT_EQ(decision.rejection->status, 400);
  const json::object& data = decision.rejection->error.data.as_object();
  EXPECT_EQ(data.at("requested"), "v999");
  EXPECT_EQ(data.at("supported").as_array().at(0), "2026-07-28");
}

// --- Standard headers. ---

TEST(ModernHttpHeadersTest, MissingMcpMethodIsHeaderMismatch) {
  http::Headers headers;
  headers.Set("MCP-Protocol-Version", "2026-07-28");
  EXPECT_EQ(RejectedWith(Classify(headers, ModernRequest("tools/list"))), kHeaderMismatch);
}

TEST(ModernHttpHeadersTest, MismatchedMcpMethodIsHeaderMismatch) {
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("prompts/list"), ModernRequest("tools/list"))),
            kHeaderMismatch);
}

TEST(ModernHttpHeadersTest, McpMethodValueIsCaseSensitive) {
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("TOOLS/LIST"), ModernRequest("tools/list"))),
            kHeaderMismatch);
}

TEST(ModernHttpHeadersTest, HeaderNamesAreCaseInsensitive) {
  http::Headers headers;
  headers.Set("mcp-protocol-version", "2026-07-28");
  headers.Set("MCP-METHOD", "tools/list");
  EXPECT_FALSE(Classify(headers, ModernRequest("tools/list")).rejection);
}

TEST(ModernHttpHeadersTest, MissingMcpNameIsHeaderMismatch) {
  auto call = ModernRequest("tools/call", R"("name":"echo")");
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("tools/call"), call)), kHeaderMismatch);
}

TEST(ModernHttpHeadersTest, MismatchedMcpNameIsHeaderMismatch) {
  auto call = ModernRequest("tools/call", R"("name":"echo")");
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("tools/call", "add"), call)), kHeaderMismatch);
}

TEST(ModernHttpHeadersTest, MismatchedResourceUriIsHeaderMismatch) {
  auto read = ModernRequest("resources/read", R"("uri":"test://a")");
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("resources/read", "test://b"), read)),
            kHeaderMismatch);
}

TEST(ModernHttpHeadersTest, McpNameWithSurroundingWhitespaceMatches) {
  auto call = ModernRequest("tools/call", R"("name":"echo")");
  EXPECT_FALSE(Classify(ModernHeaders("tools/call", "  echo\t"), call).rejection);
}

TEST(ModernHttpHeadersTest, Base64McpNameIsDecodedBeforeComparing) {
  auto call = ModernRequest("tools/call", R"("name":"h\u00e9llo")");
  EXPECT_FALSE(Classify(ModernHeaders("tools/call", "=?base64?aMOpbGxv?="), call).rejection);
}

TEST(ModernHttpHeadersTest, InvalidBase64McpNameIsHeaderMismatch) {
  auto call = ModernRequest("tools/call", R"("name":"hello")");
  EXPECT_EQ(RejectedWith(Classify(ModernHeaders("tools/call", "=?base64?aGVsbG8?="), call)),
            kHeaderMismatch);
}

// --- Mcp-Param-* headers. ---

json::object RegionSchema() {
  return json::parse(R"({"type":"object","properties":{
      "region":{"type":"string","x-mcp-header":"Region"},
      "count":{"type":"integer","x-mcp-header":"Count"},
      "nested":{"type":"object","properties":{"flag":{"type":"boolean","x-mcp-header":"Flag"}}}}})")
      .as_object();
}

TEST(ModernHttpParamHeadersTest, MatchingHeadersPass) {
  http::Headers headers;
  headers.Set("Mcp-Param-Region", "us-west1");
  headers.Set("Mcp-Param-Count", "42");
  headers.Set("Mcp-Param-Flag", "true");
  auto args = json::parse(R"({"region":"us-west1","count":42,"nested":{"flag":true}})");
  EXPECT_FALSE(ValidateParamHeaders(headers, RegionSchema(), args.as_object()));
}

TEST(ModernHttpParamHeadersTest, AbsentArgumentNeedsNoHeader) {
  EXPECT_FALSE(ValidateParamHeaders(http::Headers(), RegionSchema(), json::object()));
}

TEST(ModernHttpParamHeadersTest, MissingHeaderIsHeaderMismatch) {
  auto args = json::parse(R"({"region":"us-west1"})");
  auto error = ValidateParamHeaders(http::Headers(), RegionSchema(), args.as_object());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, kHeaderMismatch);
}

TEST(ModernHttpParamHeadersTest, DifferentValueIsHeaderMismatch) {
  http::Headers headers;
  headers.Set("Mcp-Param-Region", "eu-west1");
  auto args = json::parse(R"({"region":"us-west1"})");
  EXPECT_TRUE(ValidateParamHeaders(headers, RegionSchema(), args.as_object()));
}

TEST(ModernHttpParamHeadersTest, IntegersCompareNumerically) {
  http::Headers headers;
  headers.Set("Mcp-Param-Count", "42.0");
  auto args = json::parse(R"({"count":42})");
  EXPECT_FALSE(ValidateParamHeaders(headers, RegionSchema(), args.as_object()));
}

TEST(ModernHttpParamHeadersTest, Base64ValueIsDecoded) {
  http::Headers headers;
  headers.Set("Mcp-Param-Region", "=?base64?SGVsbG8=?=");
  auto args = json::parse(R"({"region":"Hello"})");
  EXPECT_FALSE(ValidateParamHeaders(headers, RegionSchema(), args.as_object()));
}

TEST(ModernHttpParamHeadersTest, InvalidBase64IsHeaderMismatch) {
  http::Headers headers;
  headers.Set("Mcp-Param-Region", "=?base64?SGVsbG8?=");
  auto args = json::parse(R"({"region":"Hello"})");
  EXPECT_TRUE(ValidateParamHeaders(headers, RegionSchema(), args.as_object()));
}

TEST(ModernHttpStatusTest, ErrorsMapToTheSpecsStatuses) {
  EXPECT_EQ(HttpStatusForModernError(kMethodNotFound), 404);
  EXPECT_EQ(HttpStatusForModernError(kHeaderMismatch), 400);
  EXPECT_EQ(HttpStatusForModernError(kMissingRequiredClientCapability), 400);
  EXPECT_EQ(HttpStatusForModernError(kUnsupportedProtocolVersion), 400);
  EXPECT_EQ(HttpStatusForModernError(kInvalidParams), 200);
}

}  // namespace
}  // namespace bedrock::mcp::internal

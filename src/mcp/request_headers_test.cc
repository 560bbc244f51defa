// The 2026-07-28 request headers (SEP-2243) and the client's result cache (SEP-2549).
#include "mcp/request_headers.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mcp/result_cache.h"

namespace bedrock::mcp {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

json::object Tool(std::string_view input_schema) {
  json::object tool;
  tool["name"] = "t";
  tool["inputSchema"] = json::parse(input_schema);
  return tool;
}

TEST(HeaderValueTest, PlainAsciiGoesUnchanged) {
  EXPECT_EQ(EncodeHeaderValue("us-west1"), "us-west1");
  EXPECT_EQ(EncodeHeaderValue("us west 1"), "us west 1");
  EXPECT_EQ(EncodeHeaderValue(""), "");
}

TEST(HeaderValueTest, NonAsciiIsBase64Encoded) {
  EXPECT_EQ(EncodeHeaderValue("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
}

TEST(HeaderValueTest, LeadingOrTrailingSpaceIsBase64Encoded) {
  EXPECT_EQ(EncodeHeaderValue(" padded "), "=?base64?IHBhZGRlZCA=?=");
  EXPECT_EQ(EncodeHeaderValue(" x"), "=?base64?IHg=?=");
  EXPECT_EQ(EncodeHeaderValue("x "), "=?base64?eCA=?=");
}

TEST(HeaderValueTest, ControlCharactersAreBase64Encoded) {
  EXPECT_EQ(EncodeHeaderValue("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
  EXPECT_EQ(EncodeHeaderValue("a\r\nb"), "=?base64?YQ0KYg==?=");
  EXPECT_EQ(EncodeHeaderValue("\tindented"), "=?base64?CWluZGVudGVk?=");
}

TEST(HeaderValueTest, SentinelShapedValueIsEncodedToo) {
  EXPECT_EQ(EncodeHeaderValue("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
}

TEST(HeaderValueTest, DecodeInvertsEncode) {
  for (std::string_view value : {"plain", " padded ", "Hello, 世界", "=?base64?x?=", ""}) {
    EXPECT_EQ(DecodeHeaderValue(EncodeHeaderValue(value)), std::string(value));
  }
  EXPECT_FALSE(DecodeHeaderValue("=?base64?!!!?=").has_value());
}

TEST(HeaderValueDecodeTest, PlainValueIsLiteral) {
  EXPECT_EQ(*DecodeHeaderValue("us-west1"), "us-west1");
}

TEST(HeaderValueDecodeTest, SentinelIsDecoded) {
  EXPECT_EQ(*DecodeHeaderValue("=?base64?SGVsbG8=?="), "Hello");
}

TEST(HeaderValueDecodeTest, SentinelWithoutPaddingIsInvalid) {
  EXPECT_FALSE(DecodeHeaderValue("=?base64?SGVsbG8?="));
}

TEST(HeaderValueDecodeTest, SentinelWithForeignCharactersIsInvalid) {
  EXPECT_FALSE(DecodeHeaderValue("=?base64?SGVs!!!bG8=?="));
}

TEST(HeaderValueDecodeTest, HalfSentinelIsLiteral) {
  EXPECT_EQ(*DecodeHeaderValue("=?base64?SGVsbG8="), "=?base64?SGVsbG8=");
  EXPECT_EQ(*DecodeHeaderValue("SGVsbG8=?="), "SGVsbG8=?=");
}

TEST(McpNameTest, NameOrUriPerMethod) {
  json::value call = json::parse(R"({"name":"get_weather","uri":"ignored"})");
  EXPECT_EQ(McpNameFor("tools/call", call), "get_weather");
  EXPECT_EQ(McpNameFor("prompts/get", call), "get_weather");
  EXPECT_EQ(McpNameFor("resources/read", json::parse(R"({"uri":"file:///a b"})")), "file:///a b");
  EXPECT_FALSE(McpNameFor("tools/list", call).has_value());
  EXPECT_FALSE(McpNameFor("tools/call", json::parse("{}")).has_value());
}

TEST(ToolParamHeadersTest, CollectsAnnotationsWithTheirPaths) {
  auto headers = ToolParamHeaders(Tool(R"({"type":"object","properties":{
      "region":{"type":"string","x-mcp-header":"Region"},
      "query":{"type":"string"},
      "opts":{"type":"object","properties":{"dry":{"type":"boolean","x-mcp-header":"DryRun"}}}}})"));
  ASSERT_TRUE(headers.ok()) << headers.error().ToString();
  ASSERT_EQ(headers->size(), 2u);
  EXPECT_EQ((*headers)[0].name, "Region");
  EXPECT_EQ((*headers)[0].path, std::vector<std::string>{"region"});
  EXPECT_EQ((*headers)[1].name, "DryRun");
  EXPECT_EQ((*headers)[1].path, (std::vector<std::string>{"opts", "dry"}));
}

TEST(ToolParamHeadersTest, ToolWithoutSchemaHasNone) {
  json::object tool;
  tool["name"] = "bare";
  auto headers = ToolParamHeaders(tool);
  ASSERT_TRUE(headers.ok());
  EXPECT_TRUE(headers->empty());
}

TEST(ToolParamHeadersTest, EmptyNameIsRejected) {
  EXPECT_FALSE(
      ToolParamHeaders(Tool(R"({"properties":{"v":{"type":"string","x-mcp-header":""}}})")).ok());
}

TEST(ToolParamHeadersTest, SpaceInNameIsRejected) {
  EXPECT_FALSE(
      ToolParamHeaders(Tool(R"({"properties":{"v":{"type":"string","x-mcp-header":"My Region"}}})"))
          .ok());
}

TEST(ToolParamHeadersTest, ColonInNameIsRejected) {
  EXPECT_FALSE(
      ToolParamHeaders(
          Tool(R"({"properties":{"v":{"type":"string","x-mcp-header":"Region:Primary"}}})"))
          .ok());
}

TEST(ToolParamHeadersTest, NonAsciiNameIsRejected) {
  EXPECT_FALSE(
      ToolParamHeaders(Tool(R"({"properties":{"v":{"type":"string","x-mcp-header":"Région"}}})"))
          .ok());
}

TEST(ToolParamHeadersTest, ControlCharacterInNameIsRejected) {
  EXPECT_FALSE(
      ToolParamHeaders(Tool(R"({"properties":{"v":{"type":"string","x-mcp-header":"Region\t1"}}})"))
          .ok());
}

TEST(ToolParamHeadersTest, NumberTypeIsRejected) {
  EXPECT_FALSE(
      ToolParamHeaders(Tool(R"({"properties":{"v":{"type":"number","x-mcp-header":"Score"}}})"))
          .ok());
}

TEST(ToolParamHeadersTest, ObjectArrayAndNullTypesAreRejected) {
  for (std::string_view type : {"object", "array", "null"}) {
    std::string schema = std::string(R"({"properties":{"v":{"type":")") + std::string(type) +
                         R"(","x-mcp-header":"V"}}})";
    EXPECT_FALSE(ToolParamHeaders(Tool(schema)).ok()) << type;
  }
}

TEST(ToolParamHeadersTest, MissingTypeIsRejected) {
  EXPECT_FALSE(ToolParamHeaders(Tool(R"({"properties":{"v":{"x-mcp-header":"V"}}})")).ok());
}

TEST(ToolParamHeadersTest, DuplicateNamesIgnoringCaseAreRejected) {
  EXPECT_FALSE(ToolParamHeaders(Tool(R"({"properties":{
      "a":{"type":"string","x-mcp-header":"MyField"},
      "b":{"type":"string","x-mcp-header":"myfield"}}})"))
                   .ok());
}

TEST(ToolParamHeadersTest, AnnotationUnderItemsIsRejected) {
  EXPECT_FALSE(ToolParamHeaders(Tool(R"({"properties":{"list":{"type":"array",
      "items":{"type":"string","x-mcp-header":"Item"}}}})"))
                   .ok());
}

TEST(ToolParamHeadersTest, AnnotationUnderCompositionIsRejected) {
  EXPECT_FALSE(ToolParamHeaders(Tool(R"({"oneOf":[{"properties":{
      "v":{"type":"string","x-mcp-header":"V"}}}]})"))
                   .ok());
}

TEST(ParamHeadersForTest, EncodesPresentValuesAndOmitsNullOrAbsentOnes) {
  auto specs = ToolParamHeaders(Tool(R"({"properties":{
      "region":{"type":"string","x-mcp-header":"Region"},
      "priority":{"type":"integer","x-mcp-header":"Priority"},
      "verbose":{"type":"boolean","x-mcp-header":"Verbose"},
      "debug":{"type":"boolean","x-mcp-header":"Debug"},
      "note":{"type":"string","x-mcp-header":"Note"},
      "missing":{"type":"string","x-mcp-header":"Missing"}}})"));
  ASSERT_TRUE(specs.ok());
  auto headers = ParamHeadersFor(*specs, json::parse(R"({"region":"us-west1","priority":42,
      "verbose":null,"debug":true,"note":" padded "})")
                                             .as_object());
  EXPECT_EQ(headers.Get("Mcp-Param-Region"), "us-west1");
  EXPECT_EQ(headers.Get("Mcp-Param-Priority"), "42");
  EXPECT_EQ(headers.Get("Mcp-Param-Debug"), "true");
  EXPECT_EQ(headers.Get("Mcp-Param-Note"), "=?base64?IHBhZGRlZCA=?=");
  EXPECT_FALSE(headers.Contains("Mcp-Param-Verbose"));
  EXPECT_FALSE(headers.Contains("Mcp-Param-Missing"));
}

TEST(ParamHeadersForTest, NestedPathIsFollowed) {
  auto specs = ToolParamHeaders(Tool(R"({"properties":{"opts":{"type":"object","properties":{
      "dry":{"type":"boolean","x-mcp-header":"DryRun"}}}}})"));
  ASSERT_TRUE(specs.ok());
  auto headers = ParamHeadersFor(*specs, json::parse(R"({"opts":{"dry":false}})").as_object());
  EXPECT_EQ(headers.Get("Mcp-Param-DryRun"), "false");
}

// --- ResultCache ---

class ResultCacheTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
  ResultCache cache{[this] { return now; }};
};

TEST_F(ResultCacheTest, FreshEntryIsServedUntilItsTtlExpires) {
  std::string key = ResultCache::Key("tools/list", json::object());
  EXPECT_TRUE(cache.Store(key, "tools/list",
                          json::parse(R"({"resultType":"complete","ttlMs":1000,"tools":[]})")));
  now += 999ms;
  EXPECT_TRUE(cache.Find(key).has_value());
  now += 1ms;
  EXPECT_FALSE(cache.Find(key).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ResultCacheTest, ZeroMissingOrNegativeTtlIsNotKept) {
  std::string key = ResultCache::Key("tools/list", json::object());
  EXPECT_FALSE(cache.Store(key, "tools/list", json::parse(R"({"ttlMs":0,"tools":[]})")));
  EXPECT_FALSE(cache.Store(key, "tools/list", json::parse(R"({"tools":[]})")));
  EXPECT_FALSE(cache.Store(key, "tools/list", json::parse(R"({"ttlMs":-5,"tools":[]})")));
  EXPECT_FALSE(cache.Find(key).has_value());
}

TEST_F(ResultCacheTest, InputRequiredResultIsNotKept) {
  std::string key = ResultCache::Key("resources/read", json::parse(R"({"uri":"a"})"));
  EXPECT_FALSE(cache.Store(key, "resources/read",
                           json::parse(R"({"resultType":"input_required","ttlMs":1000})")));
}

TEST_F(ResultCacheTest, UncacheableMethodIsNotKept) {
  std::string key = ResultCache::Key("tools/call", json::object());
  EXPECT_FALSE(cache.Store(key, "tools/call", json::parse(R"({"ttlMs":1000,"content":[]})")));
}

TEST_F(ResultCacheTest, KeyIgnoresMetaAndRoundTripFieldsButNotCursor) {
  auto a = ResultCache::Key("tools/list", json::parse(R"({"cursor":"c","_meta":{"x":1}})"));
  auto b = ResultCache::Key("tools/list", json::parse(R"({"cursor":"c","requestState":"s"})"));
  auto c = ResultCache::Key("tools/list", json::parse(R"({"cursor":"d"})"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(ResultCache::Key("prompts/list", json::object()),
            ResultCache::Key("tools/list", json::object()));
}

TEST_F(ResultCacheTest, InvalidateMethodDropsOnlyThatMethod) {
  auto tools = ResultCache::Key("tools/list", json::object());
  auto prompts = ResultCache::Key("prompts/list", json::object());
  cache.Store(tools, "tools/list", json::parse(R"({"ttlMs":1000,"tools":[]})"));
  cache.Store(prompts, "prompts/list", json::parse(R"({"ttlMs":1000,"prompts":[]})"));
  cache.InvalidateMethod("tools/list");
  EXPECT_FALSE(cache.Find(tools).has_value());
  EXPECT_TRUE(cache.Find(prompts).has_value());
}

TEST(SharedResultCacheTest, KeepsOnlyPublicResults) {
  ResultCache shared({}, /*shared_scope_only=*/true);
  auto key = ResultCache::Key("tools/list", json::object());
  EXPECT_FALSE(shared.Store(key, "tools/list",
                            json::parse(R"({"ttlMs":1000,"cacheScope":"private","tools":[]})")));
  EXPECT_FALSE(shared.Store(key, "tools/list", json::parse(R"({"ttlMs":1000,"tools":[]})")));
  EXPECT_TRUE(shared.Store(key, "tools/list",
                           json::parse(R"({"ttlMs":1000,"cacheScope":"public","tools":[]})")));
}

TEST(ResultCacheBoundTest, OldestEntryMakesRoomWhenFull) {
  ResultCache cache({}, false, /*max_entries=*/2);
  for (int i = 0; i < 3; ++i) {
    json::object params;
    params["uri"] = std::to_string(i);
    cache.Store(ResultCache::Key("resources/read", params), "resources/read",
                json::parse(R"({"ttlMs":60000,"contents":[]})"));
  }
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace bedrock::mcp

#include "mcp/jsonrpc.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace {
namespace json = boost::json;

ParsedPayload Parse(std::string_view text, bool allow_batch = false) {
  return ParsePayload(text, ParseLimits{}, allow_batch);
}

TEST(JsonRpcParseTest, RequestWithIntegerIdKeepsType) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})");
  ASSERT_EQ(out.messages.size(), 1u);
  ASSERT_TRUE(out.errors.empty());
  const auto& request = std::get<Request>(out.messages[0]);
  EXPECT_FALSE(request.id.is_string());
  EXPECT_EQ(request.id.integer(), 7);
  EXPECT_EQ(request.method, "tools/list");
  EXPECT_EQ(Serialize(out.messages[0]),
            R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})");
}

TEST(JsonRpcParseTest, RequestWithStringIdKeepsType) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":"7","method":"ping"})");
  ASSERT_EQ(out.messages.size(), 1u);
  const auto& request = std::get<Request>(out.messages[0]);
  ASSERT_TRUE(request.id.is_string());
  EXPECT_EQ(request.id.string(), "7");
  EXPECT_NE(request.id, RequestId(int64_t{7}));
  EXPECT_EQ(Serialize(out.messages[0]), R"({"jsonrpc":"2.0","id":"7","method":"ping"})");
}

TEST(JsonRpcParseTest, NotificationHasNoId) {
  auto out = Parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Notification>(out.messages[0]));
}

TEST(JsonRpcParseTest, MetaPassesThroughUntouched) {
  auto out = Parse(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":"p","vendor/x":[1]}}})");
  ASSERT_EQ(out.messages.size(), 1u);
  const auto& params = std::get<Request>(out.messages[0]).params.as_object();
  EXPECT_EQ(params.at("_meta").at("progressToken"), "p");
  EXPECT_EQ(params.at("_meta").at("vendor/x").as_array().size(), 1u);
}

TEST(JsonRpcParseTest, ResultAndErrorResponses) {
  auto ok = Parse(R"({"jsonrpc":"2.0","id":3,"result":{"a":1}})");
  ASSERT_EQ(ok.messages.size(), 1u);
  EXPECT_TRUE(std::get<Response>(ok.messages[0]).ok());
  auto failed =
      Parse(R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"nope","data":{"x":1}}})");
  ASSERT_EQ(failed.messages.size(), 1u);
  const auto& response = std::get<Response>(failed.messages[0]);
  ASSERT_TRUE(response.error);
  EXPECT_EQ(response.error->code, kMethodNotFound);
  EXPECT_EQ(response.error->data.at("x"), 1);
  auto null_id = Parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})");
  ASSERT_EQ(null_id.messages.size(), 1u);
  EXPECT_FALSE(std::get<Response>(null_id.messages[0]).id.has_value());
}

TEST(JsonRpcParseTest, InvalidJsonIsParseError) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":1,"method":)");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kParseError);
  EXPECT_FALSE(out.errors[0].id.has_value());
}

TEST(JsonRpcParseTest, InvalidUtf8IsParseError) {
  auto out = Parse("{\"jsonrpc\":\"2.0\",\"method\":\"a\xff\"}");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kParseError);
}

TEST(JsonRpcParseTest, MissingVersionIsInvalidRequestKeepingId) {
  auto out = Parse(R"({"id":5,"method":"ping"})");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
  EXPECT_EQ(out.errors[0].id, RequestId(int64_t{5}));
}

TEST(JsonRpcParseTest, NonObjectIsInvalidRequest) {
  for (std::string_view text : {"5", "\"x\"", "null", "true"}) {
    auto out = Parse(text);
    ASSERT_EQ(out.errors.size(), 1u) << text;
    EXPECT_EQ(out.errors[0].error->code, kInvalidRequest) << text;
  }
}

TEST(JsonRpcParseTest, NullOrFractionalIdIsInvalidRequest) {
  for (std::string_view text : {R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":{},"method":"ping"})"}) {
    auto out = Parse(text);
    ASSERT_EQ(out.errors.size(), 1u) << text;
    EXPECT_EQ(out.errors[0].error->code, kInvalidRequest) << text;
  }
}

TEST(JsonRpcParseTest, ScalarParamsAreInvalidRequest) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":3})");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
}

TEST(JsonRpcParseTest, ResultAndErrorTogetherAreInvalid) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}})");
  ASSERT_EQ(out.errors.size(), 1u);
}

TEST(JsonRpcParseTest, BatchRejectedWhenRevisionHasNone) {
  auto out = Parse(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", /*allow_batch=*/false);
  EXPECT_TRUE(out.batch);
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
}

TEST(JsonRpcParseTest, BatchAcceptedFor2025_03_26WithPerElementErrors) {
  ASSERT_TRUE(AllowsBatches(kVersion2025_03_26));
  auto out = Parse(
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},3,{"jsonrpc":"2.0","method":"notifications/x"}])",
      /*allow_batch=*/true);
  EXPECT_TRUE(out.batch);
  EXPECT_EQ(out.messages.size(), 2u);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
}

TEST(JsonRpcParseTest, EmptyBatchIsInvalid) {
  auto out = Parse("[]", true);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
}

TEST(JsonRpcParseTest, OversizePayloadRejectedBeforeParsing) {
  std::string big =
      R"({"jsonrpc":"2.0","method":"x","params":{"p":")" + std::string(200, 'a') + "\"}}";
  auto out = ParsePayload(big, ParseLimits{.max_bytes = 100}, false);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
  EXPECT_NE(out.errors[0].error->message.find("exceeds"), std::string::npos);
}

TEST(JsonRpcParseTest, DeepNestingIsRejected) {
  std::string deep = R"({"jsonrpc":"2.0","method":"x","params":{"a":)" + std::string(100, '[') +
                     std::string(100, ']') + "}}";
  auto out = ParsePayload(deep, ParseLimits{.max_depth = 32}, false);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kParseError);
}

TEST(JsonRpcParseTest, UnicodeSurvivesRoundTrip) {
  auto out =
      Parse(R"({"jsonrpc":"2.0","id":"é✓","method":"tools/call","params":{"t":"日本\u00e9 😀"}})");
  ASSERT_EQ(out.messages.size(), 1u);
  auto again = Parse(Serialize(out.messages[0]));
  ASSERT_EQ(again.messages.size(), 1u);
  const auto& request = std::get<Request>(again.messages[0]);
  EXPECT_EQ(request.id.string(), "é✓");
  EXPECT_EQ(request.params.at("t"), "日本é 😀");
}

TEST(PayloadParserTest, ReusedParserReadsEachPayloadAsParsePayloadDoes) {
  PayloadParser parser(ParseLimits{});
  for (int i = 0; i < 3; ++i) {
    auto out = parser.Parse(
        R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"tools/call","params":{}})",
        false);
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(std::get<Request>(out.messages[0]).id.integer(), i);
  }
}

TEST(PayloadParserTest, InvalidJsonThenValidPayloadParses) {
  PayloadParser parser(ParseLimits{});
  auto bad = parser.Parse(R"({"jsonrpc":"2.0","id":1,"method":)", false);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].error->code, kParseError);
  auto good = parser.Parse(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", false);
  ASSERT_EQ(good.messages.size(), 1u);
  EXPECT_TRUE(good.errors.empty());
}

TEST(PayloadParserTest, TrailingBytesAfterTheValueAreParseError) {
  PayloadParser parser(ParseLimits{});
  auto out = parser.Parse(R"({"jsonrpc":"2.0","method":"x"} {})", false);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kParseError);
}

TEST(PayloadParserTest, OversizePayloadRejectedBeforeParsing) {
  PayloadParser parser(ParseLimits{.max_bytes = 100});
  auto out = parser.Parse(
      R"({"jsonrpc":"2.0","method":"x","params":{"p":")" + std::string(200, 'a') + "\"}}", false);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kInvalidRequest);
}

TEST(PayloadParserTest, DeepNestingIsRejected) {
  PayloadParser parser(ParseLimits{.max_depth = 32});
  auto out = parser.Parse(R"({"jsonrpc":"2.0","method":"x","params":{"a":)" +
                              std::string(100, '[') + std::string(100, ']') + "}}",
                          false);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error->code, kParseError);
}

TEST(PayloadParserTest, BatchFollowsTheRevisionRule) {
  PayloadParser parser(ParseLimits{});
  const std::string batch = R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":1}])";
  auto rejected = parser.Parse(batch, false);
  EXPECT_TRUE(rejected.batch);
  ASSERT_EQ(rejected.errors.size(), 1u);
  auto accepted = parser.Parse(batch, true);
  EXPECT_EQ(accepted.messages.size(), 1u);
  EXPECT_EQ(accepted.errors.size(), 1u);
}

TEST(JsonRpcSerializeTest, ErrorResponseWithNullId) {
  Message m = Response::Failure(std::nullopt, RpcError{kParseError, "bad \"json\"", nullptr});
  EXPECT_EQ(Serialize(m),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad \"json\""}})");
}

TEST(JsonRpcSerializeTest, EmptyResultIsObject) {
  Message m = Response::Success(RequestId(int64_t{1}), nullptr);
  EXPECT_EQ(Serialize(m), R"({"jsonrpc":"2.0","id":1,"result":{}})");
}

TEST(JsonRpcSerializeTest, BatchIsArray) {
  std::vector<Message> batch;
  batch.push_back(Response::Success(RequestId(int64_t{1}), json::object()));
  batch.push_back(Response::Success(RequestId(std::string("b")), json::object()));
  EXPECT_EQ(SerializeBatch(batch),
            R"([{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","id":"b","result":{}}])");
}

TEST(JsonRpcSerializeTest, LargeValueSerialisesCompletely) {
  json::object params;
  params["text"] = std::string(100000, 'x');
  Message m = Notification{"n", params};
  auto out = Parse(Serialize(m));
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(std::get<Notification>(out.messages[0]).params.at("text").as_string().size(), 100000u);
}

TEST(RpcErrorTest, PeerErrorNamesPeerAndMapsCode) {
  RpcError error{kMethodNotFound, "method not found: x", nullptr};
  core::Error converted = error.ToError("server 'fs'");
  EXPECT_EQ(converted.code(), core::ErrorCode::kUnimplemented);
  EXPECT_EQ(converted.message(), "server 'fs': method not found: x (JSON-RPC -32601)");
}

}  // namespace
}  // namespace bedrock::mcp

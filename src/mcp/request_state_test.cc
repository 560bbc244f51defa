// RequestStateCodec: the signed multi-round-trip state survives a round trip and is refused when
// tampered with, sealed under another key, presented for another request or principal, or late.
#include "mcp/request_state.h"

#include <gtest/gtest.h>

#include "core/base64.h"

namespace bedrock::mcp {
namespace {

namespace json = boost::json;

RequestStateBinding Binding(std::string name = "deploy", std::string principal = "alice") {
  return RequestStateBinding("tools/call", std::move(name), std::move(principal));
}

json::object Payload() { return json::object{{"r", json::object{{"k", 1}}}, {"s", "x"}}; }

TEST(RequestStateCodecTest, SealedStateOpensToItsPayload) {
  RequestStateCodec codec("secret");
  auto opened = codec.Open(codec.Seal(Binding(), Payload()), Binding());
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(*opened, Payload());
}

TEST(RequestStateCodecTest, ReplicaWithTheSameSecretOpensIt) {
  RequestStateCodec one("shared"), two("shared");
  EXPECT_TRUE(two.Open(one.Seal(Binding(), Payload()), Binding()).ok());
}

TEST(RequestStateCodecTest, StateSealedUnderAnotherSecretIsRejected) {
  RequestStateCodec one("one"), two("two");
  auto opened = two.Open(one.Seal(Binding(), Payload()), Binding());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(RequestStateCodecTest, RandomSecretsDiffer) {
  RequestStateCodec one, two;
  EXPECT_FALSE(two.Open(one.Seal(Binding(), Payload()), Binding()).ok());
  EXPECT_NE(NewRequestStateSecret(), NewRequestStateSecret());
  EXPECT_EQ(NewRequestStateSecret().size(), 64u);
}

TEST(RequestStateCodecTest, AppendedTextIsRejected) {
  RequestStateCodec codec("secret");
  EXPECT_FALSE(codec.Open(codec.Seal(Binding(), Payload()) + "-TAMPERED", Binding()).ok());
}

TEST(RequestStateCodecTest, ModifiedPayloadIsRejected) {
  RequestStateCodec codec("secret");
  std::string state = codec.Seal(Binding(), Payload());
  size_t dot = state.rfind('.');
  std::string payload = *core::Base64Decode(state.substr(3, dot - 3));
  payload.replace(payload.find("alice"), 5, "mallo");
  std::string forged = "v1." + core::Base64Encode(payload) + state.substr(dot);
  auto opened = codec.Open(forged, Binding());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("signature"), std::string::npos);
}

TEST(RequestStateCodecTest, GarbageIsRejected) {
  RequestStateCodec codec("secret");
  for (std::string_view bad : {"", "v1.", "v1..", "hello", "v2.abc.def", "v1.!!!.???"}) {
    EXPECT_FALSE(codec.Open(bad, Binding()).ok()) << bad;
  }
}

TEST(RequestStateCodecTest, StateOfAnotherToolIsRejected) {
  RequestStateCodec codec("secret");
  auto opened = codec.Open(codec.Seal(Binding("deploy"), Payload()), Binding("delete"));
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("another request"), std::string::npos);
}

TEST(RequestStateCodecTest, StateOfAnotherMethodIsRejected) {
  RequestStateCodec codec("secret");
  RequestStateBinding prompt("prompts/get", "deploy", "alice");
  EXPECT_FALSE(codec.Open(codec.Seal(Binding(), Payload()), prompt).ok());
}

TEST(RequestStateCodecTest, StateOfAnotherPrincipalIsRejected) {
  RequestStateCodec codec("secret");
  auto opened =
      codec.Open(codec.Seal(Binding("deploy", "alice"), Payload()), Binding("deploy", "bob"));
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("another principal"), std::string::npos);
}

TEST(RequestStateCodecTest, ExpiredStateIsRejected) {
  core::FakeClock clock;
  RequestStateCodec codec("secret", std::chrono::seconds(60), clock);
  std::string state = codec.Seal(Binding(), Payload());
  clock.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(codec.Open(state, Binding()).ok());
  clock.Advance(std::chrono::seconds(2));
  auto opened = codec.Open(state, Binding());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("expired"), std::string::npos);
}

}  // namespace
}  // namespace bedrock::mcp

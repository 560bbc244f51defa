#include "gateway/streams.h"

#include <gtest/gtest.h>

namespace bedrock::gateway {
namespace {

TEST(StreamRegistryTest, IdsHaveTheDemoFormAndAreUniqueWithinOneNanosecond) {
  StreamRegistry streams([] { return int64_t{1718000000123456789}; });
  auto a = streams.Register("alice");
  auto b = streams.Register("alice");
  EXPECT_EQ(a->id(), "stream_alice_1718000000123456789");
  EXPECT_EQ(b->id(), "stream_alice_1718000000123456790");
  EXPECT_EQ(streams.size(), 2u);
}

TEST(StreamRegistryTest, OwnerStopCancelsTheRunAndMarksTheStop) {
  StreamRegistry streams;
  auto handle = streams.Register("alice");
  EXPECT_EQ(streams.Stop("alice", handle->id()), StreamRegistry::StopResult::kStopping);
  EXPECT_TRUE(handle->cancel_token()->cancelled());
  EXPECT_TRUE(handle->stop_requested());
}

TEST(StreamRegistryTest, AnotherUserCannotStopTheStream) {
  StreamRegistry streams;
  auto handle = streams.Register("alice");
  EXPECT_EQ(streams.Stop("mallory", handle->id()), StreamRegistry::StopResult::kNotAuthorized);
  EXPECT_FALSE(handle->cancel_token()->cancelled());
}

TEST(StreamRegistryTest, UserWhoseIdIsAPrefixCannotStopTheStream) {
  StreamRegistry streams;
  auto handle = streams.Register("al_ice");
  EXPECT_EQ(streams.Stop("al", handle->id()), StreamRegistry::StopResult::kNotAuthorized);
  EXPECT_FALSE(handle->cancel_token()->cancelled());
}

TEST(StreamRegistryTest, UnknownIdOfTheCallersFormIsAcknowledged) {
  StreamRegistry streams;
  EXPECT_EQ(streams.Stop("alice", "stream_alice_1"), StreamRegistry::StopResult::kStopping);
}

TEST(StreamRegistryTest, UnknownIdOfAnotherUsersFormIsRefused) {
  StreamRegistry streams;
  EXPECT_EQ(streams.Stop("alice", "stream_bob_1"), StreamRegistry::StopResult::kNotAuthorized);
  EXPECT_EQ(streams.Stop("alice", "opaque"), StreamRegistry::StopResult::kNotAuthorized);
}

TEST(StreamRegistryTest, EndedStreamIsForgotten) {
  StreamRegistry streams;
  std::string id;
  {
    auto handle = streams.Register("alice");
    id = handle->id();
  }
  EXPECT_EQ(streams.size(), 0u);
  EXPECT_EQ(streams.Stop("alice", id), StreamRegistry::StopResult::kStopping);
}

TEST(StreamRegistryTest, StopAllCancelsEveryStreamWithoutMarkingAStop) {
  StreamRegistry streams;
  auto a = streams.Register("alice");
  auto b = streams.Register("bob");
  streams.StopAll("shutting down");
  EXPECT_TRUE(a->cancel_token()->cancelled());
  EXPECT_TRUE(b->cancel_token()->cancelled());
  EXPECT_FALSE(a->stop_requested());
  EXPECT_EQ(a->cancel_token()->reason(), "shutting down");
}

TEST(StreamRegistryTest, HandleMayOutliveTheRegistry) {
  std::shared_ptr<ChatStreamHandle> handle;
  {
    StreamRegistry streams;
    handle = streams.Register("alice");
  }
  handle.reset();  // must not touch the destroyed registry
  SUCCEED();
}

}  // namespace
}  // namespace bedrock::gateway

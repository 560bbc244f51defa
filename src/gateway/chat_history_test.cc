#include "gateway/chat_history.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

TEST(ChatHistoryTest, MessagesRoundTripWithToolsReasoningAndImages) {
  std::vector<llm::Message> messages;
  messages.push_back(llm::Message{llm::Role::kUser,
                                  {llm::TextBlock{"look"}, llm::ImageBlock{"png", "\x89PNG\0x"}}});
  messages.push_back(
      llm::Message{llm::Role::kAssistant,
                   {llm::ReasoningBlock{"hmm", "sig", ""},
                    llm::ToolUseBlock{"t1", "fs___read", json::object{{"path", "a"}}}}});
  llm::ToolResultBlock result;
  result.tool_use_id = "t1";
  result.content = {llm::TextBlock{"contents"}, llm::JsonBlock{json::object{{"k", 1}}}};
  result.status = llm::ToolResultStatus::kSuccess;
  messages.push_back(llm::Message{llm::Role::kUser, {result}});
  messages.push_back(llm::Message::AssistantText("done ✓"));
  auto rows = EncodeHistory(messages);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(DecodeHistory(rows), messages);
}

TEST(ChatHistoryTest, UnreadableRowsAreSkipped) {
  auto rows = EncodeHistory({llm::Message::UserText("a")});
  rows.insert(rows.begin(), "{broken");
  rows.push_back(R"({"role":"robot","content":[]})");
  auto messages = DecodeHistory(rows);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].Text(), "a");
}

TEST(ChatHistoryTest, SystemRoundTrips) {
  std::vector<llm::SystemBlock> system = {llm::TextBlock{"be terse"}, llm::TextBlock{"in French"}};
  EXPECT_EQ(DecodeSystem(EncodeSystem(system)), system);
  EXPECT_EQ(EncodeSystem({}), "");
  EXPECT_TRUE(DecodeSystem("").empty());
}

asio::awaitable<bool> AcquireAndHold(ConversationLocks& locks, std::string key,
                                     std::shared_ptr<agent::CancelToken> cancel,
                                     std::vector<int>& order, int me) {
  auto guard = co_await locks.Acquire(std::move(key), std::move(cancel));
  if (!guard.ok()) co_return false;
  order.push_back(me);
  co_return true;
}

TEST(ConversationLocksTest, SameKeyWaitsInArrivalOrder) {
  ConversationLocks locks;
  asio::io_context io;
  std::vector<int> order;
  std::optional<ConversationLocks::Guard> first;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto guard = co_await locks.Acquire("alice\n", nullptr);
        first.emplace(std::move(*guard));
      },
      asio::detached);
  io.restart();
  io.poll();
  ASSERT_TRUE(first.has_value());
  auto second =
      asio::co_spawn(io, AcquireAndHold(locks, "alice\n", nullptr, order, 2), asio::use_future);
  auto third =
      asio::co_spawn(io, AcquireAndHold(locks, "alice\n", nullptr, order, 3), asio::use_future);
  io.restart();
  io.poll();
  EXPECT_TRUE(order.empty());
  first.reset();
  io.restart();
  io.run();
  EXPECT_TRUE(second.get());
  EXPECT_TRUE(third.get());
  EXPECT_EQ(order, (std::vector<int>{2, 3}));
  EXPECT_EQ(locks.held(), 0u);
}

TEST(ConversationLocksTest, OtherKeysDoNotWait) {
  ConversationLocks locks;
  asio::io_context io;
  std::vector<int> order;
  std::optional<ConversationLocks::Guard> held;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto guard = co_await locks.Acquire("alice\n", nullptr);
        held.emplace(std::move(*guard));
      },
      asio::detached);
  io.restart();
  io.poll();
  auto other =
      asio::co_spawn(io, AcquireAndHold(locks, "bob\n", nullptr, order, 1), asio::use_future);
  io.restart();
  io.run();
  EXPECT_TRUE(other.get());
}

TEST(ConversationLocksTest, CancelledWaiterGivesUpAndDoesNotBlockOthers) {
  ConversationLocks locks;
  asio::io_context io;
  std::vector<int> order;
  std::optional<ConversationLocks::Guard> held;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto guard = co_await locks.Acquire("k", nullptr);
        held.emplace(std::move(*guard));
      },
      asio::detached);
  io.restart();
  io.poll();
  auto cancel = std::make_shared<agent::CancelToken>();
  auto cancelled =
      asio::co_spawn(io, AcquireAndHold(locks, "k", cancel, order, 2), asio::use_future);
  auto patient =
      asio::co_spawn(io, AcquireAndHold(locks, "k", nullptr, order, 3), asio::use_future);
  io.restart();
  io.poll();
  cancel->Cancel("stop");
  io.restart();
  io.poll();
  EXPECT_FALSE(cancelled.get());
  held.reset();
  io.restart();
  io.run();
  EXPECT_TRUE(patient.get());
  EXPECT_EQ(order, std::vector<int>{3});
}

}  // namespace
}  // namespace bedrock::gateway

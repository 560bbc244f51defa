#include "agent/approval.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include "mcp/testing/test_util.h"

namespace bedrock::agent {
namespace {
namespace asio = boost::asio;
using mcp::Awaitable;
using mcp::testing::RunCoroutine;

ApprovalRequest RequestWithId(std::string id) {
  ApprovalRequest request;
  request.approval_id = std::move(id);
  request.tool_name = "rm";
  return request;
}

TEST(InMemoryApprovalBrokerTest, DecisionBeforeWaitIsKept) {
  RunCoroutine([](asio::any_io_executor) -> Awaitable<void> {
    InMemoryApprovalBroker broker;
    broker.Open(RequestWithId("a1"));
    EXPECT_EQ(broker.Pending().size(), 1u);
    EXPECT_TRUE(broker.Resolve("a1", ApprovalVerdict::Deny("no")));
    EXPECT_FALSE(broker.Resolve("a1", ApprovalVerdict::Approve()));  // decided already
    ApprovalVerdict verdict = co_await broker.Wait("a1");
    EXPECT_FALSE(verdict.approved);
    EXPECT_EQ(verdict.reason, "no");
    EXPECT_TRUE(broker.Pending().empty());
  });
}

TEST(InMemoryApprovalBrokerTest, DecisionWakesTheWaiter) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    InMemoryApprovalBroker broker;
    broker.Open(RequestWithId("a2"));
    asio::post(ex, [&] { EXPECT_TRUE(broker.Resolve("a2", ApprovalVerdict::Approve())); });
    ApprovalVerdict verdict = co_await broker.Wait("a2");
    EXPECT_TRUE(verdict.approved);
  });
}

TEST(InMemoryApprovalBrokerTest, UnknownIdIsRefused) {
  InMemoryApprovalBroker broker;
  EXPECT_FALSE(broker.Resolve("nope", ApprovalVerdict::Approve()));
  broker.Open(RequestWithId("a3"));
  broker.Close("a3");
  EXPECT_FALSE(broker.Resolve("a3", ApprovalVerdict::Approve()));
}

TEST(NewApprovalIdTest, IdsAreLongAndDistinct) {
  std::string a = NewApprovalId(), b = NewApprovalId();
  EXPECT_EQ(a.size(), std::string("approval_").size() + 32);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace bedrock::agent

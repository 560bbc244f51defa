#include "gateway/approvals.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;

agent::ApprovalRequest Request(std::string id) {
  agent::ApprovalRequest request;
  request.approval_id = std::move(id);
  request.server_id = "fs";
  request.tool_name = "delete";
  return request;
}

TEST(ApprovalCenterTest, OwnerDecisionReachesTheWaitingRun) {
  ApprovalCenter approvals;
  auto broker = approvals.ForUser("alice");
  broker->Open(Request("approval_1"));
  asio::io_context io;
  auto verdict = asio::co_spawn(io, broker->Wait("approval_1"), asio::use_future);
  io.poll();
  EXPECT_TRUE(approvals.Resolve("alice", "approval_1", agent::ApprovalVerdict::Deny("no")));
  io.restart();
  io.run();
  auto result = verdict.get();
  EXPECT_FALSE(result.approved);
  EXPECT_EQ(result.reason, "no");
}

TEST(ApprovalCenterTest, AnotherUserCannotAnswer) {
  ApprovalCenter approvals;
  approvals.ForUser("alice")->Open(Request("approval_1"));
  EXPECT_FALSE(approvals.Resolve("mallory", "approval_1", agent::ApprovalVerdict::Approve()));
  approvals.ForUser("mallory");
  EXPECT_FALSE(approvals.Resolve("mallory", "approval_1", agent::ApprovalVerdict::Approve()));
  EXPECT_EQ(approvals.Pending("alice").size(), 1u);
}

TEST(ApprovalCenterTest, UnknownIdIsNotFound) {
  ApprovalCenter approvals;
  approvals.ForUser("alice");
  EXPECT_FALSE(approvals.Resolve("alice", "approval_x", agent::ApprovalVerdict::Approve()));
}

TEST(ApprovalCenterTest, SecondDecisionIsNotFound) {
  ApprovalCenter approvals;
  approvals.ForUser("alice")->Open(Request("approval_1"));
  EXPECT_TRUE(approvals.Resolve("alice", "approval_1", agent::ApprovalVerdict::Approve()));
  EXPECT_FALSE(approvals.Resolve("alice", "approval_1", agent::ApprovalVerdict::Deny()));
}

TEST(ApprovalBodyTest, ApprovedTrue) {
  auto verdict = ParseApprovalBody(R"({"approved": true})");
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->approved);
}

TEST(ApprovalBodyTest, ApproveSpellingAndReason) {
  auto verdict = ParseApprovalBody(R"({"approve": false, "reason": "not that file"})");
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->approved);
  EXPECT_EQ(verdict->reason, "not that file");
}

TEST(ApprovalBodyTest, MissingApprovedIsRefused) {
  EXPECT_EQ(ParseApprovalBody("{}").error().code(), core::ErrorCode::kFailedPrecondition);
}

TEST(ApprovalBodyTest, NonBooleanApprovedIsRefused) {
  EXPECT_EQ(ParseApprovalBody(R"({"approved":"yes"})").error().code(),
            core::ErrorCode::kFailedPrecondition);
}

TEST(ApprovalBodyTest, NotJsonIsInvalidArgument) {
  EXPECT_EQ(ParseApprovalBody("approved").error().code(), core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bedrock::gateway

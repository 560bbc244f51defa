// The HTTP side of tool-call approvals: each user's pending approvals, and the decisions that
// POST /v1/approve/{approval_id} brings in.
//
//   gateway::ApprovalCenter approvals;
//   request.approvals = approvals.ForUser(principal.user_id);   // the agent run opens requests
//   ...  // the stream announces message_extras.approval = {id, server, tool, arguments, ...}
//   auto verdict = gateway::ParseApprovalBody(R"({"approved": false, "reason": "not that"})");
//   bool known = approvals.Resolve(principal.user_id, id, *verdict);   // false: 404
//
// Each user has their own broker, so a user can only ever answer their own calls: another user's
// approval id is simply not found (404), which reveals nothing about it. A decision for a request
// that already timed out, was decided or whose stream ended is not found either.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/approval.h"
#include "core/result.h"

namespace bedrock::gateway {

class ApprovalCenter {
 public:
  // The broker for `user_id`'s runs (made on first use, shared by all of that user's runs).
  std::shared_ptr<agent::InMemoryApprovalBroker> ForUser(const std::string& user_id);

  // Decides one of `user_id`'s pending approvals; false when the user has none with this id.
  bool Resolve(std::string_view user_id, std::string_view approval_id,
               agent::ApprovalVerdict verdict);

  // The user's pending approvals.
  std::vector<agent::ApprovalRequest> Pending(std::string_view user_id) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<agent::InMemoryApprovalBroker>, std::less<>>
      brokers_;  // guarded by mutex_
};

// The body of POST /v1/approve/{id}: {"approved": bool, "reason"?: string} ("approve" is accepted
// for "approved"). kInvalidArgument when it is not JSON, kFailedPrecondition (422) when
// "approved" is missing or not a boolean.
core::Result<agent::ApprovalVerdict> ParseApprovalBody(std::string_view body);

}  // namespace bedrock::gateway

#include "gateway/approvals.h"

#include "gateway/chat_request.h"

namespace bedrock::gateway {

namespace json = boost::json;

std::shared_ptr<agent::InMemoryApprovalBroker> ApprovalCenter::ForUser(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  auto& broker = brokers_[user_id];
  if (!broker) broker = std::make_shared<agent::InMemoryApprovalBroker>();
  return broker;
}

bool ApprovalCenter::Resolve(std::string_view user_id, std::string_view approval_id,
                             agent::ApprovalVerdict verdict) {
  std::shared_ptr<agent::InMemoryApprovalBroker> broker;
  {
    std::lock_guard lock(mutex_);
    auto it = brokers_.find(user_id);
    if (it == brokers_.end()) return false;
    broker = it->second;
  }
  return broker->Resolve(approval_id, std::move(verdict));
}

std::vector<agent::ApprovalRequest> ApprovalCenter::Pending(std::string_view user_id) const {
  std::shared_ptr<agent::InMemoryApprovalBroker> broker;
  {
    std::lock_guard lock(mutex_);
    auto it = brokers_.find(user_id);
    if (it == brokers_.end()) return {};
    broker = it->second;
  }
  return broker->Pending();
}

core::Result<agent::ApprovalVerdict> ParseApprovalBody(std::string_view body) {
  auto parsed = ParseBodyObject(body);
  if (!parsed.ok()) return parsed.error();
  const json::object& object = *parsed;
  const json::value* approved = object.if_contains("approved");
  if (approved == nullptr) approved = object.if_contains("approve");
  if (approved == nullptr || !approved->is_bool()) {
    return core::Error::FailedPrecondition("field 'approved': required, a boolean");
  }
  agent::ApprovalVerdict verdict;
  verdict.approved = approved->as_bool();
  if (const json::value* reason = object.if_contains("reason");
      reason != nullptr && !reason->is_null()) {
    if (!reason->is_string()) {
      return core::Error::FailedPrecondition("field 'reason': expected a string");
    }
    verdict.reason = std::string(reason->as_string().subview(0, 2000));
  }
  return verdict;
}

}  // namespace bedrock::gateway

// Approvals: a tool call marked as needing one waits until the user approves or denies it.
//
// The loop, for each such call: Open(request) -> ApprovalPendingEvent out -> co_await
// Wait(id) bounded by AgentOptions::approval_timeout -> ApprovalResolvedEvent out. A timeout, or
// no broker at all, counts as a denial; the model is told which (so it can explain or try
// something else), and the call is never made.
//
// The gateway implements ApprovalBroker (or uses InMemoryApprovalBroker, one per user so a user
// can only answer their own calls) and resolves requests from its approval endpoint:
//
//   auto broker = std::make_shared<agent::InMemoryApprovalBroker>();
//   inputs.approvals = broker;
//   ...  // POST /v1/approvals/{id} {"approve": false, "reason": "not that file"}
//   bool known = broker->Resolve(id, agent::ApprovalVerdict::Deny("not that file"));
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bedrock::agent {

// What the user is asked to approve.
struct ApprovalRequest {
  std::string approval_id;  // unguessable, unique per call
  std::string tool_use_id;
  std::string server_id;
  std::string tool_name;     // the server's own name
  std::string bedrock_name;  // what the model called
  boost::json::value input;
};

struct ApprovalVerdict {
  bool approved = false;
  std::string reason;  // optional text from the user, passed to the model on denial

  static ApprovalVerdict Approve() { return ApprovalVerdict{true, {}}; }
  static ApprovalVerdict Deny(std::string why = {}) {
    return ApprovalVerdict{false, std::move(why)};
  }
};

class ApprovalBroker {
 public:
  virtual ~ApprovalBroker() = default;

  // Registers a pending request, before the run announces it, so that a decision can never arrive
  // before its request is known. Called on the run's executor.
  virtual void Open(const ApprovalRequest& request) = 0;

  // Waits for the decision on an opened request. The loop cancels the wait (asio terminal
  // cancellation) on timeout or when the run is cancelled: it must then complete promptly (its
  // value is ignored). The request is closed when this completes, however it completes.
  virtual boost::asio::awaitable<ApprovalVerdict> Wait(std::string approval_id) = 0;

  // Forgets a request that will not be waited for (the run was cancelled before). Idempotent.
  virtual void Close(std::string_view approval_id) = 0;
};

// An ApprovalBroker whose decisions come from Resolve, callable from any thread. Waiters must use
// one executor per request (the run's); Resolve posts the decision to it.
class InMemoryApprovalBroker final : public ApprovalBroker {
 public:
  void Open(const ApprovalRequest& request) override;
  boost::asio::awaitable<ApprovalVerdict> Wait(std::string approval_id) override;
  void Close(std::string_view approval_id) override;

  // Decides a pending request; false when no request with this id is open (unknown, already
  // decided, timed out).
  bool Resolve(std::string_view approval_id, ApprovalVerdict verdict);

  // The open requests, e.g. for a "pending approvals" listing.
  std::vector<ApprovalRequest> Pending() const;

 private:
  struct Entry;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;  // guarded by mutex_
};

// A fresh approval id: "approval_" + 32 hex digits from a CSPRNG-seeded generator.
std::string NewApprovalId();

}  // namespace bedrock::agent

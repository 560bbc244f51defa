#include "agent/approval.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

namespace bedrock::agent {
namespace asio = boost::asio;

// `verdict` and `waiting` are guarded by the broker's mutex; `timer` is touched only on the
// waiter's executor.
struct InMemoryApprovalBroker::Entry {
  ApprovalRequest request;
  std::optional<ApprovalVerdict> verdict;
  bool waiting = false;
  asio::any_io_executor executor;
  std::optional<asio::steady_timer> timer;
};

void InMemoryApprovalBroker::Open(const ApprovalRequest& request) {
  auto entry = std::make_shared<Entry>();
  entry->request = request;
  std::lock_guard lock(mutex_);
  entries_[request.approval_id] = std::move(entry);
}

asio::awaitable<ApprovalVerdict> InMemoryApprovalBroker::Wait(std::string approval_id) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(approval_id);
    if (it == entries_.end()) co_return ApprovalVerdict::Deny("the request was not open");
    entry = it->second;
    if (!entry->verdict) {
      entry->executor = executor;
      entry->timer.emplace(entry->executor, asio::steady_timer::time_point::max());
      entry->waiting = true;
    }
  }
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (entry->verdict) {
        entries_.erase(approval_id);
        co_return *entry->verdict;
      }
    }
    // Woken by Resolve (which cancels the timer) or by our own cancellation.
    (void)co_await entry->timer->async_wait(asio::as_tuple(asio::use_awaitable));
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      std::lock_guard lock(mutex_);
      entries_.erase(approval_id);
      co_return entry->verdict.value_or(ApprovalVerdict::Deny("the wait was cancelled"));
    }
  }
}

void InMemoryApprovalBroker::Close(std::string_view approval_id) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(approval_id));
}

bool InMemoryApprovalBroker::Resolve(std::string_view approval_id, ApprovalVerdict verdict) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(approval_id));
  if (it == entries_.end() || it->second->verdict) return false;
  std::shared_ptr<Entry> entry = it->second;
  entry->verdict = std::move(verdict);
  if (entry->waiting) {
    asio::post(entry->executor, [entry] { entry->timer->cancel(); });
  }
  return true;
}

std::vector<ApprovalRequest> InMemoryApprovalBroker::Pending() const {
  std::lock_guard lock(mutex_);
  std::vector<ApprovalRequest> pending;
  for (const auto& [id, entry] : entries_) {
    if (!entry->verdict) pending.push_back(entry->request);
  }
  return pending;
}

std::string NewApprovalId() {
  std::random_device random;  // the OS generator (getrandom) on Linux
  std::string id = "approval_";
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", random());
  return id;
}

}  // namespace bedrock::agent

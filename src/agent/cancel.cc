#include "agent/cancel.h"

#include <boost/asio/post.hpp>
#include <vector>

namespace bedrock::agent {

// Shared by the registration and the posted call: `active` is read and written only on the
// callback's executor, so a callback never runs after its Registration went away.
struct CancelToken::Registration::Callback {
  boost::asio::any_io_executor executor;
  std::function<void()> function;
  bool active = true;

  static void Post(const std::shared_ptr<Callback>& callback) {
    boost::asio::post(callback->executor, [callback] {
      if (!callback->active) return;
      callback->active = false;
      auto function = std::move(callback->function);
      function();
    });
  }
};

CancelToken::Registration::Registration(Registration&& other) noexcept
    : token_(other.token_), id_(other.id_), callback_(std::move(other.callback_)) {
  other.token_ = nullptr;
}

CancelToken::Registration& CancelToken::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    Reset();
    token_ = other.token_;
    id_ = other.id_;
    callback_ = std::move(other.callback_);
    other.token_ = nullptr;
  }
  return *this;
}

CancelToken::Registration::~Registration() { Reset(); }

void CancelToken::Registration::Reset() {
  if (callback_) callback_->active = false;
  if (token_ != nullptr) token_->Remove(id_);
  token_ = nullptr;
  callback_.reset();
}

void CancelToken::Cancel(std::string reason) {
  std::vector<std::shared_ptr<Registration::Callback>> to_run;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_.load(std::memory_order_relaxed)) return;
    reason_ = std::move(reason);
    cancelled_.store(true, std::memory_order_release);
    for (auto& [id, callback] : callbacks_) to_run.push_back(callback);
    callbacks_.clear();
  }
  for (auto& callback : to_run) Registration::Callback::Post(callback);
}

std::string CancelToken::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

CancelToken::Registration CancelToken::OnCancel(boost::asio::any_io_executor executor,
                                                std::function<void()> callback) {
  auto entry = std::make_shared<Registration::Callback>();
  entry->executor = std::move(executor);
  entry->function = std::move(callback);
  std::lock_guard lock(mutex_);
  if (cancelled_.load(std::memory_order_relaxed)) {
    Registration::Callback::Post(entry);
    return Registration(nullptr, 0, std::move(entry));
  }
  uint64_t id = next_id_++;
  callbacks_.emplace(id, entry);
  return Registration(this, id, std::move(entry));
}

void CancelToken::Remove(uint64_t id) {
  std::lock_guard lock(mutex_);
  callbacks_.erase(id);
}

}  // namespace bedrock::agent

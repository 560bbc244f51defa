#include "gateway/streams.h"

#include <fmt/format.h>

#include <chrono>
#include <vector>

namespace bedrock::gateway {

ChatStreamHandle::ChatStreamHandle(Private, std::weak_ptr<StreamRegistry*> registry, std::string id,
                                   std::string user_id)
    : registry_(std::move(registry)), id_(std::move(id)), user_id_(std::move(user_id)) {}

ChatStreamHandle::~ChatStreamHandle() {
  if (auto registry = registry_.lock()) (*registry)->Remove(id_);
}

StreamRegistry::StreamRegistry(std::function<int64_t()> now_ns)
    : now_ns_(std::move(now_ns)), self_(std::make_shared<StreamRegistry*>(this)) {
  if (!now_ns_) {
    now_ns_ = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

StreamRegistry::~StreamRegistry() {
  // Handles still alive see an expired registry from now on. (Handles are destroyed on other
  // threads only after the registry's users, the HTTP server's responses, are gone.)
  self_.reset();
}

std::shared_ptr<ChatStreamHandle> StreamRegistry::Register(std::string user_id) {
  int64_t now = now_ns_();
  std::lock_guard lock(mutex_);
  if (now <= last_ns_) now = last_ns_ + 1;
  last_ns_ = now;
  std::string id = fmt::format("stream_{}_{}", user_id, now);
  auto handle = std::make_shared<ChatStreamHandle>(ChatStreamHandle::Private{}, self_, id,
                                                   std::move(user_id));
  live_[id] = handle;
  return handle;
}

StreamRegistry::StopResult StreamRegistry::Stop(std::string_view user_id,
                                                std::string_view stream_id) {
  std::shared_ptr<ChatStreamHandle> handle;
  {
    std::lock_guard lock(mutex_);
    auto it = live_.find(std::string(stream_id));
    if (it != live_.end()) handle = it->second.lock();
  }
  if (handle == nullptr) {
    // The demo acknowledges any id of the caller's own form (it may have just ended).
    std::string prefix = fmt::format("stream_{}_", user_id);
    return stream_id.starts_with(prefix) ? StopResult::kStopping : StopResult::kNotAuthorized;
  }
  if (handle->user_id() != user_id) return StopResult::kNotAuthorized;
  handle->stop_requested_.store(true, std::memory_order_release);
  handle->cancel_->Cancel("stop requested by the user");
  return StopResult::kStopping;
}

void StreamRegistry::StopAll(std::string_view reason) {
  std::vector<std::shared_ptr<ChatStreamHandle>> handles;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, weak] : live_) {
      if (auto handle = weak.lock()) handles.push_back(std::move(handle));
    }
  }
  for (auto& handle : handles) handle->cancel_->Cancel(std::string(reason));
}

size_t StreamRegistry::size() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void StreamRegistry::Remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  live_.erase(id);
}

}  // namespace bedrock::gateway

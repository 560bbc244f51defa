// A single-consumer FIFO whose Pop() suspends until an item arrives or the queue closes.
// Internal to the mcp module. Not thread-safe: use it on one executor (or strand) only.
//
// Push and Close resume a suspended Pop inline when called on the queue's executor (see
// internal::Wakeup): the consumer takes the item before Push returns, without a trip through the
// scheduler.
#pragma once

#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <optional>
#include <utility>

#include "core/result.h"
#include "mcp/internal/wakeup.h"

namespace bedrock::mcp::internal {

template <typename T>
class AsyncQueue {
 public:
  explicit AsyncQueue(boost::asio::any_io_executor executor) : wakeup_(std::move(executor)) {}

  // Appends an item; ignored after Close().
  void Push(T item) {
    if (closed_) return;
    items_.push_back(std::move(item));
    wakeup_.Notify();
  }

  // Items already queued are still delivered; then Pop returns `reason`.
  void Close(core::Error reason) {
    if (closed_) return;
    closed_ = std::move(reason);
    wakeup_.Notify();
  }
  bool closed() const { return closed_.has_value(); }
  size_t size() const { return items_.size(); }

  // The next item, or the close reason once the queue is closed and drained. Cancelling the
  // awaiting coroutine makes Pop return a kCancelled error.
  boost::asio::awaitable<core::Result<T>> Pop() {
    while (items_.empty()) {
      if (closed_) co_return *closed_;
      if (!co_await wakeup_.Wait(boost::asio::use_awaitable) && items_.empty() && !closed_) {
        co_return core::Error::Cancelled("receive cancelled");
      }
    }
    T item = std::move(items_.front());
    items_.pop_front();
    co_return item;
  }

 private:
  Wakeup wakeup_;
  std::deque<T> items_;
  std::optional<core::Error> closed_;
};

}  // namespace bedrock::mcp::internal

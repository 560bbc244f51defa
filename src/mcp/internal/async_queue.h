// A single-consumer FIFO whose Pop() suspends until an item arrives or the queue closes.
// Internal to the mcp module. Not thread-safe: use it on one executor (or strand) only.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <optional>
#include <utility>

#include "core/result.h"

namespace bedrock::mcp::internal {

template <typename T>
class AsyncQueue {
 public:
  explicit AsyncQueue(boost::asio::any_io_executor executor) : wakeup_(std::move(executor)) {
    wakeup_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  // Appends an item; ignored after Close().
  void Push(T item) {
    if (closed_) return;
    items_.push_back(std::move(item));
    wakeup_.cancel();
  }

  // Items already queued are still delivered; then Pop returns `reason`.
  void Close(core::Error reason) {
    if (closed_) return;
    closed_ = std::move(reason);
    wakeup_.cancel();
  }
  bool closed() const { return closed_.has_value(); }
  size_t size() const { return items_.size(); }

  // The next item, or the close reason once the queue is closed and drained. Cancelling the
  // awaiting coroutine makes Pop return a kCancelled error.
  boost::asio::awaitable<core::Result<T>> Pop() {
    while (items_.empty()) {
      if (closed_) co_return *closed_;
      (void)co_await wakeup_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (items_.empty() && !closed_) {
        auto state = co_await boost::asio::this_coro::cancellation_state;
        if (state.cancelled() != boost::asio::cancellation_type::none) {
          co_return core::Error::Cancelled("receive cancelled");
        }
      }
    }
    T item = std::move(items_.front());
    items_.pop_front();
    co_return item;
  }

 private:
  boost::asio::steady_timer wakeup_;
  std::deque<T> items_;
  std::optional<core::Error> closed_;
};

}  // namespace bedrock::mcp::internal

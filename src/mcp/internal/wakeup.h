// A one-waiter wake-up call for coroutines on one executor: Wait() suspends until Notify() or
// until the awaiting coroutine is cancelled. Internal to the mcp module.
//
//   while (!ready_) {
//     if (!co_await wakeup_.Wait(asio::use_awaitable)) co_return Cancelled();
//   }
//   ...
//   ready_ = true;
//   wakeup_.Notify();  // resumes the waiter before returning, when on its executor's thread
//
// Why not a steady_timer cancelled to wake the waiter (the usual Asio idiom): each wait puts the
// timer in the reactor's queue (a timerfd_settime call when it becomes the earliest), and each
// wake goes through the scheduler's queue, which polls epoll once more before running it. Notify
// instead dispatches the waiter's completion, so it runs inline when the notifier is on the
// waiter's executor (a strand or a one-thread io_context): the consumer's next step happens
// before Notify returns. Callers must therefore not rely on state that the waiter may change
// across a Notify call.
//
// A Notify with nobody waiting is not remembered: check the condition before waiting.
// Thread-safety: none; Wait and Notify on the executor given to the constructor (which must be
// the waiter's: its completion is dispatched there). Meant for awaitables: a
// cancelled wait completes (posted) with false and leaves clearing the cancellation slot to the
// coroutine, which does so when it resumes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <utility>

namespace bedrock::mcp::internal {

class Wakeup {
 public:
  explicit Wakeup(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  // A waiter still suspended is resumed (posted) with false.
  ~Wakeup() { Abandon(); }

  // Completes with true when notified, false when the awaiting operation was cancelled (any
  // cancellation type) or the Wakeup was destroyed.
  template <typename CompletionToken>
  auto Wait(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [this](auto handler) {
          slot_ = boost::asio::get_associated_cancellation_slot(handler);
          if (slot_.is_connected()) {
            slot_.assign([this](boost::asio::cancellation_type type) {
              if (type != boost::asio::cancellation_type::none) Abandon();
            });
          }
          waiter_ = std::make_unique<Waiter<decltype(handler)>>(std::move(handler));
        },
        token);
  }

  bool waiting() const { return waiter_ != nullptr; }

  // Resumes the waiter (inline when on its executor's thread); nothing when none waits.
  void Notify() {
    if (!waiter_) return;
    if (slot_.is_connected()) slot_.clear();
    slot_ = {};
    boost::asio::dispatch(executor_, [waiter = std::move(waiter_)] { waiter->Complete(true); });
  }

 private:
  struct WaiterBase {
    virtual ~WaiterBase() = default;
    virtual void Complete(bool notified) = 0;
  };
  // (Asio 1.81's any_completion_handler recurses forever when moved into a lambda.)
  template <typename Handler>
  struct Waiter final : WaiterBase {
    explicit Waiter(Handler h) : handler(std::move(h)) {}
    void Complete(bool notified) override { std::move(handler)(notified); }
    Handler handler;
  };

  // Resumes the waiter with false, never inline (this may run inside its cancellation slot).
  void Abandon() {
    if (!waiter_) return;
    slot_ = {};
    boost::asio::post(executor_, [waiter = std::move(waiter_)] { waiter->Complete(false); });
  }

  boost::asio::any_io_executor executor_;
  std::unique_ptr<WaiterBase> waiter_;
  boost::asio::cancellation_slot slot_;  // the waiter's, holding our handler
};

}  // namespace bedrock::mcp::internal

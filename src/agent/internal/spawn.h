// Awaiting a coroutine on another executor (co_spawn), for results asio's co_spawn cannot carry:
// it needs a default-constructible T, which core::Result is not. Internal to the agent module.
//
//   auto result = co_await internal::AwaitOn(client_executor, client->CallTool(...));
//
// The awaiting coroutine's cancellation is forwarded to the spawned one (asio terminal
// cancellation), or, with a slot given, that slot's.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <utility>

namespace bedrock::agent::internal {

// Runs `operation` without asio's throw-on-cancelled rule: once its coroutine thread is
// cancelled, asio makes every later co_await throw operation_aborted, which would turn a clean
// kCancelled result into an exception. The rule is per coroutine thread, so this must be the first
// thing the spawned coroutine does.
template <typename T>
boost::asio::awaitable<T> Quietly(boost::asio::awaitable<T> operation) {
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  co_return co_await std::move(operation);
}

template <typename T>
boost::asio::awaitable<std::optional<T>> Optionally(boost::asio::awaitable<T> operation) {
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  co_return co_await std::move(operation);
}

// Runs `operation` on `executor` and awaits it, forwarding the awaiting coroutine's cancellation
// (or `slot`'s, when given) to it.
//
// Not co_spawn's own forwarding: with Boost 1.81, co_spawn's cancellation handler dispatches a
// lambda holding a raw pointer into the awaiting side's slot, and when the spawned coroutine
// finishes before that lambda runs on `executor` the lambda touches freed memory (it crashed the
// gateway when clients went away mid tool call). Here the signal lives in shared state that the
// forwarding lambda keeps alive, it is emitted on `executor` only, and the operation is bound to it
// by a co_spawn on that same executor, so nothing is posted with a pointer to a frame.
template <typename T>
boost::asio::awaitable<T> SpawnForwardingCancellation(boost::asio::any_io_executor executor,
                                                      boost::asio::awaitable<T> operation,
                                                      boost::asio::cancellation_slot from) {
  struct Forward {
    boost::asio::cancellation_signal signal;
  };
  auto forward = std::make_shared<Forward>();
  if (from.is_connected()) {
    from.assign([forward, executor](boost::asio::cancellation_type type) {
      boost::asio::dispatch(executor, [forward, type] { forward->signal.emit(type); });
    });
  }
  auto inner = [](std::shared_ptr<Forward> forward,
                  boost::asio::awaitable<T> operation) -> boost::asio::awaitable<std::optional<T>> {
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    boost::asio::any_io_executor here = co_await boost::asio::this_coro::executor;
    // On `executor` already: this co_spawn's own forwarding runs inline, never posted.
    std::optional<T> result = co_await boost::asio::co_spawn(
        here, Optionally(std::move(operation)),
        boost::asio::bind_cancellation_slot(forward->signal.slot(), boost::asio::use_awaitable));
    co_return result;
  };
  std::optional<T> result = co_await boost::asio::co_spawn(
      executor, inner(forward, std::move(operation)),
      boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                          boost::asio::use_awaitable));
  if (from.is_connected()) from.clear();
  co_return std::move(*result);
}

template <typename T>
boost::asio::awaitable<T> AwaitOn(boost::asio::any_io_executor executor,
                                  boost::asio::awaitable<T> operation) {
  boost::asio::cancellation_state state = co_await boost::asio::this_coro::cancellation_state;
  co_return co_await SpawnForwardingCancellation(std::move(executor), std::move(operation),
                                                 state.slot());
}

template <typename T>
boost::asio::awaitable<T> AwaitOn(boost::asio::any_io_executor executor,
                                  boost::asio::awaitable<T> operation,
                                  boost::asio::cancellation_slot slot) {
  co_return co_await SpawnForwardingCancellation(std::move(executor), std::move(operation), slot);
}

}  // namespace bedrock::agent::internal

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
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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

template <typename T>
boost::asio::awaitable<T> AwaitOn(boost::asio::any_io_executor executor,
                                  boost::asio::awaitable<T> operation) {
  std::optional<T> result = co_await boost::asio::co_spawn(
      executor, Optionally(std::move(operation)), boost::asio::use_awaitable);
  co_return std::move(*result);
}

template <typename T>
boost::asio::awaitable<T> AwaitOn(boost::asio::any_io_executor executor,
                                  boost::asio::awaitable<T> operation,
                                  boost::asio::cancellation_slot slot) {
  std::optional<T> result = co_await boost::asio::co_spawn(
      executor, Optionally(std::move(operation)),
      boost::asio::bind_cancellation_slot(slot, boost::asio::use_awaitable));
  co_return std::move(*result);
}

}  // namespace bedrock::agent::internal

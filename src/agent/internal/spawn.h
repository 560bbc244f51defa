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
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <utility>

namespace bedrock::agent::internal {

template <typename T>
boost::asio::awaitable<std::optional<T>> Optionally(boost::asio::awaitable<T> operation) {
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

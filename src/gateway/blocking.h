// Running work on another executor and resuming on the caller's: blocking store calls on the
// blocking pool, MCP client calls on a server's strand.
//
//   auto list = [&] { return store.ListServers(user); };
//   auto servers = co_await gateway::RunBlocking(blocking.get_executor(), std::move(list));
//   auto work = [client] { return client->ListTools(); };
//   auto tools = co_await gateway::RunOn<core::Result<json::array>>(strand, std::move(work));
//
// ALWAYS name the lambda first: g++ 12 destroys a lambda temporary written inside a co_await
// expression twice (heap corruption), like braced aggregates. The lambda is moved into
// co_spawn's own frame. Lifetimes: references the lambda captures must stay valid until the
// co_await completes (they do when they point at the caller's locals, which live in its suspended
// frame). Cancellation of the awaiting coroutine is forwarded to the spawned one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <type_traits>
#include <utility>

namespace bedrock::gateway {

namespace internal {
// co_spawn needs a default-constructible value, hence the optional in between.
template <typename R>
boost::asio::awaitable<R> UnwrapOptional(boost::asio::awaitable<std::optional<R>> inner) {
  std::optional<R> result = co_await std::move(inner);
  co_return std::move(*result);
}
}  // namespace internal

// Runs the coroutine `body()` (returning awaitable<R>) on `executor`.
template <typename R, typename F>
boost::asio::awaitable<R> RunOn(boost::asio::any_io_executor executor, F body) {
  return internal::UnwrapOptional<R>(boost::asio::co_spawn(
      executor,
      [body = std::move(body)]() mutable -> boost::asio::awaitable<std::optional<R>> {
        co_return std::optional<R>(co_await body());
      },
      boost::asio::use_awaitable));
}

// Runs the blocking function `fn()` on `pool`.
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> RunBlocking(boost::asio::any_io_executor pool,
                                                             F fn) {
  using R = std::invoke_result_t<F&>;
  return internal::UnwrapOptional<R>(boost::asio::co_spawn(
      pool,
      [fn = std::move(fn)]() mutable -> boost::asio::awaitable<std::optional<R>> {
        co_return std::optional<R>(fn());
      },
      boost::asio::use_awaitable));
}

}  // namespace bedrock::gateway

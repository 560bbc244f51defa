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
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <type_traits>
#include <utility>

#include "agent/internal/spawn.h"  // SpawnForwardingCancellation: the same fix, kept in one place

namespace bedrock::gateway {

namespace internal {
// co_spawn needs a default-constructible value, hence the optional in between.
template <typename R>
boost::asio::awaitable<R> UnwrapOptional(boost::asio::awaitable<std::optional<R>> inner) {
  std::optional<R> result = co_await std::move(inner);
  co_return std::move(*result);
}
}  // namespace internal

// Runs the coroutine `body()` (returning awaitable<R>) on `executor`. The awaiting coroutine's
// cancellation reaches it through agent::internal::SpawnForwardingCancellation, never through
// co_spawn's own forwarding, which Boost 1.81 can run after it was freed.
template <typename R, typename F>
boost::asio::awaitable<R> RunOn(boost::asio::any_io_executor executor, F body) {
  auto run = [](F body) -> boost::asio::awaitable<R> { co_return co_await body(); };
  boost::asio::cancellation_state state = co_await boost::asio::this_coro::cancellation_state;
  co_return co_await agent::internal::SpawnForwardingCancellation<R>(
      std::move(executor), run(std::move(body)), state.slot());
}

// Runs the blocking function `fn()` on `pool`. It cannot be interrupted, so the awaiting
// coroutine's cancellation is not forwarded (see RunOn for why co_spawn's must not be).
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> RunBlocking(boost::asio::any_io_executor pool,
                                                             F fn) {
  using R = std::invoke_result_t<F&>;
  return internal::UnwrapOptional<R>(boost::asio::co_spawn(
      pool,
      [fn = std::move(fn)]() mutable -> boost::asio::awaitable<std::optional<R>> {
        co_return std::optional<R>(fn());
      },
      boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                          boost::asio::use_awaitable)));
}

}  // namespace bedrock::gateway

// Helpers for the mcp module's tests: run a coroutine test body to completion on an io_context,
// and a one-shot event coroutines can wait on with a deadline (instead of sleeping).
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <functional>

#include "mcp/transport.h"

namespace bedrock::mcp::testing {

// Runs `body` on a fresh io_context; fails the test if it does not finish within `limit`.
inline void RunCoroutine(std::function<Awaitable<void>(boost::asio::any_io_executor)> body,
                         std::chrono::seconds limit = std::chrono::seconds(20)) {
  boost::asio::io_context io;
  bool done = false;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) {
    done = true;
    failure = e;
  });
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
  }
  // Let what the body's end made ready run (sessions noticing their closed transports release
  // their handlers), without waiting for timers.
  while (io.poll() > 0) {
  }
  ASSERT_TRUE(done) << "test coroutine did not finish within " << limit.count() << " s";
  if (failure) std::rethrow_exception(failure);
}

// A flag a coroutine can wait for. Single executor.
class Event {
 public:
  explicit Event(boost::asio::any_io_executor executor) : timer_(executor) {
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }
  void Set() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }
  // True once set; false if `limit` passes first.
  Awaitable<bool> Wait(std::chrono::milliseconds limit = std::chrono::milliseconds(10'000)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!set_) {
      if (std::chrono::steady_clock::now() >= deadline) co_return false;
      timer_.expires_at(deadline);
      auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (!ec && !set_) co_return false;
    }
    co_return true;
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
};

}  // namespace bedrock::mcp::testing

#define MCP_CO_ASSERT_OK(expr)                                               \
  if (auto mcp_assert_result_ = (expr); !mcp_assert_result_.ok()) {          \
    ADD_FAILURE() << #expr << ": " << mcp_assert_result_.error().ToString(); \
    co_return;                                                               \
  }

// ASSERT_* cannot return from a coroutine: this ends the test body instead.
#define MCP_CO_ASSERT(condition)              \
  if (!(condition)) {                         \
    ADD_FAILURE() << "expected: " #condition; \
    co_return;                                \
  }

#include "llm/internal/retry_wait.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bedrock::llm::internal {

boost::asio::awaitable<core::Status> WaitBeforeRetry(std::chrono::milliseconds delay) {
  namespace asio = boost::asio;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return core::Error::Cancelled("cancelled while waiting to retry");
  co_return core::OkStatus();
}

}  // namespace bedrock::llm::internal

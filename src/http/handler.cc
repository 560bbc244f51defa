#include "http/handler.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bedrock::http {

std::optional<std::string_view> RequestContext::PathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

boost::asio::awaitable<void> RequestContext::WaitCancelled() {
  if (liveness_ != nullptr) {
    co_await liveness_->WaitCancelled();
    co_return;
  }
  // No connection: wait until the awaiting operation itself is cancelled.
  boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor,
                                    boost::asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await forever.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

boost::asio::awaitable<core::Status> StreamWriter::WriteOwned(std::string data) {
  co_return co_await Write(data);
}

Response StreamResponse(int status, std::string content_type, StreamProducer producer) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", std::move(content_type));
  response.stream = std::make_shared<const StreamBody>(StreamBody{std::move(producer), false});
  return response;
}

Response EventStreamResponse(StreamProducer producer) {
  Response response;
  response.status = 200;
  response.headers.Set("Content-Type", "text/event-stream");
  response.headers.Set("Cache-Control", "no-cache");
  response.headers.Set("X-Accel-Buffering", "no");  // tells nginx-style proxies not to buffer
  response.stream = std::make_shared<const StreamBody>(StreamBody{std::move(producer), true});
  return response;
}

}  // namespace bedrock::http

#include "main/oauth_redirect.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

namespace bedrock::app {
namespace asio = boost::asio;
using asio::ip::tcp;

struct RedirectListener::Impl {
  explicit Impl(asio::any_io_executor executor) : acceptor(executor) {}
  tcp::acceptor acceptor;
  uint16_t port = 0;
};

RedirectListener::RedirectListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedirectListener::~RedirectListener() = default;

core::Result<std::shared_ptr<RedirectListener>> RedirectListener::Open(
    asio::any_io_executor executor, uint16_t port) {
  auto impl = std::make_unique<Impl>(executor);
  boost::system::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(4, ec);
  if (ec) {
    return core::Error::Unavailable("cannot listen for the OAuth redirect on 127.0.0.1:{}: {}",
                                    port, ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  return std::shared_ptr<RedirectListener>(new RedirectListener(std::move(impl)));
}

std::string RedirectListener::redirect_uri() const {
  return fmt::format("http://127.0.0.1:{}/callback", impl_->port);
}

mcp::AuthorizationRedirect RedirectListener::Authorizer(std::chrono::milliseconds timeout) {
  return [self = shared_from_this(),
          timeout](std::string authorize_url) -> asio::awaitable<core::Result<std::string>> {
    std::fprintf(stderr, "bedrock-mcp mcp: open this URL to authorize access:\nauthorize: %s\n",
                 authorize_url.c_str());
    std::fflush(stderr);
    auto& acceptor = self->impl_->acceptor;
    asio::steady_timer deadline(acceptor.get_executor());
    deadline.expires_after(timeout);
    deadline.async_wait([&acceptor](boost::system::error_code ec) {
      if (!ec) acceptor.cancel();
    });
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        co_return core::Error::DeadlineExceeded("no authorization redirect arrived within {} s",
                                                timeout.count() / 1000);
      }
      std::string request;
      auto [read_ec, n] =
          co_await asio::async_read_until(socket, asio::dynamic_buffer(request, 16 * 1024),
                                          "\r\n\r\n", asio::as_tuple(asio::use_awaitable));
      // "GET /callback?code=...&state=... HTTP/1.1"
      std::string_view line(request);
      line = line.substr(0, line.find("\r\n"));
      std::string_view target;
      if (!read_ec && line.starts_with("GET ")) {
        target = line.substr(4);
        target = target.substr(0, target.find(' '));
      }
      const bool ours = target == "/callback" || target.starts_with("/callback?");
      std::string body =
          ours ? "Authorization received; you can close this window.\n" : "Not found.\n";
      std::string response = fmt::format(
          "HTTP/1.1 {}\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
          ours ? "200 OK" : "404 Not Found", body.size(), body);
      (void)co_await asio::async_write(socket, asio::buffer(response),
                                       asio::as_tuple(asio::use_awaitable));
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      if (ours) {
        deadline.cancel();
        co_return fmt::format("http://127.0.0.1:{}{}", self->impl_->port, target);
      }
    }
  };
}

}  // namespace bedrock::app

#include "http/server.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <csignal>
#include <optional>
#include <thread>

#include "http/internal/connection.h"
#include "http/internal/wire.h"

namespace bedrock::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using internal::Clock;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

// How long to wait, after force-closing at the shutdown deadline, for the connections' coroutines
// to notice.
constexpr auto kForceCloseWait = std::chrono::seconds(1);

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Router router) : core(std::move(options), std::move(router)) {}

  asio::awaitable<void> AcceptLoop();
  void RejectOverLimit(tcp::socket& socket);
  // Completes when no connection is left (true) or at `deadline` (false).
  asio::awaitable<bool> WaitDrained(Clock::time_point deadline);
  // Runs `f(connection)` on every connection, each on its own worker's thread.
  template <typename F>
  void ForEachConnection(F f) {
    for (auto& worker : workers) {
      internal::Worker* w = worker.get();
      asio::post(w->ioc, [w, f] {
        // Copy: f may end a connection, which removes it from the vector.
        std::vector<internal::ConnectionBase*> connections = w->connections;
        for (internal::ConnectionBase* connection : connections) f(connection);
      });
    }
  }

  internal::ServerCore core;  // declared first: outlives the workers and their connections
  std::vector<std::unique_ptr<internal::Worker>> workers;
  std::optional<tcp::acceptor> acceptor;  // on workers[0]
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  tcp::endpoint local;
  bool started = false;
  bool stopped = false;
  size_t next_worker = 0;
};

asio::awaitable<void> Server::Impl::AcceptLoop() {
  while (acceptor->is_open()) {
    internal::Worker& target = *workers[next_worker++ % workers.size()];
    auto [ec, accepted] = co_await acceptor->async_accept(target.ioc, kUseAwaitable);
    tcp::socket socket(std::move(accepted));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) break;
      core.LogError(fmt::format("accept failed: {}", ec.message()));
      // Out of descriptors or similar: back off instead of spinning on the same error.
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      (void)co_await pause.async_wait(kUseAwaitable);
      continue;
    }
    if (core.shutting_down.load()) break;
    if (core.connections.load() >= core.options.max_connections) {
      RejectOverLimit(socket);
      continue;
    }
    core.connections.fetch_add(1);
    internal::StartConnection(target, std::move(socket));
  }
}

void Server::Impl::RejectOverLimit(tcp::socket& socket) {
  error_code ec;
  if (!core.tls) {
    // Best effort and without waiting: a fresh socket's send buffer takes this at once.
    static const std::string kReply = [] {
      Response response =
          Response::FromError(core::Error::Unavailable("too many connections; retry later"));
      std::string wire;
      internal::AppendResponseHead(wire, 11, response.status, response.headers,
                                   internal::BodyFraming::kContentLength, response.body.size(),
                                   false);
      return wire + response.body;
    }();
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(kReply), ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }
  socket.close(ec);
}

asio::awaitable<bool> Server::Impl::WaitDrained(Clock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, deadline);
  uint64_t id;
  {
    std::lock_guard lock(core.drain_mutex);
    if (core.connections.load() == 0) co_return true;
    id = core.next_waiter_id++;
    core.waiters.emplace_back(
        id, [timer, executor] { asio::post(executor, [timer] { timer->cancel(); }); });
  }
  (void)co_await timer->async_wait(kUseAwaitable);
  {
    std::lock_guard lock(core.drain_mutex);
    std::erase_if(core.waiters, [id](const auto& waiter) { return waiter.first == id; });
  }
  co_return core.connections.load() == 0;
}

Server::Server(ServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

core::Status Server::Start() {
  Impl& s = *impl_;
  if (s.started) return core::Error::FailedPrecondition("the server was already started");
  BEDROCK_TRY(s.core.router.status());
  ServerOptions& options = s.core.options;

  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return core::Error::InvalidArgument("TLS needs both a certificate file and a key file");
    }
    auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    error_code ec;
    tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) {
      return core::Error::InvalidArgument("TLS certificate file {}: {}", options.tls_cert_file,
                                          ec.message());
    }
    tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return core::Error::InvalidArgument("TLS key file {}: {}", options.tls_key_file,
                                          ec.message());
    }
    s.core.tls = std::move(tls);
  }

  auto shortest = std::min(
      {options.header_timeout, options.body_timeout, options.idle_timeout, options.write_timeout});
  s.core.tick = std::clamp<Clock::duration>(shortest / 4, std::chrono::milliseconds(5),
                                            std::chrono::seconds(1));

  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);
  for (int i = 0; i < threads; ++i) {
    s.workers.push_back(std::make_unique<internal::Worker>(s.core));
  }

  // Bind and listen before any thread starts, so failures leave nothing running.
  asio::io_context& first = s.workers[0]->ioc;
  error_code ec;
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(first);
    auto results = resolver.resolve(host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      s.workers.clear();
      return core::Error::InvalidArgument("cannot resolve listen address {}: {}", options.host,
                                          ec ? ec.message() : "no address");
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, options.port);
  auto fail = [&](std::string_view step) -> core::Status {
    s.acceptor.reset();
    s.workers.clear();
    return core::Error::Unavailable("cannot {} {}:{}: {}", step, options.host, options.port,
                                    ec.message());
  };
  s.acceptor.emplace(first);
  s.acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  s.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("configure a socket for");
  s.acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  s.local = s.acceptor->local_endpoint(ec);

  asio::co_spawn(first, s.AcceptLoop(), asio::detached);
  for (auto& worker : s.workers) {
    asio::co_spawn(worker->ioc, worker->RunTicker(), asio::detached);
    s.guards.push_back(asio::make_work_guard(worker->ioc));
  }
  for (auto& worker : s.workers) {
    s.threads.emplace_back([w = worker.get()] { w->ioc.run(); });
  }
  s.started = true;
  return core::OkStatus();
}

uint16_t Server::port() const { return impl_->local.port(); }

std::string Server::local_address() const { return impl_->local.address().to_string(); }

size_t Server::connection_count() const { return impl_->core.connections.load(); }

asio::awaitable<void> Server::Shutdown(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.started) co_return;
  const auto deadline = Clock::now() + grace;
  if (!s.core.shutting_down.exchange(true)) {
    // Closed on its own thread; awaited so that connections are refused once Shutdown returns.
    co_await asio::co_spawn(
        s.workers[0]->ioc,
        [&s]() -> asio::awaitable<void> {
          error_code ec;
          s.acceptor->close(ec);
          co_return;
        },
        asio::use_awaitable);
    s.ForEachConnection([](internal::ConnectionBase* c) { c->BeginShutdown(); });
  }
  if (co_await s.WaitDrained(deadline)) co_return;
  s.ForEachConnection([](internal::ConnectionBase* c) { c->ForceClose(); });
  (void)co_await s.WaitDrained(Clock::now() + kForceCloseWait);
}

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  {
    asio::io_context waiter(1);
    asio::co_spawn(waiter, Shutdown(grace), asio::detached);
    waiter.run();
  }
  s.guards.clear();
  for (auto& worker : s.workers) worker->ioc.stop();
  for (auto& thread : s.threads) thread.join();
  s.threads.clear();
}

// --- Signals ---

struct ShutdownSignals::Impl {
  asio::io_context context{1};
  asio::signal_set signals{context, SIGINT, SIGTERM};
};

ShutdownSignals::ShutdownSignals() : impl_(std::make_unique<Impl>()) {}
ShutdownSignals::~ShutdownSignals() = default;

int ShutdownSignals::Wait() {
  int received = 0;
  impl_->signals.async_wait([&](const error_code& ec, int signal) {
    if (!ec) received = signal;
  });
  impl_->context.restart();
  impl_->context.run();
  return received;
}

int ServeUntilSignal(Server& server, std::chrono::milliseconds grace) {
  ShutdownSignals signals;
  int signal = signals.Wait();
  server.Stop(grace);
  return signal;
}

}  // namespace bedrock::http

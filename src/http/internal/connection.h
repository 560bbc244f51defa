// Server internals shared by server.cc and connection.cc: the state every connection sees
// (ServerCore), the per-thread Worker that owns connections, and the entry point that runs one
// accepted connection. Not for use outside src/http.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "http/router.h"
#include "http/server.h"

namespace bedrock::http::internal {

using Clock = std::chrono::steady_clock;

// What all connections of one server share. Immutable after Start except the atomics and the
// drain waiters (guarded by drain_mutex).
struct ServerCore {
  ServerCore(ServerOptions options, Router router)
      : options(std::move(options)), router(std::move(router)) {}

  ServerOptions options;
  Router router;
  std::unique_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  Clock::duration tick{std::chrono::seconds(1)};   // how often deadlines are checked

  std::atomic<size_t> connections{0};
  std::atomic<bool> shutting_down{false};

  std::mutex drain_mutex;
  uint64_t next_waiter_id = 0;                                      // guarded by drain_mutex
  std::vector<std::pair<uint64_t, std::function<void()>>> waiters;  // guarded by drain_mutex

  // A connection has finished; wakes the drain waiters when it was the last one.
  void ConnectionClosed();
  void LogError(std::string_view message) const;
};

// What a Worker can ask of a connection; called only on the connection's own thread.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Cancels the pending I/O if the current deadline has passed.
  virtual void CheckDeadline(Clock::time_point now) = 0;
  // Shutdown began: close if idle, cancel a stream, otherwise finish the current request.
  virtual void BeginShutdown() = 0;
  // The shutdown deadline passed: close the socket now.
  virtual void ForceClose() = 0;

  size_t worker_slot = 0;  // index in Worker::connections
};

// One thread's io_context and the connections living on it. `connections` is touched only on
// this worker's thread.
class Worker {
 public:
  explicit Worker(ServerCore& core) : core(core) {}

  void Add(ConnectionBase* connection);
  void Remove(ConnectionBase* connection);
  // Checks every connection's deadline each core.tick, until the io_context stops.
  boost::asio::awaitable<void> RunTicker();

  ServerCore& core;
  std::vector<ConnectionBase*> connections;  // declared before ioc: outlives frames it destroys
  boost::asio::io_context ioc{1};
};

// Runs an accepted connection (its socket belongs to worker.ioc) until it closes. The caller has
// already counted it in core.connections; the connection calls ConnectionClosed when done.
void StartConnection(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace bedrock::http::internal

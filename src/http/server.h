// The HTTP/1.1 server: Boost.Beast's parser and Asio C++20 coroutines, one coroutine per
// connection, keep-alive and pipelining, limits and deadlines on everything a client controls,
// streamed responses (chunked and Server-Sent Events with heartbeats), TLS, graceful shutdown.
//
//   http::Router router;
//   router.Get("/healthz", Health);
//   http::Server server({.host = "127.0.0.1", .port = 7002}, std::move(router));
//   if (auto started = server.Start(); !started.ok()) return Fail(started.error());
//   int signal = http::ServeUntilSignal(server, std::chrono::seconds(10));  // SIGINT/SIGTERM
//
// Threading: the server runs ServerOptions::threads threads, each with its own io_context
// (no locks on the data path). Every connection lives on one of them for its whole life, so a
// connection's handler and stream producer always run on that one thread; handlers of different
// connections run concurrently on different threads, so state they share must be synchronised.
// Handlers must not block their thread (await instead).
//
// Errors a client causes never stop the server: each gets a JSON error body
// ({"error":{"code":...,"message":...}}) where a reply is still possible: 400 malformed request,
// 408 header or body not received in time, 413 body too large (from Content-Length before reading
// it, or while reading a chunked body), 431 header too large, 500 handler threw, 503 too many
// connections. Error replies for unreadable requests close the connection.
//
// Deadlines are checked by a per-thread tick, so they fire up to a quarter of the shortest timeout
// (at most 1 s) late.
//
// Thread-safety: Start, Stop and the destructor must not run concurrently with each other;
// Shutdown may be awaited from any executor except the server's own threads (see there).
// port() and local_address() may be called from any thread after Start.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/handler.h"
#include "http/router.h"

namespace bedrock::http {

// One line of the access log, handed to ServerOptions::access_log after each response.
struct AccessLogEntry {
  std::string_view remote_address;
  std::string_view method;
  std::string_view target;
  int status = 0;
  size_t bytes_sent = 0;                  // body bytes, including a streamed body
  std::chrono::microseconds duration{0};  // from the request's first byte to the response's last
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address, or "localhost"
  uint16_t port = 0;               // 0: any free port (see Server::port())
  int threads = 0;                 // 0: std::thread::hardware_concurrency()

  size_t max_header_bytes = 16 * 1024;       // request line + fields, else 431
  size_t max_body_bytes = 10 * 1024 * 1024;  // else 413
  size_t max_connections = 10000;            // beyond: 503 (plain HTTP) or closed (TLS)

  // The whole header (and a TLS handshake) must arrive within this time of its first byte (408).
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  // The whole body must arrive within this time of the end of the header (408).
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  // A keep-alive connection with no request in progress is closed after this long.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // Each write (a response, one streamed chunk) must be taken by the client within this time.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // An event stream with nothing sent for this long gets a ": keep-alive" comment; 0: never.
  std::chrono::milliseconds sse_heartbeat_interval{std::chrono::seconds(15)};

  // HTTPS when both are set: PEM files with the certificate chain and its private key.
  std::string tls_cert_file;
  std::string tls_key_file;

  // Called after each response on the connection's thread; must be cheap and thread-safe.
  // Unset: a debug-level "request" record through core/log.h (method, target, status, bytes,
  // duration_us, remote).
  std::function<void(const AccessLogEntry&)> access_log;
  // Called with a one-line message for server-side failures (a handler threw, accept failed,
  // a stream producer failed); thread-safe. Unset: an error-level record through core/log.h.
  std::function<void(std::string_view)> error_log;
};

class Server {
 public:
  Server(ServerOptions options, Router router);
  // Stops the server (as Stop with no grace period) if it is still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS material, binds and listens, then starts the threads. Fails, without starting
  // anything, on a malformed route, an unusable address or port, or unreadable TLS files.
  core::Status Start();

  // The bound port (useful with port 0) and address ("127.0.0.1", "::1"); valid after Start.
  uint16_t port() const;
  std::string local_address() const;

  // Graceful shutdown: stops accepting (new connections are refused), closes idle keep-alive
  // connections, lets requests in progress finish (their responses say Connection: close), ends
  // event streams and chunked streams (producers see Cancelled() and failing writes), and at
  // `grace` after the call force-closes whatever is left. Completes when every connection is
  // closed (or the deadline passed). The threads keep running until Stop or destruction.
  // Await it from an executor that is not one of the server's threads: a handler awaiting it
  // would wait for its own connection until the deadline.
  boost::asio::awaitable<void> Shutdown(std::chrono::milliseconds grace);

  // Shutdown, then stops and joins the threads. Blocks; call from a thread that is not one of the
  // server's. Idempotent.
  void Stop(std::chrono::milliseconds grace);

  // How many connections are open right now (for tests and metrics).
  size_t connection_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocks the calling thread until the process receives SIGINT or SIGTERM, then stops `server`
// with the given grace period. Returns the signal number. The handlers are installed when this
// is called and removed when it returns.
int ServeUntilSignal(Server& server, std::chrono::milliseconds grace);

// The signal half of ServeUntilSignal: installs SIGINT/SIGTERM handlers on construction (signals
// that arrive before Wait are kept) and restores the defaults on destruction.
class ShutdownSignals {
 public:
  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until SIGINT or SIGTERM; returns the signal number.
  int Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bedrock::http

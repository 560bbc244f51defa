// One accepted connection: the request loop, deadlines, streamed bodies, client-gone detection.
//
// Everything here runs on the connection's worker thread. Besides the main coroutine (Run) a
// connection may have two short-lived helpers on the same thread, each holding a shared_ptr to
// it: the peer watcher (armed while a handler or producer wants to know if the client left) and
// the heartbeat loop of an event stream. Generation counters let a helper that wakes after its
// request ended see that it is stale.
#include "http/internal/connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cerrno>
#include <cstdio>

#include "core/log.h"
#include "http/internal/request_reader.h"
#include "http/internal/wire.h"

namespace bedrock::http::internal {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
// Writes ignore the awaiting coroutine's cancellation: a write cut in half would corrupt the
// framing of everything after it.
auto Uninterruptible() {
  return asio::bind_cancellation_slot(asio::cancellation_slot(),
                                      asio::as_tuple(asio::use_awaitable));
}

constexpr size_t kHeaderReadSize = 16 * 1024;
constexpr size_t kBodyReadSize = 64 * 1024;
// After an error reply that leaves request bytes unread, read and discard this much for this long
// before closing, so the kernel does not reset the connection before the client reads the reply.
constexpr size_t kLingerBytes = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::string_view kHeartbeat = ": keep-alive\n\n";

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

void ServerCore::ConnectionClosed() {
  if (connections.fetch_sub(1) != 1 || !shutting_down.load()) return;
  std::lock_guard lock(drain_mutex);
  for (auto& [id, wake] : waiters) wake();
}

void ServerCore::LogError(std::string_view message) const {
  if (options.error_log) {
    options.error_log(message);
  } else {
    core::Log(core::LogLevel::kError, "http", message);
  }
}

void Worker::Add(ConnectionBase* connection) {
  connection->worker_slot = connections.size();
  connections.push_back(connection);
}

void Worker::Remove(ConnectionBase* connection) {
  size_t slot = connection->worker_slot;
  if (slot >= connections.size() || connections[slot] != connection) return;
  connections[slot] = connections.back();
  connections[slot]->worker_slot = slot;
  connections.pop_back();
}

asio::awaitable<void> Worker::RunTicker() {
  asio::steady_timer timer(ioc);
  while (true) {
    timer.expires_after(core.tick);
    auto [ec] = co_await timer.async_wait(kUseAwaitable);
    if (ec) co_return;
    auto now = Clock::now();
    // CheckDeadline only cancels I/O (completions run later), so the vector is stable here.
    for (ConnectionBase* connection : connections) connection->CheckDeadline(now);
  }
}

namespace {

template <bool kTls>
class Connection final : public ConnectionBase,
                         public internal::Liveness,
                         public StreamWriter,
                         public std::enable_shared_from_this<Connection<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, asio::ssl::stream<tcp::socket>, tcp::socket>;

  Connection(Worker& worker, tcp::socket socket)
      : worker_(worker),
        core_(worker.core),
        options_(core_.options),
        stream_(MakeStream(std::move(socket))),
        reader_({options_.max_header_bytes, options_.max_body_bytes}),
        cancel_timer_(worker.ioc, Clock::time_point::max()),
        write_idle_(worker.ioc, Clock::time_point::max()),
        heartbeat_timer_(worker.ioc) {}

  asio::awaitable<void> Run();

  // --- ConnectionBase ---
  void CheckDeadline(Clock::time_point now) override {
    if (now < deadline_) return;
    deadline_ = Clock::time_point::max();
    timed_out_ = true;
    error_code ec;
    Socket().cancel(ec);
  }
  void BeginShutdown() override {
    if (phase_ == Phase::kIdle) {
      error_code ec;
      Socket().cancel(ec);
    } else if (phase_ == Phase::kStreaming) {
      MarkCancelled();
    }
  }
  void ForceClose() override {
    force_closed_ = true;
    MarkCancelled();
    error_code ec;
    Socket().close(ec);
  }

  // --- Liveness ---
  bool Cancelled() override {
    if (!cancelled_ && PeekPeer() == PeerState::kGone) MarkCancelled();
    return cancelled_;
  }
  asio::awaitable<void> WaitCancelled() override {
    ArmWatcher();
    if (cancelled_) co_return;
    (void)co_await cancel_timer_.async_wait(kUseAwaitable);
  }

  // --- StreamWriter ---
  asio::awaitable<core::Status> Write(std::string_view data) override {
    if (phase_ != Phase::kStreaming) {
      co_return core::Error::FailedPrecondition("the stream has already ended");
    }
    while (writing_ && !stream_broken_) (void)co_await write_idle_.async_wait(kUseAwaitable);
    if (stream_broken_ || cancelled_) co_return StreamEndedError();
    if (data.empty()) co_return core::OkStatus();
    co_return co_await WriteChunk(data);
  }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kStreaming };
  enum class Outcome { kContinue, kClose, kCloseAfterDiscard };
  enum class PeerState { kNothing, kData, kGone };

  Stream MakeStream(tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core_.tls);
    } else {
      return socket;
    }
  }
  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void SetDeadline(Clock::duration timeout) {
    deadline_ = Clock::now() + timeout;
    timed_out_ = false;
  }
  void ClearDeadline() { deadline_ = Clock::time_point::max(); }

  void MarkCancelled() {
    if (cancelled_) return;
    cancelled_ = true;
    cancel_timer_.cancel();
  }

  core::Error StreamEndedError() const {
    if (stream_timed_out_) {
      return core::Error::DeadlineExceeded("the client did not read the stream within {} ms",
                                           options_.write_timeout.count());
    }
    if (core_.shutting_down.load() && !stream_broken_) {
      return core::Error::Cancelled("the server is shutting down");
    }
    return core::Error::Cancelled("the client disconnected");
  }

  // Whether the peer has closed, judged from the socket without blocking. Bytes already waiting
  // (a pipelined request, a TLS record) hide a later close, so they count as "still there".
  PeerState PeekPeer() {
    if (buffer_.size() > 0) return PeerState::kData;
    char byte;
    ssize_t n = ::recv(Socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return PeerState::kData;
    if (n == 0) return PeerState::kGone;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return PeerState::kNothing;
    return PeerState::kGone;
  }

  void ArmWatcher() {
    if (watching_ || cancelled_) return;
    if (phase_ != Phase::kHandling && phase_ != Phase::kStreaming) return;
    watching_ = true;
    // The helper holds a shared_ptr: the connection outlives the helper's last resumption.
    asio::co_spawn(worker_.ioc, Watch(this->shared_from_this(), ++watch_generation_),
                   asio::detached);
  }
  void StopWatcher() {
    if (!watching_) return;
    watching_ = false;
    ++watch_generation_;
    watch_signal_.emit(asio::cancellation_type::terminal);
  }
  static asio::awaitable<void> Watch(std::shared_ptr<Connection> self, uint64_t generation) {
    while (true) {
      auto [ec] = co_await self->Socket().async_wait(
          tcp::socket::wait_read,
          asio::bind_cancellation_slot(self->watch_signal_.slot(), kUseAwaitable));
      if (ec || generation != self->watch_generation_) break;
      PeerState state = self->PeekPeer();
      if (state == PeerState::kGone) self->MarkCancelled();
      if (state != PeerState::kNothing) break;
    }
    if (generation == self->watch_generation_) self->watching_ = false;
  }

  asio::awaitable<std::tuple<error_code, size_t>> ReadSome(size_t size) {
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(size), kUseAwaitable);
    buffer_.commit(n);
    co_return std::tuple{ec, n};
  }

  void Consume() {
    auto data = buffer_.data();
    size_t used =
        reader_.Feed(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(used);
  }

  asio::awaitable<error_code> WriteAll(std::string_view a, std::string_view b = {},
                                       std::string_view c = {}) {
    std::array<asio::const_buffer, 3> buffers{asio::buffer(a), asio::buffer(b), asio::buffer(c)};
    SetDeadline(options_.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, buffers, Uninterruptible());
    ClearDeadline();
    if (ec && timed_out_) ec = asio::error::timed_out;
    co_return ec;
  }

  asio::awaitable<core::Status> WriteChunk(std::string_view data) {
    writing_ = true;
    chunk_head_.clear();
    if (chunked_) AppendChunkHeader(chunk_head_, data.size());
    error_code ec = co_await WriteAll(chunk_head_, data, chunked_ ? kCrLf : std::string_view());
    writing_ = false;
    write_idle_.cancel();
    last_write_ = Clock::now();
    if (ec) {
      stream_timed_out_ = ec == asio::error::timed_out;
      stream_broken_ = true;
      MarkCancelled();
      co_return StreamEndedError();
    }
    body_bytes_ += data.size();
    co_return core::OkStatus();
  }

  void LogAccess(int status) {
    if (!options_.access_log && !core::LogEnabled(core::LogLevel::kDebug)) return;
    const Request& request = request_ ? *request_ : reader_.request();
    auto duration =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - request_start_);
    if (!options_.access_log) {
      core::Log(core::LogLevel::kDebug, "http", "request",
                {{"method", request.method},
                 {"target", request.target},
                 {"status", status},
                 {"bytes", body_bytes_},
                 {"duration_us", static_cast<int64_t>(duration.count())},
                 {"remote", std::string_view(remote_)}});
      return;
    }
    AccessLogEntry entry;
    entry.remote_address = remote_;
    entry.method = request.method;
    entry.target = request.target;
    entry.status = status;
    entry.bytes_sent = body_bytes_;
    entry.duration = duration;
    options_.access_log(entry);
  }

  // An error reply for a request that could not be read; the connection closes after it.
  asio::awaitable<void> SendError(int status, const core::Error& error) {
    Response response = Response::FromError(error);
    response.status = status;
    head_.clear();
    AppendResponseHead(head_, reader_.version() == 10 ? 10 : 11, status, response.headers,
                       BodyFraming::kContentLength, response.body.size(), false);
    phase_ = Phase::kWriting;
    (void)co_await WriteAll(head_, response.body);
    body_bytes_ = response.body.size();
    LogAccess(status);
  }

  asio::awaitable<Outcome> ServeOne();
  asio::awaitable<Outcome> Respond();
  asio::awaitable<Outcome> RunStream(Response& response, int version, bool keep_alive,
                                     bool head_only);
  static asio::awaitable<void> Heartbeat(std::shared_ptr<Connection> self, uint64_t generation);
  asio::awaitable<void> Close(bool discard_input);

  Worker& worker_;
  ServerCore& core_;
  const ServerOptions& options_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  RequestReader reader_;
  std::string remote_;
  std::string head_;        // the response head being written, reused across requests
  std::string chunk_head_;  // a chunk's size line, reused across chunks

  Phase phase_ = Phase::kReading;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool force_closed_ = false;
  Clock::time_point request_start_;
  Request* request_ = nullptr;  // the request being handled, for the access log
  size_t body_bytes_ = 0;

  // Client gone or server shutting down; once set the connection closes after this request.
  bool cancelled_ = false;
  asio::steady_timer cancel_timer_;  // never expires; cancelled to wake WaitCancelled
  bool watching_ = false;
  uint64_t watch_generation_ = 0;
  asio::cancellation_signal watch_signal_;

  // The streamed response in progress.
  bool chunked_ = true;
  bool streaming_ = false;
  bool writing_ = false;
  bool stream_broken_ = false;
  bool stream_timed_out_ = false;
  uint64_t stream_generation_ = 0;
  Clock::time_point last_write_;
  asio::steady_timer write_idle_;  // never expires; cancelled when a write completes
  asio::steady_timer heartbeat_timer_;
};

template <bool kTls>
asio::awaitable<void> Connection<kTls>::Run() {
  auto self = this->shared_from_this();
  worker_.Add(this);
  // Runs however Run ends, including when the io_context is destroyed with the frame suspended.
  struct Finally {
    Connection* connection;
    ~Finally() {
      connection->worker_.Remove(connection);
      connection->core_.ConnectionClosed();
    }
  } finally{this};

  error_code ec;
  auto endpoint = Socket().remote_endpoint(ec);
  remote_ = ec ? std::string("unknown") : FormatEndpoint(endpoint);
  Socket().set_option(tcp::no_delay(true), ec);

  if constexpr (kTls) {
    phase_ = Phase::kReading;
    SetDeadline(options_.header_timeout);
    auto [handshake_ec] =
        co_await stream_.async_handshake(asio::ssl::stream_base::server, kUseAwaitable);
    ClearDeadline();
    if (handshake_ec) {
      Socket().close(ec);
      co_return;
    }
  }

  Outcome outcome = Outcome::kClose;
  try {
    do {
      outcome = co_await ServeOne();
    } while (outcome == Outcome::kContinue && !force_closed_);
  } catch (const std::exception& e) {
    core_.LogError(fmt::format("connection from {} failed: {}", remote_, e.what()));
  }
  co_await Close(outcome == Outcome::kCloseAfterDiscard);
}

template <bool kTls>
asio::awaitable<typename Connection<kTls>::Outcome> Connection<kTls>::ServeOne() {
  reader_.Reset();
  request_ = nullptr;
  body_bytes_ = 0;
  phase_ = Phase::kIdle;
  if (buffer_.size() > 0) {  // a pipelined request is already here
    phase_ = Phase::kReading;
    request_start_ = Clock::now();
    Consume();
  }
  bool header_deadline_set = false;
  while (!reader_.header_done() && !reader_.error()) {
    if (phase_ == Phase::kIdle) {
      if (core_.shutting_down.load() || cancelled_) co_return Outcome::kClose;
      SetDeadline(options_.idle_timeout);
    } else if (!header_deadline_set) {
      deadline_ = request_start_ + options_.header_timeout;
      header_deadline_set = true;
    }
    auto [ec, n] = co_await ReadSome(kHeaderReadSize);
    if (ec) {
      ClearDeadline();
      // Idle: a timeout, a shutdown or the client leaving; nothing to answer.
      if (phase_ == Phase::kIdle || force_closed_) co_return Outcome::kClose;
      if (timed_out_) {
        co_await SendError(
            408, core::Error::DeadlineExceeded("the request header did not arrive within {} ms",
                                               options_.header_timeout.count()));
        co_return Outcome::kCloseAfterDiscard;
      }
      co_return Outcome::kClose;  // closed or reset mid-header: nobody to answer
    }
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kReading;
      request_start_ = Clock::now();
    }
    Consume();
  }
  if (!reader_.error() && !reader_.done()) {
    if (reader_.expects_continue()) {
      if (co_await WriteAll("HTTP/1.1 100 Continue\r\n\r\n")) co_return Outcome::kClose;
    }
    SetDeadline(options_.body_timeout);
    while (!reader_.done() && !reader_.error()) {
      auto [ec, n] = co_await ReadSome(kBodyReadSize);
      if (ec) {
        ClearDeadline();
        if (force_closed_) co_return Outcome::kClose;
        if (timed_out_) {
          co_await SendError(
              408, core::Error::DeadlineExceeded("the request body did not arrive within {} ms",
                                                 options_.body_timeout.count()));
          co_return Outcome::kCloseAfterDiscard;
        }
        co_return Outcome::kClose;
      }
      Consume();
    }
  }
  ClearDeadline();
  if (reader_.error()) {
    co_await SendError(reader_.error()->status, reader_.error()->error);
    co_return Outcome::kCloseAfterDiscard;
  }
  co_return co_await Respond();
}

template <bool kTls>
asio::awaitable<typename Connection<kTls>::Outcome> Connection<kTls>::Respond() {
  Request request = reader_.TakeRequest();
  request_ = &request;
  const int version = reader_.version();
  bool keep_alive = reader_.keep_alive();
  const bool head_only = request.method == "HEAD";

  phase_ = Phase::kHandling;
  RequestContext context(request, this, remote_, version, kTls);
  Response response;
  try {
    response = co_await core_.router.Dispatch(context);
  } catch (const std::exception& e) {
    core_.LogError(
        fmt::format("handler for {} {} threw: {}", request.method, request.target, e.what()));
    response = Response::FromError(core::Error::Internal("the request handler failed"));
  } catch (...) {
    core_.LogError(fmt::format("handler for {} {} threw", request.method, request.target));
    response = Response::FromError(core::Error::Internal("the request handler failed"));
  }
  if (force_closed_) {
    StopWatcher();
    co_return Outcome::kClose;
  }
  if (response.status < 100 || response.status > 999) {
    core_.LogError(fmt::format("handler for {} {} returned status {}", request.method,
                               request.target, response.status));
    response = Response::FromError(core::Error::Internal("the request handler failed"));
  }
  keep_alive = keep_alive && !cancelled_ && !core_.shutting_down.load();

  if (response.stream && response.stream->producer && StatusAllowsBody(response.status)) {
    co_return co_await RunStream(response, version, keep_alive, head_only);
  }
  StopWatcher();

  const bool has_body = StatusAllowsBody(response.status);
  head_.clear();
  size_t dropped = AppendResponseHead(head_, version, response.status, response.headers,
                                      has_body ? BodyFraming::kContentLength : BodyFraming::kNone,
                                      response.body.size(), keep_alive);
  if (dropped > 0) {
    core_.LogError(fmt::format("dropped {} invalid header field(s) from the response to {} {}",
                               dropped, request.method, request.target));
  }
  std::string_view body = has_body && !head_only ? std::string_view(response.body) : "";
  phase_ = Phase::kWriting;
  error_code ec = co_await WriteAll(head_, body);
  body_bytes_ = body.size();
  LogAccess(response.status);
  request_ = nullptr;
  if (ec) co_return Outcome::kClose;
  co_return keep_alive ? Outcome::kContinue : Outcome::kClose;
}

template <bool kTls>
asio::awaitable<typename Connection<kTls>::Outcome> Connection<kTls>::RunStream(Response& response,
                                                                                int version,
                                                                                bool keep_alive,
                                                                                bool head_only) {
  // HTTP/1.0 has no chunked encoding: the body runs until the connection closes.
  chunked_ = version == 11;
  if (!chunked_) keep_alive = false;
  head_.clear();
  AppendResponseHead(head_, version, response.status, response.headers,
                     chunked_ ? BodyFraming::kChunked : BodyFraming::kUntilClose, 0, keep_alive);
  phase_ = Phase::kWriting;
  error_code ec = co_await WriteAll(head_);
  if (ec || head_only) {
    StopWatcher();
    LogAccess(response.status);
    co_return ec ? Outcome::kClose : (keep_alive ? Outcome::kContinue : Outcome::kClose);
  }

  phase_ = Phase::kStreaming;
  streaming_ = true;
  stream_broken_ = false;
  stream_timed_out_ = false;
  writing_ = false;
  last_write_ = Clock::now();
  const uint64_t generation = ++stream_generation_;
  // Shutdown may have begun while the handler ran: the producer must see it from the start.
  if (core_.shutting_down.load()) MarkCancelled();
  ArmWatcher();
  if (response.stream->event_stream && options_.sse_heartbeat_interval.count() > 0) {
    asio::co_spawn(worker_.ioc, Heartbeat(this->shared_from_this(), generation), asio::detached);
  }

  core::Status status;
  try {
    status = co_await response.stream->producer(*this);
  } catch (const std::exception& e) {
    status = core::Error::Internal("the stream producer threw: {}", e.what());
  } catch (...) {
    status = core::Error::Internal("the stream producer threw");
  }
  streaming_ = false;
  ++stream_generation_;
  heartbeat_timer_.cancel();
  while (writing_) (void)co_await write_idle_.async_wait(kUseAwaitable);
  StopWatcher();

  Outcome outcome = keep_alive && !cancelled_ && !core_.shutting_down.load() ? Outcome::kContinue
                                                                             : Outcome::kClose;
  bool clean_end = status.ok() || status.error().code() == core::ErrorCode::kCancelled;
  if (!clean_end) {
    core_.LogError(fmt::format("stream for {} {} failed: {}", request_->method, request_->target,
                               status.error().ToString()));
    outcome = Outcome::kClose;  // without the last chunk: the client sees a truncated body
  } else if (chunked_ && !stream_broken_ && !force_closed_) {
    phase_ = Phase::kWriting;
    if (co_await WriteAll(kLastChunk)) outcome = Outcome::kClose;
  }
  if (stream_broken_ || force_closed_) outcome = Outcome::kClose;
  phase_ = Phase::kWriting;
  LogAccess(response.status);
  co_return outcome;
}

template <bool kTls>
asio::awaitable<void> Connection<kTls>::Heartbeat(std::shared_ptr<Connection> self,
                                                  uint64_t generation) {
  const auto interval = self->options_.sse_heartbeat_interval;
  auto live = [&] {
    return generation == self->stream_generation_ && self->streaming_ && !self->cancelled_ &&
           !self->stream_broken_;
  };
  while (live()) {
    self->heartbeat_timer_.expires_at(self->last_write_ + interval);
    (void)co_await self->heartbeat_timer_.async_wait(kUseAwaitable);
    if (!live()) break;
    if (self->writing_ || Clock::now() < self->last_write_ + interval) continue;
    (void)co_await self->WriteChunk(kHeartbeat);
  }
}

template <bool kTls>
asio::awaitable<void> Connection<kTls>::Close(bool discard_input) {
  error_code ec;
  phase_ = Phase::kWriting;
  StopWatcher();
  if (!force_closed_ && !stream_broken_) {
    if constexpr (kTls) {
      SetDeadline(std::min<Clock::duration>(options_.write_timeout, kLingerTime));
      (void)co_await stream_.async_shutdown(kUseAwaitable);
      ClearDeadline();
    } else {
      Socket().shutdown(tcp::socket::shutdown_send, ec);
      if (discard_input) {
        // Let the client read our error reply before the close resets the connection.
        SetDeadline(kLingerTime);
        size_t discarded = 0;
        while (discarded < kLingerBytes) {
          buffer_.clear();
          auto [read_ec, n] = co_await ReadSome(kBodyReadSize);
          if (read_ec) break;
          discarded += n;
        }
        ClearDeadline();
      }
    }
  }
  Socket().close(ec);
}

}  // namespace

void StartConnection(Worker& worker, tcp::socket socket) {
  std::shared_ptr<ConnectionBase> connection;
  if (worker.core.tls) {
    auto tls = std::make_shared<Connection<true>>(worker, std::move(socket));
    asio::co_spawn(
        worker.ioc, [tls]() { return tls->Run(); }, asio::detached);
  } else {
    auto plain = std::make_shared<Connection<false>>(worker, std::move(socket));
    asio::co_spawn(
        worker.ioc, [plain]() { return plain->Run(); }, asio::detached);
  }
}

}  // namespace bedrock::http::internal

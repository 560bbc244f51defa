#include "http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <limits>
#include <mutex>
#include <utility>
#include <variant>
#include <vector>

namespace bedrock::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::any_io_executor>;
using TcpStream = beast::tcp_stream;
using TlsStream = ssl::stream<TcpStream>;
using ResponseParser = bhttp::response_parser<bhttp::buffer_body>;
using error_code = boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadPieceBytes = 16 << 10;

Clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  return timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
}

void SetDeadline(TcpStream& stream, Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) {
    stream.expires_never();
  } else {
    stream.expires_at(deadline);
  }
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

bool IsIdempotentMethod(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    if (method == m) return true;
  }
  return false;
}

// The server went away without a byte of response: what a stale pooled connection looks like.
bool IsConnectionLoss(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

bool IsBeastHttpError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category();
}

// The one mapping from I/O errors to the error taxonomy. `doing` and `where` make the message:
// "reading the response from api.example:443: timed out".
core::Error IoError(const error_code& ec, std::string_view doing, std::string_view where) {
  if (ec == asio::error::operation_aborted) {
    return core::Error::Cancelled("{} {}: cancelled", doing, where);
  }
  if (ec == beast::error::timeout) {
    return core::Error::DeadlineExceeded("{} {}: timed out", doing, where);
  }
  if (ec == bhttp::error::body_limit) {
    return core::Error::PayloadTooLarge("response body from {} exceeds the size limit", where);
  }
  if (ec == bhttp::error::header_limit) {
    return core::Error::PayloadTooLarge("response header from {} exceeds the size limit", where);
  }
  if (ec == bhttp::error::end_of_stream) {
    return core::Error::Unavailable("{} {}: connection closed before a response", doing, where);
  }
  if (ec == bhttp::error::partial_message) {
    return core::Error::UpstreamFailure("response from {} ended before its body was complete",
                                        where);
  }
  if (IsBeastHttpError(ec)) {
    return core::Error::UpstreamFailure("malformed response from {}: {}", where, ec.message());
  }
  return core::Error::Unavailable("{} {}: {}", doing, where, ec.message());
}

bool IsCancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

namespace internal {

// One HTTP/1.1 connection, plain or TLS. Owned by exactly one request at a time (or by the pool);
// every operation on it runs on `strand`.
struct Connection {
  explicit Connection(Strand s)
      : strand(std::move(s)), stream(std::in_place_index<0>, asio::any_io_executor(strand)) {}

  TcpStream& tcp() {
    if (auto* tls = std::get_if<TlsStream>(&stream)) return tls->next_layer();
    return std::get<TcpStream>(stream);
  }

  void Close() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  // Whether an idle connection still looks usable: open, and nothing unread waiting on it (an idle
  // HTTP/1.1 connection has nothing to read; EOF or stray bytes mean it must not be reused).
  bool LooksReusable() {
    if (!tcp().socket().is_open() || buffer.size() != 0) return false;
    char byte;
    ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  Strand strand;
  std::variant<TcpStream, TlsStream> stream;
  beast::flat_buffer buffer;  // bytes read past the parser's last message
  std::string pool_key;
  Clock::time_point idle_since;
};

// A request ready to send, shared by its attempts.
struct Prepared {
  HttpUrl url;
  std::optional<ProxyEndpoint> proxy;
  std::string pool_key;
  std::string method;
  Headers headers;
  std::string body;
  bool idempotent = false;
  bool close_after = false;  // the caller asked for Connection: close
  Clock::time_point deadline;
  std::chrono::milliseconds read_idle_timeout{0};
};

// What one attempt produced; default-constructible because co_spawn requires it.
struct Outcome {
  std::optional<core::Error> error;
  bool retry = false;  // failed in a way that allows sending the request again, fresh connection
  Response response;
  std::shared_ptr<StreamState> stream;
};

// A response body being streamed. Everything but `closed` and `finished` is touched only on
// `strand`; `conn` is null once the connection went back to the pool or was closed.
struct StreamState {
  explicit StreamState(Strand s) : strand(std::move(s)) {}

  std::shared_ptr<ClientImpl> client;
  Strand strand;
  std::unique_ptr<Connection> conn;
  std::unique_ptr<ResponseParser> parser;
  std::string where;
  std::chrono::milliseconds read_idle_timeout{0};
  bool reusable = false;
  bool done = false;
  std::optional<core::Error> failure;
  std::atomic<bool> closed{false};    // Close() was called
  std::atomic<bool> finished{false};  // the connection was released or closed
};

struct Piece {
  std::optional<core::Error> error;
  std::optional<std::string> data;
};

class ClientImpl : public std::enable_shared_from_this<ClientImpl> {
 public:
  ClientImpl(asio::any_io_executor executor, ClientOptions options, ProxyConfig proxy)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        proxy_(std::move(proxy)),
        ssl_ctx_(ssl::context::tls_client) {}

  core::Status InitTls() {
    SSL_CTX_set_min_proto_version(ssl_ctx_.native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (options_.use_system_cas) {
      ssl_ctx_.set_default_verify_paths(ec);
      if (ec)
        return core::Error::Internal("cannot load the system CA certificates: {}", ec.message());
    }
    if (!options_.ca_file.empty()) {
      ssl_ctx_.load_verify_file(options_.ca_file, ec);
      if (ec) {
        return core::Error::InvalidArgument("cannot load CA file {}: {}", options_.ca_file,
                                            ec.message());
      }
    }
    ssl_ctx_.set_verify_mode(options_.verify_peer ? ssl::verify_peer : ssl::verify_none);
    return core::OkStatus();
  }

  core::Result<std::shared_ptr<const Prepared>> Prepare(ClientRequest request);

  asio::awaitable<Outcome> Run(std::shared_ptr<const Prepared> prepared, bool buffered);

  static asio::awaitable<Outcome> Exchange(std::shared_ptr<ClientImpl> self, Strand strand,
                                           std::unique_ptr<Connection> conn,
                                           std::shared_ptr<const Prepared> p, bool buffered);

  static asio::awaitable<Piece> ReadPiece(std::shared_ptr<StreamState> state);

  // Returns a finished exchange's connection to the pool. Called on the connection's strand.
  void Release(std::unique_ptr<Connection> conn);
  // A live idle connection for this origin, or null.
  std::unique_ptr<Connection> Take(const std::string& key);
  void CloseIdle();
  Client::Stats stats() const;
  // Moves connections idle for longer than idle_timeout to `discard`. Requires mutex_.
  void SweepExpiredLocked(std::vector<std::unique_ptr<Connection>>& discard);

 private:
  asio::awaitable<core::Result<std::unique_ptr<Connection>>> Connect(Strand strand,
                                                                     const Prepared& p);

  asio::any_io_executor executor_;
  const ClientOptions options_;
  const ProxyConfig proxy_;
  ssl::context ssl_ctx_;  // immutable after InitTls; OpenSSL allows concurrent SSL_new on it

  mutable std::mutex mutex_;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle_;  // guarded by mutex_
  std::atomic<size_t> connections_opened_{0};
  std::atomic<size_t> retries_{0};
};

namespace {

// Reads the next piece of body into [data, data + size); returns the bytes stored (possibly 0 when
// only framing was parsed). Handles a close-delimited body ended by a TLS peer without
// close_notify, which is how many servers end such bodies.
template <typename Stream>
asio::awaitable<std::pair<error_code, size_t>> ReadBodyStep(Stream& stream,
                                                            beast::flat_buffer& buffer,
                                                            ResponseParser& parser, char* data,
                                                            size_t size) {
  parser.get().body().data = data;
  parser.get().body().size = size;
  auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kTuple);
  (void)n;
  if (ec == bhttp::error::need_buffer) ec = {};
  if (ec == ssl::error::stream_truncated && parser.got_some() && parser.need_eof()) {
    ec = {};
    parser.put_eof(ec);
  }
  co_return std::pair{ec, size - parser.get().body().size};
}

asio::awaitable<std::pair<error_code, size_t>> ReadBodyStep(Connection& conn,
                                                            ResponseParser& parser, char* data,
                                                            size_t size) {
  if (auto* tls = std::get_if<TlsStream>(&conn.stream)) {
    co_return co_await ReadBodyStep(*tls, conn.buffer, parser, data, size);
  }
  co_return co_await ReadBodyStep(std::get<TcpStream>(conn.stream), conn.buffer, parser, data,
                                  size);
}

template <typename Stream, typename Message>
asio::awaitable<std::pair<error_code, size_t>> WriteMessage(Stream& stream, Message& message) {
  auto [ec, n] = co_await bhttp::async_write(stream, message, kTuple);
  co_return std::pair{ec, n};
}

template <typename Stream>
asio::awaitable<error_code> ReadHeader(Stream& stream, beast::flat_buffer& buffer,
                                       ResponseParser& parser) {
  auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
  (void)n;
  co_return ec;
}

Headers ToHeaders(const ResponseParser& parser) {
  Headers headers;
  for (const auto& field : parser.get()) {
    auto name = field.name_string();
    auto value = field.value();
    headers.Add(std::string(name.data(), name.size()), std::string(value.data(), value.size()));
  }
  return headers;
}

// The per-response parser, configured for this client and request.
std::unique_ptr<ResponseParser> MakeParser(const ClientOptions& options, const Prepared& p,
                                           bool buffered) {
  auto parser = std::make_unique<ResponseParser>();
  parser->header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(options.max_response_header, std::numeric_limits<std::uint32_t>::max())));
  if (buffered) {
    parser->body_limit(options.max_response_body);
  } else {
    parser->body_limit(boost::none);
  }
  if (p.method == "HEAD") parser->skip(true);
  return parser;
}

void FinishConnection(ClientImpl& client, std::unique_ptr<Connection> conn, bool reusable) {
  if (reusable && conn->buffer.size() == 0) {
    client.Release(std::move(conn));
  } else {
    conn->Close();
  }
}

}  // namespace

core::Result<std::shared_ptr<const Prepared>> ClientImpl::Prepare(ClientRequest request) {
  auto p = std::make_shared<Prepared>();
  auto url = ParseHttpUrl(request.url);
  if (!url.ok()) return std::move(url).error();
  p->url = std::move(*url);
  if (!p->url.user.empty() || !p->url.password.empty()) {
    return core::Error::InvalidArgument("URL '{}' carries credentials; send them in a header",
                                        p->url.AbsoluteForm());
  }
  auto proxy = SelectProxy(proxy_, p->url);
  if (!proxy.ok()) return std::move(proxy).error();
  p->proxy = std::move(*proxy);
  p->pool_key = p->url.Origin();
  if (p->proxy) p->pool_key += " via " + p->proxy->Key();

  if (!IsToken(request.method)) {
    return core::Error::InvalidArgument("invalid HTTP method '{}'", request.method);
  }
  p->method = std::move(request.method);
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) return core::Error::InvalidArgument("invalid header name '{}'", name);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return core::Error::InvalidArgument("header {} has a line break or NUL in its value", name);
    }
    // The client frames the body itself.
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    if (EqualsIgnoreCase(name, "Connection") && EqualsIgnoreCase(value, "close")) {
      p->close_after = true;
    }
    p->headers.Add(name, value);
  }
  p->body = std::move(request.body);
  p->idempotent = request.idempotent.value_or(IsIdempotentMethod(p->method));
  p->deadline = DeadlineAfter(request.timeout.value_or(options_.request_timeout));
  p->read_idle_timeout = request.read_idle_timeout.value_or(options_.stream_idle_timeout);
  return std::shared_ptr<const Prepared>(std::move(p));
}

std::unique_ptr<Connection> ClientImpl::Take(const std::string& key) {
  std::vector<std::unique_ptr<Connection>> discard;  // closed outside the lock
  std::unique_ptr<Connection> found;
  {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    const auto now = Clock::now();
    while (!list.empty() && !found) {
      std::unique_ptr<Connection> conn = std::move(list.back());  // the most recently used
      list.pop_back();
      bool expired =
          options_.idle_timeout.count() > 0 && now - conn->idle_since > options_.idle_timeout;
      if (!expired && conn->LooksReusable()) {
        found = std::move(conn);
      } else {
        discard.push_back(std::move(conn));
      }
    }
    if (list.empty()) idle_.erase(it);
  }
  return found;
}

void ClientImpl::Release(std::unique_ptr<Connection> conn) {
  conn->tcp().expires_never();
  conn->idle_since = Clock::now();
  std::vector<std::unique_ptr<Connection>> discard;  // closed outside the lock
  const std::string key = conn->pool_key;
  std::lock_guard lock(mutex_);
  SweepExpiredLocked(discard);
  auto& list = idle_[key];
  list.push_back(std::move(conn));
  while (list.size() > options_.max_idle_per_origin) {
    discard.push_back(std::move(list.front()));
    list.pop_front();
  }
  if (list.empty()) idle_.erase(key);
}

void ClientImpl::SweepExpiredLocked(std::vector<std::unique_ptr<Connection>>& discard) {
  if (options_.idle_timeout.count() <= 0) return;
  const auto oldest_allowed = Clock::now() - options_.idle_timeout;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;  // oldest first
    while (!list.empty() && list.front()->idle_since < oldest_allowed) {
      discard.push_back(std::move(list.front()));
      list.pop_front();
    }
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

void ClientImpl::CloseIdle() {
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> discard;
  std::lock_guard lock(mutex_);
  discard.swap(idle_);
}

Client::Stats ClientImpl::stats() const {
  Client::Stats s;
  s.connections_opened = connections_opened_.load();
  s.retries = retries_.load();
  std::lock_guard lock(mutex_);
  for (const auto& [key, list] : idle_) s.idle_connections += list.size();
  return s;
}

asio::awaitable<core::Result<std::unique_ptr<Connection>>> ClientImpl::Connect(Strand strand,
                                                                               const Prepared& p) {
  auto conn = std::make_unique<Connection>(strand);
  conn->pool_key = p.pool_key;
  auto cancel_state = co_await asio::this_coro::cancellation_state;

  Clock::time_point deadline = p.deadline;
  if (options_.connect_timeout.count() > 0) {
    deadline = std::min(deadline, Clock::now() + options_.connect_timeout);
  }

  // The first hop: the proxy when there is one, else the origin.
  const HttpUrl& hop = p.proxy ? p.proxy->url : p.url;
  const std::string where = p.proxy ? "proxy " + hop.Authority() : hop.Authority();
  auto reason = [](const auto& message) {
    auto r = message.reason();
    return std::string(r.data(), r.size());
  };
  std::string address = hop.host;
  bool is_ip = hop.host_is_ip;
  if (auto it = options_.resolve_overrides.find(hop.host); it != options_.resolve_overrides.end()) {
    address = it->second;
    is_ip = true;
  }

  std::vector<tcp::endpoint> endpoints;
  if (is_ip) {
    error_code ec;
    auto ip = asio::ip::make_address(address, ec);
    if (ec) co_return core::Error::InvalidArgument("invalid IP address '{}'", address);
    endpoints.emplace_back(ip, hop.port);
  } else {
    // The resolver has no deadline of its own: a timer cancels it. The timer's handler holds only
    // a weak reference, so it is harmless if it runs after the resolver is gone.
    auto resolver = std::make_shared<tcp::resolver>(strand);
    asio::steady_timer timer(strand);
    bool timed_out = false;
    if (deadline != Clock::time_point::max()) {
      timer.expires_at(deadline);
      timer.async_wait([weak = std::weak_ptr(resolver), &timed_out](error_code ec) {
        if (ec) return;
        if (auto r = weak.lock()) {
          timed_out = true;
          r->cancel();
        }
      });
    }
    auto [ec, results] =
        co_await resolver->async_resolve(address, std::to_string(hop.port), kTuple);
    timer.cancel();
    resolver.reset();
    if (ec) {
      if (timed_out) co_return core::Error::DeadlineExceeded("resolving {}: timed out", hop.host);
      if (ec == asio::error::operation_aborted) {
        co_return core::Error::Cancelled("resolving {}: cancelled", hop.host);
      }
      co_return core::Error::Unavailable("cannot resolve {}: {}", hop.host, ec.message());
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  SetDeadline(conn->tcp(), deadline);
  {
    auto [ec, endpoint] = co_await conn->tcp().async_connect(endpoints, kTuple);
    (void)endpoint;
    if (ec) co_return IoError(ec, "connecting to", where);
  }
  connections_opened_.fetch_add(1);
  {
    error_code ignored;
    conn->tcp().socket().set_option(tcp::no_delay(true), ignored);
  }

  if (p.proxy && p.url.is_https()) {
    // An HTTP CONNECT tunnel through the proxy; TLS then runs end to end inside it.
    bhttp::request<bhttp::empty_body> connect{bhttp::verb::connect, p.url.Authority(), 11};
    connect.set(bhttp::field::host, p.url.Authority());
    if (!p.proxy->authorization.empty()) {
      connect.set(bhttp::field::proxy_authorization, p.proxy->authorization);
    }
    auto [wec, written] = co_await WriteMessage(conn->tcp(), connect);
    (void)written;
    if (wec) co_return IoError(wec, "sending CONNECT to", where);
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a successful CONNECT response has no body: the tunnel follows
    parser.header_limit(static_cast<std::uint32_t>(options_.max_response_header));
    auto [rec, read] = co_await bhttp::async_read(conn->tcp(), conn->buffer, parser, kTuple);
    (void)read;
    if (rec) co_return IoError(rec, "reading the CONNECT response from", where);
    const int status = parser.get().result_int();
    if (status == 407) {
      co_return core::Error::Unauthenticated("{} refused CONNECT to {}: 407 {}", where,
                                             p.url.Authority(), reason(parser.get()));
    }
    if (status < 200 || status > 299) {
      co_return core::Error::Unavailable("{} refused CONNECT to {}: {} {}", where,
                                         p.url.Authority(), status, reason(parser.get()));
    }
    if (conn->buffer.size() != 0) {
      co_return core::Error::UpstreamFailure("{} sent data before the TLS handshake", where);
    }
  }

  if (p.url.is_https()) {
    TcpStream tcp_layer = std::move(std::get<TcpStream>(conn->stream));
    auto& tls = conn->stream.emplace<TlsStream>(std::move(tcp_layer), ssl_ctx_);
    SSL* ssl_handle = tls.native_handle();
    const std::string& host = p.url.host;
    if (!p.url.host_is_ip) SSL_set_tlsext_host_name(ssl_handle, host.c_str());
    if (options_.verify_peer) {
      // OpenSSL checks the name (or IP address) as part of chain verification, so a mismatch fails
      // the handshake with X509_V_ERR_HOSTNAME_MISMATCH / X509_V_ERR_IP_ADDRESS_MISMATCH.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int ok = p.url.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
      if (ok != 1) co_return core::Error::Internal("cannot set the TLS peer name {}", host);
    }
    SetDeadline(tls.next_layer(), deadline);
    auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, kTuple);
    if (ec) {
      long verify = SSL_get_verify_result(ssl_handle);
      if (options_.verify_peer && verify != X509_V_OK && !IsCancelled(cancel_state)) {
        co_return core::Error::Unavailable("TLS certificate verification failed for {}: {}", host,
                                           X509_verify_cert_error_string(verify));
      }
      co_return IoError(ec, "TLS handshake with", p.url.Authority());
    }
  }
  co_return conn;
}

asio::awaitable<Outcome> ClientImpl::Exchange(std::shared_ptr<ClientImpl> self, Strand strand,
                                              std::unique_ptr<Connection> conn,
                                              std::shared_ptr<const Prepared> p, bool buffered) {
  // Errors are values here: an operation aborted by cancellation completes with an error code.
  co_await asio::this_coro::throw_if_cancelled(false);
  auto cancel_state = co_await asio::this_coro::cancellation_state;
  const std::string where = p->url.Authority();
  Outcome out;
  const bool reused = conn != nullptr;
  // A cancellation emitted before an operation starts would be lost (nothing is listening on the
  // slot yet), so the state is also checked between steps.
  if (IsCancelled(cancel_state)) {
    if (conn) conn->Close();
    out.error = core::Error::Cancelled("request to {}: cancelled", where);
    co_return out;
  }
  if (!conn) {
    auto connected = co_await self->Connect(strand, *p);
    if (!connected.ok()) {
      out.error = std::move(connected).error();
      co_return out;
    }
    conn = std::move(*connected);
  }

  // Writes the request.
  bhttp::request<bhttp::span_body<const char>> request;
  request.method_string(p->method);
  request.target(p->proxy && !p->url.is_https() ? p->url.AbsoluteForm() : p->url.target);
  request.version(11);
  for (const auto& [name, value] : p->headers) request.insert(name, value);
  if (!p->headers.Contains("Host")) request.set(bhttp::field::host, p->url.HostHeader());
  if (!p->headers.Contains("User-Agent") && !self->options_.user_agent.empty()) {
    request.set(bhttp::field::user_agent, self->options_.user_agent);
  }
  if (p->proxy && !p->url.is_https() && !p->proxy->authorization.empty()) {
    request.set(bhttp::field::proxy_authorization, p->proxy->authorization);
  }
  request.body() = boost::span<const char>(p->body.data(), p->body.size());
  if (!p->body.empty() || p->method == "POST" || p->method == "PUT" || p->method == "PATCH") {
    request.prepare_payload();
  }

  if (IsCancelled(cancel_state)) {
    conn->Close();
    out.error = core::Error::Cancelled("request to {}: cancelled", where);
    co_return out;
  }
  SetDeadline(conn->tcp(), p->deadline);
  error_code ec;
  size_t written = 0;
  if (auto* tls = std::get_if<TlsStream>(&conn->stream)) {
    std::tie(ec, written) = co_await WriteMessage(*tls, request);
  } else {
    std::tie(ec, written) = co_await WriteMessage(std::get<TcpStream>(conn->stream), request);
  }
  if (ec) {
    conn->Close();
    out.error = IoError(ec, "sending the request to", where);
    out.retry = reused && !IsCancelled(cancel_state) && (written == 0 || p->idempotent) &&
                IsConnectionLoss(ec);
    co_return out;
  }

  // Reads the response head, skipping interim 1xx responses.
  std::unique_ptr<ResponseParser> parser;
  while (true) {
    parser = MakeParser(self->options_, *p, buffered);
    if (auto* tls = std::get_if<TlsStream>(&conn->stream)) {
      ec = co_await ReadHeader(*tls, conn->buffer, *parser);
    } else {
      ec = co_await ReadHeader(std::get<TcpStream>(conn->stream), conn->buffer, *parser);
    }
    if (ec) break;
    const int status = parser->get().result_int();
    if (status < 100 || status > 199 || status == 101) break;
  }
  if (ec) {
    const bool nothing_received = !parser->got_some() && conn->buffer.size() == 0;
    conn->Close();
    out.error = IoError(ec, "reading the response from", where);
    out.retry = reused && !IsCancelled(cancel_state) && p->idempotent && nothing_received &&
                IsConnectionLoss(ec);
    co_return out;
  }
  out.response.status = parser->get().result_int();
  out.response.headers = ToHeaders(*parser);
  const bool reusable = !p->close_after && parser->keep_alive();

  if (!buffered) {
    auto state = std::make_shared<StreamState>(strand);
    state->client = self;
    state->where = where;
    state->read_idle_timeout = p->read_idle_timeout;
    state->reusable = reusable;
    if (parser->is_done()) {  // no body (HEAD, 204, 304, Content-Length: 0)
      state->done = true;
      state->finished = true;
      FinishConnection(*self, std::move(conn), reusable);
    } else {
      state->conn = std::move(conn);
      state->parser = std::move(parser);
    }
    out.stream = std::move(state);
    co_return out;
  }

  // Reads the whole body straight into the response, the parser enforcing max_response_body.
  std::string& body = out.response.body;
  if (auto length = parser->content_length()) body.reserve(static_cast<size_t>(*length));
  while (!parser->is_done()) {
    const size_t old_size = body.size();
    body.resize(old_size + kReadPieceBytes);
    auto [read_ec, got] =
        co_await ReadBodyStep(*conn, *parser, body.data() + old_size, kReadPieceBytes);
    body.resize(old_size + got);
    if (read_ec) {
      conn->Close();
      out.error = IoError(read_ec, "reading the response from", where);
      co_return out;
    }
  }
  FinishConnection(*self, std::move(conn), reusable);
  co_return out;
}

asio::awaitable<Outcome> ClientImpl::Run(std::shared_ptr<const Prepared> prepared, bool buffered) {
  // A request that failed on a reused connection before the server could have acted on it is sent
  // once more, on a fresh connection (see Outcome::retry).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = attempt == 0 ? Take(prepared->pool_key) : nullptr;
    Strand strand = conn ? conn->strand : asio::make_strand(executor_);
    // The exchange runs on the connection's strand; `prepared` and `self` are shared so the
    // coroutine never refers to this frame.
    Outcome outcome = co_await asio::co_spawn(
        strand, Exchange(shared_from_this(), strand, std::move(conn), prepared, buffered),
        asio::use_awaitable);
    if (outcome.error && outcome.retry && attempt == 0) {
      retries_.fetch_add(1);
      continue;
    }
    co_return outcome;
  }
}

asio::awaitable<Piece> ClientImpl::ReadPiece(std::shared_ptr<StreamState> state) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto fail = [&](core::Error error) {
    if (state->conn) {
      state->conn->Close();
      state->conn.reset();
    }
    state->finished = true;
    state->failure = error;
    return Piece{.error = std::move(error), .data = std::nullopt};
  };
  if (state->failure) co_return Piece{.error = state->failure, .data = std::nullopt};
  if (state->done) co_return Piece{};
  if (state->closed) co_return fail(core::Error::Cancelled("stream from {} closed", state->where));
  if (IsCancelled(co_await asio::this_coro::cancellation_state)) {
    co_return fail(core::Error::Cancelled("reading the stream from {}: cancelled", state->where));
  }

  Connection& conn = *state->conn;
  SetDeadline(conn.tcp(), DeadlineAfter(state->read_idle_timeout));
  std::string data(kReadPieceBytes, '\0');
  while (true) {
    auto [ec, got] = co_await ReadBodyStep(conn, *state->parser, data.data(), data.size());
    if (state->closed)
      co_return fail(core::Error::Cancelled("stream from {} closed", state->where));
    if (ec) co_return fail(IoError(ec, "reading the response from", state->where));
    const bool done = state->parser->is_done();
    if (done) {
      state->done = true;
      state->parser.reset();
      FinishConnection(*state->client, std::move(state->conn), state->reusable);
      state->finished = true;
    }
    if (got > 0) {
      data.resize(got);
      co_return Piece{.error = std::nullopt, .data = std::move(data)};
    }
    if (done) co_return Piece{};
  }
}

}  // namespace internal

// --- StreamingResponse ---

StreamingResponse::StreamingResponse(int status, Headers headers,
                                     std::shared_ptr<internal::StreamState> state)
    : status_(status), headers_(std::move(headers)), state_(std::move(state)) {}

StreamingResponse::StreamingResponse(StreamingResponse&&) noexcept = default;

StreamingResponse& StreamingResponse::operator=(StreamingResponse&& other) noexcept {
  if (this != &other) {
    Close();
    status_ = other.status_;
    headers_ = std::move(other.headers_);
    state_ = std::move(other.state_);
  }
  return *this;
}

StreamingResponse::~StreamingResponse() { Close(); }

void StreamingResponse::Close() {
  if (!state_ || state_->finished) return;
  state_->closed = true;
  // Closing the socket on its strand makes a pending read complete with operation_aborted; the
  // reader then releases the connection. Without a pending read the state's destructor does.
  asio::post(state_->strand, [state = state_] {
    if (state->conn) state->conn->Close();
  });
}

asio::awaitable<core::Result<std::optional<std::string>>> StreamingResponse::ReadSome() {
  if (!state_) co_return core::Error::FailedPrecondition("ReadSome on a moved-from stream");
  std::shared_ptr<internal::StreamState> state = state_;  // outlives the read even if *this moves
  internal::Piece piece = co_await asio::co_spawn(
      state->strand, internal::ClientImpl::ReadPiece(state), asio::use_awaitable);
  if (piece.error) co_return std::move(*piece.error);
  co_return std::move(piece.data);
}

asio::awaitable<core::Result<std::string>> StreamingResponse::ReadAll(size_t max_bytes) {
  std::string body;
  while (true) {
    BEDROCK_CO_TRY_ASSIGN(std::optional<std::string> piece, co_await ReadSome());
    if (!piece) co_return body;
    if (body.size() + piece->size() > max_bytes) {
      Close();
      co_return core::Error::PayloadTooLarge("response body exceeds {} bytes", max_bytes);
    }
    body += *piece;
  }
}

// --- Client ---

core::Result<Client> Client::Create(asio::any_io_executor executor, ClientOptions options) {
  ProxyConfig proxy = options.proxy ? *options.proxy : ProxyConfigFromProcessEnvironment();
  // Surfaces a malformed proxy URL now rather than on the first request.
  for (const std::string* url : {&proxy.http_proxy, &proxy.https_proxy}) {
    if (url->empty()) continue;
    auto parsed = ParseProxyUrl(*url);
    if (!parsed.ok()) return std::move(parsed).error();
  }
  auto impl = std::make_shared<internal::ClientImpl>(std::move(executor), std::move(options),
                                                     std::move(proxy));
  if (auto status = impl->InitTls(); !status.ok()) return std::move(status).error();
  return Client(std::move(impl));
}

asio::awaitable<core::Result<Response>> Client::Send(ClientRequest request) {
  std::shared_ptr<internal::ClientImpl> impl = impl_;  // the pool outlives this call
  BEDROCK_CO_TRY_ASSIGN(auto prepared, impl->Prepare(std::move(request)));
  internal::Outcome outcome = co_await impl->Run(std::move(prepared), /*buffered=*/true);
  if (outcome.error) co_return std::move(*outcome.error);
  co_return std::move(outcome.response);
}

asio::awaitable<core::Result<StreamingResponse>> Client::Open(ClientRequest request) {
  std::shared_ptr<internal::ClientImpl> impl = impl_;
  BEDROCK_CO_TRY_ASSIGN(auto prepared, impl->Prepare(std::move(request)));
  internal::Outcome outcome = co_await impl->Run(std::move(prepared), /*buffered=*/false);
  if (outcome.error) co_return std::move(*outcome.error);
  co_return StreamingResponse(outcome.response.status, std::move(outcome.response.headers),
                              std::move(outcome.stream));
}

void Client::CloseIdleConnections() { impl_->CloseIdle(); }

Client::Stats Client::stats() const { return impl_->stats(); }

// --- SseStreamReader ---

SseStreamReader::SseStreamReader(StreamingResponse response, SseParserLimits limits)
    : response_(std::move(response)), parser_(limits) {}

asio::awaitable<core::Result<std::optional<SseEvent>>> SseStreamReader::Next() {
  while (pending_.empty()) {
    if (ended_) co_return std::optional<SseEvent>();
    BEDROCK_CO_TRY_ASSIGN(std::optional<std::string> piece, co_await response_.ReadSome());
    if (!piece) {
      ended_ = true;
      continue;
    }
    BEDROCK_CO_TRY_ASSIGN(std::vector<SseEvent> events, parser_.Feed(*piece));
    for (auto& event : events) pending_.push_back(std::move(event));
  }
  SseEvent event = std::move(pending_.front());
  pending_.pop_front();
  co_return std::optional<SseEvent>(std::move(event));
}

}  // namespace bedrock::http

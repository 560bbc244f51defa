#include "mcp/streamable_http_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "mcp/internal/async_queue.h"
#include "mcp/internal/modern_http.h"
#include "mcp/internal/random_id.h"
#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// 32 bytes from the kernel's CSPRNG as 64 hex digits (visible ASCII, as the spec requires).
std::string NewSessionId() { return internal::RandomHexId(32); }

http::Response JsonRpcErrorResponse(int status, int code, std::string_view message) {
  boost::json::object error{{"code", code}, {"message", message}};
  boost::json::object body{{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", std::move(error)}};
  return http::Response::Json(status, boost::json::serialize(body));
}

struct StreamEvent {
  uint64_t seq = 0;
  std::string json;
  bool final = false;  // the answer to one of the stream's requests
};

// The messages of one SSE stream (a POST's, or the standalone GET stream), shared between the
// session's strand (which pushes) and the HTTP connection that writes them (which may change on
// resumption). Thread-safe: everything is under the mutex; the consumer is woken by posting to its
// own executor.
class Stream {
 public:
  // `resumable`: the client was sent a priming event id for this stream, so it can reconnect
  // with Last-Event-ID after Interrupt().
  Stream(std::string id, size_t pending_requests, size_t keep, bool resumable = false)
      : id_(std::move(id)), pending_(pending_requests), keep_(keep), resumable_(resumable) {}

  const std::string& id() const { return id_; }

  // False when the stream has finished (the message must go elsewhere).
  bool Push(std::string json, bool final) {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      if (finished_) return false;
      events_.push_back(StreamEvent{next_seq_++, std::move(json), final});
      if (final && pending_ > 0 && --pending_ == 0) finished_ = true;
      while (events_.size() > keep_ && events_.front().seq <= acked_) events_.pop_front();
      wake = waker_;
    }
    if (wake) wake();
    return true;
  }

  void Finish() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      wake = waker_;
    }
    if (wake) wake();
  }

  bool finished() const {
    std::lock_guard lock(mutex_);
    return finished_;
  }

  // Ends the current consumer's response once it has delivered what was pushed so far, while the
  // stream goes on: what is pushed later waits for a consumer resuming with Last-Event-ID. False
  // when the stream is not resumable or already finished.
  bool Interrupt() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      if (!resumable_ || finished_) return false;
      interrupted_ = true;
      interrupt_at_ = next_seq_ - 1;
      wake = waker_;
    }
    if (wake) wake();
    return true;
  }

  // Whether Next's nullopt meant an Interrupt (which this consumes) rather than the end.
  bool TakeInterrupt() {
    std::lock_guard lock(mutex_);
    bool was = interrupted_;
    interrupted_ = false;
    return was;
  }

  // The next event after `cursor` (everything up to it was delivered), or nullopt once the stream
  // has finished and is drained, or when `ctx`'s client has gone.
  Awaitable<std::optional<StreamEvent>> Next(uint64_t cursor, http::RequestContext& ctx) {
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor);
    {
      std::lock_guard lock(mutex_);
      acked_ = std::max(acked_, cursor);
      // Waking sets the timer's expiry in the past, so a wake that lands before the wait starts
      // is not lost. Posting keeps every use of the timer on the consumer's executor.
      waker_ = [timer, executor] {
        asio::post(executor, [timer] { timer->expires_at(Clock::time_point::min()); });
      };
      waker_owner_ = &ctx;
    }
    for (;;) {
      timer->expires_at(Clock::time_point::max());
      {
        std::lock_guard lock(mutex_);
        for (const auto& event : events_) {
          if (event.seq > cursor && (!interrupted_ || event.seq <= interrupt_at_)) co_return event;
        }
        if (finished_ || interrupted_) co_return std::nullopt;
      }
      auto which =
          co_await (timer->async_wait(asio::as_tuple(asio::use_awaitable)) || ctx.WaitCancelled());
      if (which.index() == 1) co_return std::nullopt;
    }
  }

  // The consumer waiting with `ctx` is gone: stop waking it (unless a resuming consumer has
  // taken its place).
  void Detach(const http::RequestContext* ctx) {
    std::lock_guard lock(mutex_);
    if (waker_owner_ != ctx) return;
    waker_ = nullptr;
    waker_owner_ = nullptr;
  }

  // Whether `seq` is still replayable (nothing after it was dropped).
  bool CanResumeFrom(uint64_t seq) const {
    std::lock_guard lock(mutex_);
    return events_.empty() || events_.front().seq <= seq + 1;
  }

 private:
  const std::string id_;
  mutable std::mutex mutex_;
  std::deque<StreamEvent> events_;
  uint64_t next_seq_ = 1;
  uint64_t acked_ = 0;
  size_t pending_;  // requests not yet answered; 0 for the standalone stream (never finishes)
  size_t keep_;
  const bool resumable_;
  bool finished_ = false;
  bool interrupted_ = false;   // Interrupt() was called and no consumer has taken it yet
  uint64_t interrupt_at_ = 0;  // the last event the interrupted consumer still delivers
  std::function<void()> waker_;
  const http::RequestContext* waker_owner_ = nullptr;  // identifies the consumer; never read
};

// One session's transport. Receive/Send/Close run on the session's strand; the HTTP side
// (Register, Deliver, Cancel, FindStream) may be called from any thread. Thread-safe.
class HttpServerTransport final : public Transport,
                                  public std::enable_shared_from_this<HttpServerTransport> {
 public:
  HttpServerTransport(asio::any_io_executor strand, std::function<void()> on_close,
                      bool legacy = false)
      : strand_(std::move(strand)),
        inbox_(strand_),
        on_close_(std::move(on_close)),
        legacy_(legacy) {}

  asio::any_io_executor get_executor() override { return strand_; }

  Awaitable<core::Result<Incoming>> Receive() override { co_return co_await inbox_.Pop(); }

  Awaitable<core::Status> Send(Message message, SendOptions options) override {
    bool is_response = std::holds_alternative<Response>(message);
    bool is_request = std::holds_alternative<Request>(message);
    std::string json = Serialize(message);
    std::shared_ptr<Stream> target;
    std::shared_ptr<Stream> standalone;
    {
      std::lock_guard lock(mutex_);
      if (closed_) co_return core::Error::Unavailable("the HTTP session is closed");
      if (options.related_request) {
        auto it = by_request_.find(*options.related_request);
        if (it != by_request_.end()) {
          target = it->second;
          if (is_response) by_request_.erase(it);
        }
      }
      standalone = standalone_;
    }
    if (target && target->Push(json, is_response)) co_return core::OkStatus();
    if ((!is_response || legacy_) && standalone && standalone->Push(std::move(json), false)) {
      co_return core::OkStatus();
    }
    if (is_request) {
      co_return core::Error::Unavailable("no open HTTP stream to the client for this request");
    }
    co_return core::OkStatus();  // nobody is listening any more: dropped, as HTTP allows
  }

  Awaitable<void> Close() override {
    CloseNow();
    co_return;
  }

  bool CloseRequestStream(const RequestId& request) override {
    std::shared_ptr<Stream> stream;
    {
      std::lock_guard lock(mutex_);
      auto it = by_request_.find(request);
      if (it == by_request_.end()) return false;
      stream = it->second;
    }
    return stream->Interrupt();
  }

  // --- HTTP side. ---

  // Routes the answers to `requests` (and what is sent on their behalf) to `stream`.
  void Register(const std::shared_ptr<Stream>& stream, const std::vector<RequestId>& requests) {
    std::lock_guard lock(mutex_);
    for (const auto& id : requests) by_request_[id] = stream;
    Remember(stream);
  }

  // Installs the standalone stream; false when one is already open.
  bool SetStandalone(const std::shared_ptr<Stream>& stream) {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    if (standalone_ && !standalone_->finished()) return false;
    standalone_ = stream;
    Remember(stream);
    return true;
  }

  std::shared_ptr<Stream> FindStream(std::string_view id) {
    std::lock_guard lock(mutex_);
    for (const auto& s : recent_) {
      if (s->id() == id) return s;
    }
    return nullptr;
  }

  void Deliver(std::vector<Message> messages, std::shared_ptr<const MessageContext> context) {
    asio::post(strand_, [self = shared_from_this(), messages = std::move(messages),
                         context = std::move(context)]() mutable {
      for (auto& m : messages) self->inbox_.Push(Incoming{std::move(m), context, false});
    });
  }

  // The client left `stream`: its unanswered requests are cancelled.
  void CancelStream(const std::shared_ptr<Stream>& stream,
                    std::shared_ptr<const MessageContext> context) {
    std::vector<Message> cancels;
    {
      std::lock_guard lock(mutex_);
      for (auto it = by_request_.begin(); it != by_request_.end();) {
        if (it->second == stream) {
          boost::json::object params{{"requestId", it->first.ToJson()},
                                     {"reason", "the HTTP client disconnected"}};
          cancels.push_back(Notification{std::string(notification::kCancelled), std::move(params)});
          it = by_request_.erase(it);
        } else {
          ++it;
        }
      }
    }
    stream->Finish();
    if (!cancels.empty()) Deliver(std::move(cancels), std::move(context));
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  void Remember(const std::shared_ptr<Stream>& stream) {
    recent_.push_back(stream);
    if (recent_.size() > 32) recent_.pop_front();
  }

  void CloseNow() {
    std::vector<std::shared_ptr<Stream>> streams;
    std::function<void()> on_close;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      for (auto& [id, s] : by_request_) streams.push_back(s);
      by_request_.clear();
      if (standalone_) streams.push_back(standalone_);
      standalone_.reset();
      streams.insert(streams.end(), recent_.begin(), recent_.end());
      on_close = std::move(on_close_);
    }
    for (auto& s : streams) s->Finish();
    inbox_.Close(core::Error::Unavailable("the HTTP session was closed"));
    if (on_close) on_close();
  }

  asio::any_io_executor strand_;
  internal::AsyncQueue<Incoming> inbox_;  // used on the strand only
  mutable std::mutex mutex_;              // guards everything below
  std::unordered_map<RequestId, std::shared_ptr<Stream>> by_request_;
  std::shared_ptr<Stream> standalone_;
  std::deque<std::shared_ptr<Stream>> recent_;  // for Last-Event-ID lookups
  bool closed_ = false;
  std::function<void()> on_close_;
  const bool legacy_;  // 2024-11-05 HTTP+SSE: everything travels on the one SSE stream
};

struct SessionEntry {
  std::string id;
  std::shared_ptr<HttpServerTransport> transport;
  std::shared_ptr<ServerSession> server_session;
  std::atomic<int64_t> last_active_ns{0};
  std::atomic<int> open_streams{0};

  void Touch() { last_active_ns = Clock::now().time_since_epoch().count(); }
};

struct AcceptedTypes {
  bool json = false;
  bool sse = false;
};

AcceptedTypes ParseAccept(const http::Request& request) {
  auto accept = request.headers.Get("Accept");
  if (!accept || accept->empty()) return {true, true};
  std::string value = Lower(*accept);
  AcceptedTypes types;
  bool any = value.find("*/*") != std::string::npos;
  types.json = any || value.find("application/json") != std::string::npos ||
               value.find("application/*") != std::string::npos;
  types.sse = any || value.find("text/event-stream") != std::string::npos ||
              value.find("text/*") != std::string::npos;
  return types;
}

// The host name of a Host header value ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "[::1]").
std::string_view HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

bool IsLocalOrigin(std::string_view origin) {
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view rest = origin.substr(scheme_end + 3);
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(0, close + 1);
    rest = rest.substr(close + 1);
  } else {
    auto colon = rest.find(':');
    host = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty() && rest.front() != ':') return false;
  std::string lower = Lower(host);
  return lower == "localhost" || lower == "127.0.0.1" || lower == "[::1]";
}

}  // namespace

std::vector<std::string> LoopbackHostNames() { return {"localhost", "127.0.0.1", "[::1]"}; }

std::function<core::Result<std::string>(const http::Request&)> BearerTokenAuthenticator(
    std::string token, std::string principal) {
  return [token = std::move(token), principal = std::move(principal)](
             const http::Request& request) -> core::Result<std::string> {
    auto header = request.headers.Get("Authorization");
    std::string_view prefix = "Bearer ";
    if (!header || header->size() < prefix.size() ||
        !http::EqualsIgnoreCase(header->substr(0, prefix.size()), prefix)) {
      return core::Error::Unauthenticated("a bearer token is required");
    }
    std::string_view given = header->substr(prefix.size());
    unsigned char diff = given.size() == token.size() ? 0 : 1;
    for (size_t i = 0; i < given.size(); ++i) {
      diff |= static_cast<unsigned char>(given[i] ^ token[i % std::max<size_t>(token.size(), 1)]);
    }
    if (diff != 0) return core::Error::Unauthenticated("the bearer token is not valid");
    return principal;
  };
}

struct StreamableHttpServer::State : std::enable_shared_from_this<State> {
  State(Server& s, asio::any_io_executor e, StreamableHttpServerOptions o)
      : server(s), executor(std::move(e)), options(std::move(o)) {}

  Server& server;
  asio::any_io_executor executor;
  const StreamableHttpServerOptions options;
  mutable std::mutex mutex;  // guards the members below
  std::unordered_map<std::string, std::shared_ptr<SessionEntry>> sessions;
  // 2026-07-28 requests being served, each by its own session (closed when its answer is out).
  std::unordered_set<std::shared_ptr<SessionEntry>> stateless;
  bool closed = false;
  std::shared_ptr<asio::steady_timer> sweep_timer;  // used on `executor` only once created
  std::atomic<uint64_t> next_stream{1};

  std::shared_ptr<SessionEntry> Find(const std::string& id) {
    std::lock_guard lock(mutex);
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : it->second;
  }

  void Remove(const std::string& id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
  }

  static void CloseSession(const std::shared_ptr<SessionEntry>& entry) {
    auto session = entry->server_session;
    asio::co_spawn(
        entry->transport->get_executor(),
        [session]() -> Awaitable<void> { co_await session->Close(); }, asio::detached);
  }

  void CloseAll() {
    std::unordered_map<std::string, std::shared_ptr<SessionEntry>> all;
    std::unordered_set<std::shared_ptr<SessionEntry>> requests;
    std::shared_ptr<asio::steady_timer> timer;
    {
      std::lock_guard lock(mutex);
      closed = true;
      all.swap(sessions);
      requests.swap(stateless);
      timer = std::move(sweep_timer);
    }
    if (timer) asio::post(executor, [timer] { timer->cancel(); });
    for (auto& [id, entry] : all) CloseSession(entry);
    for (auto& entry : requests) CloseSession(entry);
  }

  void StartSweeper() {
    if (options.session_idle_timeout.count() <= 0) return;
    auto timer = std::make_shared<asio::steady_timer>(executor);
    {
      std::lock_guard lock(mutex);
      if (sweep_timer || closed) return;
      sweep_timer = timer;
    }
    std::weak_ptr<State> weak = shared_from_this();
    auto period = std::clamp(options.session_idle_timeout / 4, std::chrono::milliseconds(10),
                             std::chrono::milliseconds(5000));
    asio::co_spawn(
        executor,
        [weak, period, timer]() -> Awaitable<void> {
          for (;;) {
            timer->expires_after(period);
            co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
            auto self = weak.lock();
            if (!self) co_return;
            if (!self->Sweep()) co_return;
          }
        },
        asio::detached);
  }

  // Closes idle sessions; false once the server is closed.
  bool Sweep() {
    std::vector<std::shared_ptr<SessionEntry>> expired;
    auto now = Clock::now().time_since_epoch().count();
    auto limit =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.session_idle_timeout).count();
    {
      std::lock_guard lock(mutex);
      if (closed) return false;
      for (auto it = sessions.begin(); it != sessions.end();) {
        auto& e = it->second;
        if (e->open_streams == 0 && now - e->last_active_ns > limit) {
          expired.push_back(e);
          it = sessions.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& e : expired) CloseSession(e);
    return true;
  }

  std::optional<http::Response> CheckCommon(http::RequestContext& ctx, std::string& principal,
                                            bool check_version = true) {
    const auto& request = ctx.request();
    if (auto origin = request.headers.Get("Origin")) {
      bool allowed = false;
      if (options.allowed_origins.empty()) {
        allowed = IsLocalOrigin(*origin);
      } else {
        for (const auto& o : options.allowed_origins) {
          if (o == "*" || http::EqualsIgnoreCase(o, *origin)) allowed = true;
        }
      }
      if (!allowed) {
        return http::Response::FromError(
            core::Error::PermissionDenied("origin '{}' is not allowed", *origin));
      }
    }
    if (!options.allowed_hosts.empty()) {
      std::string_view host = HostName(request.headers.Get("Host").value_or(""));
      bool allowed = false;
      for (const auto& h : options.allowed_hosts) {
        if (h == "*" || http::EqualsIgnoreCase(h, host)) allowed = true;
      }
      if (!allowed) {
        return http::Response::FromError(
            core::Error::PermissionDenied("host '{}' is not allowed", std::string(host)));
      }
    }
    if (options.authenticate) {
      auto who = options.authenticate(request);
      if (!who.ok()) {
        auto response = http::Response::FromError(who.error());
        if (who.error().code() == core::ErrorCode::kUnauthenticated) {
          response.headers.Set("WWW-Authenticate", "Bearer");
        }
        return response;
      }
      principal = *who;
    }
    if (!check_version) return std::nullopt;
    return CheckVersionHeader(request);
  }

  // A legacy request's MCP-Protocol-Version header must name a revision we negotiate.
  std::optional<http::Response> CheckVersionHeader(const http::Request& request) {
    if (auto version = request.headers.Get(header::kProtocolVersion)) {
      if (!IsSupportedVersion(*version)) {
        return JsonRpcErrorResponse(
            400, kInvalidRequest,
            fmt::format("unsupported MCP-Protocol-Version '{}'", std::string(*version)));
      }
    }
    return std::nullopt;
  }

  std::shared_ptr<const MessageContext> MakeContext(http::RequestContext& ctx,
                                                    std::string session_id, std::string principal) {
    auto context = std::make_shared<MessageContext>();
    context->headers = ctx.request().headers;
    context->session_id = std::move(session_id);
    if (auto v = ctx.request().headers.Get(header::kProtocolVersion)) {
      context->protocol_version = std::string(*v);
    } else {
      context->protocol_version = std::string(kVersion2025_03_26);
    }
    context->principal = std::move(principal);
    context->remote_address = std::string(ctx.remote_address());
    return context;
  }

  // Looks up the request's session: 400 when the header is missing, 404 when unknown.
  core::Result<std::shared_ptr<SessionEntry>> RequireSession(const http::Request& request,
                                                             http::Response& failure) {
    auto id = request.headers.Get(header::kSessionId);
    if (!id || id->empty()) {
      failure = JsonRpcErrorResponse(400, kInvalidRequest, "Mcp-Session-Id header is required");
      return core::Error::InvalidArgument("missing session");
    }
    auto entry = Find(std::string(*id));
    if (!entry || entry->transport->closed()) {
      failure = JsonRpcErrorResponse(404, kInvalidRequest, "session not found or expired");
      return core::Error::NotFound("unknown session");
    }
    entry->Touch();
    return entry;
  }

  std::string NewStreamId() { return std::to_string(next_stream++); }

  // Whether streams for a client speaking `context`'s revision start with a priming event (an
  // id, empty data and a retry hint, 2025-11-25): older clients may choke on an empty event, and
  // the legacy SSE transport (no context) has no resumption.
  bool Primes(const MessageContext* context) const {
    return options.sse_retry_ms && context != nullptr &&
           Has2025_11_25Features(context->protocol_version) &&
           !IsModernVersion(context->protocol_version);
  }

  std::string PrimingEvent(const Stream& stream, uint64_t cursor) const {
    http::SseEvent priming;
    priming.id = stream.id() + ":" + std::to_string(cursor);
    priming.retry_ms = options.sse_retry_ms;
    priming.data = "";
    return http::FormatSseEvent(priming);
  }

  // Writes `stream` as SSE from `cursor` until it finishes or the client leaves.
  Awaitable<core::Status> Pump(std::shared_ptr<SessionEntry> entry, std::shared_ptr<Stream> stream,
                               uint64_t cursor, http::StreamWriter& out, http::RequestContext& ctx,
                               std::shared_ptr<const MessageContext> context, bool owns_requests) {
    ++entry->open_streams;
    core::Status status = core::OkStatus();
    bool client_left = false;
    if (Primes(context.get())) {
      status = co_await out.Write(PrimingEvent(*stream, cursor));
      client_left = !status.ok();
    }
    while (!client_left) {
      auto event = co_await stream->Next(cursor, ctx);
      if (!event) {
        // An interrupted stream ends here; the client resumes it with Last-Event-ID.
        client_left = !stream->TakeInterrupt() && (ctx.Cancelled() || !stream->finished());
        break;
      }
      http::SseEvent sse;
      sse.event = "message";
      // 2026-07-28 streams are not resumable: no event ids.
      if (!context || !IsModernVersion(context->protocol_version)) {
        sse.id = stream->id() + ":" + std::to_string(event->seq);
      }
      sse.data = std::move(event->json);
      status = co_await out.SendEvent(sse);
      if (!status.ok()) {
        client_left = true;
        break;
      }
      cursor = event->seq;
    }
    stream->Detach(&ctx);
    if (client_left && owns_requests && options.cancel_on_disconnect) {
      entry->transport->CancelStream(stream, context);
    }
    --entry->open_streams;
    entry->Touch();
    co_return client_left ? status : core::OkStatus();
  }

  // A 2026-07-28 error answer: the JSON-RPC error with the request's id, at `status`.
  static http::Response ModernErrorResponse(int status, const RequestId& id, RpcError error) {
    Message answer = Response::Failure(id, std::move(error));
    return http::Response::Json(status, Serialize(answer));
  }

  // The HTTP status of a 2026-07-28 answer (404 for an unknown method, 400 for the modern
  // protocol errors, else 200).
  static int ModernStatusFor(const std::string& answer) {
    if (answer.find("\"error\"") == std::string::npos) return 200;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(answer, ec);
    const boost::json::object* o = ec ? nullptr : parsed.if_object();
    const boost::json::value* error = o ? o->if_contains("error") : nullptr;
    const boost::json::value* code =
        error && error->is_object() ? error->get_object().if_contains("code") : nullptr;
    return code && code->is_int64()
               ? internal::HttpStatusForModernError(static_cast<int>(code->get_int64()))
               : 200;
  }

  void FinishStateless(const std::shared_ptr<SessionEntry>& entry) {
    {
      std::lock_guard lock(mutex);
      if (stateless.erase(entry) == 0) return;  // CloseAll took it
    }
    CloseSession(entry);
  }

  // Serves one 2026-07-28 request: its own session (ServeStateless), no Mcp-Session-Id; the
  // answer as JSON when it comes alone, else as an SSE stream of the request's notifications and
  // the answer. The session is closed once the answer is out or the client has gone (which
  // cancels the request).
  Awaitable<http::Response> HandleStatelessPost(std::shared_ptr<State> self,
                                                http::RequestContext& ctx, std::string principal,
                                                AcceptedTypes accepted, Request rpc) {
    auto entry = std::make_shared<SessionEntry>();
    entry->Touch();
    // The session lives for this request only, so it runs on the request's own thread: no
    // hand-off to the sessions' executor and back (two cross-thread wake-ups) per call.
    asio::any_io_executor request_executor = co_await asio::this_coro::executor;
    entry->transport =
        std::make_shared<HttpServerTransport>(asio::make_strand(request_executor), nullptr);
    {
      std::lock_guard lock(mutex);
      if (closed) {
        co_return http::Response::FromError(
            core::Error::Unavailable("the MCP endpoint is shutting down"));
      }
      stateless.insert(entry);
    }
    SessionOptions session_options;
    session_options.peer_name = "HTTP client " + std::string(ctx.remote_address());
    entry->server_session = server.ServeStateless(entry->transport, std::move(session_options));
    auto context = MakeContext(ctx, std::string(), std::move(principal));
    auto stream = std::make_shared<Stream>(NewStreamId(), 1, options.replay_events);
    entry->transport->Register(stream, {rpc.id});
    std::vector<Message> messages;
    messages.push_back(std::move(rpc));
    entry->transport->Deliver(std::move(messages), context);

    auto sse = [&] {
      http::Response response = http::EventStreamResponse(
          [self, entry, stream, context](http::StreamWriter& out) -> Awaitable<core::Status> {
            core::Status status = co_await self->PumpWithWriter(entry, stream, 0, out, context,
                                                                /*owns_requests=*/true);
            self->FinishStateless(entry);
            co_return status;
          });
      response.headers.Set("X-Accel-Buffering", "no");
      return response;
    };
    if (accepted.sse && (options.prefer_sse || !accepted.json)) co_return sse();

    // Wait for the first message: a lone answer goes back as JSON, anything else as SSE (or, for
    // a client that takes only JSON, the answer once it comes).
    std::optional<StreamEvent> event = co_await stream->Next(0, ctx);
    if (event && !event->final && accepted.sse) {
      stream->Detach(&ctx);
      co_return sse();
    }
    while (event && !event->final) event = co_await stream->Next(event->seq, ctx);
    stream->Detach(&ctx);
    FinishStateless(entry);
    if (!event) co_return http::Response::FromError(core::Error::Unavailable("the request ended"));
    int status = ModernStatusFor(event->json);
    co_return http::Response::Json(status, std::move(event->json));
  }

  Awaitable<http::Response> HandlePost(std::shared_ptr<State> self, http::RequestContext& ctx) {
    const auto& request = ctx.request();
    std::string principal;
    if (auto failure = CheckCommon(ctx, principal, /*check_version=*/false)) {
      co_return std::move(*failure);
    }
    AcceptedTypes accepted = ParseAccept(request);
    if (!accepted.json && !accepted.sse) {
      auto response = http::Response::FromError(core::Error::InvalidArgument(
          "Accept must include application/json or text/event-stream"));
      response.status = 406;
      co_return response;
    }
    auto content_type = request.headers.Get("Content-Type");
    if (!content_type || Lower(*content_type).rfind("application/json", 0) != 0) {
      auto response =
          JsonRpcErrorResponse(415, kInvalidRequest, "Content-Type must be application/json");
      co_return response;
    }
    if (request.body.size() > options.max_message_bytes) {
      co_return JsonRpcErrorResponse(413, kInvalidRequest, "message too large");
    }
    ParseLimits limits;
    limits.max_bytes = options.max_message_bytes;
    ParsedPayload payload = ParsePayload(request.body, limits, /*allow_batch=*/true);
    if (!payload.errors.empty() && payload.messages.empty()) {
      const auto& error = payload.errors.front();
      co_return JsonRpcErrorResponse(400, error.error ? error.error->code : kParseError,
                                     error.error ? error.error->message : "invalid message");
    }
    if (!payload.batch && payload.messages.size() == 1) {
      if (auto* rpc = std::get_if<Request>(&payload.messages[0])) {
        auto decision = internal::ClassifyPost(request.headers, *rpc);
        if (decision.rejection) {
          co_return ModernErrorResponse(decision.rejection->status, rpc->id,
                                        std::move(decision.rejection->error));
        }
        if (decision.era == internal::Era::kModern) {
          co_return co_await HandleStatelessPost(self, ctx, std::move(principal), accepted,
                                                 std::move(*rpc));
        }
      } else if (std::holds_alternative<Notification>(payload.messages[0]) &&
                 IsSupportedModernVersion(internal::TrimOws(
                     request.headers.Get(header::kProtocolVersion).value_or("")))) {
        // 2026-07-28 defines no client notifications over HTTP: accepted and dropped.
        http::Response accepted_response;
        accepted_response.status = 202;
        co_return accepted_response;
      }
    }
    if (auto failure = CheckVersionHeader(request)) co_return std::move(*failure);

    bool is_initialize = payload.messages.size() == 1 && !payload.batch &&
                         std::holds_alternative<Request>(payload.messages[0]) &&
                         std::get<Request>(payload.messages[0]).method == method::kInitialize;
    std::shared_ptr<SessionEntry> entry;
    if (is_initialize) {
      if (request.headers.Contains(header::kSessionId)) {
        co_return JsonRpcErrorResponse(400, kInvalidRequest,
                                       "initialize must not carry an Mcp-Session-Id");
      }
      entry = std::make_shared<SessionEntry>();
      entry->id = NewSessionId();
      entry->Touch();
      std::weak_ptr<State> weak = self;
      std::string id = entry->id;
      entry->transport =
          std::make_shared<HttpServerTransport>(asio::make_strand(executor), [weak, id] {
            if (auto s = weak.lock()) s->Remove(id);
          });
      {
        std::lock_guard lock(mutex);
        if (closed) {
          co_return http::Response::FromError(
              core::Error::Unavailable("the MCP endpoint is shutting down"));
        }
        sessions[entry->id] = entry;
      }
      SessionOptions session_options;
      session_options.peer_name = "HTTP client " + std::string(ctx.remote_address());
      entry->server_session = server.Serve(entry->transport, std::move(session_options));
      StartSweeper();
    } else {
      http::Response failure;
      auto found = RequireSession(request, failure);
      if (!found.ok()) co_return failure;
      entry = *found;
      if (payload.batch) {
        // The negotiated revision lives on the session's strand; the header states it.
        auto version = request.headers.Get(header::kProtocolVersion);
        if (version && !AllowsBatches(*version)) {
          co_return JsonRpcErrorResponse(400, kInvalidRequest,
                                         "batches are not allowed in this protocol revision");
        }
      }
    }
    auto context = MakeContext(ctx, entry->id, principal);

    std::vector<RequestId> requests;
    for (const auto& m : payload.messages) {
      if (const auto* r = std::get_if<Request>(&m)) requests.push_back(r->id);
    }
    if (requests.empty()) {
      entry->transport->Deliver(std::move(payload.messages), context);
      http::Response accepted_response;
      accepted_response.status = 202;
      co_return accepted_response;
    }

    auto stream = std::make_shared<Stream>(NewStreamId(), requests.size(), options.replay_events,
                                           /*resumable=*/accepted.sse && Primes(context.get()));
    entry->transport->Register(stream, requests);
    entry->transport->Deliver(std::move(payload.messages), context);

    bool single = requests.size() == 1 && !payload.batch;
    http::Response response;
    if (accepted.sse && (options.prefer_sse || !accepted.json)) {
      response = SseResponse(self, entry, stream, 0, context, /*owns_requests=*/true);
    } else {
      // Wait for the first message: a lone answer goes back as JSON, anything else as SSE.
      ++entry->open_streams;
      auto first = co_await stream->Next(0, ctx);
      --entry->open_streams;
      if (!first && stream->TakeInterrupt()) {
        // Closed before anything was sent (only resumable streams, so the client takes SSE):
        // the priming event alone tells the client where to resume.
        stream->Detach(&ctx);
        response = http::EventStreamResponse(
            [event = PrimingEvent(*stream, 0)](http::StreamWriter& out) -> Awaitable<core::Status> {
              co_return co_await out.Write(event);
            });
        if (is_initialize) response.headers.Set(std::string(header::kSessionId), entry->id);
        co_return response;
      }
      if (!first) {
        stream->Detach(&ctx);
        if (options.cancel_on_disconnect) entry->transport->CancelStream(stream, context);
        co_return http::Response::FromError(core::Error::Unavailable("the session closed"));
      }
      if (single && first->final) {
        stream->Detach(&ctx);
        response = http::Response::Json(200, std::move(first->json));
      } else if (accepted.sse) {
        response = SseResponse(self, entry, stream, 0, context, /*owns_requests=*/true);
      } else {
        // JSON only: answers are collected, everything else is dropped.
        std::vector<std::string> answers;
        uint64_t cursor = 0;
        std::optional<StreamEvent> event = std::move(first);
        while (event) {
          cursor = event->seq;
          if (event->final) answers.push_back(std::move(event->json));
          if (stream->finished() && answers.size() == requests.size()) break;
          event = co_await stream->Next(cursor, ctx);
        }
        stream->Detach(&ctx);
        if (answers.size() != requests.size()) {
          if (options.cancel_on_disconnect) entry->transport->CancelStream(stream, context);
          co_return http::Response::FromError(core::Error::Unavailable("the session closed"));
        }
        std::string body;
        if (single) {
          body = std::move(answers.front());
        } else {
          body = "[";
          for (size_t i = 0; i < answers.size(); ++i) {
            if (i > 0) body += ",";
            body += answers[i];
          }
          body += "]";
        }
        response = http::Response::Json(200, std::move(body));
      }
    }
    if (is_initialize) response.headers.Set(std::string(header::kSessionId), entry->id);
    co_return response;
  }

  http::Response SseResponse(std::shared_ptr<State> self, std::shared_ptr<SessionEntry> entry,
                             std::shared_ptr<Stream> stream, uint64_t cursor,
                             std::shared_ptr<const MessageContext> context, bool owns_requests) {
    // The producer's captures keep the state, session and stream alive while it runs.
    return http::EventStreamResponse([self, entry, stream, cursor, context, owns_requests](
                                         http::StreamWriter& out) -> Awaitable<core::Status> {
      // The RequestContext outlives the producer (http/handler.h); WaitCancelled is the
      // connection's, which the writer shares.
      return self->PumpWithWriter(entry, stream, cursor, out, context, owns_requests);
    });
  }

  // StreamWriter-only variant of Pump: waits on the writer's own cancellation.
  Awaitable<core::Status> PumpWithWriter(std::shared_ptr<SessionEntry> entry,
                                         std::shared_ptr<Stream> stream, uint64_t cursor,
                                         http::StreamWriter& out,
                                         std::shared_ptr<const MessageContext> context,
                                         bool owns_requests) {
    WriterLiveness liveness(out);
    http::Request dummy;
    http::RequestContext ctx(dummy, &liveness);
    co_return co_await Pump(entry, stream, cursor, out, ctx, std::move(context), owns_requests);
  }

  // Adapts a StreamWriter's cancellation to the RequestContext that Stream::Next waits on.
  class WriterLiveness final : public http::internal::Liveness {
   public:
    explicit WriterLiveness(http::StreamWriter& out) : out_(out) {}
    bool Cancelled() override { return out_.Cancelled(); }
    Awaitable<void> WaitCancelled() override { return out_.WaitCancelled(); }

   private:
    http::StreamWriter& out_;
  };

  Awaitable<http::Response> HandleGet(std::shared_ptr<State> self, http::RequestContext& ctx) {
    const auto& request = ctx.request();
    std::string principal;
    if (auto failure = CheckCommon(ctx, principal)) co_return std::move(*failure);
    if (!options.enable_get_stream) {
      http::Response response = http::Response::FromError(
          core::Error::InvalidArgument("this endpoint does not offer a GET stream"));
      response.status = 405;
      response.headers.Set("Allow", "POST, DELETE");
      co_return response;
    }
    if (!ParseAccept(request).sse) {
      auto response = http::Response::FromError(
          core::Error::InvalidArgument("Accept must include text/event-stream"));
      response.status = 406;
      co_return response;
    }
    http::Response failure;
    auto found = RequireSession(request, failure);
    if (!found.ok()) co_return failure;
    auto entry = *found;
    auto context = MakeContext(ctx, entry->id, principal);

    if (auto last = request.headers.Get(header::kLastEventId); last && !last->empty()) {
      auto colon = last->rfind(':');
      std::shared_ptr<Stream> stream;
      uint64_t seq = 0;
      if (colon != std::string_view::npos) {
        stream = entry->transport->FindStream(last->substr(0, colon));
        try {
          seq = std::stoull(std::string(last->substr(colon + 1)));
        } catch (...) {
          stream = nullptr;
        }
      }
      if (!stream || !stream->CanResumeFrom(seq)) {
        co_return JsonRpcErrorResponse(404, kInvalidRequest,
                                       "the stream of Last-Event-ID cannot be resumed");
      }
      co_return SseResponse(self, entry, stream, seq, context, /*owns_requests=*/false);
    }

    auto stream = std::make_shared<Stream>(NewStreamId(), 0, options.replay_events);
    if (!entry->transport->SetStandalone(stream)) {
      co_return JsonRpcErrorResponse(409, kInvalidRequest,
                                     "a GET stream is already open for this session");
    }
    co_return SseResponse(self, entry, stream, 0, context, /*owns_requests=*/false);
  }

  std::shared_ptr<SessionEntry> NewSession(std::shared_ptr<State> self, http::RequestContext& ctx,
                                           bool legacy) {
    auto entry = std::make_shared<SessionEntry>();
    entry->id = NewSessionId();
    entry->Touch();
    std::weak_ptr<State> weak = self;
    std::string id = entry->id;
    entry->transport = std::make_shared<HttpServerTransport>(
        asio::make_strand(executor),
        [weak, id] {
          if (auto s = weak.lock()) s->Remove(id);
        },
        legacy);
    {
      std::lock_guard lock(mutex);
      if (closed) return nullptr;
      sessions[entry->id] = entry;
    }
    SessionOptions session_options;
    session_options.peer_name = "HTTP client " + std::string(ctx.remote_address());
    entry->server_session = server.Serve(entry->transport, std::move(session_options));
    StartSweeper();
    return entry;
  }

  // GET /sse (2024-11-05): a session whose every message travels on this stream.
  Awaitable<http::Response> HandleLegacyGet(std::shared_ptr<State> self,
                                            http::RequestContext& ctx) {
    std::string principal;
    if (auto failure = CheckCommon(ctx, principal)) co_return std::move(*failure);
    if (!ParseAccept(ctx.request()).sse) {
      auto response = http::Response::FromError(
          core::Error::InvalidArgument("Accept must include text/event-stream"));
      response.status = 406;
      co_return response;
    }
    auto entry = NewSession(self, ctx, /*legacy=*/true);
    if (!entry) {
      co_return http::Response::FromError(
          core::Error::Unavailable("the MCP endpoint is shutting down"));
    }
    auto stream = std::make_shared<Stream>(NewStreamId(), 0, options.replay_events);
    entry->transport->SetStandalone(stream);
    std::string endpoint = options.legacy_messages_path + "?sessionId=" + entry->id;
    co_return http::EventStreamResponse(
        [self, entry, stream, endpoint](http::StreamWriter& out) -> Awaitable<core::Status> {
          http::SseEvent event;
          event.event = "endpoint";
          event.data = endpoint;
          core::Status status = co_await out.SendEvent(event);
          if (status.ok()) {
            status = co_await self->PumpWithWriter(entry, stream, 0, out, nullptr, false);
          }
          // The session lives as long as its stream.
          self->Remove(entry->id);
          CloseSession(entry);
          co_return status;
        });
  }

  // POST /messages?sessionId=... (2024-11-05): 202, the answer goes to the SSE stream.
  Awaitable<http::Response> HandleLegacyPost(http::RequestContext& ctx) {
    const auto& request = ctx.request();
    std::string principal;
    if (auto failure = CheckCommon(ctx, principal)) co_return std::move(*failure);
    auto id = request.QueryParam("sessionId");
    if (!id || id->empty()) {
      co_return JsonRpcErrorResponse(400, kInvalidRequest, "the sessionId parameter is required");
    }
    auto entry = Find(*id);
    if (!entry || entry->transport->closed()) {
      co_return JsonRpcErrorResponse(404, kInvalidRequest, "session not found or expired");
    }
    entry->Touch();
    auto content_type = request.headers.Get("Content-Type");
    if (!content_type || Lower(*content_type).rfind("application/json", 0) != 0) {
      co_return JsonRpcErrorResponse(415, kInvalidRequest, "Content-Type must be application/json");
    }
    if (request.body.size() > options.max_message_bytes) {
      co_return JsonRpcErrorResponse(413, kInvalidRequest, "message too large");
    }
    ParseLimits limits;
    limits.max_bytes = options.max_message_bytes;
    ParsedPayload payload = ParsePayload(request.body, limits, /*allow_batch=*/false);
    if (!payload.errors.empty() && payload.messages.empty()) {
      const auto& error = payload.errors.front();
      co_return JsonRpcErrorResponse(400, error.error ? error.error->code : kParseError,
                                     error.error ? error.error->message : "invalid message");
    }
    entry->transport->Deliver(std::move(payload.messages), MakeContext(ctx, entry->id, principal));
    http::Response response;
    response.status = 202;
    co_return response;
  }

  Awaitable<http::Response> HandleDelete(http::RequestContext& ctx) {
    std::string principal;
    if (auto failure = CheckCommon(ctx, principal)) co_return std::move(*failure);
    http::Response failure;
    auto found = RequireSession(ctx.request(), failure);
    if (!found.ok()) co_return failure;
    Remove((*found)->id);
    CloseSession(*found);
    http::Response response;
    response.status = 200;
    co_return response;
  }
};

StreamableHttpServer::StreamableHttpServer(Server& server, asio::any_io_executor executor,
                                           StreamableHttpServerOptions options)
    : state_(std::make_shared<State>(server, std::move(executor), std::move(options))) {}

StreamableHttpServer::~StreamableHttpServer() { state_->CloseAll(); }

http::Handler StreamableHttpServer::handler() {
  return [state = state_](http::RequestContext& ctx) -> Awaitable<http::Response> {
    const std::string& method = ctx.request().method;
    if (method == "POST") co_return co_await state->HandlePost(state, ctx);
    if (method == "GET") co_return co_await state->HandleGet(state, ctx);
    if (method == "DELETE") co_return co_await state->HandleDelete(ctx);
    http::Response response =
        http::Response::FromError(core::Error::InvalidArgument("method {} is not allowed", method));
    response.status = 405;
    response.headers.Set("Allow", "GET, POST, DELETE");
    co_return response;
  };
}

void StreamableHttpServer::Mount(http::Router& router) {
  auto h = handler();
  router.Post(state_->options.path, h).Get(state_->options.path, h).Delete(state_->options.path, h);
  if (!state_->options.legacy_sse_path.empty()) {
    router.Get(state_->options.legacy_sse_path,
               [state = state_](http::RequestContext& ctx) -> Awaitable<http::Response> {
                 co_return co_await state->HandleLegacyGet(state, ctx);
               });
    router.Post(state_->options.legacy_messages_path,
                [state = state_](http::RequestContext& ctx) -> Awaitable<http::Response> {
                  co_return co_await state->HandleLegacyPost(ctx);
                });
  }
}

size_t StreamableHttpServer::session_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->sessions.size();
}

void StreamableHttpServer::CloseAll() { state_->CloseAll(); }

}  // namespace bedrock::mcp

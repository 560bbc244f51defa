#include "mcp/streamable_http_client.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <set>
#include <unordered_map>

#include "http/sse.h"
#include "mcp/internal/async_queue.h"
#include "mcp/protocol.h"
#include "mcp/request_headers.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;

bool IsEventStream(std::string_view content_type) {
  std::string lower;
  for (char c : content_type) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lower.rfind("text/event-stream", 0) == 0;
}

// The revision a request names in its own `_meta` (2026-07-28 requests carry it, and the
// MCP-Protocol-Version header must match it); empty when it names none.
std::string MetaVersionOf(const Message& message) {
  const auto* request = std::get_if<Request>(&message);
  const boost::json::object* params = request ? request->params.if_object() : nullptr;
  const boost::json::value* meta = params ? params->if_contains(kMetaKey) : nullptr;
  const boost::json::value* version =
      meta && meta->is_object() ? meta->get_object().if_contains(meta::kProtocolVersion) : nullptr;
  return version && version->is_string() ? std::string(version->get_string()) : std::string();
}

// The request a notifications/cancelled names.
std::optional<RequestId> CancelledRequestOf(const Message& message) {
  const auto* notification = std::get_if<Notification>(&message);
  if (notification == nullptr || notification->method != notification::kCancelled) {
    return std::nullopt;
  }
  const boost::json::object* params = notification->params.if_object();
  const boost::json::value* id = params ? params->if_contains("requestId") : nullptr;
  return id ? RequestId::FromJson(*id) : std::nullopt;
}

class ClientTransport final : public StreamableHttpClientTransport,
                              public std::enable_shared_from_this<ClientTransport> {
 public:
  ClientTransport(asio::any_io_executor executor, http::Client client,
                  StreamableHttpClientOptions options)
      : executor_(std::move(executor)),
        client_(std::move(client)),
        options_(std::move(options)),
        inbox_(executor_) {}

  asio::any_io_executor get_executor() override { return executor_; }
  const std::string& session_id() const override { return session_id_; }
  void SetProtocolVersion(std::string_view version) override {
    protocol_version_ = std::string(version);
  }

  Awaitable<core::Result<Incoming>> Receive() override { co_return co_await inbox_.Pop(); }

  Awaitable<core::Status> Send(Message message, SendOptions options) override {
    if (closed_) co_return core::Error::Unavailable("{}: the HTTP transport is closed", peer());
    if (IsModernVersion(protocol_version_)) {
      // 2026-07-28 has no client notifications over HTTP: closing a request's response stream is
      // what cancels it.
      if (auto cancelled = CancelledRequestOf(message)) {
        if (auto it = streams_.find(*cancelled); it != streams_.end()) {
          it->second->response().Close();
        }
        co_return core::OkStatus();
      }
    }
    const auto* request = std::get_if<Request>(&message);
    bool is_initialize = request != nullptr && request->method == method::kInitialize;
    std::optional<RequestId> awaited;
    if (request != nullptr) awaited = request->id;
    bool is_initialized_notice = MethodOf(message) == notification::kInitialized;
    std::string meta_version = MetaVersionOf(message);
    const bool modern = IsModernVersion(meta_version.empty() ? protocol_version_ : meta_version);
    http::Headers message_headers = std::move(options.headers);
    if (request != nullptr && modern) {
      // SEP-2243: the method and the name (or URI) mirrored for intermediaries.
      message_headers.Set(std::string(header::kMethod), request->method);
      if (auto name = McpNameFor(request->method, request->params)) {
        message_headers.Set(std::string(header::kName), EncodeHeaderValue(*name));
      }
    }

    std::string body = Serialize(message);
    std::optional<http::StreamingResponse> opened_response;
    for (int attempt = 0;; ++attempt) {
      if (options_.auth) {
        BEDROCK_CO_TRY(co_await options_.auth->Prepare());
      }
      http::ClientRequest http_request = MakeRequest("POST", meta_version);
      for (const auto& [name, value] : message_headers) http_request.headers.Set(name, value);
      http_request.headers.Set("Content-Type", "application/json");
      http_request.headers.Set("Accept", "application/json, text/event-stream");
      http_request.body = body;
      http_request.timeout = options_.request_timeout;
      http_request.read_idle_timeout = options_.stream_idle_timeout;
      auto opened = co_await client_.Open(std::move(http_request));
      if (!opened.ok()) {
        co_return core::Error(opened.error().code(),
                              fmt::format("{}: {}", peer(), opened.error().message()));
      }
      int status = opened->status();
      if ((status == 401 || status == 403) && options_.auth && !closed_) {
        std::string challenge(opened->headers().Get("WWW-Authenticate").value_or(""));
        opened->Close();
        auto handled =
            co_await options_.auth->HandleChallenge(status, std::move(challenge), attempt);
        if (!handled.ok()) co_return handled.error();
        if (closed_) co_return core::Error::Unavailable("{}: the HTTP transport is closed", peer());
        continue;
      }
      opened_response.emplace(std::move(*opened));
      break;
    }
    http::StreamingResponse response = std::move(*opened_response);
    int status = response.status();
    if (is_initialize && status / 100 == 2) {
      if (auto id = response.headers().Get(header::kSessionId)) session_id_ = std::string(*id);
    }
    if (status == 404 && !session_id_.empty() && !is_initialize) {
      response.Close();
      core::Error expired = core::Error::NotFound(
          "{}: the MCP session expired (HTTP 404 for Mcp-Session-Id); reconnect to start a new "
          "session",
          peer());
      Fail(expired);
      co_return expired;
    }
    if (status / 100 != 2) {
      auto body = co_await response.ReadAll(64 * 1024);
      std::string text = body.ok() ? *body : std::string();
      // A JSON-RPC error in the body answers the request: deliver it as the answer, so the
      // caller sees its code and data (2026-07-28 servers answer an unsupported revision, a
      // header mismatch or an unknown method this way; 2026-07-28 clients tell a modern server
      // from a legacy one by it).
      if (awaited && !text.empty()) {
        DecodedBody decoded = DecodeHttpResponseBody(
            response.headers().Get("Content-Type").value_or("application/json"), text,
            options_.max_message_bytes);
        if (decoded.messages.size() == 1) {
          if (auto* answer = std::get_if<Response>(&decoded.messages.front());
              answer && answer->error) {
            answer->id = *awaited;
            inbox_.Push(Incoming{std::move(decoded.messages.front()), nullptr, false});
            co_return core::OkStatus();
          }
        }
      }
      if (text.size() > 512) text.resize(512);
      co_return core::Error(
          core::ErrorCodeFromHttpStatus(status),
          fmt::format("{}: HTTP {} from {}: {}", peer(), status, options_.url, text));
    }
    std::string content_type(response.headers().Get("Content-Type").value_or(""));
    if (IsEventStream(content_type)) {
      auto reader = std::make_shared<http::SseStreamReader>(std::move(response));
      asio::co_spawn(executor_, ReadStream(shared_from_this(), reader, awaited, false),
                     asio::detached);
    } else {
      auto body = co_await response.ReadAll(options_.max_message_bytes);
      if (!body.ok()) {
        co_return core::Error(body.error().code(),
                              fmt::format("{}: {}", peer(), body.error().message()));
      }
      if (status != 202 && !body->empty()) {
        DecodedBody decoded =
            DecodeHttpResponseBody(content_type, *body, options_.max_message_bytes);
        for (auto& m : decoded.messages) inbox_.Push(Incoming{std::move(m), nullptr, false});
        if (decoded.rejected > 0) {
          rejected_payloads_ += decoded.rejected;
        }
      }
    }
    if (is_initialized_notice && options_.open_get_stream && !get_stream_started_) {
      get_stream_started_ = true;
      if (options_.wait_for_get_stream) {
        auto reader = co_await OpenGetStreamHead();
        if (reader) {
          asio::co_spawn(executor_, ReadStream(shared_from_this(), reader, std::nullopt, true),
                         asio::detached);
        }
      } else {
        asio::co_spawn(executor_, OpenGetStream(shared_from_this()), asio::detached);
      }
    }
    co_return core::OkStatus();
  }

  Awaitable<void> Close() override {
    if (closed_) co_return;
    closed_ = true;
    for (const auto& reader : readers_) reader->response().Close();
    for (auto* timer : timers_) timer->cancel();
    if (!session_id_.empty()) {
      http::ClientRequest request = MakeRequest("DELETE");
      request.timeout = std::chrono::milliseconds(5000);
      (void)co_await client_.Send(std::move(request));
    }
    inbox_.Close(core::Error::Unavailable("{}: the HTTP transport was closed", peer()));
  }

 private:
  std::string peer() const { return options_.peer_name; }

  void Fail(const core::Error& error) {
    closed_ = true;
    for (const auto& reader : readers_) reader->response().Close();
    inbox_.Close(error);
  }

  // `version`: the MCP-Protocol-Version to send; empty for the negotiated one.
  http::ClientRequest MakeRequest(std::string method, std::string_view version = {}) {
    http::ClientRequest request;
    request.method = std::move(method);
    request.url = options_.url;
    request.headers = options_.headers;
    std::string authorization = options_.auth ? options_.auth->Authorization() : std::string();
    if (!authorization.empty()) {
      request.headers.Set("Authorization", std::move(authorization));
    } else if (!options_.bearer_token.empty()) {
      request.headers.Set("Authorization", "Bearer " + options_.bearer_token);
    }
    if (!session_id_.empty()) request.headers.Set(std::string(header::kSessionId), session_id_);
    if (!version.empty()) {
      request.headers.Set(std::string(header::kProtocolVersion), std::string(version));
    } else if (!protocol_version_.empty()) {
      request.headers.Set(std::string(header::kProtocolVersion), protocol_version_);
    }
    return request;
  }

  Awaitable<void> OpenGetStream(std::shared_ptr<ClientTransport> self) {
    auto reader = co_await OpenGetStreamHead();
    if (reader) co_await ReadStream(self, reader, std::nullopt, true);
  }

  // The GET stream's reader once its head arrived; null when the server offers none.
  Awaitable<std::shared_ptr<http::SseStreamReader>> OpenGetStreamHead() {
    http::ClientRequest request = MakeRequest("GET");
    request.headers.Set("Accept", "text/event-stream");
    request.timeout = options_.request_timeout;
    request.read_idle_timeout = options_.stream_idle_timeout;
    auto opened = co_await client_.Open(std::move(request));
    if (!opened.ok() || closed_) co_return nullptr;
    if (opened->status() != 200 ||
        !IsEventStream(opened->headers().Get("Content-Type").value_or(""))) {
      opened->Close();  // 405: the server offers no GET stream, which is allowed
      co_return nullptr;
    }
    co_return std::make_shared<http::SseStreamReader>(std::move(*opened));
  }

  // Reads one SSE stream into the inbox, resuming it with Last-Event-ID after a disconnect until
  // the awaited answer arrived (a POST stream) or the transport closes (the GET stream).
  Awaitable<void> ReadStream(std::shared_ptr<ClientTransport> self,
                             std::shared_ptr<http::SseStreamReader> reader,
                             std::optional<RequestId> awaited, bool is_get) {
    (void)self;  // keeps the transport alive while the stream is read
    int attempts = 0;
    for (;;) {
      readers_.insert(reader);
      if (awaited) streams_[*awaited] = reader;
      bool answered = false;
      for (;;) {
        auto event = co_await reader->Next();
        if (!event.ok() || !*event) break;
        if ((*event)->data.empty()) continue;
        attempts = 0;
        DecodedBody decoded =
            DecodeHttpResponseBody("application/json", (*event)->data, options_.max_message_bytes);
        for (auto& m : decoded.messages) {
          if (const auto* r = std::get_if<Response>(&m); r && awaited && r->id == awaited) {
            answered = true;
          }
          inbox_.Push(Incoming{std::move(m), nullptr, false});
        }
      }
      readers_.erase(reader);
      if (awaited) {
        if (auto it = streams_.find(*awaited); it != streams_.end() && it->second == reader) {
          streams_.erase(it);
        }
      }
      if (closed_ || answered || (!is_get && !awaited)) co_return;
      if (IsModernVersion(protocol_version_)) {
        // 2026-07-28 streams cannot be resumed: the request is lost (or was cancelled).
        LoseAnswer(awaited);
        co_return;
      }
      std::string last_id = reader->parser().last_event_id();
      auto retry = reader->parser().retry_ms();
      if ((!is_get && last_id.empty()) || ++attempts > options_.max_reconnects) {
        LoseAnswer(awaited);
        co_return;
      }
      asio::steady_timer timer(executor_);
      timer.expires_after(retry ? std::chrono::milliseconds(*retry) : options_.default_retry);
      timers_.insert(&timer);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      timers_.erase(&timer);
      if (closed_) co_return;
      http::ClientRequest request = MakeRequest("GET");
      request.headers.Set("Accept", "text/event-stream");
      if (!last_id.empty()) request.headers.Set(std::string(header::kLastEventId), last_id);
      request.timeout = options_.request_timeout;
      request.read_idle_timeout = options_.stream_idle_timeout;
      auto opened = co_await client_.Open(std::move(request));
      if (closed_) co_return;
      if (!opened.ok() || opened->status() != 200 ||
          !IsEventStream(opened->headers().Get("Content-Type").value_or(""))) {
        if (opened.ok()) opened->Close();
        LoseAnswer(awaited);
        co_return;
      }
      reader = std::make_shared<http::SseStreamReader>(std::move(*opened));
    }
  }

  // The stream carrying `awaited`'s answer is gone for good: fail the call now rather than at
  // its timeout.
  void LoseAnswer(const std::optional<RequestId>& awaited) {
    if (!awaited) return;
    RpcError error;
    error.code = kInternalError;
    error.message = "the HTTP stream ended before the server answered";
    inbox_.Push(Incoming{Response::Failure(*awaited, std::move(error)), nullptr, false});
  }

  asio::any_io_executor executor_;
  http::Client client_;
  StreamableHttpClientOptions options_;
  internal::AsyncQueue<Incoming> inbox_;
  std::string session_id_;
  std::string protocol_version_;
  bool closed_ = false;
  bool get_stream_started_ = false;
  size_t rejected_payloads_ = 0;
  std::set<std::shared_ptr<http::SseStreamReader>> readers_;
  // The open response stream of each request awaiting its answer (2026-07-28 cancels a request by
  // closing its stream).
  std::unordered_map<RequestId, std::shared_ptr<http::SseStreamReader>> streams_;
  std::set<asio::steady_timer*> timers_;
};

}  // namespace

std::shared_ptr<StreamableHttpClientTransport> StreamableHttpClientTransport::Create(
    asio::any_io_executor executor, http::Client client, StreamableHttpClientOptions options) {
  return std::make_shared<ClientTransport>(std::move(executor), std::move(client),
                                           std::move(options));
}

DecodedBody DecodeHttpResponseBody(std::string_view content_type, std::string_view body,
                                   size_t max_message_bytes) {
  DecodedBody out;
  ParseLimits limits;
  limits.max_bytes = max_message_bytes;
  auto take = [&](std::string_view payload) {
    ParsedPayload parsed = ParsePayload(payload, limits, /*allow_batch=*/true);
    out.rejected += parsed.errors.size();
    for (auto& m : parsed.messages) out.messages.push_back(std::move(m));
  };
  if (IsEventStream(content_type)) {
    http::SseParser parser;
    auto events = parser.Feed(body);
    if (!events.ok()) {
      ++out.rejected;
      return out;
    }
    for (const auto& event : *events) {
      if (!event.data.empty()) take(event.data);
    }
    return out;
  }
  take(body);
  return out;
}

}  // namespace bedrock::mcp

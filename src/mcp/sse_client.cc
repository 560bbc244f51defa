#include "mcp/sse_client.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "http/url.h"
#include "mcp/internal/async_queue.h"
#include "mcp/jsonrpc.h"
#include "mcp/streamable_http_client.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;

class SseClientTransport final : public Transport,
                                 public std::enable_shared_from_this<SseClientTransport> {
 public:
  SseClientTransport(asio::any_io_executor executor, http::Client client, SseClientOptions options,
                     std::string endpoint, std::shared_ptr<http::SseStreamReader> reader)
      : executor_(std::move(executor)),
        client_(std::move(client)),
        options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        reader_(std::move(reader)),
        inbox_(executor_) {}

  void Start() { asio::co_spawn(executor_, ReadLoop(shared_from_this()), asio::detached); }

  asio::any_io_executor get_executor() override { return executor_; }

  Awaitable<core::Result<Incoming>> Receive() override { co_return co_await inbox_.Pop(); }

  Awaitable<core::Status> Send(Message message, SendOptions) override {
    if (closed_) co_return core::Error::Unavailable("{}: the SSE transport is closed", peer());
    http::ClientRequest request;
    request.method = "POST";
    request.url = endpoint_;
    request.headers = options_.headers;
    if (!options_.bearer_token.empty()) {
      request.headers.Set("Authorization", "Bearer " + options_.bearer_token);
    }
    request.headers.Set("Content-Type", "application/json");
    request.body = Serialize(message);
    request.timeout = options_.request_timeout;
    auto response = co_await client_.Send(std::move(request));
    if (!response.ok()) {
      co_return core::Error(response.error().code(),
                            fmt::format("{}: {}", peer(), response.error().message()));
    }
    if (response->status / 100 != 2) {
      std::string body = response->body.substr(0, 512);
      co_return core::Error(
          core::ErrorCodeFromHttpStatus(response->status),
          fmt::format("{}: HTTP {} from {}: {}", peer(), response->status, endpoint_, body));
    }
    co_return core::OkStatus();
  }

  Awaitable<void> Close() override {
    if (closed_) co_return;
    closed_ = true;
    reader_->response().Close();
    inbox_.Close(core::Error::Unavailable("{}: the SSE transport was closed", peer()));
  }

 private:
  std::string peer() const { return options_.peer_name; }

  Awaitable<void> ReadLoop(std::shared_ptr<SseClientTransport> self) {
    (void)self;  // keeps the transport alive while the stream is read
    for (;;) {
      auto event = co_await reader_->Next();
      if (!event.ok() || !*event) {
        if (!closed_) {
          closed_ = true;
          inbox_.Close(event.ok() ? core::Error::Unavailable("{}: the SSE stream ended", peer())
                                  : core::Error(event.error().code(),
                                                fmt::format("{}: the SSE stream failed: {}", peer(),
                                                            event.error().message())));
        }
        co_return;
      }
      const auto& e = **event;
      if (!e.event.empty() && e.event != "message") continue;
      if (e.data.empty()) continue;
      DecodedBody decoded =
          DecodeHttpResponseBody("application/json", e.data, options_.max_message_bytes);
      for (auto& m : decoded.messages) inbox_.Push(Incoming{std::move(m), nullptr, false});
    }
  }

  asio::any_io_executor executor_;
  http::Client client_;
  SseClientOptions options_;
  std::string endpoint_;
  std::shared_ptr<http::SseStreamReader> reader_;
  internal::AsyncQueue<Incoming> inbox_;
  bool closed_ = false;
};

}  // namespace

core::Result<std::string> ResolveSseEndpoint(std::string_view sse_url, std::string_view endpoint) {
  auto base = http::ParseHttpUrl(sse_url);
  if (!base.ok()) return base.error();
  if (endpoint.empty()) return core::Error::UpstreamFailure("the endpoint event is empty");
  std::string resolved;
  if (endpoint.rfind("http://", 0) == 0 || endpoint.rfind("https://", 0) == 0) {
    resolved = std::string(endpoint);
  } else if (endpoint.rfind("//", 0) == 0) {
    resolved = base->scheme + ":" + std::string(endpoint);
  } else if (endpoint.front() == '/') {
    resolved = base->Origin() + std::string(endpoint);
  } else {
    std::string path = base->target.substr(0, base->target.find('?'));
    path = path.substr(0, path.rfind('/') + 1);
    resolved = base->Origin() + path + std::string(endpoint);
  }
  auto parsed = http::ParseHttpUrl(resolved);
  if (!parsed.ok()) {
    return core::Error::UpstreamFailure("the endpoint event names a malformed URL: {}",
                                        parsed.error().message());
  }
  if (parsed->Origin() != base->Origin()) {
    return core::Error::UpstreamFailure(
        "the endpoint event names another origin ({}) than the SSE URL ({}); refused",
        parsed->Origin(), base->Origin());
  }
  return resolved;
}

Awaitable<core::Result<std::shared_ptr<Transport>>> ConnectSseTransport(
    asio::any_io_executor executor, http::Client client, SseClientOptions options) {
  http::ClientRequest request;
  request.url = options.url;
  request.headers = options.headers;
  if (!options.bearer_token.empty()) {
    request.headers.Set("Authorization", "Bearer " + options.bearer_token);
  }
  request.headers.Set("Accept", "text/event-stream");
  request.timeout = options.connect_timeout;
  request.read_idle_timeout = options.stream_idle_timeout;
  auto opened = co_await client.Open(std::move(request));
  if (!opened.ok()) {
    co_return core::Error(opened.error().code(),
                          fmt::format("{}: {}", options.peer_name, opened.error().message()));
  }
  if (opened->status() != 200) {
    int status = opened->status();
    opened->Close();
    co_return core::Error(
        core::ErrorCodeFromHttpStatus(status),
        fmt::format("{}: HTTP {} from {}", options.peer_name, status, options.url));
  }
  auto reader = std::make_shared<http::SseStreamReader>(std::move(*opened));
  for (;;) {
    auto event = co_await reader->Next();
    if (!event.ok()) {
      co_return core::Error(event.error().code(),
                            fmt::format("{}: waiting for the endpoint event: {}", options.peer_name,
                                        event.error().message()));
    }
    if (!*event) {
      co_return core::Error::UpstreamFailure("{}: the SSE stream ended before the endpoint event",
                                             options.peer_name);
    }
    if ((*event)->event != "endpoint") continue;
    auto endpoint = ResolveSseEndpoint(options.url, (*event)->data);
    if (!endpoint.ok()) {
      co_return core::Error::UpstreamFailure("{}: {}", options.peer_name,
                                             endpoint.error().message());
    }
    auto transport = std::make_shared<SseClientTransport>(
        executor, std::move(client), std::move(options), std::move(*endpoint), std::move(reader));
    transport->Start();
    co_return std::shared_ptr<Transport>(transport);
  }
}

}  // namespace bedrock::mcp

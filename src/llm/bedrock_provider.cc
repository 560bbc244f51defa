#include "llm/bedrock_provider.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <random>
#include <utility>

#include "aws/credential_chain.h"
#include "aws/errors.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "http/url.h"
#include "llm/bedrock_converse.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr std::string_view kProvider = "bedrock";
constexpr size_t kMaxErrorBody = 1 << 20;

std::string NewInvocationId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  uint64_t hi = engine(), lo = engine();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

// Waits `delay` unless the awaiting coroutine is cancelled first.
awaitable<core::Status> Backoff(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return core::Error::Cancelled("cancelled while waiting to retry");
  co_return core::OkStatus();
}

core::Error GaveUp(const core::Error& error, int attempts) {
  if (attempts <= 1) return ProviderError(kProvider, error);
  return ProviderError(kProvider,
                       core::Error(error.code(), fmt::format("{} (gave up after {} attempts)",
                                                             error.message(), attempts)));
}

// The events of one ConverseStream response, decoded as the body arrives.
class BedrockStream final : public ChatStream {
 public:
  explicit BedrockStream(http::StreamingResponse response) : response_(std::move(response)) {}
  ~BedrockStream() override { response_.Close(); }

  awaitable<core::Result<std::optional<StreamEvent>>> Next() override {
    while (pending_.empty()) {
      if (error_) co_return *error_;
      if (ended_) co_return std::optional<StreamEvent>();
      auto piece = co_await response_.ReadSome();
      if (!piece.ok()) {
        Fail(piece.error());
        continue;
      }
      if (!*piece) {
        ended_ = true;
        if (auto finished = decoder_.Finish(); !finished.ok()) {
          Fail(core::Error(finished.error().code(), "stream ended inside an event-stream frame: " +
                                                        finished.error().message()));
        } else if (!message_stopped_) {
          // Whole frames but no messageStop: the response was cut short between frames.
          Fail(core::Error::UpstreamFailure("ConverseStream ended before messageStop"));
        }
        continue;
      }
      auto fed = decoder_.Feed(**piece, [this](StreamEvent&& event) {
        if (std::holds_alternative<MessageStopEvent>(event)) message_stopped_ = true;
        pending_.push_back(std::move(event));
        return core::OkStatus();
      });
      // Events decoded before a failure are still delivered, then the error.
      if (!fed.ok()) Fail(fed.error());
    }
    StreamEvent event = std::move(pending_.front());
    pending_.pop_front();
    co_return std::optional<StreamEvent>(std::move(event));
  }

  void Close() override { response_.Close(); }

 private:
  void Fail(const core::Error& error) {
    if (!error_) error_ = ProviderError(kProvider, error);
    response_.Close();
  }

  http::StreamingResponse response_;
  bedrock_converse::ConverseStreamDecoder decoder_;
  std::deque<StreamEvent> pending_;
  std::optional<core::Error> error_;
  bool ended_ = false;
  bool message_stopped_ = false;
};

}  // namespace

std::string BedrockModelPath(std::string_view model_id, std::string_view operation) {
  return fmt::format("/model/{}/{}", aws::UriEncode(model_id, /*keep_slash=*/false), operation);
}

core::Result<BedrockOptions> BedrockOptionsFromEnv(const core::Env& env) {
  BedrockOptions options;
  if (auto region = aws::ResolveRegion(env, nullptr, "")) options.region = *region;
  if (auto endpoint = aws::EndpointUrlFromEnv(env, "bedrock-runtime")) options.endpoint = *endpoint;
  if (auto token = aws::BedrockBearerToken(env)) options.bearer_token = *token;
  options.retry = BEDROCK_TRY(aws::RetryConfigFromEnv(env, nullptr, "", options.retry));
  return options;
}

struct BedrockProvider::Impl {
  http::Client client;
  BedrockOptions options;
  std::string endpoint;     // scheme://authority[/prefix], no trailing '/'
  std::string host_header;  // as sent and signed
  std::string path_prefix;  // the endpoint's path, "" or "/prefix"
  aws::RetryStrategy retry;

  Impl(http::Client c, BedrockOptions o)
      : client(std::move(c)), options(std::move(o)), retry(options.retry, options.retry_random) {}

  // One attempt's request, signed (or with the bearer token).
  awaitable<core::Result<http::ClientRequest>> BuildRequest(const std::string& path,
                                                            const std::string& body,
                                                            const std::string& invocation_id,
                                                            int attempt, bool stream) {
    std::string wire_path = path_prefix + path;
    std::string attempt_header =
        fmt::format("attempt={}; max={}", attempt, retry.config().max_attempts);
    http::ClientRequest request;
    request.method = "POST";
    request.url = endpoint + path;
    request.body = body;
    request.idempotent = false;
    request.timeout = options.request_timeout;
    if (stream) request.read_idle_timeout = options.stream_idle_timeout;
    request.headers.Set("Host", host_header);
    request.headers.Set("Content-Type", "application/json");
    request.headers.Set("amz-sdk-invocation-id", invocation_id);
    request.headers.Set("amz-sdk-request", attempt_header);
    if (!options.bearer_token.empty()) {
      request.headers.Set("Authorization", "Bearer " + options.bearer_token);
      co_return request;
    }
    auto credentials = co_await options.credentials();
    if (!credentials.ok()) co_return credentials.error().WithContext("AWS credentials");
    aws::HeaderView headers[] = {{"host", host_header},
                                 {"content-type", "application/json"},
                                 {"amz-sdk-invocation-id", invocation_id},
                                 {"amz-sdk-request", attempt_header}};
    aws::SignableRequest signable{.method = "POST",
                                  .path = wire_path,
                                  .query = {},
                                  .headers = headers,
                                  .body = body,
                                  .payload_hash = {}};
    aws::SigningConfig config{.region = options.region,
                              .service = "bedrock",
                              .time = options.clock->Now(),
                              .add_content_sha256_header = true};
    aws::SigV4Headers signature = aws::SignRequest(signable, *credentials, config);
    signature.ApplyTo(request.headers);
    co_return request;
  }

  awaitable<core::Result<ChatResponse>> Converse(ChatRequest chat) {
    auto body = bedrock_converse::EncodeConverseRequest(chat, /*streaming=*/false);
    if (!body.ok()) co_return ProviderError(kProvider, body.error());
    std::string path = BedrockModelPath(chat.model_id, "converse");
    std::string invocation_id = NewInvocationId();
    aws::RetryStrategy::CallState state;
    while (true) {
      const int attempt = state.attempt;
      auto request = co_await BuildRequest(path, *body, invocation_id, attempt, false);
      if (!request.ok()) co_return ProviderError(kProvider, request.error());
      auto response = co_await client.Send(std::move(*request));
      core::Error failure(core::ErrorCode::kUnknown, "");
      aws::RetryErrorKind kind = aws::RetryErrorKind::kNone;
      if (!response.ok()) {
        failure = response.error();
        kind = aws::ClassifyError(failure);
      } else if (response->status / 100 == 2) {
        retry.OnSuccess(state);
        auto decoded = bedrock_converse::DecodeConverseResponse(response->body);
        if (!decoded.ok()) co_return ProviderError(kProvider, decoded.error());
        co_return std::move(*decoded);
      } else {
        aws::AwsError error =
            aws::ParseRestJson1Error(response->status, response->headers, response->body);
        failure = error.ToError();
        kind = aws::ClassifyAwsError(error);
      }
      auto delay = retry.OnFailure(state, kind);
      if (!delay) co_return GaveUp(failure, attempt);
      BEDROCK_CO_TRY(co_await Backoff(*delay));
    }
  }

  awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(ChatRequest chat) {
    auto body = bedrock_converse::EncodeConverseRequest(chat, /*streaming=*/true);
    if (!body.ok()) co_return ProviderError(kProvider, body.error());
    std::string path = BedrockModelPath(chat.model_id, "converse-stream");
    std::string invocation_id = NewInvocationId();
    aws::RetryStrategy::CallState state;
    while (true) {
      const int attempt = state.attempt;
      auto request = co_await BuildRequest(path, *body, invocation_id, attempt, true);
      if (!request.ok()) co_return ProviderError(kProvider, request.error());
      auto response = co_await client.Open(std::move(*request));
      core::Error failure(core::ErrorCode::kUnknown, "");
      aws::RetryErrorKind kind = aws::RetryErrorKind::kNone;
      if (!response.ok()) {
        failure = response.error();
        kind = aws::ClassifyError(failure);
      } else if (response->status() / 100 == 2) {
        retry.OnSuccess(state);
        co_return std::unique_ptr<ChatStream>(
            std::make_unique<BedrockStream>(std::move(*response)));
      } else {
        auto error_body = co_await response->ReadAll(kMaxErrorBody);
        aws::AwsError error = aws::ParseRestJson1Error(
            response->status(), response->headers(), error_body.ok() ? *error_body : std::string());
        failure = error.ToError();
        kind = aws::ClassifyAwsError(error);
      }
      auto delay = retry.OnFailure(state, kind);
      if (!delay) co_return GaveUp(failure, attempt);
      BEDROCK_CO_TRY(co_await Backoff(*delay));
    }
  }
};

core::Result<std::unique_ptr<BedrockProvider>> BedrockProvider::Create(http::Client client,
                                                                       BedrockOptions options) {
  if (options.region.empty()) {
    return core::Error::InvalidArgument(
        "Bedrock needs a region (set AWS_REGION or the model's region)");
  }
  if (options.bearer_token.empty() && !options.credentials) {
    return core::Error::InvalidArgument("Bedrock needs AWS credentials or an API key");
  }
  if (options.clock == nullptr) options.clock = &core::SystemClock::Instance();
  std::string endpoint =
      options.endpoint.empty()
          ? fmt::format("https://bedrock-runtime.{}.amazonaws.com", options.region)
          : options.endpoint;
  auto url = http::ParseHttpUrl(endpoint);
  if (!url.ok()) {
    return core::Error::InvalidArgument("Bedrock endpoint '{}': {}", endpoint,
                                        url.error().message());
  }
  if (url->target.find('?') != std::string::npos) {
    return core::Error::InvalidArgument("Bedrock endpoint '{}' must not have a query", endpoint);
  }
  auto impl = std::make_shared<Impl>(std::move(client), std::move(options));
  impl->path_prefix = url->target == "/" ? "" : url->target;
  while (!impl->path_prefix.empty() && impl->path_prefix.back() == '/') {
    impl->path_prefix.pop_back();
  }
  impl->endpoint = url->scheme + "://" + url->HostHeader() + impl->path_prefix;
  impl->host_header = url->HostHeader();
  return std::unique_ptr<BedrockProvider>(new BedrockProvider(std::move(impl)));
}

BedrockProvider::BedrockProvider(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
BedrockProvider::~BedrockProvider() = default;

const std::string& BedrockProvider::endpoint() const { return impl_->endpoint; }

// The coroutines keep the Impl alive through their own shared_ptr copy, so a provider destroyed
// while a call is in flight does not pull the state from under it.
awaitable<core::Result<ChatResponse>> BedrockProvider::Converse(ChatRequest request) {
  auto impl = impl_;
  co_return co_await impl->Converse(std::move(request));
}

awaitable<core::Result<std::unique_ptr<ChatStream>>> BedrockProvider::ConverseStream(
    ChatRequest request) {
  auto impl = impl_;
  co_return co_await impl->ConverseStream(std::move(request));
}

}  // namespace bedrock::llm

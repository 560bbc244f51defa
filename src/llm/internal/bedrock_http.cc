#include "llm/internal/bedrock_http.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "aws/errors.h"
#include "aws/sigv4.h"
#include "http/url.h"
#include "llm/internal/retry_wait.h"
namespace bedrock::llm::internal {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr size_t kMaxErrorBody = 1 << 20;

// What one attempt produced: the accepted response, or why it failed and whether to retry.
template <typename Response>
struct Outcome {
  std::optional<Response> response;
  core::Error failure{core::ErrorCode::kUnknown, ""};
  aws::RetryErrorKind kind = aws::RetryErrorKind::kNone;
};

}  // namespace

std::string NewInvocationId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  uint64_t hi = engine(), lo = engine();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

BedrockHttp::BedrockHttp(http::Client client, BedrockOptions options, BedrockService service)
    : client_(std::move(client)),
      options_(std::move(options)),
      service_(service),
      retry_(options_.retry, options_.retry_random, options_.clock) {}

core::Result<std::shared_ptr<BedrockHttp>> BedrockHttp::Create(http::Client client,
                                                               BedrockOptions options,
                                                               BedrockService service) {
  if (options.region.empty()) {
    return core::Error::InvalidArgument(
        "Bedrock needs a region (set AWS_REGION or the model's region)");
  }
  if (!service.bearer_allowed && !options.bearer_token.empty()) {
    return core::Error::InvalidArgument("{} takes SigV4 credentials only, not an API key",
                                        service.error_context);
  }
  if (options.bearer_token.empty() && !options.credentials) {
    return core::Error::InvalidArgument("Bedrock needs AWS credentials or an API key");
  }
  if (options.clock == nullptr) options.clock = &core::SystemClock::Instance();
  std::string endpoint =
      options.endpoint.empty()
          ? fmt::format("https://{}.{}.amazonaws.com", service.endpoint_prefix, options.region)
          : options.endpoint;
  auto url = http::ParseHttpUrl(endpoint);
  if (!url.ok()) {
    return core::Error::InvalidArgument("Bedrock endpoint '{}': {}", endpoint,
                                        url.error().message());
  }
  if (url->target.find('?') != std::string::npos) {
    return core::Error::InvalidArgument("Bedrock endpoint '{}' must not have a query", endpoint);
  }
  auto http = std::make_shared<BedrockHttp>(std::move(client), std::move(options), service);
  http->path_prefix_ = url->target == "/" ? "" : url->target;
  while (!http->path_prefix_.empty() && http->path_prefix_.back() == '/') {
    http->path_prefix_.pop_back();
  }
  http->endpoint_ = url->scheme + "://" + url->HostHeader() + http->path_prefix_;
  http->host_header_ = url->HostHeader();
  return http;
}

core::Error BedrockHttp::Wrap(const core::Error& error) const {
  return error.WithContext(service_.error_context);
}

awaitable<core::Result<http::ClientRequest>> BedrockHttp::BuildRequest(
    const BedrockCall& call, const std::string& invocation_id, int attempt, bool stream) {
  std::string wire_path = path_prefix_ + call.path;
  std::string attempt_header =
      fmt::format("attempt={}; max={}", attempt, retry_.config().max_attempts);
  http::ClientRequest request;
  request.method = "POST";
  request.url = endpoint_ + call.path;
  request.body = call.body;
  request.idempotent = false;
  request.timeout = options_.request_timeout;
  if (stream) request.read_idle_timeout = options_.stream_idle_timeout;
  std::vector<aws::HeaderView> signed_headers = {{"host", host_header_},
                                                 {"content-type", call.content_type},
                                                 {"amz-sdk-invocation-id", invocation_id},
                                                 {"amz-sdk-request", attempt_header}};
  for (const auto& [name, value] : call.headers) {
    if (!value.empty()) signed_headers.push_back({name, value});
  }
  request.headers.Set("Host", host_header_);
  for (const auto& header : signed_headers) {
    if (header.name != "host")
      request.headers.Set(std::string(header.name), std::string(header.value));
  }
  if (!options_.bearer_token.empty()) {
    request.headers.Set("Authorization", "Bearer " + options_.bearer_token);
    co_return request;
  }
  auto credentials = co_await options_.credentials();
  if (!credentials.ok()) co_return credentials.error().WithContext("AWS credentials");
  aws::SignableRequest signable{.method = "POST",
                                .path = wire_path,
                                .query = {},
                                .headers = signed_headers,
                                .body = call.body,
                                .payload_hash = {}};
  aws::SigningConfig config{.region = options_.region,
                            .service = "bedrock",
                            .time = options_.clock->Now(),
                            .add_content_sha256_header = true};
  aws::SigV4Headers signature = aws::SignRequest(signable, *credentials, config);
  signature.ApplyTo(request.headers);
  co_return request;
}

// `exchange(request)` -> awaitable<Outcome<Response>> performs one attempt.
template <typename Response, typename Exchange>
awaitable<core::Result<Response>> BedrockHttp::Retrying(const BedrockCall& call, bool stream,
                                                        Exchange exchange) {
  std::string invocation_id = NewInvocationId();
  aws::RetryStrategy::CallState state;
  while (true) {
    const int attempt = state.attempt;
    if (auto wait = retry_.BeforeAttempt(); wait.count() > 0) {
      if (auto waited = co_await WaitBeforeRetry(wait); !waited.ok())
        co_return Wrap(waited.error());
    }
    auto request = co_await BuildRequest(call, invocation_id, attempt, stream);
    if (!request.ok()) co_return Wrap(request.error());
    Outcome<Response> outcome = co_await exchange(std::move(*request));
    retry_.AfterAttempt(outcome.response ? aws::RetryErrorKind::kNone : outcome.kind);
    if (outcome.response) {
      retry_.OnSuccess(state);
      co_return std::move(*outcome.response);
    }
    auto delay = retry_.OnFailure(state, outcome.kind);
    if (!delay) {
      if (attempt <= 1) co_return Wrap(outcome.failure);
      co_return Wrap(core::Error(
          outcome.failure.code(),
          fmt::format("{} (gave up after {} attempts)", outcome.failure.message(), attempt)));
    }
    if (auto waited = co_await WaitBeforeRetry(*delay); !waited.ok())
      co_return Wrap(waited.error());
  }
}

awaitable<core::Result<http::Response>> BedrockHttp::Send(BedrockCall call) {
  // Keeps this object alive while the call is in flight, whatever the caller does with its handle.
  auto self = shared_from_this();
  co_return co_await Retrying<http::Response>(
      call, /*stream=*/false,
      [this](http::ClientRequest request) -> awaitable<Outcome<http::Response>> {
        Outcome<http::Response> outcome;
        auto response = co_await client_.Send(std::move(request));
        if (!response.ok()) {
          outcome.failure = response.error();
          outcome.kind = aws::ClassifyError(outcome.failure);
        } else if (response->status / 100 == 2) {
          outcome.response = std::move(*response);
        } else {
          aws::AwsError error =
              aws::ParseRestJson1Error(response->status, response->headers, response->body);
          outcome.failure = error.ToError();
          outcome.kind = aws::ClassifyAwsError(error);
        }
        co_return outcome;
      });
}

awaitable<core::Result<http::StreamingResponse>> BedrockHttp::Open(BedrockCall call) {
  auto self = shared_from_this();
  co_return co_await Retrying<http::StreamingResponse>(
      call, /*stream=*/true,
      [this](http::ClientRequest request) -> awaitable<Outcome<http::StreamingResponse>> {
        Outcome<http::StreamingResponse> outcome;
        auto response = co_await client_.Open(std::move(request));
        if (!response.ok()) {
          outcome.failure = response.error();
          outcome.kind = aws::ClassifyError(outcome.failure);
        } else if (response->status() / 100 == 2) {
          outcome.response.emplace(std::move(*response));
        } else {
          auto error_body = co_await response->ReadAll(kMaxErrorBody);
          aws::AwsError error =
              aws::ParseRestJson1Error(response->status(), response->headers(),
                                       error_body.ok() ? *error_body : std::string());
          outcome.failure = error.ToError();
          outcome.kind = aws::ClassifyAwsError(error);
        }
        co_return outcome;
      });
}

awaitable<core::Result<bool>> EventStreamReader::ReadMore(
    const aws::EventStreamDecoder::Callback& on_message) {
  auto piece = co_await response_.ReadSome();
  if (!piece.ok()) co_return piece.error();
  if (!*piece) {
    if (auto finished = decoder_.Finish(); !finished.ok()) {
      co_return core::Error(finished.error().code(), "stream ended inside an event-stream frame: " +
                                                         finished.error().message());
    }
    co_return false;
  }
  BEDROCK_CO_TRY(decoder_.Feed(**piece, on_message));
  co_return true;
}

}  // namespace bedrock::llm::internal

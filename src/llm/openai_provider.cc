#include "llm/openai_provider.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <utility>

#include "aws/retry.h"
#include "http/url.h"
#include "llm/internal/retry_wait.h"
#include "llm/openai_chat.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr size_t kMaxErrorBody = 1 << 20;

int64_t MillisSince(const core::Clock& clock, core::Clock::SteadyTime start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.SteadyNow() - start).count();
}

// The events of one streamed chat completion, mapped as its SSE events arrive.
class OpenAiStream final : public ChatStream {
 public:
  OpenAiStream(http::StreamingResponse response, std::string provider, const core::Clock& clock,
               core::Clock::SteadyTime start)
      : reader_(std::move(response)),
        provider_(std::move(provider)),
        clock_(clock),
        start_(start) {}
  ~OpenAiStream() override { reader_.response().Close(); }

  awaitable<core::Result<std::optional<StreamEvent>>> Next() override {
    while (pending_.empty()) {
      if (error_) co_return *error_;
      if (ended_) co_return std::optional<StreamEvent>();
      auto event = co_await reader_.Next();
      std::vector<StreamEvent> out;
      mapper_.set_latency_ms(MillisSince(clock_, start_));
      core::Status status;
      if (!event.ok()) {
        status = event.error();
      } else if (!*event) {
        ended_ = true;
        status = mapper_.OnEnd(out);
      } else if ((*event)->event.empty() || (*event)->event == "message") {
        status = mapper_.OnData((*event)->data, out);
        if (mapper_.done()) ended_ = true;
      } else if ((*event)->event == "error") {
        status = core::Error::UpstreamFailure("error event in stream: {}", (*event)->data);
      }
      for (auto& e : out) pending_.push_back(std::move(e));
      if (!status.ok()) Fail(status.error());
    }
    StreamEvent event = std::move(pending_.front());
    pending_.pop_front();
    if (ended_ && pending_.empty()) reader_.response().Close();
    co_return std::optional<StreamEvent>(std::move(event));
  }

  void Close() override { reader_.response().Close(); }

 private:
  void Fail(const core::Error& error) {
    if (!error_) error_ = ProviderError(provider_, error);
    reader_.response().Close();
  }

  http::SseStreamReader reader_;
  std::string provider_;
  const core::Clock& clock_;
  core::Clock::SteadyTime start_;
  openai_chat::StreamMapper mapper_;
  std::deque<StreamEvent> pending_;
  std::optional<core::Error> error_;
  bool ended_ = false;
};

}  // namespace

struct OpenAiProvider::Impl {
  http::Client client;
  OpenAiOptions options;
  std::string url;  // the chat completions URL
  aws::RetryStrategy retry;

  Impl(http::Client c, OpenAiOptions o)
      : client(std::move(c)), options(std::move(o)), retry(options.retry, options.retry_random) {}

  http::ClientRequest BuildRequest(const std::string& body, bool stream) const {
    http::ClientRequest request;
    request.method = "POST";
    request.url = url;
    request.body = body;
    request.idempotent = false;
    request.timeout = options.request_timeout;
    request.headers.Set("Content-Type", "application/json");
    request.headers.Set("Accept", stream ? "text/event-stream" : "application/json");
    if (!options.api_key.empty()) request.headers.Set("Authorization", "Bearer " + options.api_key);
    if (stream) request.read_idle_timeout = options.stream_idle_timeout;
    return request;
  }

  core::Error GaveUp(const core::Error& error, int attempts) const {
    if (attempts <= 1) return ProviderError(options.name, error);
    return ProviderError(options.name,
                         core::Error(error.code(), fmt::format("{} (gave up after {} attempts)",
                                                               error.message(), attempts)));
  }

  awaitable<core::Result<ChatResponse>> Converse(ChatRequest chat) {
    auto body = openai_chat::EncodeRequest(chat, /*stream=*/false);
    if (!body.ok()) co_return ProviderError(options.name, body.error());
    auto start = options.clock->SteadyNow();
    aws::RetryStrategy::CallState state;
    while (true) {
      const int attempt = state.attempt;
      auto response = co_await client.Send(BuildRequest(*body, false));
      core::Error failure(core::ErrorCode::kUnknown, "");
      aws::RetryErrorKind kind = aws::RetryErrorKind::kNone;
      if (!response.ok()) {
        failure = response.error();
        kind = aws::ClassifyError(failure);
      } else if (response->status / 100 == 2) {
        retry.OnSuccess(state);
        auto decoded = openai_chat::DecodeResponse(response->body);
        if (!decoded.ok()) co_return ProviderError(options.name, decoded.error());
        decoded->metrics.latency_ms = MillisSince(*options.clock, start);
        co_return std::move(*decoded);
      } else {
        failure = openai_chat::DecodeError(response->status, response->body);
        kind = aws::ClassifyHttpStatus(response->status);
      }
      auto delay = retry.OnFailure(state, kind);
      if (!delay) co_return GaveUp(failure, attempt);
      BEDROCK_CO_TRY(co_await internal::WaitBeforeRetry(*delay));
    }
  }

  awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(ChatRequest chat) {
    auto body = openai_chat::EncodeRequest(chat, /*stream=*/true);
    if (!body.ok()) co_return ProviderError(options.name, body.error());
    auto start = options.clock->SteadyNow();
    aws::RetryStrategy::CallState state;
    while (true) {
      const int attempt = state.attempt;
      auto response = co_await client.Open(BuildRequest(*body, true));
      core::Error failure(core::ErrorCode::kUnknown, "");
      aws::RetryErrorKind kind = aws::RetryErrorKind::kNone;
      if (!response.ok()) {
        failure = response.error();
        kind = aws::ClassifyError(failure);
      } else if (response->status() / 100 == 2) {
        retry.OnSuccess(state);
        co_return std::unique_ptr<ChatStream>(std::make_unique<OpenAiStream>(
            std::move(*response), options.name, *options.clock, start));
      } else {
        auto error_body = co_await response->ReadAll(kMaxErrorBody);
        failure = openai_chat::DecodeError(response->status(),
                                           error_body.ok() ? *error_body : std::string());
        kind = aws::ClassifyHttpStatus(response->status());
      }
      auto delay = retry.OnFailure(state, kind);
      if (!delay) co_return GaveUp(failure, attempt);
      BEDROCK_CO_TRY(co_await internal::WaitBeforeRetry(*delay));
    }
  }
};

core::Result<std::unique_ptr<OpenAiProvider>> OpenAiProvider::Create(http::Client client,
                                                                     OpenAiOptions options) {
  std::string base = options.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto url = http::ParseHttpUrl(base);
  if (!url.ok()) {
    return core::Error::InvalidArgument("OpenAI-compatible base URL '{}': {}", options.base_url,
                                        url.error().message());
  }
  if (url->target.find('?') != std::string::npos) {
    return core::Error::InvalidArgument("OpenAI-compatible base URL '{}' must not have a query",
                                        options.base_url);
  }
  if (options.clock == nullptr) options.clock = &core::SystemClock::Instance();
  if (options.name.empty()) options.name = "openai";
  auto impl = std::make_shared<Impl>(std::move(client), std::move(options));
  impl->url = base + "/chat/completions";
  return std::unique_ptr<OpenAiProvider>(new OpenAiProvider(std::move(impl)));
}

OpenAiProvider::OpenAiProvider(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
OpenAiProvider::~OpenAiProvider() = default;

std::string_view OpenAiProvider::name() const { return impl_->options.name; }

// The coroutines hold their own reference to the Impl: see BedrockProvider.
awaitable<core::Result<ChatResponse>> OpenAiProvider::Converse(ChatRequest request) {
  auto impl = impl_;
  co_return co_await impl->Converse(std::move(request));
}

awaitable<core::Result<std::unique_ptr<ChatStream>>> OpenAiProvider::ConverseStream(
    ChatRequest request) {
  auto impl = impl_;
  co_return co_await impl->ConverseStream(std::move(request));
}

}  // namespace bedrock::llm

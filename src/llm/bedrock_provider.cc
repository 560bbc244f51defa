#include "llm/bedrock_provider.h"

#include <fmt/format.h>

#include <deque>
#include <utility>

#include "aws/credential_chain.h"
#include "aws/sigv4.h"
#include "llm/bedrock_converse.h"
#include "llm/internal/bedrock_http.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr std::string_view kProvider = "bedrock";

// The events of one ConverseStream response, decoded as the body arrives.
class BedrockStream final : public ChatStream {
 public:
  explicit BedrockStream(http::StreamingResponse response) : reader_(std::move(response)) {}

  awaitable<core::Result<std::optional<StreamEvent>>> Next() override {
    while (pending_.empty()) {
      if (error_) co_return *error_;
      if (ended_) co_return std::optional<StreamEvent>();
      auto more = co_await reader_.ReadMore(on_message_);
      // Events decoded before a failure are still delivered, then the error.
      if (!more.ok()) {
        Fail(more.error());
      } else if (!*more) {
        ended_ = true;
        // Whole frames but no messageStop: the response was cut short between frames.
        if (!message_stopped_) {
          Fail(core::Error::UpstreamFailure("ConverseStream ended before messageStop"));
        }
      }
    }
    StreamEvent event = std::move(pending_.front());
    pending_.pop_front();
    co_return std::optional<StreamEvent>(std::move(event));
  }

  void Close() override { reader_.Close(); }

 private:
  core::Status OnMessage(const aws::EventMessageView& message) {
    std::optional<StreamEvent> event = BEDROCK_TRY(bedrock_converse::DecodeStreamMessage(message));
    if (!event) return core::OkStatus();  // an event type this build does not know
    if (std::holds_alternative<MessageStopEvent>(*event)) message_stopped_ = true;
    pending_.push_back(std::move(*event));
    return core::OkStatus();
  }

  void Fail(const core::Error& error) {
    if (!error_) error_ = ProviderError(kProvider, error);
    reader_.Close();
  }

  internal::EventStreamReader reader_;
  const aws::EventStreamDecoder::Callback on_message_ = [this](const aws::EventMessageView& m) {
    return OnMessage(m);
  };
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
  std::shared_ptr<internal::BedrockHttp> http;

  awaitable<core::Result<ChatResponse>> Converse(ChatRequest chat) {
    auto body = bedrock_converse::EncodeConverseRequest(chat, /*streaming=*/false);
    if (!body.ok()) co_return ProviderError(kProvider, body.error());
    internal::BedrockCall call;
    call.path = BedrockModelPath(chat.model_id, "converse");
    call.body = std::move(*body);
    BEDROCK_CO_TRY_ASSIGN(http::Response response, co_await http->Send(std::move(call)));
    auto decoded = bedrock_converse::DecodeConverseResponse(response.body);
    if (!decoded.ok()) co_return ProviderError(kProvider, decoded.error());
    co_return std::move(*decoded);
  }

  awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(ChatRequest chat) {
    auto body = bedrock_converse::EncodeConverseRequest(chat, /*streaming=*/true);
    if (!body.ok()) co_return ProviderError(kProvider, body.error());
    internal::BedrockCall call;
    call.path = BedrockModelPath(chat.model_id, "converse-stream");
    call.body = std::move(*body);
    BEDROCK_CO_TRY_ASSIGN(http::StreamingResponse response, co_await http->Open(std::move(call)));
    co_return std::unique_ptr<ChatStream>(std::make_unique<BedrockStream>(std::move(response)));
  }
};

core::Result<std::unique_ptr<BedrockProvider>> BedrockProvider::Create(http::Client client,
                                                                       BedrockOptions options) {
  auto impl = std::make_shared<Impl>();
  impl->http = BEDROCK_TRY(internal::BedrockHttp::Create(std::move(client), std::move(options),
                                                         internal::kRuntimeService));
  return std::unique_ptr<BedrockProvider>(new BedrockProvider(std::move(impl)));
}

BedrockProvider::BedrockProvider(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
BedrockProvider::~BedrockProvider() = default;

const std::string& BedrockProvider::endpoint() const { return impl_->http->endpoint(); }

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

#include "llm/bedrock_invoke.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <deque>
#include <utility>

#include "aws/event_stream.h"
#include "llm/bedrock_claude.h"
#include "core/base64.h"
#include "llm/internal/bedrock_http.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using internal::BedrockHttp;

constexpr std::string_view kProvider = "bedrock";

std::optional<int64_t> IntHeader(const http::Headers& headers, std::string_view name) {
  auto text = headers.Get(name);
  if (!text) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

internal::BedrockCall InvokeCall(InvokeModelRequest request, bool stream) {
  internal::BedrockCall call;
  call.path = BedrockModelPath(request.model_id, stream ? "invoke-with-response-stream" : "invoke");
  call.body = std::move(request.body);
  call.content_type = std::move(request.content_type);
  call.headers = {
      {stream ? "x-amzn-bedrock-accept" : "accept", std::move(request.accept)},
      {"x-amzn-bedrock-trace", std::move(request.trace)},
      {"x-amzn-bedrock-guardrailidentifier", std::move(request.guardrail_identifier)},
      {"x-amzn-bedrock-guardrailversion", std::move(request.guardrail_version)},
      {"x-amzn-bedrock-performanceconfig-latency", std::move(request.performance_latency)},
      {"x-amzn-bedrock-service-tier", std::move(request.service_tier)}};
  return call;
}

// The bytes of a `chunk` event's payload, {"bytes": "<base64>", "p": "..."}.
core::Result<std::string> ChunkBytes(std::string_view payload) {
  boost::system::error_code ec;
  json::value value = json::parse(payload, ec);
  const json::value* bytes =
      !ec && value.is_object() ? value.as_object().if_contains("bytes") : nullptr;
  if (bytes == nullptr || !bytes->is_string()) {
    return core::Error::UpstreamFailure("chunk event without base64 `bytes`");
  }
  auto decoded = core::Base64Decode(bytes->as_string());
  if (!decoded) return core::Error::UpstreamFailure("chunk event `bytes` is not base64");
  return std::move(*decoded);
}

// The chunks of one InvokeModelWithResponseStream response.
class RawStream final : public InvokeModelStream {
 public:
  explicit RawStream(http::StreamingResponse response)
      : content_type_(response.headers().Get("x-amzn-bedrock-content-type").value_or("")),
        reader_(std::move(response)) {}

  awaitable<core::Result<std::optional<std::string>>> Next() override {
    while (pending_.empty()) {
      if (error_) co_return *error_;
      if (ended_) co_return std::optional<std::string>();
      auto more = co_await reader_.ReadMore(on_message_);
      // Chunks decoded before a failure are still delivered, then the error.
      if (!more.ok()) {
        Fail(more.error());
      } else if (!*more) {
        ended_ = true;
      }
    }
    std::string chunk = std::move(pending_.front());
    pending_.pop_front();
    co_return std::optional<std::string>(std::move(chunk));
  }

  const std::string& content_type() const override { return content_type_; }
  void Close() override { reader_.Close(); }

 private:
  core::Status OnMessage(const aws::EventMessageView& message) {
    aws::EventView event = BEDROCK_TRY(aws::InterpretMessage(message));
    if (event.event_type != "chunk") return core::OkStatus();  // unknown events are skipped
    pending_.push_back(BEDROCK_TRY(ChunkBytes(event.payload)));
    return core::OkStatus();
  }

  void Fail(const core::Error& error) {
    if (!error_) error_ = ProviderError(kProvider, error);
    reader_.Close();
  }

  std::string content_type_;
  internal::EventStreamReader reader_;
  const aws::EventStreamDecoder::Callback on_message_ = [this](const aws::EventMessageView& m) {
    return OnMessage(m);
  };
  std::deque<std::string> pending_;
  std::optional<core::Error> error_;
  bool ended_ = false;
};

awaitable<core::Result<InvokeModelResponse>> Invoke(std::shared_ptr<BedrockHttp> http,
                                                    InvokeModelRequest request) {
  internal::BedrockCall call = InvokeCall(std::move(request), /*stream=*/false);
  BEDROCK_CO_TRY_ASSIGN(http::Response response, co_await http->Send(std::move(call)));
  InvokeModelResponse out;
  out.body = std::move(response.body);
  out.content_type = response.headers.Get("content-type").value_or("");
  out.input_token_count = IntHeader(response.headers, "x-amzn-bedrock-input-token-count");
  out.output_token_count = IntHeader(response.headers, "x-amzn-bedrock-output-token-count");
  out.invocation_latency_ms = IntHeader(response.headers, "x-amzn-bedrock-invocation-latency");
  out.request_id = response.headers.Get("x-amzn-requestid").value_or("");
  co_return out;
}

awaitable<core::Result<std::unique_ptr<RawStream>>> InvokeStream(std::shared_ptr<BedrockHttp> http,
                                                                 InvokeModelRequest request) {
  internal::BedrockCall call = InvokeCall(std::move(request), /*stream=*/true);
  BEDROCK_CO_TRY_ASSIGN(http::StreamingResponse response, co_await http->Open(std::move(call)));
  co_return std::make_unique<RawStream>(std::move(response));
}

// --- Claude Messages as a ChatProvider ---

// Claude's InvokeModel request for a chat request; guardrails travel as headers.
core::Result<InvokeModelRequest> ClaudeInvokeRequest(const ChatRequest& chat) {
  InvokeModelRequest request;
  request.model_id = chat.model_id;
  request.body = BEDROCK_TRY(claude_messages::EncodeRequest(chat));
  if (chat.guardrail) {
    request.guardrail_identifier = chat.guardrail->identifier;
    request.guardrail_version = chat.guardrail->version;
    if (chat.guardrail->trace == "enabled") request.trace = "ENABLED";
    if (chat.guardrail->trace == "enabled_full") request.trace = "ENABLED_FULL";
    if (chat.guardrail->trace == "disabled") request.trace = "DISABLED";
  }
  return request;
}

// A Claude response stream: chunks mapped to neutral events as they arrive.
class ClaudeStream final : public ChatStream {
 public:
  explicit ClaudeStream(std::unique_ptr<RawStream> raw) : raw_(std::move(raw)) {}

  awaitable<core::Result<std::optional<StreamEvent>>> Next() override {
    while (pending_.empty()) {
      if (error_) co_return *error_;
      if (ended_) co_return std::optional<StreamEvent>();
      auto chunk = co_await raw_->Next();  // errors come already attributed to the provider
      if (!chunk.ok()) {
        error_ = chunk.error();
      } else if (!*chunk) {
        ended_ = true;
        if (!mapper_.finished()) {
          error_ = ProviderError(
              kProvider, core::Error::UpstreamFailure("InvokeModelWithResponseStream ended before "
                                                      "message_stop"));
        }
      } else if (auto mapped = mapper_.Map(**chunk, on_event_); !mapped.ok()) {
        error_ = ProviderError(kProvider, mapped.error());
        raw_->Close();
      }
    }
    StreamEvent event = std::move(pending_.front());
    pending_.pop_front();
    co_return std::optional<StreamEvent>(std::move(event));
  }

  void Close() override { raw_->Close(); }

 private:
  std::unique_ptr<RawStream> raw_;
  claude_messages::StreamMapper mapper_;
  std::deque<StreamEvent> pending_;
  const claude_messages::StreamMapper::Callback on_event_ = [this](StreamEvent&& event) {
    pending_.push_back(std::move(event));
    return core::OkStatus();
  };
  std::optional<core::Error> error_;
  bool ended_ = false;
};

class ClaudeInvokeProvider final : public ChatProvider {
 public:
  explicit ClaudeInvokeProvider(std::shared_ptr<BedrockHttp> http) : http_(std::move(http)) {}

  std::string_view name() const override { return kProvider; }

  awaitable<core::Result<ChatResponse>> Converse(ChatRequest chat) override {
    auto request = ClaudeInvokeRequest(chat);
    if (!request.ok()) co_return ProviderError(kProvider, request.error());
    BEDROCK_CO_TRY_ASSIGN(InvokeModelResponse response,
                          co_await Invoke(http_, std::move(*request)));
    auto decoded = claude_messages::DecodeResponse(response.body);
    if (!decoded.ok()) co_return ProviderError(kProvider, decoded.error());
    if (response.invocation_latency_ms)
      decoded->metrics.latency_ms = *response.invocation_latency_ms;
    co_return std::move(*decoded);
  }

  awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(ChatRequest chat) override {
    auto request = ClaudeInvokeRequest(chat);
    if (!request.ok()) co_return ProviderError(kProvider, request.error());
    BEDROCK_CO_TRY_ASSIGN(std::unique_ptr<RawStream> raw,
                          co_await InvokeStream(http_, std::move(*request)));
    co_return std::unique_ptr<ChatStream>(std::make_unique<ClaudeStream>(std::move(raw)));
  }

 private:
  std::shared_ptr<BedrockHttp> http_;
};

}  // namespace

// --- Titan embeddings ---

std::string EncodeTitanEmbeddingRequest(const TitanEmbeddingRequest& request) {
  json::object body{{"inputText", request.input_text}};
  if (request.dimensions) body["dimensions"] = *request.dimensions;
  if (request.normalize) body["normalize"] = *request.normalize;
  if (request.binary_embedding) {
    json::array types;
    if (request.float_embedding) types.push_back("float");
    types.push_back("binary");
    body["embeddingTypes"] = std::move(types);
  }
  return json::serialize(body);
}

core::Result<TitanEmbedding> DecodeTitanEmbeddingResponse(std::string_view body) {
  auto malformed = [](std::string_view what) {
    return core::Error::UpstreamFailure("malformed Titan embedding response: {}", what);
  };
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return malformed("not a JSON object");
  const auto& object = value.as_object();
  const json::object* by_type = nullptr;
  if (const auto* v = object.if_contains("embeddingsByType"); v && v->is_object()) {
    by_type = &v->as_object();
  }
  auto numbers = [&](const json::value* array, auto& out) -> core::Status {
    if (array == nullptr) return core::OkStatus();
    if (!array->is_array()) return malformed("an embedding is not an array");
    out.reserve(array->as_array().size());
    for (const auto& item : array->as_array()) {
      if (!item.is_number()) return malformed("an embedding holds a non-number");
      out.push_back(
          static_cast<typename std::decay_t<decltype(out)>::value_type>(item.to_number<double>()));
    }
    return core::OkStatus();
  };
  TitanEmbedding out;
  const json::value* floats = by_type ? by_type->if_contains("float") : nullptr;
  if (floats == nullptr) floats = object.if_contains("embedding");
  BEDROCK_TRY(numbers(floats, out.embedding));
  BEDROCK_TRY(numbers(by_type ? by_type->if_contains("binary") : nullptr, out.binary));
  if (floats == nullptr && out.binary.empty()) return malformed("no embedding");
  if (const auto* count = object.if_contains("inputTextTokenCount"); count && count->is_number()) {
    out.input_text_token_count = count->to_number<int64_t>();
  }
  return out;
}

// --- BedrockInvokeClient ---

core::Result<std::unique_ptr<BedrockInvokeClient>> BedrockInvokeClient::Create(
    http::Client client, BedrockOptions options) {
  auto http = BEDROCK_TRY(
      BedrockHttp::Create(std::move(client), std::move(options), internal::kRuntimeService));
  return std::unique_ptr<BedrockInvokeClient>(new BedrockInvokeClient(std::move(http)));
}

BedrockInvokeClient::BedrockInvokeClient(std::shared_ptr<BedrockHttp> http)
    : http_(std::move(http)) {}
BedrockInvokeClient::~BedrockInvokeClient() = default;

const std::string& BedrockInvokeClient::endpoint() const { return http_->endpoint(); }

// Each coroutine holds its own reference to the transport, so the client may be destroyed while a
// call is in flight.
awaitable<core::Result<InvokeModelResponse>> BedrockInvokeClient::InvokeModel(
    InvokeModelRequest request) {
  co_return co_await Invoke(http_, std::move(request));
}

awaitable<core::Result<std::unique_ptr<InvokeModelStream>>>
BedrockInvokeClient::InvokeModelWithResponseStream(InvokeModelRequest request) {
  BEDROCK_CO_TRY_ASSIGN(std::unique_ptr<RawStream> stream,
                        co_await InvokeStream(http_, std::move(request)));
  co_return std::unique_ptr<InvokeModelStream>(std::move(stream));
}

awaitable<core::Result<TitanEmbedding>> BedrockInvokeClient::EmbedTitan(
    std::string model_id, TitanEmbeddingRequest titan) {
  InvokeModelRequest request;
  request.model_id = std::move(model_id);
  request.body = EncodeTitanEmbeddingRequest(titan);
  BEDROCK_CO_TRY_ASSIGN(InvokeModelResponse response, co_await Invoke(http_, std::move(request)));
  auto decoded = DecodeTitanEmbeddingResponse(response.body);
  if (!decoded.ok()) co_return ProviderError(kProvider, decoded.error());
  co_return std::move(*decoded);
}

std::unique_ptr<ChatProvider> BedrockInvokeClient::ClaudeProvider() const {
  return std::make_unique<ClaudeInvokeProvider>(http_);
}

}  // namespace bedrock::llm

// Bedrock Runtime's InvokeModel and InvokeModelWithResponseStream: the model's own request and
// response bodies, raw, plus typed helpers for Anthropic Claude (Messages API, as a ChatProvider)
// and Amazon Titan Text Embeddings V2.
//
//   auto options = BEDROCK_TRY(llm::BedrockOptionsFromEnv(env));     // as for BedrockProvider
//   options.credentials = ...;
//   auto invoke = BEDROCK_TRY(llm::BedrockInvokeClient::Create(http_client, std::move(options)));
//
//   // Raw: any model's JSON in, its JSON out.
//   llm::InvokeModelRequest request;
//   request.model_id = "amazon.titan-embed-text-v2:0";
//   request.body = R"({"inputText":"hello"})";
//   auto response = co_await invoke->InvokeModel(std::move(request));   // ->body, token counts
//
//   // Streamed raw: each chunk's decoded bytes (for Claude: one Anthropic event JSON each).
//   auto stream = co_await invoke->InvokeModelWithResponseStream(std::move(request));
//   while (auto chunk = co_await (*stream)->Next(); chunk.ok() && *chunk) Use(**chunk);
//
//   // Typed: Claude Messages behind the ChatProvider interface; Titan embeddings.
//   auto claude = invoke->ClaudeProvider();                 // Converse/ConverseStream via invoke
//   auto embedding = co_await invoke->EmbedTitan("amazon.titan-embed-text-v2:0", titan_request);
//
// Wire: POST {endpoint}/model/{modelId}/invoke (headers Content-Type, Accept) and
// /invoke-with-response-stream (X-Amzn-Bedrock-Accept); response token counts come in
// X-Amzn-Bedrock-{Input,Output}-Token-Count and latency in X-Amzn-Bedrock-Invocation-Latency. The
// stream is an event stream of `chunk` events whose JSON payload is {"bytes": "<base64>", "p":...};
// a modeled exception frame (modelStreamErrorException, throttlingException, ...) ends it with the
// error its AWS type maps to ("model provider bedrock: ModelStreamErrorException: ...
// (originalStatusCode: 500)"). Signing, retries (before the response head only, never once a
// stream has started) and errors are BedrockProvider's (llm/bedrock_provider.h).
//
// Thread-safety: a BedrockInvokeClient may be shared by concurrent coroutines; each stream belongs
// to one coroutine, except Close(), callable from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/client.h"
#include "llm/bedrock_provider.h"
#include "llm/provider.h"

namespace bedrock::llm {

namespace internal {
class BedrockHttp;
}

struct InvokeModelRequest {
  std::string model_id;  // id, inference profile id or ARN (percent-encoded into the path)
  std::string body;      // the model's request body
  std::string content_type = "application/json";
  std::string accept = "application/json";  // Accept (X-Amzn-Bedrock-Accept when streaming)
  // Optional X-Amzn-Bedrock-* headers; empty ones are not sent.
  std::string trace;                 // "ENABLED", "DISABLED", "ENABLED_FULL"
  std::string guardrail_identifier;  // X-Amzn-Bedrock-GuardrailIdentifier
  std::string guardrail_version;     // X-Amzn-Bedrock-GuardrailVersion
  std::string performance_latency;   // X-Amzn-Bedrock-PerformanceConfig-Latency
  std::string service_tier;          // X-Amzn-Bedrock-Service-Tier
};

struct InvokeModelResponse {
  std::string body;
  std::string content_type;
  std::optional<int64_t> input_token_count;      // X-Amzn-Bedrock-Input-Token-Count
  std::optional<int64_t> output_token_count;     // X-Amzn-Bedrock-Output-Token-Count
  std::optional<int64_t> invocation_latency_ms;  // X-Amzn-Bedrock-Invocation-Latency
  std::string request_id;                        // x-amzn-RequestId
};

// The chunks of one InvokeModelWithResponseStream response, as they arrive.
class InvokeModelStream {
 public:
  virtual ~InvokeModelStream() = default;
  // The next chunk's bytes (base64-decoded), or nullopt once the body ended between frames. An
  // error (exception frame, corrupt or truncated frame, dropped connection, a chunk without valid
  // base64 `bytes`) ends the stream: later calls return it again. Unknown event types are skipped.
  virtual boost::asio::awaitable<core::Result<std::optional<std::string>>> Next() = 0;
  // X-Amzn-Bedrock-Content-Type: the model's content type for the chunks.
  virtual const std::string& content_type() const = 0;
  // Abandons the stream (closes the connection).
  virtual void Close() = 0;
};

// Titan Text Embeddings V2 (amazon.titan-embed-text-v2:0); V1 takes input_text only.
struct TitanEmbeddingRequest {
  std::string input_text;
  std::optional<int> dimensions;  // 1024 (default), 512 or 256
  std::optional<bool> normalize;  // default true
  bool float_embedding = true;    // embeddingTypes "float"
  bool binary_embedding = false;  // embeddingTypes "binary"
};

struct TitanEmbedding {
  std::vector<float> embedding;  // embeddingsByType.float (or `embedding`)
  std::vector<uint8_t> binary;   // embeddingsByType.binary, 0/1 per dimension
  int64_t input_text_token_count = 0;
};

// The JSON body for a Titan embedding request (members in the documented order).
std::string EncodeTitanEmbeddingRequest(const TitanEmbeddingRequest& request);
// Parses a Titan embedding response. kUpstreamFailure for another shape; a float embedding is
// taken from embeddingsByType.float, else from `embedding`.
core::Result<TitanEmbedding> DecodeTitanEmbeddingResponse(std::string_view body);

class BedrockInvokeClient {
 public:
  // As BedrockProvider::Create (same options, same checks).
  static core::Result<std::unique_ptr<BedrockInvokeClient>> Create(http::Client client,
                                                                   BedrockOptions options);
  ~BedrockInvokeClient();

  boost::asio::awaitable<core::Result<InvokeModelResponse>> InvokeModel(InvokeModelRequest request);
  // Completes once the response head arrived (errors and retries before that are reported here).
  boost::asio::awaitable<core::Result<std::unique_ptr<InvokeModelStream>>>
  InvokeModelWithResponseStream(InvokeModelRequest request);

  boost::asio::awaitable<core::Result<TitanEmbedding>> EmbedTitan(std::string model_id,
                                                                  TitanEmbeddingRequest request);

  // Claude models through InvokeModel[WithResponseStream] with the Messages API
  // (llm/bedrock_claude.h). Converse maps its request with claude_messages::EncodeRequest and the
  // response back (latency from X-Amzn-Bedrock-Invocation-Latency); ConverseStream maps each chunk
  // and fails when the stream ends before message_stop. The provider shares this client's
  // transport and may outlive it.
  std::unique_ptr<ChatProvider> ClaudeProvider() const;

  const std::string& endpoint() const;

 private:
  explicit BedrockInvokeClient(std::shared_ptr<internal::BedrockHttp> http);
  std::shared_ptr<internal::BedrockHttp> http_;
};

}  // namespace bedrock::llm

// The server side of the model bodies InvokeModel carries, for the two families the emulator
// serves: Anthropic Claude's Messages API (anthropic_version "bedrock-2023-05-31") and Amazon
// Titan Text Embeddings (V1 and V2). The client side of Claude is llm/bedrock_claude.h.
//
//   llm::ChatRequest request = BEDROCK_TRY(emulator::claude::DecodeRequest(body));
//   std::string out = emulator::claude::EncodeResponse(response, "claude-3-haiku-20240307");
//   for (auto& event : emulator::claude::StreamEvents(response, model, 16)) SendChunk(event);
//
//   auto titan = BEDROCK_TRY(emulator::titan::DecodeRequest(body, /*v2=*/true));
//   std::string out = emulator::titan::EncodeResponse(titan);
//
// Errors are kInvalidArgument whose message is the service's ValidationException text
// ("Malformed input request: #: required key [max_tokens] not found, please reformat your input
// and try again.").
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "llm/model.h"

namespace bedrock::emulator {

namespace claude {

// Parses a Messages API body: anthropic_version and max_tokens are required, messages must be a
// non-empty array, unknown top-level keys are refused (as Bedrock does). `thinking` is kept in
// additional_model_request_fields.
core::Result<llm::ChatRequest> DecodeRequest(std::string_view body);

// The model name Claude reports for a Bedrock model id:
// "anthropic.claude-3-haiku-20240307-v1:0" -> "claude-3-haiku-20240307".
std::string ModelName(std::string_view model_id);

// {"id":"msg_bdrk_...","type":"message","role":"assistant","model",...,"content":[...],
//  "stop_reason","stop_sequence","usage":{"input_tokens","output_tokens"}}
std::string EncodeResponse(const llm::ChatResponse& response, std::string_view model_name);

// The Anthropic stream events (one JSON object each, as InvokeModelWithResponseStream chunks
// carry them): message_start, content_block_start/delta/stop per block, message_delta,
// message_stop with amazon-bedrock-invocationMetrics.
std::vector<std::string> StreamEvents(const llm::ChatResponse& response,
                                      std::string_view model_name, size_t piece_bytes);

}  // namespace claude

namespace titan {

struct EmbeddingRequest {
  std::string input_text;
  int dimensions = 1024;
  bool normalize = true;
  bool float_type = true;
  bool binary_type = false;
  bool v2 = true;
};

// V2: inputText (required, non-empty), dimensions (256, 512 or 1024), normalize, embeddingTypes
// (["float"], ["binary"] or both). V1: inputText only.
core::Result<EmbeddingRequest> DecodeRequest(std::string_view body, bool v2);

// {"embedding":[...],"inputTextTokenCount":N[,"embeddingsByType":{"float":[...],"binary":[...]}]}
// with emulator::Embed vectors; token count from emulator::CountTokens. Also returns the count.
std::string EncodeResponse(const EmbeddingRequest& request, int64_t* input_tokens = nullptr);

}  // namespace titan

}  // namespace bedrock::emulator

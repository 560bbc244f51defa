// Which model ids the emulator answers for, and what kind of model each is.
//
//   emulator::ModelCatalog catalog({"my.custom-model-v1:0"}, /*accept_any=*/false);
//   auto info = catalog.Resolve("us.anthropic.claude-3-7-sonnet-20250219-v1:0");
//   if (!info) ...;   // ValidationException: The provided model identifier is invalid.
//
// A model id is known when it (after an ARN's resource part and a geographic inference-profile
// prefix such as "us." or "global." are stripped) starts with a chat family prefix
// (anthropic.claude, amazon.nova, amazon.titan-text, meta.llama, mistral., cohere.command,
// ai21., deepseek., qwen., openai.gpt-oss, writer.), is a Titan text embedding model, is listed
// in the configuration, or `accept_any` is set. Application inference profiles and provisioned
// models (ARNs without a readable model id) are treated as Claude.
//
// Thread-safety: immutable after construction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock::emulator {

enum class ModelKind {
  kChat,          // Converse, ConverseStream; InvokeModel when claude
  kTitanEmbedV1,  // amazon.titan-embed-text-v1, amazon.titan-embed-g1-text-02
  kTitanEmbedV2,  // amazon.titan-embed-text-v2:0
};

struct ModelInfo {
  std::string base_id;  // the id without ARN and geographic prefix
  ModelKind kind = ModelKind::kChat;
  bool claude = false;  // speaks the Anthropic Messages API over InvokeModel
};

class ModelCatalog {
 public:
  explicit ModelCatalog(std::vector<std::string> extra_ids = {}, bool accept_any = false);

  std::optional<ModelInfo> Resolve(std::string_view model_id) const;

  // Representative ids for /v1/models: a few of each family, then the configured ones.
  std::vector<std::string> ListIds() const;

 private:
  std::vector<std::string> extra_ids_;
  bool accept_any_;
};

}  // namespace bedrock::emulator

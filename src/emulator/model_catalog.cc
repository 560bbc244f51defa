#include "emulator/model_catalog.h"

#include <algorithm>

namespace bedrock::emulator {
namespace {

constexpr std::string_view kChatPrefixes[] = {
    "anthropic.claude", "amazon.nova", "amazon.titan-text", "meta.llama", "mistral.",
    "cohere.command",   "ai21.",       "deepseek.",         "qwen.",      "openai.gpt-oss",
    "writer."};

constexpr std::string_view kGeoPrefixes[] = {"us.",     "eu.", "apac.", "global.",
                                             "us-gov.", "jp.", "au.",   "ca."};

constexpr std::string_view kListed[] = {"anthropic.claude-3-haiku-20240307-v1:0",
                                        "anthropic.claude-3-5-haiku-20241022-v1:0",
                                        "anthropic.claude-3-5-sonnet-20241022-v2:0",
                                        "anthropic.claude-3-7-sonnet-20250219-v1:0",
                                        "anthropic.claude-sonnet-4-20250514-v1:0",
                                        "anthropic.claude-sonnet-4-5-20250929-v1:0",
                                        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
                                        "amazon.nova-micro-v1:0",
                                        "amazon.nova-lite-v1:0",
                                        "amazon.nova-pro-v1:0",
                                        "meta.llama3-1-8b-instruct-v1:0",
                                        "mistral.mistral-large-2402-v1:0",
                                        "amazon.titan-embed-text-v2:0",
                                        "amazon.titan-embed-text-v1"};

}  // namespace

ModelCatalog::ModelCatalog(std::vector<std::string> extra_ids, bool accept_any)
    : extra_ids_(std::move(extra_ids)), accept_any_(accept_any) {}

std::optional<ModelInfo> ModelCatalog::Resolve(std::string_view model_id) const {
  if (model_id.empty() || model_id.size() > 2048) return std::nullopt;
  std::string_view id = model_id;
  bool opaque_arn = false;
  if (id.starts_with("arn:")) {
    // arn:aws:bedrock:us-east-1:123456789012:<type>/<resource>
    size_t slash = id.find('/');
    if (slash == std::string_view::npos || id.find(":bedrock:") == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view type = id.substr(0, slash);
    type = type.substr(type.rfind(':') + 1);
    id = id.substr(slash + 1);
    opaque_arn = type != "foundation-model" && type != "inference-profile";
    if (id.empty()) return std::nullopt;
  }
  for (auto geo : kGeoPrefixes) {
    if (id.starts_with(geo)) {
      id.remove_prefix(geo.size());
      break;
    }
  }
  ModelInfo info;
  info.base_id = std::string(id);
  if (id == "amazon.titan-embed-text-v2:0") {
    info.kind = ModelKind::kTitanEmbedV2;
    return info;
  }
  if (id == "amazon.titan-embed-text-v1" || id == "amazon.titan-embed-text-v1:2:8k" ||
      id == "amazon.titan-embed-g1-text-02") {
    info.kind = ModelKind::kTitanEmbedV1;
    return info;
  }
  info.claude = id.starts_with("anthropic.");
  bool known = opaque_arn || accept_any_;
  for (auto prefix : kChatPrefixes) known = known || id.starts_with(prefix);
  for (const auto& extra : extra_ids_) known = known || extra == model_id || extra == id;
  if (!known) return std::nullopt;
  if (opaque_arn) info.claude = true;
  return info;
}

std::vector<std::string> ModelCatalog::ListIds() const {
  std::vector<std::string> ids(std::begin(kListed), std::end(kListed));
  for (const auto& extra : extra_ids_) {
    if (std::find(ids.begin(), ids.end(), extra) == ids.end()) ids.push_back(extra);
  }
  return ids;
}

}  // namespace bedrock::emulator

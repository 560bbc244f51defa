#include "emulator/config.h"

#include <filesystem>

#include "core/config.h"

namespace bedrock::emulator {
namespace {

std::string Resolve(const std::string& base_file, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || path.empty()) return path;
  return (std::filesystem::path(base_file).parent_path() / p).lexically_normal().string();
}

core::Result<FaultRule> ParseFaultRule(const core::ConfigNode& node) {
  BEDROCK_TRY(node.RejectUnknownKeys({"fault", "probability", "every", "operations", "model"}));
  FaultRule rule;
  std::string spec = BEDROCK_TRY(node.GetString("fault"));
  auto faults = ParseFaultSpec(spec);
  if (!faults.ok()) return BEDROCK_TRY(node.Get("fault")).Fail(faults.error().message());
  rule.faults = std::move(*faults);
  if (auto p = BEDROCK_TRY(node.OptionalNumber("probability"))) {
    if (*p < 0 || *p > 1) {
      return BEDROCK_TRY(node.Get("probability")).Fail("must be between 0 and 1");
    }
    rule.probability = *p;
  }
  if (auto every = BEDROCK_TRY(node.OptionalIntInRange("every", 1, 1'000'000))) {
    rule.every = static_cast<int>(*every);
  }
  if (auto ops = BEDROCK_TRY(node.OptionalStringArray("operations"))) rule.operations = *ops;
  rule.model_contains = BEDROCK_TRY(node.OptionalString("model")).value_or("");
  return rule;
}

}  // namespace

core::Result<AuthMode> ParseAuthMode(std::string_view name) {
  if (name == "auto") return AuthMode::kAuto;
  if (name == "verify") return AuthMode::kVerify;
  if (name == "any-signature") return AuthMode::kAnySignature;
  if (name == "off") return AuthMode::kOff;
  return core::Error::InvalidArgument(
      "unknown auth mode '{}' (expected auto, verify, any-signature or off)", name);
}

core::Status LoadEmulatorConfigFile(const std::string& path, const core::Env& env,
                                    EmulatorConfig& config) {
  core::JsonDocumentOptions options;
  options.env = &env;
  auto doc = BEDROCK_TRY(core::LoadJsonFile(path, options));
  core::ConfigNode root = doc.Root();
  BEDROCK_TRY(
      root.RejectUnknownKeys({"listen", "threads", "auth", "models", "acceptAnyModel", "script",
                              "docs", "knowledgeBase", "faults", "seed", "stream", "maxSessions"}));
  if (auto listen = BEDROCK_TRY(root.OptionalObject("listen"))) {
    BEDROCK_TRY(listen->RejectUnknownKeys({"host", "port"}));
    if (auto host = BEDROCK_TRY(listen->OptionalString("host"))) config.host = *host;
    if (auto port = BEDROCK_TRY(listen->OptionalIntInRange("port", 0, 65535))) {
      config.port = static_cast<uint16_t>(*port);
    }
  }
  if (auto threads = BEDROCK_TRY(root.OptionalIntInRange("threads", 1, 64))) {
    config.threads = static_cast<int>(*threads);
  }
  if (auto auth = BEDROCK_TRY(root.OptionalObject("auth"))) {
    BEDROCK_TRY(
        auth->RejectUnknownKeys({"mode", "region", "credentials", "apiKeys", "useEnvironment"}));
    if (auto mode = BEDROCK_TRY(auth->OptionalString("mode"))) {
      auto parsed = ParseAuthMode(*mode);
      if (!parsed.ok()) return BEDROCK_TRY(auth->Get("mode")).Fail(parsed.error().message());
      config.auth_mode = *parsed;
    }
    if (auto region = BEDROCK_TRY(auth->OptionalString("region"))) config.region = *region;
    if (auto creds = BEDROCK_TRY(auth->OptionalArray("credentials"))) {
      for (const auto& c : creds->Elements()) {
        BEDROCK_TRY(c.RejectUnknownKeys({"accessKeyId", "secretAccessKey", "sessionToken"}));
        aws::Credentials credentials;
        credentials.access_key_id = BEDROCK_TRY(c.GetString("accessKeyId"));
        credentials.secret_access_key = BEDROCK_TRY(c.GetString("secretAccessKey"));
        credentials.session_token = BEDROCK_TRY(c.OptionalString("sessionToken")).value_or("");
        config.credentials.push_back(std::move(credentials));
      }
    }
    if (auto keys = BEDROCK_TRY(auth->OptionalStringArray("apiKeys"))) {
      for (auto& key : *keys) config.api_keys.push_back(std::move(key));
    }
    if (auto use = BEDROCK_TRY(auth->OptionalBool("useEnvironment"))) {
      config.use_environment_credentials = *use;
    }
  }
  if (auto models = BEDROCK_TRY(root.OptionalStringArray("models"))) config.models = *models;
  if (auto any = BEDROCK_TRY(root.OptionalBool("acceptAnyModel"))) config.accept_any_model = *any;
  if (auto script = BEDROCK_TRY(root.OptionalString("script"))) {
    config.script_path = Resolve(path, *script);
  }
  if (auto docs = BEDROCK_TRY(root.OptionalString("docs"))) config.docs_dir = Resolve(path, *docs);
  if (auto kb = BEDROCK_TRY(root.OptionalObject("knowledgeBase"))) {
    BEDROCK_TRY(kb->RejectUnknownKeys({"chunkTokens", "bucket", "dataSourceId"}));
    if (auto tokens = BEDROCK_TRY(kb->OptionalIntInRange("chunkTokens", 20, 8192))) {
      config.knowledge_base.chunk_tokens = static_cast<int>(*tokens);
    }
    if (auto bucket = BEDROCK_TRY(kb->OptionalString("bucket"))) {
      config.knowledge_base.bucket = *bucket;
    }
    if (auto id = BEDROCK_TRY(kb->OptionalString("dataSourceId"))) {
      config.knowledge_base.data_source_id = *id;
    }
  }
  if (auto faults = BEDROCK_TRY(root.OptionalArray("faults"))) {
    for (const auto& f : faults->Elements())
      config.faults.push_back(BEDROCK_TRY(ParseFaultRule(f)));
  }
  if (auto seed = BEDROCK_TRY(root.OptionalIntInRange("seed", 0, INT64_MAX))) {
    config.seed = static_cast<uint64_t>(*seed);
  }
  if (auto stream = BEDROCK_TRY(root.OptionalObject("stream"))) {
    BEDROCK_TRY(stream->RejectUnknownKeys({"chunkBytes", "delayMs"}));
    if (auto bytes = BEDROCK_TRY(stream->OptionalIntInRange("chunkBytes", 1, 1 << 20))) {
      config.stream_chunk_bytes = static_cast<size_t>(*bytes);
    }
    if (auto delay = BEDROCK_TRY(stream->OptionalIntInRange("delayMs", 0, 60'000))) {
      config.stream_delay = std::chrono::milliseconds(*delay);
    }
  }
  if (auto sessions = BEDROCK_TRY(root.OptionalIntInRange("maxSessions", 1, 1'000'000))) {
    config.max_sessions = static_cast<size_t>(*sessions);
  }
  return core::OkStatus();
}

}  // namespace bedrock::emulator

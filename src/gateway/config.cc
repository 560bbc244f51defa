#include "gateway/config.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace bedrock::gateway {
namespace {

using core::ConfigNode;

bool NameMatches(std::string_view pattern, std::string_view name) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == name;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return NameMatches(p, name); });
}

core::Result<std::chrono::milliseconds> ReadMillis(const ConfigNode& node, std::string_view key,
                                                   std::chrono::milliseconds fallback,
                                                   int64_t min = 1) {
  auto value = BEDROCK_TRY(node.OptionalIntInRange(key, min, 86'400'000));
  return value ? std::chrono::milliseconds(*value) : fallback;
}

core::Result<ModelConfig> ParseModel(const ConfigNode& node) {
  BEDROCK_TRY(node.RejectUnknownKeys(
      {"model_id", "model_name", "provider", "region", "base_url", "api_key_env"}));
  ModelConfig model;
  model.location = node.Location();
  model.id = BEDROCK_TRY(node.GetString("model_id"));
  if (model.id.empty()) return BEDROCK_TRY(node.Get("model_id")).Fail("must not be empty");
  model.name = BEDROCK_TRY(node.OptionalString("model_name")).value_or(model.id);
  if (model.name.empty()) model.name = model.id;
  auto provider = BEDROCK_TRY(node.OptionalString("provider")).value_or("bedrock");
  if (provider == "bedrock") {
    model.provider = ModelProvider::kBedrock;
  } else if (provider == "openai" || provider == "openai-compatible") {
    model.provider = ModelProvider::kOpenAiCompatible;
  } else {
    return BEDROCK_TRY(node.Get("provider")).Fail(R"(expected "bedrock" or "openai")");
  }
  model.region = BEDROCK_TRY(node.OptionalString("region")).value_or("");
  model.base_url = BEDROCK_TRY(node.OptionalString("base_url")).value_or("");
  model.api_key_env = BEDROCK_TRY(node.OptionalString("api_key_env")).value_or("");
  if (model.provider == ModelProvider::kOpenAiCompatible) {
    if (model.base_url.empty()) return node.Fail("an \"openai\" model needs \"base_url\"");
    if (!model.base_url.starts_with("http://") && !model.base_url.starts_with("https://")) {
      return BEDROCK_TRY(node.Get("base_url")).Fail("expected an http:// or https:// URL");
    }
  } else {
    for (auto key : {"base_url", "api_key_env"}) {
      if (node.Has(key)) {
        return BEDROCK_TRY(node.Get(key)).Fail("applies to \"openai\" models only");
      }
    }
  }
  return model;
}

core::Status ReadModels(const ConfigNode& array, GatewayConfig& config) {
  BEDROCK_TRY(array.ExpectArray());
  std::set<std::string> seen;
  for (const auto& element : array.Elements()) {
    auto model = BEDROCK_TRY(ParseModel(element));
    if (!seen.insert(model.id).second) {
      return BEDROCK_TRY(element.Get("model_id")).Fail("duplicate model_id");
    }
    config.models.push_back(std::move(model));
  }
  return core::OkStatus();
}

core::Status ReadAuth(const ConfigNode& auth, GatewayConfig& config) {
  BEDROCK_TRY(auth.RejectUnknownKeys(
      {"api_keys", "allow_unauthenticated", "failure_status", "max_user_id_bytes"}));
  AuthConfig& out = config.auth;
  if (auto keys = BEDROCK_TRY(auth.OptionalArray("api_keys"))) {
    int index = 0;
    for (const auto& element : keys->Elements()) {
      ++index;
      ApiKeyConfig key;
      key.name = "key #" + std::to_string(index);
      if (element.value().is_string()) {
        key.key = BEDROCK_TRY(element.AsString());
      } else {
        BEDROCK_TRY(element.RejectUnknownKeys({"key", "user", "name"}));
        key.key = BEDROCK_TRY(element.GetString("key"));
        key.user = BEDROCK_TRY(element.OptionalString("user"));
        if (key.user && key.user->empty()) {
          return BEDROCK_TRY(element.Get("user")).Fail("must not be empty (omit it instead)");
        }
        if (auto name = BEDROCK_TRY(element.OptionalString("name"))) key.name = *name;
      }
      // An entry such as "${EXTRA_KEY:-}" that expands to nothing is skipped: optional keys.
      if (key.key.empty()) continue;
      for (const auto& other : out.keys) {
        if (other.key == key.key) return element.Fail("the same key is listed twice");
      }
      out.keys.push_back(std::move(key));
    }
  }
  if (auto v = BEDROCK_TRY(auth.OptionalBool("allow_unauthenticated"))) {
    out.allow_unauthenticated = *v;
  }
  if (auto v = BEDROCK_TRY(auth.OptionalInt("failure_status"))) {
    if (*v != 401 && *v != 403) {
      return BEDROCK_TRY(auth.Get("failure_status")).Fail("expected 401 or 403");
    }
    out.failure_status = int(*v);
  }
  if (auto v = BEDROCK_TRY(auth.OptionalIntInRange("max_user_id_bytes", 1, 4096))) {
    out.max_user_id_bytes = size_t(*v);
  }
  return core::OkStatus();
}

core::Status ReadPolicy(const ConfigNode& policy, GatewayConfig& config) {
  BEDROCK_TRY(policy.RejectUnknownKeys({"stdio", "stdio_commands", "allow_cwd", "remote_schemes",
                                        "allow_private_networks", "allow_loopback",
                                        "max_servers_per_user"}));
  PolicyConfig& out = config.policy;
  if (auto mode = BEDROCK_TRY(policy.OptionalString("stdio"))) {
    if (*mode == "off") {
      out.stdio = StdioSpawnMode::kOff;
    } else if (*mode == "allowlist") {
      out.stdio = StdioSpawnMode::kAllowlist;
    } else {
      return BEDROCK_TRY(policy.Get("stdio")).Fail(R"(expected "off" or "allowlist")");
    }
  }
  if (auto commands = BEDROCK_TRY(policy.OptionalStringArray("stdio_commands"))) {
    out.stdio_commands = *commands;
  }
  if (auto v = BEDROCK_TRY(policy.OptionalBool("allow_cwd"))) out.allow_cwd = *v;
  if (auto schemes = BEDROCK_TRY(policy.OptionalStringArray("remote_schemes"))) {
    for (const auto& scheme : *schemes) {
      if (scheme != "http" && scheme != "https") {
        return BEDROCK_TRY(policy.Get("remote_schemes")).Fail(R"(expected "http" and/or "https")");
      }
    }
    out.remote_schemes = *schemes;
  }
  if (auto v = BEDROCK_TRY(policy.OptionalBool("allow_private_networks"))) {
    out.allow_private_networks = *v;
  }
  if (auto v = BEDROCK_TRY(policy.OptionalBool("allow_loopback"))) out.allow_loopback = *v;
  if (auto v = BEDROCK_TRY(policy.OptionalIntInRange("max_servers_per_user", 0, 10'000))) {
    out.max_servers_per_user = size_t(*v);
  }
  return core::OkStatus();
}

core::Status ReadStore(const ConfigNode& store, GatewayConfig& config) {
  BEDROCK_TRY(store.RejectUnknownKeys({"url", "path", "busy_timeout_ms", "blocking_threads"}));
  auto url = BEDROCK_TRY(store.OptionalString("url"));
  auto path = BEDROCK_TRY(store.OptionalString("path"));
  if (url && path) return store.Fail("set \"url\" or \"path\", not both");
  if (url) config.store.url = *url;
  if (path) config.store.url = "sqlite:" + *path;
  if (config.store.url.empty() || config.store.url == "sqlite:") {
    return store.Fail("needs a database (\"path\" or \"url\")");
  }
  config.store.busy_timeout =
      BEDROCK_TRY(ReadMillis(store, "busy_timeout_ms", config.store.busy_timeout, 0));
  if (auto v = BEDROCK_TRY(store.OptionalIntInRange("blocking_threads", 1, 64))) {
    config.store.blocking_threads = int(*v);
  }
  return core::OkStatus();
}

core::Status ReadLimits(const ConfigNode& limits, GatewayConfig& config) {
  BEDROCK_TRY(limits.RejectUnknownKeys({"inactive_minutes", "max_turns", "max_request_bytes",
                                        "idle_sweep_ms", "restart_backoff_ms"}));
  LimitsConfig& out = config.limits;
  if (auto v = BEDROCK_TRY(limits.OptionalIntInRange("inactive_minutes", 1, 525'600))) {
    out.inactive_time = std::chrono::minutes(*v);
  }
  if (auto v = BEDROCK_TRY(limits.OptionalIntInRange("max_turns", 1, 10'000))) {
    out.max_turns = int(*v);
  }
  if (auto v = BEDROCK_TRY(limits.OptionalIntInRange("max_request_bytes", 1, int64_t(1) << 30))) {
    out.max_request_bytes = size_t(*v);
  }
  out.idle_sweep_interval =
      BEDROCK_TRY(ReadMillis(limits, "idle_sweep_ms", out.idle_sweep_interval));
  out.restart_backoff =
      BEDROCK_TRY(ReadMillis(limits, "restart_backoff_ms", out.restart_backoff, 0));
  return core::OkStatus();
}

core::Status ReadCors(const ConfigNode& cors, GatewayConfig& config) {
  BEDROCK_TRY(cors.RejectUnknownKeys({"allowed_origins", "allow_credentials", "max_age_seconds"}));
  CorsConfig& out = config.cors;
  if (auto origins = BEDROCK_TRY(cors.OptionalStringArray("allowed_origins"))) {
    for (const auto& origin : *origins) {
      if (origin != "*" && !origin.starts_with("http://") && !origin.starts_with("https://")) {
        return BEDROCK_TRY(cors.Get("allowed_origins"))
            .Fail(R"(expected origins such as "https://chat.example.com", or "*")");
      }
      if (origin.ends_with('/')) {
        return BEDROCK_TRY(cors.Get("allowed_origins"))
            .Fail("an origin has no path: drop the trailing '/'");
      }
    }
    out.allowed_origins = *origins;
  }
  if (auto v = BEDROCK_TRY(cors.OptionalBool("allow_credentials"))) out.allow_credentials = *v;
  if (out.allow_credentials && std::find(out.allowed_origins.begin(), out.allowed_origins.end(),
                                         "*") != out.allowed_origins.end()) {
    return cors.Fail("\"*\" cannot be combined with allow_credentials: list the origins");
  }
  if (auto v = BEDROCK_TRY(cors.OptionalIntInRange("max_age_seconds", 0, 86'400))) {
    out.max_age = std::chrono::seconds(*v);
  }
  return core::OkStatus();
}

core::Result<int64_t> EnvInt(const core::Env& env, std::string_view name, int64_t min,
                             int64_t max) {
  auto text = env.Get(name);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return core::Error::InvalidArgument(
        "environment variable {}: expected a whole number from {} to {}", name, min, max);
  }
  return value;
}

core::Status ApplyEnvironment(const core::Env& env, GatewayConfig& config) {
  auto set = [&](std::string_view name) {
    auto value = env.Get(name);
    return value && !value->empty();
  };
  if (set("API_KEY")) {
    std::string key = *env.Get("API_KEY");
    bool listed = std::any_of(config.auth.keys.begin(), config.auth.keys.end(),
                              [&](const ApiKeyConfig& k) { return k.key == key; });
    if (!listed) config.auth.keys.push_back(ApiKeyConfig{key, std::nullopt, "API_KEY"});
  }
  if (set("MAX_TURNS"))
    config.limits.max_turns = int(BEDROCK_TRY(EnvInt(env, "MAX_TURNS", 1, 10'000)));
  if (set("INACTIVE_TIME")) {
    config.limits.inactive_time =
        std::chrono::minutes(BEDROCK_TRY(EnvInt(env, "INACTIVE_TIME", 1, 525'600)));
  }
  return core::OkStatus();
}

}  // namespace

bool ToolFilter::Allows(std::string_view tool) const {
  if (AnyMatches(deny, tool)) return false;
  return allow.empty() || AnyMatches(allow, tool);
}

bool ServerSpec::RequiresApproval(std::string_view tool) const {
  return AnyMatches(requires_approval, tool);
}

core::Result<ServerSpec> ParseServerSpec(const ConfigNode& entry) {
  static constexpr std::string_view kOwnKeys[] = {"per_user", "tools", "requires_approval",
                                                  "connect_timeout_ms", "call_timeout_ms"};
  ServerSpec spec;
  spec.mcp = BEDROCK_TRY(mcp::ParseMcpServerEntry(entry, kOwnKeys));
  if (auto v = BEDROCK_TRY(entry.OptionalBool("per_user"))) spec.per_user = *v;
  if (auto tools = BEDROCK_TRY(entry.OptionalObject("tools"))) {
    BEDROCK_TRY(tools->RejectUnknownKeys({"allow", "deny"}));
    spec.tools.allow =
        BEDROCK_TRY(tools->OptionalStringArray("allow")).value_or(std::vector<std::string>{});
    spec.tools.deny =
        BEDROCK_TRY(tools->OptionalStringArray("deny")).value_or(std::vector<std::string>{});
  }
  if (auto approval = entry.Find("requires_approval"); approval && !approval->value().is_null()) {
    if (approval->value().is_bool()) {
      if (approval->value().as_bool()) spec.requires_approval = {"*"};
    } else {
      spec.requires_approval = BEDROCK_TRY(approval->AsStringArray());
    }
  }
  spec.connect_timeout = BEDROCK_TRY(ReadMillis(entry, "connect_timeout_ms", spec.connect_timeout));
  spec.call_timeout = BEDROCK_TRY(ReadMillis(entry, "call_timeout_ms", spec.call_timeout));
  return spec;
}

core::Result<GatewayConfig> GatewayConfigFromDocument(const ConfigNode& root,
                                                      const core::Env& env) {
  GatewayConfig config;
  BEDROCK_TRY(root.ExpectObject());
  if (auto models = BEDROCK_TRY(root.OptionalArray("models"))) {
    BEDROCK_TRY(ReadModels(*models, config));
  }
  if (auto servers = BEDROCK_TRY(root.OptionalObject("mcpServers"))) {
    for (const auto& member : servers->Members()) {
      config.servers.push_back(BEDROCK_TRY(ParseServerSpec(member)));
    }
  }
  if (auto auth = BEDROCK_TRY(root.OptionalObject("auth"))) BEDROCK_TRY(ReadAuth(*auth, config));
  if (auto policy = BEDROCK_TRY(root.OptionalObject("policy"))) {
    BEDROCK_TRY(ReadPolicy(*policy, config));
  }
  if (auto store = BEDROCK_TRY(root.OptionalObject("store"))) {
    BEDROCK_TRY(ReadStore(*store, config));
  }
  if (auto limits = BEDROCK_TRY(root.OptionalObject("limits"))) {
    BEDROCK_TRY(ReadLimits(*limits, config));
  }
  if (auto cors = BEDROCK_TRY(root.OptionalObject("cors"))) BEDROCK_TRY(ReadCors(*cors, config));
  BEDROCK_TRY(ApplyEnvironment(env, config));
  return config;
}

}  // namespace bedrock::gateway

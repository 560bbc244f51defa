// The gateway's settings: models, MCP servers (the demo's `mcpServers` format plus our per-server
// options), API keys, the policy for servers users add, storage, limits and CORS. Read from the
// `serve` configuration file (conf/config.json); every option is documented in README.md.
//
//   auto document = core::LoadJsonFile("conf/config.json", {.env = &env});
//   auto config = gateway::GatewayConfigFromDocument(*document, env);
//   // errors: conf/config.json:12:5: "mcpServers.fs.per_user": expected a boolean, got a string
//
// Environment overrides, with the demo's names: API_KEY adds one shared key (users from
// X-User-ID), MAX_TURNS and INACTIVE_TIME (minutes) replace limits.max_turns and
// limits.inactive_minutes.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/env.h"
#include "core/result.h"
#include "mcp/server_config.h"

namespace bedrock::gateway {

enum class ModelProvider { kBedrock, kOpenAiCompatible };

// One entry of "models": the demo's {model_id, model_name} plus where to send it.
struct ModelConfig {
  std::string id;    // model_id: a Bedrock model or inference-profile id, or the upstream's name
  std::string name;  // model_name: the label clients show
  ModelProvider provider = ModelProvider::kBedrock;
  std::string region;       // Bedrock: overrides AWS_REGION for this model
  std::string base_url;     // OpenAI-compatible: e.g. "https://api.openai.com/v1"
  std::string api_key_env;  // OpenAI-compatible: the variable holding the upstream key
  std::string location;     // file:line:column of the entry
};

// Which of a server's tools are offered to the model. A name matches an entry equal to it, or an
// entry ending in '*' that is a prefix of it. Deny wins over allow; an empty allow list allows all.
struct ToolFilter {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool Allows(std::string_view tool) const;
};

// An MCP server the gateway runs: a config entry or one a user added through the API.
struct ServerSpec {
  mcp::McpServerConfig mcp;  // name, transport, command/url..., description, enabled
  // Global servers: each user gets a private process (as in the demo) instead of sharing one.
  bool per_user = false;
  ToolFilter tools;
  // Tool names (same matching as ToolFilter; "*" for all) whose calls wait for the user's
  // approval. Config: true (all), false (none) or a list.
  std::vector<std::string> requires_approval;
  std::chrono::milliseconds connect_timeout{30'000};  // start + initialize
  std::chrono::milliseconds call_timeout{60'000};     // one tools/call
  // Empty for servers from the configuration; the owning user for servers added through the API.
  std::string owner;

  bool global() const { return owner.empty(); }
  bool RequiresApproval(std::string_view tool) const;
};

struct ApiKeyConfig {
  std::string key;
  // Set: every request with this key is this user (X-User-ID is ignored). Unset: a shared key,
  // the user comes from X-User-ID (the demo's behaviour, for trusted front ends).
  std::optional<std::string> user;
  std::string name;  // a label for logs ("key #2", "API_KEY"); never the key
};

struct AuthConfig {
  std::vector<ApiKeyConfig> keys;
  // With no keys configured: false (default) refuses every request; true serves without auth
  // (local development only; a warning is logged).
  bool allow_unauthenticated = false;
  // Status for a missing or wrong key: 401 with WWW-Authenticate (default), or 403, the demo's.
  int failure_status = 401;
  size_t max_user_id_bytes = 128;  // longer X-User-ID values are refused (400)
};

enum class StdioSpawnMode {
  kOff,        // users cannot add stdio servers
  kAllowlist,  // only commands in `stdio_commands` (exact match of the "command" string)
};

// What users may add through the API (servers in the configuration file are trusted as written).
struct PolicyConfig {
  StdioSpawnMode stdio = StdioSpawnMode::kAllowlist;
  std::vector<std::string> stdio_commands = {"npx", "uvx", "node", "python", "docker", "uv"};
  bool allow_cwd = false;  // whether API-added stdio servers may set "cwd"
  std::vector<std::string> remote_schemes = {"https", "http"};
  // Remote URLs resolving to 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7.
  bool allow_private_networks = false;
  bool allow_loopback = false;  // 127/8, ::1, "localhost"
  size_t max_servers_per_user = 20;
};

struct StoreConfig {
  std::string url = "sqlite:data/bedrock-mcp.db";  // see store::StoreOptions::url
  std::chrono::milliseconds busy_timeout{5000};
  int blocking_threads = 2;  // threads that run store calls off the I/O threads
};

struct LimitsConfig {
  std::chrono::minutes inactive_time{1440};  // INACTIVE_TIME: idle users' processes stop
  int max_turns = 200;                       // MAX_TURNS: model calls per chat request
  size_t max_request_bytes = 1u << 20;       // bodies of the non-chat endpoints (413 beyond)
  std::chrono::milliseconds idle_sweep_interval{10'000};
  // After a server failed to start, requests within this time get the same error without a retry.
  std::chrono::milliseconds restart_backoff{5'000};
};

struct CorsConfig {
  // Exact origins ("https://chat.example.com") allowed to call the API from a browser; "*" allows
  // any origin but then credentials are never allowed. Empty: no CORS headers at all.
  std::vector<std::string> allowed_origins;
  bool allow_credentials = false;
  std::chrono::seconds max_age{600};
};

struct GatewayConfig {
  std::vector<ModelConfig> models;
  std::vector<ServerSpec> servers;  // global servers in file order (disabled ones included)
  AuthConfig auth;
  PolicyConfig policy;
  StoreConfig store;
  LimitsConfig limits;
  CorsConfig cors;
};

// Reads the gateway's sections of `root` and applies the environment overrides.
core::Result<GatewayConfig> GatewayConfigFromDocument(const core::ConfigNode& root,
                                                      const core::Env& env);

// Reads one mcpServers entry with the gateway's per-server options (per_user, tools,
// requires_approval, connect_timeout_ms, call_timeout_ms).
core::Result<ServerSpec> ParseServerSpec(const core::ConfigNode& entry);

}  // namespace bedrock::gateway

// The `serve` subcommand's configuration: conf/config.json read into typed settings.
//
//   core::SystemEnv env;
//   auto config = app::LoadServeConfig("conf/config.json", env);  // errors name file:line:col +
//   key
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/env.h"
#include "core/log.h"
#include "core/result.h"
#include "gateway/chat.h"
#include "gateway/config.h"
#include "http/server.h"

namespace bedrock::app {

struct ServeConfig {
  http::ServerOptions server;  // host, port, threads, limits, TLS
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
  core::LogLevel log_level = core::LogLevel::kInfo;
  core::LogFormat log_format = core::LogFormat::kText;
  // models, mcpServers, auth, policy, store, limits, cors (gateway/config.h).
  gateway::GatewayConfig gateway;
  // The "chat" section (gateway/chat.h): response style, defaults, tool and approval limits.
  gateway::ChatConfig chat;
  // Keys of the file that this build does not use yet, to warn about (never silently ignored).
  std::vector<core::Error> unknown_keys;
};

// "127.0.0.1:7002", "[::1]:7002", "localhost:0" -> host and port; kInvalidArgument otherwise.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
core::Result<HostPort> ParseHostPort(std::string_view text);

// Reads the settings `serve` uses from a parsed document. Absent settings keep their defaults.
// `env` supplies the gateway's overrides (API_KEY, MAX_TURNS, INACTIVE_TIME); without it none
// apply.
core::Result<ServeConfig> ServeConfigFromDocument(const core::JsonDocument& document);
core::Result<ServeConfig> ServeConfigFromDocument(const core::JsonDocument& document,
                                                  const core::Env& env);

// Loads `path` with ${ENV} substitution from `env`, then ServeConfigFromDocument.
core::Result<ServeConfig> LoadServeConfig(const std::string& path, const core::Env& env);

}  // namespace bedrock::app

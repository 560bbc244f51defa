// `bedrock-mcp serve`: loads the configuration, starts the gateway's HTTP server and serves until
// SIGINT/SIGTERM, then shuts down gracefully.
#pragma once

#include <optional>
#include <string>

#include "core/env.h"
#include "core/log.h"

namespace bedrock::app {

struct ServeFlags {
  std::string config_path = "conf/config.json";
  std::optional<std::string> listen;  // overrides server.listen, e.g. "127.0.0.1:0" in tests
  // Set only when given on the command line; they override the file's "log" section.
  std::optional<core::LogLevel> log_level;
  std::optional<core::LogFormat> log_format;
};

// Runs the server; returns the process exit code (0 after a clean shutdown, 1 on a bad
// configuration or when the address cannot be bound).
int RunServe(const ServeFlags& flags, const core::Env& env);

// Where AWS credentials would come from, e.g. "environment (AWS_ACCESS_KEY_ID)" or
// "shared files (~/.aws/credentials)"; nullopt when no source is configured at all.
std::optional<std::string> FindAwsCredentialSource(const core::Env& env);

}  // namespace bedrock::app

// bedrock-mcp: one binary, one subcommand per role. This file only wires layers together.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "core/env.h"
#include "core/log.h"
#include "main/serve_command.h"

#ifndef BEDROCK_VERSION
#define BEDROCK_VERSION "0.0.0"
#endif

namespace {

using namespace bedrock;

// Subcommands that later issues implement: say so plainly and fail, never pretend.
int NotYetAvailable(const std::string& name) {
  fmt::print(stderr, "bedrock-mcp {}: not yet available in this build\n", name);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bedrock-mcp: connect models on Amazon Bedrock and OpenAI-compatible APIs to MCP tools"};
  app.set_version_flag("--version", std::string("bedrock-mcp ") + BEDROCK_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --log-level and --log-format are accepted after any subcommand

  std::optional<std::string> log_level, log_format;
  app.add_option("--log-level", log_level, "Log verbosity (default: info, or the config file's)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-format", log_format, "Log line format (default: text)")
      ->check(CLI::IsMember({"text", "json"}));

  app::ServeFlags serve_flags;
  auto* serve =
      app.add_subcommand("serve", "Run the chat gateway (OpenAI-compatible API and web UI)");
  serve->add_option("--config", serve_flags.config_path, "Configuration file")
      ->capture_default_str();
  serve->add_option("--listen", serve_flags.listen,
                    "Address to listen on, overriding server.listen (e.g. 127.0.0.1:0)");

  auto* emulator = app.add_subcommand("emulator", "Run the local Bedrock emulator");
  auto* mcp = app.add_subcommand("mcp", "Inspect MCP servers (list-tools, call, read, prompts)");
  auto* mcp_server = app.add_subcommand("mcp-server", "Serve Bedrock capabilities as MCP tools");
  for (auto* later : {emulator, mcp, mcp_server}) later->allow_extras();

  CLI11_PARSE(app, argc, argv);

  // Flags apply before anything logs; a subcommand may refine them from its config file.
  core::LogOptions log_options;
  if (log_level) log_options.level = *core::ParseLogLevel(*log_level);
  if (log_format) log_options.format = *core::ParseLogFormat(*log_format);
  core::InitLogging(log_options);

  core::SystemEnv env;
  if (serve->parsed()) {
    if (log_level) serve_flags.log_level = log_options.level;
    if (log_format) serve_flags.log_format = log_options.format;
    return app::RunServe(serve_flags, env);
  }
  if (emulator->parsed()) return NotYetAvailable("emulator");
  if (mcp->parsed()) return NotYetAvailable("mcp");
  if (mcp_server->parsed()) return NotYetAvailable("mcp-server");
  return 0;
}

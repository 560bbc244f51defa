// bedrock-mcp: one binary, one subcommand per role. This file only wires layers together.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>

#ifndef BEDROCK_VERSION
#define BEDROCK_VERSION "0.0.0"
#endif

namespace {

struct GlobalOptions {
  std::string log_level = "info";
  std::string log_format = "text";
};

// Subcommands that later issues implement: say so plainly and fail, never pretend.
int NotYetAvailable(const std::string& name) {
  fmt::print(stderr, "bedrock-mcp {}: not yet available in this build\n", name);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bedrock-mcp: connect models on Amazon Bedrock and OpenAI-compatible APIs to MCP tools"};
  app.set_version_flag("--version", std::string("bedrock-mcp ") + BEDROCK_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --log-level and --log-format are accepted after any subcommand

  GlobalOptions global;
  app.add_option("--log-level", global.log_level, "Log verbosity")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--log-format", global.log_format, "Log line format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  auto* serve = app.add_subcommand("serve", "Run the chat gateway (OpenAI-compatible API and web UI)");
  auto* emulator = app.add_subcommand("emulator", "Run the local Bedrock emulator");
  auto* mcp_server = app.add_subcommand("mcp-server", "Serve Bedrock capabilities as MCP tools");

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return NotYetAvailable("serve");
  if (emulator->parsed()) return NotYetAvailable("emulator");
  if (mcp_server->parsed()) return NotYetAvailable("mcp-server");
  return 0;
}

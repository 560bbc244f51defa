// bedrock-mcp: one binary, one subcommand per role. This file only wires layers together; each
// subcommand registers itself from its own main/<name>_command.cc (see main/command.h).
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/log.h"
#include "main/command.h"

int main(int argc, char** argv) {
  using namespace bedrock;
  CLI::App app{
      "bedrock-mcp: connect models on Amazon Bedrock and OpenAI-compatible APIs to MCP tools"};
  app.set_version_flag("--version", std::string("bedrock-mcp ") + app::kBedrockVersion);
  app.require_subcommand(1);
  app.fallthrough();  // --log-level and --log-format are accepted after any subcommand

  std::optional<std::string> log_level, log_format;
  app.add_option("--log-level", log_level, "Log verbosity (default: info, or the config file's)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-format", log_format, "Log line format (default: text)")
      ->check(CLI::IsMember({"text", "json"}));

  const std::vector<app::Command> commands = {
      app::AddServeCommand(app),
      app::AddEmulatorCommand(app),
      app::AddMcpCommand(app),
      app::AddMcpServerCommand(app),
      app::AddChatCommand(app),
      app::AddAgentsCommand(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error (unknown option, missing argument, bad
    // value), whichever subcommand it is in, exits 2 like the subcommands' own usage errors.
    return app.exit(e) == 0 ? 0 : 2;
  }

  // Flags apply before anything logs; a subcommand may refine them from its config file.
  core::LogOptions log_options;
  core::SystemEnv env;
  app::CommandContext context{env, std::nullopt, std::nullopt};
  if (log_level) {
    context.log_level = *core::ParseLogLevel(*log_level);  // CLI11 already checked the name
    log_options.level = *context.log_level;
  }
  if (log_format) {
    context.log_format = *core::ParseLogFormat(*log_format);
    log_options.format = *context.log_format;
  }
  core::InitLogging(log_options);

  for (const auto& command : commands) {
    if (command.subcommand->parsed()) return command.run(context);
  }
  return 0;
}

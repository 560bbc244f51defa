// How main.cc wires subcommands: each subcommand lives in its own file, registers its CLI11
// options with Add<Name>Command(app) and returns a Command whose `run` main() calls when that
// subcommand was chosen. Keeping one file per subcommand keeps main.cc a table of contents.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/env.h"
#include "core/log.h"

namespace CLI {
class App;
}  // namespace CLI

// The product version, defined by the build for every file of bedrock_app.
#ifndef BEDROCK_VERSION
#define BEDROCK_VERSION "0.0.0"
#endif

namespace bedrock::app {

inline constexpr const char* kBedrockVersion = BEDROCK_VERSION;

// What main() knows before a subcommand runs. Logging is initialised from the global flags
// before `run` is called; the explicit flags are passed on so a subcommand can let them override
// its config file's "log" section.
struct CommandContext {
  const core::Env& env;
  std::optional<core::LogLevel> log_level;    // --log-level when given
  std::optional<core::LogFormat> log_format;  // --log-format when given
};

struct Command {
  CLI::App* subcommand = nullptr;                 // owned by the parent CLI::App
  std::function<int(const CommandContext&)> run;  // returns the process exit code
};

// For subcommands a later issue implements: says so on stderr and returns exit code 2.
int NotYetAvailable(std::string_view name);

// Registrations, one per file (main/<name>_command.cc).
Command AddServeCommand(CLI::App& app);
Command AddEmulatorCommand(CLI::App& app);
Command AddMcpCommand(CLI::App& app);
Command AddMcpServerCommand(CLI::App& app);
Command AddChatCommand(CLI::App& app);
Command AddAgentsCommand(CLI::App& app);

}  // namespace bedrock::app

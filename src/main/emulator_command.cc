// `bedrock-mcp emulator`: not implemented in this build yet.
#include <CLI/CLI.hpp>

#include "main/command.h"

namespace bedrock::app {

Command AddEmulatorCommand(CLI::App& app) {
  auto* command = app.add_subcommand("emulator", "Run the local Bedrock emulator");
  command->fallthrough(false)->allow_extras();  // accept and ignore whatever follows
  return {command, [](const CommandContext&) { return NotYetAvailable("emulator"); }};
}

}  // namespace bedrock::app

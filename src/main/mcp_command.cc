// `bedrock-mcp mcp`: not implemented in this build yet.
#include <CLI/CLI.hpp>

#include "main/command.h"

namespace bedrock::app {

Command AddMcpCommand(CLI::App& app) {
  auto* command =
      app.add_subcommand("mcp", "Inspect MCP servers (list-tools, call, read, prompts)");
  command->fallthrough(false)->allow_extras();  // accept and ignore whatever follows
  return {command, [](const CommandContext&) { return NotYetAvailable("mcp"); }};
}

}  // namespace bedrock::app

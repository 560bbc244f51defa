// `bedrock-mcp mcp-server`: not implemented in this build yet.
#include <CLI/CLI.hpp>

#include "main/command.h"

namespace bedrock::app {

Command AddMcpServerCommand(CLI::App& app) {
  auto* command = app.add_subcommand("mcp-server", "Serve MCP servers (everything, bedrock)");
  command->fallthrough(false)->allow_extras();  // accept and ignore whatever follows
  return {command, [](const CommandContext&) { return NotYetAvailable("mcp-server"); }};
}

}  // namespace bedrock::app

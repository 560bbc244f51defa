// `bedrock-mcp emulator`: the local Bedrock emulator (emulator/emulator.h, docs/emulator.md).
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "emulator/emulator.h"
#include "http/server.h"
#include "main/command.h"

namespace bedrock::app {
namespace {

constexpr std::string_view kComponent = "emulator";

struct EmulatorFlags {
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> script;
  std::optional<std::string> docs;
  std::optional<std::string> config;
  std::optional<std::string> auth;
};

int RunEmulator(const EmulatorFlags& flags, const core::Env& env) {
  emulator::EmulatorConfig config;
  if (flags.config) {
    if (auto loaded = emulator::LoadEmulatorConfigFile(*flags.config, env, config); !loaded.ok()) {
      fmt::print(stderr, "bedrock-mcp emulator: {}\n", loaded.error().message());
      return 1;
    }
  }
  if (flags.host) config.host = *flags.host;
  if (flags.port) config.port = static_cast<uint16_t>(*flags.port);
  if (flags.script) config.script_path = *flags.script;
  if (flags.docs) config.docs_dir = *flags.docs;
  if (flags.auth) config.auth_mode = *emulator::ParseAuthMode(*flags.auth);  // CLI11 checked it

  auto emu = emulator::Emulator::Create(config, env);
  if (!emu.ok()) {
    fmt::print(stderr, "bedrock-mcp emulator: {}\n", emu.error().message());
    return 1;
  }
  const emulator::Emulator& e = **emu;
  BEDROCK_LOG_INFO(kComponent, "auth", {{"mode", e.authenticator().Describe()}});
  if (!config.script_path.empty()) {
    BEDROCK_LOG_INFO(kComponent, "script loaded",
                     {{"path", config.script_path}, {"rules", e.script_rules()}});
  }
  if (!config.docs_dir.empty()) {
    BEDROCK_LOG_INFO(kComponent, "knowledge base loaded",
                     {{"path", config.docs_dir},
                      {"documents", e.knowledge_base().document_count()},
                      {"chunks", e.knowledge_base().chunk_count()}});
  }
  // Signals are caught from before the "listening" line (see serve).
  http::ShutdownSignals signals;
  if (auto started = (*emu)->Start(); !started.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot start the HTTP server", {{"error", started.error()}});
    return 1;
  }
  BEDROCK_LOG_INFO(kComponent, "listening", {{"url", (*emu)->url()}});
  int signal = signals.Wait();
  BEDROCK_LOG_INFO(kComponent, "shutting down", {{"signal", signal}});
  (*emu)->Stop(std::chrono::seconds(5));
  BEDROCK_LOG_INFO(kComponent, "stopped");
  return 0;
}

}  // namespace

Command AddEmulatorCommand(CLI::App& app) {
  auto flags = std::make_shared<EmulatorFlags>();
  auto* command = app.add_subcommand(
      "emulator",
      "Run the local Bedrock emulator (Bedrock Runtime, Agent Runtime, OpenAI-compatible API)");
  command->add_option("--host", flags->host, "Address to listen on (default 127.0.0.1)");
  command->add_option("--port", flags->port, "Port to listen on; 0 picks a free one (default 7003)")
      ->check(CLI::Range(0, 65535));
  command->add_option("--script", flags->script, "JSON script of model rules");
  command->add_option("--docs", flags->docs,
                      "Folder of documents served as the knowledge base (Retrieve, InvokeAgent)");
  command->add_option("--config", flags->config, "JSON configuration file (docs/emulator.md)");
  command->add_option("--auth", flags->auth, "Authentication mode (default auto)")
      ->check(CLI::IsMember({"auto", "verify", "any-signature", "off"}));
  return {command,
          [flags](const CommandContext& context) { return RunEmulator(*flags, context.env); }};
}

}  // namespace bedrock::app

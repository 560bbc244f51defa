#include "main/serve_config.h"

#include <charconv>

namespace bedrock::app {
namespace {

using core::ConfigNode;

core::Status ReadServerSection(const ConfigNode& server, ServeConfig& config) {
  BEDROCK_TRY(server.RejectUnknownKeys(
      {"listen", "threads", "tls_cert_file", "tls_key_file", "max_header_bytes", "max_body_bytes",
       "max_connections", "header_timeout_ms", "body_timeout_ms", "idle_timeout_ms",
       "write_timeout_ms", "sse_heartbeat_ms", "shutdown_grace_ms"}));
  http::ServerOptions& options = config.server;
  if (auto listen = BEDROCK_TRY(server.OptionalString("listen"))) {
    auto parsed = ParseHostPort(*listen);
    if (!parsed.ok()) return BEDROCK_TRY(server.Get("listen")).Fail(parsed.error().message());
    options.host = parsed->host;
    options.port = parsed->port;
  }
  if (auto v = BEDROCK_TRY(server.OptionalIntInRange("threads", 0, 256))) options.threads = int(*v);
  if (auto v = BEDROCK_TRY(server.OptionalString("tls_cert_file"))) options.tls_cert_file = *v;
  if (auto v = BEDROCK_TRY(server.OptionalString("tls_key_file"))) options.tls_key_file = *v;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return server.Fail("tls_cert_file and tls_key_file must be set together");
  }
  auto read_size = [&](std::string_view key, size_t& out, int64_t max) -> core::Status {
    if (auto v = BEDROCK_TRY(server.OptionalIntInRange(key, 1, max))) out = size_t(*v);
    return core::OkStatus();
  };
  BEDROCK_TRY(read_size("max_header_bytes", options.max_header_bytes, 1 << 20));
  BEDROCK_TRY(read_size("max_body_bytes", options.max_body_bytes, int64_t(1) << 32));
  BEDROCK_TRY(read_size("max_connections", options.max_connections, 1'000'000));
  auto read_ms = [&](std::string_view key, std::chrono::milliseconds& out,
                     int64_t min) -> core::Status {
    if (auto v = BEDROCK_TRY(server.OptionalIntInRange(key, min, 86'400'000))) {
      out = std::chrono::milliseconds(*v);
    }
    return core::OkStatus();
  };
  BEDROCK_TRY(read_ms("header_timeout_ms", options.header_timeout, 1));
  BEDROCK_TRY(read_ms("body_timeout_ms", options.body_timeout, 1));
  BEDROCK_TRY(read_ms("idle_timeout_ms", options.idle_timeout, 1));
  BEDROCK_TRY(read_ms("write_timeout_ms", options.write_timeout, 1));
  BEDROCK_TRY(read_ms("sse_heartbeat_ms", options.sse_heartbeat_interval, 0));
  BEDROCK_TRY(read_ms("shutdown_grace_ms", config.shutdown_grace, 0));
  return core::OkStatus();
}

core::Status ReadLogSection(const ConfigNode& log, ServeConfig& config) {
  BEDROCK_TRY(log.RejectUnknownKeys({"level", "format"}));
  if (auto level = BEDROCK_TRY(log.OptionalString("level"))) {
    auto parsed = core::ParseLogLevel(*level);
    if (!parsed.ok()) return BEDROCK_TRY(log.Get("level")).Fail(parsed.error().message());
    config.log_level = *parsed;
  }
  if (auto format = BEDROCK_TRY(log.OptionalString("format"))) {
    auto parsed = core::ParseLogFormat(*format);
    if (!parsed.ok()) return BEDROCK_TRY(log.Get("format")).Fail(parsed.error().message());
    config.log_format = *parsed;
  }
  return core::OkStatus();
}

}  // namespace

core::Result<HostPort> ParseHostPort(std::string_view text) {
  auto invalid = [&] {
    return core::Error::InvalidArgument(
        "expected host:port such as \"127.0.0.1:7002\" or \"[::1]:7002\"");
  };
  HostPort out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid();
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return invalid();
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (out.host.empty() || port_text.empty() || ec != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535) {
    return invalid();
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

core::Result<ServeConfig> ServeConfigFromDocument(const core::JsonDocument& document) {
  core::FakeEnv no_environment;
  return ServeConfigFromDocument(document, no_environment);
}

core::Result<ServeConfig> ServeConfigFromDocument(const core::JsonDocument& document,
                                                  const core::Env& env) {
  ServeConfig config;
  config.server.host = "127.0.0.1";
  config.server.port = 7002;
  ConfigNode root = document.Root();
  BEDROCK_TRY(root.ExpectObject());
  // Sections that other layers read (models, MCP servers, storage...) are listed too, so that a
  // typo in a section name is reported with a "did you mean".
  config.unknown_keys =
      root.FindUnknownKeys({"server", "log", "aws", "models", "mcpServers", "auth", "policy",
                            "store", "limits", "cors", "chat", "ui", "emulator"});
  if (auto server = BEDROCK_TRY(root.OptionalObject("server"))) {
    BEDROCK_TRY(ReadServerSection(*server, config));
  }
  if (auto log = BEDROCK_TRY(root.OptionalObject("log"))) {
    BEDROCK_TRY(ReadLogSection(*log, config));
  }
  config.gateway = BEDROCK_TRY(gateway::GatewayConfigFromDocument(root, env));
  config.chat = BEDROCK_TRY(gateway::ChatConfigFromDocument(root));
  return config;
}

core::Result<ServeConfig> LoadServeConfig(const std::string& path, const core::Env& env) {
  auto document = BEDROCK_TRY(core::LoadJsonFile(path, {.env = &env}));
  return ServeConfigFromDocument(document, env);
}

}  // namespace bedrock::app

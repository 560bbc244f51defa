#include "main/serve_command.h"

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <memory>

#include "aws/credential_chain.h"
#include "gateway/chat.h"
#include "gateway/gateway.h"
#include "gateway/static_ui.h"
#include "http/router.h"
#include "http/server.h"
#include "main/command.h"
#include "main/serve_config.h"

namespace bedrock::app {
namespace {

constexpr std::string_view kComponent = "serve";

http::Router MakeRouter(std::chrono::steady_clock::time_point started) {
  http::Router router;
  // Liveness for load balancers and `make run` users. /api/health is the demo's `strands` branch
  // spelling of the same thing.
  auto health = [started](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started);
    boost::json::object body{{"status", "ok"},
                             {"service", "bedrock-mcp"},
                             {"version", kBedrockVersion},
                             {"uptime_seconds", uptime.count()}};
    auto response = http::Response::Json(200, boost::json::serialize(body));
    response.headers.Set("Cache-Control", "no-store");
    co_return response;
  };
  router.Get("/healthz", health);
  router.Get("/api/health", health);
  if (auto ui = gateway::AddWebUi(router, gateway::DefaultWebUiDir()); !ui.ok()) {
    BEDROCK_LOG_WARN(kComponent, "web UI not served", {{"error", ui.error()}});
  }
  return router;
}

std::string UrlFor(const http::Server& server, bool tls) {
  std::string host = server.local_address();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", tls ? "https" : "http", host, server.port());
}

}  // namespace

std::optional<std::string> FindAwsCredentialSource(const core::Env& env) {
  // The variable and path rules are the credential chain's own (aws/credential_chain.h); this only
  // asks which source is configured, without fetching anything.
  auto set = [&](std::string_view name) {
    auto value = env.Get(name);
    return value.has_value() && !value->empty();
  };
  if (aws::BedrockBearerToken(env)) return "Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)";
  if (auto keys = aws::CredentialsFromEnvironment(env); keys.ok() && keys->has_value()) {
    return "environment (AWS_ACCESS_KEY_ID)";
  }
  if (set("AWS_WEB_IDENTITY_TOKEN_FILE") && set("AWS_ROLE_ARN")) {
    return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)";
  }
  if (set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    return "container credentials endpoint";
  }
  std::error_code ec;
  aws::SharedConfigPaths paths = aws::SharedConfigPathsFromEnv(env);
  auto file_exists = [&](const std::string& path) {
    return !path.empty() && std::filesystem::is_regular_file(path, ec);
  };
  if (file_exists(paths.credentials)) return "shared credentials file (" + paths.credentials + ")";
  if (file_exists(paths.config)) return "shared config file (" + paths.config + ")";
  return std::nullopt;  // EC2 instance metadata is not probed here: only at the first model call
}

int RunServe(const ServeFlags& flags, const core::Env& env) {
  auto config = LoadServeConfig(flags.config_path, env);
  if (!config.ok()) {
    fmt::print(stderr, "bedrock-mcp serve: {}\n", config.error().message());
    return 1;
  }
  core::InitLogging({.level = flags.log_level.value_or(config->log_level),
                     .format = flags.log_format.value_or(config->log_format)});
  for (const auto& unknown : config->unknown_keys) {
    BEDROCK_LOG_WARN(kComponent, "ignoring unknown configuration key",
                     {{"detail", unknown.message()}});
  }
  if (flags.listen) {
    auto parsed = ParseHostPort(*flags.listen);
    if (!parsed.ok()) {
      fmt::print(stderr, "bedrock-mcp serve: --listen {}: {}\n", *flags.listen,
                 parsed.error().message());
      return 1;
    }
    config->server.host = parsed->host;
    config->server.port = parsed->port;
  }

  if (auto source = FindAwsCredentialSource(env)) {
    BEDROCK_LOG_INFO(kComponent, "AWS credentials configured", {{"source", *source}});
  } else {
    BEDROCK_LOG_WARN(
        kComponent,
        "no AWS credentials found (AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws/credentials, "
        "AWS_BEARER_TOKEN_BEDROCK...): Bedrock calls will fail until you configure "
        "some, or point AWS_ENDPOINT_URL_BEDROCK_RUNTIME at the local emulator "
        "(`bedrock-mcp emulator`)");
  }

  http::ServerOptions options = config->server;
  options.access_log = [](const http::AccessLogEntry& entry) {
    BEDROCK_LOG_DEBUG("http", "request",
                      {{"remote", entry.remote_address},
                       {"method", entry.method},
                       {"target", entry.target},
                       {"status", entry.status},
                       {"bytes", entry.bytes_sent},
                       {"duration_us", static_cast<int64_t>(entry.duration.count())}});
  };
  options.error_log = [](std::string_view message) {
    BEDROCK_LOG_ERROR("http", "server error", {{"detail", message}});
  };
  const bool tls = !options.tls_cert_file.empty();
  // Signals are caught from before the "listening" line: a supervisor (or test) that sends
  // SIGTERM as soon as it sees it must get a graceful shutdown, not the default action.
  http::ShutdownSignals signals;
  gateway::GatewayOptions gateway_options(std::move(config->gateway));
  gateway_options.version = kBedrockVersion;
  auto gateway = gateway::Gateway::Create(std::move(gateway_options));
  if (!gateway.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot start the gateway", {{"error", gateway.error()}});
    return 1;
  }
  http::Router router = MakeRouter(std::chrono::steady_clock::now());
  (*gateway)->AddRoutes(router);
  // Declared after the gateway: destroyed before it (it uses the gateway's users and API).
  gateway::ChatServiceOptions chat_options(&(*gateway)->config(), config->chat,
                                           &(*gateway)->users(), &(*gateway)->api());
  chat_options.env = &env;
  auto chat = gateway::ChatService::Create(std::move(chat_options));
  if (!chat.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot start the chat service", {{"error", chat.error()}});
    return 1;
  }
  (*chat)->AddRoutes(router);
  (*gateway)->Start();
  http::Server server(std::move(options), std::move(router));
  if (auto started = server.Start(); !started.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot start the HTTP server", {{"error", started.error()}});
    (*gateway)->Shutdown(std::chrono::milliseconds(0));
    return 1;
  }
  BEDROCK_LOG_INFO(kComponent, "listening", {{"url", UrlFor(server, tls)}});
  int signal = signals.Wait();
  BEDROCK_LOG_INFO(kComponent, "shutting down", {{"signal", signal}});
  // Requests first (running chat streams are stopped, in-flight calls finish), then the MCP
  // sessions they used.
  (*chat)->Shutdown();
  server.Stop(config->shutdown_grace);
  (*gateway)->Shutdown(config->shutdown_grace);
  BEDROCK_LOG_INFO(kComponent, "stopped");
  return 0;
}

}  // namespace bedrock::app

namespace bedrock::app {

Command AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* serve =
      app.add_subcommand("serve", "Run the chat gateway (OpenAI-compatible API and web UI)");
  serve->add_option("--config", flags->config_path, "Configuration file")->capture_default_str();
  serve->add_option("--listen", flags->listen,
                    "Address to listen on, overriding server.listen (e.g. 127.0.0.1:0)");
  return {serve, [flags](const CommandContext& context) {
            ServeFlags resolved = *flags;
            if (context.log_level) resolved.log_level = context.log_level;
            if (context.log_format) resolved.log_format = context.log_format;
            return RunServe(resolved, context.env);
          }};
}

}  // namespace bedrock::app

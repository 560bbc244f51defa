// `bedrock-mcp mcp-server <name> --transport stdio|http|sse [--host H] [--port N] [--skills DIR]`:
// serves one of our MCP servers. Each server is a subcommand made by AddServedSubcommand from a
// factory, so every one of them gets the same transport flags and the same serving code
// (ServeMcp). --skills serves every skill folder under DIR (the skills extension, SEP-2640).
//
// stdio: newline-delimited JSON-RPC on stdin/stdout until the client closes stdin or a signal.
// http, sse: one HTTP listener serving both the Streamable HTTP endpoint (/mcp) and the legacy
// 2024-11-05 HTTP+SSE endpoints (GET /sse, POST /messages); --transport only chooses which URL the
// `listening url=` line announces. A loopback listener accepts only loopback Host and Origin
// names (DNS-rebinding protection). SIGINT/SIGTERM close every session and stop gracefully.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/env.h"
#include "http/router.h"
#include "http/server.h"
#include "main/command.h"
#include "mcp/everything_server.h"
#include "mcp/server.h"
#include "mcp/skills.h"
#include "mcp/stdio_transport.h"
#include "mcp/streamable_http_server.h"
#include "tools/bedrock_tools_server.h"

namespace bedrock::app {
namespace {

namespace asio = boost::asio;
constexpr std::string_view kComponent = "mcp-server";

struct McpServeFlags {
  std::string transport = "stdio";
  std::string host = "127.0.0.1";
  uint16_t port = 3001;
  size_t max_message_bytes = 4u << 20;
  std::string skills_dir;  // served as skills (mcp::LoadSkillsDirectory) when set
};

// What a served subcommand contributes: its MCP server and, for HTTP, its endpoint options.
struct ServedServer {
  std::shared_ptr<mcp::Server> server;
  mcp::StreamableHttpServerOptions http_options;
};
using ServedServerFactory = std::function<core::Result<ServedServer>()>;

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]" ||
         host.starts_with("127.");
}

int ServeStdio(mcp::Server& server, const McpServeFlags& flags) {
  asio::io_context io(1);
  mcp::StdioOptions options;
  options.max_line_bytes = flags.max_message_bytes;
  options.oversize_is_fatal = false;
  auto transport = mcp::CreateStdioServerTransport(io.get_executor(), options);
  if (!transport.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot open stdin/stdout", {{"error", transport.error()}});
    return 1;
  }
  mcp::SessionOptions session_options;
  session_options.peer_name = "stdio client";
  auto session = server.Serve(*transport, std::move(session_options));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    BEDROCK_LOG_INFO(kComponent, "shutting down", {{"signal", signal}});
    asio::co_spawn(io, session->Close(), asio::detached);
  });
  // The client closing stdin ends the session, and with it the wait for signals.
  session->OnClose([&signals] { signals.cancel(); });
  BEDROCK_LOG_INFO(kComponent, "serving on stdio");
  io.run();
  BEDROCK_LOG_INFO(kComponent, "stopped");
  return 0;
}

int ServeHttp(mcp::Server& server, mcp::StreamableHttpServerOptions endpoint_options,
              const McpServeFlags& flags) {
  // Caught from before the listening line, so a supervisor's early SIGTERM is graceful.
  http::ShutdownSignals signals;
  endpoint_options.max_message_bytes = flags.max_message_bytes;
  if (IsLoopback(flags.host) && endpoint_options.allowed_hosts.empty()) {
    endpoint_options.allowed_hosts = mcp::LoopbackHostNames();
  }
  const std::string announced_path =
      flags.transport == "sse" ? endpoint_options.legacy_sse_path : endpoint_options.path;

  // Sessions run on their own thread; the HTTP server's threads hand messages to them.
  asio::io_context sessions_io(1);
  auto work = asio::make_work_guard(sessions_io);
  std::promise<void> sessions_done;
  std::thread sessions_thread([&] {
    sessions_io.run();
    sessions_done.set_value();
  });
  auto endpoint = std::make_unique<mcp::StreamableHttpServer>(server, sessions_io.get_executor(),
                                                              std::move(endpoint_options));
  http::Router router;
  endpoint->Mount(router);
  http::ServerOptions http_options;
  http_options.host = flags.host;
  http_options.port = flags.port;
  http_options.max_body_bytes = flags.max_message_bytes + 1024;  // the endpoint answers 413
  http_options.error_log = [](std::string_view message) {
    BEDROCK_LOG_ERROR("http", "server error", {{"detail", message}});
  };
  http::Server http_server(std::move(http_options), std::move(router));

  int exit_code = 0;
  if (auto started = http_server.Start(); !started.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot start the HTTP server", {{"error", started.error()}});
    exit_code = 1;
  } else {
    std::string host = http_server.local_address();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string url = fmt::format("http://{}:{}{}", host, http_server.port(), announced_path);
    BEDROCK_LOG_INFO(kComponent, "listening", {{"url", url}});
    int signal = signals.Wait();
    BEDROCK_LOG_INFO(kComponent, "shutting down", {{"signal", signal}});
  }
  // Ending the sessions first finishes their streams, so the HTTP server drains quickly.
  endpoint->CloseAll();
  http_server.Stop(std::chrono::seconds(5));
  endpoint.reset();
  work.reset();
  // Sessions wind down by themselves once closed; a handler that ignores cancellation must not
  // keep the process alive.
  if (sessions_done.get_future().wait_for(std::chrono::seconds(3)) != std::future_status::ready) {
    BEDROCK_LOG_WARN(kComponent, "sessions did not finish in time; stopping them");
    sessions_io.stop();
  }
  sessions_thread.join();
  if (exit_code == 0) BEDROCK_LOG_INFO(kComponent, "stopped");
  return exit_code;
}

// Serves what `make` builds on the transport the flags chose.
int ServeMcp(const ServedServerFactory& make, const McpServeFlags& flags) {
  auto served = make();
  if (!served.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "cannot build the server", {{"error", served.error()}});
    return 1;
  }
  if (!flags.skills_dir.empty()) {
    auto skills = mcp::LoadSkillsDirectory(flags.skills_dir);
    if (!skills.ok()) {
      BEDROCK_LOG_ERROR(kComponent, "cannot load the skills", {{"error", skills.error()}});
      return 1;
    }
    for (mcp::Skill& skill : *skills) served->server->AddSkill(std::move(skill));
    BEDROCK_LOG_INFO(kComponent, "serving skills",
                     {{"directory", flags.skills_dir}, {"count", skills->size()}});
  }
  if (flags.transport == "stdio") return ServeStdio(*served->server, flags);
  return ServeHttp(*served->server, std::move(served->http_options), flags);
}

// The requestState signing key: the file's first line, else $BEDROCK_MCP_STATE_SECRET, else empty
// (a random key of this process).
core::Result<std::string> ReadStateSecret(const std::string& file) {
  if (file.empty()) {
    static const core::SystemEnv env;
    return env.Get("BEDROCK_MCP_STATE_SECRET").value_or("");
  }
  std::ifstream in(file);
  std::string secret;
  if (!in || !std::getline(in, secret) || secret.empty()) {
    return core::Error::InvalidArgument("cannot read a state secret from {}", file);
  }
  return secret;
}

// Adds `mcp-server <name>` with the shared transport flags; the returned function runs it.
struct ServedSubcommand {
  CLI::App* app;
  std::function<int()> run;
};

ServedSubcommand AddServedSubcommand(CLI::App* parent, std::string name, std::string description,
                                     ServedServerFactory make) {
  auto flags = std::make_shared<McpServeFlags>();
  auto* sub = parent->add_subcommand(std::move(name), std::move(description));
  sub->add_option("--transport", flags->transport,
                  "stdio, http (Streamable HTTP at /mcp) or sse (legacy HTTP+SSE at /sse); "
                  "http and sse serve both endpoints")
      ->check(CLI::IsMember({"stdio", "http", "sse"}))
      ->capture_default_str();
  sub->add_option("--host", flags->host, "Address to listen on (http, sse)")->capture_default_str();
  sub->add_option("--port", flags->port, "Port to listen on; 0 picks a free one (http, sse)")
      ->capture_default_str();
  sub->add_option("--max-message-bytes", flags->max_message_bytes,
                  "Largest JSON-RPC message accepted (a stdio line, an HTTP body)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30))
      ->capture_default_str();
  sub->add_option("--skills", flags->skills_dir,
                  "Serve every subfolder of DIR that holds a SKILL.md as a skill (the skills "
                  "extension, io.modelcontextprotocol/skills; 2026-07-28 clients)")
      ->type_name("DIR");
  return {sub, [flags, make = std::move(make)] { return ServeMcp(make, *flags); }};
}

}  // namespace

Command AddMcpServerCommand(CLI::App& app) {
  auto* command = app.add_subcommand("mcp-server", "Serve one of bedrock-mcp's MCP servers");
  command->require_subcommand(1);
  std::vector<ServedSubcommand> servers;
  auto state_secret_file = std::make_shared<std::string>();
  servers.push_back(AddServedSubcommand(
      command, "everything",
      "Every MCP feature, with the conformance suite's fixtures (tools, resources, prompts, "
      "completion, logging, sampling, elicitation; revisions 2024-11-05 to 2026-07-28)",
      [state_secret_file]() -> core::Result<ServedServer> {
        mcp::EverythingServerOptions options;
        options.request_state_secret = BEDROCK_TRY(ReadStateSecret(*state_secret_file));
        return ServedServer{mcp::MakeEverythingServer(std::move(options)),
                            mcp::EverythingHttpOptions()};
      }));
  servers.back().app->add_option(
      "--state-secret-file", *state_secret_file,
      "File holding the key that signs 2026-07-28 requestState; replicas that share it accept "
      "each other's multi-round-trip retries (default: $BEDROCK_MCP_STATE_SECRET, else a random "
      "key per process)");
  // Read when the server is built, after parsing.
  struct BedrockFlags {
    std::string config;
    std::vector<std::string> knowledge_bases;
    std::string cache;
    int64_t cache_ttl_seconds = 0;
    double semantic_threshold = 0;
    std::string model;
  };
  auto bedrock_flags = std::make_shared<BedrockFlags>();
  servers.push_back(AddServedSubcommand(
      command, "bedrock",
      "Amazon Bedrock as MCP tools: specialists and converse, streamed answers, knowledge-base "
      "search and resources, Titan embeddings, Bedrock Agents, a response cache",
      [bedrock_flags]() -> core::Result<ServedServer> {
        auto config = bedrock_flags->config.empty()
                          ? tools::DefaultBedrockToolsConfig()
                          : BEDROCK_TRY(tools::LoadBedrockToolsConfig(bedrock_flags->config));
        for (const auto& id : bedrock_flags->knowledge_bases) {
          tools::KnowledgeBase kb;
          kb.id = id;
          config.knowledge_bases.push_back(std::move(kb));
        }
        if (!bedrock_flags->cache.empty()) config.cache_url = bedrock_flags->cache;
        if (bedrock_flags->cache_ttl_seconds > 0) {
          config.cache.ttl = std::chrono::seconds(bedrock_flags->cache_ttl_seconds);
        }
        if (bedrock_flags->semantic_threshold > 0) {
          config.cache.semantic = true;
          config.cache.semantic_threshold = bedrock_flags->semantic_threshold;
        }
        if (!bedrock_flags->model.empty()) config.default_model = bedrock_flags->model;
        static const core::SystemEnv env;  // the clients read it for the process's lifetime
        auto server = BEDROCK_TRY(
            tools::MakeBedrockToolsServer(std::move(config), tools::EnvClientsFactory(env)));
        return ServedServer{std::move(server), mcp::StreamableHttpServerOptions()};
      }));
  auto* bedrock = servers.back().app;
  bedrock->add_option("--config", bedrock_flags->config,
                      "JSON file: specialists, knowledge bases, models, cache "
                      "(docs/bedrock-tools.md)");
  bedrock->add_option("--knowledge-base", bedrock_flags->knowledge_bases,
                      "A knowledge base id to expose as resources (repeatable)");
  bedrock->add_option("--cache", bedrock_flags->cache,
                      "Response cache: sqlite:<path>, sqlite::memory: (default) or off");
  bedrock->add_option("--cache-ttl", bedrock_flags->cache_ttl_seconds,
                      "Seconds a cached answer lives (default 3600)");
  bedrock
      ->add_option("--semantic-cache-threshold", bedrock_flags->semantic_threshold,
                   "Enables the semantic cache: cosine similarity needed for a hit (0..1]")
      ->check(CLI::Range(0.0, 1.0));
  bedrock->add_option("--model", bedrock_flags->model, "Default Bedrock model id");
  return {command, [servers = std::move(servers)](const CommandContext&) {
            for (const auto& s : servers) {
              if (s.app->parsed()) return s.run();
            }
            return 2;
          }};
}

}  // namespace bedrock::app

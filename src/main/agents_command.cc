// `bedrock-mcp agents`: an MCP server's tools as a Bedrock Agents action group
// (docs/agents-bridge.md).
//
//   bedrock-mcp agents schema --config servers.json --server files [--format openapi] > schema.json
//   bedrock-mcp agents lambda --config servers.json --server files     # inside Lambda (bootstrap)
//
// `schema` writes the action group's definition (function details, an OpenAPI document, or a
// CloudFormation template) to stdout and what needed a fallback to stderr. `lambda` is a Lambda
// custom runtime: it serves invocations from AWS_LAMBDA_RUNTIME_API until the runtime API goes
// away. Exit codes: 0 success; 1 the server or the runtime API failed; 2 usage or configuration.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bridge/action_handler.h"
#include "bridge/action_schema.h"
#include "bridge/lambda_runtime.h"
#include "bridge/server_selection.h"
#include "http/client.h"
#include "main/command.h"
#include "mcp/server_config.h"

namespace bedrock::app {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr std::string_view kComponent = "agents";
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct AgentsFlags {
  std::string config;
  std::string server;
  std::vector<std::string> tools;
  size_t max_functions = bridge::SchemaLimits().max_functions;
  size_t max_parameters = bridge::SchemaLimits().max_parameters;
  double timeout_seconds = 60;
  // schema
  std::string format = "function-schema";
  std::string output;
  std::string action_group_name = "mcp_tools";
  std::string agent_name = "mcp-agent";
  // lambda
  std::string tool_error_state = "reprompt";
  size_t max_response_bytes = bridge::HandlerOptions().max_body_bytes;
};

void AddCommonFlags(CLI::App* sub, AgentsFlags& flags) {
  sub->add_option(
      "--config", flags.config,
      "mcpServers JSON file (as for `bedrock-mcp mcp`); default $BEDROCK_AGENTS_CONFIG");
  sub->add_option("--server", flags.server,
                  "The server entry to use; default $BEDROCK_AGENTS_SERVER");
  sub->add_option("--tools", flags.tools,
                  "Only these tools, in this order (comma-separated or repeated)")
      ->delimiter(',');
  sub->add_option("--max-functions", flags.max_functions,
                  "Functions (API operations) per action group; more tools go through a "
                  "dispatcher function")
      ->check(CLI::Range(size_t{1}, size_t{1000}))
      ->capture_default_str();
  sub->add_option("--max-parameters", flags.max_parameters,
                  "Parameters per function (function details); more arguments travel as one "
                  "JSON-object parameter; 0: no limit")
      ->check(CLI::Range(size_t{0}, size_t{1000}))
      ->capture_default_str();
  sub->add_option("--timeout", flags.timeout_seconds,
                  "Seconds to wait for the MCP server (connecting, listing, each call)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

bridge::PlanOptions PlanOptionsFrom(const AgentsFlags& flags) {
  bridge::PlanOptions options;
  options.limits.max_functions = flags.max_functions;
  options.limits.max_parameters = flags.max_parameters;
  options.only_tools = flags.tools;
  return options;
}

std::chrono::milliseconds Timeout(const AgentsFlags& flags) {
  return std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_seconds * 1000));
}

// The configured server, with $BEDROCK_AGENTS_CONFIG / $BEDROCK_AGENTS_SERVER as defaults.
core::Result<mcp::McpServerConfig> ChosenServer(AgentsFlags& flags, const core::Env& env) {
  if (flags.config.empty()) flags.config = env.Get("BEDROCK_AGENTS_CONFIG").value_or("");
  if (flags.server.empty()) flags.server = env.Get("BEDROCK_AGENTS_SERVER").value_or("");
  if (flags.config.empty() || flags.server.empty()) {
    return core::Error::InvalidArgument(
        "--config FILE and --server NAME are required (or BEDROCK_AGENTS_CONFIG and "
        "BEDROCK_AGENTS_SERVER)");
  }
  return bridge::LoadMcpServer(flags.config, flags.server, env);
}

mcp::Implementation ClientInfo() {
  return mcp::Implementation("bedrock-mcp-agents", kBedrockVersion);
}

int RunSchema(AgentsFlags flags, const core::Env& env) {
  auto server = ChosenServer(flags, env);
  if (!server.ok()) {
    fmt::print(stderr, "bedrock-mcp agents schema: {}\n", server.error().message());
    return kExitUsage;
  }
  bridge::PlanOptions plan_options = PlanOptionsFrom(flags);
  plan_options.form = flags.format == "openapi" ? bridge::SchemaForm::kOpenApi
                                                : bridge::SchemaForm::kFunctionDetails;
  if (flags.format == "cloudformation-openapi") plan_options.form = bridge::SchemaForm::kOpenApi;

  asio::io_context io;
  auto http_client = http::Client::Create(io.get_executor());
  if (!http_client.ok()) {
    fmt::print(stderr, "bedrock-mcp agents schema: {}\n", http_client.error().message());
    return kExitUsage;
  }
  int exit_code = kExitFailure;
  json::array tools;
  auto run = [&]() -> mcp::Awaitable<void> {
    mcp::ClientOptions options;
    options.initialize_timeout = Timeout(flags);
    options.request_timeout = Timeout(flags);
    options.peer_name = fmt::format("server '{}'", server->name);
    auto client = co_await mcp::ConnectMcpServer(io.get_executor(), *server, *http_client,
                                                 ClientInfo(), std::move(options));
    if (!client.ok()) {
      fmt::print(stderr, "bedrock-mcp agents schema: cannot connect to server '{}': {}\n",
                 server->name, client.error().message());
      co_return;
    }
    auto listed = co_await (*client)->ListTools();
    if (!listed.ok()) {
      fmt::print(stderr, "bedrock-mcp agents schema: tools/list failed: {}\n",
                 listed.error().message());
    } else {
      tools = std::move(*listed);
      exit_code = 0;
    }
    co_await (*client)->Close();
  };
  asio::co_spawn(io, run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  if (exit_code != 0) return exit_code;

  auto plan = bridge::PlanActionGroup(tools, plan_options);
  if (!plan.ok()) {
    fmt::print(stderr, "bedrock-mcp agents schema: {}\n", plan.error().message());
    return kExitUsage;
  }
  for (const auto& warning : plan->warnings) fmt::print(stderr, "warning: {}\n", warning);

  json::object document;
  if (flags.format == "function-schema") {
    document = bridge::FunctionSchemaJson(*plan);
  } else if (flags.format == "openapi") {
    document = bridge::OpenApiJson(*plan, fmt::format("{} MCP tools", server->name), "1.0.0");
  } else {
    bridge::CloudFormationOptions cfn;
    cfn.action_group_name = flags.action_group_name;
    cfn.agent_name = flags.agent_name;
    cfn.action_group_description = server->description.empty()
                                       ? fmt::format("The tools of MCP server '{}'", server->name)
                                       : server->description;
    document = bridge::CloudFormationJson(*plan, cfn);
  }
  std::string text = bridge::PrettyJson(document);
  if (flags.output.empty() || flags.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream out(flags.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    fmt::print(stderr, "bedrock-mcp agents schema: cannot write {}\n", flags.output);
    return kExitFailure;
  }
  return 0;
}

// Ends the MCP session (reaping a stdio server) and the event loop. Both outlive the coroutine:
// RunLambda owns them and returns only after io.run() does.
asio::awaitable<void> CloseAndStop(bridge::ActionHandler& handler, asio::io_context& io) {
  co_await handler.Close();
  io.stop();
}

int RunLambda(AgentsFlags flags, const core::Env& env) {
  auto api_address = env.Get("AWS_LAMBDA_RUNTIME_API");
  if (!api_address || api_address->empty()) {
    fmt::print(stderr,
               "bedrock-mcp agents lambda: AWS_LAMBDA_RUNTIME_API is not set (this is a Lambda "
               "custom runtime; see docs/agents-bridge.md)\n");
    return kExitUsage;
  }
  asio::io_context io(1);
  auto api = bridge::LambdaRuntimeApi::Create(io.get_executor(), *api_address);
  if (!api.ok()) {
    fmt::print(stderr, "bedrock-mcp agents lambda: {}\n", api.error().message());
    return kExitUsage;
  }

  // Configuration problems are initialisation errors Lambda should see.
  auto server = ChosenServer(flags, env);
  auto http_client = http::Client::Create(io.get_executor());
  std::optional<core::Error> init_error;
  if (!server.ok()) init_error = server.error();
  if (!init_error && !http_client.ok()) init_error = http_client.error();
  if (init_error) {
    BEDROCK_LOG_ERROR(kComponent, "initialisation failed", {{"error", *init_error}});
    auto report = [&]() -> asio::awaitable<void> {
      auto posted = co_await api->ReportInitError(
          fmt::format("BedrockMcp.{}", core::ErrorCodeName(init_error->code())),
          init_error->message());
      if (!posted.ok()) {
        BEDROCK_LOG_ERROR(kComponent, "cannot report the init error", {{"error", posted.error()}});
      }
    };
    asio::co_spawn(io, report(), asio::detached);
    io.run();
    return kExitUsage;
  }

  bridge::HandlerOptions options;
  options.server_name = server->name;
  options.plan = PlanOptionsFrom(flags);
  options.tool_error_state = flags.tool_error_state == "failure" ? bridge::ResponseState::kFailure
                                                                 : bridge::ResponseState::kReprompt;
  options.call_timeout = Timeout(flags);
  options.connect_timeout = Timeout(flags);
  options.max_body_bytes = flags.max_response_bytes;
  mcp::McpServerConfig config = *server;
  http::Client mcp_http = *http_client;
  auto executor = io.get_executor();
  bridge::McpConnector connect = [executor, config, mcp_http](mcp::ClientOptions client_options)
      -> mcp::Awaitable<core::Result<std::shared_ptr<mcp::Client>>> {
    co_return co_await mcp::ConnectMcpServer(executor, config, mcp_http, ClientInfo(),
                                             std::move(client_options));
  };
  bridge::ActionHandler handler(std::move(connect), std::move(options));

  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  auto run = [&]() -> asio::awaitable<void> {
    // Opening the session during init makes the first invocation fast; a server that is down now
    // is retried by each invocation (which answers FAILURE meanwhile).
    if (auto connected = co_await handler.Connect(); !connected.ok()) {
      BEDROCK_LOG_WARN(kComponent, "MCP server not reachable yet",
                       {{"server", config.name}, {"error", connected.error()}});
    }
    BEDROCK_LOG_INFO(kComponent, "serving invocations",
                     {{"server", config.name}, {"runtime_api", *api_address}});
    bridge::InvocationHandler serve =
        [&handler](bridge::Invocation invocation) -> asio::awaitable<core::Result<std::string>> {
      co_return co_await handler.Handle(std::move(invocation.body), invocation.deadline);
    };
    auto status =
        co_await bridge::RunLambdaLoop(*api, std::move(serve), bridge::RuntimeLoopOptions());
    if (!status.ok()) {
      BEDROCK_LOG_ERROR(kComponent, "the Lambda runtime API failed", {{"error", status.error()}});
      exit_code = kExitFailure;
    }
    signals.cancel();
    co_await handler.Close();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    BEDROCK_LOG_INFO(kComponent, "shutting down", {{"signal", signal}});
    asio::co_spawn(io, CloseAndStop(handler, io), asio::detached);
  });
  asio::co_spawn(io, run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return exit_code;
}

}  // namespace

Command AddAgentsCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "agents", "Bedrock Agents action groups served by an MCP server (docs/agents-bridge.md)");
  command->require_subcommand(1);
  auto schema_flags = std::make_shared<AgentsFlags>();
  auto* schema = command->add_subcommand(
      "schema",
      "Write the action group for an MCP server's tools (function details, OpenAPI or "
      "CloudFormation)");
  AddCommonFlags(schema, *schema_flags);
  schema
      ->add_option("--format", schema_flags->format,
                   "function-schema (functionSchema JSON), openapi (apiSchema payload), "
                   "cloudformation (an AWS::Bedrock::Agent template with function details) or "
                   "cloudformation-openapi (the same with the OpenAPI schema)")
      ->check(
          CLI::IsMember({"function-schema", "openapi", "cloudformation", "cloudformation-openapi"}))
      ->capture_default_str();
  schema->add_option("--output,-o", schema_flags->output, "Write here instead of stdout");
  schema
      ->add_option("--action-group-name", schema_flags->action_group_name,
                   "CloudFormation: the action group's name")
      ->capture_default_str();
  schema->add_option("--agent-name", schema_flags->agent_name, "CloudFormation: the agent's name")
      ->capture_default_str();

  auto lambda_flags = std::make_shared<AgentsFlags>();
  auto* lambda = command->add_subcommand(
      "lambda", "Serve Bedrock Agents action-group invocations as a Lambda custom runtime");
  AddCommonFlags(lambda, *lambda_flags);
  lambda
      ->add_option("--tool-error-state", lambda_flags->tool_error_state,
                   "responseState for a tool result with isError: reprompt (the model sees the "
                   "error and may retry) or failure (the turn fails)")
      ->check(CLI::IsMember({"reprompt", "failure"}))
      ->capture_default_str();
  lambda
      ->add_option("--max-response-bytes", lambda_flags->max_response_bytes,
                   "Longest response body; longer results are cut")
      ->check(CLI::Range(size_t{256}, size_t{6} << 20))
      ->capture_default_str();

  return {command, [schema, schema_flags, lambda, lambda_flags](const CommandContext& context) {
            if (schema->parsed()) return RunSchema(*schema_flags, context.env);
            if (lambda->parsed()) return RunLambda(*lambda_flags, context.env);
            return kExitUsage;
          }};
}

}  // namespace bedrock::app

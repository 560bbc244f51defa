// `bedrock-mcp chat`: the gateway's agent loop from the shell. Loads the same configuration file
// as `serve` (models, MCP servers, store, "chat" section), asks one question, prints the answer
// as it streams (stdout) and each tool call as it happens (stderr).
//
//   bedrock-mcp chat --config conf/config.json --server everything "add 2 and 3"
//
// Without --server the model gets the tools of every enabled global server of the configuration
// (servers that cannot start are skipped with a warning); with it, exactly the named ones.
//
// Exit codes: 0 the model finished its answer; 1 bad flags or configuration, unknown model or
// server, a server that cannot start; 3 the model or the gateway failed mid-answer; 4 the answer
// was cut short (max_tokens, a content filter or guardrail, MAX_TURNS); 130 interrupted (Ctrl-C).
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "gateway/chat.h"
#include "gateway/chat_history.h"
#include "gateway/chat_tools.h"
#include "gateway/gateway.h"
#include "main/command.h"
#include "main/serve_config.h"

namespace bedrock::app {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

struct ChatFlags {
  std::string config_path = "conf/config.json";
  std::optional<std::string> model;
  std::vector<std::string> servers;
  std::string user = "cli";
  std::optional<std::string> system;
  bool keep_session = false;
  bool yes = false;
  bool show_thinking = false;
  std::optional<int> max_tokens;
  std::string question;
};

constexpr int kExitOk = 0;
constexpr int kExitSetup = 1;
constexpr int kExitFailed = 3;
constexpr int kExitIncomplete = 4;
constexpr int kExitInterrupted = 130;

std::string Shorten(std::string text, size_t max) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > max) {
    text.resize(max);
    text += "…";
  }
  return text;
}

std::string ResultSummary(const agent::ToolCallRecord& call) {
  std::string text;
  int images = 0;
  for (const auto& item : call.result.content) {
    if (const auto* t = std::get_if<llm::TextBlock>(&item)) text += t->text + " ";
    if (const auto* j = std::get_if<llm::JsonBlock>(&item)) text += json::serialize(j->json) + " ";
    if (std::holds_alternative<llm::ImageBlock>(item)) ++images;
  }
  if (images > 0) text += fmt::format("[{} image{}]", images, images == 1 ? "" : "s");
  return Shorten(text, 200);
}

// Prints the run as it goes. Runs on the io thread; approvals are asked on a helper thread.
class Printer {
 public:
  Printer(const ChatFlags& flags, std::shared_ptr<agent::InMemoryApprovalBroker> broker)
      : flags_(flags), broker_(std::move(broker)) {}

  void OnEvent(const agent::AgentEvent& event) {
    if (const auto* text = std::get_if<agent::TextDeltaEvent>(&event)) {
      if (thinking_) {
        fmt::print(stderr, "\n");
        thinking_ = false;
      }
      fmt::print("{}", text->text);
      std::fflush(stdout);
      wrote_ = !text->text.empty() || wrote_;
    } else if (const auto* reasoning = std::get_if<agent::ReasoningDeltaEvent>(&event)) {
      if (!flags_.show_thinking || reasoning->kind != agent::ReasoningDeltaEvent::Kind::kText) {
        return;
      }
      if (!thinking_) fmt::print(stderr, "[thinking] ");
      thinking_ = true;
      fmt::print(stderr, "{}", reasoning->text);
    } else if (const auto* started = std::get_if<agent::ToolCallStartedEvent>(&event)) {
      const agent::ToolCallRecord& call = *started->call;
      EndLine();
      fmt::print(stderr, "→ {} {} {}\n", call.server_id.empty() ? "?" : call.server_id,
                 call.tool_name.empty() ? call.bedrock_name : call.tool_name,
                 Shorten(json::serialize(call.input), 300));
    } else if (const auto* finished = std::get_if<agent::ToolCallFinishedEvent>(&event)) {
      const agent::ToolCallRecord& call = *finished->call;
      fmt::print(stderr, "← {} {} {} ({} ms): {}\n", call.server_id, call.tool_name,
                 agent::ToolCallStatusName(call.status), call.duration.count(),
                 ResultSummary(call));
    } else if (const auto* pending = std::get_if<agent::ApprovalPendingEvent>(&event)) {
      Ask(pending->request);
    } else if (const auto* round = std::get_if<agent::ToolRoundEvent>(&event)) {
      (void)round;
    } else if (std::holds_alternative<agent::RunFinishedEvent>(event)) {
      EndLine();
    }
  }

 private:
  void EndLine() {
    if (wrote_) fmt::print("\n");
    std::fflush(stdout);
    wrote_ = false;
  }

  void Ask(const agent::ApprovalRequest& request) {
    std::string what = fmt::format("{} {} {}", request.server_id, request.tool_name,
                                   Shorten(json::serialize(request.input), 300));
    if (flags_.yes) {
      fmt::print(stderr, "approved (--yes): {}\n", what);
      broker_->Resolve(request.approval_id, agent::ApprovalVerdict::Approve());
      return;
    }
    if (!::isatty(STDIN_FILENO)) {
      fmt::print(stderr, "denied (no terminal to ask; use --yes): {}\n", what);
      broker_->Resolve(request.approval_id,
                       agent::ApprovalVerdict::Deny("no one was there to approve it"));
      return;
    }
    fmt::print(stderr, "Allow {}? [y/N] ", what);
    // Read the answer off the io thread (Resolve may be called from any thread). Detached: a run
    // that ends first (Ctrl-C, timeout) must not wait for a line that never comes.
    std::thread([broker = broker_, id = request.approval_id] {
      std::string line;
      std::getline(std::cin, line);
      bool yes = !line.empty() && (line[0] == 'y' || line[0] == 'Y');
      broker->Resolve(id, yes ? agent::ApprovalVerdict::Approve()
                              : agent::ApprovalVerdict::Deny("the user said no"));
    }).detach();
  }

  const ChatFlags& flags_;
  std::shared_ptr<agent::InMemoryApprovalBroker> broker_;
  bool wrote_ = false;
  bool thinking_ = false;
};

int ExitCodeFor(const agent::AgentResult& result) {
  switch (result.finish_reason) {
    case agent::FinishReason::kEndTurn:
    case agent::FinishReason::kStopSequence:
      return kExitOk;
    case agent::FinishReason::kMaxTokens:
    case agent::FinishReason::kContentFiltered:
    case agent::FinishReason::kGuardrailIntervened:
    case agent::FinishReason::kMaxTurns:
      return kExitIncomplete;
    case agent::FinishReason::kCancelled:
      return kExitInterrupted;
    default:
      return kExitFailed;
  }
}

asio::awaitable<int> Converse(const ChatFlags& flags, gateway::Gateway& gateway,
                              const gateway::ChatConfig& chat_config,
                              const gateway::ModelProviders& providers,
                              std::shared_ptr<agent::CancelToken> cancel) {
  const gateway::GatewayConfig& config = gateway.config();
  const gateway::ModelConfig* model =
      flags.model ? providers.FindModel(*flags.model)
                  : (config.models.empty() ? nullptr : providers.FindModel(config.models[0].id));
  if (model == nullptr) {
    std::string known;
    for (const auto& m : config.models) known += (known.empty() ? "" : ", ") + m.id;
    fmt::print(stderr, "bedrock-mcp chat: model '{}' is not in the configuration (models: {})\n",
               flags.model.value_or(""), known.empty() ? "none" : known);
    co_return kExitSetup;
  }
  auto provider = providers.Provider(model->id);
  if (!provider.ok()) {
    fmt::print(stderr, "bedrock-mcp chat: {}\n", provider.error().message());
    co_return kExitSetup;
  }
  auto user = co_await gateway.users().Get(flags.user);
  if (!user.ok()) {
    fmt::print(stderr, "bedrock-mcp chat: {}\n", user.error().message());
    co_return kExitSetup;
  }
  for (const std::string& id : flags.servers) {
    if (!(*user)->FindServer(id)) {
      std::string known;
      for (const auto& info : (*user)->ListServers())
        known += (known.empty() ? "" : ", ") + info.id;
      fmt::print(stderr, "bedrock-mcp chat: unknown MCP server '{}' (servers: {})\n", id,
                 known.empty() ? "none" : known);
      co_return kExitSetup;
    }
  }
  // Without --server, every enabled global server of the configuration; one that cannot start is
  // skipped with a warning (it was not asked for by name), so a broken entry does not stop chat.
  std::vector<std::string> servers = flags.servers;
  if (servers.empty()) {
    for (const gateway::ServerInfo& info : (*user)->ListServers()) {
      if (!info.global) continue;
      std::vector<std::string> one = {info.id};
      gateway::LoadedTools probe = co_await gateway::LoadRequestTools(*user, std::move(one));
      if (probe.error) {
        fmt::print(stderr, "bedrock-mcp chat: skipping MCP server '{}': {}\n", info.id,
                   probe.error->Describe());
        continue;
      }
      servers.push_back(info.id);
    }
  }
  gateway::LoadedTools tools = co_await gateway::LoadRequestTools(*user, servers);
  if (tools.error) {
    fmt::print(stderr, "bedrock-mcp chat: {}\n", tools.error->Describe());
    co_return kExitSetup;
  }

  gateway::ChatCompletionRequest request;
  request.model = model->id;
  request.stream = true;
  request.max_tokens = flags.max_tokens.value_or(chat_config.defaults.max_tokens);
  request.temperature = chat_config.defaults.temperature;
  request.budget_tokens = chat_config.defaults.budget_tokens;
  request.only_n_most_recent_images = chat_config.defaults.only_n_most_recent_images;
  if (flags.system) request.system.push_back(llm::TextBlock{*flags.system});
  request.messages.push_back(llm::Message::UserText(flags.question));
  agent::AgentRequest agent_request = gateway::BuildAgentRequest(request, *model, chat_config);
  agent_request.options.max_turns = config.limits.max_turns;
  if (flags.keep_session) {
    auto stored = co_await (*user)->LoadHistory("");
    if (stored.ok()) {
      auto messages = gateway::DecodeHistory(stored->messages);
      messages.push_back(llm::Message::UserText(flags.question));
      agent_request.chat.messages = std::move(messages);
      if (agent_request.chat.system.empty()) {
        agent_request.chat.system = gateway::DecodeSystem(stored->system_json);
      }
    }
  }
  std::vector<llm::SystemBlock> system = agent_request.chat.system;
  auto broker = std::make_shared<agent::InMemoryApprovalBroker>();
  auto printer = std::make_shared<Printer>(flags, broker);
  agent_request.tools = tools.catalog;
  agent_request.approvals = broker;
  agent_request.cancel = cancel;
  agent_request.sink = std::make_shared<agent::CallbackSink>(
      [printer](const agent::AgentEvent& event) { printer->OnEvent(event); });
  agent::AgentResult result = co_await agent::RunAgent(**provider, std::move(agent_request));
  if (flags.keep_session && !result.messages.empty()) {
    store::Conversation conversation;
    conversation.system_json = gateway::EncodeSystem(system);
    conversation.messages = gateway::EncodeHistory(result.messages);
    auto saved = co_await (*user)->SaveHistory("", std::move(conversation));
    if (!saved.ok()) {
      fmt::print(stderr, "bedrock-mcp chat: history not saved: {}\n", saved.error().message());
    }
  }
  if (result.finish_reason != agent::FinishReason::kEndTurn) {
    std::string why = result.error ? result.error->Describe()
                                   : std::string(agent::FinishReasonName(result.finish_reason));
    fmt::print(stderr, "bedrock-mcp chat: the answer ended early: {}\n", why);
  }
  fmt::print(stderr, "[{} model call{}, {} tool call{}, {} input + {} output tokens]\n",
             result.turns, result.turns == 1 ? "" : "s", result.tool_calls.size(),
             result.tool_calls.size() == 1 ? "" : "s", result.usage.input_tokens,
             result.usage.output_tokens);
  co_return ExitCodeFor(result);
}

int RunChat(const ChatFlags& flags, const CommandContext& context) {
  const core::Env& env = context.env;
  auto config = LoadServeConfig(flags.config_path, env);
  if (!config.ok()) {
    fmt::print(stderr, "bedrock-mcp chat: {}\n", config.error().message());
    return kExitSetup;
  }
  const gateway::ChatConfig& chat_config = config->chat;
  // Quiet by default: the answer and the tool calls are the output (the gateway's warnings about
  // API keys and the like concern `serve`).
  core::InitLogging({.level = context.log_level.value_or(core::LogLevel::kError),
                     .format = context.log_format.value_or(config->log_format)});
  auto providers =
      gateway::ModelProviders::Create(config->gateway.models, env, chat_config.model_threads);
  if (!providers.ok()) {
    fmt::print(stderr, "bedrock-mcp chat: {}\n", providers.error().message());
    return kExitSetup;
  }
  gateway::GatewayOptions options(std::move(config->gateway));
  auto gateway = gateway::Gateway::Create(std::move(options));
  if (!gateway.ok()) {
    fmt::print(stderr, "bedrock-mcp chat: {}\n", gateway.error().message());
    return kExitSetup;
  }
  (*gateway)->Start();

  asio::io_context io;
  auto cancel = std::make_shared<agent::CancelToken>();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool interrupted = false;
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    interrupted = true;
    cancel->Cancel("interrupted");
  });
  int code = kExitFailed;
  asio::co_spawn(io, Converse(flags, **gateway, chat_config, **providers, cancel),
                 [&](std::exception_ptr error, int result) {
                   code = error ? kExitFailed : result;
                   signals.cancel();
                 });
  io.run();
  (*gateway)->Shutdown(std::chrono::seconds(5));
  if (interrupted) return kExitInterrupted;
  return code;
}

}  // namespace

Command AddChatCommand(CLI::App& app) {
  auto flags = std::make_shared<ChatFlags>();
  auto* chat = app.add_subcommand(
      "chat", "Ask a question through the agent loop, with the configured models and MCP servers");
  chat->add_option("--config", flags->config_path, "Configuration file (the same as serve's)")
      ->capture_default_str();
  chat->add_option("--model", flags->model, "Model id (default: the first configured model)");
  chat->add_option("--server", flags->servers,
                   "MCP server whose tools the model may use (repeatable; default: every enabled "
                   "global server of the configuration)");
  chat->add_option("--user", flags->user, "User whose servers and history to use")
      ->capture_default_str();
  chat->add_option("--system", flags->system, "System prompt");
  chat->add_flag("--keep-session", flags->keep_session,
                 "Continue the user's stored conversation (and save this turn to it)");
  chat->add_flag("--yes,-y", flags->yes, "Approve every tool call that needs approval");
  chat->add_flag("--show-thinking", flags->show_thinking, "Print the model's reasoning (stderr)");
  chat->add_option("--max-tokens", flags->max_tokens, "Output token limit per model call");
  chat->add_option("question", flags->question, "The question")->required();
  return {chat, [flags](const CommandContext& context) { return RunChat(*flags, context); }};
}

}  // namespace bedrock::app

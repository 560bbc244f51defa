// The chat endpoint: POST /v1/chat/completions (streamed and not) with the agentic tool loop,
// POST /v1/stop/stream/{stream_id} and POST /v1/approve/{approval_id}. The contract is the demo's
// (../shared/reference/demo-api.md §4-8) plus a clean OpenAI style; README.md "Chat API" has the
// user-facing description.
//
//   auto chat = gateway::ChatService::Create(gateway::ChatServiceOptions(
//       &gateway->config(), chat_config, &gateway->users(), &gateway->api(), &env));
//   (*chat)->AddRoutes(router);
//   ... serve ...
//   (*chat)->Shutdown();          // running streams are stopped (before the HTTP server drains)
//
// A request goes: authentication and user setup (Api::WithUser) -> parse (chat_request.h) ->
// check the model and server ids (4xx with errno/msg before anything starts) -> for a stream,
// the head with X-Stream-ID at once, then: the conversation lock (keep_session), the servers
// started and their tools listed (chat_tools.h), the stored history, the agent run writing
// chunks as it goes (chat_stream.h), the history saved, and only then the last chunks ([DONE]),
// so a client that has seen [DONE] always finds the turn in the history.
//
// Decisions (see README.md):
//  - Errors before a stream starts are real HTTP statuses with a JSON body carrying errno/msg
//    (400 body not JSON, 413 too large, 422 a bad field, 404 unknown model, 400 unknown server id,
//    401/403 authentication), never the demo's "200 + errno 422": both the demo's UI proxy and
//    ours read JSON error bodies. Errors once streaming are in-stream chunks naming their source.
//  - keep_session: true prepends the stored history (and reuses the stored system prompt unless
//    the request has one); false starts from the request's messages only (the stored history is
//    replaced, as the demo clears it). Every request, streamed or not, saves the whole
//    conversation afterwards, also after a stop, a disconnect or an error (the agent keeps it
//    well-formed). A user's keep_session requests on one conversation run one after another
//    (ConversationLocks); requests without keep_session never wait and replace the history with
//    a full snapshot when they end (last writer wins).
//  - Stop and client disconnect cancel the run through its CancelToken: the model stream is
//    closed and in-flight MCP calls are cancelled at once.
//
// Thread-safety: handlers run on the HTTP server's threads; each request's run lives on its
// connection's thread. Everything shared (streams, approvals, locks, providers) is synchronised.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent.h"
#include "core/config.h"
#include "core/env.h"
#include "core/result.h"
#include "gateway/api.h"
#include "gateway/approvals.h"
#include "gateway/chat_history.h"
#include "gateway/chat_request.h"
#include "gateway/config.h"
#include "gateway/streams.h"
#include "gateway/users.h"
#include "http/client.h"
#include "http/router.h"
#include "llm/provider.h"

namespace bedrock::gateway {

// The "chat" section of the configuration file.
struct ChatConfig {
  // "demo" (default: what the demo's clients and web UI parse) or "openai". Per request:
  // header X-Response-Style or body field response_style.
  ResponseStyle response_style = ResponseStyle::kDemo;
  ChatDefaults defaults;  // max_tokens, temperature, budget_tokens, only_n_most_recent_images,
                          // max_request_bytes
  // Upper bound of one tool call (a server's call_timeout_ms applies when shorter).
  std::chrono::milliseconds tool_timeout{120'000};
  std::chrono::milliseconds approval_timeout{300'000};
  size_t max_tool_result_chars = 100'000;
  // Conversation budget sent to the model, in characters (oldest turns dropped first). 0: none.
  size_t max_history_chars = 600'000;
  // Older tool results are compacted before each model call (agent::CompactToolResults): the
  // newest keep_whole_tool_results stay whole, older ones keep compacted_tool_result_chars
  // characters and a marker (the demo's 10 and 1000). 0 chars: never compact.
  size_t keep_whole_tool_results = 10;
  size_t compacted_tool_result_chars = 1'000;
  // Extra model calls per request that continue an answer cut by max_tokens (the demo continues
  // it; 0: the answer ends with finish_reason max_tokens / length).
  int max_continuations = 0;
  // Model ids (globs) for which extra_params.enable_thinking turns on extended thinking.
  std::vector<std::string> thinking_models = {"*claude-3-7-sonnet*", "*claude-sonnet-4*",
                                              "*claude-opus-4*", "*claude-haiku-4*"};
  int model_threads = 1;  // threads doing model I/O
};

// Reads the optional "chat" section of `root` (unknown keys are errors).
core::Result<ChatConfig> ChatConfigFromDocument(const core::ConfigNode& root);

// The chat model behind each configured model id.
class ModelProviders {
 public:
  using Factory =
      std::function<core::Result<std::shared_ptr<llm::ChatProvider>>(const ModelConfig& model)>;

  // Real providers: Bedrock (region: the model's, else AWS_REGION / AWS_DEFAULT_REGION, else
  // us-east-1; endpoint AWS_ENDPOINT_URL_BEDROCK_RUNTIME; credentials from the default chain, or
  // the AWS_BEARER_TOKEN_BEDROCK API key) and OpenAI-compatible (base_url, key from
  // api_key_env). A model whose provider cannot be built is reported when it is used.
  // `env` must outlive the result.
  static core::Result<std::unique_ptr<ModelProviders>> Create(
      const std::vector<ModelConfig>& models, const core::Env& env, int threads = 1);
  // Providers from a factory (tests).
  static std::unique_ptr<ModelProviders> FromFactory(const std::vector<ModelConfig>& models,
                                                     const Factory& factory);
  ~ModelProviders();

  // The model's configuration, or null when `model_id` is not configured.
  const ModelConfig* FindModel(std::string_view model_id) const;
  // Its provider, or why there is none. Its I/O runs on the providers' own threads.
  core::Result<llm::ChatProvider*> Provider(std::string_view model_id) const;
  // Its provider with connections on `executor`'s execution context (for real providers; from a
  // factory, the shared one): a request on an HTTP server thread then does its model I/O on that
  // thread, without a thread hop per stream read. Each context gets its own connection pool.
  // The result keeps what it needs alive; until ReleaseContexts the providers keep it too.
  core::Result<std::shared_ptr<llm::ChatProvider>> ProviderOn(
      std::string_view model_id, const boost::asio::any_io_executor& executor);
  // Forgets the per-context providers (requests still holding one keep it) and hands out the
  // shared ones from now on. Call before the execution contexts they use are destroyed (e.g.
  // before the HTTP server stops).
  void ReleaseContexts();

 private:
  struct Threads;
  struct Entry {
    ModelConfig config;
    std::shared_ptr<llm::ChatProvider> provider;
    std::optional<core::Error> error;
  };
  // Builds a provider for `model` over `client` (Create's providers only).
  using ClientFactory = std::function<core::Result<std::shared_ptr<llm::ChatProvider>>(
      const ModelConfig& model, http::Client& client)>;
  struct ContextProviders;
  ModelProviders() = default;
  std::unique_ptr<Threads> threads_;  // declared first: destroyed after the providers
  std::map<std::string, Entry, std::less<>> models_;
  ClientFactory client_factory_;  // null: ProviderOn hands out the shared providers
  std::mutex contexts_mutex_;
  bool contexts_released_ = false;                                     // guarded
  std::map<const void*, std::shared_ptr<ContextProviders>> contexts_;  // guarded
};

// One chat request in flight (chat.cc).
struct ChatJob;

// Not an aggregate (movable into Create).
struct ChatServiceOptions {
  ChatServiceOptions() {}
  ChatServiceOptions(const GatewayConfig* gateway_config, ChatConfig chat_config,
                     UserRegistry* user_registry, const Api* gateway_api)
      : config(gateway_config),
        chat(std::move(chat_config)),
        users(user_registry),
        api(gateway_api) {}

  const GatewayConfig* config = nullptr;  // must outlive the service
  ChatConfig chat;
  UserRegistry* users = nullptr;  // must outlive the service
  const Api* api = nullptr;       // must outlive the service (auth, CORS, user setup)
  // Null: ModelProviders::Create over `env`.
  std::unique_ptr<ModelProviders> providers;
  const core::Env* env = nullptr;   // for ModelProviders::Create; must outlive the service
  std::function<int64_t()> now_ns;  // ids and timestamps; null: the system clock
};

class ChatService {
 public:
  static core::Result<std::unique_ptr<ChatService>> Create(ChatServiceOptions options);
  ~ChatService();
  ChatService(const ChatService&) = delete;
  ChatService& operator=(const ChatService&) = delete;

  // POST /v1/chat/completions, POST /v1/stop/stream/{stream_id}, POST /v1/approve/{approval_id}.
  void AddRoutes(http::Router& router);

  // Stops every running stream (their runs end promptly and save their history). Call before
  // stopping the HTTP server so its drain does not wait for long answers.
  void Shutdown();

  StreamRegistry& streams() { return streams_; }
  ApprovalCenter& approvals() { return approvals_; }
  const ChatConfig& chat_config() const { return options_.chat; }

 private:
  explicit ChatService(ChatServiceOptions options);

  boost::asio::awaitable<http::Response> Complete(http::RequestContext& context,
                                                  const Principal& principal,
                                                  std::shared_ptr<UserSession> user);
  boost::asio::awaitable<http::Response> StopStream(http::RequestContext& context,
                                                    const Principal& principal);
  boost::asio::awaitable<http::Response> Approve(http::RequestContext& context,
                                                 const Principal& principal);
  // The whole run of one request; `emit` gets the chunk payloads (may be null: not streamed).
  boost::asio::awaitable<void> Execute(std::shared_ptr<ChatJob> job);

  ChatServiceOptions options_;
  StreamRegistry streams_;
  ApprovalCenter approvals_;
  ConversationLocks locks_;
};

// The agent request for a parsed chat request (model settings, thinking, system prompt and
// messages; tools and sinks are the caller's).
agent::AgentRequest BuildAgentRequest(const ChatCompletionRequest& request,
                                      const ModelConfig& model, const ChatConfig& config);

}  // namespace bedrock::gateway

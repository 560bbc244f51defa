#include "gateway/chat.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "agent/tool_catalog.h"
#include "aws/credential_providers.h"
#include "core/clock.h"
#include "core/log.h"
#include "gateway/chat_stream.h"
#include "gateway/chat_tools.h"
#include "llm/bedrock_provider.h"
#include "llm/openai_provider.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;
constexpr std::string_view kComponent = "chat";

void NoCache(http::Response& response) {
  response.headers.Set("Cache-Control", "no-cache, no-store, must-revalidate");
  response.headers.Set("Pragma", "no-cache");
  response.headers.Set("Expires", "0");
}

// An error reply in the gateway's format (api.h), plus who failed for errors of a run.
http::Response ChatErrorResponse(int status, const core::Error& error,
                                 std::optional<agent::ErrorSource> source = std::nullopt,
                                 std::string_view server_id = {}) {
  http::Response response = ErrorResponse(status, error);
  if (!source) return response;
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  if (ec || !body.is_object()) return response;
  json::object& error_object = body.as_object()["error"].as_object();
  error_object["source"] = agent::ErrorSourceName(*source);
  if (!server_id.empty()) error_object["server_id"] = server_id;
  response.body = json::serialize(body);
  return response;
}

// 422 for a field of the wrong type or value (the demo's errno for validation errors); the
// parser's other errors keep their own status (400 not JSON, 413 too large).
http::Response ParseErrorResponse(const core::Error& error) {
  if (error.code() == core::ErrorCode::kFailedPrecondition) return ErrorResponse(422, error);
  return ErrorResponse(error);
}

http::Response RunErrorResponse(const agent::AgentError& error) {
  int status = core::HttpStatusFor(error.error.code());
  if (error.source == agent::ErrorSource::kMcpServer && status < 500) status = 502;
  return ChatErrorResponse(status, core::Error(error.error.code(), error.Describe()), error.source,
                           error.server_id);
}

bool MatchesAny(const std::vector<std::string>& patterns, std::string_view name) {
  for (const auto& pattern : patterns) {
    if (agent::MatchesToolPattern(pattern, name)) return true;
  }
  return false;
}

// Waits until `cancelled` completes, then cancels the run, then waits to be cancelled itself
// (by the || in the caller, when the run has ended).
template <typename Waitable>
asio::awaitable<void> CancelWhenGone(Waitable& waitable,
                                     std::shared_ptr<agent::CancelToken> cancel) {
  co_await waitable.WaitCancelled();
  cancel->Cancel("the client went away");
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  (void)co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

// --- Configuration ---

core::Result<ChatConfig> ChatConfigFromDocument(const core::ConfigNode& root) {
  ChatConfig config;
  auto section = BEDROCK_TRY(root.OptionalObject("chat"));
  if (!section) return config;
  const core::ConfigNode& chat = *section;
  BEDROCK_TRY(chat.RejectUnknownKeys(
      {"response_style", "max_tokens", "temperature", "budget_tokens", "only_n_most_recent_images",
       "max_request_bytes", "tool_timeout_ms", "approval_timeout_ms", "max_tool_result_chars",
       "max_history_chars", "keep_whole_tool_results", "compacted_tool_result_chars",
       "max_continuations", "thinking_models", "model_threads"}));
  if (auto style = BEDROCK_TRY(chat.OptionalString("response_style"))) {
    auto parsed = ResponseStyleFromName(*style);
    if (!parsed)
      return BEDROCK_TRY(chat.Get("response_style")).Fail("expected \"demo\" or \"openai\"");
    config.response_style = *parsed;
  }
  auto int_in = [&](std::string_view key, int64_t min, int64_t max) {
    return chat.Has(key) ? chat.GetIntInRange(key, min, max)
                         : core::Result<int64_t>(core::Error::NotFound("absent"));
  };
  if (chat.Has("max_tokens"))
    config.defaults.max_tokens = int(BEDROCK_TRY(int_in("max_tokens", 1, 1'000'000)));
  if (auto temperature = BEDROCK_TRY(chat.OptionalNumber("temperature"))) {
    config.defaults.temperature = *temperature;
  }
  if (chat.Has("budget_tokens")) {
    config.defaults.budget_tokens = int(BEDROCK_TRY(int_in("budget_tokens", 1, 1'000'000)));
  }
  if (chat.Has("only_n_most_recent_images")) {
    config.defaults.only_n_most_recent_images =
        size_t(BEDROCK_TRY(int_in("only_n_most_recent_images", 0, 1'000'000)));
  }
  if (chat.Has("max_request_bytes")) {
    config.defaults.max_request_bytes =
        size_t(BEDROCK_TRY(int_in("max_request_bytes", 1024, int64_t(1) << 32)));
  }
  if (chat.Has("tool_timeout_ms")) {
    config.tool_timeout =
        std::chrono::milliseconds(BEDROCK_TRY(int_in("tool_timeout_ms", 1, 86'400'000)));
  }
  if (chat.Has("approval_timeout_ms")) {
    config.approval_timeout =
        std::chrono::milliseconds(BEDROCK_TRY(int_in("approval_timeout_ms", 1, 86'400'000)));
  }
  if (chat.Has("max_tool_result_chars")) {
    config.max_tool_result_chars =
        size_t(BEDROCK_TRY(int_in("max_tool_result_chars", 0, int64_t(1) << 32)));
  }
  if (chat.Has("max_history_chars")) {
    config.max_history_chars =
        size_t(BEDROCK_TRY(int_in("max_history_chars", 0, int64_t(1) << 32)));
  }
  if (chat.Has("keep_whole_tool_results")) {
    config.keep_whole_tool_results =
        size_t(BEDROCK_TRY(int_in("keep_whole_tool_results", 0, 1'000'000)));
  }
  if (chat.Has("compacted_tool_result_chars")) {
    config.compacted_tool_result_chars =
        size_t(BEDROCK_TRY(int_in("compacted_tool_result_chars", 0, int64_t(1) << 32)));
  }
  if (chat.Has("max_continuations")) {
    config.max_continuations = int(BEDROCK_TRY(int_in("max_continuations", 0, 100)));
  }
  if (auto models = BEDROCK_TRY(chat.OptionalStringArray("thinking_models"))) {
    config.thinking_models = std::move(*models);
  }
  if (chat.Has("model_threads"))
    config.model_threads = int(BEDROCK_TRY(int_in("model_threads", 1, 64)));
  return config;
}

// --- Providers ---

struct ModelProviders::Threads {
  explicit Threads(int count) : work(asio::make_work_guard(io)) {
    for (int i = 0; i < std::max(1, count); ++i) threads.emplace_back([this] { io.run(); });
  }
  ~Threads() {
    work.reset();
    io.stop();
    for (auto& thread : threads) thread.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

ModelProviders::~ModelProviders() { models_.clear(); }

std::unique_ptr<ModelProviders> ModelProviders::FromFactory(const std::vector<ModelConfig>& models,
                                                            const Factory& factory) {
  std::unique_ptr<ModelProviders> out(new ModelProviders());
  for (const ModelConfig& model : models) {
    Entry entry;
    entry.config = model;
    auto provider = factory(model);
    if (provider.ok()) {
      entry.provider = std::move(*provider);
    } else {
      entry.error = provider.error();
    }
    out->models_.emplace(model.id, std::move(entry));
  }
  return out;
}

namespace {

// Every chat request in flight holds a model connection: keep enough of them for a busy gateway
// instead of reconnecting (the client's default keeps 8 idle per origin).
http::ClientOptions ModelClientOptions() {
  http::ClientOptions options;
  options.max_idle_per_origin = 256;
  return options;
}

}  // namespace

// One execution context's clients: a connection pool on that context and the providers over it.
struct ModelProviders::ContextProviders {
  explicit ContextProviders(http::Client pool) : client(std::move(pool)) {}
  http::Client client;
  std::map<std::string, std::shared_ptr<llm::ChatProvider>, std::less<>> by_model;
};

core::Result<std::unique_ptr<ModelProviders>> ModelProviders::Create(
    const std::vector<ModelConfig>& models, const core::Env& env, int threads) {
  auto owned = std::make_unique<Threads>(threads);
  auto client = http::Client::Create(owned->io.get_executor(), ModelClientOptions());
  if (!client.ok()) return client.error();
  // One credentials chain for every provider, fetched and refreshed on the providers' own thread
  // (providers on other threads await it there).
  std::shared_ptr<aws::DefaultCredentialsProvider> credentials;
  bool bedrock = std::any_of(models.begin(), models.end(), [](const ModelConfig& model) {
    return model.provider != ModelProvider::kOpenAiCompatible;
  });
  auto from_env = llm::BedrockOptionsFromEnv(env);
  if (bedrock && from_env.ok() && from_env->bearer_token.empty()) {
    aws::ProviderContext context(*client, env, core::SystemClock::Instance());
    credentials = aws::DefaultCredentialsProvider::Create(owned->io.get_executor(), context);
  }
  const core::Env* environment = &env;
  ClientFactory make = [environment, credentials](
                           const ModelConfig& model,
                           http::Client& pool) -> core::Result<std::shared_ptr<llm::ChatProvider>> {
    if (model.provider == ModelProvider::kOpenAiCompatible) {
      llm::OpenAiOptions options;
      options.base_url = model.base_url;
      if (!model.api_key_env.empty()) {
        options.api_key = environment->Get(model.api_key_env).value_or("");
      }
      auto provider = BEDROCK_TRY(llm::OpenAiProvider::Create(pool, std::move(options)));
      return std::shared_ptr<llm::ChatProvider>(std::move(provider));
    }
    auto options = BEDROCK_TRY(llm::BedrockOptionsFromEnv(*environment));
    if (!model.region.empty()) options.region = model.region;
    if (options.region.empty()) options.region = "us-east-1";
    if (options.bearer_token.empty()) {
      if (!credentials) {
        return core::Error::FailedPrecondition("no AWS credentials chain for model '{}'", model.id);
      }
      options.credentials = credentials->AsFunction();
    }
    auto provider = BEDROCK_TRY(llm::BedrockProvider::Create(pool, std::move(options)));
    return std::shared_ptr<llm::ChatProvider>(std::move(provider));
  };
  Factory factory = [&](const ModelConfig& model) { return make(model, *client); };
  auto out = FromFactory(models, factory);
  out->threads_ = std::move(owned);
  out->client_factory_ = std::move(make);
  for (const auto& [id, entry] : out->models_) {
    if (entry.error) {
      BEDROCK_LOG_WARN(kComponent, "model not usable",
                       {{"model", id}, {"error", entry.error->message()}});
    }
  }
  return out;
}

core::Result<std::shared_ptr<llm::ChatProvider>> ModelProviders::ProviderOn(
    std::string_view model_id, const asio::any_io_executor& executor) {
  auto it = models_.find(model_id);
  if (it == models_.end()) return core::Error::NotFound("model '{}' is not configured", model_id);
  const Entry& entry = it->second;
  if (entry.error) {
    return entry.error->WithContext(fmt::format("model '{}' is not usable", model_id));
  }
  if (!client_factory_ || !executor) return entry.provider;
  const void* context = &asio::query(executor, asio::execution::context);
  std::lock_guard lock(contexts_mutex_);
  if (contexts_released_) return entry.provider;
  std::shared_ptr<ContextProviders>& slot = contexts_[context];
  if (!slot) {
    auto pool = http::Client::Create(executor, ModelClientOptions());
    if (!pool.ok()) {
      contexts_.erase(context);
      return entry.provider;
    }
    slot = std::make_shared<ContextProviders>(std::move(*pool));
  }
  std::shared_ptr<llm::ChatProvider>& provider = slot->by_model[entry.config.id];
  if (!provider) {
    auto made = client_factory_(entry.config, slot->client);
    if (!made.ok()) {
      slot->by_model.erase(entry.config.id);
      return entry.provider;  // built once already, so this cannot really fail: the shared one
    }
    provider = std::move(*made);
  }
  return provider;
}

void ModelProviders::ReleaseContexts() {
  std::map<const void*, std::shared_ptr<ContextProviders>> released;
  {
    std::lock_guard lock(contexts_mutex_);
    contexts_released_ = true;
    released.swap(contexts_);
  }
}

const ModelConfig* ModelProviders::FindModel(std::string_view model_id) const {
  auto it = models_.find(model_id);
  return it == models_.end() ? nullptr : &it->second.config;
}

core::Result<llm::ChatProvider*> ModelProviders::Provider(std::string_view model_id) const {
  auto it = models_.find(model_id);
  if (it == models_.end()) return core::Error::NotFound("model '{}' is not configured", model_id);
  if (it->second.error) {
    return it->second.error->WithContext(fmt::format("model '{}' is not usable", model_id));
  }
  return it->second.provider.get();
}

// --- The agent request ---

agent::AgentRequest BuildAgentRequest(const ChatCompletionRequest& request,
                                      const ModelConfig& model, const ChatConfig& config) {
  agent::AgentRequest out;
  llm::ChatRequest& chat = out.chat;
  chat.model_id = model.id;
  chat.system = request.system;
  chat.messages = request.messages;
  chat.inference.max_tokens = request.max_tokens;
  chat.inference.temperature = request.temperature;
  chat.inference.top_p = request.top_p;
  chat.inference.stop_sequences = request.stop;
  bool thinking = request.enable_thinking && model.provider == ModelProvider::kBedrock &&
                  MatchesAny(config.thinking_models, model.id);
  if (thinking) {
    // The demo's settings: Bedrock's reasoning_config, temperature 1 (required with thinking),
    // room for the budget plus an answer.
    json::object fields{
        {"reasoning_config",
         json::object{{"type", "enabled"}, {"budget_tokens", request.budget_tokens}}}};
    if (model.id.find("claude-sonnet-4") != std::string::npos ||
        model.id.find("claude-opus-4") != std::string::npos) {
      fields["anthropic_beta"] = json::array{"interleaved-thinking-2025-05-14"};
    }
    chat.additional_model_request_fields = std::move(fields);
    chat.inference.temperature = 1.0;
    chat.inference.top_p.reset();
    int room = request.budget_tokens + (request.stream ? 2048 : 1);
    chat.inference.max_tokens = std::max(room, request.max_tokens);
  }
  out.options.stream = request.stream;
  out.options.tool_timeout = config.tool_timeout;
  out.options.approval_timeout = config.approval_timeout;
  out.options.max_tool_result_chars = config.max_tool_result_chars;
  out.options.only_n_most_recent_images = request.only_n_most_recent_images;
  out.options.max_history_chars = config.max_history_chars;
  out.options.keep_whole_tool_results = config.keep_whole_tool_results;
  out.options.compacted_tool_result_chars = config.compacted_tool_result_chars;
  out.options.max_continuations = config.max_continuations;
  return out;
}

// --- The service ---

// One chat request, shared by its handler, its stream producer and its sink.
struct ChatJob {
  ChatCompletionRequest request;
  ResponseStyle style = ResponseStyle::kDemo;
  ModelConfig model;
  std::shared_ptr<llm::ChatProvider> provider;
  std::shared_ptr<UserSession> user;
  std::shared_ptr<agent::CancelToken> cancel;
  std::shared_ptr<ChatStreamHandle> handle;  // streamed requests only
  std::unique_ptr<ChunkWriter> writer;       // streamed requests only
  http::StreamWriter* out = nullptr;         // streamed requests only, while producing

  std::optional<agent::AgentError> setup_error;  // the run could not start
  std::optional<agent::AgentResult> result;      // the run's outcome
  // Payloads held back from the end of the run until the history is saved.
  std::vector<std::string> deferred;
  bool holding = false;

  // Writes payloads as SSE `data:` lines, in one write.
  asio::awaitable<core::Status> Write(const std::vector<std::string>& payloads) {
    if (payloads.empty()) co_return core::OkStatus();
    std::string data;
    for (const std::string& payload : payloads) {
      data += "data: ";
      data += payload;
      data += "\n\n";
    }
    co_return co_await out->Write(data);
  }
};

namespace {

// Writes a run's events to the client as they come; the end of the run is held back (see Job).
class StreamSink final : public agent::EventSink {
 public:
  explicit StreamSink(ChatJob* job) : job_(job) {}
  asio::awaitable<core::Status> OnEvent(const agent::AgentEvent& event) override;

 private:
  ChatJob* job_;  // outlives the run
};

}  // namespace

asio::awaitable<core::Status> StreamSink::OnEvent(const agent::AgentEvent& event) {
  std::vector<std::string> payloads;
  job_->writer->OnEvent(event, payloads);
  if (const auto* finished = std::get_if<agent::RunFinishedEvent>(&event)) {
    job_->holding = true;
    if (finished->reason == agent::FinishReason::kCancelled && job_->handle->stop_requested()) {
      job_->writer->Stopped(payloads);
    }
  }
  std::vector<std::string> now;
  for (std::string& payload : payloads) {
    if (payload == "[DONE]") job_->holding = true;
    (job_->holding ? job_->deferred : now).push_back(std::move(payload));
  }
  co_return co_await job_->Write(now);
}

ChatService::ChatService(ChatServiceOptions options)
    : options_(std::move(options)), streams_(options_.now_ns) {}

ChatService::~ChatService() { Shutdown(); }

core::Result<std::unique_ptr<ChatService>> ChatService::Create(ChatServiceOptions options) {
  if (options.config == nullptr || options.users == nullptr || options.api == nullptr) {
    return core::Error::InvalidArgument("ChatService needs the gateway's config, users and api");
  }
  if (!options.providers) {
    if (options.env == nullptr) {
      return core::Error::InvalidArgument("ChatService needs an environment or providers");
    }
    options.providers = BEDROCK_TRY(
        ModelProviders::Create(options.config->models, *options.env, options.chat.model_threads));
  }
  return std::unique_ptr<ChatService>(new ChatService(std::move(options)));
}

void ChatService::Shutdown() {
  streams_.StopAll("the gateway is shutting down");
  // Their connection pools live on the HTTP server's threads, which stop next.
  options_.providers->ReleaseContexts();
}

void ChatService::AddRoutes(http::Router& router) {
  const Api& api = *options_.api;
  router.Post("/v1/chat/completions",
              api.WithUser([this](http::RequestContext& context, const Principal& principal,
                                  std::shared_ptr<UserSession> user) {
                return Complete(context, principal, std::move(user));
              }));
  router.Post("/v1/stop/stream/{stream_id}",
              api.WithAuth([this](http::RequestContext& context, const Principal& principal) {
                return StopStream(context, principal);
              }));
  router.Post("/v1/approve/{approval_id}",
              api.WithAuth([this](http::RequestContext& context, const Principal& principal) {
                return Approve(context, principal);
              }));
}

asio::awaitable<http::Response> ChatService::StopStream(http::RequestContext& context,
                                                        const Principal& principal) {
  std::string id(context.PathParam("stream_id").value_or(""));
  auto result = streams_.Stop(principal.user_id, id);
  json::object body;
  if (result == StreamRegistry::StopResult::kStopping) {
    BEDROCK_LOG_INFO(kComponent, "stream stop requested",
                     {{"user", principal.user_id}, {"stream", id}});
    body = json::object{{"errno", 0}, {"msg", "Stream stopping initiated"}};
  } else {
    body = json::object{{"errno", -1}, {"msg", "Not authorized to stop this stream"}};
  }
  auto response = http::Response::Json(200, json::serialize(body));
  NoCache(response);
  co_return response;
}

asio::awaitable<http::Response> ChatService::Approve(http::RequestContext& context,
                                                     const Principal& principal) {
  std::string id(context.PathParam("approval_id").value_or(""));
  auto verdict = ParseApprovalBody(context.request().body);
  if (!verdict.ok()) co_return ParseErrorResponse(verdict.error());
  bool approved = verdict->approved;
  if (!approvals_.Resolve(principal.user_id, id, std::move(*verdict))) {
    co_return ErrorResponse(core::Error::NotFound(
        "no pending approval '{}' for this user (it may have timed out or been answered)", id));
  }
  BEDROCK_LOG_INFO(kComponent, "tool call approval answered",
                   {{"user", principal.user_id}, {"approval", id}, {"approved", approved}});
  json::object body{{"errno", 0},
                    {"msg", approved ? "approved" : "denied"},
                    {"data", json::object{{"id", id}, {"approved", approved}}}};
  auto response = http::Response::Json(200, json::serialize(body));
  NoCache(response);
  co_return response;
}

asio::awaitable<http::Response> ChatService::Complete(http::RequestContext& context,
                                                      const Principal& principal,
                                                      std::shared_ptr<UserSession> user) {
  const ChatConfig& config = options_.chat;
  auto parsed = ParseChatRequest(context.request().body, config.defaults);
  if (!parsed.ok()) co_return ParseErrorResponse(parsed.error());

  auto job = std::make_shared<ChatJob>();
  job->request = std::move(*parsed);
  ChatCompletionRequest& request = job->request;
  job->style = config.response_style;
  if (auto header = context.request().headers.Get("X-Response-Style")) {
    auto style = ResponseStyleFromName(*header);
    if (!style) {
      co_return ErrorResponse(422, core::Error::FailedPrecondition(
                                       "header X-Response-Style: expected 'demo' or 'openai'"));
    }
    job->style = *style;
  }
  if (request.response_style) job->style = *request.response_style;

  const ModelConfig* model = options_.providers->FindModel(request.model);
  if (model == nullptr) {
    co_return ErrorResponse(core::Error::NotFound(
        "model '{}' is not configured on this gateway (GET /v1/models lists the models)",
        request.model));
  }
  job->model = *model;
  // The model's connections on this request's own thread (no thread hop per stream read).
  auto provider = options_.providers->ProviderOn(request.model, co_await asio::this_coro::executor);
  if (!provider.ok()) {
    co_return ChatErrorResponse(503, provider.error(), agent::ErrorSource::kModel);
  }
  job->provider = std::move(*provider);
  for (const std::string& id : request.mcp_server_ids) {
    if (!user->FindServer(id)) {
      std::string known;
      for (const ServerInfo& info : user->ListServers()) {
        known += known.empty() ? "" : ", ";
        known += info.id;
      }
      co_return ErrorResponse(core::Error::InvalidArgument(
          "mcp_server_ids: unknown MCP server id '{}' (this user's servers: {})", id,
          known.empty() ? "none" : known));
    }
  }
  job->user = std::move(user);

  ChunkOptions chunk_options;
  chunk_options.model = request.model;
  chunk_options.include_usage = request.include_usage;
  chunk_options.now_ns = options_.now_ns;
  bool nothing_to_answer = request.messages_empty || request.messages.empty();

  if (!request.stream) {
    if (nothing_to_answer) {
      co_return http::Response::Json(200, EmptyCompletionBody(job->style, chunk_options));
    }
    job->cancel = std::make_shared<agent::CancelToken>();
    co_await (Execute(job) || CancelWhenGone(context, job->cancel));
    if (job->setup_error) co_return RunErrorResponse(*job->setup_error);
    if (!job->result) {
      co_return ErrorResponse(core::Error::Cancelled("the request was cancelled"));
    }
    if (job->result->error && job->result->finish_reason != agent::FinishReason::kCancelled) {
      co_return RunErrorResponse(*job->result->error);
    }
    if (job->result->finish_reason == agent::FinishReason::kCancelled) {
      co_return ErrorResponse(core::Error::Cancelled("the request was cancelled"));
    }
    co_return http::Response::Json(200, CompletionBody(job->style, *job->result, chunk_options));
  }

  job->handle = streams_.Register(principal.user_id);
  job->cancel = job->handle->cancel_token();
  job->writer = MakeChunkWriter(job->style, std::move(chunk_options));
  std::string stream_id = job->handle->id();
  // The producer (and so `job`) lives until the body is finished; `this` outlives every response
  // (the service is destroyed after the HTTP server stopped).
  http::Response response = http::EventStreamResponse(
      [this, job, nothing_to_answer](http::StreamWriter& out) -> asio::awaitable<core::Status> {
        job->out = &out;
        std::vector<std::string> tail;
        if (nothing_to_answer) {
          job->writer->Empty(tail);
        } else {
          co_await (Execute(job) || CancelWhenGone(out, job->cancel));
          tail = std::move(job->deferred);
          if (job->setup_error) {
            job->writer->Failed(*job->setup_error, tail);
          } else if (!job->result && job->handle->stop_requested()) {
            job->writer->Stopped(tail);  // stopped before the run began
          }
        }
        (void)co_await job->Write(tail);
        job->out = nullptr;
        co_return core::OkStatus();
      });
  response.headers.Set("X-Stream-ID", stream_id);
  response.headers.Set("X-Accel-Buffering", "no");
  co_return response;
}

asio::awaitable<void> ChatService::Execute(std::shared_ptr<ChatJob> job) {
  const ChatCompletionRequest& request = job->request;
  const std::string& user_id = job->user->user_id();
  std::optional<ConversationLocks::Guard> guard;
  if (request.keep_session) {
    auto acquired = co_await locks_.Acquire(user_id + '\n' + request.conversation_id, job->cancel);
    if (!acquired.ok()) co_return;  // cancelled while waiting
    guard.emplace(std::move(*acquired));
  }

  std::shared_ptr<agent::ToolCatalog> catalog;
  if (!request.mcp_server_ids.empty()) {
    LoadedTools loaded = co_await LoadRequestTools(job->user, request.mcp_server_ids);
    if (loaded.error) {
      BEDROCK_LOG_WARN(kComponent, "chat request cannot start",
                       {{"user", user_id}, {"error", loaded.error->Describe()}});
      job->setup_error = std::move(loaded.error);
      co_return;
    }
    catalog = std::move(loaded.catalog);
  }
  if (job->cancel->cancelled()) co_return;

  agent::AgentRequest agent_request = BuildAgentRequest(request, job->model, options_.chat);
  agent_request.options.max_turns = options_.config->limits.max_turns;
  if (request.keep_session) {
    auto stored = co_await job->user->LoadHistory(request.conversation_id);
    if (!stored.ok()) {
      job->setup_error.emplace(agent::ErrorSource::kGateway,
                               stored.error().WithContext("cannot load the session history"));
      co_return;
    }
    std::vector<llm::Message> messages = DecodeHistory(stored->messages);
    for (const llm::Message& message : request.messages) messages.push_back(message);
    agent_request.chat.messages = std::move(messages);
    if (agent_request.chat.system.empty()) {
      agent_request.chat.system = DecodeSystem(stored->system_json);
    }
  }
  std::vector<llm::SystemBlock> system = agent_request.chat.system;
  agent_request.tools = std::move(catalog);
  agent_request.cancel = job->cancel;
  if (job->writer) {
    agent_request.sink = std::make_shared<StreamSink>(job.get());
    agent_request.approvals = approvals_.ForUser(user_id);
  }
  agent::AgentResult result = co_await agent::RunAgent(*job->provider, std::move(agent_request));

  if (!result.messages.empty()) {
    store::Conversation conversation;
    conversation.system_json = EncodeSystem(system);
    conversation.messages = EncodeHistory(result.messages);
    core::Status saved =
        co_await job->user->SaveHistory(request.conversation_id, std::move(conversation));
    if (!saved.ok()) {
      BEDROCK_LOG_ERROR(kComponent, "cannot save the session history",
                        {{"user", user_id}, {"error", saved.error().message()}});
    }
  }
  if (result.error && result.finish_reason != agent::FinishReason::kCancelled) {
    BEDROCK_LOG_WARN(kComponent, "chat run failed",
                     {{"user", user_id}, {"error", result.error->Describe()}});
  }
  job->result = std::move(result);
}

}  // namespace bedrock::gateway

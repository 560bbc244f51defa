#include "emulator/emulator.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <regex>
#include <span>
#include <variant>

#include "aws/event_stream.h"
#include "core/base64.h"  // the llm codecs' base64, shared rather than copied
#include "core/log.h"
#include "emulator/invoke_codecs.h"
#include "emulator/service_errors.h"
#include "emulator/streaming.h"
#include "emulator/text.h"
#include "emulator/validation.h"
#include "llm/bedrock_converse.h"
#include "llm/openai_chat.h"

namespace bedrock::emulator {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

constexpr std::string_view kComponent = "emulator";
constexpr std::string_view kEventStreamType = "application/vnd.amazon.eventstream";
constexpr std::string_view kActionGroup = "EmulatorActionGroup";

awaitable<void> Sleep(std::chrono::milliseconds duration) {
  if (duration.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Real Bedrock pads event payloads with a "p" member of varying length to hide token sizes;
// clients must ignore it, so the emulator sends one too.
std::string Padded(std::string_view json_object, uint64_t seed) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t length = 1 + StableHash(json_object, seed) % 40;
  std::string out(json_object.substr(0, json_object.size() - 1));
  if (out.size() > 1) out += ',';
  out += "\"p\":\"";
  out += kAlphabet.substr(0, length);
  out += "\"}";
  return out;
}

// A complete event-stream response: the frames, with an optional fault part-way through.
http::Response EventStreamBody(std::vector<std::string> frames, std::optional<Fault> fault,
                               Service service, std::chrono::milliseconds delay) {
  auto producer = [frames = std::move(frames), fault, service,
                   delay](http::StreamWriter& out) -> awaitable<core::Status> {
    size_t cut = frames.size();
    if (fault) {
      cut = fault->after >= 0 ? std::min(frames.size(), static_cast<size_t>(fault->after))
                              : std::max<size_t>(1, frames.size() / 3);
    }
    for (size_t i = 0; i < cut; ++i) {
      if (i > 0) co_await Sleep(delay);
      BEDROCK_CO_TRY(co_await out.Write(frames[i]));
    }
    if (!fault) co_return core::OkStatus();
    switch (fault->kind) {
      case FaultKind::kExceptionMidStream: {
        std::string frame = ExceptionFrame(StreamExceptionMember(fault->exception, service));
        BEDROCK_CO_TRY(co_await out.Write(frame));
        co_return core::OkStatus();
      }
      case FaultKind::kCorruptFrame: {
        std::string frame =
            cut < frames.size() ? frames[cut] : aws::EncodeEvent("chunk", R"({"bytes":""})");
        frame[frame.size() - 5] = static_cast<char>(frame[frame.size() - 5] ^ 0x5a);
        BEDROCK_CO_TRY(co_await out.Write(frame));
        co_return core::OkStatus();
      }
      default:
        co_return core::Error::Cancelled("emulator: injected disconnect mid-stream");
    }
  };
  return http::StreamResponse(200, std::string(kEventStreamType), std::move(producer));
}

bool MatchesIdPattern(std::string_view id, size_t min, size_t max, std::string_view extra) {
  if (id.size() < min || id.size() > max) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string PatternError(std::string_view value, std::string_view member,
                         std::string_view pattern) {
  return fmt::format(
      "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must "
      "satisfy regular expression pattern: {}",
      value, member, pattern);
}

std::string FunctionParameterType(const json::value& v) {
  if (v.is_bool()) return "boolean";
  if (v.is_int64() || v.is_uint64()) return "integer";
  if (v.is_double()) return "number";
  if (v.is_array()) return "array";
  return "string";
}

std::string IsoNow() { return core::FormatRfc3339Millis(std::chrono::system_clock::now()); }

}  // namespace

struct Emulator::Impl {
  explicit Impl(Emulator& e) : emu(e) {}

  Emulator& emu;
  std::atomic<uint64_t> requests{0};

  struct Session {
    std::vector<llm::Message> history;
    std::vector<std::pair<std::string, std::string>> pending;  // tool use id, function name
  };
  std::mutex sessions_mutex;
  std::map<std::string, Session> sessions;  // guarded by sessions_mutex
  std::deque<std::string> session_order;    // guarded by sessions_mutex: oldest first

  std::string NewRequestId() {
    uint64_t n = requests.fetch_add(1) + 1;
    uint64_t a = StableHash(std::to_string(n), 1), b = StableHash(std::to_string(n), 2);
    return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                       a & 0xfff, 0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffULL);
  }

  static std::string InvocationKey(const http::Request& request) {
    if (auto id = request.headers.Get("amz-sdk-invocation-id")) return std::string(*id);
    return fmt::format("{:016x}",
                       StableHash(request.method + " " + request.target + "\n" + request.body));
  }

  // The request's x-emulator-fault faults, or an error response for a malformed header.
  static core::Result<std::vector<Fault>> HeaderFaults(const http::Request& request) {
    auto header = request.headers.Get("x-emulator-fault");
    if (!header) return std::vector<Fault>{};
    auto faults = ParseFaultSpec(*header);
    if (!faults.ok()) {
      return core::Error::InvalidArgument("x-emulator-fault: {}", faults.error().message());
    }
    return faults;
  }

  static http::Response WithRequestId(http::Response response, const std::string& request_id) {
    response.headers.Set("x-amzn-RequestId", request_id);
    return response;
  }

  void LogCall(std::string_view operation, std::string_view model, std::string_view rule,
               int status, const FaultPlan& plan) {
    BEDROCK_LOG_DEBUG(kComponent, "call",
                      {{"operation", operation},
                       {"model", model},
                       {"rule", rule},
                       {"status", status},
                       {"fault", plan.error        ? FaultName(plan.error->kind)
                                 : plan.mid_stream ? FaultName(plan.mid_stream->kind)
                                                   : std::string_view("none")},
                       {"latency_ms", static_cast<int64_t>(plan.latency.count())}});
  }

  std::vector<std::string> ConverseFrames(const llm::ChatResponse& response) {
    std::vector<std::string> frames;
    auto events = ToStreamEvents(response, emu.config_.stream_chunk_bytes);
    for (size_t i = 0; i < events.size(); ++i) {
      std::string payload = llm::bedrock_converse::StreamEventPayload(events[i]);
      frames.push_back(
          aws::EncodeEvent(llm::bedrock_converse::StreamEventType(events[i]), Padded(payload, i)));
    }
    return frames;
  }

  // --- Bedrock Runtime ---

  // What every operation establishes before reading its body: who answers (the service), what
  // is addressed (a model, knowledge base or agent id) and the request's own faults.
  struct Call {
    std::string request_id;
    std::string operation;
    std::string target;
    Service service = Service::kRuntime;
    std::string key;  // the invocation key that per-attempt faults count by
    FaultPlan plan;
  };

  // A Bedrock Runtime call also knows its resolved model.
  struct RuntimeCall : Call {
    ModelInfo info;
  };

  // Authenticates, resolves the model and plans the request's own faults; the error response
  // when a check fails.
  std::variant<http::Response, RuntimeCall> BeginRuntimeCall(http::RequestContext& ctx,
                                                             std::string operation) {
    const http::Request& request = ctx.request();
    RuntimeCall call;
    call.request_id = NewRequestId();
    call.operation = std::move(operation);
    if (auto failure = emu.auth_.CheckAws(request, /*bearer_allowed=*/true)) {
      return ErrorResponse(ServiceError::FromVerifyFailure(*failure), call.request_id);
    }
    call.target = std::string(ctx.PathParam("modelId").value_or(""));
    auto info = emu.catalog_.Resolve(call.target);
    if (!info) {
      return ErrorResponse(ServiceError::Validation("The provided model identifier is invalid."),
                           call.request_id);
    }
    call.info = std::move(*info);
    auto header_faults = HeaderFaults(request);
    if (!header_faults.ok()) {
      return ErrorResponse(ServiceError::Validation(header_faults.error().message()),
                           call.request_id);
    }
    call.key = InvocationKey(request);
    call.plan = emu.faults_.Plan(call.operation, call.target, *header_faults, call.key);
    return call;
  }

  // Adds the matched rule's faults to the plan and waits the planned latency; the error response
  // of an error fault, or nullopt to answer normally.
  awaitable<std::optional<http::Response>> ApplyFaults(Call& call,
                                                       const std::vector<Fault>& rule_faults,
                                                       std::string_view rule) {
    call.plan.Merge(emu.faults_.FilterAttempts(rule_faults, call.key + "#rule"));
    co_await Sleep(call.plan.latency);
    if (call.plan.error) {
      ServiceError error = ErrorForFault(*call.plan.error, call.service);
      LogCall(call.operation, call.target, rule, error.status, call.plan);
      co_return ErrorResponse(error, call.request_id, call.service);
    }
    LogCall(call.operation, call.target, rule, 200, call.plan);
    co_return std::nullopt;
  }

  awaitable<http::Response> Converse(http::RequestContext& ctx, bool stream) {
    auto begun = BeginRuntimeCall(ctx, stream ? "converse-stream" : "converse");
    if (auto* response = std::get_if<http::Response>(&begun)) co_return std::move(*response);
    RuntimeCall& call = std::get<RuntimeCall>(begun);
    if (call.info.kind != ModelKind::kChat) {
      co_return ErrorResponse(
          ServiceError::Validation("This action doesn't support the model that you provided. Try "
                                   "again with a supported text or chat model."),
          call.request_id);
    }
    auto chat = llm::bedrock_converse::DecodeConverseRequest(ctx.request().body);
    if (!chat.ok()) {
      co_return ErrorResponse(ServiceError::Validation(chat.error().message()), call.request_id);
    }
    if (auto problem = ValidateConverseRequest(*chat)) {
      co_return ErrorResponse(ServiceError::Validation(*problem), call.request_id);
    }
    chat->model_id = call.target;
    ModelTurn turn = emu.model_.Respond(*chat, call.operation);
    if (auto error = co_await ApplyFaults(call, turn.faults, turn.rule))
      co_return std::move(*error);
    turn.response.metrics.latency_ms += call.plan.latency.count();
    if (!stream) {
      co_return WithRequestId(
          http::Response::Json(200, llm::bedrock_converse::EncodeConverseResponse(turn.response)),
          call.request_id);
    }
    co_return WithRequestId(EventStreamBody(ConverseFrames(turn.response), call.plan.mid_stream,
                                            Service::kRuntime, emu.config_.stream_delay),
                            call.request_id);
  }

  awaitable<http::Response> Invoke(http::RequestContext& ctx, bool stream) {
    auto begun = BeginRuntimeCall(ctx, stream ? "invoke-stream" : "invoke");
    if (auto* response = std::get_if<http::Response>(&begun)) co_return std::move(*response);
    RuntimeCall& call = std::get<RuntimeCall>(begun);
    const std::string& body = ctx.request().body;
    if (call.info.kind != ModelKind::kChat) {
      if (stream) {
        co_return ErrorResponse(ServiceError::Validation("The model is unsupported for streaming."),
                                call.request_id);
      }
      auto titan = titan::DecodeRequest(body, call.info.kind == ModelKind::kTitanEmbedV2);
      if (!titan.ok()) {
        co_return ErrorResponse(ServiceError::Validation(titan.error().message()), call.request_id);
      }
      const std::vector<Fault> no_rule_faults;  // named: no temporaries in co_await (g++ 12)
      if (auto error = co_await ApplyFaults(call, no_rule_faults, "titan")) {
        co_return std::move(*error);
      }
      int64_t tokens = 0;
      http::Response response = http::Response::Json(200, titan::EncodeResponse(*titan, &tokens));
      response.headers.Set("X-Amzn-Bedrock-Input-Token-Count", std::to_string(tokens));
      response.headers.Set("X-Amzn-Bedrock-Invocation-Latency",
                           std::to_string(10 + call.plan.latency.count()));
      co_return WithRequestId(std::move(response), call.request_id);
    }
    if (!call.info.claude) {
      co_return ErrorResponse(
          ServiceError::Validation(fmt::format(
              "The emulator serves InvokeModel for Anthropic Claude (Messages API) and Amazon "
              "Titan Text Embeddings models only; use Converse for {}.",
              call.target)),
          call.request_id);
    }
    auto chat = claude::DecodeRequest(body);
    if (!chat.ok()) {
      co_return ErrorResponse(ServiceError::Validation(chat.error().message()), call.request_id);
    }
    chat->model_id = call.target;
    ModelTurn turn = emu.model_.Respond(*chat, call.operation);
    if (auto error = co_await ApplyFaults(call, turn.faults, turn.rule))
      co_return std::move(*error);
    turn.response.metrics.latency_ms += call.plan.latency.count();
    std::string model_name = claude::ModelName(call.info.base_id);
    if (!stream) {
      http::Response response =
          http::Response::Json(200, claude::EncodeResponse(turn.response, model_name));
      response.headers.Set("X-Amzn-Bedrock-Input-Token-Count",
                           std::to_string(turn.response.usage.input_tokens));
      response.headers.Set("X-Amzn-Bedrock-Output-Token-Count",
                           std::to_string(turn.response.usage.output_tokens));
      response.headers.Set("X-Amzn-Bedrock-Invocation-Latency",
                           std::to_string(turn.response.metrics.latency_ms));
      co_return WithRequestId(std::move(response), call.request_id);
    }
    std::vector<std::string> frames;
    auto events = claude::StreamEvents(turn.response, model_name, emu.config_.stream_chunk_bytes);
    for (size_t i = 0; i < events.size(); ++i) {
      json::object chunk{{"bytes", core::Base64Encode(events[i])}};
      frames.push_back(aws::EncodeEvent("chunk", Padded(json::serialize(chunk), i)));
    }
    http::Response response = EventStreamBody(std::move(frames), call.plan.mid_stream,
                                              Service::kRuntime, emu.config_.stream_delay);
    response.headers.Set("X-Amzn-Bedrock-Content-Type", "application/json");
    co_return WithRequestId(std::move(response), call.request_id);
  }

  // --- Agent Runtime ---

  // A path parameter's constraint from the service model.
  struct PathIdRule {
    std::string_view param;
    size_t min_length;
    size_t max_length;
    std::string_view extra_chars;  // allowed besides [0-9a-zA-Z]
    std::string_view pattern;      // as the service's error message quotes it
  };

  struct AgentRuntimeCall : Call {
    json::object body;
  };

  // Authenticates, checks the path ids (the first one is the call's target), plans the request's
  // own faults and parses the JSON body; the error response when a check fails.
  std::variant<http::Response, AgentRuntimeCall> BeginAgentRuntimeCall(
      http::RequestContext& ctx, std::string operation, std::span<const PathIdRule> ids,
      bool empty_body_allowed) {
    const http::Request& request = ctx.request();
    AgentRuntimeCall call;
    call.request_id = NewRequestId();
    call.operation = std::move(operation);
    call.service = Service::kAgentRuntime;
    auto fail = [&](ServiceError error) {
      return ErrorResponse(error, call.request_id, Service::kAgentRuntime);
    };
    if (auto failure = emu.auth_.CheckAws(request, /*bearer_allowed=*/false)) {
      return fail(ServiceError::FromVerifyFailure(*failure));
    }
    for (const PathIdRule& rule : ids) {
      std::string id(ctx.PathParam(rule.param).value_or(""));
      if (!MatchesIdPattern(id, rule.min_length, rule.max_length, rule.extra_chars)) {
        return fail(ServiceError::Validation(PatternError(id, rule.param, rule.pattern)));
      }
      if (call.target.empty()) call.target = std::move(id);
    }
    auto header_faults = HeaderFaults(request);
    if (!header_faults.ok()) return fail(ServiceError::Validation(header_faults.error().message()));
    call.key = InvocationKey(request);
    call.plan = emu.faults_.Plan(call.operation, call.target, *header_faults, call.key);
    std::error_code ec;
    json::value body = empty_body_allowed && request.body.empty() ? json::value(json::object{})
                                                                  : json::parse(request.body, ec);
    if (ec || !body.is_object()) {
      return fail(ServiceError::Validation("The request body is not a valid JSON object."));
    }
    call.body = std::move(body.as_object());
    return call;
  }

  awaitable<http::Response> Retrieve(http::RequestContext& ctx) {
    static constexpr PathIdRule kIds[] = {{"knowledgeBaseId", 1, 10, "", "^[0-9a-zA-Z]+$"}};
    auto begun = BeginAgentRuntimeCall(ctx, "retrieve", kIds, /*empty_body_allowed=*/false);
    if (auto* response = std::get_if<http::Response>(&begun)) co_return std::move(*response);
    AgentRuntimeCall& call = std::get<AgentRuntimeCall>(begun);
    const std::string& kb_id = call.target;
    auto fail = [&](ServiceError error) {
      return ErrorResponse(error, call.request_id, Service::kAgentRuntime);
    };
    const json::object& o = call.body;
    const json::value* query = o.if_contains("retrievalQuery");
    const json::value* text =
        query != nullptr && query->is_object() ? query->as_object().if_contains("text") : nullptr;
    if (text == nullptr || !text->is_string()) {
      co_return fail(ServiceError::Validation(
          "1 validation error detected: Value null at 'retrievalQuery.text' failed to satisfy "
          "constraint: Member must not be null"));
    }
    RetrievalQuery q;
    q.text = std::string(text->as_string());
    if (const auto* config = o.if_contains("retrievalConfiguration");
        config && config->is_object()) {
      if (const auto* vector = config->as_object().if_contains("vectorSearchConfiguration");
          vector && vector->is_object()) {
        const json::object& v = vector->as_object();
        if (const auto* n = v.if_contains("numberOfResults")) {
          if (!n->is_int64() || n->as_int64() < 1 || n->as_int64() > 100) {
            co_return fail(ServiceError::Validation(fmt::format(
                "1 validation error detected: Value '{}' at "
                "'retrievalConfiguration.vectorSearchConfiguration.numberOfResults' failed to "
                "satisfy constraint: Member must have value between 1 and 100",
                json::serialize(*n))));
          }
          q.number_of_results = static_cast<int>(n->as_int64());
        }
        if (const auto* t = v.if_contains("overrideSearchType"); t && t->is_string()) {
          if (t->as_string() == "SEMANTIC") {
            q.search_type = SearchType::kSemantic;
          } else if (t->as_string() != "HYBRID") {
            co_return fail(ServiceError::Validation(fmt::format(
                "1 validation error detected: Value '{}' at "
                "'retrievalConfiguration.vectorSearchConfiguration.overrideSearchType' failed to "
                "satisfy constraint: Member must satisfy enum value set: [HYBRID, SEMANTIC]",
                std::string_view(t->as_string()))));
          }
        }
        if (const auto* filter = v.if_contains("filter")) q.filter = *filter;
      }
    }
    if (emu.knowledge_base_.chunk_count() == 0) {
      co_return fail(ServiceError::ResourceNotFound(fmt::format(
          "Knowledge base {} does not exist or has no documents (start the emulator with "
          "--docs DIR)",
          kb_id)));
    }
    auto hits = emu.knowledge_base_.Retrieve(q);
    if (!hits.ok()) co_return fail(ServiceError::Validation(hits.error().message()));
    const std::vector<Fault> no_rule_faults;
    if (auto error = co_await ApplyFaults(call, no_rule_faults, "bm25"))
      co_return std::move(*error);
    json::array results;
    for (const auto& hit : *hits) results.push_back(emu.knowledge_base_.ResultJson(hit));
    json::object out{{"retrievalResults", std::move(results)}};
    if (o.contains("guardrailConfiguration")) out["guardrailAction"] = "NONE";
    co_return WithRequestId(http::Response::Json(200, json::serialize(out)), call.request_id);
  }

  Session& SessionFor(const std::string& id) {
    auto [it, inserted] = sessions.try_emplace(id);
    if (inserted) {
      session_order.push_back(id);
      while (sessions.size() > emu.config_.max_sessions && !session_order.empty()) {
        if (session_order.front() != id) sessions.erase(session_order.front());
        session_order.pop_front();
      }
    }
    return it->second;
  }

  awaitable<http::Response> InvokeAgent(http::RequestContext& ctx) {
    static constexpr PathIdRule kIds[] = {{"agentId", 1, 10, "", "^[0-9a-zA-Z]+$"},
                                          {"agentAliasId", 1, 10, "", "^[0-9a-zA-Z]+$"},
                                          {"sessionId", 2, 100, "._:-", "^[0-9a-zA-Z._:-]+$"}};
    auto begun = BeginAgentRuntimeCall(ctx, "invoke-agent", kIds, /*empty_body_allowed=*/true);
    if (auto* response = std::get_if<http::Response>(&begun)) co_return std::move(*response);
    AgentRuntimeCall& call = std::get<AgentRuntimeCall>(begun);
    const std::string& request_id = call.request_id;
    const std::string& agent_id = call.target;
    std::string alias_id(ctx.PathParam("agentAliasId").value_or(""));
    std::string session_id(ctx.PathParam("sessionId").value_or(""));
    auto fail = [&](ServiceError error) {
      return ErrorResponse(error, request_id, Service::kAgentRuntime);
    };
    const json::object& o = call.body;
    auto flag = [&](const json::object& obj, std::string_view key) {
      const json::value* v = obj.if_contains(key);
      return v != nullptr && v->is_bool() && v->as_bool();
    };
    bool enable_trace = flag(o, "enableTrace");
    bool end_session = flag(o, "endSession");
    bool stream_final = false;
    if (const auto* s = o.if_contains("streamingConfigurations"); s && s->is_object()) {
      stream_final = flag(s->as_object(), "streamFinalResponse");
    }
    std::string input_text;
    if (const auto* t = o.if_contains("inputText"); t && t->is_string()) {
      input_text = std::string(t->as_string());
    }
    const json::array* results = nullptr;
    if (const auto* state = o.if_contains("sessionState"); state && state->is_object()) {
      if (const auto* r = state->as_object().if_contains("returnControlInvocationResults");
          r && r->is_array()) {
        results = &r->as_array();
      }
    }
    if (input_text.empty() && results == nullptr) {
      co_return fail(ServiceError::Validation(
          "inputText must be provided unless sessionState.returnControlInvocationResults is."));
    }

    // The conversation so far (the session's), plus this turn.
    llm::ChatRequest chat;
    chat.model_id = agent_id;
    {
      std::lock_guard lock(sessions_mutex);
      Session& session = SessionFor(session_id);
      chat.messages = session.history;
      llm::Message user{llm::Role::kUser, {}};
      if (results != nullptr) {
        for (size_t i = 0; i < results->size(); ++i) {
          const json::value& item = (*results)[i];
          const json::value* fr =
              item.is_object() ? item.as_object().if_contains("functionResult") : nullptr;
          if (fr == nullptr || !fr->is_object()) continue;
          const json::object& f = fr->as_object();
          std::string function;
          if (const auto* fn = f.if_contains("function"); fn && fn->is_string()) {
            function = std::string(fn->as_string());
          }
          std::string text;
          if (const auto* rb = f.if_contains("responseBody"); rb && rb->is_object()) {
            if (const auto* t = rb->as_object().if_contains("TEXT"); t && t->is_object()) {
              if (const auto* b = t->as_object().if_contains("body"); b && b->is_string()) {
                text = std::string(b->as_string());
              }
            }
          }
          // Answer the pending tool use of that function (in order), else the i-th one.
          std::string id;
          for (auto it = session.pending.begin(); it != session.pending.end(); ++it) {
            if (it->second == function) {
              id = it->first;
              session.pending.erase(it);
              break;
            }
          }
          if (id.empty() && !session.pending.empty()) {
            id = session.pending.front().first;
            session.pending.erase(session.pending.begin());
          }
          if (id.empty()) continue;  // nothing was asked: ignore the stray result
          const json::value* state = f.if_contains("responseState");
          llm::ToolResultBlock block{
              id,
              {llm::TextBlock{text}},
              state != nullptr && state->is_string() && state->as_string() == "FAILURE"
                  ? llm::ToolResultStatus::kError
                  : llm::ToolResultStatus::kSuccess};
          user.content.emplace_back(std::move(block));
        }
      }
      if (!input_text.empty()) user.content.emplace_back(llm::TextBlock{input_text});
      if (user.content.empty()) user.content.emplace_back(llm::TextBlock{"(no input)"});
      while (!chat.messages.empty() && chat.messages.back().role == llm::Role::kUser) {
        chat.messages.pop_back();
      }
      chat.messages.push_back(std::move(user));
    }

    // The knowledge base, consulted with the latest user text.
    ConversationFacts facts = ExtractFacts(chat);
    std::vector<RetrievalHit> hits;
    TemplateExtras extras;
    if (emu.knowledge_base_.chunk_count() > 0 && !facts.user_text.empty() &&
        facts.tool_results.empty()) {
      RetrievalQuery q;
      q.text = facts.user_text;
      q.number_of_results = 3;
      if (auto found = emu.knowledge_base_.Retrieve(q); found.ok()) hits = std::move(*found);
      if (!hits.empty()) extras["kb_result"] = emu.knowledge_base_.ChunkText(hits.front().chunk);
    }
    ModelTurn turn = emu.model_.Respond(chat, "invoke-agent", extras);
    if (turn.rule.starts_with("default:") && turn.rule != "default:tool-summary" && !hits.empty()) {
      // The default agent answers from its knowledge base.
      std::string passage = emu.knowledge_base_.ChunkText(hits.front().chunk);
      if (passage.size() > 600) passage = passage.substr(0, 600) + "...";
      turn.response.message.content = {llm::TextBlock{passage}};
      turn.rule = "default:knowledge-base";
    }
    if (auto error = co_await ApplyFaults(call, turn.faults, turn.rule)) {
      co_return std::move(*error);
    }

    std::vector<std::string> frames;
    size_t frame_number = 0;
    auto event = [&](std::string_view type, const json::object& payload) {
      frames.push_back(aws::EncodeEvent(type, Padded(json::serialize(payload), frame_number++)));
    };
    auto tool_uses = turn.response.message.ToolUses();
    std::string answer = turn.response.message.Text();
    if (enable_trace) {
      json::object observation;
      if (!hits.empty()) {
        json::array references;
        for (const auto& hit : hits) {
          json::object ref = emu.knowledge_base_.ResultJson(hit);
          ref.erase("score");
          references.push_back(std::move(ref));
        }
        observation = {{"knowledgeBaseLookupOutput",
                        json::object{{"retrievedReferences", std::move(references)}}},
                       {"traceId", request_id + "-0"},
                       {"type", "KNOWLEDGE_BASE"}};
        event("trace",
              json::object{{"agentAliasId", alias_id},
                           {"agentId", agent_id},
                           {"agentVersion", "DRAFT"},
                           {"eventTime", IsoNow()},
                           {"sessionId", session_id},
                           {"trace", json::object{{"orchestrationTrace",
                                                   json::object{{"observation", observation}}}}}});
      }
      if (tool_uses.empty()) {
        observation = {{"finalResponse", json::object{{"text", answer}}},
                       {"traceId", request_id + "-1"},
                       {"type", "FINISH"}};
        event("trace",
              json::object{{"agentAliasId", alias_id},
                           {"agentId", agent_id},
                           {"agentVersion", "DRAFT"},
                           {"eventTime", IsoNow()},
                           {"sessionId", session_id},
                           {"trace", json::object{{"orchestrationTrace",
                                                   json::object{{"observation", observation}}}}}});
      }
    }
    llm::Message assistant{llm::Role::kAssistant, {}};
    std::vector<std::pair<std::string, std::string>> pending;
    if (!tool_uses.empty()) {
      std::string invocation_id = fmt::format(
          "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", StableHash(request_id) >> 32,
          StableHash(request_id, 1) & 0xffff, StableHash(request_id, 2) & 0xfff,
          StableHash(request_id, 3) & 0xfff, StableHash(request_id, 4) & 0xffffffffffffULL);
      json::array inputs;
      for (size_t i = 0; i < tool_uses.size(); ++i) {
        const llm::ToolUseBlock& use = *tool_uses[i];
        json::array parameters;
        if (use.input.is_object()) {
          for (const auto& [name, value] : use.input.as_object()) {
            parameters.push_back(
                json::object{{"name", name},
                             {"type", FunctionParameterType(value)},
                             {"value", value.is_string() ? std::string(value.as_string())
                                                         : json::serialize(value)}});
          }
        }
        inputs.push_back(json::object{
            {"functionInvocationInput", json::object{{"actionGroup", kActionGroup},
                                                     {"actionInvocationType", "RESULT"},
                                                     {"agentId", agent_id},
                                                     {"function", use.name},
                                                     {"parameters", std::move(parameters)}}}});
        std::string id = fmt::format("{}-{}", invocation_id, i);
        assistant.content.emplace_back(llm::ToolUseBlock{id, use.name, use.input});
        pending.emplace_back(id, use.name);
      }
      event("returnControl",
            json::object{{"invocationId", invocation_id}, {"invocationInputs", std::move(inputs)}});
    } else {
      if (answer.empty()) answer = "(no answer)";
      assistant.content.emplace_back(llm::TextBlock{answer});
      json::object attribution;
      if (!hits.empty()) {
        json::array references;
        for (const auto& hit : hits) {
          json::object ref = emu.knowledge_base_.ResultJson(hit);
          ref.erase("score");
          references.push_back(std::move(ref));
        }
        json::object part{
            {"textResponsePart",
             json::object{{"span", json::object{{"end", static_cast<int64_t>(answer.size()) - 1},
                                                {"start", 0}}},
                          {"text", answer}}}};
        attribution = {{"citations",
                        json::array{json::object{{"generatedResponsePart", std::move(part)},
                                                 {"retrievedReferences", std::move(references)}}}}};
      }
      std::vector<std::string> pieces =
          stream_final ? SplitForStreaming(answer, emu.config_.stream_chunk_bytes)
                       : std::vector<std::string>{answer};
      for (size_t i = 0; i < pieces.size(); ++i) {
        json::object chunk{{"bytes", core::Base64Encode(pieces[i])}};
        if (i + 1 == pieces.size() && !attribution.empty()) chunk["attribution"] = attribution;
        event("chunk", chunk);
      }
    }
    {
      std::lock_guard lock(sessions_mutex);
      if (end_session) {
        sessions.erase(session_id);
      } else {
        Session& session = SessionFor(session_id);
        session.history = chat.messages;
        session.history.push_back(std::move(assistant));
        session.pending = std::move(pending);
        if (session.history.size() > 100) {
          session.history.erase(session.history.begin(), session.history.end() - 100);
          while (!session.history.empty() && session.history.front().role != llm::Role::kUser) {
            session.history.erase(session.history.begin());
          }
        }
      }
    }
    http::Response response = EventStreamBody(std::move(frames), call.plan.mid_stream,
                                              Service::kAgentRuntime, emu.config_.stream_delay);
    response.headers.Set("x-amzn-bedrock-agent-content-type", "application/json");
    response.headers.Set("x-amz-bedrock-agent-session-id", session_id);
    if (const auto* memory = o.if_contains("memoryId"); memory && memory->is_string()) {
      response.headers.Set("x-amz-bedrock-agent-memory-id", std::string(memory->as_string()));
    }
    co_return WithRequestId(std::move(response), request_id);
  }

  // --- OpenAI-compatible ---

  awaitable<http::Response> ChatCompletions(http::RequestContext& ctx) {
    const http::Request& request = ctx.request();
    std::string request_id = NewRequestId();
    auto fail = [&](int status, std::string type, std::string message) {
      ServiceError error{status, std::move(type), std::move(message), {}, false};
      return ErrorResponse(error, request_id, Service::kOpenAi);
    };
    if (!emu.auth_.CheckOpenAi(request)) {
      co_return fail(401, "invalid_api_key", "Incorrect API key provided.");
    }
    auto decoded = llm::openai_chat::DecodeRequest(request.body);
    if (!decoded.ok()) co_return fail(400, "invalid_request_error", decoded.error().message());
    const std::string model = decoded->request.model_id;
    if (!emu.catalog_.Resolve(model) || emu.catalog_.Resolve(model)->kind != ModelKind::kChat) {
      co_return fail(
          404, "model_not_found",
          fmt::format("The model `{}` does not exist or you do not have access to it.", model));
    }
    if (decoded->request.messages.empty()) {
      co_return fail(400, "invalid_request_error", "messages must contain a user message");
    }
    auto header_faults = HeaderFaults(request);
    if (!header_faults.ok()) {
      co_return fail(400, "invalid_request_error", header_faults.error().message());
    }
    std::string key = InvocationKey(request);
    FaultPlan plan = emu.faults_.Plan("chat-completions", model, *header_faults, key);
    ModelTurn turn = emu.model_.Respond(decoded->request, "chat-completions");
    plan.Merge(emu.faults_.FilterAttempts(turn.faults, key + "#rule"));
    co_await Sleep(plan.latency);
    if (plan.error) {
      ServiceError error = ErrorForFault(*plan.error, Service::kOpenAi);
      if (error.status == 429) error.type = "rate_limit_exceeded";
      LogCall("chat-completions", model, turn.rule, error.status, plan);
      co_return ErrorResponse(error, request_id, Service::kOpenAi);
    }
    LogCall("chat-completions", model, turn.rule, 200, plan);
    std::string id = "chatcmpl-" + request_id.substr(0, 8) + request_id.substr(9, 4);
    int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    if (!decoded->stream) {
      http::Response response = http::Response::Json(
          200, llm::openai_chat::EncodeResponse(turn.response, id, model, created));
      response.headers.Set("x-request-id", request_id);
      co_return response;
    }
    std::vector<std::string> chunks;
    llm::openai_chat::StreamChunkEncoder encoder(id, model, created, decoded->include_usage);
    for (const auto& event : ToStreamEvents(turn.response, emu.config_.stream_chunk_bytes)) {
      for (auto& chunk : encoder.Encode(event)) chunks.push_back(std::move(chunk));
    }
    auto fault = plan.mid_stream;
    auto delay = emu.config_.stream_delay;
    http::Response response = http::EventStreamResponse([chunks = std::move(chunks), fault,
                                                         delay](http::StreamWriter& out)
                                                            -> awaitable<core::Status> {
      size_t cut = chunks.size();
      if (fault) {
        cut = fault->after >= 0 ? std::min(chunks.size(), static_cast<size_t>(fault->after))
                                : std::max<size_t>(1, chunks.size() / 3);
      }
      for (size_t i = 0; i < cut; ++i) {
        if (i > 0) co_await Sleep(delay);
        http::SseEvent event;
        event.data = chunks[i];
        BEDROCK_CO_TRY(co_await out.SendEvent(event));
      }
      http::SseEvent last;
      if (!fault) {
        last.data = "[DONE]";
      } else if (fault->kind == FaultKind::kExceptionMidStream) {
        last.data =
            R"({"error":{"message":"The model encountered an error while streaming its response.","type":"server_error","param":null,"code":null}})";
      } else if (fault->kind == FaultKind::kCorruptFrame) {
        last.data = R"({"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"ind)";
      } else {
        co_return core::Error::Cancelled("emulator: injected disconnect mid-stream");
      }
      BEDROCK_CO_TRY(co_await out.SendEvent(last));
      co_return core::OkStatus();
    });
    response.headers.Set("x-request-id", request_id);
    co_return response;
  }

  awaitable<http::Response> Models(http::RequestContext& ctx) {
    if (!emu.auth_.CheckOpenAi(ctx.request())) {
      ServiceError error{401, "invalid_api_key", "Incorrect API key provided.", {}, false};
      co_return ErrorResponse(error, NewRequestId(), Service::kOpenAi);
    }
    json::array data;
    for (const auto& id : emu.catalog_.ListIds()) {
      auto info = emu.catalog_.Resolve(id);
      if (!info || info->kind != ModelKind::kChat) continue;
      data.push_back(json::object{{"id", id},
                                  {"object", "model"},
                                  {"created", 1700000000},
                                  {"owned_by", "bedrock-emulator"}});
    }
    co_return http::Response::Json(
        200, json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}}));
  }
};

core::Result<std::unique_ptr<Emulator>> Emulator::Create(const EmulatorConfig& config,
                                                         const core::Env& env) {
  AuthConfig auth;
  if (config.use_environment_credentials) auth = BEDROCK_TRY(AuthConfigFromEnv(env));
  auth.mode = config.auth_mode;
  auth.region = config.region;
  for (const auto& c : config.credentials) auth.credentials.push_back(c);
  for (const auto& k : config.api_keys) auth.api_keys.push_back(k);
  Script script;
  if (!config.script_path.empty()) script = BEDROCK_TRY(LoadScript(config.script_path));
  KnowledgeBase kb;
  if (!config.docs_dir.empty()) {
    kb = BEDROCK_TRY(KnowledgeBase::LoadDirectory(config.docs_dir, config.knowledge_base));
  }
  return std::make_unique<Emulator>(config, std::move(auth), std::move(script), std::move(kb));
}

Emulator::Emulator(EmulatorConfig config, AuthConfig auth, Script script,
                   KnowledgeBase knowledge_base)
    : config_(std::move(config)),
      auth_(std::move(auth)),
      catalog_(config_.models, config_.accept_any_model),
      model_(std::move(script)),
      knowledge_base_(std::move(knowledge_base)),
      faults_(config_.faults, config_.seed),
      impl_(std::make_unique<Impl>(*this)) {}

Emulator::~Emulator() { Stop(std::chrono::milliseconds(0)); }

http::Router Emulator::MakeRouter() {
  http::Router router;
  Impl* impl = impl_.get();  // lives as long as this Emulator, which outlives its server
  router.Post("/model/{modelId}/converse",
              [impl](http::RequestContext& ctx) { return impl->Converse(ctx, false); });
  router.Post("/model/{modelId}/converse-stream",
              [impl](http::RequestContext& ctx) { return impl->Converse(ctx, true); });
  router.Post("/model/{modelId}/invoke",
              [impl](http::RequestContext& ctx) { return impl->Invoke(ctx, false); });
  router.Post("/model/{modelId}/invoke-with-response-stream",
              [impl](http::RequestContext& ctx) { return impl->Invoke(ctx, true); });
  router.Post("/knowledgebases/{knowledgeBaseId}/retrieve",
              [impl](http::RequestContext& ctx) { return impl->Retrieve(ctx); });
  router.Post("/agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text",
              [impl](http::RequestContext& ctx) { return impl->InvokeAgent(ctx); });
  for (std::string_view prefix : {"/v1", "/openai/v1"}) {
    router.Post(std::string(prefix) + "/chat/completions",
                [impl](http::RequestContext& ctx) { return impl->ChatCompletions(ctx); });
    router.Get(std::string(prefix) + "/models",
               [impl](http::RequestContext& ctx) { return impl->Models(ctx); });
  }
  router.Get("/healthz", [](http::RequestContext&) -> awaitable<http::Response> {
    co_return http::Response::Json(200, R"({"status":"ok","service":"bedrock-emulator"})");
  });
  router.Fallback([impl](http::RequestContext&) -> awaitable<http::Response> {
    ServiceError error{404, "UnknownOperationException", "Unknown operation", {}, true};
    co_return ErrorResponse(error, impl->NewRequestId());
  });
  return router;
}

core::Status Emulator::Start() {
  if (server_) return core::Error::FailedPrecondition("the emulator is already started");
  http::ServerOptions options;
  options.host = config_.host;
  options.port = config_.port;
  options.threads = config_.threads;
  options.max_body_bytes = 32u << 20;  // Bedrock accepts large documents and images
  options.sse_heartbeat_interval = std::chrono::milliseconds(0);
  options.access_log = [](const http::AccessLogEntry& entry) {
    BEDROCK_LOG_DEBUG("http", "request",
                      {{"method", entry.method},
                       {"target", entry.target},
                       {"status", entry.status},
                       {"bytes", entry.bytes_sent},
                       {"duration_us", static_cast<int64_t>(entry.duration.count())}});
  };
  auto server = std::make_unique<http::Server>(std::move(options), MakeRouter());
  BEDROCK_TRY(server->Start());
  server_ = std::move(server);
  return core::OkStatus();
}

void Emulator::Stop(std::chrono::milliseconds grace) {
  if (server_) {
    server_->Stop(grace);
    server_.reset();
  }
}

uint16_t Emulator::port() const { return server_ ? server_->port() : 0; }

std::string Emulator::url() const {
  if (!server_) return {};
  std::string host = server_->local_address();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("http://{}:{}", host, server_->port());
}

}  // namespace bedrock::emulator

#include "tools/bedrock_tools_server.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include "aws/credential_providers.h"
#include "core/clock.h"
#include "core/log.h"
#include "llm/bedrock_converse.h"
#include "llm/bedrock_provider.h"

namespace bedrock::tools {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using mcp::Awaitable;
using mcp::CallToolResult;
using mcp::ServerContext;
using ToolResult = Awaitable<core::Result<CallToolResult>>;

constexpr std::string_view kComponent = "bedrock-tools";
constexpr std::string_view kStatsUri = "bedrock://cache/stats";
constexpr std::string_view kKbUriPrefix = "bedrock://knowledge-bases/";

// --- arguments ---

std::optional<std::string> StringArg(const json::object& args, std::string_view name) {
  auto it = args.find(name);
  if (it == args.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

std::optional<double> NumberArg(const json::object& args, std::string_view name) {
  auto it = args.find(name);
  if (it == args.end()) return std::nullopt;
  if (it->value().is_int64()) return static_cast<double>(it->value().get_int64());
  if (it->value().is_uint64()) return static_cast<double>(it->value().get_uint64());
  if (it->value().is_double()) return it->value().get_double();
  return std::nullopt;
}

std::optional<bool> BoolArg(const json::object& args, std::string_view name) {
  auto it = args.find(name);
  if (it == args.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().get_bool();
}

json::object Schema(std::string_view text) { return json::parse(text).as_object(); }

CallToolResult JsonResult(json::object structured) {
  CallToolResult result = CallToolResult::Text(json::serialize(structured));
  result.structured_content = std::move(structured);
  return result;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto hex = text.substr(i + 1, 2);
      if (std::sscanf(std::string(hex).c_str(), "%2x", &value) == 1) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

std::string RandomSessionId() {
  std::random_device device;
  return fmt::format("mcp-{:08x}{:08x}", device(), device());
}

json::object RetrievalToJson(const llm::RetrievalResult& r) {
  json::object out{{"content", r.text}, {"source", r.location_uri}};
  if (r.score) out["score"] = *r.score;
  if (!r.location_type.empty()) out["locationType"] = r.location_type;
  if (!r.metadata.empty()) out["metadata"] = r.metadata;
  return out;
}

// --- the shared state every handler holds (by shared_ptr: handlers may outlive a caller) ---

struct State {
  BedrockToolsConfig config;
  ClientsFactory factory;
  std::unique_ptr<ResponseCache> cache;  // null: caching off
  asio::thread_pool blocking{1};         // runs the cache's (SQLite) calls off the I/O thread

  std::mutex mutex;  // guards clients
  std::optional<BedrockClients> clients;

  ~State() { blocking.join(); }

  // The clients, made on first use on the calling session's executor.
  Awaitable<core::Result<BedrockClients>> Clients() {
    auto executor = co_await asio::this_coro::executor;
    std::lock_guard lock(mutex);
    if (!clients) {
      auto made = factory(executor);
      if (!made.ok()) co_return made.error();
      clients = std::move(*made);
    }
    co_return *clients;
  }

  // Runs `f` on the blocking thread. Call sites pass a named, moved function object: g++ 12
  // destroys a lambda temporary inside a co_await expression twice.
  template <typename F>
  Awaitable<std::invoke_result_t<F>> Blocking(F f) {
    auto call = CallOnce(std::move(f));
    co_return co_await asio::co_spawn(blocking.get_executor(), std::move(call),
                                      asio::use_awaitable);
  }

  template <typename F>
  static Awaitable<std::invoke_result_t<F>> CallOnce(F f) {
    co_return f();
  }
};

// The prompt text a semantic cache compares: every message's text, in order.
std::string PromptText(const json::value& system, const json::value& messages) {
  std::string out;
  auto add_blocks = [&](const json::value& blocks) {
    if (!blocks.is_array()) return;
    for (const auto& block : blocks.get_array()) {
      if (block.is_object() && block.as_object().contains("text") && block.at("text").is_string()) {
        out += block.at("text").get_string();
        out += "\n";
      }
    }
  };
  add_blocks(system);
  if (messages.is_array()) {
    for (const auto& message : messages.get_array()) {
      if (message.is_object() && message.as_object().contains("content")) {
        add_blocks(message.at("content"));
      }
    }
  }
  return out;
}

// A Converse body {system, messages, inferenceConfig} for `model`, answered from the cache when
// it can be.
struct ConverseCall {
  std::string scope;
  std::string model;
  json::value system;  // array of blocks, or null
  json::array messages;
  json::object inference;
};

Awaitable<core::Result<CallToolResult>> RunConverse(std::shared_ptr<State> state,
                                                    ConverseCall call) {
  CacheRequest key;
  key.scope = call.scope;
  key.model = call.model;
  key.system = call.system;
  key.messages = call.messages;
  key.parameters = call.inference;

  BEDROCK_CO_TRY_ASSIGN(BedrockClients clients, co_await state->Clients());
  std::vector<float> embedding;
  if (state->cache) {
    if (state->cache->options().semantic && clients.invoke) {
      llm::TitanEmbeddingRequest embed;
      embed.input_text = PromptText(call.system, call.messages);
      auto embedded = co_await clients.invoke->EmbedTitan(state->config.embedding_model, embed);
      if (embedded.ok()) embedding = std::move(embedded->embedding);
    }
    auto cache = state->cache.get();
    auto lookup = [cache, key, embedding] { return cache->Lookup(key, embedding); };
    auto hit = co_await state->Blocking(std::move(lookup));
    if (hit) {
      json::object structured{{"text", *hit}, {"model", call.model}, {"cached", true}};
      CallToolResult result = CallToolResult::Text(*hit);
      result.structured_content = std::move(structured);
      co_return result;
    }
  }
  if (!clients.chat) co_return CallToolResult::Error("Bedrock Converse is not configured");

  json::object body{{"messages", call.messages}};
  if (!call.system.is_null()) body["system"] = call.system;
  if (!call.inference.empty()) body["inferenceConfig"] = call.inference;
  auto request = llm::bedrock_converse::DecodeConverseRequest(json::serialize(body));
  if (!request.ok()) co_return CallToolResult::Error(request.error().message());
  request->model_id = call.model;
  auto response = co_await clients.chat->Converse(std::move(*request));
  if (!response.ok()) co_return CallToolResult::Error(response.error().message());
  std::string text = response->message.Text();
  if (state->cache && response->stop_reason == llm::StopReason::kEndTurn) {
    auto cache = state->cache.get();
    auto store = [cache, key, text, embedding] {
      cache->Store(key, text, embedding);
      return true;
    };
    co_await state->Blocking(std::move(store));
  }
  json::object usage;
  usage["inputTokens"] = response->usage.input_tokens;
  usage["outputTokens"] = response->usage.output_tokens;
  json::object structured;
  structured["text"] = text;
  structured["model"] = call.model;
  structured["cached"] = false;
  structured["stopReason"] = response->stop_reason_text;
  structured["usage"] = std::move(usage);
  CallToolResult result = CallToolResult::Text(text);
  result.structured_content = std::move(structured);
  co_return result;
}

json::array UserMessage(std::string text) {
  return json::array{
      json::object{{"role", "user"}, {"content", json::array{json::object{{"text", text}}}}}};
}

// Accepts Converse's shapes and two conveniences: a string system prompt, and string contents.
core::Result<json::value> SystemArg(const json::object& args) {
  auto it = args.find("system");
  if (it == args.end() || it->value().is_null()) return json::value(nullptr);
  if (it->value().is_string()) {
    return json::value(json::array{json::object{{"text", it->value().get_string()}}});
  }
  if (it->value().is_array()) return it->value();
  return core::Error::InvalidArgument("system must be a string or an array of blocks");
}

core::Result<json::array> MessagesArg(const json::object& args) {
  if (auto prompt = StringArg(args, "prompt")) return UserMessage(*prompt);
  auto it = args.find("messages");
  if (it == args.end() || !it->value().is_array() || it->value().get_array().empty()) {
    return core::Error::InvalidArgument("messages (a non-empty array) or prompt is required");
  }
  json::array out;
  for (const auto& message : it->value().get_array()) {
    if (!message.is_object()) return core::Error::InvalidArgument("each message must be an object");
    json::object m = message.get_object();
    if (auto content = m.find("content"); content != m.end() && content->value().is_string()) {
      content->value() = json::array{json::object{{"text", content->value().get_string()}}};
    }
    out.push_back(std::move(m));
  }
  return out;
}

json::object InferenceArg(const json::object& args, const json::object& defaults) {
  json::object out = defaults;
  auto it = args.find("inference_config");
  if (it == args.end()) it = args.find("inferenceConfig");
  if (it != args.end() && it->value().is_object()) {
    for (const auto& [k, v] : it->value().get_object()) out[k] = v;
  }
  return out;
}

// --- tools ---

mcp::Tool MakeTool(std::string name, std::string description, json::object schema,
                   mcp::Tool::Handler handler) {
  mcp::Tool tool;
  tool.name = std::move(name);
  tool.description = std::move(description);
  tool.input_schema = std::move(schema);
  tool.handler = std::move(handler);
  return tool;
}

void AddConverseTools(mcp::Server& server, const std::shared_ptr<State>& state) {
  std::string names;
  for (const auto& s : state->config.specialists) names += (names.empty() ? "" : ", ") + s.name;
  json::object specialist_schema = Schema(R"js({"type":"object","properties":{
      "specialist":{"type":"string","description":"The specialist's name"},
      "content":{"type":"string","description":"What the specialist should work on"},
      "model_id":{"type":"string","description":"Bedrock model id (default: the specialist's)"}},
      "required":["specialist","content"]})js");
  json::array names_enum;
  for (const auto& s : state->config.specialists) names_enum.push_back(json::value(s.name));
  specialist_schema["properties"].as_object()["specialist"].as_object()["enum"] = names_enum;
  server.AddTool(MakeTool(
      "bedrock_specialist",
      "Asks a Bedrock model acting as a named specialist (its own system prompt and context). "
      "Specialists: " +
          names,
      std::move(specialist_schema), [state](json::object args, ServerContext&) -> ToolResult {
        auto name = StringArg(args, "specialist").value_or("");
        const Specialist* specialist = FindSpecialist(state->config, name);
        if (specialist == nullptr) {
          co_return CallToolResult::Error(UnknownSpecialistMessage(state->config, name));
        }
        auto content = StringArg(args, "content");
        if (!content) co_return CallToolResult::Error("content must be a string");
        ConverseCall call;
        call.scope = "specialist:" + specialist->name;
        call.model = StringArg(args, "model_id")
                         .value_or(specialist->model.empty() ? state->config.default_model
                                                             : specialist->model);
        call.system = json::array{json::object{{"text", specialist->system_prompt}}};
        call.messages = UserMessage(*content);
        call.inference["maxTokens"] = specialist->max_tokens.value_or(2000);
        call.inference["temperature"] = specialist->temperature.value_or(0.3);
        co_return co_await RunConverse(state, std::move(call));
      }));

  server.AddTool(MakeTool(
      "converse",
      "Calls a Bedrock model with the Converse API: model, system prompt, messages (Converse "
      "shape; string contents allowed) or a single prompt, and inference config",
      Schema(R"js({"type":"object","properties":{
        "model_id":{"type":"string"},
        "system":{"description":"A string or Converse system blocks"},
        "messages":{"type":"array","items":{"type":"object"}},
        "prompt":{"type":"string","description":"Shorthand for one user message"},
        "inference_config":{"type":"object","properties":{"maxTokens":{"type":"integer"},
          "temperature":{"type":"number"},"topP":{"type":"number"},
          "stopSequences":{"type":"array","items":{"type":"string"}}}}}})js"),
      [state](json::object args, ServerContext&) -> ToolResult {
        auto system = SystemArg(args);
        if (!system.ok()) co_return CallToolResult::Error(system.error().message());
        auto messages = MessagesArg(args);
        if (!messages.ok()) co_return CallToolResult::Error(messages.error().message());
        ConverseCall call;
        call.scope = "converse";
        call.model = StringArg(args, "model_id").value_or(state->config.default_model);
        call.system = std::move(*system);
        call.messages = std::move(*messages);
        call.inference = InferenceArg(args, {});
        co_return co_await RunConverse(state, std::move(call));
      }));

  server.AddTool(MakeTool(
      "converse_stream",
      "Streams a Bedrock model's answer (ConverseStream): each piece of text is sent as a progress "
      "notification's message while the model generates; the result is the whole text. "
      "Cancelling the request stops the model stream",
      Schema(R"js({"type":"object","properties":{
        "prompt":{"type":"string"},"messages":{"type":"array","items":{"type":"object"}},
        "system":{},"model_id":{"type":"string"},"specialist":{"type":"string"},
        "inference_config":{"type":"object"}}})js"),
      [state](json::object args, ServerContext& ctx) -> ToolResult {
        auto system = SystemArg(args);
        if (!system.ok()) co_return CallToolResult::Error(system.error().message());
        auto messages = MessagesArg(args);
        if (!messages.ok()) co_return CallToolResult::Error(messages.error().message());
        std::string model = state->config.default_model;
        if (auto name = StringArg(args, "specialist")) {
          const Specialist* specialist = FindSpecialist(state->config, *name);
          if (specialist == nullptr) {
            co_return CallToolResult::Error(UnknownSpecialistMessage(state->config, *name));
          }
          if (!specialist->model.empty()) model = specialist->model;
          *system = json::array{json::object{{"text", specialist->system_prompt}}};
        }
        model = StringArg(args, "model_id").value_or(model);
        json::object body{{"messages", std::move(*messages)}};
        if (!system->is_null()) body["system"] = *system;
        json::object inference = InferenceArg(args, {});
        if (!inference.empty()) body["inferenceConfig"] = inference;
        auto request = llm::bedrock_converse::DecodeConverseRequest(json::serialize(body));
        if (!request.ok()) co_return CallToolResult::Error(request.error().message());
        request->model_id = model;

        BEDROCK_CO_TRY_ASSIGN(BedrockClients clients, co_await state->Clients());
        if (!clients.chat) co_return CallToolResult::Error("Bedrock Converse is not configured");
        auto stream = co_await clients.chat->ConverseStream(std::move(*request));
        if (!stream.ok()) co_return CallToolResult::Error(stream.error().message());
        std::string text;
        int pieces = 0;
        while (true) {
          if (ctx.cancelled()) break;
          auto event = co_await (*stream)->Next();
          if (ctx.cancelled()) break;
          if (!event.ok()) {
            (*stream)->Close();
            co_return CallToolResult::Error(event.error().message());
          }
          if (!*event) break;
          auto* delta = std::get_if<llm::ContentBlockDeltaEvent>(&**event);
          if (delta == nullptr || delta->kind != llm::ContentBlockDeltaEvent::Kind::kText) {
            continue;
          }
          text += delta->text;
          ++pieces;
          (void)co_await ctx.Progress(pieces, std::nullopt, delta->text);
        }
        if (ctx.cancelled()) {
          (*stream)->Close();  // abandons the model's response: Bedrock stops generating
          BEDROCK_LOG_INFO(kComponent, "stream cancelled", {{"pieces", pieces}});
          co_return core::Error::Cancelled("converse_stream was cancelled");
        }
        json::object structured{{"text", text}, {"model", model}, {"pieces", pieces}};
        CallToolResult result = CallToolResult::Text(text);
        result.structured_content = std::move(structured);
        co_return result;
      }));
}

Awaitable<core::Result<json::object>> Search(std::shared_ptr<State> state,
                                             llm::RetrieveRequest request) {
  BEDROCK_CO_TRY_ASSIGN(BedrockClients clients, co_await state->Clients());
  if (!clients.agents) co_return core::Error::FailedPrecondition("Agent Runtime is not configured");
  std::string query = request.text;
  std::string id = request.knowledge_base_id;
  BEDROCK_CO_TRY_ASSIGN(llm::RetrieveResponse found,
                        co_await clients.agents->Retrieve(std::move(request)));
  json::array results;
  for (const auto& r : found.results) results.push_back(RetrievalToJson(r));
  co_return json::object{{"query", query}, {"knowledgeBaseId", id}, {"results", results}};
}

void AddKnowledgeBaseTools(mcp::Server& server, const std::shared_ptr<State>& state) {
  server.AddTool(MakeTool(
      "knowledge_base_search",
      "Searches a Bedrock Knowledge Base (Retrieve): content, score and source location of the "
      "best passages",
      Schema(R"js({"type":"object","properties":{
        "query":{"type":"string"},
        "knowledge_base_id":{"type":"string","description":"Default: the first configured"},
        "num_results":{"type":"integer","minimum":1,"maximum":100,"default":5},
        "filter":{"type":"object","description":"A Bedrock RetrievalFilter"},
        "search_type":{"type":"string","enum":["HYBRID","SEMANTIC"]}},
        "required":["query"]})js"),
      [state](json::object args, ServerContext&) -> ToolResult {
        llm::RetrieveRequest request;
        request.text = StringArg(args, "query").value_or("");
        if (request.text.empty()) co_return CallToolResult::Error("query must be a string");
        request.knowledge_base_id = StringArg(args, "knowledge_base_id").value_or("");
        if (request.knowledge_base_id.empty() && !state->config.knowledge_bases.empty()) {
          request.knowledge_base_id = state->config.knowledge_bases.front().id;
        }
        if (request.knowledge_base_id.empty()) {
          co_return CallToolResult::Error("knowledge_base_id is required (none is configured)");
        }
        double count = NumberArg(args, "num_results").value_or(5);
        if (!(count >= 1 && count <= 100)) {
          co_return CallToolResult::Error("num_results must be 1..100");
        }
        request.number_of_results = static_cast<int>(count);
        if (auto it = args.find("filter"); it != args.end() && it->value().is_object()) {
          request.filter = it->value();
        }
        request.override_search_type = StringArg(args, "search_type").value_or("");
        auto found = co_await Search(state, std::move(request));
        if (!found.ok()) co_return CallToolResult::Error(found.error().message());
        co_return JsonResult(std::move(*found));
      }));

  for (const auto& kb : state->config.knowledge_bases) {
    mcp::Resource resource;
    resource.uri = std::string(kKbUriPrefix) + kb.id;
    resource.name = kb.name.empty() ? kb.id : kb.name;
    resource.description = kb.description.empty() ? "Bedrock Knowledge Base " + kb.id +
                                                        "; read .../search/{query} to query it"
                                                  : kb.description;
    resource.mime_type = "application/json";
    resource.read = [kb](std::string uri, ServerContext&) -> Awaitable<core::Result<json::array>> {
      json::object info{{"id", kb.id},
                        {"name", kb.name},
                        {"description", kb.description},
                        {"searchTemplate", std::string(kKbUriPrefix) + kb.id + "/search/{query}"}};
      co_return json::array{
          mcp::content::TextResource(uri, "application/json", json::serialize(info))};
    };
    server.AddResource(std::move(resource));
  }

  mcp::ResourceTemplate search;
  search.uri_template = std::string(kKbUriPrefix) + "{knowledgeBaseId}/search/{query}";
  search.name = "knowledge-base-search";
  search.description = "The best passages of a knowledge base for a (percent-encoded) query";
  search.mime_type = "application/json";
  search.read = [state](std::string uri, std::map<std::string, std::string> variables,
                        ServerContext&) -> Awaitable<core::Result<json::array>> {
    llm::RetrieveRequest request;
    request.knowledge_base_id = PercentDecode(variables["knowledgeBaseId"]);
    request.text = PercentDecode(variables["query"]);
    request.number_of_results = 5;
    BEDROCK_CO_TRY_ASSIGN(json::object found, co_await Search(state, std::move(request)));
    co_return json::array{
        mcp::content::TextResource(uri, "application/json", json::serialize(found))};
  };
  server.AddResourceTemplate(std::move(search));
}

void AddEmbeddingTool(mcp::Server& server, const std::shared_ptr<State>& state) {
  server.AddTool(MakeTool(
      "embed_text", "Embeds one or many texts with Amazon Titan Text Embeddings V2",
      Schema(R"js({"type":"object","properties":{
        "text":{"type":"string"},"texts":{"type":"array","items":{"type":"string"}},
        "dimensions":{"type":"integer","enum":[256,512,1024],"default":1024},
        "normalize":{"type":"boolean","default":true},"model_id":{"type":"string"}}})js"),
      [state](json::object args, ServerContext& ctx) -> ToolResult {
        std::vector<std::string> texts;
        if (auto text = StringArg(args, "text")) texts.push_back(*text);
        if (auto it = args.find("texts"); it != args.end() && it->value().is_array()) {
          for (const auto& t : it->value().get_array()) {
            if (!t.is_string()) co_return CallToolResult::Error("texts must be strings");
            texts.emplace_back(t.get_string());
          }
        }
        if (texts.empty()) co_return CallToolResult::Error("text or texts is required");
        if (texts.size() > 128) co_return CallToolResult::Error("at most 128 texts per call");
        auto dimensions = NumberArg(args, "dimensions");
        if (dimensions && *dimensions != 256 && *dimensions != 512 && *dimensions != 1024) {
          co_return CallToolResult::Error("dimensions must be 256, 512 or 1024");
        }
        std::string model = StringArg(args, "model_id").value_or(state->config.embedding_model);
        BEDROCK_CO_TRY_ASSIGN(BedrockClients clients, co_await state->Clients());
        if (!clients.invoke)
          co_return CallToolResult::Error("Bedrock InvokeModel is not configured");
        json::array embeddings;
        int64_t tokens = 0;
        for (size_t i = 0; i < texts.size(); ++i) {
          if (ctx.cancelled()) co_return core::Error::Cancelled("embed_text was cancelled");
          llm::TitanEmbeddingRequest request;
          request.input_text = texts[i];
          if (dimensions) request.dimensions = static_cast<int>(*dimensions);
          request.normalize = BoolArg(args, "normalize");
          auto embedded = co_await clients.invoke->EmbedTitan(model, std::move(request));
          if (!embedded.ok()) co_return CallToolResult::Error(embedded.error().message());
          json::array vector;
          for (float f : embedded->embedding) vector.push_back(static_cast<double>(f));
          tokens += embedded->input_text_token_count;
          embeddings.push_back(
              json::object{{"index", i},
                           {"dimensions", vector.size()},
                           {"embedding", std::move(vector)},
                           {"inputTextTokenCount", embedded->input_text_token_count}});
        }
        co_return JsonResult(json::object{{"model", model},
                                          {"embeddings", std::move(embeddings)},
                                          {"inputTextTokenCount", tokens}});
      }));
}

void AddAgentTool(mcp::Server& server, const std::shared_ptr<State>& state) {
  server.AddTool(MakeTool(
      "invoke_agent",
      "Delegates a task to a Bedrock Agent (InvokeAgent) and returns its answer with citations",
      Schema(R"js({"type":"object","properties":{
        "agent_id":{"type":"string"},
        "agent_alias_id":{"type":"string","default":"TSTALIASID"},
        "session_id":{"type":"string","description":"Reuse to continue a conversation"},
        "input":{"type":"string"},"end_session":{"type":"boolean"}},
        "required":["agent_id","input"]})js"),
      [state](json::object args, ServerContext&) -> ToolResult {
        llm::InvokeAgentRequest request;
        request.agent_id = StringArg(args, "agent_id").value_or("");
        request.input_text = StringArg(args, "input").value_or("");
        if (request.agent_id.empty() || request.input_text.empty()) {
          co_return CallToolResult::Error("agent_id and input must be non-empty strings");
        }
        request.agent_alias_id = StringArg(args, "agent_alias_id").value_or("TSTALIASID");
        request.session_id = StringArg(args, "session_id").value_or(RandomSessionId());
        request.end_session = BoolArg(args, "end_session");
        std::string session_id = request.session_id;
        BEDROCK_CO_TRY_ASSIGN(BedrockClients clients, co_await state->Clients());
        if (!clients.agents) co_return CallToolResult::Error("Agent Runtime is not configured");
        auto stream = co_await clients.agents->InvokeAgent(std::move(request));
        if (!stream.ok()) co_return CallToolResult::Error(stream.error().message());
        auto answer = co_await llm::CollectAgentResponse(**stream);
        if (!answer.ok()) co_return CallToolResult::Error(answer.error().message());
        json::array citations;
        std::string sources;
        for (const auto& citation : answer->citations) {
          json::array references;
          for (const auto& r : citation.references) {
            references.push_back(RetrievalToJson(r));
            if (!r.location_uri.empty()) sources += "\n- " + r.location_uri;
          }
          citations.push_back(json::object{{"text", citation.text}, {"references", references}});
        }
        std::string text = answer->completion;
        if (!sources.empty()) text += "\n\nSources:" + sources;
        json::object structured{
            {"completion", answer->completion},
            {"sessionId", answer->session_id.empty() ? session_id : answer->session_id},
            {"citations", std::move(citations)}};
        if (answer->return_control) structured["returnControl"] = *answer->return_control;
        CallToolResult result = CallToolResult::Text(text);
        result.structured_content = std::move(structured);
        co_return result;
      }));
}

void AddCacheResource(mcp::Server& server, const std::shared_ptr<State>& state) {
  mcp::Resource resource;
  resource.uri = std::string(kStatsUri);
  resource.name = "cache-stats";
  resource.description = "Response cache hit/miss counts";
  resource.mime_type = "application/json";
  resource.read = [state](std::string uri, ServerContext&) -> Awaitable<core::Result<json::array>> {
    json::object stats{{"enabled", state->cache != nullptr}};
    if (state->cache) {
      CacheStats s = state->cache->stats();
      const auto& options = state->cache->options();
      stats["hits"] = s.hits;
      stats["semanticHits"] = s.semantic_hits;
      stats["misses"] = s.misses;
      stats["stores"] = s.stores;
      stats["errors"] = s.errors;
      stats["ttlSeconds"] = options.ttl.count();
      stats["semantic"] = options.semantic;
      stats["semanticThreshold"] = options.semantic_threshold;
    }
    co_return json::array{
        mcp::content::TextResource(uri, "application/json", json::serialize(stats))};
  };
  server.AddResource(std::move(resource));
}

// --- config ---

core::Status RejectUnknown(const json::object& object, std::string_view where,
                           std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      return core::Error::InvalidArgument("bedrock tools config: unknown key \"{}{}\"", where,
                                          std::string_view(key));
    }
  }
  return core::OkStatus();
}

core::Result<std::string> StringMember(const json::object& object, std::string_view key,
                                       std::string_view where) {
  const auto& value = object.at(key);
  if (!value.is_string()) {
    return core::Error::InvalidArgument("bedrock tools config: \"{}{}\" must be a string", where,
                                        key);
  }
  return std::string(value.get_string());
}

}  // namespace

std::vector<Specialist> DefaultSpecialists() {
  return {
      {"code_reviewer",
       "You are a senior software engineer. Review the provided code for bugs, security issues, "
       "and best practices. Be specific and actionable.",
       "", std::nullopt, std::nullopt},
      {"legal_analyst",
       "You are a legal document analyst. Identify key clauses, obligations, risks, and red flags "
       "in the provided text.",
       "", std::nullopt, std::nullopt},
      {"translator_es",
       "You are a professional Spanish translator. Translate the provided text naturally and "
       "accurately.",
       "", std::nullopt, std::nullopt},
      {"data_scientist",
       "You are a senior data scientist. Analyze the provided data or code and suggest "
       "statistical insights and improvements.",
       "", std::nullopt, std::nullopt},
  };
}

BedrockToolsConfig DefaultBedrockToolsConfig() {
  BedrockToolsConfig config;
  config.specialists = DefaultSpecialists();
  return config;
}

core::Result<BedrockToolsConfig> ParseBedrockToolsConfig(std::string_view json_text) {
  boost::system::error_code ec;
  json::value root = json::parse(json_text, ec);
  if (ec) return core::Error::InvalidArgument("bedrock tools config: {}", ec.message());
  if (!root.is_object()) {
    return core::Error::InvalidArgument("bedrock tools config: must be a JSON object");
  }
  const auto& object = root.get_object();
  BEDROCK_TRY(RejectUnknown(object, "",
                            {"defaultModel", "embeddingModel", "specialists",
                             "replaceDefaultSpecialists", "knowledgeBases", "cache"}));
  BedrockToolsConfig config = DefaultBedrockToolsConfig();
  if (object.contains("defaultModel")) {
    config.default_model = BEDROCK_TRY(StringMember(object, "defaultModel", ""));
  }
  if (object.contains("embeddingModel")) {
    config.embedding_model = BEDROCK_TRY(StringMember(object, "embeddingModel", ""));
  }
  if (auto it = object.find("replaceDefaultSpecialists"); it != object.end()) {
    if (!it->value().is_bool()) {
      return core::Error::InvalidArgument(
          "bedrock tools config: \"replaceDefaultSpecialists\" must be a boolean");
    }
    if (it->value().get_bool()) config.specialists.clear();
  }
  if (auto it = object.find("specialists"); it != object.end()) {
    if (!it->value().is_object()) {
      return core::Error::InvalidArgument(
          "bedrock tools config: \"specialists\" must be an object");
    }
    for (const auto& [name, value] : it->value().get_object()) {
      std::string where = fmt::format("specialists.{}.", std::string_view(name));
      if (!value.is_object()) {
        return core::Error::InvalidArgument(
            "bedrock tools config: \"specialists.{}\" must be an "
            "object",
            std::string_view(name));
      }
      const auto& entry = value.get_object();
      BEDROCK_TRY(
          RejectUnknown(entry, where, {"systemPrompt", "model", "maxTokens", "temperature"}));
      if (!entry.contains("systemPrompt")) {
        return core::Error::InvalidArgument("bedrock tools config: \"{}systemPrompt\" is required",
                                            where);
      }
      Specialist specialist;
      specialist.name = std::string(name);
      specialist.system_prompt = BEDROCK_TRY(StringMember(entry, "systemPrompt", where));
      if (entry.contains("model"))
        specialist.model = BEDROCK_TRY(StringMember(entry, "model", where));
      if (auto max = NumberArg(entry, "maxTokens")) specialist.max_tokens = static_cast<int>(*max);
      if (auto t = NumberArg(entry, "temperature")) specialist.temperature = *t;
      auto existing = std::find_if(config.specialists.begin(), config.specialists.end(),
                                   [&](const Specialist& s) { return s.name == specialist.name; });
      if (existing != config.specialists.end()) {
        *existing = std::move(specialist);
      } else {
        config.specialists.push_back(std::move(specialist));
      }
    }
  }
  if (auto it = object.find("knowledgeBases"); it != object.end()) {
    if (!it->value().is_array()) {
      return core::Error::InvalidArgument(
          "bedrock tools config: \"knowledgeBases\" must be an array");
    }
    for (const auto& value : it->value().get_array()) {
      if (!value.is_object() || !value.get_object().contains("id")) {
        return core::Error::InvalidArgument(
            "bedrock tools config: each of \"knowledgeBases\" needs an \"id\"");
      }
      const auto& entry = value.get_object();
      BEDROCK_TRY(RejectUnknown(entry, "knowledgeBases[].", {"id", "name", "description"}));
      KnowledgeBase kb;
      kb.id = BEDROCK_TRY(StringMember(entry, "id", "knowledgeBases[]."));
      if (entry.contains("name"))
        kb.name = BEDROCK_TRY(StringMember(entry, "name", "knowledgeBases[]."));
      if (entry.contains("description")) {
        kb.description = BEDROCK_TRY(StringMember(entry, "description", "knowledgeBases[]."));
      }
      config.knowledge_bases.push_back(std::move(kb));
    }
  }
  if (auto it = object.find("cache"); it != object.end()) {
    if (!it->value().is_object()) {
      return core::Error::InvalidArgument("bedrock tools config: \"cache\" must be an object");
    }
    const auto& cache = it->value().get_object();
    BEDROCK_TRY(
        RejectUnknown(cache, "cache.", {"url", "ttlSeconds", "semantic", "semanticThreshold"}));
    if (cache.contains("url")) config.cache_url = BEDROCK_TRY(StringMember(cache, "url", "cache."));
    if (auto ttl = NumberArg(cache, "ttlSeconds")) {
      if (*ttl <= 0)
        return core::Error::InvalidArgument(
            "bedrock tools config: \"cache.ttlSeconds\" must be > 0");
      config.cache.ttl = std::chrono::seconds(static_cast<int64_t>(*ttl));
    }
    if (auto semantic = BoolArg(cache, "semantic")) config.cache.semantic = *semantic;
    if (auto threshold = NumberArg(cache, "semanticThreshold")) {
      if (!(*threshold > 0 && *threshold <= 1)) {
        return core::Error::InvalidArgument(
            "bedrock tools config: \"cache.semanticThreshold\" must be in (0, 1]");
      }
      config.cache.semantic_threshold = *threshold;
    }
  }
  return config;
}

core::Result<BedrockToolsConfig> LoadBedrockToolsConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::Error::InvalidArgument("bedrock tools config: cannot read {}", path);
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseBedrockToolsConfig(text.str());
  if (!config.ok()) {
    return core::Error(config.error().code(),
                       fmt::format("{}: {}", path, config.error().message()));
  }
  return config;
}

const Specialist* FindSpecialist(const BedrockToolsConfig& config, std::string_view name) {
  for (const auto& s : config.specialists) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string UnknownSpecialistMessage(const BedrockToolsConfig& config, std::string_view name) {
  std::string names;
  for (const auto& s : config.specialists) names += (names.empty() ? "" : ", ") + s.name;
  return fmt::format("Unknown specialist '{}'. Available: {}", name, names);
}

ClientsFactory EnvClientsFactory(const core::Env& env) {
  return [&env](asio::any_io_executor executor) -> core::Result<BedrockClients> {
    auto http = BEDROCK_TRY(http::Client::Create(executor));
    auto options = BEDROCK_TRY(llm::BedrockOptionsFromEnv(env));
    if (options.region.empty()) options.region = "us-east-1";
    aws::ProviderContext context(http, env, core::SystemClock::Instance());
    auto credentials = aws::DefaultCredentialsProvider::Create(executor, context);
    if (options.bearer_token.empty()) options.credentials = credentials->AsFunction();
    BedrockClients clients;
    clients.keepalive = credentials;
    clients.chat = BEDROCK_TRY(llm::BedrockProvider::Create(http, options));
    clients.invoke = BEDROCK_TRY(llm::BedrockInvokeClient::Create(http, options));
    auto agent_options = BEDROCK_TRY(llm::AgentRuntimeOptionsFromEnv(env));
    if (agent_options.region.empty()) agent_options.region = options.region;
    agent_options.credentials = credentials->AsFunction();
    clients.agents = BEDROCK_TRY(llm::AgentRuntimeClient::Create(http, std::move(agent_options)));
    return clients;
  };
}

core::Result<std::shared_ptr<mcp::Server>> MakeBedrockToolsServer(BedrockToolsConfig config,
                                                                  ClientsFactory clients) {
  auto state = std::make_shared<State>();
  if (config.cache_url != "off") {
    auto table = store::OpenCacheTable(config.cache_url);
    if (!table.ok()) return table.error();
    state->cache = std::make_unique<ResponseCache>(std::move(*table), config.cache);
  }
  state->config = std::move(config);
  state->factory = std::move(clients);

  mcp::ServerOptions options;
  options.instructions =
      "Amazon Bedrock as tools: ask specialists or any model (converse, converse_stream), search "
      "knowledge bases, embed text, delegate to Bedrock Agents. Answers are cached.";
  auto server =
      std::make_shared<mcp::Server>(mcp::Implementation("bedrock-mcp-bedrock", "1.0.0"), options);
  AddConverseTools(*server, state);
  AddKnowledgeBaseTools(*server, state);
  AddEmbeddingTool(*server, state);
  AddAgentTool(*server, state);
  AddCacheResource(*server, state);
  return server;
}

}  // namespace bedrock::tools

#include "llm/bedrock_agent_runtime.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <utility>

#include "aws/client_config.h"
#include "aws/credential_chain.h"
#include "aws/event_stream.h"
#include "aws/sigv4.h"
#include "core/base64.h"
#include "llm/internal/bedrock_http.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using internal::BedrockHttp;

std::string_view StringAt(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

const json::object* ObjectAt(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

core::Result<json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return core::Error::UpstreamFailure("malformed {}: not a JSON object", what);
  }
  return std::move(value.as_object());
}

// A KnowledgeBaseRetrievalResult or RetrievedReference.
core::Result<RetrievalResult> ParseRetrievalResult(const json::value& value) {
  if (!value.is_object()) {
    return core::Error::UpstreamFailure("malformed retrieval result: not an object");
  }
  const auto& object = value.as_object();
  RetrievalResult out;
  if (const auto* content = ObjectAt(object, "content")) {
    out.content_type = std::string(StringAt(*content, "type"));
    out.text = std::string(StringAt(*content, "text"));
  }
  if (const auto* score = object.if_contains("score"); score && score->is_number()) {
    out.score = score->to_number<double>();
  }
  if (const auto* location = ObjectAt(object, "location")) {
    out.location = *location;
    out.location_type = std::string(StringAt(*location, "type"));
    // The one member named "...Location" holds the address under uri, url, id or query.
    for (const auto& [key, member] : *location) {
      if (!key.ends_with("Location") || !member.is_object()) continue;
      for (const char* field : {"uri", "url", "id", "query"}) {
        if (auto address = StringAt(member.as_object(), field); !address.empty()) {
          out.location_uri = std::string(address);
          break;
        }
      }
      if (!out.location_uri.empty()) break;
    }
  }
  if (const auto* metadata = ObjectAt(object, "metadata")) out.metadata = *metadata;
  out.document_id = std::string(StringAt(object, "documentId"));
  return out;
}

core::Result<std::vector<AgentCitation>> ParseCitations(const json::object& chunk) {
  std::vector<AgentCitation> out;
  const auto* attribution = ObjectAt(chunk, "attribution");
  const json::value* citations = attribution ? attribution->if_contains("citations") : nullptr;
  if (citations == nullptr) return out;
  if (!citations->is_array()) {
    return core::Error::UpstreamFailure("malformed chunk event: citations is not an array");
  }
  for (const auto& item : citations->as_array()) {
    if (!item.is_object()) {
      return core::Error::UpstreamFailure("malformed chunk event: a citation is not an object");
    }
    AgentCitation citation;
    const auto* generated = ObjectAt(item.as_object(), "generatedResponsePart");
    if (const auto* part = generated ? ObjectAt(*generated, "textResponsePart") : nullptr) {
      citation.text = std::string(StringAt(*part, "text"));
      if (const auto* span = ObjectAt(*part, "span")) {
        if (const auto* s = span->if_contains("start"); s && s->is_int64()) {
          citation.span_start = static_cast<int>(s->as_int64());
        }
        if (const auto* e = span->if_contains("end"); e && e->is_int64()) {
          citation.span_end = static_cast<int>(e->as_int64());
        }
      }
    }
    if (const auto* refs = item.as_object().if_contains("retrievedReferences");
        refs && refs->is_array()) {
      for (const auto& ref : refs->as_array()) {
        citation.references.push_back(BEDROCK_TRY(ParseRetrievalResult(ref)));
      }
    }
    out.push_back(std::move(citation));
  }
  return out;
}

// The events of one InvokeAgent response.
class AgentEventStream final : public AgentStream {
 public:
  explicit AgentEventStream(std::shared_ptr<BedrockHttp> http, http::StreamingResponse response)
      : http_(std::move(http)),
        session_id_(response.headers().Get("x-amz-bedrock-agent-session-id").value_or("")),
        memory_id_(response.headers().Get("x-amz-bedrock-agent-memory-id").value_or("")),
        reader_(std::move(response)) {}

  awaitable<core::Result<std::optional<AgentEvent>>> Next() override {
    while (pending_.empty()) {
      if (error_) co_return *error_;
      if (ended_) co_return std::optional<AgentEvent>();
      auto more = co_await reader_.ReadMore(on_message_);
      // Events decoded before a failure are still delivered, then the error.
      if (!more.ok()) {
        error_ = http_->Wrap(more.error());
        reader_.Close();
      } else if (!*more) {
        ended_ = true;
      }
    }
    AgentEvent event = std::move(pending_.front());
    pending_.pop_front();
    co_return std::optional<AgentEvent>(std::move(event));
  }

  const std::string& session_id() const override { return session_id_; }
  const std::string& memory_id() const override { return memory_id_; }
  void Close() override { reader_.Close(); }

 private:
  core::Status OnMessage(const aws::EventMessageView& message) {
    aws::EventView view = BEDROCK_TRY(aws::InterpretMessage(message));
    auto event = BEDROCK_TRY(DecodeAgentEvent(view.event_type, view.payload));
    if (event) pending_.push_back(std::move(*event));
    return core::OkStatus();
  }

  std::shared_ptr<BedrockHttp> http_;  // for the error context
  std::string session_id_;
  std::string memory_id_;
  internal::EventStreamReader reader_;
  const aws::EventStreamDecoder::Callback on_message_ = [this](const aws::EventMessageView& m) {
    return OnMessage(m);
  };
  std::deque<AgentEvent> pending_;
  std::optional<core::Error> error_;
  bool ended_ = false;
};

}  // namespace

core::Result<BedrockOptions> AgentRuntimeOptionsFromEnv(const core::Env& env,
                                                        const aws::ProfileSet* profiles,
                                                        std::string_view profile_name) {
  BedrockOptions options;
  if (auto region = aws::ResolveRegion(env, profiles, profile_name)) options.region = *region;
  if (auto endpoint = aws::ResolveEndpointUrl(env, profiles, profile_name,
                                              aws::kBedrockAgentRuntimeServiceId)) {
    options.endpoint = *endpoint;
  }
  options.retry = BEDROCK_TRY(aws::RetryConfigFromEnv(env, profiles, profile_name, options.retry));
  return options;
}

// --- Retrieve ---

std::string EncodeRetrieveRequest(const RetrieveRequest& request) {
  json::object body{{"retrievalQuery", json::object{{"text", request.text}}}};
  json::object vector_search;
  if (request.number_of_results) vector_search["numberOfResults"] = *request.number_of_results;
  if (!request.override_search_type.empty()) {
    vector_search["overrideSearchType"] = request.override_search_type;
  }
  if (!request.filter.is_null()) vector_search["filter"] = request.filter;
  if (!vector_search.empty()) {
    body["retrievalConfiguration"] =
        json::object{{"vectorSearchConfiguration", std::move(vector_search)}};
  }
  if (!request.next_token.empty()) body["nextToken"] = request.next_token;
  return json::serialize(body);
}

core::Result<RetrieveResponse> DecodeRetrieveResponse(std::string_view body) {
  json::object object = BEDROCK_TRY(ParseObject(body, "Retrieve response"));
  const json::value* results = object.if_contains("retrievalResults");
  if (results == nullptr || !results->is_array()) {
    return core::Error::UpstreamFailure("malformed Retrieve response: no retrievalResults array");
  }
  RetrieveResponse out;
  out.results.reserve(results->as_array().size());
  for (const auto& item : results->as_array()) {
    out.results.push_back(BEDROCK_TRY(ParseRetrievalResult(item)));
  }
  out.next_token = std::string(StringAt(object, "nextToken"));
  out.guardrail_action = std::string(StringAt(object, "guardrailAction"));
  return out;
}

// --- InvokeAgent ---

std::string EncodeInvokeAgentRequest(const InvokeAgentRequest& request) {
  json::object body;
  if (!request.session_state.is_null()) body["sessionState"] = request.session_state;
  body["enableTrace"] = request.enable_trace;
  if (request.end_session) body["endSession"] = *request.end_session;
  if (!request.memory_id.empty()) body["memoryId"] = request.memory_id;
  body["inputText"] = request.input_text;
  return json::serialize(body);
}

core::Result<std::optional<AgentEvent>> DecodeAgentEvent(std::string_view event_type,
                                                         std::string_view payload) {
  if (event_type == "chunk") {
    json::object object = BEDROCK_TRY(ParseObject(payload, "chunk event"));
    AgentChunk chunk;
    if (const auto* bytes = object.if_contains("bytes"); bytes != nullptr) {
      auto decoded = bytes->is_string() ? core::Base64Decode(bytes->as_string()) : std::nullopt;
      if (!decoded) return core::Error::UpstreamFailure("chunk event `bytes` is not base64");
      chunk.text = std::move(*decoded);
    }
    chunk.citations = BEDROCK_TRY(ParseCitations(object));
    return std::optional<AgentEvent>(std::move(chunk));
  }
  if (event_type == "trace") {
    return std::optional<AgentEvent>(AgentTrace{BEDROCK_TRY(ParseObject(payload, "trace event"))});
  }
  if (event_type == "returnControl") {
    return std::optional<AgentEvent>(
        AgentReturnControl{BEDROCK_TRY(ParseObject(payload, "returnControl event"))});
  }
  if (event_type == "files") {
    return std::optional<AgentEvent>(AgentFiles{BEDROCK_TRY(ParseObject(payload, "files event"))});
  }
  return std::optional<AgentEvent>();
}

awaitable<core::Result<AgentResponse>> CollectAgentResponse(AgentStream& stream) {
  AgentResponse out;
  while (true) {
    BEDROCK_CO_TRY_ASSIGN(std::optional<AgentEvent> event, co_await stream.Next());
    if (!event) break;
    if (auto* chunk = std::get_if<AgentChunk>(&*event)) {
      out.completion += chunk->text;
      for (auto& citation : chunk->citations) out.citations.push_back(std::move(citation));
    } else if (auto* trace = std::get_if<AgentTrace>(&*event)) {
      out.traces.push_back(std::move(trace->part));
    } else if (auto* control = std::get_if<AgentReturnControl>(&*event)) {
      out.return_control = std::move(control->payload);
    } else if (auto* files = std::get_if<AgentFiles>(&*event)) {
      out.files.push_back(std::move(files->payload));
    }
  }
  out.session_id = stream.session_id();
  out.memory_id = stream.memory_id();
  co_return out;
}

// --- AgentRuntimeClient ---

core::Result<std::unique_ptr<AgentRuntimeClient>> AgentRuntimeClient::Create(
    http::Client client, BedrockOptions options) {
  auto http = BEDROCK_TRY(
      BedrockHttp::Create(std::move(client), std::move(options), internal::kAgentRuntimeService));
  return std::unique_ptr<AgentRuntimeClient>(new AgentRuntimeClient(std::move(http)));
}

AgentRuntimeClient::AgentRuntimeClient(std::shared_ptr<BedrockHttp> http)
    : http_(std::move(http)) {}
AgentRuntimeClient::~AgentRuntimeClient() = default;

const std::string& AgentRuntimeClient::endpoint() const { return http_->endpoint(); }

// The coroutines hold their own reference to the transport, so the client may be destroyed while
// a call is in flight.
awaitable<core::Result<RetrieveResponse>> AgentRuntimeClient::Retrieve(RetrieveRequest request) {
  auto http = http_;
  internal::BedrockCall call;
  call.path = fmt::format("/knowledgebases/{}/retrieve",
                          aws::UriEncode(request.knowledge_base_id, /*keep_slash=*/false));
  call.body = EncodeRetrieveRequest(request);
  BEDROCK_CO_TRY_ASSIGN(http::Response response, co_await http->Send(std::move(call)));
  auto decoded = DecodeRetrieveResponse(response.body);
  if (!decoded.ok()) co_return http->Wrap(decoded.error());
  co_return std::move(*decoded);
}

awaitable<core::Result<std::unique_ptr<AgentStream>>> AgentRuntimeClient::InvokeAgent(
    InvokeAgentRequest request) {
  auto http = http_;
  internal::BedrockCall call;
  call.path = fmt::format(
      "/agents/{}/agentAliases/{}/sessions/{}/text", aws::UriEncode(request.agent_id, false),
      aws::UriEncode(request.agent_alias_id, false), aws::UriEncode(request.session_id, false));
  call.body = EncodeInvokeAgentRequest(request);
  call.headers.emplace_back("x-amz-source-arn", request.source_arn);
  BEDROCK_CO_TRY_ASSIGN(http::StreamingResponse response, co_await http->Open(std::move(call)));
  co_return std::unique_ptr<AgentStream>(
      std::make_unique<AgentEventStream>(http, std::move(response)));
}

}  // namespace bedrock::llm

// Bedrock Agent Runtime: Retrieve (query a knowledge base) and InvokeAgent (talk to a Bedrock
// Agent, answer streamed as an event stream).
//
//   auto options = BEDROCK_TRY(llm::AgentRuntimeOptionsFromEnv(env));   // region, endpoint
//   options.credentials = [chain]() { return chain->Get(); };
//   auto agents = BEDROCK_TRY(llm::AgentRuntimeClient::Create(http_client, std::move(options)));
//
//   llm::RetrieveRequest retrieve;
//   retrieve.knowledge_base_id = "KB12345678";
//   retrieve.text = "capital of France?";
//   retrieve.number_of_results = 5;
//   auto found = co_await agents->Retrieve(std::move(retrieve));   // ->results[i].text, .score
//
//   llm::InvokeAgentRequest invoke;
//   invoke.agent_id = "AGENT12345"; invoke.agent_alias_id = "TSTALIASID";
//   invoke.session_id = "s-1"; invoke.input_text = "hello agent";
//   auto stream = co_await agents->InvokeAgent(std::move(invoke));    // events as they come
//   auto answer = co_await llm::CollectAgentResponse(**stream);       // or assembled
//
// Wire (aws-models/bedrock-agent-runtime-service-2.json): restJson1, SigV4 with signing name
// "bedrock" (no API keys), endpoint https://bedrock-agent-runtime.{region}.amazonaws.com unless
// AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME / AWS_ENDPOINT_URL (or the profile's) say otherwise.
// Retrieve: POST /knowledgebases/{id}/retrieve. InvokeAgent: POST
// /agents/{agentId}/agentAliases/{aliasId}/sessions/{sessionId}/text, answered with an event
// stream of `chunk` ({"bytes": base64 text, "attribution": {"citations": [...]}}), `trace`,
// `returnControl` and `files` events; exception frames (throttlingException,
// dependencyFailedException, ...) end it with their error. Errors read "bedrock agent runtime:
// <AwsType>: <message>". Retries as BedrockProvider: before the response head only.
//
// Thread-safety: an AgentRuntimeClient may be shared by concurrent coroutines; an AgentStream
// belongs to one coroutine, except Close(), callable from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "aws/shared_config.h"
#include "core/env.h"
#include "core/result.h"
#include "http/client.h"
#include "llm/bedrock_provider.h"

namespace bedrock::llm {

namespace internal {
class BedrockHttp;
}

// Region (AWS_REGION, AWS_DEFAULT_REGION, the profile's), endpoint
// (aws::ResolveEndpointUrl for "Bedrock Agent Runtime": AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME,
// the profile's services section, AWS_ENDPOINT_URL, the profile's endpoint_url) and retry settings.
// `profiles` may be null. The API key (AWS_BEARER_TOKEN_BEDROCK) is not used: this service takes
// SigV4 only. Credentials are left to the caller.
core::Result<BedrockOptions> AgentRuntimeOptionsFromEnv(const core::Env& env,
                                                        const aws::ProfileSet* profiles = nullptr,
                                                        std::string_view profile_name = "");

// --- Retrieve ---

struct RetrieveRequest {
  std::string knowledge_base_id;
  std::string text;                      // retrievalQuery.text
  std::optional<int> number_of_results;  // vectorSearchConfiguration.numberOfResults (1..100)
  std::string override_search_type;      // "HYBRID" or "SEMANTIC"; empty: the KB's default
  // vectorSearchConfiguration.filter, passed through as is (a RetrievalFilter object); null: none.
  boost::json::value filter;
  std::string next_token;
};

// One retrieved chunk (KnowledgeBaseRetrievalResult, also InvokeAgent's RetrievedReference).
struct RetrievalResult {
  std::string content_type;  // "TEXT", "IMAGE", "ROW", ...; may be empty
  std::string text;          // content.text
  std::optional<double> score;
  std::string location_type;  // "S3", "WEB", "CUSTOM", ...
  // The location's address: s3Location.uri, webLocation.url, customDocumentLocation.id, ...
  std::string location_uri;
  boost::json::value location;   // the whole `location` object (null when absent)
  boost::json::object metadata;  // e.g. x-amz-bedrock-kb-source-uri
  std::string document_id;
};

struct RetrieveResponse {
  std::vector<RetrievalResult> results;
  std::string next_token;        // empty: no more pages
  std::string guardrail_action;  // "INTERVENED", "NONE" or empty
};

// The Retrieve request body and the response parser (exposed for tests and the emulator).
std::string EncodeRetrieveRequest(const RetrieveRequest& request);
// kUpstreamFailure when the body is not a RetrieveResponse.
core::Result<RetrieveResponse> DecodeRetrieveResponse(std::string_view body);

// --- InvokeAgent ---

struct InvokeAgentRequest {
  std::string agent_id;
  std::string agent_alias_id;
  std::string session_id;
  std::string input_text;
  bool enable_trace = false;
  std::optional<bool> end_session;
  std::string memory_id;
  // sessionState, passed through as is (sessionAttributes, promptSessionAttributes,
  // returnControlInvocationResults, ...); null: none.
  boost::json::value session_state;
  std::string source_arn;  // x-amz-source-arn header; empty: none
};

// A citation attached to a chunk of the answer.
struct AgentCitation {
  std::string text;  // generatedResponsePart.textResponsePart.text
  std::optional<int> span_start, span_end;
  std::vector<RetrievalResult> references;  // retrievedReferences
};

// A piece of the agent's answer.
struct AgentChunk {
  std::string text;  // the base64-decoded `bytes`
  std::vector<AgentCitation> citations;
};
// A `trace` event (TracePart: agentId, sessionId, trace{...}, ...), as received.
struct AgentTrace {
  boost::json::value part;
};
// The agent hands control back (returnControl: invocationId, invocationInputs[...]).
struct AgentReturnControl {
  boost::json::value payload;
};
// Files the agent produced (files: {files: [...]}), as received.
struct AgentFiles {
  boost::json::value payload;
};
using AgentEvent = std::variant<AgentChunk, AgentTrace, AgentReturnControl, AgentFiles>;

// The events of one InvokeAgent response.
class AgentStream {
 public:
  virtual ~AgentStream() = default;
  // The next event, or nullopt once the response ended (between frames). An exception frame, a
  // corrupt or truncated frame or a malformed event ends the stream with its error; later calls
  // return it again. Unknown event types are skipped.
  virtual boost::asio::awaitable<core::Result<std::optional<AgentEvent>>> Next() = 0;
  virtual const std::string& session_id() const = 0;  // x-amz-bedrock-agent-session-id
  virtual const std::string& memory_id() const = 0;   // x-amz-bedrock-agent-memory-id
  virtual void Close() = 0;
};

// A whole InvokeAgent answer.
struct AgentResponse {
  std::string completion;  // every chunk's text, in order
  std::vector<AgentCitation> citations;
  std::vector<boost::json::value> traces;            // trace events (enable_trace)
  std::optional<boost::json::value> return_control;  // set when the agent asked for results
  std::vector<boost::json::value> files;
  std::string session_id;
  std::string memory_id;
};

// Reads `stream` to its end. `stream` must outlive the awaitable.
boost::asio::awaitable<core::Result<AgentResponse>> CollectAgentResponse(AgentStream& stream);

// The InvokeAgent request body (exposed for tests and the emulator) and one decoded event.
std::string EncodeInvokeAgentRequest(const InvokeAgentRequest& request);
// nullopt for an event type this build does not know; kUpstreamFailure for a malformed one.
core::Result<std::optional<AgentEvent>> DecodeAgentEvent(std::string_view event_type,
                                                         std::string_view payload);

class AgentRuntimeClient {
 public:
  // kInvalidArgument for a missing region, a malformed endpoint, missing credentials or a bearer
  // token (this service takes SigV4 only).
  static core::Result<std::unique_ptr<AgentRuntimeClient>> Create(http::Client client,
                                                                  BedrockOptions options);
  ~AgentRuntimeClient();

  boost::asio::awaitable<core::Result<RetrieveResponse>> Retrieve(RetrieveRequest request);
  // Completes once the response head arrived (errors and retries before that are reported here).
  boost::asio::awaitable<core::Result<std::unique_ptr<AgentStream>>> InvokeAgent(
      InvokeAgentRequest request);

  // "https://bedrock-agent-runtime.us-east-1.amazonaws.com".
  const std::string& endpoint() const;

 private:
  explicit AgentRuntimeClient(std::shared_ptr<internal::BedrockHttp> http);
  std::shared_ptr<internal::BedrockHttp> http_;
};

}  // namespace bedrock::llm

// The transport every Bedrock client in llm/ shares (Bedrock Runtime: Converse, InvokeModel;
// Bedrock Agent Runtime: Retrieve, InvokeAgent): endpoint resolution, SigV4 signing (service
// "bedrock") or a bearer API key, the SDKs' invocation headers, retries (standard, legacy or
// adaptive mode) and restJson1 error mapping. Callers build the operation's path and body; this
// sends it and hands back a 2xx response, or the error with the client's context ("model provider
// bedrock: ...").
//
//   auto http = BEDROCK_TRY(internal::BedrockHttp::Create(client, options, kRuntimeService));
//   internal::BedrockCall call;
//   call.path = BedrockModelPath(model_id, "invoke");
//   call.body = body;
//   call.headers.emplace_back("accept", "application/json");
//   auto response = co_await http->Send(std::move(call));   // retried; 2xx only
//
// Retries happen before a response is accepted only: Open returns once a 2xx head arrived, and
// nothing read from that body is ever replayed.
//
// Thread-safety: a BedrockHttp may be shared (through its shared_ptr) by concurrent coroutines on
// any thread; Send and Open keep it alive until they complete.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/event_stream.h"
#include "aws/retry.h"
#include "core/result.h"
#include "http/client.h"
#include "http/message.h"
#include "llm/bedrock_provider.h"

namespace bedrock::llm::internal {

// Which service a BedrockHttp talks to.
struct BedrockService {
  std::string_view endpoint_prefix;  // "bedrock-runtime": the default endpoint's host prefix
  std::string_view error_context;    // "model provider bedrock": prefixes every error message
  bool bearer_allowed = true;        // Agent Runtime takes SigV4 only
};

inline constexpr BedrockService kRuntimeService{"bedrock-runtime", "model provider bedrock", true};
inline constexpr BedrockService kAgentRuntimeService{"bedrock-agent-runtime",
                                                     "bedrock agent runtime", false};

// One operation's request.
struct BedrockCall {
  // Below the endpoint, already percent-encoded as it goes on the wire: "/model/a%3A0/invoke".
  std::string path;
  std::string body;
  std::string content_type = "application/json";
  // Sent and signed after the standard ones, e.g. {"accept", "application/json"}. Names are sent
  // as given; empty values are skipped.
  std::vector<std::pair<std::string, std::string>> headers;
};

class BedrockHttp : public std::enable_shared_from_this<BedrockHttp> {
 public:
  // kInvalidArgument for a missing region, a malformed endpoint, missing credentials, or a bearer
  // token for a service that takes none.
  static core::Result<std::shared_ptr<BedrockHttp>> Create(http::Client client,
                                                           BedrockOptions options,
                                                           BedrockService service);

  // The whole 2xx response (buffered), after retries.
  boost::asio::awaitable<core::Result<http::Response>> Send(BedrockCall call);
  // A 2xx response whose body is read as it arrives (stream_idle_timeout between pieces).
  boost::asio::awaitable<core::Result<http::StreamingResponse>> Open(BedrockCall call);

  // "https://bedrock-runtime.us-east-1.amazonaws.com" (no trailing '/').
  const std::string& endpoint() const { return endpoint_; }

  // `error` with this client's context.
  core::Error Wrap(const core::Error& error) const;

  // Use Create.
  BedrockHttp(http::Client client, BedrockOptions options, BedrockService service);

 private:
  template <typename Response, typename Exchange>
  boost::asio::awaitable<core::Result<Response>> Retrying(const BedrockCall& call, bool stream,
                                                          Exchange exchange);
  boost::asio::awaitable<core::Result<http::ClientRequest>> BuildRequest(
      const BedrockCall& call, const std::string& invocation_id, int attempt, bool stream);

  http::Client client_;
  BedrockOptions options_;
  BedrockService service_;
  std::string endpoint_;     // scheme://authority[/prefix]
  std::string host_header_;  // as sent and signed
  std::string path_prefix_;  // the endpoint's path, "" or "/prefix"
  aws::RetryStrategy retry_;
};

// Reads an `application/vnd.amazon.eventstream` response body and decodes its frames as they
// arrive. Frames are not interpreted: callers dispatch on `:message-type` (aws::InterpretMessage).
//
// Not thread-safe (one coroutine reads), except Close(), callable from any thread.
class EventStreamReader {
 public:
  explicit EventStreamReader(http::StreamingResponse response, aws::EventStreamLimits limits = {})
      : response_(std::move(response)), decoder_(limits) {}
  ~EventStreamReader() { response_.Close(); }

  // Reads the next piece of the body and passes every message it completes to `on_message` (the
  // views live during the call only). Returns false once the body has ended between frames.
  // Errors (unwrapped): the transport's, a body cut inside a frame or a corrupt frame (kDataLoss),
  // or the callback's; messages completed before a corrupt frame are still passed on.
  boost::asio::awaitable<core::Result<bool>> ReadMore(
      const aws::EventStreamDecoder::Callback& on_message);

  const http::StreamingResponse& response() const { return response_; }
  void Close() { response_.Close(); }

 private:
  http::StreamingResponse response_;
  aws::EventStreamDecoder decoder_;
};

// A fresh amz-sdk-invocation-id (a random UUID v4).
std::string NewInvocationId();

}  // namespace bedrock::llm::internal

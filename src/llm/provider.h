// The interface the agent loop talks to: one chat model provider (Bedrock, an OpenAI-compatible
// endpoint, a test fake) behind Converse and ConverseStream.
//
//   llm::ChatProvider& model = ...;
//   auto stream = co_await model.ConverseStream(request);          // request taken by value
//   if (!stream.ok()) co_return stream.error();
//   llm::StreamAssembler assembler;
//   while (true) {
//     BEDROCK_CO_TRY_ASSIGN(auto event, co_await (*stream)->Next());
//     if (!event) break;                                           // the stream ended
//     Forward(*event);                                             // e.g. to the client, live
//     BEDROCK_CO_TRY(assembler.Add(*event));
//   }
//   BEDROCK_CO_TRY_ASSIGN(llm::ChatResponse response, assembler.Finish());
//
// Errors say where they come from: their message starts "model provider <name>: " and keeps the
// provider's own error type ("model provider bedrock: ThrottlingException: Too many tokens") or
// OpenAI error ("model provider openai: HTTP 429 rate_limit_exceeded: ..."); the code comes from
// the one AWS/HTTP mapping in core/error.h (throttling -> kResourceExhausted, ...).
//
// Lifetimes: requests are taken by value (the coroutines outlive the caller's expression). A
// ChatStream owns its connection; destroying it abandons the response.
//
// Thread-safety: a ChatProvider may be used by many coroutines concurrently (implementations share
// a connection pool). A ChatStream belongs to one coroutine, except Close(), callable from any
// thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "llm/model.h"

namespace bedrock::llm {

// The events of one streamed model response.
class ChatStream {
 public:
  virtual ~ChatStream() = default;

  // The next event, or nullopt when the stream has ended (after messageStop and metadata). An
  // error (a mid-stream exception frame, a corrupt frame, a dropped connection) ends the stream:
  // every later call returns it again.
  virtual boost::asio::awaitable<core::Result<std::optional<StreamEvent>>> Next() = 0;

  // Abandons the stream (closes the connection); a pending Next completes with kCancelled.
  virtual void Close() = 0;
};

class ChatProvider {
 public:
  virtual ~ChatProvider() = default;

  // A short name used in errors and logs: "bedrock", "openai".
  virtual std::string_view name() const = 0;

  // One whole response.
  virtual boost::asio::awaitable<core::Result<ChatResponse>> Converse(ChatRequest request) = 0;

  // A streamed response: completes once the provider has accepted the request (errors before the
  // stream starts, including retries, are reported here); events then come from the ChatStream.
  virtual boost::asio::awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(
      ChatRequest request) = 0;
};

// Reads a stream to its end and returns the assembled response. `stream` must outlive the
// awaitable (it is taken by reference).
boost::asio::awaitable<core::Result<ChatResponse>> CollectStream(ChatStream& stream);

// `error` with the provider named as its source: "model provider <name>: <message>".
core::Error ProviderError(std::string_view provider, const core::Error& error);

}  // namespace bedrock::llm

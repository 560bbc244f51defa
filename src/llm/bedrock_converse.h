// The Bedrock Converse / ConverseStream wire mapping, both directions, shared by the Bedrock client
// (llm/bedrock_provider.h) and the local emulator so that both speak exactly one dialect.
//
//   Client:   ChatRequest  -> EncodeConverseRequest  -> POST /model/{id}/converse[-stream]
//             response body -> DecodeConverseResponse -> ChatResponse
//             event-stream bytes -> ConverseStreamDecoder -> StreamEvent...
//   Emulator: request body -> DecodeConverseRequest -> ChatRequest
//             ChatResponse -> EncodeConverseResponse;  StreamEvent -> EncodeStreamEventFrame
//
// JSON follows the Bedrock Runtime model (aws-models/bedrock-runtime-service-2.json): blobs are
// base64 strings, Document members (tool input, input schema, additionalModelRequestFields) are raw
// JSON, members are emitted in model order. Decoders ignore unknown members (real Bedrock pads
// stream events with a "p" member) and skip content-block kinds the neutral model does not have
// (video, audio, citations, guardContent...), but reject malformed known ones.
//
// Thread-safety: pure functions; a ConverseStreamDecoder belongs to one stream.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aws/event_stream.h"
#include "core/result.h"
#include "llm/model.h"

namespace bedrock::llm::bedrock_converse {

// --- Requests ---

// The Converse (or, with `streaming`, ConverseStream) request body. `model_id` is not part of the
// body (it goes in the path). Fails (kInvalidArgument) only on what cannot be encoded: a tool
// result content item or system block of an unsupported kind never occurs, so in practice only an
// additionalModelRequestFields that is not an object.
core::Result<std::string> EncodeConverseRequest(const ChatRequest& request, bool streaming = false);
core::Result<boost::json::value> ConverseRequestToJson(const ChatRequest& request,
                                                       bool streaming = false);

// Parses a Converse/ConverseStream request body (emulator). kInvalidArgument, with a
// Bedrock-style message naming the member, for malformed JSON or shapes.
core::Result<ChatRequest> DecodeConverseRequest(std::string_view body);

// --- Responses ---

std::string EncodeConverseResponse(const ChatResponse& response);
boost::json::value ConverseResponseToJson(const ChatResponse& response);

// Parses a Converse response body. kUpstreamFailure when it is not the documented shape.
core::Result<ChatResponse> DecodeConverseResponse(std::string_view body);

// --- ConverseStream events ---

// The `:event-type` and JSON payload of an event.
std::string_view StreamEventType(const StreamEvent& event);
std::string StreamEventPayload(const StreamEvent& event);
// One encoded event-stream frame for the event (emulator).
std::string EncodeStreamEventFrame(const StreamEvent& event);

// Interprets one decoded event-stream message. An `exception`/`error` message becomes the error it
// carries (its AWS type kept: "ThrottlingException: ..."); an event of an unknown type is nullopt
// (ignored, as the SDKs do); a known event with a malformed payload is kUpstreamFailure.
core::Result<std::optional<StreamEvent>> DecodeStreamMessage(const aws::EventMessageView& message);
// The same from an event type and payload.
core::Result<std::optional<StreamEvent>> DecodeStreamEvent(std::string_view event_type,
                                                           std::string_view payload);

// Response body bytes -> events, fed in arbitrary pieces. The first error (corrupt frame, exception
// frame, malformed event) fails the decoder for good.
class ConverseStreamDecoder {
 public:
  using Callback = std::function<core::Status(StreamEvent&&)>;

  explicit ConverseStreamDecoder(aws::EventStreamLimits limits = {}) : decoder_(limits) {}

  core::Status Feed(std::string_view bytes, const Callback& on_event);
  // At the end of the body: fails when a partial frame is buffered.
  core::Status Finish() const { return decoder_.Finish(); }

 private:
  aws::EventStreamDecoder decoder_;
};

}  // namespace bedrock::llm::bedrock_converse

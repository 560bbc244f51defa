// InvokeModelWithResponseStream and InvokeAgent bodies as the Bedrock clients read them:
// event-stream frames -> aws::InterpretMessage -> each event's payload through the Claude Messages
// stream mapper (as the JSON a `chunk` carries) into llm::StreamAssembler, and through the
// InvokeAgent event decoder. The whole input is also parsed as a Claude Messages response, a
// Retrieve response and a Titan embedding response. Nothing may crash or hang; a stream the mapper
// finished must assemble or fail cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/event_stream.h"
#include "llm/bedrock_agent_runtime.h"
#include "llm/bedrock_claude.h"
#include "llm/bedrock_invoke.h"
#include "llm/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bedrock;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  (void)llm::claude_messages::DecodeResponse(input);
  (void)llm::DecodeRetrieveResponse(input);
  (void)llm::DecodeTitanEmbeddingResponse(input);

  // Small limits so the fuzzer reaches the limit paths with short inputs.
  aws::EventStreamDecoder decoder({.max_headers_length = 512, .max_payload_length = 8192});
  llm::claude_messages::StreamMapper mapper;
  llm::StreamAssembler assembler(
      llm::StreamAssembler::Limits{.max_blocks = 64, .max_bytes = 1 << 16});
  bool mapping = true;
  auto on_event = [&](llm::StreamEvent&& event) { return assembler.Add(event); };
  auto fed = decoder.Feed(input, [&](const aws::EventMessageView& message) -> core::Status {
    auto event = aws::InterpretMessage(message);
    if (!event.ok()) return event.error();
    (void)llm::DecodeAgentEvent(event->event_type, event->payload);
    if (mapping && !mapper.Map(event->payload, on_event).ok()) mapping = false;
    return core::OkStatus();
  });
  if (fed.ok()) (void)decoder.Finish();
  if (mapping && mapper.finished()) (void)assembler.Finish();
  return 0;
}

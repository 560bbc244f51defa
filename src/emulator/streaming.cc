#include "emulator/streaming.h"

#include <boost/json/serialize.hpp>

#include "emulator/text.h"

namespace bedrock::emulator {

std::vector<llm::StreamEvent> ToStreamEvents(const llm::ChatResponse& response,
                                             size_t piece_bytes) {
  using Delta = llm::ContentBlockDeltaEvent;
  std::vector<llm::StreamEvent> events;
  events.emplace_back(llm::MessageStartEvent{llm::Role::kAssistant});
  int index = 0;
  for (const auto& block : response.message.content) {
    if (const auto* text = std::get_if<llm::TextBlock>(&block)) {
      if (text->text.empty()) continue;
      for (auto& piece : SplitForStreaming(text->text, piece_bytes)) {
        events.emplace_back(Delta{index, Delta::Kind::kText, std::move(piece)});
      }
    } else if (const auto* reasoning = std::get_if<llm::ReasoningBlock>(&block)) {
      if (reasoning->is_redacted()) {
        events.emplace_back(Delta{index, Delta::Kind::kReasoningRedacted, reasoning->redacted});
      } else {
        for (auto& piece : SplitForStreaming(reasoning->text, piece_bytes)) {
          events.emplace_back(Delta{index, Delta::Kind::kReasoningText, std::move(piece)});
        }
        if (!reasoning->signature.empty()) {
          events.emplace_back(Delta{index, Delta::Kind::kReasoningSignature, reasoning->signature});
        }
      }
    } else if (const auto* use = std::get_if<llm::ToolUseBlock>(&block)) {
      events.emplace_back(llm::ContentBlockStartEvent{
          index, llm::ContentBlockStartEvent::ToolUseStart{use->id, use->name}});
      std::string input = boost::json::serialize(use->input);
      // About three fragments, as models stream arguments.
      size_t piece = std::max<size_t>(4, input.size() / 3 + 1);
      for (auto& fragment : SplitForStreaming(input, piece)) {
        events.emplace_back(Delta{index, Delta::Kind::kToolUseInput, std::move(fragment)});
      }
    } else {
      continue;
    }
    events.emplace_back(llm::ContentBlockStopEvent{index});
    ++index;
  }
  llm::MessageStopEvent stop;
  stop.stop_reason = response.stop_reason;
  stop.stop_reason_text = response.stop_reason_text;
  stop.additional_model_response_fields = response.additional_model_response_fields;
  events.emplace_back(std::move(stop));
  events.emplace_back(llm::MetadataEvent{response.usage, response.metrics});
  return events;
}

}  // namespace bedrock::emulator

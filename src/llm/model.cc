#include "llm/model.h"

#include <boost/json/parse.hpp>
#include <utility>

namespace bedrock::llm {

std::string_view RoleName(Role role) { return role == Role::kUser ? "user" : "assistant"; }

Message Message::UserText(std::string text) {
  return Message{Role::kUser, {TextBlock{std::move(text)}}};
}

Message Message::AssistantText(std::string text) {
  return Message{Role::kAssistant, {TextBlock{std::move(text)}}};
}

std::string Message::Text() const {
  std::string out;
  for (const auto& block : content) {
    if (const auto* text = std::get_if<TextBlock>(&block)) out += text->text;
  }
  return out;
}

std::vector<const ToolUseBlock*> Message::ToolUses() const {
  std::vector<const ToolUseBlock*> out;
  for (const auto& block : content) {
    if (const auto* use = std::get_if<ToolUseBlock>(&block)) out.push_back(use);
  }
  return out;
}

namespace {
constexpr std::pair<StopReason, std::string_view> kStopReasons[] = {
    {StopReason::kEndTurn, "end_turn"},
    {StopReason::kToolUse, "tool_use"},
    {StopReason::kMaxTokens, "max_tokens"},
    {StopReason::kStopSequence, "stop_sequence"},
    {StopReason::kGuardrailIntervened, "guardrail_intervened"},
    {StopReason::kContentFiltered, "content_filtered"},
    {StopReason::kModelContextWindowExceeded, "model_context_window_exceeded"},
    {StopReason::kMalformedModelOutput, "malformed_model_output"},
    {StopReason::kMalformedToolUse, "malformed_tool_use"},
};
}  // namespace

std::string_view StopReasonName(StopReason reason) {
  for (const auto& [r, name] : kStopReasons) {
    if (r == reason) return name;
  }
  return "";
}

StopReason StopReasonFromName(std::string_view name) {
  for (const auto& [r, n] : kStopReasons) {
    if (n == name) return r;
  }
  return StopReason::kUnknown;
}

void ChatResponse::SetStopReason(StopReason reason) {
  stop_reason = reason;
  stop_reason_text = std::string(StopReasonName(reason));
}

void ChatResponse::SetStopReasonText(std::string_view text) {
  stop_reason = StopReasonFromName(text);
  stop_reason_text = std::string(text);
}

// --- StreamAssembler ---

core::Result<StreamAssembler::Block*> StreamAssembler::BlockFor(int index) {
  if (index < 0)
    return core::Error::UpstreamFailure("stream event has negative block index {}", index);
  auto it = blocks_.find(index);
  if (it == blocks_.end()) {
    if (blocks_.size() >= limits_.max_blocks) {
      return core::Error::UpstreamFailure("stream has more than {} content blocks",
                                          limits_.max_blocks);
    }
    it = blocks_.emplace(index, Block{}).first;
  }
  return &it->second;
}

core::Status StreamAssembler::Add(const StreamEvent& event) {
  using Kind = Block::Kind;
  if (stopped_ && !std::holds_alternative<MetadataEvent>(event)) {
    return core::Error::UpstreamFailure("stream event after messageStop");
  }
  if (const auto* start = std::get_if<MessageStartEvent>(&event)) {
    if (started_) return core::Error::UpstreamFailure("second messageStart in one stream");
    started_ = true;
    response_.message.role = start->role;
    return core::OkStatus();
  }
  if (const auto* start = std::get_if<ContentBlockStartEvent>(&event)) {
    Block* block = BEDROCK_TRY(BlockFor(start->index));
    if (block->kind != Kind::kPending || block->stopped) {
      return core::Error::UpstreamFailure("contentBlockStart for block {} that already started",
                                          start->index);
    }
    if (start->tool_use) {
      block->kind = Kind::kToolUse;
      block->id = start->tool_use->id;
      block->name = start->tool_use->name;
      bytes_ += block->id.size() + block->name.size();
    }
    return core::OkStatus();
  }
  if (const auto* delta = std::get_if<ContentBlockDeltaEvent>(&event)) {
    Block* block = BEDROCK_TRY(BlockFor(delta->index));
    if (block->stopped) {
      return core::Error::UpstreamFailure("delta for block {} after its stop", delta->index);
    }
    bytes_ += delta->text.size();
    if (bytes_ > limits_.max_bytes) {
      return core::Error::UpstreamFailure("streamed message exceeds {} bytes", limits_.max_bytes);
    }
    using D = ContentBlockDeltaEvent::Kind;
    Kind wanted = Kind::kText;
    switch (delta->kind) {
      case D::kText:
        wanted = Kind::kText;
        break;
      case D::kToolUseInput:
        wanted = Kind::kToolUse;
        break;
      case D::kReasoningText:
      case D::kReasoningSignature:
      case D::kReasoningRedacted:
        wanted = Kind::kReasoning;
        break;
    }
    if (block->kind == Kind::kPending) {
      if (wanted == Kind::kToolUse) {
        return core::Error::UpstreamFailure("tool input delta for block {} without a tool start",
                                            delta->index);
      }
      block->kind = wanted;
    } else if (block->kind != wanted) {
      return core::Error::UpstreamFailure("delta of the wrong kind for content block {}",
                                          delta->index);
    }
    // A redacted reasoning block carries only its bytes; mixing it with readable reasoning could
    // not be sent back faithfully.
    bool redacted = delta->kind == D::kReasoningRedacted;
    bool readable = delta->kind == D::kReasoningText || delta->kind == D::kReasoningSignature;
    if ((redacted && (!block->text.empty() || !block->signature.empty())) ||
        (readable && !block->redacted.empty())) {
      return core::Error::UpstreamFailure("reasoning block {} mixes redacted and readable content",
                                          delta->index);
    }
    switch (delta->kind) {
      case D::kText:
      case D::kToolUseInput:
      case D::kReasoningText:
        block->text += delta->text;
        break;
      case D::kReasoningSignature:
        block->signature += delta->text;
        break;
      case D::kReasoningRedacted:
        block->redacted += delta->text;
        break;
    }
    return core::OkStatus();
  }
  if (const auto* stop = std::get_if<ContentBlockStopEvent>(&event)) {
    Block* block = BEDROCK_TRY(BlockFor(stop->index));
    block->stopped = true;
    return core::OkStatus();
  }
  if (const auto* stop = std::get_if<MessageStopEvent>(&event)) {
    stopped_ = true;
    response_.stop_reason = stop->stop_reason;
    response_.stop_reason_text = stop->stop_reason_text;
    response_.additional_model_response_fields = stop->additional_model_response_fields;
    return core::OkStatus();
  }
  const auto& metadata = std::get<MetadataEvent>(event);
  response_.usage = metadata.usage;
  response_.metrics = metadata.metrics;
  return core::OkStatus();
}

core::Result<ChatResponse> StreamAssembler::Finish() {
  if (!stopped_) {
    return core::Error::UpstreamFailure("model stream ended before messageStop");
  }
  ChatResponse out = response_;
  out.message.content.clear();
  for (auto& [index, block] : blocks_) {
    switch (block.kind) {
      case Block::Kind::kPending:  // a start/stop with nothing in it: an empty text block
      case Block::Kind::kText:
        if (block.kind == Block::Kind::kText || !block.text.empty()) {
          out.message.content.emplace_back(TextBlock{block.text});
        }
        break;
      case Block::Kind::kReasoning:
        out.message.content.emplace_back(
            ReasoningBlock{block.text, block.signature, block.redacted});
        break;
      case Block::Kind::kToolUse: {
        boost::json::value input;
        std::string_view text = block.text;
        while (!text.empty() && (text.front() == ' ' || text.front() == '\n' ||
                                 text.front() == '\t' || text.front() == '\r')) {
          text.remove_prefix(1);
        }
        if (text.empty()) {
          input = boost::json::object{};
        } else {
          boost::system::error_code ec;
          input = boost::json::parse(text, ec);
          if (ec) {
            return core::Error::UpstreamFailure("tool input of block {} ({}) is not valid JSON: {}",
                                                index, block.name, ec.message());
          }
        }
        out.message.content.emplace_back(ToolUseBlock{block.id, block.name, std::move(input)});
        break;
      }
    }
  }
  return out;
}

}  // namespace bedrock::llm

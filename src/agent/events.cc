#include "agent/events.h"

#include <fmt/format.h>

namespace bedrock::agent {

std::string_view ErrorSourceName(ErrorSource source) {
  switch (source) {
    case ErrorSource::kModel:
      return "model";
    case ErrorSource::kMcpServer:
      return "mcp_server";
    case ErrorSource::kGateway:
      return "gateway";
  }
  return "gateway";
}

std::string AgentError::Describe() const {
  switch (source) {
    case ErrorSource::kModel:
      return fmt::format("model: {}", error.message());
    case ErrorSource::kMcpServer:
      // The catalog's errors already start "MCP server '<id>'".
      if (error.message().starts_with("MCP server")) return error.message();
      return fmt::format("MCP server '{}': {}", server_id, error.message());
    case ErrorSource::kGateway:
      return fmt::format("gateway: {}", error.message());
  }
  return error.message();
}

std::string_view ToolCallStatusName(ToolCallStatus status) {
  switch (status) {
    case ToolCallStatus::kSucceeded:
      return "succeeded";
    case ToolCallStatus::kToolError:
      return "tool_error";
    case ToolCallStatus::kFailed:
      return "failed";
    case ToolCallStatus::kTimedOut:
      return "timed_out";
    case ToolCallStatus::kCancelled:
      return "cancelled";
    case ToolCallStatus::kDenied:
      return "denied";
    case ToolCallStatus::kUnknownTool:
      return "unknown_tool";
    case ToolCallStatus::kInvalidInput:
      return "invalid_input";
  }
  return "failed";
}

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEndTurn:
      return "end_turn";
    case FinishReason::kMaxTokens:
      return "max_tokens";
    case FinishReason::kStopSequence:
      return "stop_sequence";
    case FinishReason::kContentFiltered:
      return "content_filtered";
    case FinishReason::kGuardrailIntervened:
      return "guardrail_intervened";
    case FinishReason::kContextWindowExceeded:
      return "model_context_window_exceeded";
    case FinishReason::kMaxTurns:
      return "max_turns";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kError:
      return "error";
  }
  return "error";
}

boost::asio::awaitable<core::Status> CallbackSink::OnEvent(const AgentEvent& event) {
  if (callback_) callback_(event);
  co_return core::OkStatus();
}

}  // namespace bedrock::agent

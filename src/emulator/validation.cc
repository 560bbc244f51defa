#include "emulator/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace bedrock::emulator {

std::optional<std::string> ValidateConverseRequest(const llm::ChatRequest& request) {
  const auto& messages = request.messages;
  for (size_t i = 0; i < request.tools.size(); ++i) {
    const std::string& name = request.tools[i].name;
    bool ok =
        !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        });
    if (!ok) {
      return fmt::format(
          "1 validation error detected: Value '{}' at 'toolConfig.tools.{}.member.toolSpec.name' "
          "failed to satisfy constraint: Member must satisfy regular expression pattern: "
          "[a-zA-Z0-9_-]+",
          name, i + 1);
    }
  }
  if (request.inference.temperature &&
      (*request.inference.temperature < 0 || *request.inference.temperature > 1)) {
    return fmt::format(
        "1 validation error detected: Value '{}' at 'inferenceConfig.temperature' failed to "
        "satisfy constraint: Member must have value less than or equal to 1",
        *request.inference.temperature);
  }
  if (request.inference.top_p && (*request.inference.top_p < 0 || *request.inference.top_p > 1)) {
    return fmt::format(
        "1 validation error detected: Value '{}' at 'inferenceConfig.topP' failed to satisfy "
        "constraint: Member must have value less than or equal to 1",
        *request.inference.top_p);
  }
  if (messages.empty() || messages.front().role != llm::Role::kUser) {
    return std::string(
        "A conversation must start with a user message. Try again with a conversation that "
        "starts with a user message.");
  }
  bool uses_tools = false;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0 && messages[i].role == messages[i - 1].role) {
      return std::string(
          "A conversation must alternate between user and assistant roles. Make sure the "
          "conversation alternates between user and assistant roles and try again.");
    }
    if (messages[i].content.empty()) {
      return fmt::format(
          "The content field in the Message object at messages.{} is empty. Add a ContentBlock "
          "object to the content field and try again.",
          i);
    }
    for (size_t j = 0; j < messages[i].content.size(); ++j) {
      const auto& block = messages[i].content[j];
      if (const auto* text = std::get_if<llm::TextBlock>(&block)) {
        bool blank = std::all_of(text->text.begin(), text->text.end(), [](char c) {
          return c == ' ' || c == '\n' || c == '\t' || c == '\r';
        });
        if (blank) {
          return fmt::format(
              "The text field in the ContentBlock object at messages.{}.content.{} is blank. Add "
              "text to the text field, and try again.",
              i, j);
        }
      }
      if (std::holds_alternative<llm::ToolUseBlock>(block) ||
          std::holds_alternative<llm::ToolResultBlock>(block)) {
        uses_tools = true;
      }
    }
  }
  if (uses_tools && request.tools.empty()) {
    return std::string(
        "The toolConfig field must be defined when using toolUse and toolResult content blocks.");
  }
  // Tool results answer exactly the previous assistant turn's tool uses.
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != llm::Role::kUser) continue;
    std::set<std::string> expected;
    if (i > 0) {
      for (const auto* use : messages[i - 1].ToolUses()) expected.insert(use->id);
    }
    std::set<std::string> answered;
    for (const auto& block : messages[i].content) {
      const auto* result = std::get_if<llm::ToolResultBlock>(&block);
      if (result == nullptr) continue;
      if (!expected.contains(result->tool_use_id)) {
        return fmt::format(
            "The number of toolResult blocks at messages.{}.content exceeds the number of toolUse "
            "blocks of previous turn.",
            i);
      }
      answered.insert(result->tool_use_id);
    }
    std::vector<std::string> missing;
    for (const auto& id : expected) {
      if (!answered.contains(id)) missing.push_back(id);
    }
    if (!missing.empty()) {
      return fmt::format(
          "Expected toolResult blocks at messages.{}.content for the following Ids: {}", i,
          fmt::join(missing, ", "));
    }
  }
  return std::nullopt;
}

}  // namespace bedrock::emulator

#include "agent/context.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <set>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace bedrock::agent {
namespace {

// The longest prefix of `text` of at most `limit` bytes that ends on a UTF-8 boundary.
size_t Utf8Prefix(const std::string& text, size_t limit) {
  size_t i = 0;
  while (i < text.size()) {
    size_t len = core::Utf8SequenceLength(text, i);
    if (len == 0) len = 1;  // invalid bytes count as one
    if (i + len > limit) break;
    i += len;
  }
  return i;
}

size_t ToolResultSize(const llm::ToolResultBlock& result) {
  size_t size = result.tool_use_id.size();
  for (const auto& content : result.content) {
    if (const auto* text = std::get_if<llm::TextBlock>(&content)) {
      size += text->text.size();
    } else if (const auto* js = std::get_if<llm::JsonBlock>(&content)) {
      size += boost::json::serialize(js->json).size();
    } else {
      size += kAttachmentCost;
    }
  }
  return size;
}

// Characters of a tool result's text: text blocks, and JSON blocks serialised.
size_t TextSize(const llm::ToolResultBlock& result) {
  size_t total = 0;
  for (const auto& content : result.content) {
    if (const auto* text = std::get_if<llm::TextBlock>(&content)) {
      total += text->text.size();
    } else if (const auto* js = std::get_if<llm::JsonBlock>(&content)) {
      total += boost::json::serialize(js->json).size();
    }
  }
  return total;
}

constexpr std::string_view kCompactedMarkerStart = "\n[... older tool result compacted: ";
constexpr std::string_view kCompactedMarkerEnd = " characters kept]";

// Whether CompactToolResults already made this result (its first text block ends in the marker).
bool IsCompacted(const llm::ToolResultBlock& result) {
  for (const auto& content : result.content) {
    const auto* text = std::get_if<llm::TextBlock>(&content);
    if (text == nullptr) continue;
    const std::string& t = text->text;
    return t.ends_with(kCompactedMarkerEnd) && t.rfind(kCompactedMarkerStart) != std::string::npos;
  }
  return false;
}

bool HasToolResult(const llm::Message& message) {
  for (const auto& block : message.content) {
    if (std::holds_alternative<llm::ToolResultBlock>(block)) return true;
  }
  return false;
}

}  // namespace

bool TruncateToolResult(llm::ToolResultBlock& result, size_t max_chars) {
  if (max_chars == 0) return false;
  size_t total = TextSize(result);
  if (total <= max_chars) return false;

  std::vector<llm::ToolResultContent> kept;
  size_t used = 0;
  bool cut = false;
  for (auto& content : result.content) {
    std::string* text = nullptr;
    std::string serialized;
    if (auto* t = std::get_if<llm::TextBlock>(&content)) {
      text = &t->text;
    } else if (auto* js = std::get_if<llm::JsonBlock>(&content)) {
      serialized = boost::json::serialize(js->json);
      text = &serialized;
    } else {
      kept.push_back(std::move(content));  // attachments are not text: keep them
      continue;
    }
    if (cut) continue;
    if (used + text->size() <= max_chars) {
      used += text->size();
      kept.push_back(std::move(content));
      continue;
    }
    size_t prefix = Utf8Prefix(*text, max_chars - used);
    used += prefix;
    std::string shortened = text->substr(0, prefix);
    shortened += fmt::format("\n[... truncated: {} of {} characters shown]", used, total);
    kept.push_back(llm::TextBlock{std::move(shortened)});  // a cut JSON block is no longer JSON
    cut = true;
  }
  result.content = std::move(kept);
  return true;
}

size_t PruneImages(std::vector<llm::Message>& messages, size_t keep) {
  if (keep == 0) return 0;
  size_t seen = 0, removed = 0;
  for (auto message = messages.rbegin(); message != messages.rend(); ++message) {
    for (auto block = message->content.rbegin(); block != message->content.rend(); ++block) {
      auto* result = std::get_if<llm::ToolResultBlock>(&*block);
      if (result == nullptr) continue;
      for (auto content = result->content.rbegin(); content != result->content.rend(); ++content) {
        if (!std::holds_alternative<llm::ImageBlock>(*content)) continue;
        if (++seen <= keep) continue;
        *content = llm::TextBlock{"[image removed to save context]"};
        ++removed;
      }
    }
  }
  return removed;
}

size_t CompactToolResults(std::vector<llm::Message>& messages, size_t keep_whole,
                          size_t head_chars) {
  if (head_chars == 0) return 0;
  size_t seen = 0, compacted = 0;
  for (auto message = messages.rbegin(); message != messages.rend(); ++message) {
    for (auto block = message->content.rbegin(); block != message->content.rend(); ++block) {
      auto* result = std::get_if<llm::ToolResultBlock>(&*block);
      if (result == nullptr || ++seen <= keep_whole) continue;
      size_t total = TextSize(*result);
      if (total <= head_chars || IsCompacted(*result)) continue;
      // The head: the text blocks (and JSON serialised) in order, up to head_chars.
      std::string head;
      std::vector<llm::ToolResultContent> attachments;
      for (auto& content : result->content) {
        std::string serialized;
        const std::string* text = nullptr;
        if (const auto* t = std::get_if<llm::TextBlock>(&content)) {
          text = &t->text;
        } else if (const auto* js = std::get_if<llm::JsonBlock>(&content)) {
          serialized = boost::json::serialize(js->json);
          text = &serialized;
        } else {
          attachments.push_back(std::move(content));
          continue;
        }
        if (head.size() < head_chars) {
          if (!head.empty()) head += '\n';
          head.append(*text, 0, Utf8Prefix(*text, head_chars - std::min(head.size(), head_chars)));
        }
      }
      head.resize(Utf8Prefix(head, head_chars));
      head += fmt::format("{}{} of {}{}", kCompactedMarkerStart, head.size(), total,
                          kCompactedMarkerEnd);
      result->content.clear();
      result->content.push_back(llm::TextBlock{std::move(head)});
      for (auto& attachment : attachments) result->content.push_back(std::move(attachment));
      ++compacted;
    }
  }
  return compacted;
}

size_t EstimateSize(const llm::Message& message) {
  size_t size = 0;
  for (const auto& block : message.content) {
    std::visit(
        [&](const auto& b) {
          using B = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<B, llm::TextBlock>) {
            size += b.text.size();
          } else if constexpr (std::is_same_v<B, llm::ToolUseBlock>) {
            size += b.id.size() + b.name.size() + boost::json::serialize(b.input).size();
          } else if constexpr (std::is_same_v<B, llm::ToolResultBlock>) {
            size += ToolResultSize(b);
          } else if constexpr (std::is_same_v<B, llm::ReasoningBlock>) {
            size += b.text.size() + b.signature.size() + b.redacted.size();
          } else if constexpr (std::is_same_v<B, llm::ImageBlock> ||
                               std::is_same_v<B, llm::DocumentBlock>) {
            size += kAttachmentCost;
          }
        },
        block);
  }
  return size;
}

size_t TrimHistory(std::vector<llm::Message>& messages, size_t budget_chars) {
  if (budget_chars == 0 || messages.empty()) return 0;
  std::vector<size_t> suffix(messages.size() + 1, 0);  // suffix[i]: size of messages[i..]
  for (size_t i = messages.size(); i-- > 0;) suffix[i] = suffix[i + 1] + EstimateSize(messages[i]);
  if (suffix[0] <= budget_chars) return 0;
  size_t cut = 0;  // the first cut point that fits, else the last cut point
  for (size_t i = 1; i < messages.size(); ++i) {
    const llm::Message& m = messages[i];
    if (m.role != llm::Role::kUser || HasToolResult(m)) continue;
    cut = i;
    if (suffix[i] <= budget_chars) break;
  }
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(cut));
  return cut;
}

void NormalizeHistory(std::vector<llm::Message>& messages) {
  // First the ids: tool uses answered in the very next message, results answering the one before.
  std::vector<std::set<std::string>> uses(messages.size()), results(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    for (const auto& block : messages[i].content) {
      if (const auto* u = std::get_if<llm::ToolUseBlock>(&block)) uses[i].insert(u->id);
      if (const auto* r = std::get_if<llm::ToolResultBlock>(&block)) {
        results[i].insert(r->tool_use_id);
      }
    }
  }
  auto paired = [&](size_t use_index, const std::string& id) {
    return use_index + 1 < messages.size() && messages[use_index].role == llm::Role::kAssistant &&
           messages[use_index + 1].role == llm::Role::kUser && uses[use_index].contains(id) &&
           results[use_index + 1].contains(id);
  };
  std::vector<llm::Message> out;
  out.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    llm::Message& m = messages[i];
    std::vector<llm::ContentBlock> content;
    for (auto& block : m.content) {
      if (const auto* u = std::get_if<llm::ToolUseBlock>(&block)) {
        if (!paired(i, u->id)) continue;
      }
      if (const auto* r = std::get_if<llm::ToolResultBlock>(&block)) {
        if (i == 0 || !paired(i - 1, r->tool_use_id)) continue;
      }
      content.push_back(std::move(block));
    }
    if (content.empty()) continue;
    if (out.empty() && m.role != llm::Role::kUser) continue;
    if (!out.empty() && out.back().role == m.role) {
      for (auto& block : content) out.back().content.push_back(std::move(block));
      continue;
    }
    out.push_back(llm::Message{m.role, std::move(content)});
  }
  messages = std::move(out);
}

void StripToolBlocks(std::vector<llm::Message>& messages) {
  for (auto& message : messages) {
    std::erase_if(message.content, [](const llm::ContentBlock& block) {
      return std::holds_alternative<llm::ToolUseBlock>(block) ||
             std::holds_alternative<llm::ToolResultBlock>(block) ||
             std::holds_alternative<llm::ReasoningBlock>(block);
    });
  }
  NormalizeHistory(messages);
}

}  // namespace bedrock::agent

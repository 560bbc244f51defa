// The emulator's deterministic chat "model": answers a provider-neutral ChatRequest from a
// Script's rules, or, when none matches, with a built-in default:
//   - the last message carries tool results: a one-sentence summary of them;
//   - a tool is offered and the latest user text names it (or tool choice forces one): a call of
//     that tool with the first JSON object found in the text as its input ({} when none);
//   - otherwise: the latest user text, echoed back.
// On top of the reply it applies what a real model does: reasoning when the request enables
// thinking (additionalModelRequestFields "thinking" / "reasoning_config"), inference stop
// sequences (stop_sequence) and maxTokens (max_tokens, text cut), and it counts tokens
// deterministically (emulator::CountTokens over everything sent and produced).
//
//   emulator::ScriptedModel model(std::move(script));
//   emulator::ModelTurn turn = model.Respond(request, "converse");
//   if (!turn.faults.empty()) ...;                  // the matched rule asked for a fault
//   Send(turn.response);                             // a complete llm::ChatResponse
//
// Thread-safety: Respond may be called concurrently (rule fire counts are locked).
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/faults.h"
#include "emulator/script.h"
#include "llm/model.h"

namespace bedrock::emulator {

// Extra template variables a caller supplies (InvokeAgent: kb_result).
using TemplateExtras = std::map<std::string, std::string, std::less<>>;

struct ModelTurn {
  llm::ChatResponse response;  // message, stop reason, usage, metrics (latency)
  std::vector<Fault> faults;   // from the matched rule
  std::string rule;            // the rule's name, or "default:echo" / "default:tool-call" /
                               // "default:tool-summary"
};

// What the rules look at, extracted once per request. Exposed for tests.
struct ConversationFacts {
  std::string user_text;  // the most recent user message that has text
  int turn = 1;           // 1 + assistant messages
  std::vector<std::string> tools;
  struct ToolResult {
    std::string tool_use_id;
    std::string tool_name;     // from the assistant's matching toolUse ("" if none)
    boost::json::value input;  // that toolUse's input
    std::string text;          // text items joined, JSON items serialised
    boost::json::value json;   // the first JSON item, or the text parsed as JSON, or null
    bool error = false;
  };
  std::vector<ToolResult> tool_results;  // of the last message, when it is a user message
  std::string system;
  std::string model;
};
ConversationFacts ExtractFacts(const llm::ChatRequest& request);

// Expands {{variables}} in `text` (unknown or missing ones become "").
std::string ExpandTemplate(std::string_view text, const ConversationFacts& facts,
                           const std::vector<std::string>& match, const TemplateExtras& extras);

// The first JSON object embedded in `text`, if any.
std::optional<boost::json::object> FindJsonObject(std::string_view text);

// Input tokens of a request: system, messages (text, tool uses, tool results, documents' names)
// and tool specs.
int64_t CountRequestTokens(const llm::ChatRequest& request);
// Output tokens of a message.
int64_t CountMessageTokens(const llm::Message& message);

class ScriptedModel {
 public:
  ScriptedModel() = default;
  explicit ScriptedModel(Script script) : script_(std::move(script)) {}

  ModelTurn Respond(const llm::ChatRequest& request, std::string_view operation,
                    const TemplateExtras& extras = {});

  const Script& script() const { return script_; }

 private:
  // The first matching rule (counting it against its `times`), or null.
  const ScriptRule* Match(const ConversationFacts& facts, std::string_view operation,
                          std::vector<std::string>& match_groups);

  Script script_;
  std::mutex mutex_;
  std::map<size_t, int> fired_;  // guarded by mutex_: rule index -> times fired
};

}  // namespace bedrock::emulator

// The emulator's model script: JSON rules that decide what the deterministic "model" answers.
// Rules are tried in order; the first whose `when` holds answers with its `respond`. A script
// file looks like this (docs/emulator.md has the full reference):
//
//   {
//     "rules": [
//       {"name": "weather-answer",
//        "when": {"toolResult": "get_weather"},
//        "respond": {"text": "It is {{tool_result.tempC}} °C in {{tool_input.city}}."}},
//       {"name": "weather-call",
//        "when": {"regex": "weather in (\\w+)", "toolAvailable": "get_weather"},
//        "respond": {"text": "Let me check.",
//                    "toolCalls": [{"name": "get_weather", "input": {"city": "{{match.1}}"}}]}},
//       {"when": {"contains": "overloaded"}, "respond": {"fault": "throttle"}},
//       {"when": {"turn": 1}, "respond": {"reasoning": "Greeting.", "text": "Hello!"}}
//     ]
//   }
//
//   auto script = BEDROCK_TRY(emulator::LoadScript("conf/emulator-script.json"));
//
// Parsing checks everything it can up front (unknown keys, regexes, fault specs, template
// variables) and reports errors with the file, line and column.
//
// Thread-safety: a Script is immutable after parsing and may be shared.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "emulator/faults.h"

namespace bedrock::emulator {

// Conditions on the conversation; every one that is set must hold.
struct ScriptCondition {
  // The latest user text (the text of the most recent user message that has any):
  std::optional<std::string> contains;  // case-insensitive substring
  std::string regex_source;             // ECMAScript regex; groups become {{match.N}}
  std::shared_ptr<const std::regex> regex;
  // A tool of this name is offered ("*": any tool; "" with tools_offered=false: none).
  std::optional<std::string> tool_available;
  std::optional<bool> tools_offered;
  // The last message carries tool results (true/false), or a result of this tool (a name).
  std::optional<bool> tool_result;
  std::optional<std::string> tool_result_name;
  std::optional<bool> tool_result_error;  // some tool result has status "error"
  std::optional<int> turn;                // 1 + the number of assistant messages so far
  std::optional<std::string> model_contains;
  std::optional<std::string> system_contains;
  std::vector<std::string> operations;  // see FaultRule::operations; empty: all
};

struct ScriptToolCall {
  std::string name;
  boost::json::value input;  // an object; string values are templates
};

struct ScriptReply {
  std::optional<std::string> text;       // a template
  std::optional<std::string> reasoning;  // a template: a reasoning block before the text
  std::vector<ScriptToolCall> tool_calls;
  std::optional<std::string> stop_reason;  // e.g. "max_tokens"; default end_turn / tool_use
  std::vector<Fault> faults;               // "fault": a fault spec applied to the request
  std::string fault_spec;
};

struct ScriptRule {
  std::string name;  // for logs; "rule N" when absent
  ScriptCondition when;
  ScriptReply respond;
  std::optional<int> times;  // the rule fires at most this many times in the process's life
};

struct Script {
  std::vector<ScriptRule> rules;
};

// Parses a script: an object with "rules", or a bare array of rules.
core::Result<Script> ParseScript(const core::ConfigNode& root);
core::Result<Script> ParseScriptText(std::string_view text, std::string source_name);
core::Result<Script> LoadScript(const std::string& path);

// The template variables a script may use ({{name}} or {{name.path}}); see docs/emulator.md.
bool IsKnownTemplateVariable(std::string_view name);

}  // namespace bedrock::emulator

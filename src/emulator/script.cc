#include "emulator/script.h"

#include <fmt/format.h>

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

constexpr std::string_view kVariables[] = {"user_text", "last_user_text", "match",    "tool_result",
                                           "tool_name", "tool_input",     "turn",     "model",
                                           "tools",     "system",         "kb_result"};

// Checks every {{...}} in `text` names a known variable.
core::Status CheckTemplate(const core::ConfigNode& node, std::string_view text) {
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    size_t end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) return node.Fail("unterminated {{ in template");
    std::string_view name = text.substr(pos + 2, end - pos - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!IsKnownTemplateVariable(name)) {
      return node.Fail(fmt::format("unknown template variable {{{{{}}}}}", name));
    }
    pos = end + 2;
  }
  return core::OkStatus();
}

core::Status CheckTemplates(const core::ConfigNode& node) {
  const json::value& v = node.value();
  if (v.is_string()) return CheckTemplate(node, v.as_string());
  for (const auto& member : node.Members()) BEDROCK_TRY(CheckTemplates(member));
  for (const auto& element : node.Elements()) BEDROCK_TRY(CheckTemplates(element));
  return core::OkStatus();
}

core::Result<ScriptCondition> ParseCondition(const core::ConfigNode& node) {
  BEDROCK_TRY(
      node.RejectUnknownKeys({"contains", "regex", "toolAvailable", "toolResult", "toolError",
                              "turn", "model", "system", "operation", "operations"}));
  ScriptCondition c;
  c.contains = BEDROCK_TRY(node.OptionalString("contains"));
  if (auto regex = BEDROCK_TRY(node.OptionalString("regex"))) {
    c.regex_source = *regex;
    try {
      c.regex =
          std::make_shared<const std::regex>(*regex, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      return BEDROCK_TRY(node.Get("regex")).Fail(fmt::format("invalid regex: {}", e.what()));
    }
  }
  if (auto tool = node.Find("toolAvailable")) {
    if (tool->value().is_bool()) {
      c.tools_offered = tool->value().as_bool();
    } else {
      c.tool_available = BEDROCK_TRY(tool->AsString());
    }
  }
  if (auto result = node.Find("toolResult")) {
    if (result->value().is_bool()) {
      c.tool_result = result->value().as_bool();
    } else {
      c.tool_result_name = BEDROCK_TRY(result->AsString());
    }
  }
  c.tool_result_error = BEDROCK_TRY(node.OptionalBool("toolError"));
  if (auto turn = BEDROCK_TRY(node.OptionalIntInRange("turn", 1, 1'000'000))) {
    c.turn = static_cast<int>(*turn);
  }
  c.model_contains = BEDROCK_TRY(node.OptionalString("model"));
  c.system_contains = BEDROCK_TRY(node.OptionalString("system"));
  static constexpr std::string_view kOperations[] = {
      "converse", "converse-stream", "invoke",          "invoke-stream",
      "retrieve", "invoke-agent",    "chat-completions"};
  auto check_op = [&](const core::ConfigNode& at, const std::string& op) -> core::Status {
    for (auto known : kOperations) {
      if (known == op) return core::OkStatus();
    }
    return at.Fail(
        fmt::format("unknown operation (expected one of converse, converse-stream, "
                    "invoke, invoke-stream, invoke-agent, chat-completions)"));
  };
  if (auto op = BEDROCK_TRY(node.OptionalString("operation"))) {
    BEDROCK_TRY(check_op(BEDROCK_TRY(node.Get("operation")), *op));
    c.operations.push_back(*op);
  }
  if (auto ops = BEDROCK_TRY(node.OptionalStringArray("operations"))) {
    for (auto& op : *ops) {
      BEDROCK_TRY(check_op(BEDROCK_TRY(node.Get("operations")), op));
      c.operations.push_back(op);
    }
  }
  return c;
}

core::Result<ScriptReply> ParseReply(const core::ConfigNode& node) {
  BEDROCK_TRY(node.RejectUnknownKeys({"text", "reasoning", "toolCalls", "stopReason", "fault"}));
  BEDROCK_TRY(CheckTemplates(node));
  ScriptReply r;
  r.text = BEDROCK_TRY(node.OptionalString("text"));
  r.reasoning = BEDROCK_TRY(node.OptionalString("reasoning"));
  if (auto calls = BEDROCK_TRY(node.OptionalArray("toolCalls"))) {
    for (const auto& call : calls->Elements()) {
      BEDROCK_TRY(call.RejectUnknownKeys({"name", "input"}));
      ScriptToolCall tc;
      tc.name = BEDROCK_TRY(call.GetString("name"));
      if (auto input = call.Find("input")) {
        BEDROCK_TRY(input->ExpectObject());
        tc.input = input->value();
      } else {
        tc.input = json::object{};
      }
      r.tool_calls.push_back(std::move(tc));
    }
  }
  if (auto stop = BEDROCK_TRY(node.OptionalString("stopReason"))) {
    static constexpr std::string_view kReasons[] = {"end_turn",
                                                    "tool_use",
                                                    "max_tokens",
                                                    "stop_sequence",
                                                    "guardrail_intervened",
                                                    "content_filtered",
                                                    "malformed_model_output",
                                                    "malformed_tool_use",
                                                    "model_context_window_exceeded"};
    bool known = false;
    for (auto reason : kReasons) known = known || reason == *stop;
    if (!known) return BEDROCK_TRY(node.Get("stopReason")).Fail("unknown stop reason");
    r.stop_reason = *stop;
  }
  if (auto fault = BEDROCK_TRY(node.OptionalString("fault"))) {
    auto faults = ParseFaultSpec(*fault);
    if (!faults.ok()) return BEDROCK_TRY(node.Get("fault")).Fail(faults.error().message());
    r.faults = std::move(*faults);
    r.fault_spec = *fault;
  }
  if (!r.text && !r.reasoning && r.tool_calls.empty() && r.faults.empty()) {
    return node.Fail("a reply needs text, reasoning, toolCalls or fault");
  }
  return r;
}

core::Result<ScriptRule> ParseRule(const core::ConfigNode& node, size_t index) {
  BEDROCK_TRY(node.RejectUnknownKeys({"name", "when", "respond", "times"}));
  ScriptRule rule;
  rule.name = BEDROCK_TRY(node.OptionalString("name")).value_or(fmt::format("rule {}", index + 1));
  if (auto when = BEDROCK_TRY(node.OptionalObject("when"))) {
    rule.when = BEDROCK_TRY(ParseCondition(*when));
  }
  rule.respond = BEDROCK_TRY(ParseReply(BEDROCK_TRY(node.GetObject("respond"))));
  if (auto times = BEDROCK_TRY(node.OptionalIntInRange("times", 1, 1'000'000'000))) {
    rule.times = static_cast<int>(*times);
  }
  return rule;
}

}  // namespace

bool IsKnownTemplateVariable(std::string_view name) {
  std::string_view root = name.substr(0, name.find('.'));
  for (auto known : kVariables) {
    if (known == root) {
      // Only match, tool_result and tool_input take a path.
      return root == name || root == "match" || root == "tool_result" || root == "tool_input";
    }
  }
  return false;
}

core::Result<Script> ParseScript(const core::ConfigNode& root) {
  core::ConfigNode rules = root;
  if (root.value().is_object()) {
    BEDROCK_TRY(root.RejectUnknownKeys({"rules", "description"}));
    rules = BEDROCK_TRY(root.GetArray("rules"));
  } else {
    BEDROCK_TRY(root.ExpectArray());
  }
  Script script;
  auto elements = rules.Elements();
  for (size_t i = 0; i < elements.size(); ++i) {
    BEDROCK_TRY(elements[i].ExpectObject());
    script.rules.push_back(BEDROCK_TRY(ParseRule(elements[i], i)));
  }
  return script;
}

core::Result<Script> ParseScriptText(std::string_view text, std::string source_name) {
  auto doc = BEDROCK_TRY(core::ParseJsonDocument(text, std::move(source_name)));
  return ParseScript(doc.Root());
}

core::Result<Script> LoadScript(const std::string& path) {
  auto doc = BEDROCK_TRY(core::LoadJsonFile(path));
  return ParseScript(doc.Root());
}

}  // namespace bedrock::emulator

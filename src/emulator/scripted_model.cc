#include "emulator/scripted_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "emulator/text.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

constexpr size_t kSummaryLimit = 1000;

std::string Base62Id(uint64_t seed, size_t length) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  uint64_t state = seed;
  while (out.size() < length) {
    state = StableHash(std::to_string(state), out.size());
    out.push_back(kAlphabet[state % 62]);
  }
  return out;
}

// Follows a dotted path ("a.b.0.c") into a JSON value; nullptr when absent.
const json::value* Walk(const json::value& root, std::string_view path) {
  const json::value* v = &root;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (v->is_object()) {
      v = v->as_object().if_contains(key);
    } else if (v->is_array()) {
      size_t index = 0;
      bool numeric = !key.empty() && std::all_of(key.begin(), key.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; });
      if (!numeric) return nullptr;
      index = std::stoul(std::string(key));
      v = index < v->as_array().size() ? &v->as_array()[index] : nullptr;
    } else {
      return nullptr;
    }
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string ToText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

// The value of a variable, as JSON (strings for the textual ones); nullopt when unknown/absent.
std::optional<json::value> Resolve(std::string_view name, const ConversationFacts& facts,
                                   const std::vector<std::string>& match,
                                   const TemplateExtras& extras) {
  if (auto it = extras.find(name); it != extras.end()) return json::value(it->second);
  std::string_view root = name.substr(0, name.find('.'));
  std::string_view path =
      root.size() < name.size() ? name.substr(root.size() + 1) : std::string_view{};
  if (root == "user_text" || root == "last_user_text") return json::value(facts.user_text);
  if (root == "turn") return json::value(facts.turn);
  if (root == "model") return json::value(facts.model);
  if (root == "system") return json::value(facts.system);
  if (root == "tools") return json::value(fmt::format("{}", fmt::join(facts.tools, ", ")));
  if (root == "match") {
    size_t index = 0;
    if (!path.empty()) {
      if (!std::all_of(path.begin(), path.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
      }
      index = std::stoul(std::string(path));
    }
    if (index >= match.size()) return std::nullopt;
    return json::value(match[index]);
  }
  if (root == "tool_name") {
    std::vector<std::string> names;
    for (const auto& r : facts.tool_results) {
      if (std::find(names.begin(), names.end(), r.tool_name) == names.end()) {
        names.push_back(r.tool_name);
      }
    }
    return json::value(fmt::format("{}", fmt::join(names, ", ")));
  }
  if (root == "tool_result") {
    if (facts.tool_results.empty()) return std::nullopt;
    if (path.empty()) {
      std::vector<std::string> texts;
      for (const auto& r : facts.tool_results) texts.push_back(r.text);
      return json::value(fmt::format("{}", fmt::join(texts, "\n")));
    }
    const json::value* v = Walk(facts.tool_results.front().json, path);
    if (v == nullptr) return std::nullopt;
    return *v;
  }
  if (root == "tool_input") {
    if (facts.tool_results.empty()) return std::nullopt;
    if (path.empty()) return json::value(json::serialize(facts.tool_results.front().input));
    const json::value* v = Walk(facts.tool_results.front().input, path);
    if (v == nullptr) return std::nullopt;
    return *v;
  }
  return std::nullopt;
}

std::string_view TrimName(std::string_view name) {
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  return name;
}

// Expands string leaves of a tool input; "{{x}}" alone keeps x's JSON type.
json::value ExpandJson(const json::value& v, const ConversationFacts& facts,
                       const std::vector<std::string>& match, const TemplateExtras& extras) {
  if (v.is_string()) {
    std::string_view s = v.as_string();
    if (s.starts_with("{{") && s.ends_with("}}") && s.find("{{", 2) == std::string_view::npos) {
      if (auto value = Resolve(TrimName(s.substr(2, s.size() - 4)), facts, match, extras)) {
        return *value;
      }
      return json::value("");
    }
    return json::value(ExpandTemplate(s, facts, match, extras));
  }
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, x] : v.as_object()) out[k] = ExpandJson(x, facts, match, extras);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& x : v.as_array()) out.push_back(ExpandJson(x, facts, match, extras));
    return out;
  }
  return v;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Where `name` occurs in `text` as a whole word (case-insensitive), or npos.
size_t FindToolName(std::string_view text, std::string_view name) {
  if (name.empty()) return std::string_view::npos;
  for (size_t i = 0; i + name.size() <= text.size(); ++i) {
    bool same = true;
    for (size_t k = 0; k < name.size() && same; ++k) {
      same = std::tolower(static_cast<unsigned char>(text[i + k])) ==
             std::tolower(static_cast<unsigned char>(name[k]));
    }
    if (!same) continue;
    bool left = i == 0 || !IsNameChar(text[i - 1]);
    bool right = i + name.size() == text.size() || !IsNameChar(text[i + name.size()]);
    if (left && right) return i;
  }
  return std::string_view::npos;
}

bool ThinkingEnabled(const llm::ChatRequest& request) {
  if (!request.additional_model_request_fields.is_object()) return false;
  const auto& fields = request.additional_model_request_fields.as_object();
  for (std::string_view key : {"thinking", "reasoning_config"}) {
    const json::value* v = fields.if_contains(key);
    if (v == nullptr || !v->is_object()) continue;
    const json::value* type = v->as_object().if_contains("type");
    if (type != nullptr && type->is_string() && type->as_string() == "enabled") return true;
  }
  return false;
}

// The longest prefix of `text` that is at most `budget` tokens, cut at a word end.
std::string CutToTokens(std::string_view text, int64_t budget) {
  if (budget <= 0) return {};
  size_t best = 0;
  for (size_t i = 1; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ' ' && text[i] != '\n') continue;
    if (CountTokens(text.substr(0, i)) > budget) break;
    best = i;
  }
  return std::string(text.substr(0, best));
}

int64_t ContentTokens(const llm::ContentBlock& block) {
  struct Visitor {
    int64_t operator()(const llm::TextBlock& b) const { return CountTokens(b.text); }
    int64_t operator()(const llm::ImageBlock&) const { return 85; }
    int64_t operator()(const llm::DocumentBlock& b) const {
      return CountTokens(b.name) + CountTokens(b.bytes);
    }
    int64_t operator()(const llm::ToolUseBlock& b) const {
      return CountTokens(b.name) + CountTokens(json::serialize(b.input));
    }
    int64_t operator()(const llm::ToolResultBlock& b) const {
      int64_t n = 0;
      for (const auto& item : b.content) {
        if (const auto* t = std::get_if<llm::TextBlock>(&item)) n += CountTokens(t->text);
        if (const auto* j = std::get_if<llm::JsonBlock>(&item)) {
          n += CountTokens(json::serialize(j->json));
        }
        if (std::holds_alternative<llm::ImageBlock>(item)) n += 85;
        if (const auto* d = std::get_if<llm::DocumentBlock>(&item)) n += CountTokens(d->bytes);
      }
      return n;
    }
    int64_t operator()(const llm::ReasoningBlock& b) const { return CountTokens(b.text); }
    int64_t operator()(const llm::CachePointBlock&) const { return 0; }
  };
  return std::visit(Visitor{}, block);
}

}  // namespace

ConversationFacts ExtractFacts(const llm::ChatRequest& request) {
  ConversationFacts facts;
  facts.model = request.model_id;
  for (const auto& tool : request.tools) facts.tools.push_back(tool.name);
  for (const auto& block : request.system) {
    if (const auto* text = std::get_if<llm::TextBlock>(&block)) {
      if (!facts.system.empty()) facts.system += "\n";
      facts.system += text->text;
    }
  }
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role != llm::Role::kUser) continue;
    std::string text = it->Text();
    if (!text.empty()) {
      facts.user_text = std::move(text);
      break;
    }
  }
  for (const auto& message : request.messages) {
    if (message.role == llm::Role::kAssistant) ++facts.turn;
  }
  if (!request.messages.empty() && request.messages.back().role == llm::Role::kUser) {
    for (const auto& block : request.messages.back().content) {
      const auto* result = std::get_if<llm::ToolResultBlock>(&block);
      if (result == nullptr) continue;
      ConversationFacts::ToolResult r;
      r.tool_use_id = result->tool_use_id;
      r.error = result->status == llm::ToolResultStatus::kError;
      for (const auto& message : request.messages) {
        for (const auto* use : message.ToolUses()) {
          if (use->id == result->tool_use_id) {
            r.tool_name = use->name;
            r.input = use->input;
          }
        }
      }
      std::vector<std::string> texts;
      for (const auto& item : result->content) {
        if (const auto* t = std::get_if<llm::TextBlock>(&item)) texts.push_back(t->text);
        if (const auto* j = std::get_if<llm::JsonBlock>(&item)) {
          texts.push_back(json::serialize(j->json));
          if (r.json.is_null()) r.json = j->json;
        }
      }
      r.text = fmt::format("{}", fmt::join(texts, "\n"));
      if (r.json.is_null()) {
        std::error_code ec;
        json::value parsed = json::parse(r.text, ec);
        if (!ec) r.json = std::move(parsed);
      }
      facts.tool_results.push_back(std::move(r));
    }
  }
  return facts;
}

std::string ExpandTemplate(std::string_view text, const ConversationFacts& facts,
                           const std::vector<std::string>& match, const TemplateExtras& extras) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    auto value = Resolve(TrimName(text.substr(open + 2, close - open - 2)), facts, match, extras);
    if (value) out += ToText(*value);
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

std::optional<json::object> FindJsonObject(std::string_view text) {
  for (size_t start = text.find('{'); start != std::string_view::npos;
       start = text.find('{', start + 1)) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = start; i < text.size(); ++i) {
      char c = text[i];
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') in_string = true;
      if (c == '{') ++depth;
      if (c == '}' && --depth == 0) {
        std::error_code ec;
        json::value v = json::parse(text.substr(start, i - start + 1), ec);
        if (!ec && v.is_object()) return std::move(v.as_object());
        break;
      }
    }
  }
  return std::nullopt;
}

int64_t CountMessageTokens(const llm::Message& message) {
  int64_t n = 0;
  for (const auto& block : message.content) n += ContentTokens(block);
  return n;
}

int64_t CountRequestTokens(const llm::ChatRequest& request) {
  int64_t n = 0;
  for (const auto& block : request.system) {
    if (const auto* text = std::get_if<llm::TextBlock>(&block)) n += CountTokens(text->text);
  }
  for (const auto& message : request.messages) n += 3 + CountMessageTokens(message);
  for (const auto& tool : request.tools) {
    n += CountTokens(tool.name) + CountTokens(tool.description) +
         CountTokens(json::serialize(tool.input_schema));
  }
  return std::max<int64_t>(n, 1);
}

const ScriptRule* ScriptedModel::Match(const ConversationFacts& facts, std::string_view operation,
                                       std::vector<std::string>& match_groups) {
  for (size_t i = 0; i < script_.rules.size(); ++i) {
    const ScriptRule& rule = script_.rules[i];
    const ScriptCondition& c = rule.when;
    if (!c.operations.empty() &&
        std::find(c.operations.begin(), c.operations.end(), operation) == c.operations.end()) {
      continue;
    }
    if (c.contains && !ContainsIgnoreCase(facts.user_text, *c.contains)) continue;
    if (c.tools_offered && *c.tools_offered == facts.tools.empty()) continue;
    if (c.tool_available) {
      bool found = *c.tool_available == "*" ? !facts.tools.empty()
                                            : std::find(facts.tools.begin(), facts.tools.end(),
                                                        *c.tool_available) != facts.tools.end();
      if (!found) continue;
    }
    if (c.tool_result && *c.tool_result == facts.tool_results.empty()) continue;
    if (c.tool_result_name) {
      bool found = std::any_of(facts.tool_results.begin(), facts.tool_results.end(),
                               [&](const auto& r) { return r.tool_name == *c.tool_result_name; });
      if (!found) continue;
    }
    if (c.tool_result_error) {
      bool any_error = std::any_of(facts.tool_results.begin(), facts.tool_results.end(),
                                   [](const auto& r) { return r.error; });
      if (any_error != *c.tool_result_error) continue;
    }
    if (c.turn && *c.turn != facts.turn) continue;
    if (c.model_contains && facts.model.find(*c.model_contains) == std::string::npos) continue;
    if (c.system_contains && !ContainsIgnoreCase(facts.system, *c.system_contains)) continue;
    std::vector<std::string> groups;
    if (c.regex) {
      std::smatch m;
      if (!std::regex_search(facts.user_text, m, *c.regex)) continue;
      for (const auto& group : m) groups.push_back(group.str());
    }
    if (rule.times) {
      std::lock_guard lock(mutex_);
      int& fired = fired_[i];
      if (fired >= *rule.times) continue;
      ++fired;
    }
    match_groups = std::move(groups);
    return &rule;
  }
  return nullptr;
}

ModelTurn ScriptedModel::Respond(const llm::ChatRequest& request, std::string_view operation,
                                 const TemplateExtras& extras) {
  ConversationFacts facts = ExtractFacts(request);
  std::vector<std::string> groups;
  const ScriptRule* rule = Match(facts, operation, groups);

  ModelTurn turn;
  std::optional<std::string> reasoning, text;
  std::vector<std::pair<std::string, json::value>> calls;  // name, input
  std::optional<std::string> stop_reason;
  bool has_content = rule != nullptr && (rule->respond.text || rule->respond.reasoning ||
                                         !rule->respond.tool_calls.empty());
  if (rule != nullptr) {
    turn.rule = rule->name;
    turn.faults = rule->respond.faults;
    stop_reason = rule->respond.stop_reason;
  }
  if (has_content) {
    const ScriptReply& reply = rule->respond;
    if (reply.reasoning) reasoning = ExpandTemplate(*reply.reasoning, facts, groups, extras);
    if (reply.text) text = ExpandTemplate(*reply.text, facts, groups, extras);
    for (const auto& call : reply.tool_calls) {
      calls.emplace_back(call.name, ExpandJson(call.input, facts, groups, extras));
    }
  } else if (!facts.tool_results.empty()) {
    if (rule == nullptr) turn.rule = "default:tool-summary";
    std::vector<std::string> sentences;
    for (const auto& r : facts.tool_results) {
      std::string result =
          r.text.size() > kSummaryLimit ? r.text.substr(0, kSummaryLimit) + "..." : r.text;
      std::string name = r.tool_name.empty() ? std::string("tool") : r.tool_name;
      sentences.push_back(r.error ? fmt::format("The {} tool failed: {}", name, result)
                                  : fmt::format("The {} tool returned: {}", name, result));
    }
    text = fmt::format("{}", fmt::join(sentences, "\n"));
  } else {
    // A tool the user names (or the tool choice forces), else an echo.
    std::optional<std::string> tool;
    std::optional<llm::ToolChoice> choice = request.tool_choice;
    bool forbidden = choice && choice->kind == llm::ToolChoice::Kind::kNone;
    if (!forbidden && !facts.tools.empty()) {
      if (choice && choice->kind == llm::ToolChoice::Kind::kTool) {
        tool = choice->name;
      } else {
        size_t best = std::string::npos;
        for (const auto& name : facts.tools) {
          size_t at = FindToolName(facts.user_text, name);
          if (at < best) {
            best = at;
            tool = name;
          }
        }
        if (!tool && choice && choice->kind == llm::ToolChoice::Kind::kAny) {
          tool = facts.tools.front();
        }
      }
    }
    if (tool) {
      if (rule == nullptr) turn.rule = "default:tool-call";
      text = fmt::format("Calling {}.", *tool);
      json::value input = json::object{};
      if (auto found = FindJsonObject(facts.user_text)) input = std::move(*found);
      calls.emplace_back(*tool, std::move(input));
    } else {
      if (rule == nullptr) turn.rule = "default:echo";
      text = facts.user_text.empty() ? std::string("Hello from the Bedrock emulator.")
                                     : facts.user_text;
    }
  }
  if (!reasoning && ThinkingEnabled(request)) {
    reasoning = fmt::format("The user wrote: {}", facts.user_text.substr(0, 200));
  }

  // What a real model would do with the inference settings.
  llm::StopReason stop = calls.empty() ? llm::StopReason::kEndTurn : llm::StopReason::kToolUse;
  if (text) {
    size_t cut = std::string::npos;
    for (const auto& sequence : request.inference.stop_sequences) {
      if (sequence.empty()) continue;
      cut = std::min(cut, text->find(sequence));
    }
    if (cut != std::string::npos) {
      text->resize(cut);
      calls.clear();
      stop = llm::StopReason::kStopSequence;
    }
  }
  if (request.inference.max_tokens) {
    int64_t budget = *request.inference.max_tokens;
    int64_t used = 0;
    bool cut = false;
    if (reasoning) {
      int64_t n = CountTokens(*reasoning);
      if (n > budget) {
        *reasoning = CutToTokens(*reasoning, budget);
        cut = true;
      }
      used = CountTokens(*reasoning);
    }
    if (text) {
      int64_t n = CountTokens(*text);
      if (used + n > budget) {
        *text = CutToTokens(*text, budget - used);
        cut = true;
      }
      used += CountTokens(*text);
    }
    int64_t call_tokens = 0;
    for (const auto& [name, input] : calls) {
      call_tokens += CountTokens(name) + CountTokens(json::serialize(input));
    }
    if (used + call_tokens > budget) {
      calls.clear();
      cut = true;
    }
    if (cut) stop = llm::StopReason::kMaxTokens;
  }

  llm::Message& message = turn.response.message;
  message.role = llm::Role::kAssistant;
  if (reasoning && !reasoning->empty()) {
    message.content.push_back(llm::ReasoningBlock{
        *reasoning, fmt::format("emu-sig-{:016x}", StableHash(*reasoning)), ""});
  }
  if (text && !text->empty()) message.content.push_back(llm::TextBlock{*text});
  for (size_t i = 0; i < calls.size(); ++i) {
    uint64_t seed = StableHash(fmt::format("{}\n{}\n{}\n{}\n{}", facts.model, facts.user_text,
                                           facts.turn, i, calls[i].first));
    message.content.push_back(llm::ToolUseBlock{"tooluse_" + Base62Id(seed, 22), calls[i].first,
                                                std::move(calls[i].second)});
  }
  if (message.content.empty()) {
    // Bedrock never answers with an empty message: a cut answer keeps one (empty) text block.
    message.content.push_back(llm::TextBlock{""});
  }
  if (stop_reason) {
    turn.response.SetStopReasonText(*stop_reason);
  } else {
    turn.response.SetStopReason(stop);
  }
  llm::Usage& usage = turn.response.usage;
  usage.input_tokens = CountRequestTokens(request);
  usage.output_tokens = std::max<int64_t>(1, CountMessageTokens(message));
  usage.total_tokens = usage.input_tokens + usage.output_tokens;
  turn.response.metrics.latency_ms = 20 + 2 * usage.output_tokens;
  return turn;
}

}  // namespace bedrock::emulator

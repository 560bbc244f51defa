#include "gateway/chat_stream.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>
#include <set>

#include "core/base64.h"  // the llm codecs' base64, shared rather than copied
#include "core/error.h"

namespace bedrock::gateway {
namespace {

namespace json = boost::json;
using agent::AgentEvent;

constexpr std::string_view kDone = "[DONE]";

int64_t SystemNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object UsageJson(const llm::Usage& usage) {
  json::object out{
      {"prompt_tokens", usage.input_tokens},
      {"completion_tokens", usage.output_tokens},
      {"total_tokens",
       usage.total_tokens != 0 ? usage.total_tokens : usage.input_tokens + usage.output_tokens}};
  if (usage.cache_read_input_tokens) {
    out["prompt_tokens_details"] = json::object{{"cached_tokens", *usage.cache_read_input_tokens}};
  }
  return out;
}

// The OpenAI usage chunk: no choices, the run's usage.
std::string UsageChunk(std::string id, int64_t created, const std::string& model,
                       const llm::Usage& usage) {
  json::object chunk{{"id", std::move(id)},      {"object", "chat.completion.chunk"},
                     {"created", created},       {"model", model},
                     {"choices", json::array()}, {"usage", UsageJson(usage)}};
  return json::serialize(chunk);
}

// Whether a stop reason ends the answer normally (the demo then writes [DONE]).
bool IsFinalStop(llm::StopReason reason) {
  switch (reason) {
    case llm::StopReason::kEndTurn:
    case llm::StopReason::kMaxTokens:
    case llm::StopReason::kStopSequence:
    case llm::StopReason::kContentFiltered:
    case llm::StopReason::kGuardrailIntervened:
      return true;
    default:
      return false;
  }
}

std::string_view ApprovalState(agent::ApprovalResolvedEvent::Outcome outcome) {
  using Outcome = agent::ApprovalResolvedEvent::Outcome;
  switch (outcome) {
    case Outcome::kApproved:
      return "approved";
    case Outcome::kDenied:
      return "denied";
    case Outcome::kTimedOut:
      return "expired";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "denied";
}

json::object ApprovalPendingJson(const agent::ApprovalPendingEvent& event) {
  const agent::ApprovalRequest& request = event.request;
  return json::object{{"id", request.approval_id},          {"server", request.server_id},
                      {"tool", request.tool_name},          {"name", request.bedrock_name},
                      {"arguments", request.input},         {"tool_use_id", request.tool_use_id},
                      {"timeout_ms", event.timeout.count()}};
}

json::object ApprovalResolvedJson(const agent::ApprovalResolvedEvent& event) {
  json::object out{{"id", event.approval_id},
                   {"tool_use_id", event.tool_use_id},
                   {"state", ApprovalState(event.outcome)}};
  if (!event.reason.empty()) out["reason"] = event.reason;
  return out;
}

// The text of a message's reasoning and text blocks, the demo's way: "<thinking>…</thinking>"
// before the text.
std::string DemoInlineText(const llm::Message& message) {
  std::string reasoning;
  std::string text;
  for (const auto& block : message.content) {
    if (const auto* r = std::get_if<llm::ReasoningBlock>(&block)) reasoning += r->text;
    if (const auto* t = std::get_if<llm::TextBlock>(&block)) text += t->text;
  }
  if (reasoning.empty()) return text;
  return "<thinking>" + reasoning + "</thinking>" + text;
}

std::string FirstText(const llm::ToolResultBlock& result) {
  for (const auto& item : result.content) {
    if (const auto* text = std::get_if<llm::TextBlock>(&item)) return text->text;
    if (const auto* j = std::get_if<llm::JsonBlock>(&item)) return json::serialize(j->json);
  }
  return "";
}

json::object OpenAiCallJson(const agent::ToolCallRecord& call) {
  return json::object{{"toolUseId", call.tool_use_id},
                      {"name", call.bedrock_name},
                      {"server", call.server_id},
                      {"tool", call.tool_name},
                      {"input", call.input}};
}

json::object ResultJson(const agent::ToolCallRecord& call) {
  json::object out{{"toolUseId", call.tool_use_id}, {"content", DemoResultContent(call.result)}};
  if (call.result.status == llm::ToolResultStatus::kError) out["status"] = "error";
  return out;
}

// --- The demo's chunk stream ---

class DemoWriter final : public ChunkWriter {
 public:
  explicit DemoWriter(ChunkOptions options) : options_(std::move(options)) {
    if (!options_.now_ns) options_.now_ns = SystemNowNs;
  }

  void OnEvent(const AgentEvent& event, std::vector<std::string>& out) override {
    std::visit([&](const auto& e) { Handle(e, out); }, event);
  }

  void Stopped(std::vector<std::string>& out) override {
    if (done_) return;
    out.push_back(Chunk("chat", json::object(), std::nullopt));
    out.push_back(Chunk("stop", json::object(), "stop_requested"));
    Done(out);
  }

  void Failed(const agent::AgentError& error, std::vector<std::string>& out) override {
    if (done_) return;
    if (error.source == agent::ErrorSource::kModel) {
      // The demo's loop error: the message in content, no [DONE].
      out.push_back(Chunk("chat", json::object{{"content", "Error: " + error.Describe()}}, "error",
                          std::nullopt, ErrorDetail(error)));
      done_ = true;
      return;
    }
    out.push_back(Chunk("error", json::object{{"content", "Error: " + error.Describe()}}, "error",
                        std::nullopt, ErrorDetail(error)));
    Done(out);
  }

  void Empty(std::vector<std::string>& out) override {
    out.push_back(Chunk("chat", json::object{{"role", "assistant"}, {"content", ""}}, "load"));
    Done(out);
  }

 private:
  // One chunk: the demo's envelope around choices[0].
  std::string Chunk(std::string_view id_prefix, json::object delta,
                    std::optional<std::string_view> finish_reason,
                    std::optional<json::object> extras = std::nullopt,
                    std::optional<json::object> error = std::nullopt) {
    int64_t now = options_.now_ns();
    // Ids must differ on every chunk (the demo's are nanosecond stamps).
    if (now <= last_ns_) now = last_ns_ + 1;
    last_ns_ = now;
    json::object choice{{"index", 0}, {"delta", std::move(delta)}};
    choice["finish_reason"] =
        finish_reason ? json::value(json::string(*finish_reason)) : json::value(nullptr);
    if (extras) choice["message_extras"] = std::move(*extras);
    if (error) choice["error"] = std::move(*error);
    json::object chunk{{"id", fmt::format("{}{}", id_prefix, now)},
                       {"object", "chat.completion.chunk"},
                       {"created", now / 1'000'000'000},
                       {"model", options_.model},
                       {"choices", json::array{std::move(choice)}}};
    return json::serialize(chunk);
  }
  std::string Empty() { return Chunk("chat", json::object(), std::nullopt); }
  std::string Content(std::string text) {
    return Chunk("chat", json::object{{"content", std::move(text)}}, std::nullopt);
  }
  void Done(std::vector<std::string>& out) {
    if (options_.include_usage && have_usage_) {
      ++last_ns_;
      out.push_back(UsageChunk(fmt::format("chat{}", last_ns_), last_ns_ / 1'000'000'000,
                               options_.model, usage_));
    }
    out.emplace_back(kDone);
    done_ = true;
  }

  void Handle(const agent::TurnStartEvent&, std::vector<std::string>& out) {
    out.push_back(Chunk("chat", json::object{{"role", "assistant"}}, std::nullopt));
  }
  void Handle(const agent::TextDeltaEvent& e, std::vector<std::string>& out) {
    std::string text = e.text;
    if (reasoning_open_) {
      text = "</thinking>" + text;
      reasoning_open_ = false;
    }
    out.push_back(Content(std::move(text)));
  }
  void Handle(const agent::ReasoningDeltaEvent& e, std::vector<std::string>& out) {
    if (e.kind != agent::ReasoningDeltaEvent::Kind::kText) {
      out.push_back(Empty());  // signatures and redacted reasoning: an empty delta
      return;
    }
    if (reasoning_open_) {
      out.push_back(Content(e.text));
    } else {
      reasoning_open_ = true;
      out.push_back(Content("<thinking>" + e.text));
    }
  }
  void Handle(const agent::ToolUseStartEvent&, std::vector<std::string>& out) {
    out.push_back(Empty());
  }
  void Handle(const agent::ToolUseInputDeltaEvent& e, std::vector<std::string>& out) {
    auto key = std::make_pair(e.turn, e.block_index);
    if (input_started_.insert(key).second) {
      out.push_back(Content("<tool_input>" + e.fragment));
    } else {
      out.push_back(Content(e.fragment));
    }
  }
  void Handle(const agent::BlockStopEvent& e, std::vector<std::string>& out) {
    if (e.kind == agent::BlockKind::kToolUse && input_started_.contains({e.turn, e.block_index})) {
      out.push_back(Content("</tool_input>"));
    } else {
      out.push_back(Empty());
    }
  }
  void Handle(const agent::TurnStopEvent& e, std::vector<std::string>& out) {
    last_stop_ = e.stop_reason;
    std::string reason = e.stop_reason_text.empty()
                             ? std::string(llm::StopReasonName(e.stop_reason))
                             : e.stop_reason_text;
    out.push_back(Chunk("chat", json::object(), reason));
    // A cut answer the run continues gets its finish chunk, as in the demo, but no [DONE].
    if (IsFinalStop(e.stop_reason) && !e.continues) Done(out);
  }
  void Handle(const agent::TurnUsageEvent& e, std::vector<std::string>& out) {
    usage_ = e.total;
    have_usage_ = true;
    // The demo sends the metadata chunk after the tool round when the turn called tools.
    if (last_stop_ == llm::StopReason::kToolUse) {
      usage_pending_ = true;
    } else {
      out.push_back(Empty());
    }
  }
  void Handle(const agent::ToolCallStartedEvent&, std::vector<std::string>&) {}
  void Handle(const agent::ToolCallFinishedEvent&, std::vector<std::string>&) {}
  void Handle(const agent::ApprovalPendingEvent& e, std::vector<std::string>& out) {
    out.push_back(Chunk("chat", json::object(), std::nullopt,
                        json::object{{"approval", ApprovalPendingJson(e)}}));
  }
  void Handle(const agent::ApprovalResolvedEvent& e, std::vector<std::string>& out) {
    out.push_back(Chunk("chat", json::object(), std::nullopt,
                        json::object{{"approval", ApprovalResolvedJson(e)}}));
  }
  void Handle(const agent::ToolRoundEvent& e, std::vector<std::string>& out) {
    // A JSON-encoded string: the demo UI parses it a second time.
    std::string round = json::serialize(DemoToolRound(e.calls));
    out.push_back(
        Chunk("chat", json::object(), "tool_use", json::object{{"tool_use", json::string(round)}}));
    if (usage_pending_) {
      usage_pending_ = false;
      out.push_back(Empty());
    }
  }
  void Handle(const agent::RunFinishedEvent& e, std::vector<std::string>& out) {
    usage_ = e.usage;
    have_usage_ = true;
    if (done_) return;
    switch (e.reason) {
      case agent::FinishReason::kMaxTurns:
        out.push_back(Chunk("chat", json::object(), "max_turns"));
        Done(out);
        return;
      case agent::FinishReason::kCancelled:
        return;  // Stopped() for a stop request; nobody reads a disconnected client's stream
      case agent::FinishReason::kError:
      case agent::FinishReason::kContextWindowExceeded:
        if (e.error != nullptr) {
          Failed(*e.error, out);
        } else {
          Failed(agent::AgentError(agent::ErrorSource::kGateway,
                                   core::Error::Internal("the run failed")),
                 out);
        }
        return;
      default:
        // A final stop without a TurnStopEvent (cannot happen with a real run): end cleanly.
        out.push_back(
            Chunk("chat", json::object(), std::string(agent::FinishReasonName(e.reason))));
        Done(out);
        return;
    }
  }

  ChunkOptions options_;
  int64_t last_ns_ = 0;
  bool reasoning_open_ = false;
  std::set<std::pair<int, int>> input_started_;  // (turn, block) of tool inputs begun
  llm::StopReason last_stop_ = llm::StopReason::kUnknown;
  bool usage_pending_ = false;
  llm::Usage usage_;
  bool have_usage_ = false;
  bool done_ = false;
};

// --- Clean OpenAI chunks ---

class OpenAiWriter final : public ChunkWriter {
 public:
  explicit OpenAiWriter(ChunkOptions options) : options_(std::move(options)) {
    if (!options_.now_ns) options_.now_ns = SystemNowNs;
    int64_t now = options_.now_ns();
    id_ = fmt::format("chatcmpl-{}", now);
    created_ = now / 1'000'000'000;
  }

  void OnEvent(const AgentEvent& event, std::vector<std::string>& out) override {
    std::visit([&](const auto& e) { Handle(e, out); }, event);
  }

  void Stopped(std::vector<std::string>& out) override { Finish("stop", "stop_requested", out); }

  void Failed(const agent::AgentError& error, std::vector<std::string>& out) override {
    if (done_) return;
    json::object detail = ErrorDetail(error);
    std::string_view code = core::ErrorCodeName(error.error.code());
    detail["type"] = code;
    detail["code"] = code;
    out.push_back(json::serialize(json::object{{"error", std::move(detail)}}));
    done_ = true;
  }

  void Empty(std::vector<std::string>& out) override {
    Start(out);
    Finish("stop", "load", out);
  }

 private:
  std::string Chunk(json::object delta, std::optional<std::string_view> finish_reason = {},
                    std::optional<json::object> extras = {}) {
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
    choice["finish_reason"] =
        finish_reason ? json::value(json::string(*finish_reason)) : json::value(nullptr);
    if (extras) choice["message_extras"] = std::move(*extras);
    json::object chunk{{"id", id_},
                       {"object", "chat.completion.chunk"},
                       {"created", created_},
                       {"model", options_.model},
                       {"choices", json::array{std::move(choice)}}};
    return json::serialize(chunk);
  }
  void Start(std::vector<std::string>& out) {
    if (started_) return;
    started_ = true;
    out.push_back(Chunk(json::object{{"role", "assistant"}, {"content", ""}}));
  }
  void Finish(std::string_view finish_reason, std::string_view stop_reason,
              std::vector<std::string>& out) {
    if (done_) return;
    Start(out);
    out.push_back(Chunk(json::object(), finish_reason, json::object{{"stop_reason", stop_reason}}));
    if (options_.include_usage) out.push_back(UsageChunk(id_, created_, options_.model, usage_));
    out.emplace_back(kDone);
    done_ = true;
  }

  void Handle(const agent::TurnStartEvent& e, std::vector<std::string>& out) {
    Start(out);
    // A continuation goes on in the middle of the cut text: no separator.
    new_turn_ = !e.continuation;
  }
  void Handle(const agent::TextDeltaEvent& e, std::vector<std::string>& out) {
    if (e.text.empty()) return;
    Start(out);
    std::string text = e.text;
    // Turns follow each other in one message: keep their texts apart.
    if (new_turn_ && wrote_text_) text = "\n\n" + text;
    new_turn_ = false;
    wrote_text_ = true;
    out.push_back(Chunk(json::object{{"content", std::move(text)}}));
  }
  void Handle(const agent::ReasoningDeltaEvent& e, std::vector<std::string>& out) {
    if (e.kind != agent::ReasoningDeltaEvent::Kind::kText || e.text.empty()) return;
    Start(out);
    out.push_back(Chunk(json::object{{"reasoning_content", e.text}}));
  }
  void Handle(const agent::ToolUseStartEvent&, std::vector<std::string>&) {}
  void Handle(const agent::ToolUseInputDeltaEvent&, std::vector<std::string>&) {}
  void Handle(const agent::BlockStopEvent&, std::vector<std::string>&) {}
  void Handle(const agent::TurnStopEvent&, std::vector<std::string>&) {}
  void Handle(const agent::TurnUsageEvent& e, std::vector<std::string>&) { usage_ = e.total; }
  void Handle(const agent::ToolCallStartedEvent& e, std::vector<std::string>& out) {
    if (e.call == nullptr) return;
    out.push_back(Chunk(json::object(), std::nullopt,
                        json::object{{"tool_use", json::array{OpenAiCallJson(*e.call)}}}));
  }
  void Handle(const agent::ToolCallFinishedEvent& e, std::vector<std::string>& out) {
    if (e.call == nullptr) return;
    out.push_back(Chunk(json::object(), std::nullopt,
                        json::object{{"tool_use", json::array{ResultJson(*e.call)}}}));
  }
  void Handle(const agent::ApprovalPendingEvent& e, std::vector<std::string>& out) {
    out.push_back(
        Chunk(json::object(), std::nullopt, json::object{{"approval", ApprovalPendingJson(e)}}));
  }
  void Handle(const agent::ApprovalResolvedEvent& e, std::vector<std::string>& out) {
    out.push_back(
        Chunk(json::object(), std::nullopt, json::object{{"approval", ApprovalResolvedJson(e)}}));
  }
  void Handle(const agent::ToolRoundEvent&, std::vector<std::string>&) {}
  void Handle(const agent::RunFinishedEvent& e, std::vector<std::string>& out) {
    usage_ = e.usage;
    switch (e.reason) {
      case agent::FinishReason::kCancelled:
        return;  // Stopped() for a stop request
      case agent::FinishReason::kError:
      case agent::FinishReason::kContextWindowExceeded:
        if (e.error != nullptr) {
          Failed(*e.error, out);
        } else {
          Failed(agent::AgentError(agent::ErrorSource::kGateway,
                                   core::Error::Internal("the run failed")),
                 out);
        }
        return;
      default: {
        std::string stop_reason = e.reason == agent::FinishReason::kMaxTurns
                                      ? std::string("max_turns")
                                      : e.stop_reason_text;
        Finish(OpenAiFinishReason(e.reason), stop_reason, out);
        return;
      }
    }
  }

  ChunkOptions options_;
  std::string id_;
  int64_t created_ = 0;
  bool started_ = false;
  bool new_turn_ = false;
  bool wrote_text_ = false;
  llm::Usage usage_;
  bool done_ = false;
};

}  // namespace

boost::json::object ErrorDetail(const agent::AgentError& error) {
  json::object out{{"message", error.Describe()}, {"source", agent::ErrorSourceName(error.source)}};
  if (error.source == agent::ErrorSource::kMcpServer) out["server_id"] = error.server_id;
  return out;
}

std::string_view OpenAiFinishReason(agent::FinishReason reason) {
  switch (reason) {
    case agent::FinishReason::kMaxTokens:
      return "length";
    case agent::FinishReason::kContentFiltered:
    case agent::FinishReason::kGuardrailIntervened:
      return "content_filter";
    default:
      return "stop";
  }
}

json::array DemoResultContent(const llm::ToolResultBlock& result) {
  std::string text;
  bool has_text = false;
  json::array rest;
  for (const auto& item : result.content) {
    if (const auto* t = std::get_if<llm::TextBlock>(&item)) {
      if (has_text) text += '\n';
      text += t->text;
      has_text = true;
    } else if (const auto* j = std::get_if<llm::JsonBlock>(&item)) {
      rest.push_back(json::object{{"json", j->json}});
    } else if (const auto* image = std::get_if<llm::ImageBlock>(&item)) {
      rest.push_back(json::object{
          {"image",
           json::object{{"format", image->format},
                        {"source", json::object{{"base64", core::Base64Encode(image->bytes)}}}}}});
    } else if (const auto* document = std::get_if<llm::DocumentBlock>(&item)) {
      rest.push_back(json::object{
          {"document", json::object{{"format", document->format}, {"name", document->name}}}});
    }
  }
  json::array out;
  if (has_text) out.push_back(json::object{{"text", std::move(text)}});
  for (auto& item : rest) out.push_back(std::move(item));
  return out;
}

json::array DemoToolRound(std::span<const agent::ToolCallRecord> calls) {
  json::array out;
  for (const auto& call : calls) {
    json::object item{
        {"toolUseId", call.tool_use_id}, {"name", call.bedrock_name}, {"input", call.input}};
    // Beyond the demo's fields (its clients ignore them): the server and its own tool name, which
    // the model-facing name cannot always be split back into ("get-tiny-image").
    if (!call.server_id.empty()) {
      item["server"] = call.server_id;
      item["tool"] = call.tool_name;
    }
    out.push_back(std::move(item));
    out.push_back(ResultJson(call));
  }
  return out;
}

std::unique_ptr<ChunkWriter> MakeChunkWriter(ResponseStyle style, ChunkOptions options) {
  if (style == ResponseStyle::kDemo) return std::make_unique<DemoWriter>(std::move(options));
  return std::make_unique<OpenAiWriter>(std::move(options));
}

std::string CompletionBody(ResponseStyle style, const agent::AgentResult& result,
                           const ChunkOptions& options) {
  int64_t now = options.now_ns ? options.now_ns() : SystemNowNs();
  json::object message{{"role", "assistant"}};
  json::array tool_use;
  if (style == ResponseStyle::kDemo) {
    const llm::Message* final_message = result.final_message();
    message["content"] = final_message != nullptr ? DemoInlineText(*final_message) : "";
    for (const auto& call : result.tool_calls) {
      tool_use.push_back(json::object{{"name", call.bedrock_name},
                                      {"arguments", call.input},
                                      {"result", FirstText(call.result)}});
    }
  } else {
    std::string text;
    std::string reasoning;
    for (size_t i = result.first_new_message; i < result.messages.size(); ++i) {
      const llm::Message& m = result.messages[i];
      if (m.role != llm::Role::kAssistant) continue;
      std::string turn_text = m.Text();
      if (!turn_text.empty()) {
        if (!text.empty()) text += "\n\n";
        text += turn_text;
      }
      for (const auto& block : m.content) {
        if (const auto* r = std::get_if<llm::ReasoningBlock>(&block)) reasoning += r->text;
      }
    }
    message["content"] = text;
    if (!reasoning.empty()) message["reasoning_content"] = reasoning;
    for (const auto& call : result.tool_calls) {
      json::object entry = OpenAiCallJson(call);
      entry["content"] = DemoResultContent(call.result);
      entry["status"] = agent::ToolCallStatusName(call.status);
      tool_use.push_back(std::move(entry));
    }
  }
  std::string stop_reason = result.finish_reason == agent::FinishReason::kMaxTurns
                                ? std::string("max_turns")
                                : result.stop_reason_text;
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"message_extras", json::object{{"tool_use", std::move(tool_use)},
                                                      {"stop_reason", stop_reason}}},
                      {"logprobs", nullptr},
                      {"finish_reason", OpenAiFinishReason(result.finish_reason)}};
  json::object body{{"id", style == ResponseStyle::kDemo ? fmt::format("chat{}", now)
                                                         : fmt::format("chatcmpl-{}", now)},
                    {"object", "chat.completion"},
                    {"created", now / 1'000'000'000},
                    {"model", options.model},
                    {"choices", json::array{std::move(choice)}},
                    {"usage", UsageJson(result.usage)}};
  return json::serialize(body);
}

std::string EmptyCompletionBody(ResponseStyle style, const ChunkOptions& options) {
  int64_t now = options.now_ns ? options.now_ns() : SystemNowNs();
  json::object choice{{"index", 0},
                      {"message", json::object{{"role", "assistant"}, {"content", ""}}},
                      {"logprobs", nullptr},
                      {"finish_reason", "load"}};
  json::object body{{"id", style == ResponseStyle::kDemo ? fmt::format("chat{}", now)
                                                         : fmt::format("chatcmpl-{}", now)},
                    {"object", "chat.completion"},
                    {"created", now / 1'000'000'000},
                    {"model", options.model},
                    {"choices", json::array{std::move(choice)}},
                    {"usage", UsageJson(llm::Usage())}};
  return json::serialize(body);
}

}  // namespace bedrock::gateway

#include "agent/agent.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "agent/content.h"
#include "agent/context.h"
#include "agent/internal/spawn.h"
#include "agent/internal/task_group.h"

namespace bedrock::agent {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

// The loop's own bound on a call, beyond the catalog's: a catalog that ignores its timeout still
// cannot hold the run.
constexpr std::chrono::milliseconds kTimeoutGrace{1'000};

void AddUsage(llm::Usage& total, const llm::Usage& usage) {
  total.input_tokens += usage.input_tokens;
  total.output_tokens += usage.output_tokens;
  total.total_tokens += usage.total_tokens;
  if (usage.cache_read_input_tokens) {
    total.cache_read_input_tokens =
        total.cache_read_input_tokens.value_or(0) + *usage.cache_read_input_tokens;
  }
  if (usage.cache_write_input_tokens) {
    total.cache_write_input_tokens =
        total.cache_write_input_tokens.value_or(0) + *usage.cache_write_input_tokens;
  }
}

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

llm::ToolResultBlock ErrorResult(const std::string& tool_use_id, std::string text) {
  llm::ToolResultBlock result;
  result.tool_use_id = tool_use_id;
  result.content.push_back(llm::TextBlock{std::move(text)});
  result.status = llm::ToolResultStatus::kError;
  return result;
}

// What one task of the tool phase reports: an approval decided, or a call finished.
struct TaskOutcome {
  enum class Stage { kApproval, kCall };
  Stage stage = Stage::kCall;
  std::optional<ApprovalVerdict> verdict;
  bool approval_timed_out = false;
  std::optional<core::Result<mcp::CallToolResult>> call;
  bool call_timed_out = false;
  bool cancelled = false;
  std::chrono::milliseconds duration{0};
};

Awaitable<TaskOutcome> AwaitApproval(std::shared_ptr<ApprovalBroker> broker, std::string id,
                                     std::chrono::milliseconds timeout) {
  co_await asio::this_coro::throw_if_cancelled(false);
  TaskOutcome outcome;
  outcome.stage = TaskOutcome::Stage::kApproval;
  // A cancellation that landed before our first wait would not interrupt it: look first.
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    outcome.cancelled = true;
    broker->Close(id);
    co_return outcome;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto winner =
      co_await (broker->Wait(id) || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) {
    outcome.cancelled = true;
  } else if (winner.index() == 0) {
    outcome.verdict = std::get<0>(std::move(winner));
  } else {
    outcome.approval_timed_out = true;
  }
  broker->Close(id);
  co_return outcome;
}

// `catalog` keeps `tool` alive.
Awaitable<TaskOutcome> CallOne(std::shared_ptr<ToolCatalog> catalog, const CatalogTool* tool,
                               json::object arguments, std::chrono::milliseconds timeout) {
  co_await asio::this_coro::throw_if_cancelled(false);
  TaskOutcome outcome;
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    outcome.cancelled = true;
    co_return outcome;
  }
  auto start = Clock::now();
  asio::steady_timer guard(co_await asio::this_coro::executor, timeout + kTimeoutGrace);
  auto winner = co_await (internal::Quietly(catalog->Call(*tool, std::move(arguments), timeout)) ||
                          guard.async_wait(asio::as_tuple(asio::use_awaitable)));
  outcome.duration = Since(start);
  auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) {
    outcome.cancelled = true;
  } else if (winner.index() == 0) {
    outcome.call = std::get<0>(std::move(winner));
  } else {
    outcome.call_timed_out = true;
  }
  co_return outcome;
}

// The end of a run for a stop reason that ends the model's answer normally.
FinishReason FinishFor(llm::StopReason reason) {
  switch (reason) {
    case llm::StopReason::kMaxTokens:
      return FinishReason::kMaxTokens;
    case llm::StopReason::kStopSequence:
      return FinishReason::kStopSequence;
    case llm::StopReason::kContentFiltered:
      return FinishReason::kContentFiltered;
    case llm::StopReason::kGuardrailIntervened:
      return FinishReason::kGuardrailIntervened;
    default:
      return FinishReason::kEndTurn;
  }
}

// A whole response as the stream events that would have carried it.
std::vector<llm::StreamEvent> EventsFor(const llm::ChatResponse& response) {
  std::vector<llm::StreamEvent> events;
  events.push_back(llm::MessageStartEvent{llm::Role::kAssistant});
  int index = 0;
  for (const llm::ContentBlock& block : response.message.content) {
    using Kind = llm::ContentBlockDeltaEvent::Kind;
    if (const auto* text = std::get_if<llm::TextBlock>(&block)) {
      events.push_back(llm::ContentBlockDeltaEvent{index, Kind::kText, text->text});
    } else if (const auto* r = std::get_if<llm::ReasoningBlock>(&block)) {
      if (r->is_redacted()) {
        events.push_back(llm::ContentBlockDeltaEvent{index, Kind::kReasoningRedacted, r->redacted});
      } else {
        events.push_back(llm::ContentBlockDeltaEvent{index, Kind::kReasoningText, r->text});
        if (!r->signature.empty()) {
          events.push_back(
              llm::ContentBlockDeltaEvent{index, Kind::kReasoningSignature, r->signature});
        }
      }
    } else if (const auto* use = std::get_if<llm::ToolUseBlock>(&block)) {
      llm::ContentBlockStartEvent start;
      start.index = index;
      start.tool_use = llm::ContentBlockStartEvent::ToolUseStart{use->id, use->name};
      events.push_back(std::move(start));
      events.push_back(
          llm::ContentBlockDeltaEvent{index, Kind::kToolUseInput, json::serialize(use->input)});
    } else {
      continue;  // assistant images/documents have no stream form
    }
    events.push_back(llm::ContentBlockStopEvent{index});
    ++index;
  }
  llm::MessageStopEvent stop;
  stop.stop_reason = response.stop_reason;
  stop.stop_reason_text = response.stop_reason_text;
  events.push_back(std::move(stop));
  events.push_back(llm::MetadataEvent{response.usage, response.metrics});
  return events;
}

// One run: the state of the loop between model calls.
class Run {
 public:
  Run(llm::ChatProvider& provider, AgentRequest request, asio::any_io_executor executor)
      : provider_(provider), req_(std::move(request)), ex_(std::move(executor)) {}

  Awaitable<AgentResult> Execute();

 private:
  struct Block {
    BlockKind kind = BlockKind::kText;
    ToolUseRef tool;
    std::string text;   // text blocks: for keeping a cancelled answer
    std::string input;  // tool-use blocks: the input JSON so far
    bool stopped = false;
  };

  Awaitable<void> Emit(const AgentEvent& event);
  Awaitable<AgentResult> Finish(FinishReason reason, std::optional<AgentError> error);
  AgentError CancelError() const;
  AgentError ModelError(const core::Error& error) const;

  template <typename T>
  Awaitable<T> Interruptible(Awaitable<T> operation);

  Awaitable<std::optional<AgentError>> CallModel(int turn, llm::ChatResponse& response);
  void Observe(const llm::StreamEvent& event);
  core::Status Feed(const llm::StreamEvent& event, llm::StreamAssembler& assembler);
  Awaitable<void> Announce(int turn, const llm::StreamEvent& event);
  bool WillContinue(int turn, llm::StopReason reason) const;
  void KeepPartialAnswer();
  void AppendAnswer(llm::Message message);
  void AppendModelMessage(llm::Message message);
  void ContinueFrom(llm::Message cut);
  void Append(llm::Message message);

  Awaitable<void> RunTools(int turn);
  void Reject(ToolCallRecord& record, ToolCallStatus status, std::string text,
              std::optional<AgentError> error);
  void Complete(ToolCallRecord& record, TaskOutcome outcome);

  llm::ChatProvider& provider_;
  AgentRequest req_;
  asio::any_io_executor ex_;
  CancelToken stop_;  // the external token and a failing sink both end up here
  std::optional<AgentError> sink_error_;
  std::vector<llm::Message> messages_;
  size_t new_messages_ = 0;
  AgentResult result_;
  std::map<int, Block> blocks_;                    // this turn's blocks, by index
  std::map<std::string, std::string> bad_inputs_;  // tool_use_id -> why its input is unusable
  int continuations_ = 0;                          // model calls spent continuing cut answers
  // The last message is a cut answer sent back as a prefill: the model's next message continues
  // it and is merged into it.
  bool prefilled_ = false;
  // Declared last: destroyed first, so its callback (which uses stop_) never outlives it.
  CancelToken::Registration external_;
};

Awaitable<void> Run::Emit(const AgentEvent& event) {
  if (!req_.sink || sink_error_) co_return;
  core::Status status = co_await req_.sink->OnEvent(event);
  if (!status.ok()) {
    sink_error_.emplace(ErrorSource::kGateway, status.error().WithContext("event sink failed"));
    stop_.Cancel(sink_error_->error.message());
  }
}

AgentError Run::CancelError() const {
  if (sink_error_) return *sink_error_;
  return AgentError(ErrorSource::kGateway, core::Error::Cancelled("{}", stop_.reason()));
}

AgentError Run::ModelError(const core::Error& error) const {
  if (error.message().starts_with("model provider")) return AgentError(ErrorSource::kModel, error);
  return AgentError(ErrorSource::kModel, llm::ProviderError(provider_.name(), error));
}

template <typename T>
Awaitable<T> Run::Interruptible(Awaitable<T> operation) {
  // NOT interrupted by Asio cancellation for now: with Boost 1.81, cancelling an http::Client
  // exchange (a co_spawn onto the connection's strand awaited with use_awaitable) can run
  // co_spawn's cancellation handler after it was destroyed (it dispatches a lambda holding a raw
  // pointer to its signal), which crashed the gateway when clients went away during non-streamed
  // model calls. A stop now takes effect when the call returns (a stream is closed as soon as it
  // is open); restore the signal once src/http no longer cancels through co_spawn.
  co_return co_await std::move(operation);
}

void Run::Append(llm::Message message) {
  messages_.push_back(std::move(message));
  ++new_messages_;
}

void Run::AppendModelMessage(llm::Message message) {
  bool merge = prefilled_ && !messages_.empty() && messages_.back().role == llm::Role::kAssistant;
  prefilled_ = false;
  if (!merge) {
    if (!message.content.empty()) Append(std::move(message));
    return;
  }
  // The continuation goes on from the prefill's last text: one text block, then the rest.
  llm::Message& last = messages_.back();
  auto block = message.content.begin();
  if (block != message.content.end() && std::holds_alternative<llm::TextBlock>(*block) &&
      !last.content.empty() && std::holds_alternative<llm::TextBlock>(last.content.back())) {
    std::get<llm::TextBlock>(last.content.back()).text += std::get<llm::TextBlock>(*block).text;
    ++block;
  }
  for (; block != message.content.end(); ++block) last.content.push_back(std::move(*block));
}

void Run::AppendAnswer(llm::Message message) {
  // Tool calls the loop will not run must not stay in the history without results.
  std::erase_if(message.content, [](const llm::ContentBlock& block) {
    return std::holds_alternative<llm::ToolUseBlock>(block);
  });
  AppendModelMessage(std::move(message));
}

void Run::KeepPartialAnswer() {
  llm::Message message{llm::Role::kAssistant, {}};
  for (auto& [index, block] : blocks_) {
    if (block.kind == BlockKind::kText && !block.text.empty()) {
      message.content.push_back(llm::TextBlock{block.text});
    }
  }
  AppendModelMessage(std::move(message));
}

void Run::ContinueFrom(llm::Message cut) {
  // What the model wrote so far, without tool calls whose input max_tokens cut, and without the
  // trailing whitespace Bedrock refuses at the end of a prefill (the model writes it again).
  std::erase_if(cut.content, [](const llm::ContentBlock& block) {
    return std::holds_alternative<llm::ToolUseBlock>(block);
  });
  while (!cut.content.empty()) {
    auto* text = std::get_if<llm::TextBlock>(&cut.content.back());
    if (text == nullptr) break;
    size_t end = text->text.find_last_not_of(" \t\r\n");
    if (end != std::string::npos) {
      text->text.resize(end + 1);
      break;
    }
    cut.content.pop_back();
  }
  AppendModelMessage(std::move(cut));  // merged into an earlier prefill when there is one
  prefilled_ = true;
  ++continuations_;
}

bool Run::WillContinue(int turn, llm::StopReason reason) const {
  if (reason != llm::StopReason::kMaxTokens) return false;
  if (continuations_ >= req_.options.max_continuations || turn >= req_.options.max_turns) {
    return false;
  }
  // A prefill must end in text that is not blank (Bedrock refuses a blank or whitespace-ended
  // final assistant text): without any, there is nothing to continue from.
  for (const auto& [index, block] : blocks_) {
    if (block.kind == BlockKind::kText &&
        block.text.find_first_not_of(" \t\r\n") != std::string::npos) {
      return true;
    }
  }
  return false;
}

Awaitable<AgentResult> Run::Finish(FinishReason reason, std::optional<AgentError> error) {
  result_.finish_reason = reason;
  result_.error = std::move(error);
  result_.messages = std::move(messages_);
  result_.first_new_message =
      result_.messages.size() - std::min(new_messages_, result_.messages.size());
  RunFinishedEvent finished;
  finished.reason = reason;
  finished.stop_reason = result_.stop_reason;
  finished.stop_reason_text = result_.stop_reason_text;
  finished.error = result_.error ? &*result_.error : nullptr;
  finished.usage = result_.usage;
  finished.turns = result_.turns;
  AgentEvent event = finished;
  co_await Emit(event);
  co_return std::move(result_);
}

Awaitable<AgentResult> Run::Execute() {
  if (req_.cancel) {
    external_ = req_.cancel->OnCancel(ex_, [this] { stop_.Cancel(req_.cancel->reason()); });
  }
  messages_ = std::move(req_.chat.messages);
  req_.chat.messages.clear();
  if (req_.tools && !req_.tools->tools().empty()) {
    NormalizeHistory(messages_);
    req_.chat.tools.clear();  // made per model call from the catalog (CallModel)
  } else {
    StripToolBlocks(messages_);
    req_.chat.tools.clear();
    req_.chat.tool_choice.reset();
  }
  if (messages_.empty()) {
    co_return co_await Finish(
        FinishReason::kError,
        AgentError(ErrorSource::kGateway,
                   core::Error::InvalidArgument("the conversation has no user message")));
  }

  for (int turn = 1;; ++turn) {
    if (stop_.cancelled()) co_return co_await Finish(FinishReason::kCancelled, CancelError());
    if (turn > req_.options.max_turns) {
      co_return co_await Finish(FinishReason::kMaxTurns, std::nullopt);
    }
    PruneImages(messages_, req_.options.only_n_most_recent_images);
    CompactToolResults(messages_, req_.options.keep_whole_tool_results,
                       req_.options.compacted_tool_result_chars);
    TrimHistory(messages_, req_.options.max_history_chars);
    result_.turns = turn;

    llm::ChatResponse response;
    std::optional<AgentError> failure = co_await CallModel(turn, response);
    if (stop_.cancelled()) {
      KeepPartialAnswer();
      co_return co_await Finish(FinishReason::kCancelled, CancelError());
    }
    if (failure) co_return co_await Finish(FinishReason::kError, std::move(failure));
    result_.stop_reason = response.stop_reason;
    result_.stop_reason_text = response.stop_reason_text;

    switch (response.stop_reason) {
      case llm::StopReason::kToolUse:
        if (response.message.ToolUses().empty()) {
          co_return co_await Finish(
              FinishReason::kError,
              ModelError(core::Error::UpstreamFailure(
                  "the model stopped for tool_use without asking for a tool")));
        }
        AppendModelMessage(std::move(response.message));
        co_await RunTools(turn);
        continue;
      case llm::StopReason::kMaxTokens:
        if (WillContinue(turn, response.stop_reason)) {
          ContinueFrom(std::move(response.message));
          continue;
        }
        AppendAnswer(std::move(response.message));
        co_return co_await Finish(FinishFor(response.stop_reason), std::nullopt);
      case llm::StopReason::kEndTurn:
      case llm::StopReason::kStopSequence:
      case llm::StopReason::kContentFiltered:
      case llm::StopReason::kGuardrailIntervened:
        AppendAnswer(std::move(response.message));
        co_return co_await Finish(FinishFor(response.stop_reason), std::nullopt);
      case llm::StopReason::kModelContextWindowExceeded:
        AppendAnswer(std::move(response.message));
        co_return co_await Finish(
            FinishReason::kContextWindowExceeded,
            ModelError(core::Error::ResourceExhausted(
                "the conversation no longer fits the model's context window")));
      case llm::StopReason::kMalformedModelOutput:
      case llm::StopReason::kMalformedToolUse:
      case llm::StopReason::kUnknown:
        co_return co_await Finish(FinishReason::kError,
                                  ModelError(core::Error::UpstreamFailure(
                                      "the model stopped with '{}'", response.stop_reason_text)));
    }
    co_return co_await Finish(FinishReason::kError,
                              ModelError(core::Error::Internal("unhandled stop reason")));
  }
}

// --- The model call ---

Awaitable<std::optional<AgentError>> Run::CallModel(int turn, llm::ChatResponse& response) {
  llm::ChatRequest request = req_.chat;
  request.messages = messages_;  // a copy: the provider takes its request by value
  if (req_.tools && !req_.tools->tools().empty()) {
    // The tool specs exist only for this call, compact in one resource freed with the request:
    // an open stream (a slow model) holds one copy, not a copy per run plus one per call.
    request.tools = req_.tools->Specs(json::make_shared_resource<json::monotonic_resource>());
  }
  blocks_.clear();
  bad_inputs_.clear();

  if (!req_.options.stream) {
    auto answered = co_await Interruptible(provider_.Converse(std::move(request)));
    if (!answered.ok()) co_return ModelError(answered.error());
    for (const llm::StreamEvent& event : EventsFor(*answered)) {
      Observe(event);
      co_await Announce(turn, event);
    }
    response = std::move(answered).value();
    co_return std::nullopt;
  }

  auto opened = co_await Interruptible(provider_.ConverseStream(std::move(request)));
  if (!opened.ok()) co_return ModelError(opened.error());
  std::unique_ptr<llm::ChatStream> stream = std::move(opened).value();
  if (stop_.cancelled()) {  // stopped while the stream was opening
    stream->Close();
    co_return CancelError();
  }
  llm::ChatStream* raw = stream.get();
  // Declared after `stream`, so destroyed before it: the callback never sees a dead stream.
  auto closer = stop_.OnCancel(ex_, [raw] { raw->Close(); });
  llm::StreamAssembler assembler;
  while (true) {
    auto next = co_await stream->Next();
    if (!next.ok()) co_return ModelError(next.error());
    if (!next->has_value()) break;
    const llm::StreamEvent& event = **next;
    Observe(event);
    if (core::Status fed = Feed(event, assembler); !fed.ok()) {
      stream->Close();
      co_return ModelError(fed.error());
    }
    co_await Announce(turn, event);
    if (stop_.cancelled()) {
      stream->Close();
      co_return CancelError();
    }
  }
  auto assembled = assembler.Finish();
  if (!assembled.ok()) co_return ModelError(assembled.error());
  response = std::move(assembled).value();
  co_return std::nullopt;
}

void Run::Observe(const llm::StreamEvent& event) {
  if (const auto* start = std::get_if<llm::ContentBlockStartEvent>(&event)) {
    if (!start->tool_use) return;
    Block& block = blocks_[start->index];
    block.kind = BlockKind::kToolUse;
    block.tool.tool_use_id = start->tool_use->id;
    block.tool.bedrock_name = start->tool_use->name;
    if (const CatalogTool* tool =
            req_.tools ? req_.tools->Find(block.tool.bedrock_name) : nullptr) {
      block.tool.server_id = tool->server_id;
      block.tool.tool_name = tool->tool_name;
    }
  } else if (const auto* delta = std::get_if<llm::ContentBlockDeltaEvent>(&event)) {
    using Kind = llm::ContentBlockDeltaEvent::Kind;
    Block& block = blocks_[delta->index];
    if (delta->kind == Kind::kText) {
      block.kind = BlockKind::kText;
      block.text += delta->text;
    } else if (delta->kind == Kind::kToolUseInput) {
      block.input += delta->text;
    } else {
      block.kind = BlockKind::kReasoning;
    }
  } else if (const auto* stop = std::get_if<llm::ContentBlockStopEvent>(&event)) {
    blocks_[stop->index].stopped = true;
  } else if (const auto* metadata = std::get_if<llm::MetadataEvent>(&event)) {
    AddUsage(result_.usage, metadata->usage);
  }
}

core::Status Run::Feed(const llm::StreamEvent& event, llm::StreamAssembler& assembler) {
  using Kind = llm::ContentBlockDeltaEvent::Kind;
  // Tool input is held back until its block stops, so that input cut off by max_tokens (or
  // otherwise not JSON) marks just that call as unusable instead of failing the whole response.
  if (const auto* delta = std::get_if<llm::ContentBlockDeltaEvent>(&event)) {
    if (delta->kind == Kind::kToolUseInput) return core::OkStatus();
  }
  if (const auto* stop = std::get_if<llm::ContentBlockStopEvent>(&event)) {
    auto it = blocks_.find(stop->index);
    if (it != blocks_.end() && it->second.kind == BlockKind::kToolUse) {
      Block& block = it->second;
      std::string_view text = block.input.empty() ? std::string_view("{}") : block.input;
      boost::system::error_code ec;
      json::value parsed = json::parse(text, ec);
      if (ec || !parsed.is_object()) {
        bad_inputs_[block.tool.tool_use_id] = "the model's input for it was not a JSON object";
      } else {
        llm::ContentBlockDeltaEvent whole{stop->index, Kind::kToolUseInput, std::string(text)};
        BEDROCK_TRY(assembler.Add(whole));
      }
    }
  }
  if (std::holds_alternative<llm::MessageStopEvent>(event)) {
    for (auto& [index, block] : blocks_) {
      if (block.kind == BlockKind::kToolUse && !block.stopped) {
        bad_inputs_[block.tool.tool_use_id] = "the model's output ended in the middle of its input";
      }
    }
  }
  return assembler.Add(event);
}

Awaitable<void> Run::Announce(int turn, const llm::StreamEvent& event) {
  AgentEvent out;
  if (std::holds_alternative<llm::MessageStartEvent>(event)) {
    out = TurnStartEvent{turn, prefilled_};
  } else if (const auto* start = std::get_if<llm::ContentBlockStartEvent>(&event)) {
    if (!start->tool_use) co_return;
    const Block& block = blocks_[start->index];
    out = ToolUseStartEvent{turn, start->index, block.tool};
  } else if (const auto* delta = std::get_if<llm::ContentBlockDeltaEvent>(&event)) {
    using Kind = llm::ContentBlockDeltaEvent::Kind;
    switch (delta->kind) {
      case Kind::kText:
        out = TextDeltaEvent{turn, delta->index, delta->text};
        break;
      case Kind::kReasoningText:
        out =
            ReasoningDeltaEvent{turn, delta->index, ReasoningDeltaEvent::Kind::kText, delta->text};
        break;
      case Kind::kReasoningSignature:
        out = ReasoningDeltaEvent{turn, delta->index, ReasoningDeltaEvent::Kind::kSignature,
                                  delta->text};
        break;
      case Kind::kReasoningRedacted:
        out = ReasoningDeltaEvent{turn, delta->index, ReasoningDeltaEvent::Kind::kRedacted,
                                  delta->text};
        break;
      case Kind::kToolUseInput: {
        const Block& block = blocks_[delta->index];
        out = ToolUseInputDeltaEvent{turn, delta->index, block.tool, delta->text};
        break;
      }
    }
  } else if (const auto* stop = std::get_if<llm::ContentBlockStopEvent>(&event)) {
    const Block& block = blocks_[stop->index];
    out = BlockStopEvent{turn, stop->index, block.kind, block.tool.tool_use_id};
  } else if (const auto* message_stop = std::get_if<llm::MessageStopEvent>(&event)) {
    out = TurnStopEvent{turn, message_stop->stop_reason, message_stop->stop_reason_text,
                        WillContinue(turn, message_stop->stop_reason)};
  } else if (const auto* metadata = std::get_if<llm::MetadataEvent>(&event)) {
    out = TurnUsageEvent{turn, metadata->usage, metadata->metrics, result_.usage};
  }
  co_await Emit(out);
}

// --- The tool round ---

void Run::Reject(ToolCallRecord& record, ToolCallStatus status, std::string text,
                 std::optional<AgentError> error) {
  record.status = status;
  record.result = ErrorResult(record.tool_use_id, std::move(text));
  record.error = std::move(error);
}

void Run::Complete(ToolCallRecord& record, TaskOutcome outcome) {
  record.duration = outcome.duration;
  const std::string& server = record.server_id;
  const std::string& tool = record.tool_name;
  if (outcome.cancelled ||
      (outcome.call && !outcome.call->ok() &&
       outcome.call->error().code() == core::ErrorCode::kCancelled && stop_.cancelled())) {
    Reject(record, ToolCallStatus::kCancelled,
           fmt::format("The call to tool '{}' on MCP server '{}' was cancelled before it "
                       "finished (the request was stopped).",
                       tool, server),
           CancelError());
    return;
  }
  const auto timeout_ms = req_.options.tool_timeout.count();
  if (outcome.call_timed_out) {
    Reject(
        record, ToolCallStatus::kTimedOut,
        fmt::format("The call to tool '{}' on MCP server '{}' timed out after {} ms.", tool, server,
                    timeout_ms),
        AgentError(ErrorSource::kMcpServer,
                   core::Error::DeadlineExceeded("MCP server '{}' did not answer {} within {} ms",
                                                 server, tool, timeout_ms),
                   server));
    return;
  }
  core::Result<mcp::CallToolResult>& call = *outcome.call;
  if (!call.ok()) {
    const core::Error& error = call.error();
    if (error.code() == core::ErrorCode::kDeadlineExceeded) {
      Reject(record, ToolCallStatus::kTimedOut,
             fmt::format("The call to tool '{}' on MCP server '{}' timed out after {} ms.", tool,
                         server, timeout_ms),
             AgentError(ErrorSource::kMcpServer, error, server));
    } else {
      Reject(record, ToolCallStatus::kFailed,
             fmt::format("The call to tool '{}' on MCP server '{}' failed ({}): {}", tool, server,
                         core::ErrorCodeName(error.code()), error.message()),
             AgentError(ErrorSource::kMcpServer, error, server));
    }
    return;
  }
  mcp::CallToolResult value = std::move(call).value();
  record.status = value.is_error ? ToolCallStatus::kToolError : ToolCallStatus::kSucceeded;
  record.result = ToToolResult(record.tool_use_id, std::move(value));
  record.truncated = TruncateToolResult(record.result, req_.options.max_tool_result_chars);
}

Awaitable<void> Run::RunTools(int turn) {
  struct Plan {
    const CatalogTool* tool = nullptr;
    json::object arguments;
    bool run = false;
    bool finished = false;
  };
  // Built whole before any event goes out: events point into `records`.
  std::vector<ToolCallRecord> records;
  std::vector<Plan> plans;
  for (const llm::ToolUseBlock* use : messages_.back().ToolUses()) {
    ToolCallRecord& record = records.emplace_back();
    Plan& plan = plans.emplace_back();
    record.turn = turn;
    record.tool_use_id = use->id;
    record.bedrock_name = use->name;
    record.input = use->input;
    plan.tool = req_.tools ? req_.tools->Find(use->name) : nullptr;
    if (plan.tool != nullptr) {
      record.server_id = plan.tool->server_id;
      record.tool_name = plan.tool->tool_name;
      record.requires_approval = plan.tool->requires_approval;
    }
    if (auto bad = bad_inputs_.find(use->id); bad != bad_inputs_.end()) {
      Reject(record, ToolCallStatus::kInvalidInput,
             fmt::format("The call to tool '{}' was not made: {}. Send the call again with "
                         "complete JSON input.",
                         use->name, bad->second),
             AgentError(ErrorSource::kModel, core::Error::UpstreamFailure("tool input for {}: {}",
                                                                          use->id, bad->second)));
    } else if (plan.tool == nullptr) {
      Reject(record, ToolCallStatus::kUnknownTool,
             fmt::format("There is no tool named '{}' in this conversation; use one of the tools "
                         "offered.",
                         use->name),
             AgentError(ErrorSource::kGateway,
                        core::Error::NotFound("the model called unknown tool '{}'", use->name)));
    } else if (!use->input.is_object()) {
      Reject(record, ToolCallStatus::kInvalidInput,
             fmt::format("The call to tool '{}' was not made: its input must be a JSON object.",
                         use->name),
             AgentError(ErrorSource::kModel, core::Error::UpstreamFailure(
                                                 "tool input for {} is not an object", use->id)));
    } else if (stop_.cancelled()) {
      Reject(record, ToolCallStatus::kCancelled,
             fmt::format("The call to tool '{}' was not made: the request was stopped.", use->name),
             CancelError());
    } else if (record.requires_approval && !req_.approvals) {
      Reject(record, ToolCallStatus::kDenied,
             fmt::format("The call to tool '{}' on MCP server '{}' needs the user's approval, and "
                         "approvals are not possible here; it was not run.",
                         record.tool_name, record.server_id),
             std::nullopt);
    } else {
      plan.run = true;
      plan.arguments = use->input.as_object();
    }
  }

  for (ToolCallRecord& record : records) {
    AgentEvent started = ToolCallStartedEvent{&record};
    co_await Emit(started);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (plans[i].run) continue;
    plans[i].finished = true;
    AgentEvent finished = ToolCallFinishedEvent{&records[i]};
    co_await Emit(finished);
  }

  internal::TaskGroup<TaskOutcome> group(ex_);
  // Declared after `group`, so destroyed first.
  auto canceller = stop_.OnCancel(ex_, [&group] { group.CancelAll(); });
  for (size_t i = 0; i < records.size(); ++i) {
    if (!plans[i].run) continue;
    ToolCallRecord& record = records[i];
    if (!record.requires_approval) {
      group.Spawn(i, CallOne(req_.tools, plans[i].tool, std::move(plans[i].arguments),
                             req_.options.tool_timeout));
      continue;
    }
    ApprovalRequest request;
    request.approval_id = record.approval_id = NewApprovalId();
    request.tool_use_id = record.tool_use_id;
    request.server_id = record.server_id;
    request.tool_name = record.tool_name;
    request.bedrock_name = record.bedrock_name;
    request.input = record.input;
    req_.approvals->Open(request);
    group.Spawn(i,
                AwaitApproval(req_.approvals, request.approval_id, req_.options.approval_timeout));
    AgentEvent pending = ApprovalPendingEvent{std::move(request), req_.options.approval_timeout};
    co_await Emit(pending);
  }

  while (auto done = co_await group.Next()) {
    auto& [i, outcome] = *done;
    ToolCallRecord& record = records[i];
    if (outcome.stage == TaskOutcome::Stage::kApproval) {
      ApprovalResolvedEvent resolved;
      resolved.approval_id = record.approval_id;
      resolved.tool_use_id = record.tool_use_id;
      if (outcome.cancelled) {
        resolved.outcome = ApprovalResolvedEvent::Outcome::kCancelled;
        Reject(record, ToolCallStatus::kCancelled,
               fmt::format("The call to tool '{}' on MCP server '{}' was not made: the request "
                           "was stopped while it waited for approval.",
                           record.tool_name, record.server_id),
               CancelError());
      } else if (outcome.approval_timed_out) {
        resolved.outcome = ApprovalResolvedEvent::Outcome::kTimedOut;
        Reject(record, ToolCallStatus::kDenied,
               fmt::format("The call to tool '{}' on MCP server '{}' was not made: nobody approved "
                           "it within {} s, which counts as a denial.",
                           record.tool_name, record.server_id,
                           req_.options.approval_timeout.count() / 1000.0),
               std::nullopt);
      } else if (!outcome.verdict->approved) {
        resolved.outcome = ApprovalResolvedEvent::Outcome::kDenied;
        resolved.reason = outcome.verdict->reason;
        std::string why = resolved.reason.empty() ? "" : fmt::format(" (\"{}\")", resolved.reason);
        Reject(record, ToolCallStatus::kDenied,
               fmt::format("The user denied the call to tool '{}' on MCP server '{}'{}; it was not "
                           "run.",
                           record.tool_name, record.server_id, why),
               std::nullopt);
      } else {
        resolved.outcome = ApprovalResolvedEvent::Outcome::kApproved;
        resolved.reason = outcome.verdict->reason;
      }
      bool approved = resolved.outcome == ApprovalResolvedEvent::Outcome::kApproved;
      if (approved && stop_.cancelled()) {
        Reject(record, ToolCallStatus::kCancelled,
               fmt::format("The call to tool '{}' was not made: the request was stopped.",
                           record.tool_name),
               CancelError());
        approved = false;
      }
      AgentEvent resolved_event = std::move(resolved);
      co_await Emit(resolved_event);
      if (approved) {
        group.Spawn(i, CallOne(req_.tools, plans[i].tool, std::move(plans[i].arguments),
                               req_.options.tool_timeout));
      } else {
        AgentEvent finished = ToolCallFinishedEvent{&record};
        co_await Emit(finished);
      }
      continue;
    }
    Complete(record, std::move(outcome));
    AgentEvent finished = ToolCallFinishedEvent{&record};
    co_await Emit(finished);
  }

  llm::Message results{llm::Role::kUser, {}};
  for (const ToolCallRecord& record : records) results.content.push_back(record.result);
  Append(std::move(results));
  AgentEvent round = ToolRoundEvent{turn, std::span<const ToolCallRecord>(records)};
  co_await Emit(round);
  for (ToolCallRecord& record : records) result_.tool_calls.push_back(std::move(record));
}

}  // namespace

const llm::Message* AgentResult::final_message() const {
  for (size_t i = messages.size(); i > first_new_message; --i) {
    if (messages[i - 1].role == llm::Role::kAssistant) return &messages[i - 1];
  }
  return nullptr;
}

std::string AgentResult::final_text() const {
  const llm::Message* message = final_message();
  return message ? message->Text() : std::string();
}

Awaitable<AgentResult> RunAgent(llm::ChatProvider& provider, AgentRequest request) {
  auto executor = co_await asio::this_coro::executor;
  // The run's state lives in this frame for the whole loop; every task it starts finishes (the
  // task group is drained) before the frame goes away.
  Run run(provider, std::move(request), executor);
  co_return co_await run.Execute();
}

}  // namespace bedrock::agent

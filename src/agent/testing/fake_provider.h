// A scripted llm::ChatProvider for tests of the agent loop and its callers (gateway, chat): each
// model call takes the next Script, streams its events, then ends, fails or hangs until closed.
//
//   agent::testing::FakeProvider model(executor);
//   model.Push(agent::testing::CallTools({{"t1", "fs___read", json::object{{"path", "a"}}}}));
//   model.Push(agent::testing::Answer("It says hello."));
//   ... RunAgent(model, request) ...
//   EXPECT_EQ(model.requests().size(), 2);
//
// Thread-safety: one executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llm/provider.h"

namespace bedrock::agent::testing {

struct Script {
  std::vector<llm::StreamEvent> events;
  std::optional<core::Error> open_error;  // the call fails before any event
  std::optional<core::Error> end_error;   // after the events, the stream fails
  bool hang = false;                      // after the events, Next waits until Close()
};

inline llm::MetadataEvent Usage(int64_t input, int64_t output) {
  llm::MetadataEvent metadata;
  metadata.usage.input_tokens = input;
  metadata.usage.output_tokens = output;
  metadata.usage.total_tokens = input + output;
  return metadata;
}

inline llm::MessageStopEvent Stop(llm::StopReason reason) {
  llm::MessageStopEvent stop;
  stop.stop_reason = reason;
  stop.stop_reason_text = std::string(llm::StopReasonName(reason));
  return stop;
}

inline llm::ContentBlockDeltaEvent Delta(int index, llm::ContentBlockDeltaEvent::Kind kind,
                                         std::string text) {
  return llm::ContentBlockDeltaEvent{index, kind, std::move(text)};
}

// A text answer in two deltas.
inline Script Answer(std::string text, llm::StopReason reason = llm::StopReason::kEndTurn) {
  using Kind = llm::ContentBlockDeltaEvent::Kind;
  Script script;
  script.events.push_back(llm::MessageStartEvent{});
  size_t half = text.size() / 2;
  script.events.push_back(Delta(0, Kind::kText, text.substr(0, half)));
  script.events.push_back(Delta(0, Kind::kText, text.substr(half)));
  script.events.push_back(llm::ContentBlockStopEvent{0});
  script.events.push_back(Stop(reason));
  script.events.push_back(Usage(10, 5));
  return script;
}

struct Call {
  std::string id;
  std::string name;
  boost::json::value input;
};

// A short text, then tool calls whose input JSON arrives in two fragments each.
inline Script CallTools(std::vector<Call> calls, std::string preamble = "Let me check.") {
  using Kind = llm::ContentBlockDeltaEvent::Kind;
  Script script;
  script.events.push_back(llm::MessageStartEvent{});
  script.events.push_back(Delta(0, Kind::kText, preamble));
  script.events.push_back(llm::ContentBlockStopEvent{0});
  int index = 1;
  for (Call& call : calls) {
    llm::ContentBlockStartEvent start;
    start.index = index;
    start.tool_use = llm::ContentBlockStartEvent::ToolUseStart{call.id, call.name};
    script.events.push_back(start);
    std::string input = boost::json::serialize(call.input);
    size_t half = input.size() / 2;
    script.events.push_back(Delta(index, Kind::kToolUseInput, input.substr(0, half)));
    script.events.push_back(Delta(index, Kind::kToolUseInput, input.substr(half)));
    script.events.push_back(llm::ContentBlockStopEvent{index});
    ++index;
  }
  script.events.push_back(Stop(llm::StopReason::kToolUse));
  script.events.push_back(Usage(20, 7));
  return script;
}

inline Script Failure(core::Error error) {
  Script script;
  script.open_error = std::move(error);
  return script;
}

class FakeProvider;

class FakeStream final : public llm::ChatStream {
 public:
  FakeStream(boost::asio::any_io_executor executor, Script script, FakeProvider* provider)
      : timer_(executor), script_(std::move(script)), provider_(provider) {
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }
  boost::asio::awaitable<core::Result<std::optional<llm::StreamEvent>>> Next() override;
  void Close() override;

 private:
  boost::asio::steady_timer timer_;
  Script script_;
  FakeProvider* provider_;
  size_t next_ = 0;
  bool closed_ = false;
};

class FakeProvider final : public llm::ChatProvider {
 public:
  explicit FakeProvider(boost::asio::any_io_executor executor) : executor_(executor) {}

  void Push(Script script) { scripts_.push_back(std::move(script)); }
  const std::vector<llm::ChatRequest>& requests() const { return requests_; }
  // Called when a stream starts hanging (the test can cancel then).
  std::function<void()> on_hang;
  int streams_closed = 0;

  std::string_view name() const override { return "fake"; }

  boost::asio::awaitable<core::Result<llm::ChatResponse>> Converse(
      llm::ChatRequest request) override {
    auto script = Take(std::move(request));
    if (!script.ok()) co_return script.error();
    if (script->open_error) co_return *script->open_error;
    llm::StreamAssembler assembler;
    for (const auto& event : script->events) BEDROCK_CO_TRY(assembler.Add(event));
    co_return assembler.Finish();
  }

  boost::asio::awaitable<core::Result<std::unique_ptr<llm::ChatStream>>> ConverseStream(
      llm::ChatRequest request) override {
    auto script = Take(std::move(request));
    if (!script.ok()) co_return script.error();
    if (script->open_error) co_return *script->open_error;
    co_return std::unique_ptr<llm::ChatStream>(
        std::make_unique<FakeStream>(executor_, std::move(script).value(), this));
  }

 private:
  core::Result<Script> Take(llm::ChatRequest request) {
    requests_.push_back(std::move(request));
    if (scripts_.empty()) return core::Error::Internal("the fake model has no answer scripted");
    Script script = std::move(scripts_.front());
    scripts_.pop_front();
    return script;
  }

  boost::asio::any_io_executor executor_;
  std::deque<Script> scripts_;
  std::vector<llm::ChatRequest> requests_;
};

inline boost::asio::awaitable<core::Result<std::optional<llm::StreamEvent>>> FakeStream::Next() {
  if (closed_) co_return core::Error::Cancelled("stream closed");
  if (next_ < script_.events.size()) co_return std::optional(script_.events[next_++]);
  if (script_.end_error) co_return *script_.end_error;
  if (!script_.hang) co_return std::optional<llm::StreamEvent>();
  if (provider_->on_hang) provider_->on_hang();
  while (!closed_) {
    (void)co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  co_return core::Error::Cancelled("stream closed");
}

inline void FakeStream::Close() {
  if (closed_) return;
  closed_ = true;
  ++provider_->streams_closed;
  timer_.cancel();
}

}  // namespace bedrock::agent::testing

// The loop end to end: a scripted model (FakeProvider) and a real in-memory MCP server.
#include "agent/agent.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agent/testing/fake_provider.h"
#include "agent/testing/test_server.h"

namespace bedrock::agent {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using mcp::testing::RunCoroutine;
using testing::Answer;
using testing::CallTools;
using testing::FakeProvider;
using testing::TestServer;

// gtest's ASSERT_* return, which a coroutine cannot.
#define CO_ASSERT_TRUE(condition)             \
  if (!(condition)) {                         \
    ADD_FAILURE() << "expected: " #condition; \
    co_return;                                \
  }
#define CO_ASSERT_EQ(a, b)                                                                  \
  if (!((a) == (b))) {                                                                      \
    ADD_FAILURE() << "expected " #a " == " #b ": " << ::testing::PrintToString(a) << " vs " \
                  << ::testing::PrintToString(b);                                           \
    co_return;                                                                              \
  }

// A one-line description of each event, for checking what was reported and in which order.
std::string Describe(const AgentEvent& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, TurnStartEvent>) {
          return fmt::format("turn {}", e.turn);
        } else if constexpr (std::is_same_v<E, TextDeltaEvent>) {
          return "text:" + e.text;
        } else if constexpr (std::is_same_v<E, ReasoningDeltaEvent>) {
          return "reasoning";
        } else if constexpr (std::is_same_v<E, ToolUseStartEvent>) {
          return fmt::format("tool_use:{}@{}", e.tool.bedrock_name, e.tool.server_id);
        } else if constexpr (std::is_same_v<E, ToolUseInputDeltaEvent>) {
          return fmt::format("input:{}:{}", e.tool.tool_name, e.fragment);
        } else if constexpr (std::is_same_v<E, BlockStopEvent>) {
          return fmt::format("block_stop:{}", static_cast<int>(e.kind));
        } else if constexpr (std::is_same_v<E, TurnStopEvent>) {
          return "turn_stop:" + e.stop_reason_text;
        } else if constexpr (std::is_same_v<E, TurnUsageEvent>) {
          return fmt::format("usage:{}/{}", e.usage.total_tokens, e.total.total_tokens);
        } else if constexpr (std::is_same_v<E, ToolCallStartedEvent>) {
          return fmt::format("call:{}/{}", e.call->server_id, e.call->tool_name);
        } else if constexpr (std::is_same_v<E, ApprovalPendingEvent>) {
          return "approval?:" + e.request.tool_name;
        } else if constexpr (std::is_same_v<E, ApprovalResolvedEvent>) {
          return fmt::format("approval:{}", static_cast<int>(e.outcome));
        } else if constexpr (std::is_same_v<E, ToolCallFinishedEvent>) {
          return fmt::format("done:{}:{}", e.call->tool_name, ToolCallStatusName(e.call->status));
        } else if constexpr (std::is_same_v<E, ToolRoundEvent>) {
          return fmt::format("round:{}", e.calls.size());
        } else {
          return fmt::format("finished:{}", FinishReasonName(e.reason));
        }
      },
      event);
}

// Records every event; `hook` may act on one (approve, cancel...).
struct Recorder {
  std::vector<std::string> trace;
  std::function<void(const AgentEvent&)> hook;
  std::shared_ptr<EventSink> Sink() {
    return std::make_shared<CallbackSink>([this](const AgentEvent& event) {
      trace.push_back(Describe(event));
      if (hook) hook(event);
    });
  }
  bool Saw(std::string_view line) const {
    return std::find(trace.begin(), trace.end(), line) != trace.end();
  }
  size_t IndexOf(std::string_view line) const {
    return std::find(trace.begin(), trace.end(), line) - trace.begin();
  }
};

Awaitable<std::shared_ptr<ToolCatalog>> CatalogFor(TestServer& server, McpServer options = {}) {
  options.id = server.id;
  options.client = server.client;
  std::vector<McpServer> servers;
  servers.push_back(std::move(options));
  auto catalog = co_await McpToolCatalog::Load(std::move(servers));
  EXPECT_TRUE(catalog.ok()) << catalog.error();
  co_return catalog.ok() ? *catalog : nullptr;
}

// Runs `body` with a connected in-memory MCP server "s1" and a scripted model.
void RunWithServer(std::function<Awaitable<void>(TestServer&, FakeProvider&)> body) {
  RunCoroutine([&body](asio::any_io_executor ex) -> Awaitable<void> {
    TestServer s1(ex, "s1");
    MCP_CO_ASSERT_OK(co_await s1.Connect());
    FakeProvider model(ex);
    co_await body(s1, model);
    co_await s1.client->Close();
  });
}

AgentRequest Request(std::shared_ptr<ToolCatalog> tools, Recorder* recorder = nullptr) {
  AgentRequest request;
  request.chat.model_id = "fake-model";
  request.chat.messages.push_back(llm::Message::UserText("question"));
  request.tools = std::move(tools);
  if (recorder) request.sink = recorder->Sink();
  return request;
}

json::value Input(std::string_view text) { return json::parse(text); }

const llm::ToolResultBlock& ResultIn(const llm::Message& message, size_t i) {
  return std::get<llm::ToolResultBlock>(message.content.at(i));
}

std::string TextOf(const llm::ToolResultBlock& result) {
  std::string text;
  for (const auto& content : result.content) {
    if (const auto* t = std::get_if<llm::TextBlock>(&content)) text += t->text;
  }
  return text;
}

// Every tool use in the history is answered by the next message (what Bedrock requires).
void ExpectConsistent(const std::vector<llm::Message>& messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    for (const llm::ToolUseBlock* use : messages[i].ToolUses()) {
      ASSERT_LT(i + 1, messages.size()) << "tool use " << use->id << " without result";
      bool answered = false;
      for (const auto& block : messages[i + 1].content) {
        const auto* r = std::get_if<llm::ToolResultBlock>(&block);
        answered |= r && r->tool_use_id == use->id;
      }
      EXPECT_TRUE(answered) << "tool use " << use->id << " without result";
    }
    if (i > 0) {
      EXPECT_NE(messages[i].role, messages[i - 1].role) << "at " << i;
    }
  }
}

TEST(AgentTest, SingleToolCallRoundTrip) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___echo", Input(R"({"text":"hello"})")}}));
    model.Push(Answer("It said hello."));
    Recorder recorder;
    auto request = Request(co_await CatalogFor(s1), &recorder);
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.turns, 2);
    EXPECT_EQ(result.final_text(), "It said hello.");
    CO_ASSERT_EQ(result.messages.size(), 4u);
    EXPECT_EQ(result.first_new_message, 1u);
    EXPECT_EQ(TextOf(ResultIn(result.messages[2], 0)), "hello");
    ExpectConsistent(result.messages);
    EXPECT_EQ(result.usage.total_tokens, 27 + 15);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_EQ(result.tool_calls[0].server_id, "s1");
    EXPECT_EQ(result.tool_calls[0].tool_name, "echo");
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kSucceeded);

    // The model was offered the server's tools under their Bedrock names, and got the result.
    CO_ASSERT_EQ(model.requests().size(), 2u);
    const auto& tools = model.requests()[0].tools;
    EXPECT_TRUE(std::any_of(tools.begin(), tools.end(),
                            [](const llm::ToolSpec& t) { return t.name == "s1___echo"; }));
    EXPECT_EQ(model.requests()[1].messages.size(), 3u);

    // Events in the order the gateway needs for the demo's stream.
    EXPECT_EQ(recorder.trace.front(), "turn 1");
    EXPECT_TRUE(recorder.Saw("tool_use:s1___echo@s1"));
    EXPECT_TRUE(recorder.Saw("input:echo:{\"text\":"));
    EXPECT_LT(recorder.IndexOf("turn_stop:tool_use"), recorder.IndexOf("call:s1/echo"));
    EXPECT_LT(recorder.IndexOf("call:s1/echo"), recorder.IndexOf("done:echo:succeeded"));
    EXPECT_LT(recorder.IndexOf("done:echo:succeeded"), recorder.IndexOf("round:1"));
    EXPECT_LT(recorder.IndexOf("round:1"), recorder.IndexOf("turn 2"));
    EXPECT_TRUE(recorder.Saw("usage:27/27"));
    EXPECT_TRUE(recorder.Saw("usage:15/42"));
    EXPECT_EQ(recorder.trace.back(), "finished:end_turn");
  });
}

TEST(AgentTest, TwoToolCallsOfATurnRunConcurrently) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    // Each tool waits for the other to start: run one after the other, both would fail.
    model.Push(
        CallTools({{"ta", "s1___ping_a", json::object{}}, {"tb", "s1___ping_b", json::object{}}}));
    model.Push(Answer("Both answered."));
    auto request = Request(co_await CatalogFor(s1));
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    CO_ASSERT_EQ(result.messages.size(), 4u);
    const llm::Message& results = result.messages[2];
    CO_ASSERT_EQ(results.content.size(), 2u);
    // In the model's order, matched by id.
    EXPECT_EQ(ResultIn(results, 0).tool_use_id, "ta");
    EXPECT_EQ(TextOf(ResultIn(results, 0)), "a saw b");
    EXPECT_EQ(ResultIn(results, 1).tool_use_id, "tb");
    EXPECT_EQ(TextOf(ResultIn(results, 1)), "b saw a");
  });
}

TEST(AgentTest, ToolTimeoutBecomesAnErrorResultAndTheServerIsCancelled) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___hang", json::object{}}}));
    model.Push(Answer("The tool timed out."));
    auto request = Request(co_await CatalogFor(s1));
    request.options.tool_timeout = 200ms;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    const ToolCallRecord& call = result.tool_calls[0];
    EXPECT_EQ(call.status, ToolCallStatus::kTimedOut);
    EXPECT_EQ(call.result.status, llm::ToolResultStatus::kError);
    EXPECT_EQ(TextOf(call.result),
              "The call to tool 'hang' on MCP server 's1' timed out after 200 ms.");
    CO_ASSERT_TRUE(call.error);
    EXPECT_EQ(call.error->source, ErrorSource::kMcpServer);
    EXPECT_EQ(call.error->server_id, "s1");
    EXPECT_TRUE(co_await s1.hang_cancelled.Wait());  // notifications/cancelled reached it
    // The model saw the error and answered.
    CO_ASSERT_EQ(model.requests().size(), 2u);
    ExpectConsistent(result.messages);
  });
}

TEST(AgentTest, ServerCrashMidCallBecomesAnErrorResult) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___crash", json::object{}}}));
    model.Push(Answer("The server crashed."));
    auto request = Request(co_await CatalogFor(s1));
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    const ToolCallRecord& call = result.tool_calls[0];
    EXPECT_EQ(call.status, ToolCallStatus::kFailed);
    EXPECT_EQ(call.result.status, llm::ToolResultStatus::kError);
    std::string text = TextOf(call.result);
    EXPECT_NE(text.find("MCP server 's1'"), std::string::npos) << text;
    EXPECT_NE(text.find("closed"), std::string::npos) << text;
    CO_ASSERT_TRUE(call.error);
    EXPECT_EQ(call.error->source, ErrorSource::kMcpServer);
    EXPECT_EQ(model.requests().size(), 2u);
    ExpectConsistent(result.messages);
  });
}

TEST(AgentTest, ThrottledModelEndsTheRunWithAModelError) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    model.Push(testing::Failure(core::Error::ResourceExhausted("ThrottlingException: slow down")));
    Recorder recorder;
    auto request = Request(nullptr, &recorder);
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kError);
    CO_ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->source, ErrorSource::kModel);
    EXPECT_EQ(result.error->error.code(), core::ErrorCode::kResourceExhausted);
    EXPECT_EQ(result.error->Describe(),
              "model: model provider fake: ThrottlingException: slow down");
    EXPECT_EQ(result.messages.size(), 1u);  // the question, unanswered
    EXPECT_EQ(recorder.trace.back(), "finished:error");
  });
}

TEST(AgentTest, ModelStreamFailingMidwayIsAModelError) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    testing::Script script = Answer("partial");
    script.events.resize(2);
    script.end_error = core::Error::Unavailable("connection reset");
    model.Push(std::move(script));
    auto request = Request(nullptr);
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kError);
    CO_ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->source, ErrorSource::kModel);
    EXPECT_EQ(result.messages.size(), 1u);
  });
}

TEST(AgentTest, MaxTokensEndsTheRunAndDropsTheCutToolCall) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    using Kind = llm::ContentBlockDeltaEvent::Kind;
    testing::Script script;
    script.events.push_back(llm::MessageStartEvent{});
    script.events.push_back(testing::Delta(0, Kind::kText, "Here is a long"));
    script.events.push_back(llm::ContentBlockStopEvent{0});
    llm::ContentBlockStartEvent start;
    start.index = 1;
    start.tool_use = llm::ContentBlockStartEvent::ToolUseStart{"t1", "s1___echo"};
    script.events.push_back(start);
    script.events.push_back(testing::Delta(1, Kind::kToolUseInput, R"({"text": "cut)"));
    script.events.push_back(testing::Stop(llm::StopReason::kMaxTokens));
    script.events.push_back(testing::Usage(5, 100));
    model.Push(std::move(script));
    auto request = Request(co_await CatalogFor(s1));
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kMaxTokens);
    EXPECT_EQ(result.stop_reason, llm::StopReason::kMaxTokens);
    EXPECT_FALSE(result.error);
    CO_ASSERT_EQ(result.messages.size(), 2u);
    EXPECT_EQ(result.messages[1].Text(), "Here is a long");
    EXPECT_TRUE(result.messages[1].ToolUses().empty());
    EXPECT_EQ(s1.echo_calls, 0);
  });
}

TEST(AgentTest, MaxTokensAnswerIsContinuedIntoOneMessage) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    model.Push(Answer("The first half ", llm::StopReason::kMaxTokens));
    model.Push(Answer(" and the second half.", llm::StopReason::kEndTurn));
    Recorder recorder;
    auto request = Request(nullptr, &recorder);
    request.options.max_continuations = 2;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    EXPECT_EQ(result.turns, 2);
    CO_ASSERT_EQ(model.requests().size(), 2u);
    // The second call carries the cut answer as a prefill, trailing whitespace removed.
    const auto& sent = model.requests()[1].messages;
    CO_ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].role, llm::Role::kAssistant);
    EXPECT_EQ(sent[1].Text(), "The first half");
    // One assistant message holds the whole answer.
    CO_ASSERT_EQ(result.messages.size(), 2u);
    EXPECT_EQ(result.final_text(), "The first half and the second half.");
    EXPECT_EQ(recorder.IndexOf("turn_stop:max_tokens") < recorder.IndexOf("turn 2"), true);
    EXPECT_EQ(recorder.trace.back(), "finished:end_turn");
  });
}

TEST(AgentTest, ContinuationsAreBoundedThenTheRunEndsWithMaxTokens) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    for (int i = 0; i < 4; ++i)
      model.Push(Answer(fmt::format("part{} ", i), llm::StopReason::kMaxTokens));
    std::vector<bool> continues;
    std::vector<bool> continuation;
    auto sink = std::make_shared<CallbackSink>([&](const AgentEvent& event) {
      if (const auto* stop = std::get_if<TurnStopEvent>(&event))
        continues.push_back(stop->continues);
      if (const auto* start = std::get_if<TurnStartEvent>(&event)) {
        continuation.push_back(start->continuation);
      }
    });
    auto request = Request(nullptr);
    request.sink = sink;
    request.options.max_continuations = 2;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kMaxTokens);
    EXPECT_EQ(model.requests().size(), 3u);
    EXPECT_EQ(continues, (std::vector<bool>{true, true, false}));
    EXPECT_EQ(continuation, (std::vector<bool>{false, true, true}));
    CO_ASSERT_EQ(result.messages.size(), 2u);
    EXPECT_EQ(result.final_text(), "part0part1part2 ");
  });
}

TEST(AgentTest, ContinuationStopsAtMaxTurns) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    model.Push(Answer("cut", llm::StopReason::kMaxTokens));
    auto request = Request(nullptr);
    request.options.max_continuations = 5;
    request.options.max_turns = 1;
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kMaxTokens);
    EXPECT_EQ(model.requests().size(), 1u);
  });
}

TEST(AgentTest, ContinuedAnswerMayCallToolsAndTheHistoryStaysWellFormed) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(Answer("Let me ", llm::StopReason::kMaxTokens));
    testing::Script call = CallTools({{"t1", "s1___echo", Input(R"({"text":"hi"})")}});
    model.Push(std::move(call));
    model.Push(Answer("Done."));
    auto request = Request(co_await CatalogFor(s1));
    request.options.max_continuations = 1;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    EXPECT_EQ(s1.echo_calls, 1);
    // user, assistant (prefill + tool call merged), user (result), assistant
    CO_ASSERT_EQ(result.messages.size(), 4u);
    EXPECT_EQ(result.messages[1].ToolUses().size(), 1u);
    ExpectConsistent(result.messages);
    CO_ASSERT_EQ(model.requests().size(), 3u);
    ExpectConsistent(model.requests()[2].messages);
  });
}

TEST(AgentTest, StopSequenceIsNeverContinued) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    model.Push(Answer("words", llm::StopReason::kStopSequence));
    auto request = Request(nullptr);
    request.options.max_continuations = 3;
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kStopSequence);
    EXPECT_EQ(model.requests().size(), 1u);
  });
}

TEST(AgentTest, OlderToolResultsAreCompactedBeforeTheNextModelCall) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___big", json::object{}}}));
    model.Push(CallTools({{"t2", "s1___big", json::object{}}}));
    model.Push(Answer("two big results"));
    auto request = Request(co_await CatalogFor(s1));
    request.options.keep_whole_tool_results = 1;
    request.options.compacted_tool_result_chars = 100;
    AgentResult result = co_await RunAgent(model, std::move(request));
    CO_ASSERT_EQ(model.requests().size(), 3u);
    // The second call still saw the first result whole; the third sees it compacted, and the
    // newest whole.
    EXPECT_EQ(TextOf(ResultIn(model.requests()[1].messages[2], 0)).size(), 5000u);
    const auto& sent = model.requests()[2].messages;
    CO_ASSERT_EQ(sent.size(), 5u);
    std::string old = TextOf(ResultIn(sent[2], 0));
    EXPECT_EQ(old.substr(0, 100), std::string(100, 'z'));
    EXPECT_NE(old.find("[... older tool result compacted: 100 of 5000 characters kept]"),
              std::string::npos);
    EXPECT_EQ(ResultIn(sent[2], 0).tool_use_id, "t1");
    EXPECT_EQ(TextOf(ResultIn(sent[4], 0)).size(), 5000u);
    ExpectConsistent(sent);
  });
}

TEST(AgentTest, EveryEndingStopReasonMapsToItsFinishReason) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::pair<llm::StopReason, FinishReason>> cases = {
        {llm::StopReason::kStopSequence, FinishReason::kStopSequence},
        {llm::StopReason::kContentFiltered, FinishReason::kContentFiltered},
        {llm::StopReason::kGuardrailIntervened, FinishReason::kGuardrailIntervened},
        {llm::StopReason::kModelContextWindowExceeded, FinishReason::kContextWindowExceeded},
        {llm::StopReason::kMalformedModelOutput, FinishReason::kError},
    };
    for (auto [stop, finish] : cases) {
      FakeProvider model(ex);
      model.Push(Answer("words", stop));
      auto request = Request(nullptr);
      AgentResult result = co_await RunAgent(model, std::move(request));
      EXPECT_EQ(result.finish_reason, finish) << llm::StopReasonName(stop);
      EXPECT_EQ(result.error.has_value(),
                finish == FinishReason::kError || finish == FinishReason::kContextWindowExceeded);
      if (result.error) {
        EXPECT_EQ(result.error->source, ErrorSource::kModel);
      }
    }
  });
}

TEST(AgentTest, MaxTurnsBoundsTheLoopAndLeavesHistoryConsistent) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    for (std::string id : {"t1", "t2", "t3"}) {
      model.Push(CallTools({{id, "s1___echo", Input(R"({"text":"again"})")}}));
    }
    Recorder recorder;
    auto request = Request(co_await CatalogFor(s1), &recorder);
    request.options.max_turns = 2;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kMaxTurns);
    EXPECT_EQ(result.turns, 2);
    EXPECT_EQ(model.requests().size(), 2u);
    EXPECT_EQ(s1.echo_calls, 2);
    EXPECT_EQ(result.messages.size(), 5u);
    ExpectConsistent(result.messages);
    EXPECT_EQ(result.final_message(), &result.messages[3]);
    EXPECT_EQ(recorder.trace.back(), "finished:max_turns");
  });
}

TEST(AgentTest, CancelMidStreamClosesTheStreamAndKeepsThePartialAnswer) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    testing::Script script = Answer("Hello there");
    script.events.resize(2);  // messageStart, "Hello"
    script.hang = true;
    model.Push(std::move(script));
    auto cancel = std::make_shared<CancelToken>();
    model.on_hang = [&] { cancel->Cancel("client disconnected"); };
    auto request = Request(nullptr);
    request.cancel = cancel;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kCancelled);
    CO_ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->error.code(), core::ErrorCode::kCancelled);
    EXPECT_NE(result.error->Describe().find("client disconnected"), std::string::npos);
    EXPECT_EQ(model.streams_closed, 1);
    CO_ASSERT_EQ(result.messages.size(), 2u);
    EXPECT_EQ(result.messages[1].Text(), "Hello");
    ExpectConsistent(result.messages);
  });
}

TEST(AgentTest, CancelMidToolCallCancelsTheMcpCallAndAnswersEveryToolUse) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools(
        {{"t1", "s1___hang", json::object{}}, {"t2", "s1___echo", Input(R"({"text":"x"})")}}));
    auto cancel = std::make_shared<CancelToken>();
    Recorder recorder;
    recorder.hook = [&](const AgentEvent& event) {
      // Once echo is back, only hang is in flight: stop the run.
      if (const auto* done = std::get_if<ToolCallFinishedEvent>(&event)) {
        if (done->call->tool_name == "echo") cancel->Cancel("stop-stream");
      }
    };
    auto request = Request(co_await CatalogFor(s1), &recorder);
    request.cancel = cancel;
    AgentResult result = co_await RunAgent(model, std::move(request));

    EXPECT_EQ(result.finish_reason, FinishReason::kCancelled);
    EXPECT_TRUE(co_await s1.hang_cancelled.Wait());  // the server was sent notifications/cancelled
    EXPECT_EQ(model.requests().size(), 1u);          // no model call after the cancel
    CO_ASSERT_EQ(result.messages.size(), 3u);
    ExpectConsistent(result.messages);
    CO_ASSERT_EQ(result.tool_calls.size(), 2u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kCancelled);
    EXPECT_EQ(result.tool_calls[0].result.status, llm::ToolResultStatus::kError);
    EXPECT_EQ(result.tool_calls[1].status, ToolCallStatus::kSucceeded);
    EXPECT_EQ(recorder.trace.back(), "finished:cancelled");
  });
}

TEST(AgentTest, FailingSinkCancelsTheRunAsAGatewayError) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    struct BrokenPipe final : EventSink {
      Awaitable<core::Status> OnEvent(const AgentEvent&) override {
        co_return core::Error::Unavailable("client went away");
      }
    };
    FakeProvider model(ex);
    model.Push(Answer("Hello there"));
    auto request = Request(nullptr);
    request.sink = std::make_shared<BrokenPipe>();
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kCancelled);
    CO_ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->source, ErrorSource::kGateway);
    EXPECT_NE(result.error->Describe().find("client went away"), std::string::npos);
    EXPECT_EQ(model.streams_closed, 1);
  });
}

TEST(AgentTest, UnknownToolAndNonObjectInputBecomeErrorResults) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(
        CallTools({{"t1", "s1___nope", json::object{}}, {"t2", "s1___echo", json::array{1}}}));
    model.Push(Answer("Sorry."));
    auto request = Request(co_await CatalogFor(s1));
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    CO_ASSERT_EQ(result.tool_calls.size(), 2u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kUnknownTool);
    EXPECT_NE(TextOf(result.tool_calls[0].result).find("s1___nope"), std::string::npos);
    EXPECT_EQ(result.tool_calls[1].status, ToolCallStatus::kInvalidInput);
    EXPECT_EQ(s1.echo_calls, 0);
    ExpectConsistent(result.messages);
  });
}

TEST(AgentTest, NonStreamingRunReportsTheSameEvents) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___echo", Input(R"({"text":"hi"})")}}));
    model.Push(Answer("Done."));
    Recorder recorder;
    auto request = Request(co_await CatalogFor(s1), &recorder);
    request.options.stream = false;
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    EXPECT_EQ(result.final_text(), "Done.");
    EXPECT_EQ(TextOf(ResultIn(result.messages[2], 0)), "hi");
    EXPECT_TRUE(recorder.Saw("tool_use:s1___echo@s1"));
    EXPECT_TRUE(recorder.Saw("input:echo:{\"text\":\"hi\"}"));
    EXPECT_TRUE(recorder.Saw("round:1"));
    EXPECT_EQ(recorder.trace.back(), "finished:end_turn");
  });
}

TEST(AgentTest, OversizeToolResultIsCutWithAMarker) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___big", json::object{}}}));
    model.Push(Answer("ok"));
    auto request = Request(co_await CatalogFor(s1));
    request.options.max_tool_result_chars = 1000;
    AgentResult result = co_await RunAgent(model, std::move(request));
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_TRUE(result.tool_calls[0].truncated);
    std::string text = TextOf(ResultIn(model.requests()[1].messages[2], 0));
    EXPECT_EQ(text.substr(0, 1000), std::string(1000, 'z'));
    EXPECT_NE(text.find("[... truncated: 1000 of 5000 characters shown]"), std::string::npos);
  });
}

TEST(AgentTest, OnlyTheNewestImagesReachTheModel) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___picture", json::object{}}}));
    model.Push(CallTools({{"t2", "s1___picture", json::object{}}}));
    model.Push(Answer("two pictures"));
    auto request = Request(co_await CatalogFor(s1));
    request.options.only_n_most_recent_images = 1;
    AgentResult result = co_await RunAgent(model, std::move(request));
    CO_ASSERT_EQ(model.requests().size(), 3u);
    const auto& sent = model.requests()[2].messages;
    CO_ASSERT_EQ(sent.size(), 5u);
    EXPECT_TRUE(std::holds_alternative<llm::TextBlock>(ResultIn(sent[2], 0).content[0]));
    EXPECT_EQ(std::get<llm::ImageBlock>(ResultIn(sent[4], 0).content[0]).bytes, "hello");
  });
}

TEST(AgentTest, HistoryWithToolBlocksIsStrippedWhenNoToolsAreOffered) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    model.Push(Answer("plain"));
    AgentRequest request = Request(nullptr);
    request.chat.messages.clear();
    request.chat.messages.push_back(llm::Message::UserText("earlier"));
    request.chat.messages.push_back(llm::Message{
        llm::Role::kAssistant, {llm::ToolUseBlock{"t0", "fs___read", json::object{}}}});
    llm::ToolResultBlock old_result;
    old_result.tool_use_id = "t0";
    old_result.content.push_back(llm::TextBlock{"file"});
    request.chat.messages.push_back(llm::Message{llm::Role::kUser, {old_result}});
    request.chat.messages.push_back(llm::Message::AssistantText("It is a file."));
    request.chat.messages.push_back(llm::Message::UserText("and now?"));
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
    const auto& sent = model.requests()[0].messages;
    CO_ASSERT_EQ(sent.size(), 3u);
    EXPECT_TRUE(model.requests()[0].tools.empty());
    ExpectConsistent(result.messages);
  });
}

TEST(AgentTest, EmptyConversationIsAGatewayError) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    FakeProvider model(ex);
    AgentRequest request;
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kError);
    CO_ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->source, ErrorSource::kGateway);
    EXPECT_TRUE(model.requests().empty());
  });
}

// --- Approvals ---

struct ApprovalCase {
  std::shared_ptr<InMemoryApprovalBroker> broker = std::make_shared<InMemoryApprovalBroker>();
  Recorder recorder;
};

Awaitable<AgentResult> RunWithApproval(FakeProvider& model, TestServer& s1, ApprovalCase& c,
                                       std::chrono::milliseconds timeout) {
  model.Push(CallTools({{"t1", "s1___echo", Input(R"({"text":"approved?"})")}}));
  model.Push(Answer("ok"));
  McpServer options;
  options.approval_tools = {"ech*"};
  auto request = Request(co_await CatalogFor(s1, std::move(options)), &c.recorder);
  request.approvals = c.broker;
  request.options.approval_timeout = timeout;
  co_return co_await RunAgent(model, std::move(request));
}

TEST(AgentApprovalTest, ApprovedCallRuns) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    ApprovalCase c;
    c.recorder.hook = [&](const AgentEvent& event) {
      if (const auto* pending = std::get_if<ApprovalPendingEvent>(&event)) {
        EXPECT_EQ(pending->request.server_id, "s1");
        EXPECT_EQ(pending->request.tool_name, "echo");
        EXPECT_TRUE(c.broker->Resolve(pending->request.approval_id, ApprovalVerdict::Approve()));
      }
    };
    AgentResult result = co_await RunWithApproval(model, s1, c, 10s);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kSucceeded);
    EXPECT_TRUE(result.tool_calls[0].requires_approval);
    EXPECT_EQ(s1.echo_calls, 1);
    EXPECT_LT(c.recorder.IndexOf("approval?:echo"), c.recorder.IndexOf("approval:0"));
    EXPECT_LT(c.recorder.IndexOf("approval:0"), c.recorder.IndexOf("done:echo:succeeded"));
    EXPECT_TRUE(c.broker->Pending().empty());
  });
}

TEST(AgentApprovalTest, DeniedCallIsNotRunAndTheModelIsTold) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    ApprovalCase c;
    c.recorder.hook = [&](const AgentEvent& event) {
      if (const auto* pending = std::get_if<ApprovalPendingEvent>(&event)) {
        EXPECT_TRUE(
            c.broker->Resolve(pending->request.approval_id, ApprovalVerdict::Deny("not today")));
      }
    };
    AgentResult result = co_await RunWithApproval(model, s1, c, 10s);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kDenied);
    EXPECT_EQ(TextOf(result.tool_calls[0].result),
              "The user denied the call to tool 'echo' on MCP server 's1' (\"not today\"); it was "
              "not run.");
    EXPECT_EQ(s1.echo_calls, 0);
    EXPECT_TRUE(c.recorder.Saw("approval:1"));
    EXPECT_EQ(result.finish_reason, FinishReason::kEndTurn);
  });
}

TEST(AgentApprovalTest, UnansweredApprovalTimesOutAsADenial) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    ApprovalCase c;
    std::string id;
    c.recorder.hook = [&](const AgentEvent& event) {
      if (const auto* pending = std::get_if<ApprovalPendingEvent>(&event)) {
        id = pending->request.approval_id;
      }
    };
    AgentResult result = co_await RunWithApproval(model, s1, c, 100ms);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kDenied);
    EXPECT_NE(TextOf(result.tool_calls[0].result).find("counts as a denial"), std::string::npos);
    EXPECT_TRUE(c.recorder.Saw("approval:2"));
    EXPECT_EQ(s1.echo_calls, 0);
    EXPECT_FALSE(c.broker->Resolve(id, ApprovalVerdict::Approve()));  // too late
  });
}

TEST(AgentApprovalTest, WithoutABrokerCallsNeedingApprovalAreDenied) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    model.Push(CallTools({{"t1", "s1___echo", Input(R"({"text":"x"})")}}));
    model.Push(Answer("ok"));
    McpServer options;
    options.approval_required = true;
    auto request = Request(co_await CatalogFor(s1, std::move(options)));
    AgentResult result = co_await RunAgent(model, std::move(request));
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kDenied);
    EXPECT_EQ(s1.echo_calls, 0);
  });
}

TEST(AgentApprovalTest, CancelWhileWaitingForApprovalAnswersTheCall) {
  RunWithServer([](TestServer& s1, FakeProvider& model) -> Awaitable<void> {
    ApprovalCase c;
    auto cancel = std::make_shared<CancelToken>();
    c.recorder.hook = [&](const AgentEvent& event) {
      if (std::holds_alternative<ApprovalPendingEvent>(event)) cancel->Cancel();
    };
    model.Push(CallTools({{"t1", "s1___echo", Input(R"({"text":"x"})")}}));
    McpServer options;
    options.approval_required = true;
    auto request = Request(co_await CatalogFor(s1, std::move(options)), &c.recorder);
    request.approvals = c.broker;
    request.cancel = cancel;
    AgentResult result = co_await RunAgent(model, std::move(request));
    EXPECT_EQ(result.finish_reason, FinishReason::kCancelled);
    CO_ASSERT_EQ(result.tool_calls.size(), 1u);
    EXPECT_EQ(result.tool_calls[0].status, ToolCallStatus::kCancelled);
    EXPECT_TRUE(c.recorder.Saw("approval:3"));
    EXPECT_TRUE(c.broker->Pending().empty());
    ExpectConsistent(result.messages);
  });
}

}  // namespace
}  // namespace bedrock::agent

#include "gateway/chat_stream.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

namespace bedrock::gateway {
namespace {

namespace json = boost::json;
using agent::AgentEvent;

ChunkOptions Options(bool include_usage = false) {
  ChunkOptions options;
  options.model = "us.anthropic.claude-sonnet-4-20250514-v1:0";
  options.include_usage = include_usage;
  auto clock = std::make_shared<int64_t>(1718000000123456789);
  options.now_ns = [clock] { return (*clock)++; };
  return options;
}

agent::ToolCallRecord ListCall() {
  agent::ToolCallRecord call;
  call.turn = 1;
  call.tool_use_id = "tooluse_x1";
  call.bedrock_name = "local_fs___list_directory";
  call.server_id = "local_fs";
  call.tool_name = "list_directory";
  call.input = json::object{{"path", "./docs"}};
  call.result.tool_use_id = "tooluse_x1";
  call.result.content.push_back(llm::TextBlock{"[FILE] a.txt"});
  call.result.content.push_back(llm::ImageBlock{"png", "\x89PNG"});
  call.result.status = llm::ToolResultStatus::kSuccess;
  return call;
}

agent::ToolUseRef ListRef() {
  return agent::ToolUseRef{"tooluse_x1", "local_fs___list_directory", "local_fs", "list_directory"};
}

// The §6.3 tool round with Claude thinking, as the agent reports it.
std::vector<AgentEvent> ThinkingToolRound(const agent::ToolCallRecord& call) {
  using RK = agent::ReasoningDeltaEvent::Kind;
  std::vector<AgentEvent> events;
  events.push_back(agent::TurnStartEvent{1});
  events.push_back(agent::ReasoningDeltaEvent{1, 0, RK::kText, "The user wants"});
  events.push_back(agent::ReasoningDeltaEvent{1, 0, RK::kSignature, "sig"});
  events.push_back(agent::BlockStopEvent{1, 0, agent::BlockKind::kReasoning, ""});
  events.push_back(agent::TextDeltaEvent{1, 1, "I'll list them."});
  events.push_back(agent::BlockStopEvent{1, 1, agent::BlockKind::kText, ""});
  events.push_back(agent::ToolUseStartEvent{1, 2, ListRef()});
  events.push_back(agent::ToolUseInputDeltaEvent{1, 2, ListRef(), "{\"path\": "});
  events.push_back(agent::ToolUseInputDeltaEvent{1, 2, ListRef(), "\"./docs\"}"});
  events.push_back(agent::BlockStopEvent{1, 2, agent::BlockKind::kToolUse, "tooluse_x1"});
  events.push_back(agent::TurnStopEvent{1, llm::StopReason::kToolUse, "tool_use"});
  agent::TurnUsageEvent usage;
  usage.turn = 1;
  usage.total.input_tokens = 100;
  usage.total.output_tokens = 20;
  events.push_back(usage);
  events.push_back(agent::ToolCallStartedEvent{&call});
  events.push_back(agent::ToolCallFinishedEvent{&call});
  events.push_back(agent::ToolRoundEvent{1, std::span<const agent::ToolCallRecord>(&call, 1)});
  events.push_back(agent::TurnStartEvent{2});
  events.push_back(agent::TextDeltaEvent{2, 0, "It contains a.txt."});
  events.push_back(agent::BlockStopEvent{2, 0, agent::BlockKind::kText, ""});
  events.push_back(agent::TurnStopEvent{2, llm::StopReason::kEndTurn, "end_turn"});
  agent::TurnUsageEvent usage2;
  usage2.turn = 2;
  usage2.total.input_tokens = 250;
  usage2.total.output_tokens = 30;
  usage2.total.total_tokens = 280;
  events.push_back(usage2);
  agent::RunFinishedEvent finished;
  finished.reason = agent::FinishReason::kEndTurn;
  finished.stop_reason_text = "end_turn";
  finished.usage = usage2.total;
  finished.turns = 2;
  events.push_back(finished);
  return events;
}

std::vector<std::string> Write(ChunkWriter& writer, const std::vector<AgentEvent>& events) {
  std::vector<std::string> out;
  for (const auto& event : events) writer.OnEvent(event, out);
  return out;
}

// "delta finish [extras]" of choices[0], or "[DONE]".
std::string Brief(const std::string& payload) {
  if (payload == "[DONE]") return payload;
  json::value chunk = json::parse(payload);
  const json::array& choices = chunk.at("choices").as_array();
  if (choices.empty()) return "usage " + json::serialize(chunk.at("usage"));
  const json::object& choice = choices[0].as_object();
  std::string out =
      json::serialize(choice.at("delta")) + " " + json::serialize(choice.at("finish_reason"));
  if (auto* extras = choice.if_contains("message_extras")) out += " " + json::serialize(*extras);
  return out;
}

std::vector<std::string> Briefs(const std::vector<std::string>& payloads) {
  std::vector<std::string> out;
  for (const auto& p : payloads) out.push_back(Brief(p));
  return out;
}

TEST(DemoChunkWriterTest, ThinkingToolRoundMatchesTheDemoSequence) {
  agent::ToolCallRecord call = ListCall();
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  auto payloads = Write(*writer, ThinkingToolRound(call));
  std::string round =
      R"([{"toolUseId":"tooluse_x1","name":"local_fs___list_directory","input":{"path":"./docs"},)"
      R"("server":"local_fs","tool":"list_directory"},)"
      R"({"toolUseId":"tooluse_x1","content":[{"text":"[FILE] a.txt"},)"
      R"({"image":{"format":"png","source":{"base64":"iVBORw=="}}}]}])";
  std::vector<std::string> expected = {
      R"({"role":"assistant"} null)",
      R"({"content":"<thinking>The user wants"} null)",
      R"({} null)",  // signature
      R"({} null)",  // reasoning block stop
      R"({"content":"</thinking>I'll list them."} null)",
      R"({} null)",  // text block stop
      R"({} null)",  // tool block start
      R"({"content":"<tool_input>{\"path\": "} null)",
      R"({"content":"\"./docs\"}"} null)",
      R"({"content":"</tool_input>"} null)",
      R"({} "tool_use")",
      R"({} "tool_use" {"tool_use":)" + json::serialize(json::string(round)) + "}",
      R"({} null)",  // usage metadata, after the tool round
      R"({"role":"assistant"} null)",
      R"({"content":"It contains a.txt."} null)",
      R"({} null)",
      R"({} "end_turn")",
      "[DONE]",
      R"({} null)",  // usage metadata, after [DONE]
  };
  EXPECT_EQ(Briefs(payloads), expected);
}

TEST(DemoChunkWriterTest, EnvelopeHasTheDemoFieldsAndADifferentIdPerChunk) {
  agent::ToolCallRecord call = ListCall();
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  auto payloads = Write(*writer, ThinkingToolRound(call));
  std::set<std::string> ids;
  for (const auto& payload : payloads) {
    if (payload == "[DONE]") continue;
    EXPECT_EQ(payload.find('\n'), std::string::npos);
    json::object chunk = json::parse(payload).as_object();
    std::string id(chunk.at("id").as_string());
    EXPECT_TRUE(id.starts_with("chat")) << id;
    ids.insert(id);
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("created"), 1718000000);
    EXPECT_EQ(chunk.at("model"), "us.anthropic.claude-sonnet-4-20250514-v1:0");
    EXPECT_EQ(chunk.at("choices").as_array()[0].as_object().at("index"), 0);
  }
  EXPECT_EQ(ids.size(), payloads.size() - 1);
}

TEST(DemoChunkWriterTest, ToolUseExtrasIsAStringTheUiCanParseTwice) {
  agent::ToolCallRecord call = ListCall();
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  auto payloads = Write(*writer, ThinkingToolRound(call));
  json::object chunk = json::parse(payloads[11]).as_object();
  const json::value& extras =
      chunk.at("choices").as_array()[0].as_object().at("message_extras").as_object().at("tool_use");
  ASSERT_TRUE(extras.is_string());
  json::array items = json::parse(extras.as_string()).as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_TRUE(items[0].as_object().contains("name"));
  EXPECT_FALSE(items[1].as_object().contains("name"));
}

TEST(DemoChunkWriterTest, ReasoningStaysOpenWhenNoTextFollows) {
  using RK = agent::ReasoningDeltaEvent::Kind;
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  auto payloads = Write(*writer, {agent::ReasoningDeltaEvent{1, 0, RK::kText, "a"},
                                  agent::ReasoningDeltaEvent{1, 0, RK::kText, "b"},
                                  agent::ReasoningDeltaEvent{2, 0, RK::kText, "c"}});
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"content":"<thinking>a"} null)",
                                      R"({"content":"b"} null)", R"({"content":"c"} null)"}));
}

TEST(DemoChunkWriterTest, MaxTokensEndsWithItsReasonAndDone) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  agent::RunFinishedEvent finished;
  finished.reason = agent::FinishReason::kMaxTokens;
  auto payloads = Write(
      *writer, {agent::TurnStartEvent{1}, agent::TextDeltaEvent{1, 0, "Here"},
                agent::TurnStopEvent{1, llm::StopReason::kMaxTokens, "max_tokens"}, finished});
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"role":"assistant"} null)", R"({"content":"Here"} null)",
                                      R"({} "max_tokens")", "[DONE]"}));
}

// An answer cut by max_tokens, continued by a second model call that ends it.
std::vector<AgentEvent> ContinuedAnswer() {
  agent::RunFinishedEvent finished;
  finished.reason = agent::FinishReason::kEndTurn;
  finished.stop_reason_text = "end_turn";
  agent::TurnStopEvent cut{1, llm::StopReason::kMaxTokens, "max_tokens"};
  cut.continues = true;
  agent::TurnStartEvent next{2};
  next.continuation = true;
  return {agent::TurnStartEvent{1}, agent::TextDeltaEvent{1, 0, "Here"}, cut, next,
          agent::TextDeltaEvent{2, 0, " is the rest"},
          agent::TurnStopEvent{2, llm::StopReason::kEndTurn, "end_turn"}, finished};
}

TEST(DemoChunkWriterTest, ContinuedMaxTokensGetsItsFinishChunkButNoDone) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  auto payloads = Write(*writer, ContinuedAnswer());
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"role":"assistant"} null)", R"({"content":"Here"} null)",
                                      R"({} "max_tokens")", R"({"role":"assistant"} null)",
                                      R"({"content":" is the rest"} null)", R"({} "end_turn")",
                                      "[DONE]"}));
}

TEST(DemoChunkWriterTest, StopEndsWithEmptyChunkStopRequestedAndDone) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  agent::RunFinishedEvent finished;
  finished.reason = agent::FinishReason::kCancelled;
  auto payloads = Write(*writer, {agent::TurnStartEvent{1}, finished});
  writer->Stopped(payloads);
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"role":"assistant"} null)", R"({} null)",
                                      R"({} "stop_requested")", "[DONE]"}));
  EXPECT_TRUE(json::parse(payloads[2]).at("id").as_string().starts_with("stop"));
}

TEST(DemoChunkWriterTest, ModelErrorIsContentWithoutDone) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  agent::AgentError error(
      agent::ErrorSource::kModel,
      core::Error::ResourceExhausted("model provider bedrock: ThrottlingException: slow down"));
  agent::RunFinishedEvent finished;
  finished.reason = agent::FinishReason::kError;
  finished.error = &error;
  auto payloads = Write(*writer, {finished});
  ASSERT_EQ(payloads.size(), 1u);
  json::object choice = json::parse(payloads[0]).at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("delta").at("content"),
            "Error: model: model provider bedrock: ThrottlingException: slow down");
  EXPECT_EQ(choice.at("finish_reason"), "error");
  EXPECT_EQ(choice.at("error").at("source"), "model");
}

TEST(DemoChunkWriterTest, McpServerErrorIsAnErrorChunkThenDone) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  agent::AgentError error(agent::ErrorSource::kMcpServer,
                          core::Error::Unavailable("MCP server 'fs': exited with code 1"), "fs");
  std::vector<std::string> payloads;
  writer->Failed(error, payloads);
  ASSERT_EQ(payloads.size(), 2u);
  json::object chunk = json::parse(payloads[0]).as_object();
  EXPECT_TRUE(chunk.at("id").as_string().starts_with("error"));
  json::object choice = chunk.at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("finish_reason"), "error");
  EXPECT_EQ(choice.at("delta").at("content"), "Error: MCP server 'fs': exited with code 1");
  EXPECT_EQ(choice.at("error").at("source"), "mcp_server");
  EXPECT_EQ(choice.at("error").at("server_id"), "fs");
  EXPECT_EQ(payloads[1], "[DONE]");
}

TEST(DemoChunkWriterTest, ApprovalIsAnnouncedAndResolved) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  agent::ApprovalPendingEvent pending;
  pending.request.approval_id = "approval_1";
  pending.request.tool_use_id = "t1";
  pending.request.server_id = "fs";
  pending.request.tool_name = "delete";
  pending.request.bedrock_name = "fs___delete";
  pending.request.input = json::object{{"path", "/x"}};
  pending.timeout = std::chrono::milliseconds(5000);
  agent::ApprovalResolvedEvent resolved;
  resolved.approval_id = "approval_1";
  resolved.tool_use_id = "t1";
  resolved.outcome = agent::ApprovalResolvedEvent::Outcome::kTimedOut;
  auto payloads = Write(*writer, {pending, resolved});
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_EQ(
      Brief(payloads[0]),
      R"({} null {"approval":{"id":"approval_1","server":"fs","tool":"delete","name":"fs___delete",)"
      R"("arguments":{"path":"/x"},"tool_use_id":"t1","timeout_ms":5000}})");
  EXPECT_EQ(Brief(payloads[1]),
            R"({} null {"approval":{"id":"approval_1","tool_use_id":"t1","state":"expired"}})");
}

TEST(DemoChunkWriterTest, EmptyMessagesGiveTheLoadReply) {
  auto writer = MakeChunkWriter(ResponseStyle::kDemo, Options());
  std::vector<std::string> payloads;
  writer->Empty(payloads);
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"role":"assistant","content":""} "load")", "[DONE]"}));
}

TEST(DemoChunkWriterTest, FailedToolCallIsAnErrorResult) {
  agent::ToolCallRecord call = ListCall();
  call.result.content = {llm::TextBlock{"MCP server 'local_fs': timed out"}};
  call.result.status = llm::ToolResultStatus::kError;
  json::array round = DemoToolRound(std::span<const agent::ToolCallRecord>(&call, 1));
  EXPECT_EQ(json::serialize(round[1]),
            R"({"toolUseId":"tooluse_x1","content":[{"text":"MCP server 'local_fs': timed out"}],)"
            R"("status":"error"})");
}

TEST(DemoChunkWriterTest, ResultTextsAreJoinedWithNewlines) {
  llm::ToolResultBlock result;
  result.content = {llm::TextBlock{"a"}, llm::JsonBlock{json::object{{"k", 1}}},
                    llm::TextBlock{"b"}};
  EXPECT_EQ(json::serialize(DemoResultContent(result)), R"([{"text":"a\nb"},{"json":{"k":1}}])");
}

TEST(OpenAiChunkWriterTest, ToolRoundIsCleanWithReasoningApartAndToolsInExtras) {
  agent::ToolCallRecord call = ListCall();
  auto writer = MakeChunkWriter(ResponseStyle::kOpenAi, Options(/*include_usage=*/true));
  auto payloads = Write(*writer, ThinkingToolRound(call));
  std::vector<std::string> expected = {
      R"({"role":"assistant","content":""} null)",
      R"({"reasoning_content":"The user wants"} null)",
      R"({"content":"I'll list them."} null)",
      R"({} null {"tool_use":[{"toolUseId":"tooluse_x1","name":"local_fs___list_directory",)"
      R"("server":"local_fs","tool":"list_directory","input":{"path":"./docs"}}]})",
      R"({} null {"tool_use":[{"toolUseId":"tooluse_x1","content":[{"text":"[FILE] a.txt"},)"
      R"({"image":{"format":"png","source":{"base64":"iVBORw=="}}}]}]})",
      R"({"content":"\n\nIt contains a.txt."} null)",
      R"({} "stop" {"stop_reason":"end_turn"})",
      R"(usage {"prompt_tokens":250,"completion_tokens":30,"total_tokens":280})",
      "[DONE]",
  };
  EXPECT_EQ(Briefs(payloads), expected);
  std::set<std::string> ids;
  for (const auto& payload : payloads) {
    if (payload != "[DONE]") ids.insert(std::string(json::parse(payload).at("id").as_string()));
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids.begin()->starts_with("chatcmpl-"));
}

TEST(OpenAiChunkWriterTest, MaxTokensIsLength) {
  auto writer = MakeChunkWriter(ResponseStyle::kOpenAi, Options());
  agent::RunFinishedEvent finished;
  finished.reason = agent::FinishReason::kMaxTokens;
  finished.stop_reason_text = "max_tokens";
  auto payloads = Write(*writer, {agent::TurnStartEvent{1}, finished});
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"role":"assistant","content":""} null)",
                                      R"({} "length" {"stop_reason":"max_tokens"})", "[DONE]"}));
}

TEST(OpenAiChunkWriterTest, ContinuationGoesOnInTheSameTextWithoutASeparator) {
  auto writer = MakeChunkWriter(ResponseStyle::kOpenAi, Options());
  auto payloads = Write(*writer, ContinuedAnswer());
  EXPECT_EQ(
      Briefs(payloads),
      (std::vector<std::string>{R"({"role":"assistant","content":""} null)",
                                R"({"content":"Here"} null)", R"({"content":" is the rest"} null)",
                                R"({} "stop" {"stop_reason":"end_turn"})", "[DONE]"}));
}

TEST(OpenAiChunkWriterTest, ErrorIsAnErrorObjectWithoutDone) {
  auto writer = MakeChunkWriter(ResponseStyle::kOpenAi, Options());
  agent::AgentError error(agent::ErrorSource::kModel,
                          core::Error::ResourceExhausted("model provider bedrock: throttled"));
  std::vector<std::string> payloads;
  writer->Failed(error, payloads);
  ASSERT_EQ(payloads.size(), 1u);
  json::object chunk = json::parse(payloads[0]).as_object();
  EXPECT_EQ(chunk.at("error").at("source"), "model");
  EXPECT_EQ(chunk.at("error").at("code"), "resource_exhausted");
}

TEST(OpenAiChunkWriterTest, StopFinishesWithStopRequested) {
  auto writer = MakeChunkWriter(ResponseStyle::kOpenAi, Options());
  std::vector<std::string> payloads;
  writer->Stopped(payloads);
  EXPECT_EQ(Briefs(payloads),
            (std::vector<std::string>{R"({"role":"assistant","content":""} null)",
                                      R"({} "stop" {"stop_reason":"stop_requested"})", "[DONE]"}));
}

agent::AgentResult ToolRunResult() {
  agent::AgentResult result;
  result.finish_reason = agent::FinishReason::kEndTurn;
  result.stop_reason_text = "end_turn";
  result.messages.push_back(llm::Message::UserText("list"));
  llm::Message first{llm::Role::kAssistant,
                     {llm::ReasoningBlock{"Thinking.", "sig", ""}, llm::TextBlock{"Let me look."}}};
  result.messages.push_back(first);
  result.messages.push_back(llm::Message::UserText("(results)"));
  result.messages.push_back(llm::Message::AssistantText("It contains a.txt."));
  result.first_new_message = 1;
  result.usage.input_tokens = 12;
  result.usage.output_tokens = 7;
  result.usage.total_tokens = 19;
  result.tool_calls.push_back(ListCall());
  return result;
}

TEST(CompletionBodyTest, DemoBodyHasToolUseArrayAndRealUsage) {
  std::string body = CompletionBody(ResponseStyle::kDemo, ToolRunResult(), Options());
  json::object object = json::parse(body).as_object();
  EXPECT_TRUE(object.at("id").as_string().starts_with("chat"));
  EXPECT_EQ(object.at("object"), "chat.completion");
  json::object choice = object.at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("message").at("content"), "It contains a.txt.");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  json::array tool_use = choice.at("message_extras").at("tool_use").as_array();
  ASSERT_EQ(tool_use.size(), 1u);
  EXPECT_EQ(
      json::serialize(tool_use[0]),
      R"({"name":"local_fs___list_directory","arguments":{"path":"./docs"},"result":"[FILE] a.txt"})");
  EXPECT_EQ(json::serialize(object.at("usage")),
            R"({"prompt_tokens":12,"completion_tokens":7,"total_tokens":19})");
}

TEST(CompletionBodyTest, OpenAiBodyJoinsTheTurnsAndKeepsReasoningApart) {
  std::string body = CompletionBody(ResponseStyle::kOpenAi, ToolRunResult(), Options());
  json::object choice = json::parse(body).at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("message").at("content"), "Let me look.\n\nIt contains a.txt.");
  EXPECT_EQ(choice.at("message").at("reasoning_content"), "Thinking.");
  EXPECT_EQ(choice.at("message_extras").at("tool_use").as_array()[0].at("status"), "succeeded");
}

TEST(CompletionBodyTest, DemoBodyInlinesThinking) {
  agent::AgentResult result;
  result.messages.push_back(llm::Message::UserText("q"));
  result.messages.push_back(llm::Message{
      llm::Role::kAssistant, {llm::ReasoningBlock{"Hmm.", "s", ""}, llm::TextBlock{"42"}}});
  result.first_new_message = 1;
  std::string body = CompletionBody(ResponseStyle::kDemo, result, Options());
  EXPECT_EQ(json::parse(body).at("choices").as_array()[0].at("message").at("content"),
            "<thinking>Hmm.</thinking>42");
}

TEST(CompletionBodyTest, EmptyBodyIsTheLoadReply) {
  json::object choice = json::parse(EmptyCompletionBody(ResponseStyle::kDemo, Options()))
                            .at("choices")
                            .as_array()[0]
                            .as_object();
  EXPECT_EQ(choice.at("finish_reason"), "load");
  EXPECT_EQ(choice.at("message").at("content"), "");
}

}  // namespace
}  // namespace bedrock::gateway

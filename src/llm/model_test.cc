#include "llm/model.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace bedrock::llm {
namespace {

using Delta = ContentBlockDeltaEvent;

ContentBlockDeltaEvent MakeDelta(int index, Delta::Kind kind, std::string text) {
  return Delta{.index = index, .kind = kind, .text = std::move(text)};
}

ContentBlockStartEvent ToolStart(int index, std::string id, std::string name) {
  return {.index = index, .tool_use = ContentBlockStartEvent::ToolUseStart{id, name}};
}

TEST(StopReasonTest, NamesRoundTrip) {
  for (auto reason : {StopReason::kEndTurn, StopReason::kToolUse, StopReason::kMaxTokens,
                      StopReason::kStopSequence, StopReason::kGuardrailIntervened,
                      StopReason::kContentFiltered, StopReason::kModelContextWindowExceeded,
                      StopReason::kMalformedModelOutput, StopReason::kMalformedToolUse}) {
    EXPECT_EQ(StopReasonFromName(StopReasonName(reason)), reason);
  }
  EXPECT_EQ(StopReasonFromName("brand_new_reason"), StopReason::kUnknown);
}

TEST(StopReasonTest, UnknownReasonTextIsPreserved) {
  ChatResponse response;
  response.SetStopReasonText("brand_new_reason");
  EXPECT_EQ(response.stop_reason, StopReason::kUnknown);
  EXPECT_EQ(response.stop_reason_text, "brand_new_reason");
}

TEST(StreamAssemblerTest, TextAndToolUseStreamBuildsMessage) {
  StreamAssembler assembler;
  std::vector<StreamEvent> events = {
      MessageStartEvent{},
      MakeDelta(0, Delta::Kind::kText, "Hello"),
      MakeDelta(0, Delta::Kind::kText, ", world."),
      ContentBlockStopEvent{0},
      ToolStart(1, "tooluse_1", "get_weather"),
      MakeDelta(1, Delta::Kind::kToolUseInput, "{\"city\": \"Pa"),
      MakeDelta(1, Delta::Kind::kToolUseInput, "ris\"}"),
      ContentBlockStopEvent{1},
      MessageStopEvent{StopReason::kToolUse, "tool_use", {}},
      MetadataEvent{Usage{25, 9, 34, std::nullopt, std::nullopt}, Metrics{210}},
  };
  for (const auto& e : events) ASSERT_TRUE(assembler.Add(e).ok());
  auto response = assembler.Finish();
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response->message.content.size(), 2u);
  EXPECT_EQ(response->message.Text(), "Hello, world.");
  auto uses = response->message.ToolUses();
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0]->id, "tooluse_1");
  EXPECT_EQ(uses[0]->name, "get_weather");
  EXPECT_EQ(uses[0]->input, boost::json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(response->stop_reason, StopReason::kToolUse);
  EXPECT_EQ(response->usage.total_tokens, 34);
  EXPECT_EQ(response->metrics.latency_ms, 210);
}

TEST(StreamAssemblerTest, BlocksAreOrderedByIndexNotArrival) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(MessageStartEvent{}).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(1, Delta::Kind::kText, "second")).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "first")).ok());
  ASSERT_TRUE(assembler.Add(MessageStopEvent{}).ok());
  auto response = assembler.Finish();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->message.Text(), "firstsecond");
}

TEST(StreamAssemblerTest, ReasoningTextAndSignatureFormOneBlock) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kReasoningText, "Thinking about ")).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kReasoningText, "the answer.")).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kReasoningSignature, "EqQB")).ok());
  ASSERT_TRUE(assembler.Add(ContentBlockStopEvent{0}).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(1, Delta::Kind::kText, "Hi")).ok());
  ASSERT_TRUE(assembler.Add(MessageStopEvent{}).ok());
  auto response = assembler.Finish();
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->message.content.size(), 2u);
  const auto& reasoning = std::get<ReasoningBlock>(response->message.content[0]);
  EXPECT_EQ(reasoning.text, "Thinking about the answer.");
  EXPECT_EQ(reasoning.signature, "EqQB");
}

TEST(StreamAssemblerTest, RedactedReasoningMixedWithTextFails) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kReasoningText, "visible")).ok());
  EXPECT_FALSE(assembler.Add(MakeDelta(0, Delta::Kind::kReasoningRedacted, "\x01")).ok());
}

TEST(StreamAssemblerTest, EmptyToolInputBecomesEmptyObject) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(ToolStart(0, "t1", "now")).ok());
  ASSERT_TRUE(assembler.Add(ContentBlockStopEvent{0}).ok());
  ASSERT_TRUE(assembler.Add(MessageStopEvent{StopReason::kToolUse, "tool_use", {}}).ok());
  auto response = assembler.Finish();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->message.ToolUses().at(0)->input, boost::json::object{});
}

TEST(StreamAssemblerTest, InvalidToolInputJsonFails) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(ToolStart(0, "t1", "f")).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kToolUseInput, "{\"a\":")).ok());
  ASSERT_TRUE(assembler.Add(MessageStopEvent{}).ok());
  auto response = assembler.Finish();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
}

TEST(StreamAssemblerTest, StreamWithoutMessageStopFails) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "partial")).ok());
  EXPECT_FALSE(assembler.Finish().ok());
}

TEST(StreamAssemblerTest, ToolInputWithoutToolStartFails) {
  StreamAssembler assembler;
  EXPECT_FALSE(assembler.Add(MakeDelta(0, Delta::Kind::kToolUseInput, "{}")).ok());
}

TEST(StreamAssemblerTest, TextDeltaIntoToolBlockFails) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(ToolStart(0, "t1", "f")).ok());
  EXPECT_FALSE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "x")).ok());
}

TEST(StreamAssemblerTest, DeltaAfterBlockStopFails) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "x")).ok());
  ASSERT_TRUE(assembler.Add(ContentBlockStopEvent{0}).ok());
  EXPECT_FALSE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "y")).ok());
}

TEST(StreamAssemblerTest, EventsAfterMessageStopFailExceptMetadata) {
  StreamAssembler assembler;
  ASSERT_TRUE(assembler.Add(MessageStopEvent{}).ok());
  EXPECT_TRUE(assembler.Add(MetadataEvent{}).ok());
  EXPECT_FALSE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "late")).ok());
}

TEST(StreamAssemblerTest, TooManyBlocksFails) {
  StreamAssembler assembler(StreamAssembler::Limits{.max_blocks = 2, .max_bytes = 1024});
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "a")).ok());
  ASSERT_TRUE(assembler.Add(MakeDelta(1, Delta::Kind::kText, "b")).ok());
  EXPECT_FALSE(assembler.Add(MakeDelta(2, Delta::Kind::kText, "c")).ok());
}

TEST(StreamAssemblerTest, TooManyBytesFails) {
  StreamAssembler assembler(StreamAssembler::Limits{.max_blocks = 8, .max_bytes = 4});
  ASSERT_TRUE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "abc")).ok());
  EXPECT_FALSE(assembler.Add(MakeDelta(0, Delta::Kind::kText, "de")).ok());
}

TEST(MessageTest, TextConcatenatesOnlyTextBlocks) {
  Message m{Role::kAssistant, {TextBlock{"a"}, ReasoningBlock{"hidden", "", ""}, TextBlock{"b"}}};
  EXPECT_EQ(m.Text(), "ab");
}

}  // namespace
}  // namespace bedrock::llm

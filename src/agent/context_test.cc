#include "agent/context.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace bedrock::agent {
namespace {

llm::Message ToolUse(std::string id) {
  return llm::Message{llm::Role::kAssistant,
                      {llm::ToolUseBlock{std::move(id), "fs___read", boost::json::object{}}}};
}

llm::Message ToolResult(std::string id, llm::ToolResultContent content) {
  llm::ToolResultBlock result;
  result.tool_use_id = std::move(id);
  result.content.push_back(std::move(content));
  return llm::Message{llm::Role::kUser, {result}};
}

TEST(TruncateToolResultTest, ShortResultIsUntouched) {
  llm::ToolResultBlock result;
  result.content.push_back(llm::TextBlock{"short"});
  EXPECT_FALSE(TruncateToolResult(result, 100));
  EXPECT_FALSE(TruncateToolResult(result, 0));
}

TEST(TruncateToolResultTest, LongResultIsCutWithAVisibleMarker) {
  llm::ToolResultBlock result;
  result.content.push_back(llm::TextBlock{std::string(60, 'a')});
  result.content.push_back(llm::ImageBlock{"png", "x"});
  result.content.push_back(llm::TextBlock{std::string(60, 'b')});
  result.content.push_back(llm::TextBlock{"dropped"});
  EXPECT_TRUE(TruncateToolResult(result, 100));
  ASSERT_EQ(result.content.size(), 3u);  // a, image, cut b
  const std::string& cut = std::get<llm::TextBlock>(result.content[2]).text;
  EXPECT_EQ(cut.substr(0, 40), std::string(40, 'b'));
  EXPECT_NE(cut.find("[... truncated: 100 of 127 characters shown]"), std::string::npos) << cut;
}

TEST(TruncateToolResultTest, CutNeverSplitsAUtf8Sequence) {
  llm::ToolResultBlock result;
  result.content.push_back(llm::TextBlock{"\xC3\xA9\xC3\xA9\xC3\xA9"});  // ééé
  EXPECT_TRUE(TruncateToolResult(result, 3));
  EXPECT_EQ(std::get<llm::TextBlock>(result.content[0]).text.substr(0, 3), "\xC3\xA9\n");
}

TEST(TruncateToolResultTest, OversizeJsonBecomesCutText) {
  llm::ToolResultBlock result;
  result.content.push_back(llm::JsonBlock{boost::json::object{{"k", std::string(200, 'v')}}});
  EXPECT_TRUE(TruncateToolResult(result, 50));
  EXPECT_TRUE(std::holds_alternative<llm::TextBlock>(result.content[0]));
}

TEST(PruneImagesTest, KeepsOnlyTheNewestImages) {
  std::vector<llm::Message> messages = {llm::Message::UserText("go")};
  for (std::string id : {"1", "2", "3"}) {
    messages.push_back(ToolUse(id));
    messages.push_back(ToolResult(id, llm::ImageBlock{"png", id}));
  }
  EXPECT_EQ(PruneImages(messages, 1), 2u);
  auto content = [&](size_t i) {
    return std::get<llm::ToolResultBlock>(messages[i].content[0]).content[0];
  };
  EXPECT_TRUE(std::holds_alternative<llm::TextBlock>(content(2)));
  EXPECT_TRUE(std::holds_alternative<llm::TextBlock>(content(4)));
  EXPECT_EQ(std::get<llm::ImageBlock>(content(6)).bytes, "3");
}

TEST(PruneImagesTest, ZeroKeepsAll) {
  std::vector<llm::Message> messages = {ToolUse("1"), ToolResult("1", llm::ImageBlock{"png", "x"})};
  EXPECT_EQ(PruneImages(messages, 0), 0u);
}

std::string ResultText(const llm::Message& message) {
  const auto& result = std::get<llm::ToolResultBlock>(message.content.at(0));
  return std::get<llm::TextBlock>(result.content.at(0)).text;
}

// user, then `count` tool rounds whose results are `size` characters of 'r'.
std::vector<llm::Message> RoundsOf(int count, size_t size) {
  std::vector<llm::Message> messages = {llm::Message::UserText("go")};
  for (int i = 0; i < count; ++i) {
    std::string id = std::to_string(i);
    messages.push_back(ToolUse(id));
    messages.push_back(ToolResult(id, llm::TextBlock{std::string(size, 'r')}));
  }
  return messages;
}

TEST(CompactToolResultsTest, OlderLongResultsKeepAHeadAndAMarker) {
  auto messages = RoundsOf(3, 500);
  EXPECT_EQ(CompactToolResults(messages, 1, 100), 2u);
  for (size_t i : {2u, 4u}) {
    EXPECT_EQ(
        ResultText(messages[i]),
        std::string(100, 'r') + "\n[... older tool result compacted: 100 of 500 characters kept]");
  }
  EXPECT_EQ(ResultText(messages[6]), std::string(500, 'r'));  // the newest stays whole
  EXPECT_EQ(messages.size(), 7u);                             // nothing dropped: pairs intact
  EXPECT_EQ(std::get<llm::ToolResultBlock>(messages[2].content[0]).tool_use_id, "0");
}

TEST(CompactToolResultsTest, CompactingTwiceChangesNothing) {
  auto messages = RoundsOf(3, 500);
  CompactToolResults(messages, 1, 100);
  auto once = ResultText(messages[2]);
  EXPECT_EQ(CompactToolResults(messages, 1, 100), 0u);
  EXPECT_EQ(ResultText(messages[2]), once);
}

TEST(CompactToolResultsTest, ShortResultsAndTheNewestNAreLeftAlone) {
  auto messages = RoundsOf(4, 50);
  EXPECT_EQ(CompactToolResults(messages, 1, 100), 0u);
  auto long_ones = RoundsOf(4, 500);
  EXPECT_EQ(CompactToolResults(long_ones, 10, 100), 0u);
  EXPECT_EQ(CompactToolResults(long_ones, 0, 0), 0u);  // 0 chars: disabled
}

TEST(CompactToolResultsTest, ImagesStayAndJsonCountsSerialised) {
  llm::ToolResultBlock result;
  result.tool_use_id = "0";
  result.content.push_back(llm::JsonBlock{boost::json::object{{"k", std::string(300, 'v')}}});
  result.content.push_back(llm::ImageBlock{"png", "x"});
  std::vector<llm::Message> messages = {llm::Message::UserText("go"), ToolUse("0"),
                                        llm::Message{llm::Role::kUser, {result}}};
  EXPECT_EQ(CompactToolResults(messages, 0, 20), 1u);
  const auto& compacted = std::get<llm::ToolResultBlock>(messages[2].content[0]);
  ASSERT_EQ(compacted.content.size(), 2u);
  const std::string& text = std::get<llm::TextBlock>(compacted.content[0]).text;
  EXPECT_EQ(text.substr(0, 20), R"({"k":"vvvvvvvvvvvvvv)");
  EXPECT_NE(text.find("20 of 308 characters kept]"), std::string::npos) << text;
  EXPECT_TRUE(std::holds_alternative<llm::ImageBlock>(compacted.content[1]));
}

TEST(CompactToolResultsTest, HeadNeverSplitsAUtf8Sequence) {
  std::vector<llm::Message> messages = {
      llm::Message::UserText("go"), ToolUse("0"),
      ToolResult("0", llm::TextBlock{"\xC3\xA9\xC3\xA9\xC3\xA9"})};
  EXPECT_EQ(CompactToolResults(messages, 0, 3), 1u);
  EXPECT_EQ(ResultText(messages[2]).substr(0, 3), "\xC3\xA9\n");
}

TEST(TrimHistoryTest, DropsOldestTurnsWithoutSplittingToolPairs) {
  std::string big(1000, 'x');
  std::vector<llm::Message> messages = {
      llm::Message::UserText(big),               // 0: old turn
      ToolUse("1"),                              // 1
      ToolResult("1", llm::TextBlock{big}),      // 2
      llm::Message::AssistantText(big),          // 3
      llm::Message::UserText("new question"),    // 4: the newest turn
      ToolUse("2"),                              // 5
      ToolResult("2", llm::TextBlock{"small"}),  // 6
  };
  EXPECT_EQ(TrimHistory(messages, 500), 4u);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].Text(), "new question");
}

TEST(TrimHistoryTest, NeverCutsBetweenAToolUseAndItsResult) {
  std::string big(1000, 'x');
  std::vector<llm::Message> messages = {llm::Message::UserText("q"), ToolUse("1"),
                                        ToolResult("1", llm::TextBlock{big}), ToolUse("2"),
                                        ToolResult("2", llm::TextBlock{big})};
  // No user message without a tool result after the first: nothing can go.
  EXPECT_EQ(TrimHistory(messages, 10), 0u);
  EXPECT_EQ(messages.size(), 5u);
}

TEST(TrimHistoryTest, FitsAlreadyOrDisabled) {
  std::vector<llm::Message> messages = {
      llm::Message::UserText("a"), llm::Message::AssistantText("b"), llm::Message::UserText("c")};
  EXPECT_EQ(TrimHistory(messages, 0), 0u);
  EXPECT_EQ(TrimHistory(messages, 1000), 0u);
  EXPECT_EQ(TrimHistory(messages, 1), 2u);  // over budget still keeps the newest user message
  EXPECT_EQ(messages.size(), 1u);
}

TEST(NormalizeHistoryTest, MergesSameRoleAndDropsOrphans) {
  std::vector<llm::Message> messages = {
      llm::Message::AssistantText("leading assistant"),
      llm::Message::UserText("a"),
      ToolUse("orphan"),  // no result follows
      llm::Message::UserText("b"),
      llm::Message::UserText("c"),
      ToolResult("never-asked", llm::TextBlock{"x"}),
  };
  NormalizeHistory(messages);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].role, llm::Role::kUser);
  EXPECT_EQ(messages[0].content.size(), 3u);  // a, b, c
}

TEST(NormalizeHistoryTest, KeepsAnsweredToolUses) {
  std::vector<llm::Message> messages = {llm::Message::UserText("a"), ToolUse("1"),
                                        ToolResult("1", llm::TextBlock{"r"})};
  NormalizeHistory(messages);
  EXPECT_EQ(messages.size(), 3u);
}

TEST(StripToolBlocksTest, RemovesToolAndReasoningBlocks) {
  std::vector<llm::Message> messages = {
      llm::Message::UserText("a"), ToolUse("1"), ToolResult("1", llm::TextBlock{"r"}),
      llm::Message{llm::Role::kAssistant,
                   {llm::ReasoningBlock{"think", "sig", ""}, llm::TextBlock{"done"}}},
      llm::Message::UserText("b")};
  StripToolBlocks(messages);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].Text(), "done");
  EXPECT_EQ(messages[1].content.size(), 1u);
}

}  // namespace
}  // namespace bedrock::agent

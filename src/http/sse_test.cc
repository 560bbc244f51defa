#include "http/sse.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace bedrock::http {
namespace {

// Feeds `input` in the given pieces and returns every event, failing the test on a parser error.
std::vector<SseEvent> ParseAll(SseParser& parser, const std::vector<std::string_view>& pieces) {
  std::vector<SseEvent> all;
  for (std::string_view piece : pieces) {
    auto events = parser.Feed(piece);
    EXPECT_TRUE(events.ok()) << events.error().ToString();
    if (!events.ok()) return all;
    all.insert(all.end(), events->begin(), events->end());
  }
  return all;
}

std::vector<SseEvent> ParseAll(std::string_view input) {
  SseParser parser;
  return ParseAll(parser, {input});
}

SseEvent Data(std::string data) { return SseEvent{.data = std::move(data)}; }

TEST(SseParserTest, LfTerminatedEventIsDispatchedOnBlankLine) {
  EXPECT_EQ(ParseAll("data: hello\n\n"), std::vector<SseEvent>{Data("hello")});
}

TEST(SseParserTest, CrLfTerminatedLinesAreAccepted) {
  EXPECT_EQ(ParseAll("data: hello\r\n\r\n"), std::vector<SseEvent>{Data("hello")});
}

TEST(SseParserTest, BareCrTerminatedLinesAreAccepted) {
  EXPECT_EQ(ParseAll("data: hello\r\r"), std::vector<SseEvent>{Data("hello")});
}

TEST(SseParserTest, MixedLineEndingsInOneStream) {
  EXPECT_EQ(ParseAll("data: a\r\ndata: b\rdata: c\n\r\n"), std::vector<SseEvent>{Data("a\nb\nc")});
}

TEST(SseParserTest, CrLfSplitAcrossFeedsCountsOnce) {
  SseParser parser;
  // Were the '\n' taken as a second line ending, the blank line would dispatch "a" early and the
  // final event would hold only "b".
  auto events = ParseAll(parser, {"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  EXPECT_EQ(events, std::vector<SseEvent>{Data("a\nb")});
}

TEST(SseParserTest, CrAtEndOfChunkFollowedByOtherTextEndsTheLine) {
  SseParser parser;
  auto events = ParseAll(parser, {"data: a\r", "data: b\r", "\r"});
  EXPECT_EQ(events, std::vector<SseEvent>{Data("a\nb")});
}

TEST(SseParserTest, EmptyFeedAfterCrKeepsThePendingCr) {
  SseParser parser;
  auto events = ParseAll(parser, {"data: a\r", "", "\n", "\n"});
  EXPECT_EQ(events, std::vector<SseEvent>{Data("a")});
}

TEST(SseParserTest, MultipleDataLinesAreJoinedWithNewline) {
  EXPECT_EQ(ParseAll("data: first\ndata: second\ndata:third\n\n"),
            std::vector<SseEvent>{Data("first\nsecond\nthird")});
}

TEST(SseParserTest, EmptyDataLineContributesAnEmptyLine) {
  EXPECT_EQ(ParseAll("data\ndata\n\n"), std::vector<SseEvent>{Data("\n")});
}

TEST(SseParserTest, OnlyOneLeadingSpaceIsRemovedFromValue) {
  EXPECT_EQ(ParseAll("data:  two spaces \n\n"), std::vector<SseEvent>{Data(" two spaces ")});
}

TEST(SseParserTest, ValueWithoutSpaceAfterColonIsKept) {
  EXPECT_EQ(ParseAll("data:x\n\n"), std::vector<SseEvent>{Data("x")});
}

TEST(SseParserTest, ColonsInValueAreKept) {
  EXPECT_EQ(ParseAll("data: {\"a\":1}\n\n"), std::vector<SseEvent>{Data("{\"a\":1}")});
}

TEST(SseParserTest, FieldWithoutColonHasEmptyValue) {
  EXPECT_EQ(ParseAll("data\n\n"), std::vector<SseEvent>{Data("")});
}

TEST(SseParserTest, EventFieldSetsTheType) {
  auto events = ParseAll("event: update\ndata: 1\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "update");
}

TEST(SseParserTest, EventTypeDoesNotLeakIntoTheNextEvent) {
  auto events = ParseAll("event: update\ndata: 1\n\ndata: 2\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event, "");
}

TEST(SseParserTest, IdFieldIsReportedAndPersistsAsLastEventId) {
  SseParser parser;
  auto events = ParseAll(parser, {"id: 7\ndata: a\n\ndata: b\n\n"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].id, "");
  EXPECT_EQ(parser.last_event_id(), "7");
}

TEST(SseParserTest, IdContainingNulIsIgnored) {
  SseParser parser;
  auto events =
      ParseAll(parser, {"id: 1\ndata: a\n\n", std::string_view("id: 2\0x\ndata: b\n\n", 18)});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].id, "");
  EXPECT_EQ(parser.last_event_id(), "1");
}

TEST(SseParserTest, EmptyIdResetsLastEventId) {
  SseParser parser;
  ParseAll(parser, {"id: 1\ndata: a\n\nid\ndata: b\n\n"});
  EXPECT_EQ(parser.last_event_id(), "");
}

TEST(SseParserTest, IdWithoutDataIsRememberedButNotDispatched) {
  SseParser parser;
  auto events = ParseAll(parser, {"id: 5\n\n"});
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.last_event_id(), "5");
}

TEST(SseParserTest, RetryWithDigitsIsAccepted) {
  SseParser parser;
  auto events = ParseAll(parser, {"retry: 3000\ndata: x\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].retry_ms, 3000);
  EXPECT_EQ(parser.retry_ms(), 3000);
}

TEST(SseParserTest, RetryWithoutDataUpdatesReconnectionTime) {
  SseParser parser;
  EXPECT_TRUE(ParseAll(parser, {"retry: 10\n\n"}).empty());
  EXPECT_EQ(parser.retry_ms(), 10);
}

TEST(SseParserTest, RetryWithNonDigitsIsIgnored) {
  SseParser parser;
  auto events = ParseAll(parser, {"retry: 10ms\nretry: -5\nretry: 1.5\nretry:\ndata: x\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].retry_ms.has_value());
  EXPECT_FALSE(parser.retry_ms().has_value());
}

TEST(SseParserTest, RetryTooLargeForIntIsIgnored) {
  SseParser parser;
  ParseAll(parser, {"retry: 99999999999999999999\n\n"});
  EXPECT_FALSE(parser.retry_ms().has_value());
}

TEST(SseParserTest, CommentLinesAreIgnored) {
  EXPECT_EQ(ParseAll(": heartbeat\n\ndata: a\n: inside\ndata: b\n\n"),
            std::vector<SseEvent>{Data("a\nb")});
}

TEST(SseParserTest, UnknownFieldsAreIgnored) {
  EXPECT_EQ(ParseAll("foo: bar\ndata: a\nData: b\n\n"), std::vector<SseEvent>{Data("a")});
}

TEST(SseParserTest, BlankLineWithoutDataDispatchesNothing) {
  EXPECT_TRUE(ParseAll("\n\n\r\n\revent: x\n\n").empty());
}

TEST(SseParserTest, IncompleteEventAtEndIsNotDispatched) {
  EXPECT_TRUE(ParseAll("data: a\n").empty());
  EXPECT_TRUE(ParseAll("data: a").empty());
}

TEST(SseParserTest, LeadingBomIsSkipped) {
  EXPECT_EQ(ParseAll("\xEF\xBB\xBF"
                     "data: a\n\n"),
            std::vector<SseEvent>{Data("a")});
}

TEST(SseParserTest, BomSplitAcrossFeedsIsSkipped) {
  SseParser parser;
  EXPECT_EQ(ParseAll(parser, {"\xEF", "\xBB",
                              "\xBF"
                              "da",
                              "ta: a\n\n"}),
            std::vector<SseEvent>{Data("a")});
}

TEST(SseParserTest, BomLaterInTheStreamIsData) {
  EXPECT_EQ(ParseAll("data: a\n\n\xEF\xBB\xBF"
                     "data: b\n\n"),
            std::vector<SseEvent>{Data("a")});  // the field name is "\xEF\xBB\xBFdata": unknown
}

TEST(SseParserTest, PartialBomPrefixIsKeptAsContent) {
  SseParser parser;
  // "\xEF" followed by something else is not a BOM: the bytes belong to the first line, whose field
  // name is then unknown, so only the second event is seen.
  auto events = ParseAll(parser, {"\xEF", "data: a\n\ndata: b\n\n"});
  EXPECT_EQ(events, std::vector<SseEvent>{Data("b")});
}

TEST(SseParserTest, Utf8DataPassesThroughUnchanged) {
  EXPECT_EQ(ParseAll("data: h\xC3\xA9llo \xF0\x9F\x98\x80\n\n"),
            std::vector<SseEvent>{Data("h\xC3\xA9llo \xF0\x9F\x98\x80")});
}

TEST(SseParserTest, LineOverLimitFails) {
  SseParser parser(SseParserLimits{.max_line_bytes = 8, .max_event_bytes = 1024});
  auto result = parser.Feed("data: 0123456789\n\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(SseParserTest, LineOverLimitAcrossFeedsFails) {
  SseParser parser(SseParserLimits{.max_line_bytes = 8, .max_event_bytes = 1024});
  ASSERT_TRUE(parser.Feed("data:").ok());
  auto result = parser.Feed(" 0123");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(SseParserTest, EventDataOverLimitFails) {
  SseParser parser(SseParserLimits{.max_line_bytes = 64, .max_event_bytes = 10});
  auto result = parser.Feed("data: 12345\ndata: 67890\n\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(SseParserTest, ParserStaysFailedAfterAnError) {
  SseParser parser(SseParserLimits{.max_line_bytes = 4, .max_event_bytes = 10});
  ASSERT_FALSE(parser.Feed("data: toolong\n").ok());
  auto again = parser.Feed("\n");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(SseParserTest, LimitsApplyPerEvent) {
  SseParser parser(SseParserLimits{.max_line_bytes = 64, .max_event_bytes = 8});
  auto events = ParseAll(parser, {"data: 12345\n\ndata: 67890\n\n"});
  EXPECT_EQ(events, (std::vector<SseEvent>{Data("12345"), Data("67890")}));
}

TEST(SseFormatTest, EventWithAllFieldsIsSerialisedInOrder) {
  EXPECT_EQ(FormatSseEvent({.event = "x", .data = "a\nb", .id = "7", .retry_ms = 5}),
            "event: x\nid: 7\nretry: 5\ndata: a\ndata: b\n\n");
}

TEST(SseFormatTest, CommentIsOneCommentLinePerInputLine) {
  EXPECT_EQ(FormatSseComment("ping"), ": ping\n\n");
  EXPECT_TRUE(ParseAll(FormatSseComment("a\nb")).empty());
}

// Random printable-ish text, including the characters the format must escape or split on.
std::string RandomText(std::mt19937& rng, size_t max_len, std::string_view alphabet) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string out(len(rng), ' ');
  for (char& c : out) c = alphabet[pick(rng)];
  return out;
}

// Every event formatted with FormatSseEvent comes back unchanged however the bytes are split.
TEST(SsePropertyTest, FormattedEventsRoundTripAtEverySplitPoint) {
  std::mt19937 rng(20240611);
  constexpr std::string_view kDataAlphabet = "ab :\n\xC3\xA9 {}\"";
  constexpr std::string_view kNameAlphabet = "az09_: .";
  for (int round = 0; round < 40; ++round) {
    std::vector<SseEvent> expected;
    std::string wire;
    int count = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int i = 0; i < count; ++i) {
      SseEvent event{.event = RandomText(rng, 6, kNameAlphabet),
                     .data = RandomText(rng, 24, kDataAlphabet),
                     .id = RandomText(rng, 4, kNameAlphabet)};
      if (rng() % 3 == 0) event.retry_ms = static_cast<int>(rng() % 100000);
      wire += FormatSseEvent(event);
      if (rng() % 4 == 0) wire += FormatSseComment("keep-alive");
      expected.push_back(std::move(event));
    }
    SCOPED_TRACE(wire);
    for (size_t split = 0; split <= wire.size(); ++split) {
      SseParser parser;
      std::string_view w = wire;
      ASSERT_EQ(ParseAll(parser, {w.substr(0, split), w.substr(split)}), expected)
          << "split at " << split;
    }
    SseParser bytewise;
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < wire.size(); ++i) bytes.push_back(std::string_view(wire).substr(i, 1));
    ASSERT_EQ(ParseAll(bytewise, bytes), expected) << "one byte at a time";
  }
}

// The same stream written with CRLF or CR line endings parses to the same events at every split.
TEST(SsePropertyTest, LineEndingStylesAgreeAtEverySplitPoint) {
  const std::string lf = "event: e\nid: 1\ndata: a\ndata:\n\n: c\ndata: z\n\n";
  for (std::string_view ending : {"\r\n", "\r"}) {
    std::string other;
    for (char c : lf) {
      if (c == '\n')
        other += ending;
      else
        other += c;
    }
    auto expected = ParseAll(lf);
    ASSERT_EQ(expected.size(), 2u);
    for (size_t split = 0; split <= other.size(); ++split) {
      SseParser parser;
      std::string_view w = other;
      ASSERT_EQ(ParseAll(parser, {w.substr(0, split), w.substr(split)}), expected)
          << "split at " << split;
    }
  }
}

}  // namespace
}  // namespace bedrock::http

// The stdio transport's newline framing on its own: splitting, limits, and independence from how
// the bytes were chunked.
#include "mcp/internal/line_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bedrock::mcp::internal {
namespace {

// What a framer emits for `chunks`: each line as is, each oversize line as "<oversize>".
std::vector<std::string> Frame(const std::vector<std::string>& chunks, size_t limit) {
  LineFramer framer(limit);
  std::vector<std::string> out;
  for (const auto& chunk : chunks) {
    framer.Feed(
        chunk, [&](std::string_view line) { out.emplace_back(line); },
        [&] { out.emplace_back("<oversize>"); });
  }
  return out;
}

TEST(LineFramerTest, SplitsLinesAndDropsCrAndBlankLines) {
  EXPECT_EQ(Frame({"a\r\n\n  \t\nb\nc"}, 100), (std::vector<std::string>{"a", "b"}));
}

TEST(LineFramerTest, LineSplitAcrossChunksIsReassembled) {
  EXPECT_EQ(Frame({"{\"json", "rpc\":", "\"2.0\"}\r", "\n"}, 100),
            (std::vector<std::string>{"{\"jsonrpc\":\"2.0\"}"}));
}

TEST(LineFramerTest, UnfinishedLineIsHeldBack) {
  LineFramer framer(100);
  int lines = 0;
  framer.Feed(
      "abc", [&](std::string_view) { ++lines; }, [] {});
  EXPECT_EQ(lines, 0);
  EXPECT_EQ(framer.buffered(), 3u);
}

TEST(LineFramerTest, OversizeCompleteLineIsReportedOnceAndTheNextLineSurvives) {
  EXPECT_EQ(Frame({std::string(11, 'x') + "\nok\n"}, 10),
            (std::vector<std::string>{"<oversize>", "ok"}));
}

TEST(LineFramerTest, OversizePartialLineIsReportedEarlyAndItsRestSkipped) {
  LineFramer framer(10);
  std::vector<std::string> out;
  auto feed = [&](std::string_view chunk) {
    framer.Feed(
        chunk, [&](std::string_view line) { out.emplace_back(line); },
        [&] { out.emplace_back("<oversize>"); });
  };
  feed(std::string(12, 'x'));
  EXPECT_EQ(out, std::vector<std::string>{"<oversize>"});
  EXPECT_EQ(framer.buffered(), 0u);  // memory stays bounded
  feed(std::string(1000, 'y'));
  EXPECT_EQ(framer.buffered(), 0u);
  feed("yyy\nnext\n");
  EXPECT_EQ(out, (std::vector<std::string>{"<oversize>", "next"}));
}

TEST(LineFramerTest, FullLengthLineWithCrLfIsAcceptedWhateverTheSplit) {
  std::string line(10, 'z');
  EXPECT_EQ(Frame({line + "\r", "\n"}, 10), std::vector<std::string>{line});
  EXPECT_EQ(Frame({line + "\r\n"}, 10), std::vector<std::string>{line});
}

TEST(LineFramerTest, OutputDoesNotDependOnChunking) {
  std::string stream = "first\r\n" + std::string(25, 'o') + "\n\nsecond ünïcode ✓\n" +
                       std::string(10, 'm') + "\r\nlast";
  auto whole = Frame({stream}, 10);
  for (size_t step = 1; step <= stream.size(); ++step) {
    std::vector<std::string> chunks;
    for (size_t at = 0; at < stream.size(); at += step) chunks.push_back(stream.substr(at, step));
    EXPECT_EQ(Frame(chunks, 10), whole) << "chunks of " << step;
  }
}

}  // namespace
}  // namespace bedrock::mcp::internal

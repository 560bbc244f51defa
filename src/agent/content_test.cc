#include "agent/content.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace bedrock::agent {
namespace {
namespace json = boost::json;

// "hello" in base64.
constexpr std::string_view kHello64 = "aGVsbG8=";

llm::ToolResultBlock Convert(json::object block) {
  mcp::CallToolResult result;
  result.content.push_back(std::move(block));
  return ToToolResult("t1", std::move(result));
}

const std::string& TextOf(const llm::ToolResultContent& content) {
  return std::get<llm::TextBlock>(content).text;
}

TEST(ToToolResultTest, TextBecomesTextAndStatusSuccess) {
  auto block = Convert(mcp::content::Text("42"));
  EXPECT_EQ(block.tool_use_id, "t1");
  EXPECT_EQ(block.status, llm::ToolResultStatus::kSuccess);
  ASSERT_EQ(block.content.size(), 1u);
  EXPECT_EQ(TextOf(block.content[0]), "42");
}

TEST(ToToolResultTest, IsErrorBecomesStatusError) {
  auto block = ToToolResult("t1", mcp::CallToolResult::Error("bad path"));
  EXPECT_EQ(block.status, llm::ToolResultStatus::kError);
  EXPECT_EQ(TextOf(block.content[0]), "bad path");
}

TEST(ToToolResultTest, ImageBecomesDecodedImageBlock) {
  auto block = Convert(mcp::content::Image(kHello64, "image/png"));
  const auto& image = std::get<llm::ImageBlock>(block.content[0]);
  EXPECT_EQ(image.format, "png");
  EXPECT_EQ(image.bytes, "hello");
  EXPECT_EQ(
      std::get<llm::ImageBlock>(Convert(mcp::content::Image(kHello64, "image/JPEG")).content[0])
          .format,
      "jpeg");
}

TEST(ToToolResultTest, UnsupportedImageTypeBecomesANote) {
  auto block = Convert(mcp::content::Image(kHello64, "image/svg+xml"));
  EXPECT_NE(TextOf(block.content[0]).find("image/svg+xml"), std::string::npos);
}

TEST(ToToolResultTest, InvalidBase64BecomesANote) {
  auto block = Convert(mcp::content::Image("!!!", "image/png"));
  EXPECT_NE(TextOf(block.content[0]).find("not valid base64"), std::string::npos);
}

TEST(ToToolResultTest, AudioBecomesANote) {
  auto block = Convert(mcp::content::Audio(kHello64, "audio/wav"));
  EXPECT_NE(TextOf(block.content[0]).find("audio (audio/wav"), std::string::npos);
}

TEST(ToToolResultTest, EmbeddedTextResourceKeepsItsUri) {
  auto block = Convert(
      mcp::content::Embedded(mcp::content::TextResource("file:///a.txt", "text/plain", "body")));
  EXPECT_EQ(TextOf(block.content[0]), "[resource file:///a.txt (text/plain)]\nbody");
}

TEST(ToToolResultTest, EmbeddedPdfBlobBecomesDocument) {
  auto block = Convert(mcp::content::Embedded(
      mcp::content::BlobResource("file:///tmp/q3 report.pdf", "application/pdf", kHello64)));
  const auto& document = std::get<llm::DocumentBlock>(block.content[0]);
  EXPECT_EQ(document.format, "pdf");
  EXPECT_EQ(document.name, "q3 report pdf");
  EXPECT_EQ(document.bytes, "hello");
}

TEST(ToToolResultTest, EmbeddedImageBlobBecomesImage) {
  auto block = Convert(
      mcp::content::Embedded(mcp::content::BlobResource("file:///a.webp", "image/webp", kHello64)));
  EXPECT_EQ(std::get<llm::ImageBlock>(block.content[0]).format, "webp");
}

TEST(ToToolResultTest, EmbeddedUnknownBlobBecomesANote) {
  auto block = Convert(mcp::content::Embedded(
      mcp::content::BlobResource("file:///a.bin", "application/octet-stream", kHello64)));
  EXPECT_NE(TextOf(block.content[0]).find("file:///a.bin"), std::string::npos);
}

TEST(ToToolResultTest, ResourceLinkBecomesText) {
  auto block =
      Convert(mcp::content::ResourceLink("file:///b.md", "b.md", "text/markdown", "notes"));
  EXPECT_EQ(TextOf(block.content[0]),
            "[resource link: b.md <file:///b.md> (text/markdown): notes]");
}

TEST(ToToolResultTest, UnknownTypeBecomesANote) {
  auto block = Convert(json::object{{"type", "hologram"}});
  EXPECT_NE(TextOf(block.content[0]).find("hologram"), std::string::npos);
}

TEST(ToToolResultTest, StructuredContentBecomesJson) {
  mcp::CallToolResult result = mcp::CallToolResult::Text("see json");
  result.structured_content = json::object{{"temperature", 21}};
  auto block = ToToolResult("t1", std::move(result));
  ASSERT_EQ(block.content.size(), 2u);
  EXPECT_EQ(std::get<llm::JsonBlock>(block.content[1]).json, (json::object{{"temperature", 21}}));
}

TEST(ToToolResultTest, StructuredContentAlreadyInTextIsNotRepeated) {
  mcp::CallToolResult result = mcp::CallToolResult::Text(R"({"temperature": 21})");
  result.structured_content = json::object{{"temperature", 21}};
  auto block = ToToolResult("t1", std::move(result));
  EXPECT_EQ(block.content.size(), 1u);
}

TEST(ToToolResultTest, EmptyResultGetsOneTextBlock) {
  auto block = ToToolResult("t1", mcp::CallToolResult());
  ASSERT_EQ(block.content.size(), 1u);
  EXPECT_FALSE(TextOf(block.content[0]).empty());
}

TEST(DocumentNameTest, KeepsOnlyAllowedCharacters) {
  EXPECT_EQ(DocumentName("https://x/y/My_File (v2).docx"), "My File (v2) docx");
  EXPECT_EQ(DocumentName("///"), "document");
  EXPECT_EQ(DocumentName(std::string(300, 'a')).size(), 200u);
}

}  // namespace
}  // namespace bedrock::agent

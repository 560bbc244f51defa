#include "emulator/knowledge_base.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>

#include "emulator/text.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;

KnowledgeBase Sample() {
  std::vector<KbDocument> docs = {
      {"france.txt", "Paris is the capital of France.\n\nThe Eiffel Tower stands in Paris.",
       json::object{{"lang", "en"}, {"year", 2020}}},
      {"germany.md", "Berlin is the capital of Germany. Germany has many cities.",
       json::object{{"lang", "de"}, {"year", 2024}, {"tags", json::array{"europe", "eu"}}}},
      {"cooking.txt", "Bread needs flour, water, yeast and salt.", json::object{}},
  };
  return KnowledgeBase::FromDocuments(std::move(docs), {});
}

std::string UriOf(const KnowledgeBase& kb, const RetrievalHit& hit) {
  return std::string(kb.ResultJson(hit).at("location").at("s3Location").at("uri").as_string());
}

TEST(KnowledgeBaseTest, Bm25RanksTheMatchingChunkFirst) {
  KnowledgeBase kb = Sample();
  RetrievalQuery q;
  q.text = "What is the capital of France?";
  auto hits = kb.Retrieve(q);
  ASSERT_TRUE(hits.ok()) << hits.error();
  ASSERT_GE(hits->size(), 2u);
  EXPECT_EQ(kb.ChunkText((*hits)[0].chunk),
            "Paris is the capital of France.\n\nThe Eiffel Tower stands in Paris.");
  EXPECT_GT((*hits)[0].score, (*hits)[1].score);
  EXPECT_LE((*hits)[0].score, 1.0);
}

TEST(KnowledgeBaseTest, RareTermsOutweighCommonOnes) {
  KnowledgeBase kb = Sample();
  RetrievalQuery q;
  q.text = "capital Berlin";
  auto hits = kb.Retrieve(q);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(UriOf(kb, (*hits)[0]), "s3://bedrock-emulator-kb/germany.md");
}

TEST(KnowledgeBaseTest, NumberOfResultsLimitsTheHits) {
  KnowledgeBase kb = Sample();
  RetrievalQuery q;
  q.text = "capital";
  q.number_of_results = 1;
  EXPECT_EQ(kb.Retrieve(q)->size(), 1u);
}

TEST(KnowledgeBaseTest, ResultJsonHasTheRetrieveShape) {
  KnowledgeBase kb = Sample();
  RetrievalQuery q;
  q.text = "bread flour";
  auto hits = kb.Retrieve(q);
  ASSERT_TRUE(hits.ok());
  json::object result = kb.ResultJson((*hits)[0]);
  EXPECT_EQ(result.at("content").at("type"), "TEXT");
  EXPECT_EQ(result.at("location").at("type"), "S3");
  const auto& metadata = result.at("metadata").as_object();
  EXPECT_EQ(metadata.at("x-amz-bedrock-kb-source-uri"), "s3://bedrock-emulator-kb/cooking.txt");
  EXPECT_EQ(metadata.at("x-amz-bedrock-kb-data-source-id"), "EMULATORDS");
  EXPECT_TRUE(metadata.at("x-amz-bedrock-kb-chunk-id").as_string().starts_with("1%3A0%3A"));
  EXPECT_TRUE(result.at("score").is_double());
}

TEST(KnowledgeBaseTest, SemanticSearchUsesEmbeddings) {
  KnowledgeBase kb = Sample();
  RetrievalQuery q;
  q.text = "Eiffel";
  q.search_type = SearchType::kSemantic;
  auto hits = kb.Retrieve(q);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(UriOf(kb, (*hits)[0]), "s3://bedrock-emulator-kb/france.txt");
}

TEST(KnowledgeBaseTest, EmptyKnowledgeBaseFindsNothing) {
  KnowledgeBase kb;
  RetrievalQuery q;
  q.text = "anything";
  EXPECT_TRUE(kb.Retrieve(q)->empty());
}

struct FilterCase {
  const char* filter;
  // Expected, in rank order for the query "capital" (cooking.txt never scores: it shares no
  // term or trigram with it).
  std::vector<std::string> uris;
};

class FilterTest : public ::testing::TestWithParam<FilterCase> {};

TEST_P(FilterTest, SelectsTheMatchingDocuments) {
  KnowledgeBase kb = Sample();
  RetrievalQuery q;
  q.text = "capital";
  q.filter = json::parse(GetParam().filter);
  auto hits = kb.Retrieve(q);
  ASSERT_TRUE(hits.ok()) << hits.error();
  std::vector<std::string> uris;
  for (const auto& hit : *hits) uris.push_back(UriOf(kb, hit).substr(25));
  EXPECT_EQ(uris, GetParam().uris) << GetParam().filter;
}

INSTANTIATE_TEST_SUITE_P(
    Operators, FilterTest,
    ::testing::Values(
        FilterCase{R"({"equals":{"key":"lang","value":"de"}})", {"germany.md"}},
        FilterCase{R"({"notEquals":{"key":"lang","value":"de"}})", {"france.txt"}},
        FilterCase{R"({"greaterThan":{"key":"year","value":2021}})", {"germany.md"}},
        FilterCase{R"({"lessThanOrEquals":{"key":"year","value":2020}})", {"france.txt"}},
        FilterCase{R"({"in":{"key":"lang","value":["en","fr"]}})", {"france.txt"}},
        FilterCase{
            R"({"startsWith":{"key":"x-amz-bedrock-kb-source-uri","value":"s3://bedrock-emulator-kb/ger"}})",
            {"germany.md"}},
        FilterCase{R"({"listContains":{"key":"tags","value":"eu"}})", {"germany.md"}},
        FilterCase{
            R"({"andAll":[{"equals":{"key":"lang","value":"en"}},{"lessThan":{"key":"year","value":2030}}]})",
            {"france.txt"}},
        FilterCase{
            R"({"orAll":[{"equals":{"key":"lang","value":"en"}},{"equals":{"key":"lang","value":"de"}}]})",
            {"germany.md", "france.txt"}}));

TEST(MatchesFilterTest, UnknownOperatorIsAnError) {
  auto result = MatchesFilter(json::parse(R"({"near":{"key":"a","value":1}})"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("filter.near is not a supported filter"),
            std::string::npos);
}

TEST(MatchesFilterTest, AndAllWithOneFilterIsAnError) {
  EXPECT_FALSE(
      MatchesFilter(json::parse(R"({"andAll":[{"equals":{"key":"a","value":1}}]})"), {}).ok());
}

TEST(MatchesFilterTest, MissingKeyIsAnError) {
  EXPECT_FALSE(MatchesFilter(json::parse(R"({"equals":{"value":1}})"), {}).ok());
}

TEST(ChunkTextTest, PacksParagraphsUpToTheLimit) {
  auto chunks = ChunkText("one two three\n\nfour five\n\n\nsix", 4);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], "one two three");
  EXPECT_EQ(chunks[1], "four five\n\nsix");
}

TEST(ChunkTextTest, CutsLongParagraphsIntoOverlappingWindows) {
  std::string paragraph;
  for (int i = 0; i < 100; ++i) paragraph += "w" + std::to_string(i) + " ";
  auto chunks = ChunkText(paragraph, 20);
  ASSERT_GT(chunks.size(), 5u);
  for (const auto& chunk : chunks) EXPECT_LE(CountTokens(chunk), 20);
  // Consecutive windows share words (a fifth of each window).
  EXPECT_NE(chunks[1].find(chunks[0].substr(chunks[0].rfind(' ') + 1)), std::string::npos);
}

class KnowledgeBaseDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emu-kb-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "sub");
    std::filesystem::create_directories(dir_ / ".hidden");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(KnowledgeBaseDirectoryTest, LoadsTextFilesWithSidecarsAndSkipsTheRest) {
  Write("a.txt", "Alpha document about rivers.");
  Write("sub/b.html",
        "<html><head><style>p{}</style></head><body><p>Beta &amp; rivers</p></body></html>");
  Write(
      "sub/b.html.metadata.json",
      R"({"metadataAttributes":{"team":{"value":{"type":"STRING","stringValue":"blue"}},"n":3}})");
  Write("image.png", "\x89PNG");
  Write(".hidden/c.txt", "hidden rivers");
  auto kb = KnowledgeBase::LoadDirectory(dir_, {});
  ASSERT_TRUE(kb.ok()) << kb.error();
  EXPECT_EQ(kb->document_count(), 2u);
  RetrievalQuery q;
  q.text = "rivers";
  q.filter = json::parse(R"({"equals":{"key":"team","value":"blue"}})");
  auto hits = kb->Retrieve(q);
  ASSERT_TRUE(hits.ok()) << hits.error();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(kb->ChunkText((*hits)[0].chunk).find("Beta & rivers") != std::string::npos, true)
      << kb->ChunkText((*hits)[0].chunk);
  EXPECT_EQ(kb->ChunkText((*hits)[0].chunk).find("p{}"), std::string::npos);
  EXPECT_EQ(kb->ResultJson((*hits)[0]).at("metadata").at("n"), 3);
}

TEST_F(KnowledgeBaseDirectoryTest, MalformedSidecarIsAnErrorNamingTheFile) {
  Write("a.txt", "text");
  Write("a.txt.metadata.json", "{not json");
  auto kb = KnowledgeBase::LoadDirectory(dir_, {});
  ASSERT_FALSE(kb.ok());
  EXPECT_NE(kb.error().message().find("a.txt.metadata.json"), std::string::npos);
}

TEST(KnowledgeBaseLoadTest, MissingFolderIsNotFound) {
  auto kb = KnowledgeBase::LoadDirectory("/nonexistent/emulator/docs", {});
  ASSERT_FALSE(kb.ok());
  EXPECT_EQ(kb.error().code(), core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace bedrock::emulator

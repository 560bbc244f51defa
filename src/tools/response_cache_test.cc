#include "tools/response_cache.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace bedrock::tools {
namespace {

namespace json = boost::json;

CacheRequest Request(std::string scope = "converse", std::string model = "m1",
                     std::string text = "hello") {
  CacheRequest request;
  request.scope = std::move(scope);
  request.model = std::move(model);
  request.system = json::array{json::object{{"text", "be brief"}}};
  request.messages = json::array{
      json::object{{"role", "user"}, {"content", json::array{json::object{{"text", text}}}}}};
  request.parameters = json::object{{"maxTokens", 100}, {"temperature", 0.3}};
  return request;
}

std::unique_ptr<ResponseCache> MakeCache(const core::Clock& clock, ResponseCacheOptions options) {
  auto table = store::OpenCacheTable("sqlite::memory:");
  EXPECT_TRUE(table.ok());
  return std::make_unique<ResponseCache>(std::move(*table), options, clock);
}

TEST(CacheKeyTest, IsSha256Hex) { EXPECT_EQ(CacheKey(Request()).size(), 64u); }

TEST(CacheKeyTest, MemberOrderDoesNotChangeTheKey) {
  CacheRequest a = Request();
  CacheRequest b = Request();
  b.parameters = json::object{{"temperature", 0.3}, {"maxTokens", 100}};
  EXPECT_EQ(CacheKey(a), CacheKey(b));
}

TEST(CacheKeyTest, EveryPartChangesTheKey) {
  std::string base = CacheKey(Request());
  EXPECT_NE(CacheKey(Request("specialist:code_reviewer")), base);
  EXPECT_NE(CacheKey(Request("converse", "m2")), base);
  EXPECT_NE(CacheKey(Request("converse", "m1", "hello!")), base);
  CacheRequest system = Request();
  system.system = nullptr;
  EXPECT_NE(CacheKey(system), base);
  CacheRequest parameters = Request();
  parameters.parameters = json::object{{"maxTokens", 101}, {"temperature", 0.3}};
  EXPECT_NE(CacheKey(parameters), base);
}

TEST(ResponseCacheTest, SecondIdenticalLookupIsAHit) {
  core::FakeClock clock;
  auto cache = MakeCache(clock, ResponseCacheOptions());
  EXPECT_FALSE(cache->Lookup(Request()));
  cache->Store(Request(), "answer");
  EXPECT_EQ(cache->Lookup(Request()).value_or(""), "answer");
  CacheStats stats = cache->stats();
  EXPECT_EQ(stats.hits, 1);
  EXPECT_EQ(stats.misses, 1);
  EXPECT_EQ(stats.stores, 1);
}

TEST(ResponseCacheTest, EntryExpiresAfterTtl) {
  core::FakeClock clock;
  ResponseCacheOptions options;
  options.ttl = std::chrono::seconds(60);
  auto cache = MakeCache(clock, options);
  cache->Store(Request(), "answer");
  clock.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(cache->Lookup(Request()));
  clock.Advance(std::chrono::seconds(1));
  EXPECT_FALSE(cache->Lookup(Request()));
}

TEST(ResponseCacheTest, NeverServesAcrossModels) {
  core::FakeClock clock;
  auto cache = MakeCache(clock, ResponseCacheOptions());
  cache->Store(Request("converse", "m1"), "from m1");
  EXPECT_FALSE(cache->Lookup(Request("converse", "m2")));
}

TEST(ResponseCacheTest, NeverServesAcrossSpecialists) {
  core::FakeClock clock;
  auto cache = MakeCache(clock, ResponseCacheOptions());
  cache->Store(Request("specialist:a"), "from a");
  EXPECT_FALSE(cache->Lookup(Request("specialist:b")));
}

TEST(SemanticCacheTest, SimilarPromptAboveThresholdIsAHit) {
  core::FakeClock clock;
  ResponseCacheOptions options;
  options.semantic = true;
  options.semantic_threshold = 0.9;
  auto cache = MakeCache(clock, options);
  cache->Store(Request("converse", "m1", "what is the capital of France"), "Paris", {1, 0, 0});
  auto hit = cache->Lookup(Request("converse", "m1", "France's capital?"), {0.95f, 0.1f, 0});
  EXPECT_EQ(hit.value_or(""), "Paris");
  EXPECT_EQ(cache->stats().semantic_hits, 1);
}

TEST(SemanticCacheTest, PromptBelowThresholdIsAMiss) {
  core::FakeClock clock;
  ResponseCacheOptions options;
  options.semantic = true;
  options.semantic_threshold = 0.9;
  auto cache = MakeCache(clock, options);
  cache->Store(Request("converse", "m1", "a"), "A", {1, 0, 0});
  EXPECT_FALSE(cache->Lookup(Request("converse", "m1", "b"), {0.5f, 0.8f, 0}));
}

TEST(SemanticCacheTest, SimilarPromptForAnotherModelIsAMiss) {
  core::FakeClock clock;
  ResponseCacheOptions options;
  options.semantic = true;
  auto cache = MakeCache(clock, options);
  cache->Store(Request("converse", "m1", "a"), "A", {1, 0, 0});
  EXPECT_FALSE(cache->Lookup(Request("converse", "m2", "b"), {1, 0, 0}));
}

TEST(SemanticCacheTest, DisabledIgnoresEmbeddings) {
  core::FakeClock clock;
  auto cache = MakeCache(clock, ResponseCacheOptions());
  cache->Store(Request("converse", "m1", "a"), "A", {1, 0, 0});
  EXPECT_FALSE(cache->Lookup(Request("converse", "m1", "b"), {1, 0, 0}));
}

TEST(CosineSimilarityTest, MismatchedOrZeroVectorsAreZero) {
  EXPECT_EQ(CosineSimilarity({1, 0}, {1, 0, 0}), 0);
  EXPECT_EQ(CosineSimilarity({0, 0}, {1, 0}), 0);
  EXPECT_NEAR(CosineSimilarity({1, 2}, {2, 4}), 1.0, 1e-9);
}

TEST(CacheTableTest, PersistsAcrossReopen) {
  std::string path = ::testing::TempDir() + "/bedrock_tools_cache_test.db";
  std::remove(path.c_str());
  core::FakeClock clock;
  {
    auto table = store::OpenCacheTable("sqlite:" + path);
    ASSERT_TRUE(table.ok());
    ResponseCache cache(std::move(*table), ResponseCacheOptions(), clock);
    cache.Store(Request(), "kept");
  }
  auto table = store::OpenCacheTable("sqlite:" + path);
  ASSERT_TRUE(table.ok());
  ResponseCache cache(std::move(*table), ResponseCacheOptions(), clock);
  EXPECT_EQ(cache.Lookup(Request()).value_or(""), "kept");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bedrock::tools

#include "tools/bedrock_tools_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bedrock::tools {
namespace {

using ::testing::HasSubstr;

TEST(SpecialistLookupTest, DefaultsAreTheSeedsFour) {
  auto config = DefaultBedrockToolsConfig();
  for (const char* name : {"code_reviewer", "legal_analyst", "translator_es", "data_scientist"}) {
    EXPECT_NE(FindSpecialist(config, name), nullptr) << name;
  }
  EXPECT_THAT(FindSpecialist(config, "code_reviewer")->system_prompt,
              HasSubstr("senior software engineer"));
}

TEST(SpecialistLookupTest, UnknownNameListsTheAvailableOnes) {
  auto config = DefaultBedrockToolsConfig();
  EXPECT_EQ(FindSpecialist(config, "poet"), nullptr);
  EXPECT_EQ(UnknownSpecialistMessage(config, "poet"),
            "Unknown specialist 'poet'. Available: code_reviewer, legal_analyst, translator_es, "
            "data_scientist");
}

TEST(SpecialistLookupTest, ConfigAddsAndReplacesSpecialists) {
  auto config = ParseBedrockToolsConfig(R"({"specialists": {
      "poet": {"systemPrompt": "You write haiku.", "model": "amazon.nova-lite-v1:0",
               "maxTokens": 50},
      "code_reviewer": {"systemPrompt": "Be terse."}}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_NE(FindSpecialist(*config, "poet"), nullptr);
  EXPECT_EQ(FindSpecialist(*config, "poet")->model, "amazon.nova-lite-v1:0");
  EXPECT_EQ(FindSpecialist(*config, "poet")->max_tokens, 50);
  EXPECT_EQ(FindSpecialist(*config, "code_reviewer")->system_prompt, "Be terse.");
  EXPECT_EQ(config->specialists.size(), 5u);
}

TEST(SpecialistLookupTest, ReplaceDefaultSpecialistsDropsTheSeeds) {
  auto config = ParseBedrockToolsConfig(
      R"({"replaceDefaultSpecialists": true, "specialists": {"poet": {"systemPrompt": "x"}}})");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->specialists.size(), 1u);
  EXPECT_EQ(FindSpecialist(*config, "code_reviewer"), nullptr);
}

TEST(BedrockToolsConfigTest, ReadsKnowledgeBasesAndCache) {
  auto config = ParseBedrockToolsConfig(R"({"knowledgeBases": [{"id": "KB1", "name": "Docs"}],
      "cache": {"url": "off", "ttlSeconds": 10, "semantic": true, "semanticThreshold": 0.8}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_EQ(config->knowledge_bases.size(), 1u);
  EXPECT_EQ(config->knowledge_bases[0].name, "Docs");
  EXPECT_EQ(config->cache_url, "off");
  EXPECT_EQ(config->cache.ttl, std::chrono::seconds(10));
  EXPECT_TRUE(config->cache.semantic);
  EXPECT_DOUBLE_EQ(config->cache.semantic_threshold, 0.8);
}

TEST(BedrockToolsConfigTest, UnknownKeyIsRejected) {
  auto config = ParseBedrockToolsConfig(R"({"specialist": {}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("specialist"));
}

TEST(BedrockToolsConfigTest, SpecialistWithoutPromptIsRejected) {
  auto config = ParseBedrockToolsConfig(R"({"specialists": {"poet": {"model": "m"}}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message(), HasSubstr("systemPrompt"));
}

TEST(BedrockToolsConfigTest, ThresholdOutOfRangeIsRejected) {
  EXPECT_FALSE(ParseBedrockToolsConfig(R"({"cache": {"semanticThreshold": 1.5}})").ok());
}

TEST(BedrockToolsConfigTest, MalformedJsonIsRejected) {
  EXPECT_FALSE(ParseBedrockToolsConfig("{").ok());
}

}  // namespace
}  // namespace bedrock::tools

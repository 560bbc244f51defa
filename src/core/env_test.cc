#include "core/env.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace bedrock::core {
namespace {

TEST(FakeEnvTest, GetReturnsSetValueAndNulloptWhenUnset) {
  FakeEnv env({{"HOME", "/home/test"}, {"EMPTY", ""}});
  EXPECT_EQ(env.Get("HOME"), "/home/test");
  EXPECT_EQ(env.Get("EMPTY"), "");
  EXPECT_EQ(env.Get("MISSING"), std::nullopt);
  env.Set("MISSING", "now set");
  EXPECT_EQ(env.Get("MISSING"), "now set");
  env.Unset("HOME");
  EXPECT_EQ(env.Get("HOME"), std::nullopt);
}

TEST(FakeEnvTest, ListWithPrefixIsSortedAndExact) {
  FakeEnv env({{"AWS_REGION", "us-east-1"}, {"AWS_PROFILE", "dev"}, {"AWSX", "no"}, {"HOME", "/"}});
  auto listed = env.ListWithPrefix("AWS_");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].first, "AWS_PROFILE");
  EXPECT_EQ(listed[1].first, "AWS_REGION");
  EXPECT_EQ(listed[1].second, "us-east-1");
}

TEST(SystemEnvTest, IsASnapshotTakenAtConstruction) {
  ASSERT_EQ(::setenv("BEDROCK_ENV_TEST_VAR", "before", 1), 0);
  SystemEnv env;
  ASSERT_EQ(::setenv("BEDROCK_ENV_TEST_VAR", "after", 1), 0);
  EXPECT_EQ(env.Get("BEDROCK_ENV_TEST_VAR"), "before");
  EXPECT_EQ(SystemEnv().Get("BEDROCK_ENV_TEST_VAR"), "after");
  ::unsetenv("BEDROCK_ENV_TEST_VAR");
  EXPECT_EQ(SystemEnv().Get("BEDROCK_ENV_TEST_VAR"), std::nullopt);
}

TEST(SystemEnvTest, ListWithPrefixFindsSetVariables) {
  ASSERT_EQ(::setenv("BEDROCK_ENV_LIST_A", "1", 1), 0);
  ASSERT_EQ(::setenv("BEDROCK_ENV_LIST_B", "2", 1), 0);
  auto listed = SystemEnv().ListWithPrefix("BEDROCK_ENV_LIST_");
  ::unsetenv("BEDROCK_ENV_LIST_A");
  ::unsetenv("BEDROCK_ENV_LIST_B");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0], (std::pair<std::string, std::string>{"BEDROCK_ENV_LIST_A", "1"}));
}

TEST(ExpandEnvReferencesTest, SubstitutesSetVariables) {
  FakeEnv env({{"HOST", "127.0.0.1"}, {"PORT", "7002"}});
  EXPECT_EQ(*ExpandEnvReferences("${HOST}:${PORT}", env), "127.0.0.1:7002");
  EXPECT_EQ(*ExpandEnvReferences("no references", env), "no references");
}

TEST(ExpandEnvReferencesTest, DefaultAppliesWhenUnsetOrEmpty) {
  FakeEnv env({{"EMPTY", ""}, {"SET", "v"}});
  EXPECT_EQ(*ExpandEnvReferences("${UNSET:-fallback}", env), "fallback");
  EXPECT_EQ(*ExpandEnvReferences("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(*ExpandEnvReferences("${SET:-fallback}", env), "v");
  EXPECT_EQ(*ExpandEnvReferences("${UNSET:-}", env), "");
  EXPECT_EQ(*ExpandEnvReferences("${UNSET:-a:-b}", env), "a:-b");
}

TEST(ExpandEnvReferencesTest, EmptyButSetVariableWithoutDefaultIsEmpty) {
  FakeEnv env({{"EMPTY", ""}});
  EXPECT_EQ(*ExpandEnvReferences("[${EMPTY}]", env), "[]");
}

TEST(ExpandEnvReferencesTest, DoubleDollarBraceIsALiteral) {
  FakeEnv env({{"X", "x"}});
  EXPECT_EQ(*ExpandEnvReferences("$${X}", env), "${X}");
  EXPECT_EQ(*ExpandEnvReferences("$$${X}", env), "$${X}");  // "$" then the escape
  EXPECT_EQ(*ExpandEnvReferences("cost: $5, $$, ${X}$", env), "cost: $5, $$, x$");
}

TEST(ExpandEnvReferencesTest, UnsetVariableIsAnErrorNamingIt) {
  FakeEnv env;
  auto result = ExpandEnvReferences("Bearer ${API_TOKEN}", env);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("API_TOKEN is not set"), std::string::npos);
}

TEST(ExpandEnvReferencesTest, UnterminatedReferenceIsAnError) {
  FakeEnv env({{"X", "x"}});
  EXPECT_FALSE(ExpandEnvReferences("${X", env).ok());
}

TEST(ExpandEnvReferencesTest, InvalidNameIsAnError) {
  FakeEnv env;
  EXPECT_FALSE(ExpandEnvReferences("${}", env).ok());
  EXPECT_FALSE(ExpandEnvReferences("${1ABC}", env).ok());
  EXPECT_FALSE(ExpandEnvReferences("${A B}", env).ok());
  EXPECT_FALSE(ExpandEnvReferences("${:-x}", env).ok());
}

TEST(ExpandEnvReferencesTest, ErrorMessageIsOneLine) {
  FakeEnv env;
  auto result = ExpandEnvReferences("${A\nB}", env);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message().find('\n'), std::string::npos);
  EXPECT_NE(result.error().message().find("${A\\x0aB}"), std::string::npos);
}

}  // namespace
}  // namespace bedrock::core

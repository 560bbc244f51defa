#include "agent/tool_names.h"

#include <gtest/gtest.h>

#include <string>

namespace bedrock::agent {
namespace {

TEST(ToolNameMapTest, FollowsTheDemoForm) {
  ToolNameMap names;
  EXPECT_EQ(names.Add("aws-kb", "retrieve-from-kb"), "aws_kb___retrieve_from_kb");
  EXPECT_EQ(names.Add("local_fs", "list_directory"), "local_fs___list_directory");
}

TEST(ToolNameMapTest, ReplacesEveryInvalidCharacter) {
  ToolNameMap names;
  std::string name = names.Add("my.server", "ns/tool:v1 é");
  EXPECT_TRUE(IsValidBedrockToolName(name)) << name;
  EXPECT_EQ(name.substr(0, 12), "my_server___");
}

TEST(ToolNameMapTest, ResolveRoundTrips) {
  ToolNameMap names;
  std::string name = names.Add("fs", "read.file");
  const ToolName* back = names.Resolve(name);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->server_id, "fs");
  EXPECT_EQ(back->tool_name, "read.file");
  EXPECT_EQ(names.Find("fs", "read.file"), name);
  EXPECT_EQ(names.Resolve("fs___other"), nullptr);
}

TEST(ToolNameMapTest, SamePairGetsSameName) {
  ToolNameMap names;
  EXPECT_EQ(names.Add("a", "b"), names.Add("a", "b"));
  EXPECT_EQ(names.size(), 1u);
}

TEST(ToolNameMapTest, CollisionGetsAHashSuffixAndBothResolve) {
  ToolNameMap names;
  std::string first = names.Add("a-b", "x");
  std::string second = names.Add("a_b", "x");
  EXPECT_EQ(first, "a_b___x");
  EXPECT_NE(first, second);
  EXPECT_TRUE(IsValidBedrockToolName(second)) << second;
  EXPECT_EQ(names.Resolve(first)->server_id, "a-b");
  EXPECT_EQ(names.Resolve(second)->server_id, "a_b");
}

TEST(ToolNameMapTest, SeparatorInsideNamesStaysUnambiguous) {
  ToolNameMap names;
  std::string first = names.Add("a___b", "c");
  std::string second = names.Add("a", "b___c");
  EXPECT_NE(first, second);
  EXPECT_EQ(names.Resolve(first)->tool_name, "c");
  EXPECT_EQ(names.Resolve(second)->tool_name, "b___c");
}

TEST(ToolNameMapTest, LongNamesAreCutToSixtyFourWithAHash) {
  ToolNameMap names;
  std::string server(40, 's');
  std::string a = names.Add(server, std::string(40, 't') + "_one");
  std::string b = names.Add(server, std::string(40, 't') + "_two");
  EXPECT_EQ(a.size(), kMaxToolNameLength);
  EXPECT_EQ(b.size(), kMaxToolNameLength);
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsValidBedrockToolName(a));
  EXPECT_EQ(names.Resolve(b)->tool_name, std::string(40, 't') + "_two");
}

TEST(ToolNameMapTest, NamesAreDeterministicAcrossMaps) {
  ToolNameMap first, second;
  for (ToolNameMap* names : {&first, &second}) {
    names->Add("a-b", "x");
    names->Add("a_b", "x");
    names->Add(std::string(70, 'q'), "t");
  }
  EXPECT_EQ(first.Find("a_b", "x"), second.Find("a_b", "x"));
  EXPECT_EQ(first.Find(std::string(70, 'q'), "t"), second.Find(std::string(70, 'q'), "t"));
}

TEST(ToolNameMapTest, MapsAreIndependent) {
  // The demo's process-global map let one user's server overwrite another's entry.
  ToolNameMap alice, bob;
  std::string name = alice.Add("fs", "read");
  EXPECT_EQ(bob.Resolve(name), nullptr);
  bob.Add("fs", "read");
  EXPECT_EQ(alice.size(), 1u);
}

TEST(ToolNameMapTest, ValidityCheck) {
  EXPECT_TRUE(IsValidBedrockToolName("a-b_C9"));
  EXPECT_FALSE(IsValidBedrockToolName(""));
  EXPECT_FALSE(IsValidBedrockToolName("a.b"));
  EXPECT_FALSE(IsValidBedrockToolName(std::string(65, 'a')));
}

}  // namespace
}  // namespace bedrock::agent

#include "mcp/types.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace bedrock::mcp {
namespace {

namespace json = boost::json;

TEST(RequestedSchemaDefaultsTest, TakesEachPropertysDefaultAndSkipsTheRest) {
  json::value params = json::parse(R"({"message":"?","requestedSchema":{"type":"object",
      "properties":{"name":{"type":"string","default":"Ada"},"age":{"type":"integer"},
      "colour":{"type":"string","enum":["red","blue"],"default":"blue"},"odd":7}}})");
  EXPECT_EQ(RequestedSchemaDefaults(params), (json::object{{"name", "Ada"}, {"colour", "blue"}}));
}

TEST(RequestedSchemaDefaultsTest, MissingOrMalformedSchemaGivesNoDefaults) {
  for (const char* text : {R"({})", R"([])", R"({"requestedSchema":"x"})",
                           R"({"requestedSchema":{"properties":[1]}})"}) {
    EXPECT_TRUE(RequestedSchemaDefaults(json::parse(text)).empty()) << text;
  }
}

}  // namespace
}  // namespace bedrock::mcp

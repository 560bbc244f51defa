#include "core/json_source.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace bedrock::core {
namespace {

std::string ErrorOf(std::string_view text, const JsonParseLimits& limits = {}) {
  auto result = ParseJsonWithPositions(text, "conf/config.json", limits);
  if (result.ok()) return "(parsed)";
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  return result.error().message();
}

// --- values ---

TEST(ParseJsonWithPositionsTest, BuildsTheSameValueAsBoostJson) {
  std::string text = R"({"a": [1, -2, 3.5, 1e3, 18446744073709551615, -9223372036854775808],
    "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "t": true, "f": false, "n": null,
    "nested": {"deep": [[], {}, [{"k": "v"}]]}, "big": 18446744073709551616, "neg0": -0})";
  auto parsed = ParseJsonWithPositions(text, "x.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->value, boost::json::parse(text));
}

TEST(ParseJsonWithPositionsTest, TopLevelScalarsAreDocuments) {
  EXPECT_EQ(ParseJsonWithPositions("42", "x")->value, 42);
  EXPECT_EQ(ParseJsonWithPositions(" \"s\" \n", "x")->value, "s");
  EXPECT_TRUE(ParseJsonWithPositions("null", "x")->value.is_null());
}

TEST(ParseJsonWithPositionsTest, UnderflowRoundsToZeroLikeBoostJson) {
  EXPECT_EQ(ParseJsonWithPositions("1e-400", "x")->value, 0.0);
  EXPECT_EQ(ParseJsonWithPositions("1e-310", "x")->value, 1e-310);
}

// --- positions ---

TEST(ParseJsonWithPositionsTest, RecordsLineAndColumnOfKeysValuesAndElements) {
  std::string text =
      "{\n"
      "  \"server\": {\n"
      "    \"listen\": \"127.0.0.1:7002\"\n"
      "  },\n"
      "  \"args\": [1,\n"
      "\t\t2]\n"
      "}\n";
  auto parsed = ParseJsonWithPositions(text, "x");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  const JsonPositionNode& root = parsed->positions;
  EXPECT_EQ(root.value, (SourcePosition{1, 1, 0}));
  ASSERT_EQ(root.children.size(), 2u);
  const JsonPositionNode& server = root.children[0];
  EXPECT_EQ(server.key.line, 2u);
  EXPECT_EQ(server.key.column, 3u);
  EXPECT_EQ(server.value.line, 2u);
  EXPECT_EQ(server.value.column, 13u);
  ASSERT_EQ(server.children.size(), 1u);
  EXPECT_EQ(server.children[0].key.line, 3u);
  EXPECT_EQ(server.children[0].key.column, 5u);
  EXPECT_EQ(server.children[0].value.column, 15u);
  const JsonPositionNode& args = root.children[1];
  ASSERT_EQ(args.children.size(), 2u);
  EXPECT_EQ(args.children[0].value.line, 5u);
  EXPECT_EQ(args.children[0].value.column, 12u);
  EXPECT_EQ(args.children[1].value.line, 6u);
  EXPECT_EQ(args.children[1].value.column, 3u);  // a tab counts as one column
  EXPECT_EQ(args.children[1].key, args.children[1].value);
  EXPECT_EQ(text.substr(args.children[1].value.offset, 1), "2");
}

TEST(ParseJsonWithPositionsTest, ColumnsCountCodePointsNotBytes) {
  auto parsed = ParseJsonWithPositions(R"({"é😀": "ü", "x": 1})", "x");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->positions.children[1].key.column, 13u);
  EXPECT_EQ(ErrorOf(R"({"é😀": "ü" "x": 1})"),
            "conf/config.json:1:12: expected ',' or '}' after an object member, found '\"'");
}

TEST(ParseJsonWithPositionsTest, ByteOrderMarkIsSkippedAndNotCounted) {
  auto parsed = ParseJsonWithPositions("\xEF\xBB\xBF{\"a\": 1}\n", "x");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->positions.value.column, 1u);
  EXPECT_EQ(parsed->positions.children[0].key.column, 2u);
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF{\"a\" 1}"),
            "conf/config.json:1:6: expected ':' after the key "
            "\"a\", found '1'");
}

TEST(ParseJsonWithPositionsTest, CrLfLineEndingsCountOnce) {
  EXPECT_EQ(ErrorOf("{\r\n\"a\": 1,\r\n\"b\" 2\r\n}"),
            "conf/config.json:3:5: expected ':' after the key \"b\", found '2'");
}

// --- syntax errors: file:line:column and the problem ---

TEST(JsonSyntaxErrorTest, MissingCommaNamesLineAndColumn) {
  EXPECT_EQ(ErrorOf("{\n  \"a\": 1\n  \"b\": 2\n}"),
            "conf/config.json:3:3: expected ',' or '}' after an object member, found '\"'");
}

TEST(JsonSyntaxErrorTest, MissingCommaInArray) {
  EXPECT_EQ(ErrorOf("[1 2]"),
            "conf/config.json:1:4: expected ',' or ']' after an array element, found '2'");
}

TEST(JsonSyntaxErrorTest, TrailingCommaInObject) {
  EXPECT_EQ(ErrorOf("{\"a\": 1,\n}"), "conf/config.json:2:1: trailing comma before '}'");
}

TEST(JsonSyntaxErrorTest, TrailingCommaInArray) {
  EXPECT_EQ(ErrorOf("[1, 2, ]"), "conf/config.json:1:8: trailing comma before ']'");
}

TEST(JsonSyntaxErrorTest, CommentsAreRejected) {
  EXPECT_EQ(ErrorOf("{\n  // the server\n  \"a\": 1}"),
            "conf/config.json:2:3: comments are not allowed in JSON");
  EXPECT_EQ(ErrorOf("[1, /* two */ 2]"), "conf/config.json:1:5: comments are not allowed in JSON");
}

TEST(JsonSyntaxErrorTest, SingleQuotedStringsAreRejected) {
  EXPECT_EQ(ErrorOf("{\"a\": 'x'}"),
            "conf/config.json:1:7: strings must use double quotes, not single quotes");
}

TEST(JsonSyntaxErrorTest, UnquotedKeysAreRejected) {
  EXPECT_EQ(ErrorOf("{a: 1}"),
            "conf/config.json:1:2: object keys must be strings in double quotes");
}

TEST(JsonSyntaxErrorTest, UnterminatedStringPointsAtItsStart) {
  EXPECT_EQ(ErrorOf("{\"a\": \"abc"), "conf/config.json:1:7: unterminated string");
}

TEST(JsonSyntaxErrorTest, StringBrokenAcrossLines) {
  EXPECT_EQ(ErrorOf("[\"abc\ndef\"]"),
            "conf/config.json:1:2: unterminated string (a string cannot span lines; write \\n)");
}

TEST(JsonSyntaxErrorTest, UnclosedObjectAtEndOfInputNamesWhereItOpened) {
  EXPECT_EQ(ErrorOf("{\n  \"a\": {\n    \"b\": 1\n"),
            "conf/config.json:4:1: unexpected end of input: the object opened at line 2, column "
            "8 is not closed");
}

TEST(JsonSyntaxErrorTest, UnclosedArrayAtEndOfInput) {
  EXPECT_EQ(ErrorOf("[1,\n2"),
            "conf/config.json:2:2: unexpected end of input: the array opened "
            "at line 1, column 1 is not closed");
}

TEST(JsonSyntaxErrorTest, MissingValueAtEndOfInput) {
  EXPECT_EQ(ErrorOf("{\"a\":"), "conf/config.json:1:6: unexpected end of input: expected a value");
}

TEST(JsonSyntaxErrorTest, DuplicateKeyNamesTheFirstDefinition) {
  EXPECT_EQ(ErrorOf("{\n  \"port\": 1,\n  \"port\": 2\n}"),
            "conf/config.json:3:3: duplicate key \"port\" (first defined at line 2, column 3)");
}

TEST(JsonSyntaxErrorTest, EmptyDocument) {
  EXPECT_EQ(ErrorOf(" \n "), "conf/config.json:2:2: the document is empty: expected a JSON value");
  EXPECT_EQ(ErrorOf(""), "conf/config.json:1:1: the document is empty: expected a JSON value");
}

TEST(JsonSyntaxErrorTest, TrailingContentAfterTheValue) {
  EXPECT_EQ(ErrorOf("{} {}"),
            "conf/config.json:1:4: unexpected '{' after the end of the JSON value");
}

TEST(JsonSyntaxErrorTest, InvalidLiteral) {
  EXPECT_EQ(ErrorOf("[tru]"), "conf/config.json:1:2: invalid literal: expected true");
  EXPECT_EQ(ErrorOf("[True]"), "conf/config.json:1:2: expected a value, found 'T'");
}

TEST(JsonSyntaxErrorTest, LeadingZero) {
  EXPECT_EQ(ErrorOf("[01]"), "conf/config.json:1:2: invalid number: leading zeros are not allowed");
}

TEST(JsonSyntaxErrorTest, MalformedNumbers) {
  EXPECT_EQ(ErrorOf("[-]"), "conf/config.json:1:3: invalid number: expected a digit after '-'");
  EXPECT_EQ(ErrorOf("[1.]"), "conf/config.json:1:4: invalid number: expected a digit after '.'");
  EXPECT_EQ(ErrorOf("[1e+]"),
            "conf/config.json:1:5: invalid number: expected a digit in the exponent");
  EXPECT_EQ(ErrorOf("[.5]"), "conf/config.json:1:2: expected a value, found '.'");
}

TEST(JsonSyntaxErrorTest, NumberTooLargeForADouble) {
  EXPECT_EQ(ErrorOf("{\"x\": 1e400}"),
            "conf/config.json:1:7: number out of range: too large for a double");
}

TEST(JsonSyntaxErrorTest, InvalidEscape) {
  EXPECT_EQ(ErrorOf(R"(["a\x"])"), "conf/config.json:1:4: invalid escape sequence '\\x'");
  EXPECT_EQ(ErrorOf(R"(["\u12G4"])"),
            "conf/config.json:1:3: invalid \\u escape: expected four hex digits");
}

TEST(JsonSyntaxErrorTest, LoneSurrogates) {
  EXPECT_NE(ErrorOf(R"(["\ud800"])").find("high surrogate must be followed"), std::string::npos);
  EXPECT_NE(ErrorOf(R"(["\udc00"])").find("low surrogate without"), std::string::npos);
  EXPECT_NE(ErrorOf(R"(["\ud800\u0041"])").find("high surrogate"), std::string::npos);
}

TEST(JsonSyntaxErrorTest, ControlCharacterInString) {
  EXPECT_EQ(ErrorOf("[\"a\tb\"]"),
            "conf/config.json:1:4: control character 0x09 in a string: escape it as \\u0009");
}

TEST(JsonSyntaxErrorTest, InvalidUtf8InString) {
  EXPECT_EQ(ErrorOf("[\"a\xff\"]"), "conf/config.json:1:4: invalid UTF-8 in a string");
  EXPECT_EQ(ErrorOf("[\"\xed\xa0\x80\"]"), "conf/config.json:1:3: invalid UTF-8 in a string");
  EXPECT_EQ(ErrorOf("[\"\xc0\xaf\"]"), "conf/config.json:1:3: invalid UTF-8 in a string");
}

TEST(JsonSyntaxErrorTest, StrayByteOutsideStrings) {
  EXPECT_EQ(ErrorOf(std::string_view("[\0]", 3)),
            "conf/config.json:1:2: expected a value, found "
            "byte 0x00");
}

// --- limits ---

TEST(JsonLimitsTest, NestingAtTheLimitIsAccepted) {
  std::string text = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseJsonWithPositions(text, "x").ok());
}

TEST(JsonLimitsTest, NestingDeeperThanTheLimitIsRejected) {
  std::string text = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(ErrorOf(text), "conf/config.json:1:65: nesting deeper than 64 levels");
}

TEST(JsonLimitsTest, VeryDeepInputFailsWithoutExhaustingTheStack) {
  std::string text(1 << 20, '[');
  EXPECT_EQ(ErrorOf(text), "conf/config.json:1:65: nesting deeper than 64 levels");
}

TEST(JsonLimitsTest, OversizeInputIsPayloadTooLarge) {
  auto result = ParseJsonWithPositions("[1,2,3]", "x.json", {.max_bytes = 6});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(result.error().message(), "x.json: 7 bytes is over the limit of 6 bytes");
}

TEST(JsonLimitsTest, LongSingleLineDocumentParsesInLinearTime) {
  // 200k elements on one line: column tracking must not rescan the line for each position.
  std::string text = "[";
  for (int i = 0; i < 200000; ++i) text += i == 0 ? "1" : ",1";
  text += "]";
  auto parsed = ParseJsonWithPositions(text, "x");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->positions.children.back().value.column, text.size() - 1);
}

}  // namespace
}  // namespace bedrock::core

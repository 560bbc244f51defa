#include "core/config.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace bedrock::core {
namespace {

constexpr std::string_view kConfig = R"({
  "server": {
    "listen": 7002,
    "tls": {"enabled": "yes"}
  },
  "mcpServers": {
    "files": {
      "command": "npx",
      "args": ["-y", 42],
      "timeout_ms": 1.5
    }
  },
  "weird.key": {"x": true}
}
)";

JsonDocument Parse(std::string_view text, const Env* env = nullptr) {
  auto doc = ParseJsonDocument(text, "conf/config.json", {.env = env});
  EXPECT_TRUE(doc.ok()) << doc.error().message();
  return std::move(doc).value();
}

template <typename T>
std::string ErrorMessage(const Result<T>& result) {
  if (result.ok()) return "(ok)";
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  return result.error().message();
}

// A scratch directory for file tests, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bedrock-config-XXXXXX");
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, std::string_view content) {
    std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --- typed accessors and their errors ---

TEST(ConfigNodeTest, ReadsTypedValues) {
  JsonDocument doc = Parse(R"({"name": "gw", "port": 7002, "ratio": 0.5, "on": true,
                              "tags": ["a", "b"], "obj": {}, "list": []})");
  ConfigNode root = doc.Root();
  EXPECT_EQ(*root.GetString("name"), "gw");
  EXPECT_EQ(*root.GetInt("port"), 7002);
  EXPECT_EQ(*root.GetNumber("ratio"), 0.5);
  EXPECT_EQ(*root.GetNumber("port"), 7002.0);
  EXPECT_EQ(*root.GetBool("on"), true);
  EXPECT_EQ(*root.GetStringArray("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(root.GetObject("obj").ok());
  EXPECT_TRUE(root.GetArray("list").ok());
  EXPECT_EQ(root.GetObject("obj")->path(), "obj");
}

TEST(ConfigNodeTest, WrongTypeNamesFileLineColumnAndKeyPath) {
  JsonDocument doc = Parse(kConfig);
  ConfigNode server = *doc.Root().GetObject("server");
  EXPECT_EQ(ErrorMessage(server.GetString("listen")),
            "conf/config.json:3:5: \"server.listen\": expected a string, found a number (7002)");
}

TEST(ConfigNodeTest, WrongTypeDeepInsideNamesTheFullPath) {
  JsonDocument doc = Parse(kConfig);
  ConfigNode files = *doc.Root().GetObject("mcpServers")->GetObject("files");
  EXPECT_EQ(ErrorMessage(files.GetStringArray("args")),
            "conf/config.json:9:22: \"mcpServers.files.args[1]\": expected a string, found a "
            "number (42)");
  EXPECT_EQ(ErrorMessage(files.GetInt("timeout_ms")),
            "conf/config.json:10:7: \"mcpServers.files.timeout_ms\": expected an integer, found "
            "a number (1.5)");
  EXPECT_EQ(ErrorMessage(doc.Root().GetObject("server")->GetObject("tls")->GetBool("enabled")),
            "conf/config.json:4:13: \"server.tls.enabled\": expected a boolean (true or false), "
            "found a string");
}

TEST(ConfigNodeTest, MissingRequiredKeyPointsAtTheEnclosingObject) {
  JsonDocument doc = Parse(kConfig);
  ConfigNode files = *doc.Root().GetObject("mcpServers")->GetObject("files");
  EXPECT_EQ(ErrorMessage(files.GetString("cwd")),
            "conf/config.json:7:14: \"mcpServers.files.cwd\": missing required key");
}

TEST(ConfigNodeTest, KeysThatAreNotIdentifiersAreQuotedInPaths) {
  JsonDocument doc = Parse(kConfig);
  ConfigNode weird = *doc.Root().GetObject("weird.key");
  EXPECT_EQ(weird.path(), "[\"weird.key\"]");
  EXPECT_EQ(ErrorMessage(weird.GetString("x")),
            "conf/config.json:13:17: \"[\"weird.key\"].x\": expected a string, found a boolean "
            "(true)");
}

TEST(ConfigNodeTest, AccessorOnANonObjectIsATypeError) {
  JsonDocument doc = Parse(R"({"server": "localhost"})");
  ConfigNode server = *doc.Root().Get("server");
  EXPECT_EQ(ErrorMessage(server.GetString("listen")),
            "conf/config.json:1:2: \"server\": expected an object, found a string");
  EXPECT_FALSE(server.Has("listen"));
  EXPECT_FALSE(server.Find("listen").has_value());
}

TEST(ConfigNodeTest, RootTypeErrorHasNoPath) {
  JsonDocument doc = Parse("[1]");
  EXPECT_EQ(ErrorMessage(doc.Root().GetString("x")),
            "conf/config.json:1:1: expected an object, found an array");
}

TEST(ConfigNodeTest, StringValuesAreNeverShownInErrors) {
  JsonDocument doc = Parse(R"({"port": "hunter2-password"})");
  std::string message = ErrorMessage(doc.Root().GetInt("port"));
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
  EXPECT_EQ(message, "conf/config.json:1:2: \"port\": expected an integer, found a string");
}

TEST(ConfigNodeTest, SecretKeyNumbersAreNeverShownInErrors) {
  JsonDocument doc = Parse(R"({"api_key": 123456789})");
  std::string message = ErrorMessage(doc.Root().GetString("api_key"));
  EXPECT_EQ(message.find("123456789"), std::string::npos);
}

TEST(ConfigNodeTest, OptionalAccessorsTreatAbsentAndNullAlike) {
  JsonDocument doc = Parse(R"({"a": null, "b": "x", "c": 5})");
  ConfigNode root = doc.Root();
  EXPECT_EQ(*root.OptionalString("missing"), std::nullopt);
  EXPECT_EQ(*root.OptionalString("a"), std::nullopt);
  EXPECT_EQ(*root.OptionalString("b"), "x");
  EXPECT_EQ(root.OptionalInt("missing")->value_or(30), 30);
  EXPECT_EQ(*root.OptionalInt("c"), 5);
  EXPECT_FALSE(root.OptionalObject("a")->has_value());
  EXPECT_FALSE(root.OptionalArray("missing")->has_value());
  EXPECT_FALSE(root.OptionalBool("a")->has_value());
  EXPECT_FALSE(root.OptionalNumber("a")->has_value());
  EXPECT_FALSE(root.OptionalStringArray("a")->has_value());
}

TEST(ConfigNodeTest, OptionalAccessorWithWrongTypeIsAnError) {
  JsonDocument doc = Parse(R"({"b": "x"})");
  EXPECT_EQ(ErrorMessage(doc.Root().OptionalInt("b")),
            "conf/config.json:1:2: \"b\": expected an integer, found a string");
  EXPECT_FALSE(doc.Root().OptionalObject("b").ok());
}

TEST(ConfigNodeTest, ExplicitNullForARequiredKeyIsATypeError) {
  JsonDocument doc = Parse(R"({"a": null})");
  EXPECT_EQ(ErrorMessage(doc.Root().GetString("a")),
            "conf/config.json:1:2: \"a\": expected a string, found null");
}

TEST(ConfigNodeTest, IntegersAcceptIntegralDoublesOnly) {
  JsonDocument doc = Parse(R"({"a": 1e3, "b": 1.5, "c": 18446744073709551615, "d": 1e300})");
  ConfigNode root = doc.Root();
  EXPECT_EQ(*root.GetInt("a"), 1000);
  EXPECT_FALSE(root.GetInt("b").ok());
  EXPECT_EQ(ErrorMessage(root.GetInt("c")),
            "conf/config.json:1:22: \"c\": 18446744073709551615 is out of range for an integer");
  EXPECT_FALSE(root.GetInt("d").ok());
}

TEST(ConfigNodeTest, IntInRangeRejectsValuesOutside) {
  JsonDocument doc = Parse(R"({"port": 70000, "ok": 443})");
  EXPECT_EQ(ErrorMessage(doc.Root().GetIntInRange("port", 1, 65535)),
            "conf/config.json:1:2: \"port\": 70000 is out of range [1, 65535]");
  EXPECT_EQ(*doc.Root().GetIntInRange("ok", 1, 65535), 443);
  EXPECT_EQ(*doc.Root().OptionalIntInRange("missing", 1, 2), std::nullopt);
}

TEST(ConfigNodeTest, FailMakesCustomErrorsInTheSameFormat) {
  JsonDocument doc = Parse(kConfig);
  ConfigNode listen = *doc.Root().GetObject("server")->Get("listen");
  EXPECT_EQ(listen.Fail(R"(expected a string like "127.0.0.1:7002")").message(),
            R"(conf/config.json:3:5: "server.listen": expected a string like "127.0.0.1:7002")");
  EXPECT_EQ(listen.Location(), "conf/config.json:3:5");
  EXPECT_EQ(listen.value_position().column, 15u);
  EXPECT_EQ(listen.key(), "listen");
  EXPECT_EQ(listen.TypeName(), "a number");
}

TEST(ConfigNodeTest, MembersAndElementsKeepFileOrder) {
  JsonDocument doc = Parse(R"({"z": 1, "a": 2, "list": ["x", "y"]})");
  auto members = doc.Root().Members();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].key(), "z");
  EXPECT_EQ(members[1].key(), "a");
  auto elements = members[2].Elements();
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[1].path(), "list[1]");
  EXPECT_EQ(*elements[1].AsString(), "y");
  EXPECT_TRUE(doc.Root().Elements().empty());
}

TEST(ConfigNodeTest, NodeKeepsTheDocumentAlive) {
  std::optional<ConfigNode> node;
  {
    JsonDocument doc = Parse(R"({"a": {"b": "kept"}})");
    node = *doc.Root().GetObject("a");
  }
  EXPECT_EQ(*node->GetString("b"), "kept");
}

// --- unknown keys ---

TEST(ConfigUnknownKeysTest, RejectsAnUnknownKeyWithASuggestion) {
  JsonDocument doc = Parse("{\n  \"server\": {\n    \"lisen\": \"x\"\n  }\n}");
  ConfigNode server = *doc.Root().GetObject("server");
  EXPECT_EQ(ErrorMessage(server.RejectUnknownKeys({"listen", "tls"})),
            "conf/config.json:3:5: \"server.lisen\": unknown key (did you mean \"listen\"?)");
}

TEST(ConfigUnknownKeysTest, ListsTheAllowedKeysWhenNothingIsClose) {
  JsonDocument doc = Parse(R"({"zzz": 1})");
  EXPECT_EQ(ErrorMessage(doc.Root().RejectUnknownKeys({"listen", "tls"})),
            "conf/config.json:1:2: \"zzz\": unknown key (expected one of: listen, tls)");
}

TEST(ConfigUnknownKeysTest, FindUnknownKeysReportsEach) {
  JsonDocument doc = Parse(R"({"listen": 1, "a": 2, "b": 3})");
  auto unknown = doc.Root().FindUnknownKeys({"listen"});
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_NE(unknown[0].message().find("\"a\": unknown key"), std::string::npos);
  EXPECT_NE(unknown[1].message().find("\"b\": unknown key"), std::string::npos);
  EXPECT_TRUE(doc.Root().RejectUnknownKeys({"listen", "a", "b"}).ok());
}

// --- ${ENV} substitution ---

TEST(ConfigEnvTest, SubstitutesStringValuesFromTheInjectedEnv) {
  FakeEnv env({{"HOST", "127.0.0.1"}, {"GITHUB_TOKEN", "ghp_x"}});
  JsonDocument doc = Parse(R"({"listen": "${HOST}:${PORT:-7002}", "list": ["${HOST}"],
                              "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}, "n": 5})",
                           &env);
  EXPECT_EQ(*doc.Root().GetString("listen"), "127.0.0.1:7002");
  EXPECT_EQ(doc.value().at("list").at(0), "127.0.0.1");
  EXPECT_EQ(doc.value().at("env").at("GITHUB_TOKEN"), "ghp_x");
}

TEST(ConfigEnvTest, EscapedReferenceStaysLiteral) {
  FakeEnv env;
  JsonDocument doc = Parse(R"({"template": "$${NAME}"})", &env);
  EXPECT_EQ(*doc.Root().GetString("template"), "${NAME}");
}

TEST(ConfigEnvTest, KeysAreNotSubstituted) {
  FakeEnv env({{"K", "v"}});
  JsonDocument doc = Parse(R"({"${K}": "${K}"})", &env);
  EXPECT_EQ(*doc.Root().GetString("${K}"), "v");
}

TEST(ConfigEnvTest, WithoutAnEnvNothingIsSubstituted) {
  JsonDocument doc = Parse(R"({"a": "${UNSET}"})");
  EXPECT_EQ(*doc.Root().GetString("a"), "${UNSET}");
}

TEST(ConfigEnvTest, UnsetVariableNamesFileLineAndKeyPath) {
  FakeEnv env;
  auto doc = ParseJsonDocument(
      "{\n  \"mcpServers\": {\n    \"gh\": {\"env\": {\"TOKEN\": \"${GITHUB_TOKEN}\"}}\n  }\n}",
      "conf/config.json", {.env = &env});
  EXPECT_EQ(ErrorMessage(doc),
            "conf/config.json:3:29: \"mcpServers.gh.env.TOKEN\": environment variable "
            "GITHUB_TOKEN is not set (use \"${GITHUB_TOKEN:-default}\" to give a default)");
}

TEST(ConfigEnvTest, UnsetVariableInAnArrayNamesTheElement) {
  FakeEnv env;
  auto doc = ParseJsonDocument(R"({"args": ["ok", "${NOPE}"]})", "c.json", {.env = &env});
  EXPECT_NE(ErrorMessage(doc).find("c.json:1:17: \"args[1]\": environment variable NOPE"),
            std::string::npos);
}

TEST(ConfigEnvTest, MalformedReferenceIsAnError) {
  FakeEnv env;
  auto doc = ParseJsonDocument(R"({"a": "${BAD NAME}"})", "c.json", {.env = &env});
  EXPECT_NE(ErrorMessage(doc).find("c.json:1:7: \"a\": invalid environment variable reference"),
            std::string::npos);
}

// --- bad documents through ParseJsonDocument ---

TEST(ParseJsonDocumentTest, SyntaxErrorNamesTheSource) {
  auto doc = ParseJsonDocument("{\"a\": 1,}", "conf/config.json");
  EXPECT_EQ(ErrorMessage(doc), "conf/config.json:1:9: trailing comma before '}'");
}

TEST(ParseJsonDocumentTest, TooDeepIsAnError) {
  std::string text = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(ErrorMessage(ParseJsonDocument(text, "c.json")),
            "c.json:1:65: nesting deeper than 64 levels");
}

TEST(ParseJsonDocumentTest, TooLargeIsAnError) {
  std::string text = "\"" + std::string((16 << 20), 'x') + "\"";
  auto doc = ParseJsonDocument(text, "c.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(doc.error().message(), "c.json: 16777218 bytes is over the limit of 16777216 bytes");
}

// --- files ---

TEST(LoadJsonFileTest, LoadsAFileWithABomAndTrailingNewline) {
  TempDir dir;
  std::string path = dir.Write("config.json", "\xEF\xBB\xBF{\"listen\": \"127.0.0.1:7002\"}\n");
  auto doc = LoadJsonFile(path);
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  EXPECT_EQ(doc->source_name(), path);
  EXPECT_EQ(*doc->Root().GetString("listen"), "127.0.0.1:7002");
}

TEST(LoadJsonFileTest, SyntaxErrorMessageStartsWithThePath) {
  TempDir dir;
  std::string path = dir.Write("config.json", "{\n  \"a\": 1\n  \"b\": 2\n}\n");
  EXPECT_EQ(ErrorMessage(LoadJsonFile(path)),
            path + ":3:3: expected ',' or '}' after an object member, found '\"'");
}

TEST(LoadJsonFileTest, MissingFileIsNotFound) {
  TempDir dir;
  auto doc = LoadJsonFile(dir.path() + "/nope.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(doc.error().message(), dir.path() + "/nope.json: no such file");
}

TEST(LoadJsonFileTest, MissingDirectoryIsNotFound) {
  TempDir dir;
  std::string path = dir.Write("file", "{}") + "/config.json";  // a path through a regular file
  EXPECT_EQ(LoadJsonFile(path).error().code(), ErrorCode::kNotFound);
}

TEST(LoadJsonFileTest, DirectoryIsNotAFile) {
  TempDir dir;
  auto doc = LoadJsonFile(dir.path());
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(doc.error().message(), dir.path() + ": is a directory, not a file");
}

TEST(LoadJsonFileTest, UnreadableFileIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir dir;
  std::string path = dir.Write("secret.json", "{}");
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  auto doc = LoadJsonFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), ErrorCode::kPermissionDenied);
}

TEST(LoadJsonFileTest, OversizeFileIsRejectedBeforeReading) {
  TempDir dir;
  std::string path = dir.Write("huge.json", "");
  ASSERT_EQ(::truncate(path.c_str(), (16 << 20) + 1), 0);  // sparse: nothing is written
  auto doc = LoadJsonFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(doc.error().message(), path + ": 16777217 bytes is over the limit of 16777216 bytes");
}

TEST(LoadJsonFileTest, EndlessStreamIsRejectedAtTheLimit) {
  if (::access("/dev/zero", R_OK) != 0) GTEST_SKIP() << "no /dev/zero";
  auto doc = LoadJsonFile("/dev/zero", {.limits = {.max_bytes = 10000}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(doc.error().message(), "/dev/zero: more than the limit of 10000 bytes");
}

TEST(LoadJsonFileTest, SubstitutesEnvWhenGivenOne) {
  TempDir dir;
  std::string path = dir.Write("c.json", R"({"region": "${AWS_REGION:-us-east-1}"})");
  FakeEnv env({{"AWS_REGION", "eu-west-1"}});
  auto doc = LoadJsonFile(path, {.env = &env});
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(*doc->Root().GetString("region"), "eu-west-1");
}

TEST(AppendKeyToPathTest, JoinsWithDotsAndQuotesOddKeys) {
  EXPECT_EQ(AppendKeyToPath("", "server"), "server");
  EXPECT_EQ(AppendKeyToPath("server", "listen"), "server.listen");
  EXPECT_EQ(AppendKeyToPath("env", "a.b"), "env[\"a.b\"]");
  EXPECT_EQ(AppendKeyToPath("x", "say \"hi\""), "x[\"say \\\"hi\\\"\"]");
  EXPECT_EQ(AppendKeyToPath("x", ""), "x[\"\"]");
  EXPECT_EQ(AppendKeyToPath("x", "a\nb\x01"), "x[\"a\\nb\\u0001\"]");
}

}  // namespace
}  // namespace bedrock::core

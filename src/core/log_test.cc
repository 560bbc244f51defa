#include "core/log.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace bedrock::core {
namespace {

constexpr std::string_view kSecret = "s3cr3t-VALUE-9f8e7d";
constexpr std::string_view kAccessKeyId = "AKIAIOSFODNN7EXAMPLE";

// Captures every line logged while it exists; restores the default (stderr, info, text) after.
class LogCapture {
 public:
  explicit LogCapture(LogFormat format, LogLevel level = LogLevel::kTrace) {
    InitLogging({.level = level,
                 .format = format,
                 .output =
                     [this](std::string_view line) {
                       std::lock_guard lock(mutex_);
                       lines_.emplace_back(line);
                     },
                 .clock = &clock_});
  }
  ~LogCapture() { InitLogging({}); }

  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::string only_line() {
    auto all = lines();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? std::string() : all.back();
  }
  FakeClock& clock() { return clock_; }

 private:
  FakeClock clock_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

boost::json::object ParseLine(const std::string& line) {
  boost::json::error_code ec;
  auto value = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << "not JSON: " << line;
  if (ec || !value.is_object()) return {};
  return value.as_object();
}

// --- options ---

TEST(ParseLogLevelTest, AcceptsEveryLevelInAnyCase) {
  EXPECT_EQ(*ParseLogLevel("trace"), LogLevel::kTrace);
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("Warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(*ParseLogLevel("off"), LogLevel::kOff);
}

TEST(ParseLogLevelTest, UnknownLevelIsInvalidArgumentListingTheChoices) {
  auto result = ParseLogLevel("verbose");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("trace, debug, info, warn, error"), std::string::npos);
  EXPECT_FALSE(ParseLogLevel("").ok());
  EXPECT_FALSE(ParseLogLevel("warning").ok());
}

TEST(ParseLogFormatTest, AcceptsTextAndJsonOnly) {
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(*ParseLogFormat("JSON"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("yaml").ok());
}

// --- formats ---

TEST(LogTextFormatTest, LineHasTimestampLevelComponentMessageAndFields) {
  LogCapture capture(LogFormat::kText);
  BEDROCK_LOG_INFO("http", "listening on {}:{}", "127.0.0.1", 7002);
  BEDROCK_LOG_WARN("mcp", "server exited",
                   {{"server", "files"}, {"status", 1}, {"ok", false}, {"ms", 1.5}});
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "2024-01-01T00:00:00.000Z INFO  http: listening on 127.0.0.1:7002");
  EXPECT_EQ(lines[1],
            "2024-01-01T00:00:00.000Z WARN  mcp: server exited server=files status=1 ok=false "
            "ms=1.5");
}

TEST(LogTextFormatTest, ValuesWithSpacesQuotesOrEqualsAreQuoted) {
  LogCapture capture(LogFormat::kText);
  BEDROCK_LOG_INFO("c", "m", {{"a", "two words"}, {"b", "x=y"}, {"c", "say \"hi\""}, {"d", ""}});
  EXPECT_EQ(capture.only_line(),
            R"(2024-01-01T00:00:00.000Z INFO  c: m a="two words" b="x=y" c="say \"hi\"" d="")");
}

TEST(LogTextFormatTest, NewlinesAndEscapesCannotForgeLines) {
  LogCapture capture(LogFormat::kText);
  BEDROCK_LOG_INFO("c", "user said {}", "hi\n2024-01-01T00:00:00.000Z ERROR fake: \x1b[31m");
  std::string line = capture.only_line();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_NE(line.find("hi\\n2024"), std::string::npos);
}

TEST(LogTextFormatTest, JsonFieldWrittenCompact) {
  LogCapture capture(LogFormat::kText);
  auto body = boost::json::parse(R"({"model": "m", "n": [1, 2]})");
  BEDROCK_LOG_DEBUG("aws", "request", {{"body", body}});
  EXPECT_EQ(capture.only_line(),
            R"(2024-01-01T00:00:00.000Z DEBUG aws: request body={"model":"m","n":[1,2]})");
}

TEST(LogJsonFormatTest, EachLineIsOneJsonObjectWithTheStandardMembers) {
  LogCapture capture(LogFormat::kJson);
  capture.clock().Advance(std::chrono::milliseconds(1234));
  BEDROCK_LOG_ERROR("mcp", "server {} exited", "files");
  BEDROCK_LOG_INFO("http", "done",
                   {{"status", 200},
                    {"bytes", uint64_t{18446744073709551615u}},
                    {"ok", true},
                    {"nothing", nullptr},
                    {"ratio", 0.25}});
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  auto first = ParseLine(lines[0]);
  EXPECT_EQ(first.at("ts"), "2024-01-01T00:00:01.234Z");
  EXPECT_EQ(first.at("level"), "error");
  EXPECT_EQ(first.at("component"), "mcp");
  EXPECT_EQ(first.at("msg"), "server files exited");
  auto second = ParseLine(lines[1]);
  EXPECT_EQ(second.at("level"), "info");
  EXPECT_EQ(second.at("status"), 200);
  EXPECT_EQ(second.at("bytes"), uint64_t{18446744073709551615u});
  EXPECT_EQ(second.at("ok"), true);
  EXPECT_TRUE(second.at("nothing").is_null());
  EXPECT_EQ(second.at("ratio"), 0.25);
}

TEST(LogJsonFormatTest, ControlCharactersAndInvalidUtf8StillGiveValidJson) {
  LogCapture capture(LogFormat::kJson);
  BEDROCK_LOG_INFO("c", "bad {}", std::string_view("\xff\xfe\n\t\"\\\x01 \xc3\xa9"));
  auto line = ParseLine(capture.only_line());
  EXPECT_EQ(line.at("msg"), "bad \xEF\xBF\xBD\xEF\xBF\xBD\n\t\"\\\x01 é");
}

TEST(LogJsonFormatTest, NonFiniteDoublesBecomeNull) {
  LogCapture capture(LogFormat::kJson);
  BEDROCK_LOG_INFO("c", "m", {{"inf", std::numeric_limits<double>::infinity()}});
  EXPECT_TRUE(ParseLine(capture.only_line()).at("inf").is_null());
}

TEST(LogJsonFormatTest, FieldsNamedLikeStandardMembersAreRenamed) {
  LogCapture capture(LogFormat::kJson);
  BEDROCK_LOG_INFO("c", "real", {{"msg", "fake"}, {"level", "fake"}});
  auto line = ParseLine(capture.only_line());
  EXPECT_EQ(line.at("msg"), "real");
  EXPECT_EQ(line.at("field_msg"), "fake");
  EXPECT_EQ(line.at("field_level"), "fake");
}

TEST(LogJsonFormatTest, JsonFieldIsNested) {
  LogCapture capture(LogFormat::kJson);
  auto body = boost::json::parse(R"({"model": "m", "max_tokens": 10})");
  BEDROCK_LOG_INFO("c", "m", {{"body", body}});
  auto line = ParseLine(capture.only_line());
  EXPECT_EQ(line.at("body").at("max_tokens"), 10);
}

TEST(LogJsonFormatTest, ErrorFieldWrittenAsCodeAndMessage) {
  LogCapture capture(LogFormat::kJson);
  Error error = Error::NotFound("no server named {}", "x");
  BEDROCK_LOG_WARN("c", "lookup failed", {{"error", error}});
  EXPECT_EQ(ParseLine(capture.only_line()).at("error"), "not_found: no server named x");
}

TEST(LogFormatTest, DoubleBracesInAFormatWithoutArgumentsAreUnescaped) {
  LogCapture capture(LogFormat::kText);
  BEDROCK_LOG_INFO("c", "literal {{}}");
  EXPECT_NE(capture.only_line().find("c: literal {}"), std::string::npos);
}

// --- levels ---

TEST(LogLevelTest, RecordsBelowTheLevelAreDropped) {
  LogCapture capture(LogFormat::kJson, LogLevel::kWarn);
  BEDROCK_LOG_TRACE("c", "t");
  BEDROCK_LOG_DEBUG("c", "d");
  BEDROCK_LOG_INFO("c", "i");
  BEDROCK_LOG_WARN("c", "w");
  BEDROCK_LOG_ERROR("c", "e");
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(ParseLine(lines[0]).at("level"), "warn");
  EXPECT_EQ(ParseLine(lines[1]).at("level"), "error");
}

int g_evaluations = 0;
std::string CountedArgument() {
  ++g_evaluations;
  return "expensive";
}

TEST(LogLevelTest, DisabledStatementEvaluatesNoArgumentsOrFields) {
  LogCapture capture(LogFormat::kText, LogLevel::kInfo);
  g_evaluations = 0;
  BEDROCK_LOG_DEBUG("c", "value {}", CountedArgument());
  BEDROCK_LOG_DEBUG("c", CountedArgument(), {{"k", CountedArgument()}});
  EXPECT_EQ(g_evaluations, 0);
  BEDROCK_LOG_INFO("c", "value {}", CountedArgument());
  EXPECT_EQ(g_evaluations, 1);
  EXPECT_EQ(capture.lines().size(), 1u);
}

TEST(LogLevelTest, SetLogLevelTakesEffectImmediately) {
  LogCapture capture(LogFormat::kText, LogLevel::kError);
  BEDROCK_LOG_INFO("c", "dropped");
  SetLogLevel(LogLevel::kDebug);
  EXPECT_EQ(GetLogLevel(), LogLevel::kDebug);
  BEDROCK_LOG_DEBUG("c", "kept");
  SetLogLevel(LogLevel::kOff);
  BEDROCK_LOG_ERROR("c", "dropped");
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("kept"), std::string::npos);
}

TEST(LogLevelTest, DirectLogCallRespectsTheLevel) {
  LogCapture capture(LogFormat::kText, LogLevel::kWarn);
  Log(LogLevel::kInfo, "c", "dropped");
  Log(LogLevel::kWarn, "c", "kept", {{"n", 1}});
  EXPECT_NE(capture.only_line().find("kept n=1"), std::string::npos);
}

// --- redaction: no secret ever reaches the output ---

// Every way a secret can be handed to the logger, in both formats.
void LogSecretsEveryWay() {
  std::string secret(kSecret);
  BEDROCK_LOG_INFO("c", "header Authorization: Bearer {}", secret);
  BEDROCK_LOG_INFO("c", "calling with Bearer {} now", secret);
  BEDROCK_LOG_INFO("c", "url https://h/p?X-Amz-Signature={}&X-Amz-Security-Token={}&a=1", secret,
                   secret);
  BEDROCK_LOG_INFO("c", "key id {}", kAccessKeyId);
  BEDROCK_LOG_INFO("c", "body {{\"access_token\": \"{}\"}}", secret);
  BEDROCK_LOG_INFO("c", "form password={}&user=u", secret);
  BEDROCK_LOG_INFO("c", "aws_secret_access_key = {}", secret);
  BEDROCK_LOG_INFO("c", "fields",
                   {{"authorization", secret},
                    {"Proxy-Authorization", secret},
                    {"x-api-key", secret},
                    {"api_key", secret},
                    {"token", secret},
                    {"refresh_token", secret},
                    {"id_token", secret},
                    {"aws_session_token", secret},
                    {"X-Amz-Security-Token", secret},
                    {"SecretAccessKey", secret},
                    {"password", secret},
                    {"client_secret", secret},
                    {"cookie", secret},
                    {"Set-Cookie", secret},
                    {"pin_password", 987654321},
                    {"note", "Bearer " + secret},
                    {"key_id", kAccessKeyId}});
  Error error = Error::Unauthenticated("rejected token={}", secret);
  BEDROCK_LOG_WARN("c", "call failed", {{"error", error}});
  auto body = boost::json::parse(R"({"headers": {"x-api-key": ")" + secret +
                                 R"("}, "messages": [{"content": "Bearer )" + secret + R"("}]})");
  BEDROCK_LOG_DEBUG("c", "request", {{"body", body}});
  Log(LogLevel::kInfo, "c", fmt::format("direct token: {}", secret));
}

TEST(LogRedactionTest, NoSecretAppearsInAnyTextLine) {
  LogCapture capture(LogFormat::kText);
  LogSecretsEveryWay();
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 11u);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    EXPECT_EQ(line.find(kAccessKeyId), std::string::npos) << line;
    EXPECT_EQ(line.find("987654321"), std::string::npos) << line;
    EXPECT_NE(line.find("[REDACTED]"), std::string::npos) << line;
  }
}

TEST(LogRedactionTest, NoSecretAppearsInAnyJsonLine) {
  LogCapture capture(LogFormat::kJson);
  LogSecretsEveryWay();
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 11u);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    EXPECT_EQ(line.find(kAccessKeyId), std::string::npos) << line;
    EXPECT_EQ(line.find("987654321"), std::string::npos) << line;
    EXPECT_NE(line.find("[REDACTED]"), std::string::npos) << line;
    ParseLine(line);
  }
}

TEST(LogRedactionTest, SecretFieldsKeepTheirKeysAndOtherFieldsTheirValues) {
  LogCapture capture(LogFormat::kJson);
  BEDROCK_LOG_INFO("c", "m", {{"token", "abc"}, {"model", "claude"}, {"max_tokens", 100}});
  auto line = ParseLine(capture.only_line());
  EXPECT_EQ(line.at("token"), "[REDACTED]");
  EXPECT_EQ(line.at("model"), "claude");
  EXPECT_EQ(line.at("max_tokens"), 100);
}

TEST(LogRedactionTest, CallsStraightToSpdlogAreFormattedAndRedactedToo) {
  LogCapture capture(LogFormat::kJson, LogLevel::kInfo);
  spdlog::info("token={} for {}", kSecret, "x");
  spdlog::debug("below the level");
  auto line = capture.only_line();
  EXPECT_EQ(line.find(kSecret), std::string::npos);
  auto json = ParseLine(line);
  EXPECT_EQ(json.at("msg"), "token=[REDACTED] for x");
  EXPECT_EQ(json.at("level"), "info");
  EXPECT_EQ(json.at("component"), "spdlog");
}

TEST(LogRedactionTest, ReplacingSpdlogFormatterCannotDisableRedaction) {
  LogCapture capture(LogFormat::kText);
  spdlog::set_pattern("%v");
  spdlog::info("password={}", kSecret);
  EXPECT_EQ(capture.only_line().find(kSecret), std::string::npos);
}

// --- concurrency ---

TEST(LogConcurrencyTest, ConcurrentRecordsArriveAsWholeLines) {
  LogCapture capture(LogFormat::kJson);
  constexpr int kThreads = 4, kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        BEDROCK_LOG_INFO("worker", "record",
                         {{"thread", t}, {"i", i}, {"pad", std::string(100, 'x')}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  for (const auto& line : lines) EXPECT_EQ(ParseLine(line).at("msg"), "record");
}

}  // namespace
}  // namespace bedrock::core

#include "emulator/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace bedrock::emulator {
namespace {

class EmulatorConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emu-config-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    std::string path = (dir_ / "emulator.json").string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(EmulatorConfigTest, ReadsEveryKey) {
  core::FakeEnv env({{"SECRET", "s3cret"}});
  std::string path = Write(R"({
    "listen": {"host": "0.0.0.0", "port": 0}, "threads": 3,
    "auth": {"mode": "verify", "region": "eu-west-1", "useEnvironment": false,
             "credentials": [{"accessKeyId": "AK", "secretAccessKey": "${SECRET}"}],
             "apiKeys": ["k1"]},
    "models": ["my.model"], "acceptAnyModel": true,
    "script": "rules.json", "docs": "kb",
    "knowledgeBase": {"chunkTokens": 100, "bucket": "b", "dataSourceId": "DS1"},
    "faults": [{"fault": "throttle;attempts=1", "every": 2, "probability": 0.5,
                "operations": ["converse"], "model": "nova"}],
    "seed": 9, "stream": {"chunkBytes": 4, "delayMs": 10}, "maxSessions": 5})");
  EmulatorConfig config;
  auto loaded = LoadEmulatorConfigFile(path, env, config);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(config.host, "0.0.0.0");
  EXPECT_EQ(config.port, 0);
  EXPECT_EQ(config.threads, 3);
  EXPECT_EQ(config.auth_mode, AuthMode::kVerify);
  EXPECT_EQ(config.region, "eu-west-1");
  EXPECT_FALSE(config.use_environment_credentials);
  ASSERT_EQ(config.credentials.size(), 1u);
  EXPECT_EQ(config.credentials[0].secret_access_key, "s3cret");
  EXPECT_EQ(config.api_keys, std::vector<std::string>{"k1"});
  EXPECT_TRUE(config.accept_any_model);
  EXPECT_EQ(config.script_path, (dir_ / "rules.json").string());
  EXPECT_EQ(config.docs_dir, (dir_ / "kb").string());
  EXPECT_EQ(config.knowledge_base.chunk_tokens, 100);
  ASSERT_EQ(config.faults.size(), 1u);
  EXPECT_EQ(config.faults[0].every, 2);
  EXPECT_EQ(config.faults[0].faults.at(0).attempts, 1);
  EXPECT_EQ(config.seed, 9u);
  EXPECT_EQ(config.stream_chunk_bytes, 4u);
  EXPECT_EQ(config.stream_delay, std::chrono::milliseconds(10));
  EXPECT_EQ(config.max_sessions, 5u);
}

TEST_F(EmulatorConfigTest, UnknownKeyNamesItsPosition) {
  EmulatorConfig config;
  auto loaded = LoadEmulatorConfigFile(Write("{\n  \"lisen\": {}\n}"), core::FakeEnv{}, config);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message().find("emulator.json:2:3"), std::string::npos)
      << loaded.error();
}

TEST_F(EmulatorConfigTest, BadFaultSpecIsAnError) {
  EmulatorConfig config;
  auto loaded =
      LoadEmulatorConfigFile(Write(R"({"faults": [{"fault": "boom"}]})"), core::FakeEnv{}, config);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message().find("unknown fault 'boom'"), std::string::npos);
}

TEST_F(EmulatorConfigTest, BadAuthModeIsAnError) {
  EmulatorConfig config;
  EXPECT_FALSE(
      LoadEmulatorConfigFile(Write(R"({"auth": {"mode": "maybe"}})"), core::FakeEnv{}, config)
          .ok());
}

TEST_F(EmulatorConfigTest, ProbabilityOutOfRangeIsAnError) {
  EmulatorConfig config;
  EXPECT_FALSE(
      LoadEmulatorConfigFile(Write(R"({"faults": [{"fault": "throttle", "probability": 2}]})"),
                             core::FakeEnv{}, config)
          .ok());
}

}  // namespace
}  // namespace bedrock::emulator

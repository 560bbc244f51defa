// The real `bedrock-mcp serve` binary on loopback: start-up, /healthz, bad input, configuration
// errors, shutdown on SIGTERM.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "binary_process.h"

namespace bedrock::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// A minimal environment without AWS credentials: HOME points nowhere, so no ~/.aws files either.
std::map<std::string, std::string> CleanEnv() { return {{"HOME", "/nonexistent-bedrock-home"}}; }

// Sends raw bytes to 127.0.0.1:port and returns everything the server sends before closing
// (or before `deadline`).
std::string RawExchange(int port, const std::string& bytes,
                        std::chrono::milliseconds deadline = 10s) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "<connect failed>";
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += size_t(n);
  }
  std::string reply;
  auto until = std::chrono::steady_clock::now() + deadline;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reply.append(buffer, size_t(n));
  }
  close(fd);
  return reply;
}

std::string Get(int port, const std::string& target) {
  return RawExchange(port,
                     "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

std::string BodyOf(const std::string& response) {
  auto split = response.find("\r\n\r\n");
  return split == std::string::npos ? std::string{} : response.substr(split + 4);
}

class ServeTest : public ::testing::Test {
 protected:
  // Starts `serve` on an ephemeral port and returns the port.
  int Start(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"serve", "--config",
                                     std::string(BEDROCK_SOURCE_DIR) + "/conf/config.json",
                                     "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    server_ = std::make_unique<BinaryProcess>(args, CleanEnv());
    auto line = server_->WaitForStderrLine("listening", 30s);
    EXPECT_TRUE(line.has_value()) << server_->stderr_text();
    if (!line) return 0;
    std::smatch m;
    std::regex port_re("127\\.0\\.0\\.1:([0-9]+)");
    EXPECT_TRUE(std::regex_search(*line, m, port_re)) << *line;
    return std::stoi(m[1]);
  }

  std::unique_ptr<BinaryProcess> server_;
};

TEST_F(ServeTest, HealthzAnswersJsonStatusWithVersion) {
  int port = Start();
  ASSERT_NE(port, 0);
  std::string response = Get(port, "/healthz");
  EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response, HasSubstr("Content-Type: application/json"));
  boost::json::value body = boost::json::parse(BodyOf(response));
  EXPECT_EQ(body.at("status"), "ok");
  EXPECT_TRUE(body.at("version").is_string());
  EXPECT_TRUE(body.at("uptime_seconds").is_int64());
}

TEST_F(ServeTest, UnknownPathGets404JsonAndServerKeepsServing) {
  int port = Start();
  ASSERT_NE(port, 0);
  std::string response = Get(port, "/no/such/path");
  EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.1 404"));
  EXPECT_EQ(boost::json::parse(BodyOf(response)).at("error").at("code"), "not_found");
  EXPECT_THAT(Get(port, "/healthz"), ::testing::StartsWith("HTTP/1.1 200"));
}

TEST_F(ServeTest, MalformedRequestGets400JsonAndServerKeepsServing) {
  int port = Start();
  ASSERT_NE(port, 0);
  std::string response = RawExchange(port, "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.1 400"));
  EXPECT_TRUE(boost::json::parse(BodyOf(response)).at("error").is_object());
  EXPECT_THAT(Get(port, "/healthz"), ::testing::StartsWith("HTTP/1.1 200"));
}

TEST_F(ServeTest, WithoutAwsCredentialsStartsAndPointsAtTheEmulator) {
  int port = Start();
  ASSERT_NE(port, 0);
  EXPECT_THAT(server_->stderr_text(), HasSubstr("no AWS credentials found"));
  EXPECT_THAT(server_->stderr_text(), HasSubstr("bedrock-mcp emulator"));
}

TEST_F(ServeTest, SigtermShutsDownGracefullyWithExitCodeZero) {
  int port = Start();
  ASSERT_NE(port, 0);
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->WaitForExit(30s), 0) << server_->stderr_text();
  EXPECT_THAT(server_->stderr_text(), HasSubstr("stopped"));
  EXPECT_EQ(Get(port, "/healthz"), "<connect failed>");
}

TEST_F(ServeTest, JsonLogFormatWritesOneJsonObjectPerLine) {
  int port = Start({"--log-format", "json"});
  ASSERT_NE(port, 0);
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->WaitForExit(30s), 0);
  std::istringstream lines(server_->stderr_text());
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    boost::json::value record = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    EXPECT_TRUE(record.at("level").is_string()) << line;
    ++count;
  }
  EXPECT_GE(count, 2);
}

TEST_F(ServeTest, SecretsInTheEnvironmentNeverReachTheLog) {
  auto env = CleanEnv();
  env["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE";
  env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  server_ = std::make_unique<BinaryProcess>(
      std::vector<std::string>{"serve", "--config",
                               std::string(BEDROCK_SOURCE_DIR) + "/conf/config.json", "--listen",
                               "127.0.0.1:0", "--log-level", "trace"},
      env);
  ASSERT_TRUE(server_->WaitForStderrLine("listening", 30s)) << server_->stderr_text();
  server_->Signal(SIGTERM);
  server_->WaitForExit(30s);
  EXPECT_THAT(server_->stderr_text(), HasSubstr("AWS credentials configured"));
  EXPECT_THAT(server_->stderr_text(), Not(HasSubstr("wJalrXUtnFEMI")));
  EXPECT_THAT(server_->stderr_text(), Not(HasSubstr("AKIAIOSFODNN7EXAMPLE")));
}

class ServeConfigErrorTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("bedrock-serve-test-" + std::to_string(getpid()) + ".json");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  std::filesystem::path path_;
};

TEST_F(ServeConfigErrorTest, SyntaxErrorNamesFileLineAndColumn) {
  std::string path = WriteConfig("{\n  \"server\": {\"listen\": \"127.0.0.1:1\",}\n}\n");
  CompletedRun run = RunBinary({"serve", "--config", path}, CleanEnv());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr(path + ":2:"));
}

TEST_F(ServeConfigErrorTest, WrongTypeNamesTheKey) {
  std::string path = WriteConfig("{\n  \"server\": {\n    \"listen\": 7002\n  }\n}\n");
  CompletedRun run = RunBinary({"serve", "--config", path}, CleanEnv());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr(path + ":3:"));
  EXPECT_THAT(run.stderr_text, HasSubstr("server.listen"));
}

TEST_F(ServeConfigErrorTest, UnsetEnvironmentVariableIsNamed) {
  std::string path = WriteConfig(R"({"server": {"listen": "${BEDROCK_TEST_UNSET_VAR}"}})");
  CompletedRun run = RunBinary({"serve", "--config", path}, CleanEnv());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr("BEDROCK_TEST_UNSET_VAR"));
}

TEST_F(ServeConfigErrorTest, MissingFileIsNamed) {
  CompletedRun run = RunBinary({"serve", "--config", "/nonexistent/bedrock.json"}, CleanEnv());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr("/nonexistent/bedrock.json"));
}

TEST_F(ServeConfigErrorTest, PortInUseFailsWithClearError) {
  // Occupy a port, then ask serve for it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string listen_arg = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  CompletedRun run =
      RunBinary({"serve", "--config", std::string(BEDROCK_SOURCE_DIR) + "/conf/config.json",
                 "--listen", listen_arg},
                CleanEnv());
  close(fd);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr("cannot start"));
}

TEST(CliTest, VersionAndHelpAndUnknownOption) {
  CompletedRun version = RunBinary({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.stdout_text, HasSubstr("bedrock-mcp "));
  CompletedRun help = RunBinary({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("serve"));
  EXPECT_THAT(help.stdout_text, HasSubstr("--log-level"));
  CompletedRun bad = RunBinary({"serve", "--log-level", "loud"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.stderr_text, HasSubstr("--log-level"));
}

TEST(CliTest, GlobalFlagsAfterTheEmulatorSubcommandParseAndItServesUntilSigterm) {
  BinaryProcess emulator({"emulator", "--port", "0", "--log-level", "debug"});
  auto line = emulator.WaitForStderrLine("listening", std::chrono::seconds(20));
  ASSERT_TRUE(line.has_value()) << emulator.stderr_text();
  emulator.Signal(SIGTERM);
  EXPECT_EQ(emulator.WaitForExit(std::chrono::seconds(20)), 0) << emulator.stderr_text();
}

}  // namespace
}  // namespace bedrock::testing

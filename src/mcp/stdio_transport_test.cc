// The stdio transport against a real child process (testing/mcp_test_server_main.cc), including a
// server that crashes, hangs, prints garbage, floods stderr or never answers initialize.
#include "mcp/stdio_transport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mcp/client.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::Event;
using testing::RunCoroutine;

StdioServerParams TestServer(std::vector<std::string> args = {}) {
  StdioServerParams params;
  params.name = "test";
  params.command = MCP_TEST_SERVER_PATH;
  params.args = std::move(args);
  return params;
}

StdioServerParams TestServerIn(std::string mode) {
  std::vector<std::string> args;
  args.push_back(std::move(mode));
  return TestServer(std::move(args));
}

json::object Args(std::string_view text) { return json::parse(text).as_object(); }

// Our child processes, in any state (running, exiting, or exited and never reaped).
std::vector<int> ChildProcesses() {
  std::vector<int> pids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    for (int pid; children >> pid;) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectTo(asio::any_io_executor ex,
                                                           StdioServerParams params,
                                                           StdioOptions stdio = {},
                                                           ClientOptions options = {}) {
  auto transport = SpawnStdioServer(ex, std::move(params), std::move(stdio));
  if (!transport.ok()) co_return transport.error();
  options.peer_name = "server 'test'";
  co_return co_await Client::Connect(*transport, Implementation("stdio-test", "1"),
                                     std::move(options));
}

TEST(StdioTransportTest, RoundTripWithRealChild) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectTo(ex, TestServer());
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ((*client)->server_info().name, "test-stdio-server");
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_GE(tools->size(), 6u);
    auto echoed = co_await (*client)->CallTool("echo", Args(R"({"text":"ünïcode ✓"})"));
    MCP_CO_ASSERT_OK(echoed);
    EXPECT_EQ(echoed->content.at(0).at("text"), "ünïcode ✓");
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, EnvironmentIsMergedOverMinimalInheritedSet) {
  ::setenv("BEDROCK_MCP_TEST_SECRET", "leaked", 1);
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto params = TestServer();
    params.env["GIVEN"] = "yes";
    auto client = co_await ConnectTo(ex, std::move(params));
    MCP_CO_ASSERT_OK(client);
    auto given = co_await (*client)->CallTool("env", Args(R"({"name":"GIVEN"})"));
    MCP_CO_ASSERT_OK(given);
    EXPECT_EQ(given->content.at(0).at("text"), "yes");
    auto secret =
        co_await (*client)->CallTool("env", Args(R"({"name":"BEDROCK_MCP_TEST_SECRET"})"));
    MCP_CO_ASSERT_OK(secret);
    EXPECT_EQ(secret->content.at(0).at("text"), "<unset>");
    auto path = co_await (*client)->CallTool("env", Args(R"({"name":"PATH"})"));
    MCP_CO_ASSERT_OK(path);
    EXPECT_NE(path->content.at(0).at("text"), "<unset>");
    co_await (*client)->Close();
  });
  ::unsetenv("BEDROCK_MCP_TEST_SECRET");
}

TEST(StdioTransportTest, CommandNotFoundIsAClearError) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    StdioServerParams params;
    params.name = "ghost";
    params.command = "no-such-mcp-server-binary";
    auto transport = SpawnStdioServer(ex, std::move(params));
    EXPECT_FALSE(transport.ok());
    if (!transport.ok()) {
      EXPECT_EQ(transport.error().code(), core::ErrorCode::kNotFound);
      EXPECT_NE(transport.error().message().find("server 'ghost'"), std::string::npos);
    }
    co_return;
  });
}

// execve fails in the forked child (ENOEXEC: executable bits on a file that is no program). The
// child must leave at once (not run our exit handlers) and be reaped before Spawn returns.
TEST(StdioTransportTest, FileThatCannotBeExecutedIsAClearErrorAndLeavesNoChild) {
  auto dir =
      std::filesystem::temp_directory_path() / ("bedrock-stdio-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto not_a_program = dir / "not-a-program";
  std::ofstream(not_a_program) << "\x01\x02 this is no program\n";
  std::filesystem::permissions(not_a_program, std::filesystem::perms::owner_all);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto children_before = ChildProcesses();
    StdioServerParams params;
    params.name = "broken";
    params.command = not_a_program.string();
    auto transport = SpawnStdioServer(ex, std::move(params));
    EXPECT_FALSE(transport.ok());
    if (!transport.ok()) {
      EXPECT_EQ(transport.error().code(), core::ErrorCode::kUnavailable);
      EXPECT_NE(transport.error().message().find("cannot start"), std::string::npos);
    }
    EXPECT_EQ(ChildProcesses(), children_before);
    co_return;
  });
  std::filesystem::remove_all(dir);
}

// The chdir to a missing working directory fails in the child, before execve.
TEST(StdioTransportTest, MissingWorkingDirectoryIsAClearErrorAndLeavesNoChild) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto children_before = ChildProcesses();
    StdioServerParams params = TestServer();
    params.cwd = "/nonexistent/bedrock-mcp-test-dir";
    auto transport = SpawnStdioServer(ex, std::move(params));
    EXPECT_FALSE(transport.ok());
    if (!transport.ok()) {
      EXPECT_EQ(transport.error().code(), core::ErrorCode::kUnavailable);
    }
    EXPECT_EQ(ChildProcesses(), children_before);
    co_return;
  });
}

TEST(StdioTransportTest, ServerCrashMidCallFailsEveryPendingCallAtOnce) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    StdioOptions stdio;
    stdio.on_stderr_line = [](std::string_view) {};
    auto client = co_await ConnectTo(ex, TestServer(), stdio);
    MCP_CO_ASSERT_OK(client);
    int failed = 0;
    Event all_failed(ex);
    std::vector<std::string> messages;
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(
          ex,
          [&]() -> Awaitable<void> {
            auto r = co_await (*client)->CallTool("hang", {});
            if (!r.ok()) messages.push_back(r.error().message());
            if (++failed == 4) all_failed.Set();
          },
          asio::detached);
    }
    auto crashed = co_await (*client)->CallTool("crash", {});
    EXPECT_FALSE(crashed.ok());
    if (!crashed.ok()) {
      EXPECT_EQ(crashed.error().code(), core::ErrorCode::kUnavailable);
      EXPECT_NE(crashed.error().message().find("server 'test'"), std::string::npos);
      EXPECT_NE(crashed.error().message().find("about to crash"), std::string::npos)
          << crashed.error().message();
      EXPECT_NE(crashed.error().message().find("exit status 3"), std::string::npos)
          << crashed.error().message();
    }
    if (++failed == 4) all_failed.Set();
    EXPECT_TRUE(co_await all_failed.Wait());
    EXPECT_EQ(messages.size(), 3u);
    for (const auto& m : messages) EXPECT_NE(m.find("server 'test'"), std::string::npos) << m;
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, HangingServerTimesOutSendsCancelAndStaysUsable) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    Event cancelled_seen(ex);
    StdioOptions stdio;
    stdio.on_stderr_line = [&](std::string_view line) {
      if (line.starts_with("cancelled ")) cancelled_seen.Set();
    };
    auto client = co_await ConnectTo(ex, TestServer(), stdio);
    MCP_CO_ASSERT_OK(client);
    auto hung = co_await (*client)->CallTool("hang", {}, CallOptions(100ms));
    EXPECT_FALSE(hung.ok());
    if (!hung.ok()) {
      EXPECT_EQ(hung.error().code(), core::ErrorCode::kDeadlineExceeded);
    }
    EXPECT_TRUE(co_await cancelled_seen.Wait());
    auto echoed = co_await (*client)->CallTool("echo", Args(R"({"text":"alive"})"));
    MCP_CO_ASSERT_OK(echoed);
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, GarbageOnStdoutIsSkipped) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectTo(ex, TestServer());
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("garbage", {});
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "ok");
    auto echoed = co_await (*client)->CallTool("echo", Args(R"({"text":"after"})"));
    MCP_CO_ASSERT_OK(echoed);
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, ResponseToUnknownIdIsDroppedAndTheSessionContinues) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectTo(ex, TestServer());
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("stray", {});
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "ok");
    EXPECT_EQ((*client)->session().pending_calls(), 0u);
    auto echoed = co_await (*client)->CallTool("echo", Args(R"({"text":"after"})"));
    MCP_CO_ASSERT_OK(echoed);
    EXPECT_EQ(echoed->content.at(0).at("text"), "after");
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, BannerBeforeFirstMessageIsTolerated) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectTo(ex, TestServerIn("banner"));
    MCP_CO_ASSERT_OK(client);
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, StderrFloodIsDrainedLineByLine) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    size_t lines = 0;
    StdioOptions stdio;
    stdio.on_stderr_line = [&](std::string_view line) {
      if (line.size() == 200) ++lines;
    };
    auto client = co_await ConnectTo(ex, TestServer(), stdio);
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("flood", Args(R"({"lines":20000})"));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "flooded");
    co_await (*client)->Close();
    EXPECT_EQ(lines, 20000u);
  });
}

TEST(StdioTransportTest, ServerThatNeverAnswersInitializeTimesOutAndIsReaped) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    ClientOptions options;
    options.initialize_timeout = 200ms;
    auto client = co_await ConnectTo(ex, TestServerIn("no-init"), {}, std::move(options));
    EXPECT_FALSE(client.ok());
    if (!client.ok()) {
      EXPECT_EQ(client.error().code(), core::ErrorCode::kDeadlineExceeded);
    }
  });
}

TEST(StdioTransportTest, OversizeMessageFailsTheConnectionAtOnce) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    StdioOptions stdio;
    stdio.max_line_bytes = 64 * 1024;
    auto client = co_await ConnectTo(ex, TestServer(), stdio);
    MCP_CO_ASSERT_OK(client);
    auto result =
        co_await (*client)->CallTool("big", Args(R"({"bytes":200000})"), CallOptions(20s));
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_NE(result.error().message().find("over the limit"), std::string::npos)
          << result.error().message();
    }
    co_await (*client)->Close();
  });
}

TEST(StdioTransportTest, CloseKillsAServerThatIgnoresEofAndSigterm) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    StdioOptions stdio;
    stdio.shutdown_grace = 100ms;
    auto client = co_await ConnectTo(ex, TestServerIn("stubborn"), stdio);
    MCP_CO_ASSERT_OK(client);
    auto start = std::chrono::steady_clock::now();
    co_await (*client)->Close();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  });
}

// --- Our server's stdio side fed raw bytes by a hand-driven child process. ---

}  // namespace
}  // namespace bedrock::mcp

// clang-format off
#include "mcp/internal/boost_process.h"
// clang-format on
#include <boost/asio/read_until.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>

namespace bedrock::mcp {
namespace {

// Sends `lines` to a fresh test server (max line 4096 bytes) and returns its answers, one JSON
// object per line, until `expected` answers arrived.
Awaitable<std::vector<json::value>> RawExchange(asio::any_io_executor ex,
                                                std::vector<std::string> lines, size_t expected) {
  namespace bp = boost::process::v2;
  asio::writable_pipe in(ex);
  asio::readable_pipe out(ex);
  std::vector<std::string> args;
  args.push_back("normal");
  args.push_back("4096");
  bp::process child(ex, MCP_TEST_SERVER_PATH, args, bp::process_stdio{in, out, nullptr});
  std::string wire;
  for (const auto& line : lines) wire += line + "\n";
  co_await asio::async_write(in, asio::buffer(wire), asio::use_awaitable);
  std::vector<json::value> answers;
  asio::streambuf buffer;
  while (answers.size() < expected) {
    auto [ec, n] =
        co_await asio::async_read_until(out, buffer, '\n', asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    std::string line(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n);
    buffer.consume(n);
    answers.push_back(json::parse(line));
  }
  in.close();
  auto [ec, status] = co_await child.async_wait(asio::as_tuple(asio::use_awaitable));
  EXPECT_FALSE(ec);
  EXPECT_EQ(status, 0);
  co_return answers;
}

int64_t ErrorCode(const json::value& answer) { return answer.at("error").at("code").as_int64(); }

TEST(StdioServerBadInputTest, MalformedJsonLineIsParseErrorWithNullId) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::string> lines;
    lines.push_back(R"({"jsonrpc":"2.0","id":1,"method":)");
    auto answers = co_await RawExchange(ex, std::move(lines), 1);
    if (answers.size() != 1) co_return ADD_FAILURE() << "no answer";
    EXPECT_EQ(ErrorCode(answers[0]), -32700);
    EXPECT_TRUE(answers[0].at("id").is_null());
  });
}

TEST(StdioServerBadInputTest, ValidJsonThatIsNotJsonRpcIsInvalidRequest) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::string> lines;
    lines.push_back(R"({"hello":"world","id":4})");
    auto answers = co_await RawExchange(ex, std::move(lines), 1);
    if (answers.size() != 1) co_return ADD_FAILURE() << "no answer";
    EXPECT_EQ(ErrorCode(answers[0]), -32600);
    EXPECT_EQ(answers[0].at("id"), 4);
  });
}

TEST(StdioServerBadInputTest, UnknownMethodIsMethodNotFound) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::string> lines;
    lines.push_back(R"({"jsonrpc":"2.0","id":"x","method":"does/not/exist"})");
    auto answers = co_await RawExchange(ex, std::move(lines), 1);
    if (answers.size() != 1) co_return ADD_FAILURE() << "no answer";
    EXPECT_EQ(ErrorCode(answers[0]), -32601);
    EXPECT_EQ(answers[0].at("id"), "x");
  });
}

TEST(StdioServerBadInputTest, WrongParamsAreInvalidParams) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::string> lines;
    lines.push_back(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"arguments":{}}})");
    auto answers = co_await RawExchange(ex, std::move(lines), 1);
    if (answers.size() != 1) co_return ADD_FAILURE() << "no answer";
    EXPECT_EQ(ErrorCode(answers[0]), -32602);
  });
}

TEST(StdioServerBadInputTest, OversizeLineIsRejectedAndTheNextLineStillServed) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::string> lines;
    lines.push_back(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")" +
                    std::string(10000, 'p') + "\"}}");
    lines.push_back(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    auto answers = co_await RawExchange(ex, std::move(lines), 2);
    if (answers.size() != 2) co_return ADD_FAILURE() << "expected two answers";
    EXPECT_EQ(ErrorCode(answers[0]), -32600);
    EXPECT_EQ(answers[1].at("id"), 2);
    EXPECT_TRUE(answers[1].as_object().contains("result"));
  });
}

TEST(StdioServerBadInputTest, BatchIsRejectedBeforeNegotiating2025_03_26) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::vector<std::string> lines;
    lines.push_back(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    auto answers = co_await RawExchange(ex, std::move(lines), 1);
    if (answers.size() != 1) co_return ADD_FAILURE() << "no answer";
    EXPECT_EQ(ErrorCode(answers[0]), -32600);
  });
}

}  // namespace
}  // namespace bedrock::mcp

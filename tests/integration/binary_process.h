// Test support: runs the real bedrock-mcp binary as a child process and reads its stderr.
//
//   BinaryProcess server({"serve", "--listen", "127.0.0.1:0"});
//   auto line = server.WaitForStderrLine("listening", std::chrono::seconds(20));
//
// The child is killed (SIGKILL) and reaped by the destructor if still running. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bedrock::testing {

class BinaryProcess {
 public:
  // Starts BEDROCK_MCP_BINARY with `args`. With `env` set, the child gets exactly that environment
  // (plus PATH); otherwise it inherits ours.
  explicit BinaryProcess(std::vector<std::string> args,
                         std::optional<std::map<std::string, std::string>> env = std::nullopt);
  ~BinaryProcess();
  BinaryProcess(const BinaryProcess&) = delete;
  BinaryProcess& operator=(const BinaryProcess&) = delete;

  // Reads stderr until a line containing `needle` arrives (returns it) or the child closes stderr
  // or the deadline passes (nullopt). Lines read are kept in stderr_text().
  std::optional<std::string> WaitForStderrLine(const std::string& needle,
                                               std::chrono::milliseconds deadline);
  // Sends `signal` to the child.
  void Signal(int signal);
  // Waits for the child to exit (reading the rest of stderr); returns its exit code, or 128+signal,
  // or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::milliseconds deadline);

  const std::string& stderr_text() const { return stderr_text_; }
  const std::string& stdout_text() const { return stdout_text_; }

 private:
  // Reads whatever is available from stdout/stderr within `timeout`; false at EOF of stderr.
  bool Pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_text_;
  std::string stdout_text_;
  size_t scanned_ = 0;  // stderr_text_ before this offset has been searched for complete lines
  std::optional<int> exit_code_;
};

// Runs the binary to completion (with a deadline) and returns {exit code, stdout, stderr}.
struct CompletedRun {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};
CompletedRun RunBinary(std::vector<std::string> args,
                       std::optional<std::map<std::string, std::string>> env = std::nullopt,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30));

}  // namespace bedrock::testing

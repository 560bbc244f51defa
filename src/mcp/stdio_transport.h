// The stdio transport: newline-delimited JSON-RPC over a child process's stdin/stdout (client
// side), or over our own stdin/stdout (server side).
//
//   mcp::StdioServerParams params;
//   params.name = "filesystem";
//   params.command = "npx";
//   params.args = {"-y", "@modelcontextprotocol/server-filesystem", "/tmp"};
//   auto transport = mcp::SpawnStdioServer(io.get_executor(), std::move(params));
//
// The child gets `env` merged over a minimal inherited set (DefaultInheritedEnvironment), its
// stderr is read line by line (to a callback, by default the log, tagged with the server's name;
// the last lines are kept for error reports), and it is always reaped: Close() closes its stdin,
// waits, sends SIGTERM, waits, then SIGKILL. When the child exits on its own, Receive fails with
// an error naming the server, its exit status and its last stderr lines.
// Thread-safety: as Transport (one executor).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mcp/transport.h"

namespace bedrock::mcp {

struct StdioOptions {
  StdioOptions() {}

  size_t max_line_bytes = 16u << 20;  // one JSON-RPC message
  size_t max_json_depth = 64;
  // A line over max_line_bytes closes the connection (client side: the answer it carried is
  // lost, so failing every pending call at once beats waiting for timeouts). When false the line
  // is skipped and answered with -32600 (server side).
  bool oversize_is_fatal = true;
  // stderr of the child: each line (cut at max_stderr_line_bytes) goes to on_stderr_line, or to
  // the log when unset; the last stderr_tail_lines are quoted in the error when the child dies.
  std::function<void(std::string_view line)> on_stderr_line;
  size_t max_stderr_line_bytes = 8192;
  size_t stderr_tail_lines = 20;
  // Shutdown: after closing stdin, wait this long before SIGTERM, then as long before SIGKILL.
  std::chrono::milliseconds shutdown_grace{2000};
};

struct StdioServerParams {
  std::string name;     // names the server in logs and errors: "server '<name>'"
  std::string command;  // an absolute path, or a name looked up on the merged PATH
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // merged over DefaultInheritedEnvironment()
  std::string cwd;                         // empty: ours
};

// The variables a spawned server inherits from us (HOME, LOGNAME, PATH, SHELL, TERM, USER, LANG,
// LC_ALL, TMPDIR, TZ, when set), as the reference SDKs do; nothing else leaks to the child.
std::map<std::string, std::string> DefaultInheritedEnvironment();

// Spawns the server and returns the transport that owns it. Fails when the command cannot be
// found or started.
core::Result<std::shared_ptr<Transport>> SpawnStdioServer(boost::asio::any_io_executor executor,
                                                          StdioServerParams params,
                                                          StdioOptions options = {});

// The server side: our own stdin and stdout (duplicated, so closing the transport leaves fds 0 and
// 1 alone). Oversize lines are answered, not fatal. Replaces spdlog's default logger with one
// that writes to stderr, since stdout carries the protocol.
core::Result<std::shared_ptr<Transport>> CreateStdioServerTransport(
    boost::asio::any_io_executor executor, StdioOptions options = {});

}  // namespace bedrock::mcp

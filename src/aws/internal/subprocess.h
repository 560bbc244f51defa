// Runs a shell command to completion and captures its output, for `credential_process`.
//
//   auto out = co_await internal::RunShellCommand("aws-vault export --format=json x", 30s, 1 <<
//   20); if (out.ok() && out->exit_code == 0) Parse(out->stdout_text);
//
// The command runs as `/bin/sh -c <command>` with stdin from /dev/null and the process
// environment. Both pipes are read on the awaiting coroutine's executor; at the deadline (or when
// either stream exceeds `max_output`) the child is killed with SIGKILL and reaped. The child is
// always reaped before the coroutine completes.
//
// Thread-safety: each call is independent.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "core/result.h"

namespace bedrock::aws::internal {

struct CommandOutput {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// kDeadlineExceeded after `timeout`, kPayloadTooLarge past `max_output` on either stream,
// kUnavailable when the shell cannot be started. A non-zero exit is NOT an error here.
boost::asio::awaitable<core::Result<CommandOutput>> RunShellCommand(
    std::string command, std::chrono::milliseconds timeout, size_t max_output);

}  // namespace bedrock::aws::internal

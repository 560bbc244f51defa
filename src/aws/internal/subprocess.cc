#include "aws/internal/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace bedrock::aws::internal {
namespace {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

// Reads `fd` to its end into `out`; kPayloadTooLarge past `max` bytes, after killing `pid` so
// that the other stream ends too.
asio::awaitable<core::Status> ReadAll(asio::posix::stream_descriptor& fd, std::string& out,
                                      size_t max, pid_t pid) {
  char buffer[4096];
  while (true) {
    auto [ec, n] =
        co_await fd.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    out.append(buffer, n);
    if (out.size() > max) {
      ::kill(-pid, SIGKILL);
      co_return core::Error::PayloadTooLarge("command output is over {} bytes", max);
    }
    if (ec == asio::error::eof) co_return core::OkStatus();
    if (ec) co_return core::Error::Unavailable("reading command output: {}", ec.message());
  }
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reaps `pid`, waiting at most until `deadline` (then SIGKILL). Uses a pidfd when the kernel has
// one so the wait does not block the executor's thread; else falls back to a blocking waitpid,
// which is immediate in practice since the child has already closed its output.
asio::awaitable<int> Reap(pid_t pid, asio::steady_timer::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  int status = 0;
#ifdef SYS_pidfd_open
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    asio::posix::stream_descriptor waiter(executor, pidfd);
    asio::steady_timer timer(executor, deadline);
    auto result = co_await (
        waiter.async_wait(asio::posix::stream_descriptor::wait_read, asio::use_awaitable) ||
        timer.async_wait(asio::use_awaitable));
    if (result.index() == 1) ::kill(-pid, SIGKILL);
  }
#endif
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  co_return DecodeStatus(status);
}

}  // namespace

asio::awaitable<core::Result<CommandOutput>> RunShellCommand(std::string command,
                                                             std::chrono::milliseconds timeout,
                                                             size_t max_output) {
  auto executor = co_await asio::this_coro::executor;
  auto deadline = asio::steady_timer::clock_type::now() + timeout;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    co_return core::Error::Unavailable("pipe: {}", std::strerror(errno));
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int saved = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    co_return core::Error::Unavailable("pipe: {}", std::strerror(saved));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  // The child leads its own process group so that a kill reaches whatever the shell started.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  int spawn_error = ::posix_spawn(&pid, "/bin/sh", &actions, &attributes,
                                  const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  asio::posix::stream_descriptor out_fd(executor, out_pipe[0]);
  asio::posix::stream_descriptor err_fd(executor, err_pipe[0]);
  if (spawn_error != 0) {
    co_return core::Error::Unavailable("cannot start /bin/sh: {}", std::strerror(spawn_error));
  }

  CommandOutput output;
  asio::steady_timer timer(executor, deadline);
  auto read = co_await ((ReadAll(out_fd, output.stdout_text, max_output, pid) &&
                         ReadAll(err_fd, output.stderr_text, max_output, pid)) ||
                        timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  std::optional<core::Error> failure;
  if (read.index() == 1) {
    failure = core::Error::DeadlineExceeded("command did not finish within {} ms", timeout.count());
  } else {
    auto& [out_status, err_status] = std::get<0>(read);
    if (!out_status.ok()) {
      failure = out_status.error();
    } else if (!err_status.ok()) {
      failure = err_status.error();
    }
  }
  out_fd.close();
  err_fd.close();
  if (failure) {
    ::kill(-pid, SIGKILL);
    (void)co_await Reap(pid, deadline);
    co_return *failure;
  }
  output.exit_code = co_await Reap(pid, deadline);
  co_return output;
}

}  // namespace bedrock::aws::internal

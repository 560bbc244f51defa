#include "binary_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace bedrock::testing {
namespace {

using Clock = std::chrono::steady_clock;

int ExitCodeFromStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

BinaryProcess::BinaryProcess(std::vector<std::string> args,
                             std::optional<std::map<std::string, std::string>> env) {
  int err_pipe[2], out_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  std::vector<std::string> argv_storage;
  argv_storage.push_back(BEDROCK_MCP_BINARY);
  for (auto& a : args) argv_storage.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  char** child_env = environ;
  if (env) {
    if (!env->contains("PATH")) (*env)["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& [k, v] : *env) env_storage.push_back(k + "=" + v);
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    child_env = envp.data();
  }
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), child_env);
  posix_spawn_file_actions_destroy(&actions);
  close(err_pipe[1]);
  close(out_pipe[1]);
  stderr_fd_ = err_pipe[0];
  stdout_fd_ = out_pipe[0];
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
}

BinaryProcess::~BinaryProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

bool BinaryProcess::Pump(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{stderr_fd_, POLLIN, 0}, {stdout_fd_, POLLIN, 0}};
  int n = poll(fds, stdout_fd_ >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (n <= 0) return stderr_fd_ >= 0;
  char buffer[4096];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
    if (got > 0) {
      (i == 0 ? stderr_text_ : stdout_text_).append(buffer, size_t(got));
    } else if (got == 0 || errno != EINTR) {
      close(fds[i].fd);
      (i == 0 ? stderr_fd_ : stdout_fd_) = -1;
    }
  }
  return stderr_fd_ >= 0;
}

std::optional<std::string> BinaryProcess::WaitForStderrLine(const std::string& needle,
                                                            std::chrono::milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (true) {
    for (size_t end; (end = stderr_text_.find('\n', scanned_)) != std::string::npos;) {
      std::string line = stderr_text_.substr(scanned_, end - scanned_);
      scanned_ = end + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0 || stderr_fd_ < 0) return std::nullopt;
    Pump(left);
  }
}

void BinaryProcess::Signal(int signal) {
  if (pid_ > 0 && !exit_code_) kill(pid_, signal);
}

std::optional<int> BinaryProcess::WaitForExit(std::chrono::milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (!exit_code_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = ExitCodeFromStatus(status);
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    // Reading the pipes both drains them (a full pipe would block the child) and waits: the
    // child's exit closes them, which wakes poll. Cap the wait so a child that closed its pipes
    // early is still reaped promptly.
    if (stderr_fd_ >= 0 || stdout_fd_ >= 0) {
      Pump(std::min(left, std::chrono::milliseconds(50)));
    } else {
      pollfd none{};
      poll(&none, 0, static_cast<int>(std::min<int64_t>(left.count(), 10)));
    }
  }
  while (stderr_fd_ >= 0 || stdout_fd_ >= 0) {
    if (!Pump(std::chrono::milliseconds(100)) && stdout_fd_ < 0) break;
  }
  return exit_code_;
}

CompletedRun RunBinary(std::vector<std::string> args,
                       std::optional<std::map<std::string, std::string>> env,
                       std::chrono::milliseconds deadline) {
  BinaryProcess process(std::move(args), std::move(env));
  CompletedRun run;
  run.exit_code = process.WaitForExit(deadline).value_or(-1);
  run.stdout_text = process.stdout_text();
  run.stderr_text = process.stderr_text();
  return run;
}

}  // namespace bedrock::testing

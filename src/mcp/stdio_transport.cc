#include "mcp/stdio_transport.h"

// clang-format off
#include "mcp/internal/boost_process.h"
// clang-format on

#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>

#include "mcp/internal/async_queue.h"
#include "mcp/internal/line_framer.h"
#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace asio = boost::asio;
namespace bp = boost::process::v2;

std::map<std::string, std::string> DefaultInheritedEnvironment() {
  static constexpr const char* kInherited[] = {"HOME", "LOGNAME", "PATH",   "SHELL",  "TERM",
                                               "USER", "LANG",    "LC_ALL", "TMPDIR", "TZ"};
  std::map<std::string, std::string> env;
  for (const char* name : kInherited) {
    const char* value = std::getenv(name);
    // Skip exported shell functions, as the reference SDKs do.
    if (value != nullptr && std::string_view(value).substr(0, 2) != "()") env[name] = value;
  }
  return env;
}

namespace {

std::optional<std::string> FindOnPath(const std::string& command, const std::string& path) {
  if (command.find('/') != std::string::npos) return command;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + command;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

class StdioTransport final : public Transport, public std::enable_shared_from_this<StdioTransport> {
 public:
  StdioTransport(asio::any_io_executor executor, std::string peer, StdioOptions options)
      : executor_(executor),
        peer_(std::move(peer)),
        options_(std::move(options)),
        input_pipe_(executor),
        output_(executor),
        errors_(executor),
        inbox_(executor) {}

  ~StdioTransport() override {
    // Close() reaps the child; if it was never called, the process handle's destructor kills and
    // waits for it.
  }

  // A Boost.Process launcher initializer: when execve fails in the forked child, leave with
  // _exit. Boost 1.81's launcher calls exit(), which in a copy of our multithreaded process runs
  // our atexit handlers and static destructors (and, under ASan, a leak check of the parent's
  // heap that blocks writing its report to a pipe nobody reads, so the child never exits). The
  // parent learns the exec error through the launcher's own pipe either way. The variadic
  // signature also satisfies Boost 1.81's detection expression, which passes other arguments
  // than the call it guards.
  struct ExitAtOnceOnExecError {
    template <typename... Args>
    void on_exec_error(Args&&...) const {
      ::_exit(127);
    }
  };

  // Client side: starts the child.
  core::Status Spawn(const StdioServerParams& params) {
    auto env = DefaultInheritedEnvironment();
    for (const auto& [key, value] : params.env) env[key] = value;
    auto path = FindOnPath(params.command, env.count("PATH") ? env["PATH"] : "/usr/bin:/bin");
    if (!path) {
      return core::Error::NotFound("{}: command '{}' not found on PATH", peer_, params.command);
    }
    std::vector<std::string> env_lines;
    env_lines.reserve(env.size());
    for (const auto& [key, value] : env) env_lines.push_back(key + "=" + value);
    boost::system::error_code ec;
    bp::process_stdio stdio{input_pipe_, output_, errors_};
    ExitAtOnceOnExecError exit_at_once;
    bp::default_process_launcher launcher;
    if (params.cwd.empty()) {
      process_.emplace(launcher(executor_, ec, *path, params.args,
                                bp::process_environment(env_lines), stdio, exit_at_once));
    } else {
      process_.emplace(launcher(executor_, ec, *path, params.args,
                                bp::process_environment(env_lines), stdio,
                                bp::process_start_dir(params.cwd), exit_at_once));
    }
    if (ec) {
      process_.reset();
      // The child could not exec (it reported why and is leaving with _exit): reap it here, as
      // Boost 1.81's launcher does not, so a bad command leaves no zombie behind.
      if (launcher.pid > 0) {
        while (::waitpid(launcher.pid, nullptr, 0) == -1 && errno == EINTR) {
        }
      }
      return core::Error::Unavailable("{}: cannot start '{}': {}", peer_, *path, ec.message());
    }
    pid_ = process_->id();
    spdlog::debug("mcp: started {} (pid {})", peer_, pid_);
    return core::OkStatus();
  }

  // Server side: our own stdin/stdout.
  core::Status AttachToOwnStdio() {
    boost::system::error_code ec;
    int in = ::dup(0), out = ::dup(1);
    if (in < 0 || out < 0) return core::Error::Unavailable("cannot duplicate stdin/stdout");
    output_.assign(in, ec);
    if (!ec) input_pipe_.assign(out, ec);
    if (ec) return core::Error::Unavailable("stdin/stdout are not pipes: {}", ec.message());
    return core::OkStatus();
  }

  void Start() {
    auto self = shared_from_this();
    asio::co_spawn(executor_, ReadLoop(self), asio::detached);
    if (errors_.is_open()) asio::co_spawn(executor_, StderrLoop(self), asio::detached);
    if (process_) asio::co_spawn(executor_, ExitWatcher(self), asio::detached);
  }

  asio::any_io_executor get_executor() override { return executor_; }

  // The queue's own awaitable: no coroutine frame of ours per message.
  Awaitable<core::Result<Incoming>> Receive() override { return inbox_.Pop(); }

  Awaitable<core::Status> Send(Message message, SendOptions options) override {
    co_return *TrySend(message, options);
  }

  // Never waits: what the pipe does not take at once waits in pending_ for WriteLoop.
  std::optional<core::Status> TrySend(Message& message, SendOptions&) override {
    if (closing_) return core::Error::Unavailable("{}: connection is closed", peer_);
    SerializeTo(message, pending_);
    pending_ += '\n';
    // While the read loop hands a read's messages over, answers collect and leave in one write
    // after it (see ReadLoop).
    if (!delivering_) Flush();
    return core::OkStatus();
  }

  Awaitable<void> Close() override {
    auto self = shared_from_this();
    if (closing_) {
      co_await WaitForExit(options_.shutdown_grace * 3);
      co_return;
    }
    closing_ = true;
    boost::system::error_code ignored;
    input_pipe_.close(ignored);  // EOF on the child's stdin asks it to exit
    if (process_ && !exited_) {
      if (!co_await WaitForExit(options_.shutdown_grace)) {
        spdlog::warn("mcp: {} did not exit after stdin closed; sending SIGTERM", peer_);
        process_->request_exit(ignored);
        if (!co_await WaitForExit(options_.shutdown_grace)) {
          spdlog::warn("mcp: {} ignored SIGTERM; sending SIGKILL", peer_);
          ::kill(pid_, SIGKILL);
          co_await WaitForExit(options_.shutdown_grace * 5);
        }
      }
    }
    // What the child wrote to stderr before it exited may still be in the pipe: read it to the
    // end so no line is lost, for at most half a second (a grandchild may hold the pipe open).
    if (process_ && exited_) {
      co_await WaitFor([this] { return stderr_ended_; },
                       std::min(options_.shutdown_grace, std::chrono::milliseconds(500)));
    }
    output_.close(ignored);
    errors_.close(ignored);
    inbox_.Close(core::Error::Cancelled("{}: connection closed by this side", peer_));
  }

 private:
  // True once the child has exited (and been reaped), false after `limit`.
  Awaitable<bool> WaitForExit(std::chrono::milliseconds limit) {
    if (!process_) co_return true;
    co_return co_await WaitFor([this] { return exited_; }, limit);
  }

  // True once `done()` holds (checked whenever the child exits or its stderr ends), false after
  // `limit`.
  template <typename Done>
  Awaitable<bool> WaitFor(Done done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      asio::steady_timer timer(executor_);
      timer.expires_at(deadline);
      waiters_.push_back(&timer);
      (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      std::erase(waiters_, &timer);
    }
    co_return done();
  }

  Awaitable<void> ExitWatcher(std::shared_ptr<StdioTransport> self) {
    (void)self;  // keeps the transport alive while the loop runs
    auto [ec, status] = co_await process_->async_wait(asio::as_tuple(asio::use_awaitable));
    exited_ = true;
    exit_status_ = ec ? -1 : status;
    if (ec) spdlog::warn("mcp: waiting for {} failed: {}", peer_, ec.message());
    for (auto* waiter : waiters_) waiter->cancel();
  }

  std::string DescribeEnd(std::string_view what) {
    std::string text = fmt::format("{} {}", peer_, what);
    if (exited_) text += fmt::format(" (exit status {})", exit_status_);
    if (!stderr_tail_.empty()) {
      text += "; last stderr: ";
      for (size_t i = 0; i < stderr_tail_.size(); ++i) {
        if (i > 0) text += " | ";
        text += stderr_tail_[i];
      }
    }
    return text;
  }

  Awaitable<void> ReadLoop(std::shared_ptr<StdioTransport> self) {
    (void)self;  // keeps the transport alive while the loop runs
    internal::LineFramer framer(options_.max_line_bytes);
    std::array<char, 65536> chunk;
    PayloadParser parser(ParseLimits{options_.max_line_bytes, options_.max_json_depth});
    bool oversize = false;
    for (;;) {
      auto [ec, n] = co_await output_.async_read_some(asio::buffer(chunk),
                                                      asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (closing_) co_return;
        // The child closed stdout: usually it is exiting. Give it a moment so the error can say
        // how it ended.
        if (process_) co_await WaitForExit(std::chrono::milliseconds(500));
        inbox_.Close(core::Error::Unavailable(
            "{}", DescribeEnd(process_ ? "closed its stdout" : "stdin closed")));
        co_return;
      }
      // The session handles what is delivered before Push returns (internal::AsyncQueue), and a
      // handler that answers at once sends before this loop goes on: the answers to one read
      // leave in one write, right after it.
      delivering_ = true;
      framer.Feed(
          std::string_view(chunk.data(), n), [&](std::string_view line) { Deliver(line, parser); },
          [&] {
            if (options_.oversize_is_fatal) {
              oversize = true;
              return;
            }
            Incoming rejected;
            rejected.message = Response::Failure(
                std::nullopt, RpcError{kInvalidRequest,
                                       fmt::format("message exceeds the limit of {} bytes",
                                                   options_.max_line_bytes),
                                       nullptr});
            rejected.rejected = true;
            inbox_.Push(std::move(rejected));
          });
      delivering_ = false;
      Flush();
      if (oversize) {
        // The answer the line carried is lost: failing every pending call at once beats waiting
        // for their timeouts.
        auto reason = core::Error::PayloadTooLarge("{} sent a message over the limit of {} bytes",
                                                   peer_, options_.max_line_bytes);
        spdlog::error("mcp: {}", reason.message());
        inbox_.Close(reason);
        asio::co_spawn(executor_, Close(), asio::detached);
        co_return;
      }
    }
  }

  void Deliver(std::string_view line, PayloadParser& parser) {
    ParsedPayload parsed = parser.Parse(line, AllowsBatches(protocol_version_));
    for (auto& error : parsed.errors) {
      Incoming rejected;
      rejected.message = std::move(error);
      rejected.rejected = true;
      inbox_.Push(std::move(rejected));
    }
    for (auto& message : parsed.messages) {
      Incoming incoming;
      incoming.message = std::move(message);
      inbox_.Push(std::move(incoming));
    }
  }

  Awaitable<void> StderrLoop(std::shared_ptr<StdioTransport> self) {
    (void)self;  // keeps the transport alive while the loop runs
    std::string line;
    bool truncated = false;
    std::array<char, 16384> chunk;
    for (;;) {
      auto [ec, n] = co_await errors_.async_read_some(asio::buffer(chunk),
                                                      asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (!line.empty()) EmitStderr(line);
        stderr_ended_ = true;
        for (auto* waiter : waiters_) waiter->cancel();
        co_return;
      }
      for (size_t i = 0; i < n; ++i) {
        char c = chunk[i];
        if (c == '\n') {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          EmitStderr(line);
          line.clear();
          truncated = false;
        } else if (line.size() < options_.max_stderr_line_bytes) {
          line += c;
        } else if (!truncated) {
          line += "...";
          truncated = true;
        }
      }
    }
  }

  void EmitStderr(const std::string& line) {
    if (options_.stderr_tail_lines > 0) {
      stderr_tail_.push_back(line);
      if (stderr_tail_.size() > options_.stderr_tail_lines) stderr_tail_.pop_front();
    }
    if (options_.on_stderr_line) {
      options_.on_stderr_line(line);
    } else {
      spdlog::info("[{}] {}", peer_, line);
    }
  }

  // Writes what is pending: at once when the pipe takes it all (the usual case), else the rest
  // from WriteLoop. Either way a cancelled sender never leaves half a line behind.
  void Flush() {
    if (writing_ || pending_.empty() || closing_) return;
    if (!input_pipe_.is_open()) {
      pending_.clear();
      return;
    }
    const int fd = input_pipe_.native_handle();
    if (!nonblocking_) {
      // Asio makes the pipe non-blocking at its first asynchronous operation; this write needs it
      // before. (Asio ignores SIGPIPE: a closed pipe fails with EPIPE.)
      int flags = ::fcntl(fd, F_GETFL);
      if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
      nonblocking_ = true;
    }
    const ssize_t n = ::write(fd, pending_.data(), pending_.size());
    if (n == static_cast<ssize_t>(pending_.size())) {
      pending_.clear();
      return;
    }
    if (n > 0) {
      pending_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      spdlog::warn("mcp: writing to {} failed: {}", peer_, std::strerror(errno));
      pending_.clear();
      return;
    }
    writing_ = true;
    asio::co_spawn(executor_, WriteLoop(shared_from_this()), asio::detached);
  }

  Awaitable<void> WriteLoop(std::shared_ptr<StdioTransport> self) {
    (void)self;  // keeps the transport alive while the loop runs
    std::string writing;
    while (!pending_.empty() && !closing_) {
      writing.clear();
      writing.swap(pending_);
      auto [ec, n] = co_await asio::async_write(input_pipe_, asio::buffer(writing),
                                                asio::as_tuple(asio::use_awaitable));
      if (ec) {
        spdlog::warn("mcp: writing to {} failed: {}", peer_, ec.message());
        pending_.clear();
        break;
      }
    }
    writing_ = false;
  }

  void SetProtocolVersion(std::string_view version) override {
    protocol_version_ = std::string(version);
  }

  asio::any_io_executor executor_;
  std::string peer_;
  StdioOptions options_;
  asio::writable_pipe input_pipe_;  // the peer's stdin
  asio::readable_pipe output_;      // the peer's stdout
  asio::readable_pipe errors_;      // the child's stderr (client side only)
  std::optional<bp::process> process_;
  int pid_ = -1;
  internal::AsyncQueue<Incoming> inbox_;
  std::vector<asio::steady_timer*> waiters_;
  std::deque<std::string> stderr_tail_;
  std::string pending_;
  std::string protocol_version_;
  bool writing_ = false;      // WriteLoop is running
  bool delivering_ = false;   // ReadLoop is handing a read's messages to the session
  bool nonblocking_ = false;  // input_pipe_ is O_NONBLOCK
  bool closing_ = false;
  bool exited_ = false;
  bool stderr_ended_ = false;  // StderrLoop has read the child's stderr to its end
  int exit_status_ = 0;
};

}  // namespace

core::Result<std::shared_ptr<Transport>> SpawnStdioServer(asio::any_io_executor executor,
                                                          StdioServerParams params,
                                                          StdioOptions options) {
  auto transport = std::make_shared<StdioTransport>(
      executor, fmt::format("server '{}'", params.name.empty() ? params.command : params.name),
      std::move(options));
  BEDROCK_TRY(transport->Spawn(params));
  transport->Start();
  return std::shared_ptr<Transport>(transport);
}

core::Result<std::shared_ptr<Transport>> CreateStdioServerTransport(asio::any_io_executor executor,
                                                                    StdioOptions options) {
  options.oversize_is_fatal = false;
  // stdout now carries the protocol: anything else written there breaks the client, so the
  // default logger moves to stderr.
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "mcp-stdio", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_level(previous ? previous->level() : spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  auto transport = std::make_shared<StdioTransport>(executor, "client", std::move(options));
  BEDROCK_TRY(transport->AttachToOwnStdio());
  transport->Start();
  return std::shared_ptr<Transport>(transport);
}

}  // namespace bedrock::mcp

// MCP tools/call load driver with our client (mcp::Client): N concurrent callers, each a coroutine
// on one io_context thread, call the server's `echo` tool back to back for --seconds (after a
// --warmup), over stdio (the server command after `--` is spawned by mcp::SpawnStdioServer) or
// Streamable HTTP (--url). Prints one JSON line:
//
//   {"client":"bedrock","transport":"stdio","concurrency":32,"calls":N,"errors":0,"seconds":S,
//    "rps":R,"p50_ms":..,"p99_ms":..,"client_cpu_s":..,"server_cpu_s":..,"calls_per_cpu_s":..}
//
// bench/peers/mcp_ts_client.mjs does the same with the TypeScript SDK's client and prints the same
// line; scripts/run-benchmarks (section mcp) runs every client/server pair and prints the ratios.
//
// Latency is measured per call, from just before CallTool to its result, for calls started inside
// the measured window; rps is those calls over the time from the window's start until the last of
// them completed. CPU time covers the same window: ours from CLOCK_PROCESS_CPUTIME_ID, the
// server's from /proc/<pid>/stat (utime+stime) of --server-pid, or for stdio of our children. On a
// machine shared with other jobs, calls_per_cpu_s (calls over client+server CPU seconds) is the
// steadier figure; wall-clock rps and latencies are printed too.
//
// --protocol-version pins the revision (mcp::ClientOptions::protocol_version: 2026-07-28 fails
// against a server that does not speak it; 2025-11-25 runs the initialize handshake); without it
// the client negotiates. The line says which revision was spoken ("protocol").
//
//   mcp_call_bench [--concurrency N] [--seconds S] [--warmup S] [--message TEXT]
//                  [--protocol-version V] (--url URL [--server-pid PID] | -- COMMAND ARGS...)
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"
#include "mcp/client.h"
#include "mcp/stdio_transport.h"
#include "mcp/streamable_http_client.h"
#include "stopwatch.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace bedrock;
using Clock = std::chrono::steady_clock;

struct Flags {
  int concurrency = 1;
  double seconds = 3;
  double warmup = 1;
  std::string message = "hello";
  std::string url;
  std::string protocol_version;  // empty: negotiate
  int server_pid = 0;
  std::vector<std::string> command;
};

// utime+stime of a process, in seconds; 0 when it cannot be read (the process is gone).
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Our child processes (the stdio server), from /proc/self/task/*/children.
std::vector<int> ChildPids() {
  std::vector<int> pids;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return pids;
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/children");
    for (int pid; in >> pid;) pids.push_back(pid);
  }
  closedir(tasks);
  return pids;
}

double ServerCpuSeconds(const Flags& flags) {
  if (flags.server_pid != 0) return ProcessCpuSeconds(flags.server_pid);
  double total = 0;
  for (int pid : ChildPids()) total += ProcessCpuSeconds(pid);
  return total;
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

struct Run {
  Clock::time_point measure_start;
  Clock::time_point stop;
  Clock::time_point last_done;
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  std::string first_error;
  int running = 0;
};

mcp::Awaitable<void> Caller(mcp::Client& client, const Flags& flags, Run& run) {
  while (true) {
    auto start = Clock::now();
    if (start >= run.stop) break;
    json::object args;
    args["message"] = flags.message;
    auto result = co_await client.CallTool("echo", std::move(args));
    auto done = Clock::now();
    if (start < run.measure_start) continue;
    if (!result.ok() || result->is_error) {
      if (run.errors++ == 0) {
        run.first_error = result.ok() ? json::serialize(result->content) : result.error().message();
      }
      continue;
    }
    run.latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - start).count());
    run.last_done = std::max(run.last_done, done);
  }
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--concurrency N] [--seconds S] [--warmup S] [--message TEXT]\n"
               "          [--protocol-version V] (--url URL [--server-pid PID] | -- COMMAND ARGS...)\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--") {
      for (++i; i < argc; ++i) flags.command.emplace_back(argv[i]);
      break;
    }
    if (i + 1 >= argc) return Usage(argv[0]);
    const char* value = argv[++i];
    if (flag == "--concurrency") {
      flags.concurrency = std::max(1, std::atoi(value));
    } else if (flag == "--seconds") {
      flags.seconds = std::atof(value);
    } else if (flag == "--warmup") {
      flags.warmup = std::atof(value);
    } else if (flag == "--message") {
      flags.message = value;
    } else if (flag == "--url") {
      flags.url = value;
    } else if (flag == "--protocol-version") {
      flags.protocol_version = value;
    } else if (flag == "--server-pid") {
      flags.server_pid = std::atoi(value);
    } else {
      return Usage(argv[0]);
    }
  }
  if (flags.url.empty() == flags.command.empty()) return Usage(argv[0]);
  const std::string transport_name = flags.url.empty() ? "stdio" : "http";

  asio::io_context io(1);
  http::ClientOptions http_options;
  http_options.use_system_cas = false;
  http_options.proxy = http::ProxyConfig{};
  // Every caller keeps its connection: 32 callers need 32 pooled connections, as undici keeps.
  http_options.max_idle_per_origin = static_cast<size_t>(flags.concurrency) + 4;
  auto http_client = http::Client::Create(io.get_executor(), std::move(http_options));
  if (!http_client.ok()) {
    std::fprintf(stderr, "mcp_call_bench: %s\n", http_client.error().message().c_str());
    return 1;
  }

  std::shared_ptr<mcp::Transport> transport;
  if (flags.url.empty()) {
    mcp::StdioServerParams params;
    params.name = "bench";
    params.command = flags.command[0];
    params.args.assign(flags.command.begin() + 1, flags.command.end());
    mcp::StdioOptions stdio_options;
    stdio_options.on_stderr_line = [](std::string_view) {};
    auto spawned = mcp::SpawnStdioServer(io.get_executor(), std::move(params), stdio_options);
    if (!spawned.ok()) {
      std::fprintf(stderr, "mcp_call_bench: %s\n", spawned.error().message().c_str());
      return 1;
    }
    transport = *spawned;
  } else {
    mcp::StreamableHttpClientOptions options;
    options.url = flags.url;
    options.open_get_stream = false;  // the TS client opens one too, but no messages flow on it
    transport =
        mcp::StreamableHttpClientTransport::Create(io.get_executor(), *http_client, options);
  }

  Run run;
  int exit_code = 1;
  double client_cpu = 0, server_cpu = 0, window = 0;
  std::string protocol;
  auto main_task = [&]() -> mcp::Awaitable<void> {
    mcp::ClientOptions options;
    options.peer_name = "bench server";
    options.protocol_version = flags.protocol_version;
    auto connected = co_await mcp::Client::Connect(
        transport, mcp::Implementation("bedrock-mcp-bench", "1.0"), std::move(options));
    if (!connected.ok()) {
      std::fprintf(stderr, "mcp_call_bench: connect: %s\n", connected.error().message().c_str());
      co_return;
    }
    auto client = *connected;
    protocol = client->protocol_version();
    // One checked call first: both servers must answer the same text.
    json::object args;
    args["message"] = flags.message;
    auto check = co_await client->CallTool("echo", std::move(args));
    if (!check.ok() || check->is_error || check->content.empty()) {
      std::fprintf(
          stderr, "mcp_call_bench: echo failed: %s\n",
          check.ok() ? json::serialize(check->content).c_str() : check.error().message().c_str());
      co_await client->Close();
      co_return;
    }

    auto now = Clock::now();
    run.measure_start = now + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(flags.warmup));
    run.stop = run.measure_start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(flags.seconds));
    run.last_done = run.measure_start;
    run.running = flags.concurrency;
    run.latencies_ms.reserve(1 << 20);
    asio::steady_timer done_timer(io, Clock::time_point::max());
    for (int c = 0; c < flags.concurrency; ++c) {
      asio::co_spawn(io, Caller(*client, flags, run), [&](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
        if (--run.running == 0) done_timer.cancel();
      });
    }
    // Snapshot CPU at the start of the measured window.
    asio::steady_timer warm(io, run.measure_start);
    co_await warm.async_wait(asio::as_tuple(asio::use_awaitable));
    bench::Stopwatch cpu;
    double server_start = ServerCpuSeconds(flags);
    if (run.running > 0) co_await done_timer.async_wait(asio::as_tuple(asio::use_awaitable));
    client_cpu = cpu.CpuSeconds();
    server_cpu = ServerCpuSeconds(flags) - server_start;
    window = std::chrono::duration<double>(run.last_done - run.measure_start).count();
    exit_code = 0;
    co_await client->Close();
  };
  asio::co_spawn(io, main_task(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  if (exit_code != 0) return exit_code;

  auto& lat = run.latencies_ms;
  std::sort(lat.begin(), lat.end());
  const double calls = static_cast<double>(lat.size());
  json::object out;
  out["client"] = "bedrock";
  out["transport"] = transport_name;
  out["protocol"] = protocol;
  out["concurrency"] = flags.concurrency;
  out["calls"] = lat.size();
  out["errors"] = run.errors;
  out["seconds"] = window;
  out["rps"] = window > 0 ? calls / window : 0.0;
  out["p50_ms"] = Percentile(lat, 0.50);
  out["p99_ms"] = Percentile(lat, 0.99);
  out["client_cpu_s"] = client_cpu;
  out["server_cpu_s"] = server_cpu;
  out["calls_per_cpu_s"] = client_cpu + server_cpu > 0 ? calls / (client_cpu + server_cpu) : 0.0;
  if (!run.first_error.empty()) out["first_error"] = run.first_error;
  std::printf("%s\n", json::serialize(out).c_str());
  return run.errors > 0 ? 1 : 0;
}

// A tiny MCP server over stdio for the stdio transport tests: our own Server on our own stdin and
// stdout, with tools that misbehave on request.
//
//   mcp_test_server [normal|banner|no-init|stubborn] [max_line_bytes]
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mcp/server.h"
#include "mcp/stdio_transport.h"

namespace asio = boost::asio;
namespace json = boost::json;
using bedrock::core::Result;
using namespace bedrock::mcp;

namespace {

void WriteRaw(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

using ToolResult = Awaitable<Result<CallToolResult>>;

void AddTools(Server& server) {
  server.AddTool(
      {.name = "echo",
       .description = "Echoes text",
       .input_schema = json::parse(R"({"type":"object","required":["text"]})").as_object(),
       .handler = [](json::object args, ServerContext&) -> ToolResult {
         co_return CallToolResult::Text(std::string(args.at("text").as_string()));
       }});
  server.AddTool({.name = "crash",
                  .description = "Exits mid-call",
                  .handler = [](json::object, ServerContext&) -> ToolResult {
                    WriteRaw(2, "about to crash\n");
                    ::_exit(3);
                    co_return CallToolResult::Text("unreachable");
                  }});
  server.AddTool({.name = "hang",
                  .description = "Waits until cancelled",
                  .handler = [](json::object, ServerContext& ctx) -> ToolResult {
                    asio::steady_timer forever(co_await asio::this_coro::executor);
                    forever.expires_at(asio::steady_timer::time_point::max());
                    (void)co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
                    if (ctx.cancelled()) {
                      WriteRaw(2, "cancelled " + ctx.request().id().ToString() + "\n");
                    }
                    co_return CallToolResult::Text("woke");
                  }});
  server.AddTool({.name = "garbage",
                  .description = "Prints a non-JSON line on stdout",
                  .handler = [](json::object, ServerContext&) -> ToolResult {
                    WriteRaw(1, "garbage: not json at all\n{\"jsonrpc\":\"2.0\"}\n");
                    co_return CallToolResult::Text("ok");
                  }});
  server.AddTool({.name = "stray",
                  .description = "Answers a request the client never sent, then this one",
                  .handler = [](json::object, ServerContext&) -> ToolResult {
                    WriteRaw(1,
                             "{\"jsonrpc\":\"2.0\",\"id\":987654,\"result\":{}}\n"
                             "{\"jsonrpc\":\"2.0\",\"id\":\"nobody\",\"error\":{\"code\":-32603,"
                             "\"message\":\"stray\"}}\n");
                    co_return CallToolResult::Text("ok");
                  }});
  server.AddTool({.name = "flood",
                  .description = "Floods stderr",
                  .handler = [](json::object args, ServerContext&) -> ToolResult {
                    int64_t lines = args.at("lines").as_int64();
                    std::string line(200, 'x');
                    line += '\n';
                    for (int64_t i = 0; i < lines; ++i) WriteRaw(2, line);
                    co_return CallToolResult::Text("flooded");
                  }});
  server.AddTool({.name = "big",
                  .description = "Returns a large text",
                  .handler = [](json::object args, ServerContext&) -> ToolResult {
                    co_return CallToolResult::Text(
                        std::string(static_cast<size_t>(args.at("bytes").as_int64()), 'b'));
                  }});
  server.AddTool({.name = "env",
                  .description = "Returns an environment variable",
                  .handler = [](json::object args, ServerContext&) -> ToolResult {
                    const char* value =
                        std::getenv(std::string(args.at("name").as_string()).c_str());
                    co_return CallToolResult::Text(value ? value : "<unset>");
                  }});
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "normal";
  if (mode == "no-init") {
    char buffer[4096];
    while (::read(0, buffer, sizeof buffer) > 0) {
    }
    return 0;
  }
  if (mode == "banner") WriteRaw(1, "Starting test server v1 (this line is not JSON)\n");
  if (mode == "stubborn") std::signal(SIGTERM, SIG_IGN);

  asio::io_context io;
  Server server(Implementation("test-stdio-server", "1.0"));
  AddTools(server);
  StdioOptions options;
  if (argc > 2) options.max_line_bytes = std::stoul(argv[2]);
  auto transport = CreateStdioServerTransport(io.get_executor(), options);
  if (!transport.ok()) {
    std::fprintf(stderr, "%s\n", transport.error().ToString().c_str());
    return 1;
  }
  auto session = server.Serve(*transport);
  io.run();
  if (mode == "stubborn") {
    for (;;) ::pause();
  }
  return 0;
}

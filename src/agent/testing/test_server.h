// A real in-memory MCP server for the agent's tests, with tools that misbehave on demand, and a
// connected mcp::Client for it.
//
//   agent::testing::TestServer s1(executor, "s1");
//   MCP_CO_ASSERT_OK(co_await s1.Connect());
//   ... s1.client ..., s1.hang_cancelled.Wait() ...
//
// Tools: echo {text}; ping_a / ping_b (each waits for the other to start: they only both succeed
// when run concurrently); hang (until cancelled); crash (closes the connection mid-call); big
// (5000 characters); picture (a PNG image).
// Thread-safety: one executor.
#pragma once

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string>

#include "mcp/client.h"
#include "mcp/server.h"
#include "mcp/testing/test_util.h"

namespace bedrock::agent::testing {

inline mcp::Awaitable<void> CloseServerSession(std::shared_ptr<mcp::ServerSession> session) {
  co_await session->Close();
}

inline mcp::Awaitable<void> WaitForever() {
  boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor);
  forever.expires_at(boost::asio::steady_timer::time_point::max());
  (void)co_await forever.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

class TestServer {
 public:
  using Result = core::Result<mcp::CallToolResult>;

  TestServer(boost::asio::any_io_executor executor, std::string server_id)
      : id(std::move(server_id)),
        executor_(executor),
        server(mcp::Implementation(id, "1.0")),
        a_started(executor),
        b_started(executor),
        hang_started(executor),
        hang_cancelled(executor),
        crash_started(executor) {
    AddTool(
        "echo", [this](boost::json::object args, mcp::ServerContext&) -> mcp::Awaitable<Result> {
          ++echo_calls;
          const boost::json::value* text = args.if_contains("text");
          co_return mcp::CallToolResult::Text(text && text->is_string() ? text->get_string().c_str()
                                                                        : "");
        });
    AddTool("ping_a", [this](boost::json::object, mcp::ServerContext&) -> mcp::Awaitable<Result> {
      a_started.Set();
      bool other = co_await b_started.Wait(std::chrono::seconds(5));
      co_return mcp::CallToolResult::Text(other ? "a saw b" : "b never started");
    });
    AddTool("ping_b", [this](boost::json::object, mcp::ServerContext&) -> mcp::Awaitable<Result> {
      b_started.Set();
      bool other = co_await a_started.Wait(std::chrono::seconds(5));
      co_return mcp::CallToolResult::Text(other ? "b saw a" : "a never started");
    });
    AddTool("hang",
            [this](boost::json::object, mcp::ServerContext& context) -> mcp::Awaitable<Result> {
              hang_started.Set();
              co_await WaitForever();
              if (context.cancelled()) hang_cancelled.Set();
              co_return mcp::CallToolResult::Text("woke up");
            });
    AddTool("crash",
            [this](boost::json::object, mcp::ServerContext& context) -> mcp::Awaitable<Result> {
              co_await boost::asio::this_coro::throw_if_cancelled(
                  false);  // the close cancels us at once
              crash_started.Set();
              boost::asio::co_spawn(executor_, CloseServerSession(session), boost::asio::detached);
              // The close may have cancelled us already (it can run inline), before any wait could
              // see it.
              if (!context.cancelled()) co_await WaitForever();
              co_return mcp::CallToolResult::Text("unreachable");
            });
    AddTool("big", [](boost::json::object, mcp::ServerContext&) -> mcp::Awaitable<Result> {
      co_return mcp::CallToolResult::Text(std::string(5000, 'z'));
    });
    AddTool("picture", [](boost::json::object, mcp::ServerContext&) -> mcp::Awaitable<Result> {
      mcp::CallToolResult result;
      result.content.push_back(mcp::content::Image("aGVsbG8=", "image/png"));
      co_return result;
    });
    auto [client_side, server_side] = mcp::CreateMemoryTransportPair(executor);
    client_transport_ = client_side;
    session = server.Serve(server_side);
  }

  mcp::Awaitable<core::Status> Connect() {
    mcp::ClientOptions options;
    options.peer_name = fmt::format("server '{}'", id);
    auto connected = co_await mcp::Client::Connect(
        client_transport_, mcp::Implementation("agent-test", "1"), std::move(options));
    if (!connected.ok()) co_return connected.error();
    client = std::move(connected).value();
    co_return core::OkStatus();
  }

  std::string id;

 private:
  boost::asio::any_io_executor executor_;

 public:
  mcp::Server server;
  std::shared_ptr<mcp::ServerSession> session;
  std::shared_ptr<mcp::Client> client;
  mcp::testing::Event a_started, b_started, hang_started, hang_cancelled, crash_started;
  int echo_calls = 0;

 private:
  void AddTool(std::string name, mcp::Tool::Handler handler) {
    mcp::Tool tool;
    tool.name = std::move(name);
    tool.description = "test tool " + tool.name;
    tool.handler = std::move(handler);
    server.AddTool(std::move(tool));
  }

  std::shared_ptr<mcp::Transport> client_transport_;
};

}  // namespace bedrock::agent::testing

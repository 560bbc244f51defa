// Test helpers for the gateway: an in-memory MCP "process" per connect (a real mcp::Server with an
// `echo` tool over a memory transport), counted per server name, and a way to run coroutines
// from a test thread.
//
// Commands the fake understands (ServerSpec::mcp.command, or any URL): "fail" fails to start with
// a stderr line; anything else starts a server with tools "echo" and "whoami" (which answers the
// server's name).
//
// Thread-safety: FakeConnector's counters may be read from any thread.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/managed_server.h"
#include "mcp/server.h"
#include "mcp/transport.h"

namespace bedrock::gateway::testing {

class FakeConnector {
 public:
  Connector connector() {
    return [this](boost::asio::any_io_executor executor, const ServerSpec& spec, ServerHooks hooks)
               -> boost::asio::awaitable<core::Result<std::shared_ptr<mcp::Client>>> {
      StderrSink sink = std::move(hooks.stderr_line);
      {
        std::lock_guard lock(mutex_);
        ++connects_[spec.mcp.name + "@" + spec.owner];
      }
      if (spec.mcp.command == "fail") {
        if (sink) sink("Error: cannot find module 'nope'");
        co_return core::Error::Unavailable("server '{}' exited with code 1", spec.mcp.name);
      }
      auto server = std::make_shared<mcp::Server>(mcp::Implementation(spec.mcp.name, "1"));
      mcp::Tool echo;
      echo.name = "echo";
      echo.description = "Echoes its text";
      echo.handler = [](boost::json::object args,
                        mcp::ServerContext&) -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
        auto* text = args.if_contains("text");
        co_return mcp::CallToolResult::Text(text && text->is_string() ? text->as_string().c_str()
                                                                      : "");
      };
      server->AddTool(std::move(echo));
      mcp::Tool whoami;
      whoami.name = "who-am-i";
      whoami.handler = [name = spec.mcp.name](boost::json::object, mcp::ServerContext&)
          -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
        co_return mcp::CallToolResult::Text(name);
      };
      server->AddTool(std::move(whoami));
      auto [client_side, server_side] = mcp::CreateMemoryTransportPair(executor);
      server->Serve(server_side);
      {
        std::lock_guard lock(mutex_);
        servers_.push_back(server);
      }
      mcp::ClientOptions options;
      options.on_tools_list_changed = std::move(hooks.tools_changed);
      co_return co_await mcp::Client::Connect(client_side, mcp::Implementation("test", "1"),
                                              std::move(options));
    };
  }

  // The fake servers started so far, oldest first.
  std::vector<std::shared_ptr<mcp::Server>> servers() const {
    std::lock_guard lock(mutex_);
    return servers_;
  }

  // Connects of server `name` for `owner` ("" for a shared global).
  int connects(const std::string& name, const std::string& owner = "") const {
    std::lock_guard lock(mutex_);
    auto found = connects_.find(name + "@" + owner);
    return found == connects_.end() ? 0 : found->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> connects_;
  std::vector<std::shared_ptr<mcp::Server>> servers_;
};

// Starts `awaitable` on `executor`; the future holds its value (co_spawn needs a
// default-constructible value, hence the optional inside).
template <typename T>
std::future<std::optional<T>> Spawn(boost::asio::any_io_executor executor,
                                    boost::asio::awaitable<T> awaitable) {
  return boost::asio::co_spawn(
      executor,
      [awaitable = std::move(awaitable)]() mutable -> boost::asio::awaitable<std::optional<T>> {
        co_return std::optional<T>(co_await std::move(awaitable));
      },
      boost::asio::use_future);
}

// Runs `awaitable` on `executor` and blocks until it finishes.
template <typename T>
T RunSync(boost::asio::any_io_executor executor, boost::asio::awaitable<T> awaitable) {
  return std::move(*Spawn(executor, std::move(awaitable)).get());
}

inline void RunSync(boost::asio::any_io_executor executor, boost::asio::awaitable<void> awaitable) {
  boost::asio::co_spawn(executor, std::move(awaitable), boost::asio::use_future).get();
}

}  // namespace bedrock::gateway::testing

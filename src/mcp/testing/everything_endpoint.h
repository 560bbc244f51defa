// The everything server behind our HTTP server on a loopback port, configured as
// `mcp-server everything --transport http` is, for tests that speak raw HTTP to it.
//
//   testing::EverythingEndpoint endpoint;                 // started; stopped by the destructor
//   client->Send(Post(endpoint.url(), body));
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>

#include "http/server.h"
#include "mcp/everything_server.h"
#include "mcp/streamable_http_server.h"

namespace bedrock::mcp::testing {

class EverythingEndpoint {
 public:
  explicit EverythingEndpoint(StreamableHttpServerOptions options = EverythingHttpOptions(),
                              EverythingServerOptions server_options = EverythingServerOptions())
      : work_(boost::asio::make_work_guard(io_)),
        server_(MakeEverythingServer(std::move(server_options))) {
    options.allowed_hosts = LoopbackHostNames();
    endpoint_ = std::make_unique<StreamableHttpServer>(*server_, io_.get_executor(), options);
    http::Router router;
    endpoint_->Mount(router);
    http::ServerOptions http_options;
    http_options.threads = 2;
    http_options.sse_heartbeat_interval = std::chrono::milliseconds(0);
    http_ = std::make_unique<http::Server>(http_options, std::move(router));
    EXPECT_TRUE(http_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EverythingEndpoint() {
    endpoint_->CloseAll();
    http_->Stop(std::chrono::milliseconds(2000));
    work_.reset();
    thread_.join();
  }
  EverythingEndpoint(const EverythingEndpoint&) = delete;
  EverythingEndpoint& operator=(const EverythingEndpoint&) = delete;

  std::string base() const { return fmt::format("http://127.0.0.1:{}", http_->port()); }
  std::string url() const { return base() + "/mcp"; }
  StreamableHttpServer& endpoint() { return *endpoint_; }
  Server& server() { return *server_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<Server> server_;
  std::unique_ptr<StreamableHttpServer> endpoint_;
  std::unique_ptr<http::Server> http_;
  std::thread thread_;
};

}  // namespace bedrock::mcp::testing

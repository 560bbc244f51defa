// An MCP server behind our HTTP server on a loopback port, for tests that speak HTTP to it. The
// MCP sessions run on the endpoint's own io_context thread; the HTTP server has two threads.
//
//   testing::HttpEndpoint http(server, options);   // started; stopped by the destructor
//   client->Send(Post(http.url(), body));
//
// Ownership: `server` is borrowed and must outlive the endpoint.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "http/server.h"
#include "mcp/server.h"
#include "mcp/streamable_http_server.h"

namespace bedrock::mcp::testing {

class HttpEndpoint {
 public:
  HttpEndpoint(Server& server, const StreamableHttpServerOptions& options)
      : work_(boost::asio::make_work_guard(io_)) {
    endpoint_ = std::make_unique<StreamableHttpServer>(server, io_.get_executor(), options);
    http::Router router;
    endpoint_->Mount(router);
    http::ServerOptions http_options;
    http_options.threads = 2;
    http_options.sse_heartbeat_interval = std::chrono::milliseconds(0);
    http_ = std::make_unique<http::Server>(http_options, std::move(router));
    EXPECT_TRUE(http_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpEndpoint() {
    endpoint_->CloseAll();
    http_->Stop(std::chrono::milliseconds(2000));
    work_.reset();
    thread_.join();
    endpoint_.reset();
  }
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  std::string base() const { return fmt::format("http://127.0.0.1:{}", http_->port()); }
  std::string url() const { return base() + "/mcp"; }
  uint16_t port() const { return http_->port(); }
  StreamableHttpServer& endpoint() { return *endpoint_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<StreamableHttpServer> endpoint_;
  std::unique_ptr<http::Server> http_;
  std::thread thread_;
};

}  // namespace bedrock::mcp::testing

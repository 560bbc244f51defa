// Test helpers for the AWS network clients: a loopback HTTP server whose answers a test scripts,
// recording every request, and a runner for coroutines.
//
//   testing::FakeServer sts([](const http::Request& r) { return http::Response::Text(200, xml); });
//   env.Set("AWS_ENDPOINT_URL_STS", sts.url());
//   auto result = testing::RunCo(io, provider->Get());
//   EXPECT_EQ(sts.requests().size(), 1u);
//
// Thread-safety: the responder runs on the server's thread under the server's lock; requests()
// may be called from any thread.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/server.h"

namespace bedrock::aws::testing {

class FakeServer {
 public:
  using Responder = std::function<http::Response(const http::Request&)>;

  explicit FakeServer(Responder responder) : responder_(std::move(responder)) {
    http::Router router;
    router.Fallback([this](http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
      std::lock_guard lock(mutex_);
      requests_.push_back(ctx.request());
      co_return responder_(ctx.request());
    });
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(std::move(options), std::move(router));
    auto started = server_->Start();
    EXPECT_TRUE(started.ok()) << started.error();
  }
  ~FakeServer() { server_->Stop(std::chrono::milliseconds(0)); }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }
  uint16_t port() const { return server_->port(); }

  std::vector<http::Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  Responder responder_;
  mutable std::mutex mutex_;
  std::vector<http::Request> requests_;  // guarded by mutex_
  std::unique_ptr<http::Server> server_;
};

// Runs `awaitable` on `io` to completion (and everything else queued there). Exceptions thrown
// by the coroutine propagate out of io.run().
template <typename T>
T RunCo(boost::asio::io_context& io, boost::asio::awaitable<T> awaitable) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io,
      [&out, aw = std::move(awaitable)]() mutable -> boost::asio::awaitable<void> {
        out.emplace(co_await std::move(aw));
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.restart();
  io.run();
  EXPECT_TRUE(out.has_value());
  return std::move(*out);
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bedrock-aws-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : std::string();
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& relative, const std::string& content) const {
    std::filesystem::path p = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::string path_;
};

}  // namespace bedrock::aws::testing

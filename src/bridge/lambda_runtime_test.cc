#include "bridge/lambda_runtime.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <deque>
#include <mutex>

#include "http/router.h"
#include "http/server.h"
#include "mcp/testing/test_util.h"

namespace bedrock::bridge {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using mcp::testing::RunCoroutine;

// A local Lambda Runtime API (the documented endpoints) on a loopback port: queued events go out
// on GET next; what the runtime posts back is recorded.
class FakeRuntimeApi {
 public:
  struct Posted {
    std::string kind;  // "response", "error", "init-error"
    std::string request_id;
    std::string body;
    std::string error_type_header;
  };

  FakeRuntimeApi() {
    http::Router router;
    router.Get("/2018-06-01/runtime/invocation/next",
               [this](http::RequestContext&) -> asio::awaitable<http::Response> {
                 std::lock_guard lock(mutex_);
                 if (next_fails_ || queue_.empty()) {
                   co_return http::Response::Json(500, R"({"errorMessage":"no more events"})");
                 }
                 auto [id, body] = std::move(queue_.front());
                 queue_.pop_front();
                 http::Response response = http::Response::Json(200, std::move(body));
                 response.headers.Set("Lambda-Runtime-Aws-Request-Id", id);
                 response.headers.Set("Lambda-Runtime-Deadline-Ms", "4102444800000");  // 2100
                 response.headers.Set("Lambda-Runtime-Invoked-Function-Arn",
                                      "arn:aws:lambda:us-east-1:123456789012:function:bridge");
                 response.headers.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe");
                 co_return response;
               });
    auto record = [this](std::string kind) {
      return [this, kind](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
        Posted posted;
        posted.kind = kind;
        posted.request_id = std::string(ctx.PathParam("id").value_or(""));
        posted.body = ctx.request().body;
        posted.error_type_header = std::string(
            ctx.request().headers.Get("Lambda-Runtime-Function-Error-Type").value_or(""));
        std::lock_guard lock(mutex_);
        posted_.push_back(std::move(posted));
        co_return http::Response::Json(202, R"({"status":"OK"})");
      };
    };
    router.Post("/2018-06-01/runtime/invocation/{id}/response", record("response"));
    router.Post("/2018-06-01/runtime/invocation/{id}/error", record("error"));
    router.Post("/2018-06-01/runtime/init/error", record("init-error"));
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(std::move(options), std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  ~FakeRuntimeApi() { server_->Stop(std::chrono::seconds(1)); }

  std::string address() const { return fmt::format("127.0.0.1:{}", server_->port()); }
  void Queue(std::string id, std::string body) {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(id), std::move(body));
  }
  void FailNext() {
    std::lock_guard lock(mutex_);
    next_fails_ = true;
  }
  std::vector<Posted> posted() {
    std::lock_guard lock(mutex_);
    return posted_;
  }

 private:
  std::mutex mutex_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::vector<Posted> posted_;
  bool next_fails_ = false;
  std::unique_ptr<http::Server> server_;
};

TEST(LambdaRuntimeTest, LoopAnswersEachInvocationWithItsRequestId) {
  FakeRuntimeApi fake;
  fake.Queue("req-1", R"({"n":1})");
  fake.Queue("req-2", R"({"n":2})");
  RunCoroutine([&](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    auto api = LambdaRuntimeApi::Create(ex, fake.address());
    EXPECT_TRUE(api.ok());
    std::vector<Invocation> seen;
    InvocationHandler handler =
        [&](Invocation invocation) -> asio::awaitable<core::Result<std::string>> {
      seen.push_back(invocation);
      co_return fmt::format(R"({{"echo":{}}})", invocation.body);
    };
    RuntimeLoopOptions options;
    options.max_invocations = 2;
    auto status = co_await RunLambdaLoop(*api, handler, options);
    EXPECT_TRUE(status.ok()) << status.error();
    EXPECT_EQ(seen.size(), 2u);
    if (seen.size() == 2) {
      EXPECT_EQ(seen[0].request_id, "req-1");
      EXPECT_EQ(seen[0].function_arn, "arn:aws:lambda:us-east-1:123456789012:function:bridge");
      EXPECT_EQ(seen[0].trace_id, "Root=1-5759e988-bd862e3fe");
      EXPECT_TRUE(seen[0].deadline.has_value());
      if (seen[0].deadline) {
        EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(
                      seen[0].deadline->time_since_epoch())
                      .count(),
                  4102444800000);
      }
    }
  });
  auto posted = fake.posted();
  ASSERT_EQ(posted.size(), 2u);
  EXPECT_EQ(posted[0].kind, "response");
  EXPECT_EQ(posted[0].request_id, "req-1");
  EXPECT_EQ(posted[0].body, R"({"echo":{"n":1}})");
  EXPECT_EQ(posted[1].request_id, "req-2");
}

TEST(LambdaRuntimeTest, HandlerErrorIsPostedAsInvocationError) {
  FakeRuntimeApi fake;
  fake.Queue("req-bad", "not an event");
  RunCoroutine([&](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    auto api = LambdaRuntimeApi::Create(ex, fake.address());
    InvocationHandler handler = [](Invocation) -> asio::awaitable<core::Result<std::string>> {
      co_return core::Error::InvalidArgument("event is not JSON");
    };
    RuntimeLoopOptions options;
    options.max_invocations = 1;
    EXPECT_TRUE((co_await RunLambdaLoop(*api, handler, options)).ok());
  });
  auto posted = fake.posted();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].kind, "error");
  EXPECT_EQ(posted[0].request_id, "req-bad");
  EXPECT_EQ(posted[0].error_type_header, "BedrockMcp.invalid_argument");
  json::value body = json::parse(posted[0].body);
  EXPECT_EQ(body.at("errorType").as_string(), "BedrockMcp.invalid_argument");
  EXPECT_EQ(body.at("errorMessage").as_string(), "event is not JSON");
}

TEST(LambdaRuntimeTest, InitErrorIsPosted) {
  FakeRuntimeApi fake;
  RunCoroutine([&](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    auto api = LambdaRuntimeApi::Create(ex, "http://" + fake.address() + "/");
    EXPECT_TRUE(api.ok());
    auto status = co_await api->ReportInitError("BedrockMcp.not_found", "no server 'x'");
    EXPECT_TRUE(status.ok()) << status.error();
  });
  auto posted = fake.posted();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].kind, "init-error");
  EXPECT_EQ(posted[0].error_type_header, "BedrockMcp.not_found");
  EXPECT_EQ(json::parse(posted[0].body).at("errorMessage").as_string(), "no server 'x'");
}

TEST(LambdaRuntimeTest, RuntimeApiFailureEndsTheLoop) {
  FakeRuntimeApi fake;
  fake.FailNext();
  RunCoroutine([&](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    auto api = LambdaRuntimeApi::Create(ex, fake.address());
    InvocationHandler handler = [](Invocation) -> asio::awaitable<core::Result<std::string>> {
      ADD_FAILURE() << "no invocation was queued";
      co_return std::string("{}");
    };
    auto status = co_await RunLambdaLoop(*api, handler, RuntimeLoopOptions());
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.error().code(), core::ErrorCode::kUpstreamFailure);
  });
}

TEST(LambdaRuntimeTest, UnreachableRuntimeApiEndsTheLoop) {
  uint16_t port = 0;
  {
    FakeRuntimeApi closed;  // a port that was just free: nothing listens there any more
    port = static_cast<uint16_t>(std::stoi(closed.address().substr(10)));
  }
  RunCoroutine([&](asio::any_io_executor ex) -> mcp::Awaitable<void> {
    auto api = LambdaRuntimeApi::Create(ex, fmt::format("127.0.0.1:{}", port));
    InvocationHandler handler = [](Invocation) -> asio::awaitable<core::Result<std::string>> {
      co_return std::string("{}");
    };
    auto status = co_await RunLambdaLoop(*api, handler, RuntimeLoopOptions());
    EXPECT_FALSE(status.ok());
  });
}

TEST(LambdaRuntimeTest, MalformedRuntimeApiAddressIsRejected) {
  asio::io_context io;
  EXPECT_FALSE(LambdaRuntimeApi::Create(io.get_executor(), "").ok());
  EXPECT_FALSE(LambdaRuntimeApi::Create(io.get_executor(), "host:1/path").ok());
}

}  // namespace
}  // namespace bedrock::bridge

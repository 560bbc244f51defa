// The server over real sockets on 127.0.0.1, port 0. Synchronisation is on real signals only
// (responses, closed connections, futures set by handlers), never on sleeps.
#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <filesystem>
#include <future>
#include <thread>

#include "http/internal/test_client.h"

namespace bedrock::http {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using testing::Client;
using testing::Gate;
using testing::Get;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

ServerOptions TestOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.error_log = [](std::string_view) {};  // expected failures; keep test output clean
  return options;
}

awaitable<Response> Healthz(RequestContext&) {
  co_return Response::Json(200, R"({"status":"ok"})");
}

awaitable<Response> Echo(RequestContext& ctx) {
  Response response = Response::Text(200, ctx.request().body);
  response.headers.Set("X-Method", ctx.request().method);
  co_return response;
}

Router BasicRouter() {
  Router router;
  router.Get("/healthz", Healthz)
      .Post("/echo", Echo)
      .Get("/v1/mcp/servers/{id}",
           [](RequestContext& ctx) -> awaitable<Response> {
             co_return Response::Text(200, std::string(ctx.PathParam("id").value_or("?")));
           })
      .Get("/whoami", [](RequestContext& ctx) -> awaitable<Response> {
        co_return Response::Text(200, std::string(ctx.remote_address()));
      });
  return router;
}

// A started server on a free port, stopped at the end of the test.
class RunningServer {
 public:
  explicit RunningServer(Router router, ServerOptions options = TestOptions())
      : server_(std::move(options), std::move(router)) {
    auto started = server_.Start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().ToString());
  }
  ~RunningServer() { server_.Stop(5s); }
  Server& server() { return server_; }
  uint16_t port() { return server_.port(); }

 private:
  Server server_;
};

bool IsJsonError(const testing::Reply& reply, std::string_view code) {
  return reply.Header("content-type") == "application/json" &&
         reply.body.find(std::string("\"code\":\"") + std::string(code) + "\"") !=
             std::string::npos;
}

// --- Routing ---

TEST(ServerTest, RoutesGetToHandlerWithJsonBody) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"({"status":"ok"})");
  EXPECT_EQ(reply->Header("content-type"), "application/json");
  EXPECT_FALSE(reply->Header("date").empty());
}

TEST(ServerTest, PathParameterIsPercentDecoded) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/v1/mcp/servers/web%20search"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "web search");
}

TEST(ServerTest, UnknownPathIs404WithJsonError) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/nope"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_TRUE(IsJsonError(*reply, "not_found")) << reply->body;
  // A 404 does not cost the connection.
  auto again = client.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST(ServerTest, WrongMethodIs405WithAllowHeader) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip("DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->Header("allow"), "GET, HEAD");
  EXPECT_EQ(reply->Header("content-type"), "application/json");
}

TEST(ServerTest, HeadIsServedByGetRouteWithoutBody) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n", true);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("content-length"), "15");
  auto next = client.Roundtrip(Get("/healthz"));  // nothing of a body was left on the wire
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, R"({"status":"ok"})");
}

// --- Connection handling ---

TEST(ServerTest, KeepAliveReusesOneConnection) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto first = client.Roundtrip(Get("/whoami"));
  auto second = client.Roundtrip(Get("/whoami"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, second->body);  // the same client port: the same connection
  EXPECT_EQ(first->Header("connection"), "");
  EXPECT_EQ(server.server().connection_count(), 1u);
}

TEST(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  std::string burst = Get("/v1/mcp/servers/a") +
                      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
                      Get("/v1/mcp/servers/c");
  ASSERT_TRUE(client.Send(burst));
  auto a = client.ReadReply();
  auto b = client.ReadReply();
  auto c = client.ReadReply();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->body, "a");
  EXPECT_EQ(b->body, "hello");
  EXPECT_EQ(c->body, "c");
}

TEST(ServerTest, ChunkedRequestBodyIsReassembled) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "hello world");
}

TEST(ServerTest, Http10ConnectionClosesAfterResponse) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip("GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST(ServerTest, Http10KeepAliveIsHonoured) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto first = client.Roundtrip("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Header("connection"), "keep-alive");
  auto second = client.Roundtrip("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
}

TEST(ServerTest, ConnectionCloseRequestIsHonoured) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/healthz", "Connection: close\r\n"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST(ServerTest, ExpectContinueGets100BeforeTheBody) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n"));
  EXPECT_THAT(client.buffer(), HasSubstr("HTTP/1.1 100 Continue"));
  client.buffer().clear();
  ASSERT_TRUE(client.Send("ping"));
  auto reply = client.ReadReply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "ping");
}

TEST(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options = TestOptions();
  options.idle_timeout = 100ms;
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  ASSERT_TRUE(client.Roundtrip(Get("/healthz")));
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(client.buffer().empty());  // closed silently
}

TEST(ServerTest, AccessLogGetsOneEntryPerRequest) {
  struct Seen {
    std::mutex mutex;
    std::vector<std::string> lines;
  };
  auto seen = std::make_shared<Seen>();
  ServerOptions options = TestOptions();
  options.access_log = [seen](const AccessLogEntry& entry) {
    std::lock_guard lock(seen->mutex);
    seen->lines.push_back(
        fmt::format("{} {} {} {}", entry.method, entry.target, entry.status, entry.bytes_sent));
  };
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  ASSERT_TRUE(client.Roundtrip(Get("/healthz")));
  ASSERT_TRUE(client.Roundtrip(Get("/missing")));
  // An entry is written once its response has been sent, so it may trail the reply a little.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::unique_lock lock(seen->mutex);
  while (seen->lines.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }
  ASSERT_EQ(seen->lines.size(), 2u);
  EXPECT_EQ(seen->lines[0], "GET /healthz 200 15");
  EXPECT_THAT(seen->lines[1], HasSubstr("GET /missing 404"));
}

TEST(ServerTest, ListensOnIpv6Loopback) {
  ServerOptions options = TestOptions();
  options.host = "::1";
  Server server(options, BasicRouter());
  auto started = server.Start();
  if (!started.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << started.error().ToString();
  Client client(server.port(), "::1");
  auto reply = client.Roundtrip(Get("/whoami"));
  ASSERT_TRUE(reply);
  EXPECT_THAT(reply->body, HasSubstr("[::1]:"));
  server.Stop(1s);
}

TEST(ServerTest, StartFailsOnMalformedRoute) {
  Router router;
  router.Get("no-leading-slash", Healthz);
  Server server(TestOptions(), std::move(router));
  auto started = server.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ServerTest, StartFailsWhenPortIsTaken) {
  RunningServer first(BasicRouter());
  ServerOptions options = TestOptions();
  options.port = first.port();
  Server second(options, BasicRouter());
  auto started = second.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message(), HasSubstr("bind"));
}

// --- Bad input ---

TEST(ServerBadInputTest, MalformedRequestLineIs400JsonAndCloses) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip("GET /healthz HTTP/1.1 extra\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_TRUE(IsJsonError(*reply, "invalid_argument")) << reply->body;
  EXPECT_EQ(reply->Header("connection"), "close");
  client.ShutdownWrite();
  EXPECT_TRUE(client.WaitClosed());
}

TEST(ServerBadInputTest, BinaryGarbageIs400) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply =
      client.Roundtrip(std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 15));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
}

TEST(ServerBadInputTest, MissingHostOnHttp11Is400) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip("GET /healthz HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_THAT(reply->body, HasSubstr("Host"));
}

TEST(ServerBadInputTest, ContentLengthWithTransferEncodingIs400) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
}

TEST(ServerBadInputTest, UnsupportedHttpVersionIs505) {
  RunningServer server(BasicRouter());
  Client client(server.port());
  auto reply = client.Roundtrip("GET /healthz HTTP/1.2\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 505);
}

TEST(ServerBadInputTest, OversizeHeaderIs431) {
  ServerOptions options = TestOptions();
  options.max_header_bytes = 1024;
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/healthz", "X-Big: " + std::string(2000, 'a') + "\r\n"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 431);
  EXPECT_TRUE(IsJsonError(*reply, "payload_too_large")) << reply->body;
  client.ShutdownWrite();
  EXPECT_TRUE(client.WaitClosed());
}

TEST(ServerBadInputTest, OversizeContentLengthIs413BeforeTheBodyIsSent) {
  ServerOptions options = TestOptions();
  options.max_body_bytes = 1000;
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  // Only the header: the server must answer from Content-Length alone.
  auto reply = client.Roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_TRUE(IsJsonError(*reply, "payload_too_large")) << reply->body;
  EXPECT_EQ(reply->Header("connection"), "close");
}

TEST(ServerBadInputTest, OversizeChunkedBodyIs413) {
  ServerOptions options = TestOptions();
  options.max_body_bytes = 1000;
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  std::string request = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) request += "64\r\n" + std::string(100, 'x') + "\r\n";
  request += "0\r\n\r\n";
  auto reply = client.Roundtrip(request);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_TRUE(IsJsonError(*reply, "payload_too_large")) << reply->body;
}

TEST(ServerBadInputTest, SlowlorisHeaderGets408WhileOthersAreServed) {
  ServerOptions options = TestOptions();
  options.header_timeout = 300ms;
  RunningServer server(BasicRouter(), options);
  Client slow(server.port());
  ASSERT_TRUE(slow.Send("GET /healthz HTTP/1.1\r\nHo"));
  auto started = std::chrono::steady_clock::now();
  // Trickle a byte at a time: pacing of the attack, not synchronisation.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop.load() && slow.Send("x")) std::this_thread::sleep_for(20ms);
  });
  // Meanwhile another client is served normally, several times.
  for (int i = 0; i < 5; ++i) {
    Client other(server.port());
    auto reply = other.Roundtrip(Get("/healthz"));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
  }
  auto reply = slow.ReadReply();
  stop = true;
  trickle.join();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 408);
  EXPECT_TRUE(IsJsonError(*reply, "deadline_exceeded")) << reply->body;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  slow.ShutdownWrite();
  EXPECT_TRUE(slow.WaitClosed());
}

TEST(ServerBadInputTest, SlowBodyGets408) {
  ServerOptions options = TestOptions();
  options.body_timeout = 200ms;
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  auto reply = client.Roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 408);
  EXPECT_THAT(reply->body, HasSubstr("body"));
}

TEST(ServerBadInputTest, HandlerExceptionIs500AndServerKeepsServing) {
  Router router = BasicRouter();
  router.Get("/throw", [](RequestContext&) -> awaitable<Response> {
    throw std::runtime_error("boom");
    co_return Response::Text(200, "unreachable");
  });
  std::atomic<int> errors{0};
  ServerOptions options = TestOptions();
  options.error_log = [&](std::string_view line) {
    if (line.find("boom") != std::string_view::npos) ++errors;
  };
  RunningServer server(std::move(router), options);
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/throw"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 500);
  EXPECT_TRUE(IsJsonError(*reply, "internal")) << reply->body;
  EXPECT_EQ(reply->body.find("boom"), std::string::npos);  // no internals leak to the client
  EXPECT_EQ(errors.load(), 1);
  auto next = client.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST(ServerBadInputTest, InvalidResponseHeaderIsDroppedNotInjected) {
  Router router;
  router.Get("/inject", [](RequestContext&) -> awaitable<Response> {
    Response response = Response::Text(200, "ok");
    response.headers.Add("X-Evil", "a\r\nSet-Cookie: stolen=1");
    response.headers.Add("Content-Length", "999");
    co_return response;
  });
  RunningServer server(std::move(router));
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/inject"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "ok");
  EXPECT_EQ(reply->Header("set-cookie"), "");
  EXPECT_EQ(reply->Header("x-evil"), "");
  EXPECT_EQ(reply->Header("content-length"), "2");
}

TEST(ServerBadInputTest, ConnectionsBeyondTheLimitGet503) {
  ServerOptions options = TestOptions();
  options.max_connections = 1;
  RunningServer server(BasicRouter(), options);
  Client first(server.port());
  ASSERT_TRUE(first.Roundtrip(Get("/healthz")));  // accepted and counted
  Client second(server.port());
  auto reply = second.ReadReply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  EXPECT_TRUE(IsJsonError(*reply, "unavailable")) << reply->body;
  EXPECT_TRUE(second.WaitClosed());
  auto still = first.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

// --- Streaming ---

TEST(ServerStreamTest, ChunkedStreamDeliversEveryWrite) {
  Router router;
  router.Get("/stream", [](RequestContext&) -> awaitable<Response> {
    co_return StreamResponse(200, "text/plain", [](StreamWriter& out) -> awaitable<core::Status> {
      for (std::string_view part : {"one ", "two ", "three"}) {
        BEDROCK_CO_TRY(co_await out.Write(part));
      }
      co_return core::OkStatus();
    });
  });
  RunningServer server(std::move(router));
  Client client(server.port());
  auto reply = client.Roundtrip(Get("/stream"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(reply->body, "one two three");
  auto next = client.Roundtrip(Get("/stream"));  // the connection stays usable
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "one two three");
}

TEST(ServerStreamTest, EachWriteIsFlushedBeforeTheNextOne) {
  auto gate = std::make_shared<Gate>();
  Router router;
  router.Get("/stream", [gate](RequestContext&) -> awaitable<Response> {
    co_return StreamResponse(200, "text/plain",
                             [gate](StreamWriter& out) -> awaitable<core::Status> {
                               BEDROCK_CO_TRY(co_await out.Write("first"));
                               co_await gate->Wait();  // held until the client saw "first"
                               BEDROCK_CO_TRY(co_await out.Write("second"));
                               co_return core::OkStatus();
                             });
  });
  RunningServer server(std::move(router));
  Client client(server.port());
  ASSERT_TRUE(client.Send(Get("/stream")));
  ASSERT_TRUE(client.ReadUntil("first\r\n"));
  gate->Open();
  ASSERT_TRUE(client.ReadUntil("0\r\n\r\n"));
  EXPECT_THAT(client.buffer(), HasSubstr("6\r\nsecond\r\n"));
}

TEST(ServerStreamTest, EventStreamSendsEventsAndHeartbeatsWhenIdle) {
  auto gate = std::make_shared<Gate>();
  Router router;
  router.Get("/events", [gate](RequestContext&) -> awaitable<Response> {
    co_return EventStreamResponse([gate](StreamWriter& out) -> awaitable<core::Status> {
      SseEvent greeting{.event = "greeting", .data = "hello\nworld", .id = "1"};
      BEDROCK_CO_TRY(co_await out.SendEvent(greeting));
      co_await gate->Wait();  // quiet: only heartbeats flow now
      BEDROCK_CO_TRY(co_await out.SendComment("bye"));
      co_return core::OkStatus();
    });
  });
  ServerOptions options = TestOptions();
  options.sse_heartbeat_interval = 50ms;
  RunningServer server(std::move(router), options);
  Client client(server.port());
  ASSERT_TRUE(client.Send(Get("/events")));
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n"));
  EXPECT_THAT(client.buffer(), HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(client.buffer(), HasSubstr("Cache-Control: no-cache"));
  ASSERT_TRUE(client.ReadUntil("event: greeting\nid: 1\ndata: hello\ndata: world\n\n"));
  ASSERT_TRUE(client.ReadUntil(": keep-alive\n\n"));
  gate->Open();
  ASSERT_TRUE(client.ReadUntil(": bye\n\n"));
  ASSERT_TRUE(client.ReadUntil("\r\n0\r\n\r\n"));
}

TEST(ServerStreamTest, ClientVanishingMidStreamCancelsWaitingProducer) {
  auto outcome = std::make_shared<std::promise<std::string>>();
  Router router = BasicRouter();
  router.Get("/events", [outcome](RequestContext&) -> awaitable<Response> {
    co_return EventStreamResponse([outcome](StreamWriter& out) -> awaitable<core::Status> {
      SseEvent first{.data = "first"}, late{.data = "too late"};
      BEDROCK_CO_TRY(co_await out.SendEvent(first));
      co_await out.WaitCancelled();  // e.g. a model call raced against the client leaving
      auto write = co_await out.SendEvent(late);
      outcome->set_value(fmt::format("cancelled={} write={}", out.Cancelled(),
                                     write.ok() ? "ok" : write.error().ToString()));
      co_return write;
    });
  });
  ServerOptions options = TestOptions();
  options.sse_heartbeat_interval = 0ms;  // no heartbeat writes: only the watcher can notice
  RunningServer server(std::move(router), options);
  {
    Client client(server.port());
    ASSERT_TRUE(client.Send(Get("/events")));
    ASSERT_TRUE(client.ReadUntil("data: first\n\n"));
  }  // the client goes away
  auto future = outcome->get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get(), "cancelled=true write=cancelled: the client disconnected");
  Client other(server.port());
  auto reply = other.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST(ServerStreamTest, ClientVanishingMidStreamFailsWritesOfBusyProducer) {
  auto outcome = std::make_shared<std::promise<core::ErrorCode>>();
  Router router;
  router.Get("/firehose", [outcome](RequestContext&) -> awaitable<Response> {
    co_return StreamResponse(200, "application/octet-stream",
                             [outcome](StreamWriter& out) -> awaitable<core::Status> {
                               std::string block(16 * 1024, 'z');
                               while (true) {
                                 auto written = co_await out.Write(block);
                                 if (!written.ok()) {
                                   outcome->set_value(written.error().code());
                                   co_return written;
                                 }
                               }
                             });
  });
  RunningServer server(std::move(router));
  {
    Client client(server.port());
    ASSERT_TRUE(client.Send(Get("/firehose")));
    ASSERT_TRUE(client.ReadUntil("zzzz"));
  }
  auto future = outcome->get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get(), core::ErrorCode::kCancelled);
}

TEST(ServerStreamTest, ClientNotReadingHitsWriteDeadline) {
  auto outcome = std::make_shared<std::promise<core::ErrorCode>>();
  Router router;
  router.Get("/firehose", [outcome](RequestContext&) -> awaitable<Response> {
    co_return StreamResponse(200, "application/octet-stream",
                             [outcome](StreamWriter& out) -> awaitable<core::Status> {
                               std::string block(64 * 1024, 'z');
                               while (true) {
                                 auto written = co_await out.Write(block);
                                 if (!written.ok()) {
                                   outcome->set_value(written.error().code());
                                   co_return written;
                                 }
                               }
                             });
  });
  ServerOptions options = TestOptions();
  options.write_timeout = 200ms;
  RunningServer server(std::move(router), options);
  Client client(server.port());  // sends the request, then never reads
  int small = 4096;
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(client.Send(Get("/firehose")));
  auto future = outcome->get_future();
  ASSERT_EQ(future.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(future.get(), core::ErrorCode::kDeadlineExceeded);
}

TEST(ServerStreamTest, ClientVanishingDuringSlowHandlerIsSeenByTheHandler) {
  auto entered = std::make_shared<std::promise<void>>();
  auto outcome = std::make_shared<std::promise<bool>>();
  Router router;
  router.Get("/slow", [entered, outcome](RequestContext& ctx) -> awaitable<Response> {
    entered->set_value();
    co_await ctx.WaitCancelled();  // e.g. raced against a long model call
    outcome->set_value(ctx.Cancelled());
    co_return Response::Text(200, "nobody reads this");
  });
  RunningServer server(std::move(router));
  {
    Client client(server.port());
    ASSERT_TRUE(client.Send(Get("/slow")));
    ASSERT_EQ(entered->get_future().wait_for(10s), std::future_status::ready);
  }
  auto future = outcome->get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get());
}

TEST(ServerStreamTest, ProducerErrorTruncatesTheBody) {
  Router router;
  router.Get("/broken", [](RequestContext&) -> awaitable<Response> {
    co_return StreamResponse(200, "text/plain", [](StreamWriter& out) -> awaitable<core::Status> {
      BEDROCK_CO_TRY(co_await out.Write("partial"));
      co_return core::Error::UpstreamFailure("the model stream broke");
    });
  });
  RunningServer server(std::move(router));
  Client client(server.port());
  ASSERT_TRUE(client.Send(Get("/broken")));
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_THAT(client.buffer(), HasSubstr("7\r\npartial\r\n"));
  EXPECT_THAT(client.buffer(), ::testing::Not(HasSubstr("0\r\n\r\n")));
}

TEST(ServerStreamTest, Http10StreamRunsUntilClose) {
  Router router;
  router.Get("/stream", [](RequestContext&) -> awaitable<Response> {
    co_return StreamResponse(200, "text/plain", [](StreamWriter& out) -> awaitable<core::Status> {
      BEDROCK_CO_TRY(co_await out.Write("abc"));
      BEDROCK_CO_TRY(co_await out.Write("def"));
      co_return core::OkStatus();
    });
  });
  RunningServer server(std::move(router));
  Client client(server.port());
  auto reply = client.Roundtrip("GET /stream HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->Header("transfer-encoding"), "");
  EXPECT_EQ(reply->body, "abcdef");
}

// --- Shutdown ---

TEST(ServerShutdownTest, DrainsInFlightRequestAndRefusesNewConnections) {
  auto gate = std::make_shared<Gate>();
  Router router = BasicRouter();
  router.Get("/slow", [gate](RequestContext&) -> awaitable<Response> {
    co_await gate->Wait();
    co_return Response::Text(200, "finished");
  });
  auto server = std::make_unique<Server>(TestOptions(), std::move(router));
  ASSERT_TRUE(server->Start().ok());
  uint16_t port = server->port();

  Client busy(port);
  ASSERT_TRUE(busy.Send(Get("/slow")));
  ASSERT_TRUE(gate->WaitEntered());
  Client idle(port);
  ASSERT_TRUE(idle.Roundtrip(Get("/healthz")));

  auto stopped = std::async(std::launch::async, [&] {
    auto begin = std::chrono::steady_clock::now();
    server->Stop(20s);
    return std::chrono::steady_clock::now() - begin;
  });
  EXPECT_TRUE(idle.WaitClosed());  // idle keep-alive connections are closed at once
  // New connections are refused once the listener is closed.
  bool refused = false;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    Client probe(port);
    refused = !probe.connected();
  }
  EXPECT_TRUE(refused);

  gate->Open();
  auto reply = busy.ReadReply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "finished");
  EXPECT_EQ(reply->Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed());
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_LT(stopped.get(), 10s);  // it did not wait for the grace period
}

TEST(ServerShutdownTest, EndsEventStreamsAndProducersSeeCancellation) {
  auto outcome = std::make_shared<std::promise<std::string>>();
  Router router;
  router.Get("/events", [outcome](RequestContext&) -> awaitable<Response> {
    co_return EventStreamResponse([outcome](StreamWriter& out) -> awaitable<core::Status> {
      SseEvent started{.data = "started"}, after{.data = "after"};
      BEDROCK_CO_TRY(co_await out.SendEvent(started));
      co_await out.WaitCancelled();
      auto write = co_await out.SendEvent(after);
      outcome->set_value(write.ok() ? "ok" : write.error().ToString());
      co_return core::OkStatus();
    });
  });
  auto server = std::make_unique<Server>(TestOptions(), std::move(router));
  ASSERT_TRUE(server->Start().ok());
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/events")));
  ASSERT_TRUE(client.ReadUntil("data: started\n\n"));

  auto begin = std::chrono::steady_clock::now();
  server->Stop(20s);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 10s);
  auto future = outcome->get_future();
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(future.get(), "cancelled: the server is shutting down");
  EXPECT_TRUE(client.ReadUntil("0\r\n\r\n"));  // the stream ended cleanly
  EXPECT_TRUE(client.WaitClosed());
}

TEST(ServerShutdownTest, ForceClosesAtTheDeadline) {
  auto gate = std::make_shared<Gate>();
  Router router;
  router.Get("/stuck", [gate](RequestContext&) -> awaitable<Response> {
    co_await gate->Wait();  // never opened before the deadline
    co_return Response::Text(200, "late");
  });
  auto server = std::make_unique<Server>(TestOptions(), std::move(router));
  ASSERT_TRUE(server->Start().ok());
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/stuck")));
  ASSERT_TRUE(gate->WaitEntered());
  auto begin = std::chrono::steady_clock::now();
  server->Stop(200ms);
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(client.buffer().empty());
  gate->Open();
  server.reset();
}

TEST(ServerShutdownTest, AwaitableShutdownFromAnotherExecutor) {
  auto server = std::make_unique<Server>(TestOptions(), BasicRouter());
  ASSERT_TRUE(server->Start().ok());
  Client client(server->port());
  ASSERT_TRUE(client.Roundtrip(Get("/healthz")));
  asio::io_context context;
  bool done = false;
  asio::co_spawn(
      context,
      [&]() -> awaitable<void> {
        co_await server->Shutdown(5s);
        done = true;
      },
      asio::detached);
  context.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(server->connection_count(), 0u);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(ServerShutdownTest, ShutdownSignalsReportSigterm) {
  ShutdownSignals signals;  // installed: raising SIGTERM now does not kill the test
  std::raise(SIGTERM);
  EXPECT_EQ(signals.Wait(), SIGTERM);
}

TEST(ServerShutdownTest, ServeUntilSignalStopsTheServerOnSigint) {
  // Installed first, so a SIGINT raised before ServeUntilSignal installs its own handler is
  // recorded here instead of killing the test.
  ShutdownSignals guard;
  Server server(TestOptions(), BasicRouter());
  ASSERT_TRUE(server.Start().ok());
  uint16_t port = server.port();
  std::promise<int> result;
  auto future = result.get_future();
  std::thread serving([&] { result.set_value(ServeUntilSignal(server, 5s)); });
  // Raise until the serving thread has taken one: it may not have installed its handler yet.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    std::raise(SIGINT);
  } while (future.wait_for(20ms) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline);
  serving.join();
  EXPECT_EQ(future.get(), SIGINT);
  Client after(port);
  EXPECT_FALSE(after.connected());
}

// --- TLS ---

std::string TlsFile(const char* name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../tests/data/tls" / name)
      .lexically_normal()
      .string();
}

TEST(ServerTlsTest, HttpsRoundTrip) {
  ServerOptions options = TestOptions();
  options.tls_cert_file = TlsFile("server.pem");
  options.tls_key_file = TlsFile("server.key");
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  ASSERT_TRUE(client.StartTls(TlsFile("ca.pem")));
  auto reply = client.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"({"status":"ok"})");
  auto echo = client.Roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "abc");
}

TEST(ServerTlsTest, PlainHttpToTlsPortIsClosed) {
  ServerOptions options = TestOptions();
  options.tls_cert_file = TlsFile("server.pem");
  options.tls_key_file = TlsFile("server.key");
  RunningServer server(BasicRouter(), options);
  Client client(server.port());
  ASSERT_TRUE(client.Send(Get("/healthz")));
  EXPECT_TRUE(client.WaitClosed());
  Client good(server.port());
  ASSERT_TRUE(good.StartTls(TlsFile("ca.pem")));
  EXPECT_TRUE(good.Roundtrip(Get("/healthz")));
}

TEST(ServerTlsTest, MissingKeyFileFailsStart) {
  ServerOptions options = TestOptions();
  options.tls_cert_file = TlsFile("server.pem");
  options.tls_key_file = TlsFile("does-not-exist.key");
  Server server(options, BasicRouter());
  auto started = server.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message(), HasSubstr("does-not-exist.key"));
}

}  // namespace
}  // namespace bedrock::http

// Our Streamable HTTP server and client over real loopback sockets, plus raw-HTTP bad-input cases.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "http/client.h"
#include "http/server.h"
#include "mcp/client.h"
#include "mcp/protocol.h"
#include "mcp/server.h"
#include "mcp/server_config.h"
#include "mcp/sse_client.h"
#include "mcp/streamable_http_client.h"
#include "mcp/streamable_http_server.h"
#include "mcp/testing/everything_endpoint.h"
#include "mcp/testing/http_endpoint.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::RunCoroutine;

#define CO_ASSERT(cond)                          \
  if (!(cond)) {                                 \
    ADD_FAILURE() << "assertion failed: " #cond; \
    co_return;                                   \
  }
#define CO_ASSERT_OK_REF(result)                                  \
  if (!(result).ok()) {                                           \
    ADD_FAILURE() << #result ": " << (result).error().ToString(); \
    co_return;                                                    \
  }

constexpr std::string_view kInitializeBody =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"raw","version":"1"}}})";

// Polls `done` on the calling coroutine's executor until it holds or 10 s pass.
Awaitable<bool> WaitFor(std::function<bool()> done) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

// An MCP server behind our HTTP server; sessions run on their own io_context thread.
class Endpoint {
 public:
  explicit Endpoint(StreamableHttpServerOptions options = {})
      : server_(Implementation("test-server", "1.0")) {
    AddTools();
    http_ = std::make_unique<testing::HttpEndpoint>(server_, options);
  }

  std::string url() const { return http_->url(); }
  uint16_t port() const { return http_->port(); }
  Server& server() { return server_; }
  StreamableHttpServer& endpoint() { return http_->endpoint(); }

  std::atomic<bool> slow_started{false};
  std::atomic<bool> slow_cancelled{false};
  std::atomic<bool> gate_open{false};

 private:
  void AddTools() {
    Tool echo;
    echo.name = "echo";
    echo.description = "Echoes its text";
    echo.handler = [](json::object args,
                      ServerContext&) -> Awaitable<core::Result<CallToolResult>> {
      co_return CallToolResult::Text(std::string(args.at("text").as_string()));
    };
    server_.AddTool(std::move(echo));

    Tool progress;
    progress.name = "progress";
    progress.description = "Reports progress three times";
    progress.handler = [](json::object,
                          ServerContext& ctx) -> Awaitable<core::Result<CallToolResult>> {
      for (int i = 1; i <= 3; ++i) BEDROCK_CO_TRY(co_await ctx.Progress(i, 3));
      co_return CallToolResult::Text("done");
    };
    server_.AddTool(std::move(progress));

    Tool sample;
    sample.name = "sample";
    sample.description = "Asks the client's model";
    sample.handler = [](json::object,
                        ServerContext& ctx) -> Awaitable<core::Result<CallToolResult>> {
      json::object params =
          json::parse(
              R"({"messages":[{"role":"user","content":{"type":"text","text":"hi"}}],"maxTokens":10})")
              .as_object();
      BEDROCK_CO_TRY_ASSIGN(json::value r, co_await ctx.CreateMessage(std::move(params)));
      co_return CallToolResult::Text(std::string(r.at("content").at("text").as_string()));
    };
    server_.AddTool(std::move(sample));

    Tool slow;
    slow.name = "slow";
    slow.description = "Waits until cancelled";
    slow.handler = [this](json::object,
                          ServerContext& ctx) -> Awaitable<core::Result<CallToolResult>> {
      slow_started = true;
      asio::steady_timer forever(co_await asio::this_coro::executor,
                                 asio::steady_timer::time_point::max());
      (void)co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ctx.cancelled()) slow_cancelled = true;
      co_return CallToolResult::Text("woke");
    };
    server_.AddTool(std::move(slow));

    Tool gated;
    gated.name = "gated";
    gated.description = "Progress, waits for the gate, progress, result";
    gated.handler = [this](json::object,
                           ServerContext& ctx) -> Awaitable<core::Result<CallToolResult>> {
      BEDROCK_CO_TRY(co_await ctx.Progress(1, 2));
      if (!co_await WaitFor([this] { return gate_open.load(); })) {
        co_return core::Error::DeadlineExceeded("gate never opened");
      }
      BEDROCK_CO_TRY(co_await ctx.Progress(2, 2));
      co_return CallToolResult::Text("through");
    };
    server_.AddTool(std::move(gated));
  }

  Server server_;
  std::unique_ptr<testing::HttpEndpoint> http_;  // after server_: stopped before it goes
};

http::ClientRequest Post(const std::string& url, std::string_view body) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.Set("Content-Type", "application/json");
  request.headers.Set("Accept", "application/json, text/event-stream");
  request.body = std::string(body);
  request.timeout = std::chrono::milliseconds(10'000);
  return request;
}

// Initializes a session with raw HTTP; its id.
Awaitable<std::string> RawInitialize(http::Client& client, const std::string& url) {
  auto response = co_await client.Send(Post(url, kInitializeBody));
  if (!response.ok() || response->status != 200) co_return std::string();
  std::string id(response->headers.Get(header::kSessionId).value_or(""));
  auto initialized = Post(url, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  initialized.headers.Set(std::string(header::kSessionId), id);
  auto sent = co_await client.Send(std::move(initialized));
  EXPECT_TRUE(sent.ok() && sent->status == 202);
  co_return id;
}

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectClient(
    asio::any_io_executor ex, const std::string& url, ClientOptions options = {},
    std::shared_ptr<StreamableHttpClientTransport>* transport_out = nullptr) {
  auto http_client = http::Client::Create(ex);
  if (!http_client.ok()) co_return http_client.error();
  StreamableHttpClientOptions transport_options;
  transport_options.url = url;
  transport_options.default_retry = std::chrono::milliseconds(20);
  auto transport =
      StreamableHttpClientTransport::Create(ex, *http_client, std::move(transport_options));
  if (transport_out != nullptr) *transport_out = transport;
  co_return co_await Client::Connect(transport, Implementation("test-client", "1.0"),
                                     std::move(options));
}

// Clients negotiate 2026-07-28 (sessionless) when the server speaks it; the session tests ask for
// the revision that has sessions.
ClientOptions SessionRevision() {
  ClientOptions options;
  options.protocol_version = std::string(kVersion2025_11_25);
  return options;
}

TEST(StreamableHttpTest, InitializeListToolsAndCallToolOverJson) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    std::shared_ptr<StreamableHttpClientTransport> transport;
    auto client = co_await ConnectClient(ex, endpoint.url(), SessionRevision(), &transport);
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ(transport->session_id().size(), 64u);
    EXPECT_EQ((*client)->server_info().name, "test-server");
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_EQ(tools->size(), 5u);
    json::object args{{"text", "hello"}};
    auto result = co_await (*client)->CallTool("echo", std::move(args));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "hello");
    co_await (*client)->Close();
  });
}

TEST(StreamableHttpTest, ProgressNotificationsStreamOverSseBeforeTheResult) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectClient(ex, endpoint.url());
    MCP_CO_ASSERT_OK(client);
    std::vector<double> seen;
    CallOptions options;
    options.on_progress = [&](const json::object& p) {
      seen.push_back(p.at("progress").to_number<double>());
    };
    auto result = co_await (*client)->CallTool("progress", {}, std::move(options));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "done");
    EXPECT_EQ(seen, (std::vector<double>{1, 2, 3}));
    co_await (*client)->Close();
  });
}

TEST(StreamableHttpTest, SamplingRequestTravelsOnThePostStream) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    ClientOptions options;
    options.on_sampling = [](json::value, RequestContext&) -> Awaitable<Reply> {
      co_return json::parse(
          R"({"role":"assistant","content":{"type":"text","text":"sampled"},"model":"m"})")
          .as_object();
    };
    auto client = co_await ConnectClient(ex, endpoint.url(), std::move(options));
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("sample", {});
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "sampled");
    co_await (*client)->Close();
  });
}

TEST(StreamableHttpTest, InitializeAnswersWithSessionIdHeader) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await RawInitialize(*client, endpoint.url());
    EXPECT_EQ(id.size(), 64u);
    for (char c : id) EXPECT_TRUE(c > 0x20 && c < 0x7f);
    EXPECT_EQ(endpoint.endpoint().session_count(), 1u);
  });
}

TEST(StreamableHttpTest, MissingSessionIdIs400) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await client->Send(
        Post(endpoint.url(), R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
  });
}

TEST(StreamableHttpTest, UnknownSessionIdIs404) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = Post(endpoint.url(), R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
    request.headers.Set(std::string(header::kSessionId), "not-a-session");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 404);
  });
}

TEST(StreamableHttpTest, UnsupportedProtocolVersionIs400) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await RawInitialize(*client, endpoint.url());
    auto request = Post(endpoint.url(), R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
    request.headers.Set(std::string(header::kSessionId), id);
    request.headers.Set(std::string(header::kProtocolVersion), "1999-01-01");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
  });
}

TEST(StreamableHttpTest, ForeignOriginIs403) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = Post(endpoint.url(), kInitializeBody);
    request.headers.Set("Origin", "http://evil.example.com");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 403);
    EXPECT_EQ(endpoint.endpoint().session_count(), 0u);
  });
}

TEST(StreamableHttpTest, LocalhostOriginIsAllowed) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = Post(endpoint.url(), kInitializeBody);
    request.headers.Set("Origin", "http://localhost:3000");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 200);
  });
}

TEST(StreamableHttpTest, DeleteEndsTheSessionAndTheClientReportsExpiry) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    std::shared_ptr<StreamableHttpClientTransport> transport;
    auto client = co_await ConnectClient(ex, endpoint.url(), SessionRevision(), &transport);
    MCP_CO_ASSERT_OK(client);
    auto raw = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(raw);
    http::ClientRequest del;
    del.method = "DELETE";
    del.url = endpoint.url();
    del.headers.Set(std::string(header::kSessionId), transport->session_id());
    auto deleted = co_await raw->Send(std::move(del));
    MCP_CO_ASSERT_OK(deleted);
    EXPECT_EQ(deleted->status, 200);
    EXPECT_EQ(endpoint.endpoint().session_count(), 0u);
    auto tools = co_await (*client)->ListTools();
    CO_ASSERT(!tools.ok());
    EXPECT_NE(tools.error().message().find("expired"), std::string::npos)
        << tools.error().ToString();
    co_await (*client)->Close();
  });
}

TEST(StreamableHttpTest, NotificationIsAcceptedWith202) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await RawInitialize(*client, endpoint.url());
    EXPECT_FALSE(id.empty());
  });
}

TEST(StreamableHttpTest, MalformedJsonIsParseErrorWith400) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await client->Send(Post(endpoint.url(), R"({"jsonrpc":"2.0",)"));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
    auto body = json::parse(response->body);
    EXPECT_EQ(body.at("error").at("code"), kParseError);
  });
}

TEST(StreamableHttpTest, OversizeBodyIs413) {
  StreamableHttpServerOptions options;
  options.max_message_bytes = 1024;
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string big =
        R"({"jsonrpc":"2.0","method":"x","params":{"p":")" + std::string(4096, 'a') + R"("}})";
    auto response = co_await client->Send(Post(endpoint.url(), big));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 413);
  });
}

TEST(StreamableHttpTest, WrongContentTypeIs415) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = Post(endpoint.url(), kInitializeBody);
    request.headers.Set("Content-Type", "text/plain");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 415);
  });
}

TEST(StreamableHttpTest, AcceptingNeitherJsonNorSseIs406) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = Post(endpoint.url(), kInitializeBody);
    request.headers.Set("Accept", "text/html");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 406);
  });
}

TEST(StreamableHttpTest, BearerTokenIsRequiredWhenConfigured) {
  StreamableHttpServerOptions options;
  options.authenticate = BearerTokenAuthenticator("s3cret");
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await client->Send(Post(endpoint.url(), kInitializeBody));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 401);
    auto with_token = Post(endpoint.url(), kInitializeBody);
    with_token.headers.Set("Authorization", "Bearer s3cret");
    auto ok = co_await client->Send(std::move(with_token));
    MCP_CO_ASSERT_OK(ok);
    EXPECT_EQ(ok->status, 200);
  });
}

TEST(StreamableHttpTest, ClientDisconnectMidStreamCancelsTheTool) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await RawInitialize(*client, endpoint.url());
    auto request = Post(
        endpoint.url(),
        R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow","arguments":{}}})");
    request.headers.Set(std::string(header::kSessionId), id);
    request.headers.Set("Accept", "text/event-stream");
    auto stream = co_await client->Open(std::move(request));
    CO_ASSERT_OK_REF(stream);
    EXPECT_EQ(stream->status(), 200);
    EXPECT_TRUE(co_await WaitFor([&] { return endpoint.slow_started.load(); }));
    stream->Close();
    EXPECT_TRUE(co_await WaitFor([&] { return endpoint.slow_cancelled.load(); }));
  });
}

TEST(StreamableHttpTest, LastEventIdReplaysMissedEvents) {
  StreamableHttpServerOptions options;
  options.cancel_on_disconnect = false;
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await RawInitialize(*client, endpoint.url());
    auto request = Post(
        endpoint.url(),
        R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"gated","arguments":{},"_meta":{"progressToken":"t"}}})");
    request.headers.Set(std::string(header::kSessionId), id);
    request.headers.Set("Accept", "text/event-stream");
    auto opened = co_await client->Open(std::move(request));
    CO_ASSERT_OK_REF(opened);
    http::SseStreamReader first(std::move(*opened));
    auto event = co_await first.Next();
    MCP_CO_ASSERT_OK(event);
    CO_ASSERT(event->has_value());
    EXPECT_NE((*event)->data.find("notifications/progress"), std::string::npos);
    std::string last_id = (*event)->id;
    EXPECT_FALSE(last_id.empty());
    first.response().Close();
    endpoint.gate_open = true;

    http::ClientRequest resume;
    resume.url = endpoint.url();
    resume.headers.Set("Accept", "text/event-stream");
    resume.headers.Set(std::string(header::kSessionId), id);
    resume.headers.Set(std::string(header::kLastEventId), last_id);
    auto reopened = co_await client->Open(std::move(resume));
    CO_ASSERT_OK_REF(reopened);
    EXPECT_EQ(reopened->status(), 200);
    http::SseStreamReader second(std::move(*reopened));
    std::vector<std::string> data;
    for (auto e = co_await second.Next(); e.ok() && *e; e = co_await second.Next()) {
      data.push_back((*e)->data);
    }
    CO_ASSERT(data.size() == 2u);
    EXPECT_NE(data[0].find("notifications/progress"), std::string::npos) << data[0];
    EXPECT_NE(data[1].find("through"), std::string::npos) << data[1];
  });
}

TEST(StreamableHttpTest, IdleSessionsExpire) {
  StreamableHttpServerOptions options;
  options.session_idle_timeout = std::chrono::milliseconds(50);
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await RawInitialize(*client, endpoint.url());
    EXPECT_FALSE(id.empty());
    EXPECT_TRUE(co_await WaitFor([&] { return endpoint.endpoint().session_count() == 0; }));
  });
}

TEST(StreamableHttpTest, GetStreamWithoutSessionIs400) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    http::ClientRequest get;
    get.url = endpoint.url();
    get.headers.Set("Accept", "text/event-stream");
    auto response = co_await client->Send(std::move(get));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
  });
}

TEST(DecodeHttpResponseBodyTest, SseBodyWithSeveralMessages) {
  std::string body =
      "id: 1:1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"a\"}\n\n"
      "data: not json\n\n"
      "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
  DecodedBody decoded = DecodeHttpResponseBody("text/event-stream", body, 1 << 20);
  EXPECT_EQ(decoded.messages.size(), 2u);
  EXPECT_EQ(decoded.rejected, 1u);
}

}  // namespace
}  // namespace bedrock::mcp

namespace bedrock::mcp {
namespace {

TEST(StreamableHttpTest, ConnectFromMcpServersEntryWithToken) {
  StreamableHttpServerOptions options;
  options.authenticate = BearerTokenAuthenticator("tok");
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    std::string text = R"({"mcpServers":{"remote":{"url":")" + endpoint.url() +
                       R"(","token":"tok","headers":{"X-Extra":"1"}}}})";
    auto doc = core::ParseJsonDocument(text, "inline.json");
    MCP_CO_ASSERT_OK(doc);
    auto servers = ParseMcpServers(doc->Root());
    MCP_CO_ASSERT_OK(servers);
    auto http_client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(http_client);
    McpServerConfig config = servers->front();
    Implementation info("test-client", "1.0");
    ClientOptions client_options;
    auto client = co_await ConnectMcpServer(ex, std::move(config), *http_client, std::move(info),
                                            std::move(client_options));
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_EQ(tools->size(), 5u);
    co_await (*client)->Close();
  });
}

TEST(StreamableHttpTest, ConnectWithoutTokenFailsWithUnauthenticated) {
  StreamableHttpServerOptions options;
  options.authenticate = BearerTokenAuthenticator("tok");
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectClient(ex, endpoint.url());
    EXPECT_FALSE(client.ok());
    if (!client.ok()) {
      EXPECT_EQ(client.error().code(), core::ErrorCode::kUnauthenticated)
          << client.error().ToString();
    }
  });
}

}  // namespace
}  // namespace bedrock::mcp

namespace bedrock::mcp {
namespace {

TEST(LegacySseTest, InitializeListToolsProgressAndSampling) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto http_client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(http_client);
    SseClientOptions options;
    options.url = fmt::format("http://127.0.0.1:{}/sse", endpoint.port());
    auto transport = co_await ConnectSseTransport(ex, *http_client, std::move(options));
    MCP_CO_ASSERT_OK(transport);
    ClientOptions client_options;
    client_options.protocol_version = std::string(kVersion2024_11_05);
    client_options.on_sampling = [](json::value, RequestContext&) -> Awaitable<Reply> {
      co_return json::parse(
          R"({"role":"assistant","content":{"type":"text","text":"sampled"},"model":"m"})")
          .as_object();
    };
    auto client = co_await Client::Connect(*transport, Implementation("legacy", "1"),
                                           std::move(client_options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ((*client)->protocol_version(), kVersion2024_11_05);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    EXPECT_EQ(tools->size(), 5u);
    int progress = 0;
    CallOptions call;
    call.on_progress = [&](const json::object&) { ++progress; };
    auto result = co_await (*client)->CallTool("progress", {}, std::move(call));
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(progress, 3);
    auto sampled = co_await (*client)->CallTool("sample", {});
    MCP_CO_ASSERT_OK(sampled);
    EXPECT_EQ(sampled->content.at(0).at("text"), "sampled");
    co_await (*client)->Close();
  });
}

TEST(LegacySseTest, PostWithUnknownSessionIs404) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await client->Send(
        Post(fmt::format("http://127.0.0.1:{}/messages?sessionId=nope", endpoint.port()),
             R"({"jsonrpc":"2.0","method":"x"})"));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 404);
  });
}

TEST(LegacySseTest, AutoDetectFallsBackToSseOn4xx) {
  StreamableHttpServerOptions options;
  options.legacy_sse_path = "/legacy";
  Endpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    std::string text = fmt::format(
        R"({{"mcpServers":{{"old":{{"url":"http://127.0.0.1:{}/legacy"}}}}}})", endpoint.port());
    auto doc = core::ParseJsonDocument(text, "inline.json");
    MCP_CO_ASSERT_OK(doc);
    auto servers = ParseMcpServers(doc->Root());
    MCP_CO_ASSERT_OK(servers);
    EXPECT_EQ(servers->front().kind, ServerTransportKind::kAutoHttp);
    auto http_client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(http_client);
    McpServerConfig config = servers->front();
    Implementation info("test-client", "1.0");
    ClientOptions client_options;
    client_options.protocol_version = std::string(kVersion2024_11_05);
    auto client = co_await ConnectMcpServer(ex, std::move(config), *http_client, std::move(info),
                                            std::move(client_options));
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    co_await (*client)->Close();
  });
}

TEST(ResolveSseEndpointTest, RelativeAbsolutePathAndCrossOrigin) {
  auto a = ResolveSseEndpoint("http://h:8/a/sse", "/messages?sessionId=1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "http://h:8/messages?sessionId=1");
  auto b = ResolveSseEndpoint("http://h:8/a/sse", "messages?sessionId=1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, "http://h:8/a/messages?sessionId=1");
  auto c = ResolveSseEndpoint("http://h:8/a/sse", "http://h:8/x");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(ResolveSseEndpoint("http://h:8/a/sse", "http://evil:8/x").ok());
  EXPECT_FALSE(ResolveSseEndpoint("http://h:8/a/sse", "//evil/x").ok());
}

}  // namespace
}  // namespace bedrock::mcp

namespace bedrock::mcp {
namespace {

// A hand-written server that answers initialize as JSON, then answers tools/call with an SSE
// stream that ends after a priming event (id + retry) and delivers the result only on a GET
// carrying Last-Event-ID, as servers that poll do.
class ResumingServer {
 public:
  ResumingServer() {
    http::Router router;
    router.Post("/mcp", [this](http::RequestContext& ctx) -> Awaitable<http::Response> {
      auto parsed = json::parse(ctx.request().body).as_object();
      if (!parsed.contains("id")) {
        http::Response accepted;
        accepted.status = 202;
        co_return accepted;
      }
      json::value id = parsed.at("id");
      std::string method(parsed.at("method").as_string());
      if (method == "initialize") {
        json::object result =
            json::parse(
                R"({"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"resuming","version":"1"}})")
                .as_object();
        json::object body{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
        auto response = http::Response::Json(200, json::serialize(body));
        response.headers.Set(std::string(header::kSessionId), "s1");
        co_return response;
      }
      call_id_ = json::serialize(id);
      co_return http::EventStreamResponse([](http::StreamWriter& out) -> Awaitable<core::Status> {
        http::SseEvent priming;
        priming.id = "p-1";
        priming.retry_ms = 20;
        priming.data = "";
        co_return co_await out.Write(http::FormatSseEvent(priming));
      });
    });
    router.Get("/mcp", [this](http::RequestContext& ctx) -> Awaitable<http::Response> {
      auto last = ctx.request().headers.Get(header::kLastEventId);
      if (!last) {
        http::Response not_allowed = http::Response::Text(405, "no GET stream");
        co_return not_allowed;
      }
      resumed_with_ = std::string(*last);
      std::string data = R"({"jsonrpc":"2.0","id":)" + call_id_ +
                         R"(,"result":{"content":[{"type":"text","text":"resumed"}]}})";
      co_return http::EventStreamResponse(
          [data](http::StreamWriter& out) -> Awaitable<core::Status> {
            http::SseEvent event;
            event.id = "p-2";
            event.event = "message";
            event.data = data;
            co_return co_await out.SendEvent(event);
          });
    });
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(options, std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  ~ResumingServer() { server_->Stop(std::chrono::milliseconds(1000)); }

  std::string url() const { return fmt::format("http://127.0.0.1:{}/mcp", server_->port()); }
  // Written on the server's only thread before the GET's response; read after the call returns.
  std::string resumed_with_;

 private:
  std::string call_id_;
  std::unique_ptr<http::Server> server_;
};

TEST(StreamableHttpClientTest, DroppedStreamIsResumedWithLastEventId) {
  ResumingServer server;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectClient(ex, server.url());
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("anything", {});
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "resumed");
    EXPECT_EQ(server.resumed_with_, "p-1");
    co_await (*client)->Close();
  });
}

}  // namespace
}  // namespace bedrock::mcp

namespace bedrock::mcp {
namespace {

TEST(StreamableHttpTest, ServerInitiatedNotificationArrivesOnTheGetStream) {
  Endpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    bool changed = false;
    ClientOptions options;
    options.on_tools_list_changed = [&] { changed = true; };
    auto client = co_await ConnectClient(ex, endpoint.url(), std::move(options));
    MCP_CO_ASSERT_OK(client);
    // The GET stream opens in the background after initialization: keep changing the tool list
    // until a list_changed comes through it.
    int added = 0;
    bool arrived = co_await WaitFor([&] {
      if (!changed) {
        Tool extra;
        extra.name = "extra" + std::to_string(added++);
        extra.description = "added while connected";
        extra.handler = [](json::object,
                           ServerContext&) -> Awaitable<core::Result<CallToolResult>> {
          co_return CallToolResult::Text("x");
        };
        endpoint.server().AddTool(std::move(extra));
      }
      return changed;
    });
    EXPECT_TRUE(arrived);
    co_await (*client)->Close();
  });
}

// The skills extension end to end on 2026-07-28: our client lists the everything server's skill
// and loads it, every file checked against the listing.
TEST(StreamableHttpTest, SkillIsListedThenLoadedWithEveryFileVerified) {
  testing::EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectClient(ex, endpoint.url());
    MCP_CO_ASSERT_OK(client);
    auto skills = co_await (*client)->ListSkills();
    MCP_CO_ASSERT_OK(skills);
    if (skills->size() != 1u) {
      ADD_FAILURE() << json::serialize(*skills);
      co_return;
    }
    const json::object& entry = skills->front().as_object();
    EXPECT_EQ(entry.at("uri"), "skill://pdf-processing/SKILL.md");
    auto files = co_await (*client)->LoadSkill(entry);
    MCP_CO_ASSERT_OK(files);
    EXPECT_EQ(files->size(), 2u);
    if (files->size() == 2u) {
      EXPECT_EQ(files->at(1).first, "skill://pdf-processing/references/FORMS.md");
    }
    // An entry whose digest does not match stops the load at SKILL.md.
    json::object tampered = entry;
    tampered["resources"].as_array()[0].as_object()["digest"] = "sha256:" + std::string(64, '0');
    auto refused = co_await (*client)->LoadSkill(std::move(tampered));
    EXPECT_FALSE(refused.ok());
    if (!refused.ok()) {
      EXPECT_EQ(refused.error().code(), core::ErrorCode::kDataLoss);
    }
    co_await (*client)->Close();
  });
}

// Our client does not declare the tasks extension: a tool that runs only as a task is refused
// with -32021, and one that may run as a task answers at once.
TEST(StreamableHttpTest, TaskToolsWithoutTheExtensionRunAtOnceOrAreRefused) {
  testing::EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = co_await ConnectClient(ex, endpoint.url());
    MCP_CO_ASSERT_OK(client);
    json::object quick{{"seconds", 0}, {"label", "now"}};
    auto computed = co_await (*client)->CallTool("slow_compute", std::move(quick));
    MCP_CO_ASSERT_OK(computed);
    EXPECT_EQ(computed->content.at(0).at("text"), "computed now after 0 s");
    auto refused = co_await (*client)->CallTool("failing_job", json::object());
    EXPECT_FALSE(refused.ok());
    if (!refused.ok()) {
      EXPECT_NE(refused.error().message().find("io.modelcontextprotocol/tasks"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

}  // namespace
}  // namespace bedrock::mcp

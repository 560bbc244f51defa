// The Streamable HTTP and legacy SSE server endpoints, serving the everything server, over real
// loopback sockets with raw HTTP: bad input (each case its own test), DNS-rebinding protection,
// and SSE polling (a stream the server closes mid-call, resumed with Last-Event-ID).
#include "mcp/streamable_http_server.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/client.h"
#include "http/server.h"
#include "http/sse.h"
#include "mcp/everything_server.h"
#include "mcp/protocol.h"
#include "mcp/testing/everything_endpoint.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::EverythingEndpoint;
using testing::RunCoroutine;

#define CO_ASSERT_TRUE(cond)                     \
  if (!(cond)) {                                 \
    ADD_FAILURE() << "assertion failed: " #cond; \
    co_return;                                   \
  }

std::string InitializeBody(std::string_view version) {
  return fmt::format(
      R"({{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"{}",)"
      R"("capabilities":{{}},"clientInfo":{{"name":"raw","version":"1"}}}}}})",
      version);
}

http::ClientRequest Post(const std::string& url, std::string_view body,
                         std::string_view accept = "application/json, text/event-stream") {
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.Set("Content-Type", "application/json");
  request.headers.Set("Accept", std::string(accept));
  request.body = std::string(body);
  request.timeout = std::chrono::milliseconds(10'000);
  return request;
}

// A session initialized at `version` with raw HTTP; its id (empty on failure).
Awaitable<std::string> Initialize(http::Client& client, const std::string& url,
                                  std::string_view version = kLatestVersion) {
  auto response = co_await client.Send(Post(url, InitializeBody(version)));
  if (!response.ok() || response->status != 200) co_return std::string();
  std::string id(response->headers.Get(header::kSessionId).value_or(""));
  auto initialized = Post(url, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  initialized.headers.Set(std::string(header::kSessionId), id);
  initialized.headers.Set(std::string(header::kProtocolVersion), std::string(version));
  auto sent = co_await client.Send(std::move(initialized));
  EXPECT_TRUE(sent.ok() && sent->status == 202);
  co_return id;
}

// POSTs `body` on session `id` and returns the response.
Awaitable<core::Result<http::Response>> PostInSession(
    http::Client& client, const std::string& url, const std::string& id, std::string_view body,
    std::string_view version = kLatestVersion,
    std::string_view accept = "application/json, text/event-stream") {
  auto request = Post(url, body, accept);
  request.headers.Set(std::string(header::kSessionId), id);
  request.headers.Set(std::string(header::kProtocolVersion), std::string(version));
  co_return co_await client.Send(std::move(request));
}

// The JSON-RPC error code of a JSON response body; 0 when it has none.
int64_t ErrorCode(const http::Response& response) {
  auto body = json::parse(response.body);
  const json::value* error = body.as_object().if_contains("error");
  return error ? error->at("code").as_int64() : 0;
}

// The events of a complete SSE body.
std::vector<http::SseEvent> Events(std::string_view body) {
  http::SseParser parser;
  auto events = parser.Feed(body);
  return events.ok() ? *events : std::vector<http::SseEvent>{};
}

TEST(StreamableHttpServerBadInputTest, JsonThatIsNotJsonRpcIsInvalidRequestWith400) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await client->Send(Post(endpoint.url(), R"({"hello":"world"})"));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCode(*response), kInvalidRequest);
    EXPECT_EQ(endpoint.endpoint().session_count(), 0u);
  });
}

TEST(StreamableHttpServerBadInputTest, UnknownMethodIsMethodNotFound) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    auto response = co_await PostInSession(*client, endpoint.url(), id,
                                           R"({"jsonrpc":"2.0","id":7,"method":"tools/nope"})");
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(ErrorCode(*response), kMethodNotFound);
  });
}

TEST(StreamableHttpServerBadInputTest, WrongParamsAreInvalidParams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    auto response = co_await PostInSession(
        *client, endpoint.url(), id,
        R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":42}})");
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(ErrorCode(*response), kInvalidParams);
    auto missing = co_await PostInSession(
        *client, endpoint.url(), id,
        R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{}}})");
    MCP_CO_ASSERT_OK(missing);
    EXPECT_EQ(ErrorCode(*missing), kInvalidParams);
  });
}

TEST(StreamableHttpServerBadInputTest, ForeignHostIs403EvenWithoutOrigin) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = Post(endpoint.url(), InitializeBody(kLatestVersion));
    request.headers.Set("Host", "evil.example.com");
    auto response = co_await client->Send(std::move(request));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 403);
    EXPECT_EQ(endpoint.endpoint().session_count(), 0u);
  });
}

TEST(StreamableHttpServerBadInputTest, LoopbackHostWithPortIsAllowed) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    for (const char* host : {"localhost:1234", "127.0.0.1", "[::1]:80", "LOCALHOST"}) {
      auto request = Post(endpoint.url(), InitializeBody(kLatestVersion));
      request.headers.Set("Host", host);
      auto response = co_await client->Send(std::move(request));
      MCP_CO_ASSERT_OK(response);
      EXPECT_EQ(response->status, 200) << host;
    }
  });
}

TEST(StreamableHttpServerBadInputTest, ForeignOriginOnGetStreamIs403) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    http::ClientRequest get;
    get.url = endpoint.url();
    get.headers.Set("Accept", "text/event-stream");
    get.headers.Set(std::string(header::kSessionId), id);
    get.headers.Set("Origin", "https://evil.example.com");
    auto response = co_await client->Send(std::move(get));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 403);
  });
}

TEST(StreamableHttpServerBadInputTest, SessionIdOfAnotherServerIs404OnDelete) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    http::ClientRequest del;
    del.method = "DELETE";
    del.url = endpoint.url();
    del.headers.Set(std::string(header::kSessionId), std::string(64, 'a'));
    auto response = co_await client->Send(std::move(del));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 404);
  });
}

TEST(StreamableHttpServerBadInputTest, UnsupportedProtocolVersionOnGetIs400) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    http::ClientRequest get;
    get.url = endpoint.url();
    get.headers.Set("Accept", "text/event-stream");
    get.headers.Set(std::string(header::kSessionId), id);
    get.headers.Set(std::string(header::kProtocolVersion), "2023-01-01");
    auto response = co_await client->Send(std::move(get));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
  });
}

TEST(StreamableHttpServerBadInputTest, OlderSupportedVersionHeaderIsAccepted) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    auto response =
        co_await PostInSession(*client, endpoint.url(), id,
                               R"({"jsonrpc":"2.0","id":2,"method":"ping"})", kVersion2025_03_26);
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(ErrorCode(*response), 0);
  });
}

TEST(LegacySseServerBadInputTest, PostWithoutSessionIdIs400) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await client->Send(
        Post(endpoint.base() + "/messages", R"({"jsonrpc":"2.0","id":1,"method":"ping"})"));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
  });
}

// Opens GET /sse and returns the reader positioned after the endpoint event, and that endpoint.
Awaitable<std::optional<std::pair<http::SseStreamReader, std::string>>> OpenLegacy(
    http::Client& client, const std::string& base) {
  http::ClientRequest get;
  get.url = base + "/sse";
  get.headers.Set("Accept", "text/event-stream");
  auto opened = co_await client.Open(std::move(get));
  if (!opened.ok() || opened->status() != 200) co_return std::nullopt;
  http::SseStreamReader reader(std::move(*opened));
  auto event = co_await reader.Next();
  if (!event.ok() || !*event || (*event)->event != "endpoint") co_return std::nullopt;
  std::string endpoint = base + (*event)->data;
  co_return std::pair{std::move(reader), std::move(endpoint)};
}

TEST(LegacySseServerBadInputTest, MalformedJsonIs400AndTheStreamStaysUsable) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto legacy = co_await OpenLegacy(*client, endpoint.base());
    CO_ASSERT_TRUE(legacy);
    auto& [reader, messages] = *legacy;
    auto bad = co_await client->Send(Post(messages, R"({"jsonrpc":)"));
    MCP_CO_ASSERT_OK(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(ErrorCode(*bad), kParseError);
    auto good = co_await client->Send(Post(messages, InitializeBody(kVersion2024_11_05)));
    MCP_CO_ASSERT_OK(good);
    EXPECT_EQ(good->status, 202);
    auto answer = co_await reader.Next();
    MCP_CO_ASSERT_OK(answer);
    CO_ASSERT_TRUE(*answer);
    EXPECT_NE((*answer)->data.find(R"("protocolVersion":"2024-11-05")"), std::string::npos)
        << (*answer)->data;
    reader.response().Close();
  });
}

TEST(LegacySseServerBadInputTest, OversizeMessageIs413) {
  StreamableHttpServerOptions options = EverythingHttpOptions();
  options.max_message_bytes = 2048;
  EverythingEndpoint endpoint(options);
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto legacy = co_await OpenLegacy(*client, endpoint.base());
    CO_ASSERT_TRUE(legacy);
    std::string big = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":")" +
                      std::string(4096, 'x') + R"("}})";
    auto response = co_await client->Send(Post(legacy->second, big));
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 413);
    legacy->first.response().Close();
  });
}

// --- SSE polling (SEP-1699). ---

constexpr std::string_view kReconnectionCall =
    R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_reconnection"}})";

TEST(StreamableHttpServerPollingTest, ClosedStreamIsResumedWithLastEventId) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    auto closed = co_await PostInSession(*client, endpoint.url(), id, kReconnectionCall);
    MCP_CO_ASSERT_OK(closed);
    EXPECT_EQ(closed->status, 200);
    auto events = Events(closed->body);
    CO_ASSERT_TRUE(events.size() == 1u);  // the priming event, then the server closed the stream
    EXPECT_TRUE(events[0].data.empty());
    EXPECT_EQ(events[0].retry_ms, 500);
    CO_ASSERT_TRUE(!events[0].id.empty());

    http::ClientRequest resume;
    resume.url = endpoint.url();
    resume.headers.Set("Accept", "text/event-stream");
    resume.headers.Set(std::string(header::kSessionId), id);
    resume.headers.Set(std::string(header::kProtocolVersion), std::string(kLatestVersion));
    resume.headers.Set(std::string(header::kLastEventId), events[0].id);
    auto resumed = co_await client->Send(std::move(resume));
    MCP_CO_ASSERT_OK(resumed);
    EXPECT_EQ(resumed->status, 200);
    std::string answer;
    for (const auto& event : Events(resumed->body)) answer += event.data;
    EXPECT_NE(answer.find(R"("id":3)"), std::string::npos) << resumed->body;
    EXPECT_NE(answer.find("completed successfully"), std::string::npos) << resumed->body;
  });
}

TEST(StreamableHttpServerPollingTest, SseOnlyStreamEndsAfterPrimingWhenClosedMidCall) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    auto closed = co_await PostInSession(*client, endpoint.url(), id, kReconnectionCall,
                                         kLatestVersion, "text/event-stream");
    MCP_CO_ASSERT_OK(closed);
    auto events = Events(closed->body);
    CO_ASSERT_TRUE(events.size() == 1u);
    EXPECT_TRUE(events[0].data.empty());
    EXPECT_EQ(events[0].retry_ms, 500);
    EXPECT_EQ(endpoint.endpoint().session_count(), 1u);  // the session and the call go on
  });
}

TEST(StreamableHttpServerPollingTest, OlderClientsGetNeitherPrimingNorClosedStreams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url(), kVersion2025_06_18);
    auto response = co_await PostInSession(*client, endpoint.url(), id, kReconnectionCall,
                                           kVersion2025_06_18, "text/event-stream");
    MCP_CO_ASSERT_OK(response);
    auto events = Events(response->body);
    CO_ASSERT_TRUE(events.size() == 1u);
    EXPECT_FALSE(events[0].retry_ms.has_value());
    EXPECT_NE(events[0].data.find("completed successfully"), std::string::npos);
  });
}

TEST(StreamableHttpServerPollingTest, JsonOnlyClientGetsTheAnswerOfAClosedStream) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string id = co_await Initialize(*client, endpoint.url());
    auto response = co_await PostInSession(*client, endpoint.url(), id, kReconnectionCall,
                                           kLatestVersion, "application/json");
    MCP_CO_ASSERT_OK(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_NE(response->body.find("completed successfully"), std::string::npos) << response->body;
  });
}

}  // namespace
}  // namespace bedrock::mcp

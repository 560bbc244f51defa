// The client's side of revision 2026-07-28 against scripted peers: version negotiation and its
// fallback to initialize, per-request _meta, multi-round-trip requests, the result cache, and the
// Mcp-Param-* headers of tools.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include "mcp/client.h"
#include "mcp/protocol.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::RunCoroutine;

// ASSERT_* return from the function; these end the test coroutine instead.
#define CO_ASSERT_TRUE(condition)                  \
  if (!(condition)) {                              \
    ADD_FAILURE() << "expected true: " #condition; \
    co_return;                                     \
  }
#define CO_ASSERT_FALSE(condition) CO_ASSERT_TRUE(!(condition))
#define CO_ASSERT_EQ(a, b)                                      \
  if (!((a) == (b))) {                                          \
    ADD_FAILURE() << #a " == " #b ": " << (a) << " vs " << (b); \
    co_return;                                                  \
  }

Message Ok(const Request& request, std::string_view result) {
  return Response::Success(request.id, json::parse(result));
}
Message Err(const Request& request, int code, std::string message, json::value data = nullptr) {
  return Response::Failure(request.id, RpcError{code, std::move(message), std::move(data)});
}

constexpr std::string_view kDiscovered = R"({"resultType":"complete",
    "supportedVersions":["2026-07-28"],
    "capabilities":{"tools":{"listChanged":true},"resources":{},"prompts":{}},
    "_meta":{"io.modelcontextprotocol/serverInfo":{"name":"fake","version":"9"}},
    "instructions":"be nice","ttlMs":0,"cacheScope":"public"})";

constexpr std::string_view kInitialized = R"({"protocolVersion":"2025-11-25",
    "capabilities":{"tools":{}},"serverInfo":{"name":"old","version":"1"}})";

const json::object& Params(const Request& request) { return request.params.as_object(); }
std::string MetaString(const Request& request, std::string_view key) {
  const json::value* meta = Params(request).if_contains("_meta");
  const json::value* v = meta ? meta->as_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A raw JSON-RPC peer on the server end of a memory pair: each request goes to `answer`, whose
// message (if any) is sent back. Records every request and notification.
struct ScriptedServer {
  std::shared_ptr<Transport> transport;
  std::function<std::optional<Message>(const Request&)> answer;
  std::vector<Request> requests;
  std::vector<Notification> notifications;

  std::vector<std::string> Methods() const {
    std::vector<std::string> out;
    for (const auto& r : requests) out.push_back(r.method);
    return out;
  }
  int Count(std::string_view method) const {
    int n = 0;
    for (const auto& r : requests) n += r.method == method;
    return n;
  }
};

Awaitable<void> Serve(std::shared_ptr<ScriptedServer> server) {
  for (;;) {
    auto incoming = co_await server->transport->Receive();
    if (!incoming.ok()) co_return;
    if (auto* request = std::get_if<Request>(&incoming->message)) {
      server->requests.push_back(*request);
      auto reply = server->answer(*request);
      if (reply) (void)co_await server->transport->Send(std::move(*reply));
    } else if (auto* notification = std::get_if<Notification>(&incoming->message)) {
      server->notifications.push_back(*notification);
    }
  }
}

// Records the extra HTTP headers the client attaches to each request it sends.
class RecordingTransport : public Transport {
 public:
  explicit RecordingTransport(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}
  asio::any_io_executor get_executor() override { return inner_->get_executor(); }
  Awaitable<core::Result<Incoming>> Receive() override { co_return co_await inner_->Receive(); }
  Awaitable<core::Status> Send(Message message, SendOptions options) override {
    if (auto* request = std::get_if<Request>(&message)) {
      sent_headers.emplace_back(request->method, options.headers);
    }
    co_return co_await inner_->Send(std::move(message), std::move(options));
  }
  Awaitable<void> Close() override { co_await inner_->Close(); }
  std::vector<std::pair<std::string, http::Headers>> sent_headers;

 private:
  std::shared_ptr<Transport> inner_;
};

struct Peers {
  std::shared_ptr<ScriptedServer> server;
  std::shared_ptr<RecordingTransport> client_transport;
};

Peers Start(asio::any_io_executor executor,
            std::function<std::optional<Message>(const Request&)> answer) {
  auto [client_side, server_side] = CreateMemoryTransportPair(executor);
  auto server = std::make_shared<ScriptedServer>();
  server->transport = server_side;
  server->answer = std::move(answer);
  asio::co_spawn(executor, Serve(server), asio::detached);
  return Peers{server, std::make_shared<RecordingTransport>(client_side)};
}

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectTo(const Peers& peers,
                                                           ClientOptions options) {
  options.peer_name = "fake";
  co_return co_await Client::Connect(peers.client_transport, Implementation("tester", "1.0"),
                                     std::move(options));
}

// --- Negotiation ---

TEST(ClientNegotiationTest, ModernServerIsSpokenToStatelessly) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover") return Ok(r, kDiscovered);
      if (r.method == "tools/list") return Ok(r, R"({"resultType":"complete","tools":[]})");
      return Err(r, kMethodNotFound, "no");
    });
    ClientOptions options;
    auto client = co_await ConnectTo(peers, std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_TRUE((*client)->modern());
    EXPECT_EQ((*client)->protocol_version(), "2026-07-28");
    EXPECT_EQ((*client)->server_info().name, "fake");
    EXPECT_EQ((*client)->instructions(), "be nice");
    EXPECT_TRUE((*client)->server_capabilities().contains("tools"));
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    EXPECT_EQ(peers.server->Methods(), (std::vector<std::string>{"server/discover", "tools/list"}));
    EXPECT_TRUE(peers.server->notifications.empty());  // no notifications/initialized
    const Request& list = peers.server->requests[1];
    EXPECT_EQ(MetaString(list, meta::kProtocolVersion), "2026-07-28");
    const json::object& meta = Params(list).at("_meta").as_object();
    EXPECT_EQ(meta.at(meta::kClientInfo).at("name"), "tester");
    EXPECT_TRUE(meta.at(meta::kClientCapabilities).is_object());
    co_await (*client)->Close();
  });
}

TEST(ClientNegotiationTest, LegacyServerFallsBackToInitialize) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "initialize") return Ok(r, kInitialized);
      if (r.method == "tools/list") return Ok(r, R"({"tools":[]})");
      return Err(r, kMethodNotFound, "Method not found");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    EXPECT_FALSE((*client)->modern());
    EXPECT_EQ((*client)->protocol_version(), "2025-11-25");
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    EXPECT_EQ(peers.server->Methods(),
              (std::vector<std::string>{"server/discover", "initialize", "tools/list"}));
    EXPECT_FALSE(Params(peers.server->requests[2]).contains("_meta"));
    CO_ASSERT_EQ(peers.server->notifications.size(), 1u);
    EXPECT_EQ(peers.server->notifications[0].method, "notifications/initialized");
    co_await (*client)->Close();
  });
}

TEST(ClientNegotiationTest, SilentServerFallsBackAfterTheDiscoverTimeout) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "initialize") return Ok(r, kInitialized);
      return std::nullopt;  // ignores everything before initialize
    });
    ClientOptions options;
    options.discover_timeout = 200ms;
    auto client = co_await ConnectTo(peers, std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_FALSE((*client)->modern());
    co_await (*client)->Close();
  });
}

TEST(ClientNegotiationTest, UnsupportedVersionErrorIsRetriedWithASharedModernVersion) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    bool rejected = false;
    auto peers = Start(ex, [&rejected](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover" && !rejected) {
        rejected = true;
        return Err(r, kUnsupportedProtocolVersion, "Unsupported protocol version",
                   json::parse(R"({"supported":["2026-07-28"],"requested":"x"})"));
      }
      if (r.method == "server/discover") return Ok(r, kDiscovered);
      return Err(r, kMethodNotFound, "no");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    EXPECT_TRUE((*client)->modern());
    EXPECT_EQ(peers.server->Count("server/discover"), 2);
    EXPECT_EQ(peers.server->Count("initialize"), 0);
    co_await (*client)->Close();
  });
}

TEST(ClientNegotiationTest, UnsupportedVersionListingOnlyLegacyOnesUsesInitialize) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    std::string asked;
    auto peers = Start(ex, [&asked](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover") {
        return Err(r, kUnsupportedProtocolVersion, "Unsupported protocol version",
                   json::parse(R"({"supported":["2025-06-18"]})"));
      }
      if (r.method == "initialize") {
        asked = std::string(Params(r).at("protocolVersion").as_string());
        return Ok(r, R"({"protocolVersion":"2025-06-18","capabilities":{},
                         "serverInfo":{"name":"s","version":"1"}})");
      }
      return Err(r, kMethodNotFound, "no");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ(asked, "2025-06-18");
    EXPECT_EQ((*client)->protocol_version(), "2025-06-18");
    co_await (*client)->Close();
  });
}

TEST(ClientNegotiationTest, NoSharedVersionFailsConnect) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      return Err(r, kUnsupportedProtocolVersion, "Unsupported protocol version",
                 json::parse(R"({"supported":["2099-01-01"]})"));
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    CO_ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.error().code(), core::ErrorCode::kFailedPrecondition);
  });
}

TEST(ClientNegotiationTest, PinnedLegacyVersionSkipsTheProbe) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "initialize") return Ok(r, kInitialized);
      return Err(r, kMethodNotFound, "no");
    });
    ClientOptions options;
    options.protocol_version = "2025-11-25";
    auto client = co_await ConnectTo(peers, std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_EQ(peers.server->Methods(), std::vector<std::string>{"initialize"});
    co_await (*client)->Close();
  });
}

TEST(ClientNegotiationTest, PinnedModernVersionFailsAgainstALegacyServer) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "initialize") return Ok(r, kInitialized);
      return Err(r, kMethodNotFound, "no");
    });
    ClientOptions options;
    options.protocol_version = "2026-07-28";
    auto client = co_await ConnectTo(peers, std::move(options));
    CO_ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.error().code(), core::ErrorCode::kFailedPrecondition);
    EXPECT_EQ(peers.server->Count("initialize"), 0);
  });
}

// --- Multi-round-trip requests ---

// A modern server whose `call` answers tools/call, prompts/get and resources/read.
Peers StartModern(asio::any_io_executor ex,
                  std::function<std::optional<Message>(const Request&)> call) {
  return Start(ex, [call = std::move(call)](const Request& r) -> std::optional<Message> {
    if (r.method == "server/discover") return Ok(r, kDiscovered);
    if (r.method == "tools/list") {
      return Ok(r, R"({"resultType":"complete","ttlMs":0,"tools":[
        {"name":"ask","inputSchema":{"type":"object"}},
        {"name":"geo","inputSchema":{"type":"object","properties":{
          "region":{"type":"string","x-mcp-header":"Region"},
          "n":{"type":"integer","x-mcp-header":"N"}}}},
        {"name":"bad","inputSchema":{"type":"object","properties":{
          "x":{"type":"number","x-mcp-header":"X"}}}}]})");
    }
    return call(r);
  });
}

ClientOptions WithHandlers(int* elicited = nullptr) {
  ClientOptions options;
  options.on_elicitation = [elicited](json::value params, RequestContext&) -> Awaitable<Reply> {
    if (elicited) ++*elicited;
    json::object reply;
    reply["action"] = "accept";
    reply["content"] = json::object{{"echo", params.at("message")}};
    co_return json::value(std::move(reply));
  };
  options.on_sampling = [](json::value, RequestContext&) -> Awaitable<Reply> {
    co_return json::parse(R"({"role":"assistant","content":{"type":"text","text":"Paris"},
                              "model":"m"})");
  };
  options.on_roots = [](json::value, RequestContext&) -> Awaitable<Reply> {
    co_return json::parse(R"({"roots":[{"uri":"file:///w"}]})");
  };
  return options;
}

constexpr std::string_view kAskOnce = R"({"resultType":"input_required",
    "inputRequests":{"who":{"method":"elicitation/create","params":{"message":"name?",
      "requestedSchema":{"type":"object","properties":{}}}}},
    "requestState":"opaque-1"})";

TEST(ClientInputRequiredTest, ElicitationIsAnsweredAndTheRequestRetriedWithState) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      if (!Params(r).contains("inputResponses")) return Ok(r, kAskOnce);
      return Ok(r, R"({"resultType":"complete","content":[{"type":"text","text":"done"}]})");
    });
    int elicited = 0;
    auto client = co_await ConnectTo(peers, WithHandlers(&elicited));
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("ask", json::object());
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(result->content.at(0).at("text"), "done");
    EXPECT_EQ(elicited, 1);
    CO_ASSERT_EQ(peers.server->Count("tools/call"), 2);
    const Request& first = peers.server->requests[peers.server->requests.size() - 2];
    const Request& retry = peers.server->requests.back();
    EXPECT_NE(first.id, retry.id);
    EXPECT_EQ(Params(retry).at("requestState"), "opaque-1");
    EXPECT_EQ(Params(retry).at("inputResponses").at("who").at("action"), "accept");
    EXPECT_EQ(Params(retry).at("inputResponses").at("who").at("content").at("echo"), "name?");
    EXPECT_EQ(Params(retry).at("name"), "ask");
    EXPECT_EQ(MetaString(retry, meta::kProtocolVersion), "2026-07-28");
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, RetryCarriesNoStateWhenTheServerSentNone) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      if (!Params(r).contains("inputResponses")) {
        return Ok(
            r, R"({"resultType":"input_required","inputRequests":{"r":{"method":"roots/list"}}})");
      }
      return Ok(r, R"({"resultType":"complete","content":[]})");
    });
    auto client = co_await ConnectTo(peers, WithHandlers());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("ask", json::object()));
    const Request& retry = peers.server->requests.back();
    EXPECT_FALSE(Params(retry).contains("requestState"));
    EXPECT_EQ(Params(retry).at("inputResponses").at("r").at("roots").at(0).at("uri"), "file:///w");
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, SeveralInputRequestsInOneRoundAreAllAnswered) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      if (!Params(r).contains("inputResponses")) {
        return Ok(r, R"({"resultType":"input_required","inputRequests":{
            "e":{"method":"elicitation/create","params":{"message":"m"}},
            "s":{"method":"sampling/createMessage","params":{"messages":[],"maxTokens":5}},
            "r":{"method":"roots/list"}}})");
      }
      return Ok(r, R"({"resultType":"complete","content":[]})");
    });
    auto client = co_await ConnectTo(peers, WithHandlers());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("ask", json::object()));
    const json::object& responses =
        Params(peers.server->requests.back()).at("inputResponses").as_object();
    EXPECT_EQ(responses.at("e").at("action"), "accept");
    EXPECT_EQ(responses.at("s").at("content").at("text"), "Paris");
    EXPECT_TRUE(responses.at("r").at("roots").is_array());
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, StateOnlyResultIsRetriedAtOnce) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      if (!Params(r).contains("requestState")) {
        return Ok(r, R"({"resultType":"input_required","requestState":"later"})");
      }
      return Ok(r, R"({"resultType":"complete","content":[]})");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("ask", json::object()));
    EXPECT_EQ(Params(peers.server->requests.back()).at("requestState"), "later");
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, PromptsGetAndResourcesReadAreRetriedToo) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      if (!Params(r).contains("inputResponses")) return Ok(r, kAskOnce);
      if (r.method == "prompts/get") return Ok(r, R"({"resultType":"complete","messages":[]})");
      return Ok(r, R"({"resultType":"complete","ttlMs":0,"contents":[{"uri":"a","text":"x"}]})");
    });
    auto client = co_await ConnectTo(peers, WithHandlers());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->GetPrompt("p"));
    auto contents = co_await (*client)->ReadResource("a");
    MCP_CO_ASSERT_OK(contents);
    EXPECT_EQ(contents->size(), 1u);
    EXPECT_EQ(peers.server->Count("prompts/get"), 2);
    EXPECT_EQ(peers.server->Count("resources/read"), 2);
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, ServerThatNeverStopsAskingIsBounded) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers =
        StartModern(ex, [](const Request& r) -> std::optional<Message> { return Ok(r, kAskOnce); });
    ClientOptions options = WithHandlers();
    options.max_input_rounds = 3;
    auto client = co_await ConnectTo(peers, std::move(options));
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("ask", json::object());
    CO_ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), core::ErrorCode::kUpstreamFailure);
    EXPECT_NE(result.error().message().find("3 rounds"), std::string::npos);
    EXPECT_EQ(peers.server->Count("tools/call"), 4);  // the first try and three retries
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, InputRequestForAnUndeclaredCapabilityFails) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers =
        StartModern(ex, [](const Request& r) -> std::optional<Message> { return Ok(r, kAskOnce); });
    auto client = co_await ConnectTo(peers, ClientOptions());  // no elicitation handler
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("ask", json::object());
    CO_ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), core::ErrorCode::kFailedPrecondition);
    EXPECT_EQ(peers.server->Count("tools/call"), 1);
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, InputRequiredWithNothingToDoIsAnError) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Ok(r, R"({"resultType":"input_required"})");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("ask", json::object());
    CO_ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), core::ErrorCode::kUpstreamFailure);
    co_await (*client)->Close();
  });
}

TEST(ClientInputRequiredTest, ResultWithoutResultTypeIsComplete) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Ok(r, R"({"content":[{"type":"text","text":"plain"}]})");
    });
    auto client = co_await ConnectTo(peers, WithHandlers());
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->CallTool("ask", json::object());
    MCP_CO_ASSERT_OK(result);
    EXPECT_EQ(peers.server->Count("tools/call"), 1);
    co_await (*client)->Close();
  });
}

// --- Errors of the modern revision ---

TEST(ClientModernErrorTest, ResourceNotFoundIsNotFound) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Err(r, kInvalidParams, "Resource not found", json::parse(R"({"uri":"nope"})"));
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    auto result = co_await (*client)->ReadResource("nope");
    CO_ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), core::ErrorCode::kNotFound);
    co_await (*client)->Close();
  });
}

TEST(ClientModernErrorTest, HeaderMismatchRelistsToolsAndRetriesOnce) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Err(r, kHeaderMismatch, "Header mismatch");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    json::object args;
    args["region"] = "eu";
    auto result = co_await (*client)->CallTool("geo", std::move(args));
    CO_ASSERT_FALSE(result.ok());
    EXPECT_EQ(peers.server->Count("tools/call"), 2);
    EXPECT_EQ(peers.server->Count("tools/list"), 2);
    co_await (*client)->Close();
  });
}

// --- Tools' custom headers ---

TEST(ClientToolHeadersTest, InvalidToolsAreLeftOutAndCallsCarryParamHeaders) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Ok(r, R"({"resultType":"complete","content":[]})");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    auto tools = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(tools);
    CO_ASSERT_EQ(tools->size(), 2u);
    EXPECT_EQ(tools->at(1).at("name"), "geo");
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool(
        "geo", json::parse(R"({"region":"Zürich","n":7})").as_object()));
    const auto& [method, headers] = peers.client_transport->sent_headers.back();
    EXPECT_EQ(method, "tools/call");
    EXPECT_EQ(headers.Get("Mcp-Param-Region"), "=?base64?WsO8cmljaA==?=");
    EXPECT_EQ(headers.Get("Mcp-Param-N"), "7");
    json::object bad_args;
    bad_args["x"] = 1.5;
    auto rejected = co_await (*client)->CallTool("bad", std::move(bad_args));
    CO_ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.error().code(), core::ErrorCode::kInvalidArgument);
    co_await (*client)->Close();
  });
}

TEST(ClientToolHeadersTest, CallBeforeAnyListingListsFirst) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Ok(r, R"({"resultType":"complete","content":[]})");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    json::object args;
    args["region"] = "eu";
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("geo", std::move(args)));
    EXPECT_EQ(peers.client_transport->sent_headers.back().second.Get("Mcp-Param-Region"), "eu");
    EXPECT_EQ(peers.server->Count("tools/list"), 1);
    co_await (*client)->Close();
  });
}

// --- Cache ---

struct FakeClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
};

TEST(ClientCacheTest, ListIsServedFromTheCacheUntilItsTtlExpires) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto clock = std::make_shared<FakeClock>();
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover") return Ok(r, kDiscovered);
      return Ok(r, R"({"resultType":"complete","ttlMs":5000,"cacheScope":"private",
                       "tools":[{"name":"a","inputSchema":{"type":"object"}}]})");
    });
    ClientOptions options;
    options.clock = [clock] { return clock->now; };
    auto client = co_await ConnectTo(peers, std::move(options));
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    clock->now += 4999ms;
    auto again = co_await (*client)->ListTools();
    MCP_CO_ASSERT_OK(again);
    EXPECT_EQ(again->size(), 1u);
    EXPECT_EQ(peers.server->Count("tools/list"), 1);
    clock->now += 1ms;  // past the TTL: fetched again
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    EXPECT_EQ(peers.server->Count("tools/list"), 2);
    co_await (*client)->Close();
  });
}

TEST(ClientCacheTest, ZeroTtlIsFetchedEveryTime) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Err(r, kMethodNotFound, "no");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    EXPECT_EQ(peers.server->Count("tools/list"), 2);
    co_await (*client)->Close();
  });
}

TEST(ClientCacheTest, ListChangedNotificationInvalidatesTheCachedList) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = Start(ex, [](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover") return Ok(r, kDiscovered);
      return Ok(r, R"({"resultType":"complete","ttlMs":60000,"tools":[]})");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    EXPECT_EQ(peers.server->Count("tools/list"), 1);
    Message changed = Notification{"notifications/tools/list_changed", json::object()};
    MCP_CO_ASSERT_OK(co_await peers.server->transport->Send(std::move(changed)));
    // The notification is dispatched before the next answer the client reads.
    MCP_CO_ASSERT_OK(co_await (*client)->Ping());
    MCP_CO_ASSERT_OK(co_await (*client)->ListTools());
    EXPECT_EQ(peers.server->Count("tools/list"), 2);
    co_await (*client)->Close();
  });
}

TEST(ClientCacheTest, SharedCacheServesPublicResultsToAnotherClient) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto shared = std::make_shared<ResultCache>(ResultCache::Clock(), true);
    auto answer = [](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover") return Ok(r, kDiscovered);
      if (r.method == "prompts/list") {
        return Ok(r, R"({"resultType":"complete","ttlMs":60000,"cacheScope":"private",
                         "prompts":[]})");
      }
      return Ok(r, R"({"resultType":"complete","ttlMs":60000,"cacheScope":"public","tools":[]})");
    };
    auto first = Start(ex, answer);
    auto second = Start(ex, answer);
    auto options = [&] {
      ClientOptions o;
      o.shared_cache = shared;
      o.cache_namespace = "fake-server";
      return o;
    };
    auto a = co_await ConnectTo(first, options());
    auto b = co_await ConnectTo(second, options());
    MCP_CO_ASSERT_OK(a);
    MCP_CO_ASSERT_OK(b);
    MCP_CO_ASSERT_OK(co_await (*a)->ListTools());
    MCP_CO_ASSERT_OK(co_await (*a)->ListPrompts());
    MCP_CO_ASSERT_OK(co_await (*b)->ListTools());
    MCP_CO_ASSERT_OK(co_await (*b)->ListPrompts());
    EXPECT_EQ(second.server->Count("tools/list"), 0);    // public: shared
    EXPECT_EQ(second.server->Count("prompts/list"), 1);  // private: not shared
    co_await (*a)->Close();
    co_await (*b)->Close();
  });
}

// --- Logging and subscriptions ---

TEST(ClientModernTest, LogLevelTravelsInEveryLaterRequestsMeta) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    auto peers = StartModern(ex, [](const Request& r) -> std::optional<Message> {
      return Ok(r, R"({"resultType":"complete","content":[]})");
    });
    auto client = co_await ConnectTo(peers, ClientOptions());
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->SetLogLevel("warning"));
    EXPECT_FALSE((co_await (*client)->SetLogLevel("loud")).ok());
    MCP_CO_ASSERT_OK(co_await (*client)->CallTool("ask", json::object()));
    EXPECT_EQ(MetaString(peers.server->requests.back(), meta::kLogLevel), "warning");
    EXPECT_EQ(peers.server->Count("logging/setLevel"), 0);
    co_await (*client)->Close();
  });
}

TEST(ClientModernTest, ListChangedCallbackOpensASubscriptionsListenStream) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    testing::Event listening(ex), changed(ex);
    auto peers = Start(ex, [&](const Request& r) -> std::optional<Message> {
      if (r.method == "server/discover") return Ok(r, kDiscovered);
      if (r.method == "subscriptions/listen") {
        EXPECT_EQ(Params(r).at("notifications").at("toolsListChanged"), true);
        listening.Set();
        return std::nullopt;  // the stream stays open
      }
      return Err(r, kMethodNotFound, "no");
    });
    ClientOptions options;
    options.on_tools_list_changed = [&changed] { changed.Set(); };
    auto client = co_await ConnectTo(peers, std::move(options));
    MCP_CO_ASSERT_OK(client);
    EXPECT_TRUE(co_await listening.Wait());
    json::object params;
    json::object notice_meta;
    notice_meta[meta::kSubscriptionId] = 2;
    params["_meta"] = std::move(notice_meta);
    Message notice = Notification{"notifications/tools/list_changed", std::move(params)};
    MCP_CO_ASSERT_OK(co_await peers.server->transport->Send(std::move(notice)));
    EXPECT_TRUE(co_await changed.Wait());
    co_await (*client)->Close();
  });
}

}  // namespace
}  // namespace bedrock::mcp

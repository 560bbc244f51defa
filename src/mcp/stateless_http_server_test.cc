// Revision 2026-07-28 on the Streamable HTTP endpoint, against the everything server over real
// loopback sockets with raw HTTP: stateless requests (no initialize, no session), served beside
// 2025-11-25 sessions on the same endpoint; multi-round-trip requests with signed state; cache
// hints; resource-not-found; subscriptions/listen; and each bad input in its own test with the
// spec's error and HTTP status.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/client.h"
#include "http/sse.h"
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

json::object Meta(json::object capabilities = {}) {
  return json::object{{meta::kProtocolVersion, kVersion2026_07_28},
                      {meta::kClientInfo, json::object{{"name", "raw"}, {"version", "1"}}},
                      {meta::kClientCapabilities, std::move(capabilities)}};
}

json::object FullCapabilities() {
  return json::object{
      {"elicitation", json::object()}, {"sampling", json::object()}, {"roots", json::object()}};
}

// A 2026-07-28 request with conformant headers: params get `_meta` unless they carry one.
http::ClientRequest ModernPost(const std::string& url, std::string_view method,
                               json::object params = {}, int64_t id = 1) {
  if (!params.contains("_meta")) params["_meta"] = Meta(FullCapabilities());
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.Set("Content-Type", "application/json");
  request.headers.Set("Accept", "application/json, text/event-stream");
  request.headers.Set(std::string(header::kProtocolVersion), std::string(kVersion2026_07_28));
  request.headers.Set(std::string(header::kMethod), std::string(method));
  for (const char* field : {"name", "uri"}) {
    if (const json::value* v = params.if_contains(field); v && v->is_string()) {
      request.headers.Set(std::string(header::kName), std::string(v->get_string()));
    }
  }
  json::object body{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
  request.body = json::serialize(body);
  request.timeout = std::chrono::milliseconds(10'000);
  return request;
}

json::object ToolCall(std::string_view name, json::object extra = {}) {
  extra["name"] = name;
  extra["arguments"] = json::object();
  return extra;
}

// The JSON-RPC message of a JSON response, or the last one of an SSE response.
json::object Body(const http::Response& response) {
  std::string_view type = response.headers.Get("Content-Type").value_or("");
  if (type.find("text/event-stream") != std::string_view::npos) {
    http::SseParser parser;
    auto events = parser.Feed(response.body);
    json::object last;
    if (events.ok()) {
      for (const auto& e : *events) {
        if (!e.data.empty()) last = json::parse(e.data).as_object();
      }
    }
    return last;
  }
  return json::parse(response.body).as_object();
}

int64_t ErrorCode(const json::object& body) {
  const json::value* error = body.if_contains("error");
  return error ? error->at("code").as_int64() : 0;
}

// Sends one request and returns the response (or fails the test).
Awaitable<std::optional<http::Response>> Send(http::Client& client, http::ClientRequest request) {
  auto response = co_await client.Send(std::move(request));
  if (!response.ok()) {
    ADD_FAILURE() << response.error().ToString();
    co_return std::nullopt;
  }
  co_return std::move(*response);
}

// The JSON-RPC message answering `request` (empty, with a test failure, when none came).
Awaitable<json::object> Exchange(http::Client& client, http::ClientRequest request) {
  auto response = co_await Send(client, std::move(request));
  co_return response ? Body(*response) : json::object();
}

// The result of tools/call `tool` with `extra` params (empty when the answer is an error).
Awaitable<json::object> CallResult(http::Client& client, const std::string& url,
                                   std::string_view tool, json::object extra = {}, int64_t id = 1) {
  json::object body =
      co_await Exchange(client, ModernPost(url, "tools/call", ToolCall(tool, extra), id));
  const json::value* result = body.if_contains("result");
  if (result == nullptr) ADD_FAILURE() << tool << ": " << body;
  co_return result && result->is_object() ? result->get_object() : json::object();
}

// An accepted ElicitResult with `content`.
json::object Accepted(json::object content) {
  return json::object{{"action", "accept"}, {"content", std::move(content)}};
}

// Retry params: the answers and the state of the round before.
json::object Retry(json::object responses, const json::object& previous) {
  json::object params;
  params["inputResponses"] = std::move(responses);
  if (const json::value* state = previous.if_contains("requestState")) {
    params["requestState"] = *state;
  }
  return params;
}

// --- Stateless serving. ---

TEST(StatelessHttpServerTest, ToolsListNeedsNoSessionAndCarriesResultTypeAndCacheHints) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "tools/list"));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_FALSE(response->headers.Contains(header::kSessionId));
    json::object result = Body(*response).at("result").as_object();
    EXPECT_EQ(result.at("resultType"), "complete");
    EXPECT_TRUE(result.at("ttlMs").is_int64());
    EXPECT_GE(result.at("ttlMs").as_int64(), 0);
    EXPECT_EQ(result.at("cacheScope"), "public");
    EXPECT_EQ(result.at("_meta").at(meta::kServerInfo).at("name"), "bedrock-mcp-everything");
    EXPECT_FALSE(result.at("tools").as_array().empty());
    EXPECT_EQ(endpoint.endpoint().session_count(), 0u);
  });
}

TEST(StatelessHttpServerTest, EveryCacheableResultHasCacheHints) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    const std::vector<std::string> methods = {"server/discover", "prompts/list", "resources/list",
                                              "resources/templates/list"};
    for (const std::string& method : methods) {
      auto response = co_await Send(*client, ModernPost(endpoint.url(), method));
      CO_ASSERT_TRUE(response);
      json::object result = Body(*response).at("result").as_object();
      EXPECT_TRUE(result.contains("ttlMs")) << method;
      EXPECT_TRUE(result.contains("cacheScope")) << method;
    }
    json::object uri{{"uri", "test://static-text"}};
    auto read = co_await Send(*client, ModernPost(endpoint.url(), "resources/read", uri));
    CO_ASSERT_TRUE(read);
    json::object result = Body(*read).at("result").as_object();
    EXPECT_TRUE(result.contains("ttlMs"));
    EXPECT_EQ(result.at("cacheScope"), "public");
  });
}

TEST(StatelessHttpServerTest, ToolCallResultHasResultTypeButNoCacheHints) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await Send(
        *client, ModernPost(endpoint.url(), "tools/call", ToolCall("test_simple_text")));
    CO_ASSERT_TRUE(response);
    json::object result = Body(*response).at("result").as_object();
    EXPECT_EQ(result.at("resultType"), "complete");
    EXPECT_FALSE(result.contains("ttlMs"));
    EXPECT_FALSE(result.at("content").as_array().empty());
  });
}

TEST(StatelessHttpServerTest, DiscoverListsBothErasAndCapabilities) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "server/discover"));
    CO_ASSERT_TRUE(response);
    json::object result = Body(*response).at("result").as_object();
    const json::array& versions = result.at("supportedVersions").as_array();
    EXPECT_EQ(versions.at(0), "2026-07-28");
    EXPECT_NE(std::find(versions.begin(), versions.end(), json::value("2025-11-25")),
              versions.end());
    EXPECT_TRUE(result.at("capabilities").as_object().contains("tools"));
    EXPECT_TRUE(result.at("capabilities").as_object().contains("prompts"));
  });
}

TEST(StatelessHttpServerTest, LegacyClientStillInitializesASessionOnTheSameEndpoint) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    http::ClientRequest init;
    init.method = "POST";
    init.url = endpoint.url();
    init.headers.Set("Content-Type", "application/json");
    init.headers.Set("Accept", "application/json, text/event-stream");
    init.body = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{)"
                R"("protocolVersion":"2025-11-25","capabilities":{},)"
                R"("clientInfo":{"name":"old","version":"1"}}})";
    auto legacy = co_await Send(*client, std::move(init));
    CO_ASSERT_TRUE(legacy);
    EXPECT_EQ(legacy->status, 200);
    EXPECT_TRUE(legacy->headers.Contains(header::kSessionId));
    EXPECT_EQ(Body(*legacy).at("result").at("protocolVersion"), "2025-11-25");
    EXPECT_EQ(endpoint.endpoint().session_count(), 1u);
    auto modern = co_await Send(*client, ModernPost(endpoint.url(), "tools/list"));
    CO_ASSERT_TRUE(modern);
    EXPECT_EQ(modern->status, 200);
    EXPECT_EQ(endpoint.endpoint().session_count(), 1u);
  });
}

// --- Methods the revision does not have. ---

TEST(StatelessHttpServerBadInputTest, UnknownMethodIs404MethodNotFoundWithTheRequestId) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "unknown/method", {}, 601));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    json::object body = Body(*response);
    EXPECT_EQ(ErrorCode(body), kMethodNotFound);
    EXPECT_EQ(body.at("id"), 601);
  });
}

TEST(StatelessHttpServerBadInputTest, RemovedMethodsAre404) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    const std::vector<std::string> methods = {"initialize", "ping", "logging/setLevel",
                                              "resources/subscribe"};
    for (const std::string& method : methods) {
      auto response = co_await Send(*client, ModernPost(endpoint.url(), method));
      CO_ASSERT_TRUE(response);
      EXPECT_EQ(response->status, 404) << method;
      EXPECT_EQ(ErrorCode(Body(*response)), kMethodNotFound) << method;
    }
  });
}

// --- Envelope and headers. ---

TEST(StatelessHttpServerBadInputTest, MissingMetaIs400InvalidParams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = ModernPost(endpoint.url(), "server/discover", {}, 101);
    request.body = R"({"jsonrpc":"2.0","id":101,"method":"server/discover","params":{}})";
    auto response = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    json::object body = Body(*response);
    EXPECT_EQ(ErrorCode(body), kInvalidParams);
    EXPECT_EQ(body.at("id"), 101);
  });
}

TEST(StatelessHttpServerBadInputTest, MismatchedMcpMethodIs400HeaderMismatch) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = ModernPost(endpoint.url(), "tools/list");
    request.headers.Set(std::string(header::kMethod), "prompts/list");
    auto response = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCode(Body(*response)), kHeaderMismatch);
  });
}

TEST(StatelessHttpServerBadInputTest, MissingMcpMethodIs400HeaderMismatch) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = ModernPost(endpoint.url(), "tools/list");
    request.headers.Remove(header::kMethod);
    auto response = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCode(Body(*response)), kHeaderMismatch);
  });
}

TEST(StatelessHttpServerBadInputTest, MismatchedMcpNameIs400HeaderMismatch) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = ModernPost(endpoint.url(), "tools/call", ToolCall("test_simple_text"));
    request.headers.Set(std::string(header::kName), "wrong_tool_name");
    auto response = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCode(Body(*response)), kHeaderMismatch);
  });
}

TEST(StatelessHttpServerBadInputTest, MissingMcpNameIs400HeaderMismatch) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto request = ModernPost(endpoint.url(), "tools/call", ToolCall("test_simple_text"));
    request.headers.Remove(header::kName);
    auto response = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCode(Body(*response)), kHeaderMismatch);
  });
}

TEST(StatelessHttpServerBadInputTest, MissingMcpParamHeaderIs400HeaderMismatch) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params = ToolCall("test_header_param");
    params["arguments"] = json::object{{"region", "us-west1"}};
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "tools/call", params));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCode(Body(*response)), kHeaderMismatch);
    auto request = ModernPost(endpoint.url(), "tools/call", params);
    request.headers.Set("Mcp-Param-Region", "us-west1");
    auto matching = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(matching);
    EXPECT_EQ(matching->status, 200);
    EXPECT_EQ(ErrorCode(Body(*matching)), 0);
  });
}

TEST(StatelessHttpServerBadInputTest, UnsupportedVersionIs400WithTheSupportedVersions) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object meta = Meta();
    meta[meta::kProtocolVersion] = "v999.0.0";
    auto request =
        ModernPost(endpoint.url(), "server/discover", json::object{{"_meta", meta}}, 301);
    request.headers.Set(std::string(header::kProtocolVersion), "v999.0.0");
    auto response = co_await Send(*client, std::move(request));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    json::object body = Body(*response);
    EXPECT_EQ(ErrorCode(body), kUnsupportedProtocolVersion);
    EXPECT_EQ(body.at("id"), 301);
    EXPECT_EQ(body.at("error").at("data").at("requested"), "v999.0.0");
  });
}

TEST(StatelessHttpServerBadInputTest, UndeclaredCapabilityIs400MissingRequiredClientCapability) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params = ToolCall("test_missing_capability");
    params["_meta"] = Meta();
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "tools/call", params));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    json::object body = Body(*response);
    EXPECT_EQ(ErrorCode(body), kMissingRequiredClientCapability);
    EXPECT_TRUE(body.at("error").at("data").at("requiredCapabilities").at("sampling").is_object());
  });
}

TEST(StatelessHttpServerBadInputTest, UnknownResourceIsInvalidParamsWithTheUri) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object uri{{"uri", "test://nope"}};
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "resources/read", uri));
    CO_ASSERT_TRUE(response);
    json::object body = Body(*response);
    EXPECT_EQ(ErrorCode(body), kInvalidParams);
    EXPECT_EQ(body.at("error").at("data").at("uri"), "test://nope");
  });
}

// --- Multi-round-trip requests. ---

TEST(StatelessHttpServerMrtrTest, ElicitationRoundTripCompletesOnTheRetry) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string tool = "test_input_required_result_elicitation";
    json::object r1 = co_await CallResult(*client, endpoint.url(), tool);
    EXPECT_EQ(r1["resultType"], "input_required");
    EXPECT_EQ(r1["inputRequests"].at("user_name").at("method"), "elicitation/create");
    EXPECT_FALSE(r1.contains("ttlMs"));
    json::object retry =
        Retry(json::object{{"user_name", Accepted(json::object{{"name", "Alice"}})}}, r1);
    json::object r2 = co_await CallResult(*client, endpoint.url(), tool, retry, 2);
    EXPECT_EQ(r2["resultType"], "complete");
    EXPECT_EQ(r2["content"].at(0).at("text"), "Hello, Alice!");
  });
}

TEST(StatelessHttpServerMrtrTest, MultiRoundStateCarriesEarlierAnswers) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string tool = "test_input_required_result_multi_round";
    json::object r1 = co_await CallResult(*client, endpoint.url(), tool);
    json::object round2 =
        Retry(json::object{{"step1", Accepted(json::object{{"name", "Ann"}})}}, r1);
    json::object r2 = co_await CallResult(*client, endpoint.url(), tool, round2, 2);
    EXPECT_EQ(r2["resultType"], "input_required");
    EXPECT_TRUE(r2["inputRequests"].as_object().contains("step2"));
    EXPECT_NE(r2["requestState"], r1["requestState"]);
    json::object round3 =
        Retry(json::object{{"step2", Accepted(json::object{{"color", "red"}})}}, r2);
    json::object r3 = co_await CallResult(*client, endpoint.url(), tool, round3, 3);
    EXPECT_EQ(r3["resultType"], "complete");
    EXPECT_EQ(r3["content"].at(0).at("text"), "Ann likes red");
  });
}

TEST(StatelessHttpServerMrtrTest, MissingInputResponseIsRequestedAgain) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object wrong = Retry(json::object{{"wrong_key", Accepted(json::object())}}, {});
    json::object result = co_await CallResult(*client, endpoint.url(),
                                              "test_input_required_result_elicitation", wrong);
    EXPECT_EQ(result["resultType"], "input_required");
    EXPECT_TRUE(result["inputRequests"].as_object().contains("user_name"));
  });
}

// tools/call `tool` with `params`: the JSON-RPC error code of the answer (0 for a result).
Awaitable<int64_t> CallError(http::Client& client, const std::string& url, std::string_view tool,
                             json::object params, int64_t id = 2) {
  co_return ErrorCode(
      co_await Exchange(client, ModernPost(url, "tools/call", ToolCall(tool, params), id)));
}

TEST(StatelessHttpServerMrtrTest, TamperedRequestStateIsInvalidParams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string tool = "test_input_required_result_tampered_state";
    json::object r1 = co_await CallResult(*client, endpoint.url(), tool);
    json::object retry = Retry(json::object{{"confirm", Accepted(json::object{{"ok", true}})}}, r1);
    retry["requestState"] = std::string(r1["requestState"].as_string()) + "-TAMPERED";
    EXPECT_EQ(co_await CallError(*client, endpoint.url(), tool, retry), kInvalidParams);
  });
}

TEST(StatelessHttpServerMrtrTest, StateOfOneToolIsRefusedByAnother) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object r1 =
        co_await CallResult(*client, endpoint.url(), "test_input_required_result_tampered_state");
    json::object retry = Retry(json::object(), r1);
    EXPECT_EQ(co_await CallError(*client, endpoint.url(),
                                 "test_input_required_result_request_state", retry),
              kInvalidParams);
  });
}

TEST(StatelessHttpServerMrtrTest, NullInputResponsesIsInvalidParams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params{{"inputResponses", nullptr}};
    EXPECT_EQ(co_await CallError(*client, endpoint.url(), "test_input_required_result_elicitation",
                                 params),
              kInvalidParams);
  });
}

TEST(StatelessHttpServerMrtrTest, MalformedInputResponseIsInvalidParams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params = Retry(json::object{{"user_name", 12345}}, {});
    EXPECT_EQ(co_await CallError(*client, endpoint.url(), "test_input_required_result_elicitation",
                                 params),
              kInvalidParams);
  });
}

TEST(StatelessHttpServerMrtrTest, ExtraInputResponsesAreIgnored) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params = Retry(json::object{{"user_name", Accepted(json::object{{"name", "Al"}})},
                                             {"unknown_extra_key", 7}},
                                {});
    json::object result = co_await CallResult(*client, endpoint.url(),
                                              "test_input_required_result_elicitation", params);
    EXPECT_EQ(result["resultType"], "complete");
  });
}

TEST(StatelessHttpServerMrtrTest, OnlyDeclaredCapabilitiesAreAskedFor) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params{{"_meta", Meta(json::object{{"sampling", json::object()}})}};
    json::object result = co_await CallResult(*client, endpoint.url(),
                                              "test_input_required_result_capabilities", params);
    EXPECT_EQ(result["resultType"], "input_required");
    const json::object& requests = result["inputRequests"].as_object();
    EXPECT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests.at("greeting").at("method"), "sampling/createMessage");
  });
}

TEST(StatelessHttpServerMrtrTest, PromptsGetAsksForInputToo) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params{{"name", "test_input_required_result_prompt"}};
    json::object first =
        co_await Exchange(*client, ModernPost(endpoint.url(), "prompts/get", params));
    json::object r1 = first["result"].as_object();
    EXPECT_EQ(r1["resultType"], "input_required");
    json::object retry =
        Retry(json::object{{"user_context", Accepted(json::object{{"context", "ctx"}})}}, r1);
    retry["name"] = "test_input_required_result_prompt";
    json::object second =
        co_await Exchange(*client, ModernPost(endpoint.url(), "prompts/get", retry, 2));
    json::object r2 = second["result"].as_object();
    EXPECT_EQ(r2["resultType"], "complete");
    EXPECT_FALSE(r2["messages"].as_array().empty());
  });
}

TEST(StatelessHttpServerMrtrTest, RetryLandsOnAReplicaWithTheSameSecret) {
  EverythingServerOptions shared;
  shared.request_state_secret = "replica-secret";
  EverythingEndpoint a(EverythingHttpOptions(), shared), b(EverythingHttpOptions(), shared);
  EverythingEndpoint stranger;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    std::string tool = "test_input_required_result_request_state";
    json::object r1 = co_await CallResult(*client, a.url(), tool);
    json::object retry = Retry(json::object{{"confirm", Accepted(json::object{{"ok", true}})}}, r1);
    json::object on_b = co_await CallResult(*client, b.url(), tool, retry, 2);
    EXPECT_EQ(on_b["resultType"], "complete");
    EXPECT_EQ(on_b["content"].at(0).at("text"), "state-ok: ok=true");
    EXPECT_EQ(co_await CallError(*client, stranger.url(), tool, retry, 3), kInvalidParams);
  });
}

// --- subscriptions/listen. ---

TEST(StatelessHttpServerListenTest, AcknowledgesThenDeliversOnlyTheSubscribedListChange) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params{{"notifications", json::object{{"toolsListChanged", true}}}};
    auto stream =
        co_await client->Open(ModernPost(endpoint.url(), "subscriptions/listen", params, 77));
    CO_ASSERT_TRUE(stream.ok());
    EXPECT_EQ(stream->status(), 200);
    http::SseStreamReader events(std::move(*stream));
    auto ack = co_await events.Next();
    CO_ASSERT_TRUE(ack.ok() && *ack);
    json::object first = json::parse((*ack)->data).as_object();
    EXPECT_EQ(first.at("method"), "notifications/subscriptions/acknowledged");
    EXPECT_EQ(first.at("params").at("_meta").at(meta::kSubscriptionId), 77);
    EXPECT_EQ(first.at("params").at("notifications").at("toolsListChanged"), true);
    EXPECT_EQ(endpoint.server().listener_count(), 1u);
    // A prompt change is not subscribed to; the tool change after it is the next event.
    auto prompt = co_await Send(*client, ModernPost(endpoint.url(), "tools/call",
                                                    ToolCall("test_trigger_prompt_change"), 2));
    CO_ASSERT_TRUE(prompt);
    auto tool = co_await Send(
        *client, ModernPost(endpoint.url(), "tools/call", ToolCall("test_trigger_tool_change"), 3));
    CO_ASSERT_TRUE(tool);
    auto change = co_await events.Next();
    CO_ASSERT_TRUE(change.ok() && *change);
    json::object next = json::parse((*change)->data).as_object();
    EXPECT_EQ(next.at("method"), "notifications/tools/list_changed");
    EXPECT_EQ(next.at("params").at("_meta").at(meta::kSubscriptionId), 77);
  });
}

TEST(StatelessHttpServerListenTest, ClosingTheStreamEndsTheSubscription) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    json::object params{{"notifications", json::object{{"promptsListChanged", true}}}};
    {
      auto stream =
          co_await client->Open(ModernPost(endpoint.url(), "subscriptions/listen", params, 5));
      CO_ASSERT_TRUE(stream.ok());
      http::SseStreamReader events(std::move(*stream));
      auto ack = co_await events.Next();
      CO_ASSERT_TRUE(ack.ok() && *ack);
      EXPECT_EQ(endpoint.server().listener_count(), 1u);
    }
    // The server notices the closed stream on its next write or read; poll with a deadline.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    asio::steady_timer tick(ex);
    while (endpoint.server().listener_count() != 0 && std::chrono::steady_clock::now() < deadline) {
      auto nudge = co_await Send(*client, ModernPost(endpoint.url(), "tools/call",
                                                     ToolCall("test_trigger_prompt_change"), 9));
      CO_ASSERT_TRUE(nudge);
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    EXPECT_EQ(endpoint.server().listener_count(), 0u);
  });
}

TEST(StatelessHttpServerListenTest, MissingFilterIsInvalidParams) {
  EverythingEndpoint endpoint;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto client = http::Client::Create(ex);
    MCP_CO_ASSERT_OK(client);
    auto response = co_await Send(*client, ModernPost(endpoint.url(), "subscriptions/listen"));
    CO_ASSERT_TRUE(response);
    EXPECT_EQ(ErrorCode(Body(*response)), kInvalidParams);
  });
}

}  // namespace
}  // namespace bedrock::mcp

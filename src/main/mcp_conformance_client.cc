#include "main/mcp_conformance_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <memory>

#include "core/log.h"
#include "http/client.h"
#include "main/command.h"
#include "mcp/client.h"
#include "mcp/oauth.h"
#include "mcp/streamable_http_client.h"

namespace bedrock::app {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using mcp::Awaitable;

constexpr std::string_view kComponent = "conformance-client";

// The client ID metadata document URL the suite's auth/basic-cimd scenario expects.
constexpr std::string_view kClientMetadataUrl =
    "https://conformance-test.local/client-metadata.json";
// Nothing listens here: the headless authorization below reads the code from the redirect.
constexpr std::string_view kRedirectUri = "http://localhost:3000/callback";

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The suite's authorization servers approve every request at once with a redirect to our
// redirect_uri carrying the code: fetch the authorization URL without following redirects and
// hand back the Location, as a browser would have visited it.
mcp::AuthorizationRedirect HeadlessAuthorization(http::Client http_client) {
  return [http_client](std::string authorize_url) mutable -> Awaitable<core::Result<std::string>> {
    http::ClientRequest request;
    request.method = "GET";
    request.url = authorize_url;
    request.timeout = std::chrono::seconds(10);
    auto response = co_await http_client.Send(std::move(request));
    if (!response.ok()) co_return response.error();
    auto location = response->headers.Get("Location");
    if (response->status / 100 != 3 || !location) {
      co_return core::Error::Unauthenticated(
          "the authorization endpoint answered HTTP {} without a redirect", response->status);
    }
    auto base = boost::urls::parse_uri(authorize_url);
    auto target = boost::urls::parse_uri_reference(*location);
    if (!base || !target) co_return std::string(*location);
    boost::urls::url resolved;
    if (!boost::urls::resolve(*base, *target, resolved)) co_return std::string(*location);
    co_return std::string(resolved.buffer());
  };
}

// Accepts every elicitation with the requested schema's defaults filled in (SEP-1034).
Awaitable<mcp::Reply> AcceptWithDefaults(json::value params, mcp::RequestContext&) {
  json::object result;
  result["action"] = "accept";
  result["content"] = mcp::RequestedSchemaDefaults(params);
  co_return json::value(std::move(result));
}

const json::object* FindTool(const json::array& tools, std::string_view name) {
  for (const auto& tool : tools) {
    const json::object* t = tool.if_object();
    if (t && StringField(*t, "name") == name) return t;
  }
  return nullptr;
}

Awaitable<core::Status> CallAndLog(mcp::Client& client, std::string name, json::object arguments) {
  auto result = co_await client.CallTool(name, std::move(arguments));
  if (!result.ok()) co_return result.error();
  std::string text;
  for (const auto& block : result->content) {
    if (block.is_object()) text += StringField(block.get_object(), "text");
  }
  BEDROCK_LOG_INFO(kComponent, "tool result",
                   {{"tool", name}, {"text", text}, {"is_error", result->is_error}});
  if (result->is_error) co_return core::Error::UpstreamFailure("tool {} failed: {}", name, text);
  co_return core::OkStatus();
}

// Lists and reads every resource, lists and gets every prompt (http-standard-headers checks the
// Mcp-Method and Mcp-Name headers of each).
Awaitable<core::Status> ReadEverything(mcp::Client& client) {
  BEDROCK_CO_TRY_ASSIGN(json::array resources, co_await client.ListResources());
  for (const auto& resource : resources) {
    if (!resource.is_object()) continue;
    BEDROCK_CO_TRY(co_await client.ReadResource(StringField(resource.get_object(), "uri")));
  }
  BEDROCK_CO_TRY_ASSIGN(json::array prompts, co_await client.ListPrompts());
  for (const auto& prompt : prompts) {
    if (!prompt.is_object()) continue;
    BEDROCK_CO_TRY(co_await client.GetPrompt(StringField(prompt.get_object(), "name")));
  }
  co_return core::OkStatus();
}

// What each scenario's mock server waits for once the client is connected.
Awaitable<core::Status> Exercise(mcp::Client& client, const std::string& scenario,
                                 const json::object& context) {
  // The skills extension's client scenarios: list skills without reading any skill file, or
  // load the first skill, which the mock serves tampered (the load must stop at SKILL.md).
  if (scenario == "sep-2640-client-no-prefetch") {
    BEDROCK_CO_TRY(co_await client.ListSkills());
    co_return core::OkStatus();
  }
  if (scenario.starts_with("sep-2640-client-verify-")) {
    BEDROCK_CO_TRY_ASSIGN(json::array skills, co_await client.ListSkills());
    if (skills.empty() || !skills.front().is_object()) {
      co_return core::Error::NotFound("the server lists no skill");
    }
    BEDROCK_CO_TRY(co_await client.LoadSkill(skills.front().get_object()));
    co_return core::OkStatus();
  }
  auto tools = co_await client.ListTools();
  if (!tools.ok()) co_return tools.error();
  if (scenario == "initialize" || scenario == "json-schema-ref-no-deref") {
    co_return core::OkStatus();  // listing is the whole scenario (and nothing dereferences $ref)
  }
  // Scenarios that name the calls to make (http-custom-headers): exactly those.
  if (const json::value* calls = context.if_contains("toolCalls"); calls && calls->is_array()) {
    for (const auto& call : calls->get_array()) {
      if (!call.is_object()) continue;
      const json::value* arguments = call.get_object().if_contains("arguments");
      json::object args =
          arguments && arguments->is_object() ? arguments->get_object() : json::object();
      BEDROCK_CO_TRY(
          co_await CallAndLog(client, StringField(call.get_object(), "name"), std::move(args)));
    }
    co_return core::OkStatus();
  }
  if (scenario == "http-standard-headers") {
    BEDROCK_CO_TRY(co_await ReadEverything(client));
  }
  if (scenario == "tools_call") {
    json::object arguments;
    arguments["a"] = 5;
    arguments["b"] = 3;
    co_return co_await CallAndLog(client, "add_numbers", std::move(arguments));
  }
  if (scenario == "json-schema-2020-12-preservation") {
    const json::object* focal = FindTool(*tools, "json_schema_2020_12_tool");
    const json::value* schema = focal ? focal->if_contains("inputSchema") : nullptr;
    if (schema == nullptr) {
      co_return core::Error::NotFound("the server lists no json_schema_2020_12_tool");
    }
    json::object arguments;
    arguments["schema"] = *schema;
    co_return co_await CallAndLog(client, "json_schema_echo", std::move(arguments));
  }
  // Everything else: call each tool the scenario's server offers, with no arguments
  // (test_client_elicitation_defaults, test_reconnection, the auth scenarios' test-tool).
  for (const auto& tool : *tools) {
    if (!tool.is_object()) continue;
    BEDROCK_CO_TRY(co_await CallAndLog(client, StringField(tool.get_object(), "name"), {}));
  }
  co_return core::OkStatus();
}

Awaitable<int> Run(asio::any_io_executor executor, http::Client http_client, std::string url,
                   std::string scenario, json::object context) {
  mcp::StreamableHttpClientOptions transport_options;
  transport_options.url = url;
  transport_options.peer_name = "conformance server";
  // Scenarios send server requests on the GET stream right after connecting.
  transport_options.wait_for_get_stream = true;
  if (scenario.starts_with("auth/")) {
    mcp::OAuthOptions oauth;
    oauth.redirect_uri = std::string(kRedirectUri);
    oauth.client_name = "bedrock-mcp conformance client";
    oauth.client_metadata_url = std::string(kClientMetadataUrl);
    oauth.client_id = StringField(context, "client_id");
    oauth.client_secret = StringField(context, "client_secret");
    oauth.client_private_key_pem = StringField(context, "private_key_pem");
    oauth.jwt_bearer_assertion = StringField(context, "valid_jwt");
    oauth.idp_token_endpoint = StringField(context, "idp_token_endpoint");
    oauth.idp_id_token = StringField(context, "idp_id_token");
    oauth.idp_client_id = StringField(context, "idp_client_id");
    oauth.authorize = HeadlessAuthorization(http_client);
    oauth.peer_name = "conformance server";
    transport_options.auth = mcp::CreateOAuthClient(http_client, url, std::move(oauth));
  }
  auto transport = mcp::StreamableHttpClientTransport::Create(executor, http_client,
                                                              std::move(transport_options));

  mcp::ClientOptions options;
  options.peer_name = "conformance server";
  options.on_elicitation = AcceptWithDefaults;
  options.initialize_timeout = std::chrono::seconds(20);
  options.request_timeout = std::chrono::seconds(20);
  auto client = co_await mcp::Client::Connect(
      transport, mcp::Implementation("bedrock-mcp-conformance-client", kBedrockVersion),
      std::move(options));
  if (!client.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "connect failed", {{"error", client.error().message()}});
    co_return 1;
  }
  auto done = co_await Exercise(**client, scenario, context);
  co_await (*client)->Close();
  if (!done.ok()) {
    BEDROCK_LOG_ERROR(kComponent, "scenario failed",
                      {{"scenario", scenario}, {"error", done.error().message()}});
    co_return 1;
  }
  BEDROCK_LOG_INFO(kComponent, "scenario done", {{"scenario", scenario}});
  co_return 0;
}

}  // namespace

int RunConformanceClient(const std::string& server_url, const core::Env& env) {
  if (server_url.empty()) {
    std::fprintf(stderr, "bedrock-mcp mcp conformance-client: give the server URL\n");
    return 2;
  }
  std::string scenario = env.Get("MCP_CONFORMANCE_SCENARIO").value_or("");
  json::object context;
  if (auto text = env.Get("MCP_CONFORMANCE_CONTEXT"); text && !text->empty()) {
    boost::system::error_code ec;
    json::value parsed = json::parse(*text, ec);
    if (ec || !parsed.is_object()) {
      std::fprintf(stderr,
                   "bedrock-mcp mcp conformance-client: MCP_CONFORMANCE_CONTEXT is not a "
                   "JSON object\n");
      return 2;
    }
    context = std::move(parsed.get_object());
  }
  BEDROCK_LOG_INFO(kComponent, "starting", {{"scenario", scenario}, {"url", server_url}});

  asio::io_context io;
  auto http_client = http::Client::Create(io.get_executor());
  if (!http_client.ok()) {
    std::fprintf(stderr, "bedrock-mcp mcp conformance-client: %s\n",
                 http_client.error().message().c_str());
    return 2;
  }
  int exit_code = 1;
  asio::co_spawn(io, Run(io.get_executor(), *http_client, server_url, scenario, std::move(context)),
                 [&](std::exception_ptr e, int code) {
                   if (e) std::rethrow_exception(e);
                   exit_code = code;
                 });
  io.run();
  return exit_code;
}

}  // namespace bedrock::app

#include "gateway/api.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/config.h"
#include "core/log.h"
#include "gateway/policy.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr std::string_view kComponent = "gateway";

void NoCache(http::Response& response) {
  response.headers.Set("Cache-Control", "no-cache, no-store, must-revalidate");
  response.headers.Set("Pragma", "no-cache");
  response.headers.Set("Expires", "0");
}

// The request body as a JSON object; an empty body is {}. Errors are real HTTP errors.
core::Result<json::object> BodyObject(const http::Request& request, size_t limit) {
  if (request.body.size() > limit) {
    return core::Error::PayloadTooLarge("request body of {} bytes is over the limit of {} bytes",
                                        request.body.size(), limit);
  }
  std::string_view body = request.body;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) {
    body.remove_prefix(1);
  }
  if (body.empty()) return json::object();
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return core::Error::InvalidArgument("request body is not valid JSON: {}", ec.message());
  if (!value.is_object()) return core::Error::InvalidArgument("request body must be a JSON object");
  return std::move(value.as_object());
}

// A 422 for a field of the wrong type (the demo's errno for validation errors).
core::Error FieldError(std::string_view field, std::string_view expected) {
  return core::Error::InvalidArgument("field '{}': expected {}", field, expected);
}

core::Result<std::string> OptionalStringField(const json::object& body, std::string_view key) {
  auto* value = body.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return FieldError(key, "a string");
  return std::string(value->as_string());
}

// The mcpServers entry the add request describes, and its id. Both the config_json form
// ({"mcpServers": {"id": {...}}} or {"id": {...}}, first key) and the field form (server_id,
// command, args, env) work; the demo's field form never did (demo-api.md §4).
struct AddRequest {
  std::string id;
  std::string description;
  json::object entry;
};

core::Result<AddRequest> ParseAddRequest(const json::object& body) {
  AddRequest out;
  out.id = BEDROCK_TRY(OptionalStringField(body, "server_id"));
  out.description = BEDROCK_TRY(OptionalStringField(body, "server_desc"));
  std::string command = BEDROCK_TRY(OptionalStringField(body, "command"));
  json::array args;
  if (auto* value = body.if_contains("args"); value != nullptr && !value->is_null()) {
    if (!value->is_array()) return FieldError("args", "an array of strings");
    for (const auto& arg : value->as_array()) {
      if (!arg.is_string()) return FieldError("args", "an array of strings");
    }
    args = value->as_array();
  }
  json::object env;
  if (auto* value = body.if_contains("env"); value != nullptr && !value->is_null()) {
    if (!value->is_object()) return FieldError("env", "an object of strings");
    for (const auto& [key, v] : value->as_object()) {
      if (!v.is_string()) return FieldError("env", "an object of strings");
    }
    env = value->as_object();
  }
  json::object config;
  if (auto* value = body.if_contains("config_json"); value != nullptr && !value->is_null()) {
    if (value->is_string() && !value->as_string().empty()) {
      // Some clients send the pasted text as a string.
      boost::system::error_code ec;
      json::value parsed = json::parse(value->as_string(), ec);
      if (ec || !parsed.is_object()) return FieldError("config_json", "a JSON object");
      config = std::move(parsed.as_object());
    } else if (value->is_object()) {
      config = value->as_object();
    } else if (!value->is_string()) {
      return FieldError("config_json", "an object");
    }
  }
  if (!config.empty()) {
    if (auto* wrapped = config.if_contains("mcpServers")) {
      if (!wrapped->is_object()) {
        return core::Error::FailedPrecondition("config_json.mcpServers must be an object");
      }
      config = wrapped->as_object();
    }
    if (config.empty()) {
      return core::Error::FailedPrecondition("config_json has no server in it");
    }
    auto& first = *config.begin();
    if (!first.value().is_object()) {
      return core::Error::FailedPrecondition("config_json: server '{}' must be an object",
                                             std::string(first.key()));
    }
    out.id = std::string(first.key());
    out.entry = first.value().as_object();
  } else {
    out.entry["command"] = command.empty() ? "npx" : command;
    out.entry["args"] = std::move(args);
    out.entry["env"] = std::move(env);
  }
  // The demo stores url "" and token null beside a command, and clients copy that back: absent
  // and empty mean the same here. Whether it is enabled is not the user's to say.
  for (auto key : {"url", "token", "command", "type", "cwd"}) {
    if (auto* v = out.entry.if_contains(key);
        v != nullptr && (v->is_null() || (v->is_string() && v->as_string().empty()))) {
      out.entry.erase(key);
    }
  }
  for (auto key : {"status", "disabled", "per_user", "description"}) out.entry.erase(key);
  for (auto it = out.entry.begin(); it != out.entry.end();) {
    it = it->value().is_null() ? out.entry.erase(it) : std::next(it);
  }
  return out;
}

// The spec for an add request, parsed with the same rules as the configuration file.
core::Result<ServerSpec> SpecFromRequest(const AddRequest& request) {
  json::object wrapper;
  wrapper[request.id] = request.entry;
  auto document = core::ParseJsonDocument(json::serialize(wrapper), "config_json");
  if (!document.ok()) return document.error();
  auto spec = BEDROCK_TRY(ParseServerSpec(document->Root().Members().at(0)));
  spec.mcp.description = request.description;
  return spec;
}

json::array ToolSpecs(std::string_view server_id, const json::array& tools) {
  json::array out;
  for (const auto& tool : tools) {
    if (!tool.is_object()) continue;
    const auto& object = tool.as_object();
    auto* name = object.if_contains("name");
    if (name == nullptr || !name->is_string()) continue;
    json::object spec;
    spec["name"] = DemoToolName(server_id, name->as_string());
    auto* description = object.if_contains("description");
    spec["description"] = description != nullptr && description->is_string()
                              ? json::string(description->as_string())
                              : json::string(name->as_string());
    auto* schema = object.if_contains("inputSchema");
    spec["inputSchema"] = json::object{
        {"json",
         schema != nullptr && schema->is_object()
             ? *schema
             : json::value(json::object{{"type", "object"}, {"properties", json::object()}})}};
    out.push_back(json::object{{"toolSpec", std::move(spec)}});
  }
  return out;
}

}  // namespace

http::Response ErrorResponse(int status, const core::Error& error) {
  const std::string& message = error.message();
  std::string_view code = core::ErrorCodeName(error.code());
  json::object body{
      {"detail", message},
      {"errno", status},
      {"msg", message},
      {"data", json::object()},
      {"error",
       json::object{{"message", message}, {"type", code}, {"param", nullptr}, {"code", code}}}};
  return http::Response::Json(status, json::serialize(body));
}

http::Response ErrorResponse(const core::Error& error) {
  return ErrorResponse(core::HttpStatusFor(error.code()), error);
}

http::Response DemoReply(int errno_value, std::string_view msg, json::object data) {
  json::object body{{"errno", errno_value}, {"msg", msg}, {"data", std::move(data)}};
  return http::Response::Json(200, json::serialize(body));
}

std::string DemoToolName(std::string_view server_id, std::string_view tool_name) {
  std::string out = std::string(server_id) + "___" + std::string(tool_name);
  for (char& c : out) {
    if (c == '-' || c == '/' || c == ':') c = '_';
  }
  return out;
}

bool ValidServerId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

Api::Api(const GatewayConfig& config, const Authenticator& authenticator, UserRegistry& users)
    : config_(config), authenticator_(authenticator), users_(users) {}

bool Api::OriginAllowed(std::string_view origin) const {
  for (const auto& allowed : config_.cors.allowed_origins) {
    if (allowed == "*" || allowed == origin) return true;
  }
  return false;
}

void Api::ApplyCors(const http::Request& request, http::Response& response) const {
  if (config_.cors.allowed_origins.empty()) return;
  response.headers.Add("Vary", "Origin");
  auto origin = request.headers.Get("Origin");
  if (!origin || !OriginAllowed(*origin)) return;
  bool wildcard =
      !config_.cors.allow_credentials &&
      std::find(config_.cors.allowed_origins.begin(), config_.cors.allowed_origins.end(), "*") !=
          config_.cors.allowed_origins.end();
  response.headers.Set("Access-Control-Allow-Origin", wildcard ? "*" : std::string(*origin));
  if (config_.cors.allow_credentials) {
    response.headers.Set("Access-Control-Allow-Credentials", "true");
  }
  response.headers.Set("Access-Control-Expose-Headers", "X-Stream-ID");
}

http::Response Api::Preflight(const http::Request& request) const {
  http::Response response;
  response.status = 204;
  ApplyCors(request, response);
  if (response.headers.Contains("Access-Control-Allow-Origin")) {
    response.headers.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    response.headers.Set("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, X-User-ID, X-Stream-ID");
    response.headers.Set("Access-Control-Max-Age", std::to_string(config_.cors.max_age.count()));
  }
  return response;
}

http::Handler Api::WithAuth(AuthedHandler handler) const {
  return [this, handler = std::move(handler)](
             http::RequestContext& context) -> asio::awaitable<http::Response> {
    const http::Request& request = context.request();
    auto principal = authenticator_.Authenticate(request.headers);
    http::Response response;
    if (!principal.ok()) {
      const core::Error& error = principal.error();
      if (error.code() == core::ErrorCode::kUnauthenticated) {
        int status = config_.auth.failure_status;
        response = ErrorResponse(status, error);
        if (status == 401) {
          response.headers.Set("WWW-Authenticate", error.message() == kInvalidKey
                                                       ? "Bearer error=\"invalid_token\""
                                                       : "Bearer");
        }
        BEDROCK_LOG_DEBUG(kComponent, "request refused",
                          {{"target", request.Path()}, {"reason", error.message()}});
      } else {
        response = ErrorResponse(error);
      }
    } else {
      response = co_await handler(context, *principal);
    }
    ApplyCors(request, response);
    co_return response;
  };
}

http::Handler Api::WithUser(UserHandler handler) const {
  return WithAuth([this, handler = std::move(handler)](
                      http::RequestContext& context,
                      const Principal& principal) -> asio::awaitable<http::Response> {
    auto user = co_await users_.Get(principal.user_id);
    if (!user.ok()) {
      BEDROCK_LOG_ERROR(kComponent, "cannot set up user",
                        {{"user", principal.user_id}, {"error", user.error().message()}});
      co_return ErrorResponse(user.error());
    }
    co_return co_await handler(context, principal, std::move(*user));
  });
}

void Api::AddRoutes(http::Router& router) const {
  router.Get("/v1/list/models", WithAuth([this](http::RequestContext& context, const Principal&) {
               return ListModels(context);
             }));
  router.Get("/v1/models", WithAuth([this](http::RequestContext& context, const Principal&) {
               return OpenAiModels(context);
             }));
  router.Get("/v1/list/mcp_server",
             WithUser([this](http::RequestContext&, const Principal&,
                             std::shared_ptr<UserSession> user) { return ListServers(user); }));
  router.Post("/v1/add/mcp_server", WithUser([this](http::RequestContext& context, const Principal&,
                                                    std::shared_ptr<UserSession> user) {
                return AddServer(context, std::move(user));
              }));
  router.Delete("/v1/remove/mcp_server/{server_id}",
                WithUser([this](http::RequestContext& context, const Principal&,
                                std::shared_ptr<UserSession> user) {
                  return RemoveServer(context, std::move(user));
                }));
  router.Post("/v1/remove/history", WithUser([this](http::RequestContext& context, const Principal&,
                                                    std::shared_ptr<UserSession> user) {
                return RemoveHistory(context, std::move(user));
              }));
  for (auto pattern : {"/v1/list/models", "/v1/models", "/v1/list/mcp_server", "/v1/add/mcp_server",
                       "/v1/remove/mcp_server/{server_id}", "/v1/remove/history",
                       "/v1/chat/completions", "/v1/stop/stream/{stream_id}"}) {
    AddPreflight(router, pattern);
  }
}

void Api::AddPreflight(http::Router& router, std::string_view pattern) const {
  // Per path, not one catch-all: an OPTIONS route on "/{path...}" would turn every unknown path
  // into a 405 instead of a 404.
  router.Add("OPTIONS", pattern,
             [this](http::RequestContext& context) -> asio::awaitable<http::Response> {
               co_return Preflight(context.request());
             });
}

asio::awaitable<http::Response> Api::ListModels(http::RequestContext&) const {
  json::array models;
  for (const auto& model : config_.models) {
    models.push_back(json::object{{"model_id", model.id}, {"model_name", model.name}});
  }
  co_return http::Response::Json(200, json::serialize(json::object{{"models", std::move(models)}}));
}

asio::awaitable<http::Response> Api::OpenAiModels(http::RequestContext&) const {
  json::array data;
  for (const auto& model : config_.models) {
    data.push_back(json::object{
        {"id", model.id},
        {"object", "model"},
        {"created", 0},
        {"owned_by", model.provider == ModelProvider::kBedrock ? "bedrock" : "openai-compatible"},
        {"name", model.name}});
  }
  co_return http::Response::Json(
      200, json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}}));
}

asio::awaitable<http::Response> Api::ListServers(std::shared_ptr<UserSession> user) const {
  json::array servers;
  for (const auto& info : user->ListServers()) {
    json::object row{{"server_id", info.id},
                     {"server_name", info.name},
                     {"description", info.description},
                     {"scope", info.global ? "global" : "user"},
                     {"status", ServerStateName(info.status.state)}};
    if (!info.status.error.empty()) row["error"] = info.status.error;
    servers.push_back(std::move(row));
  }
  co_return http::Response::Json(200,
                                 json::serialize(json::object{{"servers", std::move(servers)}}));
}

asio::awaitable<http::Response> Api::AddServer(http::RequestContext& context,
                                               std::shared_ptr<UserSession> user) const {
  auto body = BodyObject(context.request(), config_.limits.max_request_bytes);
  if (!body.ok()) co_return ErrorResponse(body.error());
  auto request = ParseAddRequest(*body);
  if (!request.ok()) {
    if (request.error().code() == core::ErrorCode::kInvalidArgument) {
      co_return ErrorResponse(422, request.error());
    }
    co_return DemoReply(-1, request.error().message());
  }
  if (!ValidServerId(request->id)) {
    co_return DemoReply(-1, "server_id must be 1 to 64 letters, digits, '_', '-' or '.'");
  }
  auto spec = SpecFromRequest(*request);
  if (!spec.ok()) co_return DemoReply(-1, "Invalid MCP server config: " + spec.error().message());
  if (spec->mcp.description.empty()) spec->mcp.description = request->id;
  if (auto allowed = CheckServerAllowed(config_.policy, spec->mcp); !allowed.ok()) {
    BEDROCK_LOG_INFO(kComponent, "MCP server refused by policy",
                     {{"user", user->user_id()},
                      {"server", request->id},
                      {"reason", allowed.error().message()}});
    co_return DemoReply(-1, allowed.error().message());
  }
  auto tools = co_await user->AddServer(std::move(*spec), json::serialize(request->entry));
  if (!tools.ok()) {
    switch (tools.error().code()) {
      case core::ErrorCode::kAlreadyExists:
        co_return DemoReply(-1, "MCP server id exists for this user!");
      case core::ErrorCode::kResourceExhausted:
      case core::ErrorCode::kPermissionDenied:
        co_return DemoReply(-1, tools.error().message());
      case core::ErrorCode::kDeadlineExceeded:
        co_return DemoReply(-1, "MCP server connection timeout!");
      default:
        co_return DemoReply(-1, "MCP server connect failed: " + tools.error().message());
    }
  }
  co_return DemoReply(0, "The server already been added!",
                      json::object{{"tools", ToolSpecs(request->id, *tools)}});
}

asio::awaitable<http::Response> Api::RemoveServer(http::RequestContext& context,
                                                  std::shared_ptr<UserSession> user) const {
  std::string id(context.PathParam("server_id").value_or(""));
  auto removed = co_await user->RemoveServer(id);
  if (removed.ok()) co_return DemoReply(0, "Server removed successfully");
  switch (removed.error().code()) {
    case core::ErrorCode::kNotFound:
      co_return DemoReply(-1, "MCP server not found for this user!");
    case core::ErrorCode::kPermissionDenied:
      co_return DemoReply(-1, removed.error().message());
    default:
      co_return DemoReply(-1, "Failed to remove server: " + removed.error().message());
  }
}

asio::awaitable<http::Response> Api::RemoveHistory(http::RequestContext& context,
                                                   std::shared_ptr<UserSession> user) const {
  auto body = BodyObject(context.request(), config_.limits.max_request_bytes);
  if (!body.ok()) co_return ErrorResponse(body.error());
  std::optional<std::string> conversation;
  if (auto* id = body->if_contains("conversation_id"); id != nullptr && !id->is_null()) {
    if (!id->is_string()) co_return ErrorResponse(422, FieldError("conversation_id", "a string"));
    conversation = std::string(id->as_string());
  }
  auto removed = co_await user->ClearHistory(std::move(conversation));
  if (!removed.ok()) co_return ErrorResponse(removed.error());
  json::object reply{
      {"errno", 0},
      {"msg", *removed > 0 ? "removed history" : "remove history from empty session"}};
  auto response = http::Response::Json(200, json::serialize(reply));
  NoCache(response);
  co_return response;
}

}  // namespace bedrock::gateway

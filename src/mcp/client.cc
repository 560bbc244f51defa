#include "mcp/client.h"

#include <boost/json.hpp>
#include <unordered_set>

namespace bedrock::mcp {
namespace json = boost::json;

Client::~Client() = default;

Awaitable<core::Result<std::shared_ptr<Client>>> Client::Connect(
    std::shared_ptr<Transport> transport, Implementation client_info, ClientOptions options) {
  SessionOptions session_options;
  session_options.peer_name = options.peer_name;
  session_options.default_timeout = options.request_timeout;
  session_options.answer_rejected = false;
  auto session = Session::Create(std::move(transport), session_options);

  json::object capabilities = options.capabilities;
  if (options.on_sampling) {
    session->SetRequestHandler(std::string(method::kSamplingCreateMessage),
                               std::move(options.on_sampling));
    capabilities["sampling"] = json::object();
  }
  if (options.on_elicitation) {
    session->SetRequestHandler(std::string(method::kElicitationCreate),
                               std::move(options.on_elicitation));
    // An empty object means form mode to every revision that has elicitation.
    json::object elicitation;
    if (options.elicitation_url_mode) {
      elicitation["form"] = json::object();
      elicitation["url"] = json::object();
    }
    capabilities["elicitation"] = std::move(elicitation);
  }
  if (options.on_roots) {
    session->SetRequestHandler(std::string(method::kRootsList), std::move(options.on_roots));
    capabilities["roots"] = json::object{{"listChanged", true}};
  }
  if (options.on_log_message) {
    session->SetNotificationHandler(
        std::string(notification::kMessage),
        [f = std::move(options.on_log_message)](json::value params, const MessageContext*) {
          if (params.is_object()) f(params.get_object());
        });
  }
  if (options.on_resource_updated) {
    session->SetNotificationHandler(
        std::string(notification::kResourcesUpdated),
        [f = std::move(options.on_resource_updated)](json::value params, const MessageContext*) {
          const json::object* p = params.if_object();
          const json::value* uri = p ? p->if_contains("uri") : nullptr;
          if (uri && uri->is_string()) f(std::string_view(uri->get_string()));
        });
  }
  auto on_signal = [&](std::string_view method, std::function<void()> f) {
    if (!f) return;
    session->SetNotificationHandler(
        std::string(method), [f = std::move(f)](json::value, const MessageContext*) { f(); });
  };
  on_signal(notification::kToolsListChanged, std::move(options.on_tools_list_changed));
  on_signal(notification::kResourcesListChanged, std::move(options.on_resources_list_changed));
  on_signal(notification::kPromptsListChanged, std::move(options.on_prompts_list_changed));
  if (options.on_close) session->SetCloseHandler(std::move(options.on_close));
  session->Start();

  json::object params;
  params["protocolVersion"] = options.protocol_version;
  params["capabilities"] = std::move(capabilities);
  params["clientInfo"] = client_info.ToJson(options.protocol_version);
  CallOptions call_options;
  call_options.timeout = options.initialize_timeout;
  auto answer = co_await session->Call(method::kInitialize, std::move(params), call_options);
  if (!answer.ok()) {
    co_await session->Close();
    co_return answer.error().WithContext("initialize");
  }
  json::object* result = answer->if_object();
  const json::value* version = result ? result->if_contains("protocolVersion") : nullptr;
  if (version == nullptr || !version->is_string()) {
    co_await session->Close();
    co_return core::Error::UpstreamFailure("initialize: {} answered without a protocolVersion",
                                           options.peer_name);
  }
  std::string negotiated(version->get_string());
  if (!IsSupportedVersion(negotiated)) {
    co_await session->Close();
    co_return core::Error::FailedPrecondition(
        "initialize: {} chose protocol revision '{}', which we do not support (we support {})",
        options.peer_name, negotiated, fmt::join(kSupportedVersions, ", "));
  }
  std::shared_ptr<Client> client(new Client(session));
  client->request_timeout_ = options.request_timeout;
  session->SetProtocolVersion(negotiated);
  if (json::value* info = result->if_contains("serverInfo")) {
    client->server_info_ = Implementation::FromJson(*info);
  }
  if (json::value* caps = result->if_contains("capabilities"); caps && caps->is_object()) {
    client->server_capabilities_ = std::move(caps->get_object());
  }
  if (json::value* text = result->if_contains("instructions"); text && text->is_string()) {
    client->instructions_ = std::string(text->get_string());
  }
  auto initialized = co_await session->Notify(notification::kInitialized, nullptr);
  if (!initialized.ok()) {
    co_await session->Close();
    co_return initialized.error().WithContext("notifications/initialized");
  }
  co_return client;
}

Awaitable<core::Result<json::value>> Client::Request(std::string_view method, json::value params,
                                                     CallOptions options) {
  co_return co_await session_->Call(method, std::move(params), std::move(options));
}

Awaitable<core::Status> Client::Ping(CallOptions options) {
  BEDROCK_CO_TRY(co_await Request(method::kPing, nullptr, std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Result<json::array>> Client::ListAll(std::string_view method, std::string_view key,
                                                     CallOptions options) {
  json::array all;
  std::string cursor;
  std::unordered_set<std::string> seen;
  for (;;) {
    json::object params;
    if (!cursor.empty()) params["cursor"] = cursor;
    BEDROCK_CO_TRY_ASSIGN(json::value page, co_await Request(method, std::move(params), options));
    json::object* result = page.if_object();
    json::value* items =
        result ? result->if_contains(json::string_view(key.data(), key.size())) : nullptr;
    if (items == nullptr || !items->is_array()) {
      co_return core::Error::UpstreamFailure("{}: {} answered without a {} array", method,
                                             session_->peer_name(), key);
    }
    for (json::value& item : items->get_array()) all.push_back(std::move(item));
    json::value* next = result->if_contains("nextCursor");
    if (next == nullptr || !next->is_string() || next->get_string().empty()) break;
    cursor = std::string(next->get_string());
    if (!seen.insert(cursor).second) {
      co_return core::Error::UpstreamFailure("{}: {} repeated cursor '{}'", method,
                                             session_->peer_name(), cursor);
    }
  }
  co_return all;
}

Awaitable<core::Result<json::array>> Client::ListTools(CallOptions options) {
  co_return co_await ListAll(method::kToolsList, "tools", std::move(options));
}
Awaitable<core::Result<json::array>> Client::ListResources(CallOptions options) {
  co_return co_await ListAll(method::kResourcesList, "resources", std::move(options));
}
Awaitable<core::Result<json::array>> Client::ListResourceTemplates(CallOptions options) {
  co_return co_await ListAll(method::kResourcesTemplatesList, "resourceTemplates",
                             std::move(options));
}
Awaitable<core::Result<json::array>> Client::ListPrompts(CallOptions options) {
  co_return co_await ListAll(method::kPromptsList, "prompts", std::move(options));
}

Awaitable<core::Result<CallToolResult>> Client::CallTool(std::string_view name,
                                                         json::object arguments,
                                                         CallOptions options) {
  json::object params;
  params["name"] = json::string_view(name.data(), name.size());
  params["arguments"] = std::move(arguments);
  BEDROCK_CO_TRY_ASSIGN(json::value result, co_await Request(method::kToolsCall, std::move(params),
                                                             std::move(options)));
  co_return CallToolResult::FromJson(std::move(result));
}

Awaitable<core::Result<json::array>> Client::ReadResource(std::string_view uri,
                                                          CallOptions options) {
  json::object params;
  params["uri"] = json::string_view(uri.data(), uri.size());
  BEDROCK_CO_TRY_ASSIGN(
      json::value result,
      co_await Request(method::kResourcesRead, std::move(params), std::move(options)));
  json::object* o = result.if_object();
  json::value* contents = o ? o->if_contains("contents") : nullptr;
  if (contents == nullptr || !contents->is_array()) {
    co_return core::Error::UpstreamFailure("resources/read: {} answered without contents",
                                           session_->peer_name());
  }
  co_return std::move(contents->get_array());
}

Awaitable<core::Result<json::object>> Client::GetPrompt(
    std::string_view name, std::map<std::string, std::string> arguments, CallOptions options) {
  json::object params;
  params["name"] = json::string_view(name.data(), name.size());
  if (!arguments.empty()) {
    json::object a;
    for (auto& [key, value] : arguments) a[key] = value;
    params["arguments"] = std::move(a);
  }
  BEDROCK_CO_TRY_ASSIGN(json::value result, co_await Request(method::kPromptsGet, std::move(params),
                                                             std::move(options)));
  if (!result.is_object()) {
    co_return core::Error::UpstreamFailure("prompts/get: {} answered with a non-object",
                                           session_->peer_name());
  }
  co_return std::move(result.get_object());
}

Awaitable<core::Result<Completion>> Client::Complete(json::object ref,
                                                     std::string_view argument_name,
                                                     std::string_view argument_value,
                                                     std::map<std::string, std::string> context,
                                                     CallOptions options) {
  json::object params;
  params["ref"] = std::move(ref);
  json::object argument;
  argument["name"] = json::string_view(argument_name.data(), argument_name.size());
  argument["value"] = json::string_view(argument_value.data(), argument_value.size());
  params["argument"] = std::move(argument);
  if (!context.empty() && Has2025_06_18Features(protocol_version())) {
    json::object a;
    for (auto& [key, value] : context) a[key] = value;
    params["context"] = json::object{{"arguments", std::move(a)}};
  }
  BEDROCK_CO_TRY_ASSIGN(
      json::value result,
      co_await Request(method::kCompletionComplete, std::move(params), std::move(options)));
  const json::object* o = result.if_object();
  const json::value* completion = o ? o->if_contains("completion") : nullptr;
  const json::value* values = completion && completion->is_object()
                                  ? completion->get_object().if_contains("values")
                                  : nullptr;
  if (values == nullptr || !values->is_array()) {
    co_return core::Error::UpstreamFailure("completion/complete: {} answered without values",
                                           session_->peer_name());
  }
  Completion out;
  for (const json::value& v : values->get_array()) {
    if (v.is_string()) out.values.emplace_back(v.get_string());
  }
  const json::object& c = completion->get_object();
  if (const json::value* total = c.if_contains("total"); total && total->is_int64()) {
    out.total = total->get_int64();
  }
  if (const json::value* more = c.if_contains("hasMore"); more && more->is_bool()) {
    out.has_more = more->get_bool();
  }
  co_return out;
}

Awaitable<core::Status> Client::SetLogLevel(std::string_view level, CallOptions options) {
  json::object params;
  params["level"] = json::string_view(level.data(), level.size());
  BEDROCK_CO_TRY(co_await Request(method::kLoggingSetLevel, std::move(params), std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Status> Client::Subscribe(std::string_view uri, CallOptions options) {
  json::object params;
  params["uri"] = json::string_view(uri.data(), uri.size());
  BEDROCK_CO_TRY(
      co_await Request(method::kResourcesSubscribe, std::move(params), std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Status> Client::Unsubscribe(std::string_view uri, CallOptions options) {
  json::object params;
  params["uri"] = json::string_view(uri.data(), uri.size());
  BEDROCK_CO_TRY(
      co_await Request(method::kResourcesUnsubscribe, std::move(params), std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Status> Client::NotifyRootsListChanged() {
  co_return co_await session_->Notify(notification::kRootsListChanged, nullptr);
}

Awaitable<void> Client::Close() { co_await session_->Close(); }

}  // namespace bedrock::mcp

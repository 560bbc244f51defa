#include "mcp/client.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <unordered_set>

#include "core/base64.h"
#include "mcp/internal/error_detail_transport.h"
#include "mcp/skills.h"

namespace bedrock::mcp {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::string_view Js(std::string_view s) { return json::string_view(s.data(), s.size()); }

std::string_view ResultTypeOf(const json::object& result) {
  const json::value* type = result.if_contains(kResultTypeKey);
  if (type == nullptr || !type->is_string()) return kResultComplete;  // earlier revisions
  return std::string_view(type->get_string());
}

// The newest revision in `offered` (strings) that `ours` also has; empty when none.
template <size_t N>
std::string BestCommon(const json::value* offered, const std::array<std::string_view, N>& ours) {
  if (offered == nullptr || !offered->is_array()) return {};
  std::string best;
  for (const auto& v : offered->get_array()) {
    if (!v.is_string()) continue;
    std::string_view version(v.get_string());
    for (auto mine : ours) {
      if (mine == version && version > best) best = std::string(version);
    }
  }
  return best;
}

// Errors that say the server could not be reached or refused us: falling back to initialize would
// only repeat them (or, for OAuth, ask the user a second time).
bool EndsNegotiation(const core::Error& error) {
  switch (error.code()) {
    case core::ErrorCode::kUnauthenticated:
    case core::ErrorCode::kPermissionDenied:
    case core::ErrorCode::kCancelled:
    case core::ErrorCode::kUnavailable:
      return true;
    default:
      return false;
  }
}

const json::value* Field(const json::value& value, std::string_view key) {
  const json::object* o = value.if_object();
  return o ? o->if_contains(Js(key)) : nullptr;
}

constexpr std::chrono::hours kListenTimeout{24 * 365};

}  // namespace

// The server-to-client request handlers (which answer the input requests of the modern revision)
// and which notifications someone waits for (the subscriptions/listen filter).
struct Client::Handlers {
  std::shared_ptr<const RequestHandler> sampling;
  std::shared_ptr<const RequestHandler> elicitation;
  std::shared_ptr<const RequestHandler> roots;
  bool tools_list_changed = false;
  bool resources_list_changed = false;
  bool prompts_list_changed = false;
};

Client::~Client() = default;

Awaitable<core::Result<std::shared_ptr<Client>>> Client::Connect(
    std::shared_ptr<Transport> transport, Implementation client_info, ClientOptions options) {
  SessionOptions session_options;
  session_options.peer_name = options.peer_name;
  session_options.default_timeout = options.request_timeout;
  session_options.answer_rejected = false;
  auto session =
      Session::Create(internal::WrapForErrorDetails(std::move(transport)), session_options);
  std::shared_ptr<Client> client(new Client(session));
  client->Configure(client, options, std::move(client_info));
  session->Start();

  const std::string requested = options.protocol_version;
  const bool try_modern = requested.empty() || IsModernVersion(requested);
  const bool allow_legacy = requested.empty() || !IsModernVersion(requested);
  std::string legacy_version =
      allow_legacy && !requested.empty() ? requested : std::string(kLatestVersion);
  if (try_modern) {
    std::string version = requested.empty() ? std::string(kLatestModernVersion) : requested;
    auto probe = co_await client->ProbeModern(version);
    if (!probe.ok()) {
      co_await session->Close();
      co_return probe.error();
    }
    if (probe->era == Era::kModern) {
      client->modern_ = true;
      session->SetProtocolVersion(probe->version);
      client->AdoptDiscovered(probe->discovered);
      client->RestartListening();
      co_return client;
    }
    if (!allow_legacy) {
      co_await session->Close();
      co_return core::Error::FailedPrecondition(
          "{} does not speak protocol revision {} (it answered server/discover as a server of an "
          "earlier revision)",
          options.peer_name, version);
    }
    if (!probe->version.empty()) legacy_version = probe->version;
  }
  auto initialized = co_await client->Initialize(legacy_version);
  if (!initialized.ok()) {
    co_await session->Close();
    co_return initialized.error();
  }
  co_return client;
}

void Client::Configure(const std::shared_ptr<Client>& self, ClientOptions& options,
                       Implementation client_info) {
  weak_self_ = self;
  peer_name_ = options.peer_name;
  request_timeout_ = options.request_timeout;
  initialize_timeout_ = options.initialize_timeout;
  discover_timeout_ = options.discover_timeout;
  max_input_rounds_ = std::max(1, options.max_input_rounds);
  client_info_ = std::move(client_info);
  cache_ = ResultCache(options.clock);
  cache_results_ = options.cache_results;
  shared_cache_ = options.shared_cache;
  cache_namespace_ = options.cache_namespace;
  handlers_ = std::make_shared<Handlers>();

  Session& session = *session_;
  capabilities_ = options.capabilities;
  auto declare = [&](std::string_view method, RequestHandler handler) {
    auto shared = std::make_shared<const RequestHandler>(std::move(handler));
    session.SetRequestHandler(
        std::string(method), [shared](json::value params, RequestContext& ctx) -> Awaitable<Reply> {
          co_return co_await (*shared)(std::move(params), ctx);
        });
    return shared;
  };
  if (options.on_sampling) {
    handlers_->sampling = declare(method::kSamplingCreateMessage, std::move(options.on_sampling));
    capabilities_["sampling"] = json::object();
  }
  if (options.on_elicitation) {
    handlers_->elicitation = declare(method::kElicitationCreate, std::move(options.on_elicitation));
    // An empty object means form mode to every revision that has elicitation.
    json::object elicitation;
    if (options.elicitation_url_mode) {
      elicitation["form"] = json::object();
      elicitation["url"] = json::object();
    }
    capabilities_["elicitation"] = std::move(elicitation);
  }
  if (options.on_roots) {
    handlers_->roots = declare(method::kRootsList, std::move(options.on_roots));
    capabilities_["roots"] = json::object{{"listChanged", true}};
  }
  if (options.on_log_message) {
    session.SetNotificationHandler(
        std::string(notification::kMessage),
        [f = std::move(options.on_log_message)](json::value params, const MessageContext*) {
          if (params.is_object()) f(params.get_object());
        });
  }
  // List changes and resource updates invalidate the cache before anyone else hears of them.
  std::weak_ptr<Client> weak = self;
  session.SetNotificationHandler(
      std::string(notification::kResourcesUpdated),
      [weak, f = std::move(options.on_resource_updated)](json::value params,
                                                         const MessageContext*) {
        const json::value* uri = Field(params, "uri");
        if (uri == nullptr || !uri->is_string()) return;
        std::string_view text(uri->get_string());
        if (auto client = weak.lock()) {
          json::object read;
          read["uri"] = Js(text);
          client->cache_.Invalidate(ResultCache::Key(method::kResourcesRead, read));
        }
        if (f) f(text);
      });
  auto on_list_changed = [&](std::string_view notification, std::string_view list_method,
                             std::function<void()> f, bool& wanted) {
    wanted = static_cast<bool>(f);
    session.SetNotificationHandler(std::string(notification),
                                   [weak, method = std::string(list_method), f = std::move(f)](
                                       json::value, const MessageContext*) {
                                     if (auto client = weak.lock()) client->CacheInvalidate(method);
                                     if (f) f();
                                   });
  };
  on_list_changed(notification::kToolsListChanged, method::kToolsList,
                  std::move(options.on_tools_list_changed), handlers_->tools_list_changed);
  on_list_changed(notification::kResourcesListChanged, method::kResourcesList,
                  std::move(options.on_resources_list_changed), handlers_->resources_list_changed);
  on_list_changed(notification::kPromptsListChanged, method::kPromptsList,
                  std::move(options.on_prompts_list_changed), handlers_->prompts_list_changed);
  session.SetNotificationHandler(std::string(notification::kSubscriptionsAcknowledged),
                                 [](json::value, const MessageContext*) {});
  if (options.on_close) session.SetCloseHandler(std::move(options.on_close));
}

// --- Negotiation ---

Awaitable<core::Result<Client::Probe>> Client::ProbeModern(std::string version) {
  CallOptions call;
  call.timeout = std::min(discover_timeout_, initialize_timeout_);
  Probe legacy;
  for (int attempt = 0; attempt < 2; ++attempt) {
    json::object params;
    AddMeta(params, version);
    auto answer = co_await session_->Call(method::kServerDiscover, std::move(params), call);
    if (!answer.ok()) {
      if (EndsNegotiation(answer.error()) || session_->closed()) {
        co_return answer.error().WithContext("server/discover");
      }
      spdlog::debug("mcp: {} is a legacy server (server/discover: {})", peer_name_,
                    answer.error().message());
      co_return legacy;
    }
    if (auto error = internal::UnwrapRpcError(*answer)) {
      if (error->code == kUnsupportedProtocolVersion) {
        const json::value* supported = Field(error->data, "supported");
        std::string modern = BestCommon(supported, kSupportedModernVersions);
        if (!modern.empty() && attempt == 0) {
          version = modern;
          continue;
        }
        std::string older = BestCommon(supported, kSupportedVersions);
        if (!older.empty()) {
          legacy.version = older;
          co_return legacy;
        }
        co_return core::Error::FailedPrecondition(
            "server/discover: {} supports none of our protocol revisions ({})", peer_name_,
            supported ? json::serialize(*supported) : std::string("it did not say which it has"));
      }
      if (IsModernErrorCode(error->code)) co_return ToError(*error).WithContext("server/discover");
      co_return legacy;  // e.g. -32601 before initialize: an earlier revision's server
    }
    const json::object* result = answer->if_object();
    const json::value* supported = result ? result->if_contains("supportedVersions") : nullptr;
    std::string modern = BestCommon(supported, kSupportedModernVersions);
    if (!modern.empty()) {
      Probe found;
      found.era = Era::kModern;
      found.version = modern;
      found.discovered = *result;
      json::object key_params;
      CacheStore(ResultCache::Key(method::kServerDiscover, key_params), method::kServerDiscover,
                 *answer);
      co_return found;
    }
    std::string older = BestCommon(supported, kSupportedVersions);
    if (supported != nullptr && older.empty()) {
      co_return core::Error::FailedPrecondition(
          "server/discover: {} supports none of our protocol revisions ({})", peer_name_,
          json::serialize(*supported));
    }
    legacy.version = older;
    co_return legacy;
  }
  co_return legacy;
}

void Client::AdoptDiscovered(const json::object& result) {
  const json::value* info = nullptr;
  if (const json::value* meta = result.if_contains(kMetaKey))
    info = Field(*meta, meta::kServerInfo);
  if (info == nullptr) info = result.if_contains("serverInfo");
  if (info != nullptr) server_info_ = Implementation::FromJson(*info);
  if (const json::value* caps = result.if_contains("capabilities"); caps && caps->is_object()) {
    server_capabilities_ = caps->get_object();
  }
  if (const json::value* text = result.if_contains("instructions"); text && text->is_string()) {
    instructions_ = std::string(text->get_string());
  }
}

Awaitable<core::Status> Client::Initialize(std::string version) {
  json::object params;
  params["protocolVersion"] = version;
  params["capabilities"] = capabilities_;
  params["clientInfo"] = client_info_.ToJson(version);
  CallOptions call_options;
  call_options.timeout = initialize_timeout_;
  auto answer = co_await session_->Call(method::kInitialize, std::move(params), call_options);
  if (!answer.ok()) co_return answer.error().WithContext("initialize");
  json::object* result = answer->if_object();
  const json::value* negotiated_value = result ? result->if_contains("protocolVersion") : nullptr;
  if (negotiated_value == nullptr || !negotiated_value->is_string()) {
    co_return core::Error::UpstreamFailure("initialize: {} answered without a protocolVersion",
                                           peer_name_);
  }
  std::string negotiated(negotiated_value->get_string());
  if (!IsSupportedVersion(negotiated)) {
    co_return core::Error::FailedPrecondition(
        "initialize: {} chose protocol revision '{}', which we do not support (we support {})",
        peer_name_, negotiated, fmt::join(kSupportedVersions, ", "));
  }
  session_->SetProtocolVersion(negotiated);
  if (json::value* info = result->if_contains("serverInfo")) {
    server_info_ = Implementation::FromJson(*info);
  }
  if (json::value* caps = result->if_contains("capabilities"); caps && caps->is_object()) {
    server_capabilities_ = std::move(caps->get_object());
  }
  if (json::value* text = result->if_contains("instructions"); text && text->is_string()) {
    instructions_ = std::string(text->get_string());
  }
  auto initialized = co_await session_->Notify(notification::kInitialized, nullptr);
  if (!initialized.ok()) co_return initialized.error().WithContext("notifications/initialized");
  co_return core::OkStatus();
}

// --- The modern revision's request pipeline ---

json::object Client::ModernCapabilities() const {
  json::object capabilities = capabilities_;
  // 2026-07-28 has no roots/list_changed: the capability is an empty object.
  if (capabilities.contains("roots")) capabilities["roots"] = json::object();
  return capabilities;
}

void Client::AddMeta(json::object& params, std::string_view version) const {
  json::value& meta_value = params[kMetaKey];
  if (!meta_value.is_object()) meta_value = json::object();
  json::object& meta = meta_value.get_object();
  meta[meta::kProtocolVersion] = Js(version);
  meta[meta::kClientInfo] = client_info_.ToJson(version);
  meta[meta::kClientCapabilities] = ModernCapabilities();
  if (!log_level_.empty()) meta[meta::kLogLevel] = log_level_;
}

core::Error Client::ToError(const RpcError& error) const {
  return error.ToError(session_->peer_name());
}

Awaitable<core::Result<json::value>> Client::Request(std::string_view method, json::value params,
                                                     CallOptions options) {
  if (!modern_) co_return co_await session_->Call(method, std::move(params), std::move(options));
  json::object object;
  if (params.is_object()) object = std::move(params.get_object());
  co_return co_await ModernRequest(method, std::move(object), std::move(options));
}

Awaitable<core::Result<json::value>> Client::ModernRequest(std::string_view method,
                                                           json::object params,
                                                           CallOptions options) {
  bool version_retried = false;
  bool headers_retried = false;
  int rounds = 0;
  json::object responses;
  std::optional<std::string> state;
  for (;;) {
    json::object attempt = params;
    if (rounds > 0) {
      attempt[kInputResponsesKey] = responses;
      if (state) attempt[kRequestStateKey] = *state;
    }
    AddMeta(attempt, protocol_version());
    auto answer = co_await session_->Call(method, std::move(attempt), options);
    if (!answer.ok()) co_return answer.error();
    if (auto error = internal::UnwrapRpcError(*answer)) {
      if (error->code == kUnsupportedProtocolVersion && !version_retried) {
        std::string modern = BestCommon(Field(error->data, "supported"), kSupportedModernVersions);
        if (!modern.empty()) {
          version_retried = true;
          session_->SetProtocolVersion(modern);
          continue;
        }
      }
      if (error->code == kHeaderMismatch && method == method::kToolsCall && !headers_retried) {
        // The tool's schema may have changed since we listed it: list again and rebuild the
        // Mcp-Param-* headers (the spec's SHOULD).
        headers_retried = true;
        CacheInvalidate(method::kToolsList);
        tools_listed_ = false;
        (void)co_await ListTools();
        const json::value* name = params.if_contains("name");
        const json::value* arguments = params.if_contains("arguments");
        auto specs = name && name->is_string()
                         ? tool_headers_.find(std::string_view(name->get_string()))
                         : tool_headers_.end();
        if (specs != tool_headers_.end()) {
          http::Headers headers = ParamHeadersFor(specs->second, arguments && arguments->is_object()
                                                                     ? arguments->get_object()
                                                                     : json::object());
          options.send.headers = std::move(headers);
          continue;
        }
      }
      co_return ToError(*error);
    }
    const json::object* result = answer->if_object();
    if (result == nullptr) co_return answer;
    std::string_view type = ResultTypeOf(*result);
    if (type != kResultInputRequired) co_return answer;
    if (++rounds > max_input_rounds_) {
      co_return core::Error::UpstreamFailure(
          "{}: {} still asked for input after {} rounds; giving up", method, session_->peer_name(),
          max_input_rounds_);
    }
    const json::value* requests = result->if_contains(kInputRequestsKey);
    const json::value* request_state = result->if_contains(kRequestStateKey);
    if (requests == nullptr && request_state == nullptr) {
      co_return core::Error::UpstreamFailure(
          "{}: {} answered input_required with neither inputRequests nor requestState", method,
          session_->peer_name());
    }
    BEDROCK_CO_TRY_ASSIGN(responses, co_await FulfilInputRequests(requests));
    state.reset();
    if (request_state != nullptr && request_state->is_string()) {
      state = std::string(request_state->get_string());
    }
  }
}

Awaitable<core::Result<json::object>> Client::FulfilInputRequests(const json::value* requests) {
  json::object responses;
  if (requests == nullptr) co_return responses;
  if (!requests->is_object()) {
    co_return core::Error::UpstreamFailure("{} sent inputRequests that is not an object",
                                           session_->peer_name());
  }
  // Copied: the answer holding them is not ours to keep across the handlers' suspensions.
  json::object pending = requests->get_object();
  for (auto& [key, request] : pending) {
    const json::value* method = Field(request, "method");
    if (method == nullptr || !method->is_string()) {
      co_return core::Error::UpstreamFailure("{} sent input request '{}' without a method",
                                             session_->peer_name(), std::string_view(key));
    }
    std::string_view name(method->get_string());
    std::shared_ptr<const RequestHandler> handler;
    if (name == method::kElicitationCreate) handler = handlers_->elicitation;
    if (name == method::kSamplingCreateMessage) handler = handlers_->sampling;
    if (name == method::kRootsList) handler = handlers_->roots;
    if (!handler) {
      co_return core::Error::FailedPrecondition(
          "{} asked for {} (input request '{}'), which this client did not declare",
          session_->peer_name(), name, std::string_view(key));
    }
    json::value params = nullptr;
    if (const json::value* p = Field(request, "params")) params = *p;
    RequestContext context;  // no session: see ClientOptions
    Reply reply = co_await (*handler)(std::move(params), context);
    if (reply.error) {
      co_return core::Error::FailedPrecondition("answering {} for {}: {}", name,
                                                session_->peer_name(), reply.error->message);
    }
    responses[key] = std::move(reply.result);
  }
  co_return responses;
}

// --- Cache ---

std::optional<json::value> Client::CacheFind(const std::string& key) {
  if (!modern_ || !cache_results_) return std::nullopt;
  if (auto hit = cache_.Find(key)) return hit;
  if (shared_cache_ && !cache_namespace_.empty())
    return shared_cache_->Find(cache_namespace_ + key);
  return std::nullopt;
}

void Client::CacheStore(const std::string& key, std::string_view method,
                        const json::value& result) {
  if (!cache_results_) return;
  cache_.Store(key, method, result);
  if (shared_cache_ && !cache_namespace_.empty()) {
    shared_cache_->Store(cache_namespace_ + key, method, result);
  }
}

void Client::CacheInvalidate(std::string_view method) {
  cache_.InvalidateMethod(method);
  if (shared_cache_) shared_cache_->InvalidateMethod(method);
  // Skill files are resources: a changed resource list may be a changed skill.
  if (method == method::kResourcesList) {
    CacheInvalidate(method::kSkillsList);
    CacheInvalidate(method::kSkillsGet);
  }
}

void Client::CacheInvalidateKey(const std::string& key) {
  cache_.Invalidate(key);
  if (shared_cache_) shared_cache_->Invalidate(key);
}

// --- Features ---

Awaitable<core::Result<json::value>> Client::Call(std::string_view method, json::value params,
                                                  CallOptions options) {
  std::string key;
  const bool cacheable = modern_ && ResultCache::IsCacheableMethod(method);
  if (cacheable) {
    key = ResultCache::Key(method, params);
    if (auto hit = CacheFind(key)) co_return std::move(*hit);
  }
  BEDROCK_CO_TRY_ASSIGN(json::value result,
                        co_await Request(method, std::move(params), std::move(options)));
  if (cacheable) CacheStore(key, method, result);
  co_return result;
}

Awaitable<core::Status> Client::Ping(CallOptions options) {
  if (modern_) {
    BEDROCK_CO_TRY(co_await Request(method::kServerDiscover, json::object(), std::move(options)));
    co_return core::OkStatus();
  }
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
    BEDROCK_CO_TRY_ASSIGN(json::value page, co_await Call(method, std::move(params), options));
    json::object* result = page.if_object();
    json::value* items = result ? result->if_contains(Js(key)) : nullptr;
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

void Client::FilterTools(json::array& tools) {
  tool_headers_.clear();
  rejected_tools_.clear();
  json::array kept;
  for (json::value& tool : tools) {
    const json::object* t = tool.if_object();
    const json::value* name = t ? t->if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string()) {
      kept.push_back(std::move(tool));
      continue;
    }
    std::string tool_name(name->get_string());
    auto headers = ToolParamHeaders(*t);
    if (!headers.ok()) {
      spdlog::warn("mcp: leaving out tool '{}' of {}: {}", tool_name, session_->peer_name(),
                   headers.error().message());
      rejected_tools_[tool_name] = headers.error().message();
      continue;
    }
    if (!headers->empty()) tool_headers_[tool_name] = std::move(*headers);
    kept.push_back(std::move(tool));
  }
  tools = std::move(kept);
  tools_listed_ = true;
}

Awaitable<core::Result<json::array>> Client::ListTools(CallOptions options) {
  BEDROCK_CO_TRY_ASSIGN(json::array tools,
                        co_await ListAll(method::kToolsList, "tools", std::move(options)));
  if (modern_) FilterTools(tools);
  co_return tools;
}
Awaitable<core::Result<json::array>> Client::ListResources(CallOptions options) {
  co_return co_await ListAll(method::kResourcesList, "resources", std::move(options));
}
Awaitable<core::Result<json::array>> Client::ListSkills(CallOptions options) {
  co_return co_await ListAll(method::kSkillsList, "skills", std::move(options));
}

Awaitable<core::Result<json::object>> Client::GetSkill(std::string_view uri, CallOptions options) {
  BEDROCK_CO_TRY_ASSIGN(json::value answer,
                        co_await CallForUri(method::kSkillsGet, uri, std::move(options)));
  json::object* result = answer.if_object();
  json::value* skill = result ? result->if_contains("skill") : nullptr;
  const json::value* skill_uri =
      skill && skill->is_object() ? skill->get_object().if_contains("uri") : nullptr;
  if (skill_uri == nullptr || !skill_uri->is_string() || skill_uri->get_string() != uri) {
    co_return core::Error::UpstreamFailure("skills/get: {} answered {} without its entry",
                                           session_->peer_name(), uri);
  }
  co_return std::move(skill->get_object());
}

Awaitable<core::Result<std::vector<std::pair<std::string, std::string>>>> Client::LoadSkill(
    json::object entry, CallOptions options) {
  const json::value* uri = entry.if_contains("uri");
  const json::value* resources = entry.if_contains("resources");
  if (uri != nullptr && uri->is_string() && resources != nullptr && resources->is_string() &&
      resources->get_string() == "dynamic") {
    co_return core::Error::FailedPrecondition(
        "skill {} of {} is dynamic: it lists no digests to verify its files against",
        std::string_view(uri->get_string()), session_->peer_name());
  }
  if (uri == nullptr || !uri->is_string() || resources == nullptr || !resources->is_array()) {
    co_return core::Error::InvalidArgument("a skill entry needs a uri and a resources list");
  }
  // SKILL.md first: nothing else is read unless it checks out.
  std::vector<std::string> order{std::string(uri->get_string())};
  for (const json::value& r : resources->get_array()) {
    const json::object* o = r.if_object();
    const json::value* u = o ? o->if_contains("uri") : nullptr;
    if (u != nullptr && u->is_string() && u->get_string() != uri->get_string()) {
      order.emplace_back(u->get_string());
    }
  }
  // A mismatch means the cached entry or files are stale (or tampered with): drop them, so the
  // refresh the extension prescribes (skills/get, then load again) reaches the server.
  auto forget = [&] {
    json::object get;
    get["uri"] = *uri;
    CacheInvalidateKey(ResultCache::Key(method::kSkillsGet, get));
    CacheInvalidate(method::kSkillsList);
    for (const std::string& file : order) {
      json::object read;
      read["uri"] = Js(file);
      CacheInvalidateKey(ResultCache::Key(method::kResourcesRead, read));
    }
  };
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& file : order) {
    BEDROCK_CO_TRY_ASSIGN(json::array contents, co_await ReadResource(file, options));
    const json::object* first = contents.empty() ? nullptr : contents.front().if_object();
    const json::value* text = first ? first->if_contains("text") : nullptr;
    const json::value* blob = first ? first->if_contains("blob") : nullptr;
    std::string bytes;
    if (text != nullptr && text->is_string()) {
      bytes = std::string(text->get_string());
    } else if (blob != nullptr && blob->is_string()) {
      auto decoded = core::Base64Decode(blob->get_string());
      if (!decoded) {
        forget();
        co_return core::Error::DataLoss("skill file {}: bad base64", file);
      }
      bytes = std::move(*decoded);
    } else {
      forget();
      co_return core::Error::DataLoss("skill file {}: no contents", file);
    }
    if (auto verified = VerifySkillFile(entry, file, bytes); !verified.ok()) {
      forget();
      co_return verified.error();
    }
    files.emplace_back(file, std::move(bytes));
  }
  co_return files;
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
  if (modern_) {
    // The Mcp-Param-* headers come from the tool's schema: list the tools once if nobody has.
    if (!tools_listed_) (void)co_await ListTools();
    if (auto rejected = rejected_tools_.find(name); rejected != rejected_tools_.end()) {
      co_return core::Error::InvalidArgument(
          "tool '{}' of {} was left out for an invalid x-mcp-header: {}", name,
          session_->peer_name(), rejected->second);
    }
    if (auto specs = tool_headers_.find(name); specs != tool_headers_.end()) {
      http::Headers headers = ParamHeadersFor(specs->second, arguments);
      for (const auto& [field, value] : headers) options.send.headers.Set(field, value);
    }
  }
  json::object params;
  params["name"] = Js(name);
  params["arguments"] = std::move(arguments);
  BEDROCK_CO_TRY_ASSIGN(json::value result, co_await Request(method::kToolsCall, std::move(params),
                                                             std::move(options)));
  co_return CallToolResult::FromJson(std::move(result));
}

Awaitable<core::Result<json::value>> Client::CallForUri(std::string_view method,
                                                        std::string_view uri, CallOptions options) {
  json::object params;
  params["uri"] = Js(uri);
  auto answer = co_await Call(method, std::move(params), std::move(options));
  // 2026-07-28 answers an unknown URI with -32602 (earlier revisions with -32002), as the skills
  // extension does an unknown skill.
  if (!answer.ok() && modern_ && answer.error().code() == core::ErrorCode::kInvalidArgument) {
    co_return core::Error(core::ErrorCode::kNotFound, answer.error().message());
  }
  co_return answer;
}

Awaitable<core::Result<json::array>> Client::ReadResource(std::string_view uri,
                                                          CallOptions options) {
  BEDROCK_CO_TRY_ASSIGN(json::value answer,
                        co_await CallForUri(method::kResourcesRead, uri, std::move(options)));
  json::object* o = answer.if_object();
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
  params["name"] = Js(name);
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
  argument["name"] = Js(argument_name);
  argument["value"] = Js(argument_value);
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
  if (modern_) {
    if (LoggingLevelIndex(level) < 0) {
      co_return core::Error::InvalidArgument("unknown logging level '{}'", level);
    }
    log_level_ = std::string(level);
    co_return core::OkStatus();
  }
  json::object params;
  params["level"] = Js(level);
  BEDROCK_CO_TRY(co_await Request(method::kLoggingSetLevel, std::move(params), std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Status> Client::Subscribe(std::string_view uri, CallOptions options) {
  if (modern_) {
    if (subscriptions_.insert(std::string(uri)).second) RestartListening();
    co_return core::OkStatus();
  }
  json::object params;
  params["uri"] = Js(uri);
  BEDROCK_CO_TRY(
      co_await Request(method::kResourcesSubscribe, std::move(params), std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Status> Client::Unsubscribe(std::string_view uri, CallOptions options) {
  if (modern_) {
    if (auto it = subscriptions_.find(uri); it != subscriptions_.end()) {
      subscriptions_.erase(it);
      RestartListening();
    }
    co_return core::OkStatus();
  }
  json::object params;
  params["uri"] = Js(uri);
  BEDROCK_CO_TRY(
      co_await Request(method::kResourcesUnsubscribe, std::move(params), std::move(options)));
  co_return core::OkStatus();
}

Awaitable<core::Status> Client::NotifyRootsListChanged() {
  if (modern_) co_return core::OkStatus();
  co_return co_await session_->Notify(notification::kRootsListChanged, nullptr);
}

// --- subscriptions/listen ---

void Client::RestartListening() {
  ++listen_generation_;
  if (listen_signal_) {
    listen_signal_->emit(asio::cancellation_type::terminal);
    listen_signal_.reset();
  }
  if (!modern_ || closing_ || session_->closed()) return;
  const bool wanted = handlers_->tools_list_changed || handlers_->resources_list_changed ||
                      handlers_->prompts_list_changed || !subscriptions_.empty();
  if (!wanted) return;
  listen_signal_ = std::make_shared<asio::cancellation_signal>();
  // The completion handler owns the signal: the slot bound to it is used until the coroutine has
  // finished, after this client has moved on to another signal (or none).
  asio::co_spawn(session_->get_executor(), Listen(weak_self_, listen_generation_),
                 asio::bind_cancellation_slot(listen_signal_->slot(),
                                              [signal = listen_signal_](std::exception_ptr) {}));
}

Awaitable<void> Client::Listen(std::weak_ptr<Client> weak, uint64_t generation) {
  std::chrono::milliseconds backoff{1000};
  for (int failures = 0;; ++failures) {
    auto client = weak.lock();
    if (!client || client->closing_ || client->session_->closed() ||
        generation != client->listen_generation_) {
      co_return;
    }
    json::object filter;
    if (client->handlers_->tools_list_changed) filter["toolsListChanged"] = true;
    if (client->handlers_->prompts_list_changed) filter["promptsListChanged"] = true;
    if (client->handlers_->resources_list_changed) filter["resourcesListChanged"] = true;
    if (!client->subscriptions_.empty()) {
      json::array uris;
      for (const auto& uri : client->subscriptions_) uris.emplace_back(uri);
      filter["resourceSubscriptions"] = std::move(uris);
    }
    json::object params;
    params["notifications"] = std::move(filter);
    CallOptions call(kListenTimeout);
    // The stream stays open until the server ends it, the transport closes, or a newer
    // generation cancels this one.
    const auto started = std::chrono::steady_clock::now();
    auto ended = co_await client->ModernRequest(method::kSubscriptionsListen, std::move(params),
                                                std::move(call));
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(60)) {
      failures = 0;  // a stream that lasted (an idle timeout, a proxy's limit): not a failure
      backoff = std::chrono::milliseconds(1000);
    }
    if (ended.ok() || ended.error().code() == core::ErrorCode::kCancelled ||
        client->session_->closed() || failures >= 5) {
      if (!ended.ok() && ended.error().code() != core::ErrorCode::kCancelled &&
          !client->session_->closed()) {
        spdlog::warn("mcp: subscriptions/listen to {} keeps failing: {}", client->peer_name_,
                     ended.error().message());
      }
      co_return;
    }
    asio::steady_timer timer(client->session_->get_executor());
    client.reset();  // the wait must not keep the client alive
    timer.expires_after(backoff);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
  }
}

Awaitable<void> Client::Close() {
  closing_ = true;
  RestartListening();  // with closing_ set, this only ends the current stream
  co_await session_->Close();
}

}  // namespace bedrock::mcp

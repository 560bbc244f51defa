#include "mcp/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "core/base64.h"
#include "mcp/internal/modern_http.h"
#include "mcp/internal/task_store.h"
#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

RpcError InvalidParams(std::string message) {
  return RpcError{kInvalidParams, std::move(message), nullptr};
}

json::string_view Sv(std::string_view s) { return json::string_view(s.data(), s.size()); }

// The cursor is an offset into the registration order. Opaque to clients.
std::string EncodeCursor(size_t offset) { return "o" + std::to_string(offset); }
std::optional<size_t> DecodeCursor(std::string_view cursor) {
  if (cursor.size() < 2 || cursor[0] != 'o') return std::nullopt;
  size_t offset = 0;
  auto [end, ec] = std::from_chars(cursor.data() + 1, cursor.data() + cursor.size(), offset);
  if (ec != std::errc() || end != cursor.data() + cursor.size()) return std::nullopt;
  return offset;
}

// The [begin, end) of the page a list request asks for, or an error for a bad cursor.
core::Result<std::pair<size_t, size_t>> PageBounds(const json::value& params, size_t total,
                                                   size_t page_size) {
  size_t begin = 0;
  if (const json::object* p = params.if_object()) {
    if (const json::value* cursor = p->if_contains("cursor"); cursor && !cursor->is_null()) {
      auto offset = cursor->is_string() ? DecodeCursor(cursor->get_string()) : std::nullopt;
      if (!offset || *offset > total) return core::Error::InvalidArgument("invalid cursor");
      begin = *offset;
    }
  }
  size_t end = page_size == 0 ? total : std::min(total, begin + page_size);
  return std::pair{begin, end};
}

void PutString(json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[Sv(key)] = value;
}

json::object ToolToJson(const Tool& tool, std::string_view version) {
  json::object o;
  o["name"] = tool.name;
  PutString(o, "title", tool.title);
  PutString(o, "description", tool.description);
  if (tool.input_schema.empty()) {
    o["inputSchema"] = json::object{{"type", "object"}};
  } else {
    o["inputSchema"] = tool.input_schema;
  }
  if (tool.output_schema) o["outputSchema"] = *tool.output_schema;
  if (!tool.annotations.empty()) o["annotations"] = tool.annotations;
  if (!tool.icons.empty()) o["icons"] = tool.icons;
  if (!tool.meta.empty()) o["_meta"] = tool.meta;
  if (tool.task_support != TaskSupport::kForbidden) {
    o["execution"] = json::object{
        {"taskSupport", tool.task_support == TaskSupport::kRequired ? "required" : "optional"}};
  }
  AdaptTool(o, version);
  return o;
}

json::object ResourceToJson(const Resource& r, std::string_view version) {
  json::object o;
  o["uri"] = r.uri;
  o["name"] = r.name;
  PutString(o, "title", r.title);
  PutString(o, "description", r.description);
  PutString(o, "mimeType", r.mime_type);
  if (r.size) o["size"] = *r.size;
  if (!r.annotations.empty()) o["annotations"] = r.annotations;
  if (!r.icons.empty()) o["icons"] = r.icons;
  if (!r.meta.empty()) o["_meta"] = r.meta;
  AdaptListedItem(o, version);
  return o;
}

json::object TemplateToJson(const ResourceTemplate& t, std::string_view version) {
  json::object o;
  o["uriTemplate"] = t.uri_template;
  o["name"] = t.name;
  PutString(o, "title", t.title);
  PutString(o, "description", t.description);
  PutString(o, "mimeType", t.mime_type);
  if (!t.annotations.empty()) o["annotations"] = t.annotations;
  if (!t.icons.empty()) o["icons"] = t.icons;
  if (!t.meta.empty()) o["_meta"] = t.meta;
  AdaptListedItem(o, version);
  return o;
}

json::object PromptToJson(const Prompt& p, std::string_view version) {
  json::object o;
  o["name"] = p.name;
  PutString(o, "title", p.title);
  PutString(o, "description", p.description);
  if (!p.arguments.empty()) {
    json::array arguments;
    for (const auto& a : p.arguments) {
      json::object ao;
      ao["name"] = a.name;
      PutString(ao, "title", a.title);
      PutString(ao, "description", a.description);
      if (a.required) ao["required"] = true;
      arguments.push_back(std::move(ao));
    }
    o["arguments"] = std::move(arguments);
  }
  if (!p.icons.empty()) o["icons"] = p.icons;
  if (!p.meta.empty()) o["_meta"] = p.meta;
  AdaptListedItem(o, version);
  return o;
}

const json::object* ParamsObject(const json::value& params) { return params.if_object(); }

std::optional<std::string> StringParam(const json::value& params, std::string_view key) {
  const json::object* p = params.if_object();
  if (p == nullptr) return std::nullopt;
  const json::value* v = p->if_contains(Sv(key));
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

struct Server::TemplateEntry {
  ResourceTemplate spec;
};

template <typename T>
void Server::Registry<T>::Put(std::string key, std::shared_ptr<const T> item) {
  auto [it, inserted] = items.insert_or_assign(key, std::move(item));
  (void)it;
  if (inserted) order.push_back(std::move(key));
}

template <typename T>
bool Server::Registry<T>::Erase(std::string_view key) {
  auto it = items.find(std::string(key));
  if (it == items.end()) return false;
  items.erase(it);
  order.erase(std::find(order.begin(), order.end(), key));
  return true;
}

// --- ServerContext ---

namespace {

// What a client must have declared to be sent `method`, as the requiredCapabilities of -32021.
json::object RequiredCapability(std::string_view method, const json::object& params) {
  if (method == method::kSamplingCreateMessage) return json::object{{"sampling", json::object()}};
  if (method == method::kRootsList) return json::object{{"roots", json::object()}};
  if (const json::value* mode = params.if_contains("mode"); mode && *mode == "url") {
    return json::object{{"elicitation", json::object{{"url", json::object()}}}};
  }
  return json::object{{"elicitation", json::object()}};
}

bool HasStringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string();
}

// Whether `answer` is a result of the kind `method` asks for (ElicitResult, CreateMessageResult,
// ListRootsResult): a client's inputResponses are untrusted.
core::Status ValidateInputResponse(std::string_view method, std::string_view key,
                                   const json::value& answer) {
  auto invalid = [&](std::string_view what) {
    return core::Error::InvalidArgument("inputResponses.{} is not a valid {}", key, what);
  };
  const json::object* o = answer.if_object();
  if (method == method::kElicitationCreate) {
    const json::value* action = o ? o->if_contains("action") : nullptr;
    if (action == nullptr ||
        !(*action == "accept" || *action == "decline" || *action == "cancel")) {
      return invalid("ElicitResult (an object whose action is accept, decline or cancel)");
    }
    if (const json::value* c = o->if_contains("content"); c && !c->is_object() && !c->is_null()) {
      return invalid("ElicitResult (content must be an object)");
    }
    return core::OkStatus();
  }
  if (method == method::kSamplingCreateMessage) {
    const json::value* content = o ? o->if_contains("content") : nullptr;
    if (!o || !HasStringField(*o, "role") || !HasStringField(*o, "model") || content == nullptr ||
        !(content->is_object() || content->is_array())) {
      return invalid("CreateMessageResult (role, content and model)");
    }
    return core::OkStatus();
  }
  const json::value* roots = o ? o->if_contains("roots") : nullptr;
  if (roots == nullptr || !roots->is_array()) return invalid("ListRootsResult (a roots array)");
  for (const json::value& root : roots->get_array()) {
    if (!root.is_object() || !HasStringField(root.get_object(), "uri")) {
      return invalid("ListRootsResult (every root needs a uri)");
    }
  }
  return core::OkStatus();
}

}  // namespace

const std::string& ServerContext::protocol_version() const {
  return meta_ ? meta_->protocol_version : session_->protocol_version();
}

bool ServerContext::HasClientCapability(std::string_view name) const {
  return meta_ ? HasCapability(meta_->client_capabilities, name)
               : session_->HasClientCapability(name);
}

const json::object& ServerContext::client_capabilities() const {
  return meta_ ? meta_->client_capabilities : session_->client_capabilities();
}

Awaitable<core::Status> ServerContext::Progress(double progress, std::optional<double> total,
                                                std::string_view message) {
  co_return co_await request_.NotifyProgress(progress, total, message);
}

Awaitable<core::Status> ServerContext::Log(std::string_view level, json::value data,
                                           std::string_view logger) {
  if (meta_ != nullptr) {
    // 2026-07-28: only requests that asked with _meta logLevel get log messages.
    if (meta_->log_level < 0 || LoggingLevelIndex(level) < meta_->log_level) {
      co_return core::OkStatus();
    }
  } else if (!session_->ShouldLog(level)) {
    co_return core::OkStatus();
  }
  json::object params;
  params["level"] = Sv(level);
  if (!logger.empty()) params["logger"] = Sv(logger);
  params["data"] = std::move(data);
  co_return co_await request_.Notify(notification::kMessage, std::move(params));
}

core::Status ServerContext::CheckCapability(std::string_view method, const json::object& params) {
  const std::string& version = protocol_version();
  std::optional<core::Error> missing;
  if (method == method::kSamplingCreateMessage) {
    if (!HasClientCapability("sampling")) {
      missing = core::Error::FailedPrecondition("the client does not support sampling");
    }
  } else if (method == method::kElicitationCreate) {
    if (!Has2025_06_18Features(version) || !HasClientCapability("elicitation")) {
      missing = core::Error::FailedPrecondition("the client does not support elicitation");
    } else if (const json::value* mode = params.if_contains("mode"); mode && *mode == "url") {
      const json::value& elicitation = client_capabilities().at("elicitation");
      if (!Has2025_11_25Features(version) || !elicitation.is_object() ||
          !elicitation.get_object().contains("url")) {
        missing = core::Error::FailedPrecondition("the client does not support URL elicitation");
      }
    }
  } else if (method == method::kRootsList) {
    if (!HasClientCapability("roots")) {
      missing = core::Error::FailedPrecondition("the client does not support roots");
    }
  } else {
    return core::Error::InvalidArgument("{} is not a request a server may send a client", method);
  }
  if (!missing) return core::OkStatus();
  if (round_ != nullptr && !round_->error) {
    round_->error =
        RpcError{kMissingRequiredClientCapability, missing->message(),
                 json::object{{"requiredCapabilities", RequiredCapability(method, params)}}};
  }
  return *missing;
}

Awaitable<core::Result<json::value>> ServerContext::CallClient(std::string_view method,
                                                               json::object params,
                                                               CallOptions options) {
  if (!options.timeout) options.timeout = session_->server().options().client_request_timeout;
  co_return co_await request_.Call(method, std::move(params), std::move(options));
}

Awaitable<core::Result<json::object>> ServerContext::RequestInputs(
    std::vector<InputRequest> requests, CallOptions options) {
  for (const auto& r : requests) {
    BEDROCK_CO_TRY(CheckCapability(r.method, r.params));
  }
  json::object answers;
  if (task_input_) {
    // The work of a task: the client answers through tasks/update.
    json::object pending;
    for (auto& r : requests) {
      if (task_answers_.contains(r.key)) continue;
      json::object request{{"method", r.method}};
      if (!r.params.empty() || r.method != method::kRootsList)
        request["params"] = std::move(r.params);
      pending[r.key] = std::move(request);
    }
    json::object given = task_answers_;
    if (!pending.empty()) {
      BEDROCK_CO_TRY_ASSIGN(json::object asked, co_await task_input_(std::move(pending)));
      for (auto& [key, answer] : asked) given[key] = std::move(answer);
    }
    for (const auto& r : requests) {
      json::value& answer = given[r.key];
      BEDROCK_CO_TRY(ValidateInputResponse(r.method, r.key, answer));
      answers[r.key] = std::move(answer);
    }
    co_return answers;
  }
  if (round_ == nullptr) {
    // A session client: ask over the session, one request after the other.
    for (auto& r : requests) {
      BEDROCK_CO_TRY_ASSIGN(json::value answer,
                            co_await CallClient(r.method, std::move(r.params), options));
      answers[r.key] = std::move(answer);
    }
    co_return answers;
  }
  for (auto& r : requests) {
    if (const json::value* answer = round_->answers.if_contains(r.key)) {
      if (auto valid = ValidateInputResponse(r.method, r.key, *answer); !valid.ok()) {
        if (!round_->error) round_->error = RpcError::FromError(valid.error());
        co_return valid.error();
      }
      answers[r.key] = *answer;
      round_->consumed[r.key] = *answer;
      continue;
    }
    json::object request{{"method", r.method}};
    if (!r.params.empty() || r.method != method::kRootsList)
      request["params"] = std::move(r.params);
    round_->requested[r.key] = std::move(request);
  }
  if (!round_->requested.empty()) {
    co_return core::Error(core::ErrorCode::kAborted, "input required from the client");
  }
  co_return answers;
}

Awaitable<core::Result<json::value>> ServerContext::Elicit(std::string key, json::object params,
                                                           CallOptions options) {
  std::vector<InputRequest> one;
  one.emplace_back(key, std::string(method::kElicitationCreate), std::move(params));
  BEDROCK_CO_TRY_ASSIGN(json::object answers,
                        co_await RequestInputs(std::move(one), std::move(options)));
  co_return std::move(answers[key]);
}

Awaitable<core::Result<json::value>> ServerContext::CreateMessage(std::string key,
                                                                  json::object params,
                                                                  CallOptions options) {
  std::vector<InputRequest> one;
  one.emplace_back(key, std::string(method::kSamplingCreateMessage), std::move(params));
  BEDROCK_CO_TRY_ASSIGN(json::object answers,
                        co_await RequestInputs(std::move(one), std::move(options)));
  co_return std::move(answers[key]);
}

Awaitable<core::Result<json::array>> ServerContext::ListRoots(std::string key,
                                                              CallOptions options) {
  std::vector<InputRequest> one;
  one.emplace_back(key, std::string(method::kRootsList), json::object());
  BEDROCK_CO_TRY_ASSIGN(json::object answers,
                        co_await RequestInputs(std::move(one), std::move(options)));
  json::object* o = answers[key].if_object();
  json::value* roots = o ? o->if_contains("roots") : nullptr;
  if (roots == nullptr || !roots->is_array()) {
    co_return core::Error::UpstreamFailure("roots/list answer has no roots array");
  }
  co_return std::move(roots->get_array());
}

std::string ServerContext::NextKey(std::string_view kind) {
  auto it = auto_keys_.find(kind);
  if (it == auto_keys_.end()) it = auto_keys_.emplace(std::string(kind), 0).first;
  return fmt::format("{}-{}", kind, ++it->second);
}

Awaitable<core::Result<json::value>> ServerContext::CreateMessage(json::object params,
                                                                  CallOptions options) {
  co_return co_await CreateMessage(NextKey("sampling"), std::move(params), std::move(options));
}

Awaitable<core::Result<json::value>> ServerContext::Elicit(json::object params,
                                                           CallOptions options) {
  co_return co_await Elicit(NextKey("elicitation"), std::move(params), std::move(options));
}

Awaitable<core::Result<json::array>> ServerContext::ListRoots(CallOptions options) {
  co_return co_await ListRoots(NextKey("roots"), std::move(options));
}

const json::value& ServerContext::request_state() const {
  static const json::value kNull;
  return round_ ? round_->state : kNull;
}

void ServerContext::SetRequestState(json::value state) {
  if (round_ != nullptr) round_->state = std::move(state);
}

bool ServerContext::CloseSseStream() {
  return request_.session().transport().CloseRequestStream(request_.id());
}

// --- ServerSession ---

bool ServerSession::HasClientCapability(std::string_view name) const {
  return client_capabilities_.contains(Sv(name));
}

bool ServerSession::ShouldLog(std::string_view level) const {
  if (log_level_ < 0) return true;
  return LoggingLevelIndex(level) >= log_level_;
}

void ServerSession::OnClose(std::function<void()> handler) {
  if (session_->closed()) {
    handler();
    return;
  }
  session_->SetCloseHandler([handler = std::move(handler)](const core::Error&) { handler(); });
}

Awaitable<core::Status> ServerSession::Notify(std::string_view method, json::value params) {
  co_return co_await session_->Notify(method, std::move(params));
}

// --- Server ---

struct Server::Listener {
  std::shared_ptr<Session> session;  // the listen request's; notifications go on its stream
  RequestId id;
  std::shared_ptr<const MessageContext> context;
  bool tools = false;
  bool prompts = false;
  bool resources = false;
  std::vector<std::string> uris;  // resourceSubscriptions

  bool Wants(std::string_view method, const std::string* uri) const {
    if (method == notification::kToolsListChanged) return tools;
    if (method == notification::kPromptsListChanged) return prompts;
    if (method == notification::kResourcesListChanged) return resources;
    return uri != nullptr && std::find(uris.begin(), uris.end(), *uri) != uris.end();
  }
};

Server::Server(Implementation info, ServerOptions options)
    : info_(std::move(info)),
      options_(std::move(options)),
      state_codec_(options_.request_state_secret, options_.request_state_ttl),
      tasks_store_(std::make_shared<internal::TaskStore>([this] {
        internal::TaskStore::Options task_options;
        task_options.ttl = options_.task_ttl;
        task_options.poll_interval = options_.task_poll_interval;
        task_options.max_tasks = options_.max_tasks;
        return task_options;
      }())) {}

Server::~Server() = default;

void Server::AddTool(Tool tool) {
  {
    std::lock_guard lock(mutex_);
    std::string name = tool.name;
    tools_.Put(std::move(name), std::make_shared<const Tool>(std::move(tool)));
  }
  Broadcast(notification::kToolsListChanged);
}

bool Server::RemoveTool(std::string_view name) {
  bool removed;
  {
    std::lock_guard lock(mutex_);
    removed = tools_.Erase(name);
  }
  if (removed) Broadcast(notification::kToolsListChanged);
  return removed;
}

void Server::AddResource(Resource resource) {
  {
    std::lock_guard lock(mutex_);
    std::string uri = resource.uri;
    resources_.Put(std::move(uri), std::make_shared<const Resource>(std::move(resource)));
  }
  Broadcast(notification::kResourcesListChanged);
}

void Server::AddSkill(Skill skill) {
  auto shared = std::make_shared<const Skill>(std::move(skill));
  std::shared_ptr<const Skill> replaced;
  {
    std::lock_guard lock(mutex_);
    if (auto it = skills_.items.find(shared->uri()); it != skills_.items.end())
      replaced = it->second;
  }
  // The files of a replaced skill that the new one lacks are served no more.
  for (size_t i = 0; replaced && i < replaced->files.size(); ++i) {
    const std::string& path = replaced->files[i].path;
    if (std::none_of(shared->files.begin(), shared->files.end(),
                     [&path](const SkillFile& file) { return file.path == path; })) {
      RemoveResource(replaced->FileUri(path));
    }
  }
  for (const SkillFile& file : shared->files) {
    Resource resource;
    resource.uri = shared->FileUri(file.path);
    resource.mime_type = SkillFileMimeType(file);
    resource.size = static_cast<int64_t>(file.content.size());
    if (file.path == "SKILL.md") {
      resource.name = std::string(shared->frontmatter.at("name").get_string());
      resource.description = std::string(shared->frontmatter.at("description").get_string());
    } else {
      resource.name = file.path;
    }
    const std::string* bytes = &file.content;  // lives as long as `shared`
    resource.read = [shared, bytes, text = IsUtf8Text(file.content), uri = resource.uri,
                     mime = resource.mime_type](
                        std::string, ServerContext&) -> Awaitable<core::Result<json::array>> {
      co_return json::array{text ? content::TextResource(uri, mime, *bytes)
                                 : content::BlobResource(uri, mime, core::Base64Encode(*bytes))};
    };
    AddResource(std::move(resource));
  }
  std::string uri = shared->uri();
  std::lock_guard lock(mutex_);
  skills_.Put(std::move(uri), std::move(shared));
}

bool Server::RemoveResource(std::string_view uri) {
  bool removed;
  {
    std::lock_guard lock(mutex_);
    removed = resources_.Erase(uri);
  }
  if (removed) Broadcast(notification::kResourcesListChanged);
  return removed;
}

void Server::AddResourceTemplate(ResourceTemplate resource_template) {
  {
    std::lock_guard lock(mutex_);
    std::string key = resource_template.uri_template;
    templates_.Put(std::move(key), std::make_shared<const TemplateEntry>(
                                       TemplateEntry{std::move(resource_template)}));
  }
  Broadcast(notification::kResourcesListChanged);
}

void Server::AddPrompt(Prompt prompt) {
  {
    std::lock_guard lock(mutex_);
    std::string name = prompt.name;
    prompts_.Put(std::move(name), std::make_shared<const Prompt>(std::move(prompt)));
  }
  Broadcast(notification::kPromptsListChanged);
}

bool Server::RemovePrompt(std::string_view name) {
  bool removed;
  {
    std::lock_guard lock(mutex_);
    removed = prompts_.Erase(name);
  }
  if (removed) Broadcast(notification::kPromptsListChanged);
  return removed;
}

void Server::SetCompletionHandler(CompletionHandler handler) {
  std::lock_guard lock(mutex_);
  completion_ = std::make_shared<const CompletionHandler>(std::move(handler));
}

size_t Server::session_count() const {
  std::lock_guard lock(mutex_);
  return std::count_if(sessions_.begin(), sessions_.end(),
                       [](const auto& weak) { return !weak.expired(); });
}

void Server::Broadcast(std::string_view method) {
  NotifyListeners(method, nullptr);
  std::vector<std::shared_ptr<ServerSession>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) targets.push_back(std::move(s));
    }
  }
  for (auto& s : targets) {
    auto executor = s->session().get_executor();
    asio::co_spawn(
        executor,
        [s, m = std::string(method)]() -> Awaitable<void> {
          // After initialize was answered the client can take notifications, even if its
          // notifications/initialized is still on its way.
          if (s->protocol_version().empty() || s->session().closed()) co_return;
          (void)co_await s->Notify(m);
        },
        asio::detached);
  }
}

void Server::NotifyListeners(std::string_view method, const std::string* uri) {
  std::vector<std::shared_ptr<Listener>> targets;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(listeners_, [](const auto& weak) { return weak.expired(); });
    for (auto& weak : listeners_) {
      if (auto l = weak.lock(); l && l->Wants(method, uri)) targets.push_back(std::move(l));
    }
  }
  for (auto& l : targets) {
    json::object params;
    if (uri != nullptr) params["uri"] = *uri;
    params[kMetaKey] = json::object{{meta::kSubscriptionId, l->id.ToJson()}};
    asio::co_spawn(
        l->session->get_executor(),
        [l, m = std::string(method), params = std::move(params)]() mutable -> Awaitable<void> {
          if (l->session->closed()) co_return;
          SendOptions send(l->id, l->context);
          (void)co_await l->session->Notify(m, std::move(params), std::move(send));
        },
        asio::detached);
  }
}

size_t Server::listener_count() const {
  std::lock_guard lock(mutex_);
  return std::count_if(listeners_.begin(), listeners_.end(),
                       [](const auto& weak) { return !weak.expired(); });
}

void Server::NotifyResourceUpdated(std::string_view uri) {
  std::string uri_string(uri);
  NotifyListeners(notification::kResourcesUpdated, &uri_string);
  std::vector<std::shared_ptr<ServerSession>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) targets.push_back(std::move(s));
    }
  }
  for (auto& s : targets) {
    asio::co_spawn(
        s->session().get_executor(),
        [s, u = std::string(uri)]() -> Awaitable<void> {
          if (!s->IsSubscribed(u) || s->session().closed()) co_return;
          json::object params;
          params["uri"] = u;
          (void)co_await s->Notify(notification::kResourcesUpdated, std::move(params));
        },
        asio::detached);
  }
}

json::object Server::Capabilities(std::string_view version) const {
  std::lock_guard lock(mutex_);
  json::object caps;
  if (options_.logging) caps["logging"] = json::object();
  if (Has2025_03_26Features(version) &&
      (completion_ || !prompts_.items.empty() || !templates_.items.empty())) {
    caps["completions"] = json::object();
  }
  if (!tools_.items.empty()) caps["tools"] = json::object{{"listChanged", true}};
  if (!resources_.items.empty() || !templates_.items.empty()) {
    caps["resources"] = json::object{{"subscribe", true}, {"listChanged", true}};
  }
  if (!prompts_.items.empty()) caps["prompts"] = json::object{{"listChanged", true}};
  if (IsSupportedModernVersion(version) &&
      std::any_of(tools_.items.begin(), tools_.items.end(), [](const auto& entry) {
        return entry.second->task_support != TaskSupport::kForbidden;
      })) {
    caps["extensions"].emplace_object()[kTasksExtension] = json::object();
  }
  if (IsSupportedModernVersion(version) && !skills_.items.empty()) {
    json::value& extensions = caps["extensions"];
    if (!extensions.is_object()) extensions.emplace_object();
    extensions.get_object()[kSkillsExtension] = json::object{{"directoryRead", true}};
  }
  return caps;
}

std::shared_ptr<ServerSession> Server::Serve(std::shared_ptr<Transport> transport,
                                             SessionOptions options) {
  auto session = Session::Create(std::move(transport), std::move(options));
  auto server_session = std::make_shared<ServerSession>(*this, session);
  // Each request is answered in its own era: one that names a stateless revision in its `_meta`
  // (or is server/discover) by the 2026-07-28 handlers, any other by the session's (so a stdio
  // server speaks both, as one Streamable HTTP endpoint does).
  HandlerTable legacy, modern;
  InstallHandlers(server_session, legacy);
  InstallStatelessHandlers(server_session, modern);
  modern.erase(std::string(method::kPing));  // the session answers ping for older clients
  std::set<std::string> methods;
  for (const auto& [method, handler] : legacy) methods.insert(method);
  for (const auto& [method, handler] : modern) methods.insert(method);
  for (const std::string& method : methods) {
    auto old_handler = legacy.contains(method)
                           ? std::make_shared<const RequestHandler>(std::move(legacy[method]))
                           : nullptr;
    auto new_handler = modern.contains(method)
                           ? std::make_shared<const RequestHandler>(std::move(modern[method]))
                           : nullptr;
    session->SetRequestHandler(
        method,
        [method, old_handler, new_handler](json::value params,
                                           RequestContext& request) -> Awaitable<Reply> {
          auto claimed = ClaimedProtocolVersion(params);
          const bool stateless =
              method == method::kServerDiscover || (claimed && !IsSupportedVersion(*claimed));
          const auto& handler = stateless ? new_handler : old_handler;
          if (handler == nullptr) {
            co_return RpcError{kMethodNotFound, "method not found: " + method, nullptr};
          }
          co_return co_await (*handler)(std::move(params), request);
        });
  }
  {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
    sessions_.push_back(server_session);
  }
  session->Start();
  return server_session;
}

std::shared_ptr<ServerSession> Server::ServeStateless(std::shared_ptr<Transport> transport,
                                                      SessionOptions options) {
  auto session = Session::Create(std::move(transport), std::move(options));
  auto server_session = std::make_shared<ServerSession>(*this, session);
  server_session->stateless_ = true;
  // Results are shaped for the newest revision; each request's own revision is in its _meta
  // (and is one we serve: the handlers check).
  session->SetProtocolVersion(std::string(kLatestModernVersion));
  HandlerTable handlers;
  InstallStatelessHandlers(server_session, handlers);
  for (auto& [method, handler] : handlers) {
    session->SetRequestHandler(method, std::move(handler));
  }
  session->Start();
  return server_session;
}

json::object Server::Discover(std::string_view version) const {
  json::array versions;
  for (auto v : kSupportedModernVersions) versions.emplace_back(v);
  for (auto v : kSupportedVersions) versions.emplace_back(v);
  json::object result;
  result["supportedVersions"] = std::move(versions);
  result["capabilities"] = Capabilities(version);
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  return result;
}

void Server::FinishModernResult(std::string_view method, Reply& reply) const {
  if (reply.error) return;
  json::object* result = reply.result.if_object();
  if (result == nullptr) return;
  bool complete = true;
  if (const json::value* type = result->if_contains(kResultTypeKey); type && type->is_string()) {
    complete = type->get_string() == Sv(kResultComplete);
  } else {
    (*result)[kResultTypeKey] = Sv(kResultComplete);
  }
  json::value& meta = (*result)[kMetaKey];
  if (!meta.is_object()) meta = json::object();
  meta.get_object()[meta::kServerInfo] = info_.ToJson(kLatestModernVersion);
  const bool cacheable = method == method::kServerDiscover || method == method::kToolsList ||
                         method == method::kPromptsList || method == method::kResourcesList ||
                         method == method::kResourcesTemplatesList ||
                         method == method::kResourcesRead || method == method::kSkillsList ||
                         method == method::kSkillsGet;
  if (cacheable && complete) {
    if (!result->contains(kTtlMsKey)) (*result)[kTtlMsKey] = options_.cache_ttl.count();
    if (!result->contains(kCacheScopeKey)) (*result)[kCacheScopeKey] = options_.cache_scope;
  }
}

namespace {

// The multi-round-trip request of one 2026-07-28 tools/call, prompts/get or resources/read:
// what the retry brings (inputResponses, the verified requestState) goes into `round` before the
// handler runs; what the handler asked for comes out as an InputRequiredResult after it.
std::optional<RpcError> BeginRound(const json::value& params, const RequestStateCodec& codec,
                                   const RequestStateBinding& binding, InputRound& round) {
  const json::object& p = params.get_object();
  if (const json::value* state = p.if_contains(kRequestStateKey)) {
    if (!state->is_string()) return InvalidParams("requestState must be a string");
    auto payload = codec.Open(state->get_string(), binding);
    if (!payload.ok()) return InvalidParams(payload.error().message());
    if (json::value* answers = payload->if_contains("r"); answers && answers->is_object()) {
      round.answers = std::move(answers->get_object());
    }
    if (json::value* own = payload->if_contains("s")) round.state = std::move(*own);
  }
  if (const json::value* responses = p.if_contains(kInputResponsesKey)) {
    if (!responses->is_object()) {
      return InvalidParams(
          "inputResponses must be an object mapping input request keys to results");
    }
    for (const auto& [key, answer] : responses->get_object()) round.answers[key] = answer;
  }
  return std::nullopt;
}

std::optional<Reply> EndRound(InputRound& round, const RequestStateCodec& codec,
                              const RequestStateBinding& binding) {
  if (round.error) return Reply(std::move(*round.error));
  if (round.requested.empty()) return std::nullopt;
  json::object payload;
  payload["r"] = std::move(round.consumed);
  payload["s"] = std::move(round.state);
  json::object result;
  result[kResultTypeKey] = kResultInputRequired;
  result[kInputRequestsKey] = std::move(round.requested);
  result[kRequestStateKey] = codec.Seal(binding, payload);
  return Reply(std::move(result));
}

std::string PrincipalOf(const RequestContext& request) {
  const MessageContext* context = request.message_context();
  return context ? context->principal : std::string();
}

// Whether the request declares the tasks extension (its _meta clientCapabilities.extensions).
bool DeclaresTasks(const RequestMeta& meta) {
  const json::value* extensions = meta.client_capabilities.if_contains("extensions");
  return extensions != nullptr && extensions->is_object() &&
         extensions->get_object().contains(kTasksExtension);
}

RpcError MissingTasksExtension(std::string message) {
  json::object required{{"extensions", json::object{{kTasksExtension, json::object()}}}};
  return RpcError{
      kMissingRequiredClientCapability,
      message + ": the client must declare the " + std::string(kTasksExtension) + " extension",
      json::object{{"requiredCapabilities", std::move(required)}}};
}

// The work of one task: the tool's handler, its outcome stored for tasks/get. Owns everything it
// uses (the store, the tool, a detached request context, a copy of the request's _meta), so it
// outlives the request that started it.
Awaitable<void> RunToolTask(std::shared_ptr<internal::TaskStore> store, std::string task_id,
                            std::shared_ptr<const Tool> tool, json::object arguments,
                            json::object answers, std::shared_ptr<ServerSession> session,
                            std::shared_ptr<RequestContext> request,
                            std::shared_ptr<const RequestMeta> meta,
                            std::shared_ptr<asio::cancellation_signal> keep_signal) {
  (void)keep_signal;  // bound to this coroutine's slot: kept alive while it runs
  co_await asio::this_coro::throw_if_cancelled(false);
  ServerContext context(*request, session, meta.get(), nullptr);
  context.SetTaskInput(
      [store, task_id](json::object requests) {
        return store->WaitForInput(task_id, std::move(requests));
      },
      std::move(answers));
  auto result = co_await tool->handler(std::move(arguments), context);
  if (request->cancelled()) co_return;  // tasks/cancel already settled the status
  json::object out = result.ok()
                         ? std::move(*result).ToJson()
                         : std::move(CallToolResult::Error(result.error().message())).ToJson();
  AdaptCallToolResult(out, meta->protocol_version);
  store->Complete(task_id, std::move(out));
}

}  // namespace

void Server::InstallStatelessHandlers(const std::shared_ptr<ServerSession>& ss,
                                      HandlerTable& table) {
  using Handler = std::function<Awaitable<Reply>(json::value, RequestContext&, const RequestMeta&)>;
  // Every request: its _meta validated first, what every 2026-07-28 result carries added last.
  auto add = [this, &table](std::string_view method, Handler handler) {
    table.insert_or_assign(
        std::string(method),
        [this, m = std::string(method), handler = std::move(handler)](
            json::value params, RequestContext& request) -> Awaitable<Reply> {
          auto meta = ParseRequestMeta(params);
          if (!meta.ok()) co_return InvalidParams(meta.error().message());
          if (!IsSupportedModernVersion(meta->protocol_version)) {
            json::value data = Discover(kLatestModernVersion)["supportedVersions"];
            co_return RpcError{kUnsupportedProtocolVersion, "Unsupported protocol version",
                               json::object{{"supported", std::move(data)},
                                            {"requested", meta->protocol_version}}};
          }
          Reply reply = co_await handler(std::move(params), request, *meta);
          FinishModernResult(m, reply);
          co_return reply;
        });
  };
  add(method::kServerDiscover,
      [this](json::value, RequestContext&, const RequestMeta& meta) -> Awaitable<Reply> {
        co_return Discover(meta.protocol_version);
      });
  add(method::kToolsList, [this, ss](json::value params, RequestContext&, const RequestMeta& meta) {
    return ListTools(std::move(params), meta.protocol_version);
  });
  add(method::kToolsCall,
      [this, ss](json::value params, RequestContext& request, const RequestMeta& meta) {
        return CallTool(ss, std::move(params), request, &meta);
      });
  add(method::kResourcesList,
      [this, ss](json::value params, RequestContext&, const RequestMeta& meta) {
        return ListResources(std::move(params), meta.protocol_version);
      });
  add(method::kResourcesTemplatesList,
      [this, ss](json::value params, RequestContext&, const RequestMeta& meta) {
        return ListResourceTemplates(std::move(params), meta.protocol_version);
      });
  add(method::kResourcesRead,
      [this, ss](json::value params, RequestContext& request, const RequestMeta& meta) {
        return ReadResource(ss, std::move(params), request, &meta);
      });
  add(method::kPromptsList,
      [this, ss](json::value params, RequestContext&, const RequestMeta& meta) {
        return ListPrompts(std::move(params), meta.protocol_version);
      });
  add(method::kPromptsGet,
      [this, ss](json::value params, RequestContext& request, const RequestMeta& meta) {
        return GetPrompt(ss, std::move(params), request, &meta);
      });
  add(method::kCompletionComplete,
      [this, ss](json::value params, RequestContext& request, const RequestMeta& meta) {
        return Complete(ss, std::move(params), request, &meta);
      });
  add(method::kSubscriptionsListen,
      [this, ss](json::value params, RequestContext& request, const RequestMeta&) {
        return Listen(ss, std::move(params), request);
      });
  for (std::string_view skills_method :
       {method::kSkillsList, method::kSkillsGet, method::kResourcesDirectoryRead}) {
    add(skills_method,
        [this, skills_method](json::value params, RequestContext&, const RequestMeta&)
            -> Awaitable<Reply> { co_return SkillsRequest(skills_method, params); });
  }
  for (std::string_view tasks_method :
       {method::kTasksGet, method::kTasksUpdate, method::kTasksCancel}) {
    add(tasks_method,
        [this, tasks_method](json::value params, RequestContext& request, const RequestMeta& meta)
            -> Awaitable<Reply> { co_return TasksRequest(tasks_method, params, request, meta); });
  }
  // The session engine answers ping itself; 2026-07-28 removed it.
  table.insert_or_assign(std::string(method::kPing),
                         [](json::value, RequestContext&) -> Awaitable<Reply> {
                           co_return RpcError{kMethodNotFound, "method not found: ping", nullptr};
                         });
}

Awaitable<Reply> Server::StartToolTask(std::shared_ptr<ServerSession> s,
                                       std::shared_ptr<const Tool> tool, json::object arguments,
                                       RequestContext& request, const RequestMeta& meta,
                                       json::object answers) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<const MessageContext> message_context;
  if (const MessageContext* context = request.message_context()) {
    message_context = std::make_shared<const MessageContext>(*context);
  }
  auto detached = RequestContext::Detached(request.id(), std::string(method::kToolsCall),
                                           std::move(message_context));
  // Marked on the task's executor before its signal fires, so the handler sees cancelled().
  auto created = tasks_store_->Create(PrincipalOf(request), executor,
                                      [detached] { detached->MarkCancelled(); });
  if (!created.ok()) co_return created.error();
  const internal::TaskSnapshot& task = *created;
  auto signal = tasks_store_->Signal(task.id);
  auto meta_copy = std::make_shared<const RequestMeta>(meta);
  auto store = tasks_store_;
  // The task is in the store before the CreateTaskResult leaves: a tasks/get right after it
  // finds it (SEP-2663's durable create).
  asio::co_spawn(
      executor,
      RunToolTask(store, task.id, std::move(tool), std::move(arguments), std::move(answers), s,
                  detached, meta_copy, signal),
      asio::bind_cancellation_slot(signal->slot(), [store, id = task.id](std::exception_ptr error) {
        if (!error) return;
        std::string what = "the task's tool failed";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        store->Fail(id, RpcError{kInternalError, what, nullptr});
      }));
  json::object result = task.ToJson(/*detailed=*/false);
  result[kResultTypeKey] = kResultTask;
  co_return result;
}

Reply Server::SkillsRequest(std::string_view method, const json::value& params) {
  std::lock_guard lock(mutex_);
  if (method == method::kSkillsList) {
    auto bounds = PageBounds(params, skills_.order.size(), options_.page_size);
    if (!bounds.ok()) return InvalidParams(bounds.error().message());
    json::array entries;
    for (size_t i = bounds->first; i < bounds->second; ++i) {
      entries.push_back(SkillListEntry(*skills_.items.at(skills_.order[i])));
    }
    json::object result{{"skills", std::move(entries)}};
    if (bounds->second < skills_.order.size()) result["nextCursor"] = EncodeCursor(bounds->second);
    return result;
  }
  auto uri = StringParam(params, "uri");
  if (!uri) return InvalidParams(std::string(method) + " needs a uri");
  if (method == method::kSkillsGet) {
    auto it = skills_.items.find(*uri);
    if (it == skills_.items.end()) return InvalidParams("unknown skill: " + *uri);
    return json::object{{"skill", SkillListEntry(*it->second)}};
  }
  // resources/directory/read: the direct children of a skill's folder ("skill://<path>" or a
  // subfolder of it, with or without a trailing slash).
  std::string folder = *uri;
  while (folder.ends_with('/')) folder.pop_back();
  for (const auto& key : skills_.order) {
    const Skill& skill = *skills_.items.at(key);
    const std::string root = "skill://" + skill.path;
    if (folder != root && !folder.starts_with(root + "/")) continue;
    const std::string prefix =
        folder == root ? std::string() : folder.substr(root.size() + 1) + "/";
    json::array children;
    std::set<std::string> subfolders;
    bool exists = prefix.empty();
    for (const SkillFile& file : skill.files) {
      if (!file.path.starts_with(prefix)) continue;
      exists = true;
      std::string_view rest = std::string_view(file.path).substr(prefix.size());
      if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
        std::string sub(rest.substr(0, slash));
        if (subfolders.insert(sub).second) {
          children.push_back(json::object{
              {"uri", folder + "/" + sub}, {"name", sub}, {"mimeType", "inode/directory"}});
        }
        continue;
      }
      children.push_back(json::object{{"uri", skill.FileUri(file.path)},
                                      {"name", std::string(rest)},
                                      {"mimeType", SkillFileMimeType(file)},
                                      {"size", file.content.size()}});
    }
    if (!exists) continue;  // a skill nested under this one may have the folder
    return json::object{{"resources", std::move(children)}};
  }
  return InvalidParams("not a directory this server serves: " + *uri);
}

Reply Server::TasksRequest(std::string_view method, const json::value& params,
                           const RequestContext& request, const RequestMeta& meta) {
  if (!DeclaresTasks(meta)) {
    return MissingTasksExtension(std::string(method) + " needs the tasks extension");
  }
  auto task_id = StringParam(params, "taskId");
  if (!task_id) return InvalidParams(std::string(method) + " needs a taskId");
  const std::string principal = PrincipalOf(request);
  if (method == method::kTasksCancel) {
    if (!tasks_store_->Cancel(*task_id, principal)) {
      return InvalidParams("unknown task: " + *task_id);
    }
    return json::object();  // an empty ack; the status shows on the next tasks/get
  }
  auto task = tasks_store_->Find(*task_id, principal);
  if (!task) return InvalidParams("unknown task: " + *task_id);
  if (method == method::kTasksUpdate) {
    const json::value* responses = params.get_object().if_contains(kInputResponsesKey);
    if (responses == nullptr || !responses->is_object()) {
      return InvalidParams("tasks/update needs an inputResponses object");
    }
    // Answers to requests the task did not make (or made and got) change nothing.
    tasks_store_->ProvideInput(*task_id, principal, responses->get_object());
    return json::object();
  }
  return task->ToJson(/*detailed=*/true);
}

Awaitable<Reply> Server::Listen(std::shared_ptr<ServerSession> s, json::value params,
                                RequestContext& request) {
  const json::value* filter = params.get_object().if_contains("notifications");
  if (filter == nullptr || !filter->is_object()) {
    co_return InvalidParams("subscriptions/listen needs a notifications filter object");
  }
  const json::object& f = filter->get_object();
  auto listener = std::make_shared<Listener>();
  listener->session = s->session_;
  listener->id = request.id();
  if (const MessageContext* context = request.message_context()) {
    listener->context = std::make_shared<const MessageContext>(*context);
  }
  auto flag = [&](std::string_view key) {
    const json::value* v = f.if_contains(key);
    return v != nullptr && v->is_bool() && v->get_bool();
  };
  json::object acknowledged;
  {
    std::lock_guard lock(mutex_);
    listener->tools = flag("toolsListChanged") && !tools_.items.empty();
    listener->prompts = flag("promptsListChanged") && !prompts_.items.empty();
    listener->resources =
        flag("resourcesListChanged") && (!resources_.items.empty() || !templates_.items.empty());
  }
  if (listener->tools) acknowledged["toolsListChanged"] = true;
  if (listener->prompts) acknowledged["promptsListChanged"] = true;
  if (listener->resources) acknowledged["resourcesListChanged"] = true;
  if (const json::value* uris = f.if_contains("resourceSubscriptions"); uris && uris->is_array()) {
    json::array accepted;
    for (const json::value& uri : uris->get_array()) {
      if (!uri.is_string()) continue;
      listener->uris.emplace_back(uri.get_string());
      accepted.push_back(uri);
    }
    acknowledged["resourceSubscriptions"] = std::move(accepted);
  }
  {
    std::lock_guard lock(mutex_);
    listeners_.push_back(listener);
  }
  json::object ack;
  ack[kMetaKey] = json::object{{meta::kSubscriptionId, request.id().ToJson()}};
  ack["notifications"] = std::move(acknowledged);
  // Registered first, acknowledged second: nothing sent after the acknowledgement is missed.
  (void)co_await request.Notify(notification::kSubscriptionsAcknowledged, std::move(ack));
  // Open until the client leaves (the stream closes: the request is cancelled) or the session
  // is closed (server shutdown): either cancels this wait.
  asio::steady_timer wait(co_await asio::this_coro::executor,
                          asio::steady_timer::time_point::max());
  co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  {
    std::lock_guard lock(mutex_);
    std::erase_if(listeners_, [&](const auto& weak) {
      auto l = weak.lock();
      return !l || l == listener;
    });
  }
  json::object result;
  result[kMetaKey] = json::object{{meta::kSubscriptionId, request.id().ToJson()}};
  co_return result;
}

void Server::InstallHandlers(const std::shared_ptr<ServerSession>& ss, HandlerTable& table) {
  // The handlers hold the ServerSession; the session drops its handlers when it closes, which
  // releases it.
  Session& session = ss->session();
  table.insert_or_assign(std::string(method::kInitialize),
                         [this, ss](json::value params, RequestContext&) {
                           return Initialize(*ss, std::move(params));
                         });
  session.SetNotificationHandler(
      std::string(notification::kInitialized),
      [ss](json::value, const MessageContext*) { ss->initialized_ = true; });
  table.insert_or_assign(std::string(method::kToolsList),
                         [this, ss](json::value params, RequestContext&) {
                           return ListTools(std::move(params), ss->protocol_version());
                         });
  table.insert_or_assign(std::string(method::kToolsCall),
                         [this, ss](json::value params, RequestContext& request) {
                           return CallTool(ss, std::move(params), request);
                         });
  table.insert_or_assign(std::string(method::kResourcesList),
                         [this, ss](json::value params, RequestContext&) {
                           return ListResources(std::move(params), ss->protocol_version());
                         });
  table.insert_or_assign(std::string(method::kResourcesTemplatesList),
                         [this, ss](json::value params, RequestContext&) {
                           return ListResourceTemplates(std::move(params), ss->protocol_version());
                         });
  table.insert_or_assign(std::string(method::kResourcesRead),
                         [this, ss](json::value params, RequestContext& request) {
                           return ReadResource(ss, std::move(params), request);
                         });
  auto subscription = [ss](bool subscribe) {
    return [ss, subscribe](json::value params, RequestContext&) -> Awaitable<Reply> {
      auto uri = StringParam(params, "uri");
      if (!uri) co_return InvalidParams("uri is required");
      if (subscribe) {
        ss->subscriptions_.insert(std::move(*uri));
      } else {
        ss->subscriptions_.erase(*uri);
      }
      co_return json::object();
    };
  };
  table.insert_or_assign(std::string(method::kResourcesSubscribe), subscription(true));
  table.insert_or_assign(std::string(method::kResourcesUnsubscribe), subscription(false));
  table.insert_or_assign(std::string(method::kPromptsList),
                         [this, ss](json::value params, RequestContext&) {
                           return ListPrompts(std::move(params), ss->protocol_version());
                         });
  table.insert_or_assign(std::string(method::kPromptsGet),
                         [this, ss](json::value params, RequestContext& request) {
                           return GetPrompt(ss, std::move(params), request);
                         });
  table.insert_or_assign(std::string(method::kCompletionComplete),
                         [this, ss](json::value params, RequestContext& request) {
                           return Complete(ss, std::move(params), request);
                         });
  table.insert_or_assign(std::string(method::kLoggingSetLevel),
                         [ss](json::value params, RequestContext&) -> Awaitable<Reply> {
                           auto level = StringParam(params, "level");
                           int index = level ? LoggingLevelIndex(*level) : -1;
                           if (index < 0)
                             co_return InvalidParams(
                                 "level must be one of debug, info, notice, warning, "
                                 "error, critical, alert, emergency");
                           ss->log_level_ = index;
                           co_return json::object();
                         });
}

Awaitable<Reply> Server::Initialize(ServerSession& s, json::value params) {
  auto requested = StringParam(params, "protocolVersion");
  if (!requested) co_return InvalidParams("initialize needs a protocolVersion string");
  const json::object& p = params.get_object();
  std::string version(NegotiateServerVersion(*requested));
  if (const json::value* info = p.if_contains("clientInfo")) {
    s.client_info_ = Implementation::FromJson(*info);
  }
  if (const json::value* caps = p.if_contains("capabilities"); caps && caps->is_object()) {
    s.client_capabilities_ = caps->get_object();
  }
  s.session_->SetProtocolVersion(version);
  json::object result;
  result["protocolVersion"] = version;
  result["capabilities"] = Capabilities(version);
  result["serverInfo"] = info_.ToJson(version);
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  co_return result;
}

Awaitable<Reply> Server::ListTools(json::value params, std::string version) {
  std::vector<std::shared_ptr<const Tool>> page;
  size_t total;
  {
    std::lock_guard lock(mutex_);
    total = tools_.order.size();
    auto bounds = PageBounds(params, total, options_.page_size);
    if (!bounds.ok()) co_return InvalidParams(bounds.error().message());
    for (size_t i = bounds->first; i < bounds->second; ++i) {
      page.push_back(tools_.items.at(tools_.order[i]));
    }
    if (bounds->second < total)
      total = bounds->second;  // remember where the next page starts
    else
      total = 0;
  }
  json::array tools;
  tools.reserve(page.size());
  for (const auto& tool : page) tools.push_back(ToolToJson(*tool, version));
  json::object result;
  result["tools"] = std::move(tools);
  if (total != 0) result["nextCursor"] = EncodeCursor(total);
  co_return result;
}

Awaitable<Reply> Server::ListResources(json::value params, std::string version) {
  std::vector<std::shared_ptr<const Resource>> page;
  size_t next = 0;
  {
    std::lock_guard lock(mutex_);
    auto bounds = PageBounds(params, resources_.order.size(), options_.page_size);
    if (!bounds.ok()) co_return InvalidParams(bounds.error().message());
    for (size_t i = bounds->first; i < bounds->second; ++i) {
      page.push_back(resources_.items.at(resources_.order[i]));
    }
    if (bounds->second < resources_.order.size()) next = bounds->second;
  }
  json::array items;
  for (const auto& r : page) items.push_back(ResourceToJson(*r, version));
  json::object result;
  result["resources"] = std::move(items);
  if (next != 0) result["nextCursor"] = EncodeCursor(next);
  co_return result;
}

Awaitable<Reply> Server::ListResourceTemplates(json::value params, std::string version) {
  std::vector<std::shared_ptr<const TemplateEntry>> page;
  size_t next = 0;
  {
    std::lock_guard lock(mutex_);
    auto bounds = PageBounds(params, templates_.order.size(), options_.page_size);
    if (!bounds.ok()) co_return InvalidParams(bounds.error().message());
    for (size_t i = bounds->first; i < bounds->second; ++i) {
      page.push_back(templates_.items.at(templates_.order[i]));
    }
    if (bounds->second < templates_.order.size()) next = bounds->second;
  }
  json::array items;
  for (const auto& t : page) items.push_back(TemplateToJson(t->spec, version));
  json::object result;
  result["resourceTemplates"] = std::move(items);
  if (next != 0) result["nextCursor"] = EncodeCursor(next);
  co_return result;
}

Awaitable<Reply> Server::ListPrompts(json::value params, std::string version) {
  std::vector<std::shared_ptr<const Prompt>> page;
  size_t next = 0;
  {
    std::lock_guard lock(mutex_);
    auto bounds = PageBounds(params, prompts_.order.size(), options_.page_size);
    if (!bounds.ok()) co_return InvalidParams(bounds.error().message());
    for (size_t i = bounds->first; i < bounds->second; ++i) {
      page.push_back(prompts_.items.at(prompts_.order[i]));
    }
    if (bounds->second < prompts_.order.size()) next = bounds->second;
  }
  json::array items;
  for (const auto& p : page) items.push_back(PromptToJson(*p, version));
  json::object result;
  result["prompts"] = std::move(items);
  if (next != 0) result["nextCursor"] = EncodeCursor(next);
  co_return result;
}

Awaitable<Reply> Server::CallTool(std::shared_ptr<ServerSession> s, json::value params,
                                  RequestContext& request, const RequestMeta* meta) {
  auto name = StringParam(params, "name");
  if (!name) co_return InvalidParams("tools/call needs a tool name");
  std::shared_ptr<const Tool> tool;
  {
    std::lock_guard lock(mutex_);
    auto it = tools_.items.find(*name);
    if (it != tools_.items.end()) tool = it->second;
  }
  if (!tool) co_return InvalidParams(fmt::format("unknown tool: {}", *name));
  json::object arguments;
  if (json::value* a = params.get_object().if_contains("arguments"); a && !a->is_null()) {
    if (!a->is_object()) co_return InvalidParams("tool arguments must be an object");
    arguments = std::move(a->get_object());
  }
  if (const json::value* required = tool->input_schema.if_contains("required");
      required && required->is_array()) {
    for (const json::value& key : required->get_array()) {
      if (key.is_string() && !arguments.contains(key.get_string())) {
        co_return InvalidParams(fmt::format("tool {}: missing required argument '{}'", *name,
                                            std::string_view(key.get_string())));
      }
    }
  }
  // 2026-07-28 over HTTP: arguments the tool mirrors into Mcp-Param-* headers must match them.
  if (meta != nullptr && request.message_context() != nullptr) {
    if (auto mismatch = internal::ValidateParamHeaders(request.message_context()->headers,
                                                       tool->input_schema, arguments)) {
      co_return std::move(*mismatch);
    }
  }
  if (meta != nullptr && tool->task_support != TaskSupport::kForbidden) {
    if (DeclaresTasks(*meta)) {
      json::object answers;
      if (!tool->inputs_before_task.empty()) {
        // SEP-2322 rounds first; the task is created on the round that brings every answer.
        InputRound round;
        RequestStateBinding binding(std::string(method::kToolsCall), *name, PrincipalOf(request));
        if (auto error = BeginRound(params, state_codec_, binding, round)) co_return *error;
        ServerContext context(request, s, meta, &round);
        auto given = co_await context.RequestInputs(tool->inputs_before_task);
        if (auto interim = EndRound(round, state_codec_, binding)) co_return std::move(*interim);
        if (!given.ok()) co_return given.error();
        answers = std::move(*given);
      }
      co_return co_await StartToolTask(s, std::move(tool), std::move(arguments), request, *meta,
                                       std::move(answers));
    }
    if (tool->task_support == TaskSupport::kRequired) {
      co_return MissingTasksExtension(fmt::format("tool {} runs only as a task", *name));
    }
  }
  InputRound round;
  RequestStateBinding binding(std::string(method::kToolsCall), *name, PrincipalOf(request));
  if (meta != nullptr) {
    if (auto error = BeginRound(params, state_codec_, binding, round)) co_return *error;
  }
  ServerContext context(request, s, meta, meta ? &round : nullptr);
  auto result = co_await tool->handler(std::move(arguments), context);
  if (meta != nullptr) {
    if (auto interim = EndRound(round, state_codec_, binding)) co_return std::move(*interim);
  }
  if (!result.ok()) {
    if (context.cancelled()) co_return result.error();
    co_return std::move(CallToolResult::Error(result.error().message())).ToJson();
  }
  json::object out = std::move(*result).ToJson();
  AdaptCallToolResult(out, context.protocol_version());
  co_return out;
}

Awaitable<Reply> Server::ReadResource(std::shared_ptr<ServerSession> s, json::value params,
                                      RequestContext& request, const RequestMeta* meta) {
  auto uri = StringParam(params, "uri");
  if (!uri) co_return InvalidParams("resources/read needs a uri");
  std::shared_ptr<const Resource> resource;
  std::shared_ptr<const TemplateEntry> matched;
  std::map<std::string, std::string> variables;
  {
    std::lock_guard lock(mutex_);
    if (auto it = resources_.items.find(*uri); it != resources_.items.end()) {
      resource = it->second;
    } else {
      for (const auto& key : templates_.order) {
        const auto& entry = templates_.items.at(key);
        if (auto vars = MatchUriTemplate(entry->spec.uri_template, *uri)) {
          matched = entry;
          variables = std::move(*vars);
          break;
        }
      }
    }
  }
  InputRound round;
  RequestStateBinding binding(std::string(method::kResourcesRead), *uri, PrincipalOf(request));
  if (meta != nullptr) {
    if (auto error = BeginRound(params, state_codec_, binding, round)) co_return *error;
  }
  ServerContext context(request, s, meta, meta ? &round : nullptr);
  core::Result<json::array> contents = core::Error::NotFound("resource not found: {}", *uri);
  if (resource && resource->read) {
    contents = co_await resource->read(*uri, context);
  } else if (matched && matched->spec.read) {
    contents = co_await matched->spec.read(*uri, std::move(variables), context);
  }
  if (meta != nullptr) {
    if (auto interim = EndRound(round, state_codec_, binding)) co_return std::move(*interim);
  }
  if (!contents.ok()) {
    RpcError error = RpcError::FromError(contents.error());
    if (error.code == kResourceNotFound) {
      error.data = json::object{{"uri", *uri}};
      // 2026-07-28 (SEP-2164): an unknown resource is invalid params; -32002 was retired.
      if (meta != nullptr) {
        error.code = kInvalidParams;
        error.message = "Resource not found: " + *uri;
      }
    }
    co_return error;
  }
  json::object result;
  result["contents"] = std::move(*contents);
  co_return result;
}

Awaitable<Reply> Server::GetPrompt(std::shared_ptr<ServerSession> s, json::value params,
                                   RequestContext& request, const RequestMeta* meta) {
  auto name = StringParam(params, "name");
  if (!name) co_return InvalidParams("prompts/get needs a prompt name");
  std::shared_ptr<const Prompt> prompt;
  {
    std::lock_guard lock(mutex_);
    if (auto it = prompts_.items.find(*name); it != prompts_.items.end()) prompt = it->second;
  }
  if (!prompt) co_return InvalidParams(fmt::format("unknown prompt: {}", *name));
  std::map<std::string, std::string> arguments;
  if (const json::value* a = params.get_object().if_contains("arguments"); a && !a->is_null()) {
    if (!a->is_object()) co_return InvalidParams("prompt arguments must be an object");
    for (const auto& [key, value] : a->get_object()) {
      if (!value.is_string()) {
        co_return InvalidParams(
            fmt::format("prompt argument '{}' must be a string", std::string_view(key)));
      }
      arguments.emplace(std::string(key), std::string(value.get_string()));
    }
  }
  for (const auto& argument : prompt->arguments) {
    if (argument.required && !arguments.contains(argument.name)) {
      co_return InvalidParams(
          fmt::format("prompt {}: missing required argument '{}'", *name, argument.name));
    }
  }
  InputRound round;
  RequestStateBinding binding(std::string(method::kPromptsGet), *name, PrincipalOf(request));
  if (meta != nullptr) {
    if (auto error = BeginRound(params, state_codec_, binding, round)) co_return *error;
  }
  ServerContext context(request, s, meta, meta ? &round : nullptr);
  auto result = co_await prompt->handler(std::move(arguments), context);
  if (meta != nullptr) {
    if (auto interim = EndRound(round, state_codec_, binding)) co_return std::move(*interim);
  }
  if (!result.ok()) co_return result.error();
  json::object out;
  if (!result->description.empty()) out["description"] = result->description;
  for (json::value& message : result->messages) {
    if (json::object* m = message.if_object()) {
      if (json::value* c = m->if_contains("content"); c && c->is_object()) {
        json::array one;
        one.push_back(std::move(*c));
        AdaptContentBlocks(one, context.protocol_version());
        *c = std::move(one[0]);
      }
    }
  }
  out["messages"] = std::move(result->messages);
  co_return out;
}

Awaitable<Reply> Server::Complete(std::shared_ptr<ServerSession> s, json::value params,
                                  RequestContext& request, const RequestMeta* meta) {
  const json::object* p = ParamsObject(params);
  const json::value* ref = p ? p->if_contains("ref") : nullptr;
  const json::value* argument = p ? p->if_contains("argument") : nullptr;
  if (ref == nullptr || !ref->is_object() || argument == nullptr || !argument->is_object()) {
    co_return InvalidParams("completion/complete needs ref and argument objects");
  }
  auto argument_name = StringParam(*argument, "name");
  auto argument_value = StringParam(*argument, "value");
  if (!argument_name || !argument_value) {
    co_return InvalidParams("argument needs a name and a value");
  }
  std::shared_ptr<const CompletionHandler> handler;
  {
    std::lock_guard lock(mutex_);
    handler = completion_;
  }
  Completion completion;
  if (handler) {
    json::object context_arguments;
    if (const json::value* c = p->if_contains("context"); c && c->is_object()) {
      if (const json::value* a = c->get_object().if_contains("arguments"); a && a->is_object()) {
        context_arguments = a->get_object();
      }
    }
    ServerContext context(request, s, meta);
    auto result = co_await (*handler)(ref->get_object(), std::move(*argument_name),
                                      std::move(*argument_value), context_arguments, context);
    if (!result.ok()) co_return result.error();
    completion = std::move(*result);
  }
  json::array values;
  size_t count = std::min<size_t>(completion.values.size(), 100);
  for (size_t i = 0; i < count; ++i) values.emplace_back(completion.values[i]);
  json::object body;
  body["values"] = std::move(values);
  if (completion.total) body["total"] = *completion.total;
  body["hasMore"] = completion.has_more || completion.values.size() > count;
  co_return json::object{{"completion", std::move(body)}};
}

std::optional<std::map<std::string, std::string>> MatchUriTemplate(std::string_view tmpl,
                                                                   std::string_view uri) {
  struct Part {
    bool variable;
    bool reserved;  // {+name}: may contain '/'
    std::string text;
  };
  std::vector<Part> parts;
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      size_t close = tmpl.find('}', i);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view name = tmpl.substr(i + 1, close - i - 1);
      bool reserved = !name.empty() && (name[0] == '+' || name[0] == '#');
      if (reserved) name.remove_prefix(1);
      parts.push_back({true, reserved, std::string(name)});
      i = close + 1;
    } else {
      size_t next = tmpl.find('{', i);
      if (next == std::string_view::npos) next = tmpl.size();
      parts.push_back({false, false, std::string(tmpl.substr(i, next - i))});
      i = next;
    }
  }
  std::map<std::string, std::string> variables;
  // Backtracking match; templates have few parts.
  std::function<bool(size_t, size_t)> match = [&](size_t part, size_t pos) -> bool {
    if (part == parts.size()) return pos == uri.size();
    const Part& p = parts[part];
    if (!p.variable) {
      if (uri.substr(pos, p.text.size()) != p.text) return false;
      return match(part + 1, pos + p.text.size());
    }
    for (size_t end = pos + 1; end <= uri.size(); ++end) {
      char c = uri[end - 1];
      if (!p.reserved && (c == '/' || c == '?' || c == '#')) break;
      variables[p.text] = std::string(uri.substr(pos, end - pos));
      if (match(part + 1, end)) return true;
    }
    variables.erase(p.text);
    return false;
  };
  if (!match(0, 0)) return std::nullopt;
  return variables;
}

}  // namespace bedrock::mcp

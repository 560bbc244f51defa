// An MCP server: tools, resources and templates, prompts, completion and logging, served to any
// number of clients over any transport, each client answered in its own protocol revision.
//
//   mcp::Server server(mcp::Implementation("demo", "1.0"));
//   server.AddTool({.name = "add", .description = "Adds two numbers",
//                   .input_schema =
//                   json::parse(R"({"type":"object","required":["a","b"]})").as_object(), .handler
//                   = [](json::object args, mcp::ServerContext& ctx)
//                       -> mcp::Awaitable<core::Result<mcp::CallToolResult>> {
//                     co_await ctx.Progress(1, 1);
//                     co_return mcp::CallToolResult::Text(...);
//                   }});
//   auto session = server.Serve(transport);   // runs until the transport closes
//
// Capabilities are advertised from what is registered. Registration may happen while serving
// (clients are sent list_changed); handlers run without the registry lock.
// Thread-safety: Server's members may be called from any thread. A ServerSession lives on its
// transport's executor; call its members from there.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "mcp/request_meta.h"
#include "mcp/request_state.h"
#include "mcp/session.h"
#include "mcp/skills.h"
#include "mcp/transport.h"
#include "mcp/types.h"

namespace bedrock::mcp {

class Server;
class ServerSession;
namespace internal {
class TaskStore;
}  // namespace internal

// One request for input from the client (ElicitRequest, CreateMessageRequest or ListRootsRequest),
// named by a key unique within the handler. Not an aggregate: see SendOptions in transport.h.
struct InputRequest {
  InputRequest(std::string request_key, std::string request_method, boost::json::object params)
      : key(std::move(request_key)), method(std::move(request_method)), params(std::move(params)) {}

  std::string key;
  std::string method;  // elicitation/create, sampling/createMessage or roots/list
  boost::json::object params;
};

// The multi-round-trip state of one 2026-07-28 request (SEP-2322): the answers the client has
// given so far, the handler's own state, and what the handler asked for but has no answer to.
// Owned by the server's dispatch; a ServerContext refers to it while the handler runs.
struct InputRound {
  boost::json::object answers;    // key -> InputResponse: from requestState and inputResponses
  boost::json::object consumed;   // the answers the handler read: carried in the next state
  boost::json::object requested;  // key -> InputRequest the handler is waiting for
  boost::json::value state;       // the handler's state (SetRequestState), null when none
  std::optional<RpcError> error;  // a protocol error that replaces the handler's answer
};

// What every server-side handler gets: the request, the client's session, and the ways to talk
// back while working. Valid until the handler finishes.
//
// Revision 2026-07-28 is stateless: protocol version, client capabilities and log level come
// with each request (`_meta`), and the server may not send requests to the client. A handler
// that needs input (elicitation, sampling, roots) asks for it here all the same:
//
//   BEDROCK_CO_TRY_ASSIGN(json::value answer, co_await ctx.Elicit("user_name", form));
//
// Older clients are sent the request over their session and the call returns the answer. For a
// 2026-07-28 client an unanswered call fails with kAborted ("input required") at once, the
// handler passes that up, and the request is answered with an InputRequiredResult carrying every
// unanswered request plus a signed requestState; the client's retry runs the handler again from
// the top, and calls answered by then (in this round or an earlier one) return the answer at once.
// So a handler must be repeatable up to its input calls: no side effects before them, or
// idempotent ones. Ask for several inputs in one round with RequestInputs.
class ServerContext {
 public:
  ServerContext(RequestContext& request, std::shared_ptr<ServerSession> session,
                const RequestMeta* meta = nullptr, InputRound* round = nullptr)
      : request_(request), session_(std::move(session)), meta_(meta), round_(round) {}

  RequestContext& request() const { return request_; }
  ServerSession& session() const { return *session_; }
  bool cancelled() const { return request_.cancelled(); }
  const MessageContext* message_context() const { return request_.message_context(); }
  // The request's revision: its `_meta` for 2026-07-28 clients, the session's otherwise.
  const std::string& protocol_version() const;
  // Whether the client declared this capability ("sampling", "elicitation", "roots", ...):
  // in the request's `_meta` for 2026-07-28 clients, at initialize otherwise.
  bool HasClientCapability(std::string_view name) const;
  const boost::json::object& client_capabilities() const;
  // The request's per-request fields (2026-07-28); null for older clients.
  const RequestMeta* request_meta() const { return meta_; }

  // notifications/progress, when the client asked for it.
  Awaitable<core::Status> Progress(double progress, std::optional<double> total = {},
                                   std::string_view message = {});
  // notifications/message at `level` ("debug" ... "emergency"), dropped below the client's level
  // (2026-07-28: the request's `_meta` logLevel; without one nothing is sent).
  Awaitable<core::Status> Log(std::string_view level, boost::json::value data,
                              std::string_view logger = {});

  // Input from the client, by key (see the class comment). Each fails with kFailedPrecondition
  // when the client did not declare the capability (or its revision lacks the feature); for a
  // 2026-07-28 client the request is then answered with -32021 MissingRequiredClientCapability.
  // An answer that is not a valid result of its kind fails with kInvalidArgument (-32602).
  Awaitable<core::Result<boost::json::value>> Elicit(std::string key, boost::json::object params,
                                                     CallOptions options = {});
  Awaitable<core::Result<boost::json::value>> CreateMessage(std::string key,
                                                            boost::json::object params,
                                                            CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListRoots(std::string key, CallOptions options = {});
  // Several inputs in one round; the answers by key.
  Awaitable<core::Result<boost::json::object>> RequestInputs(std::vector<InputRequest> requests,
                                                             CallOptions options = {});
  // The same without a key: keys are numbered per kind in call order ("elicitation-1", ...),
  // which is stable across rounds when the handler asks in the same order every time.
  Awaitable<core::Result<boost::json::value>> CreateMessage(boost::json::object params,
                                                            CallOptions options = {});
  Awaitable<core::Result<boost::json::value>> Elicit(boost::json::object params,
                                                     CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListRoots(CallOptions options = {});

  // State of the handler's own that a 2026-07-28 retry gets back (in the signed requestState):
  // null on the first round. Ignored for older clients, whose calls never suspend.
  const boost::json::value& request_state() const;
  void SetRequestState(boost::json::value state);
  // Whether the handler asked for input the client has not given yet (the request is answered
  // with an InputRequiredResult, whatever the handler returns).
  bool input_required() const { return round_ != nullptr && !round_->requested.empty(); }

  // For the work of a task (set by the server): how it asks for input, parking the task in
  // input_required until tasks/update has answered every request; the answers by key.
  using TaskInput =
      std::function<Awaitable<core::Result<boost::json::object>>(boost::json::object requests)>;
  // `answers`: input gathered before the task began (Tool::inputs_before_task), by key.
  void SetTaskInput(TaskInput input, boost::json::object answers = {}) {
    task_input_ = std::move(input);
    task_answers_ = std::move(answers);
  }

  // Closes the HTTP stream this request's messages travel on, keeping the request running; the
  // client resumes with Last-Event-ID (Transport::CloseRequestStream). False when impossible.
  bool CloseSseStream();

 private:
  Awaitable<core::Result<boost::json::value>> CallClient(std::string_view method,
                                                         boost::json::object params,
                                                         CallOptions options);
  core::Status CheckCapability(std::string_view method, const boost::json::object& params);
  std::string NextKey(std::string_view kind);

  RequestContext& request_;
  std::shared_ptr<ServerSession> session_;
  const RequestMeta* meta_;
  InputRound* round_;
  TaskInput task_input_;
  boost::json::object task_answers_;
  std::map<std::string, int, std::less<>> auto_keys_;
};

// Whether a tool runs as a task of the tasks extension (io.modelcontextprotocol/tasks, SEP-2663):
// kOptional tools become tasks for clients that declare the extension and run as usual for the
// others; kRequired tools refuse clients without it (-32021).
enum class TaskSupport { kForbidden, kOptional, kRequired };

struct Tool {
  using Handler = std::function<Awaitable<core::Result<CallToolResult>>(
      boost::json::object arguments, ServerContext& context)>;

  std::string name;
  std::string title;
  std::string description;
  boost::json::object input_schema;  // sent verbatim; {"type":"object"} when empty
  std::optional<boost::json::object> output_schema;
  boost::json::object annotations;  // ToolAnnotations: readOnlyHint, destructiveHint, ...
  boost::json::array icons;
  boost::json::object meta;
  // As a task, tools/call is answered at once with a CreateTaskResult and the handler runs on
  // after the request; its result (or isError result) is kept for tasks/get, an exception it
  // throws fails the task with -32603, and tasks/cancel cancels it. Its ServerContext then has
  // no request to talk on: progress is dropped, logging and input requests fail.
  TaskSupport task_support = TaskSupport::kForbidden;
  // Input a task needs before it starts: gathered from 2026-07-28 clients with InputRequired
  // rounds (SEP-2322) before the task is created, then handed to the handler's matching
  // ServerContext input calls at once. Empty: the task starts at once and asks while it runs.
  std::vector<InputRequest> inputs_before_task;
  // A returned Error becomes a tool result with isError (the model sees the message); protocol
  // errors (unknown tool, missing required arguments) are answered with -32602 before it runs.
  Handler handler;
};

struct Resource {
  using Reader = std::function<Awaitable<core::Result<boost::json::array>>(std::string uri,
                                                                           ServerContext& context)>;

  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::optional<int64_t> size;
  boost::json::object annotations;
  boost::json::array icons;
  boost::json::object meta;
  // Returns the contents array (content::TextResource / content::BlobResource objects).
  Reader read;
};

struct ResourceTemplate {
  // `variables` holds the values the URI matched for each {name} in the template.
  using Reader = std::function<Awaitable<core::Result<boost::json::array>>(
      std::string uri, std::map<std::string, std::string> variables, ServerContext& context)>;

  std::string uri_template;  // RFC 6570 level 1-2: "file:///{path}", "{+path}" may span '/'
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  boost::json::object annotations;
  boost::json::array icons;
  boost::json::object meta;
  Reader read;
};

struct Prompt {
  using Handler = std::function<Awaitable<core::Result<GetPromptResult>>(
      std::map<std::string, std::string> arguments, ServerContext& context)>;

  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  boost::json::array icons;
  boost::json::object meta;
  Handler handler;
};

// completion/complete: `ref` is {"type":"ref/prompt","name"} or {"type":"ref/resource","uri"};
// `context_arguments` the already-resolved arguments (2025-06-18+).
using CompletionHandler = std::function<Awaitable<core::Result<Completion>>(
    const boost::json::object& ref, std::string argument_name, std::string argument_value,
    const boost::json::object& context_arguments, ServerContext& context)>;

struct ServerOptions {
  std::string instructions;
  // Items per page of every list; 0 sends everything in one page.
  size_t page_size = 100;
  // Advertise `logging` (logging/setLevel is always answered).
  bool logging = true;
  // Default timeout of server-to-client requests (sampling, elicitation, roots).
  std::chrono::milliseconds client_request_timeout{300'000};
  // 2026-07-28 cache hints (ttlMs, cacheScope) on server/discover, the lists and resources/read:
  // how long a client may consider them fresh, and whether shared caches may keep them ("public")
  // or only the caller's own ("private": per authorization context).
  std::chrono::milliseconds cache_ttl{60'000};
  std::string cache_scope = "public";
  // The HMAC key of multi-round-trip requestState (see RequestStateCodec). Replicas behind one
  // load balancer must share it so a retry may land on any of them. Empty: a random key of this
  // process. request_state_ttl bounds how long a client may take to answer.
  std::string request_state_secret;
  std::chrono::milliseconds request_state_ttl{std::chrono::minutes(10)};
  // Tasks (2026-07-28 tasks extension): how long an ended task's result stays readable after its
  // last change, the poll interval suggested to clients, and how many tasks (running and ended)
  // the server holds at most. Tasks live in this process: a replica does not see another's.
  std::chrono::milliseconds task_ttl{std::chrono::hours(1)};
  std::chrono::milliseconds task_poll_interval{500};
  size_t max_tasks = 10'000;
};

// One connected client. Created by Server::Serve; lives while its transport is open.
class ServerSession : public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(Server& server, std::shared_ptr<Session> session)
      : server_(server), session_(std::move(session)) {}

  Session& session() { return *session_; }
  Server& server() const { return server_; }
  bool initialized() const { return initialized_; }
  // The negotiated revision; empty before initialize.
  const std::string& protocol_version() const { return session_->protocol_version(); }
  const Implementation& client_info() const { return client_info_; }
  const boost::json::object& client_capabilities() const { return client_capabilities_; }
  bool HasClientCapability(std::string_view name) const;
  // Serves 2026-07-28 requests (per-request `_meta`, no initialize): one request per session
  // on Streamable HTTP.
  bool stateless() const { return stateless_; }
  bool IsSubscribed(std::string_view uri) const {
    return subscriptions_.contains(std::string(uri));
  }
  // Whether a log message at `level` passes the client's logging/setLevel threshold.
  bool ShouldLog(std::string_view level) const;

  Awaitable<core::Status> Notify(std::string_view method, boost::json::value params = nullptr);
  Awaitable<void> Close() { co_await session_->Close(); }
  // Called once when the connection ends (at once when it already has). Call on the session's
  // executor (or before it runs).
  void OnClose(std::function<void()> handler);

 private:
  friend class Server;
  Server& server_;
  std::shared_ptr<Session> session_;
  bool initialized_ = false;
  bool stateless_ = false;
  Implementation client_info_;
  boost::json::object client_capabilities_;
  int log_level_ = -1;  // index into kLoggingLevels; -1 until the client sets one
  std::unordered_set<std::string> subscriptions_;
};

class Server {
 public:
  explicit Server(Implementation info, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adding a name (or URI) that exists replaces it. Changes while serving send list_changed.
  void AddTool(Tool tool);
  bool RemoveTool(std::string_view name);
  void AddResource(Resource resource);
  bool RemoveResource(std::string_view uri);
  void AddResourceTemplate(ResourceTemplate resource_template);
  void AddPrompt(Prompt prompt);
  bool RemovePrompt(std::string_view name);
  void SetCompletionHandler(CompletionHandler handler);
  // Serves a skill (the skills extension, SEP-2640, for 2026-07-28 clients): each file becomes a
  // resource (skill://<path>/<file>; SKILL.md named and described by its frontmatter), and the
  // skill is listed by skills/list and skills/get; resources/directory/read lists its folders.
  // Adding a skill of the same path replaces it.
  void AddSkill(Skill skill);

  // Serves one client over `transport` (the server must outlive the session). The session
  // starts at once and ends when the transport closes.
  std::shared_ptr<ServerSession> Serve(std::shared_ptr<Transport> transport,
                                       SessionOptions options = {.peer_name = "client"});
  // Serves 2026-07-28 requests over `transport` statelessly: no initialize, every request
  // carries its revision and client capabilities in `_meta` (-32602 without, -32022 for a
  // revision we do not serve), methods the revision removed (ping, logging/setLevel,
  // resources/subscribe) are unknown. Streamable HTTP makes one such session per request. The
  // session is not counted in session_count() and gets no list_changed broadcasts (clients
  // listen with subscriptions/listen).
  std::shared_ptr<ServerSession> ServeStateless(std::shared_ptr<Transport> transport,
                                                SessionOptions options = {.peer_name = "client"});

  // Sends notifications/resources/updated to the sessions subscribed to `uri` (and the
  // subscriptions/listen streams that named it).
  void NotifyResourceUpdated(std::string_view uri);
  size_t session_count() const;
  // Open subscriptions/listen streams (2026-07-28).
  size_t listener_count() const;
  // The server/discover result for revision `version` (without resultType and _meta).
  boost::json::object Discover(std::string_view version) const;
  const RequestStateCodec& request_state_codec() const { return state_codec_; }

  const Implementation& info() const { return info_; }
  const ServerOptions& options() const { return options_; }

 private:
  friend class ServerContext;
  struct Listener;
  template <typename T>
  struct Registry {
    std::vector<std::string> order;  // registration order, for stable pagination
    std::unordered_map<std::string, std::shared_ptr<const T>> items;
    void Put(std::string key, std::shared_ptr<const T> item);
    bool Erase(std::string_view key);
  };
  struct TemplateEntry;

  // Each fills `table` with the request handlers of its era: the session revisions' (initialize
  // and the rest) and the stateless 2026-07-28 ones.
  using HandlerTable = std::unordered_map<std::string, RequestHandler>;
  void InstallHandlers(const std::shared_ptr<ServerSession>& server_session, HandlerTable& table);
  void InstallStatelessHandlers(const std::shared_ptr<ServerSession>& server_session,
                                HandlerTable& table);
  // Adds what every 2026-07-28 result carries (resultType, serverInfo, cache hints).
  void FinishModernResult(std::string_view method, Reply& reply) const;
  void NotifyListeners(std::string_view method, const std::string* uri);
  boost::json::object Capabilities(std::string_view protocol_version) const;
  void Broadcast(std::string_view method);

  // Request handlers (the session's RequestHandler shape plus the server session).
  Awaitable<Reply> Initialize(ServerSession& s, boost::json::value params);
  Awaitable<Reply> ListTools(boost::json::value params, std::string version);
  Awaitable<Reply> CallTool(std::shared_ptr<ServerSession> s, boost::json::value params,
                            RequestContext& request, const RequestMeta* meta = nullptr);
  Awaitable<Reply> ListResources(boost::json::value params, std::string version);
  Awaitable<Reply> ListResourceTemplates(boost::json::value params, std::string version);
  Awaitable<Reply> ReadResource(std::shared_ptr<ServerSession> s, boost::json::value params,
                                RequestContext& request, const RequestMeta* meta = nullptr);
  Awaitable<Reply> ListPrompts(boost::json::value params, std::string version);
  Awaitable<Reply> GetPrompt(std::shared_ptr<ServerSession> s, boost::json::value params,
                             RequestContext& request, const RequestMeta* meta = nullptr);
  Awaitable<Reply> Complete(std::shared_ptr<ServerSession> s, boost::json::value params,
                            RequestContext& request, const RequestMeta* meta = nullptr);
  Awaitable<Reply> Listen(std::shared_ptr<ServerSession> s, boost::json::value params,
                          RequestContext& request);
  // The tasks extension: tools/call of a task-capable tool, and the tasks/* methods.
  Awaitable<Reply> StartToolTask(std::shared_ptr<ServerSession> s, std::shared_ptr<const Tool> tool,
                                 boost::json::object arguments, RequestContext& request,
                                 const RequestMeta& meta, boost::json::object answers);
  // The skills extension: skills/list, skills/get, resources/directory/read.
  Reply SkillsRequest(std::string_view method, const boost::json::value& params);
  Reply TasksRequest(std::string_view method, const boost::json::value& params,
                     const RequestContext& request, const RequestMeta& meta);

  Implementation info_;
  ServerOptions options_;
  const RequestStateCodec state_codec_;
  const std::shared_ptr<internal::TaskStore> tasks_store_;  // shared with running tasks
  mutable std::mutex mutex_;                                // guards everything below
  Registry<Tool> tools_;
  Registry<Resource> resources_;
  Registry<TemplateEntry> templates_;
  Registry<Prompt> prompts_;
  Registry<Skill> skills_;  // by skill URI
  std::shared_ptr<const CompletionHandler> completion_;
  std::vector<std::weak_ptr<ServerSession>> sessions_;
  std::vector<std::weak_ptr<Listener>> listeners_;
};

// Matches `uri` against an RFC 6570 template of literal text, {name} (no '/') and {+name} (any
// text) expressions; the variables on success.
std::optional<std::map<std::string, std::string>> MatchUriTemplate(std::string_view uri_template,
                                                                   std::string_view uri);

}  // namespace bedrock::mcp

// An MCP client: connects over any transport, picks the protocol revision per server, and offers
// the server's features as coroutines; answers the server's sampling, elicitation and roots
// requests.
//
//   mcp::ClientOptions options;
//   options.on_log_message = [](const json::object& params) { ... };
//   BEDROCK_CO_TRY_ASSIGN(auto client, co_await mcp::Client::Connect(
//       transport, mcp::Implementation("bedrock-mcp", "0.1"), std::move(options)));
//   BEDROCK_CO_TRY_ASSIGN(json::array tools, co_await client->ListTools());
//   BEDROCK_CO_TRY_ASSIGN(auto result, co_await client->CallTool("add", args,
//   mcp::CallOptions(10s)));
//
// Revisions. With no protocol_version configured, Connect first probes with server/discover as
// revision 2026-07-28 (the "modern", stateless revision); a server that answers it (or answers
// with UnsupportedProtocolVersion naming a revision we share) is spoken to statelessly. Any other
// answer, an HTTP error without a modern JSON-RPC error, or no answer within discover_timeout
// means a "legacy" server: Connect then runs the initialize handshake of 2025-11-25 and earlier,
// as before. The probe happens once per Client, i.e. per connection to a server.
//
// In the modern revision every request carries `_meta` (protocol version, client info and
// capabilities, the log level once SetLogLevel was called); the Streamable HTTP transport adds
// Mcp-Method/Mcp-Name and the Mcp-Param-* headers a tool's schema asks for (tools with invalid
// x-mcp-header annotations are left out of ListTools); results that answer `input_required`
// (multi-round-trip requests) are fulfilled with the handlers below and retried with their
// inputResponses and the server's opaque requestState, at most max_input_rounds times, for every
// request type; cacheable results (lists, resources/read, server/discover) are reused while their
// ttlMs lasts; list_changed and resources/updated notifications arrive on a subscriptions/listen
// stream the client keeps open while someone wants them.
//
// Lists follow nextCursor until the end. A server that speaks no revision we support fails
// Connect with a clear error.
// Thread-safety: a client lives on its transport's executor; call its members from there.
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mcp/protocol.h"
#include "mcp/request_headers.h"
#include "mcp/result_cache.h"
#include "mcp/session.h"
#include "mcp/transport.h"
#include "mcp/types.h"

namespace bedrock::mcp {

// Not an aggregate: see SendOptions in transport.h.
struct ClientOptions {
  ClientOptions() {}

  // Empty: negotiate (the modern revision when the server speaks it, else initialize). A legacy
  // revision: only initialize, asking for it (the server may answer with another supported one).
  // A modern revision: only that, failing against a legacy server.
  std::string protocol_version;
  std::chrono::milliseconds initialize_timeout{30'000};
  // How long the server/discover probe waits before taking the server for a legacy one (some
  // legacy servers ignore requests that come before initialize).
  std::chrono::milliseconds discover_timeout{10'000};
  // Rounds of input_required a single request may take before it fails (a server that never
  // stops asking).
  int max_input_rounds = 8;
  // The clock of the result cache (tests use a fake); empty: std::chrono::steady_clock::now.
  ResultCache::Clock clock;
  // Reuse cacheable results of the modern revision while their ttlMs lasts.
  bool cache_results = true;
  // A cache shared by several clients (e.g. every user's connection to one server): it receives
  // the results whose cacheScope is "public", keyed under cache_namespace (name the server, e.g.
  // its URL). Private results stay in this client's own cache.
  std::shared_ptr<ResultCache> shared_cache;
  std::string cache_namespace;
  std::chrono::milliseconds request_timeout{60'000};
  // Names the server in errors and logs: "server 'filesystem'".
  std::string peer_name = "server";
  // Extra capabilities to declare (e.g. "experimental"); the handlers below add theirs.
  boost::json::object capabilities;

  // Server-to-client requests. Setting one declares the capability. Each gets the params and
  // answers with the result object (or an error). In the modern revision they answer the input
  // requests of an input_required result: the RequestContext then has no session (id() and
  // method() are empty, message_context() is null; do not call session() or Call()).
  RequestHandler on_sampling;     // sampling/createMessage
  RequestHandler on_elicitation;  // elicitation/create (declared as form mode)
  bool elicitation_url_mode = false;
  RequestHandler on_roots;  // roots/list; declares roots.listChanged
  // Notifications from the server.
  std::function<void(const boost::json::object& params)> on_log_message;
  std::function<void(std::string_view uri)> on_resource_updated;
  std::function<void()> on_tools_list_changed;
  std::function<void()> on_resources_list_changed;
  std::function<void()> on_prompts_list_changed;
  std::function<void(const core::Error& reason)> on_close;
};

class Client {
 public:
  // Starts a session on `transport` and settles the revision (see the file comment): the
  // server/discover probe, then initialize and notifications/initialized for a legacy server.
  // Fails when the server does not answer within initialize_timeout, answers with an error, or
  // shares no revision with us (the transport is then closed).
  static Awaitable<core::Result<std::shared_ptr<Client>>> Connect(
      std::shared_ptr<Transport> transport, Implementation client_info, ClientOptions options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& protocol_version() const { return session_->protocol_version(); }
  // Whether the negotiated revision is a stateless one (2026-07-28 or later).
  bool modern() const { return modern_; }
  const Implementation& server_info() const { return server_info_; }
  const boost::json::object& server_capabilities() const { return server_capabilities_; }
  const std::string& instructions() const { return instructions_; }
  Session& session() { return *session_; }

  // ping; server/discover (bypassing the cache) in the modern revision, which has no ping.
  Awaitable<core::Status> Ping(CallOptions options = {});
  // Any request, with the modern revision's `_meta`, multi-round-trip handling and cache. For
  // methods the members below do not cover (extensions); their results come back unchanged.
  Awaitable<core::Result<boost::json::value>> Call(std::string_view method,
                                                   boost::json::value params,
                                                   CallOptions options = {});
  // Every item of every page.
  Awaitable<core::Result<boost::json::array>> ListTools(CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListResources(CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListResourceTemplates(CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListPrompts(CallOptions options = {});

  // The skills extension (SEP-2640): every skills/list entry ({uri, frontmatter, resources}),
  // page after page. Listing reads no skill file.
  Awaitable<core::Result<boost::json::array>> ListSkills(CallOptions options = {});
  // skills/get: the entry of the skill whose SKILL.md is `uri`, listed or not. kNotFound when the
  // server serves no such skill (its -32602). Like the lists, cached for the server's ttlMs.
  Awaitable<core::Result<boost::json::object>> GetSkill(std::string_view uri,
                                                        CallOptions options = {});
  // Loads a skill when it is needed: reads its SKILL.md and checks it against `entry`
  // (VerifySkillFile: size, digest, frontmatter) before reading the skill's other files, each
  // checked the same way. Fails (kDataLoss) at the first file that does not match, reading
  // nothing after it, and drops what the cache holds for the skill, so that GetSkill then
  // fetches the current entry; the files by URI, SKILL.md first, on success. An entry whose
  // resources are "dynamic" has nothing to verify against and is refused (kFailedPrecondition).
  Awaitable<core::Result<std::vector<std::pair<std::string, std::string>>>> LoadSkill(
      boost::json::object entry, CallOptions options = {});

  // A tool that fails reports is_error in the result; a protocol failure is an Error.
  Awaitable<core::Result<CallToolResult>> CallTool(std::string_view name,
                                                   boost::json::object arguments,
                                                   CallOptions options = {});
  // The contents array.
  Awaitable<core::Result<boost::json::array>> ReadResource(std::string_view uri,
                                                           CallOptions options = {});
  // The GetPromptResult object: {description?, messages}.
  Awaitable<core::Result<boost::json::object>> GetPrompt(
      std::string_view name, std::map<std::string, std::string> arguments = {},
      CallOptions options = {});
  // `ref`: {"type":"ref/prompt","name":...} or {"type":"ref/resource","uri":...}.
  Awaitable<core::Result<Completion>> Complete(boost::json::object ref,
                                               std::string_view argument_name,
                                               std::string_view argument_value,
                                               std::map<std::string, std::string> context = {},
                                               CallOptions options = {});
  // logging/setLevel; in the modern revision, the level every later request asks for in _meta.
  Awaitable<core::Status> SetLogLevel(std::string_view level, CallOptions options = {});
  // resources/subscribe; in the modern revision, the URI joins the subscriptions/listen filter.
  Awaitable<core::Status> Subscribe(std::string_view uri, CallOptions options = {});
  Awaitable<core::Status> Unsubscribe(std::string_view uri, CallOptions options = {});
  // A no-op in the modern revision (it has no roots/list_changed).
  Awaitable<core::Status> NotifyRootsListChanged();

  // Ends the subscriptions/listen stream, if any, and closes the transport.
  Awaitable<void> Close();

 private:
  struct Handlers;
  enum class Era { kModern, kLegacy };
  struct Probe {
    Era era = Era::kLegacy;
    std::string version;
    boost::json::object discovered;
  };

  explicit Client(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  void Configure(const std::shared_ptr<Client>& self, ClientOptions& options,
                 Implementation client_info);
  Awaitable<core::Result<Probe>> ProbeModern(std::string version);
  Awaitable<core::Status> Initialize(std::string version);
  void AdoptDiscovered(const boost::json::object& result);

  Awaitable<core::Result<boost::json::array>> ListAll(std::string_view method, std::string_view key,
                                                      CallOptions options);
  Awaitable<core::Result<boost::json::value>> Request(std::string_view method,
                                                      boost::json::value params,
                                                      CallOptions options);
  Awaitable<core::Result<boost::json::value>> ModernRequest(std::string_view method,
                                                            boost::json::object params,
                                                            CallOptions options);
  Awaitable<core::Result<boost::json::object>> FulfilInputRequests(
      const boost::json::value* input_requests);
  void AddMeta(boost::json::object& params, std::string_view version) const;
  boost::json::object ModernCapabilities() const;
  core::Error ToError(const RpcError& error) const;
  std::optional<boost::json::value> CacheFind(const std::string& key);
  void CacheStore(const std::string& key, std::string_view method,
                  const boost::json::value& result);
  void CacheInvalidate(std::string_view method);
  void CacheInvalidateKey(const std::string& key);
  // `method` with params {uri}; a 2026-07-28 -32602 answer (no such resource or skill) becomes
  // kNotFound.
  Awaitable<core::Result<boost::json::value>> CallForUri(std::string_view method,
                                                         std::string_view uri, CallOptions options);
  void FilterTools(boost::json::array& tools);
  void RestartListening();
  static Awaitable<void> Listen(std::weak_ptr<Client> weak, uint64_t generation);

  std::shared_ptr<Session> session_;
  std::weak_ptr<Client> weak_self_;
  std::chrono::milliseconds request_timeout_{60'000};
  std::chrono::milliseconds initialize_timeout_{30'000};
  std::chrono::milliseconds discover_timeout_{10'000};
  int max_input_rounds_ = 8;
  Implementation client_info_;
  std::string peer_name_;
  Implementation server_info_;
  boost::json::object server_capabilities_;
  std::string instructions_;
  // What the legacy initialize declares; the modern _meta declares the same in its own form.
  boost::json::object capabilities_;
  std::shared_ptr<Handlers> handlers_;
  bool modern_ = false;
  std::string log_level_;  // modern: sent in every request's _meta once set
  // Modern: the Mcp-Param-* headers of each listed tool, and the tools left out for invalid
  // x-mcp-header annotations (with why).
  bool tools_listed_ = false;
  std::map<std::string, std::vector<ParamHeader>, std::less<>> tool_headers_;
  std::map<std::string, std::string, std::less<>> rejected_tools_;
  ResultCache cache_;
  bool cache_results_ = true;
  std::shared_ptr<ResultCache> shared_cache_;
  std::string cache_namespace_;
  // Modern subscriptions/listen: the URIs subscribed to, and the generation of the listening
  // coroutine (a new one replaces the old, which ends when its generation is stale).
  std::set<std::string, std::less<>> subscriptions_;
  uint64_t listen_generation_ = 0;
  std::shared_ptr<boost::asio::cancellation_signal> listen_signal_;
  bool closing_ = false;
};

}  // namespace bedrock::mcp

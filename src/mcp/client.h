// An MCP client: connects over any transport, negotiates the revision, and offers the server's
// features as coroutines; answers the server's sampling, elicitation and roots requests.
//
//   mcp::ClientOptions options;
//   options.on_log_message = [](const json::object& params) { ... };
//   BEDROCK_CO_TRY_ASSIGN(auto client, co_await mcp::Client::Connect(
//       transport, mcp::Implementation("bedrock-mcp", "0.1"), std::move(options)));
//   BEDROCK_CO_TRY_ASSIGN(json::array tools, co_await client->ListTools());
//   BEDROCK_CO_TRY_ASSIGN(auto result, co_await client->CallTool("add", args,
//   mcp::CallOptions(10s)));
//
// Lists follow nextCursor until the end. A server that speaks any supported revision is accepted;
// anything else fails Connect with a clear error.
// Thread-safety: a client lives on its transport's executor; call its members from there.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "mcp/protocol.h"
#include "mcp/session.h"
#include "mcp/transport.h"
#include "mcp/types.h"

namespace bedrock::mcp {

// Not an aggregate: see SendOptions in transport.h.
struct ClientOptions {
  ClientOptions() {}

  // The revision we ask for; the server may answer with any other supported one.
  std::string protocol_version = std::string(kLatestVersion);
  std::chrono::milliseconds initialize_timeout{30'000};
  std::chrono::milliseconds request_timeout{60'000};
  // Names the server in errors and logs: "server 'filesystem'".
  std::string peer_name = "server";
  // Extra capabilities to declare (e.g. "experimental"); the handlers below add theirs.
  boost::json::object capabilities;

  // Server-to-client requests. Setting one declares the capability. Each gets the params and
  // answers with the result object (or an error).
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
  // Starts a session on `transport`, sends initialize and notifications/initialized. Fails when
  // the server does not answer within initialize_timeout, answers with an error, or picks a
  // revision we do not support (the transport is then closed).
  static Awaitable<core::Result<std::shared_ptr<Client>>> Connect(
      std::shared_ptr<Transport> transport, Implementation client_info, ClientOptions options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& protocol_version() const { return session_->protocol_version(); }
  const Implementation& server_info() const { return server_info_; }
  const boost::json::object& server_capabilities() const { return server_capabilities_; }
  const std::string& instructions() const { return instructions_; }
  Session& session() { return *session_; }

  Awaitable<core::Status> Ping(CallOptions options = {});
  // Every item of every page.
  Awaitable<core::Result<boost::json::array>> ListTools(CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListResources(CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListResourceTemplates(CallOptions options = {});
  Awaitable<core::Result<boost::json::array>> ListPrompts(CallOptions options = {});

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
  Awaitable<core::Status> SetLogLevel(std::string_view level, CallOptions options = {});
  Awaitable<core::Status> Subscribe(std::string_view uri, CallOptions options = {});
  Awaitable<core::Status> Unsubscribe(std::string_view uri, CallOptions options = {});
  Awaitable<core::Status> NotifyRootsListChanged();

  Awaitable<void> Close();

 private:
  explicit Client(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  Awaitable<core::Result<boost::json::array>> ListAll(std::string_view method, std::string_view key,
                                                      CallOptions options);
  Awaitable<core::Result<boost::json::value>> Request(std::string_view method,
                                                      boost::json::value params,
                                                      CallOptions options);

  std::shared_ptr<Session> session_;
  std::chrono::milliseconds request_timeout_{60'000};
  Implementation server_info_;
  boost::json::object server_capabilities_;
  std::string instructions_;
};

}  // namespace bedrock::mcp
